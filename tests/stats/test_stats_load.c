/*
 * The statistics loader (stats_load.h) against a ticket store written by the notifier's own
 * code (ticket_intake_alert(), ticket_flow_apply()) with the shipped 2026 holiday
 * calendar (config/calendar), read back on a read-only connection. The deadlines the notifier
 * stores are checked against the hand arithmetic of test_stats.c (T3, T4, T8 there).
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
#include "desk_policy.h"
#include "db_fixture.h"
#include "sqlite_fixture.h"
#include "stats.h"
#include "stats_cli.h"
#include "stats_fixture.h"
#include "stats_load.h"
#include "stats_render.h"
#include "test_expect.h"
#include "ticket_flow.h"
#include "ticket_store.h"
#include "workcal.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_time.h"
#include "yq_banned.h"

static int64_t bj(const char *s)
{
    int64_t t = 0;
    assert_int_equal(yq_time_parse_iso(s, &t, NULL), 0);
    return t;
}

static bool cal_is_working_day(const void *ctx, int64_t day)
{
    return workcal_is_working_day(ctx, day);
}

/* group: the rule group the alert carries, or NULL for an alert from before groups. */
static void intake(struct stats_fixture_env *e, const char *event, const char *item,
                   const char *level, const char *dept, const char *rule, const char *group,
                   const char *source_id, const char *at, char *number, size_t number_len)
{
    char err[256] = "", title[64], url[96], got[32];
    struct stats_fixture_alert alert = {
        .event_key = event, .item_id = item, .source_id = source_id, .level = level,
        .department = dept, .rule_id = rule, .rule_name = "r", .group = group, .title = title,
        .url = url, .score = 10.0, .at = bj(at),
    };

    snprintf(title, sizeof(title), "安康 %s", item);
    snprintf(url, sizeof(url), "https://news.example.cn/%s", item);
    if (stats_fixture_intake(e->store, &alert, got, err, sizeof(err)) != 0) {
        fail_msg("%s", err);
    }
    if (number) {
        snprintf(number, number_len, "%s", got);
    }
}

static void act(struct stats_fixture_env *e, enum ticket_action_kind kind, const char *number,
                const char *at, const char *channel)
{
    char err[256] = "";

    if (stats_fixture_act(e->store, kind, number, bj(at), channel,
                          channel ? "https://www.ankang.gov.cn/r" : NULL, err, sizeof(err)) != 0) {
        fail_msg("%s", err);
    }
}

static int setup(void **state)
{
    struct stats_fixture_env *e = calloc(1, sizeof(*e));
    char dir[4096], err[256] = "";

    assert_non_null(e);
    snprintf(dir, sizeof(dir), "%s/config/calendar", YQ_SOURCE_DIR);
    if (stats_fixture_env_open(e, "/tmp/yq-stats-XXXXXX", dir, err, sizeof(err)) != 0) {
        fail_msg("%s", err);
    }
    assert_true(workcal_covers_year(e->cal, 2026));
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    stats_fixture_env_close(*state);
    free(*state);
    return 0;
}

/*
 * The history (Beijing time):
 *   X1 II 市自然资源局 safety-gas, detected 2026-01-01 00:10; second item 01-01 12:00; ack 00:50;
 *      权威发布 04:00; 新闻发布会 01-02 09:00 (late: 24 h ended 01-02 00:10); closed 01-20 15:00.
 *   X3 III 市住房和城乡建设局 health-epidemic, detected 01-30 17:00; ack 17:30; dismissed 02-03 10:00
 *      (the 48 h response ended 02-01 17:00: missed in February).
 *   X2 IV 市卫生健康委员会 health-epidemic, detected 02-13 15:00; ack 15:10; 政务微博 02-27 16:00.
 * Rule groups: X1's alerts carry 安全生产 (report()'s rule-file table says 突发事件: the
 * stored group wins); X3's alert is from before alerts carried groups (none stored); X2's
 * carries 疫情防控.
 */
