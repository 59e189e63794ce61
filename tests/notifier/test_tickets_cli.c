/*
 * yuqingctl tickets as an operator uses it: a wrong --db never creates an empty store, bad
 * --state values and future --now times are usage errors, set-level works, and a ticket is
 * only assigned to a department of the registry when the office keeps one.
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
#include "yq_db.h"

#include "capture.h"
#include "db_fixture.h"
#include "notifier_fixture.h"
#include "sqlite_fixture.h"
#include "test_alerts.h"
#include "test_expect.h"
#include "ticket_intake.h"
#include "ticket_store.h"
#include "tickets_cli.h"
#include "yq_alert.h"
#include "yq_labels.h"
#include "file_fixture.h"

struct fx {
    char dir[64];
    char db[256]; /* a file, or a PostgreSQL schema's URL (db_fixture.h) */
    char number[32];
    char cfg[160]; /* a config with channels for the demo's departments (like the demo's) */
};

/* The shipped config (channels: {}): it tells nobody. */
static const char *shipped_cfg(void)
{
    static char cfg[512];
    snprintf(cfg, sizeof(cfg), "%s/config/notifier.yaml", YQ_SOURCE_DIR);
    return cfg;
}

/* Run with --config cfg_path (NULL: f's config with channels) and --db of f (when f). */
static int run_cfg(struct fx *f, const char *cfg_path, const char *const *extra)
{
    char *argv[32];
    int argc = 0;
    static char cfg[512];

    snprintf(cfg, sizeof(cfg), "%s", cfg_path ? cfg_path : f ? f->cfg : shipped_cfg());
    argv[argc++] = "tickets";
    for (; *extra && argc < 26; extra++) {
        argv[argc++] = (char *)*extra;
    }
    argv[argc++] = "--config";
    argv[argc++] = cfg;
    if (f) {
        argv[argc++] = "--db";
        argv[argc++] = f->db;
    }
    argv[argc] = NULL;
    return tickets_cli_main(argc, argv);
}

static int run(struct fx *f, const char *const *extra)
{
    return run_cfg(f, NULL, extra);
}

static int64_t scalar(struct fx *f, const char *sql)
{
    struct yq_db *db;
    struct yq_stmt *st;
    int64_t v = -1;
    assert_int_equal(yq_db_open(f->db, YQ_DB_CREATE, 5000, &db, NULL, 0), YQ_DB_OK);
    assert_int_equal(yq_stmt_prepare(db, sql, &st), YQ_DB_OK);
    if (yq_stmt_step(st) == YQ_DB_ROW) {
        v = yq_stmt_column_int64(st, 0);
    }
    yq_stmt_finalize(st);
    yq_db_close(db);
    return v;
}

static void exec_sql(struct fx *f, const char *sql)
{
    sqlite_fixture_exec_at(f->db, sql);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct ticket_store_cfg cfg = {0};
    struct ticket_store *store;
    struct ticket_intake_result res;
    struct yq_alert alert;
    struct test_alert_spec spec =
        TEST_ALERT_LAND("ev:cli", "rss:cli1", "III", "2026-11-30T09:00:00+08:00", NULL, 40.0);
    char err[256] = "";

    snprintf(f->dir, sizeof(f->dir), "/tmp/yq-tickets-cli-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    {
        char file[128];
        snprintf(file, sizeof(file), "%s/tickets.db", f->dir);
        db_fixture_new(f->db, sizeof(f->db), file);
    }
    snprintf(f->cfg, sizeof(f->cfg), "%s/notifier.yaml", f->dir);
    {
        FILE *c = fopen(f->cfg, "w");
        assert_non_null(c);
        fprintf(c, "clocks:\n  calendar_dir: %s/config/calendar\n", YQ_SOURCE_DIR);
        fputs("store:\n  path: run/tickets.db\n"
              "channels:\n"
              "  duty-robot: {type: webhook, url: \"http://127.0.0.1:9/duty\"}\n"
              "  zrzy-robot: {type: webhook, url: \"http://127.0.0.1:9/zrzy\"}\n"
              "  sthj-robot: {type: webhook, url: \"http://127.0.0.1:9/sthj\"}\n"
              "duty_officer: [duty-robot]\n"
              "departments:\n"
              "  市自然资源局: {liaison: [zrzy-robot]}\n"
              "  市生态环境局: {liaison: [sthj-robot]}\n",
              c);
        fclose(c);
    }
    cfg.path = f->db;
    cfg.busy_timeout_ms = 2000;
    if (ticket_store_init(&cfg, NULL, err, sizeof(err)) != 0 ||
        ticket_store_open(&cfg, &store, err, sizeof(err)) != 0) {
        fail_msg("open: %s", err);
    }
    ticket_store_set_policy(store, notifier_policy_hand_over_all()); /* a ticket at intake */
    assert_int_equal(test_alert_make(&spec, &alert), 0);
    assert_int_equal(ticket_intake_alert(store, &alert, 1796000000, &res), 0);
    snprintf(f->number, sizeof(f->number), "%s", res.number);
    yq_alert_release(&alert);
    ticket_store_free(store);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    db_fixture_drop(f->db);
    if (file_fixture_remove_dir(f->dir) != 0) {
        /* a leftover temp directory is harmless */
    }
    free(f);
    return 0;
}

