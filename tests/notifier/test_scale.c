/*
 * Several notifiers on one store (issue #16): outbox claims (outbox_claim(): disjoint claims,
 * the lease, its takeover, the marks that clear it, two threads draining one outbox), the
 * leader lock of the periodic pass (delivery_is_leader(): one holder, handed over when it
 * ends) and the change feed (LISTEN yuqing_changes fed by migration 13's triggers, reconnect
 * after the server ends its session). The PostgreSQL cases run in the -pg run (ctest
 * test_scale-pg); on SQLite the single-notifier behaviour is checked instead.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "change_feed.h"
#include "db_fixture.h"
#include "delivery.h"
#include "notifier_fixture.h"
#include "notifier_metrics.h"
#include "outbox.h"
#include "ticket_store.h"
#include "yq_db.h"
#include "yq_err.h"
#include "yq_banned.h"

#define NOW 1796000000LL /* 2026-11-30, seconds */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Wait (up to 30 s: generous on a busy machine) until *v >= want; returns *v. */
static long long wait_at_least(atomic_llong *v, long long want)
{
    for (int i = 0; i < 3000 && atomic_load(v) < want; i++) {
        sleep_ms(10);
    }
    return atomic_load(v);
}

/* n pending rows due at NOW - 10, keys "k0".."k<n-1>", no ticket. */
static void add_rows(struct ticket_store *store, int n)
{
    for (int i = 0; i < n; i++) {
        char sql[512];
        snprintf(sql, sizeof(sql),
                 "INSERT INTO outbox (idem_key, kind, channel, role, subject, body, "
                 "next_attempt_at, created_at) VALUES ('k%d', 'created', 'hook', 'duty', "
                 "'s%d', 'b%d', %lld, %lld)",
                 i, i, i, NOW - 10, NOW - 10);
        notifier_exec(store, sql);
    }
}

struct two {
    struct notifier_tmp_store t;
    struct ticket_store *a, *b; /* two connections: two notifiers */
};

static void two_open(struct two *w)
{
    char err[256] = "";
    memset(w, 0, sizeof(*w));
    notifier_tmp_store_create(&w->t, "tickets.db");
    assert_int_equal(ticket_store_open(&w->t.cfg, &w->a, err, sizeof(err)), 0);
    assert_int_equal(ticket_store_open(&w->t.cfg, &w->b, err, sizeof(err)), 0);
}

static void two_close(struct two *w)
{
    ticket_store_free(w->a);
    ticket_store_free(w->b);
    notifier_tmp_store_remove(&w->t);
}

static bool has_id(const struct outbox_batch *b, int64_t id)
{
    for (size_t i = 0; i < b->n; i++) {
        if (b->v[i].id == id) {
            return true;
        }
    }
    return false;
}

static void test_sqlite_claim_is_due(void **state)
{
    struct two w;
    struct outbox_batch b1, b2;

    (void)state;
    DB_FIXTURE_SQLITE_ONLY();
    two_open(&w);
    add_rows(w.a, 3);
    assert_int_equal(outbox_claim(w.a, "one", NOW, OUTBOX_CLAIM_LEASE_S, 10, &b1), 0);
    assert_int_equal(b1.n, 3);
    assert_string_equal(b1.v[0].idem_key, "k0");
    /* one notifier per SQLite store: nothing is claimed, the rows stay due */
    assert_int_equal(notifier_count(w.a, "SELECT count(*) FROM outbox WHERE claimed_by IS NULL"),
                     3);
    assert_int_equal(outbox_claim(w.b, "two", NOW, OUTBOX_CLAIM_LEASE_S, 10, &b2), 0);
    assert_int_equal(b2.n, 3);
    assert_int_equal(outbox_unclaim(w.a, b1.v[0].id), 0);
    outbox_batch_release(&b1);
    outbox_batch_release(&b2);
    two_close(&w);
}

