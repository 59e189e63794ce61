/*
 * The archiver process (archiver.h): the batch (decode, offsets per partition), the consumer
 * loop (pause while a failed store is retried, commit after archive_put() returned 0),
 * retention, /metrics and /healthz.
 */
#include "archiver.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "yq_buf.h"
#include "yq_err.h"
#include "yq_health.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

#define STATUS_INTERVAL_MS 1000 /* /metrics and /healthz are republished this often */
#define PROBE_MS 1000           /* Kafka metadata probe for /healthz (yq_health.h) */
#define METRICS_MAX_BYTES (64 * 1024)
#define LOG_EVERY_RETRIES 20 /* a failing store is logged at the 1st and every 20th retry */

/* --- the batch ------------------------------------------------------------------------- */

int archiver_batch_init(struct archiver_batch *b, size_t cap)
{
    memset(b, 0, sizeof(*b));
    if (cap == 0) {
        return ERR_INVALID;
    }
    b->cap = cap;
    b->items = calloc(cap, sizeof(*b->items));
    b->item_ptrs = calloc(cap, sizeof(*b->item_ptrs));
    b->alerts = calloc(cap, sizeof(*b->alerts));
    b->alert_ptrs = calloc(cap, sizeof(*b->alert_ptrs));
    b->offsets = calloc(cap, sizeof(*b->offsets));
    if (!b->items || !b->item_ptrs || !b->alerts || !b->alert_ptrs || !b->offsets) {
        archiver_batch_release(b);
        return ERR_NOMEM;
    }
    return 0;
}

void archiver_batch_clear(struct archiver_batch *b)
{
    for (size_t i = 0; i < b->n_items; i++) {
        yq_item_release(&b->items[i]);
    }
    for (size_t i = 0; i < b->n_alerts; i++) {
        yq_alert_release(&b->alerts[i]);
    }
    b->n_items = 0;
    b->n_alerts = 0;
    b->n_offsets = 0;
    b->n_msgs = 0;
    b->n_malformed = 0;
    b->first_ms = 0;
}

void archiver_batch_release(struct archiver_batch *b)
{
    if (b->items && b->alerts) {
        archiver_batch_clear(b);
    }
    free(b->items);
    free(b->item_ptrs);
    free(b->alerts);
    free(b->alert_ptrs);
    free(b->offsets);
    memset(b, 0, sizeof(*b));
}

bool archiver_batch_full(const struct archiver_batch *b)
{
    return b->n_msgs >= b->cap;
}

/* Advance the offset of (topic, partition) to offset + 1 (never back). */
static void advance(struct archiver_batch *b, enum archiver_topic topic, int32_t partition,
                    int64_t offset)
{
    for (size_t i = 0; i < b->n_offsets; i++) {
        struct archiver_offset *o = &b->offsets[i];
        if (o->topic == topic && o->partition == partition) {
            if (offset + 1 > o->next) {
                o->next = offset + 1;
            }
            return;
        }
    }
    /* at most one offset per message, and b holds at most cap messages */
    b->offsets[b->n_offsets++] = (struct archiver_offset){topic, partition, offset + 1};
}

int archiver_batch_add(struct archiver_batch *b, enum archiver_topic topic, int32_t partition,
                       int64_t offset, const void *payload, size_t len, int64_t now_ms,
                       char *errbuf, size_t errlen)
{
    const char *text = payload ? payload : "";
    int rc;

    if (archiver_batch_full(b)) {
        snprintf(errbuf, errlen, "batch full (%zu messages)", b->cap);
        return ERR_TOO_BIG;
    }
    if (topic == ARCHIVER_ITEMS) {
        rc = yq_item_decode(text, payload ? len : 0, &b->items[b->n_items], errbuf, errlen);
        if (rc == 0) {
            b->item_ptrs[b->n_items] = &b->items[b->n_items];
            b->n_items++;
        }
    } else {
        rc = yq_alert_decode(text, payload ? len : 0, &b->alerts[b->n_alerts], errbuf, errlen);
        if (rc == 0) {
            b->alert_ptrs[b->n_alerts] = &b->alerts[b->n_alerts];
            b->n_alerts++;
        }
    }
    if (rc == ERR_NOMEM) {
        return rc;
    }
    if (b->n_msgs == 0) {
        b->first_ms = now_ms;
    }
    b->n_msgs++;
    advance(b, topic, partition, offset);
    if (rc) {
        b->n_malformed++;
        return ERR_PARSE;
    }
    return 0;
}

