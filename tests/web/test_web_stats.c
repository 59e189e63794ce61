/*
 * The statistics API of the web UI (issue #7): GET /api/stats/month and /api/stats/year over a
 * ticket store written by the notifier's own intake and ticket_flow code (stats_fixture.h) with
 * the shipped 2026 working-day calendar, served over HTTP with real sessions. Logged out: 401;
 * a liaison asking for another department gets their own; the carry-over identity balances;
 * the CSV is a download with its header row; the calendar reaches the statistics; the
 * per-rule-group table names the groups the alerts carried.
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
#include "http_client.h"
#include "stats.h"
#include "db_fixture.h"
#include "stats_fixture.h"
#include "test_server.h"
#include "ticket_intake.h"
#include "ticket_store.h"
#include "web.h"
#include "web_fixture.h"
#include "workcal.h"
#include "yq_alert.h"
#include "yq_err.h"
#include "yq_time.h"

struct fx {
    char dir[64];
    char path[256]; /* the SQLite file, or a PostgreSQL schema's URL (db_fixture.h) */
    struct workcal *cal;
    struct stats_calendar stats_cal;
    struct web *w;
    struct test_server *srv;
    unsigned port;
};

static bool is_working_day(const void *ctx, int64_t day)
{
    return workcal_is_working_day(ctx, day);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct web_cfg cfg;
    char dir[4096], err[256] = "";

    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/yq-web-stats-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(dir, sizeof(dir), "%s/tickets.db", f->dir);
    db_fixture_new(f->path, sizeof(f->path), dir); /* the file, or a schema in a -pg run */
    f->cal = workcal_new();
    assert_non_null(f->cal);
    snprintf(dir, sizeof(dir), "%s/config/calendar", YQ_SOURCE_DIR);
    assert_int_equal(workcal_load_dir(f->cal, dir, err, sizeof(err)), 0);
    if (stats_fixture_build(f->path, f->cal, 2026, 2, err, sizeof(err)) != 0) {
        fail_msg("fixture: %s", err);
    }
    f->stats_cal.is_working_day = is_working_day;
    f->stats_cal.ctx = f->cal;

    web_fixture_shipped_cfg(&cfg);
    cfg.calendar = &f->stats_cal;
    f->w = web_new(&cfg, f->path, NULL, NULL, err, sizeof(err));
    if (!f->w) {
        fail_msg("web_new: %s", err);
    }
    cfg_release(web_cfg_keys, &cfg);
    assert_int_equal(web_department_add(web_get_auth(f->w), STATS_FIXTURE_DEPT_A, NULL, 0), 0);
    assert_int_equal(web_department_add(web_get_auth(f->w), STATS_FIXTURE_DEPT_B, NULL, 0), 0);
    assert_int_equal(web_user_add(web_get_auth(f->w), "duty1", NULL, WEB_ROLE_DUTY, NULL,
                                  "duty-password-1", false, yq_time_now(), NULL, err, sizeof(err)),
                     0);
    assert_int_equal(web_user_add(web_get_auth(f->w), "liaison-a", NULL, WEB_ROLE_LIAISON,
                                  STATS_FIXTURE_DEPT_A, "liaison-password-a", false, yq_time_now(),
                                  NULL, err, sizeof(err)),
                     0);
    assert_int_equal(web_user_add(web_get_auth(f->w), "head-b", NULL, WEB_ROLE_HEAD,
                                  STATS_FIXTURE_DEPT_B, "head-password-b", false, yq_time_now(),
                                  NULL, err, sizeof(err)),
                     0);
    f->srv = test_server_start(f->w, 0, NULL, NULL);
    assert_non_null(f->srv);
    f->port = test_server_port(f->srv);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    test_server_stop(f->srv);
    web_free(f->w);
    workcal_free(f->cal);
    ticket_fixture_remove_db(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void login(struct fx *f, const char *user, const char *pass, struct client *cl)
{
    http_login(f->port, user, pass, cl);
}

/* GET path as cl, expecting 200 and a JSON object (new reference). */
static json_t *get_json(struct fx *f, const struct client *cl, const char *path)
{
    return http_get_json(f->port, cl, path);
}

static json_int_t int_at(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v)) {
        fail_msg("%s is not an integer", key);
    }
    return json_integer_value(v);
}

