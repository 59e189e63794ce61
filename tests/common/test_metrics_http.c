/* The Prometheus text writer of common/yq_metrics_http: escaping, label lists, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <microhttpd.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_label_value_escaping),
        cmocka_unit_test(test_families_and_samples),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_same_bytes_as_the_hand_written_lines),
        cmocka_unit_test(test_security_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
