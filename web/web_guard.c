/*
 * The connection guard (issue #10, slow clients): per-address connection cap and a cap on
 * the total time of one request, from its first byte (or the previous request's start on a
 * kept-alive connection) to its end. libmicrohttpd's own connection timeout only ends an
 * idle connection: a client sending one byte every few seconds never is. A watchdog thread
 * shuts down the socket of a connection past its deadline; libmicrohttpd then sees the
 * closed socket and closes the connection in its own thread. Event streams are exempt (they
 * end after web.sse_max_stream_ms on their own).
 * Headers have a shorter deadline of their own (web.max_header_ms, from the accept or the end
 * of the previous request on a kept-alive connection, so an idle one counts too), and only
 * web.max_pending_headers connections may be waiting for theirs at once: a new one past that
 * closes the oldest, so slow clients from many addresses (each under the per-address cap)
 * cannot hold every one of http.connection_limit and /healthz stays reachable.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "web_guard.h"

#include "web_internal.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

/* One open connection (libmicrohttpd's socket context), in w->guard_conns. */
struct web_conn {
    struct web *w;
    struct web_conn *prev, *next;
    int fd;
    int64_t start_ms;  /* when the current request began (monotonic) */
    int64_t header_start_ms; /* since when its headers are awaited (monotonic) */
    bool headers_done; /* the current request's headers are complete (web_handle() saw it) */
    bool exempt;       /* an event stream */
    bool closed;       /* shut down by the watchdog */
    char client[INET6_ADDRSTRLEN];
};

static void conn_client(const struct sockaddr *sa, char *out, size_t len)
{
    out[0] = '\0';
    if (sa && sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)len);
    } else if (sa && sa->sa_family == AF_INET6) {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out, (socklen_t)len);
    }
}

static bool awaits_headers(const struct web_conn *k)
{
    return !k->headers_done && !k->exempt && !k->closed && k->fd >= 0;
}

/*
 * With guard_lock held, after a connection was added: while more than web.max_pending_headers
 * connections await their headers, close the one that has waited longest (never the newest:
 * a probe of /healthz must get its chance).
 */
static void cap_pending_headers(struct web *w)
{
    for (;;) {
        struct web_conn *oldest = NULL;
        int64_t n = 0;

        if (w->cfg.max_pending_headers <= 0) {
            return;
        }
        for (struct web_conn *k = w->guard_conns; k; k = k->next) {
            if (awaits_headers(k)) {
                n++;
                if (k != w->guard_conns &&
                    (!oldest || k->header_start_ms <= oldest->header_start_ms)) {
                    oldest = k;
                }
            }
        }
        if (n <= w->cfg.max_pending_headers || !oldest) {
            return;
        }
        oldest->closed = true;
        if (shutdown(oldest->fd, SHUT_RDWR) == 0 || errno == ENOTCONN) {
            LOG_INFO("too many connections without complete headers, oldest closed client=%s "
                     "max_pending_headers=%lld",
                     oldest->client, (long long)w->cfg.max_pending_headers);
        }
    }
}

/* MHD_OPTION_NOTIFY_CONNECTION: track connections from accept to close. */
static void guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                         enum MHD_ConnectionNotificationCode toe)
{
    struct web *w = cls;
    struct web_conn *k = *socket_context;

    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *fdi =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        const union MHD_ConnectionInfo *ai =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        k = calloc(1, sizeof(*k));
        if (!k) {
            return; /* unguarded: the idle timeout still applies */
        }
        k->w = w;
        k->fd = fdi ? (int)fdi->connect_fd : -1;
        k->start_ms = yq_time_mono_ms();
        k->header_start_ms = k->start_ms;
        conn_client(ai ? ai->client_addr : NULL, k->client, sizeof(k->client));
        pthread_mutex_lock(&w->guard_lock);
        k->next = w->guard_conns;
        if (k->next) {
            k->next->prev = k;
        }
        w->guard_conns = k;
        cap_pending_headers(w);
        pthread_mutex_unlock(&w->guard_lock);
        *socket_context = k;
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED && k) {
        /* called before libmicrohttpd closes the socket: the watchdog never sees a reused fd */
        pthread_mutex_lock(&w->guard_lock);
        if (k->prev) {
            k->prev->next = k->next;
        } else {
            w->guard_conns = k->next;
        }
        if (k->next) {
            k->next->prev = k->prev;
        }
        pthread_mutex_unlock(&w->guard_lock);
        free(k);
        *socket_context = NULL;
    }
}

static struct web_conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/*
 * MHD_OPTION_URI_LOG_CALLBACK: a request line arrived (every request, whatever its URL, also
 * /healthz and /metrics on a kept-alive connection): its deadline counts from now. Returns
 * NULL, the initial *req_cls the access handlers expect.
 */
