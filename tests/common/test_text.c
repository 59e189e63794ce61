/* common/yq_text: display width and padding of UTF-8 text for the CLI's tables (issue #11). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
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

/* Feed text printed by the CLI: controls and invalid bytes become U+FFFD (issue #14). */
static void test_printable_and_controls(void **state)
{
    char buf[64];
    (void)state;
    assert_string_equal(yq_text_printable("征地补偿 ok", buf, sizeof(buf)), "征地补偿 ok");
    assert_string_equal(yq_text_printable("a\x1b[2Jb\tc\x7f", buf, sizeof(buf)),
                        "a\xef\xbf\xbd[2Jb\xef\xbf\xbd" "c\xef\xbf\xbd");
    /* C1 (U+0085, U+009B CSI), U+2028, U+2029, an invalid byte */
    assert_string_equal(yq_text_printable("x\xc2\x85\xc2\x9b" "y\xe2\x80\xa8\xe2\x80\xa9\xff", buf,
                                          sizeof(buf)),
                        "x\xef\xbf\xbd\xef\xbf\xbdy\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    assert_string_equal(yq_text_printable(NULL, buf, sizeof(buf)), "");
    /* cut at a character boundary: 4 bytes hold one 3-byte character */
    assert_string_equal(yq_text_printable("安康", buf, 5), "安");
    assert_string_equal(yq_text_printable("\x01", buf, 3), "");

    assert_false(yq_text_has_control(NULL));
    assert_false(yq_text_has_control("汉滨区 舆情 2026"));
    assert_true(yq_text_has_control("a\nb"));
    assert_true(yq_text_has_control("a\x7f"));
    assert_true(yq_text_has_control("a\xc2\x80"));
    assert_true(yq_text_has_control("a\xe2\x80\xa8"));
    assert_true(yq_text_has_control("a\xe2\x80\xa9"));
    assert_true(yq_text_has_control("a\xff"));
    assert_false(yq_text_has_control("a\xc2\xa0")); /* U+00A0 is not a control */
    /* bidi overrides and isolates (U+202E, U+2066, U+2069) display text reordered */
    assert_true(yq_text_has_control("a\xe2\x80\xae"));
    assert_true(yq_text_has_control("a\xe2\x81\xa6"));
    assert_true(yq_text_has_control("a\xe2\x81\xa9"));
    assert_false(yq_text_has_control("a\xe2\x80\xaf")); /* U+202F narrow no-break space */
    assert_string_equal(yq_text_printable("gpj\xe2\x80\xae" "exe", buf, sizeof(buf)),
                        "gpj\xef\xbf\xbd" "exe");
}

/* yq_text_fold(): NFKC, Cf and default-ignorables dropped, White_Space runs one space, trimmed */
static void test_fold(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"a b", "a b"},
        {" \t\r\n a \u3000\u00A0 b\n", "a b"}, /* runs and ends */
        {"a\u2028b\u2029c\xC2\x85"
         "d\u2003e\u202F"
         "f",
         "a b c d e f"}, /* Zl, Zp, NEL, Zs */
        {"a\u200Bb\uFEFFc\u00AD"
         "d\u2060e",
         "abcde"},                                            /* Cf dropped, no space made */
        {"a \u200B b", "a b"},                                /* one run around a Cf */
        {"\uFF37\uFF49\uFF26\uFF49 \uFF15\uFF27", "WiFi 5G"}, /* NFKC; case is kept */
        {"e\xCC\x81", "\xC3\xA9"},                            /* composed */
        {"關於", "關於"},                                     /* script is kept */
        {"a\xFF"
         "b",
         "a\uFFFD"
         "b"}, /* an invalid byte */
        {" \u3000\u200B\t", ""},
        {"", ""},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = NULL;
        assert_int_equal(yq_text_fold(cases[i].in, &out), 0);
        if (strcmp(out, cases[i].want) != 0) {
            print_error("case %zu: '%s'\n", i, out);
        }
        assert_string_equal(out, cases[i].want);
        free(out);
    }
}

/* Feed text as one line of a notification: breaks are spaces, other controls U+FFFD. */
static void test_one_line(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"城区停水\n链接：http://evil/", "城区停水 链接：http://evil/"},
        {"a\r\n\t b", "a  b"}, /* one run of breaks is one space; a real space stays */
        {"a\u2028b\u2029c\xC2\x85"
         "d",
         "a b c d"},
        {"a\x1B[31mb\x7F", "a\uFFFD[31mb\uFFFD"}, /* ESC, DEL */
        {"a\u202Eb", "a\uFFFDb"},                 /* bidi override */
        {"a\xFF"
         "b",
         "a\uFFFD"
         "b"},
        {"【交办】 [x](y) <@all>　全角", "【交办】 [x](y) <@all>　全角"}, /* the rest as it is */
        {"", ""},
    };
    char *out = NULL;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(yq_text_one_line(cases[i].in, &out), 0);
        if (strcmp(out, cases[i].want) != 0) {
            print_error("case %zu: '%s'\n", i, out);
        }
        assert_string_equal(out, cases[i].want);
        free(out);
    }
    assert_int_equal(yq_text_one_line(NULL, &out), 0);
    assert_string_equal(out, "");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_width_counts_columns_not_bytes),
        cmocka_unit_test(test_pad_to_display_width),
        cmocka_unit_test(test_printable_and_controls),
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
