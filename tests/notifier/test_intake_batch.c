/*
 * Issue #16: batch intake (ticket_intake_batch(), notifier_intake_batch()) and the item's
 * fetch, match and intake times in milliseconds (yq_item "fetched_at_ms", yq_alert
 * "matched_at_ms", migration 14, the ticket JSON's latency_ms, the /metrics histogram).
 * Runs on SQLite and, as test_intake_batch-pg, on PostgreSQL (db_fixture.h).
 */
#include <curl/curl.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "db_fixture.h"
#include "delivery.h"
#include "notifier.h"
#include "notifier_fixture.h"
#include "notifier_metrics.h"
#include "silence.h"
#include "test_alerts.h"
#include "ticket_api.h"
#include "ticket_intake.h"
#include "ticket_store.h"
#include "yq_alert.h"
#include "yq_db.h"
#include "yq_err.h"
#include "yq_item.h"
#include "yq_json.h"
#include "yq_time.h"

/* 2026-11-29T08:00:00Z in ms: the intake time of the tests (matched_at of TEST_ALERT_LAND). */
#define T0_MS 1795939200000LL

/*
 * The JSON text of a test alert (event key key, item item) with "fetched_at_ms" and
 * "matched_at_ms" set to the JSON texts fetched and matched (NULL: left out) into buf.
 */
static char *alert_text(char *buf, size_t len, const char *key, const char *item,
                        const char *fetched, const char *matched)
{
    struct test_alert_spec s =
        TEST_ALERT_LAND(key, item, "II", "2026-11-29T08:00:00Z", "2026-11-29T07:50:00Z", 42.0);
    char base[4096], *out;
    json_t *obj;

    test_alert_json(&s, base, sizeof(base));
    obj = json_loads(base, 0, NULL);
    assert_non_null(obj);
    if (fetched) {
        json_object_set_new(json_object_get(obj, "item"), "fetched_at_ms",
                            json_loads(fetched, JSON_DECODE_ANY, NULL));
    }
    if (matched) {
        json_object_set_new(obj, "matched_at_ms", json_loads(matched, JSON_DECODE_ANY, NULL));
    }
    out = yq_json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    assert_non_null(out);
    assert_true(strlen(out) < len);
    snprintf(buf, len, "%s", out);
    free(out);
    return buf;
}

static int decode(const char *text, struct yq_alert *a, char *err, size_t errlen)
{
    return yq_alert_decode(text, strlen(text), a, err, errlen);
}

/* --- codecs --------------------------------------------------------------------------- */

static void test_codec_round_trip_with_and_without_ms(void **state)
{
    struct yq_alert a, b;
    char buf[4096], err[256] = "";
    char *text = NULL;
    size_t len = 0;

    (void)state;
    /* with: both fields survive encode and decode */
    assert_int_equal(decode(alert_text(buf, sizeof(buf), "ev:1", "rss:1", "1795939199123",
                                       "1795939199456"),
                            &a, err, sizeof(err)),
                     0);
    assert_int_equal(a.item.fetched_at_ms, 1795939199123LL);
    assert_int_equal(a.matched_at_ms, 1795939199456LL);
    assert_int_equal(yq_alert_encode(&a, &text, &len), 0);
    assert_non_null(strstr(text, "\"fetched_at_ms\":1795939199123"));
    assert_non_null(strstr(text, "\"matched_at_ms\":1795939199456"));
    assert_int_equal(yq_alert_decode(text, len, &b, err, sizeof(err)), 0);
    assert_int_equal(b.item.fetched_at_ms, 1795939199123LL);
    assert_int_equal(b.matched_at_ms, 1795939199456LL);
    free(text);
    yq_alert_release(&a);
    yq_alert_release(&b);

    /* without (an older collector and pipeline): 0, the readers fall back to seconds * 1000 */
    assert_int_equal(decode(alert_text(buf, sizeof(buf), "ev:1", "rss:1", NULL, NULL), &a, err,
                            sizeof(err)),
                     0);
    assert_int_equal(a.item.fetched_at_ms, 0);
    assert_int_equal(a.matched_at_ms, 0);
    assert_int_equal(yq_item_fetched_ms(&a.item), 1795939140000LL); /* 07:59:00Z */
    assert_int_equal(yq_alert_matched_ms(&a), T0_MS);
    assert_int_equal(yq_alert_encode(&a, &text, &len), 0);
    assert_null(strstr(text, "fetched_at_ms"));
    assert_null(strstr(text, "matched_at_ms"));
    free(text);
    yq_alert_release(&a);

    /* null reads as absent */
    assert_int_equal(decode(alert_text(buf, sizeof(buf), "ev:1", "rss:1", "null", "null"), &a,
                            err, sizeof(err)),
                     0);
    assert_int_equal(a.item.fetched_at_ms, 0);
    yq_alert_release(&a);
}

static void test_codec_hostile_ms_refused(void **state)
{
    static const char *const bad[] = {"-1", "\"1795939199123\"", "1.5", "true", "{}",
                                      "253402300800000", "9223372036854775807"};
    struct yq_alert a;
    char buf[4096], err[256];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(decode(alert_text(buf, sizeof(buf), "ev:1", "rss:1", bad[i], NULL), &a,
                                err, sizeof(err)),
                         ERR_PARSE);
        assert_non_null(strstr(err, "fetched_at_ms"));
        err[0] = '\0';
        assert_int_equal(decode(alert_text(buf, sizeof(buf), "ev:1", "rss:1", NULL, bad[i]), &a,
                                err, sizeof(err)),
                         ERR_PARSE);
        assert_non_null(strstr(err, "matched_at_ms"));
    }
    /* the largest RFC 3339 instant is still taken */
    assert_int_equal(decode(alert_text(buf, sizeof(buf), "ev:1", "rss:1", "253402300799999",
                                       NULL),
                            &a, err, sizeof(err)),
                     0);
    assert_int_equal(a.item.fetched_at_ms, YQ_TIME_MS_MAX);
    yq_alert_release(&a);
}

