/*
 * GET /api/sources over a real redis-server on loopback holding what the collector writes:
 * health hashes yuqing:source:<id> (with items_24h, issue #6) next to the side keys
 * yuqing:source:<id>:recent (sorted set) and :longtext (hash), which must not be read as
 * sources nor make the page report Redis as down.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_client.h"
#include "redis_fixture.h"
#include "source_blind.h"
#include "test_expect_json.h"
#include "test_server.h"
#include "ticket_fixture.h"
#include "web.h"
#include "web_fixture.h"
#include "yq_time.h"

struct fx {
    struct redis_fixture redis;
    struct web_fixture fx;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    struct web_cfg cfg;

    assert_non_null(f);
    *state = f;
    if (redis_fixture_start(&f->redis) != 0) {
        return 0; /* the test skips */
    }
    web_fixture_cfg(&cfg);
    cfg.sources_enabled = true;
    cfg.rules_enabled = true;
    web_fixture_redis_cfg(&cfg.redis, f->redis.port);
    web_fixture_open(&f->fx, &cfg, "yq-web-src-");
    web_fixture_user(&f->fx, "duty1", "duty_officer", NULL, "duty-password-1");
    web_fixture_serve(&f->fx, 0);
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    web_fixture_close(&f->fx);
    redis_fixture_stop(&f->redis);
    free(f);
    return 0;
}

static void redis_check(redisReply *r)
{
    assert_non_null(r);
    if (r->type == REDIS_REPLY_ERROR) {
        fail_msg("redis: %s", r->str);
    }
    freeReplyObject(r);
}

#define redis_do(c, ...) redis_check(redisCommand((c), __VA_ARGS__))

/* A connection to the fixture's redis-server (redisFree()); skips without one. */
static redisContext *redis_open(const struct fx *f)
{
    struct timeval tv = {1, 0};
    redisContext *c;

    REDIS_FIXTURE_NEED(&f->redis);
    c = redisConnectWithTimeout("127.0.0.1", f->redis.port, tv);
    assert_non_null(c);
    assert_int_equal(c->err, 0);
    return c;
}

/* GET path as the duty officer: the 200 answer's JSON object (new reference). */
static json_t *get_as_duty(const struct fx *f, const char *path)
{
    struct client cl;

    http_login(f->fx.port, "duty1", "duty-password-1", &cl);
    return http_get_json(f->fx.port, &cl, path);
}

/*
 * GET /api/sources as the duty officer, which must list exactly two sources: *a and *b
 * (borrowed from the returned document, a new reference) in the page's order.
 */
static json_t *get_two_sources(const struct fx *f, json_t **a, json_t **b)
{
    json_t *doc = get_as_duty(f, "/api/sources");
    json_t *list = json_object_get(doc, "sources");

    assert_int_equal(json_array_size(list), 2);
    *a = json_array_get(list, 0);
    *b = json_array_get(list, 1);
    return doc;
}

static void test_issue_6_sources_show_items_24h(void **state)
{
    struct fx *f = *state;
    json_t *doc, *a, *b;
    redisContext *rc = redis_open(f);

    redis_do(rc, "HSET yuqing:source:alpha state ok last_success 2026-11-29T08:00:00Z "
                 "consecutive_failures 0 last_status 200 items_last_seen 20 items_24h 37 "
                 "etag v1");
    redis_do(rc, "ZADD yuqing:source:alpha:recent 1 rss:a 2 rss:b");
    redis_do(rc, "HSET yuqing:source:beta state http_error consecutive_failures 2 "
                 "last_status 404 last_error x");
    redis_do(rc, "HSET yuqing:source:beta:longtext 123 {}");
    redisFree(rc);

    doc = get_two_sources(f, &a, &b); /* the side keys are not sources */
    assert_true(json_is_true(json_object_get(doc, "redis_up")));
    assert_string_equal(json_string_value(json_object_get(a, "id")), "alpha");
    assert_int_equal(json_integer_value(json_object_get(a, "items_24h")), 37);
    assert_int_equal(json_integer_value(json_object_get(a, "items_last_seen")), 20);
    assert_null(json_object_get(a, "etag"));
    assert_string_equal(json_string_value(json_object_get(b, "id")), "beta");
    assert_null(json_object_get(b, "items_24h")); /* not written: absent, the page shows — */
    json_decref(doc);
}