static int run_fd(struct fx *f, const char *cfg_path, int fd, const char *const *extra, char *out,
                  size_t len);

/*
 * A store that is not there, or a --db that names a directory (`--db .demo`), is an error in
 * the house form (Chinese first, the English in parentheses), never an empty list.
 */
static void test_missing_store_is_an_error_not_an_empty_list(void **state)
{
    struct fx *f = *state, wrong;
    const char *const list[] = {"list", NULL};
    char err[1024], want[1024];

    memcpy(&wrong, f, sizeof(wrong));
    snprintf(wrong.db, sizeof(wrong.db), "%s/typo/tickets.db", f->dir);
    assert_int_equal(run_fd(&wrong, NULL, STDERR_FILENO, list, err, sizeof(err)), 1);
    snprintf(want, sizeof(want),
             "yuqingctl tickets: 交办单库 '%s' 不存在：请检查 --db 或 "
             "store.path",
             wrong.db);
    assert_non_null(strstr(err, want));
    assert_int_not_equal(access(wrong.db, F_OK), 0); /* nothing was created */
    snprintf(wrong.db, sizeof(wrong.db), "%s", f->dir);
    assert_int_equal(run_fd(&wrong, NULL, STDERR_FILENO, list, err, sizeof(err)), 1);
    snprintf(want, sizeof(want),
             "yuqingctl tickets: 交办单库 '%s' 不是普通文件，--db 须为交办单库"
             "文件（如 .demo/tickets.db） (ticket store '%s' is not a regular file)\n",
             f->dir, f->dir);
    assert_non_null(strstr(err, want));
    assert_int_equal(run(f, list), 0);
}

/*
 * `list --department` checks the name as stats and the statistics API do
 * (yq_departments_check()): with a registry an unknown name is refused, exit 2, naming it and
 * the registered ones, instead of an empty table; without one any name is taken.
 */
static void test_list_unknown_department_is_refused(void **state)
{
    struct fx *f = *state;
    const char *const unknown[] = {"list", "--department", "不存在局", NULL};
    const char *const known[] = {"list", "--department", "市自然资源局", NULL};
    char err[2048];

    assert_int_equal(run_fd(f, NULL, STDERR_FILENO, unknown, err, sizeof(err)), 0);
    exec_sql(f, "INSERT INTO web_departments (name, created_at) VALUES ('市自然资源局', 1), "
                "('市生态环境局', 2);");
    assert_int_equal(run_fd(f, NULL, STDERR_FILENO, unknown, err, sizeof(err)), 2);
    assert_string_equal(err, "yuqingctl tickets: 未登记的部门 '不存在局'（部门以 yuqingctl users "
                             "dept-add 登记）; unknown department '不存在局'; known (已登记): "
                             "市自然资源局, 市生态环境局\n");
    assert_int_equal(run_fd(f, NULL, STDERR_FILENO, known, err, sizeof(err)), 0);
    assert_string_equal(err, "");
}

