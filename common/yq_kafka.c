#include "yq_kafka.h"

#include <stdio.h>
#include <string.h>

#include "yq_err.h"
#include "yq_log.h"
#include "yq_banned.h"

/* A macro's value as a string literal. */
#define YQ_KAFKA_STR2(x) #x
#define YQ_KAFKA_STR(x) YQ_KAFKA_STR2(x)

#define CFG_KEYS_OF yq_kafka_cfg
const struct cfg_key yq_kafka_cfg_keys[] = {
    CFG_STRING_KEY(bootstrap_servers, "127.0.0.1:9092", "comma-separated host:port list"),
    CFG_STRING_KEY(items_topic, "yuqing.items", "topic of items"),
    CFG_STRING_KEY(alerts_topic, "yuqing.alerts", "topic of alerts"),
    CFG_STRING_KEY(sources_topic, "yuqing.sources",
                   "topic of source events: blind windows opened and closed (issue #15)"),
    CFG_STRING_KEY(group_id, NULL, "consumer group of this process"),
    CFG_MS_KEY(flush_timeout_ms, "10000", 100, 600000,
               "how long shutdown waits for queued messages"),
    /*
     * A real broker answers a waiting fetch as soon as a message arrives, so this costs no
     * latency there. librdkafka's mock cluster (kafka-dev, the tests, bench/e2e) answers an
     * empty fetch only after it, even when a message arrives meanwhile: a message then waits
     * up to this long per consumer hop (about half on average; two hops between collector
     * and store). 10 ms keeps that small while idle consumers poll ~100 times a second.
     */
    CFG_MS_KEY(fetch_wait_max_ms, "10", 1, 5000,
               "broker wait for an empty fetch (keep small on the mock cluster)"),
    CFG_MS_KEY(session_timeout_ms, "10000", 1000, 300000, "consumer group session timeout"),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

static int conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *errbuf,
                    size_t errlen)
{
    char kerr[256];
    if (rd_kafka_conf_set(conf, name, value, kerr, sizeof(kerr)) != RD_KAFKA_CONF_OK) {
        snprintf(errbuf, errlen, "kafka config '%s': %s", name, kerr);
        return ERR_INVALID;
    }
    return 0;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level <= 3) {
        LOG_ERR("kafka facility=%s %s", fac, buf);
    } else if (level <= 4) {
        LOG_WARN("kafka facility=%s %s", fac, buf);
    } else {
        LOG_DEBUG("kafka facility=%s %s", fac, buf);
    }
}

