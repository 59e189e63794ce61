/*
 * The JSON API of the web UI: login/logout/me/password, users, departments, API tokens,
 * tickets (through the notifier's ticket ops), the duty officer's desk (the 研判 inbox and
 * silences, issue #13, through the ticket ops' desk ops), and the dispatch of every /api/ call
 * (statistics to web_stats.c, sources and rules to web_system.c). Every handler checks
 * authentication, role and department on the server; every reply goes through web_reply.h.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <sys/socket.h>

#include "web_backtest.h"
#include "web_internal.h"
#include "web_events.h"
#include "web_reply.h"
#include "web_text.h"
#include "web_reports.h"
#include "web_routes.h"
#include "web_search.h"
#include "web_stats.h"
#include "web_system.h"
#include "web_types.h"
#include "yq_err.h"
#include "yq_labels.h"
#include "yq_log.h"
#include "yq_ticket_state.h"
#include "yq_time.h"
#include "yq_banned.h"

/*
 * The ticket actions the UI offers and their labels are yq_labels' YQ_LABEL_ACTION table (the
 * names of notifier/ticket_flow.c's actions). Who may take one is not decided here: the ticket
 * store's table (ticket_flow.c, ticket_action_role_may()) is the one authority, asked through
 * ops->role_may.
 */

static bool method_is(const struct web_call *call, const char *m)
{
    return strcmp(call->method, m) == 0;
}

static const char *str_field(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_t *time_json(int64_t t)
{
    char buf[32];
    return json_string(yq_time_format_utc(t, buf, sizeof(buf)));
}

/* The client's address as text (for login throttling). */
static void client_addr(struct MHD_Connection *c, char *out, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;

    snprintf(out, len, "?");
    if (sa && sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
                  (socklen_t)len);
    } else if (sa && sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
                  (socklen_t)len);
    }
}

static json_t *me_json(const struct web_principal *p, int64_t now)
{
    json_t *perms = json_pack("{s:b, s:b, s:b, s:b}", "duty_actions",
                              web_auth_allows(p, WEB_PERM_DUTY_ACTION), "liaison_actions",
                              web_auth_allows(p, WEB_PERM_LIAISON_ACTION), "system",
                              web_auth_allows(p, WEB_PERM_VIEW_SYSTEM), "admin",
                              web_auth_allows(p, WEB_PERM_ADMIN));
    return json_pack("{s:o, s:s, s:o, s:o, s:b}", "user", web_user_json(&p->user), "csrf_token",
                     p->csrf_token, "permissions", perms ? perms : json_null(), "now",
                     time_json(now), "via_token", p->via_token);
}

/* ------------------------------------------------------------ session */

static enum MHD_Result route_login(struct web_call *call)
{
    json_t *body = web_body_json(call);
    const char *user = str_field(body, "username"), *pass = str_field(body, "password");
    const char *device = MHD_lookup_connection_value(call->c, MHD_COOKIE_KIND, WEB_DEVICE_COOKIE);
    char token[WEB_TOKEN_LEN + 1], addr[64], device_new[WEB_DEVICE_COOKIE_MAX];
    struct web_principal p;
    int64_t retry = 0;
    enum MHD_Result ret;
    int err;

    if (!method_is(call, MHD_HTTP_METHOD_POST)) {
        json_decref(body);
        return web_reply_method_not_allowed(call);
    }
    if (!user || !pass) {
        json_decref(body);
        return web_reply_bad_request(call, "请输入用户名和密码");
    }
    client_addr(call->c, addr, sizeof(addr));
    err = web_login_device(call->w->auth, user, pass, addr, device, call->now, token, device_new,
                           &p, &retry);
    if (err == ERR_RETRY) {
        LOG_WARN("login throttled user=%s client=%s retry_after_s=%lld", YQ_Q(user), addr,
                 (long long)retry);
        snprintf(call->retry_after, sizeof(call->retry_after), "%lld", (long long)retry);
        json_decref(body);
        return web_reply_error(call, MHD_HTTP_TOO_MANY_REQUESTS, "throttled",
                               "登录失败次数过多，请稍后再试");
    }
    if (err == ERR_TOO_BIG) {
        /* login_max_concurrent password checks are running: bounded memory, quick answer */
        snprintf(call->retry_after, sizeof(call->retry_after), "1");
        json_decref(body);
        return web_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE, "busy",
                               "登录请求过多，请稍后重试");
    }
    if (err == ERR_INVALID) {
        LOG_INFO("login failed user=%s client=%s", YQ_Q(user), addr);
        json_decref(body);
        return web_reply_error(call, MHD_HTTP_UNAUTHORIZED, "bad_credentials",
                               "用户名或密码错误");
    }
    json_decref(body);
    if (err) {
        return web_reply_store_error(call, err);
    }
    LOG_INFO("login user=%s role=%s client=%s", YQ_Q(p.user.username), web_role_name(p.user.role),
             addr);
    web_call_set_cookie(call, token);
    web_call_add_device_cookie(call, device_new);
    sodium_memzero(token, sizeof(token));
    sodium_memzero(device_new, sizeof(device_new));
    ret = web_reply_json(call, MHD_HTTP_OK, me_json(&p, call->now));
    return ret;
}

static enum MHD_Result route_logout(struct web_call *call)
{
    const char *cookie = MHD_lookup_connection_value(call->c, MHD_COOKIE_KIND, "yq_session");
    if (!method_is(call, MHD_HTTP_METHOD_POST)) {
        return web_reply_method_not_allowed(call);
    }
    if (!call->authed) {
        return web_reply_unauthorized(call);
    }
    if (!call->p.via_token && cookie) {
        int err = web_session_end(call->w->auth, cookie);
        if (err) {
            return web_reply_store_error(call, err);
        }
    }
    web_call_set_cookie(call, NULL);
    return web_reply_no_content(call);
}

static enum MHD_Result route_password(struct web_call *call)
{
    json_t *body;
    char why[128] = "", addr[64];
    int64_t retry = 0;
    int err;

    if (!method_is(call, MHD_HTTP_METHOD_POST)) {
        return web_reply_method_not_allowed(call);
    }
    if (call->p.via_token) {
        return web_reply_forbidden(call);
    }
    body = web_body_json(call);
    if (!str_field(body, "old_password") || !str_field(body, "new_password")) {
        json_decref(body);
        return web_reply_bad_request(call, "请输入原密码和新密码");
    }
    client_addr(call->c, addr, sizeof(addr));
    err = web_user_change_password(call->w->auth, call->p.user.id, str_field(body, "old_password"),
                                   str_field(body, "new_password"), call->p.session_id, call->now,
                                   &retry, why, sizeof(why));
    json_decref(body);
    if (err == ERR_RETRY || err == ERR_TOO_BIG) {
        LOG_WARN("password change throttled user=%s client=%s retry_after_s=%lld",
                 YQ_Q(call->p.user.username), addr, (long long)retry);
        snprintf(call->retry_after, sizeof(call->retry_after), "%lld", (long long)retry);
        return err == ERR_RETRY ? web_reply_error(call, MHD_HTTP_TOO_MANY_REQUESTS, "throttled", why)
                                : web_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE, "busy", why);
    }
    if (err == ERR_INVALID) {
        return web_reply_bad_request(call, why);
    }
    if (err) {
        return web_reply_store_error(call, err);
    }
    LOG_INFO("password changed user=%s", YQ_Q(call->p.user.username));
    return web_reply_no_content(call);
}