static void test_usage_errors(void **state)
{
    struct fx *f = *state;
    const char *const bad_state[] = {"list", "--state", "bogus", NULL};
    const char *const bad_outbox[] = {"outbox", "--state", "open", NULL};
    const char *const future[] = {"escalate", "--now", "2099-01-01T00:00:00Z", NULL};
    const char *const bad_level[] = {"set-level", f->number, "--level", "V", NULL};

    assert_int_equal(run(f, bad_state), 2);
    assert_int_equal(run(f, bad_outbox), 2);
    assert_int_equal(run(f, future), 2);
    assert_int_equal(run(f, bad_level), 2);
    /* issue #11: every enumerated value is checked and named, exit 2 */
    {
        const char *const bad_reason[] = {"dismiss", f->number, "--reason", "bogus", NULL};
        const char *const bad_channel[] = {"respond", f->number, "--channel", "传真", NULL};
        const char *const bad_role[] = {"ack", f->number, "--role", "boss", NULL};
        assert_int_equal(run(f, bad_reason), 2);
        assert_int_equal(run(f, bad_channel), 2);
        assert_int_equal(run(f, bad_role), 2);
    }
    /* nothing was written by any of them */
    assert_int_equal(scalar(f, "SELECT count(*) FROM ticket_log"), 1);
    assert_int_equal(scalar(f, "SELECT count(*) FROM ticket_escalations"), 0);
}

static void test_set_level_and_assign_against_the_registry(void **state)
{
    struct fx *f = *state;
    const char *const set_level[] = {"set-level", f->number, "--level", "II", "--as", "值班员",
                                     NULL};
    const char *const assign_unknown[] = {"assign", f->number, "--department", "不存在局",
                                          "--no-notify", NULL};
    const char *const assign_known[] = {"assign", f->number, "--department", "市生态环境局",
                                        NULL};

    assert_int_equal(run(f, set_level), 0);
    assert_int_equal(scalar(f, "SELECT level = 'II' FROM tickets"), 1);
    /* the level it already has: refused (level_unchanged), no new version or log row */
    {
        int64_t version = scalar(f, "SELECT version FROM tickets");
        int64_t logs = scalar(f, "SELECT count(*) FROM ticket_log");

        assert_int_equal(run(f, set_level), 1);
        assert_int_equal(scalar(f, "SELECT version FROM tickets"), version);
        assert_int_equal(scalar(f, "SELECT count(*) FROM ticket_log"), logs);
    }
    /* no registry yet: any department name is accepted */
    assert_int_equal(run(f, assign_unknown), 0);
    /* with a registry only its departments are */
    exec_sql(f, "INSERT INTO web_departments (name, created_at) VALUES ('市自然资源局', 0), "
                "('市生态环境局', 0);"); /* the store has the table since migration 7 */
    assert_int_equal(run(f, assign_known), 0);
    assert_int_equal(run(f, assign_unknown), 2); /* issue #11: a bad value exits 2 */
    assert_int_equal(scalar(f, "SELECT department = '市生态环境局' FROM tickets"), 1);
    /*
     * an unregistered lead or co-handling department is named first, not a missing channel
     * (shipped config: channels {}) whose --no-notify only then led to the real fault
     */
    {
        const char *const told[] = {"assign", f->number, "--department", "不存在局", NULL};
        const char *const told_co[] = {
            "assign", f->number, "--department", "市生态环境局", "--co", "不存在局", NULL};
        const char *const want = "yuqingctl tickets: 未执行：部门“不存在局”未登记（请先在管理页或"
                                 "用 yuqingctl users dept-add 添加）（department_unknown） "
                                 "(assign refused)\n";
        char err[1024];

        assert_int_equal(run_fd(f, shipped_cfg(), STDERR_FILENO, told, err, sizeof(err)), 2);
        assert_string_equal(err, want);
        assert_int_equal(run_fd(f, shipped_cfg(), STDERR_FILENO, told_co, err, sizeof(err)), 2);
        assert_string_equal(err, want);
    }
}

