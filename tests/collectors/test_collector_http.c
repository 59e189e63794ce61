/*
 * The poller against a local libmicrohttpd server, redis-server on loopback and librdkafka's
 * mock cluster: conditional GET (FC-019), gzip (FC-017), redirects, 5xx backoff, a slow
 * server, an oversized body, an HTML page (FC-018), the Weibo response states (FC-005), the
 * Weibo long-text cycle (FC-001), a source's own request headers (polling and `sources
 * check`) and 1,000 sources polled on time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bbuf.h"
#include "collector_cfg.h"
#include "feed_item.h"
#include "item_producer.h"
#include "metrics_server.h"
#include "poller.h"
#include "redis_fixture.h"
#include "shared_input.h"
#include "sources_cli.h"
#include "store.h"
#include "yq_err.h"
#include "yq_proc.h"
#include "yq_banned.h"

/* ---- scripted server ---- */

struct reply {
    unsigned status;
    const char *body;
    size_t len;            /* 0: strlen(body) */
    const char *ctype;
    const char *encoding;  /* Content-Encoding or NULL */
    const char *etag;
    const char *last_modified;
    const char *location;
    int delay_ms;
};

#define MAX_LOG 64
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct reply (*route)(const char *url, int n, void *arg);
static void *route_arg;
static int hits;
static char sent_inm[MAX_LOG][64], sent_ims[MAX_LOG][64];
static char sent_key[MAX_LOG][64], sent_ua[MAX_LOG][128], sent_accept[MAX_LOG][64];

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **con_cls)
{
    struct reply rep;
    struct MHD_Response *r;
    enum MHD_Result ret;
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    const char *ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-Modified-Since");
    const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Api-Key");
    const char *ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
    const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
    int n;

    (void)cls;
    (void)method;
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)con_cls;
    pthread_mutex_lock(&lock);
    n = hits++;
    if (n < MAX_LOG) {
        snprintf(sent_inm[n], sizeof(sent_inm[n]), "%s", inm ? inm : "");
        snprintf(sent_ims[n], sizeof(sent_ims[n]), "%s", ims ? ims : "");
        snprintf(sent_key[n], sizeof(sent_key[n]), "%s", key ? key : "");
        snprintf(sent_ua[n], sizeof(sent_ua[n]), "%s", ua ? ua : "");
        snprintf(sent_accept[n], sizeof(sent_accept[n]), "%s", accept ? accept : "");
    }
    rep = route(url, n, route_arg);
    pthread_mutex_unlock(&lock);
    if (rep.delay_ms) {
        usleep((useconds_t)rep.delay_ms * 1000);
    }
    r = MHD_create_response_from_buffer(rep.len ? rep.len : strlen(rep.body), (void *)rep.body,
                                        MHD_RESPMEM_MUST_COPY);
    if (rep.ctype) {
        MHD_add_response_header(r, "Content-Type", rep.ctype);
    }
    if (rep.encoding) {
        MHD_add_response_header(r, "Content-Encoding", rep.encoding);
    }
    if (rep.etag) {
        MHD_add_response_header(r, "ETag", rep.etag);
    }
    if (rep.last_modified) {
        MHD_add_response_header(r, "Last-Modified", rep.last_modified);
    }
    if (rep.location) {
        MHD_add_response_header(r, "Location", rep.location);
    }
    ret = MHD_queue_response(c, rep.status, r);
    MHD_destroy_response(r);
    return ret;
}

struct fixture {
    struct redis_fixture redis;
    redisContext *rc;
    struct MHD_Daemon *httpd;
    int http_port;
    rd_kafka_t *mock_rk;
    char bootstraps[256];
};

static struct fixture fx;

static redisContext *redis_connect(int port)
{
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (c && c->err) {
        redisFree(c);
        return NULL;
    }
    return c;
}

