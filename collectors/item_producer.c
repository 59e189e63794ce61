#include "item_producer.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "source_outbox.h"
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
    char *alias;  /* second seen key, or NULL */
    char *source_id; /* recorded in the source's recent set after delivery, or NULL */
    int64_t fetched_at;
    enum flight_state state;
    struct flight *mark_next; /* FLIGHT_UNMARKED: the next in the producer's to_mark list */
    struct delivery_tally *tally;
    bool replay;  /* produced from the spool file */
};

struct item_producer {
    const struct yq_kafka_cfg *cfg;
    struct store *store;
    rd_kafka_t *rk;
    struct flight *buckets[INFLIGHT_BUCKETS];
    size_t count;
    size_t unmarked;
    struct flight *to_mark;       /* the FLIGHT_UNMARKED flights, oldest first */
    struct flight **to_mark_tail;
    int64_t next_mark_retry_ms;   /* after a failed mark: not tried again before this */
    struct item_producer_opts opts;
    char *spool_path;
    char *replay_path;            /* <spool>.replay while a replay is in progress */
    struct delivery_tally replay_tally;
    bool shutting_down;           /* failed deliveries now go to the spool */
    const char *last_error;       /* rd_kafka_err2str() of the last refused send, static */
    struct item_producer_leftovers left;
    uint64_t rejected_total;      /* items Kafka refused for good (settled, not retried) */
    uint64_t delivery_errors;     /* delivery reports with an error, one per item */
    struct source_outbox *outbox; /* source events (issue #15) on the same handle */
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
    free(target->alias);
    free(target->source_id);
    free(target);
}

/* Append one message value to the spool file. Returns 0 or ERR_IO. */
static int spool_write(struct item_producer *p, const void *payload, size_t len)
{
    FILE *f;
    int err = 0;

    if (!p->spool_path) {
        return ERR_IO;
    }
    f = fopen(p->spool_path, "a");
    if (!f) {
        LOG_ERR("cannot open spool file path='%s' err=%s", p->spool_path, strerror(errno));
        return ERR_IO;
    }
    if (fwrite(payload, 1, len, f) != len || fputc('\n', f) == EOF) {
        err = ERR_IO;
    }
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        err = ERR_IO;
    }
    if (fclose(f) != 0) {
        err = ERR_IO;
    }
    return err;
}

/* Queue delivered flight f for its seen-mark (mark_pending()); in flight until marked. */
static void to_mark_push(struct item_producer *p, struct flight *f)
{
    f->state = FLIGHT_UNMARKED;
    f->mark_next = NULL;
    if (!p->to_mark) {
        p->to_mark_tail = &p->to_mark;
    }
    *p->to_mark_tail = f;
    p->to_mark_tail = &f->mark_next;
    p->unmarked++;
}

/*
 * Mark the delivered flights (issue #16): STORE_MARK_BATCH_MAX per round trip
 * (store_mark_many(): seen keys, alias keys, the sources' recent sets), each marked flight
 * then leaves the in-flight set. After a failure (Redis down) the rest stay queued and in
 * flight, tried again MARK_RETRY_MS later (or now when force).
 */
static void mark_pending(struct item_producer *p, bool force)
{
    struct store_mark batch[STORE_MARK_BATCH_MAX];
    int64_t now;

    if (!p->to_mark) {
        return;
    }
    now = yq_time_mono_ms();
    if (!force && now < p->next_mark_retry_ms) {
        return;
    }
    while (p->to_mark) {
        struct flight *f = p->to_mark;
        size_t n = 0;
        for (; f && n < STORE_MARK_BATCH_MAX; f = f->mark_next) {
            batch[n].id = f->id;
            batch[n].alias = f->alias;
            batch[n].source_id = f->source_id;
            batch[n].fetched_at = f->fetched_at;
            n++;
        }
        if (store_mark_many(p->store, batch, n) != 0) {
            p->next_mark_retry_ms = now + MARK_RETRY_MS;
            return; /* Redis down: kept in flight, so not produced again meanwhile */
        }
        while (n-- > 0) {
            f = p->to_mark;
            p->to_mark = f->mark_next;
            drop(p, f);
        }
    }
    p->next_mark_retry_ms = 0;
}

