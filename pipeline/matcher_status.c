/*
 * The matcher's observable state (issue #10): whether its rule version is confirmed, the
 * state of Kafka and Redis, the partitions it holds (logged at each rebalance), and the
 * /metrics and /healthz documents published to common/yq_metrics_http.
 */
#include "matcher_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

#define STATUS_INTERVAL_MS 1000 /* /metrics and /healthz are republished this often */
#define COMMITTED_TIMEOUT_MS 500

int64_t matcher_rules_version(const struct matcher *m)
{
    return m->rules ? m->rules->version : 0;
}

bool matcher_rules_unverified(const struct matcher *m)
{
    return !m->rules_confirmed ||
           yq_time_mono_ms() - m->confirmed_mono_ms > m->cfg->matcher.rules_verify_max_age_ms;
}

bool matcher_stuck(const struct matcher *m)
{
    return m->left_group ||
           (m->unsettled_since_ms > 0 &&
            yq_time_mono_ms() - m->unsettled_since_ms > m->cfg->matcher.stuck_after_ms);
}

void matcher_set_redis(struct matcher *m, bool now_up)
{
    enum yq_dep_state now = now_up ? YQ_DEP_UP : YQ_DEP_DOWN;

    if (m->redis_state != YQ_DEP_UNKNOWN && m->redis_state != now) {
        if (now_up) {
            LOG_INFO("dependency up dependency=redis");
        } else {
            LOG_WARN("dependency down dependency=redis");
        }
    }
    m->redis_state = now;
    if (!now_up) {
        m->rules_recheck = true; /* see struct matcher */
    }
}

/* "yuqing.items[0,1]": the partitions of parts, grouped by topic, into buf (len bytes). */
static void format_partitions(const rd_kafka_topic_partition_list_t *parts, char *buf, size_t len)
{
    size_t off = 0;
    const char *topic = NULL;

    buf[0] = '\0';
    for (int i = 0; parts && i < parts->cnt && off + 1 < len; i++) {
        const rd_kafka_topic_partition_t *tp = &parts->elems[i];
        int n;
        if (!topic || strcmp(topic, tp->topic) != 0) {
            n = snprintf(buf + off, len - off, "%s%s[%d", topic ? "]," : "", tp->topic,
                         (int)tp->partition);
            topic = tp->topic;
        } else {
            n = snprintf(buf + off, len - off, ",%d", (int)tp->partition);
        }
        off += n > 0 ? (size_t)n : 0;
    }
    if (topic && off + 1 < len) {
        snprintf(buf + off, len - off, "]");
    }
}

/*
 * The consumer's rebalance callback (runs in the matcher's thread, inside consumer poll or
 * close): log which partitions this matcher takes or gives up, apply the change.
 */
void matcher_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct matcher *m = opaque;
    char list[1024];

    format_partitions(parts, list, sizeof(list));
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        m->n_assignments++;
        m->left_group = false; /* back in the group */
        LOG_INFO("partitions assigned partitions=%s count=%d group=%s", list, parts->cnt,
                 m->cfg->kafka.group_id);
        (void)yq_kafka_rebalance_apply(rk, parts, true);
    } else {
        if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
            m->n_revocations++;
            LOG_INFO("partitions revoked partitions=%s count=%d group=%s", list, parts->cnt,
                     m->cfg->kafka.group_id);
        } else {
            LOG_WARN("rebalance failed err=%s partitions=%s", rd_kafka_err2str(err), list);
        }
        (void)yq_kafka_rebalance_apply(rk, parts, false);
    }
    m->next_status_ms = 0; /* publish the new assignment at once */
}

/*
 * The held partitions with their positions and high watermarks (a new array in *out, free()
 * it, and the list it borrows topic names from in *list_out, destroy it). A partition that
 * consumed nothing yet reports its committed offset, if any.
 */
