/*
 * The 研判 figures (stats_judge.h, issue #13) on the worked example of docs/statistics.md
 * ("研判"): events rows inserted by SQL into a ticket store made by the notifier's own
 * ticket_store_init() (schema 9), read back by stats_load() on a read-only connection.
 * Exact medians and P90, counts by outcome and reason, per-group precision with a multi-group
 * and a no-group event, the month boundary at 00:00 on the 1st (Asia/Shanghai), pending
 * events carried forward, spikes apart, a store before schema 9, and every output format.
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

#include "db_fixture.h"
#include "sqlite_fixture.h"
#include "stats.h"
#include "stats_defs.h"
#include "stats_judge.h"
#include "stats_load.h"
#include "stats_render.h"
#include "ticket_store.h"
#include "yq_db.h"
#include "yq_err.h"
#include "yq_labels.h"
#include "yq_time.h"
#include "yq_banned.h"

static int64_t bj(const char *s)
{
    int64_t t = 0;
    assert_int_equal(yq_time_parse_iso(s, &t, NULL), 0);
    return t;
}

struct env {
    char dir[64];
    char path[256]; /* the SQLite file, or a PostgreSQL schema's URL (db_fixture.h) */
    struct yq_db *rw; /* a writer connection for the inserts */
};

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    struct ticket_store_cfg cfg = {.busy_timeout_ms = 2000};
    char err[256] = "";

    assert_non_null(e);
    snprintf(e->dir, sizeof(e->dir), "/tmp/yq-judge-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    snprintf(err, sizeof(err), "%s/tickets.db", e->dir);
    db_fixture_new(e->path, sizeof(e->path), err); /* the file, or a schema in a -pg run */
    cfg.path = e->path;
    assert_int_equal(ticket_store_init(&cfg, NULL, err, sizeof(err)), 0);
    assert_int_equal(yq_db_open(e->path, YQ_DB_CREATE, 5000, &e->rw, NULL, 0), YQ_DB_OK);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;

    yq_db_close(e->rw);
    if (db_fixture_pg()) {
        db_fixture_drop(e->path);
    } else {
        sqlite_fixture_remove(e->path);
    }
    rmdir(e->dir);
    free(e);
    return 0;
}

/*
 * One events row. judged: Beijing time or NULL (not judged); deadline: the 研判 deadline
 * (Beijing time); groups: the rule_groups JSON array.
 */
static void event(struct env *e, const char *key, const char *kind, const char *state,
                  const char *detected, const char *deadline, const char *judged,
                  const char *judged_by, const char *outcome, const char *reason,
                  const char *groups)
{
    char sql[1024];
    int64_t d = bj(detected);
    char judged_sql[32];

    if (judged) {
        snprintf(judged_sql, sizeof(judged_sql), "%lld", (long long)bj(judged));
    } else {
        snprintf(judged_sql, sizeof(judged_sql), "NULL");
    }
    snprintf(sql, sizeof(sql),
             "INSERT INTO events (event_key, kind, state, title, level, rule_groups, "
             "detected_at, last_item_at, judge_deadline, judged_at, judged_by, outcome, "
             "dismiss_reason, created_at, updated_at) VALUES ('%s', '%s', '%s', '安康 %s', "
             "'III', '%s', %lld, %lld, %lld, %s, '%s', '%s', '%s', %lld, %lld);",
             key, kind, state, key, groups, (long long)d, (long long)d,
             (long long)bj(deadline), judged_sql, judged_by, outcome, reason, (long long)d,
             (long long)d);
    sqlite_fixture_exec(e->rw, sql);
}

/* One event_log row of event key. */
static void log_row(struct env *e, const char *key, const char *at, const char *actor,
                    const char *action, const char *from, const char *to)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO event_log (event_id, at, actor, action, from_state, to_state) "
             "SELECT id, %lld, '%s', '%s', '%s', '%s' FROM events WHERE event_key = '%s';",
             (long long)bj(at), actor, action, from, to, key);
    sqlite_fixture_exec(e->rw, sql);
}

