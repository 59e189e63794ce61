#include "matcher_http.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_banned.h"

struct doc {
    char *text;
    size_t len;
};

struct matcher_http {
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock;
    struct doc metrics;
    struct doc health;
    bool healthy;
    bool published;
    int port;
};

static const char starting[] = "{\"status\":\"starting\",\"dependencies\":{}}\n";

/* A copy of d (under the caller's lock) into *out; false on allocation failure. */
static bool copy_doc(const struct doc *d, struct doc *out)
{
    out->len = d->len;
    out->text = malloc(d->len ? d->len : 1);
    if (!out->text) {
        return false;
    }
    if (d->len) {
        memcpy(out->text, d->text, d->len);
    }
    return true;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    struct matcher_http *h = cls;
    struct MHD_Response *r;
    enum MHD_Result ret;
    unsigned status = MHD_HTTP_OK;
    const char *type = "text/plain; charset=utf-8";
    struct doc out = {NULL, 0};
    bool ok = true;

    (void)version;
    (void)upload;
    (void)con_cls;
    if (*upload_size > 0) {
        *upload_size = 0; /* no route takes a body: drop it */
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
    } else if (strcmp(url, "/metrics") == 0) {
        type = "text/plain; version=0.0.4; charset=utf-8";
        pthread_mutex_lock(&h->lock);
        ok = copy_doc(&h->metrics, &out);
        pthread_mutex_unlock(&h->lock);
    } else if (strcmp(url, "/healthz") == 0) {
        type = "application/json; charset=utf-8";
        pthread_mutex_lock(&h->lock);
        if (h->published) {
            ok = copy_doc(&h->health, &out);
            status = h->healthy ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE;
        } else {
            struct doc s = {(char *)starting, sizeof(starting) - 1};
            ok = copy_doc(&s, &out);
            status = MHD_HTTP_SERVICE_UNAVAILABLE;
        }
        pthread_mutex_unlock(&h->lock);
    } else {
        status = MHD_HTTP_NOT_FOUND;
    }
    if (!ok) {
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
    if (out.text) {
        r = MHD_create_response_from_buffer(out.len, out.text, MHD_RESPMEM_MUST_FREE);
    } else {
        static const char none[] = "";
        r = MHD_create_response_from_buffer(0, (void *)none, MHD_RESPMEM_PERSISTENT);
    }
    if (!r) {
        free(out.text);
        return MHD_NO;
    }
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

struct matcher_http *matcher_http_start(const char *address, int port, char *errbuf, size_t errlen)
{
    struct matcher_http *h;
    struct sockaddr_in sa;
    const union MHD_DaemonInfo *info;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    if (!address || port < 0 || port > 65535 || inet_pton(AF_INET, address, &sa.sin_addr) != 1) {
        snprintf(errbuf, errlen, "metrics: bad listen address '%s' port %d", address ? address : "",
                 port);
        return NULL;
    }
    sa.sin_port = htons((uint16_t)port);
    h = calloc(1, sizeof(*h));
    if (!h) {
        snprintf(errbuf, errlen, "metrics: out of memory");
        return NULL;
    }
    pthread_mutex_init(&h->lock, NULL);
    /*
     * A few connections, each for at most 10 s: a monitoring endpoint, not a web server.
     * MHD's own error log is off so that nothing bypasses the project's logger.
     */
    h->daemon =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, answer, h,
                         MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_CONNECTION_LIMIT, 16U,
                         MHD_OPTION_PER_IP_CONNECTION_LIMIT, 8U, MHD_OPTION_CONNECTION_TIMEOUT, 10U,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768, MHD_OPTION_END);
    if (!h->daemon) {
        snprintf(errbuf, errlen, "metrics: cannot listen on %s:%d", address, port);
        pthread_mutex_destroy(&h->lock);
        free(h);
        return NULL;
    }
    info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : port;
    return h;
}

int matcher_http_port(const struct matcher_http *h)
{
    return h->port;
}

int matcher_http_publish(struct matcher_http *h, const char *metrics, size_t metrics_len,
                         const char *health, size_t health_len, bool healthy)
{
    struct doc m = {(char *)metrics, metrics_len}, he = {(char *)health, health_len};
    struct doc mc, hc;

    if (!copy_doc(&m, &mc)) {
        return ERR_NOMEM;
    }
    if (!copy_doc(&he, &hc)) {
        free(mc.text);
        return ERR_NOMEM;
    }
    pthread_mutex_lock(&h->lock);
    m = h->metrics;
    he = h->health;
    h->metrics = mc;
    h->health = hc;
    h->healthy = healthy;
    h->published = true;
    pthread_mutex_unlock(&h->lock);
    free(m.text);
    free(he.text);
    return 0;
}

void matcher_http_stop(struct matcher_http *h)
{
    if (!h) {
        return;
    }
    if (h->daemon) {
        MHD_stop_daemon(h->daemon);
    }
    pthread_mutex_destroy(&h->lock);
    free(h->metrics.text);
    free(h->health.text);
    free(h);
}

/* A label value as Prometheus text: backslash, quote and newline escaped. */
static void put_label(FILE *f, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"') {
            fputc('\\', f);
            fputc(*v, f);
        } else if (*v == '\n') {
            fputs("\\n", f);
        } else {
            fputc(*v, f);
        }
    }
}

/* Close the memstream f (whose buffer is *buf, *len) and hand the text to out. */
static int close_mem(FILE *f, char **buf, size_t *len, char **out, size_t *out_len)
{
    bool failed = ferror(f) != 0;

    if (fclose(f) != 0 || failed) {
        free(*buf);
        return ERR_NOMEM;
    }
    *out = *buf;
    *out_len = *len;
    return 0;
}

