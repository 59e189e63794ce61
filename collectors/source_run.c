#include "source_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

static uint64_t next_rand(uint64_t *s)
{
    /* xorshift64: jitter only, not security */
    uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

int64_t source_run_backoff_ms(int64_t interval_ms, int64_t max_ms, int64_t failures,
                              bool hard, uint64_t *rng)
{
    int64_t d = interval_ms;
    int64_t cap = max_ms > interval_ms ? max_ms : interval_ms;
    int64_t floor = 0;

    for (int64_t i = 1; i < failures && d < cap; i++) {
        d = d > cap / 2 ? cap : d * 2;
    }
    if (d > cap) {
        d = cap;
    }
    if (hard) {
        floor = 2 * interval_ms;
        d = d > INT64_MAX / 4 ? d : d * 2;
        if (cap < floor) {
            cap = floor;
        }
        if (d > cap) {
            d = cap;
        }
        if (d < floor) {
            d = floor;
        }
    }
    {
        int64_t lo = d / 2 > floor ? d / 2 : floor;
        return lo + (int64_t)(next_rand(rng) % (uint64_t)(d - lo + 1));
    }
}

void source_run_response_reset(struct source_run *r)
{
    free(r->resp_etag);
    free(r->resp_last_modified);
    r->resp_etag = NULL;
    r->resp_last_modified = NULL;
}

int64_t source_run_now(const struct poller *p)
{
    return p->opts.clock.now_ms ? p->opts.clock.now_ms(p->opts.clock.arg) : yq_time_mono_ms();
}

void source_run_clear_stash(struct source_run *r)
{
    free(r->stash_etag);
    free(r->stash_last_modified);
    r->stash_etag = NULL;
    r->stash_last_modified = NULL;
    r->stash = false;
}

int source_run_queue(struct source_run *r, const char *url, enum job_kind job)
{
    char *u = strdup(url);
    if (!u) {
        return ERR_NOMEM;
    }
    free(r->next_url);
    r->next_url = u;
    r->next_job = job;
    return 0;
}

struct ingest_ctx source_run_ingest_ctx(struct source_run *r, int64_t fetched_at)
{
    struct ingest_ctx ctx = {
        .src = r->cfg,
        .fetched_at = fetched_at,
        .max_text_bytes = (size_t)r->p->cfg->collector.max_text_bytes,
        .store = r->p->store,
        .producer = r->p->producer,
        .tally = &r->tally,
    };
    return ctx;
}

void source_run_end(struct source_run *r)
{
    if (r->busy) {
        r->p->stats.polls++;
    }
    r->busy = false;
    r->polled = true;
    free(r->next_url);
    r->next_url = NULL;
    if (r->kind->reset) {
        r->kind->reset(r);
    }
}

/* items_24h in the health hash (issue #6): at every poll and once its deliveries are in. */
static void update_items_24h(struct source_run *r)
{
    r->tally.delivered = 0;
    store_recent_update(r->p->store, r->cfg->id, yq_time_now(), NULL);
}

/*
 * The source's name and kind next to its health, so the sources page shows names, not ids
 * (issue #11); written with each cycle's health, so a renamed source shows its new name.
 */
static void publish_identity(struct source_run *r)
{
    store_health_set(r->p->store, r->cfg->id, "name", r->cfg->name ? r->cfg->name : r->cfg->id);
    store_health_set(r->p->store, r->cfg->id, "kind", r->cfg->kind ? r->cfg->kind : "rss");
}

void source_run_fail(struct source_run *r, long http_status, enum source_state st,
                       const char *why)
{
    int64_t delay;
    bool hard = source_state_backs_off_hard(st);

    r->failures++;
    r->polls_total++;
    r->state_counts[st]++;
    r->last_status = http_status;
    delay = source_run_backoff_ms(r->cfg->interval_ms, r->p->cfg->collector.backoff_max_ms,
                              r->failures, hard, &r->p->rng);
    r->next_due_ms = source_run_now(r->p) + delay;
    if (r->state != st || !r->state_reported) {
        /* one operator alert per source per state change (FC-005), not one per poll */
        LOG_WARN("source alert source_id=%s state=%s http_status=%ld err='%s'", r->cfg->id,
                 source_state_name(st), http_status, why);
        r->state_reported = true;
    }
    LOG_INFO("poll failed source_id=%s state=%s http_status=%ld consecutive_failures=%lld "
             "retry_in_ms=%lld",
             r->cfg->id, source_state_name(st), http_status, (long long)r->failures,
             (long long)delay);
    r->state = st;
    store_health_fail(r->p->store, r->cfg->id, yq_time_now(), http_status, r->failures,
                      source_state_name(st), why);
    publish_identity(r);
    update_items_24h(r);
    source_run_end(r);
}

void source_run_ok(struct source_run *r, long http_status, const struct ingest_result *res)
{
    int64_t now = yq_time_now();
    enum stale_event ev;

    if (r->state != SOURCE_OK && r->state_reported) {
        LOG_WARN("source recovered source_id=%s previous_state=%s", r->cfg->id,
                 source_state_name(r->state));
    }
    r->state = SOURCE_OK;
    r->state_reported = false;
    r->failures = 0;
    r->polls_total++;
    r->state_counts[SOURCE_OK]++;
    r->last_status = http_status;
    r->last_success = now;
    r->next_due_ms = source_run_now(r->p) + r->cfg->interval_ms;
    if (res) {
        r->items_last_seen = (int64_t)res->entries;
        r->produced_total += (int64_t)res->produced;
    }
    store_health_ok(r->p->store, r->cfg->id, now, http_status,
                    res ? (int64_t)res->entries : -1);
    publish_identity(r);
    update_items_24h(r);
    ev = staleness_update(&r->stale, r->cfg->stale_after_ms / 1000,
                          res && res->has_newest, res ? res->newest_published : 0, now);
    if (ev == STALE_ALERT) {
        char ts[32];
        LOG_WARN("source alert source_id=%s state=stale newest_item=%s stale_after_s=%lld",
                 r->cfg->id, yq_time_format_utc(r->stale.newest, ts, sizeof(ts)),
                 (long long)(r->cfg->stale_after_ms / 1000));
        store_health_set(r->p->store, r->cfg->id, "stale", "1");
    } else if (ev == STALE_RECOVERED) {
        LOG_WARN("source recovered source_id=%s previous_state=stale", r->cfg->id);
        store_health_set(r->p->store, r->cfg->id, "stale", "0");
    }
    source_run_end(r);
}

/* Validators of a fully ingested 200: store now, or once this source's deliveries are in. */
void source_run_keep_validators(struct source_run *r)
{
    if (!r->resp_etag && !r->resp_last_modified) {
        return;
    }
    if (r->tally.pending == 0 && r->tally.failed == 0 && !r->stash) {
        store_put_validators(r->p->store, r->cfg->id, r->resp_etag, r->resp_last_modified);
        return;
    }
    source_run_clear_stash(r);
    r->stash = true;
    r->stash_etag = r->resp_etag;
    r->stash_last_modified = r->resp_last_modified;
    r->resp_etag = NULL;
    r->resp_last_modified = NULL;
}

void source_run_settle(struct source_run *r)
{
    if (r->tally.pending > 0) {
        return;
    }
    if (r->tally.delivered > 0) {
        update_items_24h(r); /* the items of the last poll are now in the recent set */
    }
    if (r->stash && r->tally.failed == 0) {
        store_put_validators(r->p->store, r->cfg->id, r->stash_etag, r->stash_last_modified);
    }
    /* after a failed delivery the validators are not stored: the next poll gets a 200 */
    source_run_clear_stash(r);
    r->tally.failed = 0;
}
