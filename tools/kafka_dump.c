#include "kafka_dump.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "yq_cli.h"
#include "yq_log.h"
#include "yq_proc.h"
#include "yq_time.h"
#include "yq_banned.h"

static const char kafka_dump_usage[] =
    "usage: yuqingctl kafka-dump --bootstrap HOST:PORT --topic NAME [--timeout-ms N] [--values]\n";

/* Upper bound on partitions of one topic that the dump follows. */
#define KAFKA_DUMP_MAX_PARTITIONS 1024

struct dump_part {
    int32_t partition;
    int64_t end; /* high watermark when the dump started: read up to end - 1 */
    int done;
};

/* The options of kafka-dump (yq_cli rows). */
struct dump_opts {
    const char *bootstrap, *topic;
    struct yq_cli_long timeout_ms; /* default 120000 */
    bool values;
};

static rd_kafka_t *dump_consumer_new(const char *bootstrap, char *errbuf, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char group[64];
    rd_kafka_t *rk;

    /*
     * Partitions are assigned, not subscribed: no group join, nothing committed. librdkafka
     * still wants a group.id on a consumer handle; a unique one keeps it out of every real group.
     */
    snprintf(group, sizeof(group), "yuqingctl-dump-%ld-%lld", (long)getpid(),
             (long long)yq_time_mono_ms());
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errbuf, errlen) ||
        rd_kafka_conf_set(conf, "group.id", group, errbuf, errlen) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", errbuf, errlen) ||
        rd_kafka_conf_set(conf, "enable.partition.eof", "false", errbuf, errlen) ||
        rd_kafka_conf_set(conf, "fetch.wait.max.ms", "10", errbuf, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errbuf, errlen);
    if (!rk) {
        rd_kafka_conf_destroy(conf); /* rd_kafka_new() takes the conf only on success */
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    return rk;
}

/*
 * Find topic's partitions and their high watermarks, retrying until deadline_ms (monotonic)
 * while the broker is not answering yet. Fills parts[0..*n_out). Returns 0 or -1 (one line
 * in errbuf).
 */
static int dump_plan(rd_kafka_t *rk, const char *topic, int64_t deadline_ms,
                     struct dump_part *parts, int *n_out, char *errbuf, size_t errlen)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    int rc = -1;

    if (!rkt) {
        snprintf(errbuf, errlen, "cannot make a handle for topic '%s'", topic);
        return -1;
    }
    for (;;) {
        err = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
        if (!err && md->topic_cnt == 1 && !md->topics[0].err &&
            md->topics[0].partition_cnt > 0) {
            break;
        }
        if (!err) {
            err = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR_UNKNOWN;
            rd_kafka_metadata_destroy(md);
            md = NULL;
        }
        if (yq_proc_stop || yq_time_mono_ms() > deadline_ms) {
            snprintf(errbuf, errlen, "no metadata for topic '%s': %s", topic,
                     rd_kafka_err2str(err));
            goto done;
        }
        usleep(200 * 1000);
    }
    if (md->topics[0].partition_cnt > KAFKA_DUMP_MAX_PARTITIONS) {
        snprintf(errbuf, errlen, "topic '%s' has %d partitions, more than %d", topic,
                 md->topics[0].partition_cnt, KAFKA_DUMP_MAX_PARTITIONS);
        goto done;
    }
    *n_out = 0;
    for (int i = 0; i < md->topics[0].partition_cnt; i++) {
        int32_t p = md->topics[0].partitions[i].id;
        int64_t lo = 0, hi = 0;
        for (;;) {
            err = rd_kafka_query_watermark_offsets(rk, topic, p, &lo, &hi, 5000);
            if (!err) {
                break;
            }
            if (yq_proc_stop || yq_time_mono_ms() > deadline_ms) {
                snprintf(errbuf, errlen, "no watermarks for '%s' partition %d: %s", topic,
                         (int)p, rd_kafka_err2str(err));
                goto done;
            }
            usleep(200 * 1000);
        }
        parts[*n_out] = (struct dump_part){.partition = p, .end = hi, .done = hi <= lo};
        (*n_out)++;
    }
    rc = 0;