static int group_setup(void **state)
{
    char err[256];
    rd_kafka_conf_t *kconf;
    const rd_kafka_mock_cluster_t *mc;

    (void)state;
    if (redis_fixture_start(&fx.redis) != 0) {
        return 0; /* tests skip */
    }
    fx.rc = redis_connect(fx.redis.port);
    if (!fx.rc) {
        return 0; /* tests skip */
    }
    fx.httpd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
                                0, NULL, NULL, handler, NULL, MHD_OPTION_CONNECTION_LIMIT,
                                2000U, MHD_OPTION_LISTEN_BACKLOG_SIZE, 2048U, MHD_OPTION_END);
    assert_non_null(fx.httpd);
    fx.http_port = MHD_get_daemon_info(fx.httpd, MHD_DAEMON_INFO_BIND_PORT)->port;
    kconf = rd_kafka_conf_new();
    assert_int_equal(rd_kafka_conf_set(kconf, "test.mock.num.brokers", "1", err, sizeof(err)),
                     RD_KAFKA_CONF_OK);
    fx.mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, kconf, err, sizeof(err));
    assert_non_null(fx.mock_rk);
    mc = rd_kafka_handle_mock_cluster(fx.mock_rk);
    rd_kafka_mock_topic_create((rd_kafka_mock_cluster_t *)mc, "yuqing.items", 1, 1);
    snprintf(fx.bootstraps, sizeof(fx.bootstraps), "%s", rd_kafka_mock_cluster_bootstraps(mc));
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (fx.rc) {
        redisFree(fx.rc);
    }
    redis_fixture_stop(&fx.redis);
    if (fx.httpd) {
        MHD_stop_daemon(fx.httpd);
    }
    if (fx.mock_rk) {
        rd_kafka_destroy(fx.mock_rk);
    }
    return 0;
}

#define NEED_FIXTURE()                                                                         \
    do {                                                                                       \
        if (!fx.rc) {                                                                          \
            print_message("redis-server not available: skipping\n");                           \
            skip();                                                                            \
        }                                                                                      \
    } while (0)

static void redis_cmd(const char *cmd)
{
    redisReply *r = redisCommand(fx.rc, cmd);
    assert_non_null(r);
    freeReplyObject(r);
}

static char *hget(const char *key, const char *field)
{
    redisReply *r = redisCommand(fx.rc, "HGET %s %s", key, field);
    char *s = NULL;
    assert_non_null(r);
    if (r->type == REDIS_REPLY_STRING) {
        s = strdup(r->str);
    }
    freeReplyObject(r);
    return s;
}

static void assert_field(const char *key, const char *field, const char *want)
{
    char *v = hget(key, field);
    if (!v || !strstr(v, want)) {
        print_error("%s %s = '%s', want '%s'\n", key, field, v ? v : "(nil)", want);
    }
    assert_non_null(v);
    assert_non_null(strstr(v, want));
    free(v);
}

static long long exists(const char *key)
{
    redisReply *r = redisCommand(fx.rc, "EXISTS %s", key);
    long long v = r ? r->integer : -1;
    freeReplyObject(r);
    return v;
}

/* Load a config with collector settings extra and sources (YAML list items). */
static void load_cfg(struct collector_config *cfg, const char *extra, const char *sources)
{
    struct bbuf b;
    char err[256] = "";

    bbuf_init(&b, 1 << 24);
    assert_int_equal(bbuf_addf(&b,
                               "kafka:\n  bootstrap_servers: %s\n  flush_timeout_ms: 10s\n"
                               "redis:\n  port: %d\n  connect_timeout_ms: 500\n"
                               "collector:\n  timeout_ms: 3s\n  metrics_address: \"\"\n%s"
                               "sources:\n",
                               fx.bootstraps, fx.redis.port, extra ? extra : ""),
                     0);
    assert_int_equal(bbuf_adds(&b, sources), 0);
    if (collector_config_load(cfg, "t.yaml", b.data, b.len, err, sizeof(err)) != 0) {
        print_error("config: %s\n", err);
        fail();
    }
    bbuf_release(&b);
}

struct runner {
    struct store *st;
    struct item_producer *prod;
    struct poller *p;
};

static void runner_start(struct runner *r, const struct collector_config *cfg)
{
    char err[256] = "";
    r->st = store_new(&cfg->redis, cfg->collector.redis_retry_ms);
    assert_non_null(r->st);
    r->prod = item_producer_new(&cfg->kafka, r->st, NULL, err, sizeof(err));
    assert_non_null(r->prod);
    r->p = poller_new(cfg, r->st, r->prod, NULL, err, sizeof(err));
    assert_non_null(r->p);
}

