/*
 * The usage errors of the commands a new user types first, said in the house form of
 * yq_cli (yq_cli_unknown_command(), yq_cli_extra_argument(), yq_cli_cannot_read()): Chinese
 * first, the English in brackets, exit 2 for a usage error and 1 for an unreadable input. They
 * were English only ("unknown command 'frobnicate'", "unexpected argument", "cannot read").
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

static const struct {
    const char *bin;  /* the process */
    const char *args; /* its arguments, as typed */
    int exit_code;
    const char *first_line; /* stderr's first line */
} cases[] = {
    {YQ_CTL_BIN, "frobnicate", 2, "yuqingctl: 未知命令 'frobnicate' (unknown command)"},
    {YQ_CTL_BIN, "tickets frobnicate", 2,
     "yuqingctl tickets: 未知命令 'frobnicate' (unknown command)"},
    {YQ_COLLECTOR_BIN, "frob", 2, "yuqing-collector: 多余的参数 'frob' (unexpected argument)"},
    {YQ_COLLECTOR_BIN, "parse a.xml b.xml", 2,
     "yuqing-collector parse: 多余的参数 'b.xml' (unexpected argument)"},
    {YQ_COLLECTOR_BIN, "parse /nonexistent.xml", 1,
     "yuqing-collector parse: 无法读取 '/nonexistent.xml'（文件不存在） (cannot read: not found)"},
    {YQ_NOTIFIER_BIN, "--bogus", 2, "yuqing-notifier: 多余的参数 '--bogus' (unexpected argument)"},
    {YQ_COLLECTOR_BIN, "parse", 2, "yuqing-collector parse: 缺少 FILE (FILE is missing)"},
    {YQ_COLLECTOR_BIN, "parse a.xml --fetched-at soon", 2,
     "yuqing-collector parse: 选项 '--fetched-at' 的取值 'soon' 不是 RFC 3339 时间 (not an RFC "
     "3339 "
     "time)"},
    {YQ_COLLECTOR_BIN, "--shard 3/2", 2,
     "yuqing-collector: 选项 '--shard' 的取值 '3/2' 须为 I/N，0 <= I < N <= 1024 (--shard wants "
     "I/N with 0 <= I < N <= 1024)"},
};

static void test_usage_errors_in_the_house_form(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char cmd[1024], out[4096];
        size_t got;
        FILE *fp;
        int status;

        snprintf(cmd, sizeof(cmd), "%s %s 2>&1 >/dev/null", cases[i].bin, cases[i].args);
        fp = popen(cmd, "r");
        assert_non_null(fp);
        got = fread(out, 1, sizeof(out) - 1, fp);
        out[got] = '\0';
        status = pclose(fp);
        assert_true(WIFEXITED(status));
        if (WEXITSTATUS(status) != cases[i].exit_code || !strchr(out, '\n')) {
            fail_msg("case %zu (%s): exit %d, stderr '%s'", i, cases[i].args, WEXITSTATUS(status),
                     out);
        }
        *strchr(out, '\n') = '\0';
        assert_string_equal(out, cases[i].first_line);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_errors_in_the_house_form),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
