/*
 * notifier/spike: spike (突增) alerts (issue #13, docs/desk.md "Spikes"). Synthetic streams go
 * through spike_count_item() with their own matched_at; spike_scan() runs at an injected now;
 * the spikes rows, the events they touch and the notifications are asserted exactly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sqlite_fixture.h"
#include "yq_db.h"

#include "notifier_fixture.h"
#include "outbox.h"
#include "spike.h"
#include "ticket_store_int.h"
#include "yq_err.h"

#define HOUR 3600
#define DAY 86400
#define JUDGE_S 1800

/* 2026-12-05T10:00:00Z: the hour every scan below judges (H). */
static int64_t hour_h(void)
{
    return notifier_ts("2026-12-05T10:00:00Z");
}

/* Count n items of groups (n_groups names, NULL/"" allowed) and event_id in the hour of at. */
static void feed(struct ticket_store *store, const char *const *groups, size_t n_groups,
                 int64_t event_id, int64_t at, int n)
{
    struct yq_alert_match m[8];
    struct yq_alert a;

    assert_true(n_groups <= 8);
    memset(&a, 0, sizeof(a));
    memset(m, 0, sizeof(m));
    for (size_t i = 0; i < n_groups; i++) {
        m[i].group = (char *)groups[i];
    }
    a.matches = m;
    a.n_matches = n_groups;
    for (int i = 0; i < n; i++) {
        a.matched_at = at + i; /* spread inside the hour */
        assert_int_equal(spike_count_item(store, &a, event_id, at + i), 0);
    }
}

static void feed_group(struct ticket_store *store, const char *group, int64_t at, int n)
{
    feed(store, &group, 1, 0, at, n);
}

/* Insert an events row (ticket_id 0: none); returns its id. */
static int64_t add_event(struct ticket_store *store, const char *key, const char *state,
                         int64_t detected_at, int64_t last_item_at, int64_t ticket_id)
{
    char sql[1024], ticket[24];

    snprintf(ticket, sizeof(ticket), ticket_id ? "%lld" : "NULL", (long long)ticket_id);
    snprintf(sql, sizeof(sql),
             "INSERT INTO events (event_key, state, title, level, detected_at, last_item_at, "
             "judge_deadline, ticket_id, created_at, updated_at) VALUES ('%s', '%s', "
             "'汉滨区征地补偿款迟迟未发放', 'III', %lld, %lld, %lld, %s, %lld, %lld)",
             key, state, (long long)detected_at, (long long)last_item_at,
             (long long)(detected_at + JUDGE_S), ticket, (long long)detected_at,
             (long long)detected_at);
    notifier_exec(store, sql);
    return sqlite_fixture_scalar(store->db, "SELECT max(id) FROM events");
}

/* The text in the first column of the first row of sql (new string; "" when no row). */
static char *text_of(struct ticket_store *store, const char *sql)
{
    struct yq_stmt *st = NULL;
    char *out;

    assert_int_equal(yq_stmt_prepare(store->db, sql, &st), YQ_DB_OK);
    if (yq_stmt_step(st) == YQ_DB_ROW && yq_stmt_column_text(st, 0)) {
        out = strdup(yq_stmt_column_text(st, 0));
    } else {
        out = strdup("");
    }
    yq_stmt_finalize(st);
    assert_non_null(out);
    return out;
}

static void assert_text(struct ticket_store *store, const char *sql, const char *expect)
{
    char *s = text_of(store, sql);

    assert_string_equal(s, expect);
    free(s);
}

/* Every row of sql, columns joined by colsep and rows by rowsep (notifier_rows_text()). */
static void assert_rows(struct ticket_store *store, const char *sql, const char *colsep,
                        const char *rowsep, const char *expect)
{
    char *s = notifier_rows_text(store, sql, colsep, rowsep);

    assert_string_equal(s, expect);
    free(s);
}

