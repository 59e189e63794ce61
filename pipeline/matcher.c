#include "matcher_internal.h"

#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "hot_watch.h"
#include "match.h"
#include "rules_store.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_item.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

#define SUB_RETRY_MS 1000
#define REDIS_BACKOFF_MAX_MS 5000
#define STATUS_PROBE_MS 1000 /* Kafka metadata probe for /healthz (yq_health.h) */

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    struct pending *p = msg->_private;
    (void)rk;
    (void)opaque;
    if (!p) {
        return;
    }
    p->err = msg->err;
    p->state = msg->err ? PENDING_FAILED : PENDING_DELIVERED;
    if (msg->err) {
        /* not rd_kafka_message_errstr(): in a delivery report that is the payload */
        snprintf(p->reason, sizeof(p->reason), "%s", rd_kafka_err2str(msg->err));
    }
}

/*
 * The loader's function (rules_loader.h), in its thread: read, decode and compile the
 * version on the loader's own connection, then write the rule-set cache from the new set
 * (not yet shared with anyone). ctx: the matcher; only cfg and load_redis are touched.
 */
static int load_rules(void *ctx, int64_t version, struct rule_set **out, char *errbuf,
                      size_t errlen)
{
    struct matcher *m = ctx;
    int rc = rules_store_load(m->load_redis, version, out, errbuf, errlen);

    if (rc == 0) {
        int crc = rules_cache_save(m->cfg->matcher.rules_cache_path, *out);
        if (crc != 0) {
            LOG_WARN("cannot write rule set cache path='%s' err=%s",
                     m->cfg->matcher.rules_cache_path, yq_strerror(crc));
        }
    }
    return rc;
}

struct matcher *matcher_new(const struct matcher_cfg *cfg, char *errbuf, size_t errlen)
{
    struct matcher *m = calloc(1, sizeof(*m));

    if (!m) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    m->cfg = cfg;
    m->check_backoff_ms = cfg->matcher.reload_check_ms;
    m->redis_state = YQ_DEP_UNKNOWN;
    m->redis = yq_redis_new(&cfg->redis);
    m->load_redis = yq_redis_new(&cfg->redis);
    m->loader = rules_loader_new(load_rules, m);
    m->scratch = match_scratch_new();
    m->batch = calloc((size_t)cfg->matcher.batch_size, sizeof(*m->batch));
    m->pending = calloc((size_t)cfg->matcher.batch_size, sizeof(*m->pending));
    m->slots = calloc((size_t)cfg->matcher.batch_size, sizeof(*m->slots));
    m->event_reqs = calloc((size_t)cfg->matcher.batch_size, sizeof(*m->event_reqs));
    m->event_out = calloc((size_t)cfg->matcher.batch_size, sizeof(*m->event_out));
    m->event_rcs = calloc((size_t)cfg->matcher.batch_size, sizeof(*m->event_rcs));
    if (!m->redis || !m->load_redis || !m->loader || !m->batch || !m->pending || !m->scratch ||
        !m->slots || !m->event_reqs || !m->event_out || !m->event_rcs) {
        snprintf(errbuf, errlen, "out of memory");
        matcher_free(m);
        return NULL;
    }
    {
        const char *const topics[] = {cfg->kafka.alerts_topic, NULL};
        const struct yq_kafka_producer_opts kopts = {
            .client_id = "yuqing-matcher", .dr_cb = dr_cb, .opaque = m, .topics = topics};
        m->producer = yq_kafka_producer_new_opts(&cfg->kafka, &kopts, errbuf, errlen);
    }
    if (!m->producer) {
        matcher_free(m);
        return NULL;
    }
    if (yq_health_endpoint_start(&cfg->matcher.metrics, &cfg->kafka, STATUS_PROBE_MS, &m->http,
                                 &m->kafka_probe, errbuf, errlen) != 0) {
        matcher_free(m);
        return NULL;
    }
    return m;
}

void matcher_free(struct matcher *m)
{
    if (!m) {
        return;
    }
    yq_metrics_http_stop(m->http); /* first: its thread reads nothing of m, but stop serving */
    yq_kafka_probe_stop(m->kafka_probe);
    if (m->consumer) {
        rd_kafka_consumer_close(m->consumer);
        rd_kafka_destroy(m->consumer);
    }
    if (m->producer) {
        rd_kafka_destroy(m->producer);
    }
    if (m->sub) {
        redisFree(m->sub);
    }
    rules_loader_free(m->loader); /* waits for a load in progress */
    yq_redis_free(m->load_redis);
    yq_redis_free(m->redis);
    rule_set_free(m->rules);
    match_scratch_free(m->scratch);
    norm_text_release(&m->simhash_buf);
    free(m->batch);
    free(m->pending);
    free(m->slots);
    free(m->event_reqs);
    free(m->event_out);
    free(m->event_rcs);
    free(m);
}

