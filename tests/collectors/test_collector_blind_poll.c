/*
 * Blind windows through the poller (issue #15): a local libmicrohttpd server, redis-server on
 * loopback and librdkafka's mock cluster. A source that 404s blind_after_failures times and
 * then recovers yields exactly one "open" and one "close" on yuqing.sources with the right
 * dates, across collector restarts (each poll is a fresh poller, as --once runs are); walled
 * Weibo and WeChat-bridge sources open "walled" at once, naming what to renew, and are never
 * recorded as a successful poll.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka_mock.h>

#include "collector_cfg.h"
#include "collector_fixture.h"
#include "collector_stack_fixture.h"
#include "item_producer.h"
#include "poller.h"
#include "redis_fixture.h"
#include "source_outbox.h"
#include "store.h"
#include "yq_buf.h"
#include "yq_err.h"
#include "yq_source_event.h"
#include "yq_time.h"
#include "yq_banned.h"

static const char feed[] = "<rss version=\"2.0\"><channel><title>旬阳新闻网</title><item>"
                           "<guid>xunyang-1</guid><title>旬阳市召开防汛工作会议</title></item>"
                           "</channel></rss>";
static const char login_page[] = "<!DOCTYPE html><html><head><title>登录</title></head><body>"
                                 "请扫码登录</body></html>";

/* the scripted server: hits per path; /xunyang.xml 404s until serve_feed */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool serve_feed;
static int hits;

static enum MHD_Result answer(struct MHD_Connection *c, const char *url, void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    hits++;
    pthread_mutex_unlock(&lock);
    if (strcmp(url, "/xunyang.xml") == 0 && serve_feed) {
        return cfx_reply(c, 200, feed, strlen(feed), "application/rss+xml", NULL);
    }
    if (strcmp(url, "/bridge/feeds/ankang.xml") == 0) {
        return cfx_reply(c, 200, login_page, strlen(login_page), "text/html; charset=utf-8",
                         NULL);
    }
    if (strncmp(url, "/api/container/getIndex", 23) == 0) {
        return cfx_reply(c, 432, "", 0, "text/html", NULL);
    }
    return cfx_reply(c, 404, "not found", 9, "text/plain", NULL);
}

static struct cfx_stack fx;

static int group_setup(void **state)
{
    (void)state;
    return cfx_curl_init() != 0 ? 0 : cfx_stack_setup(&fx, answer, 16); /* no curl: tests skip */
}

static int group_teardown(void **state)
{
    (void)state;
    return cfx_stack_teardown(&fx);
}

#define NEED_FIXTURE() CFX_STACK_NEED(&fx)

/* A config on fx with sources (YAML list items). */
static void load_cfg(struct collector_config *cfg, const char *sources)
{
    cfx_stack_load_cfg(&fx, cfg, "10s", NULL, sources);
}

/* One collector run polling every source once (a restart each time), Kafka flushed. */
static void poll_once(const struct collector_config *cfg)
{
    struct cfx_run r;

    cfx_run_new(&r, cfg, NULL);
    assert_int_equal(poller_run(r.p, true, NULL), 0);
    assert_int_equal(source_outbox_pending(item_producer_outbox(r.prod)), 0); /* all delivered */
    cfx_run_free(&r);
}

static char *hget(const char *id, const char *field)
{
    char key[128];
    snprintf(key, sizeof(key), "yuqing:source:%s", id);
    return cfx_hget(fx.rc, key, field);
}

static void assert_hfield(const char *id, const char *field, const char *want)
{
    char *v = hget(id, field);
    if (!v || strcmp(v, want) != 0) {
        fail_msg("yuqing:source:%s %s = '%s', want '%s'", id, field, v ? v : "(nil)", want);
    }
    free(v);
}

static int64_t hget_time(const char *id, const char *field)
{
    char *v = hget(id, field);
    int64_t t = 0;
    assert_non_null(v);
    assert_int_equal(yq_time_parse_iso(v, &t, NULL), 0);
    free(v);
    return t;
}

