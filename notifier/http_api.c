#include "http_api.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "stats.h"
#include "ticket_api.h"
#include "web_notifier_ops.h"
#include "workcal.h"
#include "yq_alert.h"
#include "yq_banned.h"
#include "yq_err.h"
#include "yq_html.h"
#include "yq_log.h"
#include "yq_time.h"

#define HOFF(f) offsetof(struct http_api_cfg, f)

const struct cfg_key http_api_cfg_keys[] = {
    {"bind_address", CFG_STRING, "127.0.0.1", 0, 0, HOFF(bind_address),
     "IPv4 or IPv6 address to listen on (keep it on loopback behind a proxy)", NULL},
    {"port", CFG_INT, "8080", 0, 65535, HOFF(port), "TCP port; 0 picks a free one", NULL},
    {"max_tickets", CFG_INT, "500", 1, 100000, HOFF(max_tickets),
     "open tickets listed per page and API response", NULL},
    {"max_items_per_ticket", CFG_INT, "20", 1, 10000, HOFF(max_items_per_ticket),
     "items listed per ticket in /api/tickets", NULL},
    {"connection_limit", CFG_INT, "256", 1, 10000, HOFF(connection_limit),
     "concurrent HTTP connections", NULL},
    {"connection_timeout_ms", CFG_MS, "30000", 1000, 3600000, HOFF(connection_timeout_ms),
     "idle connections are closed after this", NULL},
    {"max_body_bytes", CFG_SIZE, "64k", 1024, 1048576, HOFF(max_body_bytes),
     "POST bodies above this are refused (413)", NULL},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

#define CSP "default-src 'none'; style-src 'self'"

struct http_api {
    struct MHD_Daemon *daemon;
    struct ticket_store *store;  /* read-only; guarded by lock */
    struct ticket_store *writer; /* writable, for ticket actions; guarded by lock */
    struct web *web;             /* the web UI (NULL: not enabled) */
    struct web_notifier_ctx web_ctx;
    struct web_cfg web_cfg;            /* cfg->web with the calendar below (web_new copies it) */
    struct stats_calendar stats_cal;   /* the policy's workcal for the statistics page */
    size_t max_body;
    pthread_mutex_t lock;
    bool lock_init;
    struct notifier_metrics *metrics;
    size_t max_tickets;
    size_t max_items;
    unsigned port;
};

/* A response body under construction: open_memstream grows it, ferror() reports NOMEM. */
struct body {
    FILE *f;
    char *buf;
    size_t len;
};

static int body_open(struct body *b)
{
    memset(b, 0, sizeof(*b));
    b->f = open_memstream(&b->buf, &b->len);
    return b->f ? 0 : ERR_NOMEM;
}

/* Close the stream; on success b->buf (len b->len) is the caller's to free(). */
static int body_close(struct body *b)
{
    int bad = ferror(b->f);
    if (fclose(b->f) != 0 || bad) {
        free(b->buf);
        b->buf = NULL;
        return ERR_NOMEM;
    }
    return 0;
}

/* Escape text for HTML element content and quoted attribute values. */
static void html_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        const char *rep = yq_html_entity(*s);
        if (rep) {
            fputs(rep, f);
        } else {
            fputc(*s, f);
        }
    }
}

/* Only absolute http(s) URLs become links: no javascript:, data: or relative tricks. */
static bool url_linkable(const char *url)
{
    return url && (strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0);
}

static const char *state_label(const char *state)
{
    static const struct {
        const char *state, *label;
    } labels[] = {
        {"open", "待签收"},   {"acknowledged", "已签收"}, {"responded", "已回应"},
        {"closed", "已办结"}, {"returned", "退回"},       {"dismissed", "不予处置"},
    };
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
        if (strcmp(state, labels[i].state) == 0) {
            return labels[i].label;
        }
    }
    return NULL;
}

