/*
 * Events: SimHash properties, and assignment in a real redis-server: new event, near
 * duplicate joins, distinct story opens its own, reposts (before and after the original),
 * idempotent redelivery, the 72 h window, state shared by two "processes" (two handles);
 * issue #16: each of the ten band pairs, window expiry across slices, the bucket cap,
 * EVALSHA after the script cache was flushed; a batch's lookups in one pipeline (same answers
 * as one by one, one item's error reply, Redis gone between batches).
 * The Redis part skips when redis-server is absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"
#include "redis_fixture.h"
#include "yq_err.h"
#include "yq_banned.h"

static const char story[] =
    "安康市汉滨区某村村民反映，征地补偿款拖欠半年仍未到位，多次到镇政府反映无果。"
    "村民称去年签订协议时承诺三个月内发放，目前仍有二十余户未收到补偿，生活受到影响。";
/* the same post, reworded in one place and with invisible/full-width noise */
static const char story_dup[] =
    "安康市汉滨区某村村民反映，征地补偿款拖欠半年仍未到位，多次到镇政府反映无果！"
    "村民称去年签订协议时承诺三个月内发放，目前仍有二十余户未收到补偿，生活受到影\u200b响。";
static const char other[] =
    "紫阳县城关镇一化工厂昨夜发生燃气泄漏，消防部门紧急疏散周边居民三百余人，"
    "目前泄漏已得到控制，无人员伤亡，事故原因正在调查之中，相关企业已停产整顿。";

static struct yq_item item(const char *id, const char *text, const char *reply_to)
{
    struct yq_item it;
    memset(&it, 0, sizeof(it));
    it.id = (char *)id;
    it.source = (char *)"weibo";
    it.source_id = (char *)"s";
    it.title = (char *)"";
    it.text = (char *)text;
    it.reply_to = (char *)reply_to;
    return it;
}

static uint64_t hash_of(const char *text, size_t *n_features)
{
    struct norm_text buf = NORM_TEXT_INIT;
    struct yq_item it = item("x", text, NULL);
    uint64_t h = 0;
    assert_int_equal(event_simhash(&it, &buf, &h, n_features), 0);
    norm_text_release(&buf);
    return h;
}

static void test_simhash_properties(void **state)
{
    size_t n1, n2, n3, n4;
    uint64_t a = hash_of(story, &n1), b = hash_of(story_dup, &n2), c = hash_of(other, &n3);
    uint64_t d = hash_of("ＡＢＣ，ａｂｃ", &n4);

    (void)state;
    assert_true(n1 >= EVENT_MIN_FEATURES);
    assert_true(event_hamming(a, b) <= EVENT_MAX_DISTANCE);
    assert_true(event_hamming(a, c) > 10);
    assert_int_equal(event_hamming(a, a), 0);
    /* normalisation first: width/case/traditional variants hash identically */
    assert_int_equal(hash_of("燃氣洩漏ＡＢＣ", &n4), hash_of("燃气泄漏abc", &n4));
    /* punctuation and spaces are not features; a bare title has too few */
    assert_int_equal(d, hash_of("abc abc", &n4));
    assert_true(n4 < EVENT_MIN_FEATURES);
    assert_int_equal(event_hamming(0, UINT64_MAX), 64);
}

struct fx {
    struct redis_fixture rf;
    struct yq_redis_cfg cfg;
    struct yq_redis *r;
};

static int setup(void **state)
{
    static struct fx f;
    memset(&f, 0, sizeof(f));
    if (redis_fixture_start(&f.rf) != 0) {
        *state = NULL;
        return 0;
    }
    f.cfg.host = (char *)"127.0.0.1";
    f.cfg.port = f.rf.port;
    f.cfg.connect_timeout_ms = 1000;
    f.cfg.command_timeout_ms = 2000;
    f.r = yq_redis_new(&f.cfg);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (f) {
        yq_redis_free(f->r);
        redis_fixture_stop(&f->rf);
    }
    return 0;
}

#define SHA_HOT "96a6b15d805cc5696a79301767ab3d2894bb6898"

/*
 * Assign (join_only: as a repost that matched no rule) and describe as "KEY new|joined ITEMS
 * VIA", or "none" when a join-only item's original is in no event.
 */
static void assign_as(struct yq_redis *r, const char *id, const char *text, const char *reply_to,
                      bool join_only, int64_t now, char *out, size_t outlen)
{
    struct yq_item it = item(id, text, reply_to);
    struct norm_text buf = NORM_TEXT_INIT;
    struct event_request req = {.item = &it, .join_only = join_only};
    struct event_assignment ea;
    int rc = -1;

    assert_int_equal(event_simhash(&it, &buf, &req.simhash, &req.n_features), 0);
    assert_int_equal(event_assign_batch(r, &req, 1, now, NULL, &ea, &rc), 0);
    if (join_only && rc == ERR_NOT_FOUND) {
        snprintf(out, outlen, "none");
    } else {
        assert_int_equal(rc, 0);
        snprintf(out, outlen, "%s %s %lld %s", ea.event_key, ea.is_new ? "new" : "joined",
                 (long long)ea.items, ea.via);
    }
    event_assignment_release(&ea);
    norm_text_release(&buf);
}

static void assign(struct yq_redis *r, const char *id, const char *text, const char *reply_to,
                   int64_t now, char *out, size_t outlen)
{
    assign_as(r, id, text, reply_to, false, now, out, outlen);
}

