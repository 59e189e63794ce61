/*
 * The poller end to end with real fakes at the edges: a libmicrohttpd feed server on an
 * ephemeral port, redis-server on loopback and librdkafka's mock cluster. Checks conditional
 * GET, not_a_feed and HTTP errors as source failures, the health record, seen-marking after
 * delivery, and that a dead Redis defers items instead of producing them unchecked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collector_cfg.h"
#include "collector_fixture.h"
#include "collector_stack_fixture.h"
#include "feed_item.h"
#include "item_producer.h"
#include "poller.h"
#include "redis_fixture.h"
#include "store.h"
#include "yq_buf.h"
#include "yq_err.h"
#include "yq_banned.h"

static const char feed_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>测试站</title>"
    "<link>http://site.example/</link>"
    "<item><title>安康征地补偿</title><guid>poller-g1</guid><link>/a/1</link>"
    "<pubDate>Mon, 06 Apr 2020 08:28:46 +0800</pubDate></item>"
    "<item><title>紫阳拆迁</title><guid>poller-g2</guid></item></channel></rss>";

/* /fresh.xml: round 1 has two items, round 2 the same two and two new ones (issue #6) */
static const char fresh_xml_1[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>新</title>"
    "<item><title>一</title><guid>fresh-1</guid></item>"
    "<item><title>二</title><guid>fresh-2</guid></item></channel></rss>";
static const char fresh_xml_2[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>新</title>"
    "<item><title>三</title><guid>fresh-3</guid></item>"
    "<item><title>四</title><guid>fresh-4</guid></item>"
    "<item><title>一</title><guid>fresh-1</guid></item>"
    "<item><title>二</title><guid>fresh-2</guid></item></channel></rss>";
static int fresh_round = 1;

static const char html_page[] = "<!DOCTYPE html><html><body>系统维护中</body></html>";

struct server_stats {
    int feed_requests;
    int feed_conditional; /* requests carrying If-None-Match: "v1" */
    int feed_304;
};

static struct server_stats stats;

static enum MHD_Result handler(struct MHD_Connection *c, const char *url, void *arg)
{
    const char *body = NULL;
    unsigned status = 200;

    (void)arg;
    if (strcmp(url, "/feed.xml") == 0) {
        const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
        stats.feed_requests++;
        if (inm && strcmp(inm, "\"v1\"") == 0) {
            stats.feed_conditional++;
            stats.feed_304++;
            status = 304;
            body = "";
        } else {
            body = feed_xml;
        }
    } else if (strcmp(url, "/fresh.xml") == 0) {
        body = fresh_round == 1 ? fresh_xml_1 : fresh_xml_2;
    } else if (strcmp(url, "/html") == 0) {
        body = html_page;
    } else {
        status = 404;
        body = "not found";
    }
    if (strcmp(url, "/feed.xml") == 0) {
        return cfx_reply(c, status, body, strlen(body), "application/rss+xml; charset=utf-8",
                         "\"v1\"");
    }
    return cfx_reply(c, status, body, strlen(body), NULL, NULL);
}

struct fixture {
    struct redis_fixture redis;
    struct cfx_http http;
    rd_kafka_t *mock_rk;
    struct collector_config cfg;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    char conf_err[256], text[2048], bootstraps[256];

    if (!fx) {
        return -1;
    }
    *state = fx;
    if (redis_fixture_start(&fx->redis) != 0) {
        return 0; /* the test skips */
    }
    assert_int_equal(cfx_http_start(&fx->http, handler, NULL, 0), 0);
    fx->mock_rk = cfx_kafka_mock(bootstraps, sizeof(bootstraps), conf_err, sizeof(conf_err));
    assert_non_null(fx->mock_rk);
    snprintf(text, sizeof(text),
             "kafka:\n  bootstrap_servers: %s\n  flush_timeout_ms: 10s\n"
             "redis:\n  port: %d\n  connect_timeout_ms: 200\n"
             "collector:\n  timeout_ms: 5s\n  redis_retry_ms: 100ms\n"
             "sources:\n"
             "  - id: feed\n    url: http://127.0.0.1:%d/feed.xml\n    interval: 1s\n"
             "  - id: html\n    name: 安康新闻网\n    url: http://127.0.0.1:%d/html\n"
             "  - id: gone\n    url: http://127.0.0.1:%d/gone.xml\n"
             "  - id: weibo\n    kind: weibo_user\n    url: http://127.0.0.1:%d/w\n"
             "  - id: fresh\n    url: http://127.0.0.1:%d/fresh.xml\n",
             bootstraps, fx->redis.port, fx->http.port, fx->http.port, fx->http.port,
             fx->http.port, fx->http.port);
    assert_int_equal(collector_config_load(&fx->cfg, "test.yaml", text, strlen(text), conf_err,
                                           sizeof(conf_err)),
                     0);
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    redis_fixture_stop(&fx->redis);
    cfx_http_stop(&fx->http);
    if (fx->mock_rk) {
        rd_kafka_destroy(fx->mock_rk);
    }
    collector_config_release(&fx->cfg);
    free(fx);
    return 0;
}

/* One --once run; returns poller_run's result and the producer's in-flight count at the end. */
static int run_once(struct fixture *fx, size_t *n_sources)
{
    struct cfx_run r;
    int rc;

    cfx_run_new(&r, &fx->cfg, NULL);
    *n_sources = poller_source_count(r.p);
    rc = poller_run(r.p, true, NULL);
    assert_int_equal(item_producer_in_flight_count(r.prod), 0);
    cfx_run_free(&r);
    return rc;
}

static long long exists(redisContext *c, const char *key)
{
    return cfx_redis_int(c, "EXISTS %s", key);
}

static void assert_hash(redisContext *c, const char *key, const char *field, const char *want)
{
    char *v = cfx_hget(c, key, field);
    if (!v || !strstr(v, want)) {
        print_error("%s %s = '%s', want '%s'\n", key, field, v ? v : "(nil)", want);
    }
    assert_non_null(v);
    assert_non_null(strstr(v, want));
    free(v);
}

static void test_poll_produce_conditional_get_and_dead_redis(void **state)
{
    struct fixture *fx = *state;
    /* poller-g1's relative link resolves against the channel's link: its short guid is scoped
     * by that origin (issue #10); poller-g2 has no link, its id is sha1 of the guid alone */
    struct feed_entry e1 = {.id = "poller-g1", .link = "http://site.example/a/1"},
                      e2 = {.id = "poller-g2"};
    char id1[FEED_ITEM_ID_LEN], id2[FEED_ITEM_ID_LEN], k1[128], k2[128];
    redisContext *rc;
    size_t n = 0;

    REDIS_FIXTURE_NEED(&fx->redis);
    assert_int_equal(feed_item_id(&e1, id1, sizeof(id1)), 0);
    assert_int_equal(feed_item_id(&e2, id2, sizeof(id2)), 0);
    snprintf(k1, sizeof(k1), "yuqing:seen:%s", id1);
    snprintf(k2, sizeof(k2), "yuqing:seen:%s", id2);
    rc = cfx_redis_connect(fx->redis.port);
    assert_non_null(rc);

    /* 1: first poll: both items produced, marked seen only after delivery */
    memset(&stats, 0, sizeof(stats));
    assert_int_equal(run_once(fx, &n), 0);
    assert_int_equal(n, 5);
    assert_int_equal(stats.feed_requests, 1);
    assert_int_equal(stats.feed_conditional, 0);
    assert_int_equal(exists(rc, k1), 1);
    assert_int_equal(exists(rc, k2), 1);
    assert_hash(rc, "yuqing:source:feed", "etag", "\"v1\"");
    assert_hash(rc, "yuqing:source:feed", "consecutive_failures", "0");
    assert_hash(rc, "yuqing:source:feed", "items_last_seen", "2");
    assert_hash(rc, "yuqing:source:feed", "last_status", "200");
    assert_hash(rc, "yuqing:source:feed", "last_success", "Z");
    assert_hash(rc, "yuqing:source:html", "last_error", "not_a_feed");
    assert_hash(rc, "yuqing:source:html", "consecutive_failures", "1");
    {
        /* issue #11: the error's kind is said once, and the page can show the source's name */
        char *v = cfx_hget(rc, "yuqing:source:html", "last_error");
        assert_non_null(v);
        assert_null(strstr(v, "not_a_feed: not_a_feed"));
        free(v);
        v = cfx_hget(rc, "yuqing:source:html", "name");
        assert_non_null(v);
        assert_string_equal(v, "安康新闻网");
        free(v);
        v = cfx_hget(rc, "yuqing:source:gone", "name");
        assert_non_null(v);
        assert_string_equal(v, "gone"); /* no name configured: its id */
        free(v);
        v = cfx_hget(rc, "yuqing:source:feed", "kind");
        assert_non_null(v);
        assert_string_equal(v, "rss");
        free(v);
    }
    assert_hash(rc, "yuqing:source:gone", "last_status", "404");
    assert_hash(rc, "yuqing:source:gone", "last_error", "http status 404");

    /* 2: second poll: If-None-Match sent, 304 is healthy and nothing is parsed */
    memset(&stats, 0, sizeof(stats));
    assert_int_equal(run_once(fx, &n), 0);
    assert_int_equal(stats.feed_requests, 1);
    assert_int_equal(stats.feed_304, 1);
    assert_hash(rc, "yuqing:source:feed", "last_status", "304");
    assert_hash(rc, "yuqing:source:html", "consecutive_failures", "1"); /* new process */

    /* 3: seen keys gone but Redis dead: no validators, and nothing produced unchecked */
    freeReplyObject(redisCommand(rc, "DEL %s %s", k1, k2));
    redisFree(rc);
    redis_fixture_stop(&fx->redis);
    memset(&stats, 0, sizeof(stats));
    assert_int_equal(run_once(fx, &n), 0);
    assert_int_equal(stats.feed_requests, 1);
    assert_int_equal(stats.feed_conditional, 0);
}

static void assert_field_is(redisContext *c, const char *key, const char *field,
                            const char *want)
{
    char *v = cfx_hget(c, key, field);
    if (!v || strcmp(v, want) != 0) {
        print_error("%s %s = '%s', want '%s'\n", key, field, v ? v : "(nil)", want);
    }
    assert_non_null(v);
    assert_string_equal(v, want);
    free(v);
}

/* Issue #6: items_24h counts the items delivered in the last 24 h, per source. */
static void test_issue_6_items_24h(void **state)
{
    struct fixture *fx = *state;
    const char *recent = "yuqing:source:fresh:recent";
    int64_t now = (int64_t)time(NULL), count = -1;
    struct store *st;
    redisContext *rc;
    redisReply *r;
    size_t n = 0;

    REDIS_FIXTURE_NEED(&fx->redis);
    rc = cfx_redis_connect(fx->redis.port);
    assert_non_null(rc);
    /* injected history: one item fetched 25 h ago (not counted), one 23 h ago (counted) */
    r = redisCommand(rc, "ZADD %s %lld rss:old-25h %lld rss:old-23h", recent,
                     (long long)(now - 25 * 3600), (long long)(now - 23 * 3600));
    assert_non_null(r);
    freeReplyObject(r);

    fresh_round = 1;
    assert_int_equal(run_once(fx, &n), 0);
    assert_field_is(rc, "yuqing:source:fresh", "items_24h", "3");
    assert_field_is(rc, "yuqing:source:feed", "items_24h", "2");
    assert_field_is(rc, "yuqing:source:html", "items_24h", "0"); /* failing: still written */
    r = redisCommand(rc, "ZSCORE %s rss:old-25h", recent);
    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_NIL); /* trimmed */
    freeReplyObject(r);
    {
        long long ttl = cfx_redis_int(rc, "TTL %s", recent);
        assert_true(ttl > 24 * 3600 && ttl <= 2 * 24 * 3600);
    }

    /* second poll: two new items, two seen ones (not counted twice) */
    fresh_round = 2;
    assert_int_equal(run_once(fx, &n), 0);
    assert_field_is(rc, "yuqing:source:fresh", "items_24h", "5");
    assert_int_equal(cfx_redis_int(rc, "ZCARD %s", recent), 5);
    assert_field_is(rc, "yuqing:source:feed", "items_24h", "2");

    /* two hours later the 23-hour-old entry has left the window */
    st = store_new(&fx->cfg.redis, fx->cfg.collector.redis_retry_ms);
    assert_non_null(st);
    assert_int_equal(store_recent_update(st, "fresh", now + 2 * 3600, &count), 0);
    assert_int_equal(count, 4);
    assert_field_is(rc, "yuqing:source:fresh", "items_24h", "4");
    /* and a day later nothing this test fetched counts */
    assert_int_equal(store_recent_update(st, "fresh", now + 25 * 3600, &count), 0);
    assert_int_equal(count, 0);
    assert_field_is(rc, "yuqing:source:fresh", "items_24h", "0");
    store_free(st);
    redisFree(rc);
    fresh_round = 1;
}

static const char metrics_document[] =
    "# HELP yuqing_collector_sources sources polled by this process\n"
    "# TYPE yuqing_collector_sources gauge\n"
    "yuqing_collector_sources 5\n"
    "# HELP yuqing_collector_requests_total HTTP transfers finished\n"
    "# TYPE yuqing_collector_requests_total counter\n"
    "yuqing_collector_requests_total 0\n"
    "# HELP yuqing_collector_poll_lag_max_seconds worst delay of a due poll\n"
    "# TYPE yuqing_collector_poll_lag_max_seconds gauge\n"
    "yuqing_collector_poll_lag_max_seconds 0.000\n"
    "# HELP yuqing_collector_items_in_flight items produced, not yet marked\n"
    "# TYPE yuqing_collector_items_in_flight gauge\n"
    "yuqing_collector_items_in_flight 0\n"
    "# HELP yuqing_collector_items_rejected_total items Kafka refused for good (logged, "
    "settled, not retried)\n"
    "# TYPE yuqing_collector_items_rejected_total counter\n"
    "yuqing_collector_items_rejected_total 0\n"
    "# HELP yuqing_collector_delivery_errors_total item delivery reports with an error, one per "
    "item (retried, spooled or settled)\n"
    "# TYPE yuqing_collector_delivery_errors_total counter\n"
    "yuqing_collector_delivery_errors_total 0\n"
    "# HELP yuqing_collector_redis_up 0 while Redis is in its retry pause\n"
    "# TYPE yuqing_collector_redis_up gauge\n"
    "yuqing_collector_redis_up 1\n"
    "# HELP yuqing_collector_bodies_parsed_total fetched bodies parsed off the polling thread\n"
    "# TYPE yuqing_collector_bodies_parsed_total counter\n"
    "yuqing_collector_bodies_parsed_total 0\n"
    "# HELP yuqing_collector_host_slots_released_total transfers that ran past host_slot_ms "
    "and stopped holding their host slot\n"
    "# TYPE yuqing_collector_host_slots_released_total counter\n"
    "yuqing_collector_host_slots_released_total 0\n"
    "# HELP yuqing_collector_body_memory_bytes feed body buffers held now (downloading, "
    "queued, being parsed)\n"
    "# TYPE yuqing_collector_body_memory_bytes gauge\n"
    "yuqing_collector_body_memory_bytes 0\n"
    "# HELP yuqing_collector_body_memory_high_water_bytes most feed body buffer bytes held at "
    "once since the start\n"
    "# TYPE yuqing_collector_body_memory_high_water_bytes gauge\n"
    "yuqing_collector_body_memory_high_water_bytes 0\n"
    "# HELP yuqing_collector_body_memory_budget_bytes collector.body_memory_bytes in effect\n"
    "# TYPE yuqing_collector_body_memory_budget_bytes gauge\n"
    "yuqing_collector_body_memory_budget_bytes 16777216\n"
    "# HELP yuqing_collector_source_events_pending source events (blind windows) produced or "
    "waiting for a retry, not yet delivered\n"
    "# TYPE yuqing_collector_source_events_pending gauge\n"
    "yuqing_collector_source_events_pending 0\n"
    "# HELP yuqing_collector_source_events_lost_total source events neither delivered nor kept "
    "in redis (logged)\n"
    "# TYPE yuqing_collector_source_events_lost_total counter\n"
    "yuqing_collector_source_events_lost_total 0\n"
    "# HELP yuqing_collector_source_events_rejected_total source events kafka refused for good "
    "(too large, invalid; logged, dropped)\n"
    "# TYPE yuqing_collector_source_events_rejected_total counter\n"
    "yuqing_collector_source_events_rejected_total 0\n"
    "# HELP yuqing_collector_source_up 1 when the last poll of the source succeeded\n"
    "# TYPE yuqing_collector_source_up gauge\n"
    "yuqing_collector_source_up{source=\"feed\"} 0\n"
    "yuqing_collector_source_up{source=\"html\"} 0\n"
    "yuqing_collector_source_up{source=\"gone\"} 0\n"
    "yuqing_collector_source_up{source=\"weibo\"} 0\n"
    "yuqing_collector_source_up{source=\"fresh\"} 0\n"
    "# HELP yuqing_collector_source_state current state of the source (value 1)\n"
    "# TYPE yuqing_collector_source_state gauge\n"
    "yuqing_collector_source_state{source=\"feed\",state=\"ok\"} 1\n"
    "yuqing_collector_source_state{source=\"html\",state=\"ok\"} 1\n"
    "yuqing_collector_source_state{source=\"gone\",state=\"ok\"} 1\n"
    "yuqing_collector_source_state{source=\"weibo\",state=\"ok\"} 1\n"
    "yuqing_collector_source_state{source=\"fresh\",state=\"ok\"} 1\n"
    "# HELP yuqing_collector_source_consecutive_failures failed polls in a row\n"
    "# TYPE yuqing_collector_source_consecutive_failures gauge\n"
    "yuqing_collector_source_consecutive_failures{source=\"feed\"} 0\n"
    "yuqing_collector_source_consecutive_failures{source=\"html\"} 0\n"
    "yuqing_collector_source_consecutive_failures{source=\"gone\"} 0\n"
    "yuqing_collector_source_consecutive_failures{source=\"weibo\"} 0\n"
    "yuqing_collector_source_consecutive_failures{source=\"fresh\"} 0\n"
    "# HELP yuqing_collector_source_last_success_timestamp_seconds time of the last successful "
    "poll\n"
    "# TYPE yuqing_collector_source_last_success_timestamp_seconds gauge\n"
    "yuqing_collector_source_last_success_timestamp_seconds{source=\"feed\"} 0\n"
    "yuqing_collector_source_last_success_timestamp_seconds{source=\"html\"} 0\n"
    "yuqing_collector_source_last_success_timestamp_seconds{source=\"gone\"} 0\n"
    "yuqing_collector_source_last_success_timestamp_seconds{source=\"weibo\"} 0\n"
    "yuqing_collector_source_last_success_timestamp_seconds{source=\"fresh\"} 0\n"
    "# HELP yuqing_collector_source_items_last_seen entries in the last document\n"
    "# TYPE yuqing_collector_source_items_last_seen gauge\n"
    "yuqing_collector_source_items_last_seen{source=\"feed\"} 0\n"
    "yuqing_collector_source_items_last_seen{source=\"html\"} 0\n"
    "yuqing_collector_source_items_last_seen{source=\"gone\"} 0\n"
    "yuqing_collector_source_items_last_seen{source=\"weibo\"} 0\n"
    "yuqing_collector_source_items_last_seen{source=\"fresh\"} 0\n"
    "# HELP yuqing_collector_source_stale 1 when the newest item is too old\n"
    "# TYPE yuqing_collector_source_stale gauge\n"
    "yuqing_collector_source_stale{source=\"feed\"} 0\n"
    "yuqing_collector_source_stale{source=\"html\"} 0\n"
    "yuqing_collector_source_stale{source=\"gone\"} 0\n"
    "yuqing_collector_source_stale{source=\"weibo\"} 0\n"
    "yuqing_collector_source_stale{source=\"fresh\"} 0\n"
    "# HELP yuqing_collector_source_items_produced_total items handed to Kafka\n"
    "# TYPE yuqing_collector_source_items_produced_total counter\n"
    "yuqing_collector_source_items_produced_total{source=\"feed\"} 0\n"
    "yuqing_collector_source_items_produced_total{source=\"html\"} 0\n"
    "yuqing_collector_source_items_produced_total{source=\"gone\"} 0\n"
    "yuqing_collector_source_items_produced_total{source=\"weibo\"} 0\n"
    "yuqing_collector_source_items_produced_total{source=\"fresh\"} 0\n"
    "# HELP yuqing_collector_source_polls_total finished polls by resulting state\n"
    "# TYPE yuqing_collector_source_polls_total counter\n"
    /* issue #15: the blind windows, per source and reason */
    "# HELP yuqing_source_blind 1 while a blind window of the reason is open\n"
    "# TYPE yuqing_source_blind gauge\n"
    "yuqing_source_blind{source_id=\"feed\",reason=\"failing\"} 0\n"
    "yuqing_source_blind{source_id=\"feed\",reason=\"walled\"} 0\n"
    "yuqing_source_blind{source_id=\"feed\",reason=\"stale\"} 0\n"
    "yuqing_source_blind{source_id=\"feed\",reason=\"quiet\"} 0\n"
    "yuqing_source_blind{source_id=\"feed\",reason=\"unpolled\"} 0\n"
    "yuqing_source_blind{source_id=\"html\",reason=\"failing\"} 0\n"
    "yuqing_source_blind{source_id=\"html\",reason=\"walled\"} 0\n"
    "yuqing_source_blind{source_id=\"html\",reason=\"stale\"} 0\n"
    "yuqing_source_blind{source_id=\"html\",reason=\"quiet\"} 0\n"
    "yuqing_source_blind{source_id=\"html\",reason=\"unpolled\"} 0\n"
    "yuqing_source_blind{source_id=\"gone\",reason=\"failing\"} 0\n"
    "yuqing_source_blind{source_id=\"gone\",reason=\"walled\"} 0\n"
    "yuqing_source_blind{source_id=\"gone\",reason=\"stale\"} 0\n"
    "yuqing_source_blind{source_id=\"gone\",reason=\"quiet\"} 0\n"
    "yuqing_source_blind{source_id=\"gone\",reason=\"unpolled\"} 0\n"
    "yuqing_source_blind{source_id=\"weibo\",reason=\"failing\"} 0\n"
    "yuqing_source_blind{source_id=\"weibo\",reason=\"walled\"} 0\n"
    "yuqing_source_blind{source_id=\"weibo\",reason=\"stale\"} 0\n"
    "yuqing_source_blind{source_id=\"weibo\",reason=\"quiet\"} 0\n"
    "yuqing_source_blind{source_id=\"weibo\",reason=\"unpolled\"} 0\n"
    "yuqing_source_blind{source_id=\"fresh\",reason=\"failing\"} 0\n"
    "yuqing_source_blind{source_id=\"fresh\",reason=\"walled\"} 0\n"
    "yuqing_source_blind{source_id=\"fresh\",reason=\"stale\"} 0\n"
    "yuqing_source_blind{source_id=\"fresh\",reason=\"quiet\"} 0\n"
    "yuqing_source_blind{source_id=\"fresh\",reason=\"unpolled\"} 0\n"
    "# HELP yuqing_source_blind_windows_opened_total blind windows opened since the start "
    "(unpolled ones are found already closed)\n"
    "# TYPE yuqing_source_blind_windows_opened_total counter\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"feed\",reason=\"failing\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"feed\",reason=\"walled\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"feed\",reason=\"stale\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"feed\",reason=\"quiet\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"feed\",reason=\"unpolled\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"html\",reason=\"failing\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"html\",reason=\"walled\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"html\",reason=\"stale\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"html\",reason=\"quiet\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"html\",reason=\"unpolled\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"gone\",reason=\"failing\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"gone\",reason=\"walled\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"gone\",reason=\"stale\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"gone\",reason=\"quiet\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"gone\",reason=\"unpolled\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"weibo\",reason=\"failing\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"weibo\",reason=\"walled\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"weibo\",reason=\"stale\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"weibo\",reason=\"quiet\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"weibo\",reason=\"unpolled\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"fresh\",reason=\"failing\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"fresh\",reason=\"walled\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"fresh\",reason=\"stale\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"fresh\",reason=\"quiet\"} 0\n"
    "yuqing_source_blind_windows_opened_total{source_id=\"fresh\",reason=\"unpolled\"} 0\n";

/*
 * The whole /metrics document of a poller that has not polled yet (every value known), byte
 * for byte: the document the collector rendered before it used common/yq_metrics_http's
 * writer, so the switch changed nothing a scraper sees.
 */
static void test_metrics_document(void **state)
{
    struct fixture *fx = *state;
    struct cfx_run r;
    struct yq_buf b;

    REDIS_FIXTURE_NEED(&fx->redis);
    cfx_run_new(&r, &fx->cfg, NULL);
    yq_buf_init(&b, 1 << 16);
    assert_int_equal(poller_render_metrics(r.p, &b), 0);
    assert_string_equal(b.data, metrics_document);
    yq_buf_release(&b);
    cfx_run_free(&r);
}

/* FX(test): test with a fixture of its own: setup() before it, teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(test_poll_produce_conditional_get_and_dead_redis),
        FX(test_issue_6_items_24h),
        FX(test_metrics_document),
    };

    if (cfx_curl_init() != 0) {
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