/*
 * Run with --config cfg_path (NULL: f's) and the output of fd (STDOUT_FILENO or
 * STDERR_FILENO) captured into out (NUL-terminated, at most len - 1 bytes).
 */
static int run_fd(struct fx *f, const char *cfg_path, int fd, const char *const *extra, char *out,
                  size_t len)
{
    char path[160];
    int saved, rc;

    snprintf(path, sizeof(path), "%s/out%d.txt", f->dir, fd);
    saved = capture_begin(fd, path);
    rc = run_cfg(f, cfg_path, extra);
    capture_end(fd, saved, path, out, len);
    return rc;
}

/* Run with stdout captured into out (NUL-terminated, at most len - 1 bytes). */
static int run_captured(struct fx *f, const char *const *extra, char *out, size_t len)
{
    return run_fd(f, NULL, STDOUT_FILENO, extra, out, len);
}

/*
 * escalate refuses a --now in the future naming the time as it was given (here Beijing
 * wall-clock time, no zone), as it did before the typed rows: the review of 1f6b3d6 found the
 * UTC instant it was read to printed instead ('2099-01-01T00:00:00Z' for 2099-01-01T08:00:00).
 * Nothing is written.
 */
static void test_escalate_future_now_names_the_value_given(void **state)
{
    struct fx *f = *state;
    const char *const future[] = {"escalate", "--now", "2099-01-01T08:00:00", NULL};
    char err[1024];

    assert_int_equal(run_fd(f, NULL, STDERR_FILENO, future, err, sizeof(err)), 2);
    assert_string_equal(err, "yuqingctl tickets: --now '2099-01-01T08:00:00' 晚于现在 (is in the "
                             "future)\n");
    assert_int_equal(scalar(f, "SELECT count(*) FROM ticket_escalations"), 0);
}

/*
 * issue #11: `tickets list` pads its columns to the display width of their widest cell (a
 * Chinese character takes two columns), so a row with 市卫生健康委员会 lines up with one with
 * 市自然资源局 and with the heading.
 */
static void test_issue_11_list_aligns_chinese_columns(void **state)
{
    struct fx *f = *state;
    const char *const list[] = {"list", "--state", "all", NULL};
    char out[4096];

    exec_sql(f, "INSERT INTO tickets (number, event_key, state, level, department, title, "
                "detected_at, ack_deadline, response_deadline, close_deadline, item_count, heat, "
                "score, created_at, updated_at) SELECT 'YQ-2026-11-0099', 'ev:cli2', 'open', "
                "'IV', '市卫生健康委员会', '白河县卫生院被指拒收急诊病人', detected_at, "
                "ack_deadline, response_deadline, close_deadline, 12, heat, score, created_at, "
                "updated_at FROM tickets");
    assert_int_equal(run_captured(f, list, out, sizeof(out)), 0);
    assert_string_equal(
        out,
        "编号            状态   级别 主办部门         回应时限          信息数 标题\n"
        "YQ-2026-11-0001 待签收 III  市自然资源局     2026-12-02 09:00! 1      汉滨区征地补偿款迟迟未发放\n"
        "YQ-2026-11-0099 待签收 IV   市卫生健康委员会 2026-12-02 09:00! 12     白河县卫生院被指拒收急诊病人\n");
}

/* issue #11: the outbox table pads its cells by display width too. */
static void test_issue_11_outbox_aligns_chinese_columns(void **state)
{
    struct fx *f = *state;
    const char *const outbox[] = {"outbox", NULL};
    char out[4096];

    exec_sql(f, "INSERT INTO outbox (idem_key, kind, channel, role, subject, body, "
                "next_attempt_at, created_at) VALUES ('k1', '交办', '自然资源局群', 'liaison', "
                "'新交办单', 'b', 0, 0), ('k2', 'assigned', 'duty-robot', 'duty_officer', "
                "'新交办单', 'b', 0, 0)");
    assert_int_equal(run_captured(f, outbox, out, sizeof(out)), 0);
    assert_string_equal(out,
                        "编号   状态      渠道             类型      次数 下次/送达        "
                        "主题 | 最近错误\n"
                        "2      待发送    duty-robot       改派      0    -                "
                        "新交办单 | \n"
                        "1      待发送    自然资源局群     交办      0    -                "
                        "新交办单 | \n");
}

