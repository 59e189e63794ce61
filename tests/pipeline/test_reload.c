/*
 * Hot reload under load, with a real redis-server and librdkafka's mock cluster: items
 * stream while a new rule set is pushed, Redis is stopped and restarted (a notification
 * may be missed meanwhile), and an invalid set is pushed. Every item must get exactly one
 * alert, and every item produced after the matcher reported a version must carry it (no
 * stale set after the catch-up). Also: start-up from the on-disk copy with Redis
 * unreachable. Skips when redis-server is absent.
 * Waits are for events (a version in use, a state on /metrics) with a generous hang guard;
 * nothing asserts how long they took (issue #10: CI runs on a loaded machine).
 */
#include <pthread.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "matcher.h"
#include "matcher_internal.h"
#include "redis_fixture.h"
#include "pipeline_fixture.h"
#include "test_http.h"
#include "rules.h"
#include "rules_store.h"
#include "yq_alert.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

#define N_ITEMS 80
#define HANG_GUARD_MS PIPELINE_HANG_GUARD_MS

static int64_t push_rules(struct yq_redis *r, const char *rule_id)
{
    char yaml[256];

    snprintf(yaml, sizeof(yaml),
             "rules:\n  - {id: %s, name: 事件, department: 市应急管理局, expr: 事件}\n", rule_id);
    /* a connection broken by a Redis restart fails once; the next attempt reconnects */
    return pipeline_push_rules(r, yaml, 3);
}

static void produce_item(rd_kafka_t *p, int seq)
{
    char id[32], url[32], title[32];

    snprintf(id, sizeof(id), "rss:%04d", seq);
    snprintf(url, sizeof(url), "http://x/%d", seq);
    snprintf(title, sizeof(title), "事件%d", seq);
    pipeline_produce_item(p, "yuqing.items", id, url, title);
    rd_kafka_poll(p, 0);
}

/* The config of both tests: reload checks every 100 ms, batches of 10, and extra. */
static void load_cfg(struct matcher_cfg *cfg, const struct pipeline_cluster *cl, int redis_port,
                     const char *cache, const char *extra)
{
    const char *sets[] = {"matcher.reload_check_ms=100", "matcher.batch_size=10", extra};

    pipeline_cfg_load(cfg, pipeline_cluster_bootstraps(cl), redis_port, cache, sets, 3);
}

struct seen {
    int count[N_ITEMS];
    int64_t version[N_ITEMS];
    char via[N_ITEMS][16];
    bool unverified[N_ITEMS];
    int64_t checked_at[N_ITEMS];
    int total;
};

/* Read alerts until want distinct items were seen or timeout_ms passed. */
static void read_alerts(rd_kafka_t *c, struct seen *s, int want, int64_t timeout_ms)
{
    int64_t end = yq_time_mono_ms() + timeout_ms;
    int distinct = 0;

    for (int i = 0; i < N_ITEMS; i++) {
        distinct += s->count[i] > 0;
    }
    while (distinct < want && yq_time_mono_ms() < end) {
        struct yq_alert a;
        int seq;

        if (pipeline_read_alerts(c, 1, end - yq_time_mono_ms(), &a, NULL) != 1) {
            continue;
        }
        assert_int_equal(sscanf(a.item.id, "rss:%d", &seq), 1);
        assert_true(seq >= 0 && seq < N_ITEMS);
        distinct += s->count[seq] == 0;
        s->count[seq]++;
        s->version[seq] = a.rules_version;
        s->unverified[seq] = a.rules_unverified;
        s->checked_at[seq] = a.rules_checked_at;
        snprintf(s->via[seq], sizeof(s->via[seq]), "%s", a.event_via ? a.event_via : "");
        s->total++;
        yq_alert_release(&a);
    }
}

/* What the tests with a real Redis share: Redis, the cluster, a matcher running, a producer. */
struct reload_env {
    struct redis_fixture fx;
    struct pipeline_cluster cl;
    struct matcher_cfg cfg;
    struct yq_redis *r; /* the tests' own connection, for pushes */
    struct pipeline_run run;
    rd_kafka_t *p;
    char cache[128];
    int port; /* the matcher's /metrics */
};

