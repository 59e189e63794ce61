/*
 * The archive search engine (archive_query.h) over a real embedded archive filled with
 * archive_put() (search_fixture.h): the matcher decides every hit, unmatched items are found,
 * NEAR, negation, traditional -> simplified, width and case, filters, sorting, paging, caps,
 * highlights on the original text, stored matches, and the CSV export's quoting.
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

#include "archive_query.h"
#include "rule_expr.h"
#include "search_fixture.h"
#include "test_expect_json.h"
#include "yq_buf.h"
#include "yq_err.h"

static int setup(void **state)
{
    struct archive_fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    search_fixture_open(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    return archive_fixture_teardown(state);
}

/* Options over the fixture's last 30 days (the 40-day-old item is out of range). */
static struct archive_search_opts recent(void)
{
    struct archive_search_opts o;
    memset(&o, 0, sizeof(o));
    o.filter.since_s = SEARCH_FIXTURE_BASE - 30 * 86400;
    o.filter.until_s = SEARCH_FIXTURE_BASE;
    o.limit = 50;
    return o;
}

/* Search qtext with o; ids of the hits joined with ' ' into ids; returns the result. */
static void search(struct archive_fixture *f, const char *qtext,
                   const struct archive_search_opts *o, struct archive_search_result *res,
                   char *ids, size_t idlen)
{
    struct archive_query *q = NULL;
    char err[512] = "";

    if (archive_query_compile(qtext, &q, err, sizeof(err)) != 0) {
        fail_msg("compile '%s': %s", qtext, err);
    }
    if (archive_search(f->a, q, o, res, err, sizeof(err)) != 0) {
        fail_msg("search '%s': %s", qtext, err);
    }
    ids[0] = '\0';
    for (size_t i = 0; i < res->n_hits; i++) {
        size_t used = strlen(ids);
        snprintf(ids + used, idlen - used, "%s%s", i ? " " : "", res->hits[i].row.item.id);
    }
    archive_query_free(q);
}

/*
 * Every plan gives the same hits: as o says (a time-sorted query walks the fixture's short
 * range whole), the index only, and a walk abandoned at once for the index.
 */
static void expect_ids(struct archive_fixture *f, const char *qtext,
                       const struct archive_search_opts *o, const char *want, size_t total)
{
    for (int plan = 0; plan < 3; plan++) {
        struct archive_search_opts po = *o;
        struct archive_search_result res;
        char ids[1024];

        po.index_only = plan == 1;
        po.probe_rows = plan == 2 ? 1 : o->probe_rows;
        search(f, qtext, &po, &res, ids, sizeof(ids));
        if (strcmp(ids, want) != 0) {
            fail_msg("'%s' plan %d: got '%s', want '%s'", qtext, plan, ids, want);
        }
        assert_int_equal(res.total, total);
        assert_true(res.total_exact);
        if (qtext[0] && o->sort == ARCHIVE_SORT_TIME) {
            /* the walk answered only in plan 0 (the fixture's range is short) */
            assert_int_equal(res.walked, plan == 0);
        }
        archive_search_result_release(&res);
    }
}

