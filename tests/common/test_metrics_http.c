/*
 * common/yq_metrics_http: the Prometheus text writer (escaping, label lists, limits) and the
 * one reading of a request target every server routes by (RFC 9112 section 3.2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <microhttpd.h>

#include "test_connect.h"
#include "yq_buf.h"
#include "yq_err.h"
#include "yq_health.h"
#include "yq_metrics_http.h"
#include "yq_banned.h"

struct label_case {
    const char *value;
    const char *want;
};

/* Exposition format 0.0.4: backslash, double quote and line feed are escaped, nothing else. */
static const struct label_case label_cases[] = {
    {"", ""},
    {"plain.topic-1", "plain.topic-1"},
    {"a\"b", "a\\\"b"},
    {"c:\\dir", "c:\\\\dir"},
    {"two\nlines", "two\\nlines"},
    {"tab\there\r", "tab\there\r"},
    {"安康\"\\\n", "安康\\\"\\\\\\n"},
};

static void test_label_value_escaping(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(label_cases) / sizeof(label_cases[0]); i++) {
        struct yq_buf b;
        yq_buf_init(&b, 256);
        assert_int_equal(yq_metrics_http_label_value(&b, label_cases[i].value), 0);
        assert_string_equal(b.data ? b.data : "", label_cases[i].want);
        yq_buf_release(&b);
    }
}

static void test_families_and_samples(void **state)
{
    const struct yq_metrics_http_label labels[] = {{"topic", "t\"1"}, {"partition", "3"}};
    struct yq_buf b;

    (void)state;
    yq_buf_init(&b, 4096);
    assert_int_equal(yq_metrics_http_family(&b, "x_lag", "gauge", "lag with \\ and\nnewline"), 0);
    assert_int_equal(yq_metrics_http_sample(&b, "x_lag", labels, 2, -1), 0);
    assert_int_equal(yq_metrics_http_sample(&b, "x_lag", labels + 1, 1, INT64_MAX), 0);
    assert_int_equal(yq_metrics_http_scalar(&b, "x_total", "counter", "things seen", 42), 0);
    assert_string_equal(b.data, "# HELP x_lag lag with \\\\ and\\nnewline\n"
                                "# TYPE x_lag gauge\n"
                                "x_lag{topic=\"t\\\"1\",partition=\"3\"} -1\n"
                                "x_lag{partition=\"3\"} 9223372036854775807\n"
                                "# HELP x_total things seen\n"
                                "# TYPE x_total counter\n"
                                "x_total 42\n");
    yq_buf_release(&b);
}

/*
 * Issue #12: the notifier's /metrics and yq_health_metrics() wrote their HELP/TYPE lines by
 * hand ("# HELP %s %s\n# TYPE %s counter\n%s %lld\n" and the dependency family); through
 * the writer the bytes are the same. The expected texts are those hand-written formats.
 */
static void test_same_bytes_as_the_hand_written_lines(void **state)
{
    static const char *const help = "reminders (催办) and supervisions (督办) recorded";
    const struct yq_dep deps[] = {{"kafka", YQ_DEP_UP}, {"store", YQ_DEP_DOWN},
                                  {"redis", YQ_DEP_UNKNOWN}};
    char want[512];
    struct yq_buf b;

    (void)state;
    yq_buf_init(&b, 4096);
    assert_int_equal(yq_metrics_http_scalar(&b, "yuqing_notifier_escalations_total", "counter",
                                            help, 12345678901LL),
                     0);
    snprintf(want, sizeof(want), "# HELP %s %s\n# TYPE %s counter\n%s %lld\n",
             "yuqing_notifier_escalations_total", help, "yuqing_notifier_escalations_total",
             "yuqing_notifier_escalations_total", 12345678901LL);
    assert_string_equal(b.data, want);
    yq_buf_release(&b);

    yq_buf_init(&b, 4096);
    assert_int_equal(yq_health_metrics(&b, "notifier", deps, 3), 0);
    assert_string_equal(b.data, "# HELP yuqing_notifier_dependency_up 1 when the dependency "
                                "answered its last check\n"
                                "# TYPE yuqing_notifier_dependency_up gauge\n"
                                "yuqing_notifier_dependency_up{dependency=\"kafka\"} 1\n"
                                "yuqing_notifier_dependency_up{dependency=\"store\"} 0\n"
                                "yuqing_notifier_dependency_up{dependency=\"redis\"} 0\n");
    yq_buf_release(&b);

    /* a process name that would not fit the metric name is refused, not cut */
    {
        char longname[80];
        memset(longname, 'p', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        yq_buf_init(&b, 4096);
        assert_int_equal(yq_health_metrics(&b, longname, deps, 1), ERR_INVALID);
        yq_buf_release(&b);
    }
}

/* Issue #12: the one security header set both HTTP servers add (web_reply.c, http_api.c). */
static void test_security_headers(void **state)
{
    static const char *const want[][2] = {
        {"Content-Security-Policy", "default-src 'none'"},
        {"X-Content-Type-Options", "nosniff"},
        {"Referrer-Policy", "no-referrer"},
        {"X-Frame-Options", "DENY"},
        {"Cross-Origin-Opener-Policy", "same-origin"},
        {"Cross-Origin-Resource-Policy", "same-origin"},
    };
    struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);

    (void)state;
    assert_non_null(r);
    assert_int_equal(yq_metrics_http_security_headers(r, "default-src 'none'"), 0);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const char *v = MHD_get_response_header(r, want[i][0]);
        if (!v || strcmp(v, want[i][1]) != 0) {
            fail_msg("%s: '%s', want '%s'", want[i][0], v ? v : "(none)", want[i][1]);
        }
    }
    MHD_destroy_response(r);
}

