#include "web.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "rules.h"
#include "stats_render.h"
#include "web_internal.h"
#include "yq_err.h"
#include "yq_html.h"
#include "yq_labels.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

#define WOFF(f) offsetof(struct web_cfg, f)

const struct cfg_key web_cfg_keys[] = {
    {"enabled", CFG_BOOL, "true", 0, 0, WOFF(enabled),
     "serve the web UI and its authenticated JSON API (replaces the plain queue page)", NULL},
    {"cookie_secure", CFG_BOOL, "false", 0, 0, WOFF(cookie_secure),
     "mark the session cookie Secure (set to true when served over HTTPS)", NULL},
    {"max_body_bytes", CFG_SIZE, "64k", 1024, 16777216, WOFF(max_body_bytes),
     "larger request bodies are refused with 413 (a larger Content-Length at once, unread)",
     NULL},
    {"max_connections_per_ip", CFG_INT, "16", 0, 10000, WOFF(max_connections_per_ip),
     "open connections from one client address (more are refused at accept; 0 = no cap; keep "
     "it well below http.connection_limit; behind a reverse proxy every client has the proxy's "
     "address: raise it to http.connection_limit)",
     NULL},
    {"max_header_ms", CFG_MS, "10s", 0, 3600000, WOFF(max_header_ms),
     "time a request's headers may take, from the connection's start (or the previous "
     "request's end on a kept-alive connection, so idle ones too); a connection without "
     "complete headers by then is closed (0 = no cap)",
     NULL},
    {"max_pending_headers", CFG_INT, "128", 0, 10000, WOFF(max_pending_headers),
     "connections still sending their request headers, in all; a new one past it closes the "
     "oldest of them, so the rest of http.connection_limit stays for clients that send whole "
     "requests (keep it below http.connection_limit; 0 = no cap)",
     NULL},
    {"max_request_ms", CFG_MS, "30s", 0, 3600000, WOFF(max_request_ms),
     "total time one request may take, headers and body (a client sending a byte now and then "
     "is never idle); its connection is closed after it (event streams exempt; 0 = no cap)",
     NULL},
    {"max_tickets", CFG_INT, "500", 1, 100000, WOFF(max_tickets),
     "tickets per /api/tickets response", NULL},
    {"sse_poll_ms", CFG_MS, "500", 50, 10000, WOFF(sse_poll_ms),
     "how often an event stream looks for ticket changes", NULL},
    {"sse_max_stream_ms", CFG_MS, "5m", 1000, 86400000, WOFF(sse_max_stream_ms),
     "an event stream ends after this and the browser reconnects", NULL},
    {"sse_max_streams", CFG_INT, "48", 1, 10000, WOFF(sse_max_streams),
     "open event streams in all (each holds a connection; keep below http.connection_limit)",
     NULL},
    {"sse_max_streams_per_user", CFG_INT, "4", 1, 1000, WOFF(sse_max_streams_per_user),
     "open event streams of one user (browser tabs); more are refused with 429", NULL},
    {"sse_reserved_streams", CFG_INT, "12", 0, 9999, WOFF(sse_reserved_streams),
     "of sse_max_streams, the event streams only duty officers and admins may open (liaisons "
     "and heads share the rest), so the duty desk keeps its live updates; below sse_max_streams",
     NULL},
    {"sources_enabled", CFG_BOOL, "true", 0, 0, WOFF(sources_enabled),
     "show source health read from Redis (web.redis)", NULL},
    {"rules_enabled", CFG_BOOL, "true", 0, 0, WOFF(rules_enabled),
     "show the current rule set read from Redis (web.redis)", NULL},
    {"auth", CFG_SECTION, NULL, 0, 0, WOFF(auth), "sessions, login throttling, password hashing",
     web_auth_cfg_keys},
    {"redis", CFG_SECTION, NULL, 0, 0, WOFF(redis), "Redis with source health and rule sets",
     yq_redis_cfg_keys},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

#define CSP                                                                                        \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "                   \
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

#define COOKIE_NAME "yq_session"

/* ------------------------------------------------------------- utilities */

char *web_json_dumps(const json_t *v)
{
    char *raw = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    size_t n = 0, len;
    char *out, *o;

    if (!raw) {
        return NULL;
    }
    len = strlen(raw);
    for (size_t i = 0; i < len; i++) {
        n += (raw[i] == '<' || raw[i] == '>' || raw[i] == '&') ? 6 : 1;
    }
    out = malloc(n + 1);
    if (!out) {
        free(raw);
        return NULL;
    }
    o = out;
    /* Outside strings JSON has none of these characters, so escaping every one is safe. */
    for (size_t i = 0; i < len; i++) {
        const char *esc = raw[i] == '<' ? "\\u003c" : raw[i] == '>' ? "\\u003e"
                                                  : raw[i] == '&'   ? "\\u0026"
                                                                    : NULL;
        if (esc) {
            memcpy(o, esc, 6);
            o += 6;
        } else {
            *o++ = raw[i];
        }
    }
    *o = '\0';
    free(raw);
    return out;
}

int web_html_escape(const char *s, char *out, size_t len)
{
    size_t o = 0;

    if (len == 0) {
        return ERR_TOO_BIG;
    }
    for (; s && *s; s++) {
        char one[2] = {*s, '\0'};
        const char *rep = yq_html_entity(*s);
        size_t n;
        if (!rep) {
            rep = one;
        }
        n = strlen(rep);
        if (o + n >= len) {
            out[o] = '\0';
            return ERR_TOO_BIG;
        }
        memcpy(out + o, rep, n);
        o += n;
    }
    out[o] = '\0';
    return 0;
}

bool web_url_linkable(const char *url)
{
    if (!url) {
        return false;
    }
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
        return false;
    }
    for (const char *p = url; *p; p++) {
        if ((unsigned char)*p <= 0x20 || *p == '"' || *p == '\'' || *p == '<' || *p == '>' ||
            *p == '`' || *p == '\\') {
            return false;
        }
    }
    return true;
}