static void build_history(struct stats_fixture_env *e, char x1[32], char x2[32], char x3[32])
{
    struct ticket t;

    intake(e, "ev:x1", "rss:x1", "II", "市自然资源局", "safety-gas", "安全生产", "ak-news",
           "2026-01-01 00:10", x1, 32);
    intake(e, "ev:x1", "rss:x1b", "II", "市自然资源局", "safety-gas", "安全生产", "ak-news",
           "2026-01-01 12:00", NULL, 0);
    intake(e, "ev:x3", "rss:x3", "III", "市住房和城乡建设局", "health-epidemic", NULL, "weibo-ak",
           "2026-01-30 17:00", x3, 32);
    intake(e, "ev:x2", "rss:x2", "IV", "市卫生健康委员会", "health-epidemic", "疫情防控", "ak-news",
           "2026-02-13 15:00", x2, 32);

    /* the notifier's deadlines agree with the hand arithmetic of test_stats.c */
    memset(&t, 0, sizeof(t));
    assert_int_equal(ticket_store_get_by_number(e->store, x1, &t), 0);
    assert_int_equal(t.ack_deadline, bj("2026-01-01 01:10"));
    assert_int_equal(t.response_deadline, bj("2026-01-01 05:10"));
    assert_int_equal(t.press_deadline, bj("2026-01-02 00:10"));
    assert_int_equal(t.close_deadline, bj("2026-01-23 00:00")); /* T3: 01-04 调休 counted */
    ticket_release(&t);
    assert_int_equal(ticket_store_get_by_number(e->store, x3, &t), 0);
    assert_int_equal(t.close_deadline, bj("2026-02-28 00:00")); /* T4: 02-14 调休 counted */
    ticket_release(&t);
    assert_int_equal(ticket_store_get_by_number(e->store, x2, &t), 0);
    assert_int_equal(t.response_deadline, bj("2026-02-28 00:00")); /* T8 */
    ticket_release(&t);

    act(e, TICKET_ACT_ACK, x1, "2026-01-01 00:50", NULL);
    act(e, TICKET_ACT_RESPOND, x1, "2026-01-01 04:00", "权威发布");
    act(e, TICKET_ACT_RESPOND, x1, "2026-01-02 09:00", "新闻发布会");
    act(e, TICKET_ACT_CLOSE, x1, "2026-01-20 15:00", NULL);
    act(e, TICKET_ACT_ACK, x3, "2026-01-30 17:30", NULL);
    act(e, TICKET_ACT_DISMISS, x3, "2026-02-03 10:00", NULL);
    act(e, TICKET_ACT_ACK, x2, "2026-02-13 15:10", NULL);
    act(e, TICKET_ACT_RESPOND, x2, "2026-02-27 16:00", "政务微博");
}

/* The month's report; with_rule_files: the rule-file fallback table of rule groups. */
static struct stats_report *report_with(struct stats_ticket_set *set, const struct workcal *cal,
                                        int y, int m, bool with_rule_files)
{
    struct stats_calendar sc = {cal_is_working_day, cal};
    static const struct stats_rule_group groups[] = {{"safety-gas", "突发事件"},
                                                     {"health-epidemic", "疫情防控"}};
    struct stats_opts o = {.period = STATS_PERIOD_MONTH, .year = y, .month = m,
                           .now = bj("2026-03-01 00:05"), .calendar = &sc,
                           .rule_groups = with_rule_files ? groups : NULL,
                           .n_rule_groups = with_rule_files ? 2 : 0};
    struct stats_report *r = NULL;
    assert_int_equal(stats_compute(set->v, set->n, &o, &r), 0);
    return r;
}

static struct stats_report *report(struct stats_ticket_set *set, const struct workcal *cal,
                                   int y, int m)
{
    return report_with(set, cal, y, m, true);
}

/* The row of dimension dim with key, or NULL. */
static const struct stats_row *row_of(const struct stats_report *r, enum stats_dim dim,
                                      const char *key)
{
    for (size_t i = 0; i < r->n_rows[dim]; i++) {
        if (strcmp(r->rows[dim][i].key, key) == 0) {
            return &r->rows[dim][i];
        }
    }
    return NULL;
}

