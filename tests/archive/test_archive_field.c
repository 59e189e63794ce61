/*
 * The archive searched the way an analyst searches it (field review of issue #14): Chinese
 * words of two characters, a word inside a longer one, mixed Chinese and Latin, digits,
 * traditional and full-width characters, one character, zero-width characters, text that is
 * FTS5 or SQL syntax (searched as text, or refused by the rule language's parser, never an
 * index or SQL error), Beijing month boundaries and items without a publication time; and a
 * batch holding an item or an alert no store could index (an overlong key), which is refused
 * while the rest is stored. Every query runs with both plans (walk and index); the test runs
 * again as test_archive_field-pg on PostgreSQL, with the same expected hits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive_fixture.h"
#include "archive_query.h"
#include "yq_err.h"
#include "yq_item.h"
#include "yq_time.h"

/* 2026-11-20T00:00:00Z */
#define BASE INT64_C(1795132800)

/* Beijing midnight starting day d of month m of 2026, seconds UTC. */
static int64_t bj_midnight(unsigned m, unsigned d)
{
    return yq_time_days_from_civil(2026, m, d) * 86400 - YQ_SHANGHAI_OFFSET_S;
}

struct sample {
    const char *id, *title, *text;
    int64_t published; /* seconds UTC; 0: no publication time */
    int64_t fetched;
};

/* clang-format off */
static const struct sample samples[] = {
    {"f:zhengshou", "", "县政府发布征收公告，涉及三个村", BASE - 3600, BASE - 3500},
    {"f:ankang", "安康市召开会议", "会议在安康召开", BASE - 7200, BASE - 7100},
    {"f:5g", "", "新建5G基站遭村民反对", BASE - 3 * 3600, BASE - 3 * 3600 + 60},
    {"f:digits", "", "2026年补偿标准为每亩12000元", BASE - 4 * 3600, BASE - 4 * 3600 + 60},
    {"f:trad", "", "徵收補償爭議", BASE - 5 * 3600, BASE - 5 * 3600 + 60},
    {"f:full", "", "ＡＢＣ公司", BASE - 6 * 3600, BASE - 6 * 3600 + 60},
    {"f:fts", "", "He said \"AND\" OR NOT title:征地 NEAR(x) * ^征地 'q' \\ ; -- (括号",
     BASE - 7 * 3600, BASE - 7 * 3600 + 60},
    /* no publication time: filed and found by its fetch time */
    {"f:notime", "", "没有发布时间的征收消息", 0, BASE - 8 * 3600},
    {"f:zw", "", "征\xE2\x80\x8B收通知", BASE - 9 * 3600, BASE - 9 * 3600 + 60},
    /* 2026-11-30T23:30+08:00 is November in Beijing (15:30 UTC) */
    {"f:nov-end", "", "月末征收", INT64_C(1796052600), INT64_C(1796052600) + 60},
    /* 2026-12-01T00:10+08:00 is December (still 30 November in UTC) */
    {"f:dec-start", "", "月初征收", INT64_C(1796055000), INT64_C(1796055000) + 60},
};
/* clang-format on */
#define N_SAMPLES (sizeof(samples) / sizeof(samples[0]))

static void make_item(struct yq_item *it, const char *id, const char *title, const char *text,
                      int64_t published, int64_t fetched, const char *channel,
                      const char *source_id)
{
    const struct yq_item b = {.id = (char *)id,
                              .source = "rss",
                              .source_id = (char *)source_id,
                              .channel = (char *)channel,
                              .url = "https://example.org/x",
                              .title = (char *)title,
                              .text = (char *)text,
                              .author = "a",
                              .has_published = published != 0,
                              .published_at = published,
                              .precision = "second",
                              .fetched_at = fetched};
    assert_int_equal(yq_item_copy(it, &b), 0);
}