static void test_pg_claims_are_disjoint_and_leased(void **state)
{
    struct two w;
    struct outbox_batch b1, b2, b3;

    (void)state;
    if (!db_fixture_pg()) {
        skip();
    }
    two_open(&w);
    add_rows(w.a, 5);
    assert_int_equal(outbox_claim(w.a, "", NOW, OUTBOX_CLAIM_LEASE_S, 10, &b1), ERR_INVALID);
    assert_int_equal(outbox_claim(w.a, "one", NOW, OUTBOX_CLAIM_LEASE_S, 3, &b1), 0);
    assert_int_equal(b1.n, 3);
    assert_string_equal(b1.v[0].idem_key, "k0"); /* oldest first, as outbox_due() */
    assert_string_equal(b1.v[2].idem_key, "k2");
    assert_int_equal(outbox_claim(w.b, "two", NOW, OUTBOX_CLAIM_LEASE_S, 10, &b2), 0);
    assert_int_equal(b2.n, 2);
    for (size_t i = 0; i < b2.n; i++) {
        assert_false(has_id(&b1, b2.v[i].id));
    }
    assert_int_equal(notifier_count(w.a, "SELECT count(*) FROM outbox WHERE claimed_by = 'one' "
                                         "AND claimed_until = 1796000120"),
                     3);
    outbox_batch_release(&b2);
    /* everything is claimed: nothing for either until a lease runs out */
    assert_int_equal(outbox_claim(w.b, "two", NOW + 60, OUTBOX_CLAIM_LEASE_S, 10, &b2), 0);
    assert_int_equal(b2.n, 0);
    outbox_batch_release(&b2);
    /* "one" delivers its first row (claim cleared) and gives its second back */
    assert_int_equal(outbox_mark_delivered(w.a, b1.v[0].id, NOW), 0);
    assert_int_equal(outbox_unclaim(w.a, b1.v[1].id), 0);
    assert_int_equal(notifier_count(w.a, "SELECT count(*) FROM outbox WHERE state = 'delivered' "
                                         "AND claimed_by IS NULL AND claimed_until IS NULL"),
                     1);
    assert_int_equal(outbox_claim(w.b, "two", NOW + 1, OUTBOX_CLAIM_LEASE_S, 10, &b2), 0);
    assert_int_equal(b2.n, 1);
    assert_int_equal(b2.v[0].id, b1.v[1].id);
    outbox_batch_release(&b2);
    /* "one" died holding k2: at the end of its lease "two" takes it over */
    assert_int_equal(outbox_claim(w.b, "two", NOW + OUTBOX_CLAIM_LEASE_S - 1, OUTBOX_CLAIM_LEASE_S,
                                  10, &b3),
                     0);
    assert_int_equal(b3.n, 0);
    outbox_batch_release(&b3);
    assert_int_equal(
        outbox_claim(w.b, "two", NOW + OUTBOX_CLAIM_LEASE_S, OUTBOX_CLAIM_LEASE_S, 10, &b3), 0);
    assert_int_equal(b3.n, 3); /* k2 (one's) and k3, k4 (two's own, expired as well) */
    assert_true(has_id(&b3, b1.v[2].id));
    /* a mark after the lease still records the outcome (at least once, never lost) */
    assert_int_equal(outbox_mark_retry(w.b, b3.v[0].id, NOW + 999, true, 0, "busy"), 0);
    assert_int_equal(outbox_mark_failed(w.b, b3.v[1].id, "refused"), 0);
    assert_int_equal(notifier_count(w.a, "SELECT count(*) FROM outbox WHERE claimed_by IS NULL"),
                     3);
    outbox_batch_release(&b3);
    outbox_batch_release(&b1);
    two_close(&w);
}

/* One drainer: claim one row at a time and mark it, counting what it got, until none is due. */
struct drain {
    struct ticket_store *store;
    const char *owner;
    int64_t got[256];
    size_t n;
    int err;
};

static void *drain(void *arg)
{
    struct drain *d = arg;
    for (;;) {
        struct outbox_batch b;
        int err = outbox_claim(d->store, d->owner, NOW, OUTBOX_CLAIM_LEASE_S, 2, &b);
        if (err || b.n == 0) {
            d->err = err;
            outbox_batch_release(&b);
            return NULL;
        }
        for (size_t i = 0; i < b.n && d->n < 256; i++) {
            d->got[d->n++] = b.v[i].id;
            d->err = d->err ? d->err : outbox_mark_delivered(d->store, b.v[i].id, NOW);
        }
        outbox_batch_release(&b);
    }
}