static void *guard_request_line(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct web *w = cls;
    struct web_conn *k = conn_of(c);

    (void)uri;
    if (k) {
        pthread_mutex_lock(&w->guard_lock);
        k->start_ms = yq_time_mono_ms();
        if (k->headers_done) {
            /* the previous request's end was not reported: time the headers from now;
             * otherwise they are timed from the accept or the previous request's end
             * (web_conn_request_done()), so a slow request line gains nothing */
            k->headers_done = false;
            k->header_start_ms = k->start_ms;
        }
        k->exempt = false; /* a kept-alive connection after an event stream is guarded again */
        pthread_mutex_unlock(&w->guard_lock);
    }
    return NULL;
}

void web_conn_request_done(struct web *w, struct MHD_Connection *c)
{
    struct web_conn *k;
    if (!w->guard_started || !(k = conn_of(c))) {
        return;
    }
    pthread_mutex_lock(&w->guard_lock);
    /* an idle kept-alive connection holds a slot as a slow header does: same deadline, cap */
    k->headers_done = false;
    k->header_start_ms = yq_time_mono_ms();
    k->exempt = false; /* an event stream that ended */
    pthread_mutex_unlock(&w->guard_lock);
}

void web_conn_headers_done(struct web *w, struct MHD_Connection *c)
{
    struct web_conn *k;
    if (!w->guard_started || !(k = conn_of(c))) {
        return;
    }
    pthread_mutex_lock(&w->guard_lock);
    k->headers_done = true;
    pthread_mutex_unlock(&w->guard_lock);
}

void web_conn_exempt(struct web *w, struct MHD_Connection *c)
{
    struct web_conn *k;
    if (!w->guard_started || !(k = conn_of(c))) {
        return;
    }
    pthread_mutex_lock(&w->guard_lock);
    k->exempt = true;
    pthread_mutex_unlock(&w->guard_lock);
}

static void *guard_main(void *arg)
{
    struct web *w = arg;
    int64_t period_ms = 250;

    if (w->cfg.max_request_ms > 0 && w->cfg.max_request_ms / 4 < period_ms) {
        period_ms = w->cfg.max_request_ms / 4;
    }
    if (w->cfg.max_header_ms > 0 && w->cfg.max_header_ms / 4 < period_ms) {
        period_ms = w->cfg.max_header_ms / 4;
    }
    if (period_ms < 1) {
        period_ms = 1;
    }

    pthread_mutex_lock(&w->guard_lock);
    while (!w->guard_stop) {
        int64_t now = yq_time_mono_ms();
        struct timespec ts;

        for (struct web_conn *k = w->guard_conns; k; k = k->next) {
            if (w->cfg.max_header_ms > 0 && awaits_headers(k) &&
                now - k->header_start_ms >= w->cfg.max_header_ms) {
                k->closed = true;
                if (shutdown(k->fd, SHUT_RDWR) == 0 || errno == ENOTCONN) {
                    LOG_INFO("header time limit reached, connection closed client=%s "
                             "max_header_ms=%lld",
                             k->client, (long long)w->cfg.max_header_ms);
                }
            }
            if (w->cfg.max_request_ms > 0 && !k->exempt && !k->closed && k->fd >= 0 &&
                now - k->start_ms >= w->cfg.max_request_ms) {
                k->closed = true;
                if (shutdown(k->fd, SHUT_RDWR) == 0 || errno == ENOTCONN) {
                    LOG_INFO("request time limit reached, connection closed client=%s "
                             "max_request_ms=%lld",
                             k->client, (long long)w->cfg.max_request_ms);
                }
            }
        }
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += (long)(period_ms % 1000) * 1000000L;
        ts.tv_sec += period_ms / 1000 + ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&w->guard_cond, &w->guard_lock, &ts);
    }
    pthread_mutex_unlock(&w->guard_lock);
    return NULL;
}

int web_daemon_options(struct web *w, struct MHD_OptionItem *out)
{
    size_t i = 0;

    if (w->cfg.max_connections_per_ip > 0) {
        out[i++] = (struct MHD_OptionItem){MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                                           (intptr_t)w->cfg.max_connections_per_ip, NULL};
    }
    if ((w->cfg.max_request_ms > 0 || w->cfg.max_header_ms > 0 ||
         w->cfg.max_pending_headers > 0) &&
        !w->guard_started) {
        if (pthread_create(&w->guard_thread, NULL, guard_main, w) != 0) {
            out[i] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
            return ERR_NOMEM;
        }
        w->guard_started = true;
        out[i++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)&guard_notify,
                                           w};
        out[i++] = (struct MHD_OptionItem){MHD_OPTION_URI_LOG_CALLBACK,
                                           (intptr_t)&guard_request_line, w};
    }
    out[i] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
    return 0;
}

void web_guard_stop(struct web *w)
{
    if (!w->guard_started) {
        return;
    }
    pthread_mutex_lock(&w->guard_lock);
    w->guard_stop = true;
    pthread_cond_signal(&w->guard_cond);
    pthread_mutex_unlock(&w->guard_lock);
    pthread_join(w->guard_thread, NULL);
    w->guard_started = false;
    /* connections the daemon never reported closed (it is stopped by now) */
    while (w->guard_conns) {
        struct web_conn *k = w->guard_conns;
        w->guard_conns = k->next;
        free(k);
    }
}