/* Settle an item Kafka refused for good: mark it seen so no later poll tries it again. */
static void settle_rejected(struct item_producer *p, const char *id, const char *alias,
                            rd_kafka_resp_err_t err)
{
    int mark_err = 0;

    p->rejected_total++;
    if (alias) {
        mark_err = store_mark_seen(p->store, alias);
    }
    if (!mark_err) {
        mark_err = store_mark_seen(p->store, id);
    }
    LOG_ERR("item rejected by kafka, not retried item_id=%s err=%s%s", id,
            rd_kafka_err2str(err),
            mark_err ? " (redis down: tried again next poll)" : "");
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    struct item_producer *p = opaque;
    struct flight *f = msg->_private;

    (void)rk;
    if (p->outbox && source_outbox_on_delivery(p->outbox, msg)) {
        return; /* a source event's report */
    }
    if (!f) {
        return;
    }
    if (f->tally) {
        f->tally->pending--;
    }
    if (msg->err) {
        p->delivery_errors++;
        if (f->tally) {
            f->tally->failed++;
        }
        if (yq_kafka_err_permanent(msg->err)) {
            /*
             * first, also for a replayed item or at shutdown: spooled, it would be refused
             * again at every start, for ever
             */
            settle_rejected(p, f->id, f->alias, msg->err);
        } else if (p->shutting_down || f->replay) {
            /* no next poll will produce it again: keep it on disk (FC-020) */
            if (spool_write(p, msg->payload, msg->len) == 0) {
                p->left.spooled++;
            } else {
                p->left.lost++;
                LOG_ERR("item lost: neither delivered nor spooled item_id=%s err=%s", f->id,
                        rd_kafka_err2str(msg->err));
            }
        } else {
            LOG_WARN("item delivery failed item_id=%s err=%s", f->id,
                     rd_kafka_err2str(msg->err));
        }
        drop(p, f); /* not marked seen (unless settled): the next poll produces it again */
        return;
    }
    if (f->tally) {
        f->tally->delivered++;
    }
    f->tally = NULL;
    /* marked in one batch after this poll's reports (mark_pending()); in flight till then */
    to_mark_push(p, f);
}

