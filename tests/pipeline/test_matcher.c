/*
 * The matcher loop end to end on librdkafka's mock cluster and a real redis-server: alerts
 * for matching items only, malformed items skipped, offsets committed, hot reload, SIGTERM-
 * style stop. Skips when redis-server is absent.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "match.h"
#include "matcher.h"
#include "redis_fixture.h"
#include "rules.h"
#include "rules_store.h"
#include "yq_alert.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

static const char rules_v1[] =
    "rules:\n"
    "  - id: land-01\n"
    "    name: 征地拆迁补偿纠纷\n"
    "    department: 市自然资源局\n"
    "    level: III\n"
    "    expr: \"(安康 | 汉滨) & (征地 | 拆迁)\"\n";

static const char rules_v2[] =
    "rules:\n"
    "  - {id: fire-01, name: 火灾, department: 市应急管理局, level: II, expr: 火灾}\n";

struct run_ctx {
    struct matcher *m;
    volatile sig_atomic_t stop;
    int rc;
};

static void *run_thread(void *arg)
{
    struct run_ctx *ctx = arg;
    ctx->rc = matcher_run(ctx->m, &ctx->stop);
    return NULL;
}

static void push_rules(struct yq_redis *r, const char *yaml)
{
    struct rule_set *rs = rule_set_new();
    char err[512] = "";
    int64_t v = 0;
    assert_int_equal(rule_set_add_yaml(rs, "t.yaml", yaml, strlen(yaml), err, sizeof(err)), 0);
    assert_int_equal(rule_set_compile(rs, err, sizeof(err)), 0);
    assert_int_equal(rules_store_push(r, rs, "test", yq_time_now(), &v, err, sizeof(err)), 0);
    rule_set_free(rs);
}

static void produce_item(rd_kafka_t *p, const char *topic, const char *id, const char *title)
{
    char json[1024];
    snprintf(json, sizeof(json),
             "{\"schema\":1,\"id\":\"%s\",\"source\":\"rss\",\"source_id\":\"s1\","
             "\"channel\":\"c\",\"url\":\"http://x/\",\"title\":\"%s\",\"text\":\"\","
             "\"author\":\"\",\"published_at\":null,\"fetched_at\":\"2026-11-29T08:00:00Z\"}",
             id, title);
    assert_int_equal(rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(id, strlen(id)),
                                       RD_KAFKA_V_VALUE(json, strlen(json)),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                     0);
}

static void produce_raw(rd_kafka_t *p, const char *topic, const char *payload)
{
    assert_int_equal(rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic),
                                       RD_KAFKA_V_VALUE((void *)payload, strlen(payload)),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                     0);
}

/* Read alerts until n arrived or timeout_ms passed; returns how many; keys in keys[]. */
static int read_alerts(rd_kafka_t *c, int n, int64_t timeout_ms, char keys[][64],
                       int64_t *versions)
{
    int got = 0;
    int64_t end = yq_time_mono_ms() + timeout_ms;
    while (got < n && yq_time_mono_ms() < end) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(c, 100);
        if (!msg) {
            continue;
        }
        if (!msg->err) {
            struct yq_alert a;
            char err[256];
            assert_int_equal(yq_alert_decode(msg->payload, msg->len, &a, err, sizeof(err)), 0);
            snprintf(keys[got], 64, "%s", a.event_key);
            versions[got] = a.rules_version;
            got++;
            yq_alert_release(&a);
        }
        rd_kafka_message_destroy(msg);
    }
    return got;
}

