/*
 * The matcher loop end to end on librdkafka's mock cluster and a real redis-server: alerts
 * for matching items only, malformed items skipped, offsets committed, hot reload, SIGTERM-
 * style stop; /metrics and /healthz with real counts, the assignment log, alerts marked
 * rules_unverified while Redis is down (issue #10). Skips when redis-server is absent.
 * No assertion depends on how fast the machine is: waits are for events, with a generous
 * hang guard.
 */
#include <fcntl.h>
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
#include "matcher_internal.h"
#include "matcher_metrics.h"
#include "yq_metrics_http.h"
#include "redis_fixture.h"
#include "pipeline_fixture.h"
#include "test_expect.h"
#include "test_http.h"
#include "rules.h"
#include "rules_store.h"
#include "yq_alert.h"
#include "yq_err.h"
#include "yq_fs.h"
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

#define HANG_GUARD_MS PIPELINE_HANG_GUARD_MS

static bool last_unverified[8];
static int64_t last_checked_at[8];

/*
 * Read alerts until n (at most 8) arrived or timeout_ms (a hang guard) passed; returns how
 * many; keys in keys[], rules versions in versions[], rules_unverified / rules_checked_at in
 * last_unverified[] / last_checked_at[].
 */
static int read_alerts(rd_kafka_t *c, int n, int64_t timeout_ms, char keys[][64],
                       int64_t *versions)
{
    struct yq_alert a[8];
    int got = pipeline_read_alerts(c, n, timeout_ms, a, NULL);

    for (int i = 0; i < got; i++) {
        snprintf(keys[i], 64, "%s", a[i].event_key);
        versions[i] = a[i].rules_version;
        last_unverified[i] = a[i].rules_unverified;
        last_checked_at[i] = a[i].rules_checked_at;
        yq_alert_release(&a[i]);
    }
    return got;
}

/* A produced item's alert under its event key and the rules version that matched it. */
static void expect_alert(struct pipeline_env *e, const char *key, int64_t version)
{
    char keys[8][64];
    int64_t versions[8];

    assert_int_equal(read_alerts(e->c, 1, HANG_GUARD_MS, keys, versions), 1);
    assert_string_equal(keys[0], key);
    assert_int_equal(versions[0], version);
}

/* The matcher's stderr into a file while it starts; the text read back (issue #10). */
static void start_logged(struct pipeline_run *run, const struct matcher_cfg *cfg, int *port,
                         char *logtext, size_t len)
{
    char logpath[128], *buf = NULL;
    int saved_stderr, status;
    static char body[65536];
    const char *held[] = {"yuqing_matcher_assigned_partitions 2\n",
                          "yuqing_matcher_rebalances_total{kind=\"assign\"} 1\n"};

    snprintf(logpath, sizeof(logpath), "/tmp/yq-test-matcher-%d.log", (int)getpid());
    saved_stderr = pipeline_redirect_begin(2, logpath);
    *port = pipeline_run_start(run, cfg);
    assert_true(*port > 0);
    /* until it holds its partitions */
    pipeline_http_wait(*port, "/metrics", held, 2, HANG_GUARD_MS, &status, body, sizeof(body));
    pipeline_redirect_end(2, saved_stderr);
    assert_int_equal(yq_fs_read_file(logpath, len - 1, &buf, NULL), 0);
    snprintf(logtext, len, "%s", buf);
    free(buf);
    unlink(logpath);
    fputs(logtext, stderr);
}