static size_t partition_status(struct matcher *m, struct matcher_partition_status **out,
                               rd_kafka_topic_partition_list_t **list_out)
{
    rd_kafka_topic_partition_list_t *parts = NULL, *unknown = NULL;
    struct matcher_partition_status *ps;

    *out = NULL;
    *list_out = NULL;
    if (!m->consumer || rd_kafka_assignment(m->consumer, &parts) != 0 || !parts) {
        return 0;
    }
    if (parts->cnt == 0 || !(ps = calloc((size_t)parts->cnt, sizeof(*ps)))) {
        rd_kafka_topic_partition_list_destroy(parts);
        return 0;
    }
    (void)rd_kafka_position(m->consumer, parts);
    for (int i = 0; i < parts->cnt; i++) {
        int64_t lo = -1, hi = -1;
        ps[i].topic = parts->elems[i].topic;
        ps[i].partition = parts->elems[i].partition;
        ps[i].position = parts->elems[i].offset >= 0 ? parts->elems[i].offset : -1;
        if (rd_kafka_get_watermark_offsets(m->consumer, ps[i].topic, ps[i].partition, &lo, &hi) !=
                RD_KAFKA_RESP_ERR_NO_ERROR ||
            hi < 0) {
            hi = -1;
        }
        ps[i].high_watermark = hi;
        if (ps[i].position < 0 && hi == 0) {
            ps[i].position = 0; /* an empty partition: nothing to consume */
        } else if (ps[i].position < 0) {
            /* nothing consumed from it yet: it resumes at the group's committed offset */
            if (!unknown) {
                unknown = rd_kafka_topic_partition_list_new(parts->cnt);
            }
            if (unknown) {
                rd_kafka_topic_partition_list_add(unknown, ps[i].topic, ps[i].partition);
            }
        }
    }
    if (unknown && rd_kafka_committed(m->consumer, unknown, COMMITTED_TIMEOUT_MS) == 0) {
        for (int i = 0; i < parts->cnt; i++) {
            rd_kafka_topic_partition_t *tp =
                rd_kafka_topic_partition_list_find(unknown, ps[i].topic, ps[i].partition);
            if (tp && !tp->err && tp->offset >= 0) {
                ps[i].position = tp->offset;
            }
        }
    }
    if (unknown) {
        rd_kafka_topic_partition_list_destroy(unknown);
    }
    *out = ps;
    *list_out = parts;
    return (size_t)parts->cnt;
}

/* Render and publish /metrics and /healthz when due (every STATUS_INTERVAL_MS). */
void matcher_publish_status(struct matcher *m)
{
    struct matcher_status st;
    struct matcher_partition_status *ps = NULL;
    rd_kafka_topic_partition_list_t *list = NULL;
    char *metrics = NULL, *health = NULL;
    size_t metrics_len = 0, health_len = 0;
    bool healthy = false;
    int64_t now = yq_time_mono_ms();
    int err;

    if (!m->http || now < m->next_status_ms) {
        return;
    }
    m->next_status_ms = yq_time_mono_ms() + STATUS_INTERVAL_MS;
    memset(&st, 0, sizeof(st));
    st.items = m->n_items;
    st.alerts = m->n_alerts;
    st.malformed = m->n_malformed;
    st.excluded = m->n_excluded;
    st.consume_errors = m->n_consume_errors;
    st.delivery_errors = m->n_delivery_errors;
    st.commit_errors = m->n_commit_errors;
    st.batch_retries = m->n_event_retries;
    st.event_fallbacks = m->n_event_fallbacks;
    st.assignments = m->n_assignments;
    st.revocations = m->n_revocations;
    st.rules_version = matcher_rules_version(m);
    st.rules_skipped = m->rules ? m->rules->n_skipped : 0;
    st.rules_rejected = m->n_rules_rejected;
    st.alerts_rejected = m->n_alerts_rejected;
    st.stuck = matcher_stuck(m);
    st.rules_checked_at = m->confirmed_at;
    st.rules_unverified = matcher_rules_unverified(m);
    st.kafka = yq_kafka_probe_state(m->kafka_probe);
    st.redis = m->redis_state;
    st.n_partitions = partition_status(m, &ps, &list);
    st.partitions = ps;
    err = matcher_status_metrics(&st, &metrics, &metrics_len);
    if (!err) {
        err = matcher_status_health(&st, &health, &health_len, &healthy);
    }
    if (!err) {
        err = yq_metrics_http_publish_metrics(m->http, metrics, metrics_len);
    }
    if (!err) {
        err = yq_metrics_http_publish_health(m->http, healthy ? 200U : 503U, health, health_len);
    }
    if (err) {
        LOG_WARN("cannot publish metrics err=%s", yq_strerror(err)); /* ERR_NOMEM, ERR_TOO_BIG */
    }
    free(metrics);
    free(health);
    free(ps);
    if (list) {
        rd_kafka_topic_partition_list_destroy(list);
    }
}
