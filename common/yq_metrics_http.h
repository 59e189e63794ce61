/*
 * The monitoring endpoint every stage without a web UI serves (collector, matcher):
 * GET /metrics (Prometheus text format 0.0.4) and GET /healthz (the JSON of yq_health.h,
 * naming each dependency), over libmicrohttpd with its own polling thread.
 *
 * The process's loop renders both documents and publishes copies here under a mutex;
 * requests are answered from the last published copies, so the HTTP thread never touches
 * the loop's state. A few connections (16 in all, 8 per client address), each for at most
 * 10 s, 32 KiB of memory each, no request bodies: a monitoring endpoint, not a web server.
 * libmicrohttpd's own error log is off so that nothing bypasses the project's logger.
 */
#ifndef YQ_METRICS_HTTP_H
#define YQ_METRICS_HTTP_H

#include <stddef.h>

struct yq_metrics_http;

/*
 * Listen on address (IPv4 dotted quad, NUL-terminated, borrowed) and port (0 = any free
 * port). Until the first publish, /healthz answers 503 {"status":"starting","dependencies":{}}
 * and /metrics an empty text. Returns a new server (yq_metrics_http_stop()) or NULL with one
 * line in errbuf (bad address or port, port in use, out of memory).
 */
struct yq_metrics_http *yq_metrics_http_start(const char *address, int port, char *errbuf,
                                              size_t errlen);

/* The TCP port actually bound (useful with port 0). h borrowed. */
int yq_metrics_http_port(const struct yq_metrics_http *h);

/*
 * Replace the /metrics text with len bytes of text (copied; need not be NUL-terminated).
 * Returns 0 or ERR_NOMEM (the previous text stays). Thread-safe against requests.
 */
int yq_metrics_http_publish_metrics(struct yq_metrics_http *h, const char *text, size_t len);

/*
 * Replace the /healthz answer: http_status (200 when every dependency is up, 503 otherwise)
 * and len bytes of JSON (copied; yq_health_json() shape). Returns 0 or ERR_NOMEM (the
 * previous answer stays). Thread-safe against requests.
 */
int yq_metrics_http_publish_health(struct yq_metrics_http *h, unsigned http_status,
                                   const char *json, size_t len);

/* Stop the thread (waits for requests in progress) and free everything. NULL is a no-op. */
void yq_metrics_http_stop(struct yq_metrics_http *h);

#endif
