/*
 * Events: SimHash properties, and assignment in a real redis-server: new event, near
 * duplicate joins, distinct story opens its own, reposts (before and after the original),
 * idempotent redelivery, the 72 h window, state shared by two "processes" (two handles).
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

/* Assign and describe as "KEY new|joined ITEMS VIA". */
static void assign(struct yq_redis *r, const char *id, const char *text, const char *reply_to,
                   int64_t now, char *out, size_t outlen)
{
    struct yq_item it = item(id, text, reply_to);
    struct norm_text buf = NORM_TEXT_INIT;
    struct event_assignment ea;
    uint64_t h;
    size_t n;

    assert_int_equal(event_simhash(&it, &buf, &h, &n), 0);
    assert_int_equal(event_assign(r, &it, h, n, now, NULL, &ea), 0);
    snprintf(out, outlen, "%s %s %lld %s", ea.event_key, ea.is_new ? "new" : "joined",
             (long long)ea.items, ea.via);
    event_assignment_release(&ea);
    norm_text_release(&buf);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simhash_properties),
        cmocka_unit_test(test_assignment_in_redis),
        cmocka_unit_test(test_redis_down_and_corrupt),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