static void test_cfg_defaults_and_hours(void **state)
{
    const struct spike_cfg *d = spike_cfg_defaults();
    struct spike_cfg bad = *d;
    char err[160] = "";

    (void)state;
    assert_int_equal(d->group_factor_percent, 300);
    assert_int_equal(d->group_min_count, 10);
    assert_int_equal(d->group_baseline_days, 7);
    assert_int_equal(d->event_factor_percent, 300);
    assert_int_equal(d->event_min_count, 5);
    assert_int_equal(d->event_baseline_hours, 6);
    assert_null(d->level);
    assert_int_equal(d->scan_interval_ms, 300000);
    assert_int_equal(spike_cfg_check(d, err, sizeof(err)), 0);
    bad.level = "V";
    assert_int_equal(spike_cfg_check(&bad, err, sizeof(err)), ERR_INVALID);
    assert_string_equal(err, "spike.level: \"V\" is not a level (I, II, III or IV)");
    bad.level = "II";
    assert_int_equal(spike_cfg_check(&bad, err, sizeof(err)), 0);
    /* the key table read from YAML: defaults for absent keys, level as written */
    {
        static const char yaml[] = "group_factor_percent: 250\nlevel: II\nscan_interval_ms: 1m\n";
        struct spike_cfg c;
        struct cfg_doc doc;

        memset(&c, 0, sizeof(c));
        assert_int_equal(
            cfg_load(spike_cfg_keys, &c, "spike.yaml", yaml, strlen(yaml), &doc, err, sizeof(err)),
            0);
        assert_int_equal(c.group_factor_percent, 250);
        assert_int_equal(c.group_min_count, 10);
        assert_string_equal(c.level, "II");
        assert_int_equal(c.scan_interval_ms, 60000);
        assert_int_equal(spike_cfg_check(&c, err, sizeof(err)), 0);
        cfg_release(spike_cfg_keys, &c);
        cfg_doc_release(&doc);
        memset(&c, 0, sizeof(c));
        assert_int_equal(cfg_load(spike_cfg_keys, &c, "spike.yaml", "group_factor_percent: 50\n",
                                  25, &doc, err, sizeof(err)),
                         ERR_INVALID); /* a factor below 100 % would spike on a falling rate */
        cfg_release(spike_cfg_keys, &c);
        cfg_doc_release(&doc);
    }
    assert_int_equal(spike_hour_of(hour_h() + 3599), hour_h());
    assert_int_equal(spike_hour_of(hour_h()), hour_h());
    assert_int_equal(spike_hour_of(-1), -3600);
    assert_int_equal(spike_hour_of(0), 0);
}

static void test_count_item_per_group_and_event(void **state)
{
    static const char *const groups[] = {"征地拆迁", "征地拆迁", "医疗卫生", NULL, ""};
    struct ticket_store *store = notifier_store_memory();
    int64_t h = hour_h();
    struct yq_alert a;
    char sql[256];

    (void)state;
    feed(store, groups, 5, 42, h + 59 * 60, 1);
    feed(store, groups, 5, 42, h + 61 * 60, 2); /* the next hour */
    feed(store, groups, 2, 0, h, 1);            /* no event: groups only */
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM rate_counts"), 6);
    snprintf(sql, sizeof(sql),
             "SELECT scope || ':' || key || ':' || (hour - %lld) || '=' || n "
             "FROM rate_counts ORDER BY scope, key, hour",
             (long long)h);
    assert_rows(store, sql, "", " ",
                "event:42:0=1 event:42:3600=2 group:医疗卫生:0=1 group:医疗卫生:3600=2 "
                "group:征地拆迁:0=2 group:征地拆迁:3600=2");
    memset(&a, 0, sizeof(a));
    assert_int_equal(spike_count_item(NULL, &a, 1, h), ERR_INVALID);
    assert_int_equal(spike_count_item(store, NULL, 1, h), ERR_INVALID);
    ticket_store_free(store);
}

/*
 * A group: 23 items in H against 2, 3, 2, 2, 3, 2, 2 in the same hour of the previous seven
 * days (mean 16/7 = 2.29); other hours and an eighth day do not count. One spike, once.
 */
