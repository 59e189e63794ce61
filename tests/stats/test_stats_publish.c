/*
 * Issue #17 on a ticket store written by the notifier's own code (ticket_intake_alert(),
 * ticket_flow_apply()) with the shipped 2026 calendar: the clock history the triggers of
 * migration 12 keep, the dismissed-and-reopened pair end to end, a reassignment, and the
 * published 通报 (stats_publish.h): stored once and never changed, later views showing the
 * published figures with the differences later entries make and the tickets behind them, and
 * the year built from the published months. Every time is injected.
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

#include "desk_policy.h"
#include "sqlite_fixture.h"
#include "stats.h"
#include "stats_fixture.h"
#include "stats_load.h"
#include "stats_publish.h"
#include "stats_render.h"
#include "stats_test_fixture.h"
#include "ticket_clock.h"
#include "ticket_flow.h"
#include "ticket_store.h"
#include "workcal.h"
#include "yq_err.h"
#include "yq_db.h"
#include "yq_time.h"
#include "yq_banned.h"

#define DEPT_A "市自然资源局"
#define DEPT_B "市生态环境局"

static int64_t bj(const char *s)
{
    return stats_fx_bj(s);
}

struct env {
    struct stats_fixture_env fx;
    struct yq_db *db; /* a second, read-write connection: what the CLI and the web page open */
};

static void intake(struct env *e, const char *key, const char *level, const char *dept,
                   const char *at, char number[32])
{
    char err[256] = "", event[64], item[64], title[96], url[128];
    struct stats_fixture_alert alert = {
        .event_key = event,
        .item_id = item,
        .source_id = "ak-news",
        .level = level,
        .department = dept,
        .rule_id = "land-compensation",
        .rule_name = "征地补偿",
        .group = "征地拆迁",
        .title = title,
        .url = url,
        .score = 10.0,
        .at = bj(at),
    };
    snprintf(event, sizeof(event), "ev:%s", key);
    snprintf(item, sizeof(item), "rss:%s", key);
    snprintf(title, sizeof(title), "汉滨区征地补偿 %s", key);
    snprintf(url, sizeof(url), "https://news.example.cn/%s", key);
    if (stats_fixture_intake(e->fx.store, &alert, number, err, sizeof(err)) != 0) {
        fail_msg("%s", err);
    }
}

static void act(struct env *e, enum ticket_action_kind kind, const char *number, const char *at,
                const char *channel)
{
    char err[256] = "";
    if (stats_fixture_act(e->fx.store, kind, number, bj(at), channel,
                          channel ? "https://www.ankang.gov.cn/r" : NULL, err, sizeof(err))) {
        fail_msg("%s", err);
    }
}

/* A response recorded at `recorded` that states `stated` (an entry made after the fact). */
static void respond_late_entry(struct env *e, const char *number, const char *stated,
                               const char *recorded)
{
    char err[256] = "";
    struct ticket_action a = {.kind = TICKET_ACT_RESPOND,
                              .number = number,
                              .actor = "fixture",
                              .role = "admin",
                              .channel = "网站",
                              .url = "https://www.ankang.gov.cn/r",
                              .responded_at = bj(stated)};
    if (ticket_flow_apply(e->fx.store, &a, bj(recorded), NULL, err, sizeof(err))) {
        fail_msg("%s", err);
    }
}

static void reassign(struct env *e, const char *number, const char *dept, const char *at)
{
    char err[256] = "";
    struct ticket_action a = {.kind = TICKET_ACT_ASSIGN,
                              .number = number,
                              .actor = "duty",
                              .role = "duty_officer",
                              .department = dept};
    if (ticket_flow_apply(e->fx.store, &a, bj(at), NULL, err, sizeof(err))) {
        fail_msg("%s", err);
    }
}

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    char dir[4096], err[256] = "";

    assert_non_null(e);
    snprintf(dir, sizeof(dir), "%s/config/calendar", YQ_SOURCE_DIR);
    if (stats_fixture_env_open(&e->fx, "/tmp/yq-stats17-XXXXXX", dir, err, sizeof(err)) != 0) {
        fail_msg("%s", err);
    }
    assert_int_equal(yq_db_open(e->fx.path, YQ_DB_WAL, 2000, &e->db, err, sizeof(err)), 0);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    yq_db_close(e->db);
    stats_fixture_env_close(&e->fx);
    free(e);
    return 0;
}