done:
    if (md) {
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_topic_destroy(rkt);
    return rc;
}

int kafka_dump_main(int argc, char **argv)
{
    static const struct yq_cli_opt table[] = {
        YQ_CLI_VALUE("--bootstrap", struct dump_opts, bootstrap),
        YQ_CLI_VALUE("--topic", struct dump_opts, topic),
        YQ_CLI_LONG("--timeout-ms", struct dump_opts, timeout_ms, 100, 3600000),
        YQ_CLI_FLAG("--values", struct dump_opts, values),
    };
    static struct dump_part parts[KAFKA_DUMP_MAX_PARTITIONS];
    struct dump_opts o = {.timeout_ms = {.v = 120000}};
    char errbuf[512] = "";
    int n_parts = 0, left = 0, rc;
    rd_kafka_topic_partition_list_t *assignment = NULL;
    rd_kafka_resp_err_t err;
    rd_kafka_t *rk;
    int64_t deadline_ms;

    rc = yq_cli_parse_cmd("yuqingctl kafka-dump", kafka_dump_usage, argc, argv, 1, table,
                          sizeof(table) / sizeof(table[0]), &o, NULL, 0);
    if (rc) {
        return rc == YQ_CLI_HELP ? 0 : YQ_CLI_EXIT_USAGE;
    }
    rc = 1;
    if (!o.bootstrap || !o.topic) {
        fputs(kafka_dump_usage, stderr);
        return 2;
    }
    rk = dump_consumer_new(o.bootstrap, errbuf, sizeof(errbuf));
    if (!rk) {
        LOG_ERR("kafka-dump cannot start: %s", errbuf);
        return 1;
    }
    deadline_ms = yq_time_mono_ms() + o.timeout_ms.v;
    if (dump_plan(rk, o.topic, deadline_ms, parts, &n_parts, errbuf, sizeof(errbuf))) {
        LOG_ERR("kafka-dump failed: %s", errbuf);
        goto done;
    }
    assignment = rd_kafka_topic_partition_list_new(n_parts > 0 ? n_parts : 1);
    for (int i = 0; i < n_parts; i++) {
        if (!parts[i].done) {
            rd_kafka_topic_partition_list_add(assignment, o.topic, parts[i].partition)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
            left++;
        }
    }
    err = rd_kafka_assign(rk, assignment);
    if (err) {
        LOG_ERR("kafka-dump cannot assign topic=%s: %s", o.topic, rd_kafka_err2str(err));
        goto done;
    }
    /* Read every partition up to the end it had when the dump started, then stop. */
    while (left > 0 && !yq_proc_stop) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) {
            if (yq_time_mono_ms() > deadline_ms) {
                LOG_ERR("kafka-dump timed out topic=%s partitions_unfinished=%d timeout_ms=%ld",
                        o.topic, left, o.timeout_ms.v);
                goto done;
            }
            continue;
        }
        if (m->err) {
            LOG_WARN("kafka-dump consume error: %s", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        for (int i = 0; i < n_parts; i++) {
            if (parts[i].partition != m->partition || parts[i].done) {
                continue;
            }
            if (m->offset < parts[i].end) {
                printf("%d %lld %.*s ", (int)m->partition, (long long)m->offset,
                       (int)m->key_len, m->key ? (const char *)m->key : "");
                if (o.values) {
                    printf("%.*s\n", (int)m->len, m->payload ? (const char *)m->payload : "");
                } else {
                    printf("%zu\n", m->len);
                }
            }
            if (m->offset >= parts[i].end - 1) {
                parts[i].done = 1;
                left--;
            }
        }
        rd_kafka_message_destroy(m);
    }
    rc = left == 0 ? 0 : 1;
done:
    fflush(stdout);
    if (assignment) {
        rd_kafka_topic_partition_list_destroy(assignment);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}
