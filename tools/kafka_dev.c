#include "kafka_dev.h"

#include <librdkafka/rdkafka.h>
#include "yq_kafka_mock.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "yq_cli.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_log.h"
#include "yq_proc.h"
#include "yq_banned.h"

#define KAFKA_DEV_MAX_TOPICS 16

static const char kafka_dev_usage[] =
    "usage: yuqingctl kafka-dev [--brokers N] [--partitions N] [--bootstrap-file PATH]\n"
    "                           [--topic NAME]...\n"
    "Starts librdkafka's mock Kafka cluster on 127.0.0.1 (demo and tests only), creates the\n"
    "topics (default yuqing.items, yuqing.alerts and yuqing.sources), prints the bootstrap\n"
    "servers and runs until SIGINT or SIGTERM.\n";

int kafka_dev_main(int argc, char **argv)
{
    const char *topics[KAFKA_DEV_MAX_TOPICS];
    const char *bootstrap_file = NULL;
    long brokers = 1, partitions = 4;
    int n_topics = 0;
    char errstr[512];
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_t *rk = NULL;
    rd_kafka_mock_cluster_t *mc = NULL;
    int rc = 1;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = (i + 1 < argc) ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(kafka_dev_usage, stdout);
            return 0;
        }
        if (!v) {
            fprintf(stderr, "kafka-dev: '%s' needs a value or is unknown\n%s", a,
                    kafka_dev_usage);
            return 2;
        }
        i++;
        if (strcmp(a, "--brokers") == 0) {
            if (yq_cli_parse_long(v, 1, 9, &brokers)) {
                fprintf(stderr, "kafka-dev: --brokers must be 1..9\n");
                return 2;
            }
        } else if (strcmp(a, "--partitions") == 0) {
            if (yq_cli_parse_long(v, 1, 256, &partitions)) {
                fprintf(stderr, "kafka-dev: --partitions must be 1..256\n");
                return 2;
            }
        } else if (strcmp(a, "--bootstrap-file") == 0) {
            bootstrap_file = v;
        } else if (strcmp(a, "--topic") == 0) {
            if (n_topics >= KAFKA_DEV_MAX_TOPICS) {
                fprintf(stderr, "kafka-dev: at most %d topics\n", KAFKA_DEV_MAX_TOPICS);
                return 2;
            }
            topics[n_topics++] = v;
        } else {
            fprintf(stderr, "kafka-dev: unknown option '%s'\n%s", a, kafka_dev_usage);
            return 2;
        }
    }
    if (n_topics == 0) {
        topics[n_topics++] = "yuqing.items";
        topics[n_topics++] = "yuqing.alerts";
        topics[n_topics++] = "yuqing.sources"; /* blind windows (issue #15) */
    }

    /* the mock cluster lives inside a client instance; a producer handle is the lightest */
    conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "client.id", "yuqing-kafka-dev", errstr, sizeof(errstr))) {
        LOG_ERR("kafka-dev config failed: %s", errstr);
        goto done;
    }
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (!rk) {
        LOG_ERR("kafka-dev cannot create client: %s", errstr);
        goto done;
    }
    conf = NULL; /* owned by rk */
    mc = yq_kafka_mock_cluster_new(rk, (int)brokers);
    if (!mc) {
        LOG_ERR("kafka-dev cannot start the mock cluster brokers=%ld", brokers);
        goto done;
    }
    for (int i = 0; i < n_topics; i++) {
        rd_kafka_resp_err_t kerr =
            rd_kafka_mock_topic_create(mc, topics[i], (int)partitions, (int)brokers);
        if (kerr) {
            LOG_ERR("kafka-dev cannot create topic='%s' err=%s", topics[i],
                    rd_kafka_err2str(kerr));
            goto done;
        }
    }
    const char *bootstraps = rd_kafka_mock_cluster_bootstraps(mc);
    if (bootstrap_file) {
        char line[1024];
        int n = snprintf(line, sizeof(line), "%s\n", bootstraps);
        if (n < 0 || (size_t)n >= sizeof(line) ||
            yq_fs_write_file_atomic(bootstrap_file, line, (size_t)n) != 0) {
            LOG_ERR("kafka-dev cannot write bootstrap file path='%s'", bootstrap_file);
            goto done;
        }
    }
    printf("bootstrap.servers=%s\n", bootstraps);
    fflush(stdout);
    LOG_INFO("mock kafka cluster up bootstrap=%s brokers=%ld partitions=%ld topics=%d",
             bootstraps, brokers, partitions, n_topics);

    while (!yq_proc_stop) {
        rd_kafka_poll(rk, 200);
    }
    LOG_INFO("mock kafka cluster stopping");
    rc = 0;
done:
    if (mc) {
        rd_kafka_mock_cluster_destroy(mc);
    }
    if (rk) {
        rd_kafka_destroy(rk);
    }
    if (conf) {
        rd_kafka_conf_destroy(conf);
    }
    return rc;
}