/* ------------------------------------------------------------- admin */

static enum MHD_Result route_users(struct web_call *call, const char *rest)
{
    json_t *body = NULL, *v = NULL;
    char why[160] = "";
    int err;

    if (!web_auth_allows(&call->p, WEB_PERM_ADMIN)) {
        return web_reply_forbidden(call);
    }
    if (!rest[0]) {
        if (method_is(call, MHD_HTTP_METHOD_GET)) {
            err = web_user_list(call->w->auth, &v);
            if (err) {
                return web_reply_store_error(call, err);
            }
            return web_reply_json(call, MHD_HTTP_OK, json_pack("{s:o}", "users", v));
        }
        if (!method_is(call, MHD_HTTP_METHOD_POST)) {
            return web_reply_method_not_allowed(call);
        }
        body = web_body_json(call);
        {
            enum web_role role = WEB_ROLE_NONE;
            json_t *mc = json_object_get(body, "must_change_password");
            if (web_role_parse(str_field(body, "role"), &role) != 0) {
                json_decref(body);
                return web_reply_bad_request(call, "角色无效（admin、duty_officer、liaison 或 head）");
            }
            err = web_user_add(call->w->auth, str_field(body, "username"),
                               str_field(body, "display_name"), role,
                               str_field(body, "department"), str_field(body, "password"),
                               mc ? json_is_true(mc) : true, call->now, NULL, why, sizeof(why));
        }
        if (err == ERR_INVALID || err == ERR_EXISTS) {
            json_decref(body);
            return web_reply_error(call, err == ERR_EXISTS ? MHD_HTTP_CONFLICT : 400,
                                   err == ERR_EXISTS ? "exists" : "invalid", why);
        }
        if (err) {
            json_decref(body);
            return web_reply_store_error(call, err);
        }
        LOG_INFO("user added user=%s by=%s", YQ_Q(str_field(body, "username")),
                 YQ_Q(call->p.user.username));
        json_decref(body);
        return web_reply_json(call, MHD_HTTP_CREATED, json_pack("{s:b}", "ok", 1));
    }
    {
        char name[WEB_USERNAME_MAX];
        const char *slash = strchr(rest, '/');
        size_t n = slash ? (size_t)(slash - rest) : strlen(rest);

        if (n == 0 || n >= sizeof(name)) {
            return web_reply_not_found(call);
        }
        memcpy(name, rest, n);
        name[n] = '\0';
        if (slash && strcmp(slash, "/tokens") == 0) {
            if (method_is(call, MHD_HTTP_METHOD_GET)) {
                err = web_token_list(call->w->auth, name, &v);
                if (err) {
                    return web_reply_store_error(call, err);
                }
                return web_reply_json(call, MHD_HTTP_OK, json_pack("{s:o}", "tokens", v));
            }
            if (method_is(call, MHD_HTTP_METHOD_POST)) {
                char token[64];
                json_t *ttl;
                int64_t id = 0;
                body = web_body_json(call);
                ttl = json_object_get(body, "ttl_days");
                /* absent or 0: no expiry; else 1..3650 days (never negative, huge or wrapped) */
                if (ttl && !json_is_null(ttl) &&
                    (!json_is_integer(ttl) || json_integer_value(ttl) < 0 ||
                     json_integer_value(ttl) > WEB_TOKEN_TTL_MAX_DAYS)) {
                    json_decref(body);
                    return web_reply_error(call, MHD_HTTP_BAD_REQUEST, "invalid",
                                           "有效期（ttl_days）须为 1 至 3650 天的整数，"
                                           "0 表示不过期");
                }
                err = web_token_create(call->w->auth, name, str_field(body, "name"),
                                       json_is_integer(ttl) ? json_integer_value(ttl) * 86400 : 0,
                                       call->now, token, sizeof(token), &id);
                json_decref(body);
                if (err == ERR_NOT_FOUND) {
                    return web_reply_not_found(call);
                }
                if (err == ERR_INVALID) {
                    return web_reply_bad_request(call, "名称无效");
                }
                if (err) {
                    return web_reply_store_error(call, err);
                }
                LOG_INFO("api token created user=%s id=%lld by=%s", YQ_Q(name), (long long)id,
                         YQ_Q(call->p.user.username));
                v = json_pack("{s:I, s:s}", "id", (json_int_t)id, "token", token);
                sodium_memzero(token, sizeof(token));
                return web_reply_json(call, MHD_HTTP_CREATED, v);
            }
            return web_reply_method_not_allowed(call);
        }
        if (slash) {
            return web_reply_not_found(call);
        }
        if (!method_is(call, "PATCH")) {
            return web_reply_method_not_allowed(call);
        }
        body = web_body_json(call);
        {
            struct web_user_change ch = {.role = WEB_ROLE_NONE, .disabled = -1};
            json_t *dis = json_object_get(body, "disabled");
            ch.display_name = str_field(body, "display_name");
            ch.department = str_field(body, "department");
            ch.password = str_field(body, "password");
            if (str_field(body, "role") && web_role_parse(str_field(body, "role"), &ch.role)) {
                json_decref(body);
                return web_reply_bad_request(call, "角色无效");
            }
            if (json_is_boolean(dis)) {
                ch.disabled = json_is_true(dis) ? 1 : 0;
            }
            if (strcmp(name, call->p.user.username) == 0) {
                ch.keep_session_id = call->p.session_id; /* the admin's own session stays */
            }
            if (strcmp(name, call->p.user.username) == 0 &&
                (ch.disabled == 1 || (ch.role != WEB_ROLE_NONE && ch.role != WEB_ROLE_ADMIN))) {
                json_decref(body);
                return web_reply_error(call, MHD_HTTP_CONFLICT, "self",
                                       "不能停用自己或取消自己的管理员角色");
            }
            err = web_user_update(call->w->auth, name, &ch, call->now, why, sizeof(why));
        }
        json_decref(body);
        if (err == ERR_NOT_FOUND) {
            return web_reply_not_found(call);
        }
        if (err == ERR_INVALID) {
            return web_reply_bad_request(call, why);
        }
        if (err) {
            return web_reply_store_error(call, err);
        }
        LOG_INFO("user changed user=%s by=%s", YQ_Q(name), YQ_Q(call->p.user.username));
        return web_reply_json(call, MHD_HTTP_OK, json_pack("{s:b}", "ok", 1));
    }
}

static enum MHD_Result route_tokens(struct web_call *call, const char *rest)
{
    char *end = NULL;
    long long id = strtoll(rest, &end, 10);
    int err;

    if (!web_auth_allows(&call->p, WEB_PERM_ADMIN)) {
        return web_reply_forbidden(call);
    }
    if (!rest[0] || *end != '\0' || id <= 0) {
        return web_reply_not_found(call);
    }
    if (!method_is(call, MHD_HTTP_METHOD_DELETE)) {
        return web_reply_method_not_allowed(call);
    }
    err = web_token_revoke(call->w->auth, id);
    if (err == ERR_NOT_FOUND) {
        return web_reply_not_found(call);
    }
    if (err) {
        return web_reply_store_error(call, err);
    }
    LOG_INFO("api token revoked id=%lld by=%s", id, YQ_Q(call->p.user.username));
    return web_reply_no_content(call);
}