int matcher_metrics_port(const struct matcher *m)
{
    return m->http ? yq_metrics_http_port(m->http) : -1;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* --- hot reload ------------------------------------------------------------------------- */

static void sub_close(struct matcher *m)
{
    if (m->sub) {
        redisFree(m->sub);
        m->sub = NULL;
    }
}

/* Open the pub/sub connection. Returns 0 or ERR_RETRY. */
static int sub_open(struct matcher *m)
{
    const struct yq_redis_cfg *rc = &m->cfg->redis;
    struct timeval tv = {.tv_sec = rc->connect_timeout_ms / 1000,
                         .tv_usec = (rc->connect_timeout_ms % 1000) * 1000};
    redisReply *reply = NULL;

    m->sub = redisConnectWithTimeout(rc->host, (int)rc->port, tv);
    if (!m->sub || m->sub->err) {
        sub_close(m);
        return ERR_RETRY;
    }
    tv.tv_sec = rc->command_timeout_ms / 1000;
    tv.tv_usec = (rc->command_timeout_ms % 1000) * 1000;
    if (redisSetTimeout(m->sub, tv) != REDIS_OK) {
        sub_close(m);
        return ERR_RETRY;
    }
    if (rc->password_file) {
        char *pw = NULL;
        size_t len = 0;
        if (yq_fs_read_secret(rc->password_file, 4096, &pw, &len, NULL, 0) != 0) {
            sub_close(m);
            return ERR_RETRY; /* yq_redis logs the unreadable file */
        }
        while (len > 0 && (pw[len - 1] == '\n' || pw[len - 1] == '\r')) {
            pw[--len] = '\0';
        }
        reply = redisCommand(m->sub, "AUTH %b", pw, len);
        memset(pw, 0, len);
        free(pw);
        if (!reply || reply->type == REDIS_REPLY_ERROR) {
            goto fail;
        }
        freeReplyObject(reply);
    }
    reply = redisCommand(m->sub, "SUBSCRIBE %s", RULES_CHANNEL);
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        goto fail;
    }
    freeReplyObject(reply);
    LOG_DEBUG("subscribed channel=%s", RULES_CHANNEL);
    return 0;
fail:
    if (reply) {
        freeReplyObject(reply);
    }
    sub_close(m);
    return ERR_RETRY;
}

/*
 * True when a change notification arrived or the subscription was (re)opened (a
 * notification may have been missed while it was down). Never blocks on a live connection.
 */
static bool sub_poll(struct matcher *m)
{
    struct pollfd pfd;
    void *reply = NULL;
    bool seen = false;
    int64_t now = yq_time_mono_ms();

    if (!m->sub) {
        if (now < m->sub_retry_at_ms) {
            return false;
        }
        m->sub_retry_at_ms = now + SUB_RETRY_MS;
        return sub_open(m) == 0;
    }
    pfd.fd = m->sub->fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    if (poll(&pfd, 1, 0) <= 0) {
        return false;
    }
    if (redisBufferRead(m->sub) != REDIS_OK) {
        sub_close(m);
        return true;
    }
    while (redisGetReplyFromReader(m->sub, &reply) == REDIS_OK && reply) {
        freeReplyObject(reply);
        reply = NULL;
        seen = true;
    }
    if (m->sub->err) {
        sub_close(m);
        return true;
    }
    return seen;
}

static void swap_rules(struct matcher *m, struct rule_set *rs, const char *from)
{
    LOG_INFO("rule set in use version=%" PRId64 " rules=%zu terms=%zu skipped=%zu from=%s",
             rs->version, rs->n_rules, rs->n_terms, rs->n_skipped, from);
    for (size_t i = 0; i < rs->n_skipped; i++) {
        /* pushed before a check on terms was added: left out, the rest of the set matches */
        LOG_WARN("rule set entry left out version=%" PRId64 " from=%s reason=%s", rs->version, from,
                 rs->skipped[i]);
    }
    rule_set_free(m->rules);
    m->rules = rs;
}

static void try_cache(struct matcher *m)
{
    struct rule_set *rs = NULL;
    char err[512] = "";

    if (m->rules || m->cache_tried) {
        return;
    }
    m->cache_tried = true;
    if (rules_cache_load(m->cfg->matcher.rules_cache_path, &rs, err, sizeof(err)) != 0) {
        LOG_WARN("no usable rule set cache path='%s' err=%s", m->cfg->matcher.rules_cache_path,
                 err);
        return;
    }
    swap_rules(m, rs, "cache");
    m->in_use.version = rs->version;
    m->in_use.epoch[0] = '\0';
    m->rules_recheck = true; /* the copy's epoch is unknown: load the set Redis names */
}

static void confirm_rules(struct matcher *m, int64_t now_mono_ms)
{
    m->rules_confirmed = true;
    m->confirmed_mono_ms = now_mono_ms;
    m->confirmed_at = yq_time_now();
}

