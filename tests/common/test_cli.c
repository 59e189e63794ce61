/* common/yq_cli: the yuqingctl subcommands' option tables (issue #12). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "yq_cli.h"
#include "yq_err.h"

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
    char *argv[] = {"stats", "--format", "csv", "month", "--out", "a.csv", "--local", "2026-11",
                    "--format", "json"};
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
        assert_int_equal(parse(cases[i].argc, (char **)cases[i].argv, &o, words, 1, why,
                               sizeof(why)),
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
    assert_int_equal(yq_cli_parse_long("99999999999999999999999", 0, 0x7fffffffL, &v),
                     ERR_INVALID);
    assert_int_equal(v, 256); /* unchanged by the refusals */
}

/*
 * yq_cli_parse_cmd(argv) with fd (STDOUT_FILENO or STDERR_FILENO) read into text (len bytes,
 * NUL-terminated). Returns its answer.
 */
static int parse_cmd(int argc, char **argv, int fd, char *text, size_t len)
{
    const char *words[1] = {NULL};
    struct opts o;
    FILE *f = tmpfile();
    int saved, rc;
    size_t n;

    assert_non_null(f);
    memset(&o, 0, sizeof(o));
    fflush(fd == STDOUT_FILENO ? stdout : stderr);
    saved = dup(fd);
    assert_true(saved >= 0 && dup2(fileno(f), fd) == fd);
    rc = yq_cli_parse_cmd("yuqingctl x", "usage: yuqingctl x WORD\n", argc, argv, 1, table, 3, &o,
                          words, 1);
    fflush(fd == STDOUT_FILENO ? stdout : stderr);
    assert_int_equal(dup2(saved, fd), fd);
    close(saved);
    rewind(f);
    n = fread(text, 1, len - 1, f);
    text[n] = '\0';
    fclose(f);
    return rc;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_options_and_words_in_any_order),
        cmocka_unit_test(test_bad_arguments_are_named),
        cmocka_unit_test(test_help_is_asked_not_refused),
        cmocka_unit_test(test_numbers_in_range_only),
        cmocka_unit_test(test_cmd_prints_help_and_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
