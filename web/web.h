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

#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "web_auth.h"
#include "web_guard.h"
#include "web_text.h"
#include "web_types.h"
#include "yq_cfg.h"

/* Keys of the "web:" section of notifier.yaml (sub-sections auth and redis). */
extern const struct cfg_key web_cfg_keys[];

struct web;

/*
 * Open the web layer's connection to the database at db_path (the ticket store's file; the
 * web_ tables are created there), and the Redis handle when enabled.
 * cfg: copied with its strings (the caller may release it after the call). ops: borrowed, must
 * outlive the web; may be NULL (ticket routes answer 503). errbuf: one line on failure. Returns a
 * new web (web_free()) or NULL.
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

/*
 * True when w serves the request target url (the access handler's argument): "/", the page
 * paths, "/static/..." and "/api/...", in the origin form or as the path of the absolute form
 * "http://host[:port]/path" (yq_metrics_http_target()); and every target that function
 * refuses, which web_handle() answers 400 bad_target.
 */
bool web_owns_url(const char *url);

/*
 * The access handler for an owned URL, with the arguments libmicrohttpd passed to the
 * daemon's handler (same contract: called again for each upload chunk; *req_cls is the
 * web's per-request state, released by web_request_completed()). A request without exactly
 * one Host header (HTTP/1.0: at most one; yq_metrics_http_host_ok()) is answered 400
 * bad_host; a target yq_metrics_http_target() refuses 400 bad_target; a host the web does not
 * serve 421 unknown_host (web_host_allowed() of the absolute form's authority, else of Host).
 * Returns MHD_YES or MHD_NO as libmicrohttpd expects.
 */
enum MHD_Result web_handle(struct web *w, struct MHD_Connection *c, const char *url,
                           const char *method, const char *version, const char *upload_data,
                           size_t *upload_data_size, void **req_cls);

/* Release the per-request state (call from MHD_OPTION_NOTIFY_COMPLETED). NULL: no-op. */
void web_request_completed(void *req_cls);

/* End every event stream within sse_poll_ms; call before MHD_stop_daemon(). */
void web_shutdown(struct web *w);

/*
 * The body of every 404 a person may see (an unknown page, an unknown /static/ file, a path
 * the notifier does not serve): Chinese first, the English code in brackets (issue #11).
 */
#define WEB_NOT_FOUND_TEXT "页面不存在。请从值班台 / 进入（404 not found）\n"

/* Free w (after the daemon stopped). NULL is a no-op. */
void web_free(struct web *w);

/*
 * Live updates from every notifier sharing a PostgreSQL store (issue #16; web_events.c):
 * web_events_changed() wakes every event stream of the process to re-read the change marker
 * (the notifier's change feed calls it for each NOTIFY yuqing_changes); web_events_feed_live()
 * says whether such calls arrive (true: streams read the marker only when woken, and every
 * 5 s; false, the start-up state: every web.sse_poll_ms, as without a feed). Thread-safe,
 * process-wide (every struct web).
 */
void web_events_changed(void);
void web_events_feed_live(bool live);

#endif