/*
 * issue #11: `tickets show` speaks Chinese: the state, the dismiss reason and the log by their
 * labels (the API's display fields), times in Beijing time.
 */
static void test_issue_11_show_uses_labels(void **state)
{
    struct fx *f = *state;
    const char *const dismiss[] = {"dismiss", f->number, "--reason", "out_of_scope", NULL};
    const char *const show[] = {"show", f->number, NULL};
    char out[8192];

    assert_int_equal(run(f, dismiss), 0);
    assert_int_equal(run_captured(f, show, out, sizeof(out)), 0);
    {
        const char *const has[] = {
            "级别 III 较大  状态 不予处置  主办 市自然资源局", "不予处置原因 超出职责范围",
            "系统 交办：级别 III 较大，市自然资源局，来源 网站", " 不予处置：原因 超出职责范围"};
        const char *const lacks[] = {"reason=", "level="};
        test_expect_text("tickets show", out, has, 4, lacks, 2);
    }
}

/*
 * Issue #15: `show` lists the proposed 回应; confirm-response records it as the ticket's
 * response (marked 自动发现), a second decision is refused; a bad --proposal is a usage error.
 */
static void test_issue_15_confirm_response(void **state)
{
    struct fx *f = *state;
    char sql[1024], out[8192];
    const char *const show[] = {"show", f->number, NULL};
    const char *const bad[] = {"confirm-response", f->number, "--proposal", "x1", NULL};
    const char *const confirm[] = {"confirm-response", f->number, "--proposal", "1", "--role",
                                   "liaison", "--as", "李联络", NULL};
    const char *const reject[] = {"reject-response", f->number, "--proposal", "1", NULL};

    snprintf(sql, sizeof(sql),
             "INSERT INTO official_posts (id, item_id, source_id, department, response_channel, "
             "url, title, published_at, fetched_at, received_at) VALUES (1, 'wx:1', 'ak-fabu', "
             "'市自然资源局', '政务微信', 'https://mp.example/s/1', '关于征地补偿款的情况通报', "
             "1796007600, 1796007700, 1796007800);"
             "INSERT INTO response_proposals (id, ticket_id, post_id, score, proposed_at) "
             "SELECT 1, id, 1, 0.67, 1796007800 FROM tickets WHERE number = '%s';",
             f->number);
    exec_sql(f, sql);
    assert_int_equal(run_captured(f, show, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "#1 [待确认] 2026-11-30 11:00 政务微信 “关于征地补偿款的情况通报” "
                                "得分 0.67 https://mp.example/s/1"));
    assert_int_equal(run(f, bad), 2);
    assert_int_equal(run(f, confirm), 0);
    assert_int_equal(scalar(f, "SELECT count(*) FROM tickets WHERE state = 'responded' AND "
                               "responded_at = 1796007600"),
                     1);
    assert_int_equal(run_captured(f, show, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "政务微信 https://mp.example/s/1（李联络） 自动发现"));
    assert_non_null(strstr(out, "#1 [已确认]"));
    assert_true(run(f, reject) != 0);
    assert_int_equal(scalar(f, "SELECT count(*) FROM response_proposals WHERE state = "
                               "'confirmed'"),
                     1);
}

/*
 * issue #11 (review): a state-changing command run with a config whose channels reach nobody
 * concerned (the shipped config/notifier.yaml: channels {}) is refused, exit 2, naming
 * --config, and writes nothing; --no-notify acts without telling; the config with the
 * department's channel queues the notification, as the web UI does.
 */