static enum MHD_Result route_departments(struct web_call *call, const char *rest)
{
    json_t *v = NULL, *body;
    int err;

    if (!rest[0] && method_is(call, MHD_HTTP_METHOD_GET)) {
        if (!web_auth_allows(&call->p, WEB_PERM_VIEW_QUEUE)) {
            return web_reply_forbidden(call);
        }
        err = web_department_list(call->w->auth, &v);
        if (err) {
            return web_reply_store_error(call, err);
        }
        if (!web_auth_allows(&call->p, WEB_PERM_DUTY_ACTION)) {
            /* the user names of every department's liaisons are the desk's and the admin's:
             * a liaison or head gets the names they choose from, not other people's logins */
            size_t i;
            json_t *d;
            json_array_foreach(v, i, d)
            {
                json_object_del(d, "liaisons");
            }
        }
        return web_reply_json(call, MHD_HTTP_OK, json_pack("{s:o}", "departments", v));
    }
    if (!web_auth_allows(&call->p, WEB_PERM_ADMIN)) {
        return web_reply_forbidden(call);
    }
    if (!rest[0] && method_is(call, MHD_HTTP_METHOD_POST)) {
        body = web_body_json(call);
        err = web_department_add(call->w->auth, str_field(body, "name"), str_field(body, "head"),
                                 call->now);
        json_decref(body);
        if (err == ERR_INVALID) {
            return web_reply_bad_request(call, "部门名称无效");
        }
        if (err == ERR_EXISTS) {
            return web_reply_error(call, MHD_HTTP_CONFLICT, "exists", "部门已存在");
        }
        if (err) {
            return web_reply_store_error(call, err);
        }
        return web_reply_json(call, MHD_HTTP_CREATED, json_pack("{s:b}", "ok", 1));
    }
    if (rest[0] && method_is(call, MHD_HTTP_METHOD_DELETE)) {
        err = web_department_remove(call->w->auth, rest);
        if (err == ERR_NOT_FOUND) {
            return web_reply_not_found(call);
        }
        if (err == ERR_BAD_STATE) {
            return web_reply_error(call, MHD_HTTP_CONFLICT, "in_use", "该部门仍有用户");
        }
        if (err) {
            return web_reply_store_error(call, err);
        }
        return web_reply_no_content(call);
    }
    return web_reply_method_not_allowed(call);
}

/* ------------------------------------------------------------ tickets */

/* Whether p may see the ticket JSON t (lead or co-handling department). */
static bool web_action_allowed(struct web_call *call, const char *action);

/*
 * Whether the caller's department may take action on the ticket JSON t (borrowed), which
 * they may see: 签收 is the lead department's clock (issue #17), and 退回 and 办结 settle
 * the lead's handling, so a liaison or head of a co-handling (协办) department may not take
 * them, nor confirm a 回应 while the ticket is 待签收 (that records the 签收 first). Duty
 * officers and admins are not bound to a department.
 */
static bool department_may_act(const struct web_call *call, json_t *t, const char *action)
{
    const char *lead = str_field(t, "department"), *state = str_field(t, "state");
    bool lead_only =
        strcmp(action, "ack") == 0 || strcmp(action, "return") == 0 ||
        strcmp(action, "close") == 0 ||
        (strcmp(action, "confirm_response") == 0 && state && strcmp(state, "open") == 0);

    if (!lead_only ||
        (call->p.user.role != WEB_ROLE_LIAISON && call->p.user.role != WEB_ROLE_HEAD)) {
        return true;
    }
    return lead && strcmp(lead, call->p.user.department) == 0;
}

/*
 * Keep in t's "next_actions" (what the ticket's state allows, from the ticket store's
 * transition table) only the actions the caller's role may take (the same table's roles) and
 * their department may take on t (department_may_act()), so the page never offers a button
 * the server would refuse. t borrowed, changed in place.
 */
static void next_actions_for_caller(struct web_call *call, json_t *t)
{
    json_t *next = json_object_get(t, "next_actions");
    size_t i = 0;

    while (i < json_array_size(next)) {
        json_t *a = json_array_get(next, i);
        if (json_is_string(a) && web_action_allowed(call, json_string_value(a)) &&
            department_may_act(call, t, json_string_value(a))) {
            i++;
        } else {
            json_array_remove(next, i);
        }
    }
}

/*
 * 200 {"now","ticket"} with the ticket JSON t (taken): GET /api/tickets/{n} and every action's
 * answer, so an answer never offers what the caller may not do (docs/web.md).
 */
static enum MHD_Result reply_ticket(struct web_call *call, json_t *t)
{
    next_actions_for_caller(call, t);
    return web_reply_json(call, MHD_HTTP_OK,
                          json_pack("{s:o, s:o}", "now", time_json(call->now), "ticket", t));
}

static bool ticket_visible(const struct web_principal *p, json_t *t)
{
    const char *co[32];
    size_t n_co = 0, i;
    json_t *arr = json_object_get(t, "co_departments"), *d;

    json_array_foreach(arr, i, d)
    {
        if (json_is_string(d) && n_co < sizeof(co) / sizeof(co[0])) {
            co[n_co++] = json_string_value(d);
        }
    }
    return web_auth_allows_department(p, str_field(t, "department"), co, n_co);
}

static bool number_ok(const char *s, size_t n)
{
    if (n == 0 || n > 40) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_')) {
            return false;
        }
    }
    return true;
}

static const char *arg(struct web_call *call, const char *key)
{
    const char *v = MHD_lookup_connection_value(call->c, MHD_GET_ARGUMENT_KIND, key);
    return v && v[0] ? v : NULL;
}

/* A non-negative decimal offset (at most 10^9). Returns 0 or ERR_INVALID. */
static int parse_offset(const char *s, size_t *out)
{
    char *end = NULL;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > 1000000000LL) {
        return ERR_INVALID;
    }
    *out = (size_t)v;
    return 0;
}

/*
 * A ?limit= of 1 or more (s: NUL-terminated, borrowed) read as at most max: a whole number of
 * decimal digits above max, however many digits (past what an integer holds too), is max, as
 * docs/api.md and limit_invalid's message say. Returns 0 with *out in 1..max, or ERR_INVALID
 * (empty, a sign, a non-digit, or 0).
 */
static int parse_limit(const char *s, size_t max, size_t *out)
{
    size_t v = 0;
    bool any = false;

    if (!s[0]) {
        return ERR_INVALID;
    }
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9') {
            return ERR_INVALID;
        }
        any = any || *p != '0';
        if (v <= max) {
            v = v * 10 + (size_t)(*p - '0'); /* max is at most 100000: no overflow */
        }
    }
    if (!any) {
        return ERR_INVALID;
    }
    *out = v > max ? max : v;
    return 0;
}

/* A text filter of a list request: ?name= (borrowed; NULL when absent or empty). */
struct query_text {
    const char *name;
    size_t offset; /* of its const char * field in the query struct */
};

/* Each of the n text filters of t from the request into the query struct q. */
static void query_texts(struct web_call *call, const struct query_text *t, size_t n, void *q)
{
    for (size_t i = 0; i < n; i++) {
        *(const char **)((char *)q + t[i].offset) = arg(call, t[i].name);
    }
}