int archiver_batch_store(struct archiver_batch *b, const struct archiver_store *st,
                         struct archive_put_result *res, char *errbuf, size_t errlen)
{
    struct archive_put_result local;

    if (!res) {
        res = &local;
    }
    memset(res, 0, sizeof(*res));
    if (b->n_items == 0 && b->n_alerts == 0) {
        return 0; /* only malformed messages: nothing to store, their offsets may go */
    }
    return st->put(st->state, b->item_ptrs, b->n_items, b->alert_ptrs, b->n_alerts, res, errbuf,
                   errlen);
}

bool archiver_batch_forget(struct archiver_batch *b, enum archiver_topic topic,
                           int32_t partition)
{
    for (size_t i = 0; i < b->n_offsets; i++) {
        if (b->offsets[i].topic == topic && b->offsets[i].partition == partition) {
            b->offsets[i] = b->offsets[--b->n_offsets];
            return true;
        }
    }
    return false;
}

/* --- the process --------------------------------------------------------------------- */

struct archiver {
    const struct archiver_cfg *cfg;
    struct archive *archive;      /* opened by archiver_new(), or NULL with a caller's store */
    char *marker_path;            /* archive.dir/ARCHIVE: the production store's check */
    struct archiver_store store;  /* the archive's, or the caller's copy */
    struct archiver_batch batch;
    rd_kafka_t *consumer;
    /* a failed store: the batch is held, the partitions paused, retried at retry_at_ms */
    bool held;
    int64_t backoff_ms;
    int64_t retry_at_ms;
    uint64_t n_retries; /* consecutive failed stores of the held batch */
    int64_t next_prune_ms;
    enum yq_dep_state store_state;
    struct yq_metrics_http *http;
    struct yq_kafka_probe *kafka_probe;
    int64_t next_status_ms;
    int n_partitions; /* held by this member (last rebalance) */
    pthread_mutex_t lock; /* guards counts (archiver_counts_get() from another thread) */
    struct archiver_counts counts;
};

static int archive_store_put(void *state, const struct yq_item *const *items, size_t n_items,
                             const struct yq_alert *const *alerts, size_t n_alerts,
                             struct archive_put_result *res, char *errbuf, size_t errlen)
{
    return archive_put(state, items, n_items, alerts, n_alerts, res, errbuf, errlen);
}

static int archive_store_prune(void *state, int64_t now_s, int64_t retention_days,
                               size_t *n_removed, char *errbuf, size_t errlen)
{
    return archive_prune(state, now_s, retention_days, n_removed, errbuf, errlen);
}

/* The production check: the marker file of archive_init() is there and writable. */
static int archive_store_check(void *state)
{
    const struct archiver *a = state;
    return access(a->marker_path, R_OK | W_OK) == 0 ? 0 : ERR_IO;
}

static const char *topic_name(const struct archiver *a, enum archiver_topic t)
{
    return t == ARCHIVER_ITEMS ? a->cfg->kafka.items_topic : a->cfg->kafka.alerts_topic;
}