/* --- intake ----------------------------------------------------------------------------- */

/* The integer column col of the ticket_items (table "ticket_items") row of item id. */
static int64_t item_col(struct ticket_store *store, const char *table, const char *col,
                        const char *item)
{
    char sql[256];
    snprintf(sql, sizeof(sql), "SELECT coalesce(%s, -1) FROM %s WHERE item_id = '%s'", col,
             table, item);
    return notifier_count(store, sql);
}

static void test_intake_stores_ms_times_and_latency(void **state)
{
    struct ticket_store *store = notifier_store_memory();
    struct ticket_intake_entry e[2];
    struct yq_alert a[2];
    struct ticket_intake_batch_stats st;
    char buf[4096], err[256];
    json_t *detail = NULL, *items;

    (void)state;
    assert_int_equal(decode(alert_text(buf, sizeof(buf), "ev:a", "rss:a", "1795939199700",
                                       "1795939199850"),
                            &a[0], err, sizeof(err)),
                     0);
    /* a collector clock ahead of the notifier's: clamped to the intake time */
    assert_int_equal(decode(alert_text(buf, sizeof(buf), "ev:b", "rss:b", "1795939300000",
                                       NULL),
                            &a[1], err, sizeof(err)),
                     0);
    memset(e, 0, sizeof(e));
    e[0].alert = &a[0];
    e[1].alert = &a[1];
    assert_int_equal(ticket_intake_batch(store, e, 2, T0_MS + 25, &st), 0);
    assert_int_equal(st.transactions, 1);
    assert_int_equal(st.fallbacks, 0);
    assert_int_equal(st.refused, 0);
    assert_int_equal(e[0].err, 0);
    assert_int_equal(e[0].res.outcome, TICKET_INTAKE_CREATED);

    assert_int_equal(item_col(store, "ticket_items", "fetched_at_ms", "rss:a"), 1795939199700LL);
    assert_int_equal(item_col(store, "ticket_items", "matched_at_ms", "rss:a"), 1795939199850LL);
    assert_int_equal(item_col(store, "ticket_items", "stored_at_ms", "rss:a"), T0_MS + 25);
    assert_int_equal(item_col(store, "event_items", "fetched_at_ms", "rss:a"), 1795939199700LL);
    assert_int_equal(item_col(store, "event_items", "matched_at_ms", "rss:a"), 1795939199850LL);
    assert_int_equal(item_col(store, "event_items", "stored_at_ms", "rss:a"), T0_MS + 25);
    assert_int_equal(item_col(store, "ticket_items", "fetched_at_ms", "rss:b"), T0_MS + 25);
    /* no matched_at_ms in the alert: matched_at * 1000 */
    assert_int_equal(item_col(store, "ticket_items", "matched_at_ms", "rss:b"), T0_MS);

    /* the ticket JSON: latency_ms = stored - fetched */
    assert_int_equal(ticket_api_detail(store, e[0].res.number, &detail), 0);
    items = json_object_get(detail, "items");
    assert_int_equal(json_array_size(items), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "latency_ms")),
                     T0_MS + 25 - 1795939199700LL);
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(items, 0), "matched_at_ms")),
        1795939199850LL);
    json_decref(detail);
    assert_int_equal(ticket_api_detail(store, e[1].res.number, &detail), 0);
    items = json_object_get(detail, "items");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(items, 0), "latency_ms")),
                     0);
    json_decref(detail);

    /* the seconds API stores now * 1000 */
    yq_alert_release(&a[0]);
    assert_int_equal(decode(alert_text(buf, sizeof(buf), "ev:c", "rss:c", NULL, NULL), &a[0],
                            err, sizeof(err)),
                     0);
    assert_int_equal(ticket_intake_alert(store, &a[0], 1795939260, NULL), 0);
    assert_int_equal(item_col(store, "ticket_items", "stored_at_ms", "rss:c"), 1795939260000LL);
    assert_int_equal(item_col(store, "ticket_items", "fetched_at_ms", "rss:c"), 1795939140000LL);
    yq_alert_release(&a[0]);
    yq_alert_release(&a[1]);
    ticket_store_free(store);
}

/* A trigger that refuses the event item "rss:bad" as a constraint would (both backends). */
static void refuse_bad_item(struct ticket_store *store)
{
    struct yq_db *db = ticket_store_db(store);
    const char *sql =
        db_fixture_pg()
            ? "CREATE FUNCTION refuse_bad() RETURNS trigger AS $$ BEGIN "
              "IF NEW.item_id = 'rss:bad' THEN RAISE EXCEPTION 'refused' USING ERRCODE = "
              "'23514'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;"
              "CREATE TRIGGER refuse_bad BEFORE INSERT ON event_items FOR EACH ROW "
              "EXECUTE FUNCTION refuse_bad();"
            : "CREATE TRIGGER refuse_bad BEFORE INSERT ON event_items "
              "WHEN NEW.item_id = 'rss:bad' BEGIN SELECT RAISE(ABORT, 'refused'); END;";
    assert_int_equal(yq_db_exec_raw(db, sql), YQ_DB_OK);
}

