/*
 * The archiver's loop against librdkafka's mock cluster with a store that fails on demand
 * (archiver_fixture.h): while the store fails nothing is committed and /healthz names the
 * store down; after the store recovers the held batch is stored once and its offsets
 * (highest + 1 per partition, malformed messages included) are committed; SIGTERM stores and
 * commits a partial batch; a missing archive stops the start naming `yuqingctl archive init`.
 * Waits are for states, with HANG_GUARD_MS against a hang only.
 */
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
#include "yq_kafka_mock.h"

#include "archiver_fixture.h"
#include "test_http.h"
#include "yq_kafka.h"
#include "yq_time.h"
#include "file_fixture.h"

#define HANG_GUARD_MS 60000 /* only against a hang; never a performance bound */
#define PARTITIONS 2

struct env {
    rd_kafka_t *mock_rk;
    rd_kafka_mock_cluster_t *mc;
    struct archiver_cfg cfg;
    rd_kafka_t *producer;
    rd_kafka_t *reader; /* in the archiver's group, never subscribed: reads committed offsets */
    char group[64];
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void env_start(struct env *e, const char *name, const char *const *extra, int n_extra)
{
    char err[512] = "", bs[256], grp[128];
    const char *sets[12];
    int n = 0;
    rd_kafka_conf_t *conf;

    memset(e, 0, sizeof(*e));
    e->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof(err));
    assert_non_null(e->mock_rk);
    e->mc = yq_kafka_mock_cluster_new(e->mock_rk, 1);
    assert_non_null(e->mc);
    assert_int_equal(rd_kafka_mock_topic_create(e->mc, "yuqing.items", PARTITIONS, 1), 0);
    assert_int_equal(rd_kafka_mock_topic_create(e->mc, "yuqing.alerts", PARTITIONS, 1), 0);
    snprintf(e->group, sizeof(e->group), "arch-%s-%d", name, (int)getpid());
    snprintf(bs, sizeof(bs), "kafka.bootstrap_servers=%s", rd_kafka_mock_cluster_bootstraps(e->mc));
    snprintf(grp, sizeof(grp), "kafka.group_id=%s", e->group);
    sets[n++] = bs;
    sets[n++] = grp;
    sets[n++] = "archive.dir=/nonexistent/yq-test-archive";
    sets[n++] = "archive.metrics_port=0";
    sets[n++] = "archive.poll_timeout_ms=20";
    sets[n++] = "archive.retry_backoff_ms=20";
    for (int i = 0; i < n_extra; i++) {
        sets[n++] = extra[i];
    }
    assert_int_equal(archiver_cfg_load(NULL, sets, n, &e->cfg, err, sizeof(err)), 0);
    e->producer = yq_kafka_producer_new(&e->cfg.kafka, NULL, NULL, err, sizeof(err));
    assert_non_null(e->producer);
    conf = yq_kafka_base_conf(&e->cfg.kafka, NULL, err, sizeof(err));
    assert_non_null(conf);
    assert_int_equal(rd_kafka_conf_set(conf, "group.id", e->group, err, sizeof(err)), 0);
    e->reader = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
    assert_non_null(e->reader);
}

static void env_stop(struct env *e)
{
    rd_kafka_destroy(e->reader);
    rd_kafka_destroy(e->producer);
    archiver_cfg_release(&e->cfg);
    rd_kafka_mock_cluster_destroy(e->mc);
    rd_kafka_destroy(e->mock_rk);
}

