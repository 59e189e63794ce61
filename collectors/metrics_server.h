/*
 * GET /metrics (Prometheus text format 0.0.4) and GET /healthz (JSON naming every dependency,
 * yq_health.h) for the collector over libmicrohttpd with its own polling thread. The event loop renders the text and publishes a copy here (under a
 * mutex); requests are answered from the last published copy, so the HTTP thread never
 * touches the poller's state.
 */
#ifndef YQ_METRICS_SERVER_H
#define YQ_METRICS_SERVER_H

#include <stddef.h>

struct metrics_server;

/*
 * Listen on address (IPv4 dotted quad, borrowed) and port (0 = any free port).
 * Returns a new server (metrics_server_stop()) or NULL with one line in errbuf (bad address,
 * port in use, out of memory).
 */
struct metrics_server *metrics_server_start(const char *address, int port, char *errbuf,
                                            size_t errlen);

/* The port actually bound (useful with port 0). */
int metrics_server_port(const struct metrics_server *m);

/* Replace the served text with len bytes of text (copied). Returns 0 or ERR_NOMEM. */
int metrics_server_publish(struct metrics_server *m, const char *text, size_t len);

/*
 * Replace the GET /healthz answer: http_status (200 or 503) and len bytes of JSON (copied;
 * yq_health_json() shape). Until the first call /healthz answers 503 "starting".
 * Returns 0 or ERR_NOMEM. Thread-safe.
 */
int metrics_server_publish_health(struct metrics_server *m, unsigned http_status,
                                  const char *json, size_t len);

/* Stop the thread and free everything. NULL is a no-op. */
void metrics_server_stop(struct metrics_server *m);

#endif