struct item_producer *item_producer_new(const struct yq_kafka_cfg *cfg, struct store *store,
                                        const struct item_producer_opts *opts, char *errbuf,
                                        size_t errlen)
{
    struct item_producer *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    p->cfg = cfg;
    p->store = store;
    if (opts) {
        p->opts = *opts;
    }
    if (p->opts.spool_path && p->opts.spool_path[0]) {
        size_t n = strlen(p->opts.spool_path) + 8;
        p->spool_path = strdup(p->opts.spool_path);
        p->replay_path = malloc(n);
        if (!p->spool_path || !p->replay_path) {
            snprintf(errbuf, errlen, "out of memory");
            item_producer_free(p);
            return NULL;
        }
        snprintf(p->replay_path, n, "%s.replay", p->spool_path);
    }
    p->opts.spool_path = NULL; /* borrowed: use the copies */
    {
        /* the topic every run writes; the sources topic only sees blind-spot events */
        const char *const topics[] = {cfg->items_topic, NULL};
        struct yq_kafka_producer_opts kopts = {
            .client_id = "yuqing-collector",
            .linger_ms = p->opts.linger_ms,
            .dr_cb = on_delivery,
            .opaque = p,
            .topics = topics,
        };
        p->rk = yq_kafka_producer_new_opts(cfg, &kopts, errbuf, errlen);
    }
    if (!p->rk) {
        item_producer_free(p);
        return NULL;
    }
    p->outbox = source_outbox_new(p->rk, cfg->sources_topic, store);
    if (!p->outbox) {
        snprintf(errbuf, errlen, "out of memory");
        item_producer_free(p);
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
    mark_pending(p, true); /* what destroy reported delivered */
    p->to_mark = NULL;     /* the flights go below */
    source_outbox_free(p->outbox);
    for (size_t b = 0; b < INFLIGHT_BUCKETS; b++) {
        while (p->buckets[b]) {
            drop(p, p->buckets[b]);
        }
    }
    free(p->spool_path);
    free(p->replay_path);
    free(p);
}

bool item_producer_in_flight(const struct item_producer *p, const char *id)
{
    return find(p, id) != NULL;
}

const char *item_producer_last_error(const struct item_producer *p)
{
    return p->last_error ? p->last_error : "";
}

uint64_t item_producer_rejected_count(const struct item_producer *p)
{
    return p->rejected_total;
}

uint64_t item_producer_delivery_errors(const struct item_producer *p)
{
    return p->delivery_errors;
}

size_t item_producer_in_flight_count(const struct item_producer *p)
{
    return p->count;
}

static void flight_free(struct flight *f)
{
    if (f) {
        free(f->id);
        free(f->alias);
        free(f->source_id);
        free(f);
    }
}

static int send_flight(struct item_producer *p, const char *id, const char *alias,
                       const char *source_id, int64_t fetched_at, const char *json, size_t len,
                       struct delivery_tally *tally, bool replay)
{
    struct flight *f;
    rd_kafka_resp_err_t kerr;
    size_t b;

    if (find(p, id)) {
        return ERR_EXISTS;
    }
    f = calloc(1, sizeof(*f));
    if (!f || !(f->id = strdup(id)) || (alias && !(f->alias = strdup(alias))) ||
        (source_id && !(f->source_id = strdup(source_id)))) {
        flight_free(f);
        return ERR_NOMEM;
    }
    f->fetched_at = fetched_at;
    f->tally = tally;
    f->replay = replay;
    kerr = rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(p->cfg->items_topic),
                             RD_KAFKA_V_KEY(id, strlen(id)),
                             RD_KAFKA_V_VALUE((void *)json, len),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(f),
                             RD_KAFKA_V_END);
    if (kerr) {
        p->last_error = rd_kafka_err2str(kerr);
        flight_free(f);
        if (yq_kafka_err_permanent(kerr)) {
            settle_rejected(p, id, alias, kerr);
            return kerr == RD_KAFKA_RESP_ERR__INVALID_ARG ? ERR_INVALID : ERR_TOO_BIG;
        }
        LOG_WARN("item produce failed item_id=%s err=%s", id, p->last_error);
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

int item_producer_send(struct item_producer *p, const char *id, const char *alias,
                       const char *source_id, int64_t fetched_at, const char *json, size_t len,
                       struct delivery_tally *tally)
{
    return send_flight(p, id, alias, source_id, fetched_at, json, len, tally, false);
}

/* Replay finished (every replayed message delivered or spooled again): drop the file. */
static void settle_replay(struct item_producer *p)
{
    if (p->replay_path && p->replay_tally.pending == 0 &&
        (p->replay_tally.delivered > 0 || p->replay_tally.failed > 0)) {
        if (unlink(p->replay_path) != 0 && errno != ENOENT) {
            LOG_WARN("cannot remove replayed spool path='%s' err=%s", p->replay_path,
                     strerror(errno));
        }
        LOG_INFO("spool replay done delivered=%lld respooled=%lld",
                 (long long)p->replay_tally.delivered, (long long)p->replay_tally.failed);
        memset(&p->replay_tally, 0, sizeof(p->replay_tally));
    }
}

int item_producer_replay_spool(struct item_producer *p)
{
    FILE *f;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int produced = 0, kept = 0, settled = 0;

    if (!p->spool_path) {
        return 0;
    }
    if (access(p->replay_path, F_OK) != 0) {
        if (rename(p->spool_path, p->replay_path) != 0) {
            return errno == ENOENT ? 0 : ERR_IO;
        }
    } else if (access(p->spool_path, F_OK) == 0) {
        /* an earlier replay did not finish: add the newer spool to it */
        FILE *in = fopen(p->spool_path, "r"), *out = fopen(p->replay_path, "a");
        while (in && out && (n = getline(&line, &cap, in)) > 0) {
            fwrite(line, 1, (size_t)n, out);
        }
        if (in) {
            fclose(in);
        }
        if (!out || fclose(out) != 0) {
            free(line);
            return ERR_IO;
        }
        unlink(p->spool_path);
    }
    f = fopen(p->replay_path, "r");
    if (!f) {
        free(line);
        return ERR_IO;
    }
    while ((n = getline(&line, &cap, f)) > 0) {
        json_t *obj;
        const char *id, *source_id, *fetched;
        int64_t fetched_at = 0;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            line[--n] = '\0';
        }
        obj = n > 0 ? json_loadb(line, (size_t)n, 0, NULL) : NULL;
        id = obj ? json_string_value(json_object_get(obj, "id")) : NULL;
        source_id = obj ? json_string_value(json_object_get(obj, "source_id")) : NULL;
        fetched = obj ? json_string_value(json_object_get(obj, "fetched_at")) : NULL;
        if (!fetched || yq_time_parse_iso(fetched, &fetched_at, NULL) != 0) {
            source_id = NULL; /* no time to score it by: not counted in items_24h */
        }
        if (id && id[0]) {
            int err = send_flight(p, id, NULL, source_id && source_id[0] ? source_id : NULL,
                                  fetched_at, line, (size_t)n, &p->replay_tally, true);
            if (err == 0) {
                produced++;
            } else if (err == ERR_TOO_BIG || err == ERR_INVALID) {
                settled++; /* refused for good: settled (marked seen), not kept */
            } else if (err != ERR_EXISTS) {
                /* cannot queue now: keep it for the next start */
                p->shutting_down = true;
                spool_write(p, line, (size_t)n);
                p->shutting_down = false;
                kept++;
            }
        } else if (n > 0) {
            LOG_WARN("spool line is not an item, skipped bytes=%zd", n);
        }
        json_decref(obj);
    }
    free(line);
    fclose(f);
    LOG_INFO("spool replayed path='%s' produced=%d kept=%d refused=%d", p->spool_path, produced,
             kept, settled);
    if (produced == 0) {
        unlink(p->replay_path);
    }
    return produced;
}

struct source_outbox *item_producer_outbox(struct item_producer *p)
{
    return p->outbox;
}

void item_producer_poll(struct item_producer *p, int timeout_ms)
{
    rd_kafka_poll(p->rk, timeout_ms);
    source_outbox_poll(p->outbox, yq_time_mono_ms());
    mark_pending(p, false);
    settle_replay(p);
}

int item_producer_flush(struct item_producer *p, int64_t timeout_ms,
                        struct item_producer_leftovers *out)
{
    int left, err = 0;

    memset(&p->left, 0, sizeof(p->left));
    rd_kafka_flush(p->rk, (int)timeout_ms);
    left = rd_kafka_outq_len(p->rk);
    if (left > 0) {
        rd_kafka_resp_err_t perr;
        p->shutting_down = true;
        LOG_ERR("kafka flush incomplete messages_left=%d timeout_ms=%lld: purging to spool",
                left, (long long)timeout_ms);
        perr = rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        if (perr) {
            LOG_ERR("kafka purge failed err=%s", rd_kafka_err2str(perr));
        }
        for (int i = 0; i < 100 && rd_kafka_outq_len(p->rk) > 0; i++) {
            rd_kafka_poll(p->rk, 50);
        }
        rd_kafka_poll(p->rk, 0);
        /* anything librdkafka still holds now has no delivery report: count it lost */
        p->left.lost += (size_t)rd_kafka_outq_len(p->rk);
        p->shutting_down = false;
        if (p->left.spooled) {
            LOG_WARN("undelivered items spooled count=%zu path='%s': produced again at the "
                     "next start",
                     p->left.spooled, p->spool_path);
        }
        if (p->left.lost) {
            LOG_ERR("undelivered items lost count=%zu (no spool file or write failed)",
                    p->left.lost);
        }
    }
    rd_kafka_poll(p->rk, 0);
    settle_replay(p);
    source_outbox_close(p->outbox);
    if (p->left.lost) {
        err = ERR_RETRY;
    }
    if (out) {
        *out = p->left;
    }
    mark_pending(p, true);
    if (p->unmarked > 0) {
        LOG_WARN("delivered items not marked seen (redis down) count=%zu: they will be sent "
                 "again after restart",
                 p->unmarked);
    }
    return err;
}