/*
 * The worked example of docs/statistics.md (Beijing time; 研判 deadline 30 min after
 * detection unless said):
 *   E1  03-02 09:00 -> 09:10 交办            [安全生产]                 10 min
 *   E2  03-03 10:00 -> 10:25 误报            [安全生产, 环境保护]       25 min
 *   E3  03-05 14:00 -> 14:05 与本地无关      [环境保护]                  5 min
 *   E4  03-08 20:00 -> 21:00 并入            [安全生产]                 60 min
 *   E5  03-10 08:00 -> 08:40 持续关注        []  (（无规则组）)         40 min
 *   E6  03-12 11:00 -> 11:15 重复            [环境保护]                 15 min
 *   E7  03-15 16:00 -> 18:00 超出职责范围    [教育]                    120 min
 *   E8  03-20 09:00 -> 09:20 其他            [教育]                     20 min
 *   E9  03-31 23:50 -> 04-01 00:00 交办      [教育]   (April: pending at March's end)
 *   E10 02-28 23:00 -> 03-01 00:00 交办      [安全生产] (March: its first instant)  60 min
 *   E11 03-25 10:00, not judged (deadline 10:30: overdue at the month end)
 *   E12 03-31 23:40, not judged (deadline 04-01 00:10: not overdue at the month end)
 *   E13 03-06 09:00 交办待确认 (intake: judged_at 09:00 by system), confirmed 09:30 [安全生产]
 *   E14 03-30 10:00 交办待确认, not confirmed
 *   E15 spike 03-18 10:00 -> 10:45 误报      [安全生产]  (apart; not in the rule's precision)
 *   E16 02-10 10:00 -> 10:20 误报            [环境保护]  (February)
 */
static void build_example(struct env *e)
{
    static const char ag[] = "[\"安全生产\"]", env_[] = "[\"环境保护\"]", ed[] = "[\"教育\"]";

    event(e, "E1", "match", "assigned", "2026-03-02 09:00", "2026-03-02 09:30",
          "2026-03-02 09:10", "值班员甲", "assigned", "", ag);
    event(e, "E2", "match", "dismissed", "2026-03-03 10:00", "2026-03-03 10:30",
          "2026-03-03 10:25", "值班员甲", "dismissed", "false_alarm",
          "[\"安全生产\",\"环境保护\"]");
    event(e, "E3", "match", "dismissed", "2026-03-05 14:00", "2026-03-05 14:30",
          "2026-03-05 14:05", "值班员乙", "dismissed", "irrelevant", env_);
    event(e, "E4", "match", "merged", "2026-03-08 20:00", "2026-03-08 20:30",
          "2026-03-08 21:00", "值班员乙", "merged", "", ag);
    event(e, "E5", "match", "pending", "2026-03-10 08:00", "2026-03-10 08:30",
          "2026-03-10 08:40", "值班员甲", "watching", "", "[]"); /* resurfaced later */
    event(e, "E6", "match", "dismissed", "2026-03-12 11:00", "2026-03-12 11:30",
          "2026-03-12 11:15", "值班员甲", "dismissed", "duplicate", env_);
    event(e, "E7", "match", "dismissed", "2026-03-15 16:00", "2026-03-15 16:30",
          "2026-03-15 18:00", "值班员乙", "dismissed", "out_of_scope", ed);
    event(e, "E8", "match", "dismissed", "2026-03-20 09:00", "2026-03-20 09:30",
          "2026-03-20 09:20", "值班员乙", "dismissed", "other", ed);
    event(e, "E9", "match", "assigned", "2026-03-31 23:50", "2026-04-01 00:20",
          "2026-04-01 00:00", "值班员甲", "assigned", "", ed);
    event(e, "E10", "match", "assigned", "2026-02-28 23:00", "2026-02-28 23:30",
          "2026-03-01 00:00", "值班员甲", "assigned", "", ag);
    event(e, "E11", "match", "pending", "2026-03-25 10:00", "2026-03-25 10:30", NULL, "", "",
          "", ag);
    event(e, "E12", "match", "pending", "2026-03-31 23:40", "2026-04-01 00:10", NULL, "", "",
          "", env_);
    event(e, "E13", "match", "assigned", "2026-03-06 09:00", "2026-03-06 09:10",
          "2026-03-06 09:00", "system", "assigned", "", ag);
    log_row(e, "E13", "2026-03-06 09:00", "system", "auto_assign", "", "auto_assigned");
    log_row(e, "E13", "2026-03-06 09:30", "值班员甲", "confirm", "auto_assigned", "assigned");
    event(e, "E14", "match", "auto_assigned", "2026-03-30 10:00", "2026-03-30 10:10", NULL, "",
          "", "", ag);
    event(e, "E15", "spike", "dismissed", "2026-03-18 10:00", "2026-03-18 10:30",
          "2026-03-18 10:45", "值班员乙", "dismissed", "false_alarm", ag);
    event(e, "E16", "match", "dismissed", "2026-02-10 10:00", "2026-02-10 10:30",
          "2026-02-10 10:20", "值班员乙", "dismissed", "false_alarm", env_);
}