/* The carry-over of report: the identity holds and equals the given figures. */
static void assert_carry(json_t *report, json_int_t in, json_int_t added, json_int_t closed,
                         json_int_t dismissed, json_int_t out)
{
    json_t *c = json_object_get(report, "carry_over");

    assert_true(json_is_true(json_object_get(c, "balanced")));
    assert_int_equal(int_at(c, "carried_in") + int_at(c, "added"),
                     int_at(c, "closed") + int_at(c, "dismissed") + int_at(c, "carried_out"));
    assert_int_equal(int_at(c, "carried_in"), in);
    assert_int_equal(int_at(c, "added"), added);
    assert_int_equal(int_at(c, "closed"), closed);
    assert_int_equal(int_at(c, "dismissed"), dismissed);
    assert_int_equal(int_at(c, "carried_out"), out);
    assert_string_equal(json_string_value(json_object_get(c, "identity")),
                        "上月结转 + 本月新增 = 本月办结 + 本月不予处置 + 结转下月");
}

/* "/api/stats/month?month=2026-02&department=<dept, percent-encoded>[&extra]" into out. */
static void dept_path(const char *dept, const char *extra, char *out, size_t len)
{
    CURL *c = curl_easy_init();
    char *enc = curl_easy_escape(c, dept, 0);

    assert_non_null(enc);
    snprintf(out, len, "/api/stats/month?month=2026-02&department=%s%s", enc, extra ? extra : "");
    curl_free(enc);
    curl_easy_cleanup(c);
}

static void test_logged_out_gets_401(void **state)
{
    struct fx *f = *state;
    static const char *const paths[] = {
        "/api/stats/month?month=2026-02", "/api/stats/month", "/api/stats/year?year=2026",
        "/api/stats/month?month=2026-02&format=csv"};
    struct client bad;
    struct resp r;

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        http_request(f->port, NULL, "GET", paths[i], NULL, NULL, &r);
        if (r.status != 401) {
            fail_msg("%s logged out gave %ld", paths[i], r.status);
        }
        assert_null(strstr(r.body, "carry_over"));
        resp_release(&r);
    }
    memset(&bad, 0, sizeof(bad));
    snprintf(bad.cookie, sizeof(bad.cookie), "not-a-session");
    http_expect_status(f->port, &bad, "GET", paths[0], NULL, 401);
    /* the page and its chart assets are public; the figures are not */
    http_request(f->port, NULL, "GET", "/stats", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "/static/stats/stats-charts.js"));
    assert_non_null(strstr(r.csp, "script-src 'self'"));
    resp_release(&r);
    http_request(f->port, NULL, "GET", "/static/stats/stats-charts.js", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "javascript"));
    assert_non_null(strstr(r.body, "yqStatsCharts"));
    resp_release(&r);
    http_expect_status(f->port, NULL, "GET", "/static/stats/no-such.js", NULL, 404);
    http_expect_status(f->port, NULL, "GET", "/static/stats/x/stats-charts.js", NULL, 404);
}

/*
 * February 2026 as a whole: T0 carried in; T1..T8 detected; T0, T1, T5 closed, T4 dismissed,
 * T2, T3, T6, T7, T8 carried out: 1 + 8 = 3 + 1 + 5. 市水务局 gave no response.
 */