/*
 * The source events of source_id on yuqing.sources from the start of the partition (the first
 * max of them) into evs; returns how many. The mock cluster keeps the topic for the whole
 * test group.
 */
static size_t consume_events(struct yq_source_event *evs, size_t max, const char *source_id)
{
    rd_kafka_t *c = cfx_kafka_consumer_topic(fx.bootstraps, "blind", "yuqing.sources");
    int64_t give_up = yq_time_mono_ms() + 30000; /* hang guard, not a measure */
    size_t n = 0;

    assert_non_null(c);
    while (yq_time_mono_ms() < give_up) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
        if (!m) {
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            rd_kafka_message_destroy(m);
            break;
        }
        if (!m->err && n < max) {
            char err[160] = "";
            if (yq_source_event_decode(m->payload, m->len, &evs[n], err, sizeof(err)) != 0) {
                fail_msg("not a source event: %s", err);
            }
            assert_int_equal(m->key_len, strlen(evs[n].source_id)); /* key = source_id */
            assert_memory_equal(m->key, evs[n].source_id, m->key_len);
            if (strcmp(evs[n].source_id, source_id) == 0) {
                n++;
            } else {
                yq_source_event_release(&evs[n]);
            }
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    return n;
}

static void release_events(struct yq_source_event *evs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        yq_source_event_release(&evs[i]);
    }
}

/* The events of source_id among evs (n), copied out as pointers into want (max). */
static size_t events_of(struct yq_source_event *evs, size_t n, const char *source_id,
                        struct yq_source_event **out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < max; i++) {
        if (strcmp(evs[i].source_id, source_id) == 0) {
            out[k++] = &evs[i];
        }
    }
    return k;
}

/*
 * Read source_id's events from the topic into evs (max; release_events(evs, *n_out)): there
 * must be exactly one, a close of reason that started at started_at and ended at ended_at (UTC
 * seconds). Returns it (in evs) for the caller's further checks.
 */
static struct yq_source_event *expect_one_close(struct yq_source_event *evs, size_t max,
                                                size_t *n_out, const char *source_id,
                                                enum yq_blind_reason reason, int64_t started_at,
                                                int64_t ended_at)
{
    *n_out = consume_events(evs, max, source_id); /* source_id's only */
    assert_int_equal(*n_out, 1);
    assert_false(evs[0].open);
    assert_int_equal(evs[0].reason, reason);
    assert_int_equal(evs[0].started_at, started_at);
    assert_int_equal(evs[0].ended_at, ended_at);
    return &evs[0];
}