#define COUNTER(f, name, help, v)                                                                  \
    fprintf(f, "# HELP " name " " help "\n# TYPE " name " counter\n" name " %" PRIu64 "\n",        \
            (uint64_t)(v))

int matcher_status_metrics(const struct matcher_status *st, char **out, size_t *out_len)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f) {
        return ERR_NOMEM;
    }
    COUNTER(f, "yuqing_matcher_items_total", "items consumed (malformed ones included)", st->items);
    COUNTER(f, "yuqing_matcher_alerts_total", "alerts delivered to the alerts topic", st->alerts);
    COUNTER(f, "yuqing_matcher_malformed_total", "items that did not decode (skipped)",
            st->malformed);
    COUNTER(f, "yuqing_matcher_excluded_total", "items dropped by an exclusion rule", st->excluded);
    fputs("# HELP yuqing_matcher_errors_total errors by kind (each is retried or logged)\n"
          "# TYPE yuqing_matcher_errors_total counter\n",
          f);
    fprintf(f, "yuqing_matcher_errors_total{kind=\"consume\"} %" PRIu64 "\n", st->consume_errors);
    fprintf(f, "yuqing_matcher_errors_total{kind=\"delivery\"} %" PRIu64 "\n", st->delivery_errors);
    fprintf(f, "yuqing_matcher_errors_total{kind=\"commit\"} %" PRIu64 "\n", st->commit_errors);
    fprintf(f, "yuqing_matcher_errors_total{kind=\"batch_retry\"} %" PRIu64 "\n",
            st->batch_retries);
    fputs("# HELP yuqing_matcher_rebalances_total consumer group rebalances by kind\n"
          "# TYPE yuqing_matcher_rebalances_total counter\n",
          f);
    fprintf(f, "yuqing_matcher_rebalances_total{kind=\"assign\"} %" PRIu64 "\n", st->assignments);
    fprintf(f, "yuqing_matcher_rebalances_total{kind=\"revoke\"} %" PRIu64 "\n", st->revocations);
    fprintf(f,
            "# HELP yuqing_matcher_assigned_partitions partitions of the items topic held\n"
            "# TYPE yuqing_matcher_assigned_partitions gauge\n"
            "yuqing_matcher_assigned_partitions %zu\n",
            st->n_partitions);
    fputs("# HELP yuqing_matcher_consumer_lag messages of a held partition not consumed yet\n"
          "# TYPE yuqing_matcher_consumer_lag gauge\n",
          f);
    for (size_t i = 0; i < st->n_partitions; i++) {
        const struct matcher_partition_status *p = &st->partitions[i];
        int64_t lag;
        if (p->position < 0 || p->high_watermark < 0) {
            continue;
        }
        lag = p->high_watermark > p->position ? p->high_watermark - p->position : 0;
        fputs("yuqing_matcher_consumer_lag{topic=\"", f);
        put_label(f, p->topic);
        fprintf(f, "\",partition=\"%d\"} %" PRId64 "\n", (int)p->partition, lag);
    }
    fputs("# HELP yuqing_matcher_partition_position next offset to consume of a held partition\n"
          "# TYPE yuqing_matcher_partition_position gauge\n",
          f);
    for (size_t i = 0; i < st->n_partitions; i++) {
        const struct matcher_partition_status *p = &st->partitions[i];
        fputs("yuqing_matcher_partition_position{topic=\"", f);
        put_label(f, p->topic);
        fprintf(f, "\",partition=\"%d\"} %" PRId64 "\n", (int)p->partition,
                p->position < 0 ? (int64_t)-1 : p->position);
    }
    fprintf(f,
            "# HELP yuqing_matcher_rules_version version of the rule set in use (0 = none)\n"
            "# TYPE yuqing_matcher_rules_version gauge\n"
            "yuqing_matcher_rules_version %" PRId64 "\n",
            st->rules_version);
    COUNTER(f, "yuqing_matcher_rules_rejected_total",
            "pushed rule set versions that did not load (the set in use was kept)",
            st->rules_rejected);
    fprintf(f,
            "# HELP yuqing_matcher_rules_checked_timestamp_seconds last time Redis confirmed "
            "the version in use (0 = never)\n"
            "# TYPE yuqing_matcher_rules_checked_timestamp_seconds gauge\n"
            "yuqing_matcher_rules_checked_timestamp_seconds %" PRId64 "\n",
            st->rules_checked_at);
    fprintf(f,
            "# HELP yuqing_matcher_rules_unverified 1 while alerts carry rules_unverified\n"
            "# TYPE yuqing_matcher_rules_unverified gauge\n"
            "yuqing_matcher_rules_unverified %d\n",
            st->rules_unverified ? 1 : 0);
    {
        struct yq_dep deps[] = {{"kafka", st->kafka}, {"redis", st->redis}};
        char dep_text[512];
        int n = yq_health_metrics("matcher", deps, 2, dep_text, sizeof(dep_text));
        if (n < 0) {
            fclose(f);
            free(buf);
            return ERR_NOMEM;
        }
        fputs(dep_text, f);
    }
    return close_mem(f, &buf, &len, out, out_len);
}

int matcher_status_health(const struct matcher_status *st, char **out, size_t *out_len,
                          bool *healthy)
{
    struct yq_dep deps[] = {{"kafka", st->kafka}, {"redis", st->redis}};
    char text[256];
    int status = yq_health_json(deps, 2, text, sizeof(text));
    size_t len;

    if (status < 0) {
        return ERR_NOMEM; /* never: two short names */
    }
    len = strlen(text);
    *out = malloc(len + 2);
    if (!*out) {
        return ERR_NOMEM;
    }
    memcpy(*out, text, len);
    (*out)[len] = '\n';
    (*out)[len + 1] = '\0';
    *out_len = len + 1;
    *healthy = status == 200;
    return 0;
}
