/*
 * The annex 监测盲区 and the detected/hand-entered response count (stats_blind.h, issue #15)
 * on the worked example of docs/statistics.md ("监测盲区"): the month 2026-12 (Asia/Shanghai)
 * reported at 2026-12-10 12:00 Beijing time (the cut-off), with
 *   ankang-gov-news  failing 11-30 18:00 .. 12-01 10:00  (crosses the month start: 10 h count)
 *                    walled  12-03 08:00 .. 14:00, stale 12-03 12:00 .. 18:00 (overlap: 10 h)
 *   ankang-weibo     quiet   open since 12-09 12:00 (runs to the cut-off: 24 h);
 *                    unpolled from 12-10 13:00 (after the cut-off: not counted)
 *   ankang-jyj       failing 12-10 08:00 .. 16:00 (ends after the cut-off: 4 h, open at it)
 *   ankang-old       walled  11-20 .. 11-21 (before the month: absent)
 * (Beijing times) and one ticket with two responses, one of them confirmed from a proposal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notifier_fixture.h"
#include "sqlite_fixture.h"
#include "stats.h"
#include "stats_blind.h"
#include "stats_render.h"
#include "test_expect.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_db.h"

#define H 3600

static int64_t ts(const char *s)
{
    int64_t t = 0;
    assert_int_equal(yq_time_parse_iso(s, &t, NULL), 0);
    return t;
}

/* The example's windows (Beijing times). */
static const struct {
    const char *id, *name, *reason, *start, *end;
} example[] = {
    {"ankang-gov-news", "安康市人民政府 · 政务要闻", "failing", "2026-11-30T18:00:00+08:00",
     "2026-12-01T10:00:00+08:00"},
    {"ankang-gov-news", "安康市人民政府 · 政务要闻", "walled", "2026-12-03T08:00:00+08:00",
     "2026-12-03T14:00:00+08:00"},
    {"ankang-gov-news", "", "stale", "2026-12-03T12:00:00+08:00", "2026-12-03T18:00:00+08:00"},
    {"ankang-weibo", "安康发布", "quiet", "2026-12-09T12:00:00+08:00", NULL},
    {"ankang-weibo", "安康发布", "unpolled", "2026-12-10T13:00:00+08:00",
     "2026-12-10T15:00:00+08:00"},
    {"ankang-jyj", "安康市教育局<script>", "failing", "2026-12-10T08:00:00+08:00",
     "2026-12-10T16:00:00+08:00"},
    {"ankang-old", "旧源", "walled", "2026-11-20T00:00:00+08:00", "2026-11-21T00:00:00+08:00"},
};
#define N_EXAMPLE (sizeof(example) / sizeof(example[0]))
#define CUTOFF "2026-12-10T12:00:00+08:00"

/* A month report of 2026-12 at the example's cut-off, with no ticket (the annex only). */
static struct stats_report *empty_report(const char *department)
{
    struct stats_opts o = {.period = STATS_PERIOD_MONTH,
                           .year = 2026,
                           .month = 12,
                           .now = ts(CUTOFF),
                           .department = department};
    struct stats_report *r = NULL;

    assert_int_equal(stats_compute(NULL, 0, &o, &r), 0);
    return r;
}

