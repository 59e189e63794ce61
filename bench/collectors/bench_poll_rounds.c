/*
 * Polling measurement (issue #10: moved out of test_collector_http, which now asserts
 * behaviour on a virtual clock): N feed sources on ten loopback hosts, each with the same
 * interval, polled for some seconds of real time against a local libmicrohttpd server, the
 * librdkafka mock cluster and a redis-server the caller started. Prints cycles started and
 * finished, the expected cycles (every source once per interval), and the worst and mean
 * delay between a source being due and its start.
 *
 * Usage: bench_poll_rounds --redis-port PORT [--sources N] [--interval-ms MS] [--seconds S]
 *                          [--max-per-host N] [--max-parallel N]
 * (bench/collectors/run_poll_bench.sh starts redis-server and runs it.)
 */
#include <curl/curl.h>
#include <librdkafka/rdkafka.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "yq_buf.h"
#include "collector_cfg.h"
#include "collector_fixture.h"
#include "item_producer.h"
#include "poller.h"
#include "store.h"
#include "yq_log.h"
#include "yq_proc.h"

static enum MHD_Result answer(struct MHD_Connection *c, const char *url, void *arg)
{
    char body[512];
    int n;

    (void)arg;
    n = snprintf(body, sizeof(body),
                 "<rss version=\"2.0\"><channel><title>s</title><item><guid>bench%s</guid>"
                 "<title>t</title></item></channel></rss>",
                 url);
    return cfx_reply(c, 200, body, (size_t)n, "application/rss+xml", NULL);
}

static void *stopper(void *arg)
{
    sleep((unsigned)*(int *)arg);
    yq_proc_stop = 1;
    return NULL;
}

static long opt(int argc, char **argv, const char *name, long def)
{
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], name) == 0) {
            return strtol(argv[i + 1], NULL, 10);
        }
    }
    return def;
}

int main(int argc, char **argv)
{
    long redis_port = opt(argc, argv, "--redis-port", 0);
    long n = opt(argc, argv, "--sources", 1000), interval = opt(argc, argv, "--interval-ms", 2000);
    int secs = (int)opt(argc, argv, "--seconds", 5);
    long per_host = opt(argc, argv, "--max-per-host", 4), parallel = opt(argc, argv, "--max-parallel", 64);
    char err[512] = "", bootstraps[256];
    struct cfx_http http = {0};
    rd_kafka_t *mock;
    struct yq_buf b;
    struct collector_config cfg;
    struct store *st;
    struct item_producer *prod;
    struct poller *p;
    const struct poller_stats *s;
    pthread_t t;

    if (redis_port <= 0 || n <= 0 || interval <= 0 || secs <= 0) {
        fprintf(stderr, "usage: %s --redis-port PORT [--sources N] [--interval-ms MS] "
                        "[--seconds S] [--max-per-host N] [--max-parallel N]\n", argv[0]);
        return 2;
    }
    yq_log_init("bench-poll", YQ_LOG_WARN);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (cfx_http_start(&http, answer, NULL, 4000) != 0) {
        fprintf(stderr, "cannot start the HTTP server\n");
        return 1;
    }
    mock = cfx_kafka_mock(bootstraps, sizeof(bootstraps), err, sizeof(err));
    if (!mock) {
        fprintf(stderr, "mock cluster: %s\n", err);
        return 1;
    }
    yq_buf_init(&b, 1 << 26);
    yq_buf_addf(&b,
              "kafka:\n  bootstrap_servers: %s\n  flush_timeout_ms: 10s\nredis:\n  port: %ld\n"
              "collector:\n  metrics_address: \"\"\n  spool_path: \"\"\n  max_per_host: %ld\n"
              "  max_parallel: %ld\nsources:\n",
              bootstraps, redis_port, per_host, parallel);
    for (long i = 0; i < n; i++) {
        yq_buf_addf(&b, "  - id: s%ld\n    url: http://127.0.0.%ld:%d/f%ld.xml\n    interval: %ld\n",
                  i, 1 + i % 10, http.port, i, interval);
    }
    if (collector_config_load(&cfg, "bench.yaml", b.data, b.len, err, sizeof(err)) != 0) {
        fprintf(stderr, "config: %s\n", err);
        return 1;
    }
    yq_buf_release(&b);
    st = store_new(&cfg.redis, cfg.collector.redis_retry_ms);
    prod = st ? item_producer_new(&cfg.kafka, st, NULL, err, sizeof(err)) : NULL;
    p = prod ? poller_new(&cfg, st, prod, NULL, err, sizeof(err)) : NULL;
    if (!p) {
        fprintf(stderr, "start: %s\n", err);
        return 1;
    }
    pthread_create(&t, NULL, stopper, &secs);
    poller_run(p, false, NULL);
    pthread_join(t, NULL);
    s = poller_get_stats(p);
    printf("sources=%ld interval_ms=%ld seconds=%d max_per_host=%ld max_parallel=%ld\n", n,
           interval, secs, per_host, parallel);
    printf("cycles_started=%lld cycles_finished=%lld expected=%lld requests=%lld\n",
           (long long)s->cycles, (long long)s->polls,
           (long long)(n * ((secs * 1000 + interval - 1) / interval)), (long long)s->requests);
    printf("start_delay_max_ms=%lld start_delay_mean_ms=%lld\n", (long long)s->lag_max_ms,
           (long long)(s->cycles ? s->lag_sum_ms / s->cycles : 0));
    item_producer_free(prod);
    poller_free(p);
    store_free(st);
    collector_config_release(&cfg);
    rd_kafka_destroy(mock);
    cfx_http_stop(&http);
    curl_global_cleanup();
    return 0;
}
