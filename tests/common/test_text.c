/* common/yq_text: display width and padding of UTF-8 text for the CLI's tables (issue #11). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "yq_text.h"

static void test_width_counts_columns_not_bytes(void **state)
{
    (void)state;
    assert_int_equal(yq_text_width(NULL), 0);
    assert_int_equal(yq_text_width(""), 0);
    assert_int_equal(yq_text_width("open"), 4);
    assert_int_equal(yq_text_width("市自然资源局"), 12); /* 18 bytes, 6 wide characters */
    assert_int_equal(yq_text_width("签收（MTTA）"), 12);
    assert_int_equal(yq_text_width("e\xcc\x81"), 1);      /* e + combining acute */
    assert_int_equal(yq_text_width("a\xff" "b"), 3);      /* an invalid byte counts one */
}

static void test_pad_to_display_width(void **state)
{
    char buf[64];
    (void)state;
    assert_string_equal(yq_text_pad("市自然资源局", 16, buf, sizeof(buf)), "市自然资源局    ");
    assert_string_equal(yq_text_pad("(unassigned)", 16, buf, sizeof(buf)), "(unassigned)    ");
    assert_string_equal(yq_text_pad("市卫生健康委员会", 10, buf, sizeof(buf)), "市卫生健康委员会");
    assert_string_equal(yq_text_pad(NULL, 2, buf, sizeof(buf)), "  ");
    assert_string_equal(yq_text_pad_left("42", 4, buf, sizeof(buf)), "  42");
    assert_string_equal(yq_text_pad_left("中位数", 8, buf, sizeof(buf)), "  中位数");
    /* too small a buffer cuts at a character boundary, never inside one */
    assert_string_equal(yq_text_pad("市自然资源局", 16, buf, 8), "市自");
    assert_string_equal(yq_text_pad("ab", 4, buf, 1), "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_width_counts_columns_not_bytes),
        cmocka_unit_test(test_pad_to_display_width),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