static void test_loader_reads_notifier_store(void **state)
{
    struct stats_fixture_env *e = *state;
    char x1[32], x2[32], x3[32], err[256] = "";
    struct stats_ticket_set set;
    struct stats_report *r;
    struct yq_db *db = NULL;
    const struct stats_ticket *t1 = NULL;

    build_history(e, x1, x2, x3);
    assert_int_equal(stats_db_open(e->path, 2000, &db, err, sizeof(err)), 0);
    assert_int_equal(stats_load(db, bj("2026-03-01 00:00"), &set, err, sizeof(err)), 0);
    assert_int_equal(set.schema_version, TICKET_STORE_SCHEMA_VERSION);
    assert_int_equal(set.n, 3);
    for (size_t i = 0; i < set.n; i++) {
        if (strcmp(set.v[i].number, x1) == 0) {
            t1 = &set.v[i];
        }
    }
    assert_non_null(t1);
    assert_int_equal(t1->level, YQ_LEVEL_II);
    assert_string_equal(t1->source, "ak-news");
    assert_string_equal(t1->source_name, "安康新闻网"); /* the first item's channel (issue #11) */
    assert_string_equal(t1->rule_id, "safety-gas");
    assert_string_equal(t1->rule_group, "安全生产"); /* from the stored matches */
    assert_int_equal(t1->n_alerts, 2);
    assert_int_equal(t1->n_responses, 2);
    assert_string_equal(t1->responses[1].channel, "新闻发布会");
    assert_int_equal(t1->press_held_at, bj("2026-01-02 09:00"));
    /* open (created), acknowledged, responded, responded (the 新闻发布会), closed */
    assert_int_equal(t1->n_changes, 5);
    assert_int_equal(t1->changes[0].state, TICKET_STATE_OPEN);
    assert_int_equal(t1->changes[0].at, bj("2026-01-01 00:10"));
    assert_int_equal(t1->changes[4].state, TICKET_STATE_CLOSED);
    assert_int_equal(t1->changes[4].at, bj("2026-01-20 15:00"));

    /*
     * January: detected X1, X3 (2); X1 closed, X3 open at the month end: 0 + 2 = 1 + 0 + 1.
     * ack 2/2 on time; response (X1, 5 h) on time; press (X1) late; close (X1) on time.
     * Alerts: X1's two items 00:10 (night) and 12:00 on the 元旦 holiday (rest day); X3 Fri
     * 17:00 (business). Responses 2, one 新闻发布会.
     */
    r = report(&set, e->cal, 2026, 1);
    assert_int_equal(r->total.carried_in + r->total.added, 2);
    assert_int_equal(r->total.closed, 1);
    assert_int_equal(r->total.carried_out, 1);
    assert_int_equal(r->total.clocks[STATS_CLOCK_ACK].on_time, 2);
    assert_int_equal(r->total.clocks[STATS_CLOCK_INFO_5H].on_time, 1);
    assert_int_equal(r->total.clocks[STATS_CLOCK_PRESS_24H].late, 1);
    assert_int_equal(r->total.clocks[STATS_CLOCK_CLOSE].on_time, 1);
    assert_int_equal(r->load_alerts[STATS_BAND_NIGHT], 1);
    assert_int_equal(r->load_alerts[STATS_BAND_REST_DAY], 1);
    assert_int_equal(r->load_alerts[STATS_BAND_BUSINESS], 1);
    assert_int_equal(r->responses, 2);
    assert_int_equal(r->press_conferences, 1);
    assert_int_equal(r->total.carried_in + r->total.added,
                     r->total.closed + r->total.dismissed + r->total.carried_out);
    /* per rule group: X1's stored 安全生产 beats the rule files' 突发事件; X3 (none stored) */
    assert_int_equal(r->n_rows[STATS_DIM_RULE_GROUP], 2);
    assert_non_null(row_of(r, STATS_DIM_RULE_GROUP, "安全生产"));
    assert_int_equal(row_of(r, STATS_DIM_RULE_GROUP, "安全生产")->detected, 1);
    assert_null(row_of(r, STATS_DIM_RULE_GROUP, "突发事件"));
    assert_non_null(row_of(r, STATS_DIM_RULE_GROUP, "疫情防控")); /* from the rule files */
    stats_report_free(r);

    /*
     * February: X3 carried in and dismissed; X2 detected, open: 1 + 1 = 0 + 1 + 1.
     * Response: X3 missed (02-01 17:00, dismissed only 02-03), X2 on time; close: X3's 02-28
     * deadline came after its dismissal: excluded. 市住房和城乡建设局 gave no response: named.
     */
    r = report(&set, e->cal, 2026, 2);
    assert_int_equal(r->total.carried_in, 1);
    assert_int_equal(r->total.detected, 1);
    assert_int_equal(r->total.dismissed, 1);
    assert_int_equal(r->total.carried_out, 1);
    assert_int_equal(r->total.clocks[STATS_CLOCK_RESPONSE].due, 2);
    assert_int_equal(r->total.clocks[STATS_CLOCK_RESPONSE].missed, 1);
    assert_int_equal(r->total.clocks[STATS_CLOCK_CLOSE].excluded, 1);
    assert_int_equal(r->n_zero_response, 1);
    assert_string_equal(r->zero_response_departments[0], "市住房和城乡建设局");
    /* T6-like check of the calendar wrapper: the 调休 Saturday is business hours */
    {
        struct stats_calendar sc = {cal_is_working_day, e->cal};
        assert_int_equal(stats_band_of(&sc, bj("2026-02-14 10:00")), STATS_BAND_BUSINESS);
    }
    stats_report_free(r);

    /*
     * Without rule files (the web page): X2's stored group is shown, X3 (stored before alerts
     * carried groups, none in the files either) shows its rule id.
     */
    r = report_with(&set, e->cal, 2026, 2, false);
    assert_int_equal(r->n_rows[STATS_DIM_RULE_GROUP], 2);
    assert_int_equal(row_of(r, STATS_DIM_RULE_GROUP, "疫情防控")->detected, 1);
    assert_int_equal(row_of(r, STATS_DIM_RULE_GROUP, "health-epidemic")->carried_in, 1);
    stats_report_free(r);
    stats_ticket_set_release(&set);

    /* the one-call helper the web page uses */
    {
        char *json = NULL;
        struct stats_calendar sc = {cal_is_working_day, e->cal};
        assert_int_equal(stats_render_month(db, 2026, 2, bj("2026-03-01 00:05"), NULL, &sc,
                                            STATS_FORMAT_JSON, &json, NULL, err, sizeof(err)),
                         0);
        assert_non_null(strstr(json, "\"zero_response_departments\": [\n  \"市住房和城乡建设局\""));
        /* no rule files on this path: the stored group names reach the page */
        assert_non_null(strstr(json, "\"key\": \"疫情防控\""));
        free(json);
    }
    yq_db_close(db);
}