/* The topic of a consumed message's name; -1 for one the archiver did not subscribe to. */
static int topic_of(const struct archiver *a, const char *name)
{
    if (strcmp(name, a->cfg->kafka.items_topic) == 0) {
        return ARCHIVER_ITEMS;
    }
    if (strcmp(name, a->cfg->kafka.alerts_topic) == 0) {
        return ARCHIVER_ALERTS;
    }
    return -1;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

struct archiver *archiver_new(const struct archiver_cfg *cfg, const struct archiver_store *store,
                              char *errbuf, size_t errlen)
{
    struct archiver *a = calloc(1, sizeof(*a));
    int rc;

    if (!a) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    a->cfg = cfg;
    a->store_state = YQ_DEP_UNKNOWN;
    pthread_mutex_init(&a->lock, NULL);
    if (archiver_batch_init(&a->batch, (size_t)cfg->archive.batch_size) != 0) {
        snprintf(errbuf, errlen, "out of memory");
        archiver_free(a);
        return NULL;
    }
    if (store) {
        a->store = *store;
    } else {
        char err[512] = "";
        rc = archive_open(cfg->archive.dir, NULL, &a->archive, err, sizeof(err));
        if (rc == ERR_NOT_FOUND && strstr(err, "yuqingctl archive init")) {
            snprintf(errbuf, errlen, "%s", err); /* the store names the command already */
        } else if (rc == ERR_NOT_FOUND) {
            snprintf(errbuf, errlen, "archive '%s' not found: run yuqingctl archive init %s",
                     cfg->archive.dir, cfg->archive.dir);
        } else if (rc) {
            snprintf(errbuf, errlen, "cannot open archive '%s': %s", cfg->archive.dir, err);
        }
        if (rc) {
            archiver_free(a);
            return NULL;
        }
        a->store = (struct archiver_store){a->archive, archive_store_put, archive_store_prune,
                                           NULL};
        a->store_state = YQ_DEP_UP;
        if (asprintf(&a->marker_path, "%s/%s", cfg->archive.dir, ARCHIVE_MARKER) < 0) {
            a->marker_path = NULL;
            snprintf(errbuf, errlen, "out of memory");
            archiver_free(a);
            return NULL;
        }
    }
    if (yq_health_endpoint_start(&cfg->archive.metrics, &cfg->kafka, PROBE_MS, &a->http,
                                 &a->kafka_probe, errbuf, errlen) != 0) {
        archiver_free(a);
        return NULL;
    }
    return a;
}

void archiver_free(struct archiver *a)
{
    if (!a) {
        return;
    }
    yq_metrics_http_stop(a->http);
    yq_kafka_probe_stop(a->kafka_probe);
    if (a->consumer) {
        rd_kafka_consumer_close(a->consumer);
        rd_kafka_destroy(a->consumer);
    }
    archive_close(a->archive);
    free(a->marker_path);
    archiver_batch_release(&a->batch);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

int archiver_metrics_port(const struct archiver *a)
{
    return a->http ? yq_metrics_http_port(a->http) : -1;
}

void archiver_counts_get(struct archiver *a, struct archiver_counts *out)
{
    pthread_mutex_lock(&a->lock);
    *out = a->counts;
    pthread_mutex_unlock(&a->lock);
}

/* Count under the lock: field is a uint64_t of a->counts. */
#define COUNT_ADD(a, field, n)                                                                     \
    do {                                                                                           \
        pthread_mutex_lock(&(a)->lock);                                                            \
        (a)->counts.field += (n);                                                                  \
        pthread_mutex_unlock(&(a)->lock);                                                          \
    } while (0)

static void set_store_state(struct archiver *a, bool up)
{
    enum yq_dep_state now = up ? YQ_DEP_UP : YQ_DEP_DOWN;

    if (a->store_state != YQ_DEP_UNKNOWN && a->store_state != now) {
        if (up) {
            LOG_INFO("dependency up dependency=store%s", "");
        } else {
            LOG_WARN("dependency down dependency=store%s", "");
        }
    }
    a->store_state = now;
}

/* --- /metrics and /healthz ---------------------------------------------------------------- */

struct topic_sample {
    const char *topic;
    uint64_t value;
};

static int topic_family(struct yq_buf *b, const char *name, const char *help,
                        const struct topic_sample s[2])
{
    int err = yq_metrics_http_family(b, name, "counter", help);

    for (size_t i = 0; i < 2 && !err; i++) {
        struct yq_metrics_http_label l = {"topic", s[i].topic};
        err = yq_metrics_http_sample(b, name, &l, 1, (int64_t)s[i].value);
    }
    return err;
}

static int render_metrics(const struct archiver *a, const struct archiver_counts *c,
                          const struct yq_dep *deps, size_t n_deps, struct yq_buf *b)
{
    const struct topic_sample msgs[2] = {{a->cfg->kafka.items_topic, c->messages[0]},
                                         {a->cfg->kafka.alerts_topic, c->messages[1]}};
    const struct topic_sample bad[2] = {{a->cfg->kafka.items_topic, c->malformed[0]},
                                        {a->cfg->kafka.alerts_topic, c->malformed[1]}};
    const struct {
        const char *name, *type, *help;
        int64_t value;
    } scalars[] = {
        {"yuqing_archiver_items_stored_total", "counter", "items new to the archive",
         (int64_t)c->items_new},
        {"yuqing_archiver_items_duplicate_total", "counter",
         "items the archive already held (re-deliveries; nothing changed)", (int64_t)c->items_dup},
        {"yuqing_archiver_items_refused_total", "counter",
         "items and alerts the store refused as invalid", (int64_t)c->items_refused},
        {"yuqing_archiver_items_completed_total", "counter",
         "items stored as a truncated preview whose completed text replaced it",
         (int64_t)c->items_completed},
        {"yuqing_archiver_matches_stored_total", "counter", "match rows new to the archive",
         (int64_t)c->matches_new},
        {"yuqing_archiver_matches_duplicate_total", "counter", "match rows already held",
         (int64_t)c->matches_dup},
        {"yuqing_archiver_batches_total", "counter", "batches stored and committed",
         (int64_t)c->batches},
        {"yuqing_archiver_store_errors_total", "counter", "failed stores (each batch retried)",
         (int64_t)c->store_errors},
        {"yuqing_archiver_commit_errors_total", "counter",
         "failed offset commits (the batch is re-delivered; the store absorbs it)",
         (int64_t)c->commit_errors},
        {"yuqing_archiver_consume_errors_total", "counter", "consumer errors",
         (int64_t)c->consume_errors},
        {"yuqing_archiver_pruned_files_total", "counter", "month files removed by retention",
         (int64_t)c->pruned_files},
        {"yuqing_archiver_prune_errors_total", "counter", "failed retention runs",
         (int64_t)c->prune_errors},
        {"yuqing_archiver_batch_messages", "gauge", "messages in the batch not committed yet",
         (int64_t)a->batch.n_msgs},
        {"yuqing_archiver_store_retrying", "gauge",
         "1 while a batch is held because the store failed (partitions paused)", a->held ? 1 : 0},
        {"yuqing_archiver_assigned_partitions", "gauge", "partitions of both topics held",
         a->n_partitions},
    };
    int err = topic_family(b, "yuqing_archiver_messages_total", "messages consumed by topic",
                           msgs);

    if (!err) {
        err = topic_family(b, "yuqing_archiver_malformed_total",
                           "messages that did not decode (logged, skipped, committed)", bad);
    }
    for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]) && !err; i++) {
        err = yq_metrics_http_scalar(b, scalars[i].name, scalars[i].type, scalars[i].help,
                                     scalars[i].value);
    }
    return err ? err : yq_health_metrics(b, "archiver", deps, n_deps);
}

