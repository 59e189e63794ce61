/* The bounded buffer (common/yq_buf.h): printf appends, short and long, and chained appends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "yq_buf.h"
#include "yq_err.h"
#include "yq_banned.h"

static void test_addf_short_and_long(void **state)
{
    char big[301];
    struct yq_buf b;

    (void)state;
    memset(big, 'a', 300);
    big[300] = '\0';
    yq_buf_init(&b, 1024);
    assert_int_equal(yq_buf_addf(&b, "%s=%d;", "k", 42), 0);
    assert_int_equal(yq_buf_addf(&b, "%s", big), 0); /* past the 256-byte first try */
    assert_int_equal(b.len, 5 + 300);
    assert_memory_equal(b.data, "k=42;", 5);
    assert_int_equal(b.data[b.len - 1], 'a');
    assert_int_equal(b.data[b.len], '\0');
    yq_buf_release(&b);
}

static void test_addf_chain_stops_at_the_first_failure(void **state)
{
    struct yq_buf b;
    int err = 0;

    (void)state;
    yq_buf_init(&b, 8);
    err = yq_buf_addf_chain(err, &b, "%s", "abc");
    assert_int_equal(err, 0);
    err = yq_buf_addf_chain(err, &b, "%d", 123456); /* 9 bytes > 8: refused, b unchanged */
    assert_int_equal(err, ERR_TOO_BIG);
    err = yq_buf_addf_chain(err, &b, "%s", "x"); /* would fit, but the chain has failed */
    assert_int_equal(err, ERR_TOO_BIG);
    assert_string_equal(b.data, "abc");
    assert_int_equal(yq_buf_addf_chain(ERR_NOMEM, &b, "y"), ERR_NOMEM);
    assert_string_equal(b.data, "abc");
    yq_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addf_short_and_long),
        cmocka_unit_test(test_addf_chain_stops_at_the_first_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