/*
 * A ticket whose first item's stored rule_ids and matches are not JSON is still loaded and
 * counted, with no rule (rule_id "") and no stored group, and one warning names each column
 * (yq_json_column_array()); the other tickets keep theirs.
 */
static void test_loader_reads_corrupt_columns_as_empty(void **state)
{
    struct stats_fixture_env *e = *state;
    char x1[32], x2[32], x3[32], sql[256], err[256] = "", log[4096] = "";
    char path[] = "/tmp/test_stats_load_XXXXXX";
    struct stats_ticket_set set;
    struct yq_db *db = NULL;
    size_t with_rule = 0;
    int fd, saved;

    build_history(e, x1, x2, x3);
    snprintf(sql, sizeof(sql),
             "UPDATE ticket_items SET rule_ids = 'safety-gas', matches = '[{' WHERE ticket_id = "
             "(SELECT id FROM tickets WHERE number = '%s')",
             x1);
    sqlite_fixture_exec_at(e->path, sql);
    assert_int_equal(stats_db_open(e->path, 2000, &db, err, sizeof(err)), 0);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    saved = capture_begin(STDERR_FILENO, path);
    assert_int_equal(stats_load(db, bj("2026-03-01 00:00"), &set, err, sizeof(err)), 0);
    capture_end(STDERR_FILENO, saved, path, log, sizeof(log));
    unlink(path);
    assert_int_equal(set.n, 3);
    for (size_t i = 0; i < set.n; i++) {
        if (strcmp(set.v[i].number, x1) == 0) {
            assert_string_equal(set.v[i].rule_id, "");
            assert_null(set.v[i].rule_group);
            assert_string_equal(set.v[i].source, "ak-news");
        } else {
            with_rule += set.v[i].rule_id[0] != '\0';
        }
    }
    assert_int_equal(with_rule, 2);
    assert_non_null(strstr(log, "stored json column corrupt column=rule_ids"));
    assert_null(strstr(log, "safety-gas"));
    stats_ticket_set_release(&set);
    yq_db_close(db);
}

static void test_loader_rejects_non_store(void **state)
{
    struct stats_fixture_env *e = *state;
    struct stats_ticket_set set;
    struct yq_db *db = NULL;
    char path[512], err[256] = "";

    assert_int_equal(stats_db_open("/nonexistent/tickets.db", 1000, &db, err, sizeof(err)),
                     ERR_NOT_FOUND);
    snprintf(err, sizeof(err), "%s/empty.db", e->dir);
    db_fixture_new(path, sizeof(path), err); /* an empty file, or an empty schema (-pg) */
    assert_int_equal(yq_db_open(path, YQ_DB_CREATE, 5000, &db, NULL, 0), YQ_DB_OK);
    assert_int_equal(stats_load(db, 0, &set, err, sizeof(err)), ERR_BAD_STATE);
    assert_non_null(strstr(err, "schema_version"));
    yq_db_close(db);
    if (db_fixture_pg()) {
        db_fixture_drop(path);
    } else {
        unlink(path);
    }
}

/* The file at path holds every string of want (NULL-terminated) and, when not NULL, not absent. */
static void file_has(const char *path, const char *const *want, const char *absent)
{
    char *body = NULL;

    assert_int_equal(yq_fs_read_file(path, 16 << 20, &body, NULL), 0);
    for (const char *const *w = want; *w; w++) {
        if (!strstr(body, *w)) {
            fail_msg("'%s' not in %s", *w, path);
        }
    }
    if (absent) {
        assert_null(strstr(body, absent));
    }
    free(body);
}

/*
 * Three events of the 研判 inbox in February 2026 (issue #13; the figures themselves are
 * test_stats_judge.c's): 疫情防控 交办 after 20 min and 误报 after 10 min, 安全生产 与本地无关.
 * They give the HTML report's 研判 chart (tests/stats/browser_stats.mjs) bars to draw.
 */
