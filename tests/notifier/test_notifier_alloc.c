/*
 * Allocation failures in the notifier's parsers (c-style.md §8): the working-day calendar
 * (workcal_add_text()) and the notification routes (notify_routes_parse(), with secrets read
 * from files). Every allocation of ours in turn fails (once, and from then on; libyaml's own
 * allocations have no hook); each call must return 0 or ERR_NOMEM, leave its output as the
 * header promises (the calendar unchanged, the routes releasable) and never crash or leak.
 * The ticket actions' JSON arguments have no entry point without a ticket store
 * (ticket_api_act() reads and writes SQLite), so they are not covered here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc_fail.h"
#include "notify_cfg.h"
#include "workcal.h"
#include "yq_cfg.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_banned.h"

static const char cal_yaml[] = "year: 2026\n"
                               "source: \"国务院办公厅关于2026年部分节假日安排的通知\"\n"
                               "holidays:\n"
                               "  - name: 元旦\n"
                               "    off: [2026-01-01, 2026-01-03]\n"
                               "    work: [2026-01-04]\n"
                               "  - name: 春节\n"
                               "    off: [2026-02-15, 2026-02-23]\n"
                               "    work: [2026-02-14, 2026-02-28]\n"
                               "  - name: 清明节\n"
                               "    off: [2026-04-04, 2026-04-06]\n"
                               "  - name: 国庆节\n"
                               "    off: [2026-10-01, 2026-10-07]\n"
                               "    work: [2026-09-20, 2026-10-10]\n";

#define DAY_2026_01_01 20454 /* Thursday, a holiday */
#define DAY_2026_01_04 20457 /* Sunday, a 调休 working day */

/* ---- workcal_add_text ---- */

struct cal_arg {
    struct workcal *cal;
    char err[256];
};

static int cal_run(void *p)
{
    struct cal_arg *a = p;

    a->err[0] = '\0';
    return workcal_add_text(a->cal, "2026.yaml", cal_yaml, strlen(cal_yaml), a->err,
                            sizeof(a->err));
}

static void cal_check(void *p, int rc, bool injected)
{
    struct cal_arg *a = p;
    char err[256] = "";

    alloc_fail_assert_rc("workcal_add_text", rc, injected, false, a->err);
    if (rc != 0) {
        /* "on failure cal is unchanged": weekends only, and the year can still be added */
        assert_int_equal(workcal_n_years(a->cal), 0);
        assert_false(workcal_covers_year(a->cal, 2026));
        assert_true(workcal_is_working_day(a->cal, DAY_2026_01_01));
        assert_false(workcal_is_working_day(a->cal, DAY_2026_01_04));
        assert_int_equal(
            workcal_add_text(a->cal, "2026.yaml", cal_yaml, strlen(cal_yaml), err, sizeof(err)), 0);
    }
    assert_int_equal(workcal_n_years(a->cal), 1);
    assert_true(workcal_covers_year(a->cal, 2026));
    assert_false(workcal_is_working_day(a->cal, DAY_2026_01_01));
    assert_true(workcal_is_working_day(a->cal, DAY_2026_01_04));
    workcal_free(a->cal);
    a->cal = workcal_new();
    assert_non_null(a->cal);
}

static void test_workcal(void **state)
{
    struct cal_arg a = {.cal = workcal_new()};
    struct alloc_fail_case c = {"workcal_add_text", cal_run, cal_check, &a, 0};

    (void)state;
    assert_non_null(a.cal);
    assert_true(alloc_fail_run(&c) > 3);
    workcal_free(a.cal);
}

/* ---- notify_routes_parse ---- */

