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
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "yq_buf.h"
#include "collector_cfg.h"
#include "collector_fixture.h"
#include "collector_stack_fixture.h"
#include "feed_item.h"
#include "feed_sha1.h"
#include "fetch.h"
#include "item_producer.h"
#include "yq_json.h"
#include "yq_metrics_http.h"
#include "poller.h"
#include "redis_fixture.h"
#include "shared_input.h"
#include "source_run.h"
#include "test_expect.h"
#include "sources_cli.h"
#include "store.h"
#include "yq_err.h"
#include "yq_health.h"
#include "weibo.h"
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
    const char *content_location; /* Content-Location or NULL (issue #15) */
    const char *retry_after;      /* Retry-After or NULL */
    int delay_ms;
    bool hold;             /* answer only once release_hold() (or 20 s, a hang guard) */
};

#define MAX_LOG 64
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct reply (*route)(const char *url, int n, void *arg);
static void *route_arg;
static int hits;
static char sent_inm[MAX_LOG][64], sent_ims[MAX_LOG][64];
static char sent_key[MAX_LOG][64], sent_ua[MAX_LOG][128], sent_accept[MAX_LOG][64];
static char sent_ae[MAX_LOG][64];   /* Accept-Encoding */
static char hit_order[MAX_LOG][32]; /* paths in arrival order */

/* held requests: answered once released (hang guard 20 s, never a timing assertion) */
static pthread_cond_t hold_cond = PTHREAD_COND_INITIALIZER;
static bool hold_released;
static int holds_waiting;

static void release_hold(void)
{
    pthread_mutex_lock(&lock);
    hold_released = true;
    pthread_cond_broadcast(&hold_cond);
    pthread_mutex_unlock(&lock);
}

static void wait_hold(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 20;
    pthread_mutex_lock(&lock);
    holds_waiting++;
    while (!hold_released) {
        if (pthread_cond_timedwait(&hold_cond, &lock, &ts) != 0) {
            break;
        }
    }
    holds_waiting--;
    pthread_mutex_unlock(&lock);
}

static enum MHD_Result handler(struct MHD_Connection *c, const char *url, void *arg)
{
    struct reply rep;
    struct MHD_Response *r;
    enum MHD_Result ret;
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match");
    const char *ims = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-Modified-Since");
    const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Api-Key");
    const char *ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
    const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
    const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
    int n;

    (void)arg;
    pthread_mutex_lock(&lock);
    n = hits++;
    if (n < MAX_LOG) {
        snprintf(sent_inm[n], sizeof(sent_inm[n]), "%s", inm ? inm : "");
        snprintf(sent_ims[n], sizeof(sent_ims[n]), "%s", ims ? ims : "");
        snprintf(sent_key[n], sizeof(sent_key[n]), "%s", key ? key : "");
        snprintf(sent_ua[n], sizeof(sent_ua[n]), "%s", ua ? ua : "");
        snprintf(sent_accept[n], sizeof(sent_accept[n]), "%s", accept ? accept : "");
        snprintf(sent_ae[n], sizeof(sent_ae[n]), "%s", ae ? ae : "");
        snprintf(hit_order[n], sizeof(hit_order[n]), "%s", url);
    }
    rep = route(url, n, route_arg);
    pthread_mutex_unlock(&lock);
    if (rep.delay_ms) {
        usleep((useconds_t)rep.delay_ms * 1000);
    }
    if (rep.hold) {
        wait_hold();
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
    if (rep.content_location) {
        MHD_add_response_header(r, "Content-Location", rep.content_location);
    }
    if (rep.retry_after) {
        MHD_add_response_header(r, "Retry-After", rep.retry_after);
    }
    ret = MHD_queue_response(c, rep.status, r);
    MHD_destroy_response(r);
    return ret;
}

static struct cfx_stack fx;

static int group_setup(void **state)
{
    (void)state;
    return cfx_stack_setup(&fx, handler, 2000);
}

static int group_teardown(void **state)
{
    (void)state;
    return cfx_stack_teardown(&fx);
}

#define NEED_FIXTURE() CFX_STACK_NEED(&fx)

/* A config on fx with the collector settings extra (may be NULL) and sources (YAML list items). */
static void load_cfg(struct collector_config *cfg, const char *extra, const char *sources)
{
    cfx_stack_load_cfg(&fx, cfg, "60s", extra, sources);
}

static void redis_cmd(const char *cmd)
{
    redisReply *r = redisCommand(fx.rc, cmd);
    assert_non_null(r);
    freeReplyObject(r);
}

static void assert_field(const char *key, const char *field, const char *want)
{
    char *v = cfx_hget(fx.rc, key, field);
    if (!v || !strstr(v, want)) {
        print_error("%s %s = '%s', want '%s'\n", key, field, v ? v : "(nil)", want);
    }
    assert_non_null(v);
    assert_non_null(strstr(v, want));
    free(v);
}

/* Each source of ids (space-separated) has the state want in its health record. */
static void assert_states(const char *ids, const char *want)
{
    char id[64], key[96];
    int used;

    for (const char *at = ids; sscanf(at, " %63s%n", id, &used) == 1; at += used) {
        snprintf(key, sizeof(key), "yuqing:source:%s", id);
        assert_field(key, "state", want);
    }
}

static long long exists(const char *key)
{
    return cfx_redis_int(fx.rc, "EXISTS %s", key);
}

static void runner_start(struct cfx_run *r, const struct collector_config *cfg)
{
    cfx_run_new(r, cfg, NULL);
}

/*
 * Virtual clocks for the poller (issue #10): time moves only as the test says, so what is
 * asserted is behaviour (who is polled, in which order, how often per interval), never how
 * much a busy machine got done in some seconds of wall time. Read on the loop's thread.
 */
struct vclock {
    struct poller *p;         /* set once the poller exists */
    int64_t now;
    int64_t idle_step_ms;     /* idle mode: added per reading while no cycle is running */
    int64_t per_poll_ms;      /* poll mode: now = per_poll_ms x cycles finished */
    int64_t stop_at_ms;       /* yq_proc_stop once now reaches this (0: never) */
    int64_t stop_after_polls; /* yq_proc_stop once this many cycles finished (0: never) */
    int64_t per_reading_ms;   /* reading mode: added at every reading */
    int64_t idle_bonus_ms;    /* poll mode with idle_step_ms: the idle steps taken so far */
    bool jump_to_due;         /* jump mode: stands still while polls run; when none runs, moves
                                 to the earliest due time (deterministic whatever the threads) */
    int64_t jumps;            /* jump mode: how many times it moved */
};

static int64_t vclock_now(void *arg)
{
    struct vclock *c = arg;
    const struct poller_stats *st = c->p ? poller_get_stats(c->p) : NULL;

    if (!st) {
        return c->now;
    }
    if (c->jump_to_due && st->cycles == st->polls &&
        !(c->stop_after_polls && st->polls >= c->stop_after_polls)) {
        int64_t due = poller_next_due_ms(c->p);
        if (due != INT64_MAX && due > c->now) {
            c->now = due;
            c->jumps++;
        }
    }
    if (c->idle_step_ms && st->cycles == st->polls) {
        c->now += c->idle_step_ms;
        c->idle_bonus_ms += c->idle_step_ms;
    }
    if (c->per_poll_ms) {
        /* with idle_step_ms too: a stretch with nothing due still moves the clock */
        c->now = c->per_poll_ms * st->polls + (c->idle_step_ms ? c->idle_bonus_ms : 0);
    }
    if (c->per_reading_ms) {
        c->now += c->per_reading_ms;
    }
    if (c->stop_at_ms && c->now >= c->stop_at_ms) {
        c->now = c->stop_at_ms;
        yq_proc_stop = 1;
    }
    if (c->stop_after_polls && st->polls >= c->stop_after_polls) {
        yq_proc_stop = 1;
    }
    return c->now;
}

/* Start a poller over cfg on virtual clock c and run it until c stops it. */
static void run_virtual(struct cfx_run *r, const struct collector_config *cfg, struct vclock *c)
{
    struct poller_opts opts = {.clock = {.now_ms = vclock_now, .arg = c}};

    c->p = NULL;
    cfx_run_new(r, cfg, &opts);
    c->p = r->p;
    yq_proc_stop = 0;
    assert_int_equal(poller_run(r->p, false, NULL), 0);
    yq_proc_stop = 0;
}

static int once(const struct collector_config *cfg)
{
    struct cfx_run r;
    int rc;
    runner_start(&r, cfg);
    rc = poller_run(r.p, true, NULL);
    cfx_run_free(&r);
    return rc;
}

static void reset_server(struct reply (*fn)(const char *, int, void *), void *arg)
{
    pthread_mutex_lock(&lock);
    /* requests an earlier test held are answered first: on a loaded machine one could still
     * be waiting and count in the next test's holds_waiting (hang guard 20 s) */
    hold_released = true;
    pthread_cond_broadcast(&hold_cond);
    for (int i = 0; i < 2000 && holds_waiting > 0; i++) {
        pthread_mutex_unlock(&lock);
        usleep(10000);
        pthread_mutex_lock(&lock);
    }
    route = fn;
    route_arg = arg;
    hits = 0;
    hold_released = false;
    pthread_mutex_unlock(&lock);
}

/* A test's start on an empty Redis with the test server answering through fn. */
static void fresh_server(struct reply (*fn)(const char *, int, void *), void *arg)
{
    redis_cmd("FLUSHALL");
    reset_server(fn, arg);
}

/*
 * Load a config (collector settings extra, as load_cfg()) whose sources are feeds of the test
 * server: spec is "id=/path ..." (space-separated), each source followed by the YAML lines
 * per_source (may be NULL), e.g. "    interval: 1s\n".
 */
static void load_local(struct collector_config *cfg, const char *extra, const char *spec,
                       const char *per_source)
{
    struct yq_buf b;
    char id[64], path[128];
    int used;

    yq_buf_init(&b, 1 << 16);
    for (const char *at = spec; sscanf(at, " %63[^=]=%127s%n", id, path, &used) == 2;
         at += used) {
        assert_int_equal(yq_buf_addf(&b, "  - id: %s\n    url: http://127.0.0.1:%d%s\n%s", id,
                                     fx.http.port, path, per_source ? per_source : ""),
                         0);
    }
    assert_int_equal(yq_buf_addc(&b, '\0'), 0);
    load_cfg(cfg, extra, b.data);
    yq_buf_release(&b);
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

/* n polls of cfg, each by a fresh poller (validators read from Redis): n requests. */
static void poll_times(const struct collector_config *cfg, int n)
{
    for (int poll = 0; poll < n; poll++) {
        assert_int_equal(once(cfg), 0);
    }
    assert_int_equal(hits, n);
}

/* Request i sent If-None-Match inm and If-Modified-Since ims ("" = not sent). */
static void assert_sent(int i, const char *inm, const char *ims)
{
    assert_string_equal(sent_inm[i], inm);
    assert_string_equal(sent_ims[i], ims);
}

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
    load_local(&cfg, NULL, "fc019=/f.xml", NULL);
    poll_times(&cfg, 4);
    /* what each poll sent */
    assert_sent(0, "", "");
    assert_sent(1, "\"a1\"", "Tue, 05 Mar 2024 01:00:00 GMT");
    assert_sent(2, "\"a1\"", "Tue, 05 Mar 2024 03:00:00 GMT");
    assert_sent(3, "\"b2\"", "Tue, 05 Mar 2024 03:00:00 GMT");
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
    fresh_server(hdr_route, NULL);
    snprintf(src, sizeof(src),
             "  - id: hdr\n    url: http://127.0.0.1:%d/f.xml\n    headers:\n"
             "      X-Api-Key: tok-123\n      User-Agent: custom-agent/2\n"
             "  - id: nohdr\n    url: http://127.0.0.1:%d/g.xml\n    enabled: false\n",
             fx.http.port, fx.http.port);
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
/* gzip of an RSS start and 1 MiB of 'x' (1088 bytes): a zip bomb for max_body_bytes 4k */
static const char bomb_gz[] =
    "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\xed\xc1\xc1\x09\x80\x20\x00\x00\xc0\x55\xc2\x01"
    "\x22\x7a\x9b\xbb\x44\x08\x09\x61\xa0\x12\x8d\xdf\x10\x7d\xef\x2e\xb6\xde\xa7\x27\xb7\x5e"
    "\xee\xba\x85\x75\x5e\x42\x8a\xc7\xb9\xd7\x9a\xaf\x14\x47\x19\x57\x4e\x2f\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xc0"
    "\x4f\x1f\xae\x5a\xc9\xa4\x23\x00\x10\x00";
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
    } else if (strcmp(url, "/gzraw") == 0) {
        r.body = gz_body; /* gzip bytes without Content-Encoding (or a second layer) */
        r.len = gz_len;
    } else if (strcmp(url, "/bomb") == 0) {
        r.body = bomb_gz;
        r.len = sizeof(bomb_gz) - 1;
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
        r.hold = true; /* answered only after the poll gave up (release_hold()) */
    } else if (strcmp(url, "/big") == 0) {
        r.body = big_body;
    } else if (strcmp(url, "/html") == 0) {
        r.body = "<!DOCTYPE html><html><head><title>安全验证</title></head><body>x</body></html>";
        r.ctype = "text/html; charset=utf-8";
    } else if (strcmp(url, "/cl") == 0) {
        /* issue #15: a relative link is relative to the Content-Location, not to /cl */
        r.body = "<rss version=\"2.0\"><channel><title>t</title><item><title>cl</title>"
                 "<link>p/1.html</link></item></channel></rss>";
        r.content_location = "/zh/news/feed.xml";
    }
    return r;
}