static void test_pg_two_notifiers_drain_the_outbox_once(void **state)
{
    struct two w;
    struct drain d1 = {0}, d2 = {0};
    pthread_t t1, t2;

    (void)state;
    if (!db_fixture_pg()) {
        skip();
    }
    two_open(&w);
    add_rows(w.a, 120);
    d1.store = w.a;
    d1.owner = "one";
    d2.store = w.b;
    d2.owner = "two";
    assert_int_equal(pthread_create(&t1, NULL, drain, &d1), 0);
    assert_int_equal(pthread_create(&t2, NULL, drain, &d2), 0);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    assert_int_equal(d1.err, 0);
    assert_int_equal(d2.err, 0);
    assert_int_equal(d1.n + d2.n, 120); /* each row taken by exactly one of them */
    for (size_t i = 0; i < d1.n; i++) {
        for (size_t j = 0; j < d2.n; j++) {
            assert_true(d1.got[i] != d2.got[j]);
        }
    }
    assert_int_equal(notifier_count(w.a, "SELECT count(*) FROM outbox WHERE state = 'delivered' "
                                         "AND attempts = 1"),
                     120);
    two_close(&w);
}

static void delivery_cfg(struct notify_cfg *n)
{
    memset(n, 0, sizeof(*n));
    n->quiet_hours = (char *)"";
    n->poll_interval_ms = 50;
    n->escalation_interval_ms = 1000;
    n->retry_initial_ms = 1000;
    n->retry_max_ms = 60000;
    n->batch = 10;
    n->max_response_bytes = 65536;
}

static void test_leader_lock_is_held_once_and_handed_over(void **state)
{
    struct notifier_tmp_store t;
    struct notify_cfg ncfg;
    struct notifier_metrics m1, m2;
    struct delivery *d1, *d2;
    char err[256] = "";

    (void)state;
    memset(&m1, 0, sizeof(m1));
    memset(&m2, 0, sizeof(m2));
    notifier_metrics_init(&m1, 0);
    notifier_metrics_init(&m2, 0);
    delivery_cfg(&ncfg);
    notifier_tmp_store_create(&t, "tickets.db");
    d1 = delivery_new(&ncfg, &t.cfg, NULL, &m1, err, sizeof(err));
    assert_non_null(d1);
    if (!db_fixture_pg()) {
        /* SQLite: one notifier per store, always the leader */
        assert_true(delivery_is_leader(d1));
        assert_int_equal(atomic_load(&m1.leader), 1);
        delivery_free(d1);
        notifier_tmp_store_remove(&t);
        return;
    }
    d2 = delivery_new(&ncfg, &t.cfg, NULL, &m2, err, sizeof(err));
    assert_non_null(d2);
    assert_false(delivery_is_leader(d1)); /* nobody leads before a round */
    assert_string_not_equal(delivery_owner(d1), delivery_owner(d2));
    delivery_run_once(d1, NULL);
    delivery_run_once(d2, NULL);
    assert_true(delivery_is_leader(d1));
    assert_false(delivery_is_leader(d2));
    delivery_run_once(d1, NULL);
    delivery_run_once(d2, NULL);
    assert_true(delivery_is_leader(d1)); /* kept, and still not shared */
    assert_false(delivery_is_leader(d2));
    assert_int_equal(atomic_load(&m1.leader), 1);
    assert_int_equal(atomic_load(&m2.leader), 0);
    delivery_free(d1); /* its session ends: the server releases the lock as it exits */
    for (int i = 0; i < 3000 && !delivery_is_leader(d2); i++) {
        delivery_run_once(d2, NULL); /* the next rounds take it (no time asserted) */
        if (!delivery_is_leader(d2)) {
            sleep_ms(10);
        }
    }
    assert_true(delivery_is_leader(d2));
    assert_int_equal(atomic_load(&m2.leader), 1);
    delivery_free(d2);
    notifier_tmp_store_remove(&t);
}

struct feed_seen {
    atomic_llong changes, ticket_log, lives, deaths;
};

static void on_change(void *ctx, const char *payload)
{
    struct feed_seen *s = ctx;
    atomic_fetch_add(&s->changes, 1);
    if (strstr(payload, "\"table\":\"ticket_log\"")) {
        atomic_fetch_add(&s->ticket_log, 1);
    }
}

static void on_live(void *ctx, bool live)
{
    struct feed_seen *s = ctx;
    atomic_fetch_add(live ? &s->lives : &s->deaths, 1);
}

static void test_change_feed_refuses_sqlite(void **state)
{
    struct change_feed *f = NULL;
    struct feed_seen seen = {0};
    struct change_feed_hooks hooks = {on_change, on_live, &seen};

    (void)state;
    assert_int_equal(change_feed_start(":memory:", &hooks, &f), ERR_INVALID);
    assert_null(f);
    assert_int_equal(change_feed_start("/tmp/x.db", &hooks, &f), ERR_INVALID);
    change_feed_stop(NULL);
}

