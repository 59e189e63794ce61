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
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_api.h"
#include "notifier_fixture.h"
#include "test_alerts.h"
#include "test_connect.h"
#include "ticket_intake.h"
#include "ticket_store.h"
#include "yq_buf.h"
#include "yq_err.h"
#include "yq_metrics_http.h"
#include "yq_banned.h"

/* Defaults, but every alert opens its ticket at intake (these tests are about tickets). */
/* A tiny libcurl client: status, response headers and body of one request. */
struct fetch {
    long status;
    char *headers;
    size_t headers_len;
    char *body;
    size_t body_len;
};

static size_t append(char **buf, size_t *len, const char *data, size_t n)
{
    char *nb = realloc(*buf, *len + n + 1);
    if (!nb) {
        return 0;
    }
    memcpy(nb + *len, data, n);
    *len += n;
    nb[*len] = '\0';
    *buf = nb;
    return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct fetch *f = userdata;
    return append(&f->body, &f->body_len, data, size * nmemb);
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct fetch *f = userdata;
    return append(&f->headers, &f->headers_len, data, size * nmemb);
}

static void do_fetch(unsigned port, const char *method, const char *path, struct fetch *f)
{
    char url[256];
    CURL *curl = curl_easy_init();

    memset(f, 0, sizeof(*f));
    assert_non_null(curl);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
    assert_int_equal(curl_easy_setopt(curl, CURLOPT_URL, url), CURLE_OK);
    assert_int_equal(curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method), CURLE_OK);
    assert_int_equal(curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body), CURLE_OK);
    assert_int_equal(curl_easy_setopt(curl, CURLOPT_WRITEDATA, f), CURLE_OK);
    assert_int_equal(curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header), CURLE_OK);
    assert_int_equal(curl_easy_setopt(curl, CURLOPT_HEADERDATA, f), CURLE_OK);
    assert_int_equal(curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L), CURLE_OK);
    assert_int_equal(curl_easy_perform(curl), CURLE_OK);
    assert_int_equal(curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &f->status), CURLE_OK);
    curl_easy_cleanup(curl);
    if (!f->body) {
        f->body = strdup("");
    }
    assert_non_null(f->headers);
}

static void fetch_release(struct fetch *f)
{
    free(f->headers);
    free(f->body);
    memset(f, 0, sizeof(*f));
}

/* Case-insensitive header lookup: the value of "name: value\r\n", compared exactly. */
static void assert_header(const struct fetch *f, const char *name, const char *value)
{
    char want[512];
    snprintf(want, sizeof(want), "\r\n%s: %s\r\n", name, value);
    if (!strcasestr(f->headers, want)) {
        fail_msg("header '%s: %s' missing in:\n%s", name, value, f->headers);
    }
}

/* Reads on a held connection give up after this long: a hang guard, not a measure. */
#define HANG_GUARD_S 60

struct fixture {
    struct notifier_tmp_store tmp; /* the store file (or PostgreSQL schema) and its config */
    struct ticket_store *writer;
    struct http_api *api;
    struct notifier_metrics metrics;
    unsigned port;
};

static const struct test_alert_spec hostile = {
    .event_key = "ev:hostile",
    .item_id = "rss:h1",
    .title = "<script>alert(1)</script> & \\\"quoted\\\" 'single'",
    .url = "https://news.example.cn/a/1.html?x=1&y=\\\"2",
    .level = "III",
    .matched_at = "2026-11-29T08:00:00Z",
    .published_at = "2026-11-29T07:30:00Z",
    .score = 42.0,
};

static const struct test_alert_spec js_url = {
    .event_key = "ev:jsurl",
    .item_id = "wx:biz:1:1",
    .title = "紫阳县拆迁补偿争议",
    .url = "javascript:alert(2)",
    .level = "I",
    .matched_at = "2026-11-29T09:00:00Z",
    .published_at = NULL,
    .score = 90.0,
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    struct http_api_cfg cfg = {.bind_address = "127.0.0.1",
                               .port = 0,
                               .max_tickets = 100,
                               .max_items_per_ticket = 10,
                               .connection_limit = 32, /* above the per-address cap */
                               .connection_timeout_ms = 120000}; /* idle ones stay held */
    char err[256] = "";

    assert_non_null(fx);
    notifier_tmp_store_create(&fx->tmp, "tickets.db");
    assert_int_equal(ticket_store_open(&fx->tmp.cfg, &fx->writer, err, sizeof(err)), 0);
    /* every alert opens its ticket */
    ticket_store_set_policy(fx->writer, notifier_policy_hand_over_all());
    assert_int_equal(notifier_intake(fx->writer, &hostile, 1000, NULL), 0);
    assert_int_equal(notifier_intake(fx->writer, &js_url, 1000, NULL), 0);
    notifier_metrics_init(&fx->metrics, 0);
    notifier_dep_set(&fx->metrics.kafka_up, 1, 0); /* as if the consumer had reached a broker */
    atomic_store(&fx->metrics.alerts_consumed, 7);
    atomic_store(&fx->metrics.tickets_created, 2);
    atomic_store(&fx->metrics.alerts_duplicate, 3);
    fx->api = http_api_new(&cfg, &fx->tmp.cfg, NULL, &fx->metrics, err, sizeof(err));
    if (!fx->api) {
        fail_msg("http_api_new: %s", err);
    }
    fx->port = http_api_port(fx->api);
    assert_true(fx->port > 0 && fx->port != 8080);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    http_api_free(fx->api);
    ticket_store_free(fx->writer);
    notifier_tmp_store_remove(&fx->tmp);
    free(fx);
    return 0;
}