static void test_assignment_in_redis(void **state)
{
    struct fx *f = *state;
    struct yq_redis *second;
    char got[256];
    const int64_t t0 = 1796000000;

    if (!f) {
        skip();
    }
    assign(f->r, "weibo:1", story, NULL, t0, got, sizeof(got));
    assert_string_equal(got, "ev:weibo:1 new 1 new");
    /* a near duplicate an hour later joins */
    assign(f->r, "weibo:2", story_dup, NULL, t0 + 3600, got, sizeof(got));
    assert_string_equal(got, "ev:weibo:1 joined 2 near_duplicate");
    /* another story opens its own event */
    assign(f->r, "weibo:3", other, NULL, t0 + 3700, got, sizeof(got));
    assert_string_equal(got, "ev:weibo:3 new 1 new");
    /* redelivery of weibo:2 (even much later): the same answer, nothing counted */
    assign(f->r, "weibo:2", story_dup, NULL, t0 + 7200, got, sizeof(got));
    assert_string_equal(got, "ev:weibo:1 joined 2 near_duplicate");
    /* a repost with a short comment joins its original's event */
    assign(f->r, "weibo:4", "转发微博", "weibo:3", t0 + 3800, got, sizeof(got));
    assert_string_equal(got, "ev:weibo:3 joined 2 repost");
    /* reposts of an original not seen yet share "ev:<original>"; the original joins later */
    assign(f->r, "weibo:6", "顶", "weibo:5", t0 + 3900, got, sizeof(got));
    assert_string_equal(got, "ev:weibo:5 new 1 repost");
    assign(f->r, "weibo:7", "关注", "weibo:5", t0 + 3950, got, sizeof(got));
    assert_string_equal(got, "ev:weibo:5 joined 2 repost");
    assign(f->r, "weibo:5", "紫阳县某小区物业乱收费，业主多次投诉无人处理，要求相关部门调查。",
           NULL, t0 + 4000, got, sizeof(got));
    assert_string_equal(got, "ev:weibo:5 joined 3 repost");

    /* issue #15 review item 7: every stay of a hot-search term (its own item id each) joins
       the term's one event through reply_to "wbhot:<sha1>" (collectors/weibo_hot.h) */
    assign(f->r, "wbhot:" SHA_HOT ":1796000100:entered", "汉滨区征地补偿", "wbhot:" SHA_HOT,
           t0 + 4100, got, sizeof(got));
    assert_string_equal(got, "ev:wbhot:" SHA_HOT " new 1 repost");
    assign(f->r, "wbhot:" SHA_HOT ":1796007300:entered", "汉滨区征地补偿", "wbhot:" SHA_HOT,
           t0 + 11300, got, sizeof(got));
    assert_string_equal(got, "ev:wbhot:" SHA_HOT " joined 2 repost");

    /* state is in Redis: another matcher process (a second handle) sees the same events */
    second = yq_redis_new(&f->cfg);
    assign(second, "weibo:8", story, NULL, t0 + 5000, got, sizeof(got));
    assert_string_equal(got, "ev:weibo:1 joined 3 near_duplicate");
    /* beyond the 72 h window the story opens a new event */
    assign(second, "weibo:9", story, NULL, t0 + 5000 + EVENT_WINDOW_S + 1, got, sizeof(got));
    assert_string_equal(got, "ev:weibo:9 new 1 new");
    yq_redis_free(second);

    /* keys have TTLs */
    redisReply *reply = yq_redis_command(f->r, "TTL yuqing:ev:item:weibo:1");
    assert_non_null(reply);
    assert_true(reply->integer > 0 && reply->integer <= EVENT_TTL_S);
    freeReplyObject(reply);
    reply = yq_redis_command(f->r, "TTL yuqing:ev:count:ev:weibo:1");
    assert_true(reply->integer > 0);
    freeReplyObject(reply);
}

/* Assign a SimHash directly (20 features: takes part in near-duplicate search). */
static void assign_hash(struct yq_redis *r, const char *id, uint64_t h, int64_t now,
                        const struct event_opts *opts, char *out, size_t outlen)
{
    struct yq_item it = item(id, "", NULL);
    struct event_assignment ea;

    assert_int_equal(event_assign(r, &it, h, 20, now, opts, &ea), 0);
    snprintf(out, outlen, "%s %s %lld %s", ea.event_key, ea.is_new ? "new" : "joined",
             (long long)ea.items, ea.via);
    event_assignment_release(&ea);
}

/* bit 0 of band b (event.h: bands start at bits 51, 38, 25, 12, 0) */
static uint64_t band_bit(int b, int k)
{
    static const int shift[EVENT_N_BANDS] = {51, 38, 25, 12, 0};
    return (uint64_t)1 << (shift[b] + k);
}

static size_t pairs_equal(uint64_t a, uint64_t b, size_t *which)
{
    uint32_t pa[EVENT_N_PAIRS], pb[EVENT_N_PAIRS];
    size_t n = 0;

    event_pairs(a, pa);
    event_pairs(b, pb);
    for (size_t k = 0; k < EVENT_N_PAIRS; k++) {
        if (pa[k] == pb[k]) {
            *which = k;
            n++;
        }
    }
    return n;
}

/*
 * A near duplicate at distance 3 shares exactly one band pair with the earlier item: for
 * each of the ten pairs (five bands, each band in four of them), the event is found through
 * that pair alone. Distance 4 is not a near duplicate.
 */
static void test_found_through_each_pair(void **state)
{
    struct fx *f = *state;
    const int64_t t0 = 1796100000;
    size_t k = 0, which = 99;
    char got[256], want[256], id[64];

    if (!f) {
        skip();
    }
    for (int i = 0; i < EVENT_N_BANDS; i++) {
        for (int j = i + 1; j < EVENT_N_BANDS; j++, k++) {
            uint64_t h = 0x9E3779B97F4A7C15ull * (k + 101), d = h;
            int flipped = 0;
            for (int b = 0; b < EVENT_N_BANDS; b++) {
                if (b != i && b != j) {
                    d ^= band_bit(b, 3 + flipped++); /* one bit in each other band */
                }
            }
            assert_int_equal(event_hamming(h, d), EVENT_MAX_DISTANCE);
            assert_int_equal(pairs_equal(h, d, &which), 1);
            assert_int_equal(which, k);
            snprintf(id, sizeof(id), "pair:%zu:a", k);
            assign_hash(f->r, id, h, t0 + (int64_t)k, NULL, got, sizeof(got));
            snprintf(want, sizeof(want), "ev:%s new 1 new", id);
            assert_string_equal(got, want);
            snprintf(id, sizeof(id), "pair:%zu:b", k);
            assign_hash(f->r, id, d, t0 + 100 + (int64_t)k, NULL, got, sizeof(got));
            snprintf(want, sizeof(want), "ev:pair:%zu:a joined 2 near_duplicate", k);
            assert_string_equal(got, want);
            /* 4 bits from a, in bands i and j: a candidate through the pairs of the three
               other bands, rejected by the exact check */
            snprintf(id, sizeof(id), "pair:%zu:c", k);
            assign_hash(f->r, id,
                        h ^ band_bit(i, 1) ^ band_bit(j, 1) ^ band_bit(i, 2) ^ band_bit(j, 2),
                        t0 + 200 + (int64_t)k, NULL, got, sizeof(got));
            snprintf(want, sizeof(want), "ev:pair:%zu:c new 1 new", k);
            assert_string_equal(got, want);
        }
    }
    assert_int_equal(k, EVENT_N_PAIRS);
}

/*
 * The window, with a short one (100 s, slices of 100 s): a near duplicate joins up to
 * exactly window seconds later, across a slice boundary; one second later it opens its
 * own event; the index keys expire when their slice can no longer be read.
 */