static void test_matcher_end_to_end(void **state)
{
    struct redis_fixture fx;
    struct matcher_cfg cfg;
    struct yq_redis *r;
    rd_kafka_t *mock_rk, *p, *c;
    rd_kafka_mock_cluster_t *mc;
    rd_kafka_conf_t *conf;
    struct run_ctx ctx;
    pthread_t th;
    char err[512] = "", sets[4][256], keys[8][64], cache[128];
    const char *setv[4];
    int64_t versions[8];
    int n;

    (void)state;
    if (redis_fixture_start(&fx) != 0) {
        skip();
    }
    /* a mock cluster with one broker, held by its own handle */
    conf = rd_kafka_conf_new();
    mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    assert_non_null(mock_rk);
    mc = rd_kafka_mock_cluster_new(mock_rk, 1);
    assert_non_null(mc);
    assert_int_equal(rd_kafka_mock_topic_create(mc, "yuqing.items", 2, 1), 0);
    assert_int_equal(rd_kafka_mock_topic_create(mc, "yuqing.alerts", 2, 1), 0);

    snprintf(cache, sizeof(cache), "/tmp/yq-test-matcher-%d.json", (int)getpid());
    snprintf(sets[0], sizeof(sets[0]), "kafka.bootstrap_servers=%s",
             rd_kafka_mock_cluster_bootstraps(mc));
    snprintf(sets[1], sizeof(sets[1]), "redis.port=%d", fx.port);
    snprintf(sets[2], sizeof(sets[2]), "matcher.rules_cache_path=%s", cache);
    snprintf(sets[3], sizeof(sets[3]), "matcher.reload_check_ms=100");
    for (int i = 0; i < 4; i++) {
        setv[i] = sets[i];
    }
    assert_int_equal(matcher_cfg_load(NULL, setv, 4, &cfg, err, sizeof(err)), 0);
    assert_string_equal(cfg.kafka.group_id, "yuqing-matcher");
    r = yq_redis_new(&cfg.redis);
    push_rules(r, rules_v1);

    /* items: one match, one malformed, one miss */
    p = yq_kafka_producer_new(&cfg.kafka, NULL, NULL, err, sizeof(err));
    assert_non_null(p);
    produce_item(p, "yuqing.items", "rss:1", "安康征地补偿");
    produce_raw(p, "yuqing.items", "{not json");
    produce_item(p, "yuqing.items", "rss:2", "天气晴");
    assert_int_equal(yq_kafka_flush(p, 5000), 0);

    memset(&ctx, 0, sizeof(ctx));
    ctx.m = matcher_new(&cfg, err, sizeof(err));
    assert_non_null(ctx.m);
    assert_int_equal(pthread_create(&th, NULL, run_thread, &ctx), 0);

    /* the alerts, read in a group of their own (cfg is borrowed by the running matcher) */
    struct matcher_cfg rcfg;
    const char *rsets[2] = {setv[0], "kafka.group_id=test-reader"};
    assert_int_equal(matcher_cfg_load(NULL, rsets, 2, &rcfg, err, sizeof(err)), 0);
    c = yq_kafka_consumer_new(&rcfg.kafka, "yuqing.alerts", err, sizeof(err));
    assert_non_null(c);
    n = read_alerts(c, 1, 20000, keys, versions);
    assert_int_equal(n, 1);
    assert_string_equal(keys[0], "ev:rss:1");
    assert_int_equal(versions[0], 1);

    /* hot reload: a new version applies to the next items without a restart */
    push_rules(r, rules_v2);
    /* within a second normally; up to 15 s allowed for a loaded CI machine under ASan */
    for (int i = 0; i < 300 && matcher_rules_version(ctx.m) != 2; i++) {
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(matcher_rules_version(ctx.m), 2);
    produce_item(p, "yuqing.items", "rss:3", "安康征地"); /* no longer a match */
    produce_item(p, "yuqing.items", "rss:4", "仓库火灾");
    assert_int_equal(yq_kafka_flush(p, 5000), 0);
    n = read_alerts(c, 1, 20000, keys, versions);
    assert_int_equal(n, 1);
    assert_string_equal(keys[0], "ev:rss:4");
    assert_int_equal(versions[0], 2);
    /* an invalid new set is ignored: the matcher keeps version 2 */
    redisReply *reply = yq_redis_command(r, "SET yuqing:rules:3 {broken");
    freeReplyObject(reply);
    reply = yq_redis_command(r, "SET yuqing:rules:current 3");
    freeReplyObject(reply);
    struct timespec wait = {0, 400 * 1000000L};
    nanosleep(&wait, NULL);
    assert_int_equal(matcher_rules_version(ctx.m), 2);

    /* stop: returns 0 after committing everything it matched */
    ctx.stop = 1;
    pthread_join(th, NULL);
    assert_int_equal(ctx.rc, 0);
    matcher_free(ctx.m);

    /* committed offsets of the matcher's group cover all 5 items (2 partitions) */
    rd_kafka_t *probe = yq_kafka_consumer_new(&cfg.kafka, "yuqing.items", err, sizeof(err));
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(parts, "yuqing.items", 0);
    rd_kafka_topic_partition_list_add(parts, "yuqing.items", 1);
    assert_int_equal(rd_kafka_committed(probe, parts, 5000), 0);
    int64_t total = 0;
    for (int i = 0; i < parts->cnt; i++) {
        total += parts->elems[i].offset > 0 ? parts->elems[i].offset : 0;
    }
    assert_int_equal(total, 5);
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_consumer_close(probe);
    rd_kafka_destroy(probe);

    /* the last good set was written to the cache */
    struct rule_set *cached = NULL;
    assert_int_equal(rules_cache_load(cache, &cached, err, sizeof(err)), 0);
    assert_int_equal(cached->version, 2);
    rule_set_free(cached);
    unlink(cache);

    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    rd_kafka_destroy(p);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(mock_rk);
    yq_redis_free(r);
    matcher_cfg_release(&cfg);
    matcher_cfg_release(&rcfg);
    redis_fixture_stop(&fx);
}

static int load_text(const char *text, const char *const *sets, int n_sets,
                     struct matcher_cfg *cfg, char *err, size_t errlen)
{
    char path[64];
    FILE *f;
    int rc;

    snprintf(path, sizeof(path), "/tmp/yq-test-matcher-cfg-%d.yaml", (int)getpid());
    f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
    rc = matcher_cfg_load(path, sets, n_sets, cfg, err, errlen);
    unlink(path);
    return rc;
}

/* matcher.source_weights in matcher.yaml and as --set; bad weights name file and line. */
static void test_source_weights_config(void **state)
{
    static const char text[] = "matcher:\n"
                               "  batch_size: 10\n"
                               "  source_weights:\n"
                               "    rss: 2\n"
                               "    wechat: 1.0\n"
                               "    people-politics: 0.25\n";
    static const struct {
        const char *text;
        const char *needle;
    } bad[] = {
        {"matcher:\n  source_weights:\n    rss: 11\n",
         ":3: key 'matcher.source_weights.rss': weight must be a number from 0.1 to 10"},
        {"matcher:\n  source_weights:\n    rss: 0.05\n", ":3: key 'matcher.source_weights.rss'"},
        {"matcher:\n  source_weights:\n    rss: heavy\n", "weight must be a number"},
        {"matcher:\n  source_weights:\n    rss: nan\n", "weight must be a number"},
        {"matcher:\n  source_weights:\n    rss: [1, 2]\n", ":3: key 'matcher.source_weights.rss'"},
        {"matcher:\n  source_weights:\n    rss: 1\n    rss: 2\n",
         ":4: key 'matcher.source_weights.rss': given twice"},
        {"matcher:\n  source_weights:\n    \"a b\": 1\n",
         ":3: key 'matcher.source_weights': a name"},
        {"matcher:\n  source_weights: [rss]\n",
         ":2: key 'matcher.source_weights': must be a mapping"},
    };
    const char *sets[] = {"matcher.source_weights.weibo=3", "matcher.source_weights.rss=1.5"};
    const char *bad_set[] = {"matcher.source_weights.weibo=0"};
    struct matcher_cfg cfg;
    struct yq_item weibo = {.source = (char *)"weibo", .source_id = (char *)"wb"};
    struct yq_item pp = {.source = (char *)"rss", .source_id = (char *)"people-politics"};
    char err[256] = "", *printed = NULL;
    size_t printed_len = 0;
    FILE *mem;

    (void)state;
    assert_int_equal(load_text(text, NULL, 0, &cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.matcher.batch_size, 10);
    assert_int_equal(cfg.matcher.source_weights.n, 3);
    assert_true(match_score_weighted(YQ_LEVEL_IV, 1, &pp, &cfg.matcher.source_weights) == 2.5);
    matcher_cfg_release(&cfg);
    /* --set adds to and replaces the file's entries */
    assert_int_equal(load_text(text, sets, 2, &cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.matcher.source_weights.n, 4);
    assert_true(match_source_weight(&cfg.matcher.source_weights, &weibo) == 3.0);
    mem = open_memstream(&printed, &printed_len);
    assert_non_null(mem);
    matcher_cfg_print(mem, &cfg);
    fclose(mem);
    assert_non_null(strstr(printed, "  batch_size: 10"));
    assert_non_null(strstr(printed, "  source_weights:"));
    assert_non_null(strstr(printed, "    \"rss\": 1.5\n"));
    assert_non_null(strstr(printed, "    \"people-politics\": 0.25\n"));
    free(printed);
    matcher_cfg_release(&cfg);
    /* no file: none configured, --print-config shows the built-in weights */
    assert_int_equal(matcher_cfg_load(NULL, NULL, 0, &cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.matcher.source_weights.n, 0);
    mem = open_memstream(&printed, &printed_len);
    assert_non_null(mem);
    matcher_cfg_print(mem, &cfg);
    fclose(mem);
    assert_non_null(strstr(printed, "    \"weibo\": 1.2\n    \"wechat\": 1.1\n"));
    free(printed);
    matcher_cfg_release(&cfg);
    assert_int_equal(matcher_cfg_load(NULL, bad_set, 1, &cfg, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "override 'matcher.source_weights.weibo': weight must be"));
    matcher_cfg_release(&cfg);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = load_text(bad[i].text, NULL, 0, &cfg, err, sizeof(err));
        if (rc != ERR_INVALID || !strstr(err, bad[i].needle)) {
            print_error("case %zu: rc=%d err='%s', expected '%s'\n", i, rc, err, bad[i].needle);
        }
        assert_int_equal(rc, ERR_INVALID);
        assert_non_null(strstr(err, bad[i].needle));
        matcher_cfg_release(&cfg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_weights_config),
        cmocka_unit_test(test_matcher_end_to_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
