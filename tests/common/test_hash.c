/*
 * common/yq_hash.h against the published FNV-1a test vectors (Fowler, Noll, Vo: the FNV
 * reference code's test suite, "" "a" "foobar"). The 64-bit offset basis had lost its last
 * digit (1469598103934665603 for 14695981039346656037): still a hash, but not FNV-1a.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "yq_hash.h"
#include "yq_banned.h"

static void test_fnv1a_vectors(void **state)
{
    (void)state;
    assert_int_equal(yq_fnv1a32(""), 0x811c9dc5u);
    assert_int_equal(yq_fnv1a32("a"), 0xe40c292cu);
    assert_int_equal(yq_fnv1a32("foobar"), 0xbf9cf968u);
    assert_true(yq_fnv1a64("") == 0xcbf29ce484222325ull);
    assert_true(yq_fnv1a64("a") == 0xaf63dc4c8601ec8cull);
    assert_true(yq_fnv1a64("foobar") == 0x85944171f73967e8ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fnv1a_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