static void test_duty_officer_month_json_balances(void **state)
{
    struct fx *f = *state;
    struct client cl;
    json_t *v, *rows, *row, *zero, *load, *band;
    size_t i;
    bool found = false;
    json_int_t rest_day = -1;

    login(f, "duty1", "duty-password-1", &cl);
    v = get_json(f, &cl, "/api/stats/month?month=2026-02");
    assert_int_equal(int_at(v, "schema"), 1);
    assert_string_equal(json_string_value(json_object_get(v, "period")), "month");
    assert_string_equal(json_string_value(json_object_get(v, "label")), "2026-02");
    assert_true(json_is_null(json_object_get(v, "department")));
    assert_carry(v, 1, 8, 3, 1, 5);
    assert_int_equal(int_at(json_object_get(v, "carry_over"), "detected"), 8);
    rows = json_object_get(json_object_get(v, "by"), "department");
    assert_int_equal(json_array_size(rows), 3);
    json_array_foreach(rows, i, row)
    {
        /* the identity holds for every department, too */
        assert_int_equal(int_at(row, "carried_in") + int_at(row, "added"),
                         int_at(row, "closed") + int_at(row, "dismissed") +
                             int_at(row, "carried_out"));
    }
    zero = json_object_get(v, "zero_response_departments");
    json_array_foreach(zero, i, row)
    {
        found = found || strcmp(json_string_value(row), STATS_FIXTURE_DEPT_ZERO) == 0;
    }
    assert_true(found);
    assert_true(json_array_size(json_object_get(v, "overdue")) > 0);
    assert_int_equal(json_array_size(json_object_get(json_object_get(v, "daily"), "days")), 28);
    assert_non_null(json_string_value(json_object_get(v, "bulletin")));
    assert_true(json_array_size(json_object_get(v, "definitions")) > 0);
    /*
     * The notifier's calendar reached the statistics: T5 (Mon 02-16 11:00, 春节 holiday) and
     * T6 (Sat 02-21 16:00) are 休息日白天; with Monday..Friday only T5 would be 工作时间.
     */
    load = json_object_get(v, "load");
    json_array_foreach(load, i, band)
    {
        if (strcmp(json_string_value(json_object_get(band, "band")), "rest_day") == 0) {
            rest_day = int_at(band, "tickets");
        }
    }
    assert_int_equal(rest_day, 2);
    json_decref(v);

    /* a duty officer may filter by department */
    {
        char path[512];
        dept_path(STATS_FIXTURE_DEPT_B, NULL, path, sizeof(path));
        v = get_json(f, &cl, path);
        assert_string_equal(json_string_value(json_object_get(v, "department")),
                            STATS_FIXTURE_DEPT_B);
        assert_carry(v, 0, 3, 1, 1, 1); /* T1 closed, T4 dismissed, T7 carried out */
        json_decref(v);
    }

    /* no month: the previous Beijing-time month, as the scheduled report */
    {
        int y, m;
        char label[16];
        stats_previous_month(yq_time_now(), &y, &m);
        snprintf(label, sizeof(label), "%04d-%02d", y, m);
        v = get_json(f, &cl, "/api/stats/month");
        assert_string_equal(json_string_value(json_object_get(v, "label")), label);
        json_decref(v);
    }
}