static int render_html(struct http_api *api, struct body *b)
{
    struct ticket_list list;
    int64_t now = yq_time_now();
    char when[32];
    int err;

    pthread_mutex_lock(&api->lock);
    err = ticket_store_list_open(api->store, api->max_tickets, &list);
    pthread_mutex_unlock(&api->lock);
    if (err) {
        return err;
    }
    err = body_open(b);
    if (err) {
        ticket_list_release(&list);
        return err;
    }
    fputs("<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<title>舆情值班台</title>\n</head>\n<body>\n<h1>舆情值班台</h1>\n",
          b->f);
    fprintf(b->f, "<p>待办交办单 %zu 件，按回应时限排序；时间为北京时间 (UTC+8)。</p>\n", list.n);
    fputs("<table>\n<thead><tr><th>编号</th><th>标题</th><th>级别</th><th>主管部门</th>"
          "<th>回应时限</th><th>状态</th><th>条数</th></tr></thead>\n<tbody>\n",
          b->f);
    for (size_t i = 0; i < list.n; i++) {
        const struct ticket *t = &list.v[i];
        const char *label = state_label(t->state);

        fputs("<tr><td>", b->f);
        html_escape(b->f, t->number);
        fputs("</td><td>", b->f);
        if (url_linkable(t->url)) {
            fputs("<a href=\"", b->f);
            html_escape(b->f, t->url);
            fputs("\" rel=\"noopener noreferrer\">", b->f);
            html_escape(b->f, t->title);
            fputs("</a>", b->f);
        } else {
            html_escape(b->f, t->title);
        }
        fprintf(b->f, "</td><td>%s %s</td><td>", yq_level_name(t->level), yq_level_label(t->level));
        html_escape(b->f, t->department);
        fprintf(b->f, "</td><td>%s%s</td><td>",
                yq_time_format_shanghai(t->response_deadline, when, sizeof(when)),
                now > t->response_deadline ? "（已超时）" : "");
        html_escape(b->f, label ? label : t->state);
        fprintf(b->f, "</td><td>%lld</td></tr>\n", (long long)t->item_count);
    }
    if (list.n == 0) {
        fputs("<tr><td colspan=\"7\">暂无待办交办单</td></tr>\n", b->f);
    }
    fputs("</tbody>\n</table>\n</body>\n</html>\n", b->f);
    ticket_list_release(&list);
    return body_close(b);
}

/* Set key to a string, "" when s is not valid UTF-8 (jansson refuses it). */
static int set_str(json_t *obj, const char *key, const char *s)
{
    json_t *v = json_string(s ? s : "");
    return json_object_set_new(obj, key, v ? v : json_string(""));
}

static int set_time(json_t *obj, const char *key, bool has, int64_t t)
{
    char ts[32];
    if (!has) {
        return json_object_set_new(obj, key, json_null());
    }
    return set_str(obj, key, yq_time_format_utc(t, ts, sizeof(ts)));
}

/* Append the rule ids of one item (a JSON array as text) to rules, skipping repeats. */
static int merge_rules(json_t *rules, const char *ids_text)
{
    json_t *ids = json_loads(ids_text, 0, NULL);
    size_t i, j;
    json_t *id, *have;
    int rc = 0;

    if (!json_is_array(ids)) {
        json_decref(ids);
        return 0; /* written by this store; an unreadable value just adds no rules */
    }
    json_array_foreach(ids, i, id)
    {
        bool seen = false;
        if (!json_is_string(id)) {
            continue;
        }
        json_array_foreach(rules, j, have)
        {
            if (json_equal(have, id)) {
                seen = true;
                break;
            }
        }
        if (!seen) {
            rc |= json_array_append(rules, id);
        }
    }
    json_decref(ids);
    return rc;
}

