/*
 * Issue #15: GET /api/sources/blind over the notifier's real store (web_source_ops): the
 * windows overlapping a range, newest first, a source filter, the bound and "truncated",
 * hostile parameters (400, never a crash), the sources page's roles and the method.
 * The windows are recorded through source_blind_record(), as the notifier's consumer does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_client.h"
#include "source_blind.h"
#include "web_fixture.h"
#include "yq_time.h"

struct fx {
    struct web_fixture fx;
};

static int64_t ts(const char *s)
{
    int64_t t = 0;
    assert_int_equal(yq_time_parse_iso(s, &t, NULL), 0);
    return t;
}

/* Record one window in the fixture's store as the notifier does (writer, under the lock). */
static void window(struct fx *f, const char *id, const char *name, enum yq_blind_reason reason,
                   const char *start, const char *end)
{
    struct yq_source_event ev = {
        .source_id = (char *)id,
        .source_name = (char *)name,
        .source_kind = "rss",
        .open = end == NULL,
        .reason = reason,
        .started_at = ts(start),
        .ended_at = end ? ts(end) : 0,
        .at = ts(end ? end : start),
        .detail = "HTTP 404",
    };
    int err;

    pthread_mutex_lock(&f->fx.ft->lock);
    err = source_blind_record(f->fx.ft->writer, &ev, ev.at, NULL, NULL);
    pthread_mutex_unlock(&f->fx.ft->lock);
    assert_int_equal(err, 0);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct web_cfg cfg;

    assert_non_null(f);
    web_fixture_cfg(&cfg);
    web_fixture_open(&f->fx, &cfg, "yq-web-blind-");
    web_fixture_user(&f->fx, "duty1", "duty_officer", NULL, "duty-password-1");
    assert_int_equal(web_department_add(web_get_auth(f->fx.w), "市教育局", NULL, 0), 0);
    web_fixture_user(&f->fx, "liaison1", "liaison", "市教育局", "liaison-password-1");
    web_fixture_serve(&f->fx, 0);
    window(f, "ankang-gov-news", "安康市人民政府 · 政务要闻", YQ_BLIND_FAILING,
           "2026-11-30T10:00:00Z", "2026-12-01T02:00:00Z");
    window(f, "ankang-gov-news", "安康市人民政府 · 政务要闻", YQ_BLIND_WALLED,
           "2026-12-03T00:00:00Z", "2026-12-03T06:00:00Z");
    window(f, "ankang-weibo", "安康发布 <b>", YQ_BLIND_QUIET, "2026-12-04T00:00:00Z", NULL);
    *state = f;
    return 0;
}

/* GET path as cl: the status, and the body's JSON into *out (may be NULL). */
static long get(struct fx *f, const struct client *cl, const char *path, json_t **out)
{
    struct resp r;
    long status;

    http_request(f->fx.port, cl, "GET", path, NULL, NULL, &r);
    status = r.status;
    if (out) {
        *out = json_loads(r.body ? r.body : "", 0, NULL);
    }
    resp_release(&r);
    return status;
}