/*
 * Ask the store whether it looks usable, unless a failed batch is held (then it stays down
 * until a put succeeds). The production check has no state of its own: it reads the marker.
 */
static void check_store(struct archiver *a)
{
    int (*check)(void *) = a->store.check;
    void *state = a->store.state;

    if (!check && a->marker_path) {
        check = archive_store_check;
        state = a;
    }
    if (!check || a->held) {
        return;
    }
    set_store_state(a, check(state) == 0);
}

/* Render and publish /metrics and /healthz when due (force: now). */
static void publish_status(struct archiver *a, bool force)
{
    struct archiver_counts c;
    struct yq_dep deps[2];
    struct yq_buf b;
    char health[256];
    int status, err;
    int64_t now = yq_time_mono_ms();

    if (!a->http || (!force && now < a->next_status_ms)) {
        return;
    }
    a->next_status_ms = now + STATUS_INTERVAL_MS;
    check_store(a);
    archiver_counts_get(a, &c);
    deps[0] = (struct yq_dep){"kafka", yq_kafka_probe_state(a->kafka_probe)};
    deps[1] = (struct yq_dep){"store", a->store_state};
    yq_buf_init(&b, METRICS_MAX_BYTES);
    err = render_metrics(a, &c, deps, 2, &b);
    if (!err) {
        err = yq_metrics_http_publish_metrics(a->http, b.data, b.len);
    }
    yq_buf_release(&b);
    status = yq_health_json(deps, 2, health, sizeof(health));
    if (!err && status > 0) {
        err = yq_metrics_http_publish_health(a->http, (unsigned)status, health, strlen(health));
    }
    if (err) {
        LOG_WARN("cannot publish metrics err=%s", yq_strerror(err));
    }
}

/* --- Kafka ------------------------------------------------------------------------------ */

/* The batch's offsets as a new partition list (NULL when out of memory). */
static rd_kafka_topic_partition_list_t *batch_offsets(const struct archiver *a)
{
    const struct archiver_batch *b = &a->batch;
    rd_kafka_topic_partition_list_t *l =
        rd_kafka_topic_partition_list_new(b->n_offsets > 0 ? (int)b->n_offsets : 1);

    for (size_t i = 0; l && i < b->n_offsets; i++) {
        rd_kafka_topic_partition_list_add(l, topic_name(a, b->offsets[i].topic),
                                          b->offsets[i].partition)
            ->offset = b->offsets[i].next;
    }
    return l;
}