/*
 * A load the loader finished (rules_loader.h): switch to the new set when it is valid, keep
 * the one in use otherwise. Runs between batches, so no match uses the old set any more.
 */
static void finish_load(struct matcher *m, int64_t now)
{
    struct rules_load_result r;

    if (!rules_loader_take(m->loader, &r)) {
        return;
    }
    if (r.rc == ERR_RETRY || r.rc == ERR_NOMEM) {
        /* Redis down or memory short: nothing is wrong with the version, try it again later */
        m->rules_recheck = true;
        if (r.rc == ERR_NOMEM) {
            LOG_WARN("cannot load rule set version=%" PRId64 " err=%s", r.version, r.err);
        }
        try_cache(m);
        return;
    }
    if (r.rc != 0) {
        LOG_ERR("rule set rejected, keeping version=%" PRId64 " new_version=%" PRId64 " err=%s",
                matcher_rules_version(m), r.version, r.err);
        if (!rules_pointer_equal(&m->loading, &m->failed)) {
            m->n_rules_rejected++; /* not again when reloaded after a Redis outage */
        }
        m->failed = m->loading;
        try_cache(m);
        return;
    }
    swap_rules(m, r.rs, "redis");
    m->in_use = m->loading;
    confirm_rules(m, now);
    m->next_check_ms = 0; /* check at once that it is still the current version */
}

void matcher_rules_check(struct matcher *m, int64_t now_ms, bool force)
{
    struct rules_pointer cur;
    int64_t loading;
    int rc;

    finish_load(m, now_ms);
    if (sub_poll(m)) {
        force = true;
    }
    if (!force && now_ms < m->next_check_ms) {
        return;
    }
    rc = rules_store_pointer(m->redis, &cur);
    m->rules_confirmed = false; /* until this check confirms the version in use */
    matcher_set_redis(m, rc != ERR_RETRY);
    if (rc == ERR_RETRY) {
        /* Redis down: keep what we hold, back off, start from the cache if we hold nothing */
        m->check_backoff_ms = m->check_backoff_ms * 2 > REDIS_BACKOFF_MAX_MS
                                  ? REDIS_BACKOFF_MAX_MS
                                  : m->check_backoff_ms * 2;
        m->next_check_ms = now_ms + m->check_backoff_ms;
        try_cache(m);
        return;
    }
    m->check_backoff_ms = m->cfg->matcher.reload_check_ms;
    m->next_check_ms = now_ms + m->check_backoff_ms;
    if (rc != 0) {
        if (m->failed.version != -1) {
            LOG_WARN("bad rule set pointer key=%s epoch_key=%s", RULES_KEY_CURRENT,
                     RULES_KEY_EPOCH);
            m->failed.version = -1;
        }
        try_cache(m);
        return;
    }
    if (cur.version > 0 && !m->rules_recheck &&
        (rules_pointer_equal(&cur, &m->in_use) || rules_pointer_equal(&cur, &m->failed))) {
        /* current, or a newer set that was rejected (the one in use is kept on purpose) */
        confirm_rules(m, now_ms);
        return;
    }
    if (cur.version == 0) {
        m->rules_recheck = true; /* Redis lost the set: a later push may reuse the number */
        return;
    }
    loading = rules_loader_pending(m->loader);
    if (loading != 0) {
        /* one load at a time: a version pushed meanwhile is loaded after this one */
        return;
    }
    rc = rules_loader_start(m->loader, cur.version);
    if (rc != 0) {
        LOG_WARN("cannot start loading rule set version=%" PRId64 " err=%s", cur.version,
                 yq_strerror(rc));
        try_cache(m);
        return;
    }
    m->loading = cur;
    m->n_rules_loads++;
    LOG_INFO("loading rule set version=%" PRId64 " epoch=%s in_use=%" PRId64 "%s", cur.version,
             cur.epoch[0] ? cur.epoch : "none", matcher_rules_version(m),
             m->rules_recheck ? " reason=redis_was_down_or_empty" : "");
    m->rules_recheck = false;
}

/* Check for a new rule set when due (or notified): matcher_rules_check() now. */
static void maybe_reload(struct matcher *m, bool force)
{
    matcher_rules_check(m, yq_time_mono_ms(), force);
}

/* --- one batch ---------------------------------------------------------------------------- */

/*
 * A batch is matched in three steps (issue #16): every item is decoded, matched and its alert
 * built (prepare_message()); the near-duplicate lookups of all of them go to Redis in one
 * pipeline (assign_events()); then each alert, in the batch's order, takes its answer and
 * is queued for Kafka (finish_message()). The answers, the fallbacks and the order of alerts
 * are those of matching the items one by one; only the round trips are shared.
 */

/*
 * The SimHash of the alert's item, which the alert carries (issue #15: response detection)
 * when it is used at all; whether its event is asked of Redis. Returns 0, ERR_RETRY
 * (normalisation tables missing) or ERR_NOMEM.
 */
