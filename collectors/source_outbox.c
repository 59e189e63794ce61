#include "source_outbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_kafka.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

/* One event not yet delivered. */
struct outbox_entry {
    struct outbox_entry *next;
    char *source_id;                    /* the message key */
    char field[SOURCE_OUTBOX_FIELD_MAX]; /* its field in the Redis outbox */
    char *json;
    size_t len;
    bool in_kafka;                      /* produced, its delivery report not yet in */
    bool in_redis;                      /* recorded in the Redis outbox */
    int64_t attempts;                   /* produce calls refused or reported failed */
    int64_t retry_at_ms;                /* not in Kafka: produce again at this time */
    rd_kafka_resp_err_t refused;        /* refused for good at its produce call, else 0 */
};

struct source_outbox {
    rd_kafka_t *rk;
    const char *topic;
    struct store *store;
    struct outbox_entry *head; /* every pending event; SOURCE_OUTBOX_MAX_PENDING at most */
    size_t n;
    uint64_t delivered;
    uint64_t lost;
    uint64_t rejected;
};

struct source_outbox *source_outbox_new(rd_kafka_t *rk, const char *topic, struct store *store)
{
    struct source_outbox *ob = calloc(1, sizeof(*ob));

    if (!ob) {
        return NULL;
    }
    ob->rk = rk;
    ob->topic = topic;
    ob->store = store;
    return ob;
}

static void entry_free(struct outbox_entry *e)
{
    if (e) {
        free(e->source_id);
        free(e->json);
        free(e);
    }
}

void source_outbox_free(struct source_outbox *ob)
{
    if (!ob) {
        return;
    }
    while (ob->head) {
        struct outbox_entry *e = ob->head;
        ob->head = e->next;
        entry_free(e);
    }
    free(ob);
}

/*
 * Settle the event *pp that Kafka refused for good (err: yq_kafka_err_permanent()): logged,
 * counted, dropped from the Redis outbox and from memory. Retried, it would be refused again
 * every SOURCE_OUTBOX_RETRY_MS and at every start, for ever.
 */
static void settle_refused(struct source_outbox *ob, struct outbox_entry **pp,
                           rd_kafka_resp_err_t err)
{
    struct outbox_entry *e = *pp;

    LOG_ERR("source event refused by kafka, dropped source_id=%s event=%s bytes=%zu err=%s",
            e->source_id, e->field, e->len, rd_kafka_err2str(err));
    store_outbox_del(ob->store, e->source_id, e->field);
    *pp = e->next;
    ob->n--;
    ob->rejected++;
    entry_free(e);
}

/* Produce e; on a refusal it waits for a retry (or, refused for good, is marked so). */
static void produce(struct source_outbox *ob, struct outbox_entry *e)
{
    rd_kafka_resp_err_t kerr;

    kerr = rd_kafka_producev(ob->rk, RD_KAFKA_V_TOPIC(ob->topic),
                             RD_KAFKA_V_KEY(e->source_id, strlen(e->source_id)),
                             RD_KAFKA_V_VALUE(e->json, e->len),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(e),
                             RD_KAFKA_V_END);
    if (kerr && yq_kafka_err_permanent(kerr)) {
        e->refused = kerr; /* the caller settles it */
        e->in_kafka = false;
        return;
    }
    if (kerr) {
        /* said once per event: a full queue refuses every retry until it drains */
        if (e->attempts++ == 0) {
            LOG_WARN("source event produce failed source_id=%s event=%s err=%s: retried",
                     e->source_id, e->field, rd_kafka_err2str(kerr));
        } else {
            LOG_DEBUG("source event produce failed again source_id=%s event=%s err=%s",
                      e->source_id, e->field, rd_kafka_err2str(kerr));
        }
        e->in_kafka = false;
        e->retry_at_ms = yq_time_mono_ms() + SOURCE_OUTBOX_RETRY_MS;
        return;
    }
    e->in_kafka = true;
}

/* Hold and produce an event (key source_id, field, json of len bytes; all copied). */
static int hold(struct source_outbox *ob, const char *source_id, const char *field,
                const char *json, size_t len, bool in_redis)
{
    struct outbox_entry *e;

    for (e = ob->head; e; e = e->next) {
        if (strcmp(e->source_id, source_id) == 0 && strcmp(e->field, field) == 0) {
            return 0; /* the same event is already on its way (a resend after a send) */
        }
    }
    if (ob->n >= SOURCE_OUTBOX_MAX_PENDING) {
        if (in_redis) {
            LOG_ERR("source event outbox full pending=%zu source_id=%s event=%s: kept in "
                    "redis, produced again at the next start",
                    ob->n, source_id, field);
        } else {
            ob->lost++;
            LOG_ERR("source event lost: outbox full and redis down source_id=%s event=%s",
                    source_id, field);
        }
        return 0;
    }
    e = calloc(1, sizeof(*e));
    if (!e || !(e->source_id = strdup(source_id)) || !(e->json = malloc(len + 1))) {
        entry_free(e);
        return ERR_NOMEM;
    }
    memcpy(e->json, json, len);
    e->json[len] = '\0';
    e->len = len;
    snprintf(e->field, sizeof(e->field), "%s", field);
    e->in_redis = in_redis;
    e->next = ob->head;
    ob->head = e;
    ob->n++;
    produce(ob, e);
    if (e->refused) {
        settle_refused(ob, &ob->head, e->refused); /* e is the head */
    }
    return 0;
}

