/*
 * The collector's seen checks per document (issue #16): the in-process cache of ids known
 * seen (seen_cache.h), the pipelined check (store_seen_many()) and marks (store_mark_many()),
 * and ingest_feed() over them against a loopback redis-server and librdkafka's mock cluster.
 * The guarantees: an entry is produced once (across polls, a restart and a second collector),
 * Redis's answers go to the right entries, Redis down defers only what it must and loses
 * nothing. Redis calls are counted with INFO commandstats (counts, never durations); delivery
 * is awaited with a 60 s hang guard only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector_cfg.h"
#include "collector_fixture.h"
#include "collector_stack_fixture.h"
#include "feed_parse.h"
#include "ingest.h"
#include "item_producer.h"
#include "redis_fixture.h"
#include "seen_cache.h"
#include "store.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

/* ---- the cache alone ----------------------------------------------------------------- */

static void test_cache_hit_and_miss(void **state)
{
    struct seen_cache *c = seen_cache_new(4);

    (void)state;
    assert_non_null(c);
    assert_false(seen_cache_has(c, "a"));
    assert_int_equal(seen_cache_add(c, "a"), 0);
    assert_int_equal(seen_cache_add(c, "a"), 0); /* again: no-op */
    assert_true(seen_cache_has(c, "a"));
    assert_false(seen_cache_has(c, "b"));
    assert_int_equal(seen_cache_count(c), 1);
    assert_false(seen_cache_has(NULL, "a"));
    assert_int_equal(seen_cache_add(NULL, "a"), 0);
    seen_cache_free(c);
    seen_cache_free(NULL);
}

/* Full generations turn: ids not looked at for two generations go, ids in use stay. */
static void test_cache_eviction_keeps_ids_in_use(void **state)
{
    struct seen_cache *c = seen_cache_new(3);
    char id[16];

    (void)state;
    assert_non_null(c);
    for (int i = 0; i < 3; i++) {
        snprintf(id, sizeof(id), "old-%d", i);
        assert_int_equal(seen_cache_add(c, id), 0);
    }
    assert_int_equal(seen_cache_add(c, "keep"), 0); /* the 4th: the generation turns */
    assert_int_equal(seen_cache_turns(c), 1);
    assert_true(seen_cache_has(c, "old-0")); /* in the old generation: copied forward */
    for (int i = 0; i < 3; i++) {             /* fill and turn again */
        snprintf(id, sizeof(id), "new-%d", i);
        assert_int_equal(seen_cache_add(c, id), 0);
    }
    assert_int_equal(seen_cache_turns(c), 2);
    assert_true(seen_cache_has(c, "old-0")); /* was looked at: kept */
    assert_false(seen_cache_has(c, "old-1")); /* was not: gone */
    assert_false(seen_cache_has(c, "old-2"));
    assert_true(seen_cache_has(c, "new-2"));
    assert_true(seen_cache_count(c) <= 6); /* two generations of 3 at most */
    seen_cache_free(c);
}

/* A generation of 1000 distinct ids (many probe collisions): every one is found. */
static void test_cache_many_ids(void **state)
{
    struct seen_cache *c = seen_cache_new(1000);
    char id[48];

    (void)state;
    assert_non_null(c);
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof(id), "%040d", i);
        assert_int_equal(seen_cache_add(c, id), 0);
    }
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof(id), "%040d", i);
        assert_true(seen_cache_has(c, id));
    }
    snprintf(id, sizeof(id), "%040d", 1000);
    assert_false(seen_cache_has(c, id));
    assert_int_equal(seen_cache_turns(c), 0);
    seen_cache_free(c);
}

/* ---- against Redis and Kafka --------------------------------------------------------- */

/* The group's services (collector_stack_fixture.h): source feed; and the seen cache. */
struct fixture {
    struct cfx_ingest in;
    struct seen_cache *cache;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (!fx) {
        return -1;
    }
    *state = fx;
    cfx_ingest_setup(&fx->in, "  - id: feed\n    url: http://127.0.0.1:1/feed.xml\n");
    if (!fx->in.redis.pid) {
        return 0; /* the test skips */
    }
    assert_int_equal(fx->in.cfg.collector.seen_cache_ids, 4096); /* the default */
    fx->cache = seen_cache_new((size_t)fx->in.cfg.collector.seen_cache_ids);
    assert_non_null(fx->cache);
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    seen_cache_free(fx->cache);
    cfx_ingest_teardown(&fx->in);
    free(fx);
    return 0;
}

