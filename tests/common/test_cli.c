/* common/yq_cli: the yuqingctl subcommands' option tables (issue #12). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "yq_cli.h"
#include "yq_err.h"
#include "yq_time.h"

struct opts {
    const char *format;
    const char *out;
    bool local;
};

static const struct yq_cli_opt table[] = {
    YQ_CLI_VALUE("--format", struct opts, format),
    YQ_CLI_VALUE("--out", struct opts, out),
    YQ_CLI_FLAG("--local", struct opts, local),
};

static int parse(int argc, char **argv, struct opts *o, const char **words, size_t n_words,
                 char *why, size_t len)
{
    memset(o, 0, sizeof(*o));
    return yq_cli_parse(argc, argv, 1, table, 3, o, words, n_words, why, len);
}

static void test_options_and_words_in_any_order(void **state)
{
    char *argv[] = {"stats", "--format", "csv",     "month",    "--out",
                    "a.csv", "--local",  "2026-11", "--format", "json"};
    const char *words[2] = {NULL, NULL};
    struct opts o;
    char why[128] = "";

    (void)state;
    assert_int_equal(parse(10, argv, &o, words, 2, why, sizeof(why)), 0);
    assert_string_equal(o.format, "json"); /* the later one wins */
    assert_string_equal(o.out, "a.csv");
    assert_true(o.local);
    assert_string_equal(words[0], "month");
    assert_string_equal(words[1], "2026-11");
    assert_string_equal(why, "");
}