static void test_liaison_gets_own_department_only(void **state)
{
    struct fx *f = *state;
    struct client liaison, duty, head;
    char path[512];
    json_t *own, *asked, *plain, *theirs;
    struct resp r;

    login(f, "liaison-a", "liaison-password-a", &liaison);
    login(f, "duty1", "duty-password-1", &duty);
    login(f, "head-b", "head-password-b", &head);

    /* the liaison of 市自然资源局 asks for 市生态环境局: they get 市自然资源局 */
    dept_path(STATS_FIXTURE_DEPT_B, NULL, path, sizeof(path));
    asked = get_json(f, &liaison, path);
    assert_string_equal(json_string_value(json_object_get(asked, "department")),
                        STATS_FIXTURE_DEPT_A);
    assert_carry(asked, 1, 3, 2, 0, 2); /* T0 in; T2, T5, T6 new; T0, T5 closed */
    plain = get_json(f, &liaison, "/api/stats/month?month=2026-02");
    assert_string_equal(json_string_value(json_object_get(plain, "department")),
                        STATS_FIXTURE_DEPT_A);
    /* the same figures the duty officer gets for 市自然资源局 */
    dept_path(STATS_FIXTURE_DEPT_A, NULL, path, sizeof(path));
    own = get_json(f, &duty, path);
    assert_true(json_equal(json_object_get(own, "carry_over"),
                           json_object_get(asked, "carry_over")));
    assert_true(json_equal(json_object_get(own, "total"), json_object_get(asked, "total")));
    assert_true(json_equal(json_object_get(own, "overdue"), json_object_get(asked, "overdue")));
    assert_true(json_equal(json_object_get(own, "total"), json_object_get(plain, "total")));
    /* nothing of the other department leaks */
    theirs = json_object_get(json_object_get(asked, "by"), "department");
    assert_int_equal(json_array_size(theirs), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(theirs, 0), "key")),
                        STATS_FIXTURE_DEPT_A);
    json_decref(asked);
    json_decref(plain);
    json_decref(own);

    /* a head likewise, for the year and the CSV */
    dept_path(STATS_FIXTURE_DEPT_A, "&format=csv", path, sizeof(path));
    http_request(f->port, &head, "GET", path, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, STATS_FIXTURE_DEPT_B));
    assert_null(strstr(r.body, STATS_FIXTURE_DEPT_A));
    resp_release(&r);
    asked = get_json(f, &head, "/api/stats/year?year=2026&department=x");
    assert_string_equal(json_string_value(json_object_get(asked, "department")),
                        STATS_FIXTURE_DEPT_B);
    json_decref(asked);
}

static void test_csv_download(void **state)
{
    struct fx *f = *state;
    static const char header[] = "\xEF\xBB\xBF维度,分组,上期结转,本期新增,新交办,重新办理,办结,"
                                 "不予处置,结转下期,退回,签收应办";
    struct client cl;
    struct resp r;
    char path[512];
    const char *eol;

    login(f, "duty1", "duty-password-1", &cl);
    http_request(f->port, &cl, "GET", "/api/stats/month?month=2026-02&format=csv", NULL, NULL,
                 &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "text/csv"));
    assert_string_equal(r.content_disposition, "attachment; filename=\"yuqing-stats-2026-02.csv\"");
    assert_non_null(strstr(r.csp, "default-src 'none'"));
    assert_memory_equal(r.body, header, sizeof(header) - 1);
    eol = strstr(r.body, "\r\n");
    assert_non_null(eol);
    /* the total row: 1 carried in, 8 added (8 new, 0 reopened), 3 closed, 1 dismissed, 5 out */
    assert_memory_equal(eol + 2, "合计,合计,1,8,8,0,3,1,5,", strlen("合计,合计,1,8,8,0,3,1,5,"));
    resp_release(&r);

    /* with a department: the UTF-8 name in filename* (RFC 5987) */
    dept_path(STATS_FIXTURE_DEPT_A, "&format=csv", path, sizeof(path));
    http_request(f->port, &cl, "GET", path, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_disposition,
                           "filename*=UTF-8''yuqing-stats-2026-02-%E5%B8%82%E8%87%AA"));
    resp_release(&r);

    /* the year */
    http_request(f->port, &cl, "GET", "/api/stats/year?year=2026&format=csv", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_disposition, "attachment; filename=\"yuqing-stats-2026.csv\"");
    resp_release(&r);
}

