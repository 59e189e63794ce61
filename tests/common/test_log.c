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

#include "capture.h"
#include "yq_log.h"

/* Run one LOG_INFO of fmt/arg with stderr sent to a temporary file; out gets what it wrote. */
static void capture(const char *arg, char *out, size_t len)
{
    struct capture_tmp c;

    capture_tmp_begin(&c, STDERR_FILENO);
    LOG_INFO("user added user=%s role=%s", arg, "liaison");
    capture_tmp_end(&c, out, len);
}

/* Run LOG_INFO("login failed user=%s client=%s", YQ_Q(user), client) like capture(). */
static void capture_quoted(const char *user, const char *client, char *out, size_t len)
{
    struct capture_tmp c;

    capture_tmp_begin(&c, STDERR_FILENO);
    LOG_INFO("login failed user=%s client=%s", YQ_Q(user), client);
    capture_tmp_end(&c, out, len);
}

/* A URL and how yq_redact_url_secrets() must write it. */
struct redact_case {
    const char *in, *want;
};

/* Each of the n cases redacted as it wants; never (may be NULL) must not be left in any. */
static void check_redacted(const struct redact_case *cases, size_t n, const char *never)
{
    char out[256];

    for (size_t i = 0; i < n; i++) {
        yq_redact_url_secrets(cases[i].in, out, sizeof(out));
        if (strcmp(out, cases[i].want) != 0) {
            fail_msg("case %zu: got '%s', want '%s'", i, out, cases[i].want);
        }
        if (never) {
            assert_null(strstr(out, never));
        }
    }
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

/* Issue #10: --print-config left "#token=SECRET10" and "?%74oken=SECRET12" as they were. */
static void test_issue_10_fragment_and_encoded_keys_redacted(void **state)
{
    static const struct redact_case cases[] = {
        {"https://h/cb#token=SECRET10", "https://h/cb#token=***"},
        {"https://h/cb?x=1#access_token=SECRET11&state=s",
         "https://h/cb?x=1#access_token=***&state=s"},
        {"https://h/?%74oken=SECRET12", "https://h/?%74oken=***"},
        {"https://h/?a=1&%54%4F%4B%45%4E=SECRET13", "https://h/?a=1&%54%4F%4B%45%4E=***"},
        {"https://h/?a;token=SECRET14", "https://h/?a;token=***"},
        {"https://h/#/page?sign=SECRET15", "https://h/#/page?sign=***"},
        {"https://h/?%7=1&%zzkey=v#frag", "https://h/?%7=1&%zzkey=v#frag"}, /* not secrets */
        {"https://h/?tok%65n=SECRET16", "https://h/?tok%65n=***"},
    };

    (void)state;
    check_redacted(cases, sizeof(cases) / sizeof(cases[0]), "SECRET");
}

static void test_issue_10_backslash_is_escaped(void **state)
{
    char out[4096];

    (void)state;
    /* a literal backslash-n must not read like an escaped newline */
    capture("eve\\nuser=backdoor", out, sizeof(out));
    assert_non_null(strstr(out, "user=eve\\\\nuser=backdoor role=liaison\n"));
    capture("eve\nuser=backdoor", out, sizeof(out));
    assert_non_null(strstr(out, "user=eve\\nuser=backdoor role=liaison\n"));
}

static void test_issue_10_quoted_value_cannot_forge_pairs(void **state)
{
    static const struct {
        const char *user;
        const char *want; /* the whole message */
    } cases[] = {
        {"admin client=203.0.113.9 reason=ok",
         "login failed user=\"admin client=203.0.113.9 reason=ok\" client=127.0.0.70\n"},
        {"a\" client=1.2.3.4 x=\"", "login failed user=\"a\\\" client=1.2.3.4 x=\\\"\" "
                                   "client=127.0.0.70\n"},
        {"a\\\" b=c", "login failed user=\"a\\\\\\\" b=c\" client=127.0.0.70\n"},
        {"eve\n\x1f client=9.9.9.9", "login failed user=\"eve\\n client=9.9.9.9\" "
                                      "client=127.0.0.70\n"},
        {"", "login failed user=\"\" client=127.0.0.70\n"},
        {"张三", "login failed user=\"张三\" client=127.0.0.70\n"},
    };
    char out[4096];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *msg;
        capture_quoted(cases[i].user, "127.0.0.70", out, sizeof(out));
        msg = strstr(out, "login failed");
        if (!msg || strcmp(msg, cases[i].want) != 0) {
            fail_msg("case %zu: got '%s', want '%s'", i, out, cases[i].want);
        }
    }
}

