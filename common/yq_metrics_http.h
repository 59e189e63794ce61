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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "yq_cfg.h"

struct MHD_Connection;
struct MHD_Daemon;
struct MHD_Response;
struct sockaddr_in;
struct yq_buf;
struct yq_metrics_http;

/* Where a process serves its endpoint (config keys metrics_address, metrics_port). */
struct yq_metrics_http_cfg {
    char *address; /* listen address; "" = no endpoint */
    int64_t port;  /* 0 = any free port (logged) */
};

/*
 * The endpoint's config keys, one group for every process that serves it: the rows of a
 * cfg_key table over struct yq_metrics_http_cfg with the process's default port (a string;
 * processes on one host differ). A process declares its table once,
 *   static const struct cfg_key metrics_keys[] = YQ_METRICS_HTTP_CFG_KEYS("9102");
 * and includes it in its section with a row
 *   CFG_GROUP_KEY("metrics", metrics, "...", metrics_keys),
 * so the YAML keys stay "metrics_address" and "metrics_port" beside the section's others.
 */
/* clang-format off */
#define YQ_METRICS_HTTP_CFG_KEYS(default_port)                                                     \
    {                                                                                              \
        {"metrics_address", CFG_STRING, "127.0.0.1", 0, 0,                                         \
         offsetof(struct yq_metrics_http_cfg, address),                                            \
         "listen address of GET /metrics and /healthz; empty = no endpoint", NULL},                \
        {"metrics_port", CFG_INT, default_port, 0, 65535,                                          \
         offsetof(struct yq_metrics_http_cfg, port),                                               \
         "port of GET /metrics and /healthz; 0 = any free port (logged)", NULL},                   \
        {NULL, 0, NULL, 0, 0, 0, NULL, NULL},                                                      \
    }
/* clang-format on */

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
 * The two steps every libmicrohttpd server of the project shares (this endpoint, and any
 * other that listens on one IPv4 address):
 * yq_metrics_http_listen_addr() fills out (caller storage) with address (dotted quad,
 * NUL-terminated, borrowed; NULL is refused) and port (0 = any free port) for
 * MHD_OPTION_SOCK_ADDR; returns 0 or ERR_INVALID (bad address, port outside 0..65535).
 * yq_metrics_http_bound_port() is the TCP port daemon (borrowed, started) listens on, or
 * asked when libmicrohttpd cannot tell.
 */
int yq_metrics_http_listen_addr(const char *address, int port, struct sockaddr_in *out);
int yq_metrics_http_bound_port(struct MHD_Daemon *daemon, int asked);

/*
 * The one set of security headers every reply of the project's own HTTP servers carries
 * (the web layer's web_reply.c, the notifier's /healthz, /metrics and error texts in
 * http_api.c): Content-Security-Policy csp (NUL-terminated, borrowed: each server states what
 * its documents may load), X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer,
 * X-Frame-Options: DENY, Cross-Origin-Opener-Policy and Cross-Origin-Resource-Policy:
 * same-origin. r: borrowed. Returns 0 or ERR_NOMEM (libmicrohttpd refused a header).
 */
int yq_metrics_http_security_headers(struct MHD_Response *r, const char *csp);

/*
 * Whether the request on c (borrowed, headers complete) of HTTP version version (the access
 * handler's argument, "HTTP/1.1") names its host as RFC 9112 section 3.2 requires: exactly one
 * Host header field on HTTP/1.1, at most one on HTTP/1.0 (which has none to send). A false
 * answer is a malformed request, for every URL (/healthz and /metrics too): the server
 * answers 400. libmicrohttpd 0.9.75's MHD_OPTION_STRICT_FOR_CLIENT refuses a missing Host only
 * (with a body of its own, and spaces in URLs as well); this is the one check of every server.
 */
bool yq_metrics_http_host_ok(struct MHD_Connection *c, const char *version);

/* Bytes of an authority yq_metrics_http_target() keeps: a 253-byte host name or a bracketed
 * IPv6 address, then ":" and a port of up to 5 digits. */
#define YQ_HTTP_AUTHORITY_MAX 263

/* A request target as every server of the project routes it (yq_metrics_http_target()). */
struct yq_http_target {
    const char *path; /* what to route: "/..." (borrowed from url) or a static "/" or "*" */
    char authority[YQ_HTTP_AUTHORITY_MAX + 1]; /* absolute form: "host[:port]"; else "" */
};

