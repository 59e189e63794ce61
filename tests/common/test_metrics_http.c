/* The Prometheus text writer of common/yq_metrics_http: escaping, label lists, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "yq_buf.h"
#include "yq_err.h"
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