static void add_events(struct stats_fixture_env *e)
{
    static const struct {
        const char *key, *groups, *detected, *judged, *outcome, *reason;
    } ev[] = {
        {"ev:j1", "[\"疫情防控\"]", "2026-02-10 09:00", "2026-02-10 09:20", "assigned", ""},
        {"ev:j2", "[\"疫情防控\"]", "2026-02-11 09:00", "2026-02-11 09:10", "dismissed",
         "false_alarm"},
        {"ev:j3", "[\"安全生产\"]", "2026-02-12 09:00", "2026-02-12 09:30", "dismissed",
         "irrelevant"},
    };
    struct yq_db *db = NULL;

    assert_int_equal(yq_db_open(e->path, YQ_DB_CREATE, 5000, &db, NULL, 0), YQ_DB_OK);
    for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++) {
        char sql[1024];
        int64_t d = bj(ev[i].detected), j = bj(ev[i].judged);
        snprintf(sql, sizeof(sql),
                 "INSERT INTO events (event_key, state, title, level, rule_groups, detected_at, "
                 "last_item_at, judge_deadline, judged_at, judged_by, outcome, dismiss_reason, "
                 "created_at, updated_at) VALUES ('%s', '%s', '安康 %s', 'III', '%s', %lld, "
                 "%lld, %lld, %lld, '值班员', '%s', '%s', %lld, %lld);",
                 ev[i].key, ev[i].outcome, ev[i].key, ev[i].groups, (long long)d, (long long)d,
                 (long long)(d + 1800), (long long)j, ev[i].outcome, ev[i].reason,
                 (long long)d, (long long)d);
        assert_int_equal(yq_db_exec_raw(db, sql), YQ_DB_OK);
    }
    yq_db_close(db);
}

/* stats_cli_main(argv) with stderr captured into err (len bytes, NUL-terminated). */
static int run_stats(struct stats_fixture_env *e, char **argv, char *err, size_t len)
{
    char path[160];
    int argc = 0, saved, rc;

    while (argv[argc]) {
        argc++;
    }
    snprintf(path, sizeof(path), "%s/stderr.txt", e->dir);
    saved = capture_begin(STDERR_FILENO, path);
    rc = stats_cli_main(argc, argv);
    capture_end(STDERR_FILENO, saved, path, err, len);
    return rc;
}

/*
 * yuqingctl stats over the same store: HTML with its assets beside it, JSON and CSV. With
 * YQ_STATS_REPORT_DIR set, the HTML report is left there for the browser test
 * (tests/stats/browser_stats.mjs).
 */
static void test_cli_writes_reports(void **state)
{
    struct stats_fixture_env *e = *state;
    char x1[32], x2[32], x3[32], out[256], cfg[4096], rules[4096];
    const char *keep = getenv("YQ_STATS_REPORT_DIR");
    const char *dir = keep && *keep ? keep : e->dir;

    build_history(e, x1, x2, x3);
    add_events(e);
    snprintf(cfg, sizeof(cfg), "%s/config/notifier.yaml", YQ_SOURCE_DIR);
    snprintf(rules, sizeof(rules), "%s/config/rules", YQ_SOURCE_DIR);
    snprintf(out, sizeof(out), "%s/report.html", dir);
    {
        char *argv[] = {"stats", "month", "2026-02", "--format", "html", "--db", e->path,
                        "--config", cfg, "--rules", rules, "--now", "2026-03-01T00:05:00+08:00",
                        "--office", "安康市人民政府办公室", "--out", out, NULL};
        char err[1024], said[512];
        assert_int_equal(run_stats(e, argv, err, sizeof(err)), 0);
        snprintf(said, sizeof(said), "已写入 %s（图表资源在同一目录）\n", out);
        assert_string_equal(err, said);
    }
    {
        /* X2's stored group, and X3's from the rule files (config/rules/epidemic.yaml) */
        static const char *const want[] = {"2026年2月 政务舆情回应情况月度通报",
                                           "<script src=\"echarts.min.js\"></script>", "疫情防控",
                                           "id=\"chart-judging\"",
                                           "本月研判预警事件3件，研判用时中位数20分", NULL};
        file_has(out, want, "health-epidemic");
    }
    snprintf(out, sizeof(out), "%s/stats-charts.js", dir);
    assert_int_equal(access(out, R_OK), 0);
    {
        char *argv[] = {"stats", "month", "2026-13", "--db", e->path, NULL};
        assert_int_equal(stats_cli_main(5, argv), 2);
    }
    {
        char *argv[] = {"stats", "year", "2026", "--format", "json", "--db", e->path, "--config",
                        cfg, "--rules", "/nonexistent", "--now", "2026-03-01T00:05:00+08:00",
                        "--out", NULL, NULL};
        snprintf(out, sizeof(out), "%s/year.json", e->dir);
        argv[14] = out;
        assert_int_equal(stats_cli_main(15, argv), 0);
        static const char *const want[] = {
            "\"period\": \"year\"",
            /* monitored 3, handed over 2 (X3 dismissed), responded 2 (X1, X2), on time 2 */
            "\"detected\": 3", "\"handed_over\": 2",
            /*
             * issue #10: 办结用时 of X1 (closed 01-20 15:00, detected 01-01 00:10): 19 d 14 h
             * 50 min; nothing settled without a 签收 (X3 was acknowledged before its dismissal)
             */
            "\"median_s\": 1695000", "\"settled_unacknowledged\": 0",
            "\"unacknowledged_at_end\": 0",
            /* no rule files: stored groups still show; X3 (none stored) shows its rule id */
            "\"key\": \"安全生产\"", "\"key\": \"疫情防控\"", "\"key\": \"health-epidemic\"",
            NULL};
        file_has(out, want, NULL);
        unlink(out);
    }
    if (!keep || !*keep) {
        for (const char *const *n = stats_asset_names; *n; n++) {
            snprintf(out, sizeof(out), "%s/%s", e->dir, *n);
            unlink(out);
        }
        snprintf(out, sizeof(out), "%s/report.html", e->dir);
        unlink(out);
    }
}