/* Five messages: good, malformed, good, refused by the store, good. */
struct batch5 {
    char text[5][4096];
    struct notifier_payload p[5];
};

static void batch5_make(struct batch5 *b)
{
    alert_text(b->text[0], sizeof(b->text[0]), "ev:1", "rss:1", "1795939199990", NULL);
    snprintf(b->text[1], sizeof(b->text[1]), "{\"schema\":1,\"event_key\":");
    alert_text(b->text[2], sizeof(b->text[2]), "ev:2", "rss:2", "1795939199000", NULL);
    alert_text(b->text[3], sizeof(b->text[3]), "ev:3", "rss:bad", NULL, NULL);
    alert_text(b->text[4], sizeof(b->text[4]), "ev:1", "rss:4", NULL, NULL);
    for (int i = 0; i < 5; i++) {
        b->p[i] = (struct notifier_payload){
            .buf = b->text[i], .len = strlen(b->text[i]), .partition = 0, .offset = 10 + i};
    }
}

static long long load(atomic_llong *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

static void test_batch_bad_alerts_skipped_others_stored(void **state)
{
    struct ticket_store *store = notifier_store_memory();
    struct notifier_metrics m;
    struct batch5 b;

    (void)state;
    memset(&m, 0, sizeof(m));
    notifier_metrics_init(&m, 0);
    refuse_bad_item(store);
    batch5_make(&b);
    assert_int_equal(notifier_intake_batch(store, &m, b.p, 5, T0_MS), 0);
    assert_int_equal(load(&m.alerts_malformed), 1);
    assert_int_equal(load(&m.alerts_rejected), 1);
    assert_int_equal(load(&m.tickets_created), 2); /* ev:1 and ev:2 */
    assert_int_equal(load(&m.items_attached), 1);  /* rss:4 on ev:1's ticket */
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM tickets"), 2);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_items"), 3);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM event_items"), 3);
    assert_int_equal(
        notifier_count(store, "SELECT count(*) FROM event_items WHERE item_id = 'rss:bad'"), 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM events WHERE event_key = 'ev:3'"),
                     0);
    /* latencies: 10 ms, 1000 ms and (no fetched_at_ms) 07:59:00 -> 08:00:00 = 60000 ms */
    assert_int_equal(load(&m.latency_count), 3);
    assert_int_equal(load(&m.latency_sum_ms), 10 + 1000 + 60000);
    assert_int_equal(load(&m.latency_ms[1]), 1);  /* <= 10 */
    assert_int_equal(load(&m.latency_ms[7]), 1);  /* <= 1000 */
    assert_int_equal(load(&m.latency_ms[11]), 1); /* <= 60000 */

    /* the whole batch again (a redelivery): nothing twice */
    assert_int_equal(notifier_intake_batch(store, &m, b.p, 5, T0_MS + 1000), 0);
    assert_int_equal(load(&m.alerts_duplicate), 3);
    assert_int_equal(load(&m.alerts_malformed), 2);
    assert_int_equal(load(&m.alerts_rejected), 2);
    assert_int_equal(load(&m.tickets_created), 2);
    assert_int_equal(load(&m.latency_count), 3); /* duplicates add no latency */
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM tickets"), 2);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_items"), 3);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_item_revisions"), 3);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log"), 3);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM event_items"), 3);
    assert_int_equal(
        notifier_count(store, "SELECT min(stored_at_ms) FROM ticket_items"), T0_MS);
    assert_int_equal(
        notifier_count(store, "SELECT max(stored_at_ms) FROM ticket_items"), T0_MS);
    ticket_store_free(store);
}

static void test_batch_refused_alert_falls_back_one_by_one(void **state)
{
    struct ticket_store *store = notifier_store_memory();
    struct ticket_intake_entry e[3];
    struct yq_alert a[3];
    struct ticket_intake_batch_stats st;
    char buf[4096], err[256];

    (void)state;
    refuse_bad_item(store);
    assert_int_equal(decode(alert_text(buf, sizeof(buf), "ev:1", "rss:1", NULL, NULL), &a[0], err,
                            sizeof(err)),
                     0);
    assert_int_equal(decode(alert_text(buf, sizeof(buf), "ev:2", "rss:bad", NULL, NULL), &a[1],
                            err, sizeof(err)),
                     0);
    assert_int_equal(decode(alert_text(buf, sizeof(buf), "ev:3", "rss:3", NULL, NULL), &a[2], err,
                            sizeof(err)),
                     0);
    memset(e, 0, sizeof(e));
    for (int i = 0; i < 3; i++) {
        e[i].alert = &a[i];
    }
    assert_int_equal(ticket_intake_batch(store, e, 3, T0_MS, &st), 0);
    assert_int_equal(st.fallbacks, 1);
    assert_int_equal(st.transactions, 3);
    assert_int_equal(st.refused, 1);
    assert_int_equal(e[0].err, 0);
    assert_int_equal(e[1].err, ERR_INVALID);
    assert_int_equal(e[2].err, 0);
    assert_int_equal(e[2].res.outcome, TICKET_INTAKE_CREATED);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM tickets"), 2);

    /* a NULL slot (a malformed message) is skipped without a fallback */
    e[1].alert = NULL;
    assert_int_equal(ticket_intake_batch(store, e, 3, T0_MS, &st), 0);
    assert_int_equal(st.fallbacks, 0);
    assert_int_equal(st.transactions, 1);
    assert_int_equal(e[1].err, ERR_INVALID);
    assert_int_equal(e[0].res.outcome, TICKET_INTAKE_DUPLICATE);
    assert_int_equal(e[2].res.outcome, TICKET_INTAKE_DUPLICATE);
    for (int i = 0; i < 3; i++) {
        yq_alert_release(&a[i]);
    }
    ticket_store_free(store);
}