static void test_issue_15_failing_source_one_open_one_close(void **state)
{
    struct collector_config cfg;
    struct yq_source_event evs[16], *mine[16];
    int64_t before, after_first, after_third, before_ok, after_ok, since;
    char src[512];
    size_t n, k;

    (void)state;
    NEED_FIXTURE();
    serve_feed = false;
    snprintf(src, sizeof(src),
             "  - id: xunyang-news\n    name: 旬阳新闻网\n    url: http://127.0.0.1:%d/xunyang.xml\n"
             "    interval: 15s\n    department: 旬阳市融媒体中心\n",
             fx.http.port);
    load_cfg(&cfg, src);
    assert_int_equal(cfg.sources[0].blind_after_failures, 3); /* the default */
    before = yq_time_now();
    poll_once(&cfg);
    after_first = yq_time_now();
    poll_once(&cfg);
    assert_hfield("xunyang-news", "blind", ""); /* two failures: not blind yet */
    assert_hfield("xunyang-news", "blind_failures", "2");
    poll_once(&cfg);
    after_third = yq_time_now();
    assert_hfield("xunyang-news", "blind", "failing");
    since = hget_time("xunyang-news", "blind_failing_since");
    assert_true(since >= before && since <= after_first); /* dated from the first failure */
    assert_int_equal(hget_time("xunyang-news", "blind_since"), since);
    poll_once(&cfg); /* a fourth failure: nothing new */
    serve_feed = true;
    before_ok = yq_time_now();
    poll_once(&cfg);
    after_ok = yq_time_now();
    assert_hfield("xunyang-news", "blind", "");
    assert_hfield("xunyang-news", "blind_failing_since", "");
    assert_hfield("xunyang-news", "state", "ok");
    /* delivered events leave nothing in the outbox */
    {
        redisReply *r = redisCommand(fx.rc, "EXISTS yuqing:source:xunyang-news:blind_outbox");
        assert_non_null(r);
        assert_int_equal(r->integer, 0);
        freeReplyObject(r);
    }
    n = consume_events(evs, 16, "xunyang-news");
    k = events_of(evs, n, "xunyang-news", mine, 16);
    assert_int_equal(k, 2);
    assert_true(mine[0]->open);
    assert_int_equal(mine[0]->reason, YQ_BLIND_FAILING);
    assert_int_equal(mine[0]->started_at, since);
    assert_true(mine[0]->at >= since && mine[0]->at <= after_third);
    assert_string_equal(mine[0]->source_name, "旬阳新闻网");
    assert_string_equal(mine[0]->source_kind, "rss");
    assert_string_equal(mine[0]->department, "旬阳市融媒体中心");
    assert_string_equal(mine[0]->detail, "http_error: http status 404");
    assert_null(mine[0]->renew);
    assert_false(mine[1]->open);
    assert_int_equal(mine[1]->reason, YQ_BLIND_FAILING);
    assert_int_equal(mine[1]->started_at, since);
    assert_true(mine[1]->ended_at >= before_ok && mine[1]->ended_at <= after_ok);
    release_events(evs, n);
    collector_config_release(&cfg);
}

static void test_issue_15_walled_sources_open_at_once_and_are_never_ok(void **state)
{
    struct collector_config cfg;
    struct yq_source_event evs[16], evs2[16], *wb[4], *wx[4];
    char cookie[] = "/tmp/yq-blind-cookie-XXXXXX", src[1024], want[512];
    size_t n, n2;
    int fd;

    (void)state;
    NEED_FIXTURE();
    redisReply *r = redisCommand(fx.rc, "DEL yuqing:source:wb-ankang yuqing:source:wx-bridge");
    freeReplyObject(r);
    fd = mkstemp(cookie); /* mode 0600: a secret the collector accepts */
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "SUB=abc\n", 8), 8);
    close(fd);
    snprintf(src, sizeof(src),
             "  - id: wb-ankang\n    kind: weibo_user\n    name: 安康发布 微博\n"
             "    url: http://127.0.0.1:%d/api/container/getIndex?containerid=1076030000000001\n"
             "    cookie_file: %s\n"
             "  - id: wx-bridge\n    kind: wechat_feed\n    name: 安康发布\n"
             "    url: http://reader:s3cret@127.0.0.1:%d/bridge/feeds/ankang.xml\n",
             fx.http.port, cookie, fx.http.port);
    load_cfg(&cfg, src);
    poll_once(&cfg);
    poll_once(&cfg); /* the wall lasts: no second window */
    /* walled, not ok: no last_success, the state names the wall */
    assert_hfield("wb-ankang", "state", "auth_required");
    assert_hfield("wx-bridge", "state", "not_a_feed");
    assert_null(hget("wb-ankang", "last_success"));
    assert_null(hget("wx-bridge", "last_success"));
    assert_hfield("wb-ankang", "items_24h", "0"); /* nothing counted as arrived */
    assert_hfield("wx-bridge", "items_24h", "0");
    assert_hfield("wb-ankang", "blind_arrivals", "");
    assert_hfield("wb-ankang", "blind", "walled");
    assert_hfield("wx-bridge", "blind", "walled");
    snprintf(want, sizeof(want), "更新 cookie_file %s（微博登录 Cookie 已失效）", cookie);
    assert_hfield("wb-ankang", "blind_walled_renew", want);
    snprintf(want, sizeof(want), "重新登录公众号桥接服务（127.0.0.1:%d）", fx.http.port);
    assert_hfield("wx-bridge", "blind_walled_renew", want);
    /* walls are not failures: two walled polls open no "failing" window */
    assert_hfield("wb-ankang", "blind_failures", "0");
    n = consume_events(evs, 16, "wb-ankang");
    assert_int_equal(events_of(evs, n, "wb-ankang", wb, 4), 1);
    assert_true(wb[0]->open);
    assert_int_equal(wb[0]->reason, YQ_BLIND_WALLED);
    snprintf(want, sizeof(want), "更新 cookie_file %s（微博登录 Cookie 已失效）", cookie);
    assert_string_equal(wb[0]->renew, want);
    assert_string_equal(wb[0]->source_kind, "weibo_user");
    n2 = consume_events(evs2, 16, "wx-bridge");
    assert_int_equal(events_of(evs2, n2, "wx-bridge", wx, 4), 1);
    assert_null(strstr(evs2[0].renew, "s3cret")); /* the URL's password never goes out */
    assert_true(wx[0]->open);
    assert_int_equal(wx[0]->reason, YQ_BLIND_WALLED);
    assert_non_null(strstr(wx[0]->renew, "重新登录公众号桥接服务"));
    assert_string_equal(wx[0]->detail, "not_a_feed: HTML page served instead of a feed");
    release_events(evs, n);
    release_events(evs2, n2);
    unlink(cookie);
    collector_config_release(&cfg);
}

