/*
 * The hot-search list (issue #15) without a network: both documented shapes read from the
 * hand-written fixtures tests/collectors/fixtures/weibo_hot_{mobile,desktop}.json (pinned
 * entry, ads, badges, heats as numbers and texts, missing fields, duplicates), the login wall
 * and ok:0 through weibo_classify(), hostile bodies, the item of an entry, watched terms, and
 * the stays of yq_hot_track() over a sequence of polls on an injected clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weibo.h"
#include "weibo_hot.h"
#include "yq_buf.h"
#include "yq_err.h"
#include "yq_hot.h"
#include "yq_banned.h"

#define FIXTURES YQ_SOURCE_DIR "/tests/collectors/fixtures/"

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void parse_fixture(const char *name, struct weibo_hot_list *out)
{
    char path[512], err[256] = "";
    size_t len;
    char *body;

    snprintf(path, sizeof(path), "%s%s", FIXTURES, name);
    body = read_file(path, &len);
    assert_int_equal(weibo_classify(200, "application/json", NULL, body, len, err, sizeof(err)),
                     SOURCE_OK);
    if (weibo_hot_parse(body, len, out, err, sizeof(err)) != 0) {
        fail_msg("parse %s: %s", name, err);
    }
    free(body);
}

struct want {
    const char *term;
    int64_t rank;
    int64_t heat;
    const char *badge;
};

static void assert_entries(const struct weibo_hot_list *l, const struct want *w, size_t n)
{
    assert_int_equal(l->n, n);
    for (size_t i = 0; i < n; i++) {
        const struct weibo_hot_entry *e = &l->entries[i];
        if (strcmp(e->term, w[i].term) != 0) {
            fail_msg("entry %zu: '%s', want '%s'", i, e->term, w[i].term);
        }
        assert_int_equal(e->rank, w[i].rank);
        assert_int_equal(e->heat, w[i].heat);
        assert_int_equal(e->pinned, w[i].rank == 0);
        if (w[i].badge) {
            assert_non_null(e->badge);
            assert_string_equal(e->badge, w[i].badge);
        } else {
            assert_null(e->badge);
        }
        assert_int_equal(strlen(e->sha1), YQ_HOT_SHA1_HEX);
        assert_true(yq_hot_sha1_valid(e->sha1));
    }
}

static void test_mobile_shape(void **state)
{
    static const struct want w[] = {
        {"学习贯彻党的二十届四中全会精神", 0, -1, NULL},
        {"汉江安康段水位回落", 1, 2345678, "新"},
        {"旬阳太极城景区国庆接待游客创新高", 2, 1876543, "热"},
        {"陕西多地迎来今冬首场降雪", 3, 854321, "沸"},
        {"紫阳富硒茶获国家地理标志", 4, 765432, NULL},
        {"全国铁路迎来返程高峰", 5, 654321, "爆"},
        {"ＡＮＫＡＮＧ马拉松鸣枪开跑", 6, 543210, NULL},
        {"国产大飞机C919新航线开通", 7, 432000, NULL},
        {"岚皋南宫山红叶正当时", 8, -1, NULL},
    };
    struct weibo_hot_list l;

    (void)state;
    parse_fixture("weibo_hot_mobile.json", &l);
    assert_string_equal(l.shape, "mobile");
    assert_entries(&l, w, sizeof(w) / sizeof(w[0]));
    assert_int_equal(l.ads, 2);     /* the promotion and the entry without heat */
    assert_int_equal(l.skipped, 2); /* the duplicate and the empty term */
    /* an http(s) scheme is the URL; sinaweibo:// is replaced by the search URL */
    assert_string_equal(l.entries[1].url, "https://m.weibo.cn/search?containerid=100103type%3D1"
                                          "%26q%3D%23%E6%B1%89%E6%B1%9F%23");
    assert_non_null(strstr(l.entries[2].url, "https://s.weibo.com/weibo?q=%23%E6%97%AC"));
    assert_string_equal(l.entries[8].note, "预告");
    /* the SHA-1 of the term as shown */
    assert_string_equal(l.entries[1].sha1, "96a6b15d805cc5696a79301767ab3d2894bb6898");
    weibo_hot_list_release(&l);
}