static void test_group_spike_over_seven_days(void **state)
{
    static const int days[] = {2, 3, 2, 2, 3, 2, 2};
    struct ticket_store *store = notifier_store_memory();
    int64_t h = hour_h();
    int64_t now = h + HOUR + 120;
    size_t raised = 99;
    char sql[512], expect[512];
    int64_t ev;

    (void)state;
    for (int d = 0; d < 7; d++) {
        feed_group(store, "征地拆迁", h - (d + 1) * DAY + 300, days[d]);
    }
    feed_group(store, "征地拆迁", h - 8 * DAY, 100);       /* an eighth day */
    feed_group(store, "征地拆迁", h - DAY - 5 * HOUR, 50); /* another hour of a day */
    feed_group(store, "征地拆迁", h - HOUR, 40);           /* the hour before H */
    feed_group(store, "征地拆迁", h + 60, 23);
    feed_group(store, "征地拆迁", h + HOUR + 10, 30); /* the current hour, not full */
    assert_int_equal(spike_scan(store, NULL, JUDGE_S, now, &raised), 0);
    assert_int_equal(raised, 1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM spikes"), 1);
    snprintf(sql, sizeof(sql),
             "SELECT scope, key, hour, count, baseline, factor, min_count, raised_at, "
             "(event_id = (SELECT id FROM events WHERE kind = 'spike')) FROM spikes");
    snprintf(expect, sizeof(expect), "group|征地拆迁|%lld|23|2.28571428571429|3.0|10|%lld|1",
             (long long)h, (long long)now);
    assert_rows(store, sql, "|", "", expect);
    ev = notifier_count(store, "SELECT id FROM events WHERE kind = 'spike'");
    snprintf(expect, sizeof(expect), "spike:group:征地拆迁:%lld", (long long)h);
    assert_text(store, "SELECT event_key FROM events WHERE kind = 'spike'", expect);
    assert_text(store, "SELECT title FROM events WHERE kind = 'spike'",
                "【突增】征地拆迁 近1小时 23 条，基线 2.3 条/小时");
    assert_text(store,
                "SELECT state || '|' || level || '|' || rule_groups || '|' || item_count FROM "
                "events WHERE kind = 'spike'",
                "pending|III|[\"征地拆迁\"]|0");
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM events WHERE kind = 'spike' AND detected_at = %lld AND "
             "judge_deadline = %lld AND created_at = %lld",
             (long long)now, (long long)(now + JUDGE_S), (long long)now);
    assert_int_equal(notifier_count(store, sql), 1);
    snprintf(expect, sizeof(expect),
             "{\"scope\":\"group\",\"key\":\"征地拆迁\",\"hour\":%lld,\"count\":23,"
             "\"baseline\":2.28571,\"factor\":3.0,\"min_count\":10}",
             (long long)h);
    assert_text(store, "SELECT spike FROM events WHERE kind = 'spike'", expect);
    snprintf(sql, sizeof(sql),
             "SELECT action || '|' || actor || '|' || to_state || '|' || note FROM event_log "
             "WHERE event_id = %lld",
             (long long)ev);
    assert_text(store, sql,
                "created|system|pending|【突增】征地拆迁 近1小时 23 条，基线 2.3 条/小时");

    /* once per hour: a later scan in the same hour raises nothing more */
    assert_int_equal(spike_scan(store, NULL, JUDGE_S, now + 600, &raised), 0);
    assert_int_equal(raised, 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM spikes"), 1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM events"), 1);
    /* the next hour judges hour H + 1 (30 items against a baseline of 0 and H's 23 not in it) */
    assert_int_equal(spike_scan(store, NULL, JUDGE_S, now + HOUR, &raised), 0);
    assert_int_equal(raised, 1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM events WHERE kind = 'spike'"), 2);
    ticket_store_free(store);
}