static struct stats_report *october(struct env *e, const char *now, const char *known)
{
    struct stats_ticket_set set;
    struct stats_opts o = {.period = STATS_PERIOD_MONTH,
                           .year = 2026,
                           .month = 10,
                           .now = bj(now),
                           .known_at = known ? bj(known) : 0,
                           .calendar = &e->fx.scal};
    struct stats_report *r = NULL;
    char err[256] = "";
    int64_t a, b;

    assert_int_equal(stats_month_window(2026, 10, &a, &b), 0);
    assert_int_equal(stats_load(e->db, b, &set, err, sizeof(err)), 0);
    assert_int_equal(stats_compute(set.v, set.n, &o, &r), 0);
    stats_ticket_set_release(&set);
    return r;
}

/*
 * The pair through the notifier: P and Q (III, 市自然资源局) taken in Mon 10-12 10:00,
 * dismissed 10:30, reopened Tue 10-20 09:00, acknowledged 09:30; P answers 15:00. The store
 * keeps two clock sets for each (creation; the reopening's new 签收 and 办结 deadlines, the
 * response deadline unchanged), and October counts P late and Q missed.
 */
static void test_issue_17_store_pair(void **state)
{
    struct env *e = *state;
    char p[32], q[32], sql[256];
    struct stats_report *r;
    (void)state;
    intake(e, "p", "III", DEPT_A, "2026-10-12 10:00", p);
    intake(e, "q", "III", DEPT_A, "2026-10-12 10:00", q);
    for (int i = 0; i < 2; i++) {
        const char *n = i == 0 ? p : q;
        act(e, TICKET_ACT_DISMISS, n, "2026-10-12 10:30", NULL);
        act(e, TICKET_ACT_REOPEN, n, "2026-10-20 09:00", NULL);
        act(e, TICKET_ACT_ACK, n, "2026-10-20 09:30", NULL);
    }
    act(e, TICKET_ACT_RESPOND, p, "2026-10-20 15:00", "政务微博");
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM ticket_clock_history h JOIN tickets t ON t.id = h.ticket_id"
             " WHERE t.number = '%s'",
             p);
    assert_int_equal(sqlite_fixture_scalar(e->db, sql), 2);
    snprintf(sql, sizeof(sql),
             "SELECT count(DISTINCT h.response_deadline) FROM ticket_clock_history h JOIN "
             "tickets t ON t.id = h.ticket_id WHERE t.number = '%s'",
             p);
    assert_int_equal(sqlite_fixture_scalar(e->db, sql), 1);
    snprintf(sql, sizeof(sql),
             "SELECT count(DISTINCT h.close_deadline) FROM ticket_clock_history h JOIN "
             "tickets t ON t.id = h.ticket_id WHERE t.number = '%s'",
             q);
    assert_int_equal(sqlite_fixture_scalar(e->db, sql), 2);
    /* the history is append-only */
    assert_int_not_equal(yq_db_exec_raw(e->db, "DELETE FROM ticket_clock_history"),
                         YQ_DB_OK);

    r = october(e, "2026-11-01 00:05", NULL);
    assert_int_equal(r->total.clocks[STATS_CLOCK_RESPONSE_48H].due, 2);
    assert_int_equal(r->total.clocks[STATS_CLOCK_RESPONSE_48H].late, 1);
    assert_int_equal(r->total.clocks[STATS_CLOCK_RESPONSE_48H].missed, 1);
    assert_int_equal(r->total.clocks[STATS_CLOCK_RESPONSE_48H].excluded, 0);
    /* 签收: the first clocks (by 11:00) were dismissed at their deadline; the reopening's met */
    assert_int_equal(r->total.clocks[STATS_CLOCK_ACK].excluded, 2);
    assert_int_equal(r->total.clocks[STATS_CLOCK_ACK].on_time, 2);
    assert_int_equal(r->total.overdue_tickets, 2);
    assert_int_equal(r->total.detected, 2);
    assert_int_equal(r->total.reopened, 0);
    stats_report_free(r);
}

/*
 * Rule 1 on the store: the 签收 deadline the notifier stores runs from 交办 (assigned_at), not
 * from detection: ticket_clock_deadlines() of a ticket detected 09:00 and handed over 10:00.
 */