/*
 * A temporary store (busy timeout 200 ms, every alert handed over), its metrics, and a second
 * connection that can hold the store's write lock so that the intake cannot write.
 */
struct locked_store {
    struct notifier_tmp_store t;
    struct ticket_store *store;
    struct notifier_metrics m;
    struct yq_db *other;
};

static void locked_store_open(struct locked_store *ls)
{
    char err[256] = "";

    memset(ls, 0, sizeof(*ls));
    notifier_metrics_init(&ls->m, 0);
    notifier_tmp_store_create(&ls->t, "t.db");
    ls->t.cfg.busy_timeout_ms = 200;
    assert_int_equal(ticket_store_open(&ls->t.cfg, &ls->store, err, sizeof(err)), 0);
    ticket_store_set_policy(ls->store, notifier_policy_hand_over_all());
}

/* Another writer takes the write lock (lock) or gives it back (!lock). */
static void locked_store_hold(struct locked_store *ls, bool lock)
{
    char err[256] = "";

    if (lock) {
        assert_int_equal(yq_db_open(ls->t.path, 0, 200, &ls->other, err, sizeof(err)), 0);
        assert_int_equal(yq_db_begin_write(ls->other), YQ_DB_OK);
    } else {
        yq_db_rollback(ls->other);
        yq_db_close(ls->other);
        ls->other = NULL;
    }
}

static void locked_store_close(struct locked_store *ls)
{
    ticket_store_free(ls->store);
    notifier_tmp_store_remove(&ls->t);
}

/*
 * /healthz said the store was up while the intake held a batch it could not store: the
 * delivery worker's next round (an escalation pass that wrote nothing) set the one shared
 * store_up back to 1 (seen with a read-only store file and with a full disk). The store is up
 * only when the intake's last batch and the worker's last round both committed.
 */
static void test_worker_round_does_not_hide_a_failing_intake(void **state)
{
    struct locked_store ls;
    struct notify_cfg ncfg;
    struct delivery *d;
    struct batch5 b;
    char err[256] = "";

    (void)state;
    memset(&ncfg, 0, sizeof(ncfg));
    locked_store_open(&ls);
    d = delivery_new(&ncfg, &ls.t.cfg, notifier_policy_hand_over_all(), &ls.m, err, sizeof(err));
    assert_non_null(d);
    batch5_make(&b);
    locked_store_hold(&ls, true);
    assert_int_equal(notifier_intake_batch(ls.store, &ls.m, b.p, 5, T0_MS), ERR_RETRY);
    assert_false(notifier_store_up(&ls.m));
    locked_store_hold(&ls, false);
    /* the worker's round succeeds; the batch is still unstored */
    assert_int_equal(delivery_run_once(d, NULL), 0);
    assert_int_equal(atomic_load(&ls.m.worker_store_up.up), 1);
    assert_false(notifier_store_up(&ls.m));
    /* the retry stores the batch: up again */
    assert_int_equal(notifier_intake_batch(ls.store, &ls.m, b.p, 5, T0_MS), 0);
    assert_true(notifier_store_up(&ls.m));
    delivery_free(d);
    locked_store_close(&ls);
}

/* A source event the store cannot record says the store is down too, until it is recorded. */
static void test_source_event_store_failure_is_store_down(void **state)
{
    static const char ev[] = "{\"schema\":1,\"source_id\":\"ankang-weibo\",\"event\":\"open\","
                             "\"reason\":\"failing\",\"started_at\":\"2026-12-05T01:00:00Z\","
                             "\"at\":\"2026-12-05T01:00:00Z\"}";
    struct locked_store ls;

    (void)state;
    locked_store_open(&ls);
    locked_store_hold(&ls, true);
    assert_int_equal(notifier_source_payload(ls.store, &ls.m, ev, strlen(ev), 0, 1, T0_MS / 1000),
                     ERR_RETRY);
    assert_false(notifier_store_up(&ls.m));
    locked_store_hold(&ls, false);
    assert_int_equal(notifier_source_payload(ls.store, &ls.m, ev, strlen(ev), 0, 1, T0_MS / 1000),
                     0);
    assert_true(notifier_store_up(&ls.m));
    locked_store_close(&ls);
}

static void test_batch_store_failure_records_nothing(void **state)
{
    struct locked_store ls;
    struct batch5 b;

    (void)state;
    locked_store_open(&ls);
    batch5_make(&b);
    /* another writer holds the write lock: the batch cannot be stored */
    locked_store_hold(&ls, true);
    assert_int_equal(notifier_intake_batch(ls.store, &ls.m, b.p, 5, T0_MS), ERR_RETRY);
    assert_int_equal(atomic_load(&ls.m.store_up.up), 0);
    /* nothing counted, nothing stored: the caller commits no offset */
    assert_int_equal(load(&ls.m.alerts_malformed), 0);
    assert_int_equal(load(&ls.m.tickets_created), 0);
    assert_int_equal(load(&ls.m.latency_count), 0);
    locked_store_hold(&ls, false);
    assert_int_equal(notifier_count(ls.store, "SELECT count(*) FROM tickets"), 0);
    assert_int_equal(notifier_count(ls.store, "SELECT count(*) FROM event_items"), 0);
    /* the retry stores the batch */
    assert_int_equal(notifier_intake_batch(ls.store, &ls.m, b.p, 5, T0_MS), 0);
    assert_int_equal(atomic_load(&ls.m.store_up.up), 1);
    assert_int_equal(notifier_count(ls.store, "SELECT count(*) FROM tickets"), 3);
    locked_store_close(&ls);
}