static void test_http_gzip_redirect_5xx_slow_big_html(void **state)
{
    struct collector_config cfg;
    char src[2048], *raw = NULL, ce[64];
    size_t len = 0;
    char *k;
    struct cfx_run r;

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
             "  - id: gzraw\n    url: http://127.0.0.1:%d/gzraw\n"
             "  - id: bomb\n    url: http://127.0.0.1:%d/bomb\n"
             "  - id: redir\n    url: http://127.0.0.1:%d/redirect\n"
             "  - id: loop\n    url: http://127.0.0.1:%d/loop\n"
             "  - id: e5xx\n    url: http://127.0.0.1:%d/5xx\n    interval: 10s\n"
             "  - id: big\n    url: http://127.0.0.1:%d/big\n"
             "  - id: html\n    url: http://127.0.0.1:%d/html\n"
             "  - id: cl\n    url: http://127.0.0.1:%d/cl\n",
             fx.http.port, fx.http.port, fx.http.port, fx.http.port, fx.http.port, fx.http.port,
             fx.http.port, fx.http.port, fx.http.port, fx.http.port);
    /* a generous timeout: on a loaded machine the local answers must not time out */
    load_cfg(&cfg, "  timeout_ms: 60s\n  max_redirects: 3\n  max_body_bytes: 4k\n", src);
    runner_start(&r, &cfg);
    assert_int_equal(poller_run(r.p, true, NULL), 0);
    cfx_run_free(&r);
    collector_config_release(&cfg);
    /* a server that never answers in time (held until the poll is over): timed out */
    load_local(&cfg, "  timeout_ms: 700\n", "slow=/slow", NULL);
    runner_start(&r, &cfg);
    assert_int_equal(poller_run(r.p, true, NULL), 0);
    cfx_run_free(&r);
    release_hold();
    /* gzip decoded: the 2 items of FC-017 were produced */
    assert_field("yuqing:source:gz", "state", "ok");
    assert_field("yuqing:source:gz", "items_last_seen", "2");
    /* an undecodable coding: a fetch error, never bytes to the parser */
    assert_field("yuqing:source:badgz", "state", "network_error");
    /* gzip bytes left after decoding (no Content-Encoding, or gzip twice): a fetch error
     * naming it, never a parse of compressed bytes (FC-017) */
    assert_field("yuqing:source:gzraw", "state", "network_error");
    assert_field("yuqing:source:gzraw", "last_error", "gzip-compressed");
    assert_null(cfx_hget(fx.rc, "yuqing:source:gzraw", "last_success"));
    /* 1 KiB of gzip that decodes to 1 MiB: the cap counts decoded bytes, the transfer stops */
    assert_field("yuqing:source:bomb", "state", "too_big");
    assert_field("yuqing:source:bomb", "last_error", "max_body_bytes");
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
    assert_null(cfx_hget(fx.rc, "yuqing:source:html", "last_success"));
    assert_null(cfx_hget(fx.rc, "yuqing:source:html", "items_last_seen"));
    /* issue #15: the response's Content-Location is the base of its relative links */
    assert_field("yuqing:source:cl", "state", "ok");
    {
        char link[128], id[FEED_ITEM_ID_LEN], key[128];
        struct feed_entry e = {.link = link};
        snprintf(link, sizeof(link), "http://127.0.0.1:%d/zh/news/p/1.html", fx.http.port);
        assert_int_equal(feed_item_id(&e, id, sizeof(id)), 0);
        snprintf(key, sizeof(key), "yuqing:seen:%s", id);
        assert_int_equal(exists(key), 1);
    }
    free(raw);
    collector_config_release(&cfg);
}

/* ---- content codings checked to their end (field review) ---- */

#define CODED_ITEMS 40
static char coded_feed[CODED_ITEMS * 160 + 256];
static size_t coded_feed_len;

/* An RSS feed of CODED_ITEMS items (guid "cz-<i>") with text that compresses poorly. */
static void make_coded_feed(void)
{
    uint32_t x = 12345;
    int off =
        snprintf(coded_feed, sizeof(coded_feed), "<rss version=\"2.0\"><channel><title>cz</title>");
    for (int i = 0; i < CODED_ITEMS; i++) {
        char text[97];
        for (size_t k = 0; k < sizeof(text) - 1; k++) {
            x = x * 1103515245u + 12345u;
            text[k] = (char)('a' + (x >> 16) % 26);
        }
        text[sizeof(text) - 1] = '\0';
        off += snprintf(coded_feed + off, sizeof(coded_feed) - (size_t)off,
                        "<item><guid>cz-%d</guid><title>%s</title></item>", i, text);
    }
    off += snprintf(coded_feed + off, sizeof(coded_feed) - (size_t)off, "</channel></rss>");
    coded_feed_len = (size_t)off;
}

/* in (len bytes) compressed with zlib window bits (31 gzip, 15 zlib, -15 raw deflate). */
static size_t compress_bits(const char *in, size_t len, int bits, unsigned char *out, size_t cap)
{
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    deflateEnd(&z);
    return z.total_out;
}

static unsigned char cz_gzip[sizeof(coded_feed) + 64], cz_zlib[sizeof(coded_feed) + 64];
static unsigned char cz_raw[sizeof(coded_feed) + 64], cz_badcrc[sizeof(coded_feed) + 64];
static unsigned char cz_trail[sizeof(coded_feed) + 64];
static size_t cz_gzip_len, cz_zlib_len, cz_raw_len;

static void make_coded_bodies(void)
{
    make_coded_feed();
    cz_gzip_len = compress_bits(coded_feed, coded_feed_len, 31, cz_gzip, sizeof(cz_gzip));
    cz_zlib_len = compress_bits(coded_feed, coded_feed_len, 15, cz_zlib, sizeof(cz_zlib));
    cz_raw_len = compress_bits(coded_feed, coded_feed_len, -15, cz_raw, sizeof(cz_raw));
    memcpy(cz_badcrc, cz_gzip, cz_gzip_len);
    cz_badcrc[cz_gzip_len - 8] ^= 0x55; /* the CRC-32 of the trailer */
    memcpy(cz_trail, cz_gzip, cz_gzip_len);
    memcpy(cz_trail + cz_gzip_len, "junk", 4);
}

static struct reply coded_route(const char *url, int n, void *arg)
{
    struct reply r = {.status = 200,
                      .ctype = "application/rss+xml",
                      .encoding = "gzip",
                      .etag = "\"cz1\"",
                      .last_modified = "Tue, 05 Mar 2024 01:00:00 GMT"};
    (void)arg;
    r.body = (const char *)cz_gzip;
    r.len = cz_gzip_len;
    if (strcmp(url, "/gz-cut") == 0 && n == 0) {
        r.len = cz_gzip_len / 2; /* complete by Content-Length, the stream cut */
    } else if (strcmp(url, "/zlib-cut") == 0) {
        r.body = (const char *)cz_zlib;
        r.len = cz_zlib_len / 2;
        r.encoding = "deflate";
    } else if (strcmp(url, "/raw-cut") == 0) {
        r.body = (const char *)cz_raw;
        r.len = cz_raw_len / 2;
        r.encoding = "deflate";
    } else if (strcmp(url, "/raw") == 0) {
        r.body = (const char *)cz_raw;
        r.len = cz_raw_len;
        r.encoding = "deflate";
    } else if (strcmp(url, "/zlib") == 0) {
        r.body = (const char *)cz_zlib;
        r.len = cz_zlib_len;
        r.encoding = "deflate";
    } else if (strcmp(url, "/badcrc") == 0) {
        r.body = (const char *)cz_badcrc;
    } else if (strcmp(url, "/trail") == 0) {
        r.body = (const char *)cz_trail;
        r.len = cz_gzip_len + 4;
    } else if (strcmp(url, "/br") == 0) {
        r.encoding = "br"; /* never asked for */
    } else if (strcmp(url, "/twice") == 0) {
        r.encoding = "gzip, gzip";
    } else if (strcmp(url, "/bomb") == 0) {
        r.body = bomb_gz;
        r.len = sizeof(bomb_gz) - 1;
    } else if (strcmp(url, "/429cut") == 0) {
        r.status = 429; /* an error page, gzip, cut: the status still decides the state */
        r.len = cz_gzip_len / 2;
    }
    return r;
}

/* How many of the coded feed's items are marked seen (produced). */
static int coded_items_seen(void)
{
    int seen = 0;
    for (int i = 0; i < CODED_ITEMS; i++) {
        char guid[32], *k;
        snprintf(guid, sizeof(guid), "cz-%d", i);
        k = item_seen_key(guid);
        seen += exists(k) == 1;
        free(k);
    }
    return seen;
}

/*
 * Field review: a body complete by Content-Length whose gzip/deflate stream is cut short, has
 * a bad CRC or bytes after its end, or a coding never asked for, is a network_error naming the
 * fault; nothing of it is parsed or produced and its validators are not stored, so the next
 * poll asks without If-None-Match and gets the whole feed. libcurl had passed the decoded half.
 */