static const char routes_yaml[] =
    "channels:\n"
    "  duty-ding: {type: dingtalk, url: 'https://oapi.dingtalk.com/robot/send',\n"
    "              key_file: ding.key, secret_file: ding.secret}\n"
    "  duty-mail: {type: email, url: 'smtps://smtp.example.cn:465', from: yq@example.cn,\n"
    "              to: 'a@example.cn, b@example.cn', username: yuqing,\n"
    "              password_file: mail.pw}\n"
    "  zrzy-wecom: {type: wecom, url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send',\n"
    "               key_file: wecom.key}\n"
    "  zrzy-hook: {type: webhook, url: 'http://127.0.0.1:9/zh'}\n"
    "duty_officer: [duty-ding, duty-mail]\n"
    "departments:\n"
    "  市自然资源局: {liaison: [zrzy-wecom], head: [zrzy-hook, duty-mail]}\n"
    "  市应急管理局: {liaison: zrzy-hook}\n";

struct routes_arg {
    struct cfg_doc doc;
    const char *dir;
    struct notify_routes routes;
    char err[256];
};

static int routes_run(void *p)
{
    struct routes_arg *a = p;

    a->err[0] = '\0';
    memset(&a->routes, 0xA5, sizeof(a->routes)); /* zeroed by the callee */
    return notify_routes_parse(&a->routes, &a->doc, a->dir, a->err, sizeof(a->err));
}

static void routes_check(void *p, int rc, bool injected)
{
    struct routes_arg *a = p;
    const struct notify_channel *ch;
    const struct notify_department *d;

    alloc_fail_assert_rc("notify_routes_parse", rc, injected, false, a->err);
    if (rc == 0) {
        assert_int_equal(a->routes.n_channels, 4);
        assert_int_equal(a->routes.n_departments, 2);
        assert_int_equal(a->routes.n_duty, 2);
        ch = notify_routes_channel(&a->routes, "duty-ding");
        assert_non_null(ch);
        assert_string_equal(ch->key, "ding-token");
        assert_string_equal(ch->secret, "SECding");
        ch = notify_routes_channel(&a->routes, "duty-mail");
        assert_non_null(ch);
        assert_string_equal(ch->password, "mail-pw");
        assert_string_equal(ch->to, "a@example.cn, b@example.cn");
        d = notify_routes_department(&a->routes, "市自然资源局");
        assert_non_null(d);
        assert_int_equal(d->n_head, 2);
        assert_string_equal(d->head[1], "duty-mail");
        d = notify_routes_department(&a->routes, "市应急管理局");
        assert_non_null(d);
        assert_int_equal(d->n_liaison, 1);
    }
    notify_routes_release(&a->routes); /* "whatever the result" */
}

/* dir/name holding text, mode 0600 (world-readable secrets are refused). */
static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_int_equal(yq_fs_write_file_atomic(path, text, strlen(text)), 0);
    assert_int_equal(chmod(path, 0600), 0);
}

static void remove_file(const char *dir, const char *name)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    unlink(path);
}

static void test_routes(void **state)
{
    char dir[] = "/tmp/yq-notifier-alloc-XXXXXX";
    struct routes_arg a;
    struct alloc_fail_case c = {"notify_routes_parse", routes_run, routes_check, &a, 0};
    static const char *const files[] = {"ding.key", "ding.secret", "mail.pw", "wecom.key"};

    (void)state;
    assert_non_null(mkdtemp(dir));
    write_file(dir, "ding.key", "ding-token\n");
    write_file(dir, "ding.secret", "  SECding\n");
    write_file(dir, "mail.pw", "mail-pw");
    write_file(dir, "wecom.key", "wecom-key\n");
    memset(&a, 0, sizeof(a));
    a.dir = dir;
    assert_int_equal(cfg_doc_load(&a.doc, "notifier.yaml", routes_yaml, strlen(routes_yaml), a.err,
                                  sizeof(a.err)),
                     0);
    alloc_fail_run(&c);
    cfg_doc_release(&a.doc);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        remove_file(dir, files[i]);
    }
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workcal),
        cmocka_unit_test(test_routes),
    };

    alloc_fail_install_jansson();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