static int prepare_event(struct matcher *m, struct matcher_slot *s)
{
    struct yq_alert *alert = &s->alert;
    int rc = event_simhash(&alert->item, &m->simhash_buf, &s->simhash, &s->n_features);

    if (rc) {
        return rc == ERR_NOMEM ? rc : ERR_RETRY;
    }
    alert->has_simhash = s->n_features >= EVENT_MIN_FEATURES;
    alert->simhash = s->simhash;
    /* a zero-match official alert: its own event, never recorded in Redis; an unmatched
       repost asks whether its original is in an event */
    s->ask_redis = alert->n_matches > 0 || s->join_only;
    return 0;
}

bool matcher_events_hold(struct matcher *m, size_t n_asked, size_t n_lost, int64_t now_ms)
{
    if (n_asked == 0) {
        return false; /* Redis was not asked: says nothing about it */
    }
    matcher_set_redis(m, n_lost == 0);
    if (n_lost == 0) {
        if (m->events_down_since_ms) {
            LOG_INFO("event assignment works again down_ms=%" PRId64,
                     now_ms - m->events_down_since_ms);
            m->events_down_since_ms = 0;
            m->events_fallback_logged = false;
        }
        return false;
    }
    /*
     * Redis down: hold the batch back (it is retried) for up to event_wait_ms from the first
     * failure, then let alerts flow with the item's own event rather than stop alerting.
     */
    if (m->events_down_since_ms == 0) {
        m->events_down_since_ms = now_ms;
    }
    if (now_ms - m->events_down_since_ms < m->cfg->matcher.event_wait_ms) {
        return true;
    }
    if (!m->events_fallback_logged) {
        LOG_WARN("redis down for event assignment, items get their own event waited_ms=%" PRId64,
                 now_ms - m->events_down_since_ms);
        m->events_fallback_logged = true;
    }
    return false;
}

/*
 * What the batch's lookups (slots 0..n-1 after assign_events()) say about Redis, through
 * matcher_events_hold(): an item without a reply (ERR_RETRY) is a connection failure; an
 * answer, an error reply or a bad answer means Redis is up. Returns 0 (go on) or ERR_RETRY
 * (hold the batch back).
 */
static int events_outcome(struct matcher *m, const struct matcher_slot *slots, size_t n)
{
    size_t n_asked = 0, n_lost = 0;

    for (size_t i = 0; i < n; i++) {
        if (slots[i].alerting && slots[i].ask_redis) {
            n_asked++;
            n_lost += slots[i].ea_rc == ERR_RETRY;
        }
    }
    return matcher_events_hold(m, n_asked, n_lost, yq_time_mono_ms()) ? ERR_RETRY : 0;
}

/*
 * Put the alert's item into its event (event.h) with the answer Redis gave (s->ea, s->ea_rc
 * from event_assign_batch()): replaces the item's own event that match_build_alert() wrote.
 * Runs after events_outcome() let the batch go on, so an item without an answer (Redis
 * down past event_wait_ms, a bad answer, an error reply for the item) keeps its own event.
 * Returns 0 or ERR_NOMEM.
 */
static int finish_event(struct matcher *m, struct matcher_slot *s)
{
    struct yq_alert *alert = &s->alert;
    int rc = s->ea_rc;

    if (!s->ask_redis) {
        return 0;
    }
    if (s->join_only && rc != 0) {
        /* its original is in no event, or Redis cannot say (down past event_wait_ms, an
           error): an item that matched no rule opens no event; no alert (finish_message) */
        return 0;
    }
    if (rc == ERR_PARSE || rc == ERR_INVALID) {
        /* a corrupt answer in Redis, or Redis refused this item's call (its text logged by
           event_assign_batch()): retrying gives the same, so keep the item's own event
           rather than stall the partition */
        LOG_WARN("no event answer from redis, using the item's own event item_id=%s err=%s",
                 alert->item.id, rc == ERR_PARSE ? "bad answer" : "error reply");
        m->n_event_fallbacks++;
        if (rc == ERR_PARSE) {
            return 0; /* event.via left unset, as before */
        }
    }
    if (rc == ERR_RETRY || rc == ERR_INVALID) {
        free(alert->event_via);
        alert->event_via = strdup("own");
        m->n_event_fallbacks += rc == ERR_RETRY;
        return alert->event_via ? 0 : ERR_NOMEM;
    }
    if (rc) {
        return rc;
    }
    free(alert->event_key);
    free(alert->event_via);
    alert->event_key = s->ea.event_key;
    s->ea.event_key = NULL;
    alert->event_via = strdup(s->ea.via);
    alert->event_new = s->ea.is_new;
    alert->event_items = s->ea.items;
    return alert->event_via ? 0 : ERR_NOMEM;
}