/* The month's report of the store with its 研判 figures; department NULL = all. */
static struct stats_report *report(struct env *e, int y, int m, const char *now,
                                   const char *department)
{
    /* m 0: the year's report */
    struct stats_opts o = {.period = m ? STATS_PERIOD_MONTH : STATS_PERIOD_YEAR, .year = y,
                           .month = m, .now = bj(now), .department = department};
    struct stats_ticket_set set;
    struct stats_report *r = NULL;
    struct yq_db *db = NULL;
    char err[256] = "";
    int64_t start, end;

    assert_int_equal(m ? stats_month_window(y, m, &start, &end)
                       : stats_year_window(y, &start, &end),
                     0);
    assert_int_equal(stats_db_open(e->path, 2000, &db, err, sizeof(err)), 0);
    assert_int_equal(stats_load(db, end, &set, err, sizeof(err)), 0);
    assert_int_equal(stats_compute(set.v, set.n, &o, &r), 0);
    assert_int_equal(stats_judge_compute(r, set.events, set.n_events, set.has_events), 0);
    stats_ticket_set_release(&set);
    yq_db_close(db);
    return r;
}

static const struct stats_judge_group *group_of(const struct stats_judge *j, const char *key)
{
    for (size_t i = 0; i < j->n_groups; i++) {
        if (strcmp(j->groups[i].key, key) == 0) {
            return &j->groups[i];
        }
    }
    return NULL;
}

