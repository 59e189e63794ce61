/*
 * /api/reports over HTTP (issue #14; web/web_reports.h): the list's shape and filters, the
 * report HTML with the web's security headers, POST daily (idempotent, a future day refused,
 * a bad day 400, the summary queued per configured channel), POST event (a new 专报 each time,
 * 201, unknown event 404), and the roles: liaisons read daily briefings and their own
 * department's 专报 only and write nothing; heads as liaisons; no CSRF token, 403.
 * The store is the notifier's real one behind web_notifier_ops (and web_report_ops).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "yq_db.h"

#include "briefing.h"
#include "db_fixture.h"
#include "desk_policy.h"
#include "http_client.h"
#include "test_expect_json.h"
#include "test_server.h"
#include "ticket_fixture.h"
#include "ticket_intake.h"
#include "ticket_store.h"
#include "web.h"
#include "web_fixture.h"
#include "web_notifier_ctx.h"
#include "web_notifier_ops.h"
#include "yq_alert.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_time.h"

#define DEPT_A "市自然资源局"
#define DEPT_B "市生态环境局"

struct fx {
    char dbpath[256]; /* the SQLite file, or a PostgreSQL schema's URL (db_fixture.h) */
    struct ticket_store *writer, *reader;
    struct ticket_policy policy;
    struct briefing_cfg bcfg;
    struct briefing_env env;
    char *channels[1];
    pthread_mutex_t lock;
    struct web_notifier_ctx ctx;
    struct web *w;
    struct test_server *srv;
    int64_t event_id;
};

static void intake(struct fx *f)
{
    char published_at[40];
    const struct web_fixture_alert_spec spec = {
        .key = "r1", .department = DEPT_A, .rule_id = "r-1", .item_id = "rss:r1",
        .source_id = "ak", .url = "http://news.example/r1",
        .title = "<script>alert(1)</script>征地", .text = "征地补偿",
        .published_at = published_at};
    struct ticket_intake_result res;
    struct yq_alert alert;
    char now[32];

    /* published when it was matched and fetched */
    yq_time_format_utc(yq_time_now() - 600, now, sizeof(now));
    snprintf(published_at, sizeof(published_at), "\"%s\"", now);
    web_fixture_alert(&spec, &alert);
    assert_int_equal(ticket_intake_alert(f->writer, &alert, yq_time_now(), &res), 0);
    f->event_id = res.event_id;
    assert_true(f->event_id > 0);
    yq_alert_release(&alert);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct ticket_store_cfg scfg = {0};
    char err[256] = "";
    int fd;

    snprintf(f->dbpath, sizeof(f->dbpath), "/tmp/yq-web-reports-XXXXXX");
    fd = mkstemp(f->dbpath);
    assert_true(fd >= 0);
    close(fd);
    unlink(f->dbpath);
    if (db_fixture_pg()) {
        snprintf(err, sizeof(err), "%s", f->dbpath);
        db_fixture_new(f->dbpath, sizeof(f->dbpath), err);
    }
    memset(&scfg, 0, sizeof(scfg)); /* store.url unset: the location is dbpath */
    scfg.path = f->dbpath;
    scfg.busy_timeout_ms = 2000;
    if (ticket_store_init(&scfg, NULL, err, sizeof(err)) != 0 ||
        ticket_store_open(&scfg, &f->writer, err, sizeof(err)) != 0) {
        fail_msg("open: %s", err);
    }
    assert_int_equal(ticket_store_open_readonly(&scfg, &f->reader, err, sizeof(err)), 0);
    pthread_mutex_init(&f->lock, NULL);
    f->ctx.reader = f->reader;
    f->ctx.writer = f->writer;
    f->ctx.lock = &f->lock;
    f->ctx.max_items = 20;
    f->bcfg = *briefing_cfg_defaults();
    f->channels[0] = "duty-robot";
    f->bcfg.channels = f->channels;
    f->bcfg.n_channels = 1;
    f->env.cfg = &f->bcfg;
    f->env.link_base = "http://127.0.0.1:8080/ticket?number=";
    f->policy.desk = desk_policy_hand_over_all();
    f->policy.briefing = &f->env;
    ticket_store_set_policy(f->writer, &f->policy);
    intake(f);
    f->w = web_fixture_web_over(f->dbpath, &web_notifier_ops, &f->ctx, DEPT_A, DEPT_B, true);
    assert_int_equal(web_user_add(web_get_auth(f->w), "liaison-b", NULL, WEB_ROLE_LIAISON, DEPT_B,
                                  "liaison-password-b", false, yq_time_now(), NULL, err,
                                  sizeof(err)),
                     0);
    assert_int_equal(web_user_add(web_get_auth(f->w), "head-a", NULL, WEB_ROLE_HEAD, DEPT_A,
                                  "head-password-a", false, yq_time_now(), NULL, err, sizeof(err)),
                     0);
    f->srv = test_server_start(f->w, 0, NULL, NULL);
    assert_non_null(f->srv);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    test_server_stop(f->srv);
    web_free(f->w);
    ticket_store_free(f->reader);
    ticket_store_free(f->writer);
    pthread_mutex_destroy(&f->lock);
    ticket_fixture_remove_db(f->dbpath);
    free(f);
    return 0;
}