static void test_window_expiry(void **state)
{
    struct fx *f = *state;
    const struct event_opts opts = {.window_s = 100, .ttl_s = 1000};
    const int64_t t0 = 1796200000 + 90; /* slice 17962000, 10 s before its end */
    const uint64_t h = 0x0123456789ABCDEFull;
    char got[256];
    uint32_t pv[EVENT_N_PAIRS];
    redisReply *reply;

    if (!f) {
        skip();
    }
    assign_hash(f->r, "win:a", h, t0, &opts, got, sizeof(got));
    assert_string_equal(got, "ev:win:a new 1 new");
    /* next slice, 100 s later: the previous slice is read, the record is just in the window */
    assign_hash(f->r, "win:b", h ^ 1, t0 + 100, &opts, got, sizeof(got));
    assert_string_equal(got, "ev:win:a joined 2 near_duplicate");
    /* 101 s after b: b's record (slice 17962001) is out of the window */
    assign_hash(f->r, "win:c", h ^ 3, t0 + 201, &opts, got, sizeof(got));
    assert_string_equal(got, "ev:win:c new 1 new");
    /* c's record joins d at 99 s */
    assign_hash(f->r, "win:d", h ^ 7, t0 + 300, &opts, got, sizeof(got));
    assert_string_equal(got, "ev:win:c joined 2 near_duplicate");

    /* a's index key (slice 17962000): TTL at most two slices, set from matching time */
    event_pairs(h, pv);
    reply = yq_redis_command(f->r, "TTL yuqing:ev:nd:1:%u:17962000", (unsigned)(pv[0] / 1024));
    assert_non_null(reply);
    assert_int_equal(reply->type, REDIS_REPLY_INTEGER);
    assert_true(reply->integer > 0 && reply->integer <= 110);
    freeReplyObject(reply);
    reply = yq_redis_command(f->r, "HLEN yuqing:ev:nd:1:%u:17962000", (unsigned)(pv[0] / 1024));
    assert_int_equal(reply->integer, 1);
    freeReplyObject(reply);
}

/* A record per distinct SimHash, newest first, at most EVENT_BUCKET_CAP per field. */
static void test_bucket_cap(void **state)
{
    struct fx *f = *state;
    const int64_t t0 = 1796300000;
    const uint64_t h = 0xFEDCBA9876543210ull;
    char got[256], id[32], key[96], field[16];
    uint32_t pv[EVENT_N_PAIRS];
    redisReply *reply;

    if (!f) {
        skip();
    }
    /* twelve SimHashes differing from h only in band 4's low bits: all share pair (0,1) */
    for (int k = 0; k < 12; k++) {
        snprintf(id, sizeof(id), "cap:%d", k);
        assign_hash(f->r, id, h ^ ((uint64_t)(k * 37) << 1), t0 + k, NULL, got, sizeof(got));
    }
    event_pairs(h, pv);
    snprintf(key, sizeof(key), "yuqing:ev:nd:1:%u:%lld", (unsigned)(pv[0] / 1024),
             (long long)(t0 / EVENT_WINDOW_S));
    snprintf(field, sizeof(field), "%u", (unsigned)(pv[0] % 1024));
    reply = yq_redis_command(f->r, "EVAL %s 1 %s %s",
                             "local r = cmsgpack.unpack(redis.call('HGET', KEYS[1], ARGV[1])) "
                             "return {#r, r[3], r[#r - 1], r[#r - 2]}",
                             key, field);
    assert_non_null(reply);
    assert_int_equal(reply->type, REDIS_REPLY_ARRAY);
    assert_int_equal(reply->elements, 4);
    assert_int_equal(reply->element[0]->integer, 4 * EVENT_BUCKET_CAP);
    assert_int_equal(reply->element[1]->integer, t0 + 11);  /* newest first: cap:11 */
    assert_int_equal(reply->element[2]->integer, t0 + 12 - EVENT_BUCKET_CAP); /* cap:4 */
    assert_int_equal(reply->element[3]->integer,
                     (uint32_t)(h ^ ((uint64_t)((12 - EVENT_BUCKET_CAP) * 37) << 1)));
    freeReplyObject(reply);
    /* the same SimHash again (a repost of the same text): its record is replaced, not added */
    assign_hash(f->r, "cap:again", h ^ ((uint64_t)(11 * 37) << 1), t0 + 20, NULL, got,
                sizeof(got));
    assert_string_equal(got + strlen(got) - strlen("near_duplicate"), "near_duplicate");
    reply = yq_redis_command(f->r, "EVAL %s 1 %s %s",
                             "local r = cmsgpack.unpack(redis.call('HGET', KEYS[1], ARGV[1])) "
                             "return {#r, r[3], r[7]}",
                             key, field);
    assert_int_equal(reply->element[0]->integer, 4 * EVENT_BUCKET_CAP);
    assert_int_equal(reply->element[1]->integer, t0 + 20);
    assert_int_equal(reply->element[2]->integer, t0 + 10); /* cap:11's old record is gone */
    freeReplyObject(reply);
}

/* EVALSHA: a server that lost its script cache (SCRIPT FLUSH, restart) still answers. */
static void test_script_cache_lost(void **state)
{
    struct fx *f = *state;
    char got[256];
    redisReply *reply;

    if (!f) {
        skip();
    }
    assign_hash(f->r, "flush:1", 0x1111222233334444ull, 1796400000, NULL, got, sizeof(got));
    assert_string_equal(got, "ev:flush:1 new 1 new");
    reply = yq_redis_command(f->r, "SCRIPT FLUSH");
    freeReplyObject(reply);
    assign_hash(f->r, "flush:2", 0x1111222233334445ull, 1796400001, NULL, got, sizeof(got));
    assert_string_equal(got, "ev:flush:1 joined 2 near_duplicate");
    assign_hash(f->r, "flush:3", 0x1111222233334447ull, 1796400002, NULL, got, sizeof(got));
    assert_string_equal(got, "ev:flush:1 joined 3 near_duplicate");
}