/* -------------------------------------------------------------- responses */

static enum MHD_Result add_security_headers(struct MHD_Response *r)
{
    if (MHD_add_response_header(r, "Content-Security-Policy", CSP) != MHD_YES ||
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") != MHD_YES ||
        MHD_add_response_header(r, "Referrer-Policy", "no-referrer") != MHD_YES ||
        MHD_add_response_header(r, "X-Frame-Options", "DENY") != MHD_YES ||
        MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin") != MHD_YES ||
        MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin") != MHD_YES) {
        return MHD_NO;
    }
    return MHD_YES;
}

/* Add the headers every answer carries, queue r with status and destroy our reference. */
static enum MHD_Result queue_response(struct MHD_Connection *c, unsigned status,
                                      struct MHD_Response *r, const char *type, const char *cache,
                                      const char *set_cookie, const char *retry_after,
                                      const char *disposition)
{
    enum MHD_Result ret;

    if ((type && MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES) ||
        add_security_headers(r) != MHD_YES ||
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache) != MHD_YES ||
        (set_cookie && MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, set_cookie) !=
                           MHD_YES) ||
        (retry_after && MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, retry_after) !=
                            MHD_YES) ||
        (disposition && MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION,
                                                disposition) != MHD_YES)) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Queue body (takes ownership; freed with free()) with type, status and extra headers. */
static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, const char *type,
                             char *body, size_t len, const char *cache, const char *set_cookie,
                             const char *retry_after)
{
    struct MHD_Response *r;

    r = MHD_create_response_from_buffer_with_free_callback(len, body, &free);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    return queue_response(c, status, r, type, cache, set_cookie, retry_after, NULL);
}

enum MHD_Result web_reply_body(struct web_call *call, unsigned status, const char *type,
                               char *body, size_t len, const char *disposition)
{
    struct MHD_Response *r;

    r = MHD_create_response_from_buffer_with_free_callback(len, body, &free);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    return queue_response(call->c, status, r, type, "no-store",
                          call->set_cookie[0] ? call->set_cookie : NULL,
                          call->retry_after[0] ? call->retry_after : NULL, disposition);
}

void web_call_set_cookie(struct web_call *call, const char *token)
{
    const struct web *w = call->w;
    if (token) {
        snprintf(call->set_cookie, sizeof(call->set_cookie),
                 COOKIE_NAME "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s", token,
                 (long long)(w->cfg.auth.session_ttl_ms / 1000),
                 w->cfg.cookie_secure ? "; Secure" : "");
    } else {
        snprintf(call->set_cookie, sizeof(call->set_cookie),
                 COOKIE_NAME "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
                 w->cfg.cookie_secure ? "; Secure" : "");
    }
}

enum MHD_Result web_reply_json(struct web_call *call, unsigned status, json_t *v)
{
    char *body = v ? web_json_dumps(v) : NULL;
    enum MHD_Result ret;

    json_decref(v);
    if (!body) {
        return MHD_NO;
    }
    ret = queue(call->c, status, "application/json; charset=utf-8", body, strlen(body),
                "no-store", call->set_cookie[0] ? call->set_cookie : NULL,
                call->retry_after[0] ? call->retry_after : NULL);
    return ret;
}