static void test_matcher_end_to_end(void **state)
{
    /* the age rule has its own test; here only a failed check may make alerts unverified */
    const char *sets[] = {"matcher.reload_check_ms=100", "matcher.rules_verify_max_age_ms=1h"};
    struct pipeline_env e;
    struct pipeline_run run;
    char err[512] = "", keys[8][64];
    int64_t versions[8], t0 = yq_time_now();
    int n, port, status;
    static char body[65536], logtext[65536];

    (void)state;
    if (!pipeline_env_start(&e, "matcher", 2, sets, 2, "test-reader")) {
        skip();
    }
    assert_string_equal(e.cfg.kafka.group_id, "yuqing-matcher");
    pipeline_push_rules(e.r, rules_v1, 1);

    /* items: one match, two malformed (the second an item whose "title" is written twice: it
       would match by one of them, so it is skipped as malformed, not read either way), one miss */
    pipeline_produce_item(e.p, "yuqing.items", "rss:1", "http://x/", "安康征地补偿");
    pipeline_produce_raw(e.p, "yuqing.items", "{not json");
    pipeline_produce_raw(e.p, "yuqing.items",
                         "{\"schema\":1,\"id\":\"rss:3\",\"source\":\"rss\",\"source_id\":\"s1\","
                         "\"title\":\"天气晴\",\"title\":\"安康征地补偿\"}");
    pipeline_produce_item(e.p, "yuqing.items", "rss:2", "http://x/", "天气晴");
    assert_int_equal(yq_kafka_flush(e.p, HANG_GUARD_MS), 0);

    start_logged(&run, &e.cfg, &port, logtext, sizeof(logtext));
    assert_non_null(strstr(logtext, "metrics listening address=127.0.0.1 port="));
    assert_non_null(strstr(logtext, "partitions assigned partitions=yuqing.items[0,1] "
                                    "count=2 group=yuqing-matcher"));

    /* the alerts, read in a group of their own */
    n = read_alerts(e.c, 1, HANG_GUARD_MS, keys, versions);
    assert_int_equal(n, 1);
    assert_string_equal(keys[0], "ev:rss:1");
    assert_int_equal(versions[0], 1);
    assert_false(last_unverified[0]); /* Redis up: the version was confirmed */
    assert_int_equal(last_checked_at[0], 0); /* written only with rules_unverified */

    /* /metrics: the real counts of the four items, both partitions caught up */
    {
        const char *counts[] = {"yuqing_matcher_items_total 4\n",
                                "yuqing_matcher_alerts_total 1\n"};
        pipeline_http_wait(port, "/metrics", counts, 2, HANG_GUARD_MS, &status, body, sizeof(body));
    }
    assert_int_equal(status, 200);
    {
        const char *more[] = {"yuqing_matcher_malformed_total 2\n",
                              "yuqing_matcher_excluded_total 0\n",
                              "yuqing_matcher_errors_total{kind=\"delivery\"} 0\n",
                              "yuqing_matcher_errors_total{kind=\"commit\"} 0\n",
                              "yuqing_matcher_rules_version 1\n",
                              "yuqing_matcher_rules_unverified 0\n",
                              "yuqing_matcher_dependency_up{dependency=\"kafka\"} 1\n",
                              "yuqing_matcher_dependency_up{dependency=\"redis\"} 1\n"};
        test_expect_text("/metrics", body, more, 8, NULL, 0);
    }
    {
        const char *lag[] = {
            "yuqing_matcher_consumer_lag{topic=\"yuqing.items\",partition=\"0\"} 0\n",
            "yuqing_matcher_consumer_lag{topic=\"yuqing.items\",partition=\"1\"} 0\n"};
        pipeline_http_wait(port, "/metrics", lag, 2, HANG_GUARD_MS, &status, body, sizeof(body));
    }
    {
        long long checked = 0;
        const char *line = strstr(body, "\nyuqing_matcher_rules_checked_timestamp_seconds ");
        assert_non_null(line);
        assert_int_equal(sscanf(line, "%*s %lld", &checked), 1);
        assert_true(checked >= t0 && checked <= yq_time_now());
    }
    assert_int_equal(test_http_get(port, "/healthz", &status, body, sizeof(body)), 0);
    assert_int_equal(status, 200);
    assert_string_equal(body, "{\"status\":\"ok\",\"progress\":\"ok\","
                              "\"dependencies\":{\"kafka\":\"up\",\"redis\":\"up\"}}\n");
    assert_int_equal(test_http_get(port, "/nope", &status, body, sizeof(body)), 0);
    assert_int_equal(status, 404);

    /* hot reload: a new version applies to the next items without a restart */
    pipeline_push_rules(e.r, rules_v2, 1);
    assert_true(pipeline_wait_version(run.m, 2));
    pipeline_produce_item(e.p, "yuqing.items", "rss:3", "http://x/", "安康征地"); /* no match */
    pipeline_produce_item(e.p, "yuqing.items", "rss:4", "http://x/", "仓库火灾");
    assert_int_equal(yq_kafka_flush(e.p, HANG_GUARD_MS), 0);
    expect_alert(&e, "ev:rss:4", 2);
    /* an invalid new set is ignored: once the matcher rejected it, it still uses version 2 */
    redisReply *reply = yq_redis_command(e.r, "SET yuqing:rules:3 {broken");
    freeReplyObject(reply);
    reply = yq_redis_command(e.r, "SET yuqing:rules:current 3");
    freeReplyObject(reply);
    {
        const char *rejected[] = {"yuqing_matcher_rules_rejected_total 1\n"};
        pipeline_http_wait(port, "/metrics", rejected, 1, HANG_GUARD_MS, &status, body,
                           sizeof(body));
    }
    assert_int_equal(matcher_rules_version(run.m), 2);
    assert_non_null(strstr(body, "yuqing_matcher_rules_version 2\n"));

    /* stop: returns 0 after committing everything it matched */
    assert_int_equal(pipeline_run_stop(&run), 0);

    /* committed offsets of the matcher's group cover all 6 items (2 partitions): the
       malformed ones too, skipped and committed */
    rd_kafka_t *probe = yq_kafka_consumer_new(&e.cfg.kafka, "yuqing.items", err, sizeof(err));
    rd_kafka_topic_partition_list_t *parts = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(parts, "yuqing.items", 0);
    rd_kafka_topic_partition_list_add(parts, "yuqing.items", 1);
    assert_int_equal(rd_kafka_committed(probe, parts, HANG_GUARD_MS), 0);
    int64_t total = 0;
    for (int i = 0; i < parts->cnt; i++) {
        total += parts->elems[i].offset > 0 ? parts->elems[i].offset : 0;
    }
    assert_int_equal(total, 6);
    int64_t committed[2] = {parts->elems[0].offset > 0 ? parts->elems[0].offset : 0,
                            parts->elems[1].offset > 0 ? parts->elems[1].offset : 0};
    rd_kafka_topic_partition_list_destroy(parts);
    rd_kafka_consumer_close(probe);
    rd_kafka_destroy(probe);

    /*
     * A restarted matcher with nothing new to consume reports its position from the group's
     * committed offsets, and so a lag of 0 (before the fix of issue #10 there was no lag).
     */
    port = pipeline_run_start(&run, &e.cfg);
    {
        char pos[2][128];
        const char *want[4] = {
            "yuqing_matcher_consumer_lag{topic=\"yuqing.items\",partition=\"0\"} 0\n",
            "yuqing_matcher_consumer_lag{topic=\"yuqing.items\",partition=\"1\"} 0\n", pos[0],
            pos[1]};
        for (int i = 0; i < 2; i++) {
            snprintf(pos[i], sizeof(pos[i]),
                     "yuqing_matcher_partition_position{topic=\"yuqing.items\",partition=\"%d\"} "
                     "%lld\n",
                     i, (long long)committed[i]);
        }
        pipeline_http_wait(port, "/metrics", want, 4, HANG_GUARD_MS, &status, body, sizeof(body));
        assert_non_null(strstr(body, "yuqing_matcher_items_total 0\n"));
    }
    assert_int_equal(pipeline_run_stop(&run), 0);

    /* the last good set was written to the cache */
    struct rule_set *cached = NULL;
    assert_int_equal(rules_cache_load(e.cache, &cached, err, sizeof(err)), 0);
    assert_int_equal(cached->version, 2);
    rule_set_free(cached);
    pipeline_env_stop(&e);
}

/*
 * Issue #10: an item matched on the rule set in hand while Redis cannot be reached carries
 * rules_unverified and the time of the last confirmation; /healthz and /metrics name Redis
 * as down meanwhile; once Redis is back, alerts are verified again. Then the same for Kafka's
 * broker on /healthz.
 */