/* The edges: below min_count, below the factor, exactly at it, baseline 0, a level from cfg. */
static void test_group_thresholds(void **state)
{
    struct ticket_store *store = notifier_store_memory();
    struct spike_cfg cfg = *spike_cfg_defaults();
    int64_t h = hour_h();
    size_t raised = 0;

    (void)state;
    feed_group(store, "A-below-min", h, 9); /* baseline 0, 9 < 10 */
    for (int d = 1; d <= 7; d++) {
        feed_group(store, "B-below-factor", h - d * DAY, 7); /* baseline 7.0 */
        feed_group(store, "C-at-factor", h - d * DAY, 7);
    }
    feed_group(store, "B-below-factor", h, 20); /* 20 < 3 x 7 */
    feed_group(store, "C-at-factor", h, 21);    /* 21 = 3 x 7 */
    feed_group(store, "D-new", h, 10);          /* baseline 0, 10 >= 10 */
    cfg.level = "II";
    assert_int_equal(spike_scan(store, &cfg, JUDGE_S, h + HOUR, &raised), 0);
    assert_int_equal(raised, 2);
    assert_rows(store, "SELECT key, count, baseline FROM spikes ORDER BY key", ":", " ",
                "C-at-factor:21:7.0 D-new:10:0.0");
    assert_rows(store, "SELECT DISTINCT level FROM events", "", ",", "II");
    cfg.level = "X";
    assert_int_equal(spike_scan(store, &cfg, JUDGE_S, h + 2 * HOUR, &raised), ERR_INVALID);
    assert_int_equal(raised, 0);
    ticket_store_free(store);
}

/*
 * Events: a watching event spikes and returns to pending; the baseline is its own previous six
 * hours since its first item; closed, stale and first-hour events do not spike.
 */
static void test_event_spikes(void **state)
{
    struct ticket_store *store = notifier_store_memory();
    int64_t h = hour_h();
    int64_t now = h + HOUR + 60;
    int64_t watched, old, dismissed, stale, young;
    size_t raised = 0;
    char sql[512], expect[512];

    (void)state;
    /* first item 3 h 10 min before H: baseline hours H-4h..H-1h = 0 + 1 + 2 + 1 -> 1.0 */
    watched = add_event(store, "ev:watched", "watching", h - 3 * HOUR - 600, h + 1800, 0);
    feed(store, NULL, 0, watched, h - 3 * HOUR, 1);
    feed(store, NULL, 0, watched, h - 2 * HOUR, 2);
    feed(store, NULL, 0, watched, h - HOUR, 1);
    feed(store, NULL, 0, watched, h, 12);
    /* first item 10 h before: 6 an hour in H-10h..H-7h are outside the six hours; 1 an hour in
       H-6h..H-1h -> baseline 1.0, 5 >= 3 x 1.0 (over ten hours it would be 3.0: no spike) */
    old = add_event(store, "ev:old", "assigned", h - 10 * HOUR, h + 100, 0);
    for (int k = 10; k >= 7; k--) {
        feed(store, NULL, 0, old, h - k * HOUR, 6);
    }
    for (int k = 6; k >= 1; k--) {
        feed(store, NULL, 0, old, h - k * HOUR, 1);
    }
    feed(store, NULL, 0, old, h, 5);
    dismissed = add_event(store, "ev:dismissed", "dismissed", h - 5 * HOUR, h + 100, 0);
    feed(store, NULL, 0, dismissed, h, 50);
    stale = add_event(store, "ev:stale", "pending", h - 5 * HOUR, now - DAY - 1, 0);
    feed(store, NULL, 0, stale, h, 50);
    young = add_event(store, "ev:young", "pending", h + 10, h + 100, 0); /* first hour: H */
    feed(store, NULL, 0, young, h, 50);

    assert_int_equal(spike_scan(store, NULL, JUDGE_S, now, &raised), 0);
    assert_int_equal(raised, 2);
    assert_rows(store,
                "SELECT key, count, baseline, min_count, (event_id = CAST(key AS INTEGER)) "
                "FROM spikes WHERE scope = 'event' ORDER BY event_id",
                ":", " ", watched < old ? "1:12:1.0:5:1 2:5:1.0:5:1" : "?");
    snprintf(sql, sizeof(sql),
             "SELECT state || '|' || resurfaced_at || '|' || resurface_reason || '|' || version "
             "|| '|' || spike FROM events WHERE id = %lld",
             (long long)watched);
    snprintf(expect, sizeof(expect),
             "pending|%lld|spike|1|{\"scope\":\"event\",\"key\":\"%lld\",\"hour\":%lld,"
             "\"count\":12,\"baseline\":1.0,\"factor\":3.0,\"min_count\":5}",
             (long long)now, (long long)watched, (long long)h);
    assert_text(store, sql, expect);
    snprintf(sql, sizeof(sql),
             "SELECT action || '|' || from_state || '|' || to_state || '|' || note FROM "
             "event_log WHERE event_id = %lld",
             (long long)watched);
    assert_text(store, sql, "spike|watching|pending|【突增】近1小时 12 条，基线 1.0 条/小时");
    /* an assigned event keeps its state */
    snprintf(sql, sizeof(sql),
             "SELECT state || '|' || resurface_reason FROM events WHERE id = %lld", (long long)old);
    assert_text(store, sql, "assigned|spike");
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM events WHERE id IN (%lld, %lld, %lld) AND spike = '' AND "
             "resurfaced_at IS NULL",
             (long long)dismissed, (long long)stale, (long long)young);
    assert_int_equal(notifier_count(store, sql), 3);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM events WHERE kind = 'spike'"), 0);
    /* once per hour */
    assert_int_equal(spike_scan(store, NULL, JUDGE_S, now + 900, &raised), 0);
    assert_int_equal(raised, 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM event_log"), 2);
    ticket_store_free(store);
}