enum MHD_Result web_reply_error(struct web_call *call, unsigned status, const char *code,
                                const char *message)
{
    char detail[64];
    /* issue #11: "machine_code: 中文说明" (ticket actions) gives its own machine code */
    const char *text = yq_label_split_error(message, detail, sizeof(detail));

    return web_reply_json(call, status,
                          json_pack("{s:s, s:s, s:s}", "error", code, "code",
                                    detail[0] ? detail : code, "message", text));
}

enum MHD_Result web_reply_no_content(struct web_call *call)
{
    return queue(call->c, MHD_HTTP_NO_CONTENT, NULL, NULL, 0, "no-store",
                 call->set_cookie[0] ? call->set_cookie : NULL, NULL);
}

enum MHD_Result web_reply_store_error(struct web_call *call, int err)
{
    LOG_WARN("request failed method=%s path=%s err='%s'", call->method, YQ_Q(call->url),
             yq_strerror(err));
    if (err == ERR_RETRY) {
        snprintf(call->retry_after, sizeof(call->retry_after), "2");
        return web_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
                               "服务暂时不可用，请稍后重试");
    }
    return web_reply_error(call, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "服务器内部错误");
}

json_t *web_body_json(struct web_call *call)
{
    json_t *v;
    if (!call->req || !call->req->body || call->req->len == 0) {
        return NULL;
    }
    v = json_loadb(call->req->body, call->req->len, JSON_REJECT_DUPLICATES, NULL);
    if (v && !json_is_object(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}

/* ----------------------------------------------------------- daemon log */

void web_mhd_log(void *cls, const char *fmt, va_list ap)
{
    /* what libmicrohttpd says when the client closed its end (a closed tab's event stream) */
    static const char *const peer_gone[] = {
        "closed by remote peer",
        "no longer available for sending",
        "Closing connection (application error generating response)",
        "Connection reset by peer",
        "Broken pipe",
    };
    char line[512];
    size_t n;

    (void)cls;
    vsnprintf(line, sizeof(line), fmt, ap);
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
        line[--n] = '\0';
    }
    for (size_t i = 0; i < sizeof(peer_gone) / sizeof(peer_gone[0]); i++) {
        if (strstr(line, peer_gone[i])) {
            LOG_DEBUG("libmicrohttpd: %s", line);
            return;
        }
    }
    LOG_WARN("libmicrohttpd: %s", line);
}

/* ----------------------------------------------------------- static files */

static const struct {
    const char *path;
    const char *asset;
} pages[] = {
    {"/", "queue.html"},          {"/login", "login.html"},     {"/ticket", "ticket.html"},
    {"/liaison", "liaison.html"}, {"/sources", "sources.html"}, {"/rules", "rules.html"},
    {"/admin", "admin.html"},     {"/password", "password.html"}, {"/stats", "stats.html"},
    {"/favicon.ico", "favicon.ico"}, /* browsers ask for it at the root (issue #11) */
};

static const char *content_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot && strcmp(dot, ".html") == 0) {
        return "text/html; charset=utf-8";
    }
    if (dot && strcmp(dot, ".js") == 0) {
        return "text/javascript; charset=utf-8";
    }
    if (dot && strcmp(dot, ".css") == 0) {
        return "text/css; charset=utf-8";
    }
    if (dot && strcmp(dot, ".svg") == 0) {
        return "image/svg+xml";
    }
    if (dot && strcmp(dot, ".png") == 0) {
        return "image/png";
    }
    if (dot && strcmp(dot, ".ico") == 0) {
        return "image/vnd.microsoft.icon";
    }
    return "application/octet-stream";
}

static const struct web_asset *asset_find(const char *name)
{
    for (size_t i = 0; i < web_n_assets; i++) {
        if (strcmp(web_assets[i].name, name) == 0) {
            return &web_assets[i];
        }
    }
    return NULL;
}

static enum MHD_Result reply_asset(struct web_call *call, const struct web_asset *a)
{
    char *copy = malloc(a->len ? a->len : 1);
    if (!copy) {
        return MHD_NO;
    }
    memcpy(copy, a->data, a->len);
    return queue(call->c, MHD_HTTP_OK, content_type(a->name), copy, a->len, "no-cache", NULL,
                 NULL);
}

static enum MHD_Result reply_text(struct web_call *call, unsigned status, const char *text)
{
    char *copy = strdup(text);
    if (!copy) {
        return MHD_NO;
    }
    return queue(call->c, status, "text/plain; charset=utf-8", copy, strlen(copy), "no-store",
                 NULL, NULL);
}