/*
 * A zero-match alert (yq_alert.h): of an official item, or of a repost that matched no rule
 * (its event then comes from Redis, finish_event()): its own event key "ev:<id>", level IV,
 * score 0, the item's department; prepare_event() adds the SimHash.
 * Returns 0 or ERR_NOMEM (out released).
 */
static int zero_match_alert(struct matcher *m, const struct yq_item *item, struct yq_alert *out)
{
    const char *id = item->id ? item->id : "";
    size_t key_len = strlen(id) + 4;

    memset(out, 0, sizeof(*out));
    out->event_key = malloc(key_len);
    out->department = strdup(item->department ? item->department : "");
    if (!out->event_key || !out->department || yq_item_copy(&out->item, item) != 0) {
        yq_alert_release(out);
        return ERR_NOMEM;
    }
    snprintf(out->event_key, key_len, "ev:%s", id);
    out->rules_version = m->rules ? m->rules->version : 0;
    out->matched_at = yq_time_now();
    out->matched_at_ms = yq_time_stamp_ms(out->matched_at); /* issue #16 */
    out->level = YQ_LEVEL_IV;
    return 0;
}

/* Release what slot s holds and zero it. */
static void slot_release(struct matcher_slot *s)
{
    if (s->alerting) {
        yq_alert_release(&s->alert);
    }
    if (s->decoded) {
        match_result_release(&s->mr);
        yq_item_release(&s->item);
    }
    event_assignment_release(&s->ea);
    memset(s, 0, sizeof(*s));
}

/*
 * Decode and match one consumed item into slot s (zeroed): when it alerts, s->alerting and
 * its alert built, its SimHash computed. Returns 0, ERR_NOMEM or ERR_RETRY (matching must be
 * retried).
 */
static int prepare_message(struct matcher *m, const rd_kafka_message_t *msg,
                           struct matcher_slot *s)
{
    char err[256] = "";
    int rc;

    m->n_items++;
    rc = yq_item_decode(msg->payload ? msg->payload : "", msg->len, &s->item, err, sizeof(err));
    if (rc == ERR_NOMEM) {
        return rc;
    }
    if (rc) {
        m->n_malformed++;
        LOG_WARN("malformed item skipped topic=%s partition=%d offset=%" PRId64 " err=%s",
                 rd_kafka_topic_name(msg->rkt), (int)msg->partition, (int64_t)msg->offset, err);
        return 0;
    }
    s->decoded = true;
    rc = match_item(m->rules, m->scratch, &s->item, &s->mr);
    if (rc == 0 && s->mr.excluded_by) {
        m->n_excluded++;
        LOG_DEBUG("item excluded item_id=%s", s->item.id);
    } else if (rc == 0 && (s->mr.n_rules > 0 || hot_watch_applies(&s->item) || s->item.official)) {
        /* issue #15: every official item reaches the notifier (response detection), matched
           or not (yq_alert.h: a zero-match official alert); a watched hot-search entry alerts
           even when no rule matched (hot_watch.h) */
        rc = s->mr.n_rules > 0 || hot_watch_applies(&s->item)
                 ? hot_watch_build_alert(m->rules, &s->mr, &s->item,
                                         &m->cfg->matcher.source_weights, yq_time_now(), &s->alert)
                 : zero_match_alert(m, &s->item, &s->alert);
        if (rc == 0) {
            s->alerting = true;
            rc = prepare_event(m, s);
        } else {
            yq_alert_release(&s->alert); /* whatever the failed build left */
        }
    } else if (rc == 0 && s->item.reply_to && s->item.reply_to[0]) {
        /* a repost matching no rule ("转发微博", "//@某某:..."): it joins its original's event
           when the original is in one (docs/matching.md "Events"), else it is dropped */
        rc = zero_match_alert(m, &s->item, &s->alert);
        if (rc == 0) {
            s->alerting = true;
            s->join_only = true;
            rc = prepare_event(m, s);
        }
    }
    return rc;
}

/*
 * The near-duplicate lookups of slots 0..n-1 that ask Redis, in one pipeline. Returns 0 or
 * ERR_NOMEM (each slot's own answer is in its ea_rc).
 */
static int assign_events(struct matcher *m, struct matcher_slot *slots, size_t n)
{
    struct event_opts opts = {.window_s = m->cfg->matcher.event_window_s,
                              .ttl_s = m->cfg->matcher.event_ttl_s};
    struct event_request *reqs = m->event_reqs;
    struct event_assignment *out = m->event_out;
    int *rcs = m->event_rcs;
    size_t k = 0;
    int rc;

    for (size_t i = 0; i < n; i++) {
        if (slots[i].alerting && slots[i].ask_redis) {
            reqs[k++] = (struct event_request){.item = &slots[i].alert.item,
                                               .simhash = slots[i].simhash,
                                               .n_features = slots[i].n_features,
                                               .join_only = slots[i].join_only};
        }
    }
    if (k == 0) {
        return 0;
    }
    rc = event_assign_batch(m->redis, reqs, k, yq_time_now(), &opts, out, rcs);
    k = 0;
    for (size_t i = 0; i < n; i++) {
        if (slots[i].alerting && slots[i].ask_redis) {
            slots[i].ea = out[k];
            slots[i].ea_rc = rcs[k];
            memset(&out[k], 0, sizeof(out[k]));
            k++;
        }
    }
    return rc;
}