/* Buckets holding garbage (not MessagePack, wrong types) count as empty: no error, no stall. */
static void test_corrupt_bucket(void **state)
{
    struct fx *f = *state;
    const int64_t t0 = 1796500000;
    const uint64_t h = 0x5555AAAA3333CCCCull;
    const char *bad[] = {"garbage\xff", "\x94\xa1x\xa1y\xa1z\xa1w", "\x93\x01\x02\x03"};
    char got[256], key[96], field[16], id[32];
    uint32_t pv[EVENT_N_PAIRS];
    redisReply *reply;

    if (!f) {
        skip();
    }
    event_pairs(h, pv);
    for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        for (size_t i = 0; i < EVENT_N_PAIRS; i++) {
            snprintf(key, sizeof(key), "yuqing:ev:nd:%zu:%u:%lld", i + 1,
                     (unsigned)(pv[i] / 1024), (long long)(t0 / EVENT_WINDOW_S));
            snprintf(field, sizeof(field), "%u", (unsigned)(pv[i] % 1024));
            reply = yq_redis_command(f->r, "HSET %s %s %s", key, field, bad[k]);
            freeReplyObject(reply);
        }
        snprintf(id, sizeof(id), "corrupt:%zu", k);
        assign_hash(f->r, id, h, t0 + (int64_t)k, NULL, got, sizeof(got));
        assert_non_null(strstr(got, " new 1 new"));
    }
    /* the last one's record replaced the garbage: a near duplicate finds it */
    assign_hash(f->r, "corrupt:dup", h ^ 2, t0 + 10, NULL, got, sizeof(got));
    assert_string_equal(got, "ev:corrupt:2 joined 2 near_duplicate");
}

/* Redis down: ERR_RETRY, no crash; a corrupt stored answer is ERR_PARSE. */
static void test_redis_down_and_corrupt(void **state)
{
    struct fx *f = *state;
    struct yq_redis_cfg dead = {.host = (char *)"127.0.0.1", .port = 1,
                                .connect_timeout_ms = 200, .command_timeout_ms = 200};
    struct yq_redis *r;
    struct yq_item it = item("weibo:x", story, NULL);
    struct event_assignment ea;

    if (!f) {
        skip();
    }
    r = yq_redis_new(&dead);
    assert_int_equal(event_assign(r, &it, 1, 20, 1, NULL, &ea), ERR_RETRY);
    assert_null(ea.event_key);
    yq_redis_free(r);
    redisReply *reply = yq_redis_command(f->r, "SET yuqing:ev:item:weibo:x garbage");
    freeReplyObject(reply);
    assert_int_equal(event_assign(f->r, &it, 1, 20, 1, NULL, &ea), ERR_PARSE);
    it.id = (char *)"";
    assert_int_equal(event_assign(f->r, &it, 1, 20, 1, NULL, &ea), ERR_PARSE);
}

/* The batch of test_batch_*: near duplicates, reposts (before and after the original), a
   bare title, a redelivery and an empty id, all within one batch. */
static const struct {
    const char *id, *text, *reply_to;
} batch_items[] = {
    {"b:1", story, NULL},
    {"b:2", story_dup, NULL},
    {"b:3", other, NULL},
    {"b:4", "转发微博", "b:3"},
    {"b:6", "顶", "b:5"},
    {"b:5", "紫阳县某小区物业乱收费，业主多次投诉无人处理，要求相关部门调查。", NULL},
    {"b:7", "短标题", NULL},
    {"b:2", story_dup, NULL},
    {"", story, NULL},
    {"b:8", story, NULL},
};
#define N_BATCH (sizeof(batch_items) / sizeof(batch_items[0]))

/* Describe an answer as "KEY new|joined ITEMS VIA" or "rc=N". */
static void describe(int rc, const struct event_assignment *ea, char *out, size_t outlen)
{
    if (rc) {
        snprintf(out, outlen, "rc=%d", rc);
        return;
    }
    snprintf(out, outlen, "%s %s %lld %s", ea->event_key, ea->is_new ? "new" : "joined",
             (long long)ea->items, ea->via);
}

/* A batch of test_batch_*: its items, requests and answers. */
struct batch {
    struct yq_item its[N_BATCH];
    struct event_request reqs[N_BATCH];
    struct event_assignment ea[N_BATCH];
    int rcs[N_BATCH];
};

/* Fill b's requests from batch_items and empty Redis. */
static void batch_start(struct fx *f, struct batch *b)
{
    struct norm_text buf = NORM_TEXT_INIT;
    redisReply *reply;

    memset(b, 0, sizeof(*b));
    for (size_t i = 0; i < N_BATCH; i++) {
        b->its[i] = item(batch_items[i].id, batch_items[i].text, batch_items[i].reply_to);
        b->reqs[i].item = &b->its[i];
        assert_int_equal(event_simhash(&b->its[i], &buf, &b->reqs[i].simhash,
                                       &b->reqs[i].n_features),
                         0);
    }
    norm_text_release(&buf);
    reply = yq_redis_command(f->r, "FLUSHALL");
    assert_non_null(reply);
    freeReplyObject(reply);
}

/*
 * issue #16: N items assigned in one pipelined batch get exactly the answers of N
 * event_assign() calls in the same order (on a fresh Redis each time), including the items
 * of the batch that join each other.
 */
static void test_batch_same_as_one_by_one(void **state)
{
    struct fx *f = *state;
    const int64_t t0 = 1796600000;
    struct batch b;
    char one[N_BATCH][256], got[256];
    redisReply *reply;

    if (!f) {
        skip();
    }
    batch_start(f, &b);
    for (size_t i = 0; i < N_BATCH; i++) {
        struct event_assignment a;
        const struct event_request *q = &b.reqs[i];
        int rc = event_assign(f->r, q->item, q->simhash, q->n_features, t0, NULL, &a);
        describe(rc, &a, one[i], sizeof(one[i]));
        event_assignment_release(&a);
    }
    /* what one by one gives (so that the comparison below is not vacuous) */
    assert_string_equal(one[1], "ev:b:1 joined 2 near_duplicate");
    assert_string_equal(one[3], "ev:b:3 joined 2 repost");
    assert_string_equal(one[5], "ev:b:5 joined 2 repost");
    assert_string_equal(one[7], one[1]);
    assert_string_equal(one[6], "ev:b:7 new 1 new"); /* a bare title: its own event */
    snprintf(got, sizeof(got), "rc=%d", ERR_PARSE);
    assert_string_equal(one[8], got); /* no id */
    reply = yq_redis_command(f->r, "FLUSHALL");
    freeReplyObject(reply);
    reply = yq_redis_command(f->r, "SCRIPT FLUSH"); /* the batch learns the script again */
    freeReplyObject(reply);
    assert_int_equal(event_assign_batch(f->r, b.reqs, N_BATCH, t0, NULL, b.ea, b.rcs), 0);
    for (size_t i = 0; i < N_BATCH; i++) {
        describe(b.rcs[i], &b.ea[i], got, sizeof(got));
        assert_string_equal(got, one[i]);
        event_assignment_release(&b.ea[i]);
    }
    /* the whole batch again (a redelivery): the same answers, nothing counted twice */
    assert_int_equal(event_assign_batch(f->r, b.reqs, N_BATCH, t0 + 60, NULL, b.ea, b.rcs), 0);
    for (size_t i = 0; i < N_BATCH; i++) {
        describe(b.rcs[i], &b.ea[i], got, sizeof(got));
        assert_string_equal(got, one[i]);
        event_assignment_release(&b.ea[i]);
    }
    /* an empty batch asks nothing */
    assert_int_equal(event_assign_batch(f->r, b.reqs, 0, t0, NULL, b.ea, b.rcs), 0);
}

