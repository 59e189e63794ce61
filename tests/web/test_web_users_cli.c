/*
 * `yuqingctl users` on the store --db names (issue #16): a SQLite file, or in the -pg run a
 * PostgreSQL URL with a password in it (the test server's trust login ignores it). The
 * registry, accounts and listing work the same, and neither the output nor the errors ever
 * carry the URL's password. A server that is not there and a missing file are clear errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "db_fixture.h"
#include "sqlite_fixture.h"
#include "ticket_store.h"
#include "users_cli.h"
#include "yq_db.h"

#define SECRET "s3cret-pw"

struct env {
    char dir[64];
    char location[512]; /* the SQLite file, or the schema's URL (db_fixture.h) */
    char db_arg[600];   /* what --db gets: the file, or the URL with SECRET as its password */
    char pwfile[128];
};

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    struct ticket_store_cfg cfg;
    char file[128], err[512] = "";

    assert_non_null(e);
    snprintf(e->dir, sizeof(e->dir), "/tmp/yq-users-cli-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    snprintf(file, sizeof(file), "%s/tickets.db", e->dir);
    db_fixture_new(e->location, sizeof(e->location), file);
    memset(&cfg, 0, sizeof(cfg));
    cfg.path = e->location;
    cfg.busy_timeout_ms = 2000;
    if (ticket_store_init(&cfg, NULL, err, sizeof(err)) != 0) {
        fail_msg("store init: %s", err);
    }
    if (db_fixture_pg()) {
        /* postgresql://yq@HOST:PORT/yuqing?options=...: a password after the user name */
        const char *at = strchr(e->location, '@');
        assert_non_null(at);
        snprintf(e->db_arg, sizeof(e->db_arg), "%.*s:" SECRET "%s", (int)(at - e->location),
                 e->location, at);
    } else {
        snprintf(e->db_arg, sizeof(e->db_arg), "%s", e->location);
    }
    snprintf(e->pwfile, sizeof(e->pwfile), "%s/pw", e->dir);
    {
        FILE *f = fopen(e->pwfile, "w");
        assert_non_null(f);
        fputs("duty-password-1\n", f);
        fclose(f);
    }
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    char p[600];

    if (db_fixture_pg()) {
        db_fixture_drop(e->location);
    } else {
        sqlite_fixture_remove(e->location);
        snprintf(p, sizeof(p), "%s.lock", e->location);
        unlink(p);
    }
    unlink(e->pwfile);
    snprintf(p, sizeof(p), "%s/out.txt", e->dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/err.txt", e->dir);
    unlink(p);
    rmdir(e->dir);
    free(e);
    return 0;
}

/* users_cli_main(argv) (NULL-terminated) with stdout and stderr captured (NUL-terminated). */
static int run(struct env *e, char **argv, char *out, size_t out_len, char *err, size_t err_len)
{
    char out_path[160], err_path[160];
    int argc = 0, so, se, rc;

    while (argv[argc]) {
        argc++;
    }
    snprintf(out_path, sizeof(out_path), "%s/out.txt", e->dir);
    snprintf(err_path, sizeof(err_path), "%s/err.txt", e->dir);
    so = capture_begin(STDOUT_FILENO, out_path);
    se = capture_begin(STDERR_FILENO, err_path);
    rc = users_cli_main(argc, argv);
    capture_end(STDERR_FILENO, se, err_path, err, err_len);
    capture_end(STDOUT_FILENO, so, out_path, out, out_len);
    return rc;
}

static void test_issue_16_users_on_the_store_of_db(void **state)
{
    struct env *e = *state;
    char out[4096], err[4096];
    char *dept[] = {"users", "dept-add", "--department", "市自然资源局", "--head", "王局长",
                    "--config", "/nonexistent/notifier.yaml", "--db", e->db_arg, NULL};
    char *add[] = {"users", "add", "--username", "liaison1", "--role", "liaison", "--department",
                   "市自然资源局", "--password-file", e->pwfile, "--config",
                   "/nonexistent/notifier.yaml", "--db", e->db_arg, NULL};
    char *bad_dept[] = {"users", "add", "--username", "liaison2", "--role", "liaison",
                        "--department", "市不存在局", "--password-file", e->pwfile, "--config",
                        "/nonexistent/notifier.yaml", "--db", e->db_arg, NULL};
    char *list[] = {"users", "list", "--config", "/nonexistent/notifier.yaml", "--db", e->db_arg,
                    NULL};
    char *dept_list[] = {"users", "dept-list", "--json", "--config",
                         "/nonexistent/notifier.yaml", "--db", e->db_arg, NULL};

    assert_int_equal(run(e, dept, out, sizeof(out), err, sizeof(err)), 0);
    assert_null(strstr(out, SECRET));
    assert_null(strstr(err, SECRET));
    assert_int_equal(run(e, add, out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "added liaison1 (liaison)\n");
    assert_null(strstr(err, SECRET));
    /* an unregistered department is refused; the reason names it, not the store's password */
    assert_int_not_equal(run(e, bad_dept, out, sizeof(out), err, sizeof(err)), 0);
    assert_non_null(strstr(err, "市不存在局"));
    assert_null(strstr(err, SECRET));
    assert_int_equal(run(e, list, out, sizeof(out), err, sizeof(err)), 0);
    assert_non_null(strstr(out, "liaison1"));
    assert_non_null(strstr(out, "市自然资源局"));
    assert_null(strstr(out, "liaison2"));
    assert_null(strstr(out, SECRET));
    assert_null(strstr(err, SECRET));
    /* the registry with its liaisons (json_group_array on SQLite, json_agg on PostgreSQL) */
    assert_int_equal(run(e, dept_list, out, sizeof(out), err, sizeof(err)), 0);
    {
        json_t *v = json_loads(out, 0, NULL), *d = json_array_get(v, 0);
        assert_int_equal(json_array_size(v), 1);
        assert_string_equal(json_string_value(json_object_get(d, "name")), "市自然资源局");
        assert_string_equal(json_string_value(json_object_get(d, "head")), "王局长");
        assert_int_equal(json_array_size(json_object_get(d, "liaisons")), 1);
        assert_string_equal(json_string_value(json_array_get(json_object_get(d, "liaisons"), 0)),
                            "liaison1");
        json_decref(v);
    }
}

static void test_issue_16_errors_never_show_the_password(void **state)
{
    struct env *e = *state;
    char out[4096], err[4096], missing[160];
    /* nobody listens on port 1 of the loopback: the connection is refused at once */
    char dead[] = "postgresql://yq:" SECRET "@127.0.0.1:1/yuqing";
    char *list_dead[] = {"users", "list", "--config", "/nonexistent/notifier.yaml", "--db", dead,
                         NULL};
    char *list_missing[] = {"users", "list", "--config", "/nonexistent/notifier.yaml", "--db",
                            missing, NULL};

    snprintf(missing, sizeof(missing), "%s/no-such/tickets.db", e->dir);
    assert_int_equal(run(e, list_dead, out, sizeof(out), err, sizeof(err)), 1);
    assert_non_null(strstr(err, "postgresql://yq@127.0.0.1:1/yuqing"));
    assert_null(strstr(err, SECRET));
    assert_null(strstr(out, SECRET));
    assert_int_equal(run(e, list_missing, out, sizeof(out), err, sizeof(err)), 1);
    {
        char want[1024];
        snprintf(want, sizeof(want),
                 "yuqingctl users: 交办单库 '%s' 不存在，请运行一次 'yuqingctl store init --db %s' "
                 "创建 (ticket store '%s' does not exist: run 'yuqingctl store init --db %s' once "
                 "to create it)\n",
                 missing, missing, missing, missing);
        assert_string_equal(err, want);
    }
}

/*
 * `users add` without --password-file and nothing on standard input (`< /dev/null`): exit 1
 * with the house form (command, Chinese, the English in parentheses), nothing added.
 */
static void test_add_without_a_password_says_so(void **state)
{
    struct env *e = *state;
    char out[4096], err[4096];
    char *add[] = {"users",  "add",          "--username", "duty9",
                   "--role", "duty_officer", "--config",   "/nonexistent/notifier.yaml",
                   "--db",   e->db_arg,      NULL};
    int saved = dup(STDIN_FILENO), null = open("/dev/null", O_RDONLY), rc;

    assert_true(saved >= 0 && null >= 0);
    assert_int_equal(dup2(null, STDIN_FILENO), STDIN_FILENO);
    close(null);
    clearerr(stdin);
    rc = run(e, add, out, sizeof(out), err, sizeof(err));
    assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
    close(saved);
    clearerr(stdin);
    assert_int_equal(rc, 1);
    assert_string_equal(err,
                        "yuqingctl users: 标准输入没有密码，请用管道输入或给出 --password-file "
                        "(no password on standard input)\n");
    assert_string_equal(out, "");
}

/*
 * A bad --ttl-days is refused while the arguments are read, in yq_cli's one form (option and
 * value named), exit 2: before the store is opened, so a missing store does not hide it
 * (it used to be read after opening the store: exit 1 here).
 */
static void test_bad_ttl_days_is_a_usage_error(void **state)
{
    struct env *e = *state;
    char out[4096], err[4096], missing[160];
    char *token[] = {"users",      "token", "--username", "liaison1",
                     "--ttl-days", "3651",  "--config",   "/nonexistent/notifier.yaml",
                     "--db",       missing, NULL};

    snprintf(missing, sizeof(missing), "%s/no-such/tickets.db", e->dir);
    assert_int_equal(run(e, token, out, sizeof(out), err, sizeof(err)), 2);
    assert_non_null(strstr(err,
                           "yuqingctl users: 选项 '--ttl-days' 的取值 '3651' 须为 0..3650 的整数 "
                           "(needs a whole number in 0..3650)\nusage: yuqingctl users"));
    assert_string_equal(out, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_issue_16_users_on_the_store_of_db, setup, teardown),
        cmocka_unit_test_setup_teardown(test_issue_16_errors_never_show_the_password, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bad_ttl_days_is_a_usage_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_add_without_a_password_says_so, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