static void test_blind_windows_api(void **state)
{
    struct fx *f = *state;
    struct client duty;
    json_t *v, *w, *first;

    http_login(f->fx.port, "duty1", "duty-password-1", &duty);
    v = http_get_json(f->fx.port, &duty,
                      "/api/sources/blind?since=2026-12-01T00:00:00Z&until=2026-12-05T00:00:00Z");
    assert_true(json_is_true(json_object_get(v, "available")));
    assert_false(json_is_true(json_object_get(v, "truncated")));
    assert_string_equal(json_string_value(json_object_get(v, "since")), "2026-12-01T00:00:00Z");
    w = json_object_get(v, "windows");
    assert_int_equal(json_array_size(w), 3);
    first = json_array_get(w, 0); /* newest start first: the open quiet window */
    assert_string_equal(json_string_value(json_object_get(first, "source_id")), "ankang-weibo");
    assert_string_equal(json_string_value(json_object_get(first, "source_name")), "安康发布 <b>");
    assert_string_equal(json_string_value(json_object_get(first, "reason_label")), "异常沉寂");
    assert_true(json_is_true(json_object_get(first, "open")));
    assert_true(json_is_null(json_object_get(first, "ended_at")));
    assert_string_equal(json_string_value(json_object_get(first, "started_at_display")),
                        "2026-12-04 08:00");
    first = json_array_get(w, 1);
    assert_string_equal(json_string_value(json_object_get(first, "reason")), "walled");
    assert_string_equal(json_string_value(json_object_get(first, "ended_at")),
                        "2026-12-03T06:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(first, "duration_s")), 6 * 3600);
    assert_string_equal(json_string_value(json_object_get(first, "detail")), "HTTP 404");
    json_decref(v);

    /* one source; a range before the windows; the bound */
    v = http_get_json(f->fx.port, &duty,
                      "/api/sources/blind?since=2026-11-01T00:00:00Z&until=2026-12-31T00:00:00Z"
                      "&source_id=ankang-gov-news");
    assert_int_equal(json_array_size(json_object_get(v, "windows")), 2);
    json_decref(v);
    v = http_get_json(f->fx.port, &duty,
                      "/api/sources/blind?since=2026-10-01T00:00:00Z&until=2026-11-01T00:00:00Z");
    assert_int_equal(json_array_size(json_object_get(v, "windows")), 0);
    json_decref(v);
    v = http_get_json(f->fx.port, &duty,
                      "/api/sources/blind?since=2026-11-01T00:00:00Z&until=2026-12-31T00:00:00Z"
                      "&limit=2");
    assert_int_equal(json_array_size(json_object_get(v, "windows")), 2);
    assert_true(json_is_true(json_object_get(v, "truncated")));
    json_decref(v);
    /* the default range: the 30 days to now (the open window reaches it) */
    v = http_get_json(f->fx.port, &duty, "/api/sources/blind");
    assert_true(json_array_size(json_object_get(v, "windows")) >= 1);
    json_decref(v);
}

static void test_blind_windows_hostile_and_roles(void **state)
{
    static const struct {
        const char *path, *code;
    } bad[] = {
        {"/api/sources/blind?since=yesterday", "since_invalid"},
        {"/api/sources/blind?until=2026-13-45T99:00:00Z", "until_invalid"},
        {"/api/sources/blind?since=2026-12-05T00:00:00Z&until=2026-12-01T00:00:00Z",
         "range_invalid"},
        {"/api/sources/blind?limit=0", "limit_invalid"},
        {"/api/sources/blind?limit=1001", "limit_invalid"},
        {"/api/sources/blind?limit=abc", "limit_invalid"},
        {"/api/sources/blind?source_id=", "source_id_invalid"},
        {"/api/sources/blind?source=rss", "param_unknown"}, /* the parameter is source_id */
        {"/api/sources/blind?limti=5", "param_unknown"},
    };
    struct fx *f = *state;
    struct client duty, liaison;
    char path[1200];
    json_t *v = NULL;
    struct resp r;

    http_login(f->fx.port, "duty1", "duty-password-1", &duty);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        http_expect_invalid(f->fx.port, &duty, bad[i].path, bad[i].code);
    }
    /* a source id over 256 bytes */
    snprintf(path, sizeof(path), "/api/sources/blind?source_id=");
    memset(path + strlen(path), 'x', 600);
    path[sizeof("/api/sources/blind?source_id=") - 1 + 600] = '\0';
    assert_int_equal(get(f, &duty, path, NULL), 400);
    /* control characters in an id are only a filter that matches nothing */
    v = http_get_json(f->fx.port, &duty, "/api/sources/blind?source_id=%01%1b%5B31m");
    assert_int_equal(json_array_size(json_object_get(v, "windows")), 0);
    json_decref(v);
    /* the method */
    http_request(f->fx.port, &duty, "POST", "/api/sources/blind", "{}", NULL, &r);
    assert_int_equal(r.status, 405);
    resp_release(&r);
    /* the sources page's roles: not a liaison; nobody unauthenticated */
    http_login(f->fx.port, "liaison1", "liaison-password-1", &liaison);
    assert_int_equal(get(f, &liaison, "/api/sources/blind", NULL), 403);
    assert_int_equal(get(f, NULL, "/api/sources/blind", NULL), 401);
}

/* Without a browser: the sources page loads sources.js (no inline script) and has its section. */
static void test_sources_page_and_script_served(void **state)
{
    struct fx *f = *state;
    struct client duty;
    struct resp r;

    http_login(f->fx.port, "duty1", "duty-password-1", &duty);
    http_expect_body(f->fx.port, &duty, "GET", "/sources", NULL, 200,
                     (const char *const[]){"<script src=\"/static/sources.js\" defer></script>",
                                           "<h2 id=\"h-blind\">监测盲区（近 30 天）</h2>",
                                           "<div id=\"blind\"></div>", NULL},
                     (const char *const[]){"<script>", NULL}, &r);
    assert_null(strstr(r.csp, "unsafe-inline"));
    resp_release(&r);
    http_expect_body(f->fx.port, &duty, "GET", "/static/sources.js", NULL, 200,
                     (const char *const[]){"/api/sources/blind?limit=1000",
                                           "registerPage('sources', pageSourcesBlind)", NULL},
                     NULL, &r);
    assert_non_null(strstr(r.content_type, "javascript"));
    resp_release(&r);
}

/* FX(test): test with a fixture of its own: setup() before it, web_fixture_teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, setup, web_fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(test_blind_windows_api),
        FX(test_blind_windows_hostile_and_roles),
        FX(test_sources_page_and_script_served),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