static void test_desktop_shape(void **state)
{
    static const struct want w[] = {
        {"#坚持以人民为中心的发展思想#", 0, -1, NULL},
        {"汉江安康段水位回落", 1, 2345678, "新"},
        {"旬阳太极城景区国庆接待游客创新高", 2, 1876543, "热"},
        {"陕西多地迎来今冬首场降雪", 3, 854321, "沸"}, /* rank 2 (0-based), no realpos */
        {"全国铁路迎来返程高峰", 4, 654321, "爆"},     /* raw_hot without num */
        {"紫阳富硒茶获国家地理标志", 5, 543210, NULL}, /* num as a string */
        {"安康马拉松鸣枪开跑", 6, -1, NULL},           /* no heat at all */
    };
    struct weibo_hot_list l;

    (void)state;
    parse_fixture("weibo_hot_desktop.json", &l);
    assert_string_equal(l.shape, "desktop");
    assert_entries(&l, w, sizeof(w) / sizeof(w[0]));
    assert_int_equal(l.ads, 1);
    assert_int_equal(l.skipped, 2); /* no word, not an object */
    assert_int_equal(l.entries[1].onboard_time, 1796383800);
    assert_null(l.entries[1].note); /* the same as the word */
    assert_string_equal(l.entries[1].category, "社会新闻");
    assert_string_equal(l.entries[2].note, "旬阳太极城 国庆接待创新高");
    assert_int_equal(l.entries[6].onboard_time, 0);
    assert_string_equal(l.entries[0].url, "https://s.weibo.com/weibo?q=%23%E5%9D%9A%E6%8C%81%23");
    weibo_hot_list_release(&l);
}

/* Login wall, ok:0, rate limit: classified as for the other Weibo endpoints. */
static void test_walls_and_empty(void **state)
{
    static const char wall[] = "{\"ok\":-100,\"url\":\"https://passport.weibo.com/sso/signin\"}";
    static const char empty[] = "{\"ok\":0,\"msg\":\"这里还没有内容\",\"data\":{\"cards\":[]}}";
    static const char bare0[] = "{\"ok\":0,\"msg\":\"这里还没有内容\"}";
    struct weibo_hot_list l;
    char why[256];

    (void)state;
    assert_int_equal(
        weibo_classify(200, "application/json", NULL, wall, strlen(wall), why, sizeof(why)),
        SOURCE_AUTH_REQUIRED);
    assert_int_equal(weibo_classify(418, NULL, NULL, "", 0, why, sizeof(why)), SOURCE_RATE_LIMITED);
    assert_int_equal(weibo_classify(432, NULL, NULL, "", 0, why, sizeof(why)),
                     SOURCE_AUTH_REQUIRED);
    assert_int_equal(weibo_classify(403, NULL, NULL, "", 0, why, sizeof(why)), SOURCE_BLOCKED);
    assert_int_equal(
        weibo_classify(200, "text/html", NULL, "<html>visitor</html>", 20, why, sizeof(why)),
        SOURCE_AUTH_REQUIRED);
    assert_int_equal(weibo_classify(200, NULL, NULL, empty, strlen(empty), why, sizeof(why)),
                     SOURCE_OK);
    assert_int_equal(weibo_hot_parse(empty, strlen(empty), &l, why, sizeof(why)), 0);
    assert_int_equal(l.n, 0);
    weibo_hot_list_release(&l);
    assert_int_equal(weibo_hot_parse(bare0, strlen(bare0), &l, why, sizeof(why)), 0);
    assert_int_equal(l.n, 0);
    weibo_hot_list_release(&l);
}

static void expect_parse_error(const char *body, size_t len, const char *why_has)
{
    struct weibo_hot_list l;
    char why[256] = "";

    assert_int_equal(weibo_hot_parse(body, len, &l, why, sizeof(why)), ERR_PARSE);
    if (!strstr(why, why_has)) {
        fail_msg("why '%s' lacks '%s'", why, why_has);
    }
    assert_int_equal(l.n, 0);
    assert_null(l.entries);
}