static void test_truncated_or_corrupt_coding_is_a_fetch_error(void **state)
{
    static const struct {
        const char *id, *want;
    } bad[] = {
        {"zlibcut", "deflate stream truncated"},
        {"rawcut", "deflate stream truncated"},
        {"badcrc", "gzip stream corrupt: incorrect data check"},
        {"trail", "data after the end of the gzip stream"},
        {"br", "Content-Encoding 'br' not supported"},
        {"twice", "Content-Encoding 'gzip, gzip' not supported"},
    };
    struct collector_config cfg;

    (void)state;
    NEED_FIXTURE();
    make_coded_bodies();
    /* the truncated half decodes to whole items: a lenient parse would have produced some */
    assert_true(cz_gzip_len / 2 > 1000);
    fresh_server(coded_route, NULL);
    load_local(&cfg, "  timeout_ms: 60s\n  max_body_bytes: 8k\n", "cut=/gz-cut", NULL);
    assert_int_equal(once(&cfg), 0);
    assert_string_equal(sent_ae[0], "gzip, deflate"); /* only the codings checked here */
    assert_field("yuqing:source:cut", "state", "network_error");
    assert_field("yuqing:source:cut", "last_error",
                 "gzip stream truncated: the body ended before the end of the compressed data");
    assert_null(cfx_hget(fx.rc, "yuqing:source:cut", "etag"));
    assert_null(cfx_hget(fx.rc, "yuqing:source:cut", "last_modified"));
    assert_null(cfx_hget(fx.rc, "yuqing:source:cut", "last_success"));
    assert_int_equal(coded_items_seen(), 0);
    /* the next poll fetches it whole: no validators sent, every item produced, stored */
    assert_int_equal(once(&cfg), 0);
    assert_int_equal(hits, 2);
    assert_sent(1, "", "");
    assert_field("yuqing:source:cut", "state", "ok");
    assert_field("yuqing:source:cut", "items_last_seen", "40");
    assert_int_equal(coded_items_seen(), CODED_ITEMS);
    assert_field("yuqing:source:cut", "etag", "\"cz1\"");
    collector_config_release(&cfg);

    fresh_server(coded_route, NULL);
    load_local(&cfg, "  timeout_ms: 60s\n  max_body_bytes: 8k\n",
               "zlibcut=/zlib-cut rawcut=/raw-cut badcrc=/badcrc trail=/trail br=/br "
               "twice=/twice bomb=/bomb r429=/429cut",
               NULL);
    assert_int_equal(once(&cfg), 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char key[64];
        snprintf(key, sizeof(key), "yuqing:source:%s", bad[i].id);
        assert_field(key, "state", "network_error");
        assert_field(key, "last_error", bad[i].want);
        assert_null(cfx_hget(fx.rc, key, "etag"));
    }
    assert_int_equal(coded_items_seen(), 0);
    /* a body over the cap once decoded is still too_big */
    assert_field("yuqing:source:bomb", "state", "too_big");
    assert_field("yuqing:source:bomb", "last_error", "max_body_bytes=8192");
    assert_field("yuqing:source:r429", "state", "rate_limited");
    assert_field("yuqing:source:r429", "last_error", "http status 429 (gzip stream truncated");
    collector_config_release(&cfg);

    /* whole bodies of each coding are parsed: gzip, zlib-wrapped and raw deflate */
    fresh_server(coded_route, NULL);
    load_local(&cfg, "  timeout_ms: 60s\n  max_body_bytes: 8k\n", "gz=/gz zlib=/zlib raw=/raw",
               NULL);
    assert_int_equal(once(&cfg), 0);
    assert_states("gz zlib raw", "ok");
    assert_field("yuqing:source:gz", "items_last_seen", "40");
    assert_field("yuqing:source:zlib", "items_last_seen", "40");
    assert_field("yuqing:source:raw", "items_last_seen", "40");
    assert_field("yuqing:source:raw", "etag", "\"cz1\"");
    assert_int_equal(coded_items_seen(), CODED_ITEMS);
    collector_config_release(&cfg);
}

/* `yuqingctl sources check` decodes alike: a cut stream is a network_error there too. */
static void test_sources_check_refuses_a_truncated_coding(void **state)
{
    struct collector_config cfg;
    struct source_check chk;

    (void)state;
    NEED_FIXTURE();
    make_coded_bodies();
    fresh_server(coded_route, NULL);
    load_local(&cfg, "  timeout_ms: 60s\n  max_body_bytes: 8k\n", "cut=/gz-cut whole=/gz-cut",
               NULL);
    assert_int_equal(sources_check_one(&cfg, &cfg.sources[0], &chk), 0);
    assert_int_equal(chk.state, SOURCE_NETWORK_ERROR);
    assert_string_equal(chk.error,
                        "gzip stream truncated: the body ended before the end of the compressed "
                        "data");
    assert_int_equal(sources_check_one(&cfg, &cfg.sources[1], &chk), 0); /* request 1: whole */
    assert_int_equal(chk.state, SOURCE_OK);
    assert_int_equal(chk.entries, CODED_ITEMS);
    collector_config_release(&cfg);
}

/* fetch_room_fn for the decoder test: refuses every third ask, counting the asks. */
static bool room_every_third(void *arg, const struct yq_buf *out, size_t n)
{
    int *asks = arg;
    (void)out;
    (void)n;
    return ++*asks % 3 != 0;
}

/*
 * The decoder without a server: a body delivered in pieces, paused whenever the room callback
 * refuses and delivered again (as libcurl does on resume), decodes to the document exactly;
 * its end is required and the cap counts decoded bytes.
 */
static void test_fetch_decoder_pauses_and_checks_the_end(void **state)
{
    static const size_t pieces[] = {1, 7, 100, 4096, 16384};
    const struct {
        enum fetch_coding coding;
        const unsigned char *body;
        const size_t *len;
    } bodies[] = {
        {FETCH_CODING_GZIP, cz_gzip, &cz_gzip_len},
        {FETCH_CODING_DEFLATE, cz_zlib, &cz_zlib_len},
        {FETCH_CODING_DEFLATE, cz_raw, &cz_raw_len},
        {FETCH_CODING_IDENTITY, (const unsigned char *)coded_feed, &coded_feed_len},
    };
    struct fetch_decoder d;
    struct yq_buf out;
    int err, asks = 0, pauses = 0;

    (void)state;
    make_coded_bodies();
    for (size_t b = 0; b < sizeof(bodies) / sizeof(bodies[0]); b++) {
        for (size_t p = 0; p < sizeof(pieces) / sizeof(pieces[0]); p++) {
            size_t len = *bodies[b].len;
            fetch_decoder_init_coding(&d, bodies[b].coding);
            yq_buf_init(&out, 1 << 20);
            for (size_t at = 0; at < len;) {
                size_t n = len - at < pieces[p] ? len - at : pieces[p];
                size_t got = fetch_decoder_write(&d, (const char *)bodies[b].body + at, n, &out,
                                                 room_every_third, &asks, &err);
                if (got == CURL_WRITEFUNC_PAUSE) {
                    pauses++;
                    continue; /* the same bytes again */
                }
                assert_int_equal(err, 0);
                assert_int_equal(got, n);
                at += n;
            }
            assert_int_equal(fetch_decoder_finish(&d), 0);
            assert_int_equal(out.len, coded_feed_len);
            assert_memory_equal(out.data, coded_feed, coded_feed_len);
            fetch_decoder_release(&d);
            yq_buf_release(&out);
        }
    }
    assert_true(pauses > 0);
    /* cut anywhere, the end is missing */
    fetch_decoder_init_coding(&d, FETCH_CODING_GZIP);
    yq_buf_init(&out, 1 << 20);
    assert_int_equal(
        fetch_decoder_write(&d, (const char *)cz_gzip, cz_gzip_len - 1, &out, NULL, NULL, &err),
        cz_gzip_len - 1);
    assert_int_equal(fetch_decoder_finish(&d), ERR_PARSE);
    assert_string_equal(d.error,
                        "gzip stream truncated: the body ended before the end of the compressed "
                        "data");
    fetch_decoder_release(&d);
    yq_buf_release(&out);
    /* the cap counts decoded bytes */
    fetch_decoder_init_coding(&d, FETCH_CODING_GZIP);
    yq_buf_init(&out, 1000);
    assert_int_equal(
        fetch_decoder_write(&d, (const char *)cz_gzip, cz_gzip_len, &out, NULL, NULL, &err), 0);
    assert_int_equal(err, ERR_TOO_BIG);
    assert_true(out.len <= 1000);
    fetch_decoder_release(&d);
    yq_buf_release(&out);
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
    } else if (strcmp(url, "/ra429") == 0) {
        r.status = 429;
        r.body = "访问过于频繁";
        r.retry_after = "5";
    } else if (strcmp(url, "/radate") == 0) {
        r.retry_after = "Thu, 31 Dec 2099 23:59:59 GMT"; /* bounded to backoff_max_ms */
    } else if (strcmp(url, "/rapast") == 0) {
        r.retry_after = "Sun, 06 Nov 1994 08:49:37 GMT"; /* passed: the usual backoff */
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
    struct cfx_run r;
    char *v;
    int n503, n418;

    (void)state;
    NEED_FIXTURE();
    fresh_server(backoff_route, NULL);
    load_local(&cfg, "  backoff_max_ms: 1h\n", "b503=/503 b418=/418", "    interval: 1s\n");
    /* 3.4 s of virtual time that moves only while no poll is running (issue #10) */
    {
        struct vclock c = {.idle_step_ms = 100, .stop_at_ms = 3400};
        run_virtual(&r, &cfg, &c);
    }
    cfx_run_free(&r);
    n503 = count_hits("/503");
    n418 = count_hits("/418");
    /* 503 at 0, then after [0.5 s, 1 s], then after [1 s, 2 s] (<= 3 s), then after [2 s, 4 s]
     * (>= 3.5 s): exactly 3 polls by 3.4 s */
    assert_int_equal(n503, 3);
    v = cfx_hget(fx.rc, "yuqing:source:b503", "consecutive_failures");
    assert_non_null(v);
    assert_int_equal(strtol(v, NULL, 10), n503);
    free(v);
    /* 418: the next attempt waits 2x the interval (2 s), the one after at least 4 s (FC-005) */
    assert_int_equal(n418, 2);
    assert_field("yuqing:source:b418", "state", "rate_limited");
    collector_config_release(&cfg);
}

/* ---- TLS: a self-signed certificate is an error named; no redirect from https to http ---- */

/* self-signed for 127.0.0.1 (openssl req -x509 -newkey ec, 100 years): trusted by no CA */
static const char tls_cert[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIBkDCCATagAwIBAgIUCFsfmVqVNjNYZGcOSQHRRI4O0MwwCgYIKoZIzj0EAwIw\n"
                               "FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTIwNjExNDg1MFoYDzIxMjYxMTEy\n"
                               "MTE0ODUwWjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO\n"
                               "PQMBBwNCAARHadjAE4VGqQ+dtCs0zECU7l+WHK696pLlYEg3gTY10KaqzbVBYdwX\n"
                               "qclmBqb29/RwvijHCimfz0gnwzq5fWHQo2QwYjAdBgNVHQ4EFgQU2EpvuDmvOQVO\n"
                               "/mKAv20C4iU5IlcwHwYDVR0jBBgwFoAU2EpvuDmvOQVO/mKAv20C4iU5IlcwDwYD\n"
                               "VR0TAQH/BAUwAwEB/zAPBgNVHREECDAGhwR/AAABMAoGCCqGSM49BAMCA0gAMEUC\n"
                               "IQD1daHBFb4X17UXxgISYYDvYPDY2/wKNBC73jkqKWdLoQIgVtSrGo2Iaj70DMYA\n"
                               "95osf8WqcZfv6bJvfgoialLvPbg=\n"
                               "-----END CERTIFICATE-----\n";
static const char tls_key[] = "-----BEGIN PRIVATE KEY-----\n"
                              "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgBTGxXDXR33UYAHwc\n"
                              "ZKBFoWo9tIFBs+4RhX3huWjubJ2hRANCAARHadjAE4VGqQ+dtCs0zECU7l+WHK69\n"
                              "6pLlYEg3gTY10KaqzbVBYdwXqclmBqb29/RwvijHCimfz0gnwzq5fWHQ\n"
                              "-----END PRIVATE KEY-----\n";
static int tls_plain_port, tls_port;

static struct reply tls_route(const char *url, int n, void *arg)
{
    static char where[128];
    static const char feed[] = "<rss version=\"2.0\"><channel><title>t</title><item>"
                               "<guid>tls-1</guid><title>x</title></item></channel></rss>";
    struct reply r = {.status = 200, .body = feed, .ctype = "application/rss+xml"};
    (void)n;
    (void)arg;
    if (strcmp(url, "/down") == 0) {
        snprintf(where, sizeof(where), "http://127.0.0.1:%d/plain", tls_plain_port);
        r.status = 302;
        r.body = "";
        r.location = where;
    } else if (strcmp(url, "/up") == 0) {
        snprintf(where, sizeof(where), "https://127.0.0.1:%d/feed", tls_port);
        r.status = 302;
        r.body = "";
        r.location = where;
    }
    return r;
}

static size_t discard(char *data, size_t size, size_t n, void *arg)
{
    (void)data;
    (void)arg;
    return size * n;
}

/* GET url with the collector's transfer options, the certificate check off (test only). */
static CURLcode tls_get(const struct collector_config *cfg, const char *path, char *err)
{
    char url[128];
    CURL *e = curl_easy_init();
    CURLcode rc;

    assert_non_null(e);
    snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", tls_port, path);
    rc = fetch_setopts(e, &cfg->collector, "t", url, NULL, NULL, err);
    assert_int_equal(rc, CURLE_OK);
    assert_int_equal(fetch_set_io(e, discard, NULL, NULL), CURLE_OK);
    assert_int_equal(curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L), CURLE_OK);
    assert_int_equal(curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L), CURLE_OK);
    rc = curl_easy_perform(e);
    curl_easy_cleanup(e);
    return rc;
}