static void test_issue_17_ack_deadline_from_handover(void **state)
{
    struct ticket_deadline_set dl;
    (void)state;
    ticket_clock_deadlines(NULL, NULL, YQ_LEVEL_III, bj("2026-10-12 09:00"), bj("2026-10-12 10:00"),
                           &dl);
    assert_int_equal(dl.ack, bj("2026-10-12 11:00"));
    assert_int_equal(dl.response, bj("2026-10-14 09:00"));
}

/*
 * Rule 4 on the store: W is taken in for A 10-12 10:00, not acknowledged by 11:00, reassigned
 * to B at 14:00 and acknowledged 14:20. Then, in November, reassigned to A again. October
 * re-run in December keeps A's missed 签收 with A and the ticket with B.
 */
static void test_issue_17_store_reassigned(void **state)
{
    struct env *e = *state;
    char w[32];
    struct stats_report *r;
    const struct stats_row *a = NULL, *b = NULL;
    intake(e, "w", "III", DEPT_A, "2026-10-12 10:00", w);
    reassign(e, w, DEPT_B, "2026-10-12 14:00");
    act(e, TICKET_ACT_ACK, w, "2026-10-12 14:20", NULL);
    {
        char err[256] = "";
        struct ticket_action ret = {.kind = TICKET_ACT_RETURN,
                                    .number = w,
                                    .actor = "zrzy",
                                    .role = "liaison",
                                    .reason = "应由市自然资源局办理"};
        if (ticket_flow_apply(e->fx.store, &ret, bj("2026-11-05 09:00"), NULL, err, sizeof(err))) {
            fail_msg("%s", err);
        }
    }
    reassign(e, w, DEPT_A, "2026-11-05 10:00");
    r = october(e, "2026-12-01 00:05", NULL);
    for (size_t i = 0; i < r->n_rows[STATS_DIM_DEPARTMENT]; i++) {
        const struct stats_row *row = &r->rows[STATS_DIM_DEPARTMENT][i];
        if (strcmp(row->key, DEPT_A) == 0) {
            a = row;
        } else if (strcmp(row->key, DEPT_B) == 0) {
            b = row;
        }
    }
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->clocks[STATS_CLOCK_ACK].missed, 1);
    assert_int_equal(a->detected, 0);
    assert_int_equal(b->clocks[STATS_CLOCK_ACK].on_time, 1);
    assert_int_equal(b->detected, 1);
    assert_int_equal(b->carried_out, 1);
    stats_report_free(r);
}

/*
 * The published 通报: October has P (III, answered on time 10-13) and R (IV, detected Mon
 * 10-19 10:00; 5 working days -> 10-27 00:00). R's answer of Mon 10-26 10:00 is entered only
 * on 11-02 09:00, after October was published (11-01 08:00, by 值班员 duty). October as
 * published: 1 response, R missed. Re-run live, October still says so (recorded times). The
 * later view shows the published figures and the differences: 公开回应 1 -> 2, 首次回应
 * 超时未完成 1 -> 0, 按时 1 -> 2, and names R.
 */
