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

static const char kafka_dev_usage[] =
    "usage: yuqingctl kafka-dev [--brokers N] [--partitions N] [--bootstrap-file PATH]\n"
    "                           [--topic NAME]...\n"
    "Starts librdkafka's mock Kafka cluster on 127.0.0.1 (demo and tests only), creates the\n"
    "topics (default yuqing.items, yuqing.alerts and yuqing.sources), prints the bootstrap\n"
    "servers and runs until SIGINT or SIGTERM.\n";

/* The options of kafka-dev (yq_cli rows). */
struct kafka_dev_opts {
    struct yq_cli_long brokers;    /* default 1 */
    struct yq_cli_long partitions; /* default 4 */
    const char *bootstrap_file;
    struct yq_cli_list topics; /* none given: the default topics */
};

int kafka_dev_main(int argc, char **argv)
{
    static const struct yq_cli_opt table[] = {
        YQ_CLI_LONG("--brokers", struct kafka_dev_opts, brokers, 1, 9),
        YQ_CLI_LONG("--partitions", struct kafka_dev_opts, partitions, 1, 256),
        YQ_CLI_VALUE("--bootstrap-file", struct kafka_dev_opts, bootstrap_file),
        YQ_CLI_LIST("--topic", struct kafka_dev_opts, topics),
    };
    static const char *const default_topics[] = {
        "yuqing.items", "yuqing.alerts", "yuqing.sources", /* blind windows (issue #15) */
    };
    struct kafka_dev_opts o = {.brokers = {.v = 1}, .partitions = {.v = 4}};
    const char *const *topics = o.topics.v;
    size_t n_topics;
    char errstr[512];
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_t *rk = NULL;
    rd_kafka_mock_cluster_t *mc = NULL;
    int rc = yq_cli_parse_cmd("yuqingctl kafka-dev", kafka_dev_usage, argc, argv, 1, table,
                              sizeof(table) / sizeof(table[0]), &o, NULL, 0);

    if (rc) {
        return rc == YQ_CLI_HELP ? 0 : YQ_CLI_EXIT_USAGE;
    }
    rc = 1;
    n_topics = o.topics.n;
    if (n_topics == 0) {
        topics = default_topics;
        n_topics = sizeof(default_topics) / sizeof(default_topics[0]);
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
    mc = yq_kafka_mock_cluster_new(rk, (int)o.brokers.v);
    if (!mc) {
        LOG_ERR("kafka-dev cannot start the mock cluster brokers=%ld", o.brokers.v);
        goto done;
    }
    for (size_t i = 0; i < n_topics; i++) {
        rd_kafka_resp_err_t kerr =
            rd_kafka_mock_topic_create(mc, topics[i], (int)o.partitions.v, (int)o.brokers.v);
        if (kerr) {
            LOG_ERR("kafka-dev cannot create topic='%s' err=%s", topics[i],
                    rd_kafka_err2str(kerr));
            goto done;
        }
    }
    const char *bootstraps = rd_kafka_mock_cluster_bootstraps(mc);
    if (o.bootstrap_file) {
        char line[1024];
        int n = snprintf(line, sizeof(line), "%s\n", bootstraps);
        if (n < 0 || (size_t)n >= sizeof(line) ||
            yq_fs_write_file_atomic(o.bootstrap_file, line, (size_t)n) != 0) {
            LOG_ERR("kafka-dev cannot write bootstrap file path='%s'", o.bootstrap_file);
            goto done;
        }
    }
    printf("bootstrap.servers=%s\n", bootstraps);
    fflush(stdout);
    LOG_INFO("mock kafka cluster up bootstrap=%s brokers=%ld partitions=%ld topics=%zu", bootstraps,
             o.brokers.v, o.partitions.v, n_topics);

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
