/*
 * What the matcher's end-to-end tests share (library yq_test_pipeline): librdkafka's mock
 * cluster with the items and alerts topics, a real redis-server (tests/common/redis_fixture.h),
 * the matcher's config from --set strings, a producer of items, a reader of alerts in a group
 * of its own, the matcher loop on a thread, and waits for /metrics and /healthz contents.
 * Every function fails the running cmocka test on an unexpected error (fail_msg / assert_*),
 * so call them from a test only. Waits are for events, with PIPELINE_HANG_GUARD_MS as a hang
 * guard only, never a performance bound.
 */
#ifndef PIPELINE_FIXTURE_H
#define PIPELINE_FIXTURE_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>
#include "yq_kafka_mock.h"

#include "matcher.h"
#include "redis_fixture.h"
#include "rules.h"
#include "yq_alert.h"
#include "yq_redis.h"

#define PIPELINE_HANG_GUARD_MS 60000 /* only against a hang; never a performance bound */

/*
 * The head of the land-use rule files (pipeline_land_rules_yaml, test_match.c): group 征地拆迁,
 * exclude 招聘, and land-01 up to its expr (which each file gives).
 */
#define PIPELINE_LAND_RULE_HEAD                                                              \
    "group: 征地拆迁\n"                                                                     \
    "exclude: [招聘]\n"                                                                     \
    "rules:\n"                                                                              \
    "  - id: land-01\n"                                                                     \
    "    name: 征地拆迁补偿纠纷\n"                                                          \
    "    department: 市自然资源局\n"                                                        \
    "    level: III\n"

/* The land-use rule file of the rule tests: group 征地拆迁, exclude 招聘, land-01, land-02. */
extern const char pipeline_land_rules_yaml[];

/* The environment rule file of the rule tests: exclude 广告 and 彩票, env-01 (title scope). */
extern const char pipeline_env_rules_yaml[];

/*
 * A set as pushed before the term checks of 2026-12-06 (version 3): exclude 招聘 and " ",
 * places 安康 and U+3000, rules gas-01 (燃气 & 泄漏, local), w1 (燃气 & " ") and n1
 * (wifi & 断网 & !ＷＩＦＩ). Decoding it leaves out four entries (rule_set.skipped).
 */
extern const char pipeline_rules_pushed_before_checks_json[];

/*
 * Compile yaml (a rule file, NUL-terminated; file names it in messages) into a new rule set
 * (rule_set_free()); fails the test with the compiler's message when it does not compile.
 */
struct rule_set *pipeline_rules_compile(const char *file, const char *yaml);

/* Write text (NUL-terminated) to the file dir/name, or fail the test. */
void pipeline_write_file(const char *dir, const char *name, const char *text);

/*
 * Point descriptor fd at the file path until pipeline_redirect_end(): 0 (stdin) reads it,
 * 1 and 2 (stdout, stderr; flushed first) create or truncate it. Returns the saved descriptor.
 */
int pipeline_redirect_begin(int fd, const char *path);

/* Flush stdout and stderr, put the saved descriptor back as fd and close it. */
void pipeline_redirect_end(int fd, int saved);

/* Sleep ms milliseconds (pacing a stream; never a wait for a state). */
void pipeline_sleep_ms(int ms);

/* A mock cluster of one broker, held by its own handle. */
struct pipeline_cluster {
    rd_kafka_t *mock_rk;
    rd_kafka_mock_cluster_t *mc;
};

/* Start a cluster with topics yuqing.items and yuqing.alerts of partitions partitions each. */
void pipeline_cluster_start(struct pipeline_cluster *cl, int partitions);

/* Its bootstrap servers (NUL-terminated, owned by the cluster). */
const char *pipeline_cluster_bootstraps(const struct pipeline_cluster *cl);

void pipeline_cluster_stop(struct pipeline_cluster *cl);

/*
 * Load the matcher config from --set strings: kafka.bootstrap_servers=bootstrap,
 * redis.port=redis_port, matcher.rules_cache_path=cache (skipped when NULL),
 * matcher.metrics_port=0, then the n_sets extra sets (at most 8; later ones win).
 * Fails the test when the config does not load.
 */
void pipeline_cfg_load(struct matcher_cfg *cfg, const char *bootstrap, int redis_port,
                       const char *cache, const char *const *sets, size_t n_sets);

/*
 * A reader of the alerts topic in consumer group group (its config loaded into *rcfg;
 * release it with matcher_cfg_release() after the consumer).
 */
rd_kafka_t *pipeline_reader_new(const char *bootstrap, const char *group, struct matcher_cfg *rcfg);

/*
 * Compile yaml (a rule file, NUL-terminated) and push it to Redis as the current set;
 * attempts > 1 retries ERR_RETRY (a connection a Redis restart broke). Returns the version.
 */
int64_t pipeline_push_rules(struct yq_redis *r, const char *yaml, int attempts);

/* Produce an item (schema 1, source rss:s1, empty text) to topic with key id. */
void pipeline_produce_item(rd_kafka_t *p, const char *topic, const char *id, const char *url,
                           const char *title);

/* Produce payload (NUL-terminated) to topic without a key, as it is. */
void pipeline_produce_raw(rd_kafka_t *p, const char *topic, const char *payload);

/*
 * Read alerts until n arrived or timeout_ms passed: decoded into out[] (release each with
 * yq_alert_release()), their sizes in bytes into lens[] (may be NULL). Returns how many.
 */
int pipeline_read_alerts(rd_kafka_t *c, int n, int64_t timeout_ms, struct yq_alert *out,
                         size_t *lens);

/* The matcher loop on a thread of its own. */
struct pipeline_run {
    struct matcher *m;
    volatile sig_atomic_t stop;
    int rc;
    pthread_t th;
};

/* matcher_new(cfg) (borrowed until pipeline_run_stop()) and start its loop; returns the
 * metrics port (-1 when off). */
int pipeline_run_start(struct pipeline_run *run, const struct matcher_cfg *cfg);

/* Ask the loop to stop, join it, free the matcher; returns the loop's result. */
int pipeline_run_stop(struct pipeline_run *run);

/* Wait until the running matcher uses rules version v; true when it does (hang guard). */
bool pipeline_wait_version(struct matcher *m, int64_t v);

/*
 * Poll GET path on 127.0.0.1:port every 50 ms until its body contains each of the n needles;
 * the last status and body (len bytes) are left in *status and body. Fails the test after
 * hang_guard_ms.
 */
void pipeline_http_wait(int port, const char *path, const char *const *needles, size_t n,
                        int64_t hang_guard_ms, int *status, char *body, size_t len);

/*
 * The whole setting of most matcher tests: Redis, a cluster, the config (name makes the
 * cache path /tmp/yq-test-<name>-<pid>.json), a Redis handle, a producer of items and a
 * reader of alerts in group reader_group.
 */
struct pipeline_env {
    struct redis_fixture fx;
    struct pipeline_cluster cl;
    struct matcher_cfg cfg, rcfg;
    struct yq_redis *r;
    rd_kafka_t *p, *c;
    char cache[128];
};

/*
 * Start e with partitions partitions per topic and the n_sets extra sets (see
 * pipeline_cfg_load()). Returns false (nothing left running) when redis-server is absent:
 * the caller skips.
 */
bool pipeline_env_start(struct pipeline_env *e, const char *name, int partitions,
                        const char *const *sets, size_t n_sets, const char *reader_group);

/* Release all of e, unlink the cache file. */
void pipeline_env_stop(struct pipeline_env *e);

#endif