/* One command on the fixture's Redis: its integer answer or -1 (cfx_redis_int()). */
static long long redis_int(const struct fixture *fx, const char *fmt, const char *arg)
{
    redisContext *c = cfx_redis_connect(fx->in.redis.port);
    long long v;

    assert_non_null(c);
    v = cfx_redis_int(c, fmt, arg);
    redisFree(c);
    return v;
}

/* Calls of command (lower case) so far on the fixture's Redis (cfx_redis_calls()). */
static long long redis_calls(const struct fixture *fx, const char *command)
{
    redisContext *c = cfx_redis_connect(fx->in.redis.port);
    long long v;

    assert_non_null(c);
    v = cfx_redis_calls(c, command);
    redisFree(c);
    assert_true(v >= 0);
    return v;
}

/* An RSS document of entries first .. first + n - 1 (guid g<k>). */
static char *feed_doc(int first, int n)
{
    size_t cap = 256 + (size_t)n * 160, len;
    char *doc = malloc(cap);

    assert_non_null(doc);
    len = (size_t)snprintf(doc, cap, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                                     "<rss version=\"2.0\"><channel><title>t</title>");
    for (int k = first; k < first + n; k++) {
        len += (size_t)snprintf(doc + len, cap - len,
                                "<item><guid>g%d</guid><title>条目 %d</title>"
                                "<link>http://e.example/%d</link></item>",
                                k, k, k);
    }
    snprintf(doc + len, cap - len, "</channel></rss>");
    return doc;
}

/* Parse and ingest doc as the fixture's source with store, prod and cache (may be NULL). */
static int ingest_with(struct fixture *fx, struct store *store, struct item_producer *prod,
                       struct seen_cache *cache, const char *doc, struct ingest_result *res)
{
    struct feed_input in = {.body = doc, .len = strlen(doc)};
    struct ingest_ctx ctx = {.src = &fx->in.cfg.sources[0], .fetched_at = yq_time_now(),
                             .max_text_bytes = 1 << 20, .store = store, .producer = prod,
                             .crawled = true, .seen = cache};
    struct feed *f = NULL;
    char ferr[256] = "";
    int err;

    assert_int_equal(feed_parse(&in, &f, ferr, sizeof(ferr)), 0);
    err = ingest_feed(f, &ctx, res);
    feed_free(f);
    return err;
}

static int ingest(struct fixture *fx, const char *doc, struct ingest_result *res)
{
    return ingest_with(fx, fx->in.store, fx->in.prod, fx->cache, doc, res);
}

/* Answers go to their own ids, across several MGETs in one pipeline. */
static void test_seen_many_matches_answers_to_ids(void **state)
{
    struct fixture *fx = *state;
    enum { N = STORE_SEEN_BATCH_MAX * 2 + 7 };
    static char names[N][16];
    const char *ids[N];
    enum store_seen_answer out[N];
    long long mget0;

    REDIS_FIXTURE_NEED(&fx->in.redis);
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "id-%d", i);
        ids[i] = names[i];
        if (i % 3 == 0) {
            assert_int_equal(store_mark_seen(fx->in.store, names[i]), 0);
        }
    }
    mget0 = redis_calls(fx, "mget");
    assert_int_equal(store_seen_many(fx->in.store, ids, N, out), 0);
    assert_int_equal(redis_calls(fx, "mget") - mget0, 3); /* 256 + 256 + 7 */
    for (int i = 0; i < N; i++) {
        assert_int_equal(out[i], i % 3 == 0 ? STORE_SEEN_YES : STORE_SEEN_NO);
    }
    assert_int_equal(store_seen_many(fx->in.store, ids, 0, out), 0);
    /* Redis gone: every answer unknown, never a guess */
    redis_fixture_stop(&fx->in.redis);
    assert_int_equal(store_seen_many(fx->in.store, ids, N, out), ERR_RETRY);
    for (int i = 0; i < N; i++) {
        assert_int_equal(out[i], STORE_SEEN_UNKNOWN);
    }
    assert_true(store_is_down(fx->in.store));
}