/*
 * An event Kafka could not take is kept in the source's Redis outbox and produced by the next
 * start: here the outbox holds one left by a run that died before its delivery report.
 */
static void test_issue_15_outbox_left_by_a_dead_run_is_sent_at_start(void **state)
{
    struct collector_config cfg;
    struct yq_source_event evs[32];
    struct yq_source_event left = {.source_id = "gone-site", .open = false,
                                   .reason = YQ_BLIND_UNPOLLED, .started_at = 1796432400,
                                   .ended_at = 1796439600, .at = 1796439601,
                                   .detail = "no poll for 7201 s (expected every 15 s)"};
    char *json = NULL, src[512];
    size_t n;
    redisReply *r;

    (void)state;
    NEED_FIXTURE();
    assert_int_equal(yq_source_event_encode(&left, &json, NULL), 0);
    r = redisCommand(fx.rc, "HSET yuqing:source:gone-site:blind_outbox close:unpolled:1796432400 %s",
                     json);
    freeReplyObject(r);
    /* and a field that is not a source event: dropped, never produced */
    r = redisCommand(fx.rc, "HSET yuqing:source:gone-site:blind_outbox junk {\"schema\":9}");
    freeReplyObject(r);
    free(json);
    snprintf(src, sizeof(src), "  - id: gone-site\n    url: http://127.0.0.1:%d/gone.xml\n",
             fx.http.port);
    load_cfg(&cfg, src);
    poll_once(&cfg);
    r = redisCommand(fx.rc, "HLEN yuqing:source:gone-site:blind_outbox");
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
    expect_one_close(evs, 32, &n, "gone-site", YQ_BLIND_UNPOLLED, 1796432400, 1796439600);
    release_events(evs, n);
    collector_config_release(&cfg);
}


/* The delivery reports of the test's own producer go to the outbox under test. */
static struct source_outbox *test_ob;
static int other_reports;

static void outbox_dr(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (!source_outbox_on_delivery(test_ob, msg)) {
        other_reports++; /* the messages that filled the queue */
    }
}

/*
 * Kafka refusing events (its local queue full) loses none: they are held, produced again once
 * their retry is due (the time is passed in), and the held ones are bounded; past the bound
 * they wait in Redis only.
 */
