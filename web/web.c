/*
 * The web layer's lifecycle and request dispatch: the configuration keys, web_new/web_free,
 * the pages and static files, authentication (session cookie or API token), the cross-site
 * checks, the request body (bounded by web.max_body_bytes) and the hand-over of /api/ calls
 * to web_routes.c (which hands event streams to web_events.c). Replies are web_reply.c's.
 */
#include "web.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "archive.h"
#include "rules.h"
#include "stats_render.h"
#include "web_guard.h"
#include "web_internal.h"
#include "web_reply.h"
#include "web_routes.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_metrics_http.h"
#include "yq_time.h"
#include "yq_utf8.h"
#include "yq_banned.h"

#define CFG_KEYS_OF web_cfg
const struct cfg_key web_cfg_keys[] = {
    CFG_BOOL_KEY(enabled, "true",
                 "serve the web UI and its authenticated JSON API (replaces the plain queue page)"),
    CFG_BOOL_KEY(cookie_secure, "false",
                 "mark the session cookie Secure (set to true when served over HTTPS)"),
    CFG_SIZE_KEY(
        max_body_bytes, "64k", 1024, 16777216,
        "larger request bodies are refused with 413 (a larger Content-Length at once, unread)"),
    CFG_INT_KEY(
        max_connections_per_ip, "16", 0, 10000,
        "open connections from one client address (more are refused at accept; 0 = no cap; keep "
        "it well below http.connection_limit; behind a reverse proxy every client has the proxy's "
        "address: raise it to http.connection_limit)"),
    CFG_MS_KEY(max_header_ms, "10s", 0, 3600000,
               "time a request's headers may take, from the connection's start (or the previous "
               "request's end on a kept-alive connection, so idle ones too); a connection without "
               "complete headers by then is closed (0 = no cap)"),
    CFG_INT_KEY(
        max_pending_headers, "128", 0, 10000,
        "connections still sending their request headers, in all; a new one past it closes the "
        "oldest of them, so the rest of http.connection_limit stays for clients that send whole "
        "requests (keep it below http.connection_limit; 0 = no cap)"),
    CFG_MS_KEY(
        max_request_ms, "30s", 0, 3600000,
        "total time one request may take, headers and body (a client sending a byte now and then "
        "is never idle); its connection is closed after it (event streams exempt; 0 = no cap)"),
    CFG_INT_KEY(max_tickets, "500", 1, 100000, "tickets per /api/tickets response"),
    CFG_MS_KEY(sse_poll_ms, "500", 50, 10000, "how often an event stream looks for ticket changes"),
    CFG_MS_KEY(sse_max_stream_ms, "5m", 1000, 86400000,
               "an event stream ends after this and the browser reconnects"),
    CFG_INT_KEY(
        sse_max_streams, "48", 1, 10000,
        "open event streams in all (each holds a connection; keep below http.connection_limit)"),
    CFG_INT_KEY(sse_max_streams_per_user, "4", 1, 1000,
                "open event streams of one user (browser tabs); more are refused with 429"),
    CFG_INT_KEY(
        sse_reserved_streams, "12", 0, 9999,
        "of sse_max_streams, the event streams only duty officers and admins may open (liaisons "
        "and heads share the rest), so the duty desk keeps its live updates; below "
        "sse_max_streams"),
    CFG_BOOL_KEY(sources_enabled, "true", "show source health read from Redis (web.redis)"),
    CFG_BOOL_KEY(rules_enabled, "true", "show the current rule set read from Redis (web.redis)"),
    CFG_STRING_KEY(
        archive_dir, "",
        "the archive (yuqing-archiver's archive.dir) that the search page and rule backtests read, "
        "opened read-only; \"\" = no search"),
    CFG_STRING_KEY(
        public_host, "",
        "the host names browsers use for the web UI behind a reverse proxy that passes them in "
        "Host, separated by commas (e.g. yq.ankang.gov.cn,yq); requests naming another host than "
        "these, localhost or an IP address get 421 (DNS rebinding); \"*\" = any name"),
    CFG_SECTION_KEY(auth, "sessions, login throttling, password hashing", web_auth_cfg_keys),
    CFG_SECTION_KEY(redis, "Redis with source health and rule sets", yq_redis_cfg_keys),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

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
    {"/event", "event.html"},     {"/silences", "silences.html"}, /* the desk (issue #13) */
    {"/search", "search.html"}, /* the archive searched (issue #14) */
    {"/reports", "reports.html"}, /* 舆情日报 and 专报 (issue #14) */
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

/*
 * A statistics asset of yq_stats (/static/stats/<name>: echarts.min.js, stats-charts.js,
 * stats-report.css), served from its static data without a copy.
 */
static enum MHD_Result reply_stats_asset(struct web_call *call, const char *name)
{
    const unsigned char *data = NULL;
    const char *type = NULL;
    size_t len = 0;

    if (strchr(name, '/') || stats_asset_get(name, &data, &len, &type) != 0) {
        return web_reply_text(call, MHD_HTTP_NOT_FOUND, "not found\n");
    }
    return web_reply_static(call, type, data, len);
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
        return web_reply_text(call, MHD_HTTP_NOT_FOUND, WEB_NOT_FOUND_TEXT);
    }
    return web_reply_static(call, content_type(a->name), a->data, a->len);
}