/*
 * The one reading of a request target (RFC 9112 section 3.2) for every server of the project
 * (this endpoint, the notifier's /healthz and /metrics, the web UI). url: the access handler's
 * argument (libmicrohttpd has cut the query off and percent-decoded the rest; NUL-terminated,
 * borrowed: out->path may point into it). Forms:
 *   origin form "/path":                      path = url, authority "";
 *   absolute form "http://host[:port][/path]" (scheme without case; RFC 9112 3.2.2: a server
 *     MUST accept it): authority = "host[:port]", path = what follows it, "/" when nothing does;
 *   asterisk form "*":                        path = "*" (only OPTIONS may use it; routes 404).
 * Refused with ERR_PARSE and *why (may be NULL) a static reason for the log: any scheme but http
 * (https too: these servers speak plain HTTP), userinfo ("http://user@host/", RFC 9110 4.2.4),
 * an empty host, a host of other than letters, digits, '-', '.', '_' and '~' that is not a
 * bracketed IPv6 address, a port that is not 1..5 digits up to 65535, anything else (a target
 * not starting with '/' or a scheme). Thread-safe (no state).
 */
int yq_metrics_http_target(const char *url, struct yq_http_target *out, const char **why);

/* The plain-text body of a 400 for a request without exactly one Host header (HTTP/1.1). */
#define YQ_HTTP_BAD_HOST_TEXT "bad request: one Host header required\n"

/*
 * The plain-text body of a 400 for a target yq_metrics_http_target() refused, naming why
 * (its static reason, may be NULL): "bad request target: scheme is not http\n". The stages'
 * /healthz and /metrics and the notifier's (without the web UI) answer it. buf: len bytes
 * (96 hold every reason), NUL-terminated on return. Returns the text's length in bytes (cut to
 * len - 1). Thread-safe.
 */
size_t yq_metrics_http_bad_target_text(const char *why, char *buf, size_t len);

/*
 * The host the request on c (borrowed) names, for every purpose (routing, the DNS-rebinding
 * check, the Origin comparison): t's authority when the target had the absolute form (RFC 9112
 * 3.2.2: the Host header is then ignored, though HTTP/1.1 still requires one:
 * yq_metrics_http_host_ok()), else the Host header's value, or NULL when there is none.
 * Borrowed from t or from libmicrohttpd (valid while the request is).
 */
const char *yq_metrics_http_request_host(struct MHD_Connection *c, const struct yq_http_target *t);

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

/*
 * The one writer of the Prometheus text format (exposition format 0.0.4) every process uses
 * to build its /metrics document on a bounded buffer (common/yq_buf.h). Each function
 * appends to b (borrowed) and returns 0, ERR_TOO_BIG (b's maximum reached) or ERR_NOMEM;
 * after an error b holds a partial document that the caller drops. Names, types and label
 * names are NUL-terminated and written as given (the caller passes valid metric names);
 * help texts and label values are escaped as the format requires. Thread-safe for distinct b.
 */

/* One label of a sample: name="value" (both NUL-terminated, borrowed). */
struct yq_metrics_http_label {
    const char *name;
    const char *value;
};

/*
 * A label value as the format quotes it: backslash, double quote and line feed become \\,
 * \" and \n; everything else (UTF-8 included) is copied.
 */
int yq_metrics_http_label_value(struct yq_buf *b, const char *value);

/*
 * The header of a metric family: "# HELP name help" (backslash and line feed in help
 * escaped) and "# TYPE name type", type being "counter", "gauge", "untyped"...
 */
int yq_metrics_http_family(struct yq_buf *b, const char *name, const char *type, const char *help);

/*
 * One sample line: name{l1="v1",...} value, without braces when n_labels is 0. labels:
 * n_labels entries (may be NULL when n_labels is 0), values escaped.
 */
int yq_metrics_http_sample(struct yq_buf *b, const char *name,
                           const struct yq_metrics_http_label *labels, size_t n_labels,
                           int64_t value);

/* A family with one unlabelled sample: yq_metrics_http_family() then the sample line. */
int yq_metrics_http_scalar(struct yq_buf *b, const char *name, const char *type, const char *help,
                           int64_t value);

#endif