/*
 * The detection-time range and paging of a list request: ?<from_name>= and ?until= (RFC 3339)
 * into *from and *until, ?offset= into *offset (each unchanged when absent). Returns NULL, or
 * the "code: 中文说明" of the 400 naming the first that does not parse (from_invalid ...).
 */
static const char *query_range(struct web_call *call, const char *from_name, int64_t *from,
                               int64_t *until, size_t *offset)
{
    if (arg(call, from_name) && yq_time_parse_iso(arg(call, from_name), from, NULL)) {
        return strcmp(from_name, "since") == 0 ? "since_invalid: since 须为 RFC 3339 时间"
                                               : "from_invalid: from 须为 RFC 3339 时间";
    }
    if (arg(call, "until") && yq_time_parse_iso(arg(call, "until"), until, NULL)) {
        return "until_invalid: until 须为 RFC 3339 时间";
    }
    if (arg(call, "offset") && parse_offset(arg(call, "offset"), offset)) {
        return "offset_invalid: offset 须为 0 至 1000000000 的整数";
    }
    return NULL;
}

/*
 * A filter of a list request that takes a fixed set of values (state, level, kind ...): a
 * value outside the set is a 400 naming the parameter, never "no filter" or an empty list
 * that looks like a real one.
 */
struct query_enum {
    const char *name;                 /* ?name= */
    bool (*known)(const char *value); /* value: present and not empty */
    const char *problem;              /* "code: 中文说明" of the 400 */
};

/*
 * NULL when the request has no query parameter outside known (NULL-terminated) and each of
 * the n enum filters t is absent or known, else the problem of the 400 (in buf when it names
 * an unknown parameter). Every list route of the web API checks its query so.
 */
static const char *list_query_problem(struct web_call *call, const char *const *known,
                                      const struct query_enum *t, size_t n, char *buf, size_t size)
{
    if (web_query_unknown(call, known, buf, size)) {
        return buf;
    }
    for (size_t i = 0; i < n; i++) {
        const char *v = arg(call, t[i].name);
        if (v && !t[i].known(v)) {
            return t[i].problem;
        }
    }
    return NULL;
}

static bool ticket_state_known(const char *v)
{
    enum ticket_state state;

    return strcmp(v, "all") == 0 || strcmp(v, "active") == 0 || ticket_state_parse(v, &state) == 0;
}

static bool level_known(const char *v)
{
    enum yq_level level;

    return yq_level_parse(v, &level) == 0;
}

static bool event_state_known(const char *v)
{
    return strcmp(v, "all") == 0 || yq_label_known_code(YQ_LABEL_EVENT_STATE, v);
}

/* a kind's code or its label (微博 as well as weibo), as the inbox reads it */
static bool source_kind_known(const char *v)
{
    return yq_label_code(YQ_LABEL_SOURCE_KIND, v) != NULL;
}

static bool held_reason_known(const char *v)
{
    return yq_label_known_code(YQ_LABEL_HELD_REASON, v);
}

static bool flag_known(const char *v)
{
    return strcmp(v, "0") == 0 || strcmp(v, "1") == 0 || strcmp(v, "false") == 0 ||
           strcmp(v, "true") == 0;
}

#define N_ENUMS(t) (sizeof(t) / sizeof((t)[0]))

static const struct query_enum ticket_query_enums[] = {
    {"state", ticket_state_known,
     "state_invalid: state 须为 open、acknowledged、responded、closed、returned、dismissed、"
     "active 或 all"},
    {"level", level_known, "level_invalid: level 须为 I、II、III 或 IV"},
};

static const struct query_text ticket_query_texts[] = {
    {"state", offsetof(struct web_ticket_query, state)},
    {"level", offsetof(struct web_ticket_query, level)},
    {"department", offsetof(struct web_ticket_query, department)},
    {"source", offsetof(struct web_ticket_query, source)},
};

/* every parameter GET /api/tickets reads (docs/openapi.yaml; no limit: a page is max_tickets) */
static const char *const ticket_query_names[] = {"state", "level", "department", "source",
                                                 "from",  "until", "offset",     NULL};

static enum MHD_Result ticket_list(struct web_call *call)
{
    struct web_ticket_query q;
    json_t *list = NULL, *out, *t;
    const char *problem;
    char buf[128];
    size_t i;
    int err;

    memset(&q, 0, sizeof(q));
    query_texts(call, ticket_query_texts,
                sizeof(ticket_query_texts) / sizeof(ticket_query_texts[0]), &q);
    q.max = (size_t)call->w->cfg.max_tickets;
    /* ?from=&until= (RFC 3339, detection time) and ?offset= (paging): issue #12 */
    if ((problem = list_query_problem(call, ticket_query_names, ticket_query_enums,
                                      N_ENUMS(ticket_query_enums), buf, sizeof(buf))) ||
        (problem = query_range(call, "from", &q.detected_from, &q.detected_until, &q.offset))) {
        return web_reply_bad_request(call, problem);
    }
    if (call->p.user.role == WEB_ROLE_LIAISON || call->p.user.role == WEB_ROLE_HEAD) {
        q.department = call->p.user.department; /* they see only their department */
    }
    err = call->w->ops->list(call->w->ops_ctx, &q, &list);
    if (err) {
        return web_reply_store_error(call, err);
    }
    out = json_array();
    if (!out) {
        json_decref(list);
        return MHD_NO;
    }
    json_array_foreach(list, i, t)
    {
        if (ticket_visible(&call->p, t)) { /* defence in depth over the query */
            next_actions_for_caller(call, t);
            json_array_append(out, t);
        }
    }
    json_decref(list);
    return web_reply_json(call, MHD_HTTP_OK,
                          json_pack("{s:o, s:o}", "now", time_json(call->now), "tickets", out));
}

/*
 * Whether the caller may take action at all: the ticket store's action/role table decides
 * (ops->role_may; no ops or no role_may: nobody may). Its department is checked per ticket.
 */
static bool web_action_allowed(struct web_call *call, const char *action)
{
    return web_auth_allows(&call->p, WEB_PERM_VIEW_QUEUE) && call->w->ops &&
           call->w->ops->role_may &&
           call->w->ops->role_may(call->w->ops_ctx, action, web_role_name(call->p.user.role));
}

static const struct yq_label *action_find(const char *name)
{
    size_t n = 0;
    const struct yq_label *v = yq_label_table(YQ_LABEL_ACTION, &n);

    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].code, name) == 0) {
            return &v[i];
        }
    }
    return NULL;
}

/*
 * A ticket or event handed to a department nobody is registered for would be seen by no one:
 * lead (a JSON string or absent) and each string of co (a JSON array or absent) must be known
 * departments. Returns 0, ERR_NOT_FOUND (why: "department_unknown: 中文说明") or the store's
 * error.
 */
static int departments_check(struct web_call *call, const json_t *lead, const json_t *co,
                             char *why, size_t whylen)
{
    const char *name = json_string_value(lead);
    size_t i;
    json_t *d;
    int err = name ? web_department_check(call->w->auth, name) : 0;

    json_array_foreach(co, i, d)
    {
        if (!err && json_is_string(d)) {
            name = json_string_value(d);
            err = web_department_check(call->w->auth, name);
        }
    }
    if (err == ERR_NOT_FOUND) {
        snprintf(why, whylen, "department_unknown: 部门“%.100s”不存在，请先在管理页添加", name);
    }
    return err;
}