static void test_hostile_bodies(void **state)
{
    struct weibo_hot_list l;
    struct yq_buf b;
    char why[256];

    (void)state;
    expect_parse_error("", 0, "empty");
    expect_parse_error("{\"ok\":1,\"data\":{\"cards\":[", 26, "not JSON");
    expect_parse_error("[1,2,3]", 7, "hot list is not a JSON object");
    expect_parse_error("{\"ok\":1,\"data\":{\"cards\":\"x\"}}", 29, "not a list");
    expect_parse_error("{\"ok\":1,\"data\":{\"realtime\":{\"word\":\"x\"}}}", 41, "not a list");
    expect_parse_error("{\"ok\":1,\"data\":{}}", 18, "neither");
    expect_parse_error("{\"ok\":1,\"da\0ta\":{}}", 19, "not JSON"); /* NUL in a key */
    /* deep nesting: jansson's depth limit, a parse error, never a crash */
    yq_buf_init(&b, 1 << 20);
    for (int i = 0; i < 5000; i++) {
        assert_int_equal(yq_buf_adds(&b, "["), 0);
    }
    expect_parse_error(b.data, b.len, "not JSON");
    yq_buf_release(&b);
    /* wrong types, a term over 256 bytes, control characters, 150 entries: bounded */
    yq_buf_init(&b, 1 << 22);
    assert_int_equal(yq_buf_adds(&b, "{\"ok\":1,\"data\":{\"realtime\":[{\"word\":12,\"num\":1},"
                                     "{\"word\":\"bad\\u0007term\",\"num\":1},"
                                     "{\"word\":\"x\",\"num\":{\"a\":1},\"realpos\":\"9\","
                                     "\"label_name\":[1],\"onboard_time\":\"soon\"},{\"word\":\""),
                     0);
    for (int i = 0; i < 300; i++) {
        assert_int_equal(yq_buf_adds(&b, "热"), 0);
    }
    assert_int_equal(yq_buf_adds(&b, "\",\"num\":5}"), 0);
    for (int i = 0; i < 150; i++) {
        assert_int_equal(yq_buf_addf(&b, ",{\"word\":\"词%d\",\"num\":%d}", i, 1000 - i), 0);
    }
    assert_int_equal(yq_buf_adds(&b, "]}}"), 0);
    assert_int_equal(weibo_hot_parse(b.data, b.len, &l, why, sizeof(why)), 0);
    assert_int_equal(l.n, WEIBO_HOT_MAX_ENTRIES);
    assert_string_equal(l.entries[0].term, "x");
    assert_int_equal(l.entries[0].heat, -1);
    assert_int_equal(l.entries[0].rank, 1);
    assert_null(l.entries[0].badge);
    assert_int_equal(l.entries[0].onboard_time, 0);
    assert_string_equal(l.entries[1].term, "词0");
    assert_int_equal(l.entries[1].rank, 2);
    assert_string_equal(l.entries[99].term, "词98");
    assert_int_equal(l.skipped, 3 + 51); /* no string word, control char, 768 bytes; beyond 100 */
    weibo_hot_list_release(&l);
    yq_buf_release(&b);
}