/*
 * issue #16: Redis answers an error for one item of the batch (its answer key holds a hash:
 * WRONGTYPE inside the script): that item alone gets ERR_INVALID (Redis is up, the same
 * call fails again: mfix), the others their answers.
 */
static void test_batch_error_for_one_item(void **state)
{
    struct fx *f = *state;
    const int64_t t0 = 1796700000;
    struct batch b;
    char got[256];
    redisReply *reply;

    if (!f) {
        skip();
    }
    batch_start(f, &b);
    reply = yq_redis_command(f->r, "HSET yuqing:ev:item:b:3 x y");
    freeReplyObject(reply);
    assert_int_equal(event_assign_batch(f->r, b.reqs, 4, t0, NULL, b.ea, b.rcs), 0);
    describe(b.rcs[0], &b.ea[0], got, sizeof(got));
    assert_string_equal(got, "ev:b:1 new 1 new");
    describe(b.rcs[1], &b.ea[1], got, sizeof(got));
    assert_string_equal(got, "ev:b:1 joined 2 near_duplicate");
    assert_int_equal(b.rcs[2], ERR_INVALID);
    assert_null(b.ea[2].event_key);
    /* b:4 reposts b:3, whose script failed before recording anything: it opens ev:b:3 */
    describe(b.rcs[3], &b.ea[3], got, sizeof(got));
    assert_string_equal(got, "ev:b:3 new 1 repost");
    for (size_t i = 0; i < 4; i++) {
        event_assignment_release(&b.ea[i]);
    }
    /* fixed, the batch again: the answered items keep their answers, b:3 joins its repost */
    reply = yq_redis_command(f->r, "DEL yuqing:ev:item:b:3");
    freeReplyObject(reply);
    assert_int_equal(event_assign_batch(f->r, b.reqs, 4, t0 + 1, NULL, b.ea, b.rcs), 0);
    describe(b.rcs[1], &b.ea[1], got, sizeof(got));
    assert_string_equal(got, "ev:b:1 joined 2 near_duplicate");
    describe(b.rcs[2], &b.ea[2], got, sizeof(got));
    assert_string_equal(got, "ev:b:3 joined 2 repost");
    for (size_t i = 0; i < 4; i++) {
        event_assignment_release(&b.ea[i]);
    }
}

/*
 * issue #16: Redis goes away between two batches on a live connection (the pipeline's
 * write or read fails part-way): every item of the batch gets ERR_RETRY, nothing is left
 * half-read; after a restart (the data saved) the batch is answered, and the items answered
 * before the outage keep their answers.
 */
static void test_batch_redis_down(void **state)
{
    struct fx *f = *state;
    const int64_t t0 = 1796800000;
    struct batch b;
    char first[N_BATCH][256], got[256];

    if (!f) {
        skip();
    }
    batch_start(f, &b);
    assert_int_equal(event_assign_batch(f->r, b.reqs, 5, t0, NULL, b.ea, b.rcs), 0);
    for (size_t i = 0; i < 5; i++) {
        describe(b.rcs[i], &b.ea[i], first[i], sizeof(first[i]));
        assert_int_equal(b.rcs[i], 0);
        event_assignment_release(&b.ea[i]);
    }
    assert_int_equal(redis_fixture_save(&f->rf), 0);
    redis_fixture_stop(&f->rf);
    assert_int_equal(event_assign_batch(f->r, b.reqs, N_BATCH, t0 + 1, NULL, b.ea, b.rcs), 0);
    for (size_t i = 0; i < N_BATCH; i++) {
        assert_int_equal(b.rcs[i], batch_items[i].id[0] ? ERR_RETRY : ERR_PARSE);
        assert_null(b.ea[i].event_key);
    }
    assert_int_equal(redis_fixture_restart(&f->rf), 0);
    assert_int_equal(event_assign_batch(f->r, b.reqs, N_BATCH, t0 + 2, NULL, b.ea, b.rcs), 0);
    for (size_t i = 0; i < N_BATCH; i++) {
        describe(b.rcs[i], &b.ea[i], got, sizeof(got));
        if (i < 5) {
            assert_string_equal(got, first[i]);
        } else {
            assert_int_equal(b.rcs[i], batch_items[i].id[0] ? 0 : ERR_PARSE);
        }
        event_assignment_release(&b.ea[i]);
    }
}

/*
 * Field review of event grouping: one news story as several sites republish it. The plain
 * copy; the others add a medium's tag, source, date, editor and original-title lines, a
 * reporter credit, a CMS header line, print buttons, a copyright and registration footer,
 * an advertisement, share buttons, other white space, a WeChat account's header and footer
 * with links, traditional characters, full-width letters and digits. Before the boilerplate was
 * left out of SimHash (event_simhash.c) the copies were 6 to 11 bits from the plain one: each
 * opened its own event.
 */
static const char gas_title[] = "汉滨区一小区燃气泄漏 200余人紧急疏散";
static const char gas_text[] =
    "12月5日晚，安康市汉滨区老城街道某小区发生燃气泄漏，消防救援人员迅速赶到现场，疏散居民200余人。"
    "\n"
    "经排查，系小区地下管网老化导致天然气泄漏，目前险情已排除，无人员伤亡。\n"
    "燃气公司表示将对辖区老旧管网开展全面排查，确保居民用气安全。";
