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
#include "yq_db.h"

#include "capture.h"
#include "pipeline_fixture.h"
#include "redis_fixture.h"
#include "rules.h"
#include "rules_cli.h"
#include "rules_digest.h"
#include "rules_store.h"
#include "sqlite_fixture.h"
#include "test_expect.h"
#include "yq_redis.h"
#include "file_fixture.h"
#include "yq_banned.h"

static struct redis_fixture fx;
static int fx_state = 1;
static char dir[64];      /* temp dir: rules/, text files, config */
static char out[8192];    /* captured stdout of the last run */
static char err_out[8192]; /* captured stderr of the last run */

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
    pipeline_write_file(dir, "rules/land.yaml", pipeline_land_rules_yaml);
    pipeline_write_file(dir, "bad/x.yaml",
                        "rules:\n  - {id: b1, name: n, department: d, expr: \"a &\"}\n");
    pipeline_write_file(dir, "text.txt", "安康征地，汉滨拆迁");
    fx_state = redis_fixture_start(&fx);
    return fx_state < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    redis_fixture_stop(&fx);
    return file_fixture_remove_dir(dir) == 0 ? 0 : -1;
}

/* Run rules_cli_main with a NULL-terminated argument list; stdout goes to out, stderr to
 * err_out. */
static int run(const char *stdin_file, ...)
{
    char *argv[32], out_path[128], err_path[128];
    int argc = 0, saved_out, saved_err, saved_in = -1, rc;
    va_list ap;

    va_start(ap, stdin_file);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 31;) {
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    argv[argc] = NULL;
    snprintf(out_path, sizeof(out_path), "%s/stdout", dir);
    snprintf(err_path, sizeof(err_path), "%s/stderr", dir);
    saved_out = capture_begin(1, out_path);
    saved_err = capture_begin(2, err_path);
    if (stdin_file) {
        saved_in = pipeline_redirect_begin(0, stdin_file);
    }
    rc = rules_cli_main(argc, argv);
    capture_end(1, saved_out, out_path, out, sizeof(out));
    capture_end(2, saved_err, err_path, err_out, sizeof(err_out));
    if (saved_in >= 0) {
        pipeline_redirect_end(0, saved_in);
    }
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
    /* a bad number: yq_cli's one form (option and value named), then the usage */
    assert_int_equal(run(NULL, "rules", "list", "--limit", "0", NULL), 2);
    assert_non_null(strstr(err_out,
                           "yuqingctl rules: 选项 '--limit' 的取值 '0' 须为不小于 1 的整数 "
                           "(needs a whole number >= 1)\nusage: "));
    assert_int_equal(run(NULL, "rules", "help", NULL), 0);
    assert_non_null(strstr(out, "usage: yuqingctl rules push DIR"));
    /* issue #11 (review): the error in Chinese first */
    assert_int_equal(run(NULL, "rules", "frobnicate", NULL), 2);
    assert_non_null(strstr(err_out, "yuqingctl rules: 未知子命令 'frobnicate' (unknown subcommand)\n"
                                    "usage: "));
}

static void test_validate(void **state)
{
    char rules[128], bad[128], want[256];
    (void)state;
    snprintf(rules, sizeof(rules), "%s/rules", dir);
    snprintf(bad, sizeof(bad), "%s/bad", dir);
    assert_int_equal(run(NULL, "rules", "validate", rules, NULL), 0);
    snprintf(want, sizeof(want), "规则集 '%s' 有效：2 条规则，1 个规则组，1 个排除词\n", rules);
    assert_string_equal(out, want);
    assert_int_equal(run(NULL, "rules", "validate", bad, NULL), 1);
    assert_string_equal(out, "");
}

/* Create the SQLite file rel under dir with sql run in it. */
static void make_db(const char *rel, const char *sql)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    unlink(path);
    sqlite_fixture_exec_at(path, sql);
}

/* The stderr of validate DIR --db DB (dir-relative names) into err; returns the exit code. */
static int validate_db(const char *rules_rel, const char *db_rel, char *err, size_t len)
{
    char rules[128], db[128];
    int rc;

    snprintf(rules, sizeof(rules), "%s/%s", dir, rules_rel);
    snprintf(db, sizeof(db), "%s/%s", dir, db_rel);
    rc = run(NULL, "rules", "validate", rules, "--db", db, NULL);
    {
        size_t n = strnlen(err_out, len - 1); /* the caller's buffer may be shorter */
        memcpy(err, err_out, n);
        err[n] = '\0';
    }
    return rc;
}

