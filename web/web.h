/*
 * The web UI and its JSON API (design §6, issue #6), as a request-dispatch seam for the
 * notifier's libmicrohttpd daemon: the daemon's access handler calls web_handle() for every
 * URL for which web_owns_url() is true, and its completion callback calls
 * web_request_completed(). The daemon must run one thread per connection
 * (MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD): /api/events streams
 * server-sent events and blocks its connection's thread between events.
 *
 * Routes (docs/web.md, docs/openapi.yaml):
 *   GET  /, /login, /ticket, /liaison, /sources, /rules, /admin, /password   pages (static)
 *   GET  /static/<file>                                  CSS, JS (compiled into the binary)
 *   POST /api/login  POST /api/logout  GET /api/me  POST /api/password
 *   GET  /api/tickets  GET /api/tickets/{number}  POST /api/tickets/{number}/{action}
 *   GET  /api/events (text/event-stream)
 *   GET  /api/departments  POST /api/departments  DELETE /api/departments/{name}
 *   GET  /api/users  POST /api/users  PATCH /api/users/{name}
 *   GET|POST /api/users/{name}/tokens  DELETE /api/tokens/{id}
 *   GET  /api/sources  GET /api/rules  POST /api/rules/test
 *   GET  /stats (page)  GET /api/stats/month  GET /api/stats/year   statistics (issue #7)
 *   GET  /static/stats/<file>                            the statistics charts (yq_stats assets)
 *
 * Authentication: a session cookie (yq_session: HttpOnly, SameSite=Strict, Secure when
 * web.cookie_secure) or "Authorization: Bearer yqt_..." (API tokens, machine clients).
 * Every state-changing call (any method but GET/HEAD) made with the cookie must carry the
 * session's CSRF token in the X-CSRF-Token header (403 otherwise). Logged out: 401.
 * Role and department checks run on the server for every call (web_auth.h). Every response
 * carries a Content-Security-Policy without inline scripts and the usual security headers;
 * JSON escapes <, > and & so no feed string can be sniffed as markup.
 */
#ifndef WEB_H
#define WEB_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"
#include "web_auth.h"
#include "yq_cfg.h"
#include "yq_redis.h"

struct web_cfg {
    bool enabled;              /* serve the UI and API (the notifier's choice; web_new ignores it) */
    bool cookie_secure;        /* add Secure to the session cookie (set behind HTTPS) */
    int64_t max_body_bytes;    /* larger request bodies get 413 (a declared one at once) */
    int64_t max_connections_per_ip; /* open connections of one client address; 0 = no cap */
    int64_t max_request_ms;    /* total time of one request (headers and body); 0 = no cap */
    int64_t max_header_ms;     /* time to the end of a request's headers; 0 = no cap */
    int64_t max_pending_headers; /* connections still sending headers, in all; 0 = no cap */
    int64_t max_tickets;       /* tickets per list response */
    int64_t sse_poll_ms;       /* how often an event stream looks for changes */
    int64_t sse_max_stream_ms; /* a stream ends after this; EventSource reconnects */
    int64_t sse_max_streams;   /* open event streams in all; more get 503 */
    int64_t sse_max_streams_per_user; /* open event streams of one user; more get 429 */
    int64_t sse_reserved_streams; /* of sse_max_streams, kept for duty officers and admins */
    bool sources_enabled;      /* read source health from Redis (web.redis) */
    bool rules_enabled;        /* read rule sets from Redis for the rules page */
    struct web_auth_cfg auth;
    struct yq_redis_cfg redis;
    /*
     * Not a config key: the working-day calendar the statistics use (the notifier's workcal,
     * wrapped by notifier/http_api.c), borrowed, must outlive the web; NULL = Monday..Friday.
     */
    const struct stats_calendar *calendar;
};

/* Keys of the "web:" section of notifier.yaml (sub-sections auth and redis). */
extern const struct cfg_key web_cfg_keys[];

/* Who performs a ticket action (passed to the ticket ops; borrowed). */
struct web_actor {
    const char *username;
    const char *role;       /* web_role_name() */
    const char *department; /* a liaison's department, else "" */
};