static void test_issue_17_publish_and_differences(void **state)
{
    struct env *e = *state;
    struct stats_opts o = {.period = STATS_PERIOD_MONTH,
                           .year = 2026,
                           .month = 10,
                           .now = bj("2026-11-01 08:00"),
                           .calendar = &e->fx.scal};
    struct stats_publication pub, again;
    char p[32], rn[32], err[512] = "", *out = NULL;
    json_t *view, *diff, *fig;
    size_t i;
    bool saw_responses = false, saw_missed = false, saw_r = false;
    struct stats_report *r;

    intake(e, "p2", "III", DEPT_A, "2026-10-12 10:00", p);
    act(e, TICKET_ACT_ACK, p, "2026-10-12 10:20", NULL);
    act(e, TICKET_ACT_RESPOND, p, "2026-10-13 09:00", "权威发布");
    intake(e, "r", "IV", DEPT_B, "2026-10-19 10:00", rn);
    act(e, TICKET_ACT_ACK, rn, "2026-10-19 10:30", NULL);

    /* not before the month ends */
    o.now = bj("2026-10-31 12:00");
    assert_int_equal(stats_publish(e->db, &o, "duty", "duty_officer", NULL, NULL, err, sizeof(err)),
                     ERR_BAD_STATE);
    o.now = bj("2026-11-01 08:00");
    assert_int_equal(stats_publish(e->db, &o, "duty", "duty_officer", NULL, &pub, err, sizeof(err)),
                     0);
    assert_string_equal(pub.period, "2026-10");
    assert_string_equal(pub.published_by, "duty");
    assert_int_equal(pub.published_at, bj("2026-11-01 08:00"));
    assert_int_equal(pub.cutoff, bj("2026-11-01 00:00"));
    assert_non_null(strstr(pub.report_text, "2026年10月"));
    assert_non_null(strstr(pub.tickets_json, rn));
    /* once only, and never changed */
    o.now = bj("2026-11-03 08:00");
    assert_int_equal(stats_publish(e->db, &o, "admin", "admin", NULL, NULL, err, sizeof(err)),
                     ERR_EXISTS);
    assert_non_null(strstr(err, "duty"));
    assert_int_not_equal(
        yq_db_exec_raw(e->db, "UPDATE stats_publications SET report_text = ''"),
        YQ_DB_OK);
    assert_int_not_equal(yq_db_exec_raw(e->db, "DELETE FROM stats_publications"),
                         YQ_DB_OK);

    respond_late_entry(e, rn, "2026-10-26 10:00", "2026-11-02 09:00");

    /* October re-run: the same figures as published */
    r = october(e, "2026-11-03 08:00", NULL);
    assert_int_equal(r->responses, 1);
    assert_int_equal(r->total.clocks[STATS_CLOCK_RESPONSE].missed, 1);
    stats_report_free(r);

    /* the later view: the published figures, the differences and R */
    assert_int_equal(
        stats_month_view(e->db, &o, STATS_FORMAT_JSON, NULL, &out, NULL, err, sizeof(err)), 0);
    view = json_loads(out, 0, NULL);
    free(out);
    assert_non_null(view);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(view, "publication"), "published_by")),
        "duty");
    assert_int_equal(json_integer_value(json_object_get(view, "responses")), 1);
    diff = json_object_get(view, "differences");
    assert_true(json_is_true(json_object_get(diff, "changed")));
    json_array_foreach(json_object_get(diff, "figures"), i, fig)
    {
        const char *row = json_string_value(json_object_get(fig, "row"));
        const char *name = json_string_value(json_object_get(fig, "figure"));
        if (strcmp(row, "合计") == 0 && strcmp(name, "responses") == 0) {
            assert_int_equal(json_integer_value(json_object_get(fig, "published")), 1);
            assert_int_equal(json_integer_value(json_object_get(fig, "now")), 2);
            saw_responses = true;
        }
        if (strcmp(row, DEPT_B) == 0 && strcmp(name, "clocks.response.missed") == 0) {
            assert_int_equal(json_integer_value(json_object_get(fig, "delta")), -1);
            saw_missed = true;
        }
    }
    json_array_foreach(json_object_get(diff, "tickets"), i, fig)
    {
        if (strcmp(json_string_value(json_object_get(fig, "number")), rn) == 0) {
            assert_non_null(
                strstr(json_string_value(json_object_get(fig, "published")), "response:missed"));
            assert_non_null(
                strstr(json_string_value(json_object_get(fig, "now")), "response:on_time"));
            saw_r = true;
        }
        assert_string_not_equal(json_string_value(json_object_get(fig, "number")), p);
    }
    assert_true(saw_responses);
    assert_true(saw_missed);
    assert_true(saw_r);
    json_decref(view);

    /* one department's differences: B's name R; A's and a prefix of B's name nothing */
    {
        static const char *const depts[3] = {DEPT_B, DEPT_A, "市生态"};
        for (int k = 0; k < 3; k++) {
            struct stats_opts od = o;
            json_t *d = NULL;
            od.department = depts[k];
            assert_int_equal(stats_publication_diff(e->db, &pub, &od, &d, err, sizeof(err)), 0);
            assert_int_equal(json_array_size(json_object_get(d, "tickets")), k == 0 ? 1 : 0);
            assert_int_equal(json_array_size(json_object_get(d, "figures")) > 0, k == 0);
            json_decref(d);
        }
    }

    /* the text view: as published, then the differences */
    assert_int_equal(
        stats_month_view(e->db, &o, STATS_FORMAT_TEXT, NULL, &out, NULL, err, sizeof(err)), 0);
    assert_non_null(strstr(out, "由 duty 发布"));
    assert_non_null(strstr(out, "发布后变动"));
    assert_non_null(strstr(out, "公开回应：1 → 2（+1）"));
    assert_non_null(strstr(out, rn));
    free(out);

    /* the year from the published months plus the differences */
    {
        struct stats_opts y = {.period = STATS_PERIOD_YEAR,
                               .year = 2026,
                               .now = bj("2026-11-03 08:00"),
                               .calendar = &e->fx.scal};
        json_t *year = NULL, *row;
        bool saw = false;
        assert_int_equal(stats_year_published(e->db, &y, &year, err, sizeof(err)), 0);
        assert_int_equal(json_integer_value(json_object_get(year, "months_published")), 1);
        json_array_foreach(json_object_get(year, "totals"), i, row)
        {
            if (strcmp(json_string_value(json_object_get(row, "figure")), "responses") == 0) {
                assert_int_equal(json_integer_value(json_object_get(row, "published")), 1);
                assert_int_equal(json_integer_value(json_object_get(row, "differences")), 1);
                assert_int_equal(json_integer_value(json_object_get(row, "total")), 2);
                saw = true;
            }
        }
        assert_true(saw);
        json_decref(year);
    }
    assert_int_equal(stats_publication_get(e->db, 2026, 10, &again, err, sizeof(err)), 0);
    assert_string_equal(again.report_json, pub.report_json);
    stats_publication_release(&again);
    stats_publication_release(&pub);
}

