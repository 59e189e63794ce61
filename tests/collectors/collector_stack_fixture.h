/*
 * The services a collector test group runs its pollers against (header-only; include after
 * cmocka.h, link yq_test_redis and yq_collector_fixture): a throw-away redis-server with a
 * connection to it, the scripted HTTP server of collector_fixture.h and librdkafka's mock
 * cluster, started before the group and stopped after it; and the collector config that
 * points at them. One copy instead of one per test file.
 */
#ifndef COLLECTOR_STACK_FIXTURE_H
#define COLLECTOR_STACK_FIXTURE_H

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>

#include <stdio.h>
#include <string.h>

#include "collector_cfg.h"
#include "collector_fixture.h"
#include "item_producer.h"
#include "poller.h"
#include "redis_fixture.h"
#include "store.h"
#include "yq_buf.h"
#include "yq_time.h"

struct cfx_stack {
    struct redis_fixture redis;
    redisContext *rc; /* NULL when redis-server is missing: the tests skip (CFX_STACK_NEED) */
    struct cfx_http http;
    rd_kafka_t *mock_rk;
    char bootstraps[256]; /* the mock cluster's bootstrap servers */
};

/*
 * Start s (caller storage, zeroed) with the HTTP server answering with answer (arg NULL;
 * max_connections as cfx_http_start()). Returns 0 (s->rc NULL when redis-server is not
 * there); a failed HTTP server or mock cluster fails the group.
 */
static inline int cfx_stack_setup(struct cfx_stack *s, cfx_answer_fn answer,
                                  unsigned max_connections)
{
    char err[256];

    if (redis_fixture_start(&s->redis) != 0) {
        return 0; /* tests skip */
    }
    s->rc = cfx_redis_connect(s->redis.port);
    if (!s->rc) {
        return 0; /* tests skip */
    }
    assert_int_equal(cfx_http_start(&s->http, answer, NULL, max_connections), 0);
    s->mock_rk = cfx_kafka_mock(s->bootstraps, sizeof(s->bootstraps), err, sizeof(err));
    assert_non_null(s->mock_rk);
    return 0;
}

/* Stop what cfx_stack_setup() started (each part a no-op when it did not start). Returns 0. */
static inline int cfx_stack_teardown(struct cfx_stack *s)
{
    if (s->rc) {
        redisFree(s->rc);
    }
    redis_fixture_stop(&s->redis);
    cfx_http_stop(&s->http);
    if (s->mock_rk) {
        rd_kafka_destroy(s->mock_rk);
    }
    return 0;
}