static void test_issue_15_refused_events_are_retried_and_bounded(void **state)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    struct yq_redis_cfg rcfg = {.host = "127.0.0.1", .connect_timeout_ms = 500,
                                .command_timeout_ms = 2000, .seen_ttl_s = 60};
    struct yq_source_event ev = {.source_id = "retry-site", .open = true,
                                 .reason = YQ_BLIND_FAILING, .at = 1796439601,
                                 .detail = "http_error: http status 503"};
    struct yq_source_event evs[8];
    struct source_outbox *ob;
    struct store *st;
    rd_kafka_t *rk;
    redisReply *r;
    char err[256];
    size_t n;

    (void)state;
    NEED_FIXTURE();
    rcfg.port = fx.redis.port;
    st = store_new(&rcfg, 100);
    assert_non_null(st);
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", fx.bootstraps, err,
                                       sizeof(err)),
                     RD_KAFKA_CONF_OK);
    /* 64 messages fit the local queue: once full, the outbox's produce calls are refused */
    assert_int_equal(rd_kafka_conf_set(conf, "queue.buffering.max.messages", "64", err,
                                       sizeof(err)),
                     RD_KAFKA_CONF_OK);
    rd_kafka_conf_set_dr_msg_cb(conf, outbox_dr);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    assert_non_null(rk);
    ob = test_ob = source_outbox_new(rk, "yuqing.sources", st);
    assert_non_null(ob);
    other_reports = 0;
    /* the queue's places taken by messages of another topic */
    for (int i = 0; i < 64; i++) {
        assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("yuqing.items"),
                                           RD_KAFKA_V_VALUE("x", 1),
                                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                           RD_KAFKA_V_END),
                         0);
    }
    ev.started_at = 1796432400;
    assert_int_equal(source_outbox_send(ob, &ev), 0);
    assert_int_equal(source_outbox_pending(ob), 1); /* held, not lost */
    r = redisCommand(fx.rc, "HEXISTS yuqing:source:retry-site:blind_outbox open:failing:1796432400");
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);
    /* bounded: SOURCE_OUTBOX_MAX_PENDING held, the rest waits in Redis only */
    for (int i = 1; i < SOURCE_OUTBOX_MAX_PENDING + 10; i++) {
        ev.started_at = 1796432400 + i;
        assert_int_equal(source_outbox_send(ob, &ev), 0);
    }
    assert_int_equal(source_outbox_pending(ob), SOURCE_OUTBOX_MAX_PENDING);
    assert_int_equal(source_outbox_lost(ob), 0);
    r = redisCommand(fx.rc, "HLEN yuqing:source:retry-site:blind_outbox");
    assert_int_equal(r->integer, SOURCE_OUTBOX_MAX_PENDING + 10);
    freeReplyObject(r);
    /* the queue drains; a retry not yet due produces nothing, a due one produces them */
    assert_int_equal(rd_kafka_flush(rk, 10000), 0);
    source_outbox_poll(ob, 0);
    assert_int_equal(source_outbox_pending(ob), SOURCE_OUTBOX_MAX_PENDING);
    for (int round = 0; round < 64 && source_outbox_pending(ob) > 0; round++) {
        source_outbox_poll(ob, INT64_MAX); /* every retry due; 64 fit the queue at a time */
        rd_kafka_flush(rk, 10000);
    }
    assert_int_equal(source_outbox_pending(ob), 0);
    assert_int_equal(other_reports, 64);
    assert_int_equal(source_outbox_delivered(ob), SOURCE_OUTBOX_MAX_PENDING);
    /* delivered ones left the Redis outbox; the 10 past the bound wait there for a start */
    r = redisCommand(fx.rc, "HLEN yuqing:source:retry-site:blind_outbox");
    assert_int_equal(r->integer, 10);
    freeReplyObject(r);
    source_outbox_free(ob);
    rd_kafka_destroy(rk);
    store_free(st);
    n = consume_events(evs, 8, "retry-site");
    assert_int_equal(n, 8); /* on the topic (the first 8 read back) */
    assert_string_equal(evs[0].detail, "http_error: http status 503");
    release_events(evs, n);
    r = redisCommand(fx.rc, "DEL yuqing:source:retry-site:blind_outbox");
    freeReplyObject(r);
}