static void test_worked_example_exact_hours(void **state)
{
    struct stats_blind_window w[N_EXAMPLE];
    struct stats_report *r = empty_report(NULL);
    const struct stats_blind *bl;

    (void)state;
    for (size_t i = 0; i < N_EXAMPLE; i++) {
        w[i].source_id = example[i].id;
        w[i].source_name = example[i].name;
        assert_int_equal(yq_blind_reason_parse(example[i].reason, &w[i].reason), 0);
        w[i].started_at = ts(example[i].start);
        w[i].ended_at = example[i].end ? ts(example[i].end) : 0;
    }
    assert_int_equal(stats_blind_compute(r, w, N_EXAMPLE, true), 0);
    bl = r->blind;
    assert_int_equal(bl->absent, STATS_BLIND_PRESENT);
    assert_int_equal(bl->n_sources, 3);
    /* sorted by hours blind */
    assert_string_equal(bl->sources[0].source_id, "ankang-weibo");
    assert_int_equal(bl->sources[0].blind_s, 24 * H);
    assert_int_equal(bl->sources[0].longest_s, 24 * H);
    assert_int_equal(bl->sources[0].reason_s[YQ_BLIND_QUIET], 24 * H);
    assert_int_equal(bl->sources[0].reason_s[YQ_BLIND_UNPOLLED], 0);
    assert_int_equal(bl->sources[0].windows, 1);
    assert_true(bl->sources[0].open);

    assert_string_equal(bl->sources[1].source_id, "ankang-gov-news");
    assert_string_equal(bl->sources[1].name, "安康市人民政府 · 政务要闻");
    assert_int_equal(bl->sources[1].blind_s, 20 * H); /* 10 h + the union 08:00..18:00 */
    assert_int_equal(bl->sources[1].longest_s, 10 * H);
    assert_int_equal(bl->sources[1].reason_s[YQ_BLIND_FAILING], 10 * H);
    assert_int_equal(bl->sources[1].reason_s[YQ_BLIND_WALLED], 6 * H);
    assert_int_equal(bl->sources[1].reason_s[YQ_BLIND_STALE], 6 * H);
    assert_int_equal(bl->sources[1].windows, 3);
    assert_false(bl->sources[1].open);

    assert_string_equal(bl->sources[2].source_id, "ankang-jyj");
    assert_int_equal(bl->sources[2].blind_s, 4 * H);
    assert_true(bl->sources[2].open); /* ended after the cut-off: open at it */

    assert_int_equal(bl->total_s, 48 * H);
    assert_int_equal(bl->longest_s, 24 * H);
    assert_int_equal(bl->windows, 5);
    assert_int_equal(stats_blind_compute(r, w, N_EXAMPLE, true), ERR_BAD_STATE);
    stats_report_free(r);

    /* a report of one department has no annex; a store without windows says so */
    r = empty_report("市教育局");
    assert_int_equal(stats_blind_compute(r, w, N_EXAMPLE, true), 0);
    assert_int_equal(r->blind->absent, STATS_BLIND_DEPARTMENT);
    stats_report_free(r);
    r = empty_report(NULL);
    assert_int_equal(stats_blind_compute(r, NULL, 0, false), 0);
    assert_int_equal(r->blind->absent, STATS_BLIND_NO_DATA);
    stats_report_free(r);
    /* a window without a source is refused */
    r = empty_report(NULL);
    w[0].source_id = "";
    assert_int_equal(stats_blind_compute(r, w, N_EXAMPLE, true), ERR_INVALID);
    assert_null(r->blind);
    stats_report_free(r);
    assert_int_equal(stats_blind_tenths(3 * H + 3 * 60), 31);
    assert_int_equal(stats_blind_tenths(179), 0);
    assert_int_equal(stats_blind_tenths(180), 1);
}

/* The example in a ticket store file, with one ticket and its two responses. */
struct env {
    struct notifier_tmp_store t;
};