static int setup(void **state)
{
    struct archive_fixture *f = calloc(1, sizeof(*f));
    const struct yq_item *ip[N_SAMPLES];
    struct yq_item items[N_SAMPLES];
    struct archive_put_result res;
    char err[512] = "";

    assert_non_null(f);
    archive_fixture_open(f);
    for (size_t i = 0; i < N_SAMPLES; i++) {
        const struct sample *s = &samples[i];
        make_item(&items[i], s->id, s->title, s->text, s->published, s->fetched, "ch", "src");
        ip[i] = &items[i];
    }
    if (archive_put(f->a, ip, N_SAMPLES, NULL, 0, &res, err, sizeof(err)) != 0) {
        fail_msg("archive_put: %s", err);
    }
    assert_int_equal(res.items_new, N_SAMPLES);
    for (size_t i = 0; i < N_SAMPLES; i++) {
        yq_item_release(&items[i]);
    }
    *state = f;
    return 0;
}

/* Number of ' '-separated ids in s. */
static size_t count_ids(const char *s)
{
    size_t n = s[0] ? 1 : 0;
    for (; *s; s++) {
        n += *s == ' ';
    }
    return n;
}

/*
 * Search qtext over [since, until) (0: open) with the walk and with the index only; both
 * must give want (ids newest first, ' '-separated) and count them exactly.
 */
static void expect_range(struct archive_fixture *f, const char *qtext, int64_t since,
                         int64_t until, const char *want)
{
    for (int plan = 0; plan < 2; plan++) {
        struct archive_query *q = NULL;
        struct archive_search_opts o;
        struct archive_search_result res;
        char err[512] = "", ids[2048] = "";

        if (archive_query_compile(qtext, &q, err, sizeof(err)) != 0) {
            fail_msg("compile '%s': %s", qtext, err);
        }
        memset(&o, 0, sizeof(o));
        o.filter.since_s = since;
        o.filter.until_s = until;
        o.limit = 100;
        o.index_only = plan == 1;
        if (archive_search(f->a, q, &o, &res, err, sizeof(err)) != 0) {
            fail_msg("search '%s' plan %d: %s", qtext, plan, err);
        }
        for (size_t i = 0; i < res.n_hits; i++) {
            size_t used = strlen(ids);
            snprintf(ids + used, sizeof(ids) - used, "%s%s", i ? " " : "",
                     res.hits[i].row.item.id);
        }
        if (strcmp(ids, want) != 0) {
            fail_msg("'%s' plan %d: got '%s', want '%s'", qtext, plan, ids, want);
        }
        assert_int_equal(res.total, count_ids(want));
        assert_true(res.total_exact);
        archive_search_result_release(&res);
        archive_query_free(q);
    }
}

static void expect_ids(struct archive_fixture *f, const char *qtext, const char *want)
{
    expect_range(f, qtext, 0, 0, want);
}

/* Every item holding 征收 after normalisation, newest first. */
#define ZHENGSHOU "f:dec-start f:nov-end f:zhengshou f:trad f:notime f:zw"

static void test_chinese_words(void **state)
{
    /* a two-character word, traditional in the text or in the query */
    expect_ids(*state, "征收", ZHENGSHOU);
    expect_ids(*state, "徵收", ZHENGSHOU);
    /* a word inside a longer one, whatever a segmenter would make of either */
    expect_ids(*state, "安康市", "f:ankang");
    expect_ids(*state, "安康", "f:ankang");
    expect_ids(*state, "征收公告", "f:zhengshou");
    /* a phrase is its normalised text: a space between two Chinese characters is dropped
     * there as in the items (docs/matching.md), one next to a Latin letter or digit must be
     * in the text */
    expect_ids(*state, "\"征收 公告\"", "f:zhengshou");
    expect_ids(*state, "\"安康 市\"", "f:ankang");
    expect_ids(*state, "\"5G 基站\"", "");
    /* mixed Chinese and Latin, full width, case, digits */
    expect_ids(*state, "5G基站", "f:5g");
    expect_ids(*state, "５Ｇ基站", "f:5g");
    expect_ids(*state, "5g", "f:5g");
    expect_ids(*state, "12000", "f:digits");
    expect_ids(*state, "１２０００", "f:digits");
    expect_ids(*state, "每畝12000", "f:digits");
    expect_ids(*state, "2026年", "f:digits");
    expect_ids(*state, "abc", "f:full");
    expect_ids(*state, "ＡＢＣ", "f:full");
    /* one character: the index cannot narrow, the matcher decides (a substring) */
    expect_ids(*state, "征", "f:dec-start f:nov-end f:zhengshou f:trad f:fts f:notime f:zw");
    expect_ids(*state, "市", "f:ankang");
    /* a zero-width character inside the text or the query counts for nothing */
    expect_ids(*state, "征收通知", "f:zw");
    expect_ids(*state, "收\xE2\x80\x8B通", "f:zw");
    expect_ids(*state, "NEAR/2(征, 收)", ZHENGSHOU);
    /* empty: every item */
    expect_range(*state, "", 0, 0,
                 "f:dec-start f:nov-end f:zhengshou f:ankang f:5g f:digits f:trad f:full f:fts "
                 "f:notime f:zw");
}

