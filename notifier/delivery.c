#include "delivery.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "desk_policy.h"
#include "event_flow.h"
#include "spike.h"
#include "briefing.h"
#include "outbox.h"
#include "ticket_flow.h"
#include "yq_hash.h"
#include "yq_db.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

#define MAX_SHRINK 6
#define ROBOT_RATE_PAUSE_MS 60000

/* What this process knows of a channel's configuration fault (outbox_channel_config_failed()) */
enum channel_fault {
    FAULT_UNKNOWN = 0, /* not yet seen since start-up: ask the store */
    FAULT_NONE,        /* delivered since start-up: no open fault */
    FAULT_OPEN,        /* the administrator alert for this fault is queued (or was) */
};

struct channel_state {
    int64_t next_allowed_ms; /* pacing: no send before this */
    enum channel_fault fault;
};

struct delivery {
    const struct notify_cfg *cfg;
    const struct ticket_policy *policy;
    struct notifier_metrics *metrics;
    struct ticket_store *store;
    struct channel_state *chs; /* parallel to policy->routes->channels */
    size_t n_chs;
    int quiet_start_min, quiet_end_min;
    int64_t next_escalation_ms;
    int64_t next_spike_ms; /* the next 突增 scan (spike.h; spike.scan_interval_ms) */
    int64_t next_briefing_ms; /* the next look for a due 舆情日报 (briefing.h; briefing.tick_ms) */
    int calendar_warned_year; /* the last year without a calendar file warned about (0: none) */
    delivery_clock_fn clock;
    void *clock_ctx;
    /*
     * Several notifiers on one PostgreSQL store (issue #16): owner names this worker's outbox
     * claims; the periodic pass (escalation, 研判 reminders, spikes, briefings) runs only while
     * this worker holds the session advisory lock YQ_DB_LEADER_LOCK_KEY on leader_db, its own
     * connection (leader_pid: that session's backend, to notice a silent reconnect, which
     * loses the lock). On SQLite the one notifier is always the leader.
     */
    char owner[160];
    char *location;       /* the store's location (may hold a password: never logged) */
    struct yq_db *leader_db;
    int64_t leader_pid;
    int64_t leader_key; /* leader_key(): this store's lock; 0 until known */
    bool leader;
    pthread_t thread;
    bool started;
    atomic_int stop;
};