/*
 * --- A batch is the same as its alerts one by one (issue #16: the batch reads its events and
 * their items once at its start and keeps copies; these tests pin that the copies never
 * change an outcome) ----------------------------------------------------------------------
 */

#define MIX_N 48

/*
 * Alert i of the mix: four events, items shared between events and repeated within the batch,
 * levels rising and falling (the inbox raises an event's level; the hand-over policy opens
 * tickets), revisions (a new title for an item already taken), no publication time for some.
 */
static void mix_alert(int i, struct yq_alert *a)
{
    static const char *const levels[] = {"IV", "III", "IV", "II", "I", "IV"};
    char key[16], item[24], title[64], buf[4096], err[256];
    struct test_alert_spec s = TEST_ALERT_LAND(NULL, NULL, NULL, "2026-11-29T08:00:00Z",
                                               "2026-11-29T07:50:00Z", 10.0 + i % 7);

    snprintf(key, sizeof(key), "ev:m%d", i % 4);
    snprintf(item, sizeof(item), "rss:m%d", i % 17 == 5 ? 3 : i / 2);
    snprintf(title, sizeof(title), "汉滨区征地补偿款迟迟未发放 %d", i % 11 == 10 ? 99 : i / 2);
    s.event_key = key;
    s.item_id = item;
    s.title = title;
    s.level = levels[i % 6];
    if (i % 9 == 4) {
        s.published_at = NULL;
    }
    test_alert_json(&s, buf, sizeof(buf));
    assert_int_equal(decode(buf, a, err, sizeof(err)), 0);
}

/* What intake left in store, as text (the same on both backends). */
static char *store_state(struct ticket_store *store)
{
    static const char *const queries[] = {
        "SELECT event_key, state, level, item_count, heat, negative_count, last_item_at, "
        "first_post_at, rule_ids, rule_groups, source_kinds, region, coalesce(ticket_id, 0), "
        "coalesce(resurfaced_at, 0), version, score, updated_at, judge_deadline "
        "FROM events ORDER BY event_key",
        "SELECT number, event_key, state, level, item_count, heat, score, first_post_at, "
        "reopen_count FROM tickets ORDER BY number",
        "SELECT e.event_key, i.item_id, i.heat, i.title FROM event_items i "
        "JOIN events e ON e.id = i.event_id ORDER BY e.event_key, i.item_id",
        "SELECT t.number, i.item_id FROM ticket_items i JOIN tickets t ON t.id = i.ticket_id "
        "ORDER BY t.number, i.item_id",
        "SELECT t.number, r.item_id, r.content_hash FROM ticket_item_revisions r "
        "JOIN tickets t ON t.id = r.ticket_id ORDER BY t.number, r.item_id, r.content_hash",
        "SELECT t.number, l.action, l.note, count(*) FROM ticket_log l JOIN tickets t "
        "ON t.id = l.ticket_id GROUP BY t.number, l.action, l.note ORDER BY 1, 2, 3",
        "SELECT e.event_key, l.action, l.from_state, l.to_state, l.note, count(*) FROM event_log l "
        "JOIN events e ON e.id = l.event_id GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5",
        "SELECT count(*) FROM outbox",
        "SELECT scope, hour, sum(n) FROM rate_counts WHERE scope = 'group' GROUP BY scope, hour",
        "SELECT count(*), sum(n) FROM rate_counts WHERE scope = 'event'",
    };
    char *all = strdup(""), *part, *next;
    size_t len;

    for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
        part = notifier_rows_text(store, queries[q], "|", "\n");
        assert_non_null(part);
        len = strlen(all) + strlen(part) + 8;
        next = malloc(len);
        assert_non_null(next);
        snprintf(next, len, "%s#%zu\n%s\n", all, q, part);
        free(all);
        free(part);
        all = next;
    }
    return all;
}