static void test_bad_arguments_are_named(void **state)
{
    static const struct {
        int argc;
        char *argv[4];
        const char *why;
    } cases[] = {
        {3, {"x", "--pdf", "1"}, "未知选项 '--pdf' (unknown option)"},
        {2, {"x", "--out"}, "选项 '--out' 缺少取值 (needs a value)"},
        {3, {"x", "a", "b"}, "多余的参数 'b' (unexpected argument)"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *words[1] = {NULL};
        struct opts o;
        char why[128] = "";
        assert_int_equal(
            parse(cases[i].argc, (char **)cases[i].argv, &o, words, 1, why, sizeof(why)),
            ERR_INVALID);
        assert_string_equal(why, cases[i].why);
    }
}

/* -h or --help anywhere is a request for the usage (exit 0), not an unknown option. */
static void test_help_is_asked_not_refused(void **state)
{
    (void)state;
    char *a1[] = {"rules", "test", "--help"};
    char *a2[] = {"stats", "--format", "csv", "-h", "--bogus"};
    char *a3[] = {"stats", "--helpful"};
    const char *words[2] = {NULL, NULL};
    struct opts o;
    char why[128] = "";

    assert_int_equal(parse(3, a1, &o, words, 2, why, sizeof(why)), YQ_CLI_HELP);
    assert_int_equal(parse(5, a2, &o, words, 2, why, sizeof(why)), YQ_CLI_HELP);
    assert_int_equal(parse(2, a3, &o, words, 2, why, sizeof(why)), ERR_INVALID);
    assert_non_null(strstr(why, "'--helpful'"));
}

static void test_numbers_in_range_only(void **state)
{
    (void)state;
    long v = -7;

    assert_int_equal(yq_cli_parse_long("42", 1, 256, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(yq_cli_parse_long("256", 1, 256, &v), 0);
    assert_int_equal(v, 256);
    assert_int_equal(yq_cli_parse_long("257", 1, 256, &v), ERR_INVALID);
    assert_int_equal(yq_cli_parse_long("0", 1, 256, &v), ERR_INVALID);
    assert_int_equal(yq_cli_parse_long("", 1, 256, &v), ERR_INVALID);
    assert_int_equal(yq_cli_parse_long("12x", 1, 256, &v), ERR_INVALID);
    assert_int_equal(yq_cli_parse_long("99999999999999999999999", 0, 0x7fffffffL, &v), ERR_INVALID);
    assert_int_equal(v, 256); /* unchanged by the refusals */
}

/*
 * yq_cli_parse_cmd(argv) of opts (n_opts rows, into out) with fd (STDOUT_FILENO or
 * STDERR_FILENO) read into text (len bytes, NUL-terminated). Returns its answer.
 */
static int parse_cmd_of(const struct yq_cli_opt *opts, size_t n_opts, void *out, int argc,
                        char **argv, int fd, char *text, size_t len)
{
    const char *words[1] = {NULL};
    struct capture_tmp c;
    int rc;

    capture_tmp_begin(&c, fd);
    rc = yq_cli_parse_cmd("yuqingctl x", "usage: yuqingctl x WORD\n", argc, argv, 1, opts, n_opts,
                          out, words, 1);
    capture_tmp_end(&c, text, len);
    return rc;
}

/* parse_cmd_of() of the text options' table. */
static int parse_cmd(int argc, char **argv, int fd, char *text, size_t len)
{
    struct opts o;

    memset(&o, 0, sizeof(o));
    return parse_cmd_of(table, 3, &o, argc, argv, fd, text, len);
}

/* The command's answers printed the one way: help to stdout, a bad argument to stderr. */
static void test_cmd_prints_help_and_refusals(void **state)
{
    char *help[] = {"x", "a", "--help"};
    char *bad[] = {"x", "--pdf"};
    char *good[] = {"x", "--local", "a"};
    char text[256];

    (void)state;
    assert_int_equal(parse_cmd(3, help, STDOUT_FILENO, text, sizeof(text)), YQ_CLI_HELP);
    assert_string_equal(text, "usage: yuqingctl x WORD\n");
    assert_int_equal(parse_cmd(2, bad, STDERR_FILENO, text, sizeof(text)), ERR_INVALID);
    assert_string_equal(text, "yuqingctl x: 未知选项 '--pdf' (unknown option)\n"
                              "usage: yuqingctl x WORD\n");
    assert_int_equal(parse_cmd(3, good, STDERR_FILENO, text, sizeof(text)), 0);
    assert_string_equal(text, "");
    assert_int_equal(parse_cmd(3, good, STDOUT_FILENO, text, sizeof(text)), 0);
    assert_string_equal(text, "");
}

/* The typed rows: a time, a time that may count back from now, two numbers. */
struct typed {
    struct yq_cli_time now;
    struct yq_cli_time since;
    struct yq_cli_long limit;
    struct yq_cli_long id;
};

static const struct yq_cli_opt typed_table[] = {
    YQ_CLI_TIME("--now", struct typed, now),
    YQ_CLI_TIME_AGO("--since", struct typed, since),
    YQ_CLI_LONG("--limit", struct typed, limit, 1, 1000),
    YQ_CLI_LONG("--id", struct typed, id, 1, LONG_MAX),
};

#define N_TYPED (sizeof(typed_table) / sizeof(typed_table[0]))
#define DEC_1_UTC 1796083200 /* 2026-12-01T00:00:00Z */

/* Defaults the rows must leave alone when their option is not given. */
static void typed_defaults(struct typed *t)
{
    memset(t, 0, sizeof(*t));
    t->now.s = 42;
    t->since.s = 43;
    t->limit.v = 50;
    t->id.v = 0;
}

/*
 * Each typed kind: a good value is converted and marked set, a later one wins, a bad or
 * out-of-range value is ERR_INVALID with the one message naming the option and the value, a
 * missing value is named; an option not given keeps the caller's default, not set.
 */
static void test_typed_rows_convert_and_check(void **state)
{
    static const struct {
        int argc;
        char *argv[6];
        int rc;
        int64_t now_s; /* expected when rc is 0 */
        long limit, id;
        const char *why;
    } cases[] = {
        {3, {"x", "--now", "2026-12-01T00:00:00Z"}, 0, DEC_1_UTC, 50, 0, ""},
        {3, {"x", "--now", "2026-12-01T08:00:00"}, 0, DEC_1_UTC, 50, 0, ""}, /* Beijing time */
        {5, {"x", "--now", "2026-01-01", "--now", "2026-12-01T00:00:00Z"}, 0, DEC_1_UTC, 50, 0, ""},
        {3, {"x", "--limit", "1000"}, 0, 42, 1000, 0, ""},
        {5, {"x", "--limit", "5", "--limit", "7"}, 0, 42, 7, 0, ""},
        {3, {"x", "--id", "9223372036854775807"}, 0, 42, 50, LONG_MAX, ""},
        {3,
         {"x", "--now", "x"},
         ERR_INVALID,
         0,
         0,
         0,
         "选项 '--now' 的取值 'x' 不是 RFC 3339 时间 (not an RFC 3339 time)"},
        {3,
         {"x", "--now", "30d"},
         ERR_INVALID,
         0,
         0,
         0, /* a plain time does not count back */
         "选项 '--now' 的取值 '30d' 不是 RFC 3339 时间 (not an RFC 3339 time)"},
        {3,
         {"x", "--now", "2026-13-01"},
         ERR_INVALID,
         0,
         0,
         0,
         "选项 '--now' 的取值 '2026-13-01' 不是 RFC 3339 时间 (not an RFC 3339 time)"},
        {3,
         {"x", "--since", "3661d"},
         ERR_INVALID,
         0,
         0,
         0,
         "选项 '--since' 的取值 '3661d' 不是 RFC 3339 时间或 Nd/Nh (not an RFC 3339 time or "
         "Nd/Nh)"},
        {3,
         {"x", "--limit", "abc"},
         ERR_INVALID,
         0,
         0,
         0,
         "选项 '--limit' 的取值 'abc' 须为 1..1000 的整数 (needs a whole number in 1..1000)"},
        {3,
         {"x", "--limit", "0"},
         ERR_INVALID,
         0,
         0,
         0,
         "选项 '--limit' 的取值 '0' 须为 1..1000 的整数 (needs a whole number in 1..1000)"},
        {3,
         {"x", "--limit", "1001"},
         ERR_INVALID,
         0,
         0,
         0,
         "选项 '--limit' 的取值 '1001' 须为 1..1000 的整数 (needs a whole number in 1..1000)"},
        {3,
         {"x", "--limit", "5x"},
         ERR_INVALID,
         0,
         0,
         0,
         "选项 '--limit' 的取值 '5x' 须为 1..1000 的整数 (needs a whole number in 1..1000)"},
        {3,
         {"x", "--id", "0"},
         ERR_INVALID,
         0,
         0,
         0,
         "选项 '--id' 的取值 '0' 须为不小于 1 的整数 (needs a whole number >= 1)"},
        {3,
         {"x", "--id", "9223372036854775808"},
         ERR_INVALID,
         0,
         0,
         0,
         "选项 '--id' 的取值 '9223372036854775808' 须为不小于 1 的整数 (needs a whole number >= "
         "1)"},
        {2, {"x", "--limit"}, ERR_INVALID, 0, 0, 0, "选项 '--limit' 缺少取值 (needs a value)"},
        {2, {"x", "--now"}, ERR_INVALID, 0, 0, 0, "选项 '--now' 缺少取值 (needs a value)"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct typed t;
        char why[256] = "";
        typed_defaults(&t);
        assert_int_equal(yq_cli_parse(cases[i].argc, (char **)cases[i].argv, 1, typed_table,
                                      N_TYPED, &t, NULL, 0, why, sizeof(why)),
                         cases[i].rc);
        assert_string_equal(why, cases[i].why);
        if (cases[i].rc == 0) {
            assert_int_equal(t.now.s, cases[i].now_s);
            assert_int_equal(t.now.set, cases[i].now_s != 42);
            if (t.now.set) {
                /* the value as given (the last --now, here the last word), for messages */
                assert_string_equal(t.now.text, cases[i].argv[cases[i].argc - 1]);
            } else {
                assert_null(t.now.text);
            }
            assert_int_equal(t.limit.v, cases[i].limit);
            assert_int_equal(t.limit.set, cases[i].limit != 50);
            assert_int_equal(t.id.v, cases[i].id);
            assert_int_equal(t.id.set, cases[i].id != 0);
            assert_int_equal(t.since.s, 43); /* not given: the default, not set */
            assert_false(t.since.set);
        }
    }
}

/* "Nd" / "Nh" count back from the clock read during the parse; RFC 3339 stays absolute. */
static void test_time_ago_counts_back_from_now(void **state)
{
    char *days[] = {"x", "--since", "30d"};
    char *hours[] = {"x", "--since", "0h"};
    char *iso[] = {"x", "--since", "2026-12-01T00:00:00Z"};
    struct typed t;
    char why[128] = "";
    int64_t before, after;

    (void)state;
    typed_defaults(&t);
    before = yq_time_now();
    assert_int_equal(yq_cli_parse(3, days, 1, typed_table, N_TYPED, &t, NULL, 0, why, sizeof(why)),
                     0);
    after = yq_time_now();
    assert_true(t.since.set);
    assert_in_range(t.since.s, before - 30 * 86400, after - 30 * 86400);
    assert_int_equal(yq_cli_parse(3, hours, 1, typed_table, N_TYPED, &t, NULL, 0, why, sizeof(why)),
                     0);
    assert_in_range(t.since.s, before, yq_time_now());
    assert_int_equal(yq_cli_parse(3, iso, 1, typed_table, N_TYPED, &t, NULL, 0, why, sizeof(why)),
                     0);
    assert_int_equal(t.since.s, DEC_1_UTC);
}

/* yq_cli_parse_time() itself, with a fixed now: the limits of "Nd" and "Nh". */
static void test_parse_time_limits(void **state)
{
    static const struct {
        const char *s;
        bool ago;
        int rc;
        int64_t want;
    } cases[] = {
        {"30d", true, 0, 1000000000 - 30 * 86400},
        {"0h", true, 0, 1000000000},
        {"3660d", true, 0, 1000000000 - 3660LL * 86400},
        {"87840h", true, 0, 1000000000 - 87840LL * 3600},
        {"3661d", true, ERR_INVALID, 0},
        {"87841h", true, ERR_INVALID, 0},
        {"-1d", true, ERR_INVALID, 0},
        {"d", true, ERR_INVALID, 0},
        {"1w", true, ERR_INVALID, 0},
        {"123456789012345678d", true, ERR_INVALID, 0},
        {"30d", false, ERR_INVALID, 0},
        {"2026-12-01T00:00:00Z", false, 0, DEC_1_UTC},
        {"2026-12-01T00:00:00Z", true, 0, DEC_1_UTC},
        {"", true, ERR_INVALID, 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t out = -1;
        assert_int_equal(yq_cli_parse_time(cases[i].s, cases[i].ago, 1000000000, &out),
                         cases[i].rc);
        assert_int_equal(out, cases[i].rc == 0 ? cases[i].want : -1); /* unchanged on refusal */
    }
}

/* A command refuses a bad typed value the way it refuses any bad argument: reason, usage. */
static void test_cmd_refuses_a_bad_typed_value(void **state)
{
    char *bad[] = {"x", "--limit", "1001"};
    char text[512];
    struct typed t;

    (void)state;
    typed_defaults(&t);
    assert_int_equal(
        parse_cmd_of(typed_table, N_TYPED, &t, 3, bad, STDERR_FILENO, text, sizeof(text)),
        ERR_INVALID);
    assert_string_equal(text, "yuqingctl x: 选项 '--limit' 的取值 '1001' 须为 1..1000 的整数 "
                              "(needs a whole number in 1..1000)\n"
                              "usage: yuqingctl x WORD\n");
    assert_int_equal(t.limit.v, 50);
    assert_false(t.limit.set);
}

/* A list option keeps each value in order, up to YQ_CLI_LIST_MAX; one more is named. */
static void test_list_rows_keep_each_value(void **state)
{
    struct topics {
        struct yq_cli_list topic;
    } t;
    static const struct yq_cli_opt rows[] = {YQ_CLI_LIST("--topic", struct topics, topic)};
    char *argv[2 + 2 * (YQ_CLI_LIST_MAX + 1)];
    char why[128] = "";
    int argc = 1;

    (void)state;
    argv[0] = "kafka-dev";
    for (int i = 0; i <= YQ_CLI_LIST_MAX; i++) {
        argv[argc++] = "--topic";
        argv[argc++] = i % 2 ? "b" : "a";
    }
    memset(&t, 0, sizeof(t));
    assert_int_equal(yq_cli_parse(5, argv, 1, rows, 1, &t, NULL, 0, why, sizeof(why)), 0);
    assert_int_equal(t.topic.n, 2);
    assert_string_equal(t.topic.v[0], "a");
    assert_string_equal(t.topic.v[1], "b");
    memset(&t, 0, sizeof(t));
    assert_int_equal(yq_cli_parse(argc - 2, argv, 1, rows, 1, &t, NULL, 0, why, sizeof(why)), 0);
    assert_int_equal(t.topic.n, YQ_CLI_LIST_MAX);
    memset(&t, 0, sizeof(t));
    assert_int_equal(yq_cli_parse(argc, argv, 1, rows, 1, &t, NULL, 0, why, sizeof(why)),
                     ERR_INVALID);
    assert_string_equal(why, "选项 '--topic' 至多给出 16 次 (at most 16 times)");
    assert_int_equal(t.topic.n, YQ_CLI_LIST_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_and_words_in_any_order),
        cmocka_unit_test(test_bad_arguments_are_named),
        cmocka_unit_test(test_help_is_asked_not_refused),
        cmocka_unit_test(test_numbers_in_range_only),
        cmocka_unit_test(test_cmd_prints_help_and_refusals),
        cmocka_unit_test(test_typed_rows_convert_and_check),
        cmocka_unit_test(test_time_ago_counts_back_from_now),
        cmocka_unit_test(test_parse_time_limits),
        cmocka_unit_test(test_cmd_refuses_a_bad_typed_value),
        cmocka_unit_test(test_list_rows_keep_each_value),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