/*
 * issue #11: a bad enumerated value is named (not just the usage), and --department must be a
 * registered department when the store keeps a registry (yuqingctl users dept-add); without
 * one the name is taken with a warning.
 */
static void test_issue_11_bad_values_and_unknown_departments(void **state)
{
    struct stats_fixture_env *e = *state;
    char x1[32], x2[32], x3[32], cfg[4096], rules[4096], err[4096];
    char *pdf[] = {"stats", "month", "2026-02", "--format", "pdf", "--db", e->path, NULL};
    char *week[] = {"stats", "week", "--db", e->path, NULL};
    char *dept[] = {"stats", "month", "2026-02", "--department", "市不存在局", "--db", e->path,
                    "--config", cfg, "--rules", rules, "--now", "2026-03-01T00:05:00+08:00",
                    NULL};
    char *known[] = {"stats", "month", "2026-02", "--department", "市自然资源局", "--db", e->path,
                     "--config", cfg, "--rules", rules, "--now", "2026-03-01T00:05:00+08:00",
                     NULL};

    build_history(e, x1, x2, x3);
    snprintf(cfg, sizeof(cfg), "%s/config/notifier.yaml", YQ_SOURCE_DIR);
    snprintf(rules, sizeof(rules), "%s/config/rules", YQ_SOURCE_DIR);
    assert_int_equal(run_stats(e, pdf, err, sizeof(err)), 2);
    assert_non_null(strstr(err,
                           "yuqingctl stats: 未知格式 'pdf'，须为 text、html、csv 或 json (unknown "
                           "format 'pdf'; use text, html, csv or json)\n"));
    assert_int_equal(run_stats(e, week, err, sizeof(err)), 2);
    assert_non_null(
        strstr(err, "yuqingctl stats: 未知报表类型 'week'，须为 month、year 或 publish (unknown "
                    "report 'week'; use month, year or publish)\n"));
    /* issue #11 (review): the options come before the report word: pdf is named */
    {
        char *pdf_first[] = {"stats", "--format", "pdf", NULL};
        char *no_report[] = {"stats", "--db", e->path, NULL};
        char *bad_month[] = {"stats", "month", "2026-13", "--db", e->path, NULL};
        assert_int_equal(run_stats(e, pdf_first, err, sizeof(err)), 2);
        assert_non_null(
            strstr(err, "yuqingctl stats: 未知格式 'pdf'，须为 text、html、csv 或 json (unknown "
                        "format 'pdf'; use text, html, csv or json)\n"));
        assert_null(strstr(err, "--format'"));
        assert_int_equal(run_stats(e, no_report, err, sizeof(err)), 2);
        assert_non_null(
            strstr(err, "yuqingctl stats: 缺少报表类型 month 或 year (missing report: month or "
                        "year)\n"));
        assert_int_equal(run_stats(e, bad_month, err, sizeof(err)), 2);
        assert_non_null(
            strstr(err, "yuqingctl stats: '2026-13' 不是月份，须为 YYYY-MM，如 2026-11 (not a "
                        "month YYYY-MM)\n"));
    }
    /* a bad --now: yq_cli's one form for every command's times (option and value named) */
    {
        char *bad_now[] = {"stats", "month", "--now", "2026-03-01 25:00", "--db", e->path, NULL};
        assert_int_equal(run_stats(e, bad_now, err, sizeof(err)), 2);
        assert_non_null(
            strstr(err, "yuqingctl stats: 选项 '--now' 的取值 '2026-03-01 25:00' 不是 RFC 3339 "
                        "时间 (not an RFC 3339 time)\nusage: yuqingctl stats"));
    }
    /* a --db that is not there names it, in the house form */
    {
        char missing[256], want[1024];
        char *gone[] = {"stats",    "month", "2026-02", "--db", missing,
                        "--config", cfg,     "--rules", rules,  NULL};
        snprintf(missing, sizeof(missing), "%s/no-such/tickets.db", e->dir);
        assert_int_equal(run_stats(e, gone, err, sizeof(err)), 1);
        snprintf(want, sizeof(want),
                 "yuqingctl stats: 交办单库 '%s' 不存在 (ticket store '%s' does not exist)\n",
                 missing, missing);
        assert_non_null(strstr(err, want));
    }
    /* no registry in this store: accepted, with a warning */
    assert_int_equal(run_stats(e, dept, err, sizeof(err)), 0);
    assert_non_null(strstr(err,
                           "yuqingctl stats: 警告：工单库未登记部门（yuqingctl users dept-add），"
                           "未核对部门名称 '市不存在局' (warning: the store keeps no department "
                           "registry: not checked)\n"));
    sqlite_fixture_exec_at(e->path, "INSERT INTO web_departments VALUES ('市自然资源局', '', 1), "
                                    "('市应急管理局', '', 2);");
    assert_int_equal(run_stats(e, dept, err, sizeof(err)), 2);
    assert_string_equal(
        err, "yuqingctl stats: 未登记的部门 '市不存在局'（部门以 yuqingctl users dept-add "
             "登记）; unknown department '市不存在局'; known (已登记): "
             "市自然资源局, 市应急管理局\n");
    assert_int_equal(run_stats(e, known, err, sizeof(err)), 0);
}