static const struct {
    const char *title, *text;
} gas_copies[] = {
    {"【安康日报】汉滨区一小区燃气泄漏 200余人紧急疏散",
     "来源：安康日报 2026-12-06 08:30\n"
     "12月5日晚，安康市汉滨区老城街道某小区发生燃气泄漏，消防救援人员迅速赶到现场，疏散居民200余人"
     "。（记者 李华）\n"
     "经排查，系小区地下管网老化导致天然气泄漏，目前险情已排除，无人员伤亡。\n"
     "燃气公司表示将对辖区老旧管网开展全面排查，确保居民用气安全。\n"
     "责任编辑：王小明\n（原标题：汉滨区老城街道一小区燃气泄漏）"},
    {"汉滨区一小区燃气泄漏 200余人紧急疏散",
     "发布时间：2026年12月06日 09:12:44 来源：安康新闻网 作者：李华 字号：大 中 小\n"
     "12月5日晚，安康市汉滨区老城街道某小区发生燃气泄漏，消防救援人员迅速赶到现场，疏散居民200余人"
     "。\n"
     "经排查，系小区地下管网老化导致天然气泄漏，目前险情已排除，无人员伤亡。\n"
     "燃气公司表示将对辖区老旧管网开展全面排查，确保居民用气安全。 来源：安康新闻网\n"
     "【打印】【关闭】\n"
     "版权所有：安康新闻网 陕ICP备12345678号 陕公网安备61090202000123号\n2026-12-06"},
    {"汉滨区一小区燃气泄漏  200余人紧急疏散",
     "  12月5日晚， 安康市汉滨区老城街道某小区发生燃气泄漏，\u3000消防救援人员迅速赶到现场，"
     "疏散居民200余人。\n\n\n经排查，系小区地下管网老化导致天然气泄漏，目前险情已排除，无人员伤亡。"
     "\n"
     "广告：安康房产 江景大宅火热认购中 咨询电话0915-1234567\n"
     "燃气公司表示将对辖区老旧管网开展全面排查，确保居民用气安全。\n"
     "分享到：微信 微博 QQ空间"},
    {"漢濱區一小區燃氣洩漏 200餘人緊急疏散",
     "12月5日晚，安康市漢濱區老城街道某小區發生燃氣洩漏，消防救援人員迅速趕到現場，疏散居民200餘人"
     "。\n"
     "經排查，係小區地下管網老化導致天然氣洩漏，目前險情已排除，無人員傷亡。\n"
     "燃氣公司表示將對轄區老舊管網開展全面排查，確保居民用氣安全。"},
    {"汉滨区一小区燃气泄漏 200余人紧急疏散",
     "点击蓝字 关注我们\n"
     "本报讯 "
     "12月5日晚，安康市汉滨区老城街道某小区发生燃气泄漏，消防救援人员迅速赶到现场，疏散居民200余人"
     "。\n"
     "经排查，系小区地下管网老化导致天然气泄漏，目前险情已排除，无人员伤亡。(通讯员 王敏 摄)\n"
     "燃气公司表示将对辖区老旧管网开展全面排查，确保居民用气安全。https://m.akxw.cn/a/8812.html\n"
     "原文链接：https://www.akxw.cn/2026/1206/8812.html\n往期推荐\n阅读原文"},
    {"汉滨区一小区燃气泄漏 200余人紧急疏散",
     "2026-12-06 08:30:12 来源：安康日报网\n"
     "12月5日晚，安康市汉滨区老城街道某小区发生燃气泄漏，消防救援人员迅速赶到现场，疏散居民200余人"
     "。\n"
     "经排查，系小区地下管网老化导致天然气泄漏，目前险情已排除，无人员伤亡。\n"
     "燃气公司表示将对辖区老旧管网开展全面排查，确保居民用气安全。 2026年12月6日 9:05\n"
     "2026/12/06 10:00"},
    {"汉滨区一小区燃气泄漏 ２００余人紧急疏散",
     "１２月５日晚，安康市汉滨区老城街道某小区发生燃气泄漏，消防救援人员迅速赶到现场，疏散居民２０"
     "０余人。\n"
     "经排查，系小区地下管网老化导致天然气泄漏，目前险情已排除，无人员伤亡。\n"
     "燃气公司表示将对辖区老旧管网开展全面排查，确保居民用气安全。"},
};

/* Two stories about one place under the same long site footer (several lines). */
static const char site_footer[] =
    "\n主办单位：安康市人民政府办公室 承办单位：安康市大数据中心\n"
    "网站标识码：6109000001 陕ICP备05001234号 陕公网安备61090202000123号\n"
    "版权所有 © 安康市人民政府 联系我们 网站地图 法律声明 技术支持：安康信息技术有限公司\n"
    "推荐阅读：安康市2026年冬季供暖工作安排 汉江水质持续保持国家二类标准\n"
    "上一篇：安康市召开全市经济工作会议\n下一篇：汉阴县开展冬季森林防火专项检查";
static const char meeting_text[] =
    "12月5日，汉滨区召开冬季安全生产工作会议，部署今冬明春安全防范工作，要求各镇街道压实责任。";
static const char land_text[] =
    "近日，汉滨区纪委监委对征地补偿款发放情况开展专项检查，发现问题线索三条，已责令限期整改。";

static uint64_t hash_item(const char *title, const char *text, size_t *n_features)
{
    struct norm_text buf = NORM_TEXT_INIT;
    struct yq_item it = item("x", text, NULL);
    uint64_t h = 0;

    it.title = (char *)title;
    assert_int_equal(event_simhash(&it, &buf, &h, n_features), 0);
    norm_text_release(&buf);
    return h;
}