/* The caller as the actor of a ticket, desk or silence action (borrowed from the session). */
static void call_actor(const struct web_call *call, struct web_actor *out)
{
    out->username = call->p.user.username;
    out->role = web_role_name(call->p.user.role);
    out->department = call->p.user.department;
}

/* The JSON body of a POST, or a new empty object when it has none; NULL: out of memory. */
static json_t *body_or_empty(struct web_call *call)
{
    json_t *body = web_body_json(call);

    return body ? body : json_object();
}

/*
 * The body of an action POST (body_or_empty()) into *out, new: the caller releases it. For
 * "assign" the departments it names under lead_key (a string) and co_key (an array) must
 * exist (departments_check()). Returns true with *out, or false with the reply to return in
 * *refused (400 naming the unknown department, the store's error, MHD_NO when out of memory).
 */
static bool action_body(struct web_call *call, const char *action, const char *lead_key,
                        const char *co_key, json_t **out, enum MHD_Result *refused)
{
    char why[256] = "";
    json_t *body = body_or_empty(call);
    int err;

    *out = NULL;
    if (!body) {
        *refused = MHD_NO;
        return false;
    }
    if (strcmp(action, "assign") == 0 &&
        (err = departments_check(call, json_object_get(body, lead_key),
                                 json_object_get(body, co_key), why, sizeof(why)))) {
        json_decref(body);
        *refused = err == ERR_NOT_FOUND ? web_reply_bad_request(call, why)
                                        : web_reply_store_error(call, err);
        return false;
    }
    *out = body;
    return true;
}

/*
 * Bind the act to the ticket the checks read: t (the ticket JSON ticket_visible() and
 * department_may_act() passed, borrowed) gives its "version" to body (the action's arguments,
 * changed in place) as "expected_version" when the client sent none, so that a change landing
 * between the check and the act's own transaction (a 转办 that moves the ticket to another
 * department) fails the act with 409 version_changed and writes nothing. A client's own
 * expected_version other than the checked one is refused here with the same 409 (a later
 * version could otherwise be met by a change the checks never saw); one that is not a
 * non-negative integer is left to the act's 400 (expected_version_invalid). Ops whose tickets
 * carry no version are not bound. Returns true, or false with the reply to return in *refused
 * (MHD_NO when out of memory).
 */
static bool expect_checked_version(struct web_call *call, const char *number, json_t *t,
                                   json_t *body, enum MHD_Result *refused)
{
    json_t *v = json_object_get(t, "version"), *ev = json_object_get(body, "expected_version");
    json_int_t checked = json_is_integer(v) ? json_integer_value(v) : -1;
    char why[256];

    if (checked < 0) {
        return true;
    }
    if (!ev || json_is_null(ev)) {
        if (json_object_set_new(body, "expected_version", json_integer(checked)) != 0) {
            *refused = MHD_NO;
            return false;
        }
        return true;
    }
    if (json_is_integer(ev) && json_integer_value(ev) >= 0 && json_integer_value(ev) != checked) {
        snprintf(why, sizeof(why),
                 "version_changed: 交办单 %s 已被他人更新（版本 %lld，预期 %lld），请刷新后重试",
                 number, (long long)checked, (long long)json_integer_value(ev));
        *refused = web_reply_error(call, MHD_HTTP_CONFLICT, "bad_state", why);
        return false;
    }
    return true;
}

/*
 * The reply to POST /api/tickets/{number}/{word} or /api/inbox/{id}/{word} on an existing
 * ticket or event when word (NUL-terminated, borrowed) is no action: 400 unknown_action naming
 * it, as docs/api.md lists it (it was 404 not_found, the router answering before the flow).
 */
static enum MHD_Result reply_unknown_action(struct web_call *call, const char *word)
{
    char why[160];

    snprintf(why, sizeof(why), "unknown_action: 未知的操作“%.40s”", word);
    return web_reply_bad_request(call, why);
}

static enum MHD_Result ticket_route(struct web_call *call, const char *rest)
{
    const struct yq_label *action = NULL;
    char number[48], why[256] = "";
    const char *slash = strchr(rest, '/');
    size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
    json_t *t = NULL, *body;
    struct web_actor actor;
    enum MHD_Result refused;
    int err;

    if (!number_ok(rest, n)) {
        return web_reply_not_found(call);
    }
    memcpy(number, rest, n);
    number[n] = '\0';
    if (slash) {
        /* an unknown word is answered once the ticket is known to exist and be visible */
        action = action_find(slash + 1);
        if (!method_is(call, MHD_HTTP_METHOD_POST)) {
            return web_reply_method_not_allowed(call);
        }
        if (action && !web_action_allowed(call, action->code)) {
            return web_reply_forbidden(call);
        }
    } else if (!method_is(call, MHD_HTTP_METHOD_GET) && !method_is(call, MHD_HTTP_METHOD_HEAD)) {
        return web_reply_method_not_allowed(call);
    }
    err = call->w->ops->get(call->w->ops_ctx, number, &t);
    if (err == ERR_NOT_FOUND) {
        snprintf(why, sizeof(why), "没有交办单 %s", number); /* as yuqingctl tickets says */
        return web_reply_error(call, MHD_HTTP_NOT_FOUND, "not_found", why);
    }
    if (err) {
        return web_reply_store_error(call, err);
    }
    if (!ticket_visible(&call->p, t)) {
        json_decref(t);
        return web_reply_forbidden(call);
    }
    if (slash && !action) {
        json_decref(t);
        return reply_unknown_action(call, slash + 1);
    }
    if (action && !department_may_act(call, t, action->code)) {
        json_decref(t);
        return web_reply_error(call, MHD_HTTP_FORBIDDEN, "forbidden",
                               "lead_department_only: 签收、退回和办结由牵头部门进行，"
                               "协办部门可登记回应");
    }
    if (!action) {
        return reply_ticket(call, t);
    }
    if (!action_body(call, action->code, "department", "co_departments", &body, &refused)) {
        json_decref(t);
        return refused;
    }
    if (!expect_checked_version(call, number, t, body, &refused)) {
        json_decref(body);
        json_decref(t);
        return refused;
    }
    json_decref(t);
    t = NULL;
    call_actor(call, &actor);
    err = call->w->ops->act(call->w->ops_ctx, number, action->code, &actor, body, why,
                            sizeof(why));
    json_decref(body);
    if (err == ERR_NOT_FOUND) {
        /* the flow's own code and message (proposal_not_found: 交办单 … 没有编号为 … 的疑似回应) */
        return why[0] ? web_reply_error(call, MHD_HTTP_NOT_FOUND, "not_found", why)
                      : web_reply_not_found(call);
    }
    if (err == ERR_INVALID) {
        return web_reply_bad_request(call, why[0] ? why : "参数无效");
    }
    if (err == ERR_BAD_STATE) {
        return web_reply_error(call, MHD_HTTP_CONFLICT, "bad_state",
                               why[0] ? why : "当前状态下不能进行此操作");
    }
    if (err) {
        return web_reply_store_error(call, err);
    }
    LOG_INFO("ticket action number=%s action=%s user=%s", YQ_Q(number), action->code,
             YQ_Q(actor.username));
    err = call->w->ops->get(call->w->ops_ctx, number, &t);
    if (err) {
        return web_reply_store_error(call, err);
    }
    return reply_ticket(call, t);
}