/* The mix by ticket_intake_batch() in store a and alert by alert in store b, under pol. */
static void mix_compare(const struct ticket_policy *pol)
{
    struct ticket_store *a = notifier_store_memory(), *b = notifier_store_memory();
    struct ticket_intake_entry e[MIX_N];
    struct ticket_intake_batch_stats st;
    struct yq_alert v[MIX_N];
    char *sa, *sb, *again;

    ticket_store_set_policy(a, pol);
    ticket_store_set_policy(b, pol);
    memset(e, 0, sizeof(e));
    for (int i = 0; i < MIX_N; i++) {
        mix_alert(i, &v[i]);
        e[i].alert = &v[i];
    }
    /* two batches: the second finds the first's events, tickets and items in the store */
    assert_int_equal(ticket_intake_batch(a, e, MIX_N / 2 - 3, T0_MS, &st), 0);
    assert_int_equal(st.transactions, 1);
    assert_int_equal(ticket_intake_batch(a, e + MIX_N / 2 - 3, MIX_N - MIX_N / 2 + 3, T0_MS, &st),
                     0);
    assert_int_equal(st.transactions, 1);
    assert_int_equal(st.fallbacks, 0);
    for (int i = 0; i < MIX_N; i++) {
        struct ticket_intake_result r;
        assert_int_equal(ticket_intake_alert(b, &v[i], T0_MS / 1000, &r), 0);
        assert_int_equal(e[i].err, 0);
        if (e[i].res.outcome != r.outcome || e[i].res.item_count != r.item_count ||
            e[i].res.reopened != r.reopened || strcmp(e[i].res.number, r.number) != 0 ||
            (e[i].res.ticket_id > 0) != (r.ticket_id > 0)) {
            fail_msg("alert %d: batch outcome %d items %lld number '%s', alone %d %lld '%s'", i,
                     (int)e[i].res.outcome, (long long)e[i].res.item_count, e[i].res.number,
                     (int)r.outcome, (long long)r.item_count, r.number);
        }
    }
    sa = store_state(a);
    sb = store_state(b);
    assert_string_equal(sa, sb);

    /* the batch redelivered, and the alerts one by one again: the same outcomes. With every
       event handed over at once nothing changes; in the inbox, an item that an event took
       before its ticket opened (a raised level) goes onto the ticket now, as alone */
    assert_int_equal(ticket_intake_batch(a, e, MIX_N, T0_MS + 5000, &st), 0);
    for (int i = 0; i < MIX_N; i++) {
        struct ticket_intake_result r;
        assert_int_equal(ticket_intake_alert(b, &v[i], (T0_MS + 5000) / 1000, &r), 0);
        assert_int_equal(e[i].err, 0);
        assert_int_equal(e[i].res.outcome, r.outcome);
        assert_int_equal(e[i].res.item_count, r.item_count);
        if (pol->desk == notifier_policy_hand_over_all()->desk) {
            assert_int_equal(e[i].res.outcome, TICKET_INTAKE_DUPLICATE);
        }
    }
    again = store_state(a);
    if (pol->desk == notifier_policy_hand_over_all()->desk) {
        assert_string_equal(sa, again);
    }
    free(sb);
    sb = store_state(b);
    assert_string_equal(again, sb);
    free(sa);
    free(sb);
    free(again);
    for (int i = 0; i < MIX_N; i++) {
        yq_alert_release(&v[i]);
    }
    ticket_store_free(a);
    ticket_store_free(b);
}

static void test_batch_same_as_one_by_one_inbox(void **state)
{
    static struct ticket_policy pol; /* the default desk policy: events wait in the inbox */

    (void)state;
    mix_compare(&pol);
}

static void test_batch_same_as_one_by_one_hand_over(void **state)
{
    (void)state;
    mix_compare(notifier_policy_hand_over_all());
}

/* A ticket of an older binary (no event): the batch makes its event as alone (ticket_intake.h). */
static void test_batch_ticket_of_older_binary(void **state)
{
    static const char *const items[] = {"rss:o2", "rss:o1", "rss:o3", "rss:o2"};
    struct ticket_store *a = notifier_store_memory(), *b = notifier_store_memory();
    struct ticket_intake_entry e[4];
    struct ticket_intake_batch_stats st;
    struct yq_alert v[4];
    char *sa, *sb;

    (void)state;
    for (int s = 0; s < 2; s++) {
        assert_int_equal(
            yq_db_exec_raw(ticket_store_db(s ? b : a),
                           "INSERT INTO tickets (number, event_key, title, level, department, "
                           "detected_at, ack_deadline, response_deadline, item_count, created_at, "
                           "updated_at, heat) VALUES ('YQ-2026-11-0001', 'ev:old', '旧单', 'III', "
                           "'市自然资源局', 50, 3650, 172850, 1, 50, 50, 1);"
                           "INSERT INTO ticket_items (ticket_id, item_id, added_at) "
                           "VALUES (1, 'rss:o1', 50);"),
            YQ_DB_OK);
    }
    memset(e, 0, sizeof(e));
    for (int i = 0; i < 4; i++) {
        struct test_alert_spec sp = TEST_ALERT_LAND(
            "ev:old", items[i], "III", "2026-11-29T08:00:00Z", "2026-11-29T07:50:00Z", 20.0);
        char buf[4096], err[256];
        test_alert_json(&sp, buf, sizeof(buf));
        assert_int_equal(decode(buf, &v[i], err, sizeof(err)), 0);
        e[i].alert = &v[i];
    }
    assert_int_equal(ticket_intake_batch(a, e, 4, T0_MS, &st), 0);
    assert_int_equal(st.transactions, 1);
    for (int i = 0; i < 4; i++) {
        struct ticket_intake_result r;
        assert_int_equal(ticket_intake_alert(b, &v[i], T0_MS / 1000, &r), 0);
        assert_int_equal(e[i].res.outcome, r.outcome);
        assert_int_equal(e[i].res.item_count, r.item_count);
        assert_int_equal(e[i].res.ticket_id, 1);
    }
    assert_int_equal(e[0].res.outcome, TICKET_INTAKE_ATTACHED);
    assert_int_equal(e[3].res.outcome, TICKET_INTAKE_DUPLICATE);
    sa = store_state(a);
    sb = store_state(b);
    assert_string_equal(sa, sb);
    assert_int_equal(notifier_count(a, "SELECT count(*) FROM events"), 1);
    assert_int_equal(notifier_count(a, "SELECT item_count FROM tickets"), 3);
    free(sa);
    free(sb);
    for (int i = 0; i < 4; i++) {
        yq_alert_release(&v[i]);
    }
    ticket_store_free(a);
    ticket_store_free(b);
}

/*
 * A store failure in the middle of a batch (a trigger failing as a broken database would, not
 * as a constraint): ERR_IO, nothing of the batch recorded, no fallback; later the batch goes
 * in whole.
 */