static void test_year_and_bad_requests(void **state)
{
    struct fx *f = *state;
    static const struct {
        const char *method, *path;
        long status;
    } cases[] = {
        {"GET", "/api/stats/month?month=2026-13", 400},
        {"GET", "/api/stats/month?month=Feb", 400},
        {"GET", "/api/stats/month?month=2026-02&format=xml", 400},
        /* issue #11: a department missing from the registry is named, not an empty report */
        {"GET", "/api/stats/month?month=2026-02&department=%E5%B8%82%E4%B8%8D%E5%AD%98%E5%9C%A8%E5%B1%80", 400},
        {"GET", "/api/stats/year?year=2026&department=%E5%B8%82%E4%B8%8D%E5%AD%98%E5%9C%A8%E5%B1%80", 400},
        {"GET", "/api/stats/year", 400},
        {"GET", "/api/stats/year?year=20x6", 400},
        {"GET", "/api/stats/week", 404},
        {"GET", "/api/stats", 404},
        {"POST", "/api/stats/month", 405},
    };
    struct client cl;
    struct resp r;
    json_t *v;

    login(f, "duty1", "duty-password-1", &cl);
    v = get_json(f, &cl, "/api/stats/year?year=2026");
    assert_string_equal(json_string_value(json_object_get(v, "period")), "year");
    assert_string_equal(json_string_value(json_object_get(v, "label")), "2026");
    /* the whole fixture lies in 2026 (T0 on 01-29): nothing carried in */
    assert_carry(v, 0, 9, 3, 1, 5);
    json_decref(v);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        http_request(f->port, &cl, cases[i].method, cases[i].path,
                     strcmp(cases[i].method, "POST") == 0 ? "{}" : NULL, NULL, &r);
        if (r.status != cases[i].status) {
            fail_msg("%s %s gave %ld, want %ld", cases[i].method, cases[i].path, r.status,
                     cases[i].status);
        }
        resp_release(&r);
    }
    http_request(f->port, &cl, "GET",
                 "/api/stats/month?month=2026-02&department=%E5%B8%82%E4%B8%8D%E5%AD%98%E5%9C%A8"
                 "%E5%B1%80",
                 NULL, NULL, &r);
    assert_non_null(strstr(r.body, "未登记的部门“市不存在局”"));
    resp_release(&r);
}

/* The row of by.department whose key is dept (borrowed), or fail. */
static json_t *dept_row(json_t *report, const char *dept)
{
    json_t *row;
    size_t i;

    json_array_foreach(json_object_get(json_object_get(report, "by"), "department"), i, row)
    {
        if (strcmp(json_string_value(json_object_get(row, "key")), dept) == 0) {
            return row;
        }
    }
    fail_msg("no department row '%s'", dept);
    return NULL;
}

static void assert_ttc(json_t *row, json_int_t n, json_int_t median, json_int_t p90,
                       json_int_t mean)
{
    json_t *ttc = json_object_get(row, "ttc");
    assert_int_equal(int_at(ttc, "n"), n);
    assert_int_equal(int_at(ttc, "median_s"), median);
    assert_int_equal(int_at(ttc, "p90_s"), p90);
    assert_int_equal(int_at(ttc, "mean_s"), mean);
}

/*
 * Issue #10 on the web statistics (stats_fixture.h, February 2026, as written by the notifier's
 * own intake and ticket_flow code): 办结用时 T0 5 d = 432000 s, T5 5 d (市自然资源局), T1 6 d =
 * 518400 s (市生态环境局): median (rank 2 of 3) 432000, P90 (rank 3) 518400, mean 1382400 / 3 =
 * 460800. 未签收即办结/不予处置: T4 (dismissed 2 h after detection, never acknowledged) -> 1, for
 * 市生态环境局. 期末未签收: T8 (open at the month's end) -> 1, for 市水务局. The CSV ends every row
 * with them (minutes: 7200.0, 8640.0, 7680.0).
 */