/* Filter of GET /api/tickets; NULL/"" fields do not filter. */
struct web_ticket_query {
    const char *state;      /* NULL: every state but closed and dismissed; "all"; or a state */
    const char *level;      /* "I".."IV" */
    const char *department; /* lead or co-handling department (forced for liaisons) */
    const char *source;     /* an item's source id, kind, kind label or display name (channel) */
    int64_t detected_from;  /* detected at or after (seconds, UTC); 0 = no bound */
    int64_t detected_until; /* detected before (seconds, UTC); 0 = no bound */
    size_t offset;          /* skip this many (paging) */
    size_t max;             /* at most this many */
};

/*
 * The ticket store as the web layer sees it, provided by the notifier. ctx is the ops_ctx
 * given to web_new(). Ops may be called from several threads at once (one per connection):
 * they serialise themselves. All JSON returned is new (the web layer decrefs it).
 *
 * Ticket JSON (summary): {"number","title","level":"I".."IV","department",
 *   "co_departments":[...],"state","item_count","source","channel","author","url","excerpt",
 *   "terms":[matched terms],"rules":[rule ids],"detected_at","updated_at",
 *   "clocks":[{"name":"ack"|"response"|"press"|"close"|...,"label":"签收时限",
 *              "deadline":RFC3339,"met_at":RFC3339|null}], "assignee"?}
 * Detail adds "items":[{"item_id","source","source_id","channel","url","title","author",
 *   "excerpt","published_at","rules","terms"}] and "log":[{"at","actor","action","note"}].
 */
struct web_ticket_ops {
    /* Tickets matching q, most urgent first. Returns 0, ERR_RETRY, ERR_IO or ERR_NOMEM. */
    int (*list)(void *ctx, const struct web_ticket_query *q, json_t **out);
    /* One ticket with items and log. Returns 0, ERR_NOT_FOUND, ERR_RETRY, ERR_IO, ERR_NOMEM. */
    int (*get)(void *ctx, const char *number, json_t **out);
    /*
     * Perform action ("assign", "set_level", "dismiss", "reopen", "ack", "respond", "return",
     * "close"; arguments in docs/web.md)
     * on number with args (the request body object, borrowed) as actor; role and department
     * were checked by the web layer. Returns 0, ERR_NOT_FOUND, ERR_INVALID (bad arguments)
     * or ERR_BAD_STATE (not allowed in the ticket's state), with a zh-CN reason in errbuf;
     * ERR_RETRY, ERR_IO, ERR_NOMEM.
     */
    int (*act)(void *ctx, const char *number, const char *action, const struct web_actor *actor,
               json_t *args, char *errbuf, size_t errlen);
    /*
     * A number that changes whenever any ticket changes (new ticket, item, transition).
     * NULL: the web layer reads max(id) of ticket_log (every change appends to it) on its own
     * connection. Returns 0 or ERR_IO/ERR_RETRY.
     */
    int (*change_marker)(void *ctx, int64_t *out);
    /*
     * Whether role (web_role_name()) may take action at all: the one action/role table, the
     * store's (ticket_action_role_may()). NULL: no action is allowed. A false answer gives
     * 403; the ticket's department is checked by the web layer per ticket.
     */
    bool (*role_may)(void *ctx, const char *action, const char *role);
    /*
     * Held items (issue #11; notifier/ticket_held.h): matched items that opened no ticket
     * because they are old or official, newest first, at most max; reason "old", "official"
     * or NULL (both); query NULL or text to find in title, excerpt, channel, author or URL.
     * out: a new JSON array of ticket_held_json() objects. NULL op: the web layer answers
     * with an empty list. Returns 0, ERR_RETRY, ERR_IO or ERR_NOMEM.
     */
    int (*list_held)(void *ctx, const char *reason, const char *query, size_t max,
                     json_t **out);
};

/* The ticket actions the UI offers (who may take them: web_ticket_ops.role_may). */
struct web_action_info {
    const char *name;  /* "ack" */
    const char *label; /* "签收" */
};
extern const struct web_action_info web_actions[];
extern const size_t web_n_actions;

struct web;

/*
 * Open the web layer's connection to the database at db_path (the ticket store's file; the
 * web_ tables are created there), and the Redis handle when enabled.
 * cfg: copied (strings are borrowed and must outlive the web). ops: borrowed, must outlive
 * the web; may be NULL (ticket routes answer 503). errbuf: one line on failure.
 * Returns a new web (web_free()) or NULL.
 */
struct web *web_new(const struct web_cfg *cfg, const char *db_path,
                    const struct web_ticket_ops *ops, void *ops_ctx, char *errbuf, size_t errlen);