static void fill_store(struct env *e)
{
    static const struct test_alert_spec spec = TEST_ALERT_LAND(
        "ev:blind", "rss:blind1", "III", "2026-12-02T01:00:00Z", "2026-12-02T00:30:00Z", 30.0);
    struct ticket_store *store = NULL;
    struct ticket_action a;
    char err[256] = "", sql[1024];
    struct yq_db *db;

    notifier_tmp_store_create(&e->t, "tickets.db");
    assert_int_equal(ticket_store_open(&e->t.cfg, &store, err, sizeof(err)), 0);
    ticket_store_set_policy(store, notifier_policy_hand_over_all());
    assert_int_equal(notifier_intake(store, &spec, ts("2026-12-02T01:00:00Z"), NULL), 0);
    memset(&a, 0, sizeof(a));
    a.kind = TICKET_ACT_ACK;
    a.number = "YQ-2026-12-0001";
    a.actor = "wang";
    notifier_apply_ok(store, &a, ts("2026-12-02T02:00:00Z"), NULL);
    a.kind = TICKET_ACT_RESPOND;
    a.channel = "网站";
    a.url = "https://www.ankang.gov.cn/a/1.html";
    a.responded_at = ts("2026-12-02T05:00:00Z");
    notifier_apply_ok(store, &a, ts("2026-12-04T00:00:00Z"), NULL);
    a.channel = "政务微博";
    a.url = "https://weibo.com/ankangfabu/1";
    a.responded_at = ts("2026-12-03T01:00:00Z");
    notifier_apply_ok(store, &a, ts("2026-12-04T00:00:00Z"), NULL);
    ticket_store_free(store);

    assert_int_equal(yq_db_open(e->t.path, YQ_DB_CREATE, 5000, &db, NULL, 0), YQ_DB_OK);
    for (size_t i = 0; i < N_EXAMPLE; i++) {
        char end[32] = "NULL";
        if (example[i].end) {
            snprintf(end, sizeof(end), "%lld", (long long)ts(example[i].end));
        }
        snprintf(sql, sizeof(sql),
                 "INSERT INTO source_blind_windows (source_id, source_name, reason, started_at, "
                 "ended_at, opened_at) VALUES ('%s', '%s', '%s', %lld, %s, %lld)",
                 example[i].id, example[i].name, example[i].reason, (long long)ts(example[i].start),
                 end, (long long)ts(example[i].start));
        sqlite_fixture_exec(db, sql);
    }
    /* the 政务微博 response came from a confirmed proposal; a rejected one names nothing */
    sqlite_fixture_exec(
        db, "INSERT INTO official_posts (item_id, source_id, department, response_channel, "
            "fetched_at, received_at) VALUES ('weibo:1', 'ankang-weibo', '安康市人民政府办公室', "
            "'政务微博', 0, 0), ('weibo:2', 'ankang-weibo', '安康市人民政府办公室', '政务微博', "
            "0, 0)");
    sqlite_fixture_exec(
        db, "INSERT INTO response_proposals (ticket_id, post_id, score, state, proposed_at, "
            "response_id) SELECT t.id, 1, 0.9, 'confirmed', 0, r.id FROM tickets t JOIN "
            "ticket_responses r ON r.ticket_id = t.id AND r.channel = '政务微博'");
    sqlite_fixture_exec(
        db, "INSERT INTO response_proposals (ticket_id, post_id, score, state, proposed_at) "
            "SELECT id, 2, 0.5, 'rejected', 0 FROM tickets");
    yq_db_close(db);
}

static char *render(struct env *e, enum stats_format fmt, const char *department)
{
    struct yq_db *db = NULL;
    char *out = NULL, err[256] = "";

    assert_int_equal(yq_db_open(e->t.path, YQ_DB_READONLY_OPEN, 5000, &db, NULL, 0), YQ_DB_OK);
    if (stats_render_month(db, 2026, 12, ts(CUTOFF), department, NULL, fmt, &out, NULL, err,
                           sizeof(err)) != 0) {
        fail_msg("render: %s", err);
    }
    yq_db_close(db);
    return out;
}