static void produce(struct env *e, const char *topic, int32_t partition, const char *payload,
                    size_t len)
{
    assert_int_equal(rd_kafka_producev(e->producer, RD_KAFKA_V_TOPIC(topic),
                                       RD_KAFKA_V_PARTITION(partition),
                                       RD_KAFKA_V_VALUE((void *)payload, len),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                     0);
}

static void produce_item(struct env *e, int32_t partition, const char *id)
{
    char json[1024];
    size_t len = fix_item_json(json, sizeof(json), id, "旬阳市一小区停水三天");
    produce(e, "yuqing.items", partition, json, len);
}

static void produce_alert(struct env *e, int32_t partition, const char *id, const char *rule)
{
    size_t len = 0;
    char *json = fix_alert_json(id, rule, "ev-land", &len);
    produce(e, "yuqing.alerts", partition, json, len);
    free(json);
}

/* The group's committed offset of topic/partition; -1 when none. */
static int64_t committed(struct env *e, const char *topic, int32_t partition)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    int64_t off = -1;

    rd_kafka_topic_partition_list_add(l, topic, partition);
    if (rd_kafka_committed(e->reader, l, 5000) == 0 && !l->elems[0].err &&
        l->elems[0].offset >= 0) {
        off = l->elems[0].offset;
    }
    rd_kafka_topic_partition_list_destroy(l);
    return off;
}

/* Committed offsets of both partitions of topic added up (a missing one counts 0). */
static int64_t committed_sum(struct env *e, const char *topic)
{
    int64_t sum = 0;
    for (int32_t p = 0; p < PARTITIONS; p++) {
        int64_t o = committed(e, topic, p);
        sum += o > 0 ? o : 0;
    }
    return sum;
}

struct run {
    struct archiver *a;
    volatile sig_atomic_t stop;
    int rc;
    pthread_t th;
};

static void *run_main(void *arg)
{
    struct run *r = arg;
    r->rc = archiver_run(r->a, &r->stop);
    return NULL;
}

static void run_start(struct run *r, const struct env *e, const struct archiver_store *st)
{
    char err[512] = "";

    memset(r, 0, sizeof(*r));
    r->a = archiver_new(&e->cfg, st, err, sizeof(err));
    if (!r->a) {
        fail_msg("archiver_new: %s", err);
    }
    assert_int_equal(pthread_create(&r->th, NULL, run_main, r), 0);
}

static int run_stop(struct run *r)
{
    r->stop = 1;
    assert_int_equal(pthread_join(r->th, NULL), 0);
    archiver_free(r->a);
    return r->rc;
}

/* Wait (hang guard) until pred(arg) holds; fails the test with what. */
#define WAIT_FOR(what, cond)                                                                       \
    do {                                                                                           \
        int64_t deadline_ = yq_time_mono_ms() + HANG_GUARD_MS;                                     \
        while (!(cond)) {                                                                          \
            if (yq_time_mono_ms() > deadline_) {                                                   \
                fail_msg("timed out waiting for %s", what);                                        \
            }                                                                                      \
            sleep_ms(20);                                                                          \
        }                                                                                          \
    } while (0)

/* Wait until GET /healthz of the archiver answers status with needle in its body. */
static void wait_health(struct archiver *a, int want_status, const char *needle)
{
    static char body[4096];
    int status = 0, port = archiver_metrics_port(a);

    assert_true(port > 0);
    WAIT_FOR(needle, test_http_get(port, "/healthz", &status, body, sizeof(body)) == 0 &&
                         status == want_status && strstr(body, needle));
}