/*
 * yq_db_set_trace(): [0] the statements that look for silences in force, [1] the inserts of
 * events that wait for their id (RETURNING).
 */
static void count_silence_reads(void *arg, const char *sql)
{
    int *n = arg;
    if (strstr(sql, "FROM silences WHERE revoked_at IS NULL")) {
        n[0]++;
    }
    if (strncmp(sql, "INSERT INTO events", 18) == 0 && strstr(sql, "RETURNING id")) {
        n[1]++;
    }
}

/* A batch of n alerts (keys and items "KEY_PREFIX:i") at now_ms: each entry's outcome. */
static void silence_batch(struct ticket_store *store, const char *prefix, size_t n, int64_t now_ms,
                          struct ticket_intake_entry *e, struct yq_alert *a)
{
    char buf[4096], err[256], key[32], item[32];

    memset(e, 0, n * sizeof(*e));
    for (size_t i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "ev:%s%zu", prefix, i);
        snprintf(item, sizeof(item), "rss:%s%zu", prefix, i);
        assert_int_equal(decode(alert_text(buf, sizeof(buf), key, item, NULL, NULL), &a[i], err,
                                sizeof(err)),
                         0);
        e[i].alert = &a[i];
    }
    assert_int_equal(ticket_intake_batch(store, e, n, now_ms, NULL), 0);
}

/*
 * Silences in a batch (issue #16): whether one is in force is asked once per batch, and alerts
 * of new events are silenced by it as alert by alert; none in force, none silenced.
 */
static void test_batch_silences_asked_once(void **state)
{
    struct ticket_store *store = notifier_store_memory();
    struct ticket_intake_entry e[3];
    struct yq_alert a[3];
    int reads[2] = {0, 0};
    bool pg = yq_db_backend(ticket_store_db(store)) == YQ_DB_PG;
    int64_t id = 0;

    (void)state;
    yq_db_set_trace(ticket_store_db(store), count_silence_reads, reads);
    silence_batch(store, "a", 3, T0_MS, e, a);
    assert_int_equal(reads[0], 1); /* three new events, one question */
    /* PostgreSQL: their ids were taken at the batch's start, no insert waits for one */
    assert_int_equal(reads[1], pg ? 0 : 3);
    assert_int_equal(notifier_count(store, "SELECT count(DISTINCT id) FROM events"), 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(e[i].err, 0);
        assert_int_equal(e[i].res.outcome, TICKET_INTAKE_CREATED);
        assert_int_equal(e[i].res.silence_id, 0);
        yq_alert_release(&a[i]);
    }
    /* a rule silence from T0 - 60 s to T0 + 1 h covers land-01 */
    assert_int_equal(silence_add(store, SILENCE_RULE, "land-01", "测试原因", "王值班",
                                 T0_MS / 1000 + 3600, T0_MS / 1000 - 60, &id),
                     0);
    assert_true(id > 0);
    reads[0] = 0;
    silence_batch(store, "b", 3, T0_MS, e, a);
    assert_int_equal(reads[0], 1 + 3); /* in force: then each new event's silence_check() */
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(e[i].err, 0);
        assert_int_equal(e[i].res.outcome, TICKET_INTAKE_SILENCED);
        assert_int_equal(e[i].res.silence_id, id);
        yq_alert_release(&a[i]);
    }
    /* expired by the next batch's time: nothing silenced */
    silence_batch(store, "c", 2, T0_MS + 3601 * 1000LL, e, a);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(e[i].res.outcome, TICKET_INTAKE_CREATED);
        assert_int_equal(e[i].res.silence_id, 0);
        yq_alert_release(&a[i]);
    }
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM silenced_alerts"), 3);
    assert_int_equal(notifier_count(store, "SELECT hit_count FROM silences"), 3);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM events"), 5);
    /* a new event's row counts its first item as written by its INSERT (issue #16: no UPDATE
       after it), the same one by one (ev:d0) as in a batch (ev:a0) */
    {
        char buf[4096], err[256];
        struct yq_alert one;
        struct ticket_intake_result res;
        char *rows;
        assert_int_equal(decode(alert_text(buf, sizeof(buf), "ev:d0", "rss:d0", NULL, NULL),
                                &one, err, sizeof(err)),
                         0);
        assert_int_equal(ticket_intake_alert(store, &one, T0_MS / 1000 + 3601, &res), 0);
        yq_alert_release(&one);
        rows = notifier_rows_text(
            store,
            "SELECT event_key, item_count, heat, negative_count, first_post_at, score, rule_ids, "
            "rule_groups, source_kinds, region, last_item_at, version FROM events "
            "WHERE event_key IN ('ev:a0', 'ev:d0') ORDER BY event_key",
            "|", "\n");
        assert_non_null(rows);
        assert_string_equal(rows, "ev:a0|1|1|0|1795938600|42.0|[\"land-01\"]|[]|[\"rss\"]||1795939200|1\n"
                                  "ev:d0|1|1|0|1795938600|42.0|[\"land-01\"]|[]|[\"rss\"]||1795939200|1");
        free(rows);
    }
    yq_db_set_trace(ticket_store_db(store), NULL, NULL);
    ticket_store_free(store);
}