static void login(struct fx *f, const char *user, const char *pass, struct client *cl)
{
    http_login(test_server_port(f->srv), user, pass, cl);
}

/* POST path with body as cl; expect want; the answer as JSON (new) or NULL. */
static json_t *post(struct fx *f, const struct client *cl, const char *path, const char *body,
                    long want)
{
    struct resp r;
    json_t *v;
    http_request(test_server_port(f->srv), cl, "POST", path, body, NULL, &r);
    if (r.status != want) {
        fail_msg("POST %s: %ld, want %ld: %s", path, r.status, want, r.body ? r.body : "");
    }
    v = r.body ? json_loads(r.body, 0, NULL) : NULL;
    resp_release(&r);
    return v;
}

static long get_status(struct fx *f, const struct client *cl, const char *path)
{
    struct resp r;
    long s;
    http_request(test_server_port(f->srv), cl, "GET", path, NULL, NULL, &r);
    s = r.status;
    resp_release(&r);
    return s;
}

static int64_t count_sql(struct fx *f, const char *sql)
{
    struct yq_stmt *st = NULL;
    int64_t n;
    pthread_mutex_lock(&f->lock);
    assert_int_equal(yq_stmt_prepare(ticket_store_db(f->writer), sql, &st),
                     YQ_DB_OK);
    assert_int_equal(yq_stmt_step(st), YQ_DB_ROW);
    n = yq_stmt_column_int64(st, 0);
    yq_stmt_finalize(st);
    pthread_mutex_unlock(&f->lock);
    return n;
}

static void test_daily_and_list(void **state)
{
    static const struct test_json_str want_report[] = {
        {"kind", "daily"},
        {"title", "舆情日报（2026年11月20日）"},
        {"period_start", "2026-11-19T00:00:00Z"},
        {"period_end", "2026-11-20T00:00:00Z"},
        {"created_by", "duty1"},
    };
    struct fx *f = *state;
    struct client duty, liaison;
    struct resp r;
    json_t *v, *row;
    char *text;
    int64_t id;
    char path[64];

    login(f, "duty1", "duty-password-1", &duty);
    v = post(f, &duty, "/api/reports/daily", "{\"day\":\"2026-11-20\"}", 200);
    assert_true(json_is_true(json_object_get(v, "created")));
    row = json_object_get(v, "report");
    id = json_integer_value(json_object_get(row, "id"));
    assert_true(id > 0);
    test_expect_json_strings("report", row, want_report,
                             sizeof(want_report) / sizeof(want_report[0]));
    assert_true(json_is_null(json_object_get(row, "event_id")));
    snprintf(path, sizeof(path), "/api/reports/%lld", (long long)id);
    assert_string_equal(json_string_value(json_object_get(row, "url")), path);
    json_decref(v);
    /* the same day again: the stored one, one outbox row for the one channel */
    v = post(f, &duty, "/api/reports/daily", "{\"day\":\"2026-11-20\"}", 200);
    assert_false(json_is_true(json_object_get(v, "created")));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "report"), "id")), id);
    json_decref(v);
    assert_int_equal(count_sql(f, "SELECT count(*) FROM outbox WHERE kind = 'briefing' AND "
                                  "channel = 'duty-robot'"),
                     1);
    /* bad and future days */
    json_decref(post(f, &duty, "/api/reports/daily", "{\"day\":\"2026-13-01\"}", 400));
    v = post(f, &duty, "/api/reports/daily", "{\"day\":\"2999-01-01\"}", 400);
    text = yq_json_dumps(v, 0);
    assert_non_null(strstr(text, "尚未结束"));
    free(text);
    json_decref(v);
    /* a day more than 366 days ago: its own reason, and no row */
    v = post(f, &duty, "/api/reports/daily", "{\"day\":\"1970-01-02\"}", 400);
    text = yq_json_dumps(v, 0);
    assert_non_null(strstr(text, "只能生成 366 天以内的日报，该日过早"));
    assert_null(strstr(text, "尚未结束"));
    free(text);
    json_decref(v);
    assert_int_equal(count_sql(f, "SELECT count(*) FROM reports WHERE period_start < 86400 * 365"),
                     0);
    json_decref(post(f, &duty, "/api/reports/daily", "{\"day\":20261120}", 400));
    /* the HTML, with the web's headers */
    http_request(test_server_port(f->srv), &duty, "GET", path, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.content_type, "text/html"));
    assert_true(r.csp[0] != '\0');
    assert_non_null(strstr(r.body, "<h1>舆情日报（2026年11月20日）</h1>"));
    resp_release(&r);
    /* the list */
    v = http_get_json(test_server_port(f->srv), &duty, "/api/reports?kind=daily&limit=5");
    assert_int_equal(json_array_size(json_object_get(v, "reports")), 1);
    json_decref(v);
    assert_int_equal(get_status(f, &duty, "/api/reports?kind=weekly"), 400);
    assert_int_equal(get_status(f, &duty, "/api/reports?limit=0"), 400);
    assert_int_equal(get_status(f, &duty, "/api/reports?kind=daily&limt=5"), 400); /* typo */
    assert_int_equal(get_status(f, &duty, "/api/reports?since=2026-11-01T00:00:00Z"), 400);
    assert_int_equal(get_status(f, &duty, "/api/reports/999999"), 404);
    assert_int_equal(get_status(f, &duty, "/api/reports/abc"), 404);
    /* a liaison reads the daily briefing but writes nothing */
    login(f, "liaison-b", "liaison-password-b", &liaison);
    assert_int_equal(get_status(f, &liaison, path), 200);
    json_decref(post(f, &liaison, "/api/reports/daily", "{\"day\":\"2026-11-21\"}", 403));
}