/* Commit the stored batch's offsets (synchronously). A failure is counted and logged. */
static void commit_batch(struct archiver *a)
{
    rd_kafka_topic_partition_list_t *l;
    rd_kafka_resp_err_t kerr;

    if (a->batch.n_offsets == 0 || !a->consumer) {
        return;
    }
    l = batch_offsets(a);
    if (!l) {
        COUNT_ADD(a, commit_errors, 1);
        LOG_WARN("offset commit skipped: out of memory messages=%zu", a->batch.n_msgs);
        return;
    }
    kerr = rd_kafka_commit(a->consumer, l, 0 /* sync */);
    rd_kafka_topic_partition_list_destroy(l);
    if (kerr) {
        COUNT_ADD(a, commit_errors, 1);
        LOG_WARN("offset commit failed messages=%zu err=%s (they are stored; a re-delivery "
                 "changes nothing)", a->batch.n_msgs, rd_kafka_err2str(kerr));
    }
}

/* Pause (pause true) or resume every partition this member holds. */
static void pause_all(struct archiver *a, bool pause)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    rd_kafka_resp_err_t kerr;

    if (!a->consumer || rd_kafka_assignment(a->consumer, &parts) != 0 || !parts) {
        return;
    }
    kerr = pause ? rd_kafka_pause_partitions(a->consumer, parts)
                 : rd_kafka_resume_partitions(a->consumer, parts);
    if (kerr) {
        LOG_WARN("cannot %s partitions err=%s", pause ? "pause" : "resume",
                 rd_kafka_err2str(kerr));
    }
    rd_kafka_topic_partition_list_destroy(parts);
}

/* Seek the partition of msg back to msg's offset and pause it: consumed again later. */
static void put_back(struct archiver *a, const rd_kafka_message_t *msg)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_error_t *error;

    if (!l) {
        return;
    }
    rd_kafka_topic_partition_list_add(l, rd_kafka_topic_name(msg->rkt), msg->partition)->offset =
        msg->offset;
    error = rd_kafka_seek_partitions(a->consumer, l, 1000);
    if (error) {
        LOG_WARN("seek back failed err=%s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
    (void)rd_kafka_pause_partitions(a->consumer, l);
    rd_kafka_topic_partition_list_destroy(l);
}

/*
 * Store the batch; on success commit its offsets, clear it and resume consuming; on failure
 * hold it (partitions paused) and schedule the retry. Returns 0 or the store's error.
 */
static int flush_batch(struct archiver *a)
{
    struct archive_put_result res;
    char err[512] = "";
    size_t n_msgs = a->batch.n_msgs;
    int rc;

    if (n_msgs == 0) {
        return 0;
    }
    rc = archiver_batch_store(&a->batch, &a->store, &res, err, sizeof(err));
    if (rc) {
        COUNT_ADD(a, store_errors, 1);
        set_store_state(a, false);
        a->n_retries++;
        a->backoff_ms = a->backoff_ms ? a->backoff_ms * 2 : a->cfg->archive.retry_backoff_ms;
        if (a->backoff_ms > ARCHIVER_MAX_BACKOFF_MS) {
            a->backoff_ms = ARCHIVER_MAX_BACKOFF_MS;
        }
        a->retry_at_ms = yq_time_mono_ms() + a->backoff_ms;
        if (a->n_retries == 1 || a->n_retries % LOG_EVERY_RETRIES == 0) {
            LOG_WARN("batch not stored, held and retried messages=%zu retries=%" PRIu64
                     " backoff_ms=%" PRId64 " err=%s",
                     n_msgs, a->n_retries, a->backoff_ms, err);
        }
        if (!a->held) {
            a->held = true;
            pause_all(a, true);
        }
        return rc;
    }
    set_store_state(a, true);
    commit_batch(a);
    pthread_mutex_lock(&a->lock);
    a->counts.batches++;
    a->counts.items_new += res.items_new;
    a->counts.items_dup += res.items_dup;
    a->counts.items_refused += res.items_refused;
    a->counts.items_completed += res.items_completed;
    a->counts.matches_new += res.matches_new;
    a->counts.matches_dup += res.matches_dup;
    pthread_mutex_unlock(&a->lock);
    LOG_DEBUG("batch stored messages=%zu items_new=%zu items_dup=%zu matches_new=%zu", n_msgs,
              res.items_new, res.items_dup, res.matches_new);
    if (a->n_retries > 0) {
        LOG_INFO("held batch stored after retries=%" PRIu64 " messages=%zu", a->n_retries,
                 n_msgs);
    }
    archiver_batch_clear(&a->batch);
    a->n_retries = 0;
    a->backoff_ms = 0;
    if (a->held) {
        a->held = false;
        pause_all(a, false);
    }
    return 0;
}

/*
 * The rebalance callback (in archiver_run()'s thread, inside poll or close). Before giving
 * partitions up, the batch is stored and committed if the store takes it; otherwise the
 * revoked partitions' offsets are dropped from it (the new owner starts from the committed
 * offset). New partitions are paused while a batch is held.
 */
static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct archiver *a = opaque;

    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        LOG_INFO("partitions assigned count=%d group=%s", parts->cnt, a->cfg->kafka.group_id);
        if (yq_kafka_rebalance_apply(rk, parts, true) == 0 && a->held) {
            (void)rd_kafka_pause_partitions(rk, parts);
        }
    } else {
        LOG_INFO("partitions revoked count=%d group=%s err=%s", parts->cnt,
                 a->cfg->kafka.group_id, rd_kafka_err2str(err));
        if (a->batch.n_msgs > 0 && flush_batch(a) != 0) {
            for (int i = 0; i < parts->cnt; i++) {
                int t = topic_of(a, parts->elems[i].topic);
                if (t >= 0) {
                    archiver_batch_forget(&a->batch, (enum archiver_topic)t,
                                          parts->elems[i].partition);
                }
            }
        }
        (void)yq_kafka_rebalance_apply(rk, parts, false);
    }
    {
        rd_kafka_topic_partition_list_t *now = NULL;
        if (rd_kafka_assignment(rk, &now) == 0 && now) {
            a->n_partitions = now->cnt;
            rd_kafka_topic_partition_list_destroy(now);
        }
    }
    a->next_status_ms = 0;
}