/*
 * Redis, a 2-partition cluster, first_rule pushed as version 1 and a matcher using it (a
 * Redis outage holds its alerts back: no fallback within a test). false: no redis-server.
 */
static bool reload_env_start(struct reload_env *e, const char *name, const char *first_rule)
{
    char err[512] = "";

    if (redis_fixture_start(&e->fx) != 0) {
        return false;
    }
    pipeline_cluster_start(&e->cl, 2);
    snprintf(e->cache, sizeof(e->cache), "/tmp/yq-test-%s-%d.json", name, (int)getpid());
    load_cfg(&e->cfg, &e->cl, e->fx.port, e->cache, "matcher.event_wait_ms=60000");
    e->r = yq_redis_new(&e->cfg.redis);
    assert_int_equal(push_rules(e->r, first_rule), 1);
    e->p = yq_kafka_producer_new(&e->cfg.kafka, NULL, NULL, err, sizeof(err));
    assert_non_null(e->p);
    e->port = pipeline_run_start(&e->run, &e->cfg);
    assert_true(pipeline_wait_version(e->run.m, 1));
    return true;
}

/* Everything reload_env_start() made but the run, which the test stops itself. */
static void reload_env_stop(struct reload_env *e)
{
    rd_kafka_destroy(e->p);
    yq_redis_free(e->r);
    matcher_cfg_release(&e->cfg);
    pipeline_cluster_stop(&e->cl);
    redis_fixture_stop(&e->fx);
    unlink(e->cache);
}