/* One pipelined mark: seen keys with their TTL, the alias, the source's recent set. */
static void test_mark_many_sets_every_key(void **state)
{
    struct fixture *fx = *state;
    struct store_mark m[3] = {
        {.id = "m1", .source_id = "feed", .fetched_at = 1000},
        {.id = "m2", .alias = "wxs:m2", .source_id = "feed", .fetched_at = 1001},
        {.id = "m3", .source_id = "other", .fetched_at = 1002},
    };
    long long set0;

    REDIS_FIXTURE_NEED(&fx->in.redis);
    set0 = redis_calls(fx, "set");
    assert_int_equal(store_mark_many(fx->in.store, m, 3), 0);
    assert_int_equal(redis_calls(fx, "set") - set0, 4);
    assert_int_equal(redis_calls(fx, "zadd"), 2); /* one per source */
    for (int i = 0; i < 3; i++) {
        char k[64];
        snprintf(k, sizeof(k), "yuqing:seen:%s", m[i].id);
        assert_int_equal(redis_int(fx, "EXISTS %s", k), 1);
        assert_true(redis_int(fx, "TTL %s", k) > 0);
    }
    assert_int_equal(redis_int(fx, "EXISTS %s", "yuqing:seen:wxs:m2"), 1);
    assert_int_equal(redis_int(fx, "ZCARD %s", "yuqing:source:feed:recent"), 2);
    assert_int_equal(redis_int(fx, "ZCARD %s", "yuqing:source:other:recent"), 1);
    assert_true(redis_int(fx, "TTL %s", "yuqing:source:feed:recent") > 0);
    assert_int_equal(store_mark_many(fx->in.store, m, 0), 0);
    assert_int_equal(store_mark_many(fx->in.store, m, STORE_MARK_BATCH_MAX + 1), ERR_INVALID);
}

/*
 * A re-poll: the first poll produces every entry; once they are delivered, the next poll asks
 * Redis once (one MGET for the document) and caches the answers; the poll after that asks
 * Redis nothing and produces nothing.
 */
static void test_repoll_is_answered_by_the_cache(void **state)
{
    struct fixture *fx = *state;
    struct ingest_result res;
    char *doc = feed_doc(0, 50), *doc2 = feed_doc(45, 10);
    long long mget0;

    REDIS_FIXTURE_NEED(&fx->in.redis);
    mget0 = redis_calls(fx, "mget");
    assert_int_equal(ingest(fx, doc, &res), 0);
    assert_int_equal(res.produced, 50);
    assert_int_equal(redis_calls(fx, "mget") - mget0, 1); /* one round trip for 50 entries */
    assert_int_equal(redis_calls(fx, "exists"), 0);
    cfx_wait_delivered(fx->in.prod);

    assert_int_equal(ingest(fx, doc, &res), 0); /* Redis says seen: cached */
    assert_int_equal(res.produced, 0);
    assert_int_equal(res.seen, 50);
    assert_int_equal(redis_calls(fx, "mget") - mget0, 2);

    assert_int_equal(ingest(fx, doc, &res), 0); /* the cache answers all */
    assert_int_equal(res.seen, 50);
    assert_int_equal(redis_calls(fx, "mget") - mget0, 2);

    assert_int_equal(ingest(fx, doc2, &res), 0); /* 5 cached, 5 new: one MGET of the 5 */
    assert_int_equal(res.seen, 5);
    assert_int_equal(res.produced, 5);
    assert_int_equal(redis_calls(fx, "mget") - mget0, 3);
    cfx_wait_delivered(fx->in.prod);
    free(doc);
    free(doc2);
}

/*
 * A restart (empty cache) and a second collector (its own cache and producer, the same
 * Redis) never produce an entry marked seen; the second collector's new entry, marked by it,
 * is not produced by the first either (its cache misses and Redis answers).
 */