static void test_republished_story_one_simhash(void **state)
{
    size_t n, n2;
    uint64_t plain = hash_item(gas_title, gas_text, &n);
    char joined[4096];

    (void)state;
    assert_true(n >= EVENT_MIN_FEATURES);
    for (size_t i = 0; i < sizeof(gas_copies) / sizeof(gas_copies[0]); i++) {
        uint64_t h = hash_item(gas_copies[i].title, gas_copies[i].text, &n2);
        print_message("copy %zu: %d bits\n", i, event_hamming(plain, h));
        assert_true(event_hamming(plain, h) <= EVENT_MAX_DISTANCE);
    }
    /* traditional characters and full-width digits are the same text once normalised */
    assert_int_equal(hash_item(gas_copies[3].title, gas_copies[3].text, &n2), plain);
    assert_int_equal(n2, n);
    assert_int_equal(hash_item(gas_copies[6].title, gas_copies[6].text, &n2), plain);
    /* a footer, an advertisement... add no feature: the two stories hash as without it */
    snprintf(joined, sizeof(joined), "%s%s", meeting_text, site_footer);
    assert_int_equal(hash_item("汉滨区召开冬季安全生产工作会议", joined, &n2),
                     hash_item("汉滨区召开冬季安全生产工作会议", meeting_text, &n));
    assert_int_equal(n2, n);
    assert_true(event_hamming(hash_item("汉滨区召开冬季安全生产工作会议", joined, &n2),
                              hash_item("汉滨区开展征地补偿款专项检查", land_text, &n)) >
                EVENT_MAX_DISTANCE + 6);
    /* one title, two different bodies: two stories */
    assert_true(
        event_hamming(
            hash_item(gas_title, "网友称现场气味很大，物业迟迟没有人来处理，居民只能在楼下等待。",
                      &n),
            hash_item(gas_title, "消防员到场后关闭阀门，现场已恢复正常，燃气公司正在检修管道。",
                      &n2)) > EVENT_MAX_DISTANCE);
    /* a sentence that only mentions a source or an advertisement keeps its words */
    (void)hash_item("", "市场监管局查处一批虚假广告，涉案金额二十余万元，已立案调查。", &n2);
    assert_int_equal(n2, 12 + 8 + 4);
    /* a label only on its own: "事发时间:" keeps its line (not cut at "时间:") */
    (void)hash_item("", "事发时间：昨晚八点，汉滨区老城街道一居民楼起火，消防员十分钟后赶到。",
                    &n2);
    assert_int_equal(n2, 3 + 3 + 12 + 8);
    (void)hash_item("", "汉滨区老城街道一居民楼起火 时间：昨晚八点", &n2);
    assert_int_equal(n2, 12);
    /* the space before the label is one normalisation drops (between two Chinese characters):
     * the label still stands on its own, whichever space it was */
    (void)hash_item("", "汉滨区老城街道一居民楼起火\u3000时间：昨晚八点", &n2);
    assert_int_equal(n2, 12);
    (void)hash_item("", "汉滨区老城街道一居民楼起火\u00a0\u00a0时间：昨晚八点", &n2);
    assert_int_equal(n2, 12);
    assert_int_equal(hash_item("", "汉滨区应急管理局 张三 来源：安康日报", &n2),
                     hash_item("", "汉滨区应急管理局 张三", &n));
    assert_int_equal(n2, n);
    assert_int_equal(n, 9); /* 汉滨区应急管理局张三: the space is dropped, 10 characters, 9 pairs */
}

/*
 * Review of the boilerplate rules: Weibo posts and plain RSS descriptions are one line, so a
 * footer word inside it dropped the whole body and a page label near its start cut the rest:
 * two incidents under one title or prefix hashed alike (0 bits). Each pair below was 0 bits
 * apart; before the boilerplate rules such pairs were 16-24 bits apart.
 */
static const struct {
    const char *title, *a, *b;
} one_line_pairs[] = {
    /* A: a label in the middle of a one-line post */
    {"",
     "【安康交警】汉滨区路况信息发布 时间：12月6日8时 "
     "地点：G65包茂高速安康段两车追尾，一人受伤，交警已到场处置",
     "【安康交警】汉滨区路况信息发布 时间：12月7日15时 "
     "地点：十天高速石泉段一辆货车起火，暂无人员伤亡，道路单向通行"},
    /* B: a label at the start of a one-line body */
    {"安康市应急管理局工作动态",
     "来源：安康市应急管理局 12月5日，汉滨区某化工厂发生燃气泄漏，周边居民已疏散，无人员伤亡。",
     "来源：安康市应急管理局 12月6日，石泉县一处山体滑坡阻断道路，两户村民房屋受损，已转移安置。"},
    /* C: a footer word inside a sentence */
    {"安康市青少年法治知识竞赛",
     "12月5日，市司法局作为主办单位在市体育馆举行全市青少年法治知识竞赛，十六支代表队参赛，"
     "比赛有序进行。",
     "12月6日，市司法局作为主办单位举行的法治知识竞赛散场时发生踩踏，两名学生受伤送医，"
     "活动已暂停。"},
    /* D: a footer after the story's last sentence */
    {"平利县发生一起交通事故",
     "12月5日晚，平利县长安镇一辆轿车与摩托车相撞，摩托车驾驶人当场死亡，事故原因正在调查。"
     "版权所有 安康日报社",
     "12月6日上午，平利县城关镇一辆满载砂石的货车侧翻，司机被困后获救，道路一度中断。"
     "版权所有 安康日报社"},
    /* E: labels after a comma */
    {"",
     "紧急寻人！走失老人特征如下，时间：12月6日上午，地点：汉滨区江北街道，男，七十五岁，"
     "身穿蓝色棉衣，有知情者请拨打110。",
     "紧急寻人！走失老人特征如下，时间：12月7日下午，地点：旬阳市城关镇，女，八十岁，"
     "身穿黑色外套，拄着拐杖，有知情者请拨打110。"},
};

/* That title + text hashes exactly as title + without: same SimHash, same feature count. */
static void assert_hashes_as(const char *title, const char *text, const char *without)
{
    size_t n, n2;

    assert_int_equal(hash_item(title, text, &n), hash_item(title, without, &n2));
    assert_int_equal(n, n2);
}

static void test_one_line_stories_apart(void **state)
{
    size_t n, n2;

    (void)state;
    for (size_t i = 0; i < sizeof(one_line_pairs) / sizeof(one_line_pairs[0]); i++) {
        uint64_t a = hash_item(one_line_pairs[i].title, one_line_pairs[i].a, &n);
        uint64_t b = hash_item(one_line_pairs[i].title, one_line_pairs[i].b, &n2);
        print_message("pair %zu: %d bits, %zu and %zu features\n", i, event_hamming(a, b), n, n2);
        assert_true(n >= EVENT_MIN_FEATURES);
        assert_true(n2 >= EVENT_MIN_FEATURES);
        assert_true(event_hamming(a, b) > EVENT_MAX_DISTANCE);
    }
    /* a label goes with its value only, up to the original's space or a sentence mark (the
       words on either side of it make no pair: here a line break) */
    assert_hashes_as("", one_line_pairs[0].a,
                     "【安康交警】汉滨区路况信息发布\n"
                     "地点：G65包茂高速安康段两车追尾，一人受伤，交警已到场处置");
    assert_hashes_as(one_line_pairs[1].title, one_line_pairs[1].a,
                     "12月5日，汉滨区某化工厂发生燃气泄漏，周边居民已疏散，无人员伤亡。");
    assert_hashes_as("", one_line_pairs[4].a,
                     "紧急寻人！走失老人特征如下，地点：汉滨区江北街道，男，七十五岁，"
                     "身穿蓝色棉衣，有知情者请拨打110。");
    /* the value starts after white space */
    assert_hashes_as("", "汉滨区应急管理局 张三 来源: 安康日报", "汉滨区应急管理局 张三");
    /* without an end the value goes only up to its bound (30 characters), the rest stays */
    (void)hash_item("",
                    "来源：一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十"
                    "甲乙丙丁戊",
                    &n);
    assert_int_equal(n, 4);
    /* a footer after the last sentence goes; the sentences stay */
    assert_hashes_as(one_line_pairs[3].title, one_line_pairs[3].a,
                     "12月5日晚，平利县长安镇一辆轿车与摩托车相撞，摩托车驾驶人当场死亡，"
                     "事故原因正在调查。");
    /* a footer word inside a sentence keeps the line: 主办单位 is hashed */
    assert_int_not_equal(hash_item(one_line_pairs[2].title, one_line_pairs[2].a, &n),
                         hash_item(one_line_pairs[2].title,
                                   "12月5日，市司法局作为在市体育馆举行全市青少年法治知识竞赛，"
                                   "十六支代表队参赛，比赛有序进行。",
                                   &n2));
    assert_int_equal(n, n2 + 4);
    /* an English footer's ", " is no sentence mark: the line goes */
    (void)hash_item("", "Copyright 2026 Ankang Daily, all rights reserved", &n);
    assert_int_equal(n, 0);
    /* a short line is page furniture even with a comma */
    assert_hashes_as("", "扫一扫，关注我们\n汉滨区老城街道一居民楼起火",
                     "汉滨区老城街道一居民楼起火");
}

