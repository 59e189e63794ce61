/* Rule sets in a real redis-server: versioned push, pointer, history, pub/sub, load, cache. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "file_fixture.h"
#include "pipeline_fixture.h"
#include "redis_fixture.h"
#include "rules.h"
#include "rules_store.h"
#include "yq_err.h"
#include "yq_banned.h"

static struct redis_fixture fx;
static int fx_state = 1; /* 0 running, 1 absent, -1 failed */

static int setup(void **state)
{
    (void)state;
    fx_state = redis_fixture_start(&fx);
    return fx_state < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    redis_fixture_stop(&fx);
    return 0;
}

struct conn {
    struct yq_redis_cfg cfg;
    struct yq_redis *r;
};

static void conn_open(struct conn *c, int port)
{
    char err[256];
    memset(c, 0, sizeof(*c));
    assert_int_equal(cfg_fill(yq_redis_cfg_keys, &c->cfg, NULL, NULL, err, sizeof(err)), 0);
    c->cfg.port = port;
    c->cfg.connect_timeout_ms = 500;
    c->r = yq_redis_new(&c->cfg);
    assert_non_null(c->r);
}

static void conn_close(struct conn *c)
{
    yq_redis_free(c->r);
    cfg_release(yq_redis_cfg_keys, &c->cfg);
}

static struct rule_set *load_rules(void)
{
    struct rule_set *rs = pipeline_rules_compile("r.yaml", pipeline_land_rules_yaml);

    rs->source = strdup("config/rules");
    return rs;
}

static void require_redis(struct conn *c)
{
    if (fx_state != 0) {
        skip();
    }
    conn_open(c, fx.port);
    redisReply *reply = yq_redis_command(c->r, "FLUSHALL");
    assert_non_null(reply);
    freeReplyObject(reply);
}

static redisReply *cmd(struct conn *c, const char *fmt, const char *arg)
{
    redisReply *reply = yq_redis_command(c->r, fmt, arg);
    assert_non_null(reply);
    return reply;
}