/* Skip the running test when s has no redis-server. */
#define CFX_STACK_NEED(s)                                                                          \
    do {                                                                                           \
        if (!(s)->rc) {                                                                            \
            print_message("redis-server not available: skipping\n");                               \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/*
 * Load into cfg a config on s's mock cluster and Redis: collector.timeout_ms timeout (a
 * duration, e.g. "10s"), no metrics endpoint, the collector settings extra (YAML lines under
 * collector:, NULL = none) and sources (YAML list items). A config error fails the test.
 */
static inline void cfx_stack_load_cfg(const struct cfx_stack *s, struct collector_config *cfg,
                                      const char *timeout, const char *extra, const char *sources)
{
    struct yq_buf b;
    char err[256] = "";

    yq_buf_init(&b, 1 << 24);
    assert_int_equal(yq_buf_addf(&b,
                                 "kafka:\n  bootstrap_servers: %s\n  flush_timeout_ms: 10s\n"
                                 "redis:\n  port: %d\n  connect_timeout_ms: 500\n"
                                 "collector:\n  timeout_ms: %s\n  metrics_address: \"\"\n%s"
                                 "sources:\n",
                                 s->bootstraps, s->redis.port, timeout, extra ? extra : ""),
                     0);
    assert_int_equal(yq_buf_adds(&b, sources), 0);
    if (collector_config_load(cfg, "t.yaml", b.data, b.len, err, sizeof(err)) != 0) {
        fail_msg("config: %s", err);
    }
    yq_buf_release(&b);
}

/*
 * The services an ingest test group feeds documents through, without HTTP: a throw-away
 * redis-server, librdkafka's mock cluster, a collector config on them, and the store and item
 * producer built from it.
 */
struct cfx_ingest {
    struct redis_fixture redis; /* redis.pid 0 when redis-server is missing: the tests skip */
    rd_kafka_t *mock_rk;
    char bootstraps[256]; /* the mock cluster's bootstrap servers */
    struct collector_config cfg;
    struct store *store;
    struct item_producer *prod;
};

/*
 * Start f (caller storage, zeroed): redis-server, the mock cluster, and cfg loaded with
 * flush_timeout_ms 10s, Redis connect_timeout_ms 200, collector timeout_ms 5s and
 * redis_retry_ms 100ms, and sources (YAML list items under sources:, NUL-terminated, at most
 * ~700 bytes); then the store and the item producer. Returns 0 (f->redis.pid 0 and nothing
 * else started when redis-server is not there); any other failure fails the group.
 */
static inline int cfx_ingest_setup(struct cfx_ingest *f, const char *sources)
{
    char err[256], text[1024];

    if (redis_fixture_start(&f->redis) != 0) {
        return 0; /* the tests skip */
    }
    f->mock_rk = cfx_kafka_mock(f->bootstraps, sizeof(f->bootstraps), err, sizeof(err));
    assert_non_null(f->mock_rk);
    assert_true((size_t)snprintf(text, sizeof(text),
                                 "kafka:\n  bootstrap_servers: %s\n  flush_timeout_ms: 10s\n"
                                 "redis:\n  port: %d\n  connect_timeout_ms: 200\n"
                                 "collector:\n  timeout_ms: 5s\n  redis_retry_ms: 100ms\n"
                                 "sources:\n%s",
                                 f->bootstraps, f->redis.port, sources) < sizeof(text));
    assert_int_equal(
        collector_config_load(&f->cfg, "test.yaml", text, strlen(text), err, sizeof(err)), 0);
    f->store = store_new(&f->cfg.redis, f->cfg.collector.redis_retry_ms);
    assert_non_null(f->store);
    f->prod = item_producer_new(&f->cfg.kafka, f->store, NULL, err, sizeof(err));
    assert_non_null(f->prod);
    return 0;
}

/* Stop what cfx_ingest_setup() started (each part a no-op when it did not start). */
static inline void cfx_ingest_teardown(struct cfx_ingest *f)
{
    item_producer_free(f->prod);
    store_free(f->store);
    redis_fixture_stop(&f->redis);
    if (f->mock_rk) {
        rd_kafka_destroy(f->mock_rk);
    }
    collector_config_release(&f->cfg); /* zeroed when never loaded */
}

/*
 * Serve prod's delivery reports until nothing is in flight; fails the test when something still
 * is after 60 s (a hang guard, not a measure).
 */
static inline void cfx_wait_delivered(struct item_producer *prod)
{
    int64_t give_up = yq_time_mono_ms() + 60000;

    while (item_producer_in_flight_count(prod) > 0 && yq_time_mono_ms() < give_up) {
        item_producer_poll(prod, 100);
    }
    assert_int_equal(item_producer_in_flight_count(prod), 0);
}

/* A collector run over cfg: its store, item producer and poller (cfx_run_new()). */
struct cfx_run {
    struct store *st;
    struct item_producer *prod;
    struct poller *p;
};

/*
 * Build r's store, item producer and poller over cfg (borrowed, must outlive r) with opts
 * (NULL = the real clock, as poller_new()). A failure fails the test.
 */
static inline void cfx_run_new(struct cfx_run *r, const struct collector_config *cfg,
                               const struct poller_opts *opts)
{
    char err[256] = "";

    r->st = store_new(&cfg->redis, cfg->collector.redis_retry_ms);
    assert_non_null(r->st);
    r->prod = item_producer_new(&cfg->kafka, r->st, NULL, err, sizeof(err));
    assert_non_null(r->prod);
    r->p = poller_new(cfg, r->st, r->prod, opts, err, sizeof(err));
    assert_non_null(r->p);
}

/* Free what cfx_run_new() built, the item producer before the poller and the store. */
static inline void cfx_run_free(struct cfx_run *r)
{
    item_producer_free(r->prod);
    poller_free(r->p);
    store_free(r->st);
}

#endif
