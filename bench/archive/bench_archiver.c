/*
 * bench_archiver [N] [BATCH]: the archiver end to end (issue #14: >= 5,000 items/s into the
 * embedded store): N synthetic items (archive_bench_item_uniform(), one in five with an alert) are put
 * on librdkafka's mock cluster (in this process) first; then yuqing-archiver's loop
 * (archiver_run() on a thread, batches of BATCH, default 500) consumes, stores and commits them
 * into a fresh archive, timed from its start until every item is stored. The peer is the same
 * items put straight into another fresh archive with archive_bench_fill() (batches of 500, no
 * Kafka): the ratio says what consuming, decoding and committing cost on top of the store.
 * Prints one line per run. Not a test: nothing here asserts a rate.
 */
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include "yq_kafka_mock.h"

#include "archive_bench_fill.h"
#include "archiver.h"
#include "yq_err.h"
#include "yq_kafka.h"
#include "yq_log.h"
#include "yq_time.h"

#define START_S 1764000000 /* 2025-11-24: 30 days of items from here */
#define DAYS 30
#define SEED 7
#define PARTITIONS 16
#define MAX_ITEMS 60000 /* about 3 MB of items per partition: within the mock cluster's 5 MB */
#define STALL_MS 60000  /* no item stored for this long: the run is reported as failed */

struct run {
    struct archiver *a;
    volatile sig_atomic_t stop;
    int rc;
};

static void *run_main(void *arg)
{
    struct run *r = arg;
    r->rc = archiver_run(r->a, &r->stop);
    return NULL;
}

static void die(const char *what, const char *err)
{
    fprintf(stderr, "bench_archiver: %s: %s\n", what, err);
    exit(1);
}