/*
 * A yuqing:source:<id> key that is not a hash (a string written by something else: HGETALL
 * answers WRONGTYPE) is not a source, and Redis is up: it used to end the list there, with
 * redis_up false (the page said Redis was down) and the sources after it missing.
 */
static void test_sources_skip_a_wrong_type_key(void **state)
{
    struct fx *f = *state;
    json_t *doc, *a, *b;
    redisContext *rc = redis_open(f);

    redis_do(rc, "SET yuqing:source:aaa not-a-hash");
    redis_do(rc, "HSET yuqing:source:alpha state ok items_24h 3");
    redis_do(rc, "HSET yuqing:source:beta state http_error consecutive_failures 2");
    redisFree(rc);

    doc = get_two_sources(f, &a, &b);
    assert_true(json_is_true(json_object_get(doc, "redis_up")));
    assert_string_equal(json_string_value(json_object_get(a, "id")), "alpha");
    assert_int_equal(json_integer_value(json_object_get(a, "items_24h")), 3);
    assert_string_equal(json_string_value(json_object_get(b, "id")), "beta");
    json_decref(doc);
}

/*
 * Issue #11: the sources page data shows the source's name (its id when none is known), the
 * error in Chinese with its detail once (an older collector wrote "not_a_feed: not_a_feed:"),
 * and Beijing times.
 */
static void test_issue_11_sources_names_labels_beijing_time(void **state)
{
    static const struct test_json_str want_a[] = {
        {"name", "安康新闻网"},
        {"kind_label", "网站"},
        {"error_code", "not_a_feed"},
        {"error_label", "不是订阅源（收到的是网页）"},
        {"error_detail", "HTML page served instead of a feed"},
        {"last_error_at_display", "2026-12-05 04:33"},
        {"last_success_display", "2026-12-04 20:00"},
        {"state_label", "不是订阅源（收到的是网页）"},
    };
    static const struct test_json_str want_b[] = {
        {"name", "zz"}, /* no name */
        {"error_label", "网站返回错误"},
        {"error_detail", "http status 404"},
    };
    struct fx *f = *state;
    json_t *doc, *a, *b;
    redisContext *rc = redis_open(f);

    redis_do(rc, "HSET yuqing:source:ak-news state not_a_feed name %s kind rss "
                 "last_success 2026-12-04T12:00:00Z consecutive_failures 3 last_status 200 "
                 "last_error %s",
             "安康新闻网",
             "2026-12-04T20:33:00Z not_a_feed: not_a_feed: HTML page served instead of a feed");
    redis_do(rc, "HSET yuqing:source:zz state http_error last_error %s",
             "2026-12-04T16:00:00Z http_error: http status 404");
    redisFree(rc);
    doc = get_two_sources(f, &a, &b);
    test_expect_json_strings("ak-news", a, want_a, sizeof(want_a) / sizeof(want_a[0]));
    test_expect_json_strings("zz", b, want_b, sizeof(want_b) / sizeof(want_b[0]));
    json_decref(doc);
}

/* Issue #11: the rules page data gives each rule's scope and level as the page shows them. */
/*
 * Issue #15: each source carries "blind_now", its blind windows open now (the notifier's
 * store, recorded as its consumer does): [] for a source whose window has ended.
 */
static void test_issue_15_sources_blind_now(void **state)
{
    static const struct test_json_str want_open[] = {
        {"reason", "walled"},
        {"reason_label", "需要重新登录"},
        {"renew", "微博 Cookie"},
    };
    struct fx *f = *state;
    json_t *doc, *a, *b, *open;
    redisContext *rc = redis_open(f);
    int64_t now = yq_time_now();
    struct yq_source_event ended = {.source_id = "alpha", .reason = YQ_BLIND_FAILING,
                                    .started_at = now - 7200, .ended_at = now - 3600,
                                    .at = now - 3600};
    struct yq_source_event walled = {.source_id = "beta", .source_name = "安康发布",
                                     .open = true, .reason = YQ_BLIND_WALLED,
                                     .started_at = now - 600, .at = now - 600,
                                     .renew = "微博 Cookie"};

    redis_do(rc, "HSET yuqing:source:alpha state ok last_success 2026-11-29T08:00:00Z");
    redis_do(rc, "HSET yuqing:source:beta state login_required consecutive_failures 3");
    redisFree(rc);
    pthread_mutex_lock(&f->fx.ft->lock);
    assert_int_equal(source_blind_record(f->fx.ft->writer, &ended, now, NULL, NULL), 0);
    assert_int_equal(source_blind_record(f->fx.ft->writer, &walled, now, NULL, NULL), 0);
    pthread_mutex_unlock(&f->fx.ft->lock);

    doc = get_two_sources(f, &a, &b);
    assert_string_equal(json_string_value(json_object_get(a, "id")), "alpha");
    assert_true(json_is_array(json_object_get(a, "blind_now")));
    assert_int_equal(json_array_size(json_object_get(a, "blind_now")), 0);
    assert_int_equal(json_array_size(json_object_get(b, "blind_now")), 1);
    open = json_array_get(json_object_get(b, "blind_now"), 0);
    test_expect_json_strings("beta's open window", open, want_open,
                             sizeof(want_open) / sizeof(want_open[0]));
    assert_true(json_is_true(json_object_get(open, "open")));
    json_decref(doc);
}