static void runner_stop(struct runner *r)
{
    item_producer_free(r->prod);
    poller_free(r->p);
    store_free(r->st);
}

static int once(const struct collector_config *cfg)
{
    struct runner r;
    int rc;
    runner_start(&r, cfg);
    rc = poller_run(r.p, true, NULL);
    runner_stop(&r);
    return rc;
}

static void reset_server(struct reply (*fn)(const char *, int, void *), void *arg)
{
    pthread_mutex_lock(&lock);
    route = fn;
    route_arg = arg;
    hits = 0;
    pthread_mutex_unlock(&lock);
}

static char *item_seen_key(const char *guid)
{
    struct feed_entry e = {.id = (char *)guid};
    char id[FEED_ITEM_ID_LEN];
    char *k = malloc(128);
    assert_int_equal(feed_item_id(&e, id, sizeof(id)), 0);
    snprintf(k, 128, "yuqing:seen:%s", id);
    return k;
}

/* ---- FC-019 ---- */

static char fc019_feed[3][1024];

static struct reply fc019_route(const char *url, int n, void *arg)
{
    static const char *const etags[] = {"\"a1\"", "\"a1\"", "\"b2\""};
    static const char *const lms[] = {"Tue, 05 Mar 2024 01:00:00 GMT",
                                      "Tue, 05 Mar 2024 03:00:00 GMT",
                                      "Tue, 05 Mar 2024 03:00:00 GMT"};
    struct reply r = {.status = 200, .ctype = "application/rss+xml"};
    (void)url;
    (void)arg;
    if (n >= 3) {
        r.status = 304;
        r.body = "";
        r.etag = "\"b2\"";
        return r;
    }
    r.body = fc019_feed[n];
    r.etag = etags[n];
    r.last_modified = lms[n];
    return r;
}

static void test_fc_019_conditional_get_bookkeeping(void **state)
{
    static const char *const items[3][3] = {{"i1", "i2", NULL}, {"i3", "i1", "i2"},
                                            {"i4", "i3", "i1"}};
    struct collector_config cfg;
    char src[256];
    int new_items = 0;

    (void)state;
    NEED_FIXTURE();
    redis_cmd("FLUSHALL");
    for (int p = 0; p < 3; p++) {
        int off = snprintf(fc019_feed[p], sizeof(fc019_feed[p]),
                           "<rss version=\"2.0\"><channel><title>c</title>");
        for (int i = 0; i < 3 && items[p][i]; i++) {
            off += snprintf(fc019_feed[p] + off, sizeof(fc019_feed[p]) - (size_t)off,
                            "<item><guid>fc019-%s</guid><title>%s</title></item>", items[p][i],
                            items[p][i]);
        }
        snprintf(fc019_feed[p] + off, sizeof(fc019_feed[p]) - (size_t)off, "</channel></rss>");
    }
    reset_server(fc019_route, NULL);
    snprintf(src, sizeof(src), "  - id: fc019\n    url: http://127.0.0.1:%d/f.xml\n",
             fx.http_port);
    load_cfg(&cfg, NULL, src);
    for (int poll = 0; poll < 4; poll++) {
        assert_int_equal(once(&cfg), 0);
    }
    assert_int_equal(hits, 4);
    /* what each poll sent */
    assert_string_equal(sent_inm[0], "");
    assert_string_equal(sent_ims[0], "");
    assert_string_equal(sent_inm[1], "\"a1\"");
    assert_string_equal(sent_ims[1], "Tue, 05 Mar 2024 01:00:00 GMT");
    assert_string_equal(sent_inm[2], "\"a1\"");
    assert_string_equal(sent_ims[2], "Tue, 05 Mar 2024 03:00:00 GMT");
    assert_string_equal(sent_inm[3], "\"b2\"");
    assert_string_equal(sent_ims[3], "Tue, 05 Mar 2024 03:00:00 GMT");
    /* the 304 changed nothing and was healthy */
    assert_field("yuqing:source:fc019", "etag", "\"b2\"");
    assert_field("yuqing:source:fc019", "last_modified", "03:00:00");
    assert_field("yuqing:source:fc019", "last_status", "304");
    assert_field("yuqing:source:fc019", "state", "ok");
    for (int i = 1; i <= 4; i++) {
        char guid[32], *k;
        snprintf(guid, sizeof(guid), "fc019-i%d", i);
        k = item_seen_key(guid);
        new_items += exists(k) == 1;
        free(k);
    }
    assert_int_equal(new_items, 4);
    collector_config_release(&cfg);
}