static void test_tls_self_signed_and_no_https_to_http_redirect(void **state)
{
    struct collector_config cfg;
    struct cfx_http tls = {0};
    char src[256], err[CURL_ERROR_SIZE] = "";
    int plain_hits = 0;

    (void)state;
    NEED_FIXTURE();
    fresh_server(tls_route, NULL);
    if (cfx_https_start(&tls, handler, NULL, tls_cert, tls_key) != 0) {
        skip(); /* libmicrohttpd without TLS */
    }
    tls_port = tls.port;
    tls_plain_port = fx.http.port;
    snprintf(src, sizeof(src), "  - id: selfsigned\n    url: https://127.0.0.1:%d/feed\n",
             tls.port);
    load_cfg(&cfg, "  timeout_ms: 60s\n", src);
    assert_int_equal(once(&cfg), 0);
    /* the certificate problem is the poll's error, said as such: never skipped, never ok */
    assert_field("yuqing:source:selfsigned", "state", "network_error");
    assert_field("yuqing:source:selfsigned", "last_error", "certificate");
    assert_null(cfx_hget(fx.rc, "yuqing:source:selfsigned", "last_success"));
    /* https -> https is followed; https -> http is refused before any plain request */
    assert_int_equal(tls_get(&cfg, "/up", err), CURLE_OK);
    assert_int_equal(tls_get(&cfg, "/down", err), CURLE_UNSUPPORTED_PROTOCOL);
    for (int i = 0; i < hits && i < MAX_LOG; i++) {
        plain_hits += strcmp(hit_order[i], "/plain") == 0;
    }
    assert_int_equal(plain_hits, 0);
    cfx_http_stop(&tls);
    collector_config_release(&cfg);
}

/* ---- 301/308: the feed's new home is reported (moved_to), the configured URL kept ---- */

static bool moved_back; /* the old URL serves the feed again */

static struct reply moved_route(const char *url, int n, void *arg)
{
    static const char feed[] = "<rss version=\"2.0\"><channel><title>t</title><item>"
                               "<guid>moved-1</guid><title>x</title></item></channel></rss>";
    struct reply r = {.status = 200, .body = feed, .ctype = "application/rss+xml"};
    (void)n;
    (void)arg;
    if (strcmp(url, "/old") == 0 && !moved_back) {
        r.status = 301;
        r.body = "";
        r.location = "/mid";
    } else if (strcmp(url, "/mid") == 0) {
        r.status = 308;
        r.body = "";
        r.location = "/new";
    } else if (strcmp(url, "/tmp") == 0) {
        r.status = 301; /* permanent, then temporary: not moved for good */
        r.body = "";
        r.location = "/tmp2";
    } else if (strcmp(url, "/tmp2") == 0) {
        r.status = 302;
        r.body = "";
        r.location = "/new";
    }
    return r;
}

static void test_permanent_redirect_reported(void **state)
{
    struct collector_config cfg;
    char want[128];

    (void)state;
    NEED_FIXTURE();
    moved_back = false;
    fresh_server(moved_route, NULL);
    load_local(&cfg, NULL, "moved=/old tmp=/tmp", NULL);
    assert_int_equal(once(&cfg), 0);
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/new", fx.http.port);
    assert_field("yuqing:source:moved", "state", "ok");
    assert_field("yuqing:source:moved", "moved_to", want);
    assert_field("yuqing:source:tmp", "state", "ok");
    assert_null(cfx_hget(fx.rc, "yuqing:source:tmp", "moved_to"));
    /* the configured URL is still the one fetched; once it serves again, moved_to goes */
    moved_back = true;
    assert_int_equal(once(&cfg), 0);
    assert_null(cfx_hget(fx.rc, "yuqing:source:moved", "moved_to"));
    collector_config_release(&cfg);
}

/* ---- Retry-After (429/503): honoured, bounded by backoff_max_ms ---- */

static void test_retry_after_honoured_and_bounded(void **state)
{
    struct collector_config cfg;
    struct cfx_run r;

    (void)state;
    NEED_FIXTURE();
    fresh_server(backoff_route, NULL);
    load_local(&cfg, "  backoff_max_ms: 7s\n", "ra429=/ra429 radate=/radate rapast=/rapast",
               "    interval: 1s\n");
    /* 9.9 s of virtual time that jumps to the next due time while no poll is running */
    {
        struct vclock c = {.jump_to_due = true, .stop_at_ms = 9900};
        run_virtual(&r, &cfg, &c);
    }
    cfx_run_free(&r);
    /* 429 "Retry-After: 5": polls at 0 and 5 s only (the 429 backoff alone: 0, 2, <= 6, ...) */
    assert_int_equal(count_hits("/ra429"), 2);
    assert_field("yuqing:source:ra429", "state", "rate_limited");
    /* an HTTP-date in 2099: waits the ceiling, 7 s, not 74 years nor the 5xx backoff (>= 4) */
    assert_int_equal(count_hits("/radate"), 2);
    /* a date gone by: the 5xx backoff, 0.5-1 s, 1-2 s, 2-4 s: at least 4 polls by 7 s */
    assert_true(count_hits("/rapast") >= 4);
    collector_config_release(&cfg);
}

static void test_fetch_retry_after_forms(void **state)
{
    static const struct {
        const char *v;
        int64_t now_s, want_ms;
    } cases[] = {
        {"120", 0, 120000},
        {" 0 ", 0, 0},
        {"99999999999999999999", 0, 31536000000}, /* a year at most */
        {"Sun, 06 Nov 1994 08:49:37 GMT", 784111767, 10000},
        {"Sunday, 06-Nov-94 08:49:37 GMT", 784111767, 10000},
        {"Sun Nov  6 08:49:37 1994", 784111767, 10000},
        {"Sun, 06 Nov 1994 08:49:37 GMT", 784111787, 0}, /* in the past */
        {"-5", 0, -1},
        {"soon", 0, -1},
        {"", 0, -1},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t got = fetch_retry_after_ms(cases[i].v, strlen(cases[i].v), cases[i].now_s);
        if (got != cases[i].want_ms) {
            print_error("'%s': %lld, want %lld\n", cases[i].v, (long long)got,
                        (long long)cases[i].want_ms);
        }
        assert_int_equal(got, cases[i].want_ms);
    }
    /* bounded by the backoff's ceiling, never shorter than the backoff itself */
    assert_int_equal(source_run_retry_after(1000, 5000, 1000, 3600000, false), 5000);
    assert_int_equal(source_run_retry_after(1000, 86400000, 1000, 7000, false), 7000);
    assert_int_equal(source_run_retry_after(3000, 1000, 1000, 7000, false), 3000);
    assert_int_equal(source_run_retry_after(3000, -1, 1000, 7000, false), 3000);
    assert_int_equal(source_run_retry_after(2000, 99000, 60000, 1000, true), 99000);
    assert_int_equal(source_run_retry_after(2000, 999000, 60000, 1000, true), 120000);
}

/* ---- FC-019: a 304 naming new validators, a 200 naming none ---- */

static struct reply validators_route(const char *url, int n, void *arg)
{
    static const char feed[] = "<rss version=\"2.0\"><channel><title>t</title><item>"
                               "<guid>val-1</guid><title>x</title></item></channel></rss>";
    struct reply r = {.status = 200, .body = feed, .ctype = "application/rss+xml"};
    (void)url;
    (void)arg;
    if (n == 0) {
        r.etag = "W/\"a1\"";
        r.last_modified = "Tue, 05 Mar 2024 01:00:00 GMT";
    } else if (n == 1) {
        r.status = 304; /* a new weak ETag, no Last-Modified: the stored one stays */
        r.body = "";
        r.etag = "W/\"a2\"";
    } else if (n == 2) {
        r.status = 304; /* nothing new */
        r.body = "";
    }
    /* n == 3: a 200 without validators (the server stopped sending them) */
    return r;
}