static void test_issue_10_rules_unverified_while_redis_down(void **state)
{
    const char *sets[] = {
        "matcher.reload_check_ms=100", "matcher.event_wait_ms=0",              /* no holding back */
        "redis.connect_timeout_ms=200", "matcher.rules_verify_max_age_ms=1h"}; /* see above */
    struct pipeline_env e;
    struct pipeline_run run;
    char keys[8][64];
    int64_t versions[8], t0 = yq_time_now(), t1;
    int port, status;
    static char body[65536];

    (void)state;
    if (!pipeline_env_start(&e, "matcher-unv", 1, sets, 4, "test-reader-unv")) {
        skip();
    }
    pipeline_push_rules(e.r, rules_v1, 1);
    port = pipeline_run_start(&run, &e.cfg);

    /* Redis up: confirmed */
    pipeline_produce_item(e.p, "yuqing.items", "rss:1", "http://x/", "安康征地补偿");
    assert_int_equal(yq_kafka_flush(e.p, HANG_GUARD_MS), 0);
    assert_int_equal(read_alerts(e.c, 1, HANG_GUARD_MS, keys, versions), 1);
    assert_false(last_unverified[0]);

    /* Redis stops: /healthz names it, then the next alert is marked */
    assert_int_equal(redis_fixture_save(&e.fx), 0);
    redis_fixture_stop(&e.fx);
    {
        const char *down[] = {"\"redis\":\"down\""};
        pipeline_http_wait(port, "/healthz", down, 1, HANG_GUARD_MS, &status, body, sizeof(body));
    }
    assert_int_equal(status, 503);
    assert_string_equal(body, "{\"status\":\"down\",\"progress\":\"ok\","
                              "\"dependencies\":{\"kafka\":\"up\",\"redis\":\"down\"}}\n");
    {
        const char *unv[] = {"yuqing_matcher_rules_unverified 1\n",
                             "yuqing_matcher_dependency_up{dependency=\"redis\"} 0\n"};
        pipeline_http_wait(port, "/metrics", unv, 2, HANG_GUARD_MS, &status, body, sizeof(body));
    }
    t1 = yq_time_now();
    pipeline_produce_item(e.p, "yuqing.items", "rss:2", "http://x/", "汉滨拆迁");
    assert_int_equal(yq_kafka_flush(e.p, HANG_GUARD_MS), 0);
    expect_alert(&e, "ev:rss:2", 1); /* the item's own event (no Redis) */
    assert_true(last_unverified[0]);
    assert_true(last_checked_at[0] >= t0 && last_checked_at[0] <= t1);

    /* Redis back: confirmed again */
    assert_int_equal(redis_fixture_restart(&e.fx), 0);
    {
        const char *up[] = {"\"status\":\"ok\""};
        pipeline_http_wait(port, "/healthz", up, 1, HANG_GUARD_MS, &status, body, sizeof(body));
    }
    assert_int_equal(status, 200);
    {
        const char *ok[] = {"yuqing_matcher_rules_unverified 0\n"};
        pipeline_http_wait(port, "/metrics", ok, 1, HANG_GUARD_MS, &status, body, sizeof(body));
    }
    pipeline_produce_item(e.p, "yuqing.items", "rss:3", "http://x/", "安康拆迁");
    assert_int_equal(yq_kafka_flush(e.p, HANG_GUARD_MS), 0);
    assert_int_equal(read_alerts(e.c, 1, HANG_GUARD_MS, keys, versions), 1);
    assert_false(last_unverified[0]);
    assert_int_equal(last_checked_at[0], 0);

    /* the broker goes away: /healthz names Kafka (issue #10: it said ok while Kafka was down) */
    assert_int_equal(rd_kafka_mock_broker_set_down(e.cl.mc, 1), 0);
    {
        const char *down[] = {"\"kafka\":\"down\""};
        pipeline_http_wait(port, "/healthz", down, 1, HANG_GUARD_MS, &status, body, sizeof(body));
    }
    assert_int_equal(status, 503);
    assert_string_equal(body, "{\"status\":\"down\",\"progress\":\"ok\","
                              "\"dependencies\":{\"kafka\":\"down\",\"redis\":\"up\"}}\n");
    {
        const char *m0[] = {"yuqing_matcher_dependency_up{dependency=\"kafka\"} 0\n"};
        pipeline_http_wait(port, "/metrics", m0, 1, HANG_GUARD_MS, &status, body, sizeof(body));
    }
    /*
     * Back up. (The mock broker leaves requests sent while it was down unanswered until
     * librdkafka's 60 s socket timeout, so the return to "up" is not waited for here; Redis's
     * return is, above.)
     */
    assert_int_equal(rd_kafka_mock_broker_set_up(e.cl.mc, 1), 0);

    assert_int_equal(pipeline_run_stop(&run), 0);
    pipeline_env_stop(&e);
}

/* The /metrics and /healthz documents for a given status: lag, unknowns, failing dependency. */
static void test_status_documents(void **state)
{
    static const char *const kafka_unknown_metrics[] = {
        "\nyuqing_matcher_dependency_up{dependency=\"kafka\"} 0\n",
        "\nyuqing_matcher_progress_stuck 0\n",
        "\nyuqing_matcher_alerts_rejected_total 0\n",
    };
    static const struct matcher_partition_status parts[] = {
        {"yuqing.items", 0, 5, 12},  /* 7 behind */
        {"yuqing.items", 1, -1, 40}, /* position unknown: no lag line */
        {"yuqing.items", 2, 9, 9},
    };
    struct matcher_status st = {.items = 42, .alerts = 7, .malformed = 1, .excluded = 2,
                                .event_fallbacks = 4, .delivery_errors = 3, .commit_errors = 1,
                                .assignments = 2, .revocations = 1, .rules_version = 5,
                                .rules_rejected = 1, .rules_skipped = 2,
                                .rules_checked_at = 1796400000, .rules_unverified = true,
                                .kafka = YQ_DEP_UP, .redis = YQ_DEP_DOWN, .n_partitions = 3,
                                .partitions = parts};
    char *text = NULL;
    size_t len = 0;
    bool healthy = true;

    (void)state;
    assert_int_equal(matcher_status_metrics(&st, &text, &len), 0);
    assert_int_equal(strlen(text), len);
    static const char *const want[] = {
        "\nyuqing_matcher_items_total 42\n",
        "\nyuqing_matcher_alerts_total 7\n",
        "\nyuqing_matcher_malformed_total 1\n",
        "\nyuqing_matcher_excluded_total 2\n",
        "\nyuqing_matcher_event_fallbacks_total 4\n",
        "\nyuqing_matcher_errors_total{kind=\"delivery\"} 3\n",
        "\nyuqing_matcher_errors_total{kind=\"commit\"} 1\n",
        "\nyuqing_matcher_rebalances_total{kind=\"assign\"} 2\n",
        "\nyuqing_matcher_rebalances_total{kind=\"revoke\"} 1\n",
        "\nyuqing_matcher_assigned_partitions 3\n",
        "\nyuqing_matcher_consumer_lag{topic=\"yuqing.items\",partition=\"0\"} 7\n",
        "\nyuqing_matcher_consumer_lag{topic=\"yuqing.items\",partition=\"2\"} 0\n",
        "\nyuqing_matcher_partition_position{topic=\"yuqing.items\",partition=\"1\"} -1\n",
        "\nyuqing_matcher_rules_version 5\n",
        "\nyuqing_matcher_rules_skipped 2\n",
        "\nyuqing_matcher_rules_rejected_total 1\n",
        "\nyuqing_matcher_rules_checked_timestamp_seconds 1796400000\n",
        "\nyuqing_matcher_rules_unverified 1\n",
        "\nyuqing_matcher_dependency_up{dependency=\"kafka\"} 1\n",
        "\nyuqing_matcher_dependency_up{dependency=\"redis\"} 0\n",
    };
    test_expect_text("metrics", text, want, sizeof(want) / sizeof(want[0]), NULL, 0);
    assert_null(strstr(text, "partition=\"1\"} 0\n"));
    assert_null(strstr(text, "yuqing_matcher_consumer_lag{topic=\"yuqing.items\",partition=\"1\"}"));
    free(text);
    assert_int_equal(matcher_status_health(&st, &text, &len, &healthy), 0);
    assert_false(healthy);
    assert_string_equal(text, "{\"status\":\"down\",\"progress\":\"ok\","
                              "\"dependencies\":{\"kafka\":\"up\",\"redis\":\"down\"}}\n");
    free(text);
    st.redis = YQ_DEP_UP;
    assert_int_equal(matcher_status_health(&st, &text, &len, &healthy), 0);
    assert_true(healthy);
    assert_string_equal(text, "{\"status\":\"ok\",\"progress\":\"ok\","
                              "\"dependencies\":{\"kafka\":\"up\",\"redis\":\"up\"}}\n");
    free(text);
    st.kafka = YQ_DEP_UNKNOWN; /* before the first probe answered: not healthy */
    assert_int_equal(matcher_status_health(&st, &text, &len, &healthy), 0);
    assert_false(healthy);
    assert_string_equal(text, "{\"status\":\"down\",\"progress\":\"ok\","
                              "\"dependencies\":{\"kafka\":\"unknown\",\"redis\":\"up\"}}\n");
    free(text);
    assert_int_equal(matcher_status_metrics(&st, &text, &len), 0);
    test_expect_text("/metrics", text, kafka_unknown_metrics,
                     sizeof(kafka_unknown_metrics) / sizeof(kafka_unknown_metrics[0]), NULL, 0);
    free(text);
    /* issue #10: no progress (a batch retried too long, or out of the group) is a 503 */
    st.kafka = YQ_DEP_UP;
    st.stuck = true;
    st.alerts_rejected = 3;
    assert_int_equal(matcher_status_health(&st, &text, &len, &healthy), 0);
    assert_false(healthy);
    assert_string_equal(text, "{\"status\":\"down\",\"progress\":\"stuck\","
                              "\"dependencies\":{\"kafka\":\"up\",\"redis\":\"up\"}}\n");
    assert_int_equal(len, strlen(text));
    free(text);
    assert_int_equal(matcher_status_metrics(&st, &text, &len), 0);
    assert_non_null(strstr(text, "\nyuqing_matcher_progress_stuck 1\n"));
    assert_non_null(strstr(text, "\nyuqing_matcher_alerts_rejected_total 3\n"));
    free(text);
}

