/*
 * The connection guard of the daemon that serves the web (issue #10, slow and greedy clients;
 * web_guard.c). web_daemon_options() is public (the notifier's HTTP server calls it); the
 * web_conn_*() calls are the web layer's own: web.c and web_events.c tell the guard where a
 * connection's request stands.
 */
#ifndef WEB_GUARD_H
#define WEB_GUARD_H

#include <microhttpd.h>

struct web;

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


/* c serves an event stream: the total-time guard leaves it alone. */
void web_conn_exempt(struct web *w, struct MHD_Connection *c);

/* c's current request has all its headers: the header deadline and cap no longer apply. */
void web_conn_headers_done(struct web *w, struct MHD_Connection *c);

/*
 * c's request ended (from web_request_completed(), in c's thread): a kept-alive connection
 * now waits for its next request's headers, under the header deadline and cap again.
 */
void web_conn_request_done(struct web *w, struct MHD_Connection *c);

/* Stop the watchdog and free the connection records (after MHD_stop_daemon). */
void web_guard_stop(struct web *w);

#endif