rd_kafka_conf_t *yq_kafka_base_conf(const struct yq_kafka_cfg *cfg, const char *client_id,
                                    char *errbuf, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (!conf) {
        snprintf(errbuf, errlen, "kafka: out of memory");
        return NULL;
    }
    rd_kafka_conf_set_log_cb(conf, log_cb);
    if (conf_set(conf, "bootstrap.servers", cfg->bootstrap_servers, errbuf, errlen) ||
        conf_set(conf, "client.id", client_id ? client_id : "yuqing", errbuf, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

rd_kafka_t *yq_kafka_producer_new(const struct yq_kafka_cfg *cfg,
                                  void (*dr_cb)(rd_kafka_t *, const rd_kafka_message_t *,
                                                void *),
                                  void *opaque, char *errbuf, size_t errlen)
{
    struct yq_kafka_producer_opts opts = {.dr_cb = dr_cb, .opaque = opaque};

    return yq_kafka_producer_new_opts(cfg, &opts, errbuf, errlen);
}

rd_kafka_t *yq_kafka_producer_new_opts(const struct yq_kafka_cfg *cfg,
                                       const struct yq_kafka_producer_opts *opts, char *errbuf,
                                       size_t errlen)
{
    char kerr[512], linger[32];
    rd_kafka_conf_t *conf = yq_kafka_base_conf(cfg, opts->client_id, errbuf, errlen);
    rd_kafka_t *rk;

    if (!conf) {
        return NULL;
    }
    snprintf(linger, sizeof(linger), "%lld",
             (long long)(opts->linger_ms > 0 ? opts->linger_ms : YQ_KAFKA_LINGER_MS));
    if (conf_set(conf, "enable.idempotence", "true", errbuf, errlen) ||
        conf_set(conf, "acks", "all", errbuf, errlen) ||
        conf_set(conf, "linger.ms", linger, errbuf, errlen) ||
        conf_set(conf, "message.timeout.ms", "300000", errbuf, errlen) ||
        conf_set(conf, "message.max.bytes", YQ_KAFKA_STR(YQ_KAFKA_MESSAGE_MAX_BYTES), errbuf,
                 errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    if (opts->dr_cb) {
        rd_kafka_conf_set_dr_msg_cb(conf, opts->dr_cb);
    }
    rd_kafka_conf_set_opaque(conf, opts->opaque);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, kerr, sizeof(kerr));
    if (!rk) {
        rd_kafka_conf_destroy(conf); /* rd_kafka_new() takes the conf only on success */
        snprintf(errbuf, errlen, "kafka producer: %s", kerr);
        return NULL;
    }
    for (size_t i = 0; opts->topics && opts->topics[i]; i++) {
        /* known from now on: its metadata comes with the producer's first requests */
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, opts->topics[i], NULL);
        if (rkt) {
            rd_kafka_topic_destroy(rkt); /* the producer keeps the topic */
        }
    }
    return rk;
}

rd_kafka_t *yq_kafka_consumer_new(const struct yq_kafka_cfg *cfg, const char *topic,
                                  char *errbuf, size_t errlen)
{
    return yq_kafka_consumer_new_rb(cfg, topic, NULL, NULL, errbuf, errlen);
}

rd_kafka_t *yq_kafka_consumer_new_rb(const struct yq_kafka_cfg *cfg, const char *topic,
                                     yq_kafka_rebalance_fn rebalance_cb, void *opaque,
                                     char *errbuf, size_t errlen)
{
    return yq_kafka_consumer_new_topics(cfg, &topic, 1, rebalance_cb, opaque, errbuf, errlen);
}

rd_kafka_t *yq_kafka_consumer_new_topics(const struct yq_kafka_cfg *cfg,
                                         const char *const *topics, size_t n_topics,
                                         yq_kafka_rebalance_fn rebalance_cb, void *opaque,
                                         char *errbuf, size_t errlen)
{
    char kerr[512], num[32];
    rd_kafka_conf_t *conf = yq_kafka_base_conf(cfg, NULL, errbuf, errlen);
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t kres;
    rd_kafka_t *rk;

    if (!conf) {
        return NULL;
    }
    if (n_topics == 0 || n_topics > YQ_KAFKA_MAX_TOPICS) {
        snprintf(errbuf, errlen, "kafka consumer: %zu topics (1..%d)", n_topics,
                 YQ_KAFKA_MAX_TOPICS);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    if (!cfg->group_id || !cfg->group_id[0]) {
        snprintf(errbuf, errlen, "kafka consumer: group_id is not set");
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    snprintf(num, sizeof(num), "%lld", (long long)cfg->fetch_wait_max_ms);
    if (conf_set(conf, "group.id", cfg->group_id, errbuf, errlen) ||
        conf_set(conf, "enable.auto.commit", "false", errbuf, errlen) ||
        conf_set(conf, "enable.auto.offset.store", "false", errbuf, errlen) ||
        conf_set(conf, "auto.offset.reset", "earliest", errbuf, errlen) ||
        conf_set(conf, "fetch.wait.max.ms", num, errbuf, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    snprintf(num, sizeof(num), "%lld", (long long)cfg->session_timeout_ms);
    if (conf_set(conf, "session.timeout.ms", num, errbuf, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    /*
     * Heartbeats at a third of the session timeout (Kafka's advice): a surviving member learns
     * of a dead member's rebalance within that, so takeover stays near session.timeout.ms.
     */
    snprintf(num, sizeof(num), "%lld", (long long)(cfg->session_timeout_ms / 3));
    if (conf_set(conf, "heartbeat.interval.ms", num, errbuf, errlen)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    if (rebalance_cb) {
        rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
        rd_kafka_conf_set_opaque(conf, opaque);
    }
    rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof(kerr));
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        snprintf(errbuf, errlen, "kafka consumer: %s", kerr);
        return NULL;
    }
    rd_kafka_poll_set_consumer(rk);
    list = rd_kafka_topic_partition_list_new((int)n_topics);
    for (size_t i = 0; i < n_topics; i++) {
        rd_kafka_topic_partition_list_add(list, topics[i], RD_KAFKA_PARTITION_UA);
    }
    kres = rd_kafka_subscribe(rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (kres) {
        snprintf(errbuf, errlen, "kafka subscribe '%s'%s: %s", topics[0],
                 n_topics > 1 ? " and others" : "", rd_kafka_err2str(kres));
        rd_kafka_destroy(rk);
        return NULL;
    }
    return rk;
}

size_t yq_kafka_take_batch(rd_kafka_t *consumer, const struct yq_kafka_take *take,
                           int64_t first_wait_ms, int64_t next_wait_ms, size_t max,
                           volatile sig_atomic_t *stop, rd_kafka_message_t **out)
{
    static const struct yq_kafka_take none = {NULL, NULL, NULL};
    int64_t wait_ms = first_wait_ms;
    size_t n = 0;

    take = take ? take : &none;
    while (n < max) {
        rd_kafka_message_t *msg = take->poll ? take->poll(take->ctx, (int)wait_ms)
                                             : rd_kafka_consumer_poll(consumer, (int)wait_ms);
        if (!msg) {
            break; /* nothing queued: the batch goes on as it is */
        }
        wait_ms = next_wait_ms;
        if (msg->err && !take->on_error) {
            rd_kafka_message_destroy(msg);
        } else if (msg->err) {
            if (take->on_error(take->ctx, msg)) {
                break;
            }
        } else {
            out[n++] = msg;
        }
        if (stop && *stop) {
            break;
        }
    }
    return n;
}

int yq_kafka_commit_message(rd_kafka_t *consumer, const rd_kafka_message_t *msg)
{
    rd_kafka_topic_partition_list_t *offsets = rd_kafka_topic_partition_list_new(1);
    rd_kafka_resp_err_t kres;

    rd_kafka_topic_partition_list_add(offsets, rd_kafka_topic_name(msg->rkt), msg->partition)
        ->offset = msg->offset + 1;
    kres = rd_kafka_commit(consumer, offsets, 0 /* sync */);
    rd_kafka_topic_partition_list_destroy(offsets);
    if (kres) {
        LOG_WARN("offset commit failed topic=%s partition=%d offset=%lld err=%s",
                 rd_kafka_topic_name(msg->rkt), (int)msg->partition, (long long)msg->offset,
                 rd_kafka_err2str(kres));
        return ERR_RETRY;
    }
    return 0;
}

bool yq_kafka_err_permanent(rd_kafka_resp_err_t err)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__BAD_MSG:
        return true;
    default:
        return false;
    }
}

int yq_kafka_flush(rd_kafka_t *producer, int64_t timeout_ms)
{
    rd_kafka_flush(producer, (int)timeout_ms);
    int left = rd_kafka_outq_len(producer);
    if (left > 0) {
        LOG_ERR("kafka flush incomplete messages_left=%d timeout_ms=%lld", left,
                (long long)timeout_ms);
        return ERR_RETRY;
    }
    return 0;
}

int yq_kafka_rebalance_apply(rd_kafka_t *rk, rd_kafka_topic_partition_list_t *parts,
                             bool assign)
{
    bool cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t kerr = RD_KAFKA_RESP_ERR_NO_ERROR;

    if (cooperative) {
        error = assign ? rd_kafka_incremental_assign(rk, parts)
                       : rd_kafka_incremental_unassign(rk, parts);
    } else {
        kerr = rd_kafka_assign(rk, assign ? parts : NULL);
    }
    if (error) {
        LOG_ERR("cannot apply rebalance err=%s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        return ERR_RETRY;
    }
    if (kerr) {
        LOG_ERR("cannot apply rebalance err=%s", rd_kafka_err2str(kerr));
        return ERR_RETRY;
    }
    return 0;
}