static enum MHD_Result route_tickets(struct web_call *call, const char *rest)
{
    if (!web_auth_allows(&call->p, WEB_PERM_VIEW_QUEUE)) {
        return web_reply_forbidden(call);
    }
    if (!call->w->ops) {
        return web_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
                               "交办单服务未启用");
    }
    if (!rest[0]) {
        if (!method_is(call, MHD_HTTP_METHOD_GET) && !method_is(call, MHD_HTTP_METHOD_HEAD)) {
            return web_reply_method_not_allowed(call);
        }
        return ticket_list(call);
    }
    return ticket_route(call, rest);
}

/* --------------------------------------------------- the desk (issue #13) */

/* The desk's ops, or NULL when the notifier provides none. */
static const struct web_desk_ops *desk_ops(const struct web_call *call)
{
    return call->w->ops ? call->w->ops->desk : NULL;
}

/* Adds "now" to o (an object, borrowed) and replies 200 with it. */
static enum MHD_Result reply_with_now(struct web_call *call, unsigned status, json_t *o)
{
    if (!o || json_object_set_new(o, "now", time_json(call->now)) != 0) {
        json_decref(o);
        return MHD_NO;
    }
    return web_reply_json(call, status, o);
}

/*
 * The reply to a refused desk operation (the ticket actions' mapping): ERR_NOT_FOUND 404,
 * ERR_INVALID 400, ERR_BAD_STATE 409, each with the ops' zh-CN reason (why) or a default.
 */
static enum MHD_Result desk_refusal(struct web_call *call, int err, const char *why)
{
    if (err == ERR_NOT_FOUND) {
        return web_reply_error(call, MHD_HTTP_NOT_FOUND, "not_found",
                               why && why[0] ? why : "未找到");
    }
    if (err == ERR_INVALID) {
        return web_reply_bad_request(call, why && why[0] ? why : "参数无效");
    }
    if (err == ERR_BAD_STATE) {
        return web_reply_error(call, MHD_HTTP_CONFLICT, "bad_state",
                               why && why[0] ? why : "当前状态下不能进行此操作，请刷新后重试");
    }
    return web_reply_store_error(call, err);
}

/* The officer's actions on an event (docs/api.md); the ops map each to event_flow.h. */
static const char *const inbox_actions[] = {"assign", "confirm", "merge", "watch", "dismiss"};

/*
 * GET /api/inbox?state=&level=&group=&source_kind=&region=&since=&until=&limit=&offset=
 * (since/until RFC 3339 detection times; limit at most web.max_tickets).
 */
static const struct query_text inbox_query_texts[] = {
    {"state", offsetof(struct web_inbox_query, state)},
    {"level", offsetof(struct web_inbox_query, level)},
    {"group", offsetof(struct web_inbox_query, group)},
    {"source_kind", offsetof(struct web_inbox_query, source_kind)},
    {"region", offsetof(struct web_inbox_query, region)},
};

static const struct query_enum inbox_query_enums[] = {
    {"state", event_state_known,
     "state_invalid: state 须为 pending、auto_assigned、assigned、watching、merged、dismissed "
     "或 all"},
    {"level", level_known, "level_invalid: level 须为 I、II、III 或 IV"},
    {"source_kind", source_kind_known,
     "source_kind_invalid: source_kind 须为来源类型 rss、atom、json、wechat、weibo 或其名称"
     "（网站、微信公众号、微博）"},
};

static const char *const inbox_query_names[] = {"state", "level", "group",  "source_kind", "region",
                                                "since", "until", "offset", "limit",       NULL};

static enum MHD_Result inbox_list(struct web_call *call, const struct web_desk_ops *desk)
{
    struct web_inbox_query q;
    size_t limit = 0;
    json_t *out = NULL;
    char buf[128];
    const char *problem;
    int err;

    memset(&q, 0, sizeof(q));
    query_texts(call, inbox_query_texts, sizeof(inbox_query_texts) / sizeof(inbox_query_texts[0]),
                &q);
    q.max = (size_t)call->w->cfg.max_tickets;
    if ((problem = list_query_problem(call, inbox_query_names, inbox_query_enums,
                                      N_ENUMS(inbox_query_enums), buf, sizeof(buf))) ||
        (problem = query_range(call, "since", &q.since, &q.until, &q.offset))) {
        return web_reply_bad_request(call, problem);
    }
    if (arg(call, "limit")) {
        if (parse_limit(arg(call, "limit"), q.max, &limit)) {
            return web_reply_bad_request(
                call, "limit_invalid: limit 须为正整数（超过 web.max_tickets 时按其计）");
        }
        q.max = limit;
    }
    err = desk->inbox_list(call->w->ops_ctx, &q, &out);
    if (err == ERR_INVALID) { /* state, level and source_kind were checked above */
        return web_reply_bad_request(call, "range_invalid: 筛选条件无效：since 须早于 until");
    }
    if (err) {
        return web_reply_store_error(call, err);
    }
    return reply_with_now(call, MHD_HTTP_OK, out);
}

/* GET /api/inbox/{id}, POST /api/inbox/{id}/{action}. */
static enum MHD_Result inbox_route(struct web_call *call, const struct web_desk_ops *desk,
                                   const char *rest)
{
    const char *slash = strchr(rest, '/'), *action = NULL;
    char why[256] = "";
    json_t *body, *result = NULL, *ev = NULL;
    struct web_actor actor;
    enum MHD_Result refused;
    int64_t id = 0;
    int err;

    if (web_parse_id(rest, slash ? (size_t)(slash - rest) : strlen(rest), 15, &id) != 0) {
        return web_reply_not_found(call);
    }
    snprintf(why, sizeof(why), "没有事件 %lld", (long long)id); /* the reason it is 404 */
    if (!slash) {
        if (!method_is(call, MHD_HTTP_METHOD_GET) && !method_is(call, MHD_HTTP_METHOD_HEAD)) {
            return web_reply_method_not_allowed(call);
        }
        err = desk->inbox_get(call->w->ops_ctx, id, &ev);
        if (!err && web_events_add_hot(call->w, ev) != 0) { /* issue #15: hot-search ranks */
            json_decref(ev);
            return MHD_NO;
        }
        return err ? desk_refusal(call, err, why) : reply_with_now(call, MHD_HTTP_OK, ev);
    }
    for (size_t i = 0; i < sizeof(inbox_actions) / sizeof(inbox_actions[0]); i++) {
        if (strcmp(slash + 1, inbox_actions[i]) == 0) {
            action = inbox_actions[i];
        }
    }
    if (!method_is(call, MHD_HTTP_METHOD_POST)) {
        return web_reply_method_not_allowed(call);
    }
    if (!action) {
        /* an unknown word on an existing event is unknown_action; on none, the 404 naming it */
        err = desk->inbox_get(call->w->ops_ctx, id, &ev);
        json_decref(ev);
        return err ? desk_refusal(call, err, why) : reply_unknown_action(call, slash + 1);
    }
    why[0] = '\0';
    if (!desk->inbox_act) {
        return web_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
                               "研判操作未启用");
    }
    if (!action_body(call, action, "lead", "co", &body, &refused)) {
        return refused;
    }
    call_actor(call, &actor);
    err = desk->inbox_act(call->w->ops_ctx, id, action, &actor, body, &result, why, sizeof(why));
    json_decref(body);
    if (err) {
        json_decref(result);
        return desk_refusal(call, err, why);
    }
    LOG_INFO("event action id=%lld action=%s user=%s", (long long)id, action,
             YQ_Q(actor.username));
    if (!result && !(result = json_object())) {
        return MHD_NO;
    }
    err = desk->inbox_get(call->w->ops_ctx, id, &ev);
    if (err) {
        json_decref(result);
        return web_reply_store_error(call, err);
    }
    if (json_object_set_new(result, "ok", json_true()) != 0 ||
        json_object_set_new(result, "event", ev) != 0) {
        json_decref(result);
        return MHD_NO;
    }
    return reply_with_now(call, MHD_HTTP_OK, result);
}