static void failed_store_commits_nothing_until_retry_succeeds(void **state)
{
    static const char *extra[] = {"archive.batch_size=100", "archive.batch_wait_ms=50"};
    struct env e;
    struct fix_store fs;
    struct archiver_store st;
    struct archiver_counts c;
    struct run r;
    static char body[16384];
    int status = 0;

    (void)state;
    env_start(&e, "fail", extra, 2);
    fix_store_init(&fs, &st);
    atomic_store(&fs.fail_rc, ERR_IO);
    produce_item(&e, 0, "rss:i1");
    produce_item(&e, 0, "rss:i2");
    produce(&e, "yuqing.items", 0, "{not json", 9); /* malformed: skipped, offset 2 committed */
    produce_item(&e, 0, "rss:i3");
    produce_item(&e, 1, "rss:i4");
    produce_item(&e, 1, "rss:i5");
    produce_item(&e, 1, "rss:i5"); /* a duplicate (re-poll): stored once */
    produce_alert(&e, 0, "rss:i1", "land-01");
    produce_alert(&e, 1, "rss:i4", "land-02");
    assert_int_equal(rd_kafka_flush(e.producer, HANG_GUARD_MS), 0);

    run_start(&r, &e, &st);
    WAIT_FOR("three failed stores", ({
                 pthread_mutex_lock(&fs.lock);
                 int n_ = fs.puts_failed;
                 pthread_mutex_unlock(&fs.lock);
                 n_ >= 3;
             }));
    wait_health(r.a, 503, "\"store\":\"down\"");
    assert_int_equal(test_http_get(archiver_metrics_port(r.a), "/metrics", &status, body,
                                   sizeof(body)),
                     0);
    assert_non_null(strstr(body, "yuqing_archiver_store_retrying 1"));
    assert_non_null(strstr(body, "yuqing_archiver_dependency_up{dependency=\"store\"} 0"));
    /* nothing committed while the store fails */
    for (int32_t p = 0; p < PARTITIONS; p++) {
        assert_int_equal(committed(&e, "yuqing.items", p), -1);
        assert_int_equal(committed(&e, "yuqing.alerts", p), -1);
    }
    archiver_counts_get(r.a, &c);
    assert_int_equal(c.batches, 0);
    assert_int_equal(fix_store_n_ids(&fs), 0);

    /* the store recovers: the held batch is stored and committed */
    atomic_store(&fs.fail_rc, 0);
    WAIT_FOR("items committed", committed(&e, "yuqing.items", 0) == 4 &&
                                    committed(&e, "yuqing.items", 1) == 3);
    WAIT_FOR("alerts committed", committed_sum(&e, "yuqing.alerts") == 2);
    assert_int_equal(committed(&e, "yuqing.alerts", 0), 1);
    assert_int_equal(committed(&e, "yuqing.alerts", 1), 1);
    assert_int_equal(fix_store_n_ids(&fs), 5);
    pthread_mutex_lock(&fs.lock);
    for (size_t i = 0; i < fs.n_ids; i++) {
        /* the duplicate rss:i5 was delivered twice, every other id once */
        assert_int_equal(fs.id_count[i], strcmp(fs.ids[i], "rss:i5") == 0 ? 2 : 1);
    }
    assert_int_equal(fs.n_matches, 2);
    pthread_mutex_unlock(&fs.lock);
    archiver_counts_get(r.a, &c);
    assert_int_equal(c.messages[ARCHIVER_ITEMS], 7);
    assert_int_equal(c.messages[ARCHIVER_ALERTS], 2);
    assert_int_equal(c.malformed[ARCHIVER_ITEMS], 1);
    assert_int_equal(c.malformed[ARCHIVER_ALERTS], 0);
    assert_int_equal(c.items_new, 5);
    assert_int_equal(c.items_dup, 1);
    assert_int_equal(c.matches_new, 2);
    assert_true(c.store_errors >= 3);
    assert_true(c.prunes >= 1); /* retention runs at start */
    wait_health(r.a, 200, "\"store\":\"up\"");
    assert_int_equal(run_stop(&r), 0);
    env_stop(&e);
}

static void sigterm_stores_and_commits_the_partial_batch(void **state)
{
    /* a batch that would wait ten minutes: only the stop stores it */
    static const char *extra[] = {"archive.batch_size=100", "archive.batch_wait_ms=600000"};
    struct env e;
    struct fix_store fs;
    struct archiver_store st;
    struct archiver_counts c;
    struct run r;

    (void)state;
    env_start(&e, "term", extra, 2);
    fix_store_init(&fs, &st);
    produce_item(&e, 0, "rss:t1");
    produce_item(&e, 1, "rss:t2");
    produce_item(&e, 1, "rss:t3");
    assert_int_equal(rd_kafka_flush(e.producer, HANG_GUARD_MS), 0);
    run_start(&r, &e, &st);
    WAIT_FOR("three messages consumed", (archiver_counts_get(r.a, &c), c.messages[0] == 3));
    assert_int_equal(fix_store_n_ids(&fs), 0);
    assert_int_equal(committed_sum(&e, "yuqing.items"), 0);
    assert_int_equal(run_stop(&r), 0);
    assert_int_equal(fix_store_n_ids(&fs), 3);
    assert_int_equal(committed(&e, "yuqing.items", 0), 1);
    assert_int_equal(committed(&e, "yuqing.items", 1), 2);
    env_stop(&e);
}