/*
 * Slot s's alert, with its event answer, into m->pending (one entry at most). Returns 0,
 * ERR_NOMEM or ERR_RETRY (event assignment must be retried).
 */
static int finish_message(struct matcher *m, struct matcher_slot *s)
{
    struct yq_alert *alert = &s->alert;
    const struct yq_item *item = &s->item;
    int rc;

    if (!s->alerting) {
        return 0;
    }
    if (s->join_only && s->ea_rc != 0) {
        LOG_DEBUG("repost matched no rule and its original is in no event item_id=%s "
                  "reply_to=%s",
                  item->id, item->reply_to);
        return 0;
    }
    rc = finish_event(m, s);
    if (rc == 0 && matcher_rules_unverified(m)) {
        /* matched on a set Redis did not (recently) confirm as current: say so */
        alert->rules_unverified = true;
        alert->rules_checked_at = m->confirmed_at;
    }
    if (rc == 0) {
        struct pending *p = &m->pending[m->n_pending];
        memset(p, 0, sizeof(*p));
        /* never larger than Kafka takes: an oversized alert would wedge the partition */
        rc = yq_alert_encode_bounded(alert, YQ_ALERT_MAX_BYTES, &p->payload, &p->len);
        if (rc == ERR_TOO_BIG) {
            /* thousands of matched rules: cannot happen with real rule sets; settle it */
            m->n_alerts_rejected++;
            LOG_ERR("alert too large, item settled without an alert item_id=%s rules=%zu",
                    item->id, s->mr.n_rules);
            rc = 0;
        } else if (rc == 0) {
            bool cut = alert->item.truncated_fields != item->truncated_fields ||
                       strlen(alert->item.text ? alert->item.text : "") !=
                           strlen(item->text ? item->text : "");
            for (size_t i = 0; i < alert->n_matches; i++) {
                cut = cut || alert->matches[i].terms_truncated;
            }
            if (cut) {
                LOG_INFO("alert shortened to fit the message limit item_id=%s bytes=%zu",
                         item->id, p->len);
            }
            p->key = strdup(alert->event_key);
            p->item_id = strdup(item->id);
            if (!p->key || !p->item_id) {
                free(p->payload);
                free(p->key);
                free(p->item_id);
                memset(p, 0, sizeof(*p));
                rc = ERR_NOMEM;
            } else {
                m->n_pending++;
                LOG_DEBUG("item matched item_id=%s rules=%zu event_key=%s", item->id,
                          s->mr.n_rules, alert->event_key);
            }
        }
    }
    return rc;
}

/*
 * Match the n consumed messages of m->batch into m->pending, in order. Returns 0, ERR_NOMEM
 * or ERR_RETRY (matching or event assignment must be retried: the batch is not delivered).
 */
static int match_batch(struct matcher *m, size_t n)
{
    int rc = 0;

    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = prepare_message(m, m->batch[i], &m->slots[i]);
    }
    if (rc == 0) {
        rc = assign_events(m, m->slots, n);
    }
    if (rc == 0) {
        rc = events_outcome(m, m->slots, n);
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = finish_message(m, &m->slots[i]);
    }
    for (size_t i = 0; i < n; i++) {
        slot_release(&m->slots[i]);
    }
    return rc;
}