static void test_compile_errors(void **state)
{
    struct archive_query *q = NULL;
    char err[512] = "", *big;

    (void)state;
    assert_int_equal(archive_query_compile("征地 &", &q, err, sizeof(err)), ERR_PARSE);
    assert_string_equal(err, "column 5: unexpected end of expression, expected a term");
    assert_null(q);
    assert_int_equal(archive_query_compile("(征地 | 拆迁", &q, err, sizeof(err)), ERR_PARSE);
    assert_string_equal(err, "column 9: expected ')' to close '(' at column 1");
    /* only a negation: true with no term present, as for a rule */
    assert_int_equal(archive_query_compile("!招聘", &q, err, sizeof(err)), ERR_INVALID);
    assert_int_equal(strncmp(err, "column 1: expression is true when no term occurs", 48), 0);
    /* a term of invisible characters only can never occur */
    assert_int_equal(archive_query_compile("征地 & \xE2\x80\x8B", &q, err, sizeof(err)),
                     ERR_INVALID);
    assert_string_equal(err, "term 2 of the expression has only invisible characters; it can "
                             "never match");
    big = malloc(RULE_EXPR_MAX_BYTES + 2);
    assert_non_null(big);
    memset(big, 'a', RULE_EXPR_MAX_BYTES + 1);
    big[RULE_EXPR_MAX_BYTES + 1] = '\0';
    assert_int_equal(archive_query_compile(big, &q, err, sizeof(err)), ERR_TOO_BIG);
    free(big);
    /* empty and blank queries admit everything: no narrowing */
    assert_int_equal(archive_query_compile(" \xE3\x80\x80 ", &q, err, sizeof(err)), 0);
    assert_null(archive_query_narrow(q));
    archive_query_free(q);
}

static void test_narrowing_is_normalised(void **state)
{
    struct archive_query *q = NULL;
    const struct archive_narrow *n, * or ;
    char err[512] = "";

    (void)state;
    assert_int_equal(
        archive_query_compile("徵地 & (補償 | ＷＩＦＩ) & !招聘", &q, err, sizeof(err)), 0);
    n = archive_query_narrow(q);
    assert_non_null(n);
    assert_int_equal(n->kind, ARCHIVE_NARROW_AND);
    assert_int_equal(n->n_kids, 2);
    assert_int_equal(n->kids[0]->kind, ARCHIVE_NARROW_TERM);
    assert_string_equal(n->kids[0]->term, "征地");
    or = n->kids[1];
    assert_int_equal(or->kind, ARCHIVE_NARROW_OR);
    assert_int_equal(or->n_kids, 2);
    assert_string_equal(or->kids[0]->term, "补偿");
    assert_string_equal(or->kids[1]->term, "wifi");
    archive_query_free(q);
}

static void test_finds_unmatched_items(void **state)
{
    struct archive_search_opts o = recent();
    /* every item with both terms, matched or not, the traditional one too; newest first */
    expect_ids(*state, "征地 & 补偿", &o, "weibo:1001 rss:a2 wx:b:1:1 rss:a4 weibo:1005 rss:a6", 6);
    o.filter.matched = 2;
    expect_ids(*state, "征地 & 补偿", &o, "rss:a2 wx:b:1:1 rss:a4 weibo:1005 rss:a6", 5);
    o.filter.matched = 1;
    expect_ids(*state, "征地 & 补偿", &o, "weibo:1001", 1);
}

static void test_near_negation_and_normalisation(void **state)
{
    struct archive_search_opts o = recent();
    /* rss:a4 has both terms 15 characters apart */
    expect_ids(*state, "NEAR/5(征地, 补偿)", &o, "weibo:1001 rss:a2 wx:b:1:1 weibo:1005 rss:a6", 5);
    expect_ids(*state, "NEAR/15(征地, 补偿)", &o,
               "weibo:1001 rss:a2 wx:b:1:1 rss:a4 weibo:1005 rss:a6", 6);
    expect_ids(*state, "征地 & 补偿 & !招聘", &o, "weibo:1001 rss:a2 wx:b:1:1 rss:a4 rss:a6", 5);
    /* traditional query, traditional and simplified text */
    expect_ids(*state, "徵地補償", &o, "weibo:1001 rss:a2 wx:b:1:1 weibo:1005 rss:a6", 5);
    /* width and case */
    expect_ids(*state, "wifi", &o, "weibo:1007", 1);
    expect_ids(*state, "ＷＩＦＩ", &o, "weibo:1007", 1);
    expect_ids(*state, "hyperlink", &o, "rss:a6", 1);
    /* invisible characters inside a query term are dropped like in a rule */
    expect_ids(*state, "征\xE2\x80\x8B地 & 招聘", &o, "weibo:1005", 1);
}