/* -------------------------------------------------------- authentication */

/* Resolve the cookie or bearer token into call->p. */
static int authenticate(struct web_call *call)
{
    const char *authz = MHD_lookup_connection_value(call->c, MHD_HEADER_KIND, "Authorization");
    const char *cookie = MHD_lookup_connection_value(call->c, MHD_COOKIE_KIND, WEB_COOKIE_NAME);
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
    const char *host = call->host; /* the absolute form's authority, else the Host header */
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
    if (call->req->body.len > 0 && (!type || strncasecmp(type, "application/json", 16) != 0)) {
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

bool web_owns_url(const char *target)
{
    struct yq_http_target t;
    const char *url;

    if (yq_metrics_http_target(target, &t, NULL) != 0) {
        return true; /* web_handle() answers it 400 bad_target */
    }
    url = t.path;
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

/* What the handlers see of one request (not yet authenticated). */
static void call_init(struct web_call *call, struct web *w, struct MHD_Connection *c,
                      const char *url, const char *method, struct web_req *req)
{
    memset(call, 0, sizeof(*call));
    call->w = w;
    call->c = c;
    call->url = url;
    call->method = method;
    call->req = req;
    call->now = yq_time_now();
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

/* The first query parameter whose name or value is not UTF-8 (MHD_get_connection_values). */
struct bad_param {
    char name[48]; /* its name when that is UTF-8 and short, else "" */
    bool found;
};

static enum MHD_Result find_bad_param(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    struct bad_param *bad = cls;
    size_t key_len = key ? strlen(key) : 0;
    bool key_ok = yq_utf8_valid(key ? key : "", key_len, NULL);

    (void)kind;
    if (key_ok && (!value || yq_utf8_valid(value, strlen(value), NULL))) {
        return MHD_YES;
    }
    bad->found = true;
    if (key_ok && key_len < sizeof(bad->name)) {
        memcpy(bad->name, key, key_len + 1);
    }
    return MHD_NO; /* stop at the first */
}

/*
 * The one check of the request's own text before any route reads it: the decoded path and
 * every query parameter (name and value) are UTF-8, else 400 "bad_utf8" naming the parameter.
 * PostgreSQL refuses such text in a statement (SQLSTATE 22021) and SQLite would compare or
 * store the bytes; JSON bodies need no check here (jansson refuses invalid UTF-8 and lone
 * surrogates: "bad_json" below). Returns true when a reply was queued into *reply.
 */
static bool refuse_bad_text(struct web_call *call, enum MHD_Result *reply)
{
    struct bad_param bad = {.found = false};
    char msg[160];

    if (!yq_utf8_valid(call->url, strlen(call->url), NULL)) {
        LOG_INFO("request refused method=%s reason='path not utf-8'", call->method);
        *reply = web_reply_error(call, MHD_HTTP_BAD_REQUEST, "bad_utf8",
                                 "请求路径不是有效的 UTF-8 文本");
        return true;
    }
    (void)MHD_get_connection_values(call->c, MHD_GET_ARGUMENT_KIND, find_bad_param, &bad);
    if (!bad.found) {
        return false;
    }
    LOG_INFO("request refused method=%s path=%s reason='query parameter not utf-8' param=%s",
             call->method, YQ_Q(call->url), YQ_Q(bad.name));
    if (bad.name[0]) {
        snprintf(msg, sizeof(msg), "查询参数 %s 不是有效的 UTF-8 文本", bad.name);
    } else {
        snprintf(msg, sizeof(msg), "查询参数不是有效的 UTF-8 文本");
    }
    *reply = web_reply_error(call, MHD_HTTP_BAD_REQUEST, "bad_utf8", msg);
    return true;
}

enum MHD_Result web_handle(struct web *w, struct MHD_Connection *c, const char *target,
                           const char *method, const char *version, const char *upload_data,
                           size_t *upload_data_size, void **req_cls)
{
    struct web_req *req = *req_cls;
    struct web_call call;
    struct yq_http_target t;
    const char *refusal, *why = NULL;
    /* RFC 9112 3.2.2: the absolute form's path is routed, its authority is the request's host */
    bool target_ok = yq_metrics_http_target(target, &t, &why) == 0;
    const char *url = t.path, *host;
    enum MHD_Result result;
    int err;

    if (!req) {
        const char *clen =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        web_conn_headers_done(w, c); /* first call: the headers are all in */
        req = calloc(1, sizeof(*req));
        if (!req) {
            return MHD_NO;
        }
        yq_buf_init(&req->body, (size_t)w->cfg.max_body_bytes);
        req->w = w;
        req->c = c;
        *req_cls = req;
        if (!yq_metrics_http_host_ok(c, version)) {
            /* RFC 9112 3.2: HTTP/1.1 requires exactly one Host (HTTP/1.0 may send none) */
            call_init(&call, w, c, url, method, req);
            LOG_INFO("request refused: no single Host header method=%s path=%s version=%s", method,
                     YQ_Q(url), YQ_Q(version));
            return web_reply_error(&call, MHD_HTTP_BAD_REQUEST, "bad_host",
                                   "请求须带且只带一个 Host 头");
        }
        if (!target_ok) {
            call_init(&call, w, c, url, method, req);
            LOG_INFO("request refused: bad request target method=%s reason='%s'", method, why);
            return web_reply_error(&call, MHD_HTTP_BAD_REQUEST, "bad_target",
                                   "请求目标无效：须为 /路径 或 http://主机/路径");
        }
        host = yq_metrics_http_request_host(c, &t);
        if (!web_host_allowed(host, w->cfg.public_host)) {
            call_init(&call, w, c, url, method, req);
            LOG_INFO("request refused: unknown host method=%s path=%s host=%s", method, YQ_Q(url),
                     YQ_Q(host));
            return web_reply_error(&call, MHD_HTTP_MISDIRECTED_REQUEST, "unknown_host",
                                   "未知的主机名 (web.public_host)");
        }
        if (clen) {
            /* a declared body over the limit is refused before a byte of it is read */
            char *end = NULL;
            unsigned long long n;
            errno = 0;
            n = strtoull(clen, &end, 10);
            if (errno || end == clen || *end || n > (unsigned long long)w->cfg.max_body_bytes) {
                call_init(&call, w, c, url, method, req);
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
            call_init(&call, w, c, url, method, req);
            LOG_INFO("request body refused method=%s path=%s content_length='none'", method,
                     YQ_Q(url));
            return web_reply_error(&call, MHD_HTTP_LENGTH_REQUIRED, "length_required",
                                   "请求体须带 Content-Length");
        }
        return MHD_YES; /* headers only; MHD calls again with the body or to finish */
    }
    if (*upload_data_size > 0) {
        /*
         * Only a body without Content-Length can grow past web.max_body_bytes here, and those
         * are refused with 411 before a byte is read; should one come anyway, read no more of
         * it: libmicrohttpd 0.9.75 cannot answer in the middle of a body, so the connection is
         * closed.
         */
        err = yq_buf_add(&req->body, upload_data, *upload_data_size);
        if (err == ERR_TOO_BIG) {
            LOG_INFO("request body refused method=%s path=%s max_body_bytes=%lld", method,
                     YQ_Q(url), (long long)w->cfg.max_body_bytes);
        }
        if (err) {
            return MHD_NO;
        }
        *upload_data_size = 0;
        return MHD_YES;
    }

    if (!target_ok) {
        return MHD_NO; /* answered 400 at the first call; a target never changes within a request */
    }
    call_init(&call, w, c, url, method, req);
    call.host = yq_metrics_http_request_host(c, &t);

    if (strncmp(url, "/api/", 5) != 0) {
        if (!is_safe_method(method)) {
            return web_reply_text(&call, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
        }
        return route_static(&call);
    }
    if (refuse_bad_text(&call, &result)) {
        return result;
    }
    if (!is_safe_method(method) && req->body.len > 0) {
        /* every state change takes one JSON object: refuse anything else before it is read
         * field by field (a truncated body must never count as an empty one) */
        json_error_t jerr;
        json_t *v = json_loadb(req->body.data, req->body.len, JSON_REJECT_DUPLICATES, &jerr);
        bool object = json_is_object(v);
        json_decref(v);
        if (!v && json_error_code(&jerr) == json_error_stack_overflow) {
            /* valid JSON may be refused for its depth alone: say so, not "not an object" */
            char deep[96];
            snprintf(deep, sizeof(deep), "too_deep: 请求体 JSON 嵌套过深（至多 %d 层）",
                     JSON_PARSER_MAX_DEPTH);
            return web_reply_error(&call, MHD_HTTP_BAD_REQUEST, "bad_json", deep);
        }
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
    return web_route_api(&call);
}

void web_request_completed(void *req_cls)
{
    struct web_req *req = req_cls;
    if (req) {
        if (req->w) {
            web_conn_request_done(req->w, req->c);
        }
        yq_buf_release(&req->body);
        free(req);
    }
}

/* ------------------------------------------------------------ lifecycle */

/*
 * web.public_host: "", "*", or host names separated by commas, each 1..WEB_HOST_MAX_BYTES of
 * letters, digits, '-' and '.' (no scheme, port or empty name).
 */
static bool public_host_valid(const char *h)
{
    size_t len = 0;

    if (!h || !h[0] || strcmp(h, "*") == 0) {
        return true;
    }
    for (const char *p = h;; p++) {
        if (*p == ',' || !*p) {
            if (len == 0) {
                return false;
            }
            if (!*p) {
                return true;
            }
            len = 0;
        } else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                   (*p >= '0' && *p <= '9') || *p == '-' || *p == '.') {
            if (++len > WEB_HOST_MAX_BYTES) {
                return false;
            }
        } else {
            return false;
        }
    }
}

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
    if (!public_host_valid(cfg->public_host)) {
        snprintf(errbuf, errlen,
                 "web.public_host '%.64s' must be host names separated by commas (letters, "
                 "digits, '-', '.'; no scheme or port), \"*\" or \"\"",
                 cfg->public_host);
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
    if (pthread_mutex_init(&w->archive_lock, NULL) != 0) {
        pthread_mutex_destroy(&w->gc_lock);
        free(w->db_path);
        free(w);
        snprintf(errbuf, errlen, "web: cannot create mutex");
        return NULL;
    }
    if (pthread_mutex_init(&w->redis_lock, NULL) != 0) {
        pthread_mutex_destroy(&w->archive_lock);
        pthread_mutex_destroy(&w->gc_lock);
        free(w->db_path);
        free(w);
        snprintf(errbuf, errlen, "web: cannot create mutex");
        return NULL;
    }
    w->locks_init = true;
    /* the web keeps its own copies: a caller's configuration may be released after web_new() */
    w->cfg_owned = true;
    if (cfg_own_strings(web_cfg_keys, &w->cfg) != 0) {
        snprintf(errbuf, errlen, "web: out of memory");
        web_free(w);
        return NULL;
    }
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
    archive_close(w->archive);
    if (w->locks_init) {
        pthread_mutex_destroy(&w->archive_lock);
        pthread_mutex_destroy(&w->gc_lock);
        pthread_mutex_destroy(&w->redis_lock);
    }
    if (w->cfg_owned) {
        cfg_release(web_cfg_keys, &w->cfg);
    }
    free(w->db_path);
    free(w);
}
