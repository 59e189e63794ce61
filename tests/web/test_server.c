#include "test_server.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "yq_metrics_http.h"

struct test_server {
    struct MHD_Daemon *d;
    struct web *w;
    test_server_extra_fn extra;
    void *extra_cls;
    unsigned port;
};

/* Per-request state: the web's own (web_cls) or the extra route's body. */
struct treq {
    void *web_cls;
    char *body;
    size_t len;
    int calls; /* extra routes: the first call only has the headers */
};

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *version, const char *upload,
                               size_t *upload_size, void **req_cls)
{
    struct test_server *s = cls;
    struct treq *r = *req_cls;

    if (!r) {
        r = calloc(1, sizeof(*r));
        if (!r) {
            return MHD_NO;
        }
        *req_cls = r;
    }
    if (web_owns_url(url)) {
        return web_handle(s->w, c, url, method, version, upload, upload_size, &r->web_cls);
    }
    if (!s->extra) {
        static char nf[] = "not found\n";
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(strlen(nf), nf, MHD_RESPMEM_PERSISTENT);
        enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_NOT_FOUND, resp);
        MHD_destroy_response(resp);
        return ret;
    }
    if (r->calls++ == 0) {
        return MHD_YES;
    }
    if (*upload_size) {
        char *grown = realloc(r->body, r->len + *upload_size + 1);
        if (!grown) {
            return MHD_NO;
        }
        r->body = grown;
        memcpy(r->body + r->len, upload, *upload_size);
        r->len += *upload_size;
        r->body[r->len] = '\0';
        *upload_size = 0;
        return MHD_YES;
    }
    return s->extra(s->extra_cls, c, url, method, r->body, r->len);
}

static void completed(void *cls, struct MHD_Connection *c, void **req_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct treq *r = *req_cls;
    (void)cls;
    (void)c;
    (void)toe;
    if (r) {
        web_request_completed(r->web_cls);
        free(r->body);
        free(r);
    }
    *req_cls = NULL;
}

struct test_server *test_server_start(struct web *w, unsigned port, test_server_extra_fn extra,
                                      void *extra_cls)
{
    return test_server_start_limited(w, port, extra, extra_cls, 0);
}

struct test_server *test_server_start_limited(struct web *w, unsigned port,
                                              test_server_extra_fn extra, void *extra_cls,
                                              unsigned connection_limit)
{
    struct test_server *s = calloc(1, sizeof(*s));
    struct sockaddr_in sin;
    struct MHD_OptionItem guard[WEB_DAEMON_OPTIONS_MAX];
    struct MHD_OptionItem limit[2] = {{MHD_OPTION_END, 0, NULL}, {MHD_OPTION_END, 0, NULL}};

    if (!s || yq_metrics_http_listen_addr("127.0.0.1", (int)port, &sin) != 0) {
        free(s);
        return NULL;
    }
    s->w = w;
    s->extra = extra;
    s->extra_cls = extra_cls;
    /* the web's connection guard, as the notifier's daemon has it */
    if (web_daemon_options(w, guard) != 0) {
        free(s);
        return NULL;
    }
    if (connection_limit > 0) {
        limit[0] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_LIMIT, (intptr_t)connection_limit,
                                           NULL};
    }
    s->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                                MHD_USE_ERROR_LOG,
                            (uint16_t)port, NULL, NULL, &handler, s,
                            /* first, or MHD warns that some messages go to its own logger */
                            MHD_OPTION_EXTERNAL_LOGGER, &web_mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&sin, MHD_OPTION_NOTIFY_COMPLETED, &completed,
                            NULL, MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_ARRAY, guard,
                            MHD_OPTION_ARRAY, limit, MHD_OPTION_END);
    if (!s->d) {
        free(s);
        return NULL;
    }
    s->port = (unsigned)yq_metrics_http_bound_port(s->d, (int)port);
    return s;
}

unsigned test_server_port(const struct test_server *s)
{
    return s->port;
}

void test_server_stop(struct test_server *s)
{
    if (!s) {
        return;
    }
    web_shutdown(s->w);
    MHD_stop_daemon(s->d);
    free(s);
}
