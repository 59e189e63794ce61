/* Normalisation: NFKC, case folding, width, traditional -> simplified, invisible characters,
 * the offset map back to the original, bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <opencc/opencc.h>
#include <utf8proc.h>

#include "norm.h"
#include "yq_utf8.h"
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
    {"fullwidth_punct_space", "安康，汉滨\u3000ＡＰＰ", "安康,汉滨 app"},
    /* Chinese puts no space between words: spaces between two Chinese characters go */
    {"spaces_between_han", "燃 气\u3000泄\u00a0 漏，安康 市", "燃气泄漏,安康市"},
    {"spaces_kept_next_to_latin", "AI 换脸 ok 了", "ai 换脸 ok 了"},
    {"line_break_between_han_kept", "燃气\n泄漏", "燃气\n泄漏"},
    {"spaces_between_traditional", "燃 氣", "燃气"},
    /* a term's edge spaces next to a Chinese character go too (norm_string()) */
    {"term_trailing_space_next_to_han", "燃气 ", "燃气"},
    {"term_leading_spaces_next_to_han", "\u3000\u00a0泄漏", "泄漏"},
    {"term_edge_spaces_next_to_latin_kept", " WiFi ", " wifi "},
    {"term_mixed_edges", " AI 换脸\u3000", " ai 换脸"},
    {"term_only_spaces_kept", "  ", "  "},
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
    /* above U+FFFF (issue #16): pairs from OpenCC's TSCharacters (Extension B -> B, C, BMP) */
    {"ext_b_to_ext_b", "\U0002005E\U00020786", "\U0002003E\U000206C6"},
    {"ext_b_to_ext_c", "\U00020B19", "\U0002A821"},
    {"ext_b_to_bmp", "\U00021ED5\U000205E3", "\u5C81\u34C6"},
    {"ext_b_unmapped_kept", "\U00020BB6\U00020000", "\U00020BB6\U00020000"},
    {"ext_b_in_text", "汉滨区\U00021ED5末\U00020BB6", "汉滨区岁末\U00020BB6"},
    {"compat_supplement", "\U0002F800", "\u4E3D"},
    {"simplified_unchanged", "安康市汉滨区征地补偿", "安康市汉滨区征地补偿"},
    /* composition across characters, as NFC: decomposed (NFD) text reads as precomposed */
    {"nfd_composed", "Cafe\u0301 Ca\u0300", "caf\u00e9 c\u00e0"},
    {"nfd_two_marks", "e\u0323\u0302", "\u1ec7"},
    {"nfd_pinyin", "A\u0304nka\u0304ng", "\u0101nk\u0101ng"},
    {"nfd_hangul", "\u1100\u1161\u11a8", "\uac01"},
    {"halfwidth_katakana_voiced", "\uff76\uff9e", "\u30ac"},
    {"mark_without_base_kept", "\u0301a", "\u0301a"},
    {"mark_that_composes_nothing", "\u5b89\u0301", "\u5b89\u0301"},
    {"nfd_across_invisible", "e\u200b\u0301", "\u00e9"},
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

/*
 * Normalise in into t: it must give want_buf, its n_want bytes mapping to the original code
 * points want[], from n_cp original code points.
 */
static void expect_offset_map(const char *in, const char *want_buf, const uint32_t *want,
                              size_t n_want, size_t n_cp, struct norm_text *t)
{
    assert_int_equal(norm_apply(nm(), in, strlen(in), (size_t)-1, t), 0);
    assert_string_equal(t->buf, want_buf);
    assert_int_equal(t->len, n_want);
    assert_int_equal(t->orig_n_cp, n_cp);
    for (size_t i = 0; i < t->len; i++) {
        if (t->orig_cp[i] != want[i]) {
            fail_msg("'%s' byte %zu: from code point %u, want %u", in, i, t->orig_cp[i], want[i]);
        }
    }
}

/* Every normalised byte maps to the original code point that produced it. */
static void test_offset_map(void **state)
{
    struct norm_text t = NORM_TEXT_INIT;
    /* code points: 0 Ｗ 1 \u200b 2 ｉ 3 燃 4 ﬁ 5 x */
    static const uint32_t want[] = {0, 2, 3, 3, 3, 4, 4, 5};

    (void)state;
    expect_offset_map("Ｗ\u200bｉ燃\uFB01x", "wi燃fix", want, 8, 6, &t);
    /* the buffer is reused: a shorter text afterwards */
    assert_int_equal(norm_apply(nm(), "AB", 2, (size_t)-1, &t), 0);
    assert_string_equal(t.buf, "ab");
    assert_int_equal(t.orig_n_cp, 2);
    norm_text_release(&t);
}