/*
 * A statistics asset of yq_stats (/static/stats/<name>: echarts.min.js, stats-charts.js,
 * stats-report.css), served from its static data without a copy.
 */
static enum MHD_Result reply_stats_asset(struct web_call *call, const char *name)
{
    const unsigned char *data = NULL;
    const char *type = NULL;
    struct MHD_Response *r;
    size_t len = 0;

    if (strchr(name, '/') || stats_asset_get(name, &data, &len, &type) != 0) {
        return reply_text(call, MHD_HTTP_NOT_FOUND, "not found\n");
    }
    /* The data is static and read only: MHD never writes to a PERSISTENT buffer. */
    r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_PERSISTENT);
    if (!r) {
        return MHD_NO;
    }
    return queue_response(call->c, MHD_HTTP_OK, r, type, "no-cache", NULL, NULL, NULL);
}

/* The page or /static/ file for a GET, or 404. */
static enum MHD_Result route_static(struct web_call *call)
{
    const struct web_asset *a = NULL;

    for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        if (strcmp(call->url, pages[i].path) == 0) {
            a = asset_find(pages[i].asset);
        }
    }
    if (!a && strncmp(call->url, "/static/stats/", 14) == 0) {
        return reply_stats_asset(call, call->url + 14);
    }
    if (!a && strncmp(call->url, "/static/", 8) == 0 && !strchr(call->url + 8, '/') &&
        strstr(call->url, ".html") == NULL) {
        a = asset_find(call->url + 8); /* exact names only: no paths, no traversal */
    }
    if (!a) {
        /* a person typed or followed this address: say it in Chinese (issue #11) */
        return reply_text(call, MHD_HTTP_NOT_FOUND, WEB_NOT_FOUND_TEXT);
    }
    return reply_asset(call, a);
}

/* -------------------------------------------------------- authentication */

/* Resolve the cookie or bearer token into call->p. */
static int authenticate(struct web_call *call)
{
    const char *authz = MHD_lookup_connection_value(call->c, MHD_HEADER_KIND, "Authorization");
    const char *cookie = MHD_lookup_connection_value(call->c, MHD_COOKIE_KIND, COOKIE_NAME);
    int err;

    if (authz && strncasecmp(authz, "Bearer ", 7) == 0) {
        err = web_token_lookup(call->w->auth, authz + 7, call->now, &call->p);
    } else if (cookie) {
        err = web_session_lookup(call->w->auth, cookie, call->now, &call->p);
    } else {
        err = ERR_NOT_FOUND;
    }
    call->authed = err == 0;
    return err == ERR_NOT_FOUND ? 0 : err;
}

static bool is_safe_method(const char *m)
{
    return strcmp(m, MHD_HTTP_METHOD_GET) == 0 || strcmp(m, MHD_HTTP_METHOD_HEAD) == 0;
}

/*
 * Cross-site request checks for state changes: an Origin header, when sent, must name this
 * host; a body must be JSON (no HTML form can send that cross-site without CORS); a cookie
 * session must echo its CSRF token in X-CSRF-Token. Returns NULL when fine, else the reason.
 */
static const char *csrf_refusal(struct web_call *call)
{
    const char *origin = MHD_lookup_connection_value(call->c, MHD_HEADER_KIND, "Origin");
    const char *host = MHD_lookup_connection_value(call->c, MHD_HEADER_KIND, "Host");
    const char *type =
        MHD_lookup_connection_value(call->c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    const char *token = MHD_lookup_connection_value(call->c, MHD_HEADER_KIND, "X-CSRF-Token");

    if (origin && strcmp(origin, "null") != 0) {
        const char *rest = strncmp(origin, "http://", 7) == 0    ? origin + 7
                           : strncmp(origin, "https://", 8) == 0 ? origin + 8
                                                                 : NULL;
        if (!rest || !host || strcmp(rest, host) != 0) {
            return "cross-origin request";
        }
    } else if (origin) {
        return "opaque origin";
    }
    if (call->req->len > 0 && (!type || strncasecmp(type, "application/json", 16) != 0)) {
        return "body must be application/json";
    }
    if (call->authed && !call->p.via_token) {
        size_t n = strlen(call->p.csrf_token);
        if (!token || strlen(token) != n || n == 0 ||
            sodium_memcmp(token, call->p.csrf_token, n) != 0) {
            return "missing or wrong CSRF token";
        }
    }
    return NULL;
}

/* ------------------------------------------------------------- dispatch */

bool web_owns_url(const char *url)
{
    if (strncmp(url, "/api/", 5) == 0 || strncmp(url, "/static/", 8) == 0) {
        return true;
    }
    for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        if (strcmp(url, pages[i].path) == 0) {
            return true;
        }
    }
    return false;
}