static void test_event_reports_roles(void **state)
{
    struct fx *f = *state;
    struct client duty, admin, la, lb, head, nocsrf;
    json_t *v;
    int64_t a, b;
    char path[64], apath[64];

    login(f, "duty1", "duty-password-1", &duty);
    snprintf(path, sizeof(path), "/api/reports/event/%lld", (long long)f->event_id);
    v = post(f, &duty, path, NULL, 201);
    a = json_integer_value(json_object_get(json_object_get(v, "report"), "id"));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "report"), "event_id")),
                     f->event_id);
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "report"), "kind")),
                        "event");
    json_decref(v);
    login(f, "admin1", "admin-password-1", &admin);
    v = post(f, &admin, path, NULL, 201);
    b = json_integer_value(json_object_get(json_object_get(v, "report"), "id"));
    json_decref(v);
    assert_true(b > a); /* a new row each time */
    json_decref(post(f, &duty, "/api/reports/event/987654", NULL, 404));
    /* no CSRF token: refused before the route */
    nocsrf = duty;
    nocsrf.csrf[0] = '\0';
    json_decref(post(f, &nocsrf, path, NULL, 403));

    snprintf(apath, sizeof(apath), "/api/reports/%lld", (long long)a);
    {
        struct resp r;
        http_request(test_server_port(f->srv), &duty, "GET", apath, NULL, NULL, &r);
        assert_int_equal(r.status, 200);
        assert_null(strstr(r.body, "<script>"));
        assert_non_null(strstr(r.body, "&lt;script&gt;alert(1)&lt;/script&gt;征地"));
        resp_release(&r);
    }
    /* the lead department's liaison and head see it; another department's liaison does not */
    login(f, "liaison-a", "liaison-password-a", &la);
    login(f, "liaison-b", "liaison-password-b", &lb);
    login(f, "head-a", "head-password-a", &head);
    assert_int_equal(get_status(f, &la, apath), 200);
    assert_int_equal(get_status(f, &head, apath), 200);
    assert_int_equal(get_status(f, &lb, apath), 403);
    v = http_get_json(test_server_port(f->srv), &la, "/api/reports?kind=event");
    assert_int_equal(json_array_size(json_object_get(v, "reports")), 2);
    json_decref(v);
    v = http_get_json(test_server_port(f->srv), &lb, "/api/reports");
    assert_int_equal(json_array_size(json_object_get(v, "reports")), 0);
    json_decref(v);
    json_decref(post(f, &la, path, NULL, 403));
    json_decref(post(f, &head, path, NULL, 403));
    /* methods */
    assert_int_equal(get_status(f, &duty, path), 405);
    json_decref(post(f, &duty, apath, NULL, 405));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_daily_and_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_reports_roles, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
