#include "collector_fixture.h"

#include <curl/curl.h>
#include "yq_kafka_mock.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static enum MHD_Result dispatch(void *cls, struct MHD_Connection *c, const char *url,
                                const char *method, const char *version, const char *upload,
                                size_t *upload_size, void **con_cls)
{
    struct cfx_http *h = cls;

    (void)method;
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)con_cls;
    return h->answer(c, url, h->arg);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct cfx_http *h = cls;

    (void)c;
    (void)con_cls;
    if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
        __atomic_add_fetch(&h->completed, 1, __ATOMIC_SEQ_CST);
    }
}

long cfx_http_completed(struct cfx_http *h)
{
    return __atomic_load_n(&h->completed, __ATOMIC_SEQ_CST);
}

/* h->daemon just started (or NULL): its port. Returns 0 or -1. */
static int started(struct cfx_http *h)
{
    const union MHD_DaemonInfo *info;

    if (!h->daemon) {
        return -1;
    }
    info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : 0;
    return 0;
}

int cfx_http_start(struct cfx_http *h, cfx_answer_fn answer, void *arg, unsigned max_connections)
{
    h->answer = answer;
    h->arg = arg;
    if (max_connections == 0) {
        h->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, dispatch, h,
                                     MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
    } else {
        h->daemon =
            MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                             NULL, NULL, dispatch, h, MHD_OPTION_CONNECTION_LIMIT, max_connections,
                             MHD_OPTION_LISTEN_BACKLOG_SIZE, 2 * max_connections,
                             MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
    }
    return started(h);
}

int cfx_https_start(struct cfx_http *h, cfx_answer_fn answer, void *arg, const char *cert_pem,
                    const char *key_pem)
{
    h->answer = answer;
    h->arg = arg;
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        return -1;
    }
    h->daemon =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS, 0, NULL, NULL, dispatch, h,
                         MHD_OPTION_HTTPS_MEM_KEY, key_pem, MHD_OPTION_HTTPS_MEM_CERT, cert_pem,
                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, h, MHD_OPTION_END);
    return started(h);
}

void cfx_http_stop(struct cfx_http *h)
{
    if (h->daemon) {
        MHD_stop_daemon(h->daemon);
        h->daemon = NULL;
    }
}

enum MHD_Result cfx_reply(struct MHD_Connection *c, unsigned status, const char *body,
                          size_t len, const char *ctype, const char *etag)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    if (!r) {
        return MHD_NO;
    }
    if (ctype) {
        MHD_add_response_header(r, "Content-Type", ctype);
    }
    if (etag) {
        MHD_add_response_header(r, "ETag", etag);
    }
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A handle of type configured with the n name/value pairs kv; NULL with errbuf on failure. */
static rd_kafka_t *handle_new(rd_kafka_type_t type, const char *const (*kv)[2], size_t n,
                              char *errbuf, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk = NULL;
    size_t i = 0;

    while (i < n && rd_kafka_conf_set(conf, kv[i][0], kv[i][1], errbuf, errlen) ==
                        RD_KAFKA_CONF_OK) {
        i++;
    }
    if (i == n) {
        rk = rd_kafka_new(type, conf, errbuf, errlen);
    }
    if (!rk) {
        rd_kafka_conf_destroy(conf); /* rd_kafka_new() takes the conf only on success */
    }
    return rk;
}

rd_kafka_t *cfx_kafka_mock(char *bootstraps, size_t len, char *errbuf, size_t errlen)
{
    static const char *const kv[][2] = {{"test.mock.num.brokers", "1"}};
    rd_kafka_t *rk = handle_new(RD_KAFKA_PRODUCER, kv, 1, errbuf, errlen);
    rd_kafka_mock_cluster_t *mc = rk ? rd_kafka_handle_mock_cluster(rk) : NULL;

    if (!mc || rd_kafka_mock_topic_create(mc, "yuqing.items", 1, 1) != 0 ||
        rd_kafka_mock_topic_create(mc, "yuqing.sources", 1, 1) != 0) {
        if (rk) {
            snprintf(errbuf, errlen, "mock cluster: cannot create yuqing.items, yuqing.sources");
            rd_kafka_destroy(rk);
        }
        return NULL;
    }
    snprintf(bootstraps, len, "%s", rd_kafka_mock_cluster_bootstraps(mc));
    yq_kafka_mock_nodelay(bootstraps); /* as yq_kafka_mock_cluster_new() does */
    return rk;
}

rd_kafka_t *cfx_kafka_consumer(const char *bootstraps, const char *group)
{
    return cfx_kafka_consumer_topic(bootstraps, group, "yuqing.items");
}

rd_kafka_t *cfx_kafka_consumer_topic(const char *bootstraps, const char *group,
                                     const char *topic)
{
    const char *const kv[][2] = {
        {"bootstrap.servers", bootstraps},
        {"group.id", group},
        {"enable.partition.eof", "true"},
        {"fetch.max.bytes", "4000000"},
        {"fetch.wait.max.ms", "10"},
    };
    char err[256];
    rd_kafka_t *rk = handle_new(RD_KAFKA_CONSUMER, kv, sizeof(kv) / sizeof(kv[0]), err,
                                sizeof(err));
    rd_kafka_topic_partition_list_t *parts;

    if (!rk) {
        return NULL;
    }
    parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, topic, 0)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    if (rd_kafka_assign(rk, parts) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_destroy(rk);
        rk = NULL;
    }
    rd_kafka_topic_partition_list_destroy(parts);
    return rk;
}

redisContext *cfx_redis_connect(int port)
{
    struct timeval tv = {1, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);

    if (c && c->err) {
        redisFree(c);
        return NULL;
    }
    return c;
}

long long cfx_redis_int(redisContext *c, const char *fmt, const char *arg)
{
    redisReply *r = redisCommand(c, fmt, arg);
    long long v = r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1;

    if (r) {
        freeReplyObject(r);
    }
    return v;
}

char *cfx_hget(redisContext *c, const char *key, const char *field)
{
    redisReply *r = redisCommand(c, "HGET %s %s", key, field);
    char *s = NULL;

    if (r && r->type == REDIS_REPLY_STRING) {
        s = strdup(r->str);
    }
    if (r) {
        freeReplyObject(r);
    }
    return s;
}

int cfx_curl_init(void)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return -1;
    }
    return atexit(curl_global_cleanup) == 0 ? 0 : -1;
}

long long cfx_redis_calls(redisContext *c, const char *command)
{
    redisReply *r = redisCommand(c, "INFO commandstats");
    char needle[64];
    const char *at;
    long long v = -1;

    if (r && r->type == REDIS_REPLY_STRING) {
        snprintf(needle, sizeof(needle), "cmdstat_%s:calls=", command);
        at = strstr(r->str, needle);
        v = at ? strtoll(at + strlen(needle), NULL, 10) : 0;
    }
    if (r) {
        freeReplyObject(r);
    }
    return v;
}