static void test_item_and_watched(void **state)
{
    char *watch[] = {"安康", "汉江", "旬阳", "紫阳", "Ankang"};
    struct weibo_hot_list l;
    struct yq_item item;
    json_t *w;
    char *json = NULL;

    (void)state;
    parse_fixture("weibo_hot_mobile.json", &l);
    /* 汉江安康段水位回落: 安康 and 汉江 */
    w = weibo_hot_watched(&l.entries[1], watch, 5);
    assert_non_null(w);
    assert_int_equal(json_array_size(w), 2);
    assert_string_equal(json_string_value(json_array_get(w, 0)), "安康");
    assert_string_equal(json_string_value(json_array_get(w, 1)), "汉江");
    json_decref(w);
    /* full-width capitals fold: ＡＮＫＡＮＧ matches the watch term Ankang */
    w = weibo_hot_watched(&l.entries[6], watch, 5);
    assert_int_equal(json_array_size(w), 1);
    assert_string_equal(json_string_value(json_array_get(w, 0)), "Ankang");
    /* the entry's item, trigger rose */
    {
        struct weibo_hot_ctx ctx = {.source_id = "wb-hot",
                                    .channel = "微博热搜榜",
                                    .fetched_at = 1796398200,
                                    .entered_at = 1796398000,
                                    .trigger = YQ_HOT_ROSE,
                                    .rise_rank = 10,
                                    .watched = w};
        assert_int_equal(weibo_hot_item(&l.entries[6], &ctx, &item), 0);
    }
    json_decref(w);
    assert_int_equal(strncmp(item.id, "wbhot:", 6), 0);
    assert_string_equal(item.id + 6 + YQ_HOT_SHA1_HEX, ":1796398000:rose10");
    assert_string_equal(item.source, "weibo_hot");
    assert_string_equal(item.title, "ＡＮＫＡＮＧ马拉松鸣枪开跑");
    assert_string_equal(item.channel, "微博热搜榜");
    assert_int_equal(item.published_at, 1796398000); /* no onboard_time: entered_at */
    assert_int_equal(yq_item_encode(&item, &json, NULL), 0);
    assert_non_null(strstr(json, "\"hot\":{\"board\":\"realtime\",\"rank\":6,\"heat\":543210,"
                                 "\"trigger\":\"rose\",\"entered_at\":\"2026-12-04T15:26:40Z\","
                                 "\"rise_rank\":10,\"watched\":[\"Ankang\"]}"));
    free(json);
    yq_item_release(&item);
    /* the pinned entry, trigger entered: rank 0, no heat, no watched key */
    {
        struct weibo_hot_ctx ctx = {.source_id = "wb-hot",
                                    .fetched_at = 1796398200,
                                    .entered_at = 1796398200,
                                    .trigger = YQ_HOT_ENTERED};
        assert_int_equal(weibo_hot_item(&l.entries[0], &ctx, &item), 0);
        assert_int_equal(weibo_hot_item(&l.entries[0],
                                        &(struct weibo_hot_ctx){.trigger = YQ_HOT_NONE},
                                        &(struct yq_item){0}),
                         ERR_INVALID);
    }
    assert_string_equal(item.id + 6 + YQ_HOT_SHA1_HEX, ":1796398200:entered");
    assert_string_equal(item.channel, "微博热搜");
    assert_int_equal(yq_item_encode(&item, &json, NULL), 0);
    assert_non_null(strstr(json, "\"hot\":{\"board\":\"realtime\",\"rank\":0,\"trigger\":"
                                 "\"entered\",\"entered_at\":\"2026-12-04T15:30:00Z\"}"));
    free(json);
    yq_item_release(&item);
    weibo_hot_list_release(&l);
}