static void test_fts_and_sql_syntax_is_text(void **state)
{
    static const char *const as_text[] = {
        "AND",   "OR",        "NOT",     "NEAR",   "\"AND\"",     "title:征地", "\"title:征地\"",
        "^征地", "\"^征地\"", "*",       "^",      "'",           "\\",         ";",
        "--",    "'q'",       "\"* ^\"", "（括号", "\"\\ ; --\"", "\"'q' \\\"",
    };
    /* the rule language's own syntax errors: refused with a column, before any store is asked */
    static const struct {
        const char *q, *err;
    } refused[] = {
        {"(征地", "column 4: expected ')' to close '(' at column 1"},
        {"征地)", "column 3: unmatched ')'"},
        {"\"", "column 1: unterminated quoted phrase"},
        {"\"\"", "column 1: empty quoted phrase"},
        {"征地 补偿", "column 4: expected '&' or '|' before this"},
        {"' OR 1=1 --", "column 3: expected '&' or '|' before this"},
        {"NEAR(征地", "column 5: expected '&' or '|' before this"},
    };

    for (size_t i = 0; i < sizeof(as_text) / sizeof(as_text[0]); i++) {
        expect_ids(*state, as_text[i], "f:fts");
    }
    /* the characters of FTS5 syntax with nothing around them match literally: no such text */
    expect_ids(*state, "征*", "");
    expect_ids(*state, "x:y", "");
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        struct archive_query *q = NULL;
        char err[512] = "";
        assert_int_equal(archive_query_compile(refused[i].q, &q, err, sizeof(err)), ERR_PARSE);
        assert_null(q);
        assert_string_equal(err, refused[i].err);
    }
}

static void test_beijing_month_boundaries(void **state)
{
    const int64_t nov1 = bj_midnight(11, 1), dec1 = bj_midnight(12, 1);

    /* 23:30 on 30 November Beijing time is November; 00:10 on 1 December is not */
    expect_range(*state, "征收", nov1, dec1, "f:nov-end f:zhengshou f:trad f:notime f:zw");
    expect_range(*state, "征收", dec1, 0, "f:dec-start");
    expect_range(*state, "", dec1, 0, "f:dec-start");
    /* the last Beijing day of November: [30 Nov 00:00, 1 Dec 00:00) +08:00 */
    expect_range(*state, "", bj_midnight(11, 30), dec1, "f:nov-end");
    /* an item without a publication time is filed by its fetch time */
    expect_range(*state, "", BASE - 8 * 3600, BASE - 8 * 3600 + 1, "f:notime");
}