static void test_filters(void **state)
{
    struct archive_search_opts o = recent();

    o.filter.source = "rss";
    expect_ids(*state, "征地", &o, "rss:a2 rss:a4 rss:a6", 3);
    o.filter.source = NULL;
    o.filter.channel = "汉滨区网友";
    expect_ids(*state, "", &o, "weibo:1001 weibo:1007", 2);
    o.filter.channel = NULL;
    o.filter.department = "市自然资源局";
    expect_ids(*state, "", &o, "weibo:1001", 1);
    o.filter.department = NULL;
    o.filter.matched = 1;
    expect_ids(*state, "", &o, "weibo:1001 weibo:1007", 2);
    /* the time filter: the 40-day-old item only with a wider range */
    o = recent();
    expect_ids(*state, "纠纷", &o, "", 0);
    o.filter.since_s = SEARCH_FIXTURE_BASE - 60 * 86400;
    expect_ids(*state, "纠纷", &o, "rss:a8", 1);
    o.filter.until_s = SEARCH_FIXTURE_BASE - 3 * 3600 - 1; /* before: rss:a4 and older */
    o.filter.since_s = SEARCH_FIXTURE_BASE - 5 * 3600;
    expect_ids(*state, "", &o, "rss:a4 weibo:1005", 2);
}

static void test_sentiment_filter(void **state)
{
    struct archive_search_opts o = recent();
    struct archive_search_result all, neg;
    char ids[1024];
    size_t n_neg = 0;

    search(*state, "", &o, &all, ids, sizeof(ids));
    assert_int_equal(all.total, 7);
    for (size_t i = 0; i < all.n_hits; i++) {
        assert_true(all.hits[i].row.has_sentiment); /* put classifies every new item */
        n_neg += all.hits[i].row.sentiment == YQ_SENTIMENT_NEGATIVE;
    }
    o.filter.has_sentiment = true;
    o.filter.sentiment = YQ_SENTIMENT_NEGATIVE;
    search(*state, "", &o, &neg, ids, sizeof(ids));
    assert_int_equal(neg.total, n_neg);
    for (size_t i = 0; i < neg.n_hits; i++) {
        assert_int_equal(neg.hits[i].row.sentiment, YQ_SENTIMENT_NEGATIVE);
    }
    archive_search_result_release(&all);
    archive_search_result_release(&neg);
}