/* The users/sessions store (borrowed from w), e.g. for tests and the CLI. */
struct web_auth *web_get_auth(struct web *w);

/*
 * libmicrohttpd's error log (MHD_OPTION_EXTERNAL_LOGGER; cls unused) for the daemon that
 * serves the web: one LOG_WARN line "libmicrohttpd: ...", except what a client that went away
 * makes it say (a closed tab's event stream: "closed by remote peer", "no longer available for
 * sending", "Closing connection (application error ...)"), which is the normal end of a
 * stream and is logged at DEBUG (issue #11). fmt/ap: printf-style, from libmicrohttpd.
 * Thread-safe.
 */
__attribute__((format(printf, 2, 0))) void web_mhd_log(void *cls, const char *fmt, va_list ap);

/* True when w serves url: "/", the page paths, "/static/..." and "/api/..." . */
bool web_owns_url(const char *url);

/*
 * The access handler for an owned URL, with the arguments libmicrohttpd passed to the
 * daemon's handler (same contract: called again for each upload chunk; *req_cls is the
 * web's per-request state, released by web_request_completed()).
 * Returns MHD_YES or MHD_NO as libmicrohttpd expects.
 */
enum MHD_Result web_handle(struct web *w, struct MHD_Connection *c, const char *url,
                           const char *method, const char *upload_data, size_t *upload_data_size,
                           void **req_cls);

/* Release the per-request state (call from MHD_OPTION_NOTIFY_COMPLETED). NULL: no-op. */
void web_request_completed(void *req_cls);

/* End every event stream within sse_poll_ms; call before MHD_stop_daemon(). */
void web_shutdown(struct web *w);

/*
 * The body of every 404 a person may see (an unknown page, an unknown /static/ file, a path
 * the notifier does not serve): Chinese first, the English code in brackets (issue #11).
 */
#define WEB_NOT_FOUND_TEXT "页面不存在。请从值班台 / 进入（404 not found）\n"

/* Items web_daemon_options() writes at most (the last is MHD_OPTION_END). */
#define WEB_DAEMON_OPTIONS_MAX 4

/*
 * The libmicrohttpd options that guard the daemon serving w against slow and greedy clients
 * (issue #10), for MHD_OPTION_ARRAY: out (WEB_DAEMON_OPTIONS_MAX items, caller storage) gets
 * MHD_OPTION_PER_IP_CONNECTION_LIMIT = web.max_connections_per_ip (more connections from one
 * address are refused at accept), and MHD_OPTION_NOTIFY_CONNECTION and
 * MHD_OPTION_URI_LOG_CALLBACK (the daemon must set neither itself; the latter leaves *req_cls
 * NULL), with which a watchdog thread started here closes any connection whose current
 * request, counted from its request line (or the connection's start), has taken longer than
 * web.max_request_ms in all, or whose headers are not complete web.max_header_ms after its
 * start (the connection's accept, or the previous request's end on a kept-alive connection:
 * an idle connection waits for headers too); event
 * streams are exempt. When a new connection makes more than web.max_pending_headers
 * connections that have not sent all their headers, the oldest of those is closed, so slow
 * clients from many addresses cannot take every one of http.connection_limit (issue #10).
 * Call once, before MHD_start_daemon(); stop the daemon before web_free(). The option values
 * are copied by libmicrohttpd; w must outlive the daemon.
 * Returns 0 or ERR_NOMEM (no thread: out holds the per-address cap only).
 */
int web_daemon_options(struct web *w, struct MHD_OptionItem *out);

/* Free w (after the daemon stopped). NULL is a no-op. */
void web_free(struct web *w);

/*
 * Compact JSON of v with "<", ">" and "&" written as \u003c, \u003e, \u0026 (so feed text
 * never appears as markup in a response). Returns a new string (free()) or NULL (ERR_NOMEM).
 */
char *web_json_dumps(const json_t *v);

/*
 * Write s escaped for HTML text and double- or single-quoted attribute values into out
 * (len bytes, always NUL-terminated when len > 0). Returns 0 or ERR_TOO_BIG (truncated).
 */
int web_html_escape(const char *s, char *out, size_t len);

/* True when url is an absolute http: or https: URL (the only links the UI makes). */
bool web_url_linkable(const char *url);

#endif