static void test_reload_during_stream_and_redis_outage(void **state)
{
    static struct reload_env e;
    struct matcher_cfg rcfg;
    rd_kafka_t *c;
    static struct seen s;
    int seq = 0, mark2, mark3, status;
    int64_t v;
    static char body[65536];

    (void)state;
    if (!reload_env_start(&e, "reload", "r1")) {
        skip();
    }

    /* 1. push v2 in the middle of a stream: the next items use it (how fast is bench's job) */
    for (; seq < 20; seq++) {
        produce_item(e.p, seq);
        pipeline_sleep_ms(10);
    }
    v = push_rules(e.r, "r2");
    assert_int_equal(v, 2);
    assert_true(pipeline_wait_version(e.run.m, 2));
    mark2 = seq;
    for (; seq < 40; seq++) {
        produce_item(e.p, seq);
        pipeline_sleep_ms(10);
    }

    /* 2. Redis stops: the matcher keeps its set; items produced now are held, not lost */
    assert_int_equal(redis_fixture_save(&e.fx), 0);
    redis_fixture_stop(&e.fx);
    for (; seq < 60; seq++) {
        produce_item(e.p, seq);
        pipeline_sleep_ms(10);
    }
    assert_int_equal(yq_kafka_flush(e.p, HANG_GUARD_MS), 0);
    {
        /* the matcher saw Redis down and held a batch back (an event, not a time) */
        static const char retries[] = "\nyuqing_matcher_errors_total{kind=\"batch_retry\"} ";
        int64_t end = yq_time_mono_ms() + HANG_GUARD_MS;
        long long n = 0;
        while (n < 1 && yq_time_mono_ms() < end) {
            const char *line;
            pipeline_sleep_ms(50);
            if (test_http_get(e.port, "/metrics", &status, body, sizeof(body)) == 0 &&
                (line = strstr(body, retries)) != NULL) {
                n = strtoll(line + sizeof(retries) - 1, NULL, 10);
            }
        }
        assert_true(n >= 1);
        assert_non_null(strstr(body, "yuqing_matcher_dependency_up{dependency=\"redis\"} 0\n"));
    }
    assert_int_equal(matcher_rules_version(e.run.m), 2);

    /* 3. Redis back; v3 pushed at once (the matcher may miss the notification) */
    assert_int_equal(redis_fixture_restart(&e.fx), 0);
    v = push_rules(e.r, "r3");
    assert_int_equal(v, 3);
    assert_true(pipeline_wait_version(e.run.m, 3));
    mark3 = seq;

    /* 4. an invalid set: kept at v3 */
    redisReply *reply = yq_redis_command(e.r, "SET yuqing:rules:4 {broken");
    assert_non_null(reply);
    freeReplyObject(reply);
    reply = yq_redis_command(e.r, "SET yuqing:rules:current 4");
    freeReplyObject(reply);
    reply = yq_redis_command(e.r, "PUBLISH yuqing:rules:changed 4");
    freeReplyObject(reply);
    for (; seq < N_ITEMS; seq++) {
        produce_item(e.p, seq);
        pipeline_sleep_ms(5);
    }
    assert_int_equal(yq_kafka_flush(e.p, HANG_GUARD_MS), 0);
    {
        /* once the matcher rejected version 4, it still uses version 3 */
        const char *rejected[] = {"yuqing_matcher_rules_rejected_total 1\n"};
        pipeline_http_wait(e.port, "/metrics", rejected, 1, HANG_GUARD_MS, &status, body,
                           sizeof(body));
    }
    assert_int_equal(matcher_rules_version(e.run.m), 3);

    /* every item exactly once, versions as required */
    c = pipeline_reader_new(pipeline_cluster_bootstraps(&e.cl), "test-reader", &rcfg);
    read_alerts(c, &s, N_ITEMS, HANG_GUARD_MS);
    for (int i = 0; i < N_ITEMS; i++) {
        if (s.count[i] != 1) {
            fail_msg("item %d got %d alerts", i, s.count[i]);
        }
        if (i >= mark2 && s.version[i] < 2) {
            fail_msg("item %d (after v2 was in use) matched by version %lld", i,
                     (long long)s.version[i]);
        }
        if (i >= mark3 && s.version[i] != 3) {
            fail_msg("item %d (after the catch-up) matched by version %lld", i,
                     (long long)s.version[i]);
        }
        assert_true(s.version[i] >= 1 && s.version[i] <= 3);
        assert_string_equal(s.via[i], "new");
    }
    assert_int_equal(s.total, N_ITEMS);

    assert_int_equal(pipeline_run_stop(&e.run), 0);
    /* stopped and flushed: the alerts topic holds exactly one message per item (no duplicate) */
    {
        int64_t lo = 0, hi = 0, total = 0;
        for (int32_t part = 0; part < 2; part++) {
            assert_int_equal(rd_kafka_query_watermark_offsets(c, "yuqing.alerts", part, &lo,
                                                              &hi, HANG_GUARD_MS),
                             0);
            total += hi - lo;
        }
        assert_int_equal(total, N_ITEMS);
    }
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    matcher_cfg_release(&rcfg);
    reload_env_stop(&e);
}

/* The rule id of the next alert (hang guard), or "" when none came. */
static void next_alert_rule(rd_kafka_t *c, char *out, size_t outlen)
{
    struct yq_alert a;

    out[0] = '\0';
    if (pipeline_read_alerts(c, 1, HANG_GUARD_MS, &a, NULL) == 1) {
        assert_true(a.n_matches >= 1);
        snprintf(out, outlen, "%s", a.matches[0].rule_id);
        yq_alert_release(&a);
    }
}

/*
 * Redis restarted without its data (no persistence, a failover to an empty replica): the
 * numbering of pushed sets starts again at 1. A set pushed then as version 1 differs from
 * the version 1 the matcher holds; it must be loaded, not taken for the set in use (the
 * matcher used to keep matching with the lost set while reporting version 1 as verified).
 */
