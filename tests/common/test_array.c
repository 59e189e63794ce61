/*
 * Growing an array (common/yq_array.h): the first size, doubling, a need past the double,
 * sizes that would overflow size_t, and a failed realloc() leaving the array as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdlib.h>

#include "alloc_fail.h"
#include "yq_array.h"
#include "yq_err.h"
#include "yq_banned.h"

struct pair {
    int64_t a;
    int64_t b;
};

static void test_first_size_then_doubling(void **state)
{
    struct pair *v = NULL;
    size_t cap = 0;

    (void)state;
    assert_int_equal(yq_array_reserve(&v, &cap, 1, sizeof(*v)), 0);
    assert_non_null(v);
    assert_int_equal(cap, YQ_ARRAY_FIRST_CAP);
    assert_int_equal(cap, 16);
    v[15].a = 7;
    assert_int_equal(yq_array_reserve(&v, &cap, 16, sizeof(*v)), 0); /* fits: no change */
    assert_int_equal(cap, 16);
    assert_int_equal(yq_array_reserve(&v, &cap, 17, sizeof(*v)), 0);
    assert_int_equal(cap, 32);
    assert_int_equal(v[15].a, 7); /* realloc() kept the contents */
    assert_int_equal(yq_array_reserve(&v, &cap, 33, sizeof(*v)), 0);
    assert_int_equal(cap, 64);
    v[63].b = 9;
    assert_int_equal(v[63].b, 9);
    free(v);
}

static void test_need_past_double_is_taken(void **state)
{
    int *v = NULL;
    size_t cap = 0;

    (void)state;
    assert_int_equal(yq_array_reserve(&v, &cap, 100, sizeof(*v)), 0);
    assert_int_equal(cap, 100);
    assert_int_equal(yq_array_reserve(&v, &cap, 101, sizeof(*v)), 0);
    assert_int_equal(cap, 200);
    assert_int_equal(yq_array_reserve(&v, &cap, 1000, sizeof(*v)), 0);
    assert_int_equal(cap, 1000);
    v[999] = 1;
    assert_int_equal(v[999], 1);
    free(v);
}

static void test_zero_need_allocates_nothing(void **state)
{
    int *v = NULL;
    size_t cap = 0;

    (void)state;
    assert_int_equal(yq_array_reserve(&v, &cap, 0, sizeof(*v)), 0);
    assert_null(v);
    assert_int_equal(cap, 0);
}

static void test_overflow_is_refused_untouched(void **state)
{
    struct pair *v = NULL;
    struct pair *before;
    size_t cap = 0;

    (void)state;
    assert_int_equal(yq_array_reserve(&v, &cap, 3, sizeof(*v)), 0);
    before = v;
    v[2].a = 5;
    assert_int_equal(yq_array_reserve(&v, &cap, SIZE_MAX / sizeof(*v) + 1, sizeof(*v)),
                     ERR_TOO_BIG);
    assert_ptr_equal(v, before);
    assert_int_equal(cap, 16);
    assert_int_equal(yq_array_reserve(&v, &cap, SIZE_MAX, 1 + sizeof(*v)), ERR_TOO_BIG);
    assert_ptr_equal(v, before);
    assert_int_equal(cap, 16);
    assert_int_equal(v[2].a, 5);
    free(v);
}

static void test_doubled_size_overflow_is_refused_untouched(void **state)
{
    int16_t *v = NULL;
    size_t cap = SIZE_MAX / 4 + 1; /* 2 * cap * 2 bytes wraps, (cap + 1) * 2 bytes does not */

    (void)state;
    assert_int_equal(yq_array_reserve(&v, &cap, SIZE_MAX / 4 + 2, sizeof(*v)), ERR_TOO_BIG);
    assert_null(v); /* refused before any realloc() */
    assert_int_equal(cap, SIZE_MAX / 4 + 1);
    cap = SIZE_MAX / 4; /* fits, so nothing to grow: no allocation either */
    assert_int_equal(yq_array_reserve(&v, &cap, SIZE_MAX / 4, sizeof(*v)), 0);
    assert_null(v);
}

static void test_allocation_failure_leaves_array_untouched(void **state)
{
    int *v = NULL;
    int *before;
    size_t cap = 0;

    (void)state;
    alloc_fail_after(1, ALLOC_FAIL_ONCE);
    assert_int_equal(yq_array_reserve(&v, &cap, 1, sizeof(*v)), ERR_NOMEM);
    assert_true(alloc_fail_injected());
    alloc_fail_off();
    assert_null(v);
    assert_int_equal(cap, 0);

    assert_int_equal(yq_array_reserve(&v, &cap, 16, sizeof(*v)), 0);
    before = v;
    v[0] = 11;
    v[15] = 12;
    alloc_fail_after(1, ALLOC_FAIL_ONCE);
    assert_int_equal(yq_array_reserve(&v, &cap, 17, sizeof(*v)), ERR_NOMEM);
    assert_true(alloc_fail_injected());
    alloc_fail_off();
    assert_ptr_equal(v, before);
    assert_int_equal(cap, 16);
    assert_int_equal(v[0], 11);
    assert_int_equal(v[15], 12);
    assert_int_equal(yq_array_reserve(&v, &cap, 17, sizeof(*v)), 0); /* and it can still grow */
    assert_int_equal(cap, 32);
    assert_int_equal(v[15], 12);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_size_then_doubling),
        cmocka_unit_test(test_need_past_double_is_taken),
        cmocka_unit_test(test_zero_need_allocates_nothing),
        cmocka_unit_test(test_overflow_is_refused_untouched),
        cmocka_unit_test(test_doubled_size_overflow_is_refused_untouched),
        cmocka_unit_test(test_allocation_failure_leaves_array_untouched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