/*
 * Take one consumed message (destroyed by the caller): into the batch, or back to Kafka when
 * the batch cannot take it (full while held, out of memory).
 */
static void take_message(struct archiver *a, const rd_kafka_message_t *msg)
{
    const char *name = rd_kafka_topic_name(msg->rkt);
    char err[256] = "";
    int t, rc;

    if (msg->err) {
        if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            COUNT_ADD(a, consume_errors, 1);
            LOG_WARN("consume error err=%s", rd_kafka_message_errstr(msg));
        }
        return;
    }
    t = topic_of(a, name);
    if (t < 0) {
        return; /* not subscribed: cannot happen */
    }
    if (archiver_batch_full(&a->batch)) {
        put_back(a, msg); /* a held batch: consumed again once it is stored */
        return;
    }
    rc = archiver_batch_add(&a->batch, (enum archiver_topic)t, msg->partition, msg->offset,
                            msg->payload, msg->len, yq_time_mono_ms(), err, sizeof(err));
    if (rc == ERR_NOMEM || rc == ERR_TOO_BIG) {
        LOG_WARN("message put back topic=%s partition=%d offset=%" PRId64 " err=%s", name,
                 (int)msg->partition, (int64_t)msg->offset, yq_strerror(rc));
        put_back(a, msg);
        return;
    }
    pthread_mutex_lock(&a->lock);
    a->counts.messages[t]++;
    a->counts.malformed[t] += rc == ERR_PARSE;
    pthread_mutex_unlock(&a->lock);
    if (rc == ERR_PARSE) {
        LOG_WARN("malformed message skipped topic=%s partition=%d offset=%" PRId64 " err=%s",
                 name, (int)msg->partition, (int64_t)msg->offset, err);
    }
}