/*
 * issue #11: with --db, a rule's department must be in the office's registry
 * (web_departments, yuqingctl users dept-add): "市自然资源" (missing 局) is named with the
 * known ones, exit 2. A store without a registry is said so and accepted.
 */
static void test_issue_11_validate_departments_against_registry(void **state)
{
    char err[2048];
    (void)state;
    make_db("reg.db", "CREATE TABLE web_departments (name TEXT PRIMARY KEY, head TEXT NOT NULL "
                      "DEFAULT '', created_at INTEGER NOT NULL);"
                      "INSERT INTO web_departments VALUES ('市自然资源局', '', 1), "
                      "('汉滨区人民政府', '', 2);");
    make_db("noreg.db", "CREATE TABLE t (x);");
    {
        char path[128];
        snprintf(path, sizeof(path), "%s/typo", dir);
        assert_true(mkdir(path, 0755) == 0 || access(path, F_OK) == 0);
    }
    pipeline_write_file(dir, "typo/a.yaml",
                        "rules:\n"
                        "  - {id: land-01, name: 征地, department: 市自然资源, expr: 征地}\n");
    assert_int_equal(validate_db("rules", "reg.db", err, sizeof(err)), 0);
    assert_string_equal(err, "");
    assert_int_equal(validate_db("typo", "reg.db", err, sizeof(err)), 2);
    assert_string_equal(out, "");
    assert_string_equal(err, "yuqingctl rules: 规则 'land-01' 的部门 '市自然资源' 未登记 "
                             "(yuqingctl users dept-add); rule 'land-01': unknown department "
                             "'市自然资源'; known (已登记): 市自然资源局, 汉滨区人民政府\n");
    assert_int_equal(validate_db("typo", "noreg.db", err, sizeof(err)), 0);
    assert_non_null(strstr(err, "no department registry: departments not checked"));
    /* the store found through the notifier config's store.path */
    {
        char yaml[256], cfg[128], typo[128];
        snprintf(yaml, sizeof(yaml), "store:\n  path: %s/reg.db\n", dir);
        pipeline_write_file(dir, "notifier.yaml", yaml);
        snprintf(cfg, sizeof(cfg), "%s/notifier.yaml", dir);
        snprintf(typo, sizeof(typo), "%s/typo", dir);
        assert_int_equal(run(NULL, "rules", "validate", typo, "--notifier-config", cfg, NULL), 2);
    }
}

static void test_test_with_dir_from_stdin(void **state)
{
    char rules[128], text[128];
    (void)state;
    snprintf(rules, sizeof(rules), "%s/rules", dir);
    snprintf(text, sizeof(text), "%s/text.txt", dir);
    assert_int_equal(run(text, "rules", "test", "-", "--dir", rules, NULL), 0);
    assert_non_null(strstr(out, "命中规则 征地拆迁补偿纠纷（land-01）：规则组 征地拆迁，级别 III "
                                "较大，市自然资源局\n"
                                "  安康 正文 [0,2) “安康”\n"
                                "  征地 正文 [2,4) “征地”\n"
                                "  汉滨 正文 [5,7) “汉滨”\n"
                                "  拆迁 正文 [7,9) “拆迁”\n"));
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
    assert_string_equal(out, "还没有推送过规则集\n");
    assert_int_equal(run(NULL, "rules", "test", text, "--redis", addr, NULL), 1);

    assert_int_equal(run(NULL, "rules", "push", rules, "--by", "zhang", "--redis", addr, NULL), 0);
    assert_string_equal(out, "已推送规则集第 1 版（2 条规则）\n");
    assert_int_equal(run(NULL, "rules", "push", "--redis", addr, rules, "--by", "李值班", NULL), 0);
    assert_string_equal(out, "已推送规则集第 2 版（2 条规则）\n");
    /* an invalid directory is never pushed */
    assert_int_equal(run(NULL, "rules", "push", bad, "--redis", addr, NULL), 1);

    /* --config: the matcher config's redis section */
    snprintf(yaml, sizeof(yaml), "redis:\n  port: %d\n", fx.port);
    pipeline_write_file(dir, "matcher.yaml", yaml);
    snprintf(cfg, sizeof(cfg), "%s/matcher.yaml", dir);
    assert_int_equal(run(NULL, "rules", "list", "--config", cfg, NULL), 0);
    /* issue #11: Chinese headings, Beijing time, 推送人 padded by display width */
    {
        const char *const has[] = {
            "当前 版本   推送时间         推送人           规则数\n*    2      20",
            " 李值班           2\n", "\n     1      20", " zhang "};
        const char *const lacks[] = {"Z ", "    3 "};
        test_expect_text("rules list", out, has, 4, lacks, 2);
    }

    assert_int_equal(run(NULL, "rules", "test", text, "--redis", addr, NULL), 0);
    assert_non_null(strstr(out, "规则集第 2 版（2 条规则）\n命中规则 征地拆迁补偿纠纷（land-01）"));
    assert_non_null(strstr(out, "  拆迁 正文 [7,9) “拆迁”\n"));
}