static void test_heat_sort_and_paging(void **state)
{
    struct archive_search_opts o = recent();
    struct archive_search_result res;
    char ids[1024];

    o.sort = ARCHIVE_SORT_HEAT;
    /* 290, 30, 1, then the zero-heat ones newest first */
    expect_ids(*state, "征地 & 补偿", &o, "weibo:1001 wx:b:1:1 weibo:1005 rss:a2 rss:a4 rss:a6", 6);
    o.offset = 1;
    o.limit = 2;
    expect_ids(*state, "征地 & 补偿", &o, "wx:b:1:1 weibo:1005", 6);
    o.sort = ARCHIVE_SORT_TIME;
    o.offset = 2;
    expect_ids(*state, "征地 & 补偿", &o, "wx:b:1:1 rss:a4", 6);
    o.offset = 6;
    expect_ids(*state, "征地 & 补偿", &o, "", 6);

    /* time sort: the count stops at the cap once the page is filled */
    o = recent();
    o.limit = 2;
    o.count_cap = 3;
    search(*state, "征地 & 补偿", &o, &res, ids, sizeof(ids));
    assert_string_equal(ids, "weibo:1001 rss:a2");
    assert_int_equal(res.total, 3);
    assert_false(res.total_exact);
    archive_search_result_release(&res);

    /* the walk stops once the page is filled and its budget spent: "at least 3" */
    o = recent();
    o.limit = 1;
    o.probe_rows = 3;
    search(*state, "征地 & 补偿", &o, &res, ids, sizeof(ids));
    assert_string_equal(ids, "weibo:1001");
    assert_true(res.walked);
    assert_int_equal(res.total, 3);
    assert_int_equal(res.candidates, 3);
    assert_false(res.total_exact);
    archive_search_result_release(&res);
    /* the same with the index: every hit counted */
    o.index_only = true;
    search(*state, "征地 & 补偿", &o, &res, ids, sizeof(ids));
    assert_string_equal(ids, "weibo:1001");
    assert_false(res.walked);
    assert_int_equal(res.total, 6);
    assert_true(res.total_exact);
    archive_search_result_release(&res);

    /* heat sort ranks only the newest heat_cap hits and says so */
    o = recent();
    o.sort = ARCHIVE_SORT_HEAT;
    o.heat_cap = 2;
    search(*state, "征地 & 补偿", &o, &res, ids, sizeof(ids));
    assert_string_equal(ids, "weibo:1001 rss:a2");
    assert_true(res.heat_capped);
    assert_false(res.total_exact);
    archive_search_result_release(&res);

    /* the candidate cap */
    o = recent();
    o.scan_cap = 2;
    search(*state, "", &o, &res, ids, sizeof(ids));
    assert_string_equal(ids, "weibo:1001 rss:a2");
    assert_true(res.scan_capped);
    assert_false(res.total_exact);
    assert_int_equal(res.candidates, 2);
    archive_search_result_release(&res);

    o = recent();
    o.limit = ARCHIVE_SEARCH_MAX_LIMIT + 1;
    {
        struct archive_query *q = NULL;
        char err[256] = "";
        assert_int_equal(archive_query_compile("征地", &q, err, sizeof(err)), 0);
        assert_int_equal(
            archive_search(((struct archive_fixture *)*state)->a, q, &o, &res, err, sizeof(err)),
            ERR_INVALID);
        archive_search_result_release(&res);
        archive_query_free(q);
    }
}

static void test_highlights_and_matches(void **state)
{
    struct archive_search_opts o = recent();
    struct archive_search_result res;
    char ids[1024];
    json_t *j;

    search(*state, "征地 & 补偿", &o, &res, ids, sizeof(ids));
    /* weibo:1001: 安康市汉滨区|征地补偿|款... : code points 6..10 merged */
    assert_int_equal(res.hits[0].n_title, 0);
    assert_int_equal(res.hits[0].n_text, 1);
    assert_int_equal(res.hits[0].text[0].start, 6);
    assert_int_equal(res.hits[0].text[0].end, 10);
    assert_int_equal(res.hits[0].row.n_matches, 1);
    assert_string_equal(res.hits[0].row.matches[0].rule_id, "land-01");
    assert_string_equal(res.hits[0].row.matches[0].event_key, "ev:E1");
    assert_int_equal(res.hits[0].row.heat, 290);
    /* wx:b:1:1, traditional: offsets into the ORIGINAL title 旬陽縣|徵地補償|爭議持續 */
    assert_string_equal(res.hits[2].row.item.id, "wx:b:1:1");
    assert_int_equal(res.hits[2].n_title, 1);
    assert_int_equal(res.hits[2].title[0].start, 3);
    assert_int_equal(res.hits[2].title[0].end, 7);
    /* rss:a4: two separate terms in the text */
    assert_string_equal(res.hits[3].row.item.id, "rss:a4");
    assert_int_equal(res.hits[3].n_text, 2); /* 征地 and 补偿, apart */
    assert_int_equal(res.hits[3].n_title, 1);
    assert_int_equal(res.hits[3].title[0].start, 2);
    assert_int_equal(res.hits[3].title[0].end, 4);

    j = archive_hit_json(&res.hits[0]);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "id")), "weibo:1001");
    assert_string_equal(json_string_value(json_object_get(j, "time")), "2026-11-19T23:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(j, "heat")), 290);
    assert_string_equal(json_string_value(test_json_at(j, "matches.0.department")), "市自然资源局");
    assert_string_equal(json_string_value(test_json_at(j, "matches.0.level")), "III");
    assert_int_equal(json_integer_value(test_json_at(j, "highlights.text.0.1")), 10);
    json_decref(j);
    archive_search_result_release(&res);

    /* the negated term is not highlighted */
    search(*state, "征地 & !招聘", &o, &res, ids, sizeof(ids));
    assert_string_equal(res.hits[0].row.item.id, "weibo:1001");
    assert_int_equal(res.hits[0].n_text, 1);
    assert_int_equal(res.hits[0].text[0].end, 8);
    archive_search_result_release(&res);
}

