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
#include "web_notifier_ops.h"
#include "workcal.h"
#include "yq_alert.h"
#include "yq_buf.h"
#include "yq_metrics_http.h"
#include "yq_err.h"
#include "yq_health.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

/* Without the web UI (web.enabled false): connections one client address may hold. */
#define HTTP_API_MONITOR_PER_IP_CONNECTIONS 8
/* ... and the memory libmicrohttpd may use per connection (a GET without a body). */
#define HTTP_API_MONITOR_CONNECTION_MEMORY_BYTES 32768

#define CFG_KEYS_OF http_api_cfg
const struct cfg_key http_api_cfg_keys[] = {
    CFG_STRING_KEY(bind_address, "127.0.0.1",
                   "IPv4 or IPv6 address to listen on (keep it on loopback behind a proxy)"),
    CFG_INT_KEY(port, "8080", 0, 65535, "TCP port; 0 picks a free one"),
    CFG_INT_KEY(max_tickets, "500", 1, 100000,
                "unused since issue #10 (the old /api/tickets is gone); kept for existing configs"),
    CFG_INT_KEY(max_items_per_ticket, "20", 1, 10000,
                "items listed per ticket by the web UI's ticket API"),
    CFG_INT_KEY(connection_limit, "256", 1, 10000, "concurrent HTTP connections"),
    CFG_MS_KEY(connection_timeout_ms, "30000", 1000, 3600000,
               "idle connections are closed after this"),
    CFG_SIZE_KEY(max_body_bytes, "64k", 1024, 1048576,
                 "unused: request bodies are bounded by web.max_body_bytes (413); kept for "
                 "existing configs"),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

#define CSP "default-src 'none'; style-src 'self'"

struct http_api {
    struct MHD_Daemon *daemon;
    struct ticket_store *store;  /* read-only; guarded by lock */
    struct ticket_store *writer; /* writable, for ticket actions; guarded by lock */
    struct web *web;             /* the web UI (NULL: not enabled) */
    struct web_notifier_ctx web_ctx;
    struct web_cfg web_cfg;            /* cfg->web with the calendar below (web_new copies it) */
    struct stats_calendar stats_cal;   /* the policy's workcal for the statistics page */
    pthread_mutex_t lock;
    bool lock_init;
    struct notifier_metrics *metrics;
    size_t max_tickets;
    size_t max_items;
    unsigned port;
};

/*
 * The dependencies' current state (common/yq_health.h shapes), into deps (>= 2 entries);
 * returns how many apply. The flags are notifier_health_deps()'s, the reading the web UI's
 * intake banner shows too; on top of them the store must answer a read now. Without metrics
 * (no consumer: tests) only the store's read counts. read_ok: the open-ticket count is valid.
 */
static size_t check_deps(struct http_api *api, struct yq_dep *deps, int64_t *open_count,
                         bool *read_ok)
{
    int64_t since_ms[2];
    size_t n = 0;

    pthread_mutex_lock(&api->lock);
    *read_ok = ticket_store_count_open(api->store, open_count) == 0;
    pthread_mutex_unlock(&api->lock);
    if (api->metrics) {
        n = notifier_health_deps(api->metrics, deps, since_ms); /* kafka, store */
    } else {
        deps[n].name = "store";
        deps[n++].state = YQ_DEP_UP;
    }
    if (!*read_ok) {
        deps[n - 1].state = YQ_DEP_DOWN;
    }
    return n;
}

/*
 * /healthz (yq_health_json()): 200 {"status":"ok","dependencies":{"kafka":"up","store":"up"}}
 * when every dependency is up, else 503 with "status":"down" and each one "up", "down" or
 * "unknown". *status: the HTTP status.
 */
static int render_health(struct http_api *api, struct yq_buf *b, unsigned *status)
{
    struct yq_dep deps[2];
    int64_t open_count = 0;
    bool read_ok;
    size_t n = check_deps(api, deps, &open_count, &read_ok);
    char text[256];
    int rc = yq_health_json(deps, n, text, sizeof(text));

    if (rc < 0) {
        return rc;
    }
    *status = (unsigned)rc;
    return yq_buf_adds(b, text);
}

static long long counter(atomic_llong *c)
{
    return c ? atomic_load_explicit(c, memory_order_relaxed) : 0;
}

/*
 * The fetch -> store latency histogram (issue #16, notifier_metrics.h) in Prometheus text:
 * cumulative buckets le="5" .. le="60000", le="+Inf", then _sum and _count (all 0 without m).
 */
static int latency_histogram(struct notifier_metrics *m, struct yq_buf *out)
{
    const char *name = "yuqing_notifier_intake_latency_ms";
    long long cum = 0;
    int err = yq_buf_addf(out,
                          "# HELP %s fetch to ticket store latency of taken alerts, "
                          "milliseconds (item fetched_at_ms to stored_at_ms)\n"
                          "# TYPE %s histogram\n",
                          name, name);

    for (size_t i = 0; !err && i < 13; i++) {
        cum += m ? counter(&m->latency_ms[i]) : 0;
        if (i < 12) {
            err = yq_buf_addf(out, "%s_bucket{le=\"%lld\"} %lld\n", name,
                              NOTIFIER_LATENCY_BOUNDS_MS[i], cum);
        } else {
            err = yq_buf_addf(out, "%s_bucket{le=\"+Inf\"} %lld\n", name, cum);
        }
    }
    if (!err) {
        err = yq_buf_addf(out, "%s_sum %lld\n%s_count %lld\n", name,
                          m ? counter(&m->latency_sum_ms) : 0, name,
                          m ? counter(&m->latency_count) : 0);
    }
    return err;
}

int http_api_metrics_text(struct http_api *api, struct yq_buf *out)
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
        {"yuqing_notifier_source_events_consumed_total",
         "source events (blind windows) read from Kafka",
         offsetof(struct notifier_metrics, source_events_consumed)},
        {"yuqing_notifier_source_events_malformed_total", "source events skipped as malformed",
         offsetof(struct notifier_metrics, source_events_malformed)},
        {"yuqing_notifier_source_events_rejected_total", "source events refused by the store",
         offsetof(struct notifier_metrics, source_events_rejected)},
        {"yuqing_notifier_blind_windows_opened_total", "source blind windows recorded open",
         offsetof(struct notifier_metrics, blind_windows_opened)},
    };
    int64_t open_count = 0;
    struct yq_dep deps[2];
    bool read_ok;
    size_t n_deps = check_deps(api, deps, &open_count, &read_ok);
    int err = 0;

    for (size_t i = 0; !err && i < sizeof(counters) / sizeof(counters[0]); i++) {
        atomic_llong *c =
            api->metrics ? (atomic_llong *)((char *)api->metrics + counters[i].offset) : NULL;
        err = yq_metrics_http_scalar(out, counters[i].name, "counter", counters[i].help,
                                     (int64_t)counter(c));
    }
    if (!err) {
        err = yq_metrics_http_scalar(out, "yuqing_notifier_store_up", "gauge",
                                     "1 while the ticket store answers reads and its last write "
                                     "committed",
                                     deps[n_deps - 1].state == YQ_DEP_UP ? 1 : 0);
    }
    if (!err && api->metrics) {
        err = yq_metrics_http_scalar(
            out, "yuqing_notifier_leader", "gauge",
            "1 while this notifier runs escalations, spike scans and briefings (the leader of "
            "the notifiers sharing one store)",
            atomic_load_explicit(&api->metrics->leader, memory_order_relaxed));
    }
    if (!err) {
        err = yq_health_metrics(out, "notifier", deps, n_deps);
    }
    if (!err) {
        err = latency_histogram(api->metrics, out);
    }
    if (!err && read_ok) {
        err = yq_metrics_http_scalar(out, "yuqing_notifier_open_tickets", "gauge",
                                     "tickets not closed or dismissed", open_count);
    }
    return err;
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
        yq_metrics_http_security_headers(r, CSP) != 0 ||
        add_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES ||
        (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
         add_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") != MHD_YES)) {
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

/*
 * A request ends: only web UI requests have per-request state, the web layer's own, which
 * web_handle() keeps in *req_cls (NULL for /healthz and /metrics).
 */
static void request_done(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    web_request_completed(*req_cls);
    *req_cls = NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **req_cls)
{
    struct http_api *api = cls;
    struct yq_buf b;
    const char *type;
    char *body;
    size_t len = 0;
    unsigned status = MHD_HTTP_OK;
    struct yq_http_target t;
    const char *why = NULL;
    int err;

    if (api->web && web_owns_url(url)) {
        return web_handle(api->web, c, url, method, version, upload_data, upload_data_size,
                          req_cls);
    }
    if (!yq_metrics_http_host_ok(c, version)) {
        /* /healthz and /metrics answer any Host (monitoring), but HTTP/1.1 requires one */
        return reply_text(c, MHD_HTTP_BAD_REQUEST, YQ_HTTP_BAD_HOST_TEXT);
    }
    if (yq_metrics_http_target(url, &t, &why) != 0) {
        /* the shared reading of the target: origin form, or absolute form naming http */
        char refusal[96];
        LOG_INFO("request refused method=%s reason='%s'", method, why);
        (void)yq_metrics_http_bad_target_text(why, refusal, sizeof(refusal));
        return reply_text(c, MHD_HTTP_BAD_REQUEST, refusal);
    }
    /*
     * Issue #10: the issue #2 page and JSON API (/, /api/tickets, POST actions taking the actor
     * and role from the body) are gone; without the web UI only /healthz and /metrics remain.
     */
    if (strcmp(t.path, "/healthz") != 0 && strcmp(t.path, "/metrics") != 0) {
        /* a person may have typed it: Chinese first, the English code kept (issue #11) */
        return reply_text(c, MHD_HTTP_NOT_FOUND, WEB_NOT_FOUND_TEXT);
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
    }
    /* the body is built in a bounded buffer and handed to libmicrohttpd, which frees it */
    yq_buf_init(&b, HTTP_API_MONITOR_MAX_BYTES);
    if (strcmp(t.path, "/healthz") == 0) {
        err = render_health(api, &b, &status);
        type = "application/json; charset=utf-8";
    } else {
        err = http_api_metrics_text(api, &b);
        type = "text/plain; version=0.0.4; charset=utf-8";
    }
    body = err ? NULL : yq_buf_steal(&b, &len);
    yq_buf_release(&b);
    if (err == ERR_TOO_BIG) {
        return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "response over its maximum\n");
    }
    if (!body) {
        return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    }
    return reply(c, status, type, body, len);
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
        api->web_ctx.metrics = api->metrics; /* the intake banner: the flags /healthz reads */
        api->web = web_new(&api->web_cfg, ticket_store_location(store_cfg), &web_notifier_ops,
                           &api->web_ctx, errbuf, errlen);
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
    if (!api->web) {
        /*
         * Only /healthz and /metrics (no bodies): the limits of common/yq_metrics_http, so one
         * client address cannot take every connection of the monitoring endpoint (issue #10).
         */
        guard[0] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                           HTTP_API_MONITOR_PER_IP_CONNECTIONS, NULL};
        guard[1] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                                           HTTP_API_MONITOR_CONNECTION_MEMORY_BYTES, NULL};
        guard[2] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    }
    api->daemon = MHD_start_daemon(
        flags, (uint16_t)cfg->port, NULL, NULL, &handle, api, MHD_OPTION_EXTERNAL_LOGGER,
        &web_mhd_log, NULL, MHD_OPTION_NOTIFY_COMPLETED, &request_done, NULL, MHD_OPTION_SOCK_ADDR,
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