static void test_issue_11_action_without_a_channel_is_refused(void **state)
{
    struct fx *f = *state;
    const char *const set_level[] = {"set-level", f->number, "--level", "II", NULL};
    const char *const assign[] = {"assign", f->number, "--department", "市生态环境局", NULL};
    const char *const dismiss[] = {"dismiss", f->number, "--reason", "重复", NULL};
    const char *const set_level_quiet[] = {"set-level", f->number, "--level", "II",
                                           "--no-notify", NULL};
    const char *const ack[] = {"ack", f->number, NULL};
    char err[2048], out[1024];

    assert_int_equal(run_fd(f, shipped_cfg(), STDERR_FILENO, set_level, err, sizeof(err)), 2);
    assert_non_null(strstr(err, "中没有能通知到“市自然资源局”的渠道"));
    assert_non_null(strstr(err, "--config .demo/notifier.yaml"));
    assert_non_null(strstr(err, "--no-notify"));
    assert_int_equal(run_cfg(f, shipped_cfg(), assign), 2);
    assert_int_equal(run_cfg(f, shipped_cfg(), dismiss), 2);
    assert_int_equal(scalar(f, "SELECT count(*) FROM ticket_log"), 1); /* nothing was done */
    assert_int_equal(scalar(f, "SELECT level = 'III' FROM tickets"), 1);
    /* assigning to a department the config does not reach is refused as well, lead or co */
    {
        const char *const assign_far[] = {"assign", f->number, "--department", "市应急管理局",
                                          NULL};
        const char *const co_far[] = {"assign", f->number, "--department", "市生态环境局",
                                      "--co", "市自然资源局，市应急管理局", NULL};
        assert_int_equal(run(f, assign_far), 2);
        assert_int_equal(run_fd(f, NULL, STDERR_FILENO, co_far, err, sizeof(err)), 2);
        assert_non_null(strstr(err, "中没有能通知到“市应急管理局”的渠道"));
    }
    /* said explicitly: done, nobody told */
    assert_int_equal(run_fd(f, shipped_cfg(), STDOUT_FILENO, set_level_quiet, out, sizeof(out)),
                     0);
    assert_string_equal(out, "YQ-2026-11-0001：待签收 → 待签收（版本 1，已排入 0 条通知）\n");
    /* 签收 tells nobody by design: no channel needed */
    assert_int_equal(run_cfg(f, shipped_cfg(), ack), 0);
    /* with the department's channel: the department hears of it */
    assert_int_equal(run_captured(f, dismiss, out, sizeof(out)), 0);
    assert_string_equal(out, "YQ-2026-11-0001：已签收 → 不予处置（版本 3，已排入 1 条通知）\n");
    assert_int_equal(scalar(f, "SELECT count(*) FROM outbox WHERE channel = 'zrzy-robot' AND "
                               "kind = 'dismissed'"),
                     1);
}

/*
 * issue #11 (review): a reason, a level and a channel are taken by their Chinese label as well
 * as their code (the label table's reverse lookup); stored as the code.
 */
static void test_issue_11_values_by_label(void **state)
{
    struct fx *f = *state;
    const char *const level[] = {"set-level", f->number, "--level", "重大", NULL};
    const char *const dismiss[] = {"dismiss", f->number, "--reason", "误报", NULL};
    const char *const bad[] = {"dismiss", f->number, "--reason", "无关", NULL};
    char err[1024];

    assert_int_equal(run(f, level), 0);
    assert_int_equal(scalar(f, "SELECT level = 'II' FROM tickets"), 1);
    assert_int_equal(run_fd(f, NULL, STDERR_FILENO, bad, err, sizeof(err)), 2);
    assert_string_equal(err, "yuqingctl tickets: 未执行：不予处置原因须为与本地无关、重复、误报、"
                             "超出职责范围或其他之一（reason_invalid） (dismiss refused)\n");
    assert_int_equal(run(f, dismiss), 0);
    assert_int_equal(scalar(f, "SELECT dismiss_reason = 'false_alarm' FROM tickets"), 1);
    assert_string_equal(yq_label_code(YQ_LABEL_DISMISS_REASON, "误报"), "false_alarm");
    assert_string_equal(yq_label_code(YQ_LABEL_DISMISS_REASON, "other"), "other");
    assert_string_equal(yq_label_code(YQ_LABEL_RESPONSE_CHANNEL, "答复"), "答复");
    assert_null(yq_label_code(YQ_LABEL_DISMISS_REASON, "无关"));
}