static void test_push_twice(void **state)
{
    struct conn c;
    struct rule_set *rs, *loaded = NULL;
    struct rules_history_entry *h = NULL;
    redisContext *sub;
    redisReply *reply;
    struct timeval tv = {2, 0};
    char err[512] = "";
    int64_t v1 = 0, v2 = 0, cur = -1;
    size_t n = 0;

    (void)state;
    require_redis(&c);
    sub = redisConnectWithTimeout("127.0.0.1", fx.port, tv);
    assert_true(sub && !sub->err);
    redisSetTimeout(sub, tv);
    reply = redisCommand(sub, "SUBSCRIBE %s", RULES_CHANNEL);
    assert_non_null(reply);
    freeReplyObject(reply);

    assert_int_equal(rules_store_current(c.r, &cur), 0);
    assert_int_equal(cur, 0);

    rs = load_rules();
    assert_int_equal(rules_store_push(c.r, rs, "zhang", 1796000000, &v1, err, sizeof(err)), 0);
    assert_int_equal(v1, 1);
    assert_int_equal(rs->version, 1);
    assert_string_equal(rs->pushed_by, "zhang");
    assert_int_equal(rules_store_push(c.r, rs, "li", 1796000060, &v2, err, sizeof(err)), 0);
    assert_int_equal(v2, 2);
    assert_int_equal(rs->version, 2);

    /* pointer */
    reply = cmd(&c, "GET %s", RULES_KEY_CURRENT);
    assert_int_equal(reply->type, REDIS_REPLY_STRING);
    assert_string_equal(reply->str, "2");
    freeReplyObject(reply);
    assert_int_equal(rules_store_current(c.r, &cur), 0);
    assert_int_equal(cur, 2);

    /* both versions stored, each naming itself */
    reply = cmd(&c, "GET %s", RULES_KEY_PREFIX "1");
    assert_int_equal(reply->type, REDIS_REPLY_STRING);
    assert_int_equal(strncmp(reply->str, "{\"version\":1,\"pushed_at\":\"2026-", 31), 0);
    assert_non_null(strstr(reply->str, "\"pushed_by\":\"zhang\""));
    freeReplyObject(reply);
    reply = cmd(&c, "GET %s", RULES_KEY_PREFIX "2");
    assert_int_equal(strncmp(reply->str, "{\"version\":2,", 13), 0);
    assert_non_null(strstr(reply->str, "\"pushed_by\":\"li\""));
    assert_non_null(strstr(reply->str, "\"source\":\"config/rules\""));
    freeReplyObject(reply);

    /* history, newest first */
    reply = cmd(&c, "LRANGE %s 0 -1", RULES_KEY_HISTORY);
    assert_int_equal(reply->type, REDIS_REPLY_ARRAY);
    assert_int_equal(reply->elements, 2);
    assert_int_equal(strncmp(reply->element[0]->str, "{\"version\":2,", 13), 0);
    assert_non_null(strstr(reply->element[0]->str, "\"pushed_by\":\"li\""));
    assert_non_null(strstr(reply->element[0]->str, "\"rules\":2"));
    assert_int_equal(strncmp(reply->element[1]->str, "{\"version\":1,", 13), 0);
    freeReplyObject(reply);
    assert_int_equal(rules_store_history(c.r, 10, &h, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(h[0].version, 2);
    assert_string_equal(h[0].pushed_by, "li");
    assert_string_equal(h[0].pushed_at, "2026-11-30T00:54:20Z");
    assert_int_equal(h[0].n_rules, 2);
    assert_int_equal(h[1].version, 1);
    assert_string_equal(h[1].pushed_by, "zhang");
    rules_history_free(h, n);
    assert_int_equal(rules_store_history(c.r, 1, &h, &n), 0);
    assert_int_equal(n, 1);
    rules_history_free(h, n);

    /* one notification per push, carrying the new version */
    for (int i = 1; i <= 2; i++) {
        void *msg = NULL;
        assert_int_equal(redisGetReply(sub, &msg), REDIS_OK);
        reply = msg;
        assert_int_equal(reply->type, REDIS_REPLY_ARRAY);
        assert_int_equal(reply->elements, 3);
        assert_string_equal(reply->element[0]->str, "message");
        assert_string_equal(reply->element[1]->str, RULES_CHANNEL);
        assert_string_equal(reply->element[2]->str, i == 1 ? "1" : "2");
        freeReplyObject(reply);
    }
    redisFree(sub);

    /* load: current and a given version */
    assert_int_equal(rules_store_load(c.r, 0, &loaded, err, sizeof(err)), 0);
    assert_int_equal(loaded->version, 2);
    assert_int_equal(loaded->n_rules, 2);
    assert_int_equal(loaded->n_exclude, 1);
    assert_string_equal(loaded->pushed_by, "li");
    assert_int_equal(loaded->pushed_at, 1796000060);
    rule_set_free(loaded);
    assert_int_equal(rules_store_load(c.r, 1, &loaded, err, sizeof(err)), 0);
    assert_int_equal(loaded->version, 1);
    rule_set_free(loaded);
    assert_int_equal(rules_store_load(c.r, 5, &loaded, err, sizeof(err)), ERR_NOT_FOUND);
    assert_null(loaded);

    rule_set_free(rs);
    conn_close(&c);
}

static void test_no_rule_set_and_bad_data(void **state)
{
    struct conn c;
    struct rule_set *rs = NULL, *push;
    redisReply *reply;
    char err[512] = "";
    int64_t cur = -1, v = 0;

    (void)state;
    require_redis(&c);
    assert_int_equal(rules_store_load(c.r, 0, &rs, err, sizeof(err)), ERR_NOT_FOUND);
    assert_null(rs);
    assert_non_null(strstr(err, "no rule set"));

    /* a stored set that is not valid JSON is a parse error, never a crash */
    reply = cmd(&c, "SET %s 9", RULES_KEY_CURRENT);
    freeReplyObject(reply);
    reply = cmd(&c, "SET %s {bad", RULES_KEY_PREFIX "9");
    freeReplyObject(reply);
    assert_int_equal(rules_store_load(c.r, 0, &rs, err, sizeof(err)), ERR_PARSE);
    assert_null(rs);

    /* a set stored under the wrong version is rejected */
    reply = yq_redis_command(c.r, "SET %s %s", RULES_KEY_PREFIX "9",
                             "{\"version\":8,\"rules\":[{\"id\":\"a\",\"name\":\"n\","
                             "\"department\":\"d\",\"expr\":\"x\"}]}");
    freeReplyObject(reply);
    assert_int_equal(rules_store_load(c.r, 0, &rs, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "says version 8"));

    /*
     * keys of another type (WRONGTYPE) are bad data, not Redis down: the set is rejected (the
     * matcher keeps its set and counts the rejection) instead of retried for ever as an outage
     */
    reply = cmd(&c, "DEL %s", RULES_KEY_PREFIX "9");
    freeReplyObject(reply);
    reply = cmd(&c, "HSET %s version 9", RULES_KEY_PREFIX "9");
    freeReplyObject(reply);
    assert_int_equal(rules_store_load(c.r, 9, &rs, err, sizeof(err)), ERR_INVALID);
    assert_null(rs);
    assert_non_null(strstr(err, "not a string"));
    reply = cmd(&c, "DEL %s", RULES_KEY_CURRENT);
    freeReplyObject(reply);
    reply = cmd(&c, "HSET %s version 9", RULES_KEY_CURRENT);
    freeReplyObject(reply);
    assert_int_equal(rules_store_current(c.r, &cur), ERR_PARSE);
    assert_int_equal(rules_store_load(c.r, 0, &rs, err, sizeof(err)), ERR_PARSE);
    assert_non_null(strstr(err, "not an integer"));
    reply = cmd(&c, "DEL %s", RULES_KEY_CURRENT);
    freeReplyObject(reply);

    /* a corrupt pointer: reads fail as parse errors, a push is refused and changes nothing */
    reply = cmd(&c, "SET %s abc", RULES_KEY_CURRENT);
    freeReplyObject(reply);
    assert_int_equal(rules_store_current(c.r, &cur), ERR_PARSE);
    push = load_rules();
    assert_int_equal(rules_store_push(c.r, push, "x", 1796000000, &v, err, sizeof(err)),
                     ERR_BAD_STATE);
    assert_non_null(strstr(err, "not an integer"));
    assert_int_equal(push->version, 0);
    reply = cmd(&c, "EXISTS %s", RULES_KEY_HISTORY);
    assert_int_equal(reply->integer, 0);
    freeReplyObject(reply);
    rule_set_free(push);
    conn_close(&c);
}

static void test_redis_down_is_retry(void **state)
{
    struct conn c;
    struct rule_set *rs = NULL, *push;
    struct rules_history_entry *h = NULL;
    char err[512] = "";
    int64_t cur = 0, v = 0;
    size_t n = 0;
    int port = redis_fixture_free_port();

    (void)state;
    assert_true(port > 0);
    conn_open(&c, port); /* nothing listens there */
    assert_int_equal(rules_store_current(c.r, &cur), ERR_RETRY);
    assert_int_equal(rules_store_load(c.r, 0, &rs, err, sizeof(err)), ERR_RETRY);
    assert_null(rs);
    assert_int_equal(rules_store_history(c.r, 5, &h, &n), ERR_RETRY);
    push = load_rules();
    assert_int_equal(rules_store_push(c.r, push, "x", 1796000000, &v, err, sizeof(err)),
                     ERR_RETRY);
    assert_int_equal(push->version, 0);
    assert_null(push->pushed_by);
    rule_set_free(push);
    conn_close(&c);
}

/*
 * A set pushed before today's term checks loads from Redis and from the matcher's cache (it
 * was refused by both, leaving the matcher without rules): its offending entries are left
 * out and named (test_rules.c checks which).
 */
static void test_set_pushed_before_term_checks_loads(void **state)
{
    const char *json = pipeline_rules_pushed_before_checks_json;
    char dir[64], path[128], err[512] = "";
    struct rule_set *rs = NULL;
    struct conn c;
    redisReply *reply;
    FILE *f;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/yq-test-cache-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/matcher-rules.json", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(json, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    if (rules_cache_load(path, &rs, err, sizeof(err)) != 0) {
        fail_msg("cache: %s", err);
    }
    assert_int_equal(rs->version, 3);
    assert_int_equal(rs->n_rules, 1);
    assert_int_equal(rs->n_skipped, 4);
    rule_set_free(rs);
    rs = NULL;
    assert_int_equal(file_fixture_remove_dir(dir), 0);

    require_redis(&c);
    reply = cmd(&c, "SET %s 3", RULES_KEY_CURRENT);
    freeReplyObject(reply);
    reply = yq_redis_command(c.r, "SET %s %s", RULES_KEY_PREFIX "3", json);
    freeReplyObject(reply);
    if (rules_store_load(c.r, 0, &rs, err, sizeof(err)) != 0) {
        fail_msg("redis: %s", err);
    }
    assert_int_equal(rs->version, 3);
    assert_string_equal(rs->rules[0].id, "gas-01");
    assert_int_equal(rs->n_skipped, 4);
    rule_set_free(rs);
    reply = cmd(&c, "DEL %s", RULES_KEY_CURRENT);
    freeReplyObject(reply);
    reply = cmd(&c, "DEL %s", RULES_KEY_PREFIX "3");
    freeReplyObject(reply);
    conn_close(&c);
}

static void test_cache_round_trip(void **state)
{
    char dir[64], path[128], err[512] = "";
    struct rule_set *rs = load_rules(), *back = NULL;

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/yq-test-cache-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/run/matcher-rules.json", dir); /* run/ does not exist */
    rs->version = 12;
    assert_int_equal(rules_cache_save(path, rs), 0);
    assert_int_equal(rules_cache_load(path, &back, err, sizeof(err)), 0);
    assert_int_equal(back->version, 12);
    assert_int_equal(back->n_rules, 2);
    assert_string_equal(back->rules[1].id, "land-02");
    rule_set_free(back);
    back = NULL;
    snprintf(path, sizeof(path), "%s/missing.json", dir);
    assert_int_equal(rules_cache_load(path, &back, err, sizeof(err)), ERR_NOT_FOUND);
    assert_null(back);
    rule_set_free(rs);
    assert_int_equal(file_fixture_remove_dir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_push_twice),
        cmocka_unit_test(test_no_rule_set_and_bad_data),
        cmocka_unit_test(test_redis_down_is_retry),
        cmocka_unit_test(test_cache_round_trip),
        cmocka_unit_test(test_set_pushed_before_term_checks_loads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