/*
 * Issue #17: `stats publish YYYY-MM` stores the month once (exit 0); a second time is exit 1
 * naming who published it; a month that has not ended is exit 1; no month, --department or a
 * bad --by is exit 2. `stats month` of the published month then prints the published text and
 * who published it.
 */
static void test_issue_17_cli_publish(void **state)
{
    struct stats_fixture_env *e = *state;
    char x1[32], x2[32], x3[32], cfg[4096], err[4096], out[256];
    char *pub[] = {"stats", "publish", "2026-02", "--by", "值班员张明", "--db", e->path,
                   "--config", cfg, "--now", "2026-03-02T09:00:00+08:00", NULL};
    char *early[] = {"stats", "publish", "2026-03", "--by", "duty", "--db", e->path, "--config",
                     cfg, "--now", "2026-03-02T09:00:00+08:00", NULL};
    char *nomonth[] = {"stats", "publish", "--db", e->path, "--config", cfg, NULL};
    /* review of #15/#17: a clock set ahead would publish a month that has not ended, for good */
    char *ahead[] = {"stats", "publish", "2026-02", "--by", "duty", "--db", e->path, "--config",
                     cfg, "--now", "2999-01-01T00:00:00Z", NULL};
    char *dept[] = {"stats", "publish", "2026-02", "--department", "市自然资源局", "--db", e->path,
                    "--config", cfg, "--now", "2026-03-02T09:00:00+08:00", NULL};
    char *badby[] = {"stats", "publish", "2026-01", "--by", "a\tb", "--db", e->path, "--config",
                     cfg, "--now", "2026-03-02T09:00:00+08:00", NULL};
    char *show[] = {"stats", "month", "2026-02", "--db", e->path, "--config", cfg, "--out", out,
                    "--now", "2026-03-05T09:00:00+08:00", NULL};
    char *text = NULL;
    size_t len = 0;

    build_history(e, x1, x2, x3);
    snprintf(cfg, sizeof(cfg), "%s/config/notifier.yaml", YQ_SOURCE_DIR);
    snprintf(out, sizeof(out), "%s/published.txt", e->dir);
    assert_int_equal(run_stats(e, nomonth, err, sizeof(err)), 2);
    assert_int_equal(run_stats(e, dept, err, sizeof(err)), 2);
    assert_int_equal(run_stats(e, badby, err, sizeof(err)), 2);
    assert_int_equal(run_stats(e, ahead, err, sizeof(err)), 2);
    assert_non_null(strstr(err, "晚于当前时间"));
    assert_int_equal(run_stats(e, early, err, sizeof(err)), 1);
    assert_non_null(strstr(err, "尚未结束"));
    assert_int_equal(run_stats(e, pub, err, sizeof(err)), 0);
    assert_int_equal(run_stats(e, pub, err, sizeof(err)), 1);
    assert_non_null(strstr(err, "值班员张明"));
    assert_int_equal(run_stats(e, show, err, sizeof(err)), 0);
    /* --out says where it wrote, as every command's --out does (yq_cli_note_written()) */
    {
        char said[512];
        snprintf(said, sizeof(said), "已写入 %s\n", out);
        assert_non_null(strstr(err, said));
    }
    assert_int_equal(yq_fs_read_file(out, 1 << 20, &text, &len), 0);
    {
        /* the publication carries the annex 监测盲区 as the live report does (issue #15) */
        static const char *const has[] = {"2026年2月", "由 值班员张明 发布", "发布后无变动",
                                          "监测盲区"};
        static const char *const lacks[] = {"早于信息源盲区记录"};
        test_expect_text("the published month", text, has, sizeof(has) / sizeof(has[0]), lacks, 1);
    }
    free(text);
}