static void test_redis_down_fails(void **state)
{
    char rules[128], text[128], addr[64];
    (void)state;
    snprintf(rules, sizeof(rules), "%s/rules", dir);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", redis_fixture_free_port());
    /* each names the address it tried and how to give another (the demo's Redis) */
    assert_int_equal(run(NULL, "rules", "push", rules, "--redis", addr, NULL), 1);
    assert_non_null(strstr(err_out, addr));
    assert_non_null(strstr(err_out, "--redis HOST:PORT"));
    assert_int_equal(run(NULL, "rules", "list", "--redis", addr, NULL), 1);
    assert_non_null(strstr(err_out, addr));
    assert_non_null(strstr(err_out, "--redis HOST:PORT"));
    snprintf(text, sizeof(text), "%s/text.txt", dir);
    assert_int_equal(run(NULL, "rules", "test", text, "--redis", addr, NULL), 1);
    assert_non_null(strstr(err_out, addr));
    assert_non_null(strstr(err_out, "--redis 127.0.0.1:16379"));
}

/*
 * Issue #11: rules validate rejects a rule marked local when no rule file lists places, and
 * accepts it once a file does.
 */
static void test_issue_11_validate_local_rule_needs_places(void **state)
{
    char path[128];
    (void)state;
    snprintf(path, sizeof(path), "%s/local", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    pipeline_write_file(dir, "local/safety.yaml",
                        "rules:\n  - {id: safety-gas, name: 燃气泄漏与爆炸, "
                        "department: 市应急管理局, level: II, local: true, "
                        "expr: 爆炸 & !演练}\n");
    assert_int_equal(run(NULL, "rules", "validate", path, NULL), 1);
    pipeline_write_file(dir, "local/00-places.yaml", "places: [安康, 旬阳]\nrules: []\n");
    assert_int_equal(run(NULL, "rules", "validate", path, NULL), 0);
    assert_non_null(strstr(out, "有效：1 条规则"));
}

/*
 * issue #11: "rules test" can simulate a local source. A local rule does not fire on a text
 * without a place name; it does with --local, and with --sources FILE --source-id ID when that
 * source is local: true in the collector's sources file (not when it is not). Bad uses are
 * named.
 */
static void test_issue_11_test_as_local_source(void **state)
{
    char rules[128], text[128], sources[128];
    (void)state;
    snprintf(rules, sizeof(rules), "%s/localtest", dir);
    assert_int_equal(mkdir(rules, 0700), 0);
    pipeline_write_file(dir, "localtest/00-places.yaml", "places: [安康, 旬阳]\nrules: []\n");
    pipeline_write_file(dir, "localtest/safety.yaml",
                        "rules:\n  - {id: safety-gas, name: 燃气泄漏与爆炸, "
                        "department: 市应急管理局, level: II, local: true, "
                        "expr: 燃气泄漏 & !演练}\n");
    pipeline_write_file(dir, "gas.txt", "小区地下车库燃气泄漏，消防已到场");
    pipeline_write_file(dir, "sources.yaml",
                        "sources:\n"
                        "  - {id: forum, kind: rss, url: http://x/f.xml, local: true}\n"
                        "  - {id: weekly, kind: rss, url: http://x/w.xml}\n");
    snprintf(text, sizeof(text), "%s/gas.txt", dir);
    snprintf(sources, sizeof(sources), "%s/sources.yaml", dir);
    assert_int_equal(run(NULL, "rules", "test", text, "--dir", rules, NULL), 0);
    assert_non_null(strstr(out, "没有规则命中\n"));
    assert_int_equal(run(NULL, "rules", "test", text, "--dir", rules, "--local", NULL), 0);
    assert_non_null(strstr(out, "按本地来源测试：标为本地的规则无需地名\n"
                                "命中规则 燃气泄漏与爆炸（safety-gas）"));
    assert_int_equal(run(NULL, "rules", "test", text, "--dir", rules, "--sources", sources,
                         "--source-id", "forum", NULL), 0);
    assert_non_null(strstr(out, "命中规则 燃气泄漏与爆炸（safety-gas）"));
    assert_int_equal(run(NULL, "rules", "test", text, "--dir", rules, "--sources", sources,
                         "--source-id", "weekly", NULL), 0);
    assert_non_null(strstr(out, "没有规则命中\n"));
    assert_null(strstr(out, "按本地来源"));
    assert_int_equal(run(NULL, "rules", "test", text, "--dir", rules, "--sources", sources,
                         "--source-id", "nosuch", NULL), 1);
    assert_non_null(strstr(err_out, "中没有来源 'nosuch' (no such source)"));
    assert_int_equal(run(NULL, "rules", "test", text, "--dir", rules, "--sources", sources,
                         NULL), 2);
    assert_non_null(strstr(err_out, "--sources 须与 --source-id 一起给出"));
    assert_int_equal(run(NULL, "rules", "test", text, "--dir", rules, "--sources", sources,
                         "--source-id", "forum", "--local", NULL), 2);
    /* the shipped sources file: the demo's local forum */
    assert_int_equal(run(NULL, "rules", "test", text, "--dir", YQ_SOURCE_DIR "/config/rules",
                         "--sources", YQ_SOURCE_DIR "/config/sources.yaml", "--source-id",
                         "ankang-forum-wenzheng", NULL), 0);
    assert_non_null(strstr(out, "命中规则 燃气泄漏与爆炸（safety-gas）"));
}

/*
 * issue #11 (review): push checks departments exactly as validate does (--db or
 * --notifier-config): 市自然资源 (missing 局) is refused, exit 2, and nothing is pushed; a
 * relative store.path of the notifier config is taken from the current directory, as
 * yuqing-notifier opens it (not from the config's directory).
 */
static void test_issue_11_push_checks_departments(void **state)
{
    char typo[128], rules[128], addr[64], db[128], cfg[128], cwd[512], sub[128];
    (void)state;
    if (fx_state != 0) {
        skip();
    }
    make_db("reg2.db", "CREATE TABLE web_departments (name TEXT PRIMARY KEY, head TEXT NOT NULL "
                       "DEFAULT '', created_at INTEGER NOT NULL);"
                       "INSERT INTO web_departments VALUES ('市自然资源局', '', 1), "
                       "('汉滨区人民政府', '', 2);");
    {
        char path[128];
        snprintf(path, sizeof(path), "%s/typo2", dir);
        assert_true(mkdir(path, 0755) == 0 || access(path, F_OK) == 0);
        snprintf(sub, sizeof(sub), "%s/conf", dir);
        assert_true(mkdir(sub, 0755) == 0 || access(sub, F_OK) == 0);
    }
    pipeline_write_file(dir, "typo2/a.yaml",
                        "rules:\n"
                        "  - {id: land-01, name: 征地, department: 市自然资源, expr: 征地}\n");
    snprintf(typo, sizeof(typo), "%s/typo2", dir);
    snprintf(rules, sizeof(rules), "%s/rules", dir);
    snprintf(db, sizeof(db), "%s/reg2.db", dir);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", fx.port);
    /* test_push_list_test_via_redis (before) pushed versions 1 and 2 */
    assert_int_equal(run(NULL, "rules", "push", typo, "--redis", addr, "--db", db, NULL), 2);
    assert_string_equal(out, "");
    assert_int_equal(run(NULL, "rules", "list", "--redis", addr, NULL), 0);
    assert_non_null(strstr(out, "\n*    2 "));
    assert_null(strstr(out, "    3 ")); /* nothing was pushed */
    assert_int_equal(run(NULL, "rules", "push", rules, "--redis", addr, "--db", db, NULL), 0);
    assert_string_equal(out, "已推送规则集第 3 版（2 条规则）\n");

    /* conf/notifier.yaml says store.path: reg2.db: taken from the current directory (dir) */
    pipeline_write_file(dir, "conf/notifier.yaml", "store:\n  path: reg2.db\n");
    snprintf(cfg, sizeof(cfg), "%s/conf/notifier.yaml", dir);
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(dir), 0);
    assert_int_equal(run(NULL, "rules", "push", typo, "--redis", addr, "--notifier-config", cfg,
                         NULL),
                     2);
    assert_int_equal(run(NULL, "rules", "validate", typo, "--notifier-config", cfg, NULL), 2);
    /* from the config's own directory it names no store: not checked (said), accepted */
    assert_int_equal(chdir(sub), 0);
    assert_int_equal(run(NULL, "rules", "validate", typo, "--notifier-config", cfg, NULL), 0);
    assert_int_equal(chdir(cwd), 0);
}