/* The endpoint alone: "starting" until the first publication, then the published documents. */
static void test_http_endpoint(void **state)
{
    char err[256] = "";
    static char body[4096];
    int status = 0;
    struct yq_metrics_http *h = yq_metrics_http_start("127.0.0.1", 0, err, sizeof(err));
    struct yq_metrics_http *taken;

    (void)state;
    assert_non_null(h);
    assert_int_equal(test_http_get(yq_metrics_http_port(h), "/healthz", &status, body, sizeof(body)),
                     0);
    assert_int_equal(status, 503);
    assert_string_equal(body, "{\"status\":\"starting\",\"dependencies\":{}}\n");
    assert_int_equal(yq_metrics_http_publish_metrics(h, "m 1\n", 4), 0);
    assert_int_equal(yq_metrics_http_publish_health(h, 200, "{\"status\":\"ok\"}\n", 16), 0);
    assert_int_equal(test_http_get(yq_metrics_http_port(h), "/healthz", &status, body, sizeof(body)),
                     0);
    assert_int_equal(status, 200);
    assert_string_equal(body, "{\"status\":\"ok\"}\n");
    assert_int_equal(test_http_get(yq_metrics_http_port(h), "/metrics", &status, body, sizeof(body)),
                     0);
    assert_int_equal(status, 200);
    assert_string_equal(body, "m 1\n");
    assert_int_equal(yq_metrics_http_publish_health(h, 503, "{}", 2), 0);
    assert_int_equal(test_http_get(yq_metrics_http_port(h), "/healthz", &status, body, sizeof(body)),
                     0);
    assert_int_equal(status, 503);
    /* a port in use and a bad address are refused with a reason */
    taken = yq_metrics_http_start("127.0.0.1", yq_metrics_http_port(h), err, sizeof(err));
    assert_null(taken);
    assert_non_null(strstr(err, "cannot listen on 127.0.0.1:"));
    assert_non_null(strstr(err, ": Address already in use")); /* the operator's first question */
    assert_null(yq_metrics_http_start("localhost", 0, err, sizeof(err)));
    assert_non_null(strstr(err, "bad listen address 'localhost'"));
    yq_metrics_http_stop(h);
    yq_metrics_http_stop(NULL);
}

/*
 * Issue #10, the age rule: with checks held off (reload_check_ms 10 min) a confirmation older
 * than rules_verify_max_age_ms (100 ms) no longer counts, so alerts say rules_unverified and
 * carry the time of that confirmation, although Redis is up.
 */
static void test_issue_10_rules_unverified_when_confirmation_is_old(void **state)
{
    const char *sets[] = {"matcher.reload_check_ms=10m", "matcher.rules_verify_max_age_ms=100"};
    struct pipeline_env e;
    struct pipeline_run run;
    char keys[8][64];
    int64_t versions[8], t0 = yq_time_now();
    int port, status;
    static char body[65536];

    (void)state;
    if (!pipeline_env_start(&e, "matcher-age", 1, sets, 2, "test-reader-age")) {
        skip();
    }
    pipeline_push_rules(e.r, rules_v1, 1);
    port = pipeline_run_start(&run, &e.cfg);
    {
        /* confirmed once at start, then too old: the state flips without any failure */
        const char *old[] = {"yuqing_matcher_rules_version 1\n",
                             "yuqing_matcher_rules_unverified 1\n",
                             "yuqing_matcher_dependency_up{dependency=\"redis\"} 1\n"};
        pipeline_http_wait(port, "/metrics", old, 3, HANG_GUARD_MS, &status, body, sizeof(body));
    }
    pipeline_produce_item(e.p, "yuqing.items", "rss:1", "http://x/", "安康征地补偿");
    assert_int_equal(yq_kafka_flush(e.p, HANG_GUARD_MS), 0);
    assert_int_equal(read_alerts(e.c, 1, HANG_GUARD_MS, keys, versions), 1);
    assert_int_equal(versions[0], 1);
    assert_true(last_unverified[0]);
    assert_true(last_checked_at[0] >= t0 && last_checked_at[0] <= yq_time_now());

    assert_int_equal(pipeline_run_stop(&run), 0);
    pipeline_env_stop(&e);
}

/* --- issue #10: an alert Kafka would refuse never wedges the partition ------------------- */

static const char rules_lg[] =
    "rules:\n"
    "  - {id: lg-01, name: 岚皋舆情, department: 岚皋县委宣传部, level: III, expr: 岚皋}\n"
    "  - {id: lg-02, name: 岚皋汉滨, department: 市自然资源局, level: II, expr: \"岚皋 & 汉滨\"}\n";

/* A mock cluster, Redis with rules_lg, a producer of items and a reader of alerts. */
static bool big_env_start(struct pipeline_env *e, const char *extra_set, const char *extra_set2)
{
    const char *sets[4] = {"matcher.rules_verify_max_age_ms=1h", "matcher.retry_backoff_ms=50",
                           extra_set, extra_set2};
    size_t n = 2 + (extra_set != NULL) + (extra_set2 != NULL);

    if (!pipeline_env_start(e, "matcher-big", 1, sets, n, "test-reader-big")) {
        return false;
    }
    pipeline_push_rules(e->r, rules_lg, 1);
    return true;
}