static void test_issue_10_time_to_close_and_unacknowledged(void **state)
{
    struct fx *f = *state;
    struct client cl;
    struct resp r;
    json_t *v, *c;

    login(f, "duty1", "duty-password-1", &cl);
    v = get_json(f, &cl, "/api/stats/month?month=2026-02");
    assert_ttc(json_object_get(v, "total"), 3, 432000, 518400, 460800);
    c = json_object_get(v, "carry_over");
    assert_int_equal(int_at(c, "settled_unacknowledged"), 1);
    assert_int_equal(int_at(c, "unacknowledged_at_end"), 1);
    assert_int_equal(int_at(json_object_get(v, "total"), "settled_unacknowledged"), 1);
    assert_int_equal(int_at(json_object_get(v, "total"), "unacknowledged_at_end"), 1);
    assert_ttc(dept_row(v, STATS_FIXTURE_DEPT_A), 2, 432000, 432000, 432000);
    assert_ttc(dept_row(v, STATS_FIXTURE_DEPT_B), 1, 518400, 518400, 518400);
    assert_int_equal(int_at(json_object_get(dept_row(v, STATS_FIXTURE_DEPT_ZERO), "ttc"), "n"), 0);
    assert_int_equal(int_at(dept_row(v, STATS_FIXTURE_DEPT_A), "settled_unacknowledged"), 0);
    assert_int_equal(int_at(dept_row(v, STATS_FIXTURE_DEPT_B), "settled_unacknowledged"), 1);
    assert_int_equal(int_at(dept_row(v, STATS_FIXTURE_DEPT_ZERO), "settled_unacknowledged"), 0);
    assert_int_equal(int_at(dept_row(v, STATS_FIXTURE_DEPT_A), "unacknowledged_at_end"), 0);
    assert_int_equal(int_at(dept_row(v, STATS_FIXTURE_DEPT_B), "unacknowledged_at_end"), 0);
    assert_int_equal(int_at(dept_row(v, STATS_FIXTURE_DEPT_ZERO), "unacknowledged_at_end"), 1);
    assert_non_null(strstr(json_string_value(json_object_get(v, "bulletin")),
                           "办结或不予处置的交办单中1件从未签收"));
    json_decref(v);

    http_request(f->port, &cl, "GET", "/api/stats/month?month=2026-02&format=csv", NULL, NULL,
                 &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, ",未签收即办结或不予处置,期末未签收\r\n合计,合计,"));
    assert_non_null(strstr(r.body, ",3,7200.0,8640.0,7680.0,1,1\r\n"));
    resp_release(&r);
}

/*
 * Add an alert of rule `rule` detected at Beijing time `at` to the store at path, with the rule
 * group the matcher now puts in each match, or none (group NULL: an alert from before).
 */
static void intake_grouped(const char *path, const char *key, const char *rule, const char *group,
                           const char *at)
{
    char json[2048], err[256] = "", utc[32], member[128] = "", path_copy[160];
    struct ticket_store_cfg cfg = {.path = path_copy, .busy_timeout_ms = 5000};
    struct ticket_store *store = NULL;
    struct ticket_intake_result res;
    struct yq_alert alert;
    int64_t t = 0;

    snprintf(path_copy, sizeof(path_copy), "%s", path);
    assert_int_equal(yq_time_parse_iso(at, &t, NULL), 0);
    yq_time_format_utc(t, utc, sizeof(utc));
    if (group) {
        snprintf(member, sizeof(member), "\"group\":\"%s\",", group);
    }
    snprintf(json, sizeof(json),
             "{\"schema\":1,\"event_key\":\"ev:%s\",\"event\":{\"new\":true,\"items\":1},"
             "\"rules_version\":2,\"matched_at\":\"%s\",\"score\":40.0,\"level\":\"III\","
             "\"department\":\"%s\",\"matches\":[{\"rule_id\":\"%s\",\"name\":\"规则\",%s"
             "\"department\":\"%s\",\"level\":\"III\",\"terms\":[]}],\"item\":{\"schema\":1,"
             "\"id\":\"rss:%s\",\"source\":\"rss\",\"source_id\":\"ak-news\","
             "\"channel\":\"安康新闻网\",\"url\":\"https://news.example.cn/%s\","
             "\"title\":\"安康 %s\",\"text\":\"安康\",\"author\":\"\",\"published_at\":null,"
             "\"fetched_at\":\"%s\"}}",
             key, utc, STATS_FIXTURE_DEPT_A, rule, member, STATS_FIXTURE_DEPT_A, key, key, key,
             utc);
    if (yq_alert_decode(json, strlen(json), &alert, err, sizeof(err)) != 0) {
        fail_msg("alert %s: %s", key, err);
    }
    if (ticket_store_open(&cfg, &store, err, sizeof(err)) != 0) {
        fail_msg("store: %s", err);
    }
    {
        static struct ticket_policy hand_over_all;
        hand_over_all.desk = desk_policy_hand_over_all(); /* a ticket at intake (issue #13) */
        ticket_store_set_policy(store, &hand_over_all);
    }
    assert_int_equal(ticket_intake_alert(store, &alert, t, &res), 0);
    yq_alert_release(&alert);
    ticket_store_free(store);
}