/*
 * A source event the broker refuses for good (MSG_SIZE_TOO_LARGE in its delivery report: the
 * broker's message.max.bytes is below ours) is settled: logged, counted, dropped from memory
 * and from the Redis outbox. It used to be produced again every SOURCE_OUTBOX_RETRY_MS and at
 * every start, for ever, holding a place of the bounded outbox.
 */
static void test_source_event_refused_for_good_is_settled(void **state)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    struct yq_redis_cfg rcfg = {.host = "127.0.0.1",
                                .connect_timeout_ms = 500,
                                .command_timeout_ms = 2000,
                                .seen_ttl_s = 60};
    struct yq_source_event ev = {.source_id = "refused-site",
                                 .open = true,
                                 .reason = YQ_BLIND_FAILING,
                                 .started_at = 1796432400,
                                 .at = 1796439601,
                                 .detail = "http_error: http status 503"};
    struct source_outbox *ob;
    struct store *st;
    rd_kafka_t *rk;
    redisReply *r;
    char err[256];

    (void)state;
    NEED_FIXTURE();
    rcfg.port = fx.redis.port;
    st = store_new(&rcfg, 100);
    assert_non_null(st);
    /* a producer on a mock cluster of its own, whose Produce answers the test scripts */
    assert_int_equal(rd_kafka_conf_set(conf, "test.mock.num.brokers", "1", err, sizeof(err)),
                     RD_KAFKA_CONF_OK);
    rd_kafka_conf_set_dr_msg_cb(conf, outbox_dr);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    assert_non_null(rk);
    rd_kafka_mock_push_request_errors(rd_kafka_handle_mock_cluster(rk), 0 /* Produce */, 1,
                                      RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    ob = test_ob = source_outbox_new(rk, "yuqing.sources", st);
    assert_non_null(ob);
    assert_int_equal(source_outbox_send(ob, &ev), 0);
    assert_int_equal(rd_kafka_flush(rk, 60000), 0); /* serves the report; a hang guard */
    assert_int_equal(source_outbox_rejected(ob), 1);
    assert_int_equal(source_outbox_pending(ob), 0);
    assert_int_equal(source_outbox_delivered(ob), 0);
    assert_int_equal(source_outbox_lost(ob), 0);
    r = redisCommand(fx.rc, "HLEN yuqing:source:refused-site:blind_outbox");
    assert_int_equal(r->integer, 0); /* not produced again at the next start either */
    freeReplyObject(r);
    source_outbox_poll(ob, INT64_MAX); /* nothing left to retry */
    assert_int_equal(source_outbox_pending(ob), 0);
    source_outbox_free(ob);
    rd_kafka_destroy(rk);
    store_free(st);
}

/*
 * Review #15 item 5: a disabled source, and a source gone from the config, left blind windows
 * open for ever (only a poll closes one). At start the collector closes them at now, sends
 * the closes and clears the blind fields; a second start finds nothing to close.
 */