/* The copies in Redis: one event of 7 items; each story under the site footer its own. */
static void test_republished_story_one_event(void **state)
{
    struct fx *f = *state;
    const int64_t t0 = 1796900000;
    char got[256], want[64], id[32], joined[4096];

    if (!f) {
        skip();
    }
    {
        struct yq_item it = item("rss:gas0", gas_text, NULL);
        struct norm_text buf = NORM_TEXT_INIT;
        struct event_assignment ea;
        uint64_t h;
        size_t n;
        it.title = (char *)gas_title;
        assert_int_equal(event_simhash(&it, &buf, &h, &n), 0);
        assert_int_equal(event_assign(f->r, &it, h, n, t0, NULL, &ea), 0);
        assert_string_equal(ea.event_key, "ev:rss:gas0");
        event_assignment_release(&ea);
        for (size_t i = 0; i < sizeof(gas_copies) / sizeof(gas_copies[0]); i++) {
            snprintf(id, sizeof(id), "rss:gas%zu", i + 1);
            it = item(id, gas_copies[i].text, NULL);
            it.title = (char *)gas_copies[i].title;
            assert_int_equal(event_simhash(&it, &buf, &h, &n), 0);
            assert_int_equal(event_assign(f->r, &it, h, n, t0 + 60 * (int64_t)(i + 1), NULL, &ea),
                             0);
            snprintf(got, sizeof(got), "%s %lld %s", ea.event_key, (long long)ea.items, ea.via);
            snprintf(want, sizeof(want), "ev:rss:gas0 %zu near_duplicate", i + 2);
            assert_string_equal(got, want);
            event_assignment_release(&ea);
        }
        norm_text_release(&buf);
    }
    snprintf(joined, sizeof(joined), "%s%s", meeting_text, site_footer);
    assign(f->r, "rss:meeting", joined, NULL, t0 + 1000, got, sizeof(got));
    assert_string_equal(got, "ev:rss:meeting new 1 new");
    snprintf(joined, sizeof(joined), "%s%s", land_text, site_footer);
    assign(f->r, "rss:land", joined, NULL, t0 + 1100, got, sizeof(got));
    assert_string_equal(got, "ev:rss:land new 1 new");
}

/*
 * Field review: a repost that matched no rule asks to join only. Its original in no event:
 * "none" and nothing recorded (a later matched original opens its own event as if the repost
 * had never been seen); its original in an event: it joins as a repost, is counted once
 * (a redelivery gets the same answer), and a repost of it joins the same event.
 */
static void test_join_only_repost(void **state)
{
    struct fx *f = *state;
    const int64_t t0 = 1797000000;
    char got[256];
    redisReply *reply;

    if (!f) {
        skip();
    }
    assign_as(f->r, "weibo:j2", "转发微博", "weibo:j1", true, t0, got, sizeof(got));
    assert_string_equal(got, "none");
    reply = yq_redis_command(f->r, "EXISTS yuqing:ev:root:weibo:j1 yuqing:ev:item:weibo:j2 "
                                   "yuqing:ev:root:weibo:j2 yuqing:ev:count:ev:weibo:j1");
    assert_non_null(reply);
    assert_int_equal(reply->integer, 0);
    freeReplyObject(reply);
    assign(f->r, "weibo:j1",
           "岚皋县一所小学食堂被指饭菜变质，多名家长在校门口聚集要求校方给出说法。", NULL, t0 + 10,
           got, sizeof(got));
    assert_string_equal(got, "ev:weibo:j1 new 1 new");
    assign_as(f->r, "weibo:j2", "转发微博", "weibo:j1", true, t0 + 20, got, sizeof(got));
    assert_string_equal(got, "ev:weibo:j1 joined 2 repost");
    assign_as(f->r, "weibo:j2", "转发微博", "weibo:j1", true, t0 + 30, got, sizeof(got));
    assert_string_equal(got, "ev:weibo:j1 joined 2 repost");
    /* a repost of the repost ("//@" chain pointing at weibo:j2) */
    assign_as(f->r, "weibo:j3", "顶//@网友:转发微博", "weibo:j2", true, t0 + 40, got, sizeof(got));
    assert_string_equal(got, "ev:weibo:j1 joined 3 repost");
    /* a matched repost of an unseen (deleted) original opens ev:<original>; an unmatched
       repost of the same original then joins it */
    assign(f->r, "weibo:j5", "镇坪县山体滑坡阻断公路，过往车辆绕行", "weibo:j4", t0 + 50, got,
           sizeof(got));
    assert_string_equal(got, "ev:weibo:j4 new 1 repost");
    assign_as(f->r, "weibo:j6", "转发微博", "weibo:j4", true, t0 + 60, got, sizeof(got));
    assert_string_equal(got, "ev:weibo:j4 joined 2 repost");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simhash_properties),
        cmocka_unit_test(test_assignment_in_redis),
        cmocka_unit_test(test_found_through_each_pair),
        cmocka_unit_test(test_window_expiry),
        cmocka_unit_test(test_bucket_cap),
        cmocka_unit_test(test_script_cache_lost),
        cmocka_unit_test(test_corrupt_bucket),
        cmocka_unit_test(test_redis_down_and_corrupt),
        cmocka_unit_test(test_batch_same_as_one_by_one),
        cmocka_unit_test(test_batch_error_for_one_item),
        cmocka_unit_test(test_batch_redis_down),
        cmocka_unit_test(test_republished_story_one_simhash),
        cmocka_unit_test(test_one_line_stories_apart),
        cmocka_unit_test(test_republished_story_one_event),
        cmocka_unit_test(test_join_only_repost),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