/*
 * A composed pair maps back to both original code points: the base for its first bytes, the
 * mark for its last, so a match ending on it covers the mark. Spaces dropped between Chinese
 * characters map to nothing, like invisible characters.
 */
static void test_offset_map_composed_and_spaces(void **state)
{
    struct norm_text t = NORM_TEXT_INIT;
    /* code points: 0 c 1 a 2 f 3 e 4 U+0301 5 ! -> "café!" (é two bytes) */
    static const uint32_t want_composed[] = {0, 1, 2, 3, 4, 5};
    /* code points: 0 燃 1 ' ' 2 U+3000 3 气 -> "燃气" */
    static const uint32_t want_spaces[] = {0, 0, 0, 3, 3, 3};

    (void)state;
    expect_offset_map("cafe\u0301!", "caf\u00e9!", want_composed, 6, 6, &t);
    expect_offset_map("燃 \u3000气", "燃气", want_spaces, 6, 4, &t);
    norm_text_release(&t);
}

/* Above U+FFFF the offset map still counts one original code point per character. */
static void test_offset_map_astral(void **state)
{
    struct norm_text t = NORM_TEXT_INIT;
    /* code points: 0 U+21ED5 (-> 岁, 3 bytes) 1 a 2 U+20BB6 (kept, 4 bytes) 3 U+2005E (-> U+2003E) */
    const char *in = "\U00021ED5a\U00020BB6\U0002005E";
    const uint32_t want[] = {0, 0, 0, 1, 2, 2, 2, 2, 3, 3, 3, 3};

    (void)state;
    assert_int_equal(norm_apply(nm(), in, strlen(in), (size_t)-1, &t), 0);
    assert_string_equal(t.buf, "岁a\U00020BB6\U0002003E");
    assert_int_equal(t.len, sizeof(want) / sizeof(want[0]));
    assert_int_equal(t.orig_n_cp, 4);
    for (size_t i = 0; i < t.len; i++) {
        assert_int_equal(t.orig_cp[i], want[i]);
    }
    /* the cap never splits a converted character */
    assert_int_equal(norm_apply(nm(), in, strlen(in), 6, &t), ERR_TOO_BIG);
    assert_string_equal(t.buf, "岁a");
    assert_int_equal(t.orig_n_cp, 4);
    norm_text_release(&t);
}

/*
 * The one-call conversion of the supplementary blocks at start-up gives what OpenCC gives
 * for each character on its own, for every Extension B..G character.
 */
