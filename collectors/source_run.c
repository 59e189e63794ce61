#include "source_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_outbox.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_hash.h"
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

int64_t source_run_next_due_ms(const char *id, int64_t interval_ms, int64_t now_ms)
{
    int64_t phase, from, t;

    if (interval_ms < 1) {
        return now_ms;
    }
    phase = (int64_t)(yq_fnv1a64(id) % (uint64_t)interval_ms);
    from = now_ms + interval_ms / 2; /* strictly after this */
    t = from - ((from % interval_ms) + interval_ms) % interval_ms + phase; /* phase of from's period */
    return t > from ? t : t + interval_ms;
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

int64_t source_run_retry_after(int64_t delay_ms, int64_t retry_after_ms, int64_t interval_ms,
                               int64_t max_ms, bool hard)
{
    /* the backoff's own ceiling: a server cannot park a source for longer than that */
    int64_t cap = max_ms > interval_ms ? max_ms : interval_ms;

    if (hard && cap < 2 * interval_ms) {
        cap = 2 * interval_ms;
    }
    if (retry_after_ms > cap) {
        retry_after_ms = cap;
    }
    return retry_after_ms > delay_ms ? retry_after_ms : delay_ms;
}

void source_run_response_reset(struct source_run *r)
{
    free(r->resp_etag);
    free(r->resp_last_modified);
    r->resp_etag = NULL;
    r->resp_last_modified = NULL;
    r->resp_retry_after_ms = -1;
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
        .crawled = r->crawled,
        .seen = r->seen,
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

/*
 * items_24h in the health hash (issue #6): at a poll and once its deliveries are in, but at
 * most every SOURCE_RUN_ITEMS_24H_EVERY_MS per source (three Redis calls each; issue #16)
 * unless force (the first of the process and the last, at shutdown). Deliveries not yet
 * counted keep r->tally.delivered above 0, so source_run_settle() counts them later.
 */
static void update_items_24h(struct source_run *r, bool force)
{
    int64_t now_ms = source_run_now(r->p);

    if (!force && r->items_24h_done &&
        now_ms - r->items_24h_at_ms < SOURCE_RUN_ITEMS_24H_EVERY_MS) {
        return;
    }
    r->tally.delivered = 0;
    r->items_24h_done = true;
    r->items_24h_at_ms = now_ms;
    store_recent_update(r->p->store, r->cfg->id, yq_time_now(), NULL);
}

/*
 * The fields written with a poll's health in one HSET (issue #16): the blind-window fields
 * (bf, when tracked) and, until written once in this process, the source's name and kind,
 * so the sources page shows names, not ids (issue #11; a renamed source is a new
 * configuration, so a new process, which writes its new name). names/values: caller storage
 * of STORE_HEALTH_FIELDS_MAX. Returns the count; *identity tells whether name and kind are in.
 */
static size_t health_extras(const struct source_run *r, const struct source_blind_fields *bf,
                            const char **names, const char **values, bool *identity)
{
    size_t n = 0;

    for (size_t i = 0; i < bf->n && n < STORE_HEALTH_FIELDS_MAX - 2; i++) {
        names[n] = bf->name[i];
        values[n++] = bf->value[i];
    }
    *identity = !r->identity_published;
    if (*identity) {
        names[n] = "name";
        values[n++] = r->cfg->name ? r->cfg->name : r->cfg->id;
        names[n] = "kind";
        values[n++] = r->cfg->kind ? r->cfg->kind : "rss";
    }
    return n;
}

/*
 * Blind windows (issue #15, source_blind.h): the tracker of r follows every poll attempt; its
 * changes become one log line each, a source event on kafka.sources_topic (source_outbox.h)
 * and the health hash's blind fields.
 */

/* A login wall: Weibo's auth_required, or a WeChat bridge serving its login page. */
static bool blind_walled(const struct source_run *r, enum source_state st)
{
    return st == SOURCE_AUTH_REQUIRED ||
           (st == SOURCE_NOT_A_FEED && r->cfg->kind_id == SOURCE_WECHAT_FEED);
}

/* What an administrator renews for a walled source, one line for people. */
static void blind_renew(const struct source_run *r, char *buf, size_t len)
{
    const char *url = r->cfg->url ? r->cfg->url : "";
    const char *host = strstr(url, "://");
    int host_len;

    if (r->cfg->kind_id == SOURCE_WECHAT_FEED) {
        const char *at;
        host = host ? host + 3 : url;
        host_len = (int)strcspn(host, "/?#");
        /* never a user:password@ of the URL: the text goes to logs, Kafka and people */
        at = memchr(host, '@', (size_t)host_len);
        if (at) {
            host_len -= (int)(at + 1 - host);
            host = at + 1;
        }
        snprintf(buf, len, "重新登录公众号桥接服务（%.*s）", host_len > 200 ? 200 : host_len,
                 host);
    } else if (r->cfg->cookie_file) {
        snprintf(buf, len, "更新 cookie_file %s（微博登录 Cookie 已失效）", r->cfg->cookie_file);
    } else if (r->cfg->kind_id == SOURCE_WEIBO_USER || r->cfg->kind_id == SOURCE_WEIBO_SEARCH ||
               r->cfg->kind_id == SOURCE_WEIBO_HOT) {
        snprintf(buf, len, "为该源配置 cookie_file（微博登录 Cookie）");
    } else {
        snprintf(buf, len, "更新该源的访问凭据（headers 或 cookie_file）");
    }
}

/*
 * Read r's tracker from Redis once per start and send what its outbox kept; false while
 * Redis is down (the attempt is then not tracked: the next one finds the gap as unpolled).
 */
static bool blind_ready(struct source_run *r)
{
    char *values[STORE_HEALTH_FIELDS_MAX] = {0};
    size_t bad;

    _Static_assert(SOURCE_BLIND_FIELDS_MAX <= STORE_HEALTH_FIELDS_MAX,
                   "the store reads and writes every blind field in one command");
    if (r->blind_loaded) {
        return true;
    }
    if (store_health_get(r->p->store, r->cfg->id, source_blind_field_names,
                         source_blind_field_count, values) != 0) {
        return false;
    }
    bad = source_blind_load(&r->blind, (const char *const *)values, source_blind_field_count);
    for (size_t i = 0; i < source_blind_field_count; i++) {
        free(values[i]);
    }
    if (bad) {
        LOG_WARN("blind state in redis partly unreadable, ignored source_id=%s fields=%zu",
                 r->cfg->id, bad);
    }
    source_outbox_resend(item_producer_outbox(r->p->producer), r->cfg->id);
    r->blind_loaded = true;
    return true;
}

/* The source event of change c of source id (name, kind, department borrowed), sent at now. */
static struct yq_source_event change_event(const struct source_blind_change *c, const char *id,
                                           char *name, char *kind, char *department, int64_t now)
{
    struct yq_source_event ev = {.source_id = (char *)id, .at = now};

    ev.source_name = name;
    ev.source_kind = kind;
    ev.department = department;
    ev.open = c->open;
    ev.reason = c->reason;
    ev.started_at = c->started_at;
    ev.ended_at = c->ended_at;
    ev.detail = (char *)c->detail;
    ev.renew = (char *)c->renew;
    return ev;
}

/* One change: a log line, a source event, the metrics' count. */
static void blind_report(struct source_run *r, const struct source_blind_change *c,
                         int64_t now)
{
    char from[40], to[40];
    struct yq_source_event ev =
        change_event(c, r->cfg->id, r->cfg->name, r->cfg->kind, r->cfg->department, now);
    int err;

    yq_time_format_utc(c->started_at, from, sizeof(from));
    yq_time_format_utc(c->ended_at, to, sizeof(to));
    if (c->open) {
        r->blind_opened[c->reason]++;
        LOG_WARN("source alert source_id=%s reason=%s started_at=%s detail='%s'%s%s%s",
                 r->cfg->id, yq_blind_reason_name(c->reason), from, c->detail,
                 c->renew[0] ? " renew='" : "", c->renew, c->renew[0] ? "'" : "");
    } else if (c->reason == YQ_BLIND_UNPOLLED) {
        r->blind_opened[c->reason]++; /* found afterwards: opened and closed at once */
        LOG_WARN("source alert source_id=%s reason=unpolled started_at=%s ended_at=%s "
                 "detail='%s'",
                 r->cfg->id, from, to, c->detail);
    } else {
        LOG_WARN("source recovered source_id=%s reason=%s started_at=%s ended_at=%s",
                 r->cfg->id, yq_blind_reason_name(c->reason), from, to);
    }
    err = source_outbox_send(item_producer_outbox(r->p->producer), &ev);
    if (err) {
        LOG_ERR("source event not sent source_id=%s reason=%s err=%s", r->cfg->id,
                yq_blind_reason_name(c->reason), yq_strerror(err));
    }
}

int source_run_retire(struct poller *p, const char *source_id, const struct source_cfg *cfg,
                      const char *why, int64_t now)
{
    enum { ID_NAME, ID_KIND, ID_COUNT };
    const char *names[STORE_HEALTH_FIELDS_MAX];
    char *values[STORE_HEALTH_FIELDS_MAX] = {0};
    const size_t nb = source_blind_field_count;
    struct source_blind b;
    struct source_blind_changes ch = {.n = 0};
    bool any = false;

    if (nb + ID_COUNT > STORE_HEALTH_FIELDS_MAX) {
        return ERR_INVALID; /* cannot happen: 18 blind fields, name and kind in one HMGET */
    }
    for (size_t i = 0; i < nb; i++) {
        names[i] = source_blind_field_names[i];
    }
    names[nb + ID_NAME] = "name";
    names[nb + ID_KIND] = "kind";
    if (store_health_get(p->store, source_id, names, nb + ID_COUNT, values) != 0) {
        return ERR_RETRY;
    }
    for (size_t i = 0; i < nb; i++) {
        any = any || values[i];
    }
    source_blind_load(&b, (const char *const *)values, nb);
    if (any) {
        source_blind_retire(&b, now, why, &ch);
    }
    for (size_t i = 0; i < ch.n; i++) {
        const struct source_blind_change *c = &ch.v[i];
        char from[40], to[40];
        struct yq_source_event ev =
            change_event(c, source_id, cfg ? cfg->name : values[nb + ID_NAME],
                         cfg ? cfg->kind : values[nb + ID_KIND], cfg ? cfg->department : NULL, now);
        int err = source_outbox_send(item_producer_outbox(p->producer), &ev);
        LOG_INFO("blind window closed: source not polled source_id=%s reason=%s started_at=%s "
                 "ended_at=%s why='%s'%s",
                 source_id, yq_blind_reason_name(c->reason),
                 yq_time_format_utc(c->started_at, from, sizeof(from)),
                 yq_time_format_utc(c->ended_at, to, sizeof(to)), why ? why : "",
                 err ? " (event not sent)" : "");
    }
    for (size_t i = 0; i < nb + ID_COUNT; i++) {
        free(values[i]);
    }
    if (any && store_health_del(p->store, source_id, source_blind_field_names, nb) != 0) {
        LOG_WARN("blind fields of a source not polled not cleared source_id=%s", source_id);
    }
    return (int)ch.n;
}

/*
 * Track r's attempt ending at now (UTC seconds), the next one delay_ms later: ok (res may be
 * NULL: nothing ingested) or failed in state st with why. out gets the fields to save with
 * the poll's health (out->n 0 when Redis could not be read: not tracked).
 */
static void blind_track(struct source_run *r, int64_t now, int64_t delay_ms, bool ok,
                        enum source_state st, const char *why, const struct ingest_result *res,
                        struct source_blind_fields *out)
{
    struct source_blind_params par = {
        .blind_after_failures = r->cfg->blind_after_failures,
        .stale_after_s = r->cfg->stale_after_ms / 1000,
        .quiet_factor = r->cfg->quiet_factor,
        .quiet_min_s = r->cfg->quiet_min_ms / 1000,
    };
    struct source_blind_changes ch;

    out->n = 0;
    if (!blind_ready(r)) {
        LOG_DEBUG("blind windows not tracked: redis down source_id=%s", r->cfg->id);
        return;
    }
    ch.n = 0;
    source_blind_attempt(&r->blind, now, (delay_ms + 999) / 1000, &ch);
    if (ok) {
        source_blind_ok(&r->blind, &par, now, res && res->has_newest,
                        res ? res->newest_published : 0, res ? (int64_t)res->produced : 0, &ch);
    } else {
        char renew[SOURCE_BLIND_TEXT_MAX] = "";
        char detail[SOURCE_BLIND_TEXT_MAX];
        bool walled = blind_walled(r, st);
        if (walled) {
            blind_renew(r, renew, sizeof(renew));
        }
        const char *name = source_state_name(st);
        why = why ? why : "";
        /* the reason may already start with its kind ("not_a_feed: ..."): say it once */
        if (strncmp(why, name, strlen(name)) == 0 && why[strlen(name)] == ':') {
            snprintf(detail, sizeof(detail), "%s", why);
        } else {
            snprintf(detail, sizeof(detail), "%s: %s", name, why);
        }
        source_blind_fail(&r->blind, &par, now, walled, detail, renew, &ch);
    }
    for (size_t i = 0; i < ch.n; i++) {
        blind_report(r, &ch.v[i], now);
    }
    source_blind_fields(&r->blind, out);
}

void source_run_fail(struct source_run *r, long http_status, enum source_state st,
                       const char *why)
{
    int64_t delay;
    bool hard = source_state_backs_off_hard(st);
    const char *names[STORE_HEALTH_FIELDS_MAX], *values[STORE_HEALTH_FIELDS_MAX];
    /* ~25 KB: on the heap; without it the blind fields are saved with the next attempt */
    struct source_blind_fields *bf = malloc(sizeof(*bf)), none = {.n = 0};
    bool identity;
    size_t n;

    r->failures++;
    r->polls_total++;
    r->state_counts[st]++;
    r->last_status = http_status;
    delay = source_run_backoff_ms(r->cfg->interval_ms, r->p->cfg->collector.backoff_max_ms,
                              r->failures, hard, &r->p->rng);
    delay = source_run_retry_after(delay, r->resp_retry_after_ms, r->cfg->interval_ms,
                                   r->p->cfg->collector.backoff_max_ms, hard);
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
    /* a walled poll is a failure like any other here: never a success with no posts */
    blind_track(r, yq_time_now(), delay, false, st, why, NULL, bf ? bf : &none);
    n = health_extras(r, bf ? bf : &none, names, values, &identity);
    if (store_health_fail_with(r->p->store, r->cfg->id, yq_time_now(), http_status,
                               r->failures, source_state_name(st), why, names, values,
                               n) == 0 && identity) {
        r->identity_published = true;
    }
    free(bf);
    update_items_24h(r, false);
    source_run_end(r);
}

void source_run_ok(struct source_run *r, long http_status, const struct ingest_result *res)
{
    int64_t now = yq_time_now();
    const char *names[STORE_HEALTH_FIELDS_MAX], *values[STORE_HEALTH_FIELDS_MAX];
    /* ~25 KB: on the heap; without it the blind fields are saved with the next attempt */
    struct source_blind_fields *bf = malloc(sizeof(*bf)), none = {.n = 0};
    bool identity;
    size_t n;

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
    r->crawled = true;
    r->next_due_ms =
        source_run_next_due_ms(r->cfg->id, r->cfg->interval_ms, source_run_now(r->p));
    if (res) {
        r->items_last_seen = (int64_t)res->entries;
        r->produced_total += (int64_t)res->produced;
    }
    /* staleness (FC-008) is one of the blind reasons: alerted and stored there */
    /* the delay actually scheduled (0.5 to 1.5 intervals: the source's phase) */
    blind_track(r, now, r->next_due_ms - source_run_now(r->p), true, SOURCE_OK, NULL, res,
                bf ? bf : &none);
    n = health_extras(r, bf ? bf : &none, names, values, &identity);
    if (store_health_ok_with(r->p->store, r->cfg->id, now, http_status,
                             res ? (int64_t)res->entries : -1, names, values, n) == 0 &&
        identity) {
        r->identity_published = true;
    }
    free(bf);
    update_items_24h(r, false);
    source_run_end(r);
}

static bool same_str(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* Remember etag and last_modified (copied; NULL = absent) as what Redis holds for r. */
static void validators_known(struct source_run *r, const char *etag, const char *last_modified)
{
    char *e = etag ? strdup(etag) : NULL, *lm = last_modified ? strdup(last_modified) : NULL;

    free(r->known_etag);
    free(r->known_last_modified);
    r->known_etag = e;
    r->known_last_modified = lm;
    /* out of memory: not known, read from Redis again at the next poll */
    r->validators_known = (!etag || e) && (!last_modified || lm);
}

int source_run_validators(struct source_run *r, const char **etag, const char **last_modified)
{
    char *e = NULL, *lm = NULL;

    if (!r->validators_known) {
        if (store_get_validators(r->p->store, r->cfg->id, &e, &lm) != 0) {
            return ERR_RETRY;
        }
        validators_known(r, e, lm);
        free(e);
        free(lm);
        if (!r->validators_known) {
            return ERR_RETRY;
        }
    }
    *etag = r->known_etag;
    *last_modified = r->known_last_modified;
    return 0;
}

/*
 * Store r's validators etag and last_modified (NULL: deleted) in its health hash: nothing when
 * they equal what Redis holds (known from the last read or write), otherwise one HSET of the
 * present ones and one HDEL of the absent ones that were there (issue #16: the collector is
 * the only writer of a source's validators, so the last write is what Redis holds).
 */
static void validators_put(struct source_run *r, const char *etag, const char *last_modified)
{
    const char *names[2], *values[2], *gone[2];
    size_t n_set = 0, n_del = 0;
    int err = 0;

    if (r->validators_known && same_str(etag, r->known_etag) &&
        same_str(last_modified, r->known_last_modified)) {
        return;
    }
    if (etag) {
        names[n_set] = "etag";
        values[n_set++] = etag;
    } else if (!r->validators_known || r->known_etag) {
        gone[n_del++] = "etag";
    }
    if (last_modified) {
        names[n_set] = "last_modified";
        values[n_set++] = last_modified;
    } else if (!r->validators_known || r->known_last_modified) {
        gone[n_del++] = "last_modified";
    }
    if (n_set) {
        err = store_health_set_many(r->p->store, r->cfg->id, names, values, n_set);
    }
    if (!err && n_del) {
        err = store_health_del(r->p->store, r->cfg->id, gone, n_del);
    }
    if (err) {
        r->validators_known = false; /* read again before the next request */
        return;
    }
    validators_known(r, etag, last_modified);
}

void source_run_forget_validators(struct source_run *r)
{
    free(r->known_etag);
    free(r->known_last_modified);
    r->known_etag = NULL;
    r->known_last_modified = NULL;
    r->validators_known = false;
}

/* Validators of a fully ingested 200: store now, or once this source's deliveries are in. */
void source_run_keep_validators(struct source_run *r)
{
    /* a 200 without a validator deletes the stored one: it is not sent again (FC-019) */
    if (r->tally.pending == 0 && r->tally.failed == 0 && !r->stash) {
        validators_put(r, r->resp_etag, r->resp_last_modified);
        return;
    }
    source_run_clear_stash(r);
    r->stash = true;
    r->stash_etag = r->resp_etag;
    r->stash_last_modified = r->resp_last_modified;
    r->resp_etag = NULL;
    r->resp_last_modified = NULL;
}

void source_run_note_moved(struct source_run *r, const char *new_url)
{
    const char *field = "moved_to";
    char *copy;
    int err;

    if (new_url && strcmp(new_url, r->cfg->url) == 0) {
        new_url = NULL; /* redirected back home */
    }
    if (r->moved_known && same_str(new_url, r->moved_to)) {
        return;
    }
    if (new_url) {
        copy = strdup(new_url);
        if (!copy) {
            return; /* reported at the next poll */
        }
        err = store_health_set_many(r->p->store, r->cfg->id, &field, &new_url, 1);
        LOG_WARN("source moved permanently source_id=%s url='%s' new_url='%s' (update the "
                 "source's url)",
                 r->cfg->id, r->cfg->url, new_url);
    } else {
        copy = NULL;
        err = store_health_del(r->p->store, r->cfg->id, &field, 1);
        if (r->moved_to) {
            LOG_INFO("source no longer redirected source_id=%s url='%s'", r->cfg->id, r->cfg->url);
        }
    }
    free(r->moved_to);
    r->moved_to = copy;
    r->moved_known = err == 0; /* a failed write is tried again at the next poll */
}

void source_run_refresh_validators(struct source_run *r)
{
    if ((!r->resp_etag && !r->resp_last_modified) || r->stash || !r->validators_known) {
        return; /* nothing new, a 200's still waiting for its deliveries, or Redis unread */
    }
    validators_put(r, r->resp_etag ? r->resp_etag : r->known_etag,
                   r->resp_last_modified ? r->resp_last_modified : r->known_last_modified);
}

void source_run_settle(struct source_run *r, bool final)
{
    if (r->tally.pending > 0) {
        return;
    }
    if (r->tally.delivered > 0 || (final && r->items_24h_done)) {
        update_items_24h(r, final); /* the items of the last poll are now in the recent set */
    }
    if (r->stash && r->tally.failed == 0) {
        validators_put(r, r->stash_etag, r->stash_last_modified);
    }
    /* after a failed delivery the validators are not stored: the next poll gets a 200 */
    source_run_clear_stash(r);
    r->tally.failed = 0;
}