/* The bounded buffer's maximum holds: a document past it fails with ERR_TOO_BIG. */
static void test_limit(void **state)
{
    const struct yq_metrics_http_label l = {"source", "a long label value"};
    struct yq_buf b;

    (void)state;
    yq_buf_init(&b, 16);
    assert_int_equal(yq_metrics_http_sample(&b, "m", &l, 1, 1), ERR_TOO_BIG);
    assert_true(b.len <= 16);
    yq_buf_release(&b);
    yq_buf_init(&b, 16);
    assert_int_equal(yq_metrics_http_scalar(&b, "m", "gauge", "h", 1), ERR_TOO_BIG);
    yq_buf_release(&b);
}

/*
 * RFC 9112 3.2.2: a server MUST accept the absolute form ("GET http://host/path"), which every
 * server of the project answered 404 (the whole URL was compared with its paths). The path is
 * routed, the authority is the request's host; any scheme but http, userinfo and a malformed
 * authority are refused. url as libmicrohttpd passes it: without the query, percent-decoded.
 */
static void test_request_target_forms(void **state)
{
    static const struct {
        const char *url;
        int rc;
        const char *path, *authority;
    } cases[] = {
        {"/api/meta/labels", 0, "/api/meta/labels", ""},
        {"/", 0, "/", ""},
        {"*", 0, "*", ""},
        {"http://127.0.0.1:8080/api/meta/labels", 0, "/api/meta/labels", "127.0.0.1:8080"},
        {"HTTP://Monitor.Example/healthz", 0, "/healthz", "Monitor.Example"},
        {"http://127.0.0.1:8080", 0, "/", "127.0.0.1:8080"}, /* empty path: "/" */
        {"http://localhost", 0, "/", "localhost"},
        {"http://[::1]:8080/metrics", 0, "/metrics", "[::1]:8080"},
        {"http://yq.example./", 0, "/", "yq.example."},
        {"http://a_b~c.example:65535/x/y", 0, "/x/y", "a_b~c.example:65535"},
        {"http://a@127.0.0.1/", ERR_PARSE, NULL, NULL}, /* userinfo */
        {"http://user:pw@127.0.0.1/api/me", ERR_PARSE, NULL, NULL},
        {"https://127.0.0.1/api/me", ERR_PARSE, NULL, NULL}, /* plain HTTP only */
        {"ftp://127.0.0.1/healthz", ERR_PARSE, NULL, NULL},
        {"http:/127.0.0.1/healthz", ERR_PARSE, NULL, NULL},
        {"http:///healthz", ERR_PARSE, NULL, NULL}, /* empty host */
        {"http://:8080/healthz", ERR_PARSE, NULL, NULL},
        {"http://127.0.0.1:/healthz", ERR_PARSE, NULL, NULL}, /* empty port */
        {"http://127.0.0.1:65536/healthz", ERR_PARSE, NULL, NULL},
        {"http://127.0.0.1:80a/healthz", ERR_PARSE, NULL, NULL},
        {"http://127.0.0.1:123456/healthz", ERR_PARSE, NULL, NULL},
        {"http://[::1/healthz", ERR_PARSE, NULL, NULL},
        {"http://[not-v6]/healthz", ERR_PARSE, NULL, NULL},
        {"http://[::1]x/healthz", ERR_PARSE, NULL, NULL},
        {"http://exa mple/healthz", ERR_PARSE, NULL, NULL},
        {"http://exa%2fmple/healthz", ERR_PARSE, NULL, NULL},
        {"http://127.0.0.1#frag", ERR_PARSE, NULL, NULL},
        {"healthz", ERR_PARSE, NULL, NULL}, /* neither form */
        {"", ERR_PARSE, NULL, NULL},
        {"1http://127.0.0.1/", ERR_PARSE, NULL, NULL},
    };
    char longest[300];
    struct yq_http_target t;
    const char *why;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        why = NULL;
        int rc = yq_metrics_http_target(cases[i].url, &t, &why);
        if (rc != cases[i].rc) {
            fail_msg("'%s': %d, want %d", cases[i].url, rc, cases[i].rc);
        }
        if (rc == 0 &&
            (strcmp(t.path, cases[i].path) != 0 || strcmp(t.authority, cases[i].authority) != 0)) {
            fail_msg("'%s': path '%s' authority '%s', want '%s' '%s'", cases[i].url, t.path,
                     t.authority, cases[i].path, cases[i].authority);
        }
        if (rc != 0 && (!why || !why[0])) {
            fail_msg("'%s': refused without a reason", cases[i].url);
        }
    }
    /* a host name of 253 bytes and a port fit; one byte more is no authority */
    memcpy(longest, "http://", 7);
    memset(longest + 7, 'a', 253);
    memcpy(longest + 260, ":65535/x", 9);
    assert_int_equal(yq_metrics_http_target(longest, &t, NULL), 0);
    assert_int_equal(strlen(t.authority), 259);
    assert_string_equal(t.path, "/x");
    memset(longest + 7, 'a', 257);
    memcpy(longest + 264, ":65535/x", 9);
    assert_int_equal(yq_metrics_http_target(longest, &t, NULL), ERR_PARSE);
}