/* ---- a source's own headers (design §3) ---- */

static struct reply hdr_route(const char *url, int n, void *arg)
{
    static const char feed[] = "<rss version=\"2.0\"><channel><title>c</title><item>"
                               "<guid>hdr-1</guid><title>t</title></item></channel></rss>";
    struct reply r = {.status = 200, .body = feed, .ctype = "application/rss+xml"};
    (void)url;
    (void)n;
    (void)arg;
    return r;
}

static void test_source_headers_reach_the_server(void **state)
{
    struct collector_config cfg;
    struct source_check chk;
    char src[512];

    (void)state;
    NEED_FIXTURE();
    redis_cmd("FLUSHALL");
    reset_server(hdr_route, NULL);
    snprintf(src, sizeof(src),
             "  - id: hdr\n    url: http://127.0.0.1:%d/f.xml\n    headers:\n"
             "      X-Api-Key: tok-123\n      User-Agent: custom-agent/2\n"
             "  - id: nohdr\n    url: http://127.0.0.1:%d/g.xml\n    enabled: false\n",
             fx.http_port, fx.http_port);
    load_cfg(&cfg, NULL, src);
    /* polling */
    assert_int_equal(once(&cfg), 0);
    assert_int_equal(hits, 1);
    assert_string_equal(sent_key[0], "tok-123");
    assert_string_equal(sent_ua[0], "custom-agent/2"); /* replaces collector.user_agent */
    assert_string_equal(sent_accept[0], "*/*");
    assert_field("yuqing:source:hdr", "state", "ok");
    /* `yuqingctl sources check` sends the same */
    assert_int_equal(sources_check_one(&cfg, &cfg.sources[0], &chk), 0);
    assert_int_equal(chk.state, SOURCE_OK);
    assert_int_equal(hits, 2);
    assert_string_equal(sent_key[1], "tok-123");
    assert_string_equal(sent_ua[1], "custom-agent/2");
    /* a source without headers sends none of them */
    assert_int_equal(sources_check_one(&cfg, &cfg.sources[1], &chk), 0);
    assert_int_equal(hits, 3);
    assert_string_equal(sent_key[2], "");
    assert_non_null(strstr(sent_ua[2], "yuqing-collector/"));
    collector_config_release(&cfg);
}

/* ---- HTTP mechanics ---- */

static char *gz_body;
static size_t gz_len;
static char big_body[8192];

static struct reply mech_route(const char *url, int n, void *arg)
{
    static const char feed[] = "<rss version=\"2.0\"><channel><title>t</title><item>"
                               "<guid>mech-1</guid><title>x</title></item></channel></rss>";
    struct reply r = {.status = 200, .body = feed, .ctype = "application/rss+xml"};
    (void)n;
    (void)arg;
    if (strcmp(url, "/gzip") == 0) {
        r.body = gz_body;
        r.len = gz_len;
        r.encoding = "gzip";
    } else if (strcmp(url, "/badgzip") == 0) {
        r.body = "this is not gzip at all";
        r.encoding = "gzip";
    } else if (strcmp(url, "/redirect") == 0) {
        r.status = 302;
        r.body = "";
        r.location = "/feed";
    } else if (strcmp(url, "/loop") == 0) {
        r.status = 302;
        r.body = "";
        r.location = "/loop";
    } else if (strcmp(url, "/5xx") == 0) {
        r.status = 503;
        r.body = "busy";
    } else if (strcmp(url, "/slow") == 0) {
        r.delay_ms = 1500;
    } else if (strcmp(url, "/big") == 0) {
        r.body = big_body;
    } else if (strcmp(url, "/html") == 0) {
        r.body = "<!DOCTYPE html><html><head><title>安全验证</title></head><body>x</body></html>";
        r.ctype = "text/html; charset=utf-8";
    }
    return r;
}

