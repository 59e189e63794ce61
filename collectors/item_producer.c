#include "item_producer.h"

#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

#define INFLIGHT_BUCKETS 4096
#define MARK_RETRY_MS 2000

enum flight_state {
    FLIGHT_QUEUED,   /* handed to librdkafka */
    FLIGHT_UNMARKED, /* delivered; yuqing:seen:<id> not yet set */
};

struct flight {
    struct flight *next;
    char *id;
    enum flight_state state;
    struct delivery_tally *tally;
};

struct item_producer {
    const struct yq_kafka_cfg *cfg;
    struct store *store;
    rd_kafka_t *rk;
    struct flight *buckets[INFLIGHT_BUCKETS];
    size_t count;
    size_t unmarked;
    int64_t next_mark_retry_ms;
};

static size_t bucket_of(const char *id)
{
    size_t h = 5381;
    for (const unsigned char *c = (const unsigned char *)id; *c; c++) {
        h = h * 33 + *c;
    }
    return h % INFLIGHT_BUCKETS;
}

static struct flight *find(const struct item_producer *p, const char *id)
{
    for (struct flight *f = p->buckets[bucket_of(id)]; f; f = f->next) {
        if (strcmp(f->id, id) == 0) {
            return f;
        }
    }
    return NULL;
}

static void drop(struct item_producer *p, struct flight *target)
{
    struct flight **pp = &p->buckets[bucket_of(target->id)];
    while (*pp && *pp != target) {
        pp = &(*pp)->next;
    }
    if (*pp) {
        *pp = target->next;
        p->count--;
        if (target->state == FLIGHT_UNMARKED) {
            p->unmarked--;
        }
    }
    free(target->id);
    free(target);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    struct item_producer *p = opaque;
    struct flight *f = msg->_private;

    (void)rk;
    if (!f) {
        return;
    }
    if (f->tally) {
        f->tally->pending--;
    }
    if (msg->err) {
        LOG_WARN("item delivery failed item_id=%s err=%s", f->id, rd_kafka_err2str(msg->err));
        if (f->tally) {
            f->tally->failed++;
        }
        drop(p, f); /* not marked seen: the next poll produces it again */
        return;
    }
    if (f->tally) {
        f->tally->delivered++;
    }
    f->tally = NULL;
    if (store_mark_seen(p->store, f->id) == 0) {
        drop(p, f);
        return;
    }
    /* keep it in flight so it is not produced again; retried from item_producer_poll() */
    f->state = FLIGHT_UNMARKED;
    p->unmarked++;
}

struct item_producer *item_producer_new(const struct yq_kafka_cfg *cfg, struct store *store,
                                        char *errbuf, size_t errlen)
{
    struct item_producer *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    p->cfg = cfg;
    p->store = store;
    p->rk = yq_kafka_producer_new(cfg, on_delivery, p, errbuf, errlen);
    if (!p->rk) {
        free(p);
        return NULL;
    }
    return p;
}

void item_producer_free(struct item_producer *p)
{
    /* tallies must still be alive: destroy may report purged messages */
    if (!p) {
        return;
    }
    if (p->rk) {
        rd_kafka_destroy(p->rk); /* may still call on_delivery for purged messages */
    }
    for (size_t b = 0; b < INFLIGHT_BUCKETS; b++) {
        while (p->buckets[b]) {
            drop(p, p->buckets[b]);
        }
    }
    free(p);
}

bool item_producer_in_flight(const struct item_producer *p, const char *id)
{
    return find(p, id) != NULL;
}

size_t item_producer_in_flight_count(const struct item_producer *p)
{
    return p->count;
}

int item_producer_send(struct item_producer *p, const char *id, const char *json, size_t len,
                       struct delivery_tally *tally)
{
    struct flight *f;
    rd_kafka_resp_err_t kerr;
    size_t b;

    if (find(p, id)) {
        return ERR_EXISTS;
    }
    f = calloc(1, sizeof(*f));
    if (!f || !(f->id = strdup(id))) {
        free(f);
        return ERR_NOMEM;
    }
    f->tally = tally;
    kerr = rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(p->cfg->items_topic),
                             RD_KAFKA_V_KEY(id, strlen(id)),
                             RD_KAFKA_V_VALUE((void *)json, len),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(f),
                             RD_KAFKA_V_END);
    if (kerr) {
        LOG_WARN("item produce failed item_id=%s err=%s", id, rd_kafka_err2str(kerr));
        free(f->id);
        free(f);
        return ERR_RETRY; /* queue full, unknown topic yet, fatal state: never lose, retry */
    }
    b = bucket_of(id);
    f->next = p->buckets[b];
    p->buckets[b] = f;
    p->count++;
    if (tally) {
        tally->pending++;
    }
    return 0;
}

static void retry_marks(struct item_producer *p, bool force)
{
    int64_t now = yq_time_mono_ms();

    if (p->unmarked == 0 || (!force && now < p->next_mark_retry_ms)) {
        return;
    }
    p->next_mark_retry_ms = now + MARK_RETRY_MS;
    for (size_t b = 0; b < INFLIGHT_BUCKETS && p->unmarked > 0; b++) {
        struct flight *f = p->buckets[b];
        while (f) {
            struct flight *next = f->next;
            if (f->state == FLIGHT_UNMARKED) {
                if (store_mark_seen(p->store, f->id) != 0) {
                    return; /* Redis still down */
                }
                drop(p, f);
            }
            f = next;
        }
    }
}

void item_producer_poll(struct item_producer *p, int timeout_ms)
{
    rd_kafka_poll(p->rk, timeout_ms);
    retry_marks(p, false);
}

int item_producer_flush(struct item_producer *p, int64_t timeout_ms)
{
    int err = yq_kafka_flush(p->rk, timeout_ms);
    rd_kafka_poll(p->rk, 0);
    retry_marks(p, true);
    if (p->unmarked > 0) {
        LOG_WARN("delivered items not marked seen (redis down) count=%zu: they will be sent "
                 "again after restart",
                 p->unmarked);
    }
    return err;
}