/* Produce item (borrowed) as the collector does: bounded to its message limit. */
static size_t produce_bounded_item(rd_kafka_t *p, struct yq_item *item)
{
    char *json = NULL;
    size_t len = 0;
    assert_int_equal(yq_item_encode_bounded(item, YQ_KAFKA_MESSAGE_MAX_BYTES - 4096, &json, &len),
                     0);
    assert_int_equal(rd_kafka_producev(p, RD_KAFKA_V_TOPIC("yuqing.items"),
                                       RD_KAFKA_V_KEY(item->id, strlen(item->id)),
                                       RD_KAFKA_V_VALUE(json, len),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                     0);
    free(json);
    return len;
}

/*
 * Issue #10: an item the collector bounded correctly (995,840 bytes of JSON, the text
 * quotes that escaping doubles, many hits of the rule terms) made an alert over Kafka's
 * message.max.bytes: refused and retried forever, every later alert stuck behind it. Now the
 * alert is cut to fit and delivered, and the next item gets its alert too.
 */
static void test_issue_10_oversized_alert_is_cut_and_delivered(void **state)
{
    struct pipeline_env e;
    struct pipeline_run run;
    struct yq_item big = {0}, small = {0};
    struct yq_alert alerts[2];
    size_t lens[2], item_len;
    char unit[700], title[4096] = "";
    int port, status;
    static char body[65536];

    (void)state;
    if (!big_env_start(&e, NULL, NULL)) {
        skip();
    }
    memset(unit, '"', 600);
    memcpy(unit + 600, "岚皋", strlen("岚皋") + 1);
    for (size_t i = 0; i < 100; i++) {
        memcpy(title + i * 12, "岚皋汉滨", 13); /* 12 bytes of UTF-8 and the NUL */
    }
    big.id = strdup("rss:big");
    big.source = strdup("rss");
    big.source_id = strdup("s1");
    big.title = strdup(title);
    big.text = malloc(700 * 900 + 1);
    assert_non_null(big.text);
    big.text[0] = '\0';
    for (size_t i = 0; i < 900; i++) {
        memcpy(big.text + i * 606, unit, 606); /* 600 quotes and 岚皋 (6 bytes) */
    }
    big.text[900 * 606] = '\0';
    big.precision = "second";
    big.fetched_at = yq_time_now();
    item_len = produce_bounded_item(e.p, &big);
    assert_true(item_len > YQ_KAFKA_MESSAGE_MAX_BYTES - 8192); /* under the collector's limit */
    assert_true(item_len <= YQ_KAFKA_MESSAGE_MAX_BYTES - 4096);
    small.id = strdup("rss:small");
    small.source = strdup("rss");
    small.source_id = strdup("s1");
    small.title = strdup("岚皋县汉滨区");
    small.precision = "second";
    small.fetched_at = yq_time_now();
    produce_bounded_item(e.p, &small);
    assert_int_equal(yq_kafka_flush(e.p, HANG_GUARD_MS), 0);

    port = pipeline_run_start(&run, &e.cfg);

    assert_int_equal(pipeline_read_alerts(e.c, 2, HANG_GUARD_MS, alerts, lens), 2);
    /* the big one: under the limit, every rule kept, terms and text cut and marked */
    assert_string_equal(alerts[0].item.id, "rss:big");
    assert_true(lens[0] <= YQ_ALERT_MAX_BYTES);
    assert_int_equal(alerts[0].n_matches, 2);
    assert_true(alerts[0].item.truncated_fields & YQ_ITEM_F_TEXT);
    assert_string_equal(alerts[0].item.title, title);
    assert_true(alerts[0].matches[0].terms_truncated || alerts[0].matches[1].terms_truncated);
    assert_true(strlen(alerts[0].item.text) > 100000);
    /* and the next item's alert, whole */
    assert_string_equal(alerts[1].item.id, "rss:small");
    assert_int_equal(alerts[1].n_matches, 2);
    assert_int_equal(alerts[1].item.truncated_fields, 0);
    assert_false(alerts[1].matches[0].terms_truncated);
    {
        const char *want[] = {"yuqing_matcher_alerts_total 2\n",
                              "yuqing_matcher_alerts_rejected_total 0\n",
                              "yuqing_matcher_progress_stuck 0\n"};
        pipeline_http_wait(port, "/metrics", want, 3, HANG_GUARD_MS, &status, body, sizeof(body));
    }
    yq_alert_release(&alerts[0]);
    yq_alert_release(&alerts[1]);
    assert_int_equal(pipeline_run_stop(&run), 0);
    yq_item_release(&big);
    yq_item_release(&small);
    pipeline_env_stop(&e);
}

/*
 * Issue #10: Kafka refusing one alert for good (MSG_SIZE_TOO_LARGE on its Produce) settles
 * that item (logged, counted) instead of retrying it forever; the next item's alert is
 * delivered.
 */
static void test_issue_10_permanently_refused_alert_is_settled(void **state)
{
    struct pipeline_env e;
    struct pipeline_run run;
    struct yq_alert alerts[1];
    size_t lens[1];
    int port, status;
    static char body[65536];

    (void)state;
    /* one item per batch: the refused alert travels alone in its Produce request */
    if (!big_env_start(&e, "matcher.batch_size=1", NULL)) {
        skip();
    }
    pipeline_produce_item(e.p, "yuqing.items", "rss:1", "http://x/", "岚皋汉滨");
    pipeline_produce_item(e.p, "yuqing.items", "rss:2", "http://x/", "岚皋汉滨二");
    assert_int_equal(yq_kafka_flush(e.p, HANG_GUARD_MS), 0);
    /* the next Produce request (the matcher's first alert) is refused for good */
    rd_kafka_mock_push_request_errors(e.cl.mc, 0 /* Produce */, 1,
                                      RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);

    port = pipeline_run_start(&run, &e.cfg);

    assert_int_equal(pipeline_read_alerts(e.c, 1, HANG_GUARD_MS, alerts, lens), 1);
    assert_string_equal(alerts[0].item.id, "rss:2");
    yq_alert_release(&alerts[0]);
    {
        /* both items settled: the position is past them, nothing left to consume */
        const char *want[] = {"yuqing_matcher_items_total 2\n",
                              "yuqing_matcher_alerts_total 1\n",
                              "yuqing_matcher_alerts_rejected_total 1\n",
                              "yuqing_matcher_partition_position{topic=\"yuqing.items\","
                              "partition=\"0\"} 2\n"};
        pipeline_http_wait(port, "/metrics", want, 4, HANG_GUARD_MS, &status, body, sizeof(body));
    }
    {
        const char *want[] = {"\"progress\":\"ok\""};
        pipeline_http_wait(port, "/healthz", want, 1, HANG_GUARD_MS, &status, body, sizeof(body));
    }
    assert_int_equal(pipeline_run_stop(&run), 0);
    pipeline_env_stop(&e);
}

/*
 * Issue #10: a matcher that cannot make progress says so. Redis down with alerts held back
 * for event assignment (event_wait_ms 1 h): the batch is retried without end, and once it
 * has been for matcher.stuck_after_ms /healthz answers 503 "progress":"stuck". (Waits are
 * for that state, with the hang guard; nothing asserts how long it took.)
 */
static void test_issue_10_health_says_stuck(void **state)
{
    struct pipeline_env e;
    struct pipeline_run run;
    int port, status;
    static char body[65536];

    (void)state;
    if (!big_env_start(&e, "matcher.stuck_after_ms=1s", "matcher.event_wait_ms=1h")) {
        skip();
    }
    port = pipeline_run_start(&run, &e.cfg);
    {
        const char *ready[] = {"yuqing_matcher_rules_version 1\n",
                               "yuqing_matcher_assigned_partitions 1\n",
                               "yuqing_matcher_progress_stuck 0\n"};
        pipeline_http_wait(port, "/metrics", ready, 3, HANG_GUARD_MS, &status, body, sizeof(body));
    }
    redis_fixture_stop(&e.fx);
    pipeline_produce_item(e.p, "yuqing.items", "rss:1", "http://x/", "岚皋汉滨");
    assert_int_equal(yq_kafka_flush(e.p, HANG_GUARD_MS), 0);
    {
        const char *stuck[] = {"\"progress\":\"stuck\""};
        pipeline_http_wait(port, "/healthz", stuck, 1, HANG_GUARD_MS, &status, body, sizeof(body));
    }
    assert_int_equal(status, 503);
    assert_string_equal(body, "{\"status\":\"down\",\"progress\":\"stuck\","
                              "\"dependencies\":{\"kafka\":\"up\",\"redis\":\"down\"}}\n");
    {
        const char *stuck[] = {"yuqing_matcher_progress_stuck 1\n",
                               "yuqing_matcher_alerts_total 0\n"};
        pipeline_http_wait(port, "/metrics", stuck, 2, HANG_GUARD_MS, &status, body, sizeof(body));
    }
    assert_int_equal(pipeline_run_stop(&run), 0);
    pipeline_env_stop(&e);
}

/* The metrics keys: defaults, --set, off, --print-config. */
static void test_metrics_config(void **state)
{
    const char *sets[] = {"matcher.metrics_address=", "matcher.rules_verify_max_age_ms=30s"};
    const char *bad[] = {"matcher.metrics_port=70000"};
    struct matcher_cfg cfg;
    struct matcher *m;
    char err[256] = "", *printed = NULL;
    size_t printed_len = 0;
    FILE *mem;

    (void)state;
    assert_int_equal(matcher_cfg_load(NULL, NULL, 0, &cfg, err, sizeof(err)), 0);
    assert_string_equal(cfg.matcher.metrics.address, "127.0.0.1");
    assert_int_equal(cfg.matcher.metrics.port, 9102);
    assert_int_equal(cfg.matcher.rules_verify_max_age_ms, 10000);
    mem = open_memstream(&printed, &printed_len);
    assert_non_null(mem);
    matcher_cfg_print(mem, &cfg);
    fclose(mem);
    assert_non_null(strstr(printed, "  metrics_port: 9102"));
    assert_non_null(strstr(printed, "  rules_verify_max_age_ms: 10000"));
    free(printed);
    matcher_cfg_release(&cfg);
    assert_int_equal(matcher_cfg_load(NULL, sets, 2, &cfg, err, sizeof(err)), 0);
    assert_string_equal(cfg.matcher.metrics.address, "");
    assert_int_equal(cfg.matcher.rules_verify_max_age_ms, 30000);
    m = matcher_new(&cfg, err, sizeof(err));
    assert_non_null(m);
    assert_int_equal(matcher_metrics_port(m), -1); /* off */
    matcher_free(m);
    matcher_cfg_release(&cfg);
    assert_int_equal(matcher_cfg_load(NULL, bad, 1, &cfg, err, sizeof(err)), ERR_INVALID);
    matcher_cfg_release(&cfg);
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

/*
 * Issue #15: every official item reaches the notifier. An official item that no rule matches
 * still gives an alert with no matches (its own event key, level IV, the item's department,
 * the SimHash); a non-official miss gives none; a matched item carries its SimHash too.
 */
static void test_issue_15_official_item_without_match(void **state)
{
    const char *sets[] = {"matcher.reload_check_ms=100"};
    static const char official[] =
        "{\"schema\":1,\"id\":\"wx:fabu:1:1\",\"source\":\"wechat\",\"source_id\":\"ak-fabu\","
        "\"channel\":\"安康发布\",\"url\":\"https://mp.example/s/1\","
        "\"title\":\"关于城区供暖工作的情况通报\",\"text\":\"市住建局已部署今冬城区供暖工作，"
        "各供热企业按时供热。\",\"author\":\"\",\"published_at\":null,"
        "\"fetched_at\":\"2026-11-29T08:00:00Z\",\"official\":true,"
        "\"department\":\"市住房和城乡建设局\",\"response_channel\":\"政务微信\"}";
    struct pipeline_env e;
    struct pipeline_run run;
    struct yq_alert a[2];
    int got;

    (void)state;
    if (!pipeline_env_start(&e, "matcher-off", 1, sets, 1, "test-reader-off")) {
        skip();
    }
    pipeline_push_rules(e.r, rules_v1, 1);
    pipeline_produce_item(e.p, "yuqing.items", "rss:miss", "http://x/", "天气晴");
    pipeline_produce_raw(e.p, "yuqing.items", official);
    pipeline_produce_item(e.p, "yuqing.items", "rss:hit", "http://x/",
                          "安康市汉滨区征地补偿款迟迟未发放村民反映");
    assert_int_equal(yq_kafka_flush(e.p, HANG_GUARD_MS), 0);
    assert_true(pipeline_run_start(&run, &e.cfg) > 0);
    got = pipeline_read_alerts(e.c, 2, HANG_GUARD_MS, a, NULL);
    assert_int_equal(got, 2);
    /* one partition: in order, the miss gave nothing */
    assert_string_equal(a[0].item.id, "wx:fabu:1:1");
    assert_int_equal(a[0].n_matches, 0);
    assert_string_equal(a[0].event_key, "ev:wx:fabu:1:1");
    assert_int_equal(a[0].level, YQ_LEVEL_IV);
    assert_string_equal(a[0].department, "市住房和城乡建设局");
    assert_true(a[0].item.official);
    assert_true(a[0].has_simhash);
    assert_string_equal(a[1].item.id, "rss:hit");
    assert_int_equal(a[1].n_matches, 1);
    assert_true(a[1].has_simhash);
    assert_true(a[0].simhash != a[1].simhash);
    yq_alert_release(&a[0]);
    yq_alert_release(&a[1]);
    assert_int_equal(pipeline_run_stop(&run), 0);
    pipeline_env_stop(&e);
}

/* A Weibo item's JSON: id, text, reply_to ("" for none). */
static void weibo_json(char *buf, size_t len, const char *id, const char *text,
                       const char *reply_to)
{
    char rt[96] = "";

    if (reply_to[0]) {
        snprintf(rt, sizeof(rt), ",\"reply_to\":\"%s\"", reply_to);
    }
    snprintf(buf, len,
             "{\"schema\":1,\"id\":\"%s\",\"source\":\"weibo\",\"source_id\":\"wb-ak\","
             "\"channel\":\"网友\",\"url\":\"https://m.weibo.cn/status/%s\",\"title\":\"%s\","
             "\"text\":\"%s\",\"author\":\"网友\",\"published_at\":null,"
             "\"fetched_at\":\"2026-11-29T08:00:00Z\"%s}",
             id, id, text, text, rt);
}

/*
 * Field review: Weibo reposts whose own text matches no rule ("转发微博", "//@某某:..." with a
 * comment) join their original's event: an alert with no match, via "repost", the original's
 * event key; a repost of such a repost too. A repost of an original that is in no event (not
 * matched, or deleted and never seen) gives no alert. Before, only reposts that matched a rule
 * themselves reached the event: the event's volume and spikes missed the reposts.
 */
static void test_repost_without_match_joins_its_original(void **state)
{
    const char *sets[] = {"matcher.reload_check_ms=100"};
    struct pipeline_env e;
    struct pipeline_run run;
    struct yq_alert a[4];
    char json[1024];
    int got;

    (void)state;
    if (!pipeline_env_start(&e, "matcher-rp", 1, sets, 1, "test-reader-rp")) {
        skip();
    }
    pipeline_push_rules(e.r, rules_v1, 1);
    weibo_json(json, sizeof(json), "weibo:100",
               "安康市汉滨区征地补偿款迟迟未发放，村民多次反映无果", "");
    pipeline_produce_raw(e.p, "yuqing.items", json);
    weibo_json(json, sizeof(json), "weibo:101", "转发微博", "weibo:100");
    pipeline_produce_raw(e.p, "yuqing.items", json);
    weibo_json(json, sizeof(json), "weibo:102", "太过分了//@张三:这事得有人管", "weibo:999");
    pipeline_produce_raw(e.p, "yuqing.items", json);
    weibo_json(json, sizeof(json), "weibo:103", "关注//@李四:转发微博", "weibo:101");
    pipeline_produce_raw(e.p, "yuqing.items", json);
    pipeline_produce_item(e.p, "yuqing.items", "rss:hit", "http://x/",
                          "安康市汉滨区征地补偿款迟迟未发放村民反映");
    assert_int_equal(yq_kafka_flush(e.p, HANG_GUARD_MS), 0);
    assert_true(pipeline_run_start(&run, &e.cfg) > 0);
    got = pipeline_read_alerts(e.c, 4, HANG_GUARD_MS, a, NULL);
    assert_int_equal(got, 4);
    /* one partition: in order; weibo:102 (original in no event) gave nothing */
    assert_string_equal(a[0].item.id, "weibo:100");
    assert_string_equal(a[0].event_key, "ev:weibo:100");
    assert_string_equal(a[1].item.id, "weibo:101");
    assert_string_equal(a[1].event_key, "ev:weibo:100");
    assert_string_equal(a[1].event_via, "repost");
    assert_int_equal(a[1].event_items, 2);
    assert_int_equal(a[1].n_matches, 0);
    assert_int_equal(a[1].level, YQ_LEVEL_IV);
    assert_true(yq_alert_is_repost_only(&a[1]));
    assert_string_equal(a[2].item.id, "weibo:103");
    assert_string_equal(a[2].event_key, "ev:weibo:100");
    assert_int_equal(a[2].event_items, 3);
    assert_string_equal(a[3].item.id, "rss:hit");
    assert_int_equal(a[3].n_matches, 1);
    for (int i = 0; i < 4; i++) {
        yq_alert_release(&a[i]);
    }
    assert_int_equal(pipeline_run_stop(&run), 0);
    pipeline_env_stop(&e);
}

/*
 * Issue #15: a hot-search item with watched terms and no rule matching raises the hot-watch
 * alert through the running matcher; a hot item without watched terms raises none.
 */
static void test_issue_15_watched_hot_entry_alerts(void **state)
{
    struct pipeline_env e;
    struct pipeline_run run;
    struct yq_alert a[2];
    int port, got;

    (void)state;
    if (!pipeline_env_start(&e, "matcher-hot", 2, NULL, 0, "test-reader-hot")) {
        skip();
    }
    pipeline_push_rules(e.r, rules_v1, 1);
    pipeline_produce_raw(e.p, "yuqing.items",
                         "{\"schema\":1,\"id\":\"wbhot:0123456789abcdef0123456789abcdef01234567:"
                         "1796398000:entered\",\"source\":\"weibo_hot\",\"source_id\":\"hot1\",\"channel\":"
                         "\"微博热搜\",\"url\":\"https://s.weibo.com/weibo?q=x\",\"title\":"
                         "\"平利茶园迎来采摘季\",\"text\":\"平利茶园迎来采摘季\",\"published_at\":"
                         "\"2026-12-04T15:26:40Z\",\"fetched_at\":\"2026-12-04T15:30:00Z\","
                         "\"hot\":{\"board\":\"realtime\",\"rank\":9,\"trigger\":\"entered\","
                         "\"entered_at\":\"2026-12-04T15:26:40Z\",\"watched\":[\"平利\"]}}");
    pipeline_produce_raw(e.p, "yuqing.items",
                         "{\"schema\":1,\"id\":\"wbhot:1123456789abcdef0123456789abcdef01234567:"
                         "1796398000:entered\",\"source\":\"weibo_hot\",\"source_id\":\"hot1\",\"channel\":"
                         "\"微博热搜\",\"url\":\"https://s.weibo.com/weibo?q=y\",\"title\":"
                         "\"全国铁路迎来返程高峰\",\"text\":\"全国铁路迎来返程高峰\","
                         "\"fetched_at\":\"2026-12-04T15:30:00Z\",\"hot\":{\"rank\":3}}");
    assert_int_equal(yq_kafka_flush(e.p, HANG_GUARD_MS), 0);
    port = pipeline_run_start(&run, &e.cfg);
    assert_true(port > 0);
    got = pipeline_read_alerts(e.c, 2, 5000, a, NULL); /* the second never comes */
    assert_int_equal(got, 1);
    assert_string_equal(a[0].event_key,
                        "ev:wbhot:0123456789abcdef0123456789abcdef01234567:1796398000:entered");
    assert_int_equal(a[0].n_matches, 1);
    assert_string_equal(a[0].matches[0].rule_id, "hot-watch");
    assert_string_equal(a[0].matches[0].group, "热搜");
    assert_int_equal(a[0].matches[0].level, YQ_LEVEL_IV);
    assert_string_equal(a[0].matches[0].terms[0].term, "平利");
    assert_int_equal(a[0].matches[0].terms[0].start, 0);
    assert_int_equal(a[0].matches[0].terms[0].end, 2);
    assert_non_null(a[0].item.hot);
    yq_alert_release(&a[0]);
    assert_int_equal(pipeline_run_stop(&run), 0);
    pipeline_env_stop(&e);
}

/*
 * Issue #16: the near-duplicate lookups of a batch go to Redis in one pipeline; an error
 * reply for one item (its answer key holds a hash: WRONGTYPE in the script) makes that item
 * alone fall back to its own event, the others get their events, near duplicates within the
 * batch included, and the alerts keep the items' order. event_wait: the setting
 * "matcher.event_wait_ms=..." or NULL (the default).
 */
static void one_item_error_falls_back_alone(const char *event_wait)
{
    const char *sets[] = {"matcher.reload_check_ms=100", event_wait};
    static const char story[] =
        "安康市汉滨区某村村民反映，征地补偿款拖欠半年仍未到位，多次到镇政府反映无果。"
        "村民称去年签订协议时承诺三个月内发放，目前仍有二十余户未收到补偿，生活受到影响。";
    static const char story_dup[] =
        "安康市汉滨区某村村民反映，征地补偿款拖欠半年仍未到位，多次到镇政府反映无果！"
        "村民称去年签订协议时承诺三个月内发放，目前仍有二十余户未收到补偿，生活受到影响。";
    static const char other[] =
        "汉滨区老城片区拆迁安置房交付延期两年，数百户居民至今在外租房，"
        "开发商称资金链紧张，街道办表示正在协调，居民希望尽快给出明确时间表。";
    static const struct {
        const char *id, *key, *via;
    } want[] = {
        {"rss:b1", "ev:rss:b1", "new"},
        {"rss:b2", "ev:rss:b2", "own"},
        {"rss:b3", "ev:rss:b1", "near_duplicate"},
        {"rss:b4", "ev:rss:b4", "new"},
    };
    const char *texts[] = {story, other, story_dup, other};
    struct pipeline_env e;
    struct pipeline_run run;
    struct yq_alert a[4];
    redisReply *reply;

    if (!pipeline_env_start(&e, "matcher-batch", 1, sets, event_wait ? 2 : 1,
                            "test-reader-batch")) {
        skip();
    }
    pipeline_push_rules(e.r, rules_v1, 1);
    reply = yq_redis_command(e.r, "HSET yuqing:ev:item:rss:b2 x y");
    assert_non_null(reply);
    freeReplyObject(reply);
    for (size_t i = 0; i < 4; i++) {
        pipeline_produce_item(e.p, "yuqing.items", want[i].id, "http://x/", texts[i]);
    }
    assert_int_equal(yq_kafka_flush(e.p, HANG_GUARD_MS), 0);
    assert_true(pipeline_run_start(&run, &e.cfg) > 0);
    assert_int_equal(pipeline_read_alerts(e.c, 4, HANG_GUARD_MS, a, NULL), 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(a[i].item.id, want[i].id);
        assert_string_equal(a[i].event_key, want[i].key);
        assert_string_equal(a[i].event_via, want[i].via);
        yq_alert_release(&a[i]);
    }
    assert_int_equal(pipeline_run_stop(&run), 0);
    pipeline_env_stop(&e);
}

static void test_issue_16_one_item_error_falls_back_alone(void **state)
{
    (void)state;
    one_item_error_falls_back_alone("matcher.event_wait_ms=0");
}

/*
 * mfix (review of issue #16): an error reply is an answer, not an outage. With alerts held
 * back for Redis outages (event_wait_ms 2000, and the default 5000), the item Redis refuses
 * falls back to its own event at once; before, the batch was retried as a whole, the other
 * items' answers restarted the outage clock and the partition stalled for ever. The hang
 * guard only bounds a failure; nothing here is timed.
 */
static void test_mfix_error_reply_does_not_hold_partition(void **state)
{
    (void)state;
    one_item_error_falls_back_alone("matcher.event_wait_ms=2000");
    one_item_error_falls_back_alone(NULL);
}

/*
 * mfix: the outage clock on a virtual clock (matcher_events_hold() takes now_ms). Redis
 * stopped mid-batch (some items answered, the rest lost): the batch is held for event_wait_ms
 * from the first failure, through retries that lose every item, then goes on (its lost
 * items get their own event); only a batch answered whole ends the outage. An error reply
 * (counted answered) holds nothing. The dependency state changes once each way: no flapping.
 */
static void test_mfix_outage_clock(void **state)
{
    struct matcher_cfg cfg;
    struct matcher m;
    const int64_t t0 = 1000000;
    static const struct {
        int64_t at_ms;
        size_t asked, lost;
        bool hold;
        enum yq_dep_state redis;
        int64_t down_since_ms;
    } steps[] = {
        {0, 0, 0, false, YQ_DEP_UNKNOWN, 0},   /* nothing asked: says nothing */
        {10, 4, 0, false, YQ_DEP_UP, 0},       /* answered whole */
        {20, 4, 0, false, YQ_DEP_UP, 0},       /* one error reply: an answer, no hold */
        {100, 4, 2, true, YQ_DEP_DOWN, 100},   /* stopped mid-batch: two answered, two lost */
        {600, 4, 4, true, YQ_DEP_DOWN, 100},   /* retries lose everything */
        {700, 0, 0, false, YQ_DEP_DOWN, 100},  /* a batch without lookups: no change */
        {1600, 4, 1, true, YQ_DEP_DOWN, 100},  /* partly answered: the clock goes on */
        {2099, 4, 4, true, YQ_DEP_DOWN, 100},  /* 1999 ms: still held */
        {2100, 4, 4, false, YQ_DEP_DOWN, 100}, /* 2000 ms: falls back, still down */
        {2500, 4, 2, false, YQ_DEP_DOWN, 100}, /* later batches go on at once */
        {3000, 4, 0, false, YQ_DEP_UP, 0},     /* answered whole: the outage ends */
        {3100, 4, 4, true, YQ_DEP_DOWN, 3100}, /* a new outage waits again, from its start */
    };
    int changes = 0;
    enum yq_dep_state last = YQ_DEP_UNKNOWN;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    memset(&m, 0, sizeof(m));
    cfg.matcher.event_wait_ms = 2000;
    m.redis_state = YQ_DEP_UNKNOWN; /* as matcher_new() leaves it */
    m.cfg = &cfg;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        bool hold = matcher_events_hold(&m, steps[i].asked, steps[i].lost, t0 + steps[i].at_ms);
        assert_int_equal(hold, steps[i].hold);
        assert_int_equal(m.redis_state, steps[i].redis);
        assert_int_equal(m.events_down_since_ms,
                         steps[i].down_since_ms ? t0 + steps[i].down_since_ms : 0);
        if (m.redis_state != last) {
            changes++;
            last = m.redis_state;
        }
    }
    /* unknown -> up -> down -> up -> down: each real change once */
    assert_int_equal(changes, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_weights_config),
        cmocka_unit_test(test_issue_15_watched_hot_entry_alerts),
        cmocka_unit_test(test_status_documents),
        cmocka_unit_test(test_http_endpoint),
        cmocka_unit_test(test_metrics_config),
        cmocka_unit_test(test_matcher_end_to_end),
        cmocka_unit_test(test_issue_10_rules_unverified_while_redis_down),
        cmocka_unit_test(test_issue_10_rules_unverified_when_confirmation_is_old),
        cmocka_unit_test(test_issue_10_oversized_alert_is_cut_and_delivered),
        cmocka_unit_test(test_issue_10_permanently_refused_alert_is_settled),
        cmocka_unit_test(test_issue_10_health_says_stuck),
        cmocka_unit_test(test_issue_15_official_item_without_match),
        cmocka_unit_test(test_repost_without_match_joins_its_original),
        cmocka_unit_test(test_issue_16_one_item_error_falls_back_alone),
        cmocka_unit_test(test_mfix_error_reply_does_not_hold_partition),
        cmocka_unit_test(test_mfix_outage_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