/* Produce item i (and its alert, for one in five) to the mock cluster. */
static void produce(rd_kafka_t *p, size_t i)
{
    struct yq_item item;
    char *json = NULL;
    size_t len = 0;

    if (archive_bench_item_uniform(SEED, i, START_S, DAYS, &item) != 0 ||
        yq_item_encode(&item, &json, &len) != 0) {
        die("item", "out of memory");
    }
    while (rd_kafka_producev(p, RD_KAFKA_V_TOPIC("yuqing.items"), RD_KAFKA_V_VALUE(json, len),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE), RD_KAFKA_V_END) ==
           RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(p, 10);
    }
    if (i % 5 == 0) {
        struct yq_alert_match m = {.rule_id = (char *)"bench-land", .name = (char *)"征地",
                                   .group = (char *)"征地拆迁",
                                   .department = (char *)"市自然资源局", .level = YQ_LEVEL_III};
        struct yq_alert al = {.event_key = (char *)"ev:bench", .rules_version = 1,
                              .matched_at = START_S, .level = YQ_LEVEL_III,
                              .department = (char *)"市自然资源局", .n_matches = 1,
                              .matches = &m, .item = item};
        if (yq_alert_encode(&al, &json, &len) != 0) {
            die("alert", "out of memory");
        }
        while (rd_kafka_producev(p, RD_KAFKA_V_TOPIC("yuqing.alerts"),
                                 RD_KAFKA_V_VALUE(json, len),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE), RD_KAFKA_V_END) ==
               RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(p, 10);
        }
    }
    yq_item_release(&item);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 50000;
    long batch = argc > 2 ? strtol(argv[2], NULL, 10) : 500;
    char err[512] = "", dir1[64], dir2[64], bs[256], bsz[64], cmd[160];
    const char *sets[6];
    struct archiver_cfg cfg;
    struct archiver_counts c;
    struct archive *direct = NULL;
    struct run r = {0};
    pthread_t th;
    rd_kafka_t *mock_rk, *p;
    rd_kafka_mock_cluster_t *mc;
    int64_t t0, t_arch, t_direct;

    yq_log_init("bench_archiver", YQ_LOG_WARN);
    if (n == 0 || n > MAX_ITEMS || batch < 1) {
        fprintf(stderr, "usage: bench_archiver [N (1..%d)] [BATCH]\n", MAX_ITEMS);
        return 2;
    }
    snprintf(dir1, sizeof(dir1), "/tmp/yq-bench-archiver-%d-a", (int)getpid());
    snprintf(dir2, sizeof(dir2), "/tmp/yq-bench-archiver-%d-b", (int)getpid());
    if (archive_init(dir1, err, sizeof(err)) || archive_init(dir2, err, sizeof(err))) {
        die("archive_init", err);
    }
    mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof(err));
    mc = mock_rk ? yq_kafka_mock_cluster_new(mock_rk, 1) : NULL;
    /* the mock cluster keeps about 5 MB per partition: enough partitions for N items */
    if (!mc || rd_kafka_mock_topic_create(mc, "yuqing.items", PARTITIONS, 1) ||
        rd_kafka_mock_topic_create(mc, "yuqing.alerts", PARTITIONS, 1)) {
        die("mock cluster", err);
    }
    snprintf(bs, sizeof(bs), "kafka.bootstrap_servers=%s", rd_kafka_mock_cluster_bootstraps(mc));
    snprintf(bsz, sizeof(bsz), "archive.batch_size=%ld", batch);
    snprintf(cmd, sizeof(cmd), "archive.dir=%s", dir1);
    sets[0] = bs;
    sets[1] = bsz;
    sets[2] = cmd;
    sets[3] = "archive.metrics_address=";
    sets[4] = "archive.batch_wait_ms=100";
    sets[5] = "archive.poll_timeout_ms=10";
    if (archiver_cfg_load(NULL, sets, 6, &cfg, err, sizeof(err))) {
        die("config", err);
    }
    p = yq_kafka_producer_new(&cfg.kafka, NULL, NULL, err, sizeof(err));
    if (!p) {
        die("producer", err);
    }
    for (size_t i = 0; i < n; i++) {
        produce(p, i);
    }
    if (rd_kafka_flush(p, 600000) != 0) {
        die("produce", "not flushed");
    }
    rd_kafka_destroy(p);

    r.a = archiver_new(&cfg, NULL, err, sizeof(err));
    if (!r.a) {
        die("archiver_new", err);
    }
    t0 = yq_time_mono_ms();
    pthread_create(&th, NULL, run_main, &r);
    {
        uint64_t last = 0;
        int64_t last_ms = t0;
        do {
            struct timespec ts = {0, 10 * 1000000L};
            nanosleep(&ts, NULL);
            archiver_counts_get(r.a, &c);
            if (c.items_new != last) {
                last = c.items_new;
                last_ms = yq_time_mono_ms();
            } else if (yq_time_mono_ms() - last_ms > STALL_MS) {
                fprintf(stderr, "bench_archiver: stalled at %" PRIu64 " of %zu items\n", last, n);
                return 1;
            }
        } while (c.items_new < n);
    }
    t_arch = yq_time_mono_ms() - t0;
    r.stop = 1;
    pthread_join(th, NULL);
    archiver_free(r.a);

    if (archive_open(dir2, NULL, &direct, err, sizeof(err))) {
        die("archive_open", err);
    }
    t0 = yq_time_mono_ms();
    if (archive_bench_fill(direct, n, START_S, DAYS, SEED, err, sizeof(err))) {
        die("archive_bench_fill", err);
    }
    t_direct = yq_time_mono_ms() - t0;
    archive_close(direct);

    printf("archiver: %zu items (+%zu alerts) in %" PRId64 " ms = %.0f items/s (batch %ld); "
           "archive_put direct: %" PRId64 " ms = %.0f items/s; archiver/direct = %.2f\n",
           n, (n + 4) / 5, t_arch, n * 1000.0 / (double)(t_arch ? t_arch : 1), batch, t_direct,
           n * 1000.0 / (double)(t_direct ? t_direct : 1),
           (double)t_direct / (double)(t_arch ? t_arch : 1));
    archiver_cfg_release(&cfg);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(mock_rk);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir1, dir2);
    return system(cmd) == 0 ? 0 : 1;
}