static void test_restart_and_second_collector_never_double_produce(void **state)
{
    struct fixture *fx = *state;
    struct ingest_result res;
    char *doc = feed_doc(0, 20), *doc2 = feed_doc(0, 21);
    char conf_err[256];
    struct store *store2;
    struct item_producer *prod2;
    struct seen_cache *cache2;

    REDIS_FIXTURE_NEED(&fx->in.redis);
    assert_int_equal(ingest(fx, doc, &res), 0);
    assert_int_equal(res.produced, 20);
    cfx_wait_delivered(fx->in.prod);
    assert_int_equal(ingest(fx, doc, &res), 0);
    assert_int_equal(res.seen, 20); /* now cached */

    store2 = store_new(&fx->in.cfg.redis, fx->in.cfg.collector.redis_retry_ms);
    assert_non_null(store2);
    prod2 = item_producer_new(&fx->in.cfg.kafka, store2, NULL, conf_err, sizeof(conf_err));
    assert_non_null(prod2);
    cache2 = seen_cache_new(64); /* a restarted or second collector: empty */
    assert_non_null(cache2);
    assert_int_equal(ingest_with(fx, store2, prod2, cache2, doc, &res), 0);
    assert_int_equal(res.produced, 0);
    assert_int_equal(res.seen, 20);
    assert_int_equal(ingest_with(fx, store2, prod2, cache2, doc2, &res), 0);
    assert_int_equal(res.produced, 1); /* g20, new: the second collector takes it */
    cfx_wait_delivered(prod2);

    assert_int_equal(ingest(fx, doc2, &res), 0); /* the first: 20 cached, g20 from Redis */
    assert_int_equal(res.produced, 0);
    assert_int_equal(res.seen, 21);
    item_producer_free(prod2);
    store_free(store2);
    seen_cache_free(cache2);
    free(doc);
    free(doc2);
}

/*
 * Redis down: the cached entries are still known seen (not deferred), the new one is
 * deferred, never produced unchecked; once Redis is back the next poll produces it, once.
 */
static void test_redis_down_defers_only_the_uncached(void **state)
{
    struct fixture *fx = *state;
    struct ingest_result res;
    char *doc = feed_doc(0, 10), *doc2 = feed_doc(0, 12);

    REDIS_FIXTURE_NEED(&fx->in.redis);
    assert_int_equal(ingest(fx, doc, &res), 0);
    cfx_wait_delivered(fx->in.prod);
    assert_int_equal(ingest(fx, doc, &res), 0); /* cached */
    assert_int_equal(redis_fixture_save(&fx->in.redis), 0);
    redis_fixture_stop(&fx->in.redis);

    assert_int_equal(ingest(fx, doc2, &res), ERR_RETRY);
    assert_int_equal(res.seen, 10);
    assert_int_equal(res.deferred, 2);
    assert_int_equal(res.produced, 0);

    assert_int_equal(redis_fixture_restart(&fx->in.redis), 0);
    {
        /* past the store's retry pause (100 ms in this config): a hang guard, not a measure */
        int64_t give_up = yq_time_mono_ms() + 60000;
        while (store_is_down(fx->in.store) && yq_time_mono_ms() < give_up) {
            item_producer_poll(fx->in.prod, 20);
        }
    }
    assert_int_equal(ingest(fx, doc2, &res), 0);
    assert_int_equal(res.produced, 2);
    assert_int_equal(res.seen, 10);
    cfx_wait_delivered(fx->in.prod);
    assert_int_equal(ingest(fx, doc2, &res), 0);
    assert_int_equal(res.produced, 0);
    assert_int_equal(res.seen, 12);
    free(doc);
    free(doc2);
}

/* Deliveries are marked in one round trip per poll, not three commands each. */
static void test_marks_are_batched(void **state)
{
    struct fixture *fx = *state;
    struct ingest_result res;
    char *doc = feed_doc(100, 30);

    REDIS_FIXTURE_NEED(&fx->in.redis);
    assert_int_equal(ingest(fx, doc, &res), 0);
    assert_int_equal(res.produced, 30);
    item_producer_flush(fx->in.prod, 60000, NULL); /* every report served by one flush */
    assert_int_equal(item_producer_in_flight_count(fx->in.prod), 0);
    assert_int_equal(redis_calls(fx, "set"), 30);
    assert_true(redis_calls(fx, "zadd") <= 2); /* one per batch of reports, not per item */
    assert_int_equal(redis_int(fx, "ZCARD %s", "yuqing:source:feed:recent"), 30);
    free(doc);
}

/* One command on the fixture's Redis whose reply must be +OK. */
static void redis_ok(const struct fixture *fx, const char *cmd)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", fx->in.redis.port, tv);
    redisReply *r;

    assert_non_null(c);
    r = redisCommand(c, cmd);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    freeReplyObject(r);
    redisFree(c);
}