static void test_http_gzip_redirect_5xx_slow_big_html(void **state)
{
    struct collector_config cfg;
    char src[2048], *raw = NULL, ce[64];
    size_t len = 0;
    char *k;
    struct runner r;

    (void)state;
    NEED_FIXTURE();
    redis_cmd("FLUSHALL");
    /* FC-017: the raw gzip response from the case file, served with Content-Encoding */
    SHARED_READ_OR_SKIP("cases/inputs/FC-017.http", &raw, &len);
    gz_body = (char *)http_split(raw, len, "Content-Encoding", ce, sizeof(ce), &gz_len);
    assert_string_equal(ce, "gzip");
    memset(big_body, 'x', sizeof(big_body) - 1);
    reset_server(mech_route, NULL);
    snprintf(src, sizeof(src),
             "  - id: gz\n    url: http://127.0.0.1:%d/gzip\n"
             "  - id: badgz\n    url: http://127.0.0.1:%d/badgzip\n"
             "  - id: redir\n    url: http://127.0.0.1:%d/redirect\n"
             "  - id: loop\n    url: http://127.0.0.1:%d/loop\n"
             "  - id: e5xx\n    url: http://127.0.0.1:%d/5xx\n    interval: 10s\n"
             "  - id: slow\n    url: http://127.0.0.1:%d/slow\n"
             "  - id: big\n    url: http://127.0.0.1:%d/big\n"
             "  - id: html\n    url: http://127.0.0.1:%d/html\n",
             fx.http_port, fx.http_port, fx.http_port, fx.http_port, fx.http_port, fx.http_port,
             fx.http_port, fx.http_port);
    load_cfg(&cfg, "  timeout_ms: 700\n  max_redirects: 3\n  max_body_bytes: 4k\n", src);
    runner_start(&r, &cfg);
    assert_int_equal(poller_run(r.p, true, NULL), 0);
    runner_stop(&r);
    /* gzip decoded: the 2 items of FC-017 were produced */
    assert_field("yuqing:source:gz", "state", "ok");
    assert_field("yuqing:source:gz", "items_last_seen", "2");
    /* an undecodable coding: a fetch error, never bytes to the parser */
    assert_field("yuqing:source:badgz", "state", "network_error");
    assert_field("yuqing:source:redir", "state", "ok");
    k = item_seen_key("mech-1");
    assert_int_equal(exists(k), 1);
    free(k);
    assert_field("yuqing:source:loop", "state", "network_error");
    assert_field("yuqing:source:loop", "last_error", "edirect");
    assert_field("yuqing:source:e5xx", "state", "http_error");
    assert_field("yuqing:source:e5xx", "last_status", "503");
    assert_field("yuqing:source:e5xx", "consecutive_failures", "1");
    assert_field("yuqing:source:slow", "state", "network_error");
    assert_field("yuqing:source:slow", "last_error", "timed out");
    assert_field("yuqing:source:big", "state", "too_big");
    assert_field("yuqing:source:big", "last_error", "max_body_bytes");
    /* FC-018: not_a_feed, not a success, nothing stored as items */
    assert_field("yuqing:source:html", "state", "not_a_feed");
    assert_null(hget("yuqing:source:html", "last_success"));
    assert_null(hget("yuqing:source:html", "items_last_seen"));
    free(raw);
    collector_config_release(&cfg);
}

/* Run the poller continuously for ms, then stop it as SIGTERM would. */
static void *stopper(void *arg)
{
    usleep((useconds_t)(*(int *)arg) * 1000);
    yq_proc_stop = 1;
    return NULL;
}

static const struct poller_stats *run_for(struct runner *r, int ms)
{
    pthread_t t;
    yq_proc_stop = 0;
    assert_int_equal(pthread_create(&t, NULL, stopper, &ms), 0);
    assert_int_equal(poller_run(r->p, false, NULL), 0);
    pthread_join(t, NULL);
    yq_proc_stop = 0;
    return poller_get_stats(r->p);
}

static char hit_paths[4096][32];

static struct reply backoff_route(const char *url, int n, void *arg)
{
    struct reply r = {.status = 503, .body = "busy"};
    (void)arg;
    if (n < 4096) {
        snprintf(hit_paths[n], sizeof(hit_paths[n]), "%s", url);
    }
    if (strcmp(url, "/418") == 0) {
        r.status = 418;
    }
    return r;
}

static int count_hits(const char *path)
{
    int c = 0;
    for (int i = 0; i < hits && i < 4096; i++) {
        c += strcmp(hit_paths[i], path) == 0;
    }
    return c;
}