/*
 * issue #11 (review): a dismissed ticket's clocks are stopped in the CLI as in the API:
 * `tickets list` shows 已撤销, never "!", and `tickets show` each clock's state and the time it
 * stopped.
 */
static void test_issue_11_settled_clocks_stop(void **state)
{
    struct fx *f = *state;
    const char *const dismiss[] = {"dismiss", f->number, "--reason", "与本地无关", NULL};
    const char *const list[] = {"list", "--state", "all", NULL};
    const char *const show[] = {"show", f->number, NULL};
    char out[8192];

    assert_int_equal(run(f, dismiss), 0);
    /* dismissed at 2026-11-30 09:40 Beijing time (before the 10:00 签收时限) */
    exec_sql(f, "UPDATE tickets SET dismissed_at = 1796002800");
    assert_int_equal(run_captured(f, list, out, sizeof(out)), 0);
    assert_string_equal(
        out, "编号            状态     级别 主办部门     回应时限                信息数 标题\n"
             "YQ-2026-11-0001 不予处置 III  市自然资源局 2026-12-02 09:00 已撤销 1      "
             "汉滨区征地补偿款迟迟未发放\n");
    assert_int_equal(run_captured(f, show, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "主办 市自然资源局  协办 无\n"));
    assert_non_null(strstr(out, "\n签收时限 2026-11-30 10:00  已撤销 2026-11-30 09:40\n"
                                "回应时限 2026-12-02 09:00  已撤销 2026-11-30 09:40\n"));
    assert_null(strstr(out, "已超时"));
    assert_null(strstr(out, "进行中"));
}

/*
 * Issue #12: the options are read by yq_cli_parse(), in its words; a bad --limit (not a number,
 * below 1, above 100000), --now, --at or --proposal is refused by name and value in yq_cli's
 * one message form, --print-config (a process's option) is refused, and so is a word after
 * list, outbox or escalate, an unknown command and a command without its NUMBER or ID, each
 * named. All exit 2 before the store is opened.
 */
static void test_issue_12_bad_options_in_yq_cli_words(void **state)
{
    struct fx *f = *state;
    static const struct {
        char *argv[6];
        const char *first_line;
    } cases[] = {
        {{"tickets", "list", "--limit", "abc"},
         "选项 '--limit' 的取值 'abc' 须为 1..100000 的整数 (needs a whole number in 1..100000)"},
        {{"tickets", "list", "--limit", "-5"},
         "选项 '--limit' 的取值 '-5' 须为 1..100000 的整数 (needs a whole number in 1..100000)"},
        {{"tickets", "list", "--limit", "100001"},
         "选项 '--limit' 的取值 '100001' 须为 1..100000 的整数 (needs a whole number in "
         "1..100000)"},
        /* the typed options: one message form (yq_cli), exit 2, before the store is opened */
        {{"tickets", "escalate", "--now", "yesterday", "--db", "/nonexistent/tickets.db"},
         "选项 '--now' 的取值 'yesterday' 不是 RFC 3339 时间 (not an RFC 3339 time)"},
        {{"tickets", "respond", "YQ-1", "--at", "16:00"},
         "选项 '--at' 的取值 '16:00' 不是 RFC 3339 时间 (not an RFC 3339 time)"},
        {{"tickets", "confirm-response", "YQ-1", "--proposal", "0"},
         "选项 '--proposal' 的取值 '0' 须为不小于 1 的整数 (needs a whole number >= 1)"},
        /* a process's option that this command would ignore is refused (it prints no config) */
        {{"tickets", "list", "--print-config"},
         "选项 '--print-config' 只用于服务进程，此命令不打印配置 (this command prints no config)"},
        {{"tickets", "list", "--limit"}, "选项 '--limit' 缺少取值 (needs a value)"},
        {{"tickets", "list", "--bogus"}, "未知选项 '--bogus' (unknown option)"},
        {{"tickets", "show", "YQ-1", "YQ-2"}, "多余的参数 'YQ-2' (unexpected argument)"},
        {{"tickets", "list", "open"},
         "list 多余的参数 'open' (list takes no argument: unexpected 'open')"},
        {{"tickets", "outbox", "failed"},
         "outbox 多余的参数 'failed' (outbox takes no argument: unexpected 'failed')"},
        {{"tickets", "escalate", "now"},
         "escalate 多余的参数 'now' (escalate takes no argument: unexpected 'now')"},
        /* the command is checked before the store is opened (this one does not exist) */
        {{"tickets", "frobnicate", "YQ-1", "--db", "/nonexistent/tickets.db"},
         "未知命令 'frobnicate' (unknown command)"},
        {{"tickets", "frobnicate", "--db", "/nonexistent/tickets.db"},
         "未知命令 'frobnicate' (unknown command)"},
        {{"tickets", "show", "--db", "/nonexistent/tickets.db"},
         "show 须给出 NUMBER (show needs NUMBER)"},
        {{"tickets", "set-level", "--level", "II"},
         "set-level 须给出 NUMBER (set-level needs NUMBER)"},
        {{"tickets", "redeliver"}, "redeliver 须给出 ID (redeliver needs ID)"},
    };
    char path[160], err[4096], want[256];

    snprintf(path, sizeof(path), "%s/err.txt", f->dir);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(
            capture_run(tickets_cli_main, cases[i].argv, 6, STDERR_FILENO, path, err, sizeof(err)),
            2);
        snprintf(want, sizeof(want), "yuqingctl tickets: %s\n", cases[i].first_line);
        assert_memory_equal(err, want, strlen(want));
    }
}

