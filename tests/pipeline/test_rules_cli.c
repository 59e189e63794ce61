/* "yuqingctl rules ..." through rules_cli_main(): exit codes and exact output. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "redis_fixture.h"
#include "rules_cli.h"
#include "yq_fs.h"
#include "yq_banned.h"

static struct redis_fixture fx;
static int fx_state = 1;
static char dir[64];      /* temp dir: rules/, text files, config */
static char out[8192];    /* captured stdout of the last run */

static const char rules_yaml[] =
    "group: 征地拆迁\n"
    "exclude: [招聘]\n"
    "rules:\n"
    "  - id: land-01\n"
    "    name: 征地拆迁补偿纠纷\n"
    "    department: 市自然资源局\n"
    "    level: III\n"
    "    expr: \"(安康 | 汉滨) & (征地 | 拆迁)\"\n"
    "  - {id: land-02, name: 强拆, department: 汉滨区人民政府, expr: 强拆}\n";

static void write_file(const char *rel, const char *text)
{
    char path[256];
    FILE *f;
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    char path[128];
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/yq-test-cli-XXXXXX");
    if (!mkdtemp(dir)) {
        return -1;
    }
    snprintf(path, sizeof(path), "%s/rules", dir);

    if (mkdir(path, 0755) != 0) {
        return -1;
    }
    snprintf(path, sizeof(path), "%s/bad", dir);
    if (mkdir(path, 0755) != 0) {
        return -1;
    }
    write_file("rules/land.yaml", rules_yaml);
    write_file("bad/x.yaml", "rules:\n  - {id: b1, name: n, department: d, expr: \"a &\"}\n");
    write_file("text.txt", "安康征地，汉滨拆迁");
    fx_state = redis_fixture_start(&fx);
    return fx_state < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    char cmd[128];
    (void)state;
    redis_fixture_stop(&fx);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Run rules_cli_main with a NULL-terminated argument list; stdout goes to out. */
static int run(const char *stdin_file, ...)
{
    char *argv[32], path[128], *buf = NULL;
    int argc = 0, saved_out, saved_in = -1, fd, rc;
    va_list ap;

    va_start(ap, stdin_file);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 31;) {
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    argv[argc] = NULL;
    snprintf(path, sizeof(path), "%s/stdout", dir);
    fflush(stdout);
    saved_out = dup(1);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0 && saved_out >= 0);
    dup2(fd, 1);
    close(fd);
    if (stdin_file) {
        saved_in = dup(0);
        fd = open(stdin_file, O_RDONLY);
        assert_true(fd >= 0);
        dup2(fd, 0);
        close(fd);
    }
    rc = rules_cli_main(argc, argv);
    fflush(stdout);
    dup2(saved_out, 1);
    close(saved_out);
    if (saved_in >= 0) {
        dup2(saved_in, 0);
        close(saved_in);
    }
    assert_int_equal(yq_fs_read_file(path, sizeof(out) - 1, &buf, NULL), 0);
    snprintf(out, sizeof(out), "%s", buf);
    free(buf);
    return rc;
}

static void test_usage_errors(void **state)
{
    (void)state;
    assert_int_equal(run(NULL, "rules", NULL), 2);
    assert_int_equal(run(NULL, "rules", "frobnicate", NULL), 2);
    assert_int_equal(run(NULL, "rules", "push", NULL), 2);
    assert_int_equal(run(NULL, "rules", "validate", NULL), 2);
    assert_int_equal(run(NULL, "rules", "list", "--bogus", NULL), 2);
    assert_int_equal(run(NULL, "rules", "list", "--redis", NULL), 2);
    assert_int_equal(run(NULL, "rules", "list", "--redis", "host:notaport", NULL), 2);
    assert_int_equal(run(NULL, "rules", "help", NULL), 0);
    assert_non_null(strstr(out, "usage: yuqingctl rules push DIR"));
}