/* /api/inbox...: duty officers and admins only (liaisons and heads get 403). */
static enum MHD_Result route_inbox(struct web_call *call, const char *rest)
{
    const struct web_desk_ops *desk = desk_ops(call);

    if (!web_auth_allows(&call->p, WEB_PERM_DUTY_ACTION)) {
        return web_reply_forbidden(call);
    }
    if (!desk || !desk->inbox_list || !desk->inbox_get) {
        return web_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
                               "研判台服务未启用");
    }
    if (!rest[0]) {
        if (!method_is(call, MHD_HTTP_METHOD_GET) && !method_is(call, MHD_HTTP_METHOD_HEAD)) {
            return web_reply_method_not_allowed(call);
        }
        return inbox_list(call, desk);
    }
    return inbox_route(call, desk, rest);
}

/*
 * /api/silences: GET [?all=1] the list, POST a new one; /api/silences/{id}/revoke (POST),
 * /api/silences/{id}/alerts (GET). Duty officers and admins only.
 */
static enum MHD_Result route_silences(struct web_call *call, const char *rest)
{
    const struct web_desk_ops *desk = desk_ops(call);
    const char *slash = strchr(rest, '/');
    char why[256] = "";
    json_t *v = NULL, *body;
    struct web_actor actor;
    int64_t id = 0;
    int err;

    if (!web_auth_allows(&call->p, WEB_PERM_DUTY_ACTION)) {
        return web_reply_forbidden(call);
    }
    if (!desk || !desk->silence_list || !desk->silence_add || !desk->silence_revoke ||
        !desk->silence_alerts) {
        return web_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
                               "屏蔽规则服务未启用");
    }
    call_actor(call, &actor);
    if (!rest[0]) {
        if (method_is(call, MHD_HTTP_METHOD_GET) || method_is(call, MHD_HTTP_METHOD_HEAD)) {
            static const char *const names[] = {"all", NULL};
            static const struct query_enum enums[] = {
                {"all", flag_known, "all_invalid: all 只能是 1（含已撤销和已到期的）或 0"},
            };
            const char *all = arg(call, "all");
            char buf[128];
            const char *problem =
                list_query_problem(call, names, enums, N_ENUMS(enums), buf, sizeof(buf));
            if (problem) {
                return web_reply_bad_request(call, problem);
            }
            err = desk->silence_list(call->w->ops_ctx,
                                     all && strcmp(all, "0") != 0 && strcmp(all, "false") != 0, &v);
            if (err) {
                return web_reply_store_error(call, err);
            }
            return reply_with_now(call, MHD_HTTP_OK, json_pack("{s:o}", "silences", v));
        }
        if (!method_is(call, MHD_HTTP_METHOD_POST)) {
            return web_reply_method_not_allowed(call);
        }
        body = body_or_empty(call);
        if (!body) {
            return MHD_NO;
        }
        err = desk->silence_add(call->w->ops_ctx, &actor, body, &id, why, sizeof(why));
        json_decref(body);
        if (err) {
            return desk_refusal(call, err, why);
        }
        LOG_INFO("silence added id=%lld user=%s", (long long)id, YQ_Q(actor.username));
        return reply_with_now(call, MHD_HTTP_CREATED,
                              json_pack("{s:b, s:I}", "ok", 1, "id", (json_int_t)id));
    }
    if (!slash || web_parse_id(rest, (size_t)(slash - rest), 15, &id) != 0) {
        return web_reply_not_found(call);
    }
    if (strcmp(slash + 1, "revoke") == 0) {
        if (!method_is(call, MHD_HTTP_METHOD_POST)) {
            return web_reply_method_not_allowed(call);
        }
        err = desk->silence_revoke(call->w->ops_ctx, id, &actor, why, sizeof(why));
        if (err) {
            return desk_refusal(call, err, why);
        }
        LOG_INFO("silence revoked id=%lld user=%s", (long long)id, YQ_Q(actor.username));
        return reply_with_now(call, MHD_HTTP_OK, json_pack("{s:b, s:I}", "ok", 1, "id",
                                                           (json_int_t)id));
    }
    if (strcmp(slash + 1, "alerts") == 0) {
        if (!method_is(call, MHD_HTTP_METHOD_GET) && !method_is(call, MHD_HTTP_METHOD_HEAD)) {
            return web_reply_method_not_allowed(call);
        }
        err = desk->silence_alerts(call->w->ops_ctx, id, (size_t)call->w->cfg.max_tickets, &v);
        if (err) {
            return desk_refusal(call, err, "屏蔽规则不存在");
        }
        return reply_with_now(call, MHD_HTTP_OK, json_pack("{s:o}", "alerts", v));
    }
    return web_reply_not_found(call);
}

/* ------------------------------------------------------------- labels */

/*
 * GET /api/meta/labels: every label table of yq_labels.h, {"labels": {"states": [{"code",
 * "label"}, ...], "dismiss_reasons": [...], ...}} in display order, so the UI keeps no list of
 * its own (issue #11: one list of dismiss reasons everywhere).
 */
static enum MHD_Result route_labels(struct web_call *call)
{
    json_t *all = json_object();

    if (!method_is(call, MHD_HTTP_METHOD_GET) && !method_is(call, MHD_HTTP_METHOD_HEAD)) {
        json_decref(all);
        return web_reply_method_not_allowed(call);
    }
    for (int k = 0; all && k < YQ_LABEL_KIND_COUNT; k++) {
        size_t n = 0;
        const struct yq_label *v = yq_label_table((enum yq_label_kind)k, &n);
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < n; i++) {
            if (json_array_append_new(arr, json_pack("{s:s, s:s}", "code", v[i].code, "label",
                                                     v[i].label)) != 0) {
                json_decref(arr);
                arr = NULL;
            }
        }
        if (!arr || json_object_set_new(all, yq_label_kind_name((enum yq_label_kind)k), arr)) {
            json_decref(all);
            all = NULL;
        }
    }
    if (!all) {
        return MHD_NO;
    }
    return web_reply_json(call, MHD_HTTP_OK, json_pack("{s:o}", "labels", all));
}

/*
 * GET /api/held-items[?reason=old|official][&q=TEXT] (issue #11): matched items that opened no
 * ticket (old posts, the government's own posts), for the duty officer, optionally only those
 * whose title, excerpt, channel, author or URL contains TEXT; liaisons and heads get 403.
 */