static void test_astral_agrees_with_opencc(void **state)
{
    opencc_t cc = opencc_open(NORM_OPENCC_CONFIG);
    size_t n_mapped = 0;

    (void)state;
    assert_true(cc != (opencc_t)-1);
    for (int32_t cp = 0x20000; cp <= 0x3134F; cp++) {
        char in[5], *want, *got = NULL;
        if ((cp >= 0x2F800 && cp <= 0x2FA1F) || utf8proc_category(cp) == UTF8PROC_CATEGORY_CN) {
            continue; /* compatibility ideographs fold first (table above) */
        }
        in[utf8proc_encode_char(cp, (utf8proc_uint8_t *)in)] = '\0';
        want = opencc_convert_utf8(cc, in, strlen(in));
        assert_non_null(want);
        assert_int_equal(norm_string(nm(), in, &got), 0);
        if (strcmp(got, want) != 0) {
            fail_msg("U+%X: '%s', OpenCC says '%s'", (unsigned)cp, got, want);
        }
        n_mapped += strcmp(in, want) != 0;
        free(got);
        opencc_convert_utf8_free(want);
    }
    opencc_close(cc);
    assert_true(n_mapped >= 300); /* 354 with Debian's OpenCC 1.1 */
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

struct utf8_case {
    const char *name;
    const char *in;
    size_t len;
    size_t bad_off;     /* (size_t)-1: valid */
    size_t first_width; /* yq_utf8_next() at byte 0 */
    int32_t first_cp;
};

#define U8(s) s, sizeof(s) - 1

/*
 * Not well-formed at byte 0, so yq_utf8_valid() says offset 0 and yq_utf8_next() one byte of U+FFFD:
 * invalid lead bytes, overlongs, surrogates, above U+10FFFF, truncated, bad continuation.
 */
static const char *const utf8_bad_at_0[] = {
    "\xff",         "\xc0\x80",     "\xc1\xbf",         "\xe0\x80\x80",     "\xf0\x80\x80\x80",
    "\xed\xa0\x80", "\xed\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xe5\xae",
    "\xe5\x41\x89",
};

/* The one decoder (utf8proc) on well-formed input and on a bad sequence after a good one. */
static const struct utf8_case utf8_cases[] = {
    {"ascii", U8("ab"), (size_t)-1, 1, 'a'},
    {"two_bytes", U8("\xc3\xa9"), (size_t)-1, 2, 0xE9},
    {"three_bytes", U8("\xe5\xae\x89"), (size_t)-1, 3, 0x5B89},
    {"four_bytes", U8("\xf0\x9f\x98\x80"), (size_t)-1, 4, 0x1F600},
    {"max_code_point", U8("\xf4\x8f\xbf\xbf"), (size_t)-1, 4, 0x10FFFF},
    {"nul_byte", "\0", 1, (size_t)-1, 1, 0},
    {"stray_continuation", U8("a\x80"), 1, 1, 'a'},
    {"truncated_after_valid", U8("\xe5\xae\x89\xe5"), 3, 3, 0x5B89},
};

static void test_utf8_decoder_table(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof(utf8_cases) / sizeof(utf8_cases[0]); c++) {
        const struct utf8_case *u = &utf8_cases[c];
        size_t bad = (size_t)-1, width;
        int32_t cp = -1;
        bool valid = yq_utf8_valid(u->in, u->len, &bad);

        if (valid != (u->bad_off == (size_t)-1) || bad != u->bad_off) {
            fail_msg("%s: yq_utf8_valid %d bad_off %zu, want bad_off %zu", u->name, valid, bad,
                     u->bad_off);
        }
        width = yq_utf8_next(u->in, u->len, &cp);
        if (width != u->first_width || cp != u->first_cp) {
            fail_msg("%s: yq_utf8_next width %zu cp U+%04X, want %zu U+%04X", u->name, width,
                     (unsigned)cp, u->first_width, (unsigned)u->first_cp);
        }
        cp = -1; /* yq_utf8_seq: the same sequence, well-formed at byte 0 in every case */
        width = yq_utf8_seq(u->in, u->len, &cp);
        if (width != u->first_width || cp != u->first_cp) {
            fail_msg("%s: yq_utf8_seq width %zu cp U+%04X, want %zu U+%04X", u->name, width,
                     (unsigned)cp, u->first_width, (unsigned)u->first_cp);
        }
    }
    {
        int32_t cp = 7;
        assert_int_equal(yq_utf8_seq("a", 0, &cp), 0); /* nothing left */
        assert_int_equal(cp, 7);
    }
    for (size_t c = 0; c < sizeof(utf8_bad_at_0) / sizeof(utf8_bad_at_0[0]); c++) {
        const char *in = utf8_bad_at_0[c];
        size_t bad = (size_t)-1;
        int32_t cp = -1;

        assert_false(yq_utf8_valid(in, strlen(in), &bad));
        assert_int_equal(bad, 0);
        assert_int_equal(yq_utf8_next(in, strlen(in), &cp), 1);
        assert_int_equal(cp, 0xFFFD);
        cp = -1;
        assert_int_equal(yq_utf8_seq(in, strlen(in), &cp), 0); /* not a sequence, cp untouched */
        assert_int_equal(cp, -1);
    }
    /* code points starting in a prefix of valid text: a (1) 安 (3) b (1) */
    for (size_t n = 0; n <= 5; n++) {
        static const size_t want[] = {0, 1, 2, 2, 2, 3};
        assert_int_equal(yq_utf8_count_cp("a\xe5\xae\x89"
                                       "b",
                                       n),
                         want[n]);
    }
}

/* Overlong forms are not characters either: each byte becomes U+FFFD. */
static void test_overlong_is_replaced(void **state)
{
    struct norm_text t = NORM_TEXT_INIT;
    const char bad[] = "\xc0\xaf"
                       "a\xe0\x80\xaf";

    (void)state;
    assert_int_equal(norm_apply(nm(), bad, sizeof(bad) - 1, (size_t)-1, &t), 0);
    assert_string_equal(t.buf, "\uFFFD\uFFFDa\uFFFD\uFFFD\uFFFD");
    assert_int_equal(t.orig_n_cp, 6);
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
        cmocka_unit_test(test_offset_map_composed_and_spaces),
        cmocka_unit_test(test_offset_map_astral),
        cmocka_unit_test(test_astral_agrees_with_opencc),
        cmocka_unit_test(test_invalid_utf8_and_limits),
        cmocka_unit_test(test_new_and_missing_config),
        cmocka_unit_test(test_utf8_decoder_table),
        cmocka_unit_test(test_overlong_is_replaced),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