static const char routes_yaml[] = "channels:\n"
                                  "  duty-hook: {type: webhook, url: 'http://127.0.0.1:9/duty'}\n"
                                  "  zrzy-liaison: {type: webhook, url: 'http://127.0.0.1:9/zl'}\n"
                                  "duty_officer: [duty-hook]\n"
                                  "departments:\n"
                                  "  市自然资源局: {liaison: [zrzy-liaison]}\n";

/* An event with a ticket: the ticket's log shows the spike and the duty officer is told once. */
static void test_event_spike_with_ticket_tells_the_duty_officer(void **state)
{
    struct test_alert_spec s =
        TEST_ALERT_LAND("ev:ticket", "rss:1", "II", "2026-12-05T05:00:00Z", NULL, 0.9);
    struct ticket_store *store = notifier_store_memory();
    struct ticket_policy policy = {0};
    struct notify_routes routes;
    int64_t h = hour_h();
    int64_t now = h + HOUR + 60;
    int64_t ticket_id, ev;
    size_t raised = 0;
    char err[256] = "", sql[512];

    (void)state;
    if (notifier_routes_load(&routes, routes_yaml, err, sizeof(err)) != 0) {
        fail_msg("routes: %s", err);
    }
    policy.routes = &routes;
    policy.link_base = "https://duty.example/ticket?number=";
    ticket_store_set_policy(store, &policy);
    assert_int_equal(notifier_intake(store, &s, notifier_ts("2026-12-05T05:00:00Z"), NULL), 0);
    ticket_id = notifier_count(store, "SELECT id FROM tickets");
    assert_true(ticket_id > 0);
    ev = add_event(store, "spike-test:ticket", "assigned", h - 5 * HOUR, h + 100, ticket_id);
    feed(store, NULL, 0, ev, h - 2 * HOUR, 2);
    feed(store, NULL, 0, ev, h, 8); /* baseline 2/5 = 0.4 */
    assert_int_equal(spike_scan(store, NULL, JUDGE_S, now, &raised), 0);
    assert_int_equal(raised, 1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM outbox WHERE kind = 'spike'"), 1);
    assert_text(store, "SELECT role || '|' || channel FROM outbox WHERE kind = 'spike'",
                "duty|duty-hook");
    snprintf(sql, sizeof(sql),
             "SELECT action || '|' || note FROM ticket_log WHERE ticket_id = %lld AND action = "
             "'spike'",
             (long long)ticket_id);
    assert_text(store, sql, "spike|【突增】近1小时 8 条，基线 0.4 条/小时");
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM outbox WHERE kind = 'spike' AND "
                                           "body LIKE '%近1小时 8 条%'"),
                     1);
    assert_int_equal(spike_scan(store, NULL, JUDGE_S, now + 60, &raised), 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM outbox WHERE kind = 'spike'"), 1);
    ticket_store_free(store);
    notify_routes_release(&routes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cfg_defaults_and_hours),
        cmocka_unit_test(test_count_item_per_group_and_event),
        cmocka_unit_test(test_group_spike_over_seven_days),
        cmocka_unit_test(test_group_thresholds),
        cmocka_unit_test(test_event_spikes),
        cmocka_unit_test(test_event_spike_with_ticket_tells_the_duty_officer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