static void test_backoff_5xx_and_rate_limit(void **state)
{
    struct collector_config cfg;
    struct runner r;
    char src[512], *v;
    int n503, n418;

    (void)state;
    NEED_FIXTURE();
    redis_cmd("FLUSHALL");
    reset_server(backoff_route, NULL);
    snprintf(src, sizeof(src),
             "  - id: b503\n    url: http://127.0.0.1:%d/503\n    interval: 1s\n"
             "  - id: b418\n    url: http://127.0.0.1:%d/418\n    interval: 1s\n",
             fx.http_port, fx.http_port);
    load_cfg(&cfg, "  backoff_max_ms: 1h\n", src);
    runner_start(&r, &cfg);
    run_for(&r, 3500);
    runner_stop(&r);
    n503 = count_hits("/503");
    n418 = count_hits("/418");
    /* 503: 1 s, then [1 s, 2 s], then [2 s, 4 s]: 2 or 3 polls in 3.5 s, never 4 */
    assert_in_range(n503, 2, 3);
    v = hget("yuqing:source:b503", "consecutive_failures");
    assert_non_null(v);
    assert_int_equal(strtol(v, NULL, 10), n503);
    free(v);
    /* 418: the next attempt waits at least 2x the interval (FC-005) */
    assert_in_range(n418, 1, 2);
    assert_field("yuqing:source:b418", "state", "rate_limited");
    collector_config_release(&cfg);
}

/* ---- Weibo through the poller: FC-005 sequence, FC-001 long text ---- */

static char *fc005_bodies[6];
static unsigned fc005_status[6];
static const char *fc005_ctype[6];
static int fc005_step;
static char *fc001_page, *fc001_extend;
static bool fc001_extend_fails;

static struct reply weibo_route(const char *url, int n, void *arg)
{
    struct reply r = {.status = 200, .ctype = "application/json; charset=utf-8"};
    (void)n;
    (void)arg;
    if (strncmp(url, "/fc005", 6) == 0) {
        r.status = fc005_status[fc005_step];
        r.body = fc005_bodies[fc005_step];
        r.ctype = fc005_ctype[fc005_step];
    } else if (strncmp(url, "/api/container/getIndex", 23) == 0) {
        r.body = fc001_page;
    } else if (strncmp(url, "/statuses/extend", 16) == 0) {
        r.body = fc001_extend_fails ? "" : fc001_extend;
        r.status = fc001_extend_fails ? 500 : 200;
    } else {
        r.status = 404;
        r.body = "";
    }
    return r;
}

static void test_fc_005_weibo_states_through_the_poller(void **state)
{
    static const char *const want[] = {"rate_limited", "auth_required", "auth_required",
                                       "ok", "blocked", "auth_required"};
    char *raw = NULL, src[256];
    size_t len = 0, i;
    json_t *in;
    const json_t *resp;
    struct collector_config cfg;
    int alerts_changed = 0;
    char *last_success_before = NULL;

    (void)state;
    NEED_FIXTURE();
    SHARED_READ_OR_SKIP("cases/inputs/FC-005.json", &raw, &len);
    in = json_loadb(raw, len, 0, NULL);
    free(raw);
    json_array_foreach(json_object_get(in, "responses"), i, resp) {
        const json_t *b = json_object_get(resp, "body");
        fc005_bodies[i] = json_is_string(b) ? strdup(json_string_value(b))
                                            : json_dumps(b, JSON_COMPACT);
        fc005_status[i] = (unsigned)json_integer_value(json_object_get(resp, "status"));
        fc005_ctype[i] = json_string_value(
            json_object_get(json_object_get(resp, "headers"), "Content-Type"));
    }
    redis_cmd("FLUSHALL");
    reset_server(weibo_route, NULL);
    snprintf(src, sizeof(src), "  - id: wb5\n    kind: weibo_user\n    url: "
                               "http://127.0.0.1:%d/fc005?containerid=1076030000000001\n",
             fx.http_port);
    load_cfg(&cfg, NULL, src);
    for (fc005_step = 0; fc005_step < 6; fc005_step++) {
        char *ls;
        assert_int_equal(once(&cfg), 0);
        assert_field("yuqing:source:wb5", "state", want[fc005_step]);
        ls = hget("yuqing:source:wb5", "last_success");
        /* only n=4 may update "last successful poll" */
        if (fc005_step == 3) {
            assert_non_null(ls);
        } else if (fc005_step < 3) {
            assert_null(ls);
        } else {
            assert_string_equal(ls, last_success_before);
        }
        free(last_success_before);
        last_success_before = ls;
        alerts_changed++;
    }
    free(last_success_before);
    for (i = 0; i < 6; i++) {
        free(fc005_bodies[i]);
    }
    json_decref(in);
    collector_config_release(&cfg);
}