static void maybe_gc(struct web *w, int64_t now)
{
    bool due;
    pthread_mutex_lock(&w->gc_lock);
    due = now - w->last_gc >= 600;
    if (due) {
        w->last_gc = now;
    }
    pthread_mutex_unlock(&w->gc_lock);
    if (due) {
        (void)web_auth_gc(w->auth, now); /* logged inside; retried in ten minutes */
    }
}

enum MHD_Result web_handle(struct web *w, struct MHD_Connection *c, const char *url,
                           const char *method, const char *upload_data, size_t *upload_data_size,
                           void **req_cls)
{
    struct web_req *req = *req_cls;
    struct web_call call;
    const char *refusal;
    int err;

    if (!req) {
        const char *clen =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        web_conn_headers_done(w, c); /* first call: the headers are all in */
        req = calloc(1, sizeof(*req));
        if (!req) {
            return MHD_NO;
        }
        req->w = w;
        req->c = c;
        *req_cls = req;
        if (clen) {
            /* a declared body over the limit is refused before a byte of it is read */
            char *end = NULL;
            unsigned long long n;
            errno = 0;
            n = strtoull(clen, &end, 10);
            if (errno || end == clen || *end || n > (unsigned long long)w->cfg.max_body_bytes) {
                memset(&call, 0, sizeof(call));
                call.w = w;
                call.c = c;
                call.url = url;
                call.method = method;
                call.req = req;
                call.now = yq_time_now();
                LOG_INFO("request body refused method=%s path=%s content_length='%.24s' "
                         "max_body_bytes=%lld",
                         method, YQ_Q(url), clen, (long long)w->cfg.max_body_bytes);
                return web_reply_error(&call, MHD_HTTP_CONTENT_TOO_LARGE, "too_big", "请求过大");
            }
        }
        if (!clen && MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
            /*
             * A chunked body's size is known only at its end, and libmicrohttpd 0.9.75 cannot
             * answer in the middle of a body: refuse it before reading any (issue #10: it was
             * read to its end, 413 only after the last chunk). Browsers and curl send
             * Content-Length.
             */
            memset(&call, 0, sizeof(call));
            call.w = w;
            call.c = c;
            call.url = url;
            call.method = method;
            call.req = req;
            call.now = yq_time_now();
            LOG_INFO("request body refused method=%s path=%s content_length='none'", method,
                     YQ_Q(url));
            return web_reply_error(&call, MHD_HTTP_LENGTH_REQUIRED, "length_required",
                                   "请求体须带 Content-Length");
        }
        return MHD_YES; /* headers only; MHD calls again with the body or to finish */
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        if (!req->too_big && req->len + n > (size_t)w->cfg.max_body_bytes) {
            /*
             * Only a body without Content-Length gets here, and those are refused with 411
             * before a byte is read; should one come anyway, read no more of it: libmicrohttpd
             * 0.9.75 cannot answer in the middle of a body, so the connection is closed.
             */
            LOG_INFO("request body refused method=%s path=%s max_body_bytes=%lld", method,
                     YQ_Q(url), (long long)w->cfg.max_body_bytes);
            return MHD_NO;
        }
        if (!req->too_big) {
            char *grown = realloc(req->body, req->len + n + 1);
            if (!grown) {
                return MHD_NO;
            }
            memcpy(grown + req->len, upload_data, n);
            req->body = grown;
            req->len += n;
            req->body[req->len] = '\0';
        }
        *upload_data_size = 0;
        return MHD_YES;
    }

    memset(&call, 0, sizeof(call));
    call.w = w;
    call.c = c;
    call.url = url;
    call.method = method;
    call.req = req;
    call.now = yq_time_now();

    if (strncmp(url, "/api/", 5) != 0) {
        if (!is_safe_method(method)) {
            return reply_text(&call, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
        }
        return route_static(&call);
    }
    if (req->too_big) {
        return web_reply_error(&call, MHD_HTTP_CONTENT_TOO_LARGE, "too_big", "请求过大");
    }
    if (!is_safe_method(method) && req->len > 0) {
        /* every state change takes one JSON object: refuse anything else before it is read
         * field by field (a truncated body must never count as an empty one) */
        json_error_t jerr;
        json_t *v = json_loadb(req->body, req->len, JSON_REJECT_DUPLICATES, &jerr);
        bool object = json_is_object(v);
        json_decref(v);
        if (!object) {
            return web_reply_error(&call, MHD_HTTP_BAD_REQUEST, "bad_json",
                                   "请求体必须是一个 JSON 对象（不可重复键）");
        }
    }
    maybe_gc(w, call.now);
    err = authenticate(&call);
    if (err) {
        return web_reply_store_error(&call, err);
    }
    if (!is_safe_method(method)) {
        refusal = csrf_refusal(&call);
        if (refusal) {
            LOG_INFO("state change refused method=%s path=%s reason='%s'", method, YQ_Q(url),
                     refusal);
            return web_reply_error(&call, MHD_HTTP_FORBIDDEN, "csrf",
                                   "请求未通过跨站校验（CSRF），请刷新页面后重试");
        }
    }
    if (strcmp(url, "/api/events") == 0 && is_safe_method(method)) {
        return web_route_events(&call);
    }
    return web_route_api(&call);
}

void web_request_completed(void *req_cls)
{
    struct web_req *req = req_cls;
    if (req) {
        if (req->w) {
            web_conn_request_done(req->w, req->c);
        }
        free(req->body);
        free(req);
    }
}

/* -------------------------------------------------------- event stream */

/*
 * Open event streams, so that tabs left open cannot take every connection of the server
 * (each stream holds one thread and one of http.connection_limit connections).
 */
#define SSE_USERS_MAX 256
static pthread_mutex_t sse_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t sse_total;
static struct {
    const struct web *w;
    int64_t user_id;
    int64_t n;
} sse_users[SSE_USERS_MAX];

/*
 * Count one more stream of user_id; false (nothing counted) when a limit is reached.
 * privileged: a duty officer or admin, who may also take the sse_reserved_streams places.
 */
static bool sse_admit(const struct web *w, int64_t user_id, bool privileged, bool *per_user_limit)
{
    int64_t cap = privileged ? w->cfg.sse_max_streams
                             : w->cfg.sse_max_streams - w->cfg.sse_reserved_streams;
    int free_slot = -1, slot = -1;
    bool ok = false;

    pthread_mutex_lock(&sse_lock);
    for (int i = 0; i < SSE_USERS_MAX; i++) {
        if (sse_users[i].n > 0 && sse_users[i].w == w && sse_users[i].user_id == user_id) {
            slot = i;
        } else if (sse_users[i].n == 0 && free_slot < 0) {
            free_slot = i;
        }
    }
    *per_user_limit = slot >= 0 && sse_users[slot].n >= w->cfg.sse_max_streams_per_user;
    if (!*per_user_limit && sse_total < cap && (slot >= 0 || free_slot >= 0)) {
        if (slot < 0) {
            slot = free_slot;
            sse_users[slot].w = w;
            sse_users[slot].user_id = user_id;
        }
        sse_users[slot].n++;
        sse_total++;
        ok = true;
    }
    pthread_mutex_unlock(&sse_lock);
    return ok;
}

static void sse_release(const struct web *w, int64_t user_id)
{
    pthread_mutex_lock(&sse_lock);
    for (int i = 0; i < SSE_USERS_MAX; i++) {
        if (sse_users[i].n > 0 && sse_users[i].w == w && sse_users[i].user_id == user_id) {
            sse_users[i].n--;
            sse_total--;
            break;
        }
    }
    pthread_mutex_unlock(&sse_lock);
}

struct sse_state {
    struct web *w;
    int64_t user_id; /* counted in sse_users until sse_free() */
    int fd;          /* the connection's socket, to notice a closed peer; -1 unknown */
    char token[WEB_TOKEN_LEN + 8]; /* session cookie or API token, re-checked on change */
    bool via_token;
    int64_t marker;
    int64_t started_ms;
    int64_t last_write_ms;
    bool hello_sent;
};

int web_change_marker(struct web *w, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc, err = 0;

    if (w->ops && w->ops->change_marker) {
        return w->ops->change_marker(w->ops_ctx, out);
    }
    *out = 0;
    web_auth_lock(w->auth);
    rc = sqlite3_prepare_v2(web_auth_db(w->auth), "SELECT coalesce(max(id), 0) FROM ticket_log",
                            -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(st, 0);
        }
    }
    if (rc != SQLITE_ROW) {
        err = (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) ? ERR_RETRY : ERR_IO;
    }
    sqlite3_finalize(st);
    web_auth_unlock(w->auth);
    return err;
}