/*
 * A partial failure: one MGET of the pipeline is refused (an ACL that lets the client read
 * only the keys of ids "a..."), the other answered: the refused command's ids stay unknown
 * (deferred by ingest, asked again next poll), the answered ones keep their answers; once
 * Redis answers them all, the retry answers the rest.
 */
static void test_seen_many_partial_failure_is_retried(void **state)
{
    struct fixture *fx = *state;
    enum { N = STORE_SEEN_BATCH_MAX + 3 };
    static char names[N][16];
    const char *ids[N];
    enum store_seen_answer out[N];

    REDIS_FIXTURE_NEED(&fx->in.redis);
    for (int i = 0; i < N; i++) {
        /* the first MGET: a-ids only; the second: a-ids and one b-id */
        snprintf(names[i], sizeof(names[i]), "%s-%d", i == N - 1 ? "b" : "a", i);
        ids[i] = names[i];
        if (i % 2 == 0) {
            assert_int_equal(store_mark_seen(fx->in.store, names[i]), 0);
        }
    }
    redis_ok(fx, "ACL SETUSER default resetkeys ~yuqing:seen:a-*");
    assert_int_equal(store_seen_many(fx->in.store, ids, N, out), ERR_RETRY);
    for (int i = 0; i < STORE_SEEN_BATCH_MAX; i++) {
        assert_int_equal(out[i], i % 2 == 0 ? STORE_SEEN_YES : STORE_SEEN_NO);
    }
    for (int i = STORE_SEEN_BATCH_MAX; i < N; i++) {
        assert_int_equal(out[i], STORE_SEEN_UNKNOWN);
    }
    assert_false(store_is_down(fx->in.store)); /* an error reply is not Redis down */
    redis_ok(fx, "ACL SETUSER default allkeys");
    assert_int_equal(store_seen_many(fx->in.store, ids, N, out), 0);
    for (int i = 0; i < N; i++) {
        assert_int_equal(out[i], i % 2 == 0 ? STORE_SEEN_YES : STORE_SEEN_NO);
    }
}

/*
 * Review of #16: a 50-entry feed gaining one entry a poll, each poll's ids looked up (and the
 * new one added, as Redis answered it seen), keeps about two windows of ids, not two
 * generations of seen_cache_ids; the ids still in the window stay cached.
 */
static void test_issue_16_rotating_window_stays_small(void **state)
{
    struct seen_cache *c = seen_cache_new(4096);
    char id[32];
    size_t most = 0;

    (void)state;
    assert_non_null(c);
    for (int poll = 0; poll < 5000; poll++) {
        seen_cache_set_window(c, 50);
        for (int k = poll; k < poll + 50; k++) { /* entries poll .. poll + 49 */
            snprintf(id, sizeof(id), "rss:e%d", k);
            if (!seen_cache_has(c, id)) {
                assert_int_equal(seen_cache_add(c, id), 0);
            }
        }
        most = seen_cache_count(c) > most ? seen_cache_count(c) : most;
    }
    assert_true(most <= 2 * (2 * 50 + 16));
    for (int k = 4999; k < 4999 + 50; k++) { /* the last window is all there */
        snprintf(id, sizeof(id), "rss:e%d", k);
        assert_true(seen_cache_has(c, id));
    }
    snprintf(id, sizeof(id), "rss:e%d", 100); /* long gone from the window: gone */
    assert_false(seen_cache_has(c, id));
    seen_cache_set_window(c, 100000); /* a window past max_ids / 2: max_ids bounds it */
    seen_cache_free(c);
}

/* FX(test): test with a fixture of its own: setup() before it, teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_16_rotating_window_stays_small),
        cmocka_unit_test(test_cache_hit_and_miss),
        cmocka_unit_test(test_cache_eviction_keeps_ids_in_use),
        cmocka_unit_test(test_cache_many_ids),
        FX(test_seen_many_matches_answers_to_ids),
        FX(test_mark_many_sets_every_key),
        FX(test_repoll_is_answered_by_the_cache),
        FX(test_restart_and_second_collector_never_double_produce),
        FX(test_redis_down_defers_only_the_uncached),
        FX(test_marks_are_batched),
        FX(test_seen_many_partial_failure_is_retried),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