static void test_fc_001_long_text_cycle_and_retry(void **state)
{
    char *raw = NULL, src[256], *v;
    size_t len = 0;
    json_t *in, *item;
    struct collector_config cfg;
    const char *full;

    (void)state;
    NEED_FIXTURE();
    SHARED_READ_OR_SKIP("cases/inputs/FC-001.json", &raw, &len);
    in = json_loadb(raw, len, 0, NULL);
    free(raw);
    fc001_page = json_dumps(json_object_get(in, "timeline_getIndex"), JSON_COMPACT);
    fc001_extend = json_dumps(json_object_get(in, "statuses_extend_4990000000000123"),
                              JSON_COMPACT);
    full = json_string_value(json_object_get(
        json_object_get(json_object_get(in, "statuses_extend_4990000000000123"), "data"),
        "longTextContent"));
    redis_cmd("FLUSHALL");
    reset_server(weibo_route, NULL);
    snprintf(src, sizeof(src), "  - id: wb1\n    kind: weibo_user\n    uid: \"1\"\n"
                               "    max_pages: 1\n");
    {
        char extra[256];
        snprintf(extra, sizeof(extra), "  weibo_api: http://127.0.0.1:%d\n", fx.http_port);
        load_cfg(&cfg, extra, src);
    }
    /* 1: the extend endpoint fails: the item goes out truncated and is queued for retry */
    fc001_extend_fails = true;
    assert_int_equal(once(&cfg), 0);
    assert_int_equal(exists("yuqing:seen:weibo:4990000000000123"), 1);
    v = NULL;
    {
        redisReply *r = redisCommand(fx.rc, "HGET yuqing:source:wb1:longtext 4990000000000123");
        assert_non_null(r);
        assert_int_equal(r->type, REDIS_REPLY_STRING);
        item = json_loads(r->str, 0, NULL);
        freeReplyObject(r);
    }
    assert_true(json_is_true(json_object_get(item, "truncated")));
    json_decref(item);
    /* 2: the next cycle retries: the completed item is produced, the retry entry removed */
    fc001_extend_fails = false;
    assert_int_equal(once(&cfg), 0);
    assert_int_equal(exists("yuqing:source:wb1:longtext"), 0);
    assert_field("yuqing:source:wb1", "state", "ok");
    /* 3: a fresh post is completed before it is sent */
    redis_cmd("FLUSHALL");
    assert_int_equal(once(&cfg), 0);
    assert_int_equal(exists("yuqing:source:wb1:longtext"), 0);
    assert_int_equal(exists("yuqing:seen:weibo:4990000000000123"), 1);
    (void)full;
    free(v);
    free(fc001_page);
    free(fc001_extend);
    json_decref(in);
    collector_config_release(&cfg);
}

/* ---- 1,000 sources ---- */

static struct reply many_route(const char *url, int n, void *arg)
{
    static __thread char body[512];
    struct reply r = {.status = 200, .ctype = "application/rss+xml", .etag = "\"v\""};
    (void)n;
    (void)arg;
    snprintf(body, sizeof(body),
             "<rss version=\"2.0\"><channel><title>s</title><item><guid>many%s</guid>"
             "<title>t</title></item></channel></rss>",
             url);
    r.body = body;
    return r;
}

