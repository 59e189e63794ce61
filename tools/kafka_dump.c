#include "kafka_dump.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "yq_kafka.h"
#include "yq_log.h"
#include "yq_proc.h"
#include "yq_time.h"
#include "yq_banned.h"

static const char kafka_dump_usage[] =
    "usage: yuqingctl kafka-dump --bootstrap HOST:PORT --topic NAME [--idle-ms N] [--values]\n";

int kafka_dump_main(int argc, char **argv)
{
    struct yq_kafka_cfg cfg = {0};
    const char *topic = NULL;
    char group[64], errbuf[512];
    long idle_ms = 3000;
    int values = 0, rc = 1;
    rd_kafka_t *rk;

    cfg.fetch_wait_max_ms = 10;
    cfg.session_timeout_ms = 10000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = (i + 1 < argc) ? argv[i + 1] : NULL;
        if (strcmp(a, "--values") == 0) {
            values = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0) {
            fputs(kafka_dump_usage, stdout);
            return 0;
        }
        if (!v) {
            fprintf(stderr, "kafka-dump: '%s' needs a value or is unknown\n%s", a,
                    kafka_dump_usage);
            return 2;
        }
        i++;
        if (strcmp(a, "--bootstrap") == 0) {
            cfg.bootstrap_servers = (char *)v;
        } else if (strcmp(a, "--topic") == 0) {
            topic = v;
        } else if (strcmp(a, "--idle-ms") == 0) {
            char *end;
            errno = 0;
            idle_ms = strtol(v, &end, 10);
            if (errno || *end || idle_ms < 100 || idle_ms > 600000) {
                fprintf(stderr, "kafka-dump: --idle-ms must be 100..600000\n");
                return 2;
            }
        } else {
            fprintf(stderr, "kafka-dump: unknown option '%s'\n%s", a, kafka_dump_usage);
            return 2;
        }
    }
    if (!cfg.bootstrap_servers || !topic) {
        fputs(kafka_dump_usage, stderr);
        return 2;
    }
    snprintf(group, sizeof(group), "yuqingctl-dump-%ld-%lld", (long)getpid(),
             (long long)yq_time_mono_ms());
    cfg.group_id = group;
    rk = yq_kafka_consumer_new(&cfg, topic, errbuf, sizeof(errbuf));
    if (!rk) {
        LOG_ERR("kafka-dump cannot start: %s", errbuf);
        return 1;
    }
    int64_t last = yq_time_mono_ms();
    int got_any = 0;
    while (!yq_proc_stop) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m) {
            /* before the first message, also allow for the group join (a few seconds) */
            if (yq_time_mono_ms() - last > idle_ms + (got_any ? 0 : 5000)) {
                break;
            }
            continue;
        }
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                LOG_WARN("kafka-dump consume error: %s", rd_kafka_message_errstr(m));
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        got_any = 1;
        last = yq_time_mono_ms();
        printf("%d %lld %.*s ", (int)m->partition, (long long)m->offset, (int)m->key_len,
               m->key ? (const char *)m->key : "");
        if (values) {
            printf("%.*s\n", (int)m->len, m->payload ? (const char *)m->payload : "");
        } else {
            printf("%zu\n", m->len);
        }
        rd_kafka_message_destroy(m);
    }
    fflush(stdout);
    rc = 0;
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return rc;
}