static void test_ops_redis_lost_data_version_number_reused(void **state)
{
    static struct reload_env e;
    struct matcher_cfg rcfg;
    rd_kafka_t *c;
    char rule[64];
    int seq = 0;

    (void)state;
    if (!reload_env_start(&e, "reload-lost", "old")) {
        skip();
    }
    c = pipeline_reader_new(pipeline_cluster_bootstraps(&e.cl), "test-reader3", &rcfg);
    produce_item(e.p, seq++);
    assert_int_equal(yq_kafka_flush(e.p, HANG_GUARD_MS), 0);
    next_alert_rule(c, rule, sizeof(rule));
    assert_string_equal(rule, "old");

    /* Redis comes back empty (never saved); the operator pushes the new set: version 1 again */
    redis_fixture_stop(&e.fx);
    assert_int_equal(redis_fixture_restart(&e.fx), 0);
    assert_int_equal(push_rules(e.r, "new"), 1);

    /* items go on; within the hang guard the new set matches them (an event, not a time) */
    for (int64_t end = yq_time_mono_ms() + HANG_GUARD_MS;
         strcmp(rule, "new") != 0 && yq_time_mono_ms() < end && seq < N_ITEMS;) {
        produce_item(e.p, seq++);
        assert_int_equal(yq_kafka_flush(e.p, HANG_GUARD_MS), 0);
        next_alert_rule(c, rule, sizeof(rule));
        assert_true(strcmp(rule, "old") == 0 || strcmp(rule, "new") == 0);
        pipeline_sleep_ms(100);
    }
    assert_string_equal(rule, "new");
    assert_int_equal(matcher_rules_version(e.run.m), 1);

    assert_int_equal(pipeline_run_stop(&e.run), 0);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    matcher_cfg_release(&rcfg);
    reload_env_stop(&e);
}

/* A command on the tests' own connection that must succeed (FLUSHALL, SET, DEL). */
static void redis_ok(struct yq_redis *r, const char *cmd)
{
    redisReply *reply = yq_redis_command(r, cmd);

    assert_non_null(reply);
    assert_int_not_equal(reply->type, REDIS_REPLY_ERROR);
    freeReplyObject(reply);
}

/*
 * The matcher's reload step at the next due time of a virtual clock (*t, advanced past
 * reload_check_ms), then again for every load it started until the loader is idle: the set
 * Redis names is in use (or rejected) on return. Nothing here depends on real time.
 */
static void reload_step(struct matcher *m, int64_t *t)
{
    *t += 1000;
    matcher_rules_check(m, *t, false);
    while (rules_loader_pending(m->loader) != 0) {
        rules_loader_wait(m->loader);
        matcher_rules_check(m, *t, false);
    }
}

/*
 * n_steps reload steps (reload_step()), after each of which the matcher uses exactly version
 * v with rule rule_id, confirmed, and has started n_loads loads in all.
 */
static void steps_in_use(struct matcher *m, int64_t *t, int n_steps, int64_t v, const char *rule_id,
                         uint64_t n_loads)
{
    for (int i = 0; i < n_steps; i++) {
        reload_step(m, t);
        assert_non_null(m->rules);
        assert_int_equal(matcher_rules_version(m), v);
        assert_int_equal(m->rules->n_rules, 1);
        assert_string_equal(m->rules->rules[0].id, rule_id);
        assert_true(m->rules_confirmed);
        assert_int_equal(m->n_rules_loads, n_loads);
    }
}

/*
 * What the stepped tests share: Redis, a 1-partition cluster, the config (reload checks on a
 * virtual clock), the tests' own connection. The matcher is the test's own.
 */
struct step_env {
    struct redis_fixture fx;
    struct pipeline_cluster cl;
    struct matcher_cfg cfg;
    struct yq_redis *r;
    char cache[128];
};

/* Start e (cache file named after name); false: no redis-server (the test skips). */
static bool step_env_start(struct step_env *e, const char *name)
{
    if (redis_fixture_start(&e->fx) != 0) {
        return false;
    }
    pipeline_cluster_start(&e->cl, 1);
    snprintf(e->cache, sizeof(e->cache), "/tmp/yq-test-reload-%s-%d.json", name, (int)getpid());
    load_cfg(&e->cfg, &e->cl, e->fx.port, e->cache, "matcher.event_wait_ms=60000");
    e->r = yq_redis_new(&e->cfg.redis);
    return true;
}

static void step_env_stop(struct step_env *e)
{
    yq_redis_free(e->r);
    matcher_cfg_release(&e->cfg);
    pipeline_cluster_stop(&e->cl);
    redis_fixture_stop(&e->fx);
    unlink(e->cache);
}

