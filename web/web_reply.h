/*
 * Every reply of the web layer (web_reply.c): JSON, errors, downloads, static files and
 * streams all leave through web_reply_response(), which adds the headers every answer carries
 * (Content-Security-Policy without inline scripts, nosniff, no referrer, no framing,
 * same-origin isolation) and Cache-Control. Each route file uses these helpers and writes no
 * header of its own. Internal to the web layer.
 *
 * All web_reply_*() return what MHD_queue_response() returned (MHD_YES, or MHD_NO when the
 * reply could not be built or queued: out of memory or a closed connection).
 */
#ifndef WEB_REPLY_H
#define WEB_REPLY_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

struct web_call;

/* The session cookie's name. */
#define WEB_COOKIE_NAME "yq_session"

/*
 * Add the common headers to r, Content-Type type (NULL: none), Cache-Control cache and, when
 * not NULL, Set-Cookie set_cookie, Retry-After retry_after and Content-Disposition
 * disposition (all borrowed), queue r on c with status and destroy the caller's reference to
 * r (also on failure).
 */
enum MHD_Result web_reply_response(struct MHD_Connection *c, unsigned status,
                                   struct MHD_Response *r, const char *type, const char *cache,
                                   const char *set_cookie, const char *retry_after,
                                   const char *disposition);

/*
 * Queue body (len bytes; takes ownership, freed with free(), also on failure) with status,
 * Content-Type type and, when not NULL, Content-Disposition disposition (borrowed), with the
 * call's Set-Cookie and Retry-After; not cached.
 */
enum MHD_Result web_reply_body(struct web_call *call, unsigned status, const char *type,
                               char *body, size_t len, const char *disposition);

/* Queue v as JSON (web_json_dumps(): no markup characters); v is consumed (decref'd). */
enum MHD_Result web_reply_json(struct web_call *call, unsigned status, json_t *v);

/*
 * Queue {"error":code,"code":machine code,"message":message} with status. message is Chinese
 * for a person; when it is "machine_code: 中文说明" (yq_label_split_error()) "code" is that
 * machine code and "message" the rest, else "code" repeats code (issue #11).
 */
enum MHD_Result web_reply_error(struct web_call *call, unsigned status, const char *code,
                                const char *message);

/* The usual refusals: 401 请先登录, 403 无权进行此操作, 404 不存在, 405 不支持的请求方法. */
enum MHD_Result web_reply_unauthorized(struct web_call *call);
enum MHD_Result web_reply_forbidden(struct web_call *call);
enum MHD_Result web_reply_not_found(struct web_call *call);
enum MHD_Result web_reply_method_not_allowed(struct web_call *call);

/* 400 with code "invalid" and message (Chinese, borrowed). */
enum MHD_Result web_reply_bad_request(struct web_call *call, const char *message);

/*
 * Whether the request has a query parameter not in known (NULL-terminated): a list route
 * answers it 400 param_unknown (docs/api.md), so a typo (?limt=, ?since= on /api/tickets) is
 * never read as "no filter". The "param_unknown: 中文说明" naming it (when short ASCII) goes
 * to buf; pass it to web_reply_bad_request().
 */
bool web_query_unknown(struct web_call *call, const char *const *known, char *buf, size_t size);

/* Queue an empty 204 response (with the call's Set-Cookie). */
enum MHD_Result web_reply_no_content(struct web_call *call);

/*
 * Map a shared error code from a store to 503 (ERR_RETRY, Retry-After: 2) or 500 (any other,
 * ERR_INVALID included: the request's own values are checked before the store); logs it.
 */
enum MHD_Result web_reply_store_error(struct web_call *call, int err);

/* Queue text (NUL-terminated, borrowed: copied) as text/plain with status, not cached. */
enum MHD_Result web_reply_text(struct web_call *call, unsigned status, const char *text);

/*
 * Queue a static file: data (len bytes, static and read-only: sent without a copy) as type
 * with 200 and "Cache-Control: no-cache" (revalidated, so a new build is seen at once).
 */
enum MHD_Result web_reply_static(struct web_call *call, const char *type,
                                 const unsigned char *data, size_t len);

/* The request body parsed as a JSON object (new reference), or NULL (none, bad or not an object). */
json_t *web_body_json(struct web_call *call);

/* Make the reply set the session cookie to token (NUL-terminated; NULL: clear it). */
void web_call_set_cookie(struct web_call *call, const char *token);

/*
 * Make the reply also set the device cookie (WEB_DEVICE_COOKIE, web_login_device()) to device
 * (NUL-terminated), sent only to /api/login; after web_call_set_cookie().
 */
void web_call_add_device_cookie(struct web_call *call, const char *device);

#endif
