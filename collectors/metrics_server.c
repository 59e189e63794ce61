#include "metrics_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_banned.h"

struct metrics_server {
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock;
    char *text;
    size_t len;
    char *health;        /* /healthz JSON; NULL = nothing published yet */
    size_t health_len;
    unsigned health_status;
    int port;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    struct metrics_server *m = cls;
    struct MHD_Response *r;
    enum MHD_Result ret;
    unsigned status = MHD_HTTP_OK;
    char *copy = NULL;
    size_t len = 0;

    const char *ctype = "text/plain; version=0.0.4; charset=utf-8";

    (void)version;
    (void)upload;
    (void)upload_size;
    (void)con_cls;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
    } else if (strcmp(url, "/healthz") == 0) {
        static const char starting[] = "{\"status\":\"starting\",\"dependencies\":{}}";
        ctype = "application/json";
        pthread_mutex_lock(&m->lock);
        status = m->health ? m->health_status : MHD_HTTP_SERVICE_UNAVAILABLE;
        len = m->health ? m->health_len : sizeof(starting) - 1;
        copy = malloc(len ? len : 1);
        if (copy) {
            memcpy(copy, m->health ? m->health : starting, len);
        }
        pthread_mutex_unlock(&m->lock);
        if (!copy) {
            status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        }
    } else if (strcmp(url, "/metrics") != 0) {
        status = MHD_HTTP_NOT_FOUND;
    } else {
        pthread_mutex_lock(&m->lock);
        if (m->text) {
            copy = malloc(m->len);
            if (copy) {
                memcpy(copy, m->text, m->len);
                len = m->len;
            }
        }
        pthread_mutex_unlock(&m->lock);
        if (m->text && !copy) {
            status = MHD_HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    if (copy) {
        r = MHD_create_response_from_buffer(len, copy, MHD_RESPMEM_MUST_FREE);
    } else {
        static const char none[] = "";
        r = MHD_create_response_from_buffer(0, (void *)none, MHD_RESPMEM_PERSISTENT);
    }
    if (!r) {
        free(copy);
        return MHD_NO;
    }
    if (MHD_add_response_header(r, "Content-Type", ctype) != MHD_YES) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

struct metrics_server *metrics_server_start(const char *address, int port, char *errbuf,
                                            size_t errlen)
{
    struct metrics_server *m = calloc(1, sizeof(*m));
    struct sockaddr_in sa;
    const union MHD_DaemonInfo *info;

    if (!m) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (port < 0 || port > 65535 || inet_pton(AF_INET, address, &sa.sin_addr) != 1) {
        snprintf(errbuf, errlen, "metrics: bad listen address '%s' port %d", address, port);
        free(m);
        return NULL;
    }
    pthread_mutex_init(&m->lock, NULL);
    m->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL,
                                 NULL, answer, m, MHD_OPTION_SOCK_ADDR, &sa,
                                 MHD_OPTION_CONNECTION_LIMIT, 16U,
                                 MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_END);
    if (!m->daemon) {
        snprintf(errbuf, errlen, "metrics: cannot listen on %s:%d", address, port);
        pthread_mutex_destroy(&m->lock);
        free(m);
        return NULL;
    }
    info = MHD_get_daemon_info(m->daemon, MHD_DAEMON_INFO_BIND_PORT);
    m->port = info ? info->port : port;
    return m;
}

int metrics_server_port(const struct metrics_server *m)
{
    return m->port;
}

int metrics_server_publish(struct metrics_server *m, const char *text, size_t len)
{
    char *copy = malloc(len ? len : 1), *old;

    if (!copy) {
        return ERR_NOMEM;
    }
    memcpy(copy, text, len);
    pthread_mutex_lock(&m->lock);
    old = m->text;
    m->text = copy;
    m->len = len;
    pthread_mutex_unlock(&m->lock);
    free(old);
    return 0;
}

int metrics_server_publish_health(struct metrics_server *m, unsigned http_status,
                                  const char *json, size_t len)
{
    char *copy = malloc(len ? len : 1), *old;

    if (!copy) {
        return ERR_NOMEM;
    }
    memcpy(copy, json, len);
    pthread_mutex_lock(&m->lock);
    old = m->health;
    m->health = copy;
    m->health_len = len;
    m->health_status = http_status;
    pthread_mutex_unlock(&m->lock);
    free(old);
    return 0;
}

void metrics_server_stop(struct metrics_server *m)
{
    if (!m) {
        return;
    }
    if (m->daemon) {
        MHD_stop_daemon(m->daemon);
    }
    pthread_mutex_destroy(&m->lock);
    free(m->text);
    free(m->health);
    free(m);
}