static void test_validate(void **state)
{
    char rules[128], bad[128], want[256];
    (void)state;
    snprintf(rules, sizeof(rules), "%s/rules", dir);
    snprintf(bad, sizeof(bad), "%s/bad", dir);
    assert_int_equal(run(NULL, "rules", "validate", rules, NULL), 0);
    snprintf(want, sizeof(want), "rule set '%s' is valid (2 rules, 1 groups, 1 exclude terms)\n",
             rules);
    assert_string_equal(out, want);
    assert_int_equal(run(NULL, "rules", "validate", bad, NULL), 1);
    assert_string_equal(out, "");
}

static void test_test_with_dir_from_stdin(void **state)
{
    char rules[128], text[128];
    (void)state;
    snprintf(rules, sizeof(rules), "%s/rules", dir);
    snprintf(text, sizeof(text), "%s/text.txt", dir);
    assert_int_equal(run(text, "rules", "test", "-", "--dir", rules, NULL), 0);
    assert_non_null(strstr(out, "rule land-01 fired: 征地拆迁补偿纠纷 [group 征地拆迁, level III, "
                                "市自然资源局]\n"
                                "  安康 text [0,2) \"安康\"\n"
                                "  征地 text [2,4) \"征地\"\n"
                                "  汉滨 text [5,7) \"汉滨\"\n"
                                "  拆迁 text [7,9) \"拆迁\"\n"));
    assert_null(strstr(out, "land-02"));
}

static void test_push_list_test_via_redis(void **state)
{
    char rules[128], bad[128], text[128], addr[64], cfg[128], yaml[128];
    (void)state;
    if (fx_state != 0) {
        skip();
    }
    snprintf(rules, sizeof(rules), "%s/rules", dir);
    snprintf(bad, sizeof(bad), "%s/bad", dir);
    snprintf(text, sizeof(text), "%s/text.txt", dir);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", fx.port);

    assert_int_equal(run(NULL, "rules", "list", "--redis", addr, NULL), 0);
    assert_string_equal(out, "no rule set has been pushed\n");
    assert_int_equal(run(NULL, "rules", "test", text, "--redis", addr, NULL), 1);

    assert_int_equal(run(NULL, "rules", "push", rules, "--by", "zhang", "--redis", addr, NULL), 0);
    assert_string_equal(out, "pushed rule set version 1 (2 rules)\n");
    assert_int_equal(run(NULL, "rules", "push", "--redis", addr, rules, "--by", "li", NULL), 0);
    assert_string_equal(out, "pushed rule set version 2 (2 rules)\n");
    /* an invalid directory is never pushed */
    assert_int_equal(run(NULL, "rules", "push", bad, "--redis", addr, NULL), 1);

    /* --config: the matcher config's redis section */
    snprintf(yaml, sizeof(yaml), "redis:\n  port: %d\n", fx.port);
    write_file("matcher.yaml", yaml);
    snprintf(cfg, sizeof(cfg), "%s/matcher.yaml", dir);
    assert_int_equal(run(NULL, "rules", "list", "--config", cfg, NULL), 0);
    assert_non_null(strstr(out, "VERSION"));
    assert_non_null(strstr(out, "*   2        "));
    assert_non_null(strstr(out, " li "));
    assert_non_null(strstr(out, "    1        "));
    assert_non_null(strstr(out, " zhang "));
    assert_null(strstr(out, "    3 "));

    assert_int_equal(run(NULL, "rules", "test", text, "--redis", addr, NULL), 0);
    assert_non_null(strstr(out, "rule set version 2 (2 rules)\nrule land-01 fired:"));
    assert_non_null(strstr(out, "  拆迁 text [7,9) \"拆迁\"\n"));
}

static void test_redis_down_fails(void **state)
{
    char rules[128], addr[64];
    (void)state;
    snprintf(rules, sizeof(rules), "%s/rules", dir);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", redis_fixture_free_port());
    assert_int_equal(run(NULL, "rules", "push", rules, "--redis", addr, NULL), 1);
    assert_int_equal(run(NULL, "rules", "list", "--redis", addr, NULL), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_test_with_dir_from_stdin),
        cmocka_unit_test(test_push_list_test_via_redis),
        cmocka_unit_test(test_redis_down_fails),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