static void test_issue_11_rules_carry_scope_and_level_labels(void **state)
{
    static const char yaml[] = "group: 征地拆迁\n"
                               "rules:\n"
                               "  - id: land-a\n    name: 征地补偿\n    department: 市自然资源局\n"
                               "    level: III\n    scope: all\n    expr: 征地 & 补偿\n"
                               "  - id: land-t\n    name: 强拆\n    department: 市自然资源局\n"
                               "    level: II\n    scope: title\n    expr: 强拆\n";
    struct fx *f = *state;
    json_t *doc, *rules, *rule;
    size_t i, seen = 0;

    REDIS_FIXTURE_NEED(&f->redis);
    web_fixture_push_rules(f->redis.port, "land.yaml", yaml);

    doc = get_as_duty(f, "/api/rules");
    rules = json_object_get(doc, "rules");
    json_array_foreach(rules, i, rule)
    {
        const char *id = json_string_value(json_object_get(rule, "id"));
        if (id && strcmp(id, "land-a") == 0) {
            assert_string_equal(json_string_value(json_object_get(rule, "scope_label")),
                                "标题和正文");
            assert_string_equal(json_string_value(json_object_get(rule, "level_label")), "较大");
            seen++;
        } else if (id && strcmp(id, "land-t") == 0) {
            assert_string_equal(json_string_value(json_object_get(rule, "scope_label")), "标题");
            assert_string_equal(json_string_value(json_object_get(rule, "level_label")), "重大");
            seen++;
        }
    }
    assert_int_equal(seen, 2);
    json_decref(doc);
}

/* The id of the only rule /api/rules lists, into out (outlen bytes). */
static void only_rule_id(const struct fx *f, char *out, size_t outlen)
{
    json_t *doc = get_as_duty(f, "/api/rules");
    json_t *rules = json_object_get(doc, "rules");

    assert_int_equal(json_array_size(rules), 1);
    snprintf(out, outlen, "%s", json_string_value(json_object_get(json_array_get(rules, 0), "id")));
    json_decref(doc);
}

/*
 * FLUSHALL with the web's Redis connection kept, then a push that gets the number of the set
 * the web holds: /api/rules shows the new set (its epoch differs), not the lost one.
 */
static void test_rules_after_flushall_same_version(void **state)
{
    static const char first[] = "rules:\n  - {id: lost, name: n, department: 市应急管理局, "
                                "expr: 事件}\n";
    static const char second[] = "rules:\n  - {id: pushed, name: n, department: 市应急管理局, "
                                 "expr: 事件}\n";
    struct fx *f = *state;
    redisContext *c = redis_open(f);
    char id[64];

    assert_int_equal(web_fixture_push_rules(f->redis.port, "a.yaml", first), 1);
    only_rule_id(f, id, sizeof(id));
    assert_string_equal(id, "lost");
    redis_do(c, "FLUSHALL");
    assert_int_equal(web_fixture_push_rules(f->redis.port, "a.yaml", second), 1);
    only_rule_id(f, id, sizeof(id));
    assert_string_equal(id, "pushed");
    redisFree(c);
}

/* FX(test): test with a fixture of its own: setup() before it, teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(test_issue_6_sources_show_items_24h),
        FX(test_sources_skip_a_wrong_type_key),
        FX(test_issue_11_sources_names_labels_beijing_time),
        FX(test_issue_15_sources_blind_now),
        FX(test_issue_11_rules_carry_scope_and_level_labels),
        FX(test_rules_after_flushall_same_version),
    };
    int rc;

    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