/* Bad publishers, a department filter and an unpublished month's view. */
static void test_issue_17_publish_refusals(void **state)
{
    struct env *e = *state;
    struct stats_opts o = {
        .period = STATS_PERIOD_MONTH, .year = 2026, .month = 9, .now = bj("2026-11-01 08:00")};
    char err[512] = "", *out = NULL, big[200];
    json_t *view;

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(stats_publish(e->db, &o, "", "admin", NULL, NULL, err, sizeof(err)),
                     ERR_INVALID);
    assert_int_equal(stats_publish(e->db, &o, big, "admin", NULL, NULL, err, sizeof(err)),
                     ERR_INVALID);
    assert_int_equal(stats_publish(e->db, &o, "du\x01ty", "admin", NULL, NULL, err, sizeof(err)),
                     ERR_INVALID);
    assert_int_equal(stats_publish(e->db, &o, "\xff\xfe", "admin", NULL, NULL, err, sizeof(err)),
                     ERR_INVALID);
    o.department = DEPT_A;
    assert_int_equal(stats_publish(e->db, &o, "duty", "admin", NULL, NULL, err, sizeof(err)),
                     ERR_INVALID);
    o.department = NULL;
    assert_int_equal(
        stats_publication_get(e->db, 2026, 9, &(struct stats_publication){0}, err, sizeof(err)),
        ERR_NOT_FOUND);
    assert_int_equal(
        stats_month_view(e->db, &o, STATS_FORMAT_JSON, NULL, &out, NULL, err, sizeof(err)), 0);
    view = json_loads(out, 0, NULL);
    free(out);
    assert_true(json_is_null(json_object_get(view, "publication")));
    json_decref(view);
    /* a stored publication whose JSON does not parse: a clear error, no view, no crash */
    assert_int_equal(yq_db_exec_raw(e->db, "INSERT INTO stats_publications (period, window_start, cutoff,"
                                  " published_at, published_by, role, report_json, report_text,"
                                  " report_csv, report_html, tickets_json) VALUES ('2026-08', 0,"
                                  " 0, 0, 'x', 'admin', '{not json', '', '', '', '[1,')"),
                     YQ_DB_OK);
    o.month = 8;
    out = NULL;
    err[0] = '\0';
    assert_int_equal(
        stats_month_view(e->db, &o, STATS_FORMAT_JSON, NULL, &out, NULL, err, sizeof(err)),
        ERR_PARSE);
    assert_null(out);
    assert_non_null(strstr(err, "2026-08"));
    /* the period must look like a month: the table refuses anything else */
    assert_int_not_equal(yq_db_exec_raw(e->db, "INSERT INTO stats_publications (period, window_start,"
                                      " cutoff, published_at, published_by, role, report_json,"
                                      " report_text, report_csv, report_html) VALUES"
                                      " ('2026-8x', 0, 0, 0, 'x', 'admin', '{}', '', '', '')"),
                         YQ_DB_OK);
}

/* FX(test): test with a fixture of its own: setup() before it, teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(test_issue_17_store_pair),
        cmocka_unit_test(test_issue_17_ack_deadline_from_handover),
        FX(test_issue_17_store_reassigned),
        FX(test_issue_17_publish_and_differences),
        FX(test_issue_17_publish_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