static void test_worked_example_march(void **state)
{
    struct env *e = *state;
    struct stats_report *r;
    const struct stats_judge *j;
    const struct stats_judge_group *g;

    build_example(e);
    r = report(e, 2026, 3, "2026-04-01 00:05", NULL);
    j = r->judge;
    assert_non_null(j);
    assert_int_equal(j->absent, STATS_JUDGE_PRESENT);

    /* E1-E8, E10 by the officer, E13 confirmed: 10; E9 belongs to April, E16 to February */
    assert_int_equal(j->total.judged, 10);
    assert_int_equal(j->auto_confirmed, 1);
    assert_int_equal(j->total.by_outcome[STATS_OUTCOME_ASSIGNED], 3); /* E1, E10, E13 */
    assert_int_equal(j->total.by_outcome[STATS_OUTCOME_MERGED], 1);   /* E4 */
    assert_int_equal(j->total.by_outcome[STATS_OUTCOME_WATCHING], 1); /* E5 */
    assert_int_equal(j->total.by_outcome[STATS_OUTCOME_DISMISSED], 5);
    assert_int_equal(j->total.by_reason[STATS_REASON_IRRELEVANT], 1);
    assert_int_equal(j->total.by_reason[STATS_REASON_DUPLICATE], 1);
    assert_int_equal(j->total.by_reason[STATS_REASON_FALSE_ALARM], 1);
    assert_int_equal(j->total.by_reason[STATS_REASON_OUT_OF_SCOPE], 1);
    assert_int_equal(j->total.by_reason[STATS_REASON_OTHER], 1);
    assert_int_equal(j->total.noise, 2); /* E2 误报, E3 与本地无关 (not the spike E15) */
    assert_int_equal(stats_judge_noise_tenths(&j->total), 200);
    assert_int_equal(stats_judge_precision_tenths(&j->total), 800);

    /*
     * 研判用时 of the 9 officer decisions, in minutes sorted: 5 10 15 20 25 40 60 60 120.
     * Median: the 5th (ceil(9/2)) = 25 min; P90: the 9th (ceil(8.1)) = 120 min;
     * mean 355 min / 9 = 2366.7 s -> 2367 s. E13 waited 30 min for its confirmation: apart.
     */
    assert_int_equal(j->time.n, 9);
    assert_int_equal(j->time.median_s, 25 * 60);
    assert_int_equal(j->time.p90_s, 120 * 60);
    assert_int_equal(j->time.mean_s, 2367);
    assert_int_equal(j->auto_time.n, 1);
    assert_int_equal(j->auto_time.median_s, 30 * 60);

    /* the spike: apart, and not in 安全生产's precision */
    assert_int_equal(j->spike.judged, 1);
    assert_int_equal(j->spike.noise, 1);
    assert_int_equal(j->spike_time.median_s, 45 * 60);

    /* carried forward: E9 (decided at 04-01 00:00, the next window), E11 (overdue), E12 */
    assert_int_equal(j->pending, 3);
    assert_int_equal(j->pending_overdue, 1);
    assert_int_equal(j->pending_spike, 0);
    assert_int_equal(j->awaiting_confirmation, 1); /* E14 */

    /* per group, sorted by events judged: E2 counts in both of its groups */
    assert_int_equal(j->n_groups, 4);
    assert_string_equal(j->groups[0].key, "安全生产");
    assert_string_equal(j->groups[1].key, "环境保护");
    assert_string_equal(j->groups[2].key, "教育");
    assert_string_equal(j->groups[3].key, STATS_NO_RULE_GROUP);
    g = group_of(j, "安全生产"); /* E1, E2, E4, E10, E13 */
    assert_int_equal(g->tally.judged, 5);
    assert_int_equal(g->tally.noise, 1);
    assert_int_equal(stats_judge_noise_tenths(&g->tally), 200);
    assert_int_equal(stats_judge_precision_tenths(&g->tally), 800);
    g = group_of(j, "环境保护"); /* E2 误报, E3 与本地无关, E6 重复 */
    assert_int_equal(g->tally.judged, 3);
    assert_int_equal(g->tally.noise, 2);
    assert_int_equal(g->tally.by_reason[STATS_REASON_DUPLICATE], 1);
    assert_int_equal(stats_judge_noise_tenths(&g->tally), 667);
    assert_int_equal(stats_judge_precision_tenths(&g->tally), 333);
    g = group_of(j, "教育"); /* E7, E8 */
    assert_int_equal(g->tally.judged, 2);
    assert_int_equal(stats_judge_precision_tenths(&g->tally), 1000);
    g = group_of(j, STATS_NO_RULE_GROUP); /* E5 */
    assert_int_equal(g->tally.judged, 1);
    assert_int_equal(g->tally.by_outcome[STATS_OUTCOME_WATCHING], 1);
    stats_report_free(r);
}

static void test_month_boundaries_and_cutoff(void **state)
{
    struct env *e = *state;
    struct stats_report *r;

    build_example(e);
    /* April: E9, decided at 00:00 on the 1st (Shanghai), is April's; E11, E12 still pending */
    r = report(e, 2026, 4, "2026-05-01 00:05", NULL);
    assert_int_equal(r->judge->total.judged, 1);
    assert_int_equal(r->judge->time.median_s, 10 * 60);
    assert_int_equal(r->judge->groups[0].tally.judged, 1);
    assert_string_equal(r->judge->groups[0].key, "教育");
    assert_int_equal(r->judge->pending, 2);
    assert_int_equal(r->judge->pending_overdue, 2);
    assert_int_equal(r->judge->awaiting_confirmation, 1);
    stats_report_free(r);

    /* February: E16 only; E10 (detected 02-28 23:00, decided 03-01 00:00) is pending then */
    r = report(e, 2026, 2, "2026-03-01 00:05", NULL);
    assert_int_equal(r->judge->total.judged, 1);
    assert_int_equal(r->judge->total.noise, 1);
    assert_int_equal(r->judge->pending, 1);
    assert_int_equal(r->judge->pending_overdue, 1); /* its deadline was 02-28 23:30 */
    stats_report_free(r);

    /*
     * March run in the middle of the month (cut-off 03-10 12:00): E10, E1-E5 and E13 decided;
     * nothing detected before the cut-off waits.
     */
    r = report(e, 2026, 3, "2026-03-10 12:00", NULL);
    assert_int_equal(r->judge->total.judged, 7);
    assert_int_equal(r->judge->time.n, 6);
    assert_int_equal(r->judge->pending, 0);
    assert_int_equal(r->judge->awaiting_confirmation, 0);
    stats_report_free(r);

    /*
     * The year 2026 as at 05-01: E1-E10, E13 and E16 decided (12), the spike E15 apart;
     * E11 and E12 still 待研判, E14 交办待确认.
     */
    r = report(e, 2026, 0, "2026-05-01 00:05", NULL);
    assert_int_equal(r->judge->total.judged, 12);
    assert_int_equal(r->judge->total.noise, 3); /* E2, E3, E16 */
    assert_int_equal(r->judge->spike.judged, 1);
    assert_int_equal(r->judge->pending, 2);
    assert_int_equal(r->judge->awaiting_confirmation, 1);
    stats_report_free(r);

    /* a department's report has no 研判 figures */
    r = report(e, 2026, 3, "2026-04-01 00:05", "市自然资源局");
    assert_int_equal(r->judge->absent, STATS_JUDGE_DEPARTMENT);
    assert_int_equal(r->judge->total.judged, 0);
    stats_report_free(r);
}

