#include "yq_health.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "yq_err.h"
#include "yq_log.h"
#include "yq_metrics_http.h"
#include "yq_banned.h"

#define PROBE_TIMEOUT_MAX_MS 5000

const char *yq_dep_state_name(enum yq_dep_state st)
{
    return st == YQ_DEP_UP ? "up" : st == YQ_DEP_DOWN ? "down" : "unknown";
}

int yq_health_json(const struct yq_dep *deps, size_t n, char *out, size_t outlen)
{
    bool ok = true;
    size_t off;
    int w;

    for (size_t i = 0; i < n; i++) {
        ok = ok && deps[i].state == YQ_DEP_UP;
    }
    w = snprintf(out, outlen, "{\"status\":\"%s\",\"dependencies\":{", ok ? "ok" : "down");
    if (w < 0 || (size_t)w >= outlen) {
        return ERR_TOO_BIG;
    }
    off = (size_t)w;
    for (size_t i = 0; i < n; i++) {
        w = snprintf(out + off, outlen - off, "%s\"%s\":\"%s\"", i ? "," : "", deps[i].name,
                     yq_dep_state_name(deps[i].state));
        if (w < 0 || (size_t)w >= outlen - off) {
            return ERR_TOO_BIG;
        }
        off += (size_t)w;
    }
    w = snprintf(out + off, outlen - off, "}}");
    if (w < 0 || (size_t)w >= outlen - off) {
        return ERR_TOO_BIG;
    }
    return ok ? 200 : 503;
}

int yq_health_metrics(struct yq_buf *b, const char *process, const struct yq_dep *deps,
                      size_t n)
{
    char name[96];
    int w = snprintf(name, sizeof(name), "yuqing_%s_dependency_up", process);
    int err;

    if (w < 0 || (size_t)w >= sizeof(name)) {
        return ERR_INVALID;
    }
    err = yq_metrics_http_family(b, name, "gauge",
                                 "1 when the dependency answered its last check");
    for (size_t i = 0; i < n && !err; i++) {
        struct yq_metrics_http_label l = {"dependency", deps[i].name};
        err = yq_metrics_http_sample(b, name, &l, 1, deps[i].state == YQ_DEP_UP);
    }
    return err;
}

struct yq_kafka_probe {
    rd_kafka_t *rk;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    int64_t every_ms;
    int state;           /* enum yq_dep_state, atomic */
};

static void probe_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    (void)level;
    LOG_DEBUG("kafka probe facility=%s %s", fac, buf);
}

static void probe_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct yq_kafka_probe *p = opaque;

    (void)rk;
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        __atomic_store_n(&p->state, YQ_DEP_DOWN, __ATOMIC_SEQ_CST);
    }
    LOG_DEBUG("kafka probe error err=%s reason='%s'", rd_kafka_err2name(err), reason);
}

static void *probe_main(void *arg)
{
    struct yq_kafka_probe *p = arg;
    int timeout = (int)(p->every_ms < PROBE_TIMEOUT_MAX_MS ? p->every_ms : PROBE_TIMEOUT_MAX_MS);

    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err;
        int was, now;
        struct timespec ts;

        pthread_mutex_unlock(&p->lock);
        err = rd_kafka_metadata(p->rk, 0, NULL, &md, timeout);
        if (md) {
            rd_kafka_metadata_destroy(md);
        }
        rd_kafka_poll(p->rk, 0); /* serves the error callback */
        now = err == RD_KAFKA_RESP_ERR_NO_ERROR ? YQ_DEP_UP : YQ_DEP_DOWN;
        was = __atomic_exchange_n(&p->state, now, __ATOMIC_SEQ_CST);
        if (was != now) {
            if (now == YQ_DEP_UP) {
                LOG_INFO("kafka reachable");
            } else {
                LOG_WARN("kafka unreachable err=%s", rd_kafka_err2str(err));
            }
        }
        pthread_mutex_lock(&p->lock);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += (time_t)(p->every_ms / 1000);
        ts.tv_nsec += (long)(p->every_ms % 1000) * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        while (!p->stop && pthread_cond_timedwait(&p->cond, &p->lock, &ts) != ETIMEDOUT) {
        }
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

struct yq_kafka_probe *yq_kafka_probe_start(const struct yq_kafka_cfg *cfg, int64_t every_ms,
                                            char *errbuf, size_t errlen)
{
    struct yq_kafka_probe *p = calloc(1, sizeof(*p));
    rd_kafka_conf_t *conf = NULL;
    char kerr[256];

    if (!p) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    p->every_ms = every_ms > 0 ? every_ms : 1000;
    p->state = YQ_DEP_UNKNOWN;
    conf = yq_kafka_base_conf(cfg, "yuqing-health-probe", kerr, sizeof(kerr));
    if (!conf) {
        snprintf(errbuf, errlen, "kafka probe: %s", kerr);
        free(p);
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, probe_log); /* the probe's own: its failures are debug */
    rd_kafka_conf_set_error_cb(conf, probe_error);
    rd_kafka_conf_set_opaque(conf, p);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, kerr, sizeof(kerr));
    if (!p->rk) {
        rd_kafka_conf_destroy(conf); /* rd_kafka_new() takes the conf only on success */
        snprintf(errbuf, errlen, "kafka probe: %s", kerr);
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    if (pthread_create(&p->thread, NULL, probe_main, p) != 0) {
        snprintf(errbuf, errlen, "kafka probe: cannot start its thread");
        pthread_cond_destroy(&p->cond);
        pthread_mutex_destroy(&p->lock);
        rd_kafka_destroy(p->rk);
        free(p);
        return NULL;
    }
    return p;
}

enum yq_dep_state yq_kafka_probe_state(const struct yq_kafka_probe *p)
{
    return (enum yq_dep_state)__atomic_load_n(&p->state, __ATOMIC_SEQ_CST);
}

int yq_kafka_probe_state_cb(void *arg)
{
    return arg ? (int)yq_kafka_probe_state(arg) : YQ_DEP_UNKNOWN;
}

void yq_kafka_probe_stop(struct yq_kafka_probe *p)
{
    if (!p) {
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->stop = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    rd_kafka_destroy(p->rk);
    free(p);
}

int yq_health_endpoint_start(const struct yq_metrics_http_cfg *metrics,
                             const struct yq_kafka_cfg *kafka, int64_t probe_every_ms,
                             struct yq_metrics_http **http, struct yq_kafka_probe **probe,
                             char *errbuf, size_t errlen)
{
    *http = NULL;
    *probe = NULL;
    if (!metrics->address || !metrics->address[0]) {
        return 0;
    }
    *http = yq_metrics_http_start(metrics->address, (int)metrics->port, errbuf, errlen);
    if (!*http) {
        return ERR_IO;
    }
    *probe = yq_kafka_probe_start(kafka, probe_every_ms, errbuf, errlen);
    if (!*probe) {
        yq_metrics_http_stop(*http);
        *http = NULL;
        return ERR_NOMEM;
    }
    LOG_INFO("metrics listening address=%s port=%d", metrics->address,
             yq_metrics_http_port(*http));
    return 0;
}