static void test_issue_15_disabled_and_removed_sources_closed_at_start(void **state)
{
    const int64_t now = 1796450400; /* 2026-12-05T06:00:00Z */
    struct collector_config cfg;
    struct yq_source_event evs[32], *ev;
    char src[512];
    struct cfx_run run;
    redisReply *r;
    size_t n;
    char *v;

    (void)state;
    NEED_FIXTURE();
    r = redisCommand(fx.rc, "FLUSHALL");
    freeReplyObject(r);
    r = redisCommand(fx.rc, "HSET yuqing:source:old-site name 旧站 kind rss blind 1 "
                            "blind_since 2026-12-05T01:00:00Z "
                            "blind_failing_since 2026-12-05T01:00:00Z "
                            "blind_failing_detail %s last_poll_at 2026-12-05T01:30:00Z",
                     "http_error: http status 404");
    freeReplyObject(r);
    r = redisCommand(fx.rc, "HSET yuqing:source:removed-site name 汉阴县政府网 kind rss "
                            "state auth_required blind 1 blind_walled_since 2026-12-04T20:00:00Z "
                            "blind_walled_renew %s",
                     "更新 cookie_file");
    freeReplyObject(r);
    /* a source without open windows, and a side key: neither is touched */
    r = redisCommand(fx.rc, "HSET yuqing:source:quiet-old name x last_success 2026-12-01T00:00:00Z");
    freeReplyObject(r);
    r = redisCommand(fx.rc, "HSET yuqing:source:old-site:longtext m1 {}");
    freeReplyObject(r);
    snprintf(src, sizeof(src),
             "  - id: old-site\n    name: 旧站（已停用）\n    enabled: false\n"
             "    department: 汉滨区政府办\n    url: http://127.0.0.1:%d/old.xml\n"
             "  - id: quiet-old\n    enabled: false\n    url: http://127.0.0.1:%d/q.xml\n",
             fx.http.port, fx.http.port);
    load_cfg(&cfg, src);
    cfx_run_new(&run, &cfg, NULL);
    assert_int_equal(poller_retire_sources(run.p, now), 2);
    assert_int_equal(poller_retire_sources(run.p, now + 60), 0); /* fields cleared: nothing left */
    assert_int_equal(poller_run(run.p, true, NULL), 0);          /* flushes the producer */
    assert_int_equal(source_outbox_pending(item_producer_outbox(run.prod)), 0);
    cfx_run_free(&run);

    /* the blind fields are gone, the identity and the side keys stay */
    v = hget("old-site", "blind_failing_since");
    assert_null(v);
    v = hget("old-site", "last_poll_at");
    assert_null(v);
    v = hget("removed-site", "blind_walled_since");
    assert_null(v);
    assert_hfield("removed-site", "name", "汉阴县政府网");
    assert_hfield("quiet-old", "last_success", "2026-12-01T00:00:00Z");
    r = redisCommand(fx.rc, "HLEN yuqing:source:old-site:longtext");
    assert_int_equal(r->integer, 1);
    freeReplyObject(r);

    ev = expect_one_close(evs, 32, &n, "old-site", YQ_BLIND_FAILING, 1796432400, now);
    assert_string_equal(ev->source_name, "旧站（已停用）"); /* the config's */
    assert_string_equal(ev->department, "汉滨区政府办");
    assert_string_equal(ev->detail, YQ_SOURCE_EVENT_RETIRED "信息源已停用（enabled: false）");
    release_events(evs, n);
    ev = expect_one_close(evs, 32, &n, "removed-site", YQ_BLIND_WALLED, 1796414400, now);
    assert_string_equal(ev->source_name, "汉阴县政府网"); /* from the hash */
    assert_string_equal(ev->source_kind, "rss");
    assert_string_equal(ev->detail, YQ_SOURCE_EVENT_RETIRED "信息源已从配置中删除");
    release_events(evs, n);
    assert_int_equal(consume_events(evs, 32, "quiet-old"), 0);
    collector_config_release(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_15_failing_source_one_open_one_close),
        cmocka_unit_test(test_issue_15_walled_sources_open_at_once_and_are_never_ok),
        cmocka_unit_test(test_issue_15_outbox_left_by_a_dead_run_is_sent_at_start),
        cmocka_unit_test(test_issue_15_refused_events_are_retried_and_bounded),
        cmocka_unit_test(test_source_event_refused_for_good_is_settled),
        cmocka_unit_test(test_issue_15_disabled_and_removed_sources_closed_at_start),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