/*
 * FLUSHALL (or a failover to an empty replica, an old RDB restored) with the connections
 * kept, then pushes that reach the number in use before the matcher's next check: the same
 * yuqing:rules:current names another set. Its epoch differs, so the matcher loads it (it
 * used to keep the lost set and report it verified). The loader runs once per real change
 * and never when nothing changed; a store written before epochs existed (no epoch key)
 * works and causes no reload loop; a rejected set's number reused for a good set is loaded.
 */
static void test_ops_flushall_same_version_new_epoch(void **state)
{
    static struct step_env e;
    struct yq_redis *r;
    struct matcher *m;
    struct rules_pointer p1, p2;
    char err[512] = "";
    int64_t t = 1000000;

    (void)state;
    if (!step_env_start(&e, "epoch")) {
        skip();
    }
    r = e.r;

    /* a store from before epochs: version 1, no yuqing:rules:epoch */
    assert_int_equal(push_rules(r, "pre"), 1);
    redis_ok(r, "DEL " RULES_KEY_EPOCH);
    assert_int_equal(rules_store_pointer(r, &p1), 0);
    assert_int_equal(p1.version, 1);
    assert_string_equal(p1.epoch, "");
    m = matcher_new(&e.cfg, err, sizeof(err));
    assert_non_null(m);
    steps_in_use(m, &t, 4, 1, "pre", 1); /* "no epoch" is an epoch like any other: no reload */

    /* a push by the new code: a random epoch of RULES_EPOCH_BYTES in hex, loaded once */
    assert_int_equal(push_rules(r, "old"), 2);
    assert_int_equal(rules_store_pointer(r, &p1), 0);
    assert_int_equal(p1.version, 2);
    assert_int_equal(strlen(p1.epoch), 2 * RULES_EPOCH_BYTES);
    steps_in_use(m, &t, 2, 2, "old", 2);

    /* FLUSHALL, two pushes before the next check: version 2 again, another set and epoch */
    redis_ok(r, "FLUSHALL");
    assert_int_equal(push_rules(r, "mid"), 1);
    assert_int_equal(push_rules(r, "new"), 2);
    assert_int_equal(rules_store_pointer(r, &p2), 0);
    assert_int_equal(p2.version, 2);
    assert_false(rules_pointer_equal(&p1, &p2));
    steps_in_use(m, &t, 2, 2, "new", 3);

    /* version 3 rejected (kept at 2, confirmed); after FLUSHALL a good version 3 is loaded */
    redis_ok(r, "SET " RULES_KEY_PREFIX "3 {broken");
    redis_ok(r, "SET " RULES_KEY_CURRENT " 3");
    reload_step(m, &t); /* loads version 3 and rejects it */
    assert_int_equal(m->n_rules_rejected, 1);
    assert_int_equal(m->n_rules_loads, 4);
    steps_in_use(m, &t, 2, 2, "new", 4); /* 2 confirmed, 3 not loaded again */
    redis_ok(r, "FLUSHALL");
    assert_int_equal(push_rules(r, "a"), 1);
    assert_int_equal(push_rules(r, "b"), 2);
    assert_int_equal(push_rules(r, "good"), 3);
    steps_in_use(m, &t, 2, 3, "good", 5);
    assert_int_equal(m->n_rules_rejected, 1);

    matcher_free(m);
    step_env_stop(&e);
}

/*
 * A rollback: the operator points yuqing:rules:current back at an older version (same epoch,
 * a lower number). The matcher loads the older set: "a new version" is any other pair, not a
 * higher number. An invalid set pushed then is rejected with the rolled-back set kept (and
 * confirmed), and pointing forward again loads the newer set once.
 */