/* Retention when due (the first time at once). */
static void maybe_prune(struct archiver *a)
{
    char err[512] = "";
    size_t n = 0;
    int64_t now = yq_time_mono_ms();
    int rc;

    if (!a->store.prune || now < a->next_prune_ms) {
        return;
    }
    a->next_prune_ms = now + a->cfg->archive.prune_interval_s * 1000;
    rc = a->store.prune(a->store.state, yq_time_now(), a->cfg->archive.retention_days, &n, err,
                        sizeof(err));
    pthread_mutex_lock(&a->lock);
    a->counts.prunes++;
    a->counts.prune_errors += rc != 0;
    a->counts.pruned_files += n;
    pthread_mutex_unlock(&a->lock);
    if (rc) {
        LOG_WARN("retention failed retention_days=%" PRId64 " err=%s",
                 a->cfg->archive.retention_days, err);
    } else if (n > 0) {
        LOG_INFO("retention removed month files=%zu retention_days=%" PRId64, n,
                 a->cfg->archive.retention_days);
    }
}

/* The poll wait now: the poll timeout, shorter when the batch or a retry is due sooner. */
static int poll_wait_ms(const struct archiver *a)
{
    int64_t wait = a->cfg->archive.poll_timeout_ms, now = yq_time_mono_ms(), due = -1;

    if (a->held) {
        due = a->retry_at_ms;
    } else if (a->batch.n_msgs > 0) {
        due = a->batch.first_ms + a->cfg->archive.batch_wait_ms;
    }
    if (due >= 0 && due - now < wait) {
        wait = due > now ? due - now : 0;
    }
    return (int)wait;
}

/* One turn: poll what comes (up to the batch), store the batch when it is due. */
static void turn(struct archiver *a, volatile sig_atomic_t *stop)
{
    rd_kafka_message_t *msg = rd_kafka_consumer_poll(a->consumer, poll_wait_ms(a));
    int64_t now;

    while (msg) {
        take_message(a, msg);
        rd_kafka_message_destroy(msg);
        if (archiver_batch_full(&a->batch) || *stop) {
            break;
        }
        msg = rd_kafka_consumer_poll(a->consumer, 0);
    }
    now = yq_time_mono_ms();
    if (a->held) {
        if (now >= a->retry_at_ms) {
            (void)flush_batch(a);
        }
    } else if (a->batch.n_msgs > 0 && (archiver_batch_full(&a->batch) ||
                                       now - a->batch.first_ms >= a->cfg->archive.batch_wait_ms)) {
        (void)flush_batch(a);
    }
}

int archiver_run(struct archiver *a, volatile sig_atomic_t *stop)
{
    const char *topics[2] = {a->cfg->kafka.items_topic, a->cfg->kafka.alerts_topic};
    char err[512] = "";

    a->consumer = yq_kafka_consumer_new_topics(&a->cfg->kafka, topics, 2, on_rebalance, a, err,
                                               sizeof(err));
    if (!a->consumer) {
        LOG_ERR("cannot create consumer err=%s", err);
        return ERR_INVALID;
    }
    LOG_INFO("consuming topics=%s,%s group=%s archive=%s", topics[0], topics[1],
             a->cfg->kafka.group_id, a->cfg->archive.dir);
    publish_status(a, true);
    while (!*stop) {
        maybe_prune(a);
        turn(a, stop);
        publish_status(a, false);
    }
    /* SIGTERM: the batch is stored and committed, a failing store retried for a while */
    if (a->batch.n_msgs > 0) {
        int64_t deadline = yq_time_mono_ms() + a->cfg->archive.stop_timeout_ms;
        while (flush_batch(a) != 0 && yq_time_mono_ms() < deadline) {
            int64_t left = deadline - yq_time_mono_ms();
            sleep_ms(a->backoff_ms < left ? a->backoff_ms : (left > 0 ? left : 0));
        }
        if (a->batch.n_msgs > 0) {
            LOG_ERR("stopping with a batch the store did not take messages=%zu: not committed, "
                    "re-delivered at the next start", a->batch.n_msgs);
            archiver_batch_clear(&a->batch);
        }
    }
    publish_status(a, true);
    {
        struct archiver_counts c;
        archiver_counts_get(a, &c);
        LOG_INFO("stopping items=%" PRIu64 " alerts=%" PRIu64 " items_new=%" PRIu64
                 " items_dup=%" PRIu64 " matches_new=%" PRIu64 " malformed=%" PRIu64,
                 c.messages[0], c.messages[1], c.items_new, c.items_dup, c.matches_new,
                 c.malformed[0] + c.malformed[1]);
    }
    rd_kafka_consumer_close(a->consumer);
    rd_kafka_destroy(a->consumer);
    a->consumer = NULL;
    return 0;
}