/* Review #15 items 7 and 13: one event key per term; onboard_time believed only near the poll. */
static void test_item_reply_to_and_onboard_bounds(void **state)
{
    const int64_t poll = 1796398200; /* 2026-12-04T15:30:00Z */
    struct weibo_hot_entry e = {.term = "汉滨区征地补偿", .url = "https://s.weibo.com/x",
                                .rank = 12, .heat = -1};
    struct weibo_hot_ctx ctx = {.source_id = "wb-hot", .fetched_at = poll,
                                .entered_at = poll - 60, .trigger = YQ_HOT_ENTERED};
    static const struct {
        int64_t onboard;
        int64_t published;
    } cases[] = {
        {99999999999LL * 1000 + 999, poll - 60}, /* 99999999999999: year 3170843 */
        {poll - 7 * 86400 - 1, poll - 60},        /* more than a week before the poll */
        {poll - 7 * 86400, poll - 7 * 86400},     /* a week exactly */
        {poll + 3600, poll + 3600},               /* an hour ahead (clock skew) */
        {poll + 3601, poll - 60},
        {-5, poll - 60},
        {poll - 1800, poll - 1800},
    };
    struct yq_item a, b;
    char want[8 + YQ_HOT_SHA1_HEX];

    (void)state;
    memset(e.sha1, 'e', YQ_HOT_SHA1_HEX);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        e.onboard_time = cases[i].onboard;
        assert_int_equal(weibo_hot_item(&e, &ctx, &a), 0);
        if (a.published_at != cases[i].published) {
            fail_msg("onboard %lld: published %lld, want %lld", (long long)cases[i].onboard,
                     (long long)a.published_at, (long long)cases[i].published);
        }
        yq_item_release(&a);
    }
    /* two stays of the term: two item ids, one reply_to (the event's root) */
    e.onboard_time = 0;
    assert_int_equal(weibo_hot_item(&e, &ctx, &a), 0);
    ctx.entered_at = poll + 7200;
    ctx.fetched_at = poll + 7200;
    assert_int_equal(weibo_hot_item(&e, &ctx, &b), 0);
    assert_string_not_equal(a.id, b.id);
    snprintf(want, sizeof(want), "wbhot:%s", e.sha1);
    assert_string_equal(a.reply_to, want);
    assert_string_equal(b.reply_to, want);
    yq_item_release(&a);
    yq_item_release(&b);
}

/* Build seen[] of n entries "A", "B", ... (sha1 = the letter repeated) with ranks. */
static void seen_of(struct yq_hot_seen *seen, const char *letters, const int64_t *ranks)
{
    for (size_t i = 0; letters[i]; i++) {
        memset(&seen[i], 0, sizeof(seen[i]));
        memset(seen[i].sha1, 'a' + (letters[i] - 'A'), YQ_HOT_SHA1_HEX);
        seen[i].rank = ranks[i];
    }
}

/* The remembered stays between polls of one test. */
struct hot_run {
    struct yq_hot_stay *stays; /* new (free()); NULL before the first poll */
    size_t n;
};

/*
 * One poll at now (UTC seconds) with rise_rank: seen becomes the entries of letters with ranks
 * (seen_of()), tracked against run's stays, which the new ones replace.
 */
static void hot_poll(struct hot_run *run, struct yq_hot_seen *seen, const char *letters,
                     const int64_t *ranks, int64_t now, int64_t rise_rank)
{
    struct yq_hot_stay *next = NULL;
    size_t n_next = 0;

    seen_of(seen, letters, ranks);
    assert_int_equal(
        yq_hot_track(run->stays, run->n, seen, strlen(letters), now, rise_rank, &next, &n_next), 0);
    free(run->stays);
    run->stays = next;
    run->n = n_next;
}

/*
 * Four polls at t, t+60, t+120, t+180 with rise_rank 10:
 *   1: A 15, B 3        -> A entered, B entered (already at rank 3: no rise later)
 *   2: A 8,  B 2        -> A rose
 *   3: A 5              -> nothing (B left)
 *   4: A 1,  B 4        -> B back within YQ_HOT_REENTRY_S: the same stay, nothing
 */