/*
 * Issue #14: the push gate. A set that changes the live one is refused until a backtest of it
 * is recorded under its digest; then it is pushed. --force pushes without one and records the
 * forced push; the live set unchanged is pushed without one (the first push into an empty Redis
 * is test_push_list_test_via_redis's first push).
 */
static void test_issue_14_push_needs_backtest(void **state)
{
    static const char changed[] =
        "group: 征地拆迁\n"
        "exclude: [招聘]\n"
        "rules:\n"
        "  - {id: land-01, name: 征地拆迁补偿纠纷, department: 市自然资源局, level: III,\n"
        "     expr: \"(安康 | 汉滨) & (征地 | 拆迁)\"}\n"
        "  - {id: land-02, name: 强拆, department: 汉滨区人民政府, expr: \"强拆 | 违建\"}\n";
    char g1[128], g2[128], addr[64], want[512], digest[RULES_DIGEST_HEX_LEN + 1], e[256];
    char live_digest[RULES_DIGEST_HEX_LEN + 1], rec[256];
    struct rule_set *rs = NULL;
    struct yq_redis_cfg rc_cfg = {.host = "127.0.0.1", .connect_timeout_ms = 2000,
                                  .command_timeout_ms = 2000};
    struct yq_redis *r;
    redisReply *reply;
    (void)state;
    if (fx_state != 0) {
        skip();
    }
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", fx.port);
    snprintf(g1, sizeof(g1), "%s/gate1", dir);
    snprintf(g2, sizeof(g2), "%s/gate2", dir);
    assert_int_equal(mkdir(g1, 0755), 0);
    assert_int_equal(mkdir(g2, 0755), 0);
    pipeline_write_file(dir, "gate1/land.yaml", changed);
    pipeline_write_file(dir, "gate2/land.yaml", pipeline_land_rules_yaml);
    pipeline_write_file(dir, "gate2/water.yaml",
                        "rules:\n  - {id: water-01, name: 停水, department: 市水务局, expr: 停水}\n");
    rc_cfg.port = fx.port;
    r = yq_redis_new(&rc_cfg);
    assert_non_null(r);

    /* versions 1..3 (earlier tests) hold the rules of rules/; gate1 changes land-02 */
    assert_int_equal(run(NULL, "rules", "push", g1, "--redis", addr, NULL), 1);
    assert_string_equal(out, "");
    assert_non_null(rule_set_load_dir(g1, &rs, e, sizeof(e)) == 0 ? rs : NULL);
    assert_int_equal(rule_set_digest(rs, digest), 0);
    rule_set_free(rs);
    snprintf(want, sizeof(want),
             "yuqingctl rules: 未核对部门：请用 --db 指定工单库或用 --notifier-config 指定通知配置 "
             "(departments not checked: give --db TICKET_STORE or --notifier-config FILE)\n"
             "yuqingctl rules: 规则集未经回测: run yuqingctl rules backtest %s first, or push with "
             "--force "
             "(规则集摘要 digest %.12s 没有回测记录，未推送 not pushed)\n",
             g1, digest);
    assert_string_equal(err_out, want);
    assert_int_equal(run(NULL, "rules", "list", "--redis", addr, NULL), 0);
    assert_null(strstr(out, "    4 "));

    /* a report made against another live set (an older version): refused */
    assert_int_equal(rules_store_load(r, 0, &rs, e, sizeof(e)), 0);
    assert_int_equal(rule_set_digest(rs, live_digest), 0);
    rule_set_free(rs);
    snprintf(rec, sizeof(rec), "{\"live_digest\":\"%064d\",\"items_scanned\":5}", 0);
    assert_int_equal(rules_backtest_record_put(r, digest, rec, 60, e, sizeof(e)), 0);
    assert_int_equal(run(NULL, "rules", "push", g1, "--redis", addr, NULL), 1);
    assert_string_equal(out, "");
    assert_non_null(
        strstr(err_out, "yuqingctl rules: 规则集的回测基于旧的线上版本: run the backtest again"));
    /* against the live set but over no item: refused */
    snprintf(rec, sizeof(rec), "{\"live_digest\":\"%s\",\"items_scanned\":0}", live_digest);
    assert_int_equal(rules_backtest_record_put(r, digest, rec, 60, e, sizeof(e)), 0);
    assert_int_equal(run(NULL, "rules", "push", g1, "--redis", addr, NULL), 1);
    assert_non_null(strstr(err_out, "规则集的回测基于旧的线上版本"));
    /* the report recorded against the current live set (as `rules backtest` does): pushed */
    snprintf(rec, sizeof(rec), "{\"live_digest\":\"%s\",\"items_scanned\":5}", live_digest);
    assert_int_equal(rules_backtest_record_put(r, digest, rec, 60, e, sizeof(e)), 0);
    assert_int_equal(run(NULL, "rules", "push", g1, "--redis", addr, NULL), 0);
    assert_string_equal(out, "已推送规则集第 4 版（2 条规则）\n");
    /* the live set unchanged needs no backtest */
    assert_int_equal(run(NULL, "rules", "push", g1, "--redis", addr, NULL), 0);
    assert_string_equal(out, "已推送规则集第 5 版（2 条规则）\n");

    /* gate2 adds a rule: refused, then forced */
    assert_int_equal(run(NULL, "rules", "push", g2, "--redis", addr, NULL), 1);
    assert_int_equal(run(NULL, "rules", "push", g2, "--by", "zhang", "--force", "--redis", addr,
                         NULL),
                     0);
    assert_string_equal(out, "已推送规则集第 6 版（3 条规则），强制推送：未经回测 (forced, no "
                             "backtest)\n");
    assert_non_null(rule_set_load_dir(g2, &rs, e, sizeof(e)) == 0 ? rs : NULL);
    assert_int_equal(rule_set_digest(rs, digest), 0);
    rule_set_free(rs);
    reply = yq_redis_command(r, "HGET %s 6", RULES_KEY_FORCED);
    assert_non_null(reply);
    assert_int_equal(reply->type, REDIS_REPLY_STRING);
    snprintf(want, sizeof(want), "{\"digest\":\"%s\",\"by\":\"zhang\",\"at\":\"", digest);
    assert_int_equal(strncmp(reply->str, want, strlen(want)), 0);
    freeReplyObject(reply);
    reply = yq_redis_command(r, "HLEN %s", RULES_KEY_FORCED);
    assert_non_null(reply);
    assert_int_equal(reply->integer, 1); /* version 4 was not forced */
    freeReplyObject(reply);
    yq_redis_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_usage_errors),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_issue_11_validate_departments_against_registry),
        cmocka_unit_test(test_issue_11_validate_local_rule_needs_places),
        cmocka_unit_test(test_issue_11_test_as_local_source),
        cmocka_unit_test(test_test_with_dir_from_stdin),
        cmocka_unit_test(test_push_list_test_via_redis),
        cmocka_unit_test(test_redis_down_fails),
        cmocka_unit_test(test_issue_11_push_checks_departments),
        cmocka_unit_test(test_issue_14_push_needs_backtest),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