static const struct query_enum held_query_enums[] = {
    {"reason", held_reason_known,
     "reason_invalid: reason 只能是 old（旧帖）、undated（未标注发布时间）或 official（政务发布）"},
};

static const char *const held_query_names[] = {"reason", "q", NULL};

static enum MHD_Result route_held(struct web_call *call)
{
    const char *reason = arg(call, "reason"), *query = arg(call, "q"), *problem;
    char buf[128];
    json_t *list = NULL;
    int err;

    if (!method_is(call, MHD_HTTP_METHOD_GET) && !method_is(call, MHD_HTTP_METHOD_HEAD)) {
        return web_reply_method_not_allowed(call);
    }
    if (call->p.user.role == WEB_ROLE_LIAISON || call->p.user.role == WEB_ROLE_HEAD ||
        !web_auth_allows(&call->p, WEB_PERM_VIEW_QUEUE)) {
        return web_reply_forbidden(call);
    }
    if ((problem = list_query_problem(call, held_query_names, held_query_enums,
                                      N_ENUMS(held_query_enums), buf, sizeof(buf)))) {
        return web_reply_bad_request(call, problem);
    }
    if (call->w->ops && call->w->ops->list_held) {
        err = call->w->ops->list_held(call->w->ops_ctx, reason, query,
                                      (size_t)call->w->cfg.max_tickets, &list);
        if (err) {
            return web_reply_store_error(call, err);
        }
    } else {
        list = json_array();
    }
    return web_reply_json(call, MHD_HTTP_OK,
                          json_pack("{s:o, s:o}", "now", time_json(call->now), "items", list));
}

/* ----------------------------------------------------------- dispatch */

/* rest of url after prefix (with a following '/' or end), or NULL. */
static const char *under(const char *url, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(url, prefix, n) != 0) {
        return NULL;
    }
    if (url[n] == '\0') {
        return url + n;
    }
    return url[n] == '/' ? url + n + 1 : NULL;
}

enum MHD_Result web_route_api(struct web_call *call)
{
    const char *url = call->url, *rest;

    if (strcmp(url, "/api/login") == 0) {
        return route_login(call);
    }
    if (!call->authed) {
        return web_reply_unauthorized(call);
    }
    if (strcmp(url, "/api/me") == 0) {
        if (!method_is(call, MHD_HTTP_METHOD_GET)) {
            return web_reply_method_not_allowed(call);
        }
        return web_reply_json(call, MHD_HTTP_OK, me_json(&call->p, call->now));
    }
    if (strcmp(url, "/api/logout") == 0) {
        return route_logout(call);
    }
    if (strcmp(url, "/api/password") == 0) {
        return route_password(call);
    }
    if (call->p.user.must_change_password) {
        return web_reply_error(call, MHD_HTTP_FORBIDDEN, "must_change_password",
                               "请先修改初始密码");
    }
    if (strcmp(url, "/api/events") == 0 &&
        (method_is(call, MHD_HTTP_METHOD_GET) || method_is(call, MHD_HTTP_METHOD_HEAD))) {
        return web_route_events(call); /* after the forced password change, as every route */
    }
    if ((rest = under(url, "/api/tickets"))) {
        return route_tickets(call, rest);
    }
    if ((rest = under(url, "/api/inbox"))) {
        return route_inbox(call, rest);
    }
    if ((rest = under(url, "/api/silences"))) {
        return route_silences(call, rest);
    }
    if (strcmp(url, "/api/held-items") == 0) {
        return route_held(call);
    }
    if ((rest = under(url, "/api/users"))) {
        return route_users(call, rest);
    }
    if ((rest = under(url, "/api/tokens"))) {
        return route_tokens(call, rest);
    }
    if ((rest = under(url, "/api/departments"))) {
        return route_departments(call, rest);
    }
    if ((rest = under(url, "/api/search"))) {
        return web_route_search(call, rest); /* issue #14: roles checked there */
    }
    if ((rest = under(url, "/api/reports"))) {
        return web_route_reports(call, rest); /* issue #14: briefings and 专报 */
    }
    if ((rest = under(url, "/api/stats"))) {
        return web_route_stats(call, rest); /* any role; liaisons see their department */
    }
    if (strcmp(url, "/api/meta/labels") == 0) {
        return route_labels(call);
    }
    if (strcmp(url, "/api/meta/intake") == 0) {
        /* the duty page's banner (also pushed as the event stream's "intake" events) */
        if (!method_is(call, MHD_HTTP_METHOD_GET) && !method_is(call, MHD_HTTP_METHOD_HEAD)) {
            return web_reply_method_not_allowed(call);
        }
        if (!web_auth_allows(&call->p, WEB_PERM_VIEW_QUEUE)) {
            return web_reply_error(call, MHD_HTTP_FORBIDDEN, "forbidden", "无权访问");
        }
        return reply_with_now(call, MHD_HTTP_OK, web_intake_json(call->w));
    }
    if (strcmp(url, "/api/actions") == 0) {
        static const char *const none[] = {NULL}; /* it takes no parameter */
        char buf[128];
        const char *problem = list_query_problem(call, none, NULL, 0, buf, sizeof(buf));
        json_t *arr;
        size_t n = 0;
        const struct yq_label *v = yq_label_table(YQ_LABEL_ACTION, &n);

        if (problem) {
            return web_reply_bad_request(call, problem);
        }
        arr = json_array();
        for (size_t i = 0; arr && i < n; i++) {
            json_array_append_new(arr, json_pack("{s:s, s:s, s:b}", "name", v[i].code, "label",
                                                 v[i].label, "allowed",
                                                 web_action_allowed(call, v[i].code)));
        }
        return web_reply_json(call, MHD_HTTP_OK, json_pack("{s:o}", "actions", arr));
    }
    if (strcmp(url, "/api/sources") == 0 || strcmp(url, "/api/sources/blind") == 0 ||
        (rest = under(url, "/api/rules"))) {
        if (!web_auth_allows(&call->p, WEB_PERM_VIEW_SYSTEM)) {
            return web_reply_forbidden(call);
        }
        if (strcmp(url, "/api/sources") == 0) {
            return method_is(call, MHD_HTTP_METHOD_GET) ? web_route_sources(call)
                                                        : web_reply_method_not_allowed(call);
        }
        if (strcmp(url, "/api/sources/blind") == 0) { /* issue #15: 监测盲区 */
            return method_is(call, MHD_HTTP_METHOD_GET) ? web_route_sources_blind(call)
                                                        : web_reply_method_not_allowed(call);
        }
        if (!rest[0]) {
            return method_is(call, MHD_HTTP_METHOD_GET) ? web_route_rules(call)
                                                        : web_reply_method_not_allowed(call);
        }
        if (strcmp(rest, "backtest") == 0) {
            return method_is(call, MHD_HTTP_METHOD_POST) ? web_route_rules_backtest(call)
                                                         : web_reply_method_not_allowed(call);
        }
        if (strcmp(rest, "test") == 0) {
            return method_is(call, MHD_HTTP_METHOD_POST) ? web_route_rules_test(call)
                                                         : web_reply_method_not_allowed(call);
        }
    }
    return web_reply_not_found(call);
}