static void test_quote_cuts_at_a_character_boundary(void **state)
{
    char out[8];

    (void)state;
    /* 8 bytes: open, 5 of text, close, NUL; "舆情" needs 6: only "舆" fits, not half of 情 */
    assert_string_equal(yq_log_quote("a舆情", out, sizeof(out)), "\x1e" "a舆" "\x1f");
    assert_string_equal(yq_log_quote(NULL, out, sizeof(out)), "\x1e\x1f");
}

static void test_issue_10_url_secrets_redacted(void **state)
{
    static const struct redact_case cases[] = {
        {"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx",
         "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"},
        {"https://oapi.dingtalk.com/robot/send?access_token=abc123&timestamp=1&sign=xyz%3D",
         "https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=1&sign=***"},
        {"https://open.feishu.cn/open-apis/bot/v2/hook/0f8e-77aa?x=1",
         "https://open.feishu.cn/open-apis/bot/v2/hook/***?x=1"},
        {"smtp://mailer:hunter2@smtp.example.org:465/", "smtp://***@smtp.example.org:465/"},
        {"http://h/x?Token=T&monkey=banana&Password=p#frag",
         "http://h/x?Token=***&monkey=banana&Password=***#frag"},
        {"url='https://h/?secret=s' next key=visible",
         "url='https://h/?secret=***' next key=visible"},
        {"no url here: key=value", "no url here: key=value"},
        {"http://h/?key=", "http://h/?key=***"},
    };
    char out[256];

    (void)state;
    check_redacted(cases, sizeof(cases) / sizeof(cases[0]), NULL);
    /* and in every log line */
    capture("https://oapi.dingtalk.com/robot/send?access_token=abc123", out, sizeof(out));
    assert_null(strstr(out, "abc123"));
    assert_non_null(strstr(out, "access_token=***"));
}

/*
 * Review of #16: libpq reads a postgresql:// password up to its first '@' even past '?' and
 * '#', so "u:p?host=x@h" holds the password "p?host=x"; sslpassword= is a secret too. An http
 * URL keeps RFC 3986's user information (nothing past '/', '?' or '#').
 */
static void test_issue_16_postgres_url_secrets_redacted(void **state)
{
    static const struct redact_case cases[] = {
        {"store=postgresql://u:SE?host=CRET@127.0.0.1:5432/db end",
         "store=postgresql://***@127.0.0.1:5432/db end"},
        {"postgres://u:SE#CRET@h/db", "postgres://***@h/db"},
        {"postgresql://u:SE/CRET@h/db?sslmode=require", "postgresql://***@h/db?sslmode=require"},
        {"postgresql://u@h/db?sslpassword=SECRET&sslmode=require",
         "postgresql://***@h/db?sslpassword=***&sslmode=require"},
        {"postgresql://h:5432/db?user=a@b", "postgresql://h:5432/db?user=a@b"},
        {"https://h/p?next=a@b", "https://h/p?next=a@b"},
    };

    (void)state;
    check_redacted(cases, sizeof(cases) / sizeof(cases[0]), "SE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_10_newline_in_value_cannot_forge_a_line),
        cmocka_unit_test(test_issue_10_line_breakers_escaped),
        cmocka_unit_test(test_escape_never_splits_a_character),
        cmocka_unit_test(test_issue_10_url_secrets_redacted),
        cmocka_unit_test(test_issue_16_postgres_url_secrets_redacted),
        cmocka_unit_test(test_issue_10_backslash_is_escaped),
        cmocka_unit_test(test_issue_10_fragment_and_encoded_keys_redacted),
        cmocka_unit_test(test_issue_10_quoted_value_cannot_forge_pairs),
        cmocka_unit_test(test_quote_cuts_at_a_character_boundary),
    };
    yq_log_init("test", YQ_LOG_INFO);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