int source_outbox_send(struct source_outbox *ob, const struct yq_source_event *ev)
{
    char field[SOURCE_OUTBOX_FIELD_MAX], *json = NULL;
    size_t len = 0;
    bool in_redis;
    int err;

    err = yq_source_event_encode(ev, &json, &len);
    if (err) {
        return err;
    }
    snprintf(field, sizeof(field), "%s:%s:%lld", ev->open ? "open" : "close",
             yq_blind_reason_name(ev->reason), (long long)ev->started_at);
    /* recorded before it is produced: a crash in between re-sends rather than loses */
    in_redis = store_outbox_put(ob->store, ev->source_id, field, json) == 0;
    if (!in_redis) {
        LOG_WARN("source event not recorded in redis source_id=%s event=%s: held in memory",
                 ev->source_id, field);
    }
    err = hold(ob, ev->source_id, field, json, len, in_redis);
    free(json);
    return err;
}

int source_outbox_resend(struct source_outbox *ob, const char *source_id)
{
    char **fields = NULL, **jsons = NULL;
    size_t n = 0;
    int count = 0;

    if (store_outbox_list(ob->store, source_id, SOURCE_OUTBOX_RESEND_MAX, &fields, &jsons,
                          &n) != 0) {
        return ERR_RETRY;
    }
    for (size_t i = 0; i < n; i++) {
        struct yq_source_event ev;
        char err[160] = "";
        /* only what decodes as a source event of this source goes out again */
        if (strlen(fields[i]) >= SOURCE_OUTBOX_FIELD_MAX ||
            yq_source_event_decode(jsons[i], strlen(jsons[i]), &ev, err, sizeof(err)) != 0 ||
            strcmp(ev.source_id, source_id) != 0) {
            LOG_WARN("source event outbox entry is not a source event, dropped source_id=%s "
                     "field='%.64s' err='%s'",
                     source_id, fields[i], err);
            yq_source_event_release(&ev);
            store_outbox_del(ob->store, source_id, fields[i]);
            continue;
        }
        yq_source_event_release(&ev);
        if (hold(ob, source_id, fields[i], jsons[i], strlen(jsons[i]), true) == 0) {
            count++;
        }
    }
    store_strings_free(fields, n);
    store_strings_free(jsons, n);
    if (count > 0) {
        LOG_INFO("source events produced again from the outbox source_id=%s count=%d",
                 source_id, count);
    }
    return count;
}

bool source_outbox_on_delivery(struct source_outbox *ob, const rd_kafka_message_t *msg)
{
    struct outbox_entry **pp = &ob->head, *e;

    while (*pp && *pp != msg->_private) {
        pp = &(*pp)->next;
    }
    e = *pp;
    if (!e || !msg->_private) {
        return false;
    }
    if (msg->err && yq_kafka_err_permanent(msg->err)) {
        settle_refused(ob, pp, msg->err);
        return true;
    }
    if (msg->err) {
        if (e->attempts++ == 0) {
            LOG_WARN("source event delivery failed source_id=%s event=%s err=%s: retried",
                     e->source_id, e->field, rd_kafka_err2str(msg->err));
        }
        e->in_kafka = false;
        e->retry_at_ms = yq_time_mono_ms() + SOURCE_OUTBOX_RETRY_MS;
        return true;
    }
    /* delivered: a failed HDEL only means one harmless resend at the next start */
    store_outbox_del(ob->store, e->source_id, e->field);
    *pp = e->next;
    ob->n--;
    ob->delivered++;
    entry_free(e);
    return true;
}

void source_outbox_poll(struct source_outbox *ob, int64_t now_ms)
{
    struct outbox_entry **pp = &ob->head;

    while (*pp) {
        struct outbox_entry *e = *pp;
        if (!e->in_kafka && now_ms >= e->retry_at_ms) {
            produce(ob, e);
        }
        if (e->refused) {
            settle_refused(ob, pp, e->refused); /* *pp is the next one now */
        } else {
            pp = &e->next;
        }
    }
}

size_t source_outbox_pending(const struct source_outbox *ob)
{
    return ob->n;
}

uint64_t source_outbox_delivered(const struct source_outbox *ob)
{
    return ob->delivered;
}

void source_outbox_close(struct source_outbox *ob)
{
    size_t kept = 0, lost = 0;

    for (const struct outbox_entry *e = ob->head; e; e = e->next) {
        if (e->in_redis) {
            kept++;
        } else {
            lost++;
        }
    }
    ob->lost += lost;
    if (kept) {
        LOG_WARN("source events not delivered count=%zu: kept in redis, produced again at the "
                 "next start", kept);
    }
    if (lost) {
        LOG_ERR("source events lost count=%zu: neither delivered nor recorded in redis", lost);
    }
}

uint64_t source_outbox_lost(const struct source_outbox *ob)
{
    return ob->lost;
}

uint64_t source_outbox_rejected(const struct source_outbox *ob)
{
    return ob->rejected;
}