static void test_fc_019_304_refreshes_and_200_without_validators(void **state)
{
    struct collector_config cfg;

    (void)state;
    NEED_FIXTURE();
    fresh_server(validators_route, NULL);
    load_local(&cfg, NULL, "val=/v.xml", NULL);
    poll_times(&cfg, 5);
    assert_sent(1, "W/\"a1\"", "Tue, 05 Mar 2024 01:00:00 GMT");
    /* the 304's ETag replaced the stored one; its Last-Modified stayed */
    assert_sent(2, "W/\"a2\"", "Tue, 05 Mar 2024 01:00:00 GMT");
    assert_sent(3, "W/\"a2\"", "Tue, 05 Mar 2024 01:00:00 GMT");
    /* after a 200 without validators none is sent (both deleted) */
    assert_sent(4, "", "");
    assert_null(cfx_hget(fx.rc, "yuqing:source:val", "etag"));
    assert_null(cfx_hget(fx.rc, "yuqing:source:val", "last_modified"));
    assert_field("yuqing:source:val", "state", "ok");
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
        fc005_bodies[i] =
            json_is_string(b) ? strdup(json_string_value(b)) : yq_json_dumps(b, JSON_COMPACT);
        fc005_status[i] = (unsigned)json_integer_value(json_object_get(resp, "status"));
        fc005_ctype[i] = json_string_value(
            json_object_get(json_object_get(resp, "headers"), "Content-Type"));
    }
    fresh_server(weibo_route, NULL);
    snprintf(src, sizeof(src), "  - id: wb5\n    kind: weibo_user\n    url: "
                               "http://127.0.0.1:%d/fc005?containerid=1076030000000001\n",
             fx.http.port);
    load_cfg(&cfg, NULL, src);
    for (fc005_step = 0; fc005_step < 6; fc005_step++) {
        char *ls;
        assert_int_equal(once(&cfg), 0);
        assert_field("yuqing:source:wb5", "state", want[fc005_step]);
        ls = cfx_hget(fx.rc, "yuqing:source:wb5", "last_success");
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
    fc001_page = yq_json_dumps(json_object_get(in, "timeline_getIndex"), JSON_COMPACT);
    fc001_extend = yq_json_dumps(json_object_get(in, "statuses_extend_4990000000000123"),
                              JSON_COMPACT);
    full = json_string_value(json_object_get(
        json_object_get(json_object_get(in, "statuses_extend_4990000000000123"), "data"),
        "longTextContent"));
    fresh_server(weibo_route, NULL);
    snprintf(src, sizeof(src), "  - id: wb1\n    kind: weibo_user\n    uid: \"1\"\n"
                               "    max_pages: 1\n");
    {
        char extra[256];
        /* the FC-001 post is from 2024: inside this window, so even a first crawl sends it */
        snprintf(extra, sizeof(extra),
                 "  weibo_api: http://127.0.0.1:%d\n  weibo_first_crawl_window: 3650d\n",
                 fx.http.port);
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


/* ---- the hot-search list through the poller (issue #15) ---- */

static char *hot_body;

static struct reply hot_route(const char *url, int n, void *arg)
{
    struct reply r = {.status = 200, .ctype = "application/json; charset=utf-8"};
    (void)n;
    (void)arg;
    if (strncmp(url, "/hot", 4) == 0) {
        r.body = hot_body;
    } else {
        r.status = 404;
        r.body = "";
    }
    return r;
}

#define HOT_A "汉江安康段水位回落"
#define HOT_B "旬阳太极城景区国庆接待游客创新高"
#define HOT_C "全国铁路迎来返程高峰"

/* A desktop-shape list of the terms with their 1-based ranks (term NULL ends). */
static void hot_list(const char *const *terms, const int *ranks)
{
    struct yq_buf b;

    yq_buf_init(&b, 1 << 16);
    assert_int_equal(yq_buf_adds(&b, "{\"ok\":1,\"data\":{\"hotgov\":{\"word\":\"学习贯彻全会精神\"},"
                                     "\"realtime\":["),
                     0);
    for (size_t i = 0; terms[i]; i++) {
        assert_int_equal(yq_buf_addf(&b, "%s{\"word\":\"%s\",\"num\":%d,\"realpos\":%d}",
                                     i ? "," : "", terms[i], 1000000 - ranks[i], ranks[i]),
                         0);
    }
    assert_int_equal(yq_buf_adds(&b, "]}}"), 0);
    free(hot_body);
    hot_body = strdup(b.data);
    yq_buf_release(&b);
}

/* The ids of the delivered wbhot items (yuqing:seen:wbhot:*), sorted, joined by spaces. */
static char *hot_delivered(void)
{
    redisReply *r = redisCommand(fx.rc, "KEYS yuqing:seen:wbhot:*");
    struct yq_buf b;
    char *out;

    assert_non_null(r);
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    yq_buf_init(&b, 1 << 16);
    /* sorted by trigger then key: a tiny insertion sort over the reply */
    for (size_t i = 1; i < r->elements; i++) {
        for (size_t j = i; j > 0 && strcmp(r->element[j - 1]->str, r->element[j]->str) > 0; j--) {
            redisReply *t = r->element[j];
            r->element[j] = r->element[j - 1];
            r->element[j - 1] = t;
        }
    }
    for (size_t i = 0; i < r->elements; i++) {
        assert_int_equal(yq_buf_addf(&b, "%s%s", i ? " " : "", r->element[i]->str), 0);
    }
    freeReplyObject(r);
    out = strdup(b.data ? b.data : "");
    yq_buf_release(&b);
    return out;
}

/* ZCARD yuqing:hot:hot1:<sha1 of term>: the polls recorded for the entry. */
static long long hot_count(const char *term)
{
    char sha1[FEED_SHA1_HEX_LEN], key[256];
    redisReply *r;
    long long v;

    assert_true(feed_sha1_hex(term, strlen(term), sha1));
    snprintf(key, sizeof(key), "yuqing:hot:hot1:%s", sha1);
    r = redisCommand(fx.rc, "ZCARD %s", key);
    v = r ? r->integer : -1;
    freeReplyObject(r);
    return v;
}

/* How many delivered ids hold the term's key (term NULL: any) and end with suffix. */
static int hot_items(const char *ids, const char *term, const char *suffix)
{
    char sha1[FEED_SHA1_HEX_LEN] = "wbhot:", id[160];
    int n = 0, used;

    if (term) {
        assert_true(feed_sha1_hex(term, strlen(term), sha1));
    }
    for (const char *at = ids; sscanf(at, " %159s%n", id, &used) == 1; at += used) {
        const char *tail = id + strlen(id) - strlen(suffix);
        if (strstr(id, sha1) && strlen(id) > strlen(suffix) && strcmp(tail, suffix) == 0) {
            n++;
        }
    }
    return n;
}

/* total_connections_received of the Redis fixture (INFO stats). */
static long long redis_connections(void)
{
    redisReply *r = redisCommand(fx.rc, "INFO stats");
    const char *at = r && r->type == REDIS_REPLY_STRING ? strstr(r->str, "total_connections_received:")
                                                       : NULL;
    long long v = at ? atoll(at + strlen("total_connections_received:")) : -1;

    freeReplyObject(r);
    assert_true(v >= 0);
    return v;
}

/*
 * Three polls of a weibo_hot source (rise_rank 10, watch_terms 安康 汉江 旬阳 紫阳):
 *   1: A 15, B 3, C 20  -> A, B, C and the pinned entry produced ("entered"; the first poll
 *                          is what is hot now)
 *   2: A 8, C 19        -> A "rose10" (B left)
 *   3: A 5, B 4, C 18   -> nothing: B is back within YQ_HOT_REENTRY_S, the same stay
 * then a login wall (ok:-100) is the source state auth_required. Each poll records every
 * entry's rank; the items carry the hot object with the watched terms.
 */
static void test_issue_15_weibo_hot_through_the_poller(void **state)
{
    const char *const poll1[] = {HOT_A, HOT_B, HOT_C, NULL};
    const char *const poll2[] = {HOT_A, HOT_C, NULL};
    const char *const poll3[] = {HOT_A, HOT_B, HOT_C, NULL};
    struct collector_config cfg;
    char src[512], *ids;
    long long conns;

    (void)state;
    NEED_FIXTURE();
    fresh_server(hot_route, NULL);
    snprintf(src, sizeof(src),
             "  - id: hot1\n    kind: weibo_hot\n    name: 微博热搜榜\n"
             "    url: http://127.0.0.1:%d/hot\n    rise_rank: 10\n"
             "    watch_terms: [安康, 汉江, 旬阳, 紫阳]\n",
             fx.http.port);
    load_cfg(&cfg, NULL, src);

    hot_list(poll1, (const int[]){15, 3, 20});
    assert_int_equal(once(&cfg), 0);
    assert_field("yuqing:source:hot1", "state", "ok");
    ids = hot_delivered();
    assert_int_equal(hot_items(ids, HOT_A, ":entered"), 1);
    assert_int_equal(hot_items(ids, HOT_B, ":entered"), 1);
    assert_int_equal(hot_items(ids, HOT_C, ":entered"), 1);
    assert_int_equal(hot_items(ids, "学习贯彻全会精神", ":entered"), 1);
    assert_int_equal(hot_items(ids, NULL, ""), 4);
    free(ids);
    assert_int_equal(hot_count(HOT_A), 1);

    hot_list(poll2, (const int[]){8, 19});
    conns = redis_connections();
    assert_int_equal(once(&cfg), 0);
    /* review #15 item 16: the list goes through the store's one connection (a --once run
       opens one: the store's), not a new connection per poll */
    assert_int_equal(redis_connections() - conns, 1);
    ids = hot_delivered();
    assert_int_equal(hot_items(ids, HOT_A, ":rose10"), 1);
    assert_int_equal(hot_items(ids, NULL, ""), 5);
    free(ids);

    hot_list(poll3, (const int[]){5, 4, 18});
    assert_int_equal(once(&cfg), 0);
    ids = hot_delivered();
    /* B back within YQ_HOT_REENTRY_S: its stay goes on, no new item (review #15 item 7) */
    assert_int_equal(hot_items(ids, HOT_B, ":entered"), 1);
    assert_int_equal(hot_items(ids, HOT_A, ":rose10"), 1);  /* once per stay */
    assert_int_equal(hot_items(ids, HOT_C, ""), 1);         /* never rose past 10 */
    assert_int_equal(hot_items(ids, NULL, ""), 5);
    free(ids);
    /* every entry's rank of every poll */
    assert_int_equal(hot_count(HOT_A), 3);
    assert_int_equal(hot_count(HOT_B), 2);
    assert_int_equal(hot_count(HOT_C), 3);
    {
        char sha1[FEED_SHA1_HEX_LEN], key[128];
        redisReply *r;
        assert_true(feed_sha1_hex(HOT_A, strlen(HOT_A), sha1));
        snprintf(key, sizeof(key), "yuqing:hot:hot1:%s", sha1);
        r = redisCommand(fx.rc, "ZRANGE %s 0 -1", key);
        assert_non_null(r);
        assert_int_equal(r->elements, 3);
        {
            /* scored by the poll's whole second: polls within one second tie and come back in
               member order, so each poll's rank and heat is looked for, not its position */
            const char *const want[] = {" 15 999985", " 8 999992", " 5 999995"};
            for (size_t w = 0; w < 3; w++) {
                size_t found = 0;
                for (size_t e = 0; e < r->elements; e++) {
                    found += strstr(r->element[e]->str, want[w]) != NULL;
                }
                assert_int_equal(found, 1);
            }
        }
        freeReplyObject(r);
        r = redisCommand(fx.rc, "TTL %s", key);
        assert_true(r && r->integer > 6 * 86400 && r->integer <= 7 * 86400);
        freeReplyObject(r);
        r = redisCommand(fx.rc, "HGET yuqing:hot:hot1:current %s", sha1);
        assert_true(r && r->type == REDIS_REPLY_STRING);
        assert_non_null(strstr(r->str, "\"best_rank\":5,"));
        assert_non_null(strstr(r->str, "\"rose\":true,\"on\":true"));
        freeReplyObject(r);
    }
    /* the items as produced: the rise of A, watched 安康 and 汉江 */
    {
        rd_kafka_t *c = cfx_kafka_consumer(fx.bootstraps, "hot-check");
        int rose = 0, watched_b = 0;
        assert_non_null(c);
        for (int i = 0; i < 600; i++) { /* hang guard; stops at the partition end */
            rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
            bool eof = m && m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;
            if (m && !m->err) {
                json_t *it = json_loadb(m->payload, m->len, 0, NULL);
                const json_t *hot = json_object_get(it, "hot");
                const char *title = json_string_value(json_object_get(it, "title"));
                if (hot && title && strcmp(title, HOT_A) == 0 &&
                    strcmp(json_string_value(json_object_get(hot, "trigger")), "rose") == 0) {
                    rose++;
                    assert_int_equal(json_integer_value(json_object_get(hot, "rank")), 8);
                    assert_int_equal(json_integer_value(json_object_get(hot, "rise_rank")), 10);
                    assert_string_equal(json_string_value(json_object_get(it, "source")),
                                        "weibo_hot");
                    assert_string_equal(json_string_value(json_object_get(it, "channel")),
                                        "微博热搜榜");
                    assert_int_equal(json_array_size(json_object_get(hot, "watched")), 2);
                    assert_string_equal(
                        json_string_value(json_array_get(json_object_get(hot, "watched"), 0)),
                        "安康");
                }
                if (hot && title && strcmp(title, HOT_B) == 0) {
                    watched_b++;
                    assert_string_equal(
                        json_string_value(json_array_get(json_object_get(hot, "watched"), 0)),
                        "旬阳");
                }
                json_decref(it);
            }
            if (m) {
                rd_kafka_message_destroy(m);
            }
            if (eof) {
                break;
            }
        }
        rd_kafka_consumer_close(c);
        rd_kafka_destroy(c);
        assert_int_equal(rose, 1);
        assert_int_equal(watched_b, 1); /* one stay of B: one item */
    }
    /* a login wall: the state the other Weibo kinds report */
    free(hot_body);
    hot_body = strdup("{\"ok\":-100,\"url\":\"https://passport.weibo.com/sso/signin\"}");
    assert_int_equal(once(&cfg), 0);
    assert_field("yuqing:source:hot1", "state", "auth_required");
    free(hot_body);
    hot_body = NULL;
    collector_config_release(&cfg);
}

/* ---- Weibo first crawl baseline (issue #10) ---- */

static char *bl_page;

static struct reply baseline_route(const char *url, int n, void *arg)
{
    struct reply r = {.status = 200, .ctype = "application/json; charset=utf-8"};
    (void)n;
    (void)arg;
    if (strncmp(url, "/api/container/getIndex", 23) == 0) {
        r.body = bl_page;
    } else {
        r.status = 404;
        r.body = "";
    }
    return r;
}

/* Set card i's post to id (mid), created_at and pinned in the page cards. */
static const char *set_post(json_t *cards, size_t i, const char *id, const char *created_at,
                            bool pinned)
{
    json_t *mblog = json_object_get(json_array_get(cards, i), "mblog");
    assert_non_null(mblog);
    if (id) {
        json_object_set_new(mblog, "id", json_string(id));
        json_object_set_new(mblog, "mid", json_string(id));
        json_object_del(mblog, "bid");
    }
    if (created_at) {
        json_object_set_new(mblog, "created_at", json_string(created_at));
    }
    if (pinned) {
        json_object_set_new(mblog, "isTop", json_integer(1));
    }
    return json_string_value(json_object_get(mblog, "mid"));
}

static long long zcard(const char *key)
{
    return cfx_redis_int(fx.rc, "ZCARD %s", key);
}

static bool in_recent(const char *key, const char *mid)
{
    redisReply *r = redisCommand(fx.rc, "ZSCORE %s weibo:%s", key, mid);
    bool v = r && r->type == REDIS_REPLY_STRING;
    freeReplyObject(r);
    return v;
}

/*
 * Issue #10: the timeline crawl had no lower time bound: on a first crawl posts months old
 * went out as new items, and old pinned posts too. The captured 2019 timeline page (dates
 * "MM-DD", months before the fetch) with one post made "刚刚" (just now): the first crawl
 * produces only that one and records the others as seen (a baseline). The next crawl produces
 * a post it has not seen even when old, but an old pinned post never; a fresh pinned one is.
 */
static void test_issue_10_weibo_first_crawl_baseline(void **state)
{
    static const char *const recent = "yuqing:source:wbb:recent";
    struct collector_config cfg;
    char *raw = NULL, src[256], extra[256], fresh[WEIBO_MID_MAX], old[WEIBO_MID_MAX];
    size_t len = 0, n_cards;
    json_t *in, *cards;

    (void)state;
    NEED_FIXTURE();
    SHARED_READ_OR_SKIP("corpus/weibo/m_weibo_cn_getIndex_107603_timeline_page2_2019.json", &raw,
                        &len);
    in = json_loadb(raw, len, 0, NULL);
    free(raw);
    assert_non_null(in);
    cards = json_object_get(json_object_get(in, "data"), "cards");
    n_cards = json_array_size(cards);
    assert_true(n_cards >= 6);
    snprintf(fresh, sizeof(fresh), "%s", set_post(cards, 0, NULL, "刚刚", false));
    snprintf(old, sizeof(old), "%s", set_post(cards, 1, NULL, NULL, false));
    bl_page = yq_json_dumps(in, JSON_COMPACT);
    fresh_server(baseline_route, NULL);
    snprintf(src, sizeof(src), "  - id: wbb\n    kind: weibo_user\n    uid: \"1\"\n"
                               "    max_pages: 1\n");
    snprintf(extra, sizeof(extra),
             "  weibo_api: http://127.0.0.1:%d\n  weibo_first_crawl_window: 24h\n",
             fx.http.port);
    load_cfg(&cfg, extra, src);
    /* 1: first crawl: one item out, the rest a baseline */
    assert_int_equal(once(&cfg), 0);
    assert_field("yuqing:source:wbb", "state", "ok");
    {
        char *at = cfx_hget(fx.rc, "yuqing:source:wbb", "baseline_at");
        assert_non_null(at); /* the baseline is recorded: the next crawl is not a first one */
        free(at);
    }
    assert_true(in_recent(recent, fresh));
    assert_int_equal(zcard(recent), 1);
    for (size_t i = 0; i < n_cards; i++) {
        char k[64];
        json_t *mblog = json_object_get(json_array_get(cards, i), "mblog");
        snprintf(k, sizeof(k), "yuqing:seen:weibo:%s",
                 json_string_value(json_object_get(mblog, "mid")));
        assert_int_equal(exists(k), 1); /* all recorded as seen */
    }
    (void)old;
    /* 2: a later crawl: an old post not seen before is new; an old pinned one never is */
    set_post(cards, 2, "4999000000000001", "06-01", false);
    set_post(cards, 3, "4999000000000002", "06-01", true);
    set_post(cards, 4, "4999000000000003", "刚刚", true);
    free(bl_page);
    bl_page = yq_json_dumps(in, JSON_COMPACT);
    assert_int_equal(once(&cfg), 0);
    assert_true(in_recent(recent, "4999000000000001"));
    assert_false(in_recent(recent, "4999000000000002"));
    assert_true(in_recent(recent, "4999000000000003"));
    assert_int_equal(zcard(recent), 3);
    assert_int_equal(exists("yuqing:seen:weibo:4999000000000002"), 1); /* marked, not sent */
    free(bl_page);
    bl_page = NULL;
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
    struct cfx_run r;
    struct yq_buf b;
    const struct poller_stats *st;

    (void)state;
    NEED_FIXTURE();
    fresh_server(many_route, NULL);
    yq_buf_init(&b, 1 << 22);
    for (int i = 0; i < 1000; i++) {
        /* ten loopback hosts: the per-host limit applies to each */
        assert_int_equal(yq_buf_addf(&b, "  - id: s%d\n    url: http://127.0.0.%d:%d/f%d.xml\n"
                                       "    interval: 2s\n",
                                   i, 1 + i % 10, fx.http.port, i),
                         0);
    }
    load_cfg(&cfg, "  max_per_host: 4\n  max_parallel: 64\n", b.data);
    yq_buf_release(&b);
    /*
     * Issue #10: no count reached within wall time. The virtual clock stands still while polls
     * run and, when none runs, moves to the earliest due time; the run stops at the 3,000th
     * poll. So the outcome does not depend on threads or the machine's speed. All start at 0;
     * after that each source keeps its own phase of the 2 s interval (issue #16:
     * source_run_next_due_ms(), exact tests in test_collector_cfg): its second poll is due in
     * (1 s, 3 s], its third 2 s later, its fourth after 5 s. So the 3,000 polls are exactly 3
     * per source, none late (lag 0: nothing waits for a slot in virtual time), all by 5 s. The
     * phases spread the polls: the clock stopped at more than 500 distinct times, where
     * sources polled in step would stop twice (2 s, 4 s). (How long a round takes in real time
     * is measured by bench/collectors/bench_poll_rounds.)
     */
    struct vclock c = {.jump_to_due = true, .stop_after_polls = 3000};
    run_virtual(&r, &cfg, &c);
    st = poller_get_stats(r.p);
    assert_int_equal(st->polls, 3000);
    assert_int_equal(st->cycles, 3000);
    for (int i = 0; i < 1000; i++) {
        char id[16];
        snprintf(id, sizeof(id), "s%d", i);
        assert_int_equal(poller_source_polls(r.p, id), 3);
    }
    assert_int_equal(st->lag_max_ms, 0);
    assert_true(c.now > 3000 && c.now <= 5000);
    assert_true(c.jumps > 500);
    cfx_run_free(&r);
    collector_config_release(&cfg);
}

/* ---- fair polling and no stalls (issue #10) ---- */

static struct reply fair_route(const char *url, int n, void *arg)
{
    static __thread char body[512];
    struct reply r = {.status = 200, .ctype = "application/rss+xml"};
    (void)n;
    (void)arg;
    snprintf(body, sizeof(body),
             "<rss version=\"2.0\"><channel><title>s</title><item><guid>fair%s</guid>"
             "<title>t</title></item></channel></rss>",
             url);
    r.body = body;
    r.hold = strncmp(url, "/hold", 5) == 0;
    return r;
}

static int first_hit(const char *path)
{
    for (int i = 0; i < hits && i < MAX_LOG; i++) {
        if (strcmp(hit_order[i], path) == 0) {
            return i;
        }
    }
    return -1;
}

/*
 * Issue #10: sources were started in list order, so with a busy host the first ones of the
 * list, due again, overtook the last ones for ever. One host, one slot, an interval of 1 s
 * and a virtual clock that moves 1 s per finished poll: the most overdue goes first, so the
 * first four polls are the four sources, and so are the next four.
 */
static void test_issue_10_most_overdue_source_first(void **state)
{
    struct collector_config cfg;
    struct cfx_run r;
    struct vclock c = {.per_poll_ms = 1000, .stop_after_polls = 8};

    (void)state;
    NEED_FIXTURE();
    fresh_server(fair_route, NULL);
    load_local(&cfg, "  max_per_host: 1\n  max_parallel: 1\n",
               "fa=/a fb=/b fc=/c fd=/d", "    interval: 1s\n");
    run_virtual(&r, &cfg, &c);
    assert_in_range(first_hit("/a"), 0, 3);
    assert_in_range(first_hit("/b"), 0, 3);
    assert_in_range(first_hit("/c"), 0, 3);
    assert_in_range(first_hit("/d"), 0, 3);
    /* and the next four are the four again (a parse may overlap the next transfer, so the
     * total when the clock stops the run can be 8 or 9: only the order is asserted) */
    assert_true(hits >= 8);
    for (int i = 4; i < 8; i++) {
        for (int j = 4; j < i; j++) {
            assert_string_not_equal(hit_order[i], hit_order[j]);
        }
    }
    cfx_run_free(&r);
    collector_config_release(&cfg);
}

/* The source /free is fetched while the held ones wait; they are released once it was. */
static const char *free_path = "/free";
static int free_seen_while_held;

static void *release_after_free(void *arg)
{
    int want_held = *(int *)arg;

    /* hang guard 20 s: before the fix /free never starts while the others are held */
    for (int i = 0; i < 2000; i++) {
        bool done;
        pthread_mutex_lock(&lock);
        done = first_hit(free_path) >= 0 && holds_waiting >= want_held;
        if (done) {
            free_seen_while_held = holds_waiting;
        }
        pthread_mutex_unlock(&lock);
        if (done) {
            break;
        }
        usleep(10000);
    }
    release_hold();
    return NULL;
}

/*
 * Issue #10: max_per_host was keyed by host name only, so a slow server on one port of a
 * host held the slot of a fast one on another port. The key is scheme+host+port now.
 */
static void test_issue_10_host_limit_keyed_by_scheme_host_port(void **state)
{
    struct collector_config cfg;
    struct cfx_run r;
    char src[1024];
    struct cfx_http other = {0};
    int want = 1;
    pthread_t t;

    (void)state;
    NEED_FIXTURE();
    fresh_server(fair_route, NULL);
    free_seen_while_held = 0;
    assert_int_equal(cfx_http_start(&other, handler, NULL, 1000), 0);
    snprintf(src, sizeof(src),
             "  - id: held\n    url: http://127.0.0.1:%d/hold1\n"
             "  - id: free\n    url: http://127.0.0.1:%d/free\n",
             other.port, fx.http.port);
    /* one slot per host, and no slot release by time: only the key can let /free start */
    load_cfg(&cfg, "  max_per_host: 1\n  host_slot_ms: 10m\n  timeout_ms: 60s\n", src);
    assert_int_equal(pthread_create(&t, NULL, release_after_free, &want), 0);
    runner_start(&r, &cfg);
    assert_int_equal(poller_run(r.p, true, NULL), 0);
    pthread_join(t, NULL);
    cfx_run_free(&r);
    cfx_http_stop(&other);
    assert_int_equal(free_seen_while_held, 1);
    assert_field("yuqing:source:held", "state", "ok");
    assert_field("yuqing:source:free", "state", "ok");
    collector_config_release(&cfg);
}

/*
 * Issue #10: two slow-drip feeds held both slots of their host while the others waited. A
 * transfer running host_slot_ms (here on a virtual clock that moves 1 s per reading) stops
 * counting against max_per_host, so the third source of the host starts while both drip.
 */
static void test_issue_10_slow_transfer_releases_its_host_slot(void **state)
{
    struct collector_config cfg;
    struct cfx_run r;
    int want = 2;
    pthread_t t;
    struct poller_opts opts = {0};
    struct vclock c = {.per_reading_ms = 1000};

    (void)state;
    NEED_FIXTURE();
    fresh_server(fair_route, NULL);
    free_seen_while_held = 0;
    load_local(&cfg, "  max_per_host: 2\n  host_slot_ms: 5s\n  timeout_ms: 60s\n",
               "drip1=/hold1 drip2=/hold2 free=/free", NULL);
    assert_int_equal(pthread_create(&t, NULL, release_after_free, &want), 0);
    opts.clock.now_ms = vclock_now;
    opts.clock.arg = &c;
    cfx_run_new(&r, &cfg, &opts);
    c.p = r.p;
    assert_int_equal(poller_run(r.p, true, NULL), 0);
    pthread_join(t, NULL);
    assert_true(poller_get_stats(r.p)->slots_released >= 2);
    cfx_run_free(&r);
    assert_int_equal(free_seen_while_held, 2);
    assert_states("drip1 drip2 free", "ok");
    collector_config_release(&cfg);
}

/* Parse hook: the body of "bigp" is "parsed" until source "afterp" finished its poll. */
static int parse_saw_other_done;
static bool parse_entered;

static void block_parse(const char *source_id, void *arg)
{
    redisContext *c;

    (void)arg;
    if (strcmp(source_id, "bigp") != 0) {
        return;
    }
    pthread_mutex_lock(&lock);
    parse_entered = true;
    pthread_mutex_unlock(&lock);
    release_hold(); /* /afterp is answered only now: its transfer runs during this parse */
    c = cfx_redis_connect(fx.redis.port);
    assert_non_null(c);
    for (int i = 0; i < 3000 && !parse_saw_other_done; i++) { /* hang guard 30 s */
        redisReply *rep = redisCommand(c, "HGET yuqing:source:afterp state");
        parse_saw_other_done = rep && rep->type == REDIS_REPLY_STRING &&
                               strcmp(rep->str, "ok") == 0;
        freeReplyObject(rep);
        if (!parse_saw_other_done) {
            usleep(10000);
        }
    }
    redisFree(c);
}

/*
 * Issue #10: parsing one huge body stalled every other source. Parsing runs on a worker: while
 * the parse of one body is blocked (test hook), another source's transfer, answered only once
 * that parse began, completes and is ingested.
 */
static void test_issue_10_parsing_never_stalls_polling(void **state)
{
    struct collector_config cfg;
    struct cfx_run r;
    struct poller_opts opts = {.parse_hook = block_parse};

    (void)state;
    NEED_FIXTURE();
    fresh_server(fair_route, NULL);
    parse_saw_other_done = 0;
    parse_entered = false;
    load_local(&cfg, "  timeout_ms: 60s\n", "bigp=/big afterp=/hold-after", NULL);
    cfx_run_new(&r, &cfg, &opts);
    assert_int_equal(poller_run(r.p, true, NULL), 0);
    assert_true(parse_entered);
    assert_int_equal(poller_get_stats(r.p)->parsed, 2);
    cfx_run_free(&r);
    assert_int_equal(parse_saw_other_done, 1);
    assert_field("yuqing:source:bigp", "state", "ok");
    assert_field("yuqing:source:afterp", "state", "ok");
    collector_config_release(&cfg);
}

/* Bounded ingest per loop pass: a feed of 3 budgets + 1 entries, and a held second source. */
#define CHUNKY_ENTRIES (3 * POLLER_INGEST_ENTRIES_PER_PASS + 1)
static char *chunky_body;
static struct poller *chunky_poller;
static struct {
    int64_t pass;     /* the loop pass of the chunk */
    int64_t requests; /* transfers finished by then */
    size_t entries;
} chunk_log[8];
static int n_chunks;
static long chunky_completed_base; /* the server's completed count when the test starts */

static struct reply chunky_route(const char *url, int n, void *arg)
{
    struct reply r = {.status = 200, .ctype = "application/rss+xml", .body = chunky_body};

    if (strcmp(url, "/chunky") != 0) {
        return fair_route(url, n, arg); /* "/hold-other": answered once released */
    }
    return r;
}

static int holds_now(void)
{
    int v;
    pthread_mutex_lock(&lock);
    v = holds_waiting;
    pthread_mutex_unlock(&lock);
    return v;
}

static void chunk_hook(const char *source_id, size_t entries, void *arg)
{
    const struct poller_stats *st = poller_get_stats(chunky_poller);

    (void)arg;
    if (strcmp(source_id, "chunky") != 0) {
        return;
    }
    if (n_chunks < 8) {
        chunk_log[n_chunks].pass = st->passes;
        chunk_log[n_chunks].requests = st->requests;
        chunk_log[n_chunks].entries = entries;
    }
    if (n_chunks++ != 0) {
        return;
    }
    /* after the first chunk: the other source's request (held at the server) is answered and
       sent to its last byte (the server's completed count: the feed's response, then this
       one; hang guards 20 s, never a timing assertion). The loop finishes that transfer only
       if it drives curl between the chunks. */
    for (int i = 0; i < 2000 && holds_now() == 0; i++) {
        usleep(10000);
    }
    release_hold();
    for (int i = 0; i < 2000 && cfx_http_completed(&fx.http) < chunky_completed_base + 2; i++) {
        usleep(10000);
    }
}

/*
 * A feed of 100,000 entries held the loop ~33 s while it was ingested: nothing else was polled
 * and a transfer in flight ran 46 s against a 20 s timeout. Ingest takes at most
 * POLLER_INGEST_ENTRIES_PER_PASS entries per pass: 3 x that + 1 entries take 4 passes, one
 * after the other, the other source's transfer finishes between the first and the last, and
 * every entry is produced once.
 */
static void test_ingest_bounded_per_loop_pass(void **state)
{
    struct collector_config cfg;
    struct cfx_run r;
    struct poller_opts opts = {.ingest_hook = chunk_hook};
    struct yq_buf b, metrics;
    long long n_seen = 0;

    (void)state;
    NEED_FIXTURE();
    yq_buf_init(&b, 1 << 22);
    assert_int_equal(yq_buf_addf(&b, "<rss version=\"2.0\"><channel><title>c</title>"), 0);
    for (int i = 0; i < CHUNKY_ENTRIES; i++) {
        assert_int_equal(yq_buf_addf(&b,
                                     "<item><guid>tag:chunky,2026:%d</guid><title>t</title>"
                                     "</item>",
                                     i),
                         0);
    }
    assert_int_equal(yq_buf_addf(&b, "</channel></rss>"), 0);
    assert_int_equal(yq_buf_addc(&b, '\0'), 0);
    chunky_body = b.data;
    n_chunks = 0;
    fresh_server(chunky_route, NULL);
    chunky_completed_base = cfx_http_completed(&fx.http);
    load_local(&cfg, "  max_per_host: 4\n", "chunky=/chunky other=/hold-other", NULL);
    cfx_run_new(&r, &cfg, &opts);
    chunky_poller = r.p;
    assert_int_equal(poller_run(r.p, true, NULL), 0);
    yq_buf_init(&metrics, 1 << 20);
    assert_int_equal(poller_render_metrics(r.p, &metrics), 0);
    assert_int_equal(yq_buf_addc(&metrics, '\0'), 0);
    cfx_run_free(&r);
    /* produced once each: 3001 items handed to Kafka, no more */
    assert_non_null(strstr(metrics.data, "\nyuqing_collector_source_items_produced_total"
                                         "{source=\"chunky\"} 3001\n"));
    yq_buf_release(&metrics);
    assert_int_equal(n_chunks, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(chunk_log[i].entries, i < 3 ? POLLER_INGEST_ENTRIES_PER_PASS : 1);
        if (i > 0) {
            assert_true(chunk_log[i].pass > chunk_log[i - 1].pass); /* one chunk per pass */
        }
    }
    assert_int_equal(chunk_log[0].requests, 1); /* "other" was held */
    assert_int_equal(chunk_log[3].requests, 2); /* and driven to its end meanwhile */
    assert_states("chunky other", "ok");
    for (int i = 0; i < CHUNKY_ENTRIES; i++) {
        char guid[64], *key;
        snprintf(guid, sizeof(guid), "tag:chunky,2026:%d", i);
        key = item_seen_key(guid);
        n_seen += exists(key);
        free(key);
    }
    assert_int_equal(n_seen, CHUNKY_ENTRIES);
    collector_config_release(&cfg);
    yq_buf_release(&b);
    chunky_body = NULL;
}

/* Back-pressure: loop passes and finished transfers, copied by the clock on the loop thread */
static int64_t bp_passes, bp_requests;
static int bp_late_started_early = -1;

static int64_t bp_clock(void *arg)
{
    struct vclock *c = arg;
    if (c->p) {
        __atomic_store_n(&bp_requests, poller_get_stats(c->p)->requests, __ATOMIC_SEQ_CST);
    }
    __atomic_add_fetch(&bp_passes, 1, __ATOMIC_SEQ_CST);
    return c->now;
}

/* Feeds of about 3 KiB (over the 1 KiB parse_queue_bytes of the test). */
static struct reply bp_route(const char *url, int n, void *arg)
{
    static char body[4096];
    struct reply r = {.status = 200, .ctype = "application/rss+xml", .body = body};
    (void)n;
    (void)arg;
    if (!body[0]) {
        char pad[3001];
        memset(pad, 'x', sizeof(pad) - 1);
        pad[sizeof(pad) - 1] = '\0';
        snprintf(body, sizeof(body),
                 "<rss version=\"2.0\"><channel><title>s</title><item><guid>bp</guid>"
                 "<title>t</title><description>%s</description></item></channel></rss>",
                 pad);
    }
    (void)url;
    return r;
}

static void bp_hook(const char *source_id, void *arg)
{
    int64_t from;

    (void)arg;
    if (strcmp(source_id, "bp-big") != 0) {
        return;
    }
    /* hang guards 30 s: wait until bp-q1 (queued behind this parse) finished its transfer */
    for (int i = 0; i < 3000 && __atomic_load_n(&bp_requests, __ATOMIC_SEQ_CST) < 2; i++) {
        usleep(10000);
    }
    from = __atomic_load_n(&bp_passes, __ATOMIC_SEQ_CST);
    /* then let the loop make 20 passes, each a chance to start bp-late */
    for (int i = 0; i < 3000 && __atomic_load_n(&bp_passes, __ATOMIC_SEQ_CST) < from + 20; i++) {
        usleep(10000);
    }
    pthread_mutex_lock(&lock);
    bp_late_started_early = first_hit("/late") >= 0;
    pthread_mutex_unlock(&lock);
}

/*
 * Issue #10: the parse queue is bounded by back-pressure, never by dropping. One parse
 * thread, blocked on bp-big; bp-q1's body (over parse_queue_bytes) waits for it: bp-late is
 * not started meanwhile; once the parse ends all three are ingested.
 */
static void test_issue_10_parse_queue_back_pressure(void **state)
{
    struct collector_config cfg;
    struct cfx_run r;
    struct vclock c = {0};
    struct poller_opts opts = {.clock = {.now_ms = bp_clock, .arg = &c}, .parse_hook = bp_hook};

    (void)state;
    NEED_FIXTURE();
    fresh_server(bp_route, NULL);
    bp_passes = bp_requests = 0;
    bp_late_started_early = -1;
    load_local(&cfg, "  max_parallel: 1\n  parse_threads: 1\n  parse_queue_bytes: 1k\n",
               "bp-big=/big bp-q1=/q1 bp-late=/late", NULL);
    cfx_run_new(&r, &cfg, &opts);
    c.p = r.p;
    assert_int_equal(poller_run(r.p, true, NULL), 0);
    assert_int_equal(poller_get_stats(r.p)->parsed, 3);
    cfx_run_free(&r);
    assert_int_equal(bp_late_started_early, 0);
    assert_states("bp-big bp-q1 bp-late", "ok");
    collector_config_release(&cfg);
}

/* Body memory budget: feeds of about 40 KB, one per path, each with its own item. */
static struct reply mem_route(const char *url, int n, void *arg)
{
    static char bodies[4][41000];
    struct reply r = {.status = 200, .ctype = "application/rss+xml"};
    int k = (int)(strlen(url) > 0 ? url[strlen(url) - 1] - '1' : 0);
    (void)n;
    (void)arg;
    if (k < 0 || k > 3) {
        r.status = 404;
        r.body = "";
        return r;
    }
    if (!bodies[k][0]) {
        int len = snprintf(bodies[k], sizeof(bodies[k]),
                           "<rss version=\"2.0\"><channel><title>m</title><item>"
                           "<guid>http://example.org/mem/%d</guid><title>t%d</title>"
                           "<description>",
                           k, k);
        memset(bodies[k] + len, 'x', 40000 - (size_t)len);
        snprintf(bodies[k] + 40000, sizeof(bodies[k]) - 40000,
                 "</description></item></channel></rss>");
    }
    r.body = bodies[k];
    return r;
}

static void mem_hook(const char *source_id, void *arg)
{
    (void)source_id;
    (void)arg;
    usleep(200000); /* parses last: queued bodies hold memory while transfers go on */
}

/* The value of the metric line "name value" in text, or -1. */
static long long metric_value(const char *text, const char *name)
{
    char key[160];
    const char *at;

    snprintf(key, sizeof(key), "\n%s ", name);
    at = strstr(text, key);
    return at ? strtoll(at + strlen(key), NULL, 10) : -1;
}

/*
 * Issue #10: one budget for all feed body bytes held at once. Four sources on one server,
 * all fetched in parallel, each body (about 40 KB) over half of body_memory_bytes (64 KiB):
 * transfers pause instead of growing past the budget, never fail; the accounting's high-water
 * mark stays within the budget and every body is parsed and its item produced.
 */
static void test_issue_10_body_memory_budget(void **state)
{
    struct collector_config cfg;
    struct cfx_run r;
    struct yq_buf m;
    struct poller_opts opts = {.parse_hook = mem_hook};
    long long high, used;

    (void)state;
    NEED_FIXTURE();
    fresh_server(mem_route, NULL);
    load_local(&cfg,
               "  max_body_bytes: 48k\n  body_memory_bytes: 64k\n  max_per_host: 8\n"
               "  parse_threads: 2\n",
               "mem-1=/m1 mem-2=/m2 mem-3=/m3 mem-4=/m4", NULL);
    cfx_run_new(&r, &cfg, &opts);
    assert_int_equal(poller_run(r.p, true, NULL), 0);
    assert_int_equal(poller_get_stats(r.p)->parsed, 4);
    yq_buf_init(&m, 1 << 20);
    assert_int_equal(poller_render_metrics(r.p, &m), 0);
    assert_int_equal(metric_value(m.data, "yuqing_collector_body_memory_budget_bytes"), 65536);
    high = metric_value(m.data, "yuqing_collector_body_memory_high_water_bytes");
    used = metric_value(m.data, "yuqing_collector_body_memory_bytes");
    assert_true(high >= 40000); /* a whole body was counted */
    assert_true(high <= 65536);
    assert_int_equal(used, 0);  /* all given back */
    for (int i = 1; i <= 4; i++) {
        char line[96];
        snprintf(line, sizeof(line),
                 "yuqing_collector_source_items_produced_total{source=\"mem-%d\"} 1\n", i);
        assert_non_null(strstr(m.data, line));
    }
    yq_buf_release(&m);
    cfx_run_free(&r);
    assert_states("mem-1 mem-2 mem-3 mem-4", "ok");
    collector_config_release(&cfg);
}

/* Two sites whose feeds use the same short guids: /site-a and /site-b. */
static struct reply guid_route(const char *url, int n, void *arg)
{
    static char body[2][512];
    struct reply r = {.status = 200, .ctype = "application/rss+xml"};
    int k = strcmp(url, "/site-b") == 0;
    (void)n;
    (void)arg;
    snprintf(body[k], sizeof(body[k]),
             "<rss version=\"2.0\"><channel><title>%c</title>"
             "<item><guid>a1</guid><title>one</title><link>http://%c.example/1</link></item>"
             "<item><guid>a2</guid><title>two</title><link>http://%c.example/2</link></item>"
             "</channel></rss>",
             k ? 'b' : 'a', k ? 'b' : 'a', k ? 'b' : 'a');
    r.body = body[k];
    return r;
}

/*
 * Issue #10: the id was sha1(guid) whatever the source, so source B's "a1", "a2" came out
 * produced=0 seen=2 after source A's. Short guids are scoped by the link's origin now.
 */
static void test_issue_10_sources_sharing_short_guids(void **state)
{
    struct collector_config cfg;
    struct cfx_run r;
    struct yq_buf m;

    (void)state;
    NEED_FIXTURE();
    fresh_server(guid_route, NULL);
    load_local(&cfg, "  max_parallel: 1\n", "site-a=/site-a site-b=/site-b", NULL);
    runner_start(&r, &cfg);
    assert_int_equal(poller_run(r.p, true, NULL), 0);
    yq_buf_init(&m, 1 << 20);
    assert_int_equal(poller_render_metrics(r.p, &m), 0);
    assert_non_null(
        strstr(m.data, "yuqing_collector_source_items_produced_total{source=\"site-a\"} 2\n"));
    assert_non_null(
        strstr(m.data, "yuqing_collector_source_items_produced_total{source=\"site-b\"} 2\n"));
    yq_buf_release(&m);
    cfx_run_free(&r);
    collector_config_release(&cfg);
}

static size_t collect(char *data, size_t size, size_t n, void *arg)
{
    return yq_buf_add(arg, data, size * n) == 0 ? size * n : 0;
}

/* GET url into body (reset first); returns the HTTP status. */
static long http_get(const char *url, struct yq_buf *body)
{
    CURL *c = curl_easy_init();
    long status = 0;

    yq_buf_release(body);
    yq_buf_init(body, 1 << 20);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(c);
    assert_int_equal(yq_buf_addc(body, '\0'), 0);
    return status;
}

static void test_metrics_endpoint(void **state)
{
    static const char *const want[] = {
        "yuqing_collector_sources 2\n",
        "yuqing_collector_source_state{source=\"m-ok\",state=\"ok\"} 1",
        "yuqing_collector_source_state{source=\"m-html\",state=\"not_a_feed\"} 1",
        "yuqing_collector_source_up{source=\"m-html\"} 0",
        "yuqing_collector_source_polls_total{source=\"m-ok\",state=\"ok\"} 1",
        "# TYPE yuqing_collector_source_items_produced_total counter",
        "yuqing_collector_bodies_parsed_total 2\n",
        "yuqing_collector_host_slots_released_total 0\n",
    };
    struct collector_config cfg;
    struct poller_opts opts = {0};
    struct yq_metrics_http *m;
    struct cfx_run r;
    char err[256], url[128];
    struct yq_buf body;

    (void)state;
    NEED_FIXTURE();
    fresh_server(mech_route, NULL);
    load_local(&cfg, NULL, "m-ok=/feed m-html=/html", NULL);
    assert_null(yq_metrics_http_start("not-an-address", 0, err, sizeof(err)));
    m = yq_metrics_http_start("127.0.0.1", 0, err, sizeof(err));
    assert_non_null(m);
    assert_true(yq_metrics_http_port(m) > 0);
    opts.metrics = m;
    cfx_run_new(&r, &cfg, &opts);
    assert_int_equal(poller_run(r.p, true, NULL), 0);
    yq_buf_init(&body, 1 << 20);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/metrics", yq_metrics_http_port(m));
    assert_int_equal(http_get(url, &body), 200);
    test_expect_text("/metrics", body.data, want, sizeof(want) / sizeof(want[0]), NULL, 0);
    yq_buf_release(&body);
    cfx_run_free(&r);
    yq_metrics_http_stop(m);
    collector_config_release(&cfg);
}

/* Wait (hang guard 60 s) until the Kafka probe reports want. */
static void wait_probe(const struct yq_kafka_probe *kp, enum yq_dep_state want)
{
    for (int i = 0; i < 600 && yq_kafka_probe_state(kp) != want; i++) {
        usleep(100000);
    }
    assert_int_equal(yq_kafka_probe_state(kp), want);
}

/* One poll of cfg publishing to m with Kafka's state from kp. */
static void poll_publish(const struct collector_config *cfg, struct yq_metrics_http *m,
                         struct yq_kafka_probe *kp)
{
    struct poller_opts opts = {.metrics = m,
                               .kafka_state = yq_kafka_probe_state_cb,
                               .kafka_state_arg = kp};
    struct cfx_run r;

    cfx_run_new(&r, cfg, &opts);
    assert_int_equal(poller_run(r.p, true, NULL), 0);
    cfx_run_free(&r);
}

/*
 * Issue #10: /healthz answered ok while Kafka was unreachable. /healthz and /metrics name
 * each dependency: 200 with both up; 503 naming Kafka while its broker is down (the probe's
 * Metadata request fails); 503 naming Redis when Redis does not answer.
 */
static void test_issue_10_healthz_names_dependencies(void **state)
{
    struct collector_config cfg, cfg503;
    struct yq_metrics_http *m;
    struct yq_kafka_probe *kp;
    rd_kafka_mock_cluster_t *mc;
    char err[256], hurl[128], murl[128];
    struct yq_buf body;

    (void)state;
    NEED_FIXTURE();
    fresh_server(mech_route, NULL);
    load_local(&cfg, NULL, "h-ok=/feed", NULL);
    load_local(&cfg503, NULL, "h-503=/5xx", NULL);
    m = yq_metrics_http_start("127.0.0.1", 0, err, sizeof(err));
    assert_non_null(m);
    snprintf(hurl, sizeof(hurl), "http://127.0.0.1:%d/healthz", yq_metrics_http_port(m));
    snprintf(murl, sizeof(murl), "http://127.0.0.1:%d/metrics", yq_metrics_http_port(m));
    yq_buf_init(&body, 1 << 20);
    /* nothing published yet: not healthy */
    assert_int_equal(http_get(hurl, &body), 503);
    kp = yq_kafka_probe_start(&cfg.kafka, 200, err, sizeof(err));
    assert_non_null(kp);
    wait_probe(kp, YQ_DEP_UP);
    poll_publish(&cfg, m, kp);
    assert_int_equal(http_get(hurl, &body), 200);
    assert_string_equal(body.data, "{\"status\":\"ok\",\"dependencies\":{\"kafka\":\"up\","
                                   "\"redis\":\"up\"}}");
    assert_int_equal(http_get(murl, &body), 200);
    assert_non_null(strstr(body.data, "yuqing_collector_dependency_up{dependency=\"kafka\"} 1\n"));
    assert_non_null(strstr(body.data, "yuqing_collector_dependency_up{dependency=\"redis\"} 1\n"));
    /* the broker goes down */
    mc = rd_kafka_handle_mock_cluster(fx.mock_rk);
    assert_int_equal(rd_kafka_mock_broker_set_down(mc, 1), 0);
    wait_probe(kp, YQ_DEP_DOWN);
    poll_publish(&cfg503, m, kp); /* a 503 source: nothing to deliver while Kafka is down */
    assert_int_equal(http_get(hurl, &body), 503);
    assert_string_equal(body.data, "{\"status\":\"down\",\"dependencies\":{\"kafka\":\"down\","
                                   "\"redis\":\"up\"}}");
    assert_int_equal(http_get(murl, &body), 200);
    assert_non_null(strstr(body.data, "yuqing_collector_dependency_up{dependency=\"kafka\"} 0\n"));
    /* the broker is back; Redis does not answer (nothing listens on port 1) */
    assert_int_equal(rd_kafka_mock_broker_set_up(mc, 1), 0);
    wait_probe(kp, YQ_DEP_UP);
    cfg503.redis.port = 1;
    poll_publish(&cfg503, m, kp);
    assert_int_equal(http_get(hurl, &body), 503);
    assert_string_equal(body.data, "{\"status\":\"down\",\"dependencies\":{\"kafka\":\"up\","
                                   "\"redis\":\"down\"}}");
    assert_int_equal(http_get(murl, &body), 200);
    assert_non_null(strstr(body.data, "yuqing_collector_dependency_up{dependency=\"redis\"} 0\n"));
    yq_kafka_probe_stop(kp);
    yq_buf_release(&body);
    yq_metrics_http_stop(m);
    collector_config_release(&cfg);
    collector_config_release(&cfg503);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fc_019_conditional_get_bookkeeping),
        cmocka_unit_test(test_source_headers_reach_the_server),
        cmocka_unit_test(test_http_gzip_redirect_5xx_slow_big_html),
        cmocka_unit_test(test_truncated_or_corrupt_coding_is_a_fetch_error),
        cmocka_unit_test(test_sources_check_refuses_a_truncated_coding),
        cmocka_unit_test(test_fetch_decoder_pauses_and_checks_the_end),
        cmocka_unit_test(test_backoff_5xx_and_rate_limit),
        cmocka_unit_test(test_retry_after_honoured_and_bounded),
        cmocka_unit_test(test_permanent_redirect_reported),
        cmocka_unit_test(test_tls_self_signed_and_no_https_to_http_redirect),
        cmocka_unit_test(test_fetch_retry_after_forms),
        cmocka_unit_test(test_fc_019_304_refreshes_and_200_without_validators),
        cmocka_unit_test(test_fc_005_weibo_states_through_the_poller),
        cmocka_unit_test(test_fc_001_long_text_cycle_and_retry),
        cmocka_unit_test(test_issue_10_weibo_first_crawl_baseline),
        cmocka_unit_test(test_issue_15_weibo_hot_through_the_poller),
        cmocka_unit_test(test_thousand_sources_keep_their_interval),
        cmocka_unit_test(test_issue_10_most_overdue_source_first),
        cmocka_unit_test(test_issue_10_host_limit_keyed_by_scheme_host_port),
        cmocka_unit_test(test_issue_10_slow_transfer_releases_its_host_slot),
        cmocka_unit_test(test_issue_10_parsing_never_stalls_polling),
        cmocka_unit_test(test_issue_10_parse_queue_back_pressure),
        cmocka_unit_test(test_ingest_bounded_per_loop_pass),
        cmocka_unit_test(test_issue_10_body_memory_budget),
        cmocka_unit_test(test_issue_10_sources_sharing_short_guids),
        cmocka_unit_test(test_metrics_endpoint),
        cmocka_unit_test(test_issue_10_healthz_names_dependencies),
    };

    if (cfx_curl_init() != 0) {
        return 1;
    }
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