/* An item and an alert whose keys no store can index are refused; the rest is stored. */
static void test_overlong_keys_refused_rest_stored(void **state)
{
    struct archive_fixture *f = *state;
    const size_t big_len = 200000;
    char *big = malloc(big_len + 1), err[512] = "";
    struct yq_item items[5];
    const struct yq_item *ip[5];
    struct yq_alert al[2];
    const struct yq_alert *ap[2] = {&al[0], &al[1]};
    struct archive_put_result res;
    struct archive_row row;
    unsigned seed = 12345;

    assert_non_null(big);
    /* letters that do not compress: PostgreSQL would refuse the index row */
    for (size_t i = 0; i < big_len; i++) {
        seed = seed * 1103515245u + 12345u;
        big[i] = (char)('a' + (seed >> 16) % 26);
    }
    big[big_len] = '\0';
    make_item(&items[0], "k:ok1", "", "征收", BASE, BASE, "ch", "src");
    make_item(&items[1], "k:channel", "", "征收", BASE, BASE, big, "src");
    make_item(&items[2], big, "", "征收", BASE, BASE, "ch", "src");
    make_item(&items[3], "k:source", "", "征收", BASE, BASE, "ch", big);
    make_item(&items[4], "k:ok2", "", "征收", BASE, BASE, "ch", "src");
    for (size_t i = 0; i < 5; i++) {
        ip[i] = &items[i];
    }
    for (size_t i = 0; i < 2; i++) {
        memset(&al[i], 0, sizeof(al[i]));
        make_item(&al[i].item, "k:ok1", "", "征收", BASE, BASE, "ch", "src");
        al[i].event_key = strdup(i == 0 ? "ev:k" : big);
        al[i].n_matches = 1;
        al[i].matches = calloc(1, sizeof(*al[i].matches));
        assert_non_null(al[i].event_key);
        assert_non_null(al[i].matches);
        al[i].matches[0].rule_id = strdup(i == 0 ? "r1" : "r2");
        al[i].matches[0].group = strdup("g");
        al[i].matches[0].department = strdup("市自然资源局");
        al[i].matches[0].level = YQ_LEVEL_IV;
    }
    if (archive_put(f->a, ip, 5, ap, 2, &res, err, sizeof(err)) != 0) {
        fail_msg("a batch with overlong keys was not stored: %s", err);
    }
    assert_int_equal(res.items_new, 2);
    assert_int_equal(res.items_refused, 4);
    assert_int_equal(res.matches_new, 1);
    assert_int_equal(archive_get(f->a, "k:ok2", &row, err, sizeof(err)), 0);
    archive_row_release(&row);
    assert_int_equal(archive_get(f->a, "k:ok1", &row, err, sizeof(err)), 0);
    assert_int_equal(row.n_matches, 1);
    assert_string_equal(row.matches[0].event_key, "ev:k");
    archive_row_release(&row);
    assert_int_equal(archive_get(f->a, "k:channel", &row, err, sizeof(err)), ERR_NOT_FOUND);
    assert_int_equal(archive_get(f->a, "k:source", &row, err, sizeof(err)), ERR_NOT_FOUND);
    /* at the limits exactly: stored */
    big[ARCHIVE_MAX_KEY_BYTES] = '\0';
    yq_item_release(&items[0]);
    make_item(&items[0], big, "", "征收", BASE, BASE, "ch", big);
    big[YQ_ITEM_MAX_CHANNEL_BYTES] = '\0';
    free(items[0].channel);
    items[0].channel = strdup(big);
    assert_non_null(items[0].channel);
    if (archive_put(f->a, ip, 1, NULL, 0, &res, err, sizeof(err)) != 0) {
        fail_msg("keys at the limits: %s", err);
    }
    assert_int_equal(res.items_new, 1);
    for (size_t i = 0; i < 5; i++) {
        yq_item_release(&items[i]);
    }
    for (size_t i = 0; i < 2; i++) {
        yq_alert_release(&al[i]);
    }
    free(big);
}

/*
 * A Weibo post first sent as its preview (truncated, the long text not fetched yet) and sent
 * again completed, same id (collectors/poller_weibo.c): the archive keeps the completed text,
 * so that a search and a backtest see what the live matcher matched. A preview arriving after
 * the completed post changes nothing.
 */
