/*
 * The notifier's HTTP server (design §6): libmicrohttpd with its own polling thread, a
 * read-only SQLite connection of its own (WAL lets it read while the consumer writes) and a
 * writable one for the web UI's ticket actions. Routes:
 *
 *   (web UI)          every URL web_owns_url() claims when http.web is set (web.h): the
 *                     queue, ticket pages and /api/... behind login, roles and CSRF checks
 *   GET /healthz      200 {"status":"ok","dependencies":{"kafka":"up","store":"up"}} when
 *                     every dependency is up, else 503 with "status":"down" and the failing
 *                     one "down" (issue #10). Store: answers a read now and its last write
 *                     committed; Kafka: the consumer's state (notifier_metrics.h). Without
 *                     metrics only "store" is listed.
 *   GET /metrics      Prometheus text format 0.0.4: counters, yuqing_notifier_store_up,
 *                     yuqing_notifier_dependency_up{dependency="kafka"|"store"},
 *                     yuqing_notifier_open_tickets
 *   anything else     404 (issue #10 removed the issue #2 page "/" and the open JSON API
 *                     /api/tickets whose POST took actor and role from the body); other
 *                     methods on /healthz and /metrics 405 with "Allow: GET, HEAD"
 *
 * Every response carries Content-Security-Policy "default-src 'none'; style-src 'self'",
 * X-Content-Type-Options nosniff and Cache-Control no-store.
 */
#ifndef NOTIFIER_HTTP_API_H
#define NOTIFIER_HTTP_API_H

#include <stddef.h>
#include <stdint.h>

#include "notifier_metrics.h"
#include "ticket_store.h"
#include "web.h"
#include "yq_cfg.h"

struct http_api_cfg {
    char *bind_address;            /* IPv4 or IPv6 literal; default 127.0.0.1 */
    int64_t port;                  /* 0 = an ephemeral port (see http_api_port()) */
    int64_t max_tickets;           /* unused since issue #10 (kept: existing configs set it) */
    int64_t max_items_per_ticket;  /* items listed per ticket by the web UI's API */
    int64_t connection_limit;      /* concurrent connections */
    int64_t connection_timeout_ms; /* idle connections are closed after this */
    int64_t max_body_bytes;        /* unused (web.max_body_bytes bounds bodies) */
    /* Not a config key: the web UI's settings (web.h), or NULL for /healthz and /metrics
     * only. When set, web_handle() serves every URL web_owns_url() claims. */
    const struct web_cfg *web;
};

/* Keys of the "http:" section of notifier.yaml. */
extern const struct cfg_key http_api_cfg_keys[];

struct http_api;
struct yq_buf;

/*
 * Open a read-only and a writable connection to the existing ticket store described by
 * store_cfg (created by ticket_store_init(); ":memory:" does not work here) and start the
 * daemon.
 * cfg, store_cfg: borrowed; only read during the call.
 * policy:         borrowed; must outlive the server (actions use its clocks and routes; the
 *                 statistics page its working-day calendar);
 *                 may be NULL (defaults, no notifications).
 * metrics:        borrowed; must outlive the server; may be NULL (counters print as 0, and
 *                 /healthz lists only the store). Initialise with notifier_metrics_init().
 * errbuf:         on failure one line (bad bind address, port in use, store missing or not
 *                 readable).
 * Returns a new server (stop and release with http_api_free()) or NULL.
 */
struct http_api *http_api_new(const struct http_api_cfg *cfg,
                              const struct ticket_store_cfg *store_cfg,
                              const struct ticket_policy *policy, struct notifier_metrics *metrics,
                              char *errbuf, size_t errlen);

/* The TCP port the server listens on (the real one when cfg->port was 0). */
unsigned http_api_port(const struct http_api *api);

/*
 * The most a /healthz or /metrics body may take (bytes): a dozen counters, the dependency
 * gauges and the open-ticket count come to about 3 KiB; a body that would grow past this is
 * a bug, answered 500 instead of sent cut.
 */
#define HTTP_API_MONITOR_MAX_BYTES (64 * 1024)

/*
 * Append the Prometheus text of GET /metrics (counters of api's metrics, store and dependency
 * gauges, open tickets) to out (caller storage; its max_len bounds it). api borrowed.
 * Returns 0, ERR_TOO_BIG (out's maximum reached; out holds a prefix, not to be sent) or
 * ERR_NOMEM. Thread-safe (takes the store lock).
 */
int http_api_metrics_text(struct http_api *api, struct yq_buf *out);

/* Stop the daemon (waits for its thread), close the store connection, free. NULL: no-op. */
void http_api_free(struct http_api *api);

#endif