/* Issue #10: the issue #2 page and open JSON API are gone; only /healthz and /metrics remain. */
static void test_issue_10_old_routes_are_gone(void **state)
{
    static const struct {
        const char *method, *path;
        long status;
    } cases[] = {
        {"GET", "/api/tickets", 404},
        {"GET", "/api/tickets/YQ-2026-11-0001", 404},
        {"POST", "/api/tickets/YQ-2026-11-0001/ack", 404},
        {"POST", "/api/tickets", 404},
        {"GET", "/", 404},
        {"GET", "/nope", 404},
        {"GET", "/api/tickets/../../etc/passwd", 404},
        {"DELETE", "/healthz", 405},
        {"POST", "/metrics", 405},
    };
    struct fixture *fx = *state;
    struct fetch f;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        do_fetch(fx->port, cases[i].method, cases[i].path, &f);
        if (f.status != cases[i].status) {
            fail_msg("%s %s: %ld, want %ld", cases[i].method, cases[i].path, f.status,
                     cases[i].status);
        }
        assert_header(&f, "X-Content-Type-Options", "nosniff");
        /* nothing of a ticket leaks on any of them */
        assert_null(strstr(f.body, "YQ-2026"));
        assert_null(strstr(f.body, "script"));
        if (cases[i].status == 405) {
            assert_header(&f, "Allow", "GET, HEAD");
        }
        if (cases[i].status == 404) {
            assert_string_equal(f.body, WEB_NOT_FOUND_TEXT); /* Chinese first (issue #11) */
        }
        fetch_release(&f);
    }
    /* and the POST of an action did not act: the ticket is still open */
    {
        struct ticket t;
        assert_int_equal(ticket_store_get_by_number(fx->writer, "YQ-2026-11-0001", &t), 0);
        assert_string_equal(ticket_state_name(t.state), "open");
        ticket_release(&t);
    }
}

static void test_healthz_and_metrics(void **state)
{
    struct fixture *fx = *state;
    struct fetch f;

    do_fetch(fx->port, "GET", "/healthz", &f);
    assert_int_equal(f.status, 200);
    assert_header(&f, "Content-Type", "application/json; charset=utf-8");
    assert_string_equal(f.body, "{\"status\":\"ok\",\"dependencies\":{\"kafka\":\"up\",\"store\":"
                                "\"up\"}}");
    fetch_release(&f);

    do_fetch(fx->port, "GET", "/metrics", &f);
    assert_int_equal(f.status, 200);
    assert_header(&f, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    assert_non_null(strstr(f.body, "\nyuqing_notifier_alerts_consumed_total 7\n"));
    assert_non_null(strstr(f.body, "\nyuqing_notifier_tickets_created_total 2\n"));
    assert_non_null(strstr(f.body, "\nyuqing_notifier_alerts_duplicate_total 3\n"));
    assert_non_null(strstr(f.body, "# TYPE yuqing_notifier_open_tickets gauge\n"
                                   "yuqing_notifier_open_tickets 2\n"));
    assert_non_null(strstr(f.body, "\nyuqing_notifier_store_up 1\n"));
    assert_non_null(strstr(f.body, "\nyuqing_notifier_dependency_up{dependency=\"kafka\"} 1\n"));
    assert_non_null(strstr(f.body, "\nyuqing_notifier_dependency_up{dependency=\"store\"} 1\n"));
    fetch_release(&f);
}

/*
 * Issue #10: /healthz said "ok" while Kafka was unreachable and store_up stayed 1 during failed
 * commits. Both now follow the dependency states the consumer and delivery record.
 */
static void test_issue_10_health_names_what_is_down(void **state)
{
    static const struct {
        int kafka, store;
        long status;
        const char *body;
    } cases[] = {
        {0, 1, 503, "{\"status\":\"down\",\"dependencies\":{\"kafka\":\"down\",\"store\":\"up\"}}"},
        {1, 0, 503, "{\"status\":\"down\",\"dependencies\":{\"kafka\":\"up\",\"store\":\"down\"}}"},
        {0, 0, 503,
         "{\"status\":\"down\",\"dependencies\":{\"kafka\":\"down\",\"store\":\"down\"}}"},
        {-1, 1, 503,
         "{\"status\":\"down\",\"dependencies\":{\"kafka\":\"unknown\",\"store\":\"up\"}}"},
        {1, 1, 200, "{\"status\":\"ok\",\"dependencies\":{\"kafka\":\"up\",\"store\":\"up\"}}"},
    };
    struct fixture *fx = *state;
    char want[128];
    struct fetch f;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        atomic_store(&fx->metrics.kafka_up.up, cases[i].kafka);
        notifier_dep_set(&fx->metrics.store_up, cases[i].store, 0);
        do_fetch(fx->port, "GET", "/healthz", &f);
        assert_int_equal(f.status, cases[i].status);
        assert_string_equal(f.body, cases[i].body);
        fetch_release(&f);
        do_fetch(fx->port, "GET", "/metrics", &f);
        assert_int_equal(f.status, 200);
        snprintf(want, sizeof(want), "\nyuqing_notifier_store_up %d\n", cases[i].store);
        assert_non_null(strstr(f.body, want));
        snprintf(want, sizeof(want), "\nyuqing_notifier_dependency_up{dependency=\"store\"} %d\n",
                 cases[i].store);
        assert_non_null(strstr(f.body, want));
        snprintf(want, sizeof(want), "\nyuqing_notifier_dependency_up{dependency=\"kafka\"} %d\n",
                 cases[i].kafka > 0 ? 1 : 0);
        assert_non_null(strstr(f.body, want));
        fetch_release(&f);
    }
}