/*
 * The stages' /healthz and /metrics refuse a bad request in plain text naming the fault, as
 * docs/api.md says (they answered 400 with an empty body): a target yq_metrics_http_target()
 * refuses, with its reason, and an HTTP/1.1 request without a Host.
 */
static void test_bad_request_is_named_in_plain_text(void **state)
{
    static const struct {
        const char *req;
        const char *body;
    } cases[] = {
        {"GET https://127.0.0.1/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
         "bad request target: scheme is not http\n"},
        {"GET http://a@127.0.0.1/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
         "bad request target: userinfo in the authority\n"},
        {"GET healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
         "bad request target: not a request target\n"},
        {"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n",
         "bad request: one Host header required\n"},
    };
    char err[256];
    struct yq_metrics_http *h = yq_metrics_http_start("127.0.0.1", 0, err, sizeof(err));

    (void)state;
    assert_non_null(h);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char resp[2048];
        size_t got = 0;
        ssize_t n;
        const char *body;
        int fd = test_connect_from((unsigned)yq_metrics_http_port(h), "127.0.0.1", 10);

        assert_int_equal(send(fd, cases[i].req, strlen(cases[i].req), MSG_NOSIGNAL),
                         (ssize_t)strlen(cases[i].req));
        while (got < sizeof(resp) - 1 &&
               (n = recv(fd, resp + got, sizeof(resp) - 1 - got, 0)) > 0) {
            got += (size_t)n;
        }
        resp[got] = '\0';
        close(fd);
        body = strstr(resp, "\r\n\r\n");
        if (strncmp(resp, "HTTP/1.1 400 ", 13) != 0 || !body ||
            strcmp(body + 4, cases[i].body) != 0 ||
            !strstr(resp, "Content-Type: text/plain; charset=utf-8\r\n")) {
            fail_msg("case %zu: '%s'", i, resp);
        }
    }
    yq_metrics_http_stop(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_value_escaping),
        cmocka_unit_test(test_families_and_samples),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_same_bytes_as_the_hand_written_lines),
        cmocka_unit_test(test_security_headers),
        cmocka_unit_test(test_request_target_forms),
        cmocka_unit_test(test_bad_request_is_named_in_plain_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