static void test_batch_failure_mid_batch_commits_nothing(void **state)
{
    struct ticket_store *store = notifier_store_memory();
    struct yq_db *db = ticket_store_db(store);
    struct ticket_intake_entry e[MIX_N];
    struct ticket_intake_batch_stats st;
    struct yq_alert v[MIX_N];
    char *before;

    (void)state;
    assert_int_equal(
        yq_db_exec_raw(db, db_fixture_pg()
                               ? "CREATE FUNCTION fail_mid() RETURNS trigger AS $$ BEGIN "
                                 "IF NEW.item_id = 'rss:m20' THEN RAISE EXCEPTION 'broken' USING "
                                 "ERRCODE = 'XX001'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;"
                                 "CREATE TRIGGER fail_mid BEFORE INSERT ON event_items FOR EACH "
                                 "ROW EXECUTE FUNCTION fail_mid();"
                               : "CREATE TRIGGER fail_mid BEFORE INSERT ON event_items "
                                 "WHEN NEW.item_id = 'rss:m20' BEGIN "
                                 "INSERT INTO no_such_table VALUES (1); END;"),
        YQ_DB_OK);
    memset(e, 0, sizeof(e));
    for (int i = 0; i < MIX_N; i++) {
        mix_alert(i, &v[i]);
        e[i].alert = &v[i];
    }
    before = store_state(store);
    assert_int_equal(ticket_intake_batch(store, e, MIX_N, T0_MS, &st), ERR_IO);
    assert_int_equal(st.transactions, 0);
    assert_int_equal(st.fallbacks, 0);
    {
        char *after = store_state(store);
        assert_string_equal(before, after);
        free(after);
    }
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM events"), 0);
    assert_int_equal(yq_db_exec_raw(db, "DROP TRIGGER fail_mid ON event_items") == YQ_DB_OK ||
                         yq_db_exec_raw(db, "DROP TRIGGER fail_mid") == YQ_DB_OK,
                     1);
    assert_int_equal(ticket_intake_batch(store, e, MIX_N, T0_MS, &st), 0);
    assert_int_equal(st.transactions, 1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM events"), 4);
    free(before);
    for (int i = 0; i < MIX_N; i++) {
        yq_alert_release(&v[i]);
    }
    ticket_store_free(store);
}

static void test_batch_bounds(void **state)
{
    struct ticket_store *store = notifier_store_memory();
    struct notifier_payload p = {.buf = NULL, .len = 0};
    struct notifier_metrics m;

    (void)state;
    memset(&m, 0, sizeof(m));
    assert_int_equal(notifier_intake_batch(store, &m, &p, 0, T0_MS), 0);
    assert_int_equal(notifier_intake_batch(store, &m, &p, 100001, T0_MS), ERR_INVALID);
    /* a NULL payload is a malformed message */
    assert_int_equal(notifier_intake_batch(store, &m, &p, 1, T0_MS), 0);
    assert_int_equal(load(&m.alerts_malformed), 1);
    ticket_store_free(store);
}

/* The collectors' and pipeline's stamp: now in ms for a live time, 0 for a fixed old one. */
static void test_stamp_ms(void **state)
{
    int64_t now = yq_time_now(), ms = yq_time_stamp_ms(now);

    (void)state;
    assert_true(ms / 1000 >= now && ms / 1000 <= now + 2);
    assert_true(yq_time_stamp_ms(now - 30) >= now * 1000);
    assert_int_equal(yq_time_stamp_ms(1795939200), 0); /* a test's fixed 2026-11-29 */
    assert_int_equal(yq_time_stamp_ms(now + 3600), 0); /* a clock far ahead */
    assert_int_equal(yq_time_stamp_ms(0), 0);
}

static void test_latency_histogram_buckets(void **state)
{
    struct notifier_metrics m;

    (void)state;
    memset(&m, 0, sizeof(m));
    notifier_metrics_observe_latency(&m, -5); /* a clock ahead: 0 */
    notifier_metrics_observe_latency(&m, 5);
    notifier_metrics_observe_latency(&m, 6);
    notifier_metrics_observe_latency(&m, 60000);
    notifier_metrics_observe_latency(&m, 60001);
    notifier_metrics_observe_latency(NULL, 1);
    assert_int_equal(load(&m.latency_ms[0]), 2);
    assert_int_equal(load(&m.latency_ms[1]), 1);
    assert_int_equal(load(&m.latency_ms[11]), 1);
    assert_int_equal(load(&m.latency_ms[12]), 1);
    assert_int_equal(load(&m.latency_count), 5);
    assert_int_equal(load(&m.latency_sum_ms), 0 + 5 + 6 + 60000 + 60001);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec_round_trip_with_and_without_ms),
        cmocka_unit_test(test_codec_hostile_ms_refused),
        cmocka_unit_test(test_intake_stores_ms_times_and_latency),
        cmocka_unit_test(test_batch_bad_alerts_skipped_others_stored),
        cmocka_unit_test(test_batch_refused_alert_falls_back_one_by_one),
        cmocka_unit_test(test_batch_store_failure_records_nothing),
        cmocka_unit_test(test_worker_round_does_not_hide_a_failing_intake),
        cmocka_unit_test(test_source_event_store_failure_is_store_down),
        cmocka_unit_test(test_batch_same_as_one_by_one_inbox),
        cmocka_unit_test(test_batch_same_as_one_by_one_hand_over),
        cmocka_unit_test(test_batch_failure_mid_batch_commits_nothing),
        cmocka_unit_test(test_batch_ticket_of_older_binary),
        cmocka_unit_test(test_batch_bounds),
        cmocka_unit_test(test_batch_silences_asked_once),
        cmocka_unit_test(test_stamp_ms),
        cmocka_unit_test(test_latency_histogram_buckets),
    };
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) { /* delivery_new() needs it */
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