/* Hand p to the producer, waiting while its queue is full. */
static void produce(struct matcher *m, struct pending *p)
{
    for (;;) {
        rd_kafka_resp_err_t kerr = rd_kafka_producev(
            m->producer, RD_KAFKA_V_TOPIC(m->cfg->kafka.alerts_topic),
            RD_KAFKA_V_KEY(p->key, strlen(p->key)), RD_KAFKA_V_VALUE(p->payload, p->len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(p), RD_KAFKA_V_END);
        if (kerr == RD_KAFKA_RESP_ERR_NO_ERROR) {
            p->state = PENDING_IN_FLIGHT;
            return;
        }
        if (kerr != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            /* treated as a failed delivery: retried after the backoff, or settled if permanent */
            LOG_WARN("alert produce failed event_key=%s err=%s", p->key, rd_kafka_err2str(kerr));
            m->n_delivery_errors++;
            p->state = PENDING_FAILED;
            p->err = kerr;
            snprintf(p->reason, sizeof(p->reason), "%s", rd_kafka_err2str(kerr));
            return;
        }
        rd_kafka_poll(m->producer, 100);
    }
}

/*
 * Produce every pending alert and wait for all delivery reports, re-producing failed ones.
 * Returns 0 when all were delivered, ERR_RETRY when stopped before that (after up to
 * kafka.flush_timeout_ms of trying once stop was set).
 */
static int deliver_all(struct matcher *m, volatile sig_atomic_t *stop)
{
    int64_t deadline = -1, retry_at = 0;

    for (size_t i = 0; i < m->n_pending; i++) {
        produce(m, &m->pending[i]);
    }
    for (;;) {
        bool done = true, failed = false;
        rd_kafka_flush(m->producer, 100);
        matcher_publish_status(m); /* a long wait (Kafka down) must show on /healthz */
        for (size_t i = 0; i < m->n_pending; i++) {
            struct pending *p = &m->pending[i];
            if (p->state == PENDING_FAILED && yq_kafka_err_permanent(p->err)) {
                /* refused for good: settle its item rather than wedge the partition */
                p->state = PENDING_REJECTED;
                m->n_alerts_rejected++;
                LOG_ERR("alert refused by kafka, item settled without an alert item_id=%s "
                        "event_key=%s bytes=%zu err=%s reason=%s",
                        p->item_id, p->key, p->len, rd_kafka_err2name(p->err), p->reason);
            }
            done = done && (p->state == PENDING_DELIVERED || p->state == PENDING_REJECTED);
            failed = failed || p->state == PENDING_FAILED;
        }
        if (done) {
            return 0;
        }
        if (*stop && deadline < 0) {
            deadline = yq_time_mono_ms() + m->cfg->kafka.flush_timeout_ms;
        }
        if (deadline >= 0 && yq_time_mono_ms() >= deadline) {
            LOG_ERR("stopping with undelivered alerts; their items are not committed%s", "");
            return ERR_RETRY;
        }
        if (failed && yq_time_mono_ms() >= retry_at) {
            for (size_t i = 0; i < m->n_pending; i++) {
                struct pending *p = &m->pending[i];
                if (p->state == PENDING_FAILED) {
                    m->n_delivery_errors++;
                    LOG_WARN("alert delivery failed, retrying event_key=%s err=%s", p->key,
                             rd_kafka_err2str(p->err));
                    produce(m, p);
                }
            }
            retry_at = yq_time_mono_ms() + m->cfg->matcher.retry_backoff_ms;
        } else if (failed) {
            sleep_ms(10);
        }
    }
}

static void clear_pending(struct matcher *m)
{
    for (size_t i = 0; i < m->n_pending; i++) {
        free(m->pending[i].payload);
        free(m->pending[i].key);
        free(m->pending[i].item_id);
    }
    memset(m->pending, 0, m->n_pending * sizeof(*m->pending));
    m->n_pending = 0;
}

/* Commit, per partition, the offset after the last message of the batch. */
static void commit_batch(struct matcher *m, size_t n)
{
    rd_kafka_topic_partition_list_t *offsets = rd_kafka_topic_partition_list_new((int)n);
    rd_kafka_resp_err_t kerr;

    for (size_t i = 0; i < n; i++) {
        const rd_kafka_message_t *msg = m->batch[i];
        const char *topic = rd_kafka_topic_name(msg->rkt);
        rd_kafka_topic_partition_t *tp =
            rd_kafka_topic_partition_list_find(offsets, topic, msg->partition);
        if (!tp) {
            tp = rd_kafka_topic_partition_list_add(offsets, topic, msg->partition);
        }
        if (msg->offset + 1 > tp->offset) {
            tp->offset = msg->offset + 1;
        }
    }
    kerr = rd_kafka_commit(m->consumer, offsets, 0 /* sync */);
    if (kerr) {
        m->n_commit_errors++;
        LOG_WARN("offset commit failed messages=%zu err=%s (they will be matched again)", n,
                 rd_kafka_err2str(kerr));
    }
    rd_kafka_topic_partition_list_destroy(offsets);
}

/* Seek each partition of the batch back to its first message in it. */
static void seek_back(struct matcher *m, size_t n)
{
    rd_kafka_topic_partition_list_t *offsets = rd_kafka_topic_partition_list_new((int)n);
    rd_kafka_error_t *error;

    for (size_t i = 0; i < n; i++) {
        const rd_kafka_message_t *msg = m->batch[i];
        const char *topic = rd_kafka_topic_name(msg->rkt);
        if (!rd_kafka_topic_partition_list_find(offsets, topic, msg->partition)) {
            rd_kafka_topic_partition_list_add(offsets, topic, msg->partition)->offset =
                msg->offset;
        }
    }
    error = rd_kafka_seek_partitions(m->consumer, offsets, 1000);
    if (error) {
        LOG_WARN("seek back failed err=%s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
    rd_kafka_topic_partition_list_destroy(offsets);
}

/* A consume error or partition end (yq_kafka_take_batch()): counted, logged, destroyed. */
static bool consume_error(void *ctx, rd_kafka_message_t *msg)
{
    struct matcher *m = ctx;

    if (msg->err == RD_KAFKA_RESP_ERR__MAX_POLL_EXCEEDED) {
        m->left_group = true; /* until the next assignment (matcher_on_rebalance) */
    }
    if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        m->n_consume_errors++;
        LOG_WARN("consume error err=%s", rd_kafka_message_errstr(msg));
    }
    rd_kafka_message_destroy(msg);
    return false;
}

/*
 * Consume up to batch_size messages, match, deliver alerts, commit. Returns 0 or ERR_*.
 * Waits up to poll_timeout_ms for a first message, then takes only what is already queued
 * (issue #16: a lone item is matched at once; batches form from what queued up under load).
 */
static int run_batch(struct matcher *m, volatile sig_atomic_t *stop)
{
    const struct yq_kafka_take take = {.on_error = consume_error, .ctx = m};
    int rc = 0;
    size_t n = yq_kafka_take_batch(m->consumer, &take, m->cfg->matcher.poll_timeout_ms, 0,
                                   (size_t)m->cfg->matcher.batch_size, stop, m->batch);

    if (n == 0) {
        m->unsettled_since_ms = 0; /* nothing waiting (a held-back batch went elsewhere) */
        return 0;
    }
    if (m->unsettled_since_ms == 0) {
        m->unsettled_since_ms = yq_time_mono_ms();
    }
    rc = match_batch(m, n);
    if (rc == 0) {
        rc = deliver_all(m, stop);
    }
    if (rc == 0) {
        for (size_t i = 0; i < m->n_pending; i++) {
            m->n_alerts += m->pending[i].state == PENDING_DELIVERED;
        }
        commit_batch(m, n);
        m->unsettled_since_ms = 0;
    } else {
        /*
         * Not committed: seek back so this process matches the batch again rather than
         * moving on past it (another member gets it after a rebalance or restart).
         */
        seek_back(m, n);
    }
    clear_pending(m);
    for (size_t i = 0; i < n; i++) {
        rd_kafka_message_destroy(m->batch[i]);
        m->batch[i] = NULL;
    }
    return rc;
}

int matcher_run(struct matcher *m, volatile sig_atomic_t *stop)
{
    char err[512] = "";
    int rc;

    maybe_reload(m, true);
    matcher_publish_status(m);
    while (!*stop) {
        maybe_reload(m, false);
        if (!m->rules) {
            if (!m->waiting_logged) {
                LOG_WARN("no rule set yet, waiting before consuming key=%s cache='%s'",
                         RULES_KEY_CURRENT, m->cfg->matcher.rules_cache_path);
                m->waiting_logged = true;
            }
            matcher_publish_status(m);
            sleep_ms(m->cfg->matcher.poll_timeout_ms);
            continue;
        }
        if (!m->consumer) {
            m->consumer = yq_kafka_consumer_new_rb(&m->cfg->kafka, m->cfg->kafka.items_topic,
                                                   matcher_on_rebalance, m, err, sizeof(err));
            if (!m->consumer) {
                LOG_ERR("cannot create consumer err=%s", err);
                return ERR_INVALID;
            }
            LOG_INFO("consuming topic=%s group=%s", m->cfg->kafka.items_topic,
                     m->cfg->kafka.group_id);
        }
        rc = run_batch(m, stop);
        matcher_publish_status(m);
        if (rc == ERR_NOMEM) {
            LOG_ERR("out of memory matching a batch; retrying%s", "");
            sleep_ms(m->cfg->matcher.retry_backoff_ms);
        } else if (rc == ERR_RETRY) {
            /* Redis down during event assignment: nothing committed; back off and retry */
            m->n_event_retries++;
            m->event_backoff_ms = m->event_backoff_ms ? m->event_backoff_ms * 2
                                                      : m->cfg->matcher.retry_backoff_ms;
            if (m->event_backoff_ms > REDIS_BACKOFF_MAX_MS) {
                m->event_backoff_ms = REDIS_BACKOFF_MAX_MS;
            }
            if (m->n_event_retries == 1 || m->n_event_retries % 20 == 0) {
                LOG_WARN("batch not matched, retrying retries=%" PRIu64 " backoff_ms=%" PRId64,
                         m->n_event_retries, m->event_backoff_ms);
            }
            sleep_ms(m->event_backoff_ms);
        } else {
            m->event_backoff_ms = 0;
        }
    }
    m->next_status_ms = 0;
    matcher_publish_status(m); /* the final counts */
    LOG_INFO("stopping items=%" PRIu64 " alerts=%" PRIu64 " malformed=%" PRIu64
             " excluded=%" PRIu64,
             m->n_items, m->n_alerts, m->n_malformed, m->n_excluded);
    yq_kafka_flush(m->producer, m->cfg->kafka.flush_timeout_ms);
    if (m->consumer) {
        rd_kafka_consumer_close(m->consumer);
        rd_kafka_destroy(m->consumer);
        m->consumer = NULL;
    }
    return 0;
}
