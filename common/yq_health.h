/*
 * Health that names its dependencies (issue #10), shared by every process's /healthz and
 * /metrics: one JSON shape and one metric name pattern, and a Kafka reachability probe.
 *
 *   GET /healthz  200 {"status":"ok","dependencies":{"kafka":"up","redis":"up"}}
 *                 503 {"status":"down","dependencies":{"kafka":"down","redis":"up"}}
 *   yuqing_<process>_dependency_up{dependency="kafka"} 0|1
 *
 * A dependency whose state is not known yet ("unknown", e.g. before the first Kafka probe
 * answered) is reported as such and is not healthy (503, metric 0).
 */
#ifndef YQ_HEALTH_H
#define YQ_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "yq_kafka.h"

struct yq_buf;

enum yq_dep_state {
    YQ_DEP_UNKNOWN = -1,
    YQ_DEP_DOWN = 0,
    YQ_DEP_UP = 1,
};

struct yq_dep {
    const char *name;        /* "kafka", "redis", "store": a JSON key and label value */
    enum yq_dep_state state;
};

/* "up", "down" or "unknown". */
const char *yq_dep_state_name(enum yq_dep_state st);

/*
 * Write the /healthz JSON of n deps (borrowed; names are plain lower-case words, not
 * escaped) into out (outlen bytes, NUL-terminated on return).
 * Returns the HTTP status to answer: 200 when every dependency is up, else 503; or
 * ERR_TOO_BIG when outlen is too small (out then holds a truncated text).
 */
int yq_health_json(const struct yq_dep *deps, size_t n, char *out, size_t outlen);

/*
 * Append the Prometheus family yuqing_<process>_dependency_up to b (borrowed) through the
 * common writer (yq_metrics_http.h): HELP, TYPE and one sample per dependency labelled
 * dependency="<name>" (1 up, 0 down or unknown). process: e.g. "collector" (NUL-terminated,
 * at most 64 bytes). Returns 0, ERR_INVALID (process too long), ERR_TOO_BIG (b's maximum
 * reached) or ERR_NOMEM; after an error b holds a partial document the caller drops.
 */
int yq_health_metrics(struct yq_buf *b, const char *process, const struct yq_dep *deps,
                      size_t n);

/*
 * How Kafka's state is known: a probe thread with its own small client asks the cluster for
 * its broker list (a Metadata request, rd_kafka_metadata()) every every_ms (timeout the same,
 * at most 5 s). Up when the last request was answered, down when it failed or timed out, or
 * when librdkafka reported all brokers down (error callback) since. Unknown until the first
 * answer. cfg: bootstrap servers (borrowed; copied into the client's conf).
 * Returns a new probe (yq_kafka_probe_stop()) or NULL with one line in errbuf.
 */
struct yq_kafka_probe;
struct yq_kafka_probe *yq_kafka_probe_start(const struct yq_kafka_cfg *cfg, int64_t every_ms,
                                            char *errbuf, size_t errlen);

/* The last known state; thread-safe (an atomic read). */
enum yq_dep_state yq_kafka_probe_state(const struct yq_kafka_probe *p);

/* Adapter for callbacks taking a void *: arg is a struct yq_kafka_probe *. Returns the state. */
int yq_kafka_probe_state_cb(void *arg);

/* Stop the thread (within one probe timeout) and free the probe. NULL is a no-op. */
void yq_kafka_probe_stop(struct yq_kafka_probe *p);

struct yq_metrics_http;
struct yq_metrics_http_cfg;

/*
 * The monitoring endpoint every stage starts the same way: when metrics->address is not empty,
 * GET /metrics and /healthz on metrics->address:port (common/yq_metrics_http.h; port 0 = any, the
 * one taken is logged) and a Kafka probe of kafka every probe_every_ms for /healthz; with an
 * empty address neither (both outputs NULL, 0 returned). metrics, kafka: borrowed.
 * *http, *probe: new (yq_metrics_http_stop(), yq_kafka_probe_stop()), or NULL. On failure
 * nothing is left running. Returns 0 or ERR_IO (the port is in use, the address is bad),
 * ERR_NOMEM, with one line in errbuf.
 */
int yq_health_endpoint_start(const struct yq_metrics_http_cfg *metrics,
                             const struct yq_kafka_cfg *kafka, int64_t probe_every_ms,
                             struct yq_metrics_http **http, struct yq_kafka_probe **probe,
                             char *errbuf, size_t errlen);

#endif
