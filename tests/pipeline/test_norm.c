/* Normalisation: NFKC, case folding, width, traditional -> simplified, invisible characters,
 * the offset map back to the original, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "norm.h"
#include "yq_err.h"
#include "yq_banned.h"

static const struct norm *nm(void)
{
    const struct norm *n = NULL;
    char err[256] = "";
    if (norm_global(&n, err, sizeof(err)) != 0) {
        fail_msg("normalisation tables: %s", err);
    }
    return n;
}

struct norm_case {
    const char *name;
    const char *in;
    const char *out;
};

static const struct norm_case norm_cases[] = {
    {"ascii_case", "WiFi COVID-19", "wifi covid-19"},
    {"fullwidth_latin", "ＷｉＦｉ５Ｇ", "wifi5g"},
    {"fullwidth_punct_space", "安康，汉滨\u3000市", "安康,汉滨 市"},
    {"traditional", "燃氣洩漏，臺灣颱風", "燃气泄漏,台湾台风"},
    {"compat_ideograph", "\uF902", "车"},
    {"circled_and_ligature", "\u2460\uFB01", "1fi"},
    {"greek_case", "ΣΑΣ", "σασ"},
    {"german_sharp_s", "STRAẞE", "strasse"},
    {"zero_width", "燃\u200b气\u200c泄\u200d漏\u2060了\uFEFF", "燃气泄漏了"},
    {"soft_hyphen_and_bidi", "a\u00adb\u200ec\u202ad", "abcd"},
    {"astral_math_bold", "\U0001D400\U0001D401", "ab"},
    {"astral_tag_removed", "x\U000E0041y", "xy"},
    {"emoji_kept", "好😀", "好😀"},
    {"simplified_unchanged", "安康市汉滨区征地补偿", "安康市汉滨区征地补偿"},
    {"empty", "", ""},
};

static void test_normalise_table(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof(norm_cases) / sizeof(norm_cases[0]); c++) {
        char *out = NULL;
        assert_int_equal(norm_string(nm(), norm_cases[c].in, &out), 0);
        if (strcmp(out, norm_cases[c].out) != 0) {
            fail_msg("%s: '%s' -> '%s', want '%s'", norm_cases[c].name, norm_cases[c].in, out,
                     norm_cases[c].out);
        }
        free(out);
    }
}

/* Every normalised byte maps to the original code point that produced it. */
static void test_offset_map(void **state)
{
    struct norm_text t = NORM_TEXT_INIT;
    /* code points: 0 Ｗ 1 \u200b 2 ｉ 3 燃 4 ﬁ 5 x */
    const char *in = "Ｗ\u200bｉ燃\uFB01x";
    const uint32_t want[] = {0, 2, 3, 3, 3, 4, 4, 5};

    (void)state;
    assert_int_equal(norm_apply(nm(), in, strlen(in), (size_t)-1, &t), 0);
    assert_string_equal(t.buf, "wi燃fix");
    assert_int_equal(t.len, sizeof(want) / sizeof(want[0]));
    assert_int_equal(t.orig_n_cp, 6);
    for (size_t i = 0; i < t.len; i++) {
        assert_int_equal(t.orig_cp[i], want[i]);
    }
    /* the buffer is reused: a shorter text afterwards */
    assert_int_equal(norm_apply(nm(), "AB", 2, (size_t)-1, &t), 0);
    assert_string_equal(t.buf, "ab");
    assert_int_equal(t.orig_n_cp, 2);
    norm_text_release(&t);
}

/* Invalid UTF-8 never crashes: each bad byte is U+FFFD and one original code point. */
static void test_invalid_utf8_and_limits(void **state)
{
    struct norm_text t = NORM_TEXT_INIT;
    const char bad[] = "a\xff\xe5\xae"
                       "b\xed\xa0\x80";
    char *out = NULL;

    (void)state;
    assert_int_equal(norm_apply(nm(), bad, sizeof(bad) - 1, (size_t)-1, &t), 0);
    assert_string_equal(t.buf, "a\uFFFD\uFFFD\uFFFDb\uFFFD\uFFFD\uFFFD");
    assert_int_equal(t.orig_cp[t.len - 1], 7);
    assert_int_equal(norm_string(nm(), bad, &out), ERR_INVALID);
    assert_null(out);
    /* the output cap cuts at a character boundary and reports ERR_TOO_BIG */
    assert_int_equal(norm_apply(nm(), "安康市", 9, 7, &t), ERR_TOO_BIG);
    assert_string_equal(t.buf, "安康");
    assert_int_equal(t.orig_n_cp, 3);
    norm_text_release(&t);
}

/* A private table set (not the process-wide one) works the same; bad OpenCC config fails. */
static void test_new_and_missing_config(void **state)
{
    struct norm *n = NULL;
    char err[256] = "", *out = NULL;

    (void)state;
    assert_int_equal(norm_new("/nonexistent/t2s.json", &n, err, sizeof(err)), ERR_NOT_FOUND);
    assert_null(n);
    assert_non_null(strstr(err, "OpenCC"));
    assert_int_equal(norm_new(NORM_OPENCC_CONFIG, &n, err, sizeof(err)), 0);
    assert_int_equal(norm_string(n, "軟體ＡＰＰ", &out), 0);
    assert_string_equal(out, "软体app");
    free(out);
    norm_free(n);
    norm_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalise_table),
        cmocka_unit_test(test_offset_map),
        cmocka_unit_test(test_invalid_utf8_and_limits),
        cmocka_unit_test(test_new_and_missing_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