static json_t *ticket_json(const struct ticket *t, const struct ticket_item_list *items)
{
    json_t *o = json_object(), *rules = json_array(), *jitems = json_array();
    int rc = 0;

    if (!o || !rules || !jitems) {
        json_decref(o);
        json_decref(rules);
        json_decref(jitems);
        return NULL;
    }
    for (size_t i = 0; i < items->n; i++) {
        const struct ticket_item *it = &items->v[i];
        json_t *ji = json_object();
        if (!ji) {
            rc = -1;
            break;
        }
        rc |= set_str(ji, "item_id", it->item_id);
        rc |= set_str(ji, "title", it->title);
        rc |= set_str(ji, "url", it->url);
        rc |= set_str(ji, "channel", it->channel);
        rc |= set_time(ji, "published_at", it->has_published, it->published_at);
        rc |= json_array_append_new(jitems, ji);
        rc |= merge_rules(rules, it->rule_ids);
    }
    rc |= set_str(o, "number", t->number);
    rc |= set_str(o, "title", t->title);
    rc |= set_str(o, "level", yq_level_name(t->level));
    rc |= set_str(o, "department", t->department);
    rc |= set_str(o, "state", t->state);
    rc |= set_str(o, "event_key", t->event_key);
    rc |= json_object_set_new(o, "item_count", json_integer(t->item_count));
    rc |= set_time(o, "detected_at", true, t->detected_at);
    rc |= set_time(o, "ack_deadline", true, t->ack_deadline);
    rc |= set_time(o, "response_deadline", true, t->response_deadline);
    rc |= set_str(o, "url", t->url);
    rc |= json_object_set_new(o, "rules", rules);
    rc |= json_object_set_new(o, "items", jitems);
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int render_json(struct http_api *api, struct body *b)
{
    struct ticket_list list;
    json_t *root = NULL, *arr = NULL;
    int err;

    pthread_mutex_lock(&api->lock);
    err = ticket_store_list_open(api->store, api->max_tickets, &list);
    if (err) {
        pthread_mutex_unlock(&api->lock);
        return err;
    }
    root = json_object();
    arr = json_array();
    if (!root || !arr || json_object_set(root, "tickets", arr)) {
        err = ERR_NOMEM;
    }
    for (size_t i = 0; !err && i < list.n; i++) {
        struct ticket_item_list items;
        json_t *jt;
        err = ticket_store_list_items(api->store, list.v[i].id, api->max_items, &items);
        if (err) {
            break;
        }
        jt = ticket_json(&list.v[i], &items);
        ticket_item_list_release(&items);
        if (!jt || json_array_append_new(arr, jt)) {
            err = ERR_NOMEM;
        }
    }
    pthread_mutex_unlock(&api->lock);
    ticket_list_release(&list);
    json_decref(arr);
    if (!err) {
        memset(b, 0, sizeof(*b));
        b->buf = json_dumps(root, JSON_COMPACT);
        if (!b->buf) {
            err = ERR_NOMEM;
        } else {
            b->len = strlen(b->buf);
        }
    }
    json_decref(root);
    return err;
}

static long long counter(atomic_llong *c)
{
    return c ? atomic_load_explicit(c, memory_order_relaxed) : 0;
}

static int render_metrics(struct http_api *api, struct body *b)
{
    static const struct {
        const char *name, *help;
        size_t offset;
    } counters[] = {
        {"yuqing_notifier_alerts_consumed_total", "alert messages read from Kafka",
         offsetof(struct notifier_metrics, alerts_consumed)},
        {"yuqing_notifier_alerts_malformed_total", "alert messages skipped as malformed",
         offsetof(struct notifier_metrics, alerts_malformed)},
        {"yuqing_notifier_alerts_rejected_total", "alerts refused by the ticket store",
         offsetof(struct notifier_metrics, alerts_rejected)},
        {"yuqing_notifier_tickets_created_total", "tickets opened",
         offsetof(struct notifier_metrics, tickets_created)},
        {"yuqing_notifier_items_attached_total", "items added to existing tickets",
         offsetof(struct notifier_metrics, items_attached)},
        {"yuqing_notifier_alerts_duplicate_total", "redelivered alerts that changed nothing",
         offsetof(struct notifier_metrics, alerts_duplicate)},
        {"yuqing_notifier_intake_retries_total", "ticket store failures retried",
         offsetof(struct notifier_metrics, intake_retries)},
        {"yuqing_notifier_commit_failures_total", "Kafka offset commits that failed",
         offsetof(struct notifier_metrics, commit_failures)},
        {"yuqing_notifier_notifications_delivered_total", "notifications a channel accepted",
         offsetof(struct notifier_metrics, notifications_delivered)},
        {"yuqing_notifier_notifications_retried_total", "notification attempts to retry later",
         offsetof(struct notifier_metrics, notifications_retried)},
        {"yuqing_notifier_notifications_failed_total", "notifications failed permanently",
         offsetof(struct notifier_metrics, notifications_failed)},
        {"yuqing_notifier_escalations_total", "reminders (催办) and supervisions (督办) recorded",
         offsetof(struct notifier_metrics, escalations)},
    };
    int64_t open_count = 0;
    int err, store_err;

    pthread_mutex_lock(&api->lock);
    store_err = ticket_store_count_open(api->store, &open_count);
    pthread_mutex_unlock(&api->lock);
    err = body_open(b);
    if (err) {
        return err;
    }
    for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++) {
        atomic_llong *c =
            api->metrics ? (atomic_llong *)((char *)api->metrics + counters[i].offset) : NULL;
        fprintf(b->f, "# HELP %s %s\n# TYPE %s counter\n%s %lld\n", counters[i].name,
                counters[i].help, counters[i].name, counters[i].name, counter(c));
    }
    fprintf(b->f,
            "# HELP yuqing_notifier_store_up 1 when the ticket store answered\n"
            "# TYPE yuqing_notifier_store_up gauge\nyuqing_notifier_store_up %d\n",
            store_err ? 0 : 1);
    if (!store_err) {
        fprintf(b->f,
                "# HELP yuqing_notifier_open_tickets tickets not closed or dismissed\n"
                "# TYPE yuqing_notifier_open_tickets gauge\nyuqing_notifier_open_tickets "
                "%lld\n",
                (long long)open_count);
    }
    return body_close(b);
}

