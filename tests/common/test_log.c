/*
 * The logger escapes every character that could end a log line or forge the next one
 * (issue #10: a user name with a newline wrote "user added user=backdoor" as its own line).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "yq_log.h"

/* Run one LOG_INFO of fmt/arg with stderr sent to a temporary file; out gets what it wrote. */
static void capture(const char *arg, char *out, size_t len)
{
    FILE *tmp = tmpfile();
    int saved;
    size_t n;

    assert_non_null(tmp);
    fflush(stderr);
    saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    LOG_INFO("user added user=%s role=%s", arg, "liaison");
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    rewind(tmp);
    n = fread(out, 1, len - 1, tmp);
    out[n] = '\0';
    fclose(tmp);
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        n += *s == '\n';
    }
    return n;
}

static void test_issue_10_newline_in_value_cannot_forge_a_line(void **state)
{
    char out[4096];

    (void)state;
    capture("eve\n2026-12-01T00:00:00.000Z INFO yuqing-notifier users_cli.c: user added "
            "user=backdoor",
            out, sizeof(out));
    assert_int_equal(count_lines(out), 1);
    assert_non_null(strstr(out, "user=eve\\n2026-12-01T00:00:00.000Z INFO"));
    assert_non_null(strstr(out, "role=liaison\n"));
}

static void test_issue_10_line_breakers_escaped(void **state)
{
    static const struct {
        const char *in;
        const char *want; /* how the value must appear */
    } cases[] = {
        {"a\rb", "a\\rb"},
        {"a\tb", "a\\tb"},
        {"a\x1b[2Jb", "a\\x1b[2Jb"},                 /* ESC: terminal control */
        {"a\x7f" "b", "a\\x7fb"},
        {"a\xc2\x85" "b", "a\\u0085b"},              /* NEL (C1) */
        {"a\xc2\x9b" "b", "a\\u009bb"},              /* CSI (C1) */
        {"a\xe2\x80\xa8" "b", "a\\u2028b"},          /* line separator */
        {"a\xe2\x80\xa9" "b", "a\\u2029b"},          /* paragraph separator */
        {"a\x85" "b", "a\\x85b"},                    /* a lone byte that is not UTF-8 */
        {"舆情监测", "舆情监测"},                     /* ordinary text stays as it is */
    };
    char out[4096], want[128];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        capture(cases[i].in, out, sizeof(out));
        snprintf(want, sizeof(want), "user=%s role=liaison\n", cases[i].want);
        if (!strstr(out, want)) {
            fail_msg("case %zu: got '%s', want '%s'", i, out, want);
        }
        assert_int_equal(count_lines(out), 1);
    }
}

static void test_escape_never_splits_a_character(void **state)
{
    char out[6];

    (void)state;
    /* "\n" needs 2 bytes, "舆" 3: 5 bytes of room take "a\\n" and not half of "舆" */
    assert_int_equal(yq_log_escape("a\n舆", 5, out, sizeof(out) - 1), 3);
    assert_string_equal(out, "a\\n");
}

static void test_issue_10_url_secrets_redacted(void **state)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx",
         "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"},
        {"https://oapi.dingtalk.com/robot/send?access_token=abc123&timestamp=1&sign=xyz%3D",
         "https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=1&sign=***"},
        {"https://open.feishu.cn/open-apis/bot/v2/hook/0f8e-77aa?x=1",
         "https://open.feishu.cn/open-apis/bot/v2/hook/***?x=1"},
        {"smtp://mailer:hunter2@smtp.example.org:465/", "smtp://***@smtp.example.org:465/"},
        {"http://h/x?Token=T&monkey=banana&Password=p#frag", "http://h/x?Token=***&monkey=banana&Password=***#frag"},
        {"url='https://h/?secret=s' next key=visible", "url='https://h/?secret=***' next key=visible"},
        {"no url here: key=value", "no url here: key=value"},
        {"http://h/?key=", "http://h/?key=***"},
    };
    char out[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        yq_redact_url_secrets(cases[i].in, out, sizeof(out));
        if (strcmp(out, cases[i].want) != 0) {
            fail_msg("case %zu: got '%s', want '%s'", i, out, cases[i].want);
        }
    }
    /* and in every log line */
    capture("https://oapi.dingtalk.com/robot/send?access_token=abc123", out, sizeof(out));
    assert_null(strstr(out, "abc123"));
    assert_non_null(strstr(out, "access_token=***"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_10_newline_in_value_cannot_forge_a_line),
        cmocka_unit_test(test_issue_10_line_breakers_escaped),
        cmocka_unit_test(test_escape_never_splits_a_character),
        cmocka_unit_test(test_issue_10_url_secrets_redacted),
    };
    yq_log_init("test", YQ_LOG_INFO);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
