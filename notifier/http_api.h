/*
 * The notifier's HTTP server (design §6, thin until issue #6): libmicrohttpd with its own
 * polling thread, a read-only SQLite connection of its own (WAL lets it read while the
 * consumer writes), a writable one for the ticket actions, and these routes:
 *
 *   GET /             HTML queue page (zh-CN, 舆情值班台): open tickets by response deadline
 *   GET /api/tickets  {"tickets":[{"number","title","level","department","state",
 *                     "event_key","item_count","detected_at","ack_deadline",
 *                     "response_deadline" (RFC 3339 UTC),"url","rules":[rule ids],
 *                     "items":[{"item_id","title","url","channel","published_at"}]}]}
 *   GET /api/tickets/{number}   one ticket with clocks, items, responses, log (ticket_api.h)
 *   POST /api/tickets/{number}/{assign|ack|respond|close|dismiss|return|reopen}
 *                     JSON body: {"actor": name, "role": role, ...arguments of ticket_api.h};
 *                     200/400/404/409/503 with {"ok":...}. No authentication here: issue #6
 *                     puts its login, roles and CSRF checks in front and supplies the actor.
 *   GET /healthz      "ok"
 *   GET /metrics      Prometheus text format 0.0.4
 *   anything else     404; other methods 405 with "Allow: GET, HEAD" (POST on action URLs)
 *
 * Every response carries Content-Security-Policy "default-src 'none'; style-src 'self'",
 * X-Content-Type-Options nosniff and Cache-Control no-store; all feed-derived text on the
 * page is HTML-escaped and only http(s) URLs become links.
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
    int64_t max_tickets;           /* tickets listed per page/response */
    int64_t max_items_per_ticket;  /* items listed per ticket in /api/tickets */
    int64_t connection_limit;      /* concurrent connections */
    int64_t connection_timeout_ms; /* idle connections are closed after this */
    int64_t max_body_bytes;        /* POST bodies above this get 413 */
    /* Not a config key: the web UI's settings (web.h), or NULL for the plain issue #2 page
     * and open JSON. When set, web_handle() serves every URL web_owns_url() claims. */
    const struct web_cfg *web;
};

/* Keys of the "http:" section of notifier.yaml. */
extern const struct cfg_key http_api_cfg_keys[];

struct http_api;

/*
 * Open a read-only connection to the ticket store described by store_cfg (the writer must
 * have created and migrated it; ":memory:" does not work here) and start the daemon.
 * cfg, store_cfg: borrowed; only read during the call.
 * policy:         borrowed; must outlive the server (actions use its clocks and routes; the
 *                 statistics page its working-day calendar);
 *                 may be NULL (defaults, no notifications).
 * metrics:        borrowed; must outlive the server; may be NULL (counters print as 0).
 * errbuf:         on failure one line (bad bind address, port in use, store not readable).
 * Returns a new server (stop and release with http_api_free()) or NULL.
 */
struct http_api *http_api_new(const struct http_api_cfg *cfg,
                              const struct ticket_store_cfg *store_cfg,
                              const struct ticket_policy *policy, struct notifier_metrics *metrics,
                              char *errbuf, size_t errlen);

/* The TCP port the server listens on (the real one when cfg->port was 0). */
unsigned http_api_port(const struct http_api *api);

/* Stop the daemon (waits for its thread), close the store connection, free. NULL: no-op. */
void http_api_free(struct http_api *api);

#endif