static void test_annex_from_store_every_format(void **state)
{
    struct env e;
    json_t *j, *src, *total;
    char *out;

    (void)state;
    fill_store(&e);

    out = render(&e, STATS_FORMAT_JSON, NULL);
    j = json_loads(out, 0, NULL);
    assert_non_null(j);
    free(out);
    src = json_object_get(json_object_get(j, "blind_spots"), "sources");
    assert_int_equal(json_array_size(src), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(src, 0), "source_id")),
                        "ankang-weibo");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(src, 0), "blind_s")),
                     24 * H);
    assert_true(json_real_value(json_object_get(json_array_get(src, 1), "hours")) == 20.0);
    assert_int_equal(json_array_size(json_object_get(json_array_get(src, 1), "reasons")), 3);
    assert_string_equal(
        json_string_value(json_object_get(
            json_array_get(json_object_get(json_array_get(src, 1), "reasons"), 1), "label")),
        "需要重新登录");
    total = json_object_get(json_object_get(j, "blind_spots"), "total");
    assert_int_equal(json_integer_value(json_object_get(total, "blind_s")), 48 * H);
    assert_int_equal(json_integer_value(json_object_get(total, "windows")), 5);
    assert_int_equal(json_integer_value(json_object_get(total, "sources")), 3);
    assert_int_equal(json_integer_value(json_object_get(j, "responses")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "responses_detected")), 1);
    assert_non_null(strstr(json_string_value(json_object_get(j, "bulletin")),
                           "公开回应2次，其中自动发现1次、人工录入1次。"));
    json_decref(j);

    out = render(&e, STATS_FORMAT_HTML, NULL);
    {
        static const char *const has[] = {
            "<h2>附录：监测盲区</h2>",
            "<td>安康发布<br><small>ankang-weibo</small>（持续中）</td>"
            "<td class=\"n\">24.0</td><td class=\"n\">24.0</td>"
            "<td>异常沉寂 24.0</td><td class=\"n\">1</td>",
            "<td>无法访问 10.0、需要重新登录 6.0、内容陈旧 6.0</td>",
            "安康市教育局&lt;script&gt;",
            "合计（3 个信息源）</td><td class=\"n\">48.0</td>",
            "回应 2 次，其中自动发现 1 次、人工录入 1 次。",
        };
        static const char *const lacks[] = {"安康市教育局<script>"};
        test_expect_text("the HTML report", out, has, sizeof(has) / sizeof(has[0]), lacks, 1);
    }
    free(out);

    out = render(&e, STATS_FORMAT_CSV, NULL);
    assert_non_null(strstr(out,
                           "\r\n监测盲区,信息源编号,盲区小时,最长一段小时,盲区次数,持续中,"
                           "无法访问小时,需要重新登录小时,内容陈旧小时,异常沉寂小时,未采集小时\r\n"
                           "安康发布,ankang-weibo,24.0,24.0,1,是,0.0,0.0,0.0,24.0,0.0\r\n"
                           "安康市人民政府 · 政务要闻,ankang-gov-news,20.0,10.0,3,否,10.0,6.0,"
                           "6.0,0.0,0.0\r\n"));
    assert_non_null(strstr(out, "合计,,48.0,24.0,5,\r\n"));
    free(out);

    out = render(&e, STATS_FORMAT_TEXT, NULL);
    assert_non_null(strstr(out, "合计：3 个信息源，盲区 48.0 小时，最长一段 24.0 小时，5 次"));
    free(out);

    /* a department's report: no annex, the response count of its tickets */
    out = render(&e, STATS_FORMAT_JSON, "市自然资源局");
    j = json_loads(out, 0, NULL);
    free(out);
    assert_non_null(
        strstr(json_string_value(json_object_get(json_object_get(j, "blind_spots"), "note")),
               "不含监测盲区"));
    assert_int_equal(json_integer_value(json_object_get(j, "responses_detected")), 1);
    json_decref(j);
    out = render(&e, STATS_FORMAT_JSON, "市教育局");
    j = json_loads(out, 0, NULL);
    free(out);
    assert_int_equal(json_integer_value(json_object_get(j, "responses_detected")), 0);
    json_decref(j);

    /* a store from before migration 11: no annex, the count unknown (null), no sentence */
    {
        struct yq_db *db;
        assert_int_equal(yq_db_open(e.t.path, YQ_DB_CREATE, 5000, &db, NULL, 0), YQ_DB_OK);
        sqlite_fixture_exec(db, "DROP TABLE source_blind_windows; DROP TABLE response_proposals; "
                                "DROP TABLE official_posts");
        yq_db_close(db);
    }
    out = render(&e, STATS_FORMAT_JSON, NULL);
    j = json_loads(out, 0, NULL);
    free(out);
    assert_non_null(
        strstr(json_string_value(json_object_get(json_object_get(j, "blind_spots"), "note")),
               "无监测盲区数据"));
    assert_true(json_is_null(json_object_get(j, "responses_detected")));
    assert_null(strstr(json_string_value(json_object_get(j, "bulletin")), "自动发现"));
    json_decref(j);
    notifier_tmp_store_remove(&e.t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example_exact_hours),
        cmocka_unit_test(test_annex_from_store_every_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
