/*
 * yq_test_produce: the integration tests' producer. Reads lines "TOPIC<TAB>PAYLOAD" from
 * stdin and produces each payload (as is, malformed ones too) to its topic through the
 * project's idempotent producer (yq_kafka.h), without a key; waits until every message is
 * delivered. Usage: yq_test_produce BOOTSTRAP. Exit 0 when all were delivered, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_kafka.h"
#include "yq_banned.h"

#define LINE_MAX_BYTES (1024 * 1024)

static int failed;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (msg->err) {
        failed++;
        fprintf(stderr, "yq_test_produce: delivery failed: %s\n", rd_kafka_err2str(msg->err));
    }
}

int main(int argc, char **argv)
{
    struct yq_kafka_cfg cfg = {0};
    char err[512] = "", *line = malloc(LINE_MAX_BYTES);
    rd_kafka_t *p;
    long n = 0;

    if (argc != 2 || !line) {
        fprintf(stderr, "usage: yq_test_produce BOOTSTRAP < lines of TOPIC<TAB>PAYLOAD\n");
        free(line);
        return 2;
    }
    cfg.bootstrap_servers = argv[1];
    p = yq_kafka_producer_new(&cfg, dr_cb, NULL, err, sizeof(err));
    if (!p) {
        fprintf(stderr, "yq_test_produce: %s\n", err);
        free(line);
        return 1;
    }
    while (fgets(line, LINE_MAX_BYTES, stdin)) {
        size_t len = strlen(line);
        char *tab = strchr(line, '\t');
        if (len > 0 && line[len - 1] == '\n') {
            line[--len] = '\0';
        }
        if (!tab) {
            continue;
        }
        *tab = '\0';
        while (rd_kafka_producev(p, RD_KAFKA_V_TOPIC(line),
                                 RD_KAFKA_V_VALUE(tab + 1, len - (size_t)(tab + 1 - line)),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                 RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(p, 100);
        }
        n++;
    }
    rd_kafka_flush(p, 60000);
    if (rd_kafka_outq_len(p) > 0) {
        failed++;
    }
    rd_kafka_destroy(p);
    free(line);
    fprintf(stderr, "yq_test_produce: %ld messages, %d failed\n", n, failed);
    return failed ? 1 : 0;
}