/* GET /healthz on fd: the HTTP status, 0 when the server closed without an answer. */
static int raw_healthz(int fd)
{
    return test_request_status(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
}

/*
 * Send each raw case to the notifier's endpoint (fx) and to a common/yq_metrics_http one (every
 * other stage's) with an "ok" /healthz and a /metrics text published: both must answer alike.
 */
static void monitoring_raw_cases(struct fixture *fx, const struct test_raw_case *cases, size_t n)
{
    static const char health[] = "{\"status\":\"ok\",\"dependencies\":{}}";
    struct yq_metrics_http *mh;
    char err[256] = "";

    test_raw_cases(fx->port, cases, n, "notifier", HANG_GUARD_S);
    mh = yq_metrics_http_start("127.0.0.1", 0, err, sizeof(err));
    if (!mh) {
        fail_msg("yq_metrics_http_start: %s", err);
    }
    assert_int_equal(yq_metrics_http_publish_health(mh, 200, health, sizeof(health) - 1), 0);
    assert_int_equal(yq_metrics_http_publish_metrics(mh, "m 1\n", 4), 0);
    test_raw_cases((unsigned)yq_metrics_http_port(mh), cases, n, "yq_metrics_http", HANG_GUARD_S);
    yq_metrics_http_stop(mh);
}

/*
 * The outside review: /healthz and /metrics answer any Host (monitoring) but answered none on
 * HTTP/1.1 too. RFC 9112 3.2: 400 without Host or with two, on the notifier's endpoint and on
 * every other stage's (common/yq_metrics_http); HTTP/1.0 without Host is answered.
 */
static void test_monitoring_requires_one_host_on_http_1_1(void **state)
{
    static const struct test_raw_case cases[] = {
        {"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", 400},
        {"GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n", 400},
        {"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n", 400},
        {"GET /healthz HTTP/1.1\r\nHost: monitor.example\r\nConnection: close\r\n\r\n", 200},
        {"GET /metrics HTTP/1.1\r\nHost: monitor.example\r\nConnection: close\r\n\r\n", 200},
        {"GET /healthz HTTP/1.0\r\n\r\n", 200},
    };

    monitoring_raw_cases(*state, cases, sizeof(cases) / sizeof(cases[0]));
}

/*
 * RFC 9112 3.2.2: a server MUST accept the absolute form of the request target; the notifier's
 * /healthz and /metrics and every other stage's (common/yq_metrics_http) answered it 404. Now
 * its path is routed (empty: "/"), any scheme but http, userinfo and a bad authority are 400,
 * any host is answered (monitoring) but HTTP/1.1 still needs one Host header.
 */
static void test_absolute_form_target_on_every_monitoring_endpoint(void **state)
{
#define ABS(target, host) "GET " target " HTTP/1.1\r\n" host "Connection: close\r\n\r\n"
    static const struct test_raw_case cases[] = {
        {ABS("http://127.0.0.1:8080/healthz", "Host: 127.0.0.1:8080\r\n"), 200},
        {ABS("HTTP://monitor.example/metrics", "Host: other.example\r\n"), 200},
        {ABS("http://[::1]:9102/healthz", "Host: [::1]:9102\r\n"), 200},
        {ABS("http://127.0.0.1/healthz?x=1", "Host: 127.0.0.1\r\n"), 200},
        {ABS("http://127.0.0.1:8080", "Host: 127.0.0.1\r\n"), 404}, /* "/": not served */
        {ABS("http://127.0.0.1/nothing", "Host: 127.0.0.1\r\n"), 404},
        {ABS("http://a@127.0.0.1/healthz", "Host: 127.0.0.1\r\n"), 400},
        {ABS("https://127.0.0.1/healthz", "Host: 127.0.0.1\r\n"), 400},
        {ABS("ftp://127.0.0.1/healthz", "Host: 127.0.0.1\r\n"), 400},
        {ABS("http:///healthz", "Host: 127.0.0.1\r\n"), 400},
        {ABS("http://127.0.0.1:99999/healthz", "Host: 127.0.0.1\r\n"), 400},
        {ABS("http://[::1/healthz", "Host: 127.0.0.1\r\n"), 400},
        {ABS("healthz", "Host: 127.0.0.1\r\n"), 400},
        {ABS("http://127.0.0.1/healthz", ""), 400}, /* HTTP/1.1 still needs Host */
        {"GET http://127.0.0.1/healthz HTTP/1.0\r\n\r\n", 200},
    };
#undef ABS

    monitoring_raw_cases(*state, cases, sizeof(cases) / sizeof(cases[0]));
}

/*
 * Issue #10: without the web UI the notifier serves only /healthz and /metrics, and one client
 * address may hold at most 8 of its connections (like every monitoring endpoint), so idle or
 * slow connections from one address cannot make /healthz unreachable for the others.
 */
static void test_issue_10_monitor_connections_per_address_capped(void **state)
{
    struct fixture *fx = *state;
    int held[8], extra, other, st = 0;

    for (int i = 0; i < 8; i++) {
        held[i] = test_connect_from(fx->port, "127.0.0.1", HANG_GUARD_S);
    }
    /* once the eight are accepted and counted, a ninth from the same address is refused */
    for (int tries = 0;; tries++) {
        extra = test_connect_from(fx->port, "127.0.0.1", HANG_GUARD_S);
        st = raw_healthz(extra);
        close(extra);
        if (st == 0) {
            break;
        }
        assert_true(tries < 6000); /* a hang guard: 60 s in 10 ms steps */
        usleep(10 * 1000);
    }
    /* another address is still served */
    other = test_connect_from(fx->port, "127.0.0.2", HANG_GUARD_S);
    assert_int_equal(raw_healthz(other), 200);
    close(other);
    for (int i = 0; i < 8; i++) {
        close(held[i]);
    }
}

static void test_bad_bind_address_is_reported(void **state)
{
    struct http_api_cfg cfg = {.bind_address = "localhost",
                               .port = 0,
                               .max_tickets = 1,
                               .max_items_per_ticket = 1,
                               .connection_limit = 1,
                               .connection_timeout_ms = 1000};
    struct fixture *fx = *state;
    char err[256] = "";

    assert_null(http_api_new(&cfg, &fx->tmp.cfg, NULL, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "'localhost' is not an IP address"));
    /* the port in use by the fixture cannot be bound twice */
    cfg.bind_address = "127.0.0.1";
    cfg.port = fx->port;
    assert_null(http_api_new(&cfg, &fx->tmp.cfg, NULL, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "cannot listen"));
}

/* Issue #12: the /metrics body is built in a bounded buffer; past its maximum it is an error */
static void test_issue_12_metrics_text_over_its_maximum(void **state)
{
    struct fixture *fx = *state;
    struct yq_buf b;

    yq_buf_init(&b, 256);
    assert_int_equal(http_api_metrics_text(fx->api, &b), ERR_TOO_BIG);
    yq_buf_release(&b);
    yq_buf_init(&b, HTTP_API_MONITOR_MAX_BYTES);
    assert_int_equal(http_api_metrics_text(fx->api, &b), 0);
    assert_non_null(strstr(b.data, "\nyuqing_notifier_alerts_consumed_total 7\n"));
    assert_true(b.len < HTTP_API_MONITOR_MAX_BYTES / 8);
    yq_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_10_old_routes_are_gone),
        cmocka_unit_test(test_healthz_and_metrics),
        cmocka_unit_test(test_monitoring_requires_one_host_on_http_1_1),
        cmocka_unit_test(test_absolute_form_target_on_every_monitoring_endpoint),
        cmocka_unit_test(test_issue_10_health_names_what_is_down),
        cmocka_unit_test(test_issue_10_monitor_connections_per_address_capped),
        cmocka_unit_test(test_bad_bind_address_is_reported),
        cmocka_unit_test(test_issue_12_metrics_text_over_its_maximum),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, setup, teardown);
    curl_global_cleanup();
    return rc;
}