static void test_ops_rollback_to_older_version(void **state)
{
    static struct step_env e;
    struct yq_redis *r;
    struct matcher *m;
    char err[512] = "";
    int64_t t = 1000000;

    (void)state;
    if (!step_env_start(&e, "rollback")) {
        skip();
    }
    r = e.r;
    assert_int_equal(push_rules(r, "one"), 1);
    m = matcher_new(&e.cfg, err, sizeof(err));
    assert_non_null(m);
    steps_in_use(m, &t, 1, 1, "one", 1);
    assert_int_equal(push_rules(r, "two"), 2);
    steps_in_use(m, &t, 2, 2, "two", 2);

    redis_ok(r, "SET " RULES_KEY_CURRENT " 1"); /* roll back */
    steps_in_use(m, &t, 2, 1, "one", 3);

    redis_ok(r, "SET " RULES_KEY_PREFIX "3 {broken");
    redis_ok(r, "SET " RULES_KEY_CURRENT " 3");
    reload_step(m, &t);
    assert_int_equal(m->n_rules_rejected, 1);
    steps_in_use(m, &t, 2, 1, "one", 4); /* kept, confirmed, 3 not loaded again */

    redis_ok(r, "SET " RULES_KEY_CURRENT " 2"); /* forward again */
    steps_in_use(m, &t, 2, 2, "two", 5);

    matcher_free(m);
    step_env_stop(&e);
}

/* Redis unreachable at start-up: the on-disk copy is used, and alerts still flow. */
static void test_start_from_cache_without_redis(void **state)
{
    struct pipeline_cluster cl;
    struct matcher_cfg cfg, rcfg;
    struct pipeline_run run;
    struct rule_set *rs = rule_set_new();
    rd_kafka_t *p, *c;
    char err[512] = "", cache[128];
    static const char yaml[] = "rules:\n  - {id: c1, name: n, department: d, expr: 事件}\n";
    static struct seen s;
    int dead_port = redis_fixture_free_port();

    (void)state;
    if (access(REDIS_FIXTURE_BIN, X_OK) != 0) {
        skip(); /* keeps the suite's behaviour uniform with the Redis tests */
    }
    pipeline_cluster_start(&cl, 2);
    snprintf(cache, sizeof(cache), "/tmp/yq-test-reload-cache-%d.json", (int)getpid());
    assert_int_equal(rule_set_add_yaml(rs, "c.yaml", yaml, strlen(yaml), err, sizeof(err)), 0);
    assert_int_equal(rule_set_compile(rs, err, sizeof(err)), 0);
    rs->version = 7;
    assert_int_equal(rules_cache_save(cache, rs), 0);
    rule_set_free(rs);

    load_cfg(&cfg, &cl, dead_port, cache, "matcher.event_wait_ms=200");
    pipeline_run_start(&run, &cfg);
    assert_true(pipeline_wait_version(run.m, 7));
    p = yq_kafka_producer_new(&cfg.kafka, NULL, NULL, err, sizeof(err));
    produce_item(p, 0);
    produce_item(p, 1);
    assert_int_equal(yq_kafka_flush(p, HANG_GUARD_MS), 0);

    c = pipeline_reader_new(pipeline_cluster_bootstraps(&cl), "test-reader2", &rcfg);
    read_alerts(c, &s, 2, HANG_GUARD_MS);
    assert_int_equal(s.count[0], 1);
    assert_int_equal(s.count[1], 1);
    assert_int_equal(s.version[0], 7);
    assert_string_equal(s.via[0], "own"); /* no Redis: the item's own event */
    /* issue #10: matched on the cached set, never confirmed with Redis */
    assert_true(s.unverified[0] && s.unverified[1]);
    assert_int_equal(s.checked_at[0], 0);

    pipeline_run_stop(&run);
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    rd_kafka_destroy(p);
    matcher_cfg_release(&cfg);
    matcher_cfg_release(&rcfg);
    pipeline_cluster_stop(&cl);
    unlink(cache);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reload_during_stream_and_redis_outage),
        cmocka_unit_test(test_start_from_cache_without_redis),
        cmocka_unit_test(test_ops_redis_lost_data_version_number_reused),
        cmocka_unit_test(test_ops_flushall_same_version_new_epoch),
        cmocka_unit_test(test_ops_rollback_to_older_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