/* The rendering of fmt of March (now 04-01 00:05) from the store at path. */
static char *render(const char *path, enum stats_format fmt)
{
    struct stats_opts o = {.period = STATS_PERIOD_MONTH, .year = 2026, .month = 3,
                           .now = bj("2026-04-01 00:05")};
    struct yq_db *db = NULL;
    char err[256] = "", *out = NULL;

    assert_int_equal(stats_db_open(path, 2000, &db, err, sizeof(err)), 0);
    if (stats_render_from_db(db, &o, fmt, NULL, &out, NULL, err, sizeof(err)) != 0) {
        fail_msg("%s", err);
    }
    yq_db_close(db);
    return out;
}

static void has(const char *body, const char *want)
{
    if (!strstr(body, want)) {
        fail_msg("'%s' not in:\n%.2000s", want, body);
    }
}

static void test_formats(void **state)
{
    struct env *e = *state;
    char *s;

    build_example(e);
    s = render(e->path, STATS_FORMAT_JSON);
    has(s, "\"judging\": {");
    has(s, "\"available\": true");
    has(s, "\"judged\": 10");
    has(s, "\"auto_confirmed\": 1");
    has(s, "\"median_s\": 1500");
    has(s, "\"p90_s\": 7200");
    has(s, "\"key\": \"环境保护\"");
    has(s, "\"noise_pct\": 66.7");
    has(s, "\"precision_pct\": 33.3");
    has(s, "\"pending\": 3");
    has(s, "\"pending_overdue\": 1");
    has(s, "\"awaiting_confirmation\": 1");
    has(s, "{\n    \"name\": \"false_alarm\",\n    \"label\": \"误报\",\n    \"count\": 1\n   }");
    has(s, "\"term\": \"规则噪声率\"");
    /* the definitions name the reasons by the one table of tickets and events (issue #11) */
    has(s, "不予处置按理由分列：与本地无关、重复、误报、超出职责范围、其他。");
    has(s, "以“误报”或“与本地无关”不予处置的件数占比为噪声率");
    /* the 通报 sentence */
    has(s,
        "本月研判预警事件10件（含确认交办待确认事件1件），研判用时中位数25分，90%在2小时00分以内；"
        "交办3件、并入1件、持续关注1件、不予处置5件（其中误报1件、与本地无关1件，噪声率20.0%）；"
        "另研判突增预警1件。截至统计截止，待研判3件（其中超过研判时限1件）、交办待确认1件。");
    free(s);

    s = render(e->path, STATS_FORMAT_CSV);
    has(s, "\r\n\r\n研判维度,分组,研判件数,交办,并入,持续关注,不予处置,不予处置-与本地无关,");
    has(s, "合计,预警事件,10,3,1,1,5,1,1,1,1,1,2,20.0%,80.0%,9,25.0,120.0,39.5\r\n");
    has(s, "交办待确认,确认交办,1,,,,,,,,,,,,,1,30.0,30.0,30.0\r\n");
    has(s, "规则分组,环境保护,3,0,0,0,3,1,1,1,0,0,2,66.7%,33.3%,,,,\r\n");
    has(s, "规则分组,（无规则组）,1,0,0,1,0,0,0,0,0,0,0,0.0%,100.0%,,,,\r\n");
    has(s, "截至统计截止,3,1,0,1\r\n");
    free(s);

    s = render(e->path, STATS_FORMAT_HTML);
    has(s, "<section class=\"judging\" id=\"judging\"><h2>研判</h2>");
    has(s, "<div class=\"chart\" id=\"chart-judging\"></div>");
    has(s, "<tr><th scope=\"row\">环境保护</th><td class=\"n\">3</td>");
    has(s, "<td class=\"n\">66.7%</td><td class=\"n\">33.3%</td>");
    has(s, "<th rowspan=\"2\">误报或与本地无关</th>");
    has(s, "<th>与本地无关</th><th>重复</th><th>误报</th><th>超出职责范围</th><th>其他</th>");
    has(s, "<dt>研判用时</dt>");
    free(s);

    s = render(e->path, STATS_FORMAT_TEXT);
    has(s, "预警事件 10 件（其中确认交办待确认 1 件）：交办 3，并入 1，持续关注 1，不予处置 5");
    has(s, "规则分组 环境保护：研判 3 件，误报或与本地无关 2 件，噪声率 66.7%");
    free(s);
}

