#include "web_reply.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_internal.h"
#include "web_text.h"
#include "yq_err.h"
#include "yq_labels.h"
#include "yq_log.h"
#include "yq_metrics_http.h"
#include "yq_banned.h"

#define CSP                                                                                        \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "                   \
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

/* One Set-Cookie header per line of set_cookie (NULL: none). Returns false on failure. */
static bool add_cookies(struct MHD_Response *r, const char *set_cookie)
{
    char line[512];

    while (set_cookie && *set_cookie) {
        size_t n = strcspn(set_cookie, "\n");
        if (n >= sizeof(line)) {
            return false;
        }
        memcpy(line, set_cookie, n);
        line[n] = '\0';
        if (MHD_add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, line) != MHD_YES) {
            return false;
        }
        set_cookie += n + (set_cookie[n] == '\n');
    }
    return true;
}

enum MHD_Result web_reply_response(struct MHD_Connection *c, unsigned status,
                                   struct MHD_Response *r, const char *type, const char *cache,
                                   const char *set_cookie, const char *retry_after,
                                   const char *disposition)
{
    enum MHD_Result ret;

    if ((type && MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES) ||
        yq_metrics_http_security_headers(r, CSP) != 0 ||
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache) != MHD_YES ||
        !add_cookies(r, set_cookie) ||
        (retry_after &&
         MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, retry_after) != MHD_YES) ||
        (disposition &&
         MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disposition) != MHD_YES)) {
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
                             const char *retry_after, const char *disposition)
{
    struct MHD_Response *r;

    r = MHD_create_response_from_buffer_with_free_callback(len, body, &free);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    return web_reply_response(c, status, r, type, cache, set_cookie, retry_after, disposition);
}

static const char *call_cookie(const struct web_call *call)
{
    return call->set_cookie[0] ? call->set_cookie : NULL;
}

static const char *call_retry_after(const struct web_call *call)
{
    return call->retry_after[0] ? call->retry_after : NULL;
}

enum MHD_Result web_reply_body(struct web_call *call, unsigned status, const char *type,
                               char *body, size_t len, const char *disposition)
{
    return queue(call->c, status, type, body, len, "no-store", call_cookie(call),
                 call_retry_after(call), disposition);
}

void web_call_set_cookie(struct web_call *call, const char *token)
{
    const struct web *w = call->w;
    if (token) {
        snprintf(call->set_cookie, sizeof(call->set_cookie),
                 WEB_COOKIE_NAME "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s", token,
                 (long long)(w->cfg.auth.session_ttl_ms / 1000),
                 w->cfg.cookie_secure ? "; Secure" : "");
    } else {
        snprintf(call->set_cookie, sizeof(call->set_cookie),
                 WEB_COOKIE_NAME "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0%s",
                 w->cfg.cookie_secure ? "; Secure" : "");
    }
}

void web_call_add_device_cookie(struct web_call *call, const char *device)
{
    size_t n = strlen(call->set_cookie);

    snprintf(call->set_cookie + n, sizeof(call->set_cookie) - n,
             "%s" WEB_DEVICE_COOKIE "=%s; Path=/api/login; HttpOnly; SameSite=Strict; "
             "Max-Age=%d%s",
             n ? "\n" : "", device, WEB_DEVICE_TTL_S, call->w->cfg.cookie_secure ? "; Secure" : "");
}

enum MHD_Result web_reply_json(struct web_call *call, unsigned status, json_t *v)
{
    char *body = v ? web_json_dumps(v) : NULL;

    json_decref(v);
    if (!body) {
        return MHD_NO;
    }
    return web_reply_body(call, status, "application/json; charset=utf-8", body, strlen(body),
                          NULL);
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

enum MHD_Result web_reply_unauthorized(struct web_call *call)
{
    return web_reply_error(call, MHD_HTTP_UNAUTHORIZED, "unauthenticated", "请先登录");
}

enum MHD_Result web_reply_forbidden(struct web_call *call)
{
    return web_reply_error(call, MHD_HTTP_FORBIDDEN, "forbidden", "无权进行此操作");
}

enum MHD_Result web_reply_not_found(struct web_call *call)
{
    return web_reply_error(call, MHD_HTTP_NOT_FOUND, "not_found", "不存在");
}

enum MHD_Result web_reply_method_not_allowed(struct web_call *call)
{
    return web_reply_error(call, MHD_HTTP_METHOD_NOT_ALLOWED, "method", "不支持的请求方法");
}

enum MHD_Result web_reply_bad_request(struct web_call *call, const char *message)
{
    return web_reply_error(call, MHD_HTTP_BAD_REQUEST, "invalid", message);
}

/* Where web_query_unknown() looks: the route's parameter names and the first other one. */
struct query_names {
    const char *const *known; /* NULL-terminated */
    const char *unknown;
};

static enum MHD_Result query_name_check(void *cls, enum MHD_ValueKind kind, const char *key,
                                        const char *value)
{
    struct query_names *q = cls;

    (void)kind;
    (void)value;
    for (const char *const *k = q->known; *k; k++) {
        if (strcmp(key, *k) == 0) {
            return MHD_YES;
        }
    }
    q->unknown = key;
    return MHD_NO;
}

bool web_query_unknown(struct web_call *call, const char *const *known, char *buf, size_t size)
{
    struct query_names q = {known, NULL};

    MHD_get_connection_values(call->c, MHD_GET_ARGUMENT_KIND, query_name_check, &q);
    if (!q.unknown) {
        return false;
    }
    for (const char *c = q.unknown; *c; c++) {
        if (*c < 0x20 || *c > 0x7e || c - q.unknown >= 40) { /* named only when short ASCII */
            snprintf(buf, size, "param_unknown: 此列表不接受所给的查询参数");
            return true;
        }
    }
    snprintf(buf, size, "param_unknown: 此列表不接受查询参数 %s", q.unknown);
    return true;
}

enum MHD_Result web_reply_no_content(struct web_call *call)
{
    return queue(call->c, MHD_HTTP_NO_CONTENT, NULL, NULL, 0, "no-store", call_cookie(call), NULL,
                 NULL);
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
    /* ERR_INVALID is not answered 400: the store also reports a constraint race between two
       notifiers or a programming error so; text that is no UTF-8 is refused before any route
       (web.c refuse_bad_text), JSON bodies by jansson (review of #16) */
    return web_reply_error(call, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", "服务器内部错误");
}

enum MHD_Result web_reply_text(struct web_call *call, unsigned status, const char *text)
{
    char *copy = strdup(text);
    if (!copy) {
        return MHD_NO;
    }
    return queue(call->c, status, "text/plain; charset=utf-8", copy, strlen(copy), "no-store",
                 NULL, NULL, NULL);
}

enum MHD_Result web_reply_static(struct web_call *call, const char *type,
                                 const unsigned char *data, size_t len)
{
    struct MHD_Response *r;

    /* The data is static and read only: MHD never writes to a PERSISTENT buffer. */
    r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)data, MHD_RESPMEM_PERSISTENT);
    if (!r) {
        return MHD_NO;
    }
    return web_reply_response(call->c, MHD_HTTP_OK, r, type, "no-cache", NULL, NULL, NULL);
}

json_t *web_body_json(struct web_call *call)
{
    json_t *v;
    if (!call->req || call->req->body.len == 0) {
        return NULL;
    }
    v = json_loadb(call->req->body.data, call->req->body.len, JSON_REJECT_DUPLICATES, NULL);
    if (v && !json_is_object(v)) {
        json_decref(v);
        return NULL;
    }
    return v;
}