static void test_pg_change_feed_hears_other_connections_and_reconnects(void **state)
{
    struct notifier_tmp_store t;
    struct ticket_store *store = NULL;
    struct change_feed *f = NULL;
    struct feed_seen seen = {0};
    struct change_feed_hooks hooks = {on_change, on_live, &seen};
    char err[256] = "";
    long long base;

    (void)state;
    if (!db_fixture_pg()) {
        skip();
    }
    notifier_tmp_store_create(&t, "tickets.db");
    assert_int_equal(ticket_store_open(&t.cfg, &store, err, sizeof(err)), 0);
    assert_int_equal(change_feed_start(t.path, &hooks, &f), 0);
    assert_int_equal(wait_at_least(&seen.lives, 1), 1);
    assert_true(change_feed_live(f));
    base = wait_at_least(&seen.changes, 1); /* the wake-up after (re)connecting */
    notifier_exec(store, "INSERT INTO tickets (number, event_key, title, level, detected_at, "
                         "ack_deadline, response_deadline, created_at, updated_at) VALUES "
                         "('YQ-1', 'ev:1', 't', 'III', 1, 2, 3, 1, 1)");
    assert_int_equal(atomic_load(&seen.ticket_log), 0); /* tickets alone notify nothing */
    /* one transaction appending three log rows in one statement: told at its commit */
    notifier_exec(store, "BEGIN");
    notifier_exec(store, "INSERT INTO ticket_log (ticket_id, at, actor, action) SELECT id, 1, 'a', "
                         "'created' FROM tickets UNION ALL SELECT id, 2, 'a', 'note' FROM tickets "
                         "UNION ALL SELECT id, 3, 'a', 'note' FROM tickets");
    sleep_ms(100);
    assert_int_equal(atomic_load(&seen.ticket_log), 0); /* nothing before the commit */
    notifier_exec(store, "COMMIT");
    assert_true(wait_at_least(&seen.ticket_log, 1) >= 1);
    assert_true(atomic_load(&seen.changes) > base);
    assert_int_equal(change_feed_count(f), atomic_load(&seen.changes) - 1);
    /* hostile payloads from anyone are only a wake-up */
    base = atomic_load(&seen.changes); /* read before the NOTIFY: it may be heard at once */
    assert_int_equal(yq_db_notify(ticket_store_db(store), CHANGE_FEED_CHANNEL, "\x01{not json"),
                     0);
    assert_true(wait_at_least(&seen.changes, base + 1) >= base + 1);
    /* another store (schema) of the same database: not ours, not even a wake-up; NOTIFYs of
       one sender arrive in order, so the wake-up after it proves it was read and dropped */
    base = atomic_load(&seen.changes);
    {
        long long log_before = atomic_load(&seen.ticket_log);
        assert_int_equal(yq_db_notify(ticket_store_db(store), CHANGE_FEED_CHANNEL,
                                      "{\"table\":\"ticket_log\",\"schema\":\"not_this_store\"}"),
                         0);
        assert_int_equal(yq_db_notify(ticket_store_db(store), CHANGE_FEED_CHANNEL, "wake"), 0);
        assert_true(wait_at_least(&seen.changes, base + 1) >= base + 1);
        assert_int_equal(atomic_load(&seen.changes), base + 1);
        assert_int_equal(atomic_load(&seen.ticket_log), log_before);
    }
    /* the server ends the feed's session: it reconnects, LISTENs again and hears the next */
    notifier_exec(store, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE query = 'LISTEN yuqing_changes' AND pid <> pg_backend_pid()");
    assert_int_equal(wait_at_least(&seen.deaths, 1), 1);
    assert_int_equal(wait_at_least(&seen.lives, 2), 2);
    base = atomic_load(&seen.ticket_log);
    notifier_exec(store, "INSERT INTO ticket_log (ticket_id, at, actor, action) SELECT id, 4, 'a', "
                         "'note' FROM tickets");
    assert_true(wait_at_least(&seen.ticket_log, base + 1) >= base + 1);
    change_feed_stop(f);
    ticket_store_free(store);
    notifier_tmp_store_remove(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlite_claim_is_due),
        cmocka_unit_test(test_pg_claims_are_disjoint_and_leased),
        cmocka_unit_test(test_pg_two_notifiers_drain_the_outbox_once),
        cmocka_unit_test(test_leader_lock_is_held_once_and_handed_over),
        cmocka_unit_test(test_change_feed_refuses_sqlite),
        cmocka_unit_test(test_pg_change_feed_hears_other_connections_and_reconnects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