static void test_csv_field(void **state)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"plain", "plain"},
        {"", ""},
        {"a,b", "\"a,b\""},
        {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"two\r\nlines", "\"two\r\nlines\""},
        {"=1+1", "'=1+1"},
        {"+86", "'+86"},
        {"-2", "'-2"},
        {"@SUM(A1)", "'@SUM(A1)"},
        {"\tx", "'\tx"},
        {"=HYPERLINK(\"u\",\"x\")", "\"'=HYPERLINK(\"\"u\"\",\"\"x\"\")\""},
        {"中文，全角逗号", "中文，全角逗号"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct yq_buf b;
        yq_buf_init(&b, 1024);
        assert_int_equal(archive_csv_field(&b, cases[i].in), 0);
        assert_string_equal(b.data ? b.data : "", cases[i].out);
        yq_buf_release(&b);
    }
}

static void test_csv_export(void **state)
{
    struct archive_fixture *f = *state;
    struct archive_search_opts o = recent();
    struct archive_query *q = NULL;
    char err[512] = "", *csv = NULL;
    size_t len = 0, rows = 0;

    assert_int_equal(archive_query_compile("征地 & 补偿", &q, err, sizeof(err)), 0);
    assert_int_equal(archive_search_csv(f->a, q, &o, 0, &csv, &len, &rows, err, sizeof(err)), 0);
    assert_int_equal(rows, 6);
    assert_int_equal(strlen(csv), len);
    assert_int_equal(
        strncmp(csv, "时间,来源类型,来源,账号,作者,标题,正文,链接,热度,情感,命中规则,事件\r\n",
                strlen("时间,来源类型,来源,账号,作者,标题,正文,链接,热度,情感,命中规则,事件\r\n")),
        0);
    /* the first row: Beijing time, the matched rule and event */
    assert_non_null(strstr(csv, "\r\n2026-11-20 07:00,weibo,wb-hanbin,汉滨区网友,汉滨区网友,,"));
    assert_non_null(strstr(csv, ",290,"));
    assert_non_null(strstr(csv, ",land-01,ev:E1\r\n"));
    /* the hostile row: formula guarded and quoted, quotes doubled, the newline kept quoted */
    assert_non_null(strstr(csv,
                           ",\"'=HYPERLINK(\"\"http://evil\"\")\",\"含逗号,和\"\"引号\"\"的正文\n"
                           "第二行 征地补偿\","));
    free(csv);

    /* bounded rows */
    assert_int_equal(archive_search_csv(f->a, q, &o, 2, &csv, &len, &rows, err, sizeof(err)), 0);
    assert_int_equal(rows, 2);
    free(csv);
    archive_query_free(q);
}

/* FX(test): test with a fixture of its own: setup() before it, teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compile_errors),
        cmocka_unit_test(test_narrowing_is_normalised),
        FX(test_finds_unmatched_items),
        FX(test_near_negation_and_normalisation),
        FX(test_filters),
        FX(test_sentiment_filter),
        FX(test_heat_sort_and_paging),
        FX(test_highlights_and_matches),
        cmocka_unit_test(test_csv_field),
        FX(test_csv_export),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