static void test_thousand_sources_keep_their_interval(void **state)
{
    struct collector_config cfg;
    struct runner r;
    struct bbuf b;
    const struct poller_stats *st;

    (void)state;
    NEED_FIXTURE();
    redis_cmd("FLUSHALL");
    reset_server(many_route, NULL);
    bbuf_init(&b, 1 << 22);
    for (int i = 0; i < 1000; i++) {
        /* ten loopback hosts: the per-host limit applies to each */
        assert_int_equal(bbuf_addf(&b, "  - id: s%d\n    url: http://127.0.0.%d:%d/f%d.xml\n"
                                       "    interval: 2s\n",
                                   i, 1 + i % 10, fx.http_port, i),
                         0);
    }
    load_cfg(&cfg, "  max_per_host: 4\n  max_parallel: 64\n", b.data);
    bbuf_release(&b);
    runner_start(&r, &cfg);
    st = run_for(&r, 5000);
    print_message("1000 sources, 5 s: cycles=%lld requests=%lld lag_max_ms=%lld "
                  "lag_mean_ms=%lld\n",
                  (long long)st->cycles, (long long)st->requests, (long long)st->lag_max_ms,
                  (long long)(st->cycles ? st->lag_sum_ms / st->cycles : 0));
    /* every source polled at 0 s, 2 s and 4 s: 3,000 cycles, none late by an interval */
    assert_true(st->cycles >= 2900);
    assert_true(st->lag_max_ms < 2000);
    runner_stop(&r);
    collector_config_release(&cfg);
}

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
    return bbuf_add(arg, data, size * n) == 0 ? size * n : 0;
}

static void test_metrics_endpoint(void **state)
{
    struct collector_config cfg;
    struct poller_opts opts = {0};
    struct metrics_server *m;
    struct store *st;
    struct item_producer *prod;
    struct poller *p;
    char err[256], src[512], url[128];
    struct bbuf body;
    CURL *c;
    long status = 0;

    (void)state;
    NEED_FIXTURE();
    redis_cmd("FLUSHALL");
    reset_server(mech_route, NULL);
    snprintf(src, sizeof(src),
             "  - id: m-ok\n    url: http://127.0.0.1:%d/feed\n"
             "  - id: m-html\n    url: http://127.0.0.1:%d/html\n",
             fx.http_port, fx.http_port);
    load_cfg(&cfg, NULL, src);
    assert_null(metrics_server_start("not-an-address", 0, err, sizeof(err)));
    m = metrics_server_start("127.0.0.1", 0, err, sizeof(err));
    assert_non_null(m);
    assert_true(metrics_server_port(m) > 0);
    opts.metrics = m;
    st = store_new(&cfg.redis, cfg.collector.redis_retry_ms);
    prod = item_producer_new(&cfg.kafka, st, NULL, err, sizeof(err));
    p = poller_new(&cfg, st, prod, &opts, err, sizeof(err));
    assert_non_null(p);
    assert_int_equal(poller_run(p, true, NULL), 0);
    bbuf_init(&body, 1 << 20);
    c = curl_easy_init();
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", metrics_server_port(m));
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 200);
    assert_non_null(strstr(body.data, "yuqing_collector_sources 2\n"));
    assert_non_null(strstr(body.data, "yuqing_collector_source_state{source=\"m-ok\",state=\"ok\"} 1"));
    assert_non_null(strstr(body.data, "yuqing_collector_source_state{source=\"m-html\","
                                      "state=\"not_a_feed\"} 1"));
    assert_non_null(strstr(body.data, "yuqing_collector_source_up{source=\"m-html\"} 0"));
    assert_non_null(strstr(body.data, "yuqing_collector_source_polls_total{source=\"m-ok\","
                                      "state=\"ok\"} 1"));
    assert_non_null(strstr(body.data, "# TYPE yuqing_collector_source_items_produced_total counter"));
    curl_easy_cleanup(c);
    bbuf_release(&body);
    item_producer_free(prod);
    poller_free(p);
    store_free(st);
    metrics_server_stop(m);
    collector_config_release(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fc_019_conditional_get_bookkeeping),
        cmocka_unit_test(test_source_headers_reach_the_server),
        cmocka_unit_test(test_http_gzip_redirect_5xx_slow_big_html),
        cmocka_unit_test(test_backoff_5xx_and_rate_limit),
        cmocka_unit_test(test_fc_005_weibo_states_through_the_poller),
        cmocka_unit_test(test_fc_001_long_text_cycle_and_retry),
        cmocka_unit_test(test_thousand_sources_keep_their_interval),
        cmocka_unit_test(test_metrics_endpoint),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, group_setup, group_teardown);
    curl_global_cleanup();
    return rc;
}