static void sigterm_with_a_dead_store_commits_nothing(void **state)
{
    static const char *extra[] = {"archive.batch_size=2", "archive.batch_wait_ms=10",
                                  "archive.stop_timeout_ms=100"};
    struct env e;
    struct fix_store fs;
    struct archiver_store st;
    struct run r;

    (void)state;
    env_start(&e, "dead", extra, 3);
    fix_store_init(&fs, &st);
    atomic_store(&fs.fail_rc, ERR_RETRY);
    produce_item(&e, 0, "rss:d1");
    produce_item(&e, 0, "rss:d2");
    produce_item(&e, 0, "rss:d3");
    assert_int_equal(rd_kafka_flush(e.producer, HANG_GUARD_MS), 0);
    run_start(&r, &e, &st);
    WAIT_FOR("a failed store", ({
                 pthread_mutex_lock(&fs.lock);
                 int n_ = fs.puts_failed;
                 pthread_mutex_unlock(&fs.lock);
                 n_ >= 1;
             }));
    assert_int_equal(run_stop(&r), 0); /* exits 0; the batch is re-delivered at the next start */
    assert_int_equal(committed(&e, "yuqing.items", 0), -1);
    assert_int_equal(fix_store_n_ids(&fs), 0);
    env_stop(&e);
}

static void idle_store_check_feeds_healthz(void **state)
{
    struct env e;
    struct fix_store fs;
    struct archiver_store st;
    struct run r;

    (void)state;
    env_start(&e, "check", NULL, 0);
    fix_store_init(&fs, &st);
    run_start(&r, &e, &st);
    wait_health(r.a, 200, "\"store\":\"up\"");
    atomic_store(&fs.check_rc, ERR_IO); /* e.g. the archive directory went away */
    wait_health(r.a, 503, "\"store\":\"down\"");
    atomic_store(&fs.check_rc, 0);
    wait_health(r.a, 200, "\"store\":\"up\"");
    assert_int_equal(run_stop(&r), 0);
    env_stop(&e);
}

/* The production store's check: the archive's marker file. */
static void archive_dir_removed_shows_on_healthz(void **state)
{
    struct env e;
    struct run r;
    char dir[96], set[160], err[512] = "";
    const char *extra[1] = {set};

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/yq-test-archiver-check-%d", (int)getpid());
    snprintf(set, sizeof(set), "archive.dir=%s", dir);
    assert_int_equal(archive_init(dir, err, sizeof(err)), 0);
    env_start(&e, "marker", extra, 1);
    run_start(&r, &e, NULL);
    wait_health(r.a, 200, "\"store\":\"up\"");
    assert_int_equal(file_fixture_remove_dir(dir), 0);
    wait_health(r.a, 503, "\"store\":\"down\"");
    assert_int_equal(run_stop(&r), 0);
    assert_int_equal(access(dir, F_OK), -1); /* not recreated */
    env_stop(&e);
}

static void missing_archive_stops_the_start(void **state)
{
    const char *sets[] = {"archive.dir=/nonexistent/yq-test-archive", "archive.metrics_address="};
    struct archiver_cfg cfg;
    char err[512] = "";

    (void)state;
    assert_int_equal(archiver_cfg_load(NULL, sets, 2, &cfg, err, sizeof(err)), 0);
    assert_null(archiver_new(&cfg, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "run yuqingctl archive init /nonexistent/yq-test-archive"));
    assert_int_equal(access("/nonexistent/yq-test-archive", F_OK), -1); /* not created */
    archiver_cfg_release(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(failed_store_commits_nothing_until_retry_succeeds),
        cmocka_unit_test(sigterm_stores_and_commits_the_partial_batch),
        cmocka_unit_test(sigterm_with_a_dead_store_commits_nothing),
        cmocka_unit_test(idle_store_check_feeds_healthz),
        cmocka_unit_test(archive_dir_removed_shows_on_healthz),
        cmocka_unit_test(missing_archive_stops_the_start),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