static void test_completed_delivery_replaces_preview(void **state)
{
    struct archive_fixture *f = *state;
    struct yq_item preview, full, late;
    const struct yq_item *ip[1];
    struct archive_put_result res;
    struct archive_row row;
    char err[512] = "";

    make_item(&preview, "weibo:long1", "", "村民反映征收补偿款", BASE, BASE, "ch", "src");
    preview.truncated = true;
    make_item(&full, "weibo:long1", "",
              "村民反映征收补偿款至今未到位，涉及安康市汉滨区三个村的五十余户", BASE, BASE + 600,
              "ch", "src");
    ip[0] = &preview;
    assert_int_equal(archive_put(f->a, ip, 1, NULL, 0, &res, err, sizeof(err)), 0);
    assert_int_equal(res.items_new, 1);
    expect_ids(f, "五十余户", "");
    ip[0] = &full;
    if (archive_put(f->a, ip, 1, NULL, 0, &res, err, sizeof(err)) != 0) {
        fail_msg("completed delivery: %s", err);
    }
    assert_int_equal(res.items_new, 0);
    assert_int_equal(res.items_completed, 1);
    assert_int_equal(res.items_dup, 0);
    assert_int_equal(archive_get(f->a, "weibo:long1", &row, err, sizeof(err)), 0);
    assert_string_equal(row.item.text, full.text);
    assert_false(row.item.truncated);
    archive_row_release(&row);
    /* found by the words of the full text, through the index and by the walk */
    expect_ids(f, "五十余户", "weibo:long1");
    expect_ids(f, "汉滨区 & 征收补偿", "weibo:long1");
    /* once complete, a late preview or a redelivery changes nothing */
    make_item(&late, "weibo:long1", "", "村民反映征收", BASE, BASE + 1200, "ch", "src");
    late.truncated = true;
    ip[0] = &late;
    assert_int_equal(archive_put(f->a, ip, 1, NULL, 0, &res, err, sizeof(err)), 0);
    assert_int_equal(res.items_dup, 1);
    ip[0] = &full;
    assert_int_equal(archive_put(f->a, ip, 1, NULL, 0, &res, err, sizeof(err)), 0);
    assert_int_equal(res.items_dup, 1);
    assert_int_equal(res.items_completed, 0);
    assert_int_equal(archive_get(f->a, "weibo:long1", &row, err, sizeof(err)), 0);
    assert_string_equal(row.item.text, full.text);
    archive_row_release(&row);
    expect_ids(f, "五十余户", "weibo:long1");
    yq_item_release(&preview);
    yq_item_release(&full);
    yq_item_release(&late);
}

/* Preview and completed post in one batch, in that order: the completed text is kept. */
static void test_preview_and_completed_in_one_batch(void **state)
{
    struct archive_fixture *f = *state;
    struct yq_item preview, full;
    const struct yq_item *ip[2] = {&preview, &full};
    struct archive_put_result res;
    struct archive_row row;
    char err[512] = "";

    make_item(&preview, "weibo:long2", "", "停水通知", BASE, BASE, "ch", "src");
    preview.truncated = true;
    make_item(&full, "weibo:long2", "", "停水通知：城区明日停水八小时", BASE, BASE + 60, "ch",
              "src");
    assert_int_equal(archive_put(f->a, ip, 2, NULL, 0, &res, err, sizeof(err)), 0);
    assert_int_equal(res.items_new, 1);
    assert_int_equal(res.items_completed, 1);
    assert_int_equal(archive_get(f->a, "weibo:long2", &row, err, sizeof(err)), 0);
    assert_string_equal(row.item.text, full.text);
    archive_row_release(&row);
    expect_ids(f, "八小时", "weibo:long2");
    yq_item_release(&preview);
    yq_item_release(&full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chinese_words, setup, archive_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fts_and_sql_syntax_is_text, setup,
                                        archive_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_beijing_month_boundaries, setup,
                                        archive_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_overlong_keys_refused_rest_stored,
                                        archive_fixture_setup, archive_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_completed_delivery_replaces_preview,
                                        archive_fixture_setup, archive_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_preview_and_completed_in_one_batch,
                                        archive_fixture_setup, archive_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