/*
 * The per-rule-group table names groups although the web server reads no rule files: the
 * group travels with the alert into the ticket store. An alert from before groups (none
 * stored) keeps its rule id.
 */
static void test_rule_group_names_from_alerts(void **state)
{
    struct fx *f = *state;
    struct client cl;
    struct resp r;
    json_t *v, *row;
    size_t i;
    json_int_t land = -1, old = -1;

    intake_grouped(f->path, "g1", "land-01", "征地拆迁", "2026-03-10T09:00:00+08:00");
    intake_grouped(f->path, "g2", "land-02", "征地拆迁", "2026-03-11T09:00:00+08:00");
    intake_grouped(f->path, "g3", "env-07", NULL, "2026-03-12T09:00:00+08:00");
    login(f, "duty1", "duty-password-1", &cl);
    v = get_json(f, &cl, "/api/stats/month?month=2026-03");
    json_array_foreach(json_object_get(json_object_get(v, "by"), "rule_group"), i, row)
    {
        const char *key = json_string_value(json_object_get(row, "key"));
        if (strcmp(key, "征地拆迁") == 0) {
            land = int_at(row, "detected");
        } else if (strcmp(key, "env-07") == 0) {
            old = int_at(row, "detected");
        }
        assert_null(strstr(key, "land-0")); /* grouped rules never show as their ids */
    }
    assert_int_equal(land, 2);
    assert_int_equal(old, 1);
    json_decref(v);

    http_request(f->port, &cl, "GET", "/api/stats/month?month=2026-03&format=csv", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\r\n规则分组,征地拆迁,"));
    assert_non_null(strstr(r.body, "\r\n来源,安康新闻网,5,3,3,")); /* issue #11: the name */
    assert_null(strstr(r.body, "ak-news"));
    resp_release(&r);
}

/*
 * Issue #11: the 来源 rows name the source (安康新闻网, the channel its items carried), with
 * its id kept apart in "source_id"; the glossary the page shows says so in Chinese.
 */
static void test_issue_11_source_rows_by_name(void **state)
{
    struct fx *f = *state;
    struct client cl;
    json_t *v, *rows, *row, *def;
    size_t i;
    const char *glossary = NULL;

    intake_grouped(f->path, "s1", "land-01", "征地拆迁", "2026-03-10T09:00:00+08:00");
    login(f, "duty1", "duty-password-1", &cl);
    v = get_json(f, &cl, "/api/stats/month?month=2026-03");
    rows = json_object_get(json_object_get(v, "by"), "source");
    assert_int_equal(json_array_size(rows), 1);
    row = json_array_get(rows, 0);
    assert_string_equal(json_string_value(json_object_get(row, "key")), "安康新闻网");
    assert_string_equal(json_string_value(json_object_get(row, "source_id")), "ak-news");
    assert_int_equal(int_at(row, "detected"), 1);
    json_array_foreach(json_object_get(v, "definitions"), i, def)
    {
        if (strcmp(json_string_value(json_object_get(def, "term")), "责任单位、来源、规则分组") == 0) {
            glossary = json_string_value(json_object_get(def, "text"));
        }
    }
    assert_non_null(glossary);
    assert_non_null(strstr(glossary, "来源为第一条信息所属来源的名称"));
    assert_null(strstr(glossary, "group"));
    json_decref(v);
}

/*
 * Issue #17: POST /api/stats/publish. A liaison may not publish (403); the duty officer
 * publishes February 2026 (200, who and when); a second time is 409 (a publication never
 * changes); the current month is 409 (not over); a bad month 400; GET is 405. The month's view
 * then carries "publication" (by duty1) and "differences" (none changed), for the liaison's
 * own-department view too; the year carries "published" (1 month).
 */
static void test_issue_17_publish(void **state)
{
    struct fx *f = *state;
    struct client duty, liaison;
    struct resp r;
    json_t *body, *pub, *year;
    char path[96];
    int y, m;

    login(f, "duty1", "duty-password-1", &duty);
    login(f, "liaison-a", "liaison-password-a", &liaison);
    http_expect_status(f->port, &liaison, "POST", "/api/stats/publish?month=2026-02", NULL, 403);
    http_expect_status(f->port, &duty, "GET", "/api/stats/publish?month=2026-02", NULL, 405);
    http_expect_status(f->port, &duty, "POST", "/api/stats/publish?month=2026-2", NULL, 400);
    http_expect_status(f->port, &duty, "POST", "/api/stats/publish", NULL, 400);
    {
        /* hostile: a huge and a control-character month are refused, nothing stored */
        char huge[5000];
        memcpy(huge, "/api/stats/publish?month=", 25);
        memset(huge + 25, '9', sizeof(huge) - 26);
        huge[sizeof(huge) - 1] = '\0';
        http_request(f->port, &duty, "POST", huge, NULL, NULL, &r);
        assert_true(r.status == 400 || r.status == 414);
        resp_release(&r);
        http_expect_status(f->port, &duty, "POST", "/api/stats/publish?month=2026-0%01", NULL,
                           400);
    }
    stats_month_of(yq_time_now(), &y, &m);
    snprintf(path, sizeof(path), "/api/stats/publish?month=%04d-%02d", y, m);
    http_expect_status(f->port, &duty, "POST", path, NULL, 409);

    http_request(f->port, &duty, "POST", "/api/stats/publish?month=2026-02", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    body = json_loads(r.body, 0, NULL);
    resp_release(&r);
    assert_non_null(body);
    pub = json_object_get(body, "publication");
    assert_string_equal(json_string_value(json_object_get(pub, "period")), "2026-02");
    assert_string_equal(json_string_value(json_object_get(pub, "published_by")), "duty1");
    assert_string_equal(json_string_value(json_object_get(pub, "role")), "duty_officer");
    json_decref(body);
    http_request(f->port, &duty, "POST", "/api/stats/publish?month=2026-02", NULL, NULL, &r);
    assert_int_equal(r.status, 409);
    assert_non_null(strstr(r.body, "duty1"));
    resp_release(&r);

    body = get_json(f, &duty, "/api/stats/month?month=2026-02");
    pub = json_object_get(body, "publication");
    assert_string_equal(json_string_value(json_object_get(pub, "published_by")), "duty1");
    assert_true(json_is_false(json_object_get(json_object_get(body, "differences"), "changed")));
    assert_carry(body, 1, 8, 3, 1, 5);
    json_decref(body);
    body = get_json(f, &liaison, "/api/stats/month?month=2026-02");
    assert_string_equal(json_string_value(json_object_get(body, "department")),
                        STATS_FIXTURE_DEPT_A);
    assert_non_null(json_object_get(body, "publication"));
    assert_true(json_is_array(json_object_get(json_object_get(body, "differences"), "figures")));
    json_decref(body);
    body = get_json(f, &duty, "/api/stats/month?month=2026-03");
    assert_true(json_is_null(json_object_get(body, "publication")));
    json_decref(body);
    year = get_json(f, &duty, "/api/stats/year?year=2026");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(year, "published"),
                                                        "months_published")),
                     1);
    json_decref(year);
}

/* FX(test): test with a fixture of its own: setup() before it, teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(test_logged_out_gets_401),
        FX(test_issue_17_publish),
        FX(test_duty_officer_month_json_balances),
        FX(test_liaison_gets_own_department_only),
        FX(test_csv_download),
        FX(test_year_and_bad_requests),
        FX(test_rule_group_names_from_alerts),
        FX(test_issue_11_source_rows_by_name),
        FX(test_issue_10_time_to_close_and_unacknowledged),
    };
    curl_global_init(CURL_GLOBAL_ALL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