/*
 * A list that reached its --limit (default 200) says so on stderr, with how to see more; one
 * below it says nothing. Before, a list was cut at 200 rows without a word (found in the issue
 * #12 review).
 */
static void test_list_cut_at_its_limit_says_so(void **state)
{
    struct fx *f = *state;
    static const struct {
        const char *argv[4];
        const char *note; /* NULL: stderr stays empty */
    } cases[] = {
        {{"list", "--limit", "1"},
         "yuqingctl tickets: 只列出了前 1 条，可能还有更多；--limit N 可列出更多（至多 100000） "
         "(the first 1 rows only; --limit N shows more, up to 100000)\n"},
        {{"list"}, NULL},
        {{"list", "--limit", "2"}, NULL},
        {{"outbox", "--limit", "2"},
         "yuqingctl tickets: 只列出了前 2 条，可能还有更多；--limit N 可列出更多（至多 100000） "
         "(the first 2 rows only; --limit N shows more, up to 100000)\n"},
        {{"outbox"}, NULL},
    };
    char err[1024];

    exec_sql(f, "INSERT INTO outbox (idem_key, kind, channel, role, subject, body, "
                "next_attempt_at, created_at) VALUES ('k1', 'assigned', 'duty-robot', "
                "'duty_officer', 's', 'b', 0, 0), ('k2', 'assigned', 'duty-robot', "
                "'duty_officer', 's', 'b', 0, 0)");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(run_fd(f, NULL, STDERR_FILENO, cases[i].argv, err, sizeof(err)), 0);
        assert_string_equal(err, cases[i].note ? cases[i].note : "");
    }
}

/* FX(test): test with a fixture of its own: setup() before it, teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(test_missing_store_is_an_error_not_an_empty_list),
        FX(test_usage_errors),
        FX(test_list_unknown_department_is_refused),
        FX(test_escalate_future_now_names_the_value_given),
        FX(test_issue_11_show_uses_labels),
        FX(test_issue_15_confirm_response),
        FX(test_issue_11_list_aligns_chinese_columns),
        FX(test_issue_11_outbox_aligns_chinese_columns),
        FX(test_set_level_and_assign_against_the_registry),
        FX(test_issue_11_action_without_a_channel_is_refused),
        FX(test_issue_11_values_by_label),
        FX(test_issue_11_settled_clocks_stop),
        FX(test_issue_12_bad_options_in_yq_cli_words),
        FX(test_list_cut_at_its_limit_says_so),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
