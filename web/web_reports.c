#include "web_reports.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_reply.h"
#include "web_text.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

#define REPORTS_DEFAULT_LIMIT 50
#define REPORTS_MAX_LIMIT 200

static bool method_is(const struct web_call *call, const char *m)
{
    return strcmp(call->method, m) == 0;
}

/* A liaison's or head's department (their 专报 are limited to it); NULL for the desk roles. */
static const char *scope_of(const struct web_call *call)
{
    return call->p.user.role == WEB_ROLE_LIAISON || call->p.user.role == WEB_ROLE_HEAD
               ? call->p.user.department
               : NULL;
}

static bool may_write(const struct web_call *call)
{
    return call->p.user.role == WEB_ROLE_DUTY || call->p.user.role == WEB_ROLE_ADMIN;
}

static enum MHD_Result refusal(struct web_call *call, int err, const char *why)
{
    switch (err) {
    case ERR_NOT_FOUND:
        return web_reply_error(call, MHD_HTTP_NOT_FOUND, "not_found", why[0] ? why : "报告不存在");
    case ERR_INVALID:
        return web_reply_bad_request(call, why[0] ? why : "参数无效");
    case ERR_BAD_STATE:
        return web_reply_forbidden(call);
    default:
        return web_reply_store_error(call, err);
    }
}

static enum MHD_Result route_list(struct web_call *call, const struct web_report_ops *ops)
{
    const char *kind = MHD_lookup_connection_value(call->c, MHD_GET_ARGUMENT_KIND, "kind");
    const char *limit = MHD_lookup_connection_value(call->c, MHD_GET_ARGUMENT_KIND, "limit");
    char buf[32];
    json_t *out = NULL;
    static const char *const names[] = {"kind", "limit", NULL};
    long long max = REPORTS_DEFAULT_LIMIT;
    char problem[128];
    int err;

    if (web_query_unknown(call, names, problem, sizeof(problem))) {
        return web_reply_bad_request(call, problem);
    }
    if (kind && !kind[0]) {
        kind = NULL;
    }
    if (kind && strcmp(kind, "daily") != 0 && strcmp(kind, "event") != 0) {
        return web_reply_bad_request(call,
                                     "kind_invalid: kind 只能是 daily（日报）或 event（专报）");
    }
    if (limit && limit[0]) {
        char *end = NULL;
        max = strtoll(limit, &end, 10);
        if (!end || *end || max < 1 || max > REPORTS_MAX_LIMIT) {
            return web_reply_bad_request(call, "limit_invalid: limit 须为 1 到 200 的整数");
        }
    }
    err = ops->list(call->w->ops_ctx, kind, scope_of(call), (size_t)max, &out);
    if (err) {
        return refusal(call, err, "");
    }
    json_object_set_new(out, "now", json_string(yq_time_format_utc(call->now, buf, sizeof(buf))));
    return web_reply_json(call, MHD_HTTP_OK, out);
}

static enum MHD_Result route_get(struct web_call *call, const struct web_report_ops *ops,
                                 int64_t id)
{
    char *html = NULL;
    size_t len = 0;
    int err;

    err = ops->get(call->w->ops_ctx, id, scope_of(call), &html, &len);
    if (err) {
        return refusal(call, err, "");
    }
    return web_reply_body(call, MHD_HTTP_OK, "text/html; charset=utf-8", html, len, NULL);
}

static void actor_of(const struct web_call *call, struct web_actor *a)
{
    a->username = call->p.user.username;
    a->role = web_role_name(call->p.user.role);
    a->department = call->p.user.department;
}

static enum MHD_Result route_daily(struct web_call *call, const struct web_report_ops *ops)
{
    json_t *body = web_body_json(call), *out = NULL, *day_v;
    struct web_actor actor;
    char why[256] = "";
    const char *day = NULL;
    int err;

    day_v = body ? json_object_get(body, "day") : NULL;
    if (day_v && !json_is_null(day_v) && !json_is_string(day_v)) {
        json_decref(body);
        return web_reply_bad_request(call, "day 须为 YYYY-MM-DD 格式的日期");
    }
    day = day_v && json_is_string(day_v) ? json_string_value(day_v) : NULL;
    actor_of(call, &actor);
    err = ops->daily(call->w->ops_ctx, day, &actor, &out, why, sizeof(why));
    json_decref(body);
    if (err) {
        return refusal(call, err, why);
    }
    LOG_INFO("briefing requested user=%s created=%d", actor.username,
             json_is_true(json_object_get(out, "created")) ? 1 : 0);
    return web_reply_json(call, MHD_HTTP_OK, out);
}

static enum MHD_Result route_event(struct web_call *call, const struct web_report_ops *ops,
                                   int64_t event_id)
{
    struct web_actor actor;
    json_t *out = NULL;
    char why[256] = "";
    int err;

    actor_of(call, &actor);
    err = ops->event(call->w->ops_ctx, event_id, &actor, &out, why, sizeof(why));
    if (err) {
        return refusal(call, err, why);
    }
    LOG_INFO("special report written event_id=%lld user=%s", (long long)event_id,
             actor.username);
    return web_reply_json(call, MHD_HTTP_CREATED, out);
}

enum MHD_Result web_route_reports(struct web_call *call, const char *rest)
{
    const struct web_report_ops *ops = call->w->ops ? call->w->ops->reports : NULL;
    bool read = method_is(call, MHD_HTTP_METHOD_GET) || method_is(call, MHD_HTTP_METHOD_HEAD);
    int64_t id = 0;

    if (!web_auth_allows(&call->p, WEB_PERM_VIEW_QUEUE)) {
        return web_reply_forbidden(call);
    }
    if (!ops || !ops->list || !ops->get || !ops->daily || !ops->event) {
        return web_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
                               "日报与专报未启用");
    }
    if (!rest[0]) {
        return read ? route_list(call, ops) : web_reply_method_not_allowed(call);
    }
    if (strcmp(rest, "daily") == 0) {
        if (!method_is(call, MHD_HTTP_METHOD_POST)) {
            return web_reply_method_not_allowed(call);
        }
        return may_write(call) ? route_daily(call, ops) : web_reply_forbidden(call);
    }
    if (strncmp(rest, "event/", 6) == 0) {
        if (web_parse_id(rest + 6, strlen(rest + 6), 18, &id) != 0) {
            return web_reply_not_found(call);
        }
        if (!method_is(call, MHD_HTTP_METHOD_POST)) {
            return web_reply_method_not_allowed(call);
        }
        return may_write(call) ? route_event(call, ops, id) : web_reply_forbidden(call);
    }
    if (web_parse_id(rest, strlen(rest), 18, &id) != 0) {
        return web_reply_not_found(call);
    }
    return read ? route_get(call, ops, id) : web_reply_method_not_allowed(call);
}