static void test_track_sequence(void **state)
{
    const int64_t t = 1796398200;
    struct hot_run run = {NULL, 0};
    struct yq_hot_seen seen[2];

    (void)state;
    hot_poll(&run, seen, "AB", (int64_t[]){15, 3}, t, 10);
    assert_int_equal(seen[0].trigger, YQ_HOT_ENTERED);
    assert_int_equal(seen[1].trigger, YQ_HOT_ENTERED);
    assert_int_equal(seen[0].entered_at, t);
    assert_int_equal(run.n, 2);
    assert_false(run.stays[0].rose);
    assert_true(run.stays[1].rose);

    hot_poll(&run, seen, "AB", (int64_t[]){8, 2}, t + 60, 10);
    assert_int_equal(seen[0].trigger, YQ_HOT_ROSE);
    assert_int_equal(seen[0].entered_at, t);
    assert_int_equal(seen[1].trigger, YQ_HOT_NONE);
    assert_int_equal(run.stays[0].best_rank, 8);
    assert_int_equal(run.stays[1].best_rank, 2);

    hot_poll(&run, seen, "A", (int64_t[]){5}, t + 120, 10);
    assert_int_equal(seen[0].trigger, YQ_HOT_NONE); /* rose once in its stay */
    assert_int_equal(run.n, 2);
    assert_true(run.stays[0].on);
    assert_false(run.stays[1].on); /* B left, remembered */
    assert_int_equal(run.stays[1].entered_at, t);

    /* review #15 item 7: B back a minute after leaving continues its stay (no new event) */
    hot_poll(&run, seen, "AB", (int64_t[]){1, 4}, t + 180, 10);
    assert_int_equal(seen[0].trigger, YQ_HOT_NONE);
    assert_int_equal(seen[1].trigger, YQ_HOT_NONE);
    assert_int_equal(seen[1].entered_at, t);
    assert_true(run.stays[1].on);
    assert_int_equal(run.stays[1].best_rank, 2);
    assert_int_equal(run.stays[0].best_rank, 1);

    /* hovering: B drops off and comes back every other 2-min poll for an hour (ending off the
       list, last on at k = 28): never a new stay */
    for (int64_t k = 1; k <= 29; k++) {
        bool back = k % 2 == 0;
        hot_poll(&run, seen, back ? "AB" : "A", (int64_t[]){1, 50}, t + 180 + 120 * k, 10);
        assert_int_equal(seen[0].trigger, YQ_HOT_NONE);
        if (back) {
            assert_int_equal(seen[1].trigger, YQ_HOT_NONE);
            assert_int_equal(seen[1].entered_at, t);
        }
    }
    /* gone longer than YQ_HOT_REENTRY_S (still remembered): a new stay at that poll */
    {
        int64_t back = t + 180 + 120 * 28 + YQ_HOT_REENTRY_S + 60;
        hot_poll(&run, seen, "AB", (int64_t[]){1, 40}, back, 10);
        assert_int_equal(seen[1].trigger, YQ_HOT_ENTERED);
        assert_int_equal(seen[1].entered_at, back);
    }
    /* a left stay that claims a later start (clock stepped back) never shares its item id */
    {
        struct yq_hot_stay old = {.entered_at = t + 9000, .best_rank = 3,
                                  .last_seen = t + 9000 - YQ_HOT_REENTRY_S - 1, .on = false};
        struct yq_hot_stay *next = NULL;
        size_t n_next = 0;

        memset(old.sha1, 'd', YQ_HOT_SHA1_HEX);
        seen_of(seen, "D", (int64_t[]){20});
        assert_int_equal(yq_hot_track(&old, 1, seen, 1, t + 9000, 10, &next, &n_next), 0);
        assert_int_equal(seen[0].trigger, YQ_HOT_ENTERED);
        assert_int_equal(seen[0].entered_at, t + 9001);
        free(next);
    }
    /* a left entry is forgotten an hour after it was last seen; rise_rank 0 never rises */
    {
        int64_t back = t + 180 + 120 * 28 + YQ_HOT_REENTRY_S + 60;
        hot_poll(&run, seen, "A", (int64_t[]){1}, back + YQ_HOT_GONE_KEEP_S, 0);
        assert_int_equal(run.n, 1);
        hot_poll(&run, seen, "C", (int64_t[]){20}, back + 7200, 0);
        hot_poll(&run, seen, "C", (int64_t[]){1}, back + 7260, 0);
        assert_int_equal(seen[0].trigger, YQ_HOT_NONE);
        free(run.stays);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mobile_shape),     cmocka_unit_test(test_desktop_shape),
        cmocka_unit_test(test_walls_and_empty),  cmocka_unit_test(test_hostile_bodies),
        cmocka_unit_test(test_item_and_watched), cmocka_unit_test(test_track_sequence),
        cmocka_unit_test(test_item_reply_to_and_onboard_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