static bool sse_still_authed(struct sse_state *s)
{
    struct web_principal p;
    int64_t now = yq_time_now();
    int err = s->via_token ? web_token_lookup(s->w->auth, s->token, now, &p)
                           : web_session_lookup(s->w->auth, s->token, now, &p);
    return err != ERR_NOT_FOUND; /* a store hiccup does not end the stream */
}

static ssize_t sse_write(char *buf, size_t max, const char *text)
{
    size_t n = strlen(text);
    if (n > max) {
        n = max; /* block_size is far above any event we write */
    }
    memcpy(buf, text, n);
    return (ssize_t)n;
}

/*
 * Whether the client closed its end (a closed tab): a stream otherwise notices only at its
 * next write, up to 15 s later, and would keep its connection and its place meanwhile.
 */
static bool sse_peer_gone(int fd)
{
    char c;
    ssize_t n;
    if (fd < 0) {
        return false;
    }
    n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct sse_state *s = cls;
    char line[128];
    int64_t marker;

    (void)pos;
    if (!s->hello_sent) {
        s->hello_sent = true;
        s->last_write_ms = yq_time_mono_ms();
        snprintf(line, sizeof(line), "retry: 1000\nevent: hello\ndata: {\"marker\":%lld}\n\n",
                 (long long)s->marker);
        return sse_write(buf, max, line);
    }
    for (;;) {
        int64_t now_ms = yq_time_mono_ms();
        struct timespec ts;

        if (atomic_load(&s->w->stopping) ||
            now_ms - s->started_ms >= s->w->cfg.sse_max_stream_ms) {
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        if (sse_peer_gone(s->fd)) {
            /*
             * closed tab: free its place now. A closed stream is the normal end of a live
             * update, not an error: END_WITH_ERROR made libmicrohttpd log "Closing connection
             * (application error generating response)" as a WARN for every closed tab
             * (issue #11); ending the stream is quiet and frees the place as well.
             */
            LOG_DEBUG("event stream closed by the client user_id=%lld", (long long)s->user_id);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        if (web_change_marker(s->w, &marker) == 0 && marker != s->marker) {
            if (!sse_still_authed(s)) {
                return MHD_CONTENT_READER_END_OF_STREAM;
            }
            s->marker = marker;
            s->last_write_ms = now_ms;
            snprintf(line, sizeof(line), "event: tickets\ndata: {\"marker\":%lld}\n\n",
                     (long long)marker);
            return sse_write(buf, max, line);
        }
        if (now_ms - s->last_write_ms >= 15000) {
            s->last_write_ms = now_ms;
            if (!sse_still_authed(s)) {
                return MHD_CONTENT_READER_END_OF_STREAM;
            }
            return sse_write(buf, max, ": keep-alive\n\n");
        }
        ts.tv_sec = s->w->cfg.sse_poll_ms / 1000;
        ts.tv_nsec = (long)(s->w->cfg.sse_poll_ms % 1000) * 1000000L;
        nanosleep(&ts, NULL); /* one thread per connection: blocking here is expected */
    }
}

static void sse_free(void *cls)
{
    struct sse_state *s = cls;
    if (s) {
        sse_release(s->w, s->user_id);
        sodium_memzero(s->token, sizeof(s->token));
        free(s);
    }
}

enum MHD_Result web_route_events(struct web_call *call)
{
    const char *authz = MHD_lookup_connection_value(call->c, MHD_HEADER_KIND, "Authorization");
    const char *cookie = MHD_lookup_connection_value(call->c, MHD_COOKIE_KIND, COOKIE_NAME);
    struct MHD_Response *r;
    struct sse_state *s;
    enum MHD_Result ret;

    if (!call->authed) {
        return web_reply_error(call, MHD_HTTP_UNAUTHORIZED, "unauthenticated", "请先登录");
    }
    if (!web_auth_allows(&call->p, WEB_PERM_VIEW_QUEUE)) {
        return web_reply_error(call, MHD_HTTP_FORBIDDEN, "forbidden", "无权访问");
    }
    bool per_user;
    if (!sse_admit(call->w, call->p.user.id,
                   call->p.user.role == WEB_ROLE_ADMIN || call->p.user.role == WEB_ROLE_DUTY,
                   &per_user)) {
        LOG_WARN("event stream refused user=%s reason=%s", YQ_Q(call->p.user.username),
                 per_user ? "per-user limit" : "server limit");
        snprintf(call->retry_after, sizeof(call->retry_after), "30");
        return per_user ? web_reply_error(call, MHD_HTTP_TOO_MANY_REQUESTS, "too_many_streams",
                                          "打开的实时页面过多，请关闭部分标签页")
                        : web_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE, "busy",
                                          "实时更新连接已满，请稍后重试");
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        sse_release(call->w, call->p.user.id);
        return MHD_NO;
    }
    web_conn_exempt(call->w, call->c); /* a stream has its own end (sse_max_stream_ms) */
    s->w = call->w;
    s->user_id = call->p.user.id;
    {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(call->c, MHD_CONNECTION_INFO_CONNECTION_FD);
        s->fd = ci ? (int)ci->connect_fd : -1;
    }
    s->via_token = call->p.via_token;
    snprintf(s->token, sizeof(s->token), "%s", s->via_token ? authz + 7 : cookie);
    s->started_ms = yq_time_mono_ms();
    if (web_change_marker(call->w, &s->marker) != 0) {
        s->marker = -1; /* unknown: the first successful read sends an event */
    }
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, &sse_read, s, &sse_free);
    if (!r) {
        sse_free(s);
        return MHD_NO;
    }
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream") !=
            MHD_YES ||
        add_security_headers(r) != MHD_YES ||
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
        MHD_add_response_header(r, "X-Accel-Buffering", "no") != MHD_YES) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    ret = MHD_queue_response(call->c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* ------------------------------------------------------------ lifecycle */

struct web *web_new(const struct web_cfg *cfg, const char *db_path,
                    const struct web_ticket_ops *ops, void *ops_ctx, char *errbuf, size_t errlen)
{
    struct web *w = calloc(1, sizeof(*w));
    int err;

    if (!w) {
        snprintf(errbuf, errlen, "web: out of memory");
        return NULL;
    }
    if (cfg->sse_reserved_streams < 0 || cfg->sse_reserved_streams >= cfg->sse_max_streams) {
        snprintf(errbuf, errlen,
                 "web.sse_reserved_streams (%lld) must be below web.sse_max_streams (%lld)",
                 (long long)cfg->sse_reserved_streams, (long long)cfg->sse_max_streams);
        free(w);
        return NULL;
    }
    w->cfg = *cfg;
    w->db_path = strdup(db_path ? db_path : "");
    if (!w->db_path) {
        free(w);
        snprintf(errbuf, errlen, "web: out of memory");
        return NULL;
    }
    w->ops = ops;
    w->ops_ctx = ops_ctx;
    atomic_init(&w->stopping, false);
    if (pthread_mutex_init(&w->gc_lock, NULL) != 0) {
        free(w->db_path);
        free(w);
        snprintf(errbuf, errlen, "web: cannot create mutex");
        return NULL;
    }
    if (pthread_mutex_init(&w->redis_lock, NULL) != 0) {
        pthread_mutex_destroy(&w->gc_lock);
        free(w->db_path);
        free(w);
        snprintf(errbuf, errlen, "web: cannot create mutex");
        return NULL;
    }
    w->locks_init = true;
    {
        pthread_condattr_t ca;
        bool ok = pthread_condattr_init(&ca) == 0;
        ok = ok && pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0;
        ok = ok && pthread_cond_init(&w->guard_cond, &ca) == 0;
        if (ok && pthread_mutex_init(&w->guard_lock, NULL) != 0) {
            pthread_cond_destroy(&w->guard_cond);
            ok = false;
        }
        pthread_condattr_destroy(&ca);
        if (!ok) {
            snprintf(errbuf, errlen, "web: cannot create mutex");
            web_free(w);
            return NULL;
        }
        w->guard_init = true;
    }
    err = web_auth_open(&w->cfg.auth, db_path, &w->auth, errbuf, errlen);
    if (err) {
        web_free(w);
        return NULL;
    }
    if (cfg->sources_enabled || cfg->rules_enabled) {
        w->redis = yq_redis_new(&w->cfg.redis);
        if (!w->redis) {
            snprintf(errbuf, errlen, "web: out of memory");
            web_free(w);
            return NULL;
        }
    }
    return w;
}

struct web_auth *web_get_auth(struct web *w)
{
    return w->auth;
}

void web_shutdown(struct web *w)
{
    if (w) {
        atomic_store(&w->stopping, true);
    }
}

void web_free(struct web *w)
{
    if (!w) {
        return;
    }
    if (w->guard_init) {
        web_guard_stop(w);
        pthread_mutex_destroy(&w->guard_lock);
        pthread_cond_destroy(&w->guard_cond);
    }
    web_auth_free(w->auth);
    yq_redis_free(w->redis);
    rule_set_free(w->rules);
    if (w->locks_init) {
        pthread_mutex_destroy(&w->gc_lock);
        pthread_mutex_destroy(&w->redis_lock);
    }
    free(w->db_path);
    free(w);
}