static int64_t wall_ms(void *ctx)
{
    struct timespec ts;
    (void)ctx;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Record the role in metrics (the gauge yuqing_notifier_leader). */
static void leader_set(struct delivery *d, bool leader)
{
    d->leader = leader;
    if (d->metrics) {
        atomic_store_explicit(&d->metrics->leader, leader ? 1 : 0, memory_order_relaxed);
    }
}

/*
 * The leader lock's key for the store on db: YQ_DB_LEADER_LOCK_KEY with the FNV-1a hash of the
 * store's schema (current_schema()) in the high 32 bits, because advisory locks belong to the
 * whole database and two stores may be two schemas of one database. 0 when db does not answer.
 */
static int64_t leader_key(struct yq_db *db)
{
    struct yq_stmt *st = NULL;
    int64_t key = 0;

    if (yq_stmt_prepare(db, "SELECT current_schema()", &st) == YQ_DB_OK &&
        yq_stmt_step(st) == YQ_DB_ROW) {
        const char *schema = yq_stmt_column_text(st, 0);
        uint32_t h = yq_fnv1a32(schema ? schema : "");
        key = (int64_t)(((uint64_t)h << 32) ^ (uint64_t)YQ_DB_LEADER_LOCK_KEY);
    }
    yq_stmt_finalize(st);
    return key;
}

/* The backend process of db's session, or -1 when it does not answer. */
static int64_t backend_pid(struct yq_db *db)
{
    struct yq_stmt *st = NULL;
    int64_t pid = -1;

    if (yq_stmt_prepare(db, "SELECT pg_backend_pid()", &st) == YQ_DB_OK &&
        yq_stmt_step(st) == YQ_DB_ROW) {
        pid = yq_stmt_column_int64(st, 0);
    }
    yq_stmt_finalize(st);
    return pid;
}

/*
 * PostgreSQL: keep or take the leader's advisory lock (once per round). The lock belongs to
 * leader_db's session: it is released when this process dies (the server ends the session) or
 * loses the connection (a reconnect is a new session, seen as a new backend pid). A follower
 * tries to take it every round, so another notifier leads within a round of the holder's end.
 */
static void leader_check(struct delivery *d)
{
    char why[256] = "";
    bool got = false;

    if (!d->location) {
        return; /* SQLite: always the leader */
    }
    if (!d->leader_db &&
        yq_db_open(d->location, 0, 5000, &d->leader_db, why, sizeof(why)) != 0) {
        LOG_WARN("leader lock connection failed reason='%s'", why);
        leader_set(d, false);
        return;
    }
    if (d->leader) {
        if (backend_pid(d->leader_db) == d->leader_pid) {
            return;
        }
        LOG_WARN("leader lock lost (store connection ended): escalations stop here until the "
                 "lock is taken again");
        leader_set(d, false);
    }
    if (d->leader_key == 0 && (d->leader_key = leader_key(d->leader_db)) == 0) {
        return;
    }
    if (yq_db_try_lock(d->leader_db, d->leader_key, &got) != 0 || !got) {
        return;
    }
    d->leader_pid = backend_pid(d->leader_db);
    if (d->leader_pid < 0) {
        yq_db_unlock(d->leader_db, d->leader_key);
        return;
    }
    LOG_INFO("leader: this notifier runs escalations, spike scans and briefings owner=%s",
             d->owner);
    leader_set(d, true);
}

bool delivery_is_leader(const struct delivery *d)
{
    return d->leader;
}

const char *delivery_owner(const struct delivery *d)
{
    return d->owner;
}

struct delivery *delivery_new(const struct notify_cfg *cfg,
                              const struct ticket_store_cfg *store_cfg,
                              const struct ticket_policy *policy, struct notifier_metrics *metrics,
                              char *errbuf, size_t errlen)
{
    struct delivery *d = calloc(1, sizeof(*d));
    const struct notify_routes *routes = policy ? policy->routes : NULL;

    if (!d) {
        snprintf(errbuf, errlen, "delivery: out of memory");
        return NULL;
    }
    d->cfg = cfg;
    d->policy = policy;
    d->metrics = metrics;
    d->clock = wall_ms;
    atomic_init(&d->stop, 0);
    if (notify_quiet_parse(cfg->quiet_hours, &d->quiet_start_min, &d->quiet_end_min)) {
        snprintf(errbuf, errlen, "notify.quiet_hours '%s' is not HH:MM-HH:MM", cfg->quiet_hours);
        free(d);
        return NULL;
    }
    d->n_chs = routes ? routes->n_channels : 0;
    d->chs = calloc(d->n_chs ? d->n_chs : 1, sizeof(*d->chs));
    if (!d->chs) {
        snprintf(errbuf, errlen, "delivery: out of memory");
        free(d);
        return NULL;
    }
    if (ticket_store_open(store_cfg, &d->store, errbuf, errlen)) {
        delivery_free(d);
        return NULL;
    }
    ticket_store_set_policy(d->store, policy);
    {
        static atomic_int seq;
        char host[64] = "";
        gethostname(host, sizeof(host) - 1);
        snprintf(d->owner, sizeof(d->owner), "%.63s:%ld:%lld:%d", host[0] ? host : "notifier",
                 (long)getpid(), (long long)wall_ms(NULL), atomic_fetch_add(&seq, 1));
    }
    d->leader = yq_db_backend(ticket_store_db(d->store)) != YQ_DB_PG;
    if (!d->leader) {
        d->location = strdup(ticket_store_location(store_cfg));
        if (!d->location) {
            snprintf(errbuf, errlen, "delivery: out of memory");
            delivery_free(d);
            return NULL;
        }
    }
    leader_set(d, d->leader);
    return d;
}

void delivery_set_clock(struct delivery *d, delivery_clock_fn fn, void *ctx)
{
    d->clock = fn ? fn : wall_ms;
    d->clock_ctx = ctx;
}

struct ticket_store *delivery_store(struct delivery *d)
{
    return d->store;
}

static struct channel_state *state_of(struct delivery *d, const struct notify_channel *ch)
{
    size_t i = (size_t)(ch - d->policy->routes->channels);
    return i < d->n_chs ? &d->chs[i] : NULL;
}

static int64_t backoff_s(const struct notify_cfg *cfg, int64_t attempts)
{
    int64_t ms = cfg->retry_initial_ms;
    for (int64_t i = 0; i < attempts && ms < cfg->retry_max_ms; i++) {
        ms *= 2;
    }
    if (ms > cfg->retry_max_ms) {
        ms = cfg->retry_max_ms;
    }
    return (ms + 999) / 1000;
}

/*
 * ch refused a message for a configuration reason: open a fault (one ERR line and one
 * administrator alert per fault, however many messages fail). Store errors are logged and
 * leave the state unknown, so the next refusal tries again.
 */
static void config_fault(struct delivery *d, const struct notify_channel *ch,
                         struct channel_state *cs, const struct channel_result *r, int64_t now)
{
    bool opened = false;
    int n = 0, err;

    if (cs && cs->fault == FAULT_OPEN) {
        return;
    }
    err = outbox_channel_config_failed(d->store, ch, r->detail, now, &opened, &n);
    if (err) {
        LOG_WARN("administrator alert not recorded channel=%s err='%s' store='%s'", ch->name,
                 yq_strerror(err), ticket_store_errmsg(d->store));
        return;
    }
    if (cs) {
        cs->fault = FAULT_OPEN;
    }
    if (opened) {
        LOG_ERR("administrator: channel=%s type=%s refuses messages (check its key, signing "
                "secret, address and this host's clock) alerts_queued=%d %s",
                ch->name, channel_type_name(ch->type), n, r->detail);
    }
}

/* ch delivered: close its fault, if any, so that the next refusal alerts again. */
static void channel_ok(struct delivery *d, const struct notify_channel *ch,
                       struct channel_state *cs, int64_t now)
{
    bool recovered = false;
    int err;

    if (cs && cs->fault == FAULT_NONE) {
        return;
    }
    err = outbox_channel_delivered(d->store, ch->name, now, &recovered);
    if (err) {
        LOG_WARN("channel fault not closed channel=%s err='%s' store='%s'", ch->name,
                 yq_strerror(err), ticket_store_errmsg(d->store));
        return;
    }
    if (cs) {
        cs->fault = FAULT_NONE;
    }
    if (recovered) {
        LOG_INFO("channel delivers again channel=%s type=%s", ch->name,
                 channel_type_name(ch->type));
    }
}

/* Send one due row and record the outcome. */
static int deliver_one(struct delivery *d, const struct outbox_msg *m, int64_t now_ms,
                       struct delivery_stats *st)
{
    const struct notify_channel *ch = notify_routes_channel(d->policy->routes, m->channel);
    struct channel_state *cs;
    struct channel_result r;
    int64_t now = now_ms / 1000, rate, until;
    int err;

    if (!ch) {
        LOG_ERR("notification failed id=%lld channel=%s reason='channel not configured'",
                (long long)m->id, m->channel);
        st->failed++;
        NOTIFIER_METRICS_BUMP(d->metrics, notifications_failed);
        return outbox_mark_failed(d->store, m->id, "channel not configured");
    }
    cs = state_of(d, ch);
    if (!m->urgent || d->cfg->quiet_hours_urgent) {
        until = notify_quiet_until(d->quiet_start_min, d->quiet_end_min, now);
        if (until > now) {
            st->deferred++;
            return outbox_mark_retry(d->store, m->id, until, false, m->shrink, NULL);
        }
    }
    rate = channel_rate_per_minute(ch);
    if (cs && now_ms < cs->next_allowed_ms) {
        st->deferred++;
        /* still due; the next round (here or elsewhere) takes it once the pace allows */
        return outbox_unclaim(d->store, m->id);
    }
    err = channel_send(ch, m, now_ms, m->shrink, (size_t)d->cfg->max_response_bytes, &r);
    if (err) {
        return err;
    }
    if (cs && rate > 0) {
        cs->next_allowed_ms = now_ms + 60000 / rate;
    }
    switch (r.outcome) {
    case CHANNEL_DELIVERED:
        LOG_INFO("notification delivered id=%lld key=%s channel=%s kind=%s", (long long)m->id,
                 m->idem_key, ch->name, m->kind);
        st->delivered++;
        NOTIFIER_METRICS_BUMP(d->metrics, notifications_delivered);
        err = outbox_mark_delivered(d->store, m->id, now);
        if (!err) {
            channel_ok(d, ch, cs, now);
        }
        return err;
    case CHANNEL_TOO_LONG:
        if (m->shrink < MAX_SHRINK) {
            LOG_WARN("notification too long, shortening id=%lld channel=%s shrink=%lld %s",
                     (long long)m->id, ch->name, (long long)(m->shrink + 1), r.detail);
            st->retried++;
            NOTIFIER_METRICS_BUMP(d->metrics, notifications_retried);
            return outbox_mark_retry(d->store, m->id, now, true, m->shrink + 1, r.detail);
        }
        break;
    case CHANNEL_RETRY:
        if (cs && r.code > 0) {
            /* the robot itself said "too many": pause the whole channel */
            cs->next_allowed_ms = now_ms + ROBOT_RATE_PAUSE_MS;
        }
        LOG_WARN("notification retry id=%lld channel=%s attempts=%lld %s", (long long)m->id,
                 ch->name, (long long)(m->attempts + 1), r.detail);
        st->retried++;
        NOTIFIER_METRICS_BUMP(d->metrics, notifications_retried);
        return outbox_mark_retry(d->store, m->id, now + backoff_s(d->cfg, m->attempts), true,
                                 m->shrink, r.detail);
    default:
        break;
    }
    LOG_ERR("notification failed id=%lld key=%s channel=%s %s", (long long)m->id, m->idem_key,
            ch->name, r.detail);
    st->failed++;
    NOTIFIER_METRICS_BUMP(d->metrics, notifications_failed);
    err = outbox_mark_failed(d->store, m->id, r.detail);
    if (!err && r.outcome == CHANNEL_CONFIG) {
        config_fault(d, ch, cs, &r, now);
    }
    return err;
}

int delivery_run_once(struct delivery *d, struct delivery_stats *stats)
{
    struct delivery_stats st;
    struct outbox_batch batch;
    int64_t now_ms = d->clock(d->clock_ctx);
    int err = 0;

    memset(&st, 0, sizeof(st));
    leader_check(d);
    if (d->leader && now_ms >= d->next_escalation_ms) {
        struct ticket_escalation_stats es;
        err = ticket_flow_escalate(d->store, now_ms / 1000, &es);
        notifier_dep_set(d->metrics ? &d->metrics->worker_store_up : NULL, err == 0, now_ms);
        if (err) {
            LOG_WARN("escalation failed err='%s' store='%s'", yq_strerror(err),
                     ticket_store_errmsg(d->store));
        } else {
            st.escalations = es.reminders + es.supervisions;
            for (int i = 0; i < st.escalations; i++) {
                NOTIFIER_METRICS_BUMP(d->metrics, escalations);
            }
            d->next_escalation_ms = now_ms + d->cfg->escalation_interval_ms;
        }
        if (d->policy) {
            /* a working-day clock started now that counts days of a year without a calendar
               file (December: next year's) is warned about once per such year */
            int year = ticket_clock_uncovered_year(d->policy->clock, d->policy->cal, now_ms / 1000);
            if (year && year != d->calendar_warned_year) {
                LOG_WARN("no holiday calendar for year=%d: working days skip weekends only "
                         "(add %d.yaml to clocks.calendar_dir)",
                         year, year);
                d->calendar_warned_year = year;
            }
        }
        /* issue #13: events past their 研判 deadline remind the duty officer once */
        if (!err && (err = event_flow_remind_judge(d->store, now_ms / 1000, NULL)) != 0) {
            LOG_WARN("judge reminder failed err='%s' store='%s'", yq_strerror(err),
                     ticket_store_errmsg(d->store));
        }
    }
    if (!err && d->leader && now_ms >= d->next_spike_ms) {
        /* issue #13: spikes (突增) of the last full hour; a group spike's event gets the
           研判 deadline of its level */
        const struct ticket_policy *pol = d->policy;
        const struct spike_cfg *sc = pol && pol->spike ? pol->spike : spike_cfg_defaults();
        enum yq_level lv = YQ_LEVEL_III;
        size_t raised = 0;
        if (sc->level) {
            yq_level_parse(sc->level, &lv);
        }
        err = spike_scan(d->store, sc,
                         desk_policy_judge_deadline(pol ? pol->desk : NULL, lv, 0), now_ms / 1000,
                         &raised);
        if (err) {
            LOG_WARN("spike scan failed err='%s' store='%s'", yq_strerror(err),
                     ticket_store_errmsg(d->store));
        } else {
            if (raised > 0) {
                LOG_INFO("spikes raised n=%zu", raised);
            }
            d->next_spike_ms = now_ms + sc->scan_interval_ms;
        }
    }
    if (!err && d->leader && d->policy && d->policy->briefing && now_ms >= d->next_briefing_ms) {
        /* issue #14: the day's briefing once its hour has passed (its summary joins the outbox
           in the same transaction, so this round may send it); a failure is tried next tick */
        const struct briefing_env *be = d->policy->briefing;
        char why[256] = "";
        int64_t id = 0;
        int berr = briefing_tick(d->store, be, now_ms / 1000, &id, why, sizeof(why));
        if (berr) {
            LOG_WARN("briefing failed err='%s' reason='%s'", yq_strerror(berr), why);
        }
        d->next_briefing_ms =
            now_ms + (be->cfg ? be->cfg->tick_ms : briefing_cfg_defaults()->tick_ms);
    }
    if (!d->policy || !d->policy->routes) {
        goto out;
    }
    err = outbox_claim(d->store, d->owner, now_ms / 1000,
                       d->cfg->claim_lease_ms > 0 ? (d->cfg->claim_lease_ms + 999) / 1000
                                                  : OUTBOX_CLAIM_LEASE_S,
                       (size_t)d->cfg->batch, &batch);
    if (err) {
        LOG_WARN("outbox read failed err='%s' store='%s'", yq_strerror(err),
                 ticket_store_errmsg(d->store));
        notifier_dep_set(d->metrics ? &d->metrics->worker_store_up : NULL, 0, now_ms);
        goto out;
    }
    /* a follower's only store traffic may be this claim: it says the store is back */
    notifier_dep_set(d->metrics ? &d->metrics->worker_store_up : NULL, 1, now_ms);
    size_t i;
    for (i = 0; !err && i < batch.n && !atomic_load(&d->stop); i++) {
        err = deliver_one(d, &batch.v[i], d->clock(d->clock_ctx), &st);
        if (err == ERR_NOT_FOUND) {
            /* the row is no longer ours (our lease ran out and another notifier claimed it,
               or it was settled meanwhile): its holder marks it; nothing is wrong here */
            LOG_INFO("outbox claim lost id=%lld", (long long)batch.v[i].id);
            err = 0;
        }
        /* each delivery ends in an outbox write: its result is the store's state */
        notifier_dep_set(d->metrics ? &d->metrics->worker_store_up : NULL, err == 0, now_ms);
        if (err) {
            LOG_WARN("outbox update failed id=%lld err='%s' store='%s'", (long long)batch.v[i].id,
                     yq_strerror(err), ticket_store_errmsg(d->store));
        }
    }
    /* rows not tried (stopping, or a store error): free them for any notifier at once */
    for (; i < batch.n; i++) {
        outbox_unclaim(d->store, batch.v[i].id);
    }
    outbox_batch_release(&batch);
out:
    if (stats) {
        *stats = st;
    }
    return err;
}

static void *run(void *arg)
{
    struct delivery *d = arg;
    while (!atomic_load(&d->stop)) {
        int64_t until;
        delivery_run_once(d, NULL);
        until = yq_time_mono_ms() + d->cfg->poll_interval_ms;
        while (!atomic_load(&d->stop) && yq_time_mono_ms() < until) {
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

int delivery_start(struct delivery *d)
{
    if (pthread_create(&d->thread, NULL, run, d) != 0) {
        return ERR_NOMEM;
    }
    d->started = true;
    return 0;
}

void delivery_free(struct delivery *d)
{
    if (!d) {
        return;
    }
    if (d->started) {
        atomic_store(&d->stop, 1);
        pthread_join(d->thread, NULL);
    }
    ticket_store_free(d->store);
    yq_db_close(d->leader_db); /* ends the session: the leader lock goes with it */
    free(d->location);
    free(d->chs);
    free(d);
}