static enum MHD_Result add_header(struct MHD_Response *r, const char *k, const char *v)
{
    return MHD_add_response_header(r, k, v);
}

/* Queue status with body (takes ownership of body, freed with free()). */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             char *body, size_t len)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    r = MHD_create_response_from_buffer_with_free_callback(len, body, &free);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    if (add_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
        add_header(r, "Content-Security-Policy", CSP) != MHD_YES ||
        add_header(r, "X-Content-Type-Options", "nosniff") != MHD_YES ||
        add_header(r, "Referrer-Policy", "no-referrer") != MHD_YES ||
        add_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
        (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
         add_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, POST") != MHD_YES)) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    char *copy = strdup(text);
    if (!copy) {
        return MHD_NO;
    }
    return reply(c, status, "text/plain; charset=utf-8", copy, strlen(copy));
}

/* Reply with a JSON value (takes the reference). */
static enum MHD_Result reply_json(struct MHD_Connection *c, unsigned status, json_t *v)
{
    char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
    json_decref(v);
    if (!text) {
        return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    }
    return reply(c, status, "application/json; charset=utf-8", text, strlen(text));
}

/* The request body of a POST, collected across calls; freed by request_done(). */
struct upload {
    void *web_cls; /* the web layer's per-request state (web_handle) */
    char *buf;
    size_t len;
    bool too_big;
};

static void request_done(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct upload *u = *req_cls;
    (void)cls;
    (void)c;
    (void)toe;
    if (u) {
        web_request_completed(u->web_cls);
        free(u->buf);
        free(u);
        *req_cls = NULL;
    }
}

/* Split "/api/tickets/NUMBER[/ACTION]" into number and action (both into caller buffers). */
static bool ticket_path(const char *url, char *number, size_t nlen, char *action, size_t alen)
{
    const char *p = url + strlen("/api/tickets/"), *slash;
    size_t len;

    if (strncmp(url, "/api/tickets/", strlen("/api/tickets/")) != 0) {
        return false;
    }
    slash = strchr(p, '/');
    len = slash ? (size_t)(slash - p) : strlen(p);
    if (len == 0 || len >= nlen) {
        return false;
    }
    memcpy(number, p, len);
    number[len] = '\0';
    action[0] = '\0';
    if (slash) {
        if (strlen(slash + 1) == 0 || strlen(slash + 1) >= alen || strchr(slash + 1, '/')) {
            return false;
        }
        snprintf(action, alen, "%s", slash + 1);
    }
    return true;
}

static enum MHD_Result handle_action(struct http_api *api, struct MHD_Connection *c,
                                     const char *number, const char *action, struct upload *u)
{
    json_t *body = NULL, *answer = NULL, *actor, *role;
    json_error_t jerr;
    char errbuf[300] = "";
    int err;

    if (u->too_big) {
        return reply_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large\n");
    }
    body = json_loadb(u->buf ? u->buf : "", u->len, 0, &jerr);
    if (!json_is_object(body)) {
        json_decref(body);
        return reply_json(
            c, MHD_HTTP_BAD_REQUEST,
            json_pack("{s:b,s:s}", "ok", 0, "error", "the body must be a JSON object"));
    }
    actor = json_object_get(body, "actor");
    role = json_object_get(body, "role");
    pthread_mutex_lock(&api->lock);
    err = ticket_api_act(api->writer, number, action,
                         json_is_string(actor) ? json_string_value(actor) : NULL,
                         json_is_string(role) ? json_string_value(role) : NULL, body, yq_time_now(),
                         &answer, errbuf, sizeof(errbuf));
    pthread_mutex_unlock(&api->lock);
    json_decref(body);
    if (err && err != ERR_INVALID && err != ERR_NOT_FOUND && err != ERR_BAD_STATE) {
        LOG_WARN("ticket action failed number=%s action=%s err='%s' reason='%s'", number, action,
                 yq_strerror(err), errbuf);
    }
    return reply_json(c, ticket_api_http_status(err), answer);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
    struct http_api *api = cls;
    struct body b;
    const char *type;
    char number[40], action[24];
    int err;

    (void)version;
    if (api->web && web_owns_url(url)) {
        struct upload *u = *req_cls;
        if (!u) {
            u = calloc(1, sizeof(*u));
            if (!u) {
                return MHD_NO;
            }
            *req_cls = u;
        }
        return web_handle(api->web, c, url, method, upload_data, upload_data_size, &u->web_cls);
    }
    if (strcmp(method, MHD_HTTP_METHOD_POST) == 0) {
        struct upload *u = *req_cls;
        if (!ticket_path(url, number, sizeof(number), action, sizeof(action)) || !action[0]) {
            return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
        }
        if (!u) {
            u = calloc(1, sizeof(*u));
            if (!u) {
                return MHD_NO;
            }
            *req_cls = u;
            return MHD_YES;
        }
        if (*upload_data_size > 0) {
            if (!u->too_big && u->len + *upload_data_size <= api->max_body) {
                char *nb = realloc(u->buf, u->len + *upload_data_size + 1);
                if (!nb) {
                    return MHD_NO;
                }
                u->buf = nb;
                memcpy(u->buf + u->len, upload_data, *upload_data_size);
                u->len += *upload_data_size;
                u->buf[u->len] = '\0';
            } else {
                u->too_big = true;
            }
            *upload_data_size = 0;
            return MHD_YES;
        }
        return handle_action(api, c, number, action, u);
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    if (strcmp(url, "/healthz") == 0) {
        return reply_text(c, MHD_HTTP_OK, "ok\n");
    }
    if (ticket_path(url, number, sizeof(number), action, sizeof(action)) && !action[0]) {
        json_t *detail = NULL;
        pthread_mutex_lock(&api->lock);
        err = ticket_api_detail(api->store, number, &detail);
        pthread_mutex_unlock(&api->lock);
        if (err == ERR_NOT_FOUND) {
            return reply_text(c, MHD_HTTP_NOT_FOUND, "no such ticket\n");
        }
        if (err) {
            return reply_text(c, ticket_api_http_status(err), "ticket store unavailable\n");
        }
        return reply_json(c, MHD_HTTP_OK, detail);
    }
    if (strcmp(url, "/") == 0) {
        type = "text/html; charset=utf-8";
        err = render_html(api, &b);
    } else if (strcmp(url, "/api/tickets") == 0) {
        type = "application/json; charset=utf-8";
        err = render_json(api, &b);
    } else if (strcmp(url, "/metrics") == 0) {
        type = "text/plain; version=0.0.4; charset=utf-8";
        err = render_metrics(api, &b);
    } else {
        return reply_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
    }
    if (err) {
        pthread_mutex_lock(&api->lock);
        LOG_WARN("request failed path=%s err='%s' sqlite='%s'", url, yq_strerror(err),
                 ticket_store_errmsg(api->store));
        pthread_mutex_unlock(&api->lock);
        return reply_text(
            c, err == ERR_RETRY ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_INTERNAL_SERVER_ERROR,
            "ticket store unavailable\n");
    }
    return reply(c, MHD_HTTP_OK, type, b.buf, b.len);
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    size_t n;

    (void)cls;
    vsnprintf(line, sizeof(line), fmt, ap);
    n = strlen(line);
    while (n > 0 && line[n - 1] == '\n') {
        line[--n] = '\0';
    }
    LOG_WARN("libmicrohttpd: %s", line);
}

/* The statistics' calendar callback over the notifier's workcal (ctx; NULL = weekends). */
static bool stats_is_working_day(const void *ctx, int64_t day)
{
    return workcal_is_working_day(ctx, day);
}

struct http_api *http_api_new(const struct http_api_cfg *cfg,
                              const struct ticket_store_cfg *store_cfg,
                              const struct ticket_policy *policy, struct notifier_metrics *metrics,
                              char *errbuf, size_t errlen)
{
    struct http_api *api;
    struct sockaddr_storage ss;
    const char *addr = cfg->bind_address ? cfg->bind_address : "127.0.0.1";
    /* One thread per connection: the web's event streams block between events. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_ERROR_LOG;
    const union MHD_DaemonInfo *info;
    struct MHD_OptionItem guard[WEB_DAEMON_OPTIONS_MAX] = {{MHD_OPTION_END, 0, NULL}};
    int err;

    memset(&ss, 0, sizeof(ss));
    if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)cfg->port);
    } else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)cfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(errbuf, errlen, "http bind_address '%s' is not an IP address", addr);
        return NULL;
    }
    api = calloc(1, sizeof(*api));
    if (!api) {
        snprintf(errbuf, errlen, "http: out of memory");
        return NULL;
    }
    api->metrics = metrics;
    api->max_tickets = (size_t)cfg->max_tickets;
    api->max_items = (size_t)cfg->max_items_per_ticket;
    api->max_body = (size_t)cfg->max_body_bytes;
    if (pthread_mutex_init(&api->lock, NULL) != 0) {
        snprintf(errbuf, errlen, "http: cannot create mutex");
        free(api);
        return NULL;
    }
    api->lock_init = true;
    err = ticket_store_open_readonly(store_cfg, &api->store, errbuf, errlen);
    if (!err) {
        err = ticket_store_open(store_cfg, &api->writer, errbuf, errlen);
    }
    if (err) {
        http_api_free(api);
        return NULL;
    }
    ticket_store_set_policy(api->writer, policy);
    if (cfg->web) {
        api->stats_cal.is_working_day = &stats_is_working_day;
        api->stats_cal.ctx = policy ? policy->cal : NULL; /* NULL: Monday..Friday */
        api->web_cfg = *cfg->web;
        api->web_cfg.calendar = &api->stats_cal;
        api->web_ctx.reader = api->store;
        api->web_ctx.writer = api->writer;
        api->web_ctx.lock = &api->lock;
        api->web_ctx.max_items = api->max_items;
        api->web = web_new(&api->web_cfg, store_cfg->path, &web_notifier_ops, &api->web_ctx, errbuf,
                           errlen);
        if (!api->web) {
            http_api_free(api);
            return NULL;
        }
    }
    /* the web's guard against slow and greedy clients (web.max_connections_per_ip, ...) */
    if (api->web && web_daemon_options(api->web, guard) != 0) {
        snprintf(errbuf, errlen, "http: cannot start the connection guard");
        http_api_free(api);
        return NULL;
    }
    api->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, &handle, api, MHD_OPTION_EXTERNAL_LOGGER, &mhd_log,
        NULL, MHD_OPTION_NOTIFY_COMPLETED, &request_done, NULL, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->connection_limit,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)((cfg->connection_timeout_ms + 999) / 1000),
        MHD_OPTION_ARRAY, guard, MHD_OPTION_END);
    if (!api->daemon) {
        snprintf(errbuf, errlen, "http: cannot listen on %s port %lld (in use?)", addr,
                 (long long)cfg->port);
        http_api_free(api);
        return NULL;
    }
    info = MHD_get_daemon_info(api->daemon, MHD_DAEMON_INFO_BIND_PORT);
    api->port = info ? info->port : (unsigned)cfg->port;
    return api;
}

unsigned http_api_port(const struct http_api *api)
{
    return api->port;
}

void http_api_free(struct http_api *api)
{
    if (!api) {
        return;
    }
    web_shutdown(api->web); /* event streams end within web.sse_poll_ms */
    if (api->daemon) {
        MHD_stop_daemon(api->daemon); /* joins the polling thread: no handler runs after */
    }
    web_free(api->web);
    ticket_store_free(api->store);
    ticket_store_free(api->writer);
    if (api->lock_init) {
        pthread_mutex_destroy(&api->lock);
    }
    free(api);
}