/* A store before schema 9: no events table; the report says so and never fails. */
static void test_store_before_schema_9(void **state)
{
    struct env *e = *state;
    struct stats_ticket_set set;
    struct yq_db *db = NULL;
    char err[256] = "", *s;

    sqlite_fixture_exec(e->rw,
                        "DROP TABLE reports; DROP TABLE saved_searches;"
                        "DROP TABLE event_items; DROP TABLE event_log; DROP TABLE silenced_alerts;"
                        "DROP TABLE silences; DROP TABLE rate_counts; DROP TABLE spikes;"
                        "DROP TABLE events; DELETE FROM schema_version WHERE version >= 9;");
    assert_int_equal(stats_db_open(e->path, 2000, &db, err, sizeof(err)), 0);
    assert_int_equal(stats_load(db, bj("2026-04-01 00:00"), &set, err, sizeof(err)), 0);
    assert_int_equal(set.schema_version, 8);
    assert_false(set.has_events);
    assert_int_equal(set.n_events, 0);
    stats_ticket_set_release(&set);
    yq_db_close(db);

    s = render(e->path, STATS_FORMAT_JSON);
    has(s, "\"judging\": {\n  \"available\": false,\n  \"absent\": \"no_data\",\n  \"note\": "
           "\"无研判数据");
    free(s);
    s = render(e->path, STATS_FORMAT_HTML);
    has(s, "<h2>研判</h2><p class=\"note\">无研判数据");
    free(s);
    s = render(e->path, STATS_FORMAT_CSV);
    has(s, "\r\n研判,无研判数据");
    free(s);
    s = render(e->path, STATS_FORMAT_TEXT);
    has(s, "\n研判\n无研判数据");
    free(s);
}

/*
 * Issue #11: the reports name the dismiss reasons by the one table of tickets and events
 * (yq_labels: 与本地无关, 超出职责范围; the reports said 与我无关, 不属管辖), every reason, in the
 * table's order.
 */
static void test_issue_11_reasons_by_the_one_table(void **state)
{
    size_t n = 0;
    const struct yq_label *t = yq_label_table(YQ_LABEL_DISMISS_REASON, &n);

    (void)state;
    assert_int_equal(n, STATS_REASON_COUNT);
    for (int i = 0; i < STATS_REASON_COUNT; i++) {
        assert_string_equal(stats_reason_terms[i].name, t[i].code);
        assert_string_equal(stats_reason_terms[i].label, t[i].label);
        assert_string_equal(stats_reason_terms[i].label,
                            yq_label(YQ_LABEL_DISMISS_REASON, stats_reason_terms[i].name));
    }
    assert_string_equal(stats_reason_terms[STATS_REASON_IRRELEVANT].label, "与本地无关");
    assert_string_equal(stats_reason_terms[STATS_REASON_OUT_OF_SCOPE].label, "超出职责范围");
}

/* FX(test): test with a fixture of its own: setup() before it, teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(test_worked_example_march),
        FX(test_month_boundaries_and_cutoff),
        FX(test_formats),
        FX(test_store_before_schema_9),
        cmocka_unit_test(test_issue_11_reasons_by_the_one_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