/*
 * Issue #16: `stats --db postgresql://...` works on a PostgreSQL store (the -pg run: the store's
 * URL with a password added, which the test server's trust login ignores) and neither its
 * output nor its errors carry the URL's password; a server that is not there is a clear error
 * without it (both runs).
 */
static void test_issue_16_cli_url_never_shows_the_password(void **state)
{
    struct stats_fixture_env *e = *state;
    char x1[32], x2[32], x3[32], cfg[4096], err[4096], out[256], url[512], dead[256];
    char *text = NULL;
    size_t len = 0;

    snprintf(cfg, sizeof(cfg), "%s/config/notifier.yaml", YQ_SOURCE_DIR);
    snprintf(out, sizeof(out), "%s/month.txt", e->dir);
    /* nobody listens on port 1 of the loopback: the connection is refused at once */
    snprintf(dead, sizeof(dead), "postgresql://yq:s3cret-pw@127.0.0.1:1/yuqing");
    {
        char *argv[] = {"stats", "month", "2026-02", "--db", dead, "--config", cfg, NULL};
        assert_int_equal(run_stats(e, argv, err, sizeof(err)), 1);
        assert_non_null(strstr(err, "postgresql://yq@127.0.0.1:1/yuqing"));
        assert_null(strstr(err, "s3cret"));
    }
    if (!db_fixture_pg()) {
        return; /* the rest needs the -pg run's server */
    }
    build_history(e, x1, x2, x3);
    /* e->path is postgresql://yq@HOST:PORT/yuqing?options=...: put a password after the user */
    {
        const char *at = strchr(e->path, '@');
        assert_non_null(at);
        snprintf(url, sizeof(url), "%.*s:s3cret-pw%s", (int)(at - e->path), e->path, at);
    }
    {
        char *argv[] = {"stats", "month", "2026-02", "--db", url, "--config", cfg, "--out", out,
                        "--now", "2026-03-05T09:00:00+08:00", NULL};
        assert_int_equal(run_stats(e, argv, err, sizeof(err)), 0);
        assert_null(strstr(err, "s3cret"));
    }
    assert_int_equal(yq_fs_read_file(out, 1 << 20, &text, &len), 0);
    assert_non_null(strstr(text, "2026年2月"));
    /* the fixture's tickets were read from the store: the month is not empty */
    assert_non_null(strstr(text, "本月新增"));
    assert_null(strstr(text, "本月新增0件"));
    assert_null(strstr(text, "s3cret"));
    free(text);
    {
        /* an unknown department on that store: exit 2, the error without the password */
        char *argv[] = {"stats", "month", "2026-02", "--department", "市不存在局", "--db", url,
                        "--config", cfg, NULL};
        struct yq_db *db = NULL;
        assert_int_equal(yq_db_open(url, 0, 5000, &db, NULL, 0), 0);
        assert_string_equal(yq_db_location(db), e->path); /* the password is not kept */
        assert_int_equal(yq_db_exec_raw(db, "INSERT INTO web_departments VALUES "
                                            "('市自然资源局', '', 1)"),
                         YQ_DB_OK);
        yq_db_close(db);
        assert_int_equal(run_stats(e, argv, err, sizeof(err)), 2);
        assert_non_null(strstr(err, "市不存在局"));
        assert_null(strstr(err, "s3cret"));
    }
}

/* FX(test): test with a fixture of its own: setup() before it, teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(test_loader_reads_notifier_store),
        FX(test_loader_rejects_non_store),
        FX(test_loader_reads_corrupt_columns_as_empty),
        FX(test_cli_writes_reports),
        FX(test_issue_17_cli_publish),
        FX(test_issue_16_cli_url_never_shows_the_password),
        FX(test_issue_11_bad_values_and_unknown_departments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
