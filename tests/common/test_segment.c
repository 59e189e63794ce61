/* common/yq_segment: Chinese word segmentation over libfriso (issue #13, #14). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_segment.h"
#include "test_segment_fixture.h"

/* The words of text joined by '|' with their offsets: "安康市@0|..." (new string). */
static char *split_str(const char *text, size_t len, int *truncated)
{
    struct yq_segment_words w;
    char *out;
    size_t o = 0, cap = 1;

    assert_int_equal(yq_segment_split(test_seg, text, len, &w), 0);
    for (size_t i = 0; i < w.n; i++) {
        cap += strlen(w.v[i].text) + 48;
    }
    out = malloc(cap);
    assert_non_null(out);
    out[0] = '\0';
    for (size_t i = 0; i < w.n; i++) {
        o += (size_t)snprintf(out + o, cap - o, "%s%s@%zu+%zu", i ? "|" : "", w.v[i].text,
                              w.v[i].offset, w.v[i].len);
    }
    if (truncated) {
        *truncated = w.truncated;
    }
    yq_segment_words_release(&w);
    return out;
}

static void test_splits_chinese_with_byte_offsets(void **state)
{
    const char *t = "安康市汉滨区征地拆迁补偿款迟迟不到位，村民很愤怒。";
    char *s;
    int trunc = -1;

    (void)state;
    s = split_str(t, strlen(t), &trunc);
    assert_string_equal(s, "安康市@0+9|汉滨区@9+9|征地@18+6|拆迁@24+6|补偿@30+6|款@36+3|"
                           "迟迟@39+6|不@45+3|到位@48+6|村民@57+6|很@63+3|愤怒@66+6");
    assert_int_equal(trunc, 0);
    free(s);
}

/* Latin is lower-cased and full-width made half-width; len still counts the input's bytes. */
static void test_latin_and_full_width(void **state)
{
    const char *t = "Hello ＷＯＲＬＤ ２０２６";
    char *s;

    (void)state;
    s = split_str(t, strlen(t), NULL);
    assert_string_equal(s, "hello@0+5|world@6+15|2026@22+12");
    free(s);
}

/* Invalid bytes separate words and never reach the output; offsets stay the input's. */
static void test_invalid_utf8(void **state)
{
    const char t[] = "\xff\xfe中国\xE4\xB8人民\xC0\xAF abc\x01\x7f";
    struct yq_segment_words w;
    char *s;

    (void)state;
    s = split_str(t, sizeof(t) - 1, NULL);
    assert_string_equal(s, "中国@2+6|人民@10+6|abc@19+3");
    free(s);
    /* every word is a copy of well-formed input at its offset */
    assert_int_equal(yq_segment_split(test_seg, t, sizeof(t) - 1, &w), 0);
    for (size_t i = 0; i < w.n; i++) {
        assert_memory_equal(t + w.v[i].offset, w.v[i].text, w.v[i].len);
    }
    yq_segment_words_release(&w);
}

static void test_empty_nul_and_bad_arguments(void **state)
{
    struct yq_segment_words w;
    char *s;

    (void)state;
    s = split_str("", 0, NULL);
    assert_string_equal(s, "");
    free(s);
    s = split_str(NULL, 0, NULL);
    assert_string_equal(s, "");
    free(s);
    s = split_str("，。！ \n\t", 12, NULL);
    assert_string_equal(s, "");
    free(s);
    s = split_str("征地\0拆迁", 13, NULL); /* a NUL ends the text */
    assert_string_equal(s, "征地@0+6");
    free(s);
    assert_int_equal(yq_segment_split(NULL, "a", 1, &w), ERR_INVALID);
    assert_int_equal(yq_segment_split(test_seg, NULL, 3, &w), ERR_INVALID);
    assert_int_equal(w.n, 0);
    assert_int_equal(yq_segment_split(test_seg, "a", 1, NULL), ERR_INVALID);
    yq_segment_words_release(NULL);
}

/* Input over the bound is cut at a character boundary and reported. */
static void test_bounded_input(void **state)
{
    size_t n = YQ_SEGMENT_MAX_INPUT_BYTES + 4;
    char *big = malloc(n + 1);
    struct yq_segment_words w;
    size_t i;

    (void)state;
    assert_non_null(big);
    for (i = 0; i + 6 <= n; i += 6) {
        memcpy(big + i, "村民", 6); /* 262144 is not a multiple of 3: the cut is inside one */
    }
    memset(big + i, 'a', n - i);
    big[n] = '\0';
    assert_int_equal(yq_segment_split(test_seg, big, n, &w), 0);
    assert_int_equal(w.truncated, 1);
    assert_true(w.n > 0);
    /* 262140..262145 is 村民: the cut at 262144 falls inside 民, so only 村 remains */
    assert_string_equal(w.v[w.n - 1].text, "村");
    assert_int_equal(w.v[w.n - 1].offset, 262140);
    assert_int_equal(w.v[w.n - 1].len, 3);
    yq_segment_words_release(&w);
    free(big);
}

static void test_missing_dictionary(void **state)
{
    struct yq_segment *s = (struct yq_segment *)1;
    char err[256] = "";
    char longdir[4100];

    (void)state;
    assert_int_equal(yq_segment_open("/nonexistent/friso", &s, err, sizeof(err)), ERR_NOT_FOUND);
    assert_null(s);
    assert_string_equal(err, "segmenter dictionary /nonexistent/friso/friso.lex.ini is missing "
                             "or unreadable (install friso-dict)");
    memset(longdir, 'a', sizeof(longdir) - 1);
    longdir[sizeof(longdir) - 1] = '\0';
    assert_int_equal(yq_segment_open(longdir, &s, err, sizeof(err)), ERR_INVALID);
    assert_int_equal(yq_segment_open(NULL, NULL, err, sizeof(err)), ERR_INVALID);
    yq_segment_close(NULL);
}

/* One handle, several threads at once: each gets the same words as alone. */
static void *split_in_thread(void *arg)
{
    const char *t = "汉滨区回应征地拆迁补偿问题，将依法保障村民合法权益。";
    char *expect = arg;
    int ok = 1;

    for (int i = 0; i < 200 && ok; i++) {
        struct yq_segment_words w;
        char buf[512];
        size_t o = 0;

        if (yq_segment_split(test_seg, t, strlen(t), &w) != 0) {
            return NULL;
        }
        buf[0] = '\0';
        for (size_t k = 0; k < w.n && o < sizeof(buf); k++) {
            o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s", k ? "|" : "", w.v[k].text);
        }
        ok = strcmp(buf, expect) == 0;
        yq_segment_words_release(&w);
    }
    return ok ? arg : NULL;
}

static void test_threads_share_a_handle(void **state)
{
    char expect[] = "汉滨区|回应|征地|拆迁|补偿|问题|将|依法|保障|村民|合法权益";
    pthread_t th[4];

    (void)state;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, split_in_thread, expect), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *r = NULL;

        assert_int_equal(pthread_join(th[i], &r), 0);
        assert_ptr_equal(r, expect);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_splits_chinese_with_byte_offsets),
        cmocka_unit_test(test_latin_and_full_width),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_empty_nul_and_bad_arguments),
        cmocka_unit_test(test_bounded_input),
        cmocka_unit_test(test_missing_dictionary),
        cmocka_unit_test(test_threads_share_a_handle),
    };
    return cmocka_run_group_tests(tests, test_segment_setup, test_segment_teardown);
}
