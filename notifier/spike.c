/*
 * Spike alerts (spike.h, docs/desk.md "Spikes"): counting at intake, the periodic scan.
 */
#include "spike.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "outbox.h"
#include "ticket_store_int.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_banned.h"

#define HOUR_S 3600
#define DAY_S 86400
/* Group names longer than this are not counted (rule groups are short labels). */
#define GROUP_MAX_BYTES 200
/* An open event is scanned while its last item is at most this old. */
#define EVENT_RECENT_S DAY_S
/* The most spikes of one scope raised by one scan (a bound on one transaction). */
#define SCAN_MAX_ROWS 1000
#define SCAN_MAX_ROWS_SQL "1000"

#define CFG_KEYS_OF spike_cfg
const struct cfg_key spike_cfg_keys[] = {
    CFG_INT_KEY(
        group_factor_percent, "300", 100, 100000,
        "a rule group spikes when its items in the last full hour reach this share (per cent) of "
        "its baseline (the mean of the same hour on the previous group_baseline_days days)"),
    CFG_INT_KEY(group_min_count, "10", 1, 1000000, "and at least this many items in that hour"),
    CFG_INT_KEY(group_baseline_days, "7", 1, 90,
                "days of the group baseline (days without items count as 0)"),
    CFG_INT_KEY(
        event_factor_percent, "300", 100, 100000,
        "an open event spikes when its items in the last full hour reach this share (per cent) "
        "of its baseline (the mean of its previous event_baseline_hours hours since its first "
        "item)"),
    CFG_INT_KEY(event_min_count, "5", 1, 1000000, "and at least this many items in that hour"),
    CFG_INT_KEY(event_baseline_hours, "6", 1, 168, "hours of the event baseline"),
    CFG_STRING_KEY(level, "III", "level of a group spike's inbox event (I, II, III, IV)"),
    CFG_MS_KEY(scan_interval_ms, "5m", 10000, 3600000, "how often the notifier scans for spikes"),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

/* The key table's own defaults (no strings: level NULL = III), filled once. */
static struct spike_cfg defaults;
static struct cfg_defaults spike_defaults = {.keys = spike_cfg_keys, .base = &defaults};

const struct spike_cfg *spike_cfg_defaults(void)
{
    return cfg_defaults_get(&spike_defaults);
}

static int cfg_level(const struct spike_cfg *cfg, enum yq_level *out)
{
    *out = YQ_LEVEL_III;
    return cfg->level ? yq_level_parse(cfg->level, out) : 0;
}

int spike_cfg_check(const struct spike_cfg *cfg, char *errbuf, size_t errlen)
{
    enum yq_level level;

    if (!cfg || cfg_level(cfg, &level) != 0) {
        snprintf(errbuf, errlen, "spike.level: \"%.40s\" is not a level (I, II, III or IV)",
                 cfg && cfg->level ? cfg->level : "");
        return ERR_INVALID;
    }
    return 0;
}

int64_t spike_hour_of(int64_t t)
{
    int64_t q = t / HOUR_S;

    if (t % HOUR_S < 0) {
        q--;
    }
    return q * HOUR_S;
}

/* --- counting at intake ---------------------------------------------------------------- */

int spike_count_add(struct ticket_store *store, const char *scope, const char *key, int64_t hour,
                    int64_t n)
{
    struct yq_stmt *st = NULL;
    int err = ticket_store_prepare(
        store,
        "INSERT INTO rate_counts (scope, key, hour, n) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (scope, key, hour) DO UPDATE SET n = rate_counts.n + ?4",
        &st, "rate count");
    if (err) {
        return err;
    }
    yq_stmt_bind_text(st, 1, scope);
    yq_stmt_bind_text(st, 2, key);
    yq_stmt_bind_int64(st, 3, hour);
    yq_stmt_bind_int64(st, 4, n);
    return ticket_store_step_deferred(store, st, "rate count"); /* nothing read back */
}

int spike_item_counts(const struct yq_alert *alert, int64_t event_id,
                      int (*fn)(void *ctx, const char *scope, const char *key, int64_t hour),
                      void *ctx)
{
    int64_t hour;
    int err = 0;

    if (!alert) {
        return ERR_INVALID;
    }
    hour = spike_hour_of(alert->matched_at);
    for (size_t i = 0; i < alert->n_matches && !err; i++) {
        const char *g = alert->matches[i].group;
        bool seen = false;

        if (!g || !*g || strlen(g) > GROUP_MAX_BYTES) {
            continue;
        }
        for (size_t j = 0; j < i && !seen; j++) {
            seen = alert->matches[j].group && strcmp(alert->matches[j].group, g) == 0;
        }
        if (!seen) {
            err = fn(ctx, "group", g, hour);
        }
    }
    if (!err && event_id > 0) {
        char key[24];

        snprintf(key, sizeof(key), "%lld", (long long)event_id);
        err = fn(ctx, "event", key, hour);
    }
    return err;
}

static int count_one(void *ctx, const char *scope, const char *key, int64_t hour)
{
    return spike_count_add(ctx, scope, key, hour, 1);
}

int spike_count_item(struct ticket_store *store, const struct yq_alert *alert, int64_t event_id,
                     int64_t now)
{
    (void)now;
    if (!store || !alert) {
        return ERR_INVALID;
    }
    return spike_item_counts(alert, event_id, count_one, store);
}

/* --- the scan -------------------------------------------------------------------------- */

/* One candidate: a key with its count in hour H and its baseline (sum over n_hours hours). */
struct candidate {
    char *key;
    int64_t count;
    int64_t base_sum;
    int64_t base_hours;
    /* events only */
    int64_t event_id;
    int64_t ticket_id; /* 0 = none */
    char *state;
};

struct candidates {
    size_t n;
    struct candidate v[SCAN_MAX_ROWS];
};

static void candidates_release(struct candidates *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].key);
        free(c->v[i].state);
    }
    c->n = 0;
}

static char *col_dup(struct yq_stmt *st, int i)
{
    const char *s = yq_stmt_column_text(st, i);

    return strdup(s ? s : "");
}

/*
 * Whether count spikes over base_sum / base_hours: count >= min_count and
 * count >= factor_percent / 100 * baseline (integer arithmetic: no rounding at the edge).
 */
static bool is_spike(int64_t count, int64_t base_sum, int64_t base_hours, int64_t factor_percent,
                     int64_t min_count)
{
    if (count < min_count) {
        return false;
    }
    if (base_sum <= 0 || base_hours <= 0) {
        return true;
    }
    return (__int128)count * 100 * base_hours >= (__int128)factor_percent * base_sum;
}

/*
 * The groups with at least min_count items in hour h, with the sum of the same hour on the
 * previous days days.
 */
static int group_candidates(struct ticket_store *store, const struct spike_cfg *cfg, int64_t h,
                            struct candidates *out)
{
    struct yq_stmt *st = NULL;
    int err = ticket_store_prepare(
        store,
        "SELECT r.key, r.n, (SELECT coalesce(sum(b.n), 0) FROM rate_counts b WHERE b.scope = "
        "'group' AND b.key = r.key AND b.hour >= ?2 AND b.hour < ?1 AND (?1 - b.hour) % 86400 = "
        "0) FROM rate_counts r WHERE r.scope = 'group' AND r.hour = ?1 AND r.n >= ?3 "
        "ORDER BY r.key LIMIT " SCAN_MAX_ROWS_SQL,
        &st, "spike groups");
    int rc;

    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, h);
    yq_stmt_bind_int64(st, 2, h - cfg->group_baseline_days * DAY_S);
    yq_stmt_bind_int64(st, 3, cfg->group_min_count);
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        struct candidate *c = &out->v[out->n];

        memset(c, 0, sizeof(*c));
        c->key = col_dup(st, 0);
        if (!c->key) {
            err = ERR_NOMEM;
            break;
        }
        c->count = yq_stmt_column_int64(st, 1);
        c->base_sum = yq_stmt_column_int64(st, 2);
        c->base_hours = cfg->group_baseline_days;
        out->n++;
    }
    if (!err && rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, "spike groups");
    }
    yq_stmt_finalize(st);
    return err;
}

/*
 * The open events with at least min_count items in hour h and their last item within a day of
 * now, with the sum over their baseline hours: the hours before h since the hour of the
 * event's first item (detected_at), at most event_baseline_hours of them.
 */
static int event_candidates(struct ticket_store *store, const struct spike_cfg *cfg, int64_t h,
                            int64_t now, struct candidates *out)
{
    struct yq_stmt *st = NULL;
    int err = ticket_store_prepare(
        store,
        "SELECT r.key, r.n, e.id, coalesce(e.ticket_id, 0), e.state, e.detected_at FROM "
        "rate_counts r JOIN events e ON r.key = CAST(e.id AS TEXT) "
        "WHERE r.scope = 'event' AND r.hour = ?1 AND r.n >= ?2 AND e.state IN ('pending', "
        "'watching', 'auto_assigned', 'assigned') AND e.last_item_at >= ?3 "
        "ORDER BY e.id LIMIT " SCAN_MAX_ROWS_SQL,
        &st, "spike events");
    int rc;

    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, h);
    yq_stmt_bind_int64(st, 2, cfg->event_min_count);
    yq_stmt_bind_int64(st, 3, now - EVENT_RECENT_S);
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        struct candidate *c = &out->v[out->n];
        int64_t from = spike_hour_of(yq_stmt_column_int64(st, 5));

        if (from < h - cfg->event_baseline_hours * HOUR_S) {
            from = h - cfg->event_baseline_hours * HOUR_S;
        }

        memset(c, 0, sizeof(*c));
        c->key = col_dup(st, 0);
        c->state = col_dup(st, 4);
        if (!c->key || !c->state) {
            free(c->key);
            free(c->state);
            err = ERR_NOMEM;
            break;
        }
        c->count = yq_stmt_column_int64(st, 1);
        c->event_id = yq_stmt_column_int64(st, 2);
        c->ticket_id = yq_stmt_column_int64(st, 3);
        c->base_hours = from < h ? (h - from) / HOUR_S : 0;
        out->n++;
    }
    if (!err && rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, "spike events");
    }
    yq_stmt_finalize(st);
    for (size_t i = 0; !err && i < out->n; i++) {
        struct candidate *c = &out->v[i];

        if (c->base_hours == 0) {
            continue;
        }
        err = ticket_store_prepare(store,
                                   "SELECT coalesce(sum(n), 0) FROM rate_counts WHERE scope = "
                                   "'event' AND key = ? AND hour >= ? AND hour < ?",
                                   &st, "spike event baseline");
        if (err) {
            break;
        }
        yq_stmt_bind_text(st, 1, c->key);
        yq_stmt_bind_int64(st, 2, h - c->base_hours * HOUR_S);
        yq_stmt_bind_int64(st, 3, h);
        rc = yq_stmt_step(st);
        if (rc == YQ_DB_ROW) {
            c->base_sum = yq_stmt_column_int64(st, 0);
        } else {
            err = ticket_store_fail(store, rc, "spike event baseline");
        }
        yq_stmt_finalize(st);
    }
    return err;
}

/* Insert the spikes row; *fresh: false when this (scope, key, hour) was raised before. */
static int spike_insert(struct ticket_store *store, const char *scope, const char *key, int64_t h,
                        const struct candidate *c, double baseline, int64_t factor_percent,
                        int64_t min_count, int64_t event_id, int64_t now, int64_t *id_out,
                        bool *fresh)
{
    struct yq_stmt *st = NULL;
    int err = ticket_store_prepare(
        store,
        "INSERT INTO spikes (scope, key, hour, count, baseline, factor, min_count, raised_at, "
        "event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scope, key, hour) DO NOTHING RETURNING id",
        &st, "spike insert");

    *fresh = false;
    if (err) {
        return err;
    }
    yq_stmt_bind_text(st, 1, scope);
    yq_stmt_bind_text(st, 2, key);
    yq_stmt_bind_int64(st, 3, h);
    yq_stmt_bind_int64(st, 4, c->count);
    yq_stmt_bind_double(st, 5, baseline);
    yq_stmt_bind_double(st, 6, (double)factor_percent / 100.0);
    yq_stmt_bind_int64(st, 7, min_count);
    yq_stmt_bind_int64(st, 8, now);
    if (event_id > 0) {
        yq_stmt_bind_int64(st, 9, event_id);
    } else {
        yq_stmt_bind_null(st, 9);
    }
    {
        int64_t id = 0;
        err = ticket_store_step_id(store, st, "spike insert", &id);
        if (!err && id > 0) {
            *fresh = true;
            *id_out = id;
        }
    }
    return err;
}

/* The spike JSON of events.spike (spike.h). New string (free()) or NULL (ERR_NOMEM). */
static char *spike_json(const char *scope, const char *key, int64_t h, int64_t count,
                        double baseline, int64_t factor_percent, int64_t min_count)
{
    json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:f, s:f, s:I}", "scope", scope, "key", key, "hour",
                          (json_int_t)h, "count", (json_int_t)count, "baseline", baseline, "factor",
                          (double)factor_percent / 100.0, "min_count", (json_int_t)min_count);
    char *s = yq_json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));

    json_decref(o);
    return s;
}

static int event_log_append(struct ticket_store *store, int64_t event_id, int64_t at,
                            const char *action, const char *from, const char *to, const char *note)
{
    struct yq_stmt *st = NULL;
    int err = ticket_store_prepare(store,
                                   "INSERT INTO event_log (event_id, at, actor, actor_role, "
                                   "action, from_state, to_state, note) VALUES (?, ?, 'system', "
                                   "'system', ?, ?, ?, ?)",
                                   &st, "event log");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, event_id);
    yq_stmt_bind_int64(st, 2, at);
    yq_stmt_bind_text(st, 3, action);
    yq_stmt_bind_text(st, 4, from);
    yq_stmt_bind_text(st, 5, to);
    yq_stmt_bind_text(st, 6, note);
    return ticket_store_step_done(store, st, "event log");
}

/* A group spike: its inbox event (kind 'spike', pending) and the spikes row's event_id. */
static int raise_group(struct ticket_store *store, const struct spike_cfg *cfg, enum yq_level level,
                       int64_t h, const struct candidate *c, int64_t judge_deadline_s, int64_t now,
                       size_t *raised)
{
    double baseline = (double)c->base_sum / (double)c->base_hours;
    char *title = NULL, *json = NULL, *groups = NULL, *event_key = NULL;
    struct yq_stmt *st = NULL;
    int64_t spike_id = 0, event_id;
    json_t *g;
    bool fresh;
    int err;

    err = spike_insert(store, "group", c->key, h, c, baseline, cfg->group_factor_percent,
                       cfg->group_min_count, 0, now, &spike_id, &fresh);
    if (err || !fresh) {
        return err;
    }
    g = json_pack("[s]", c->key);
    groups = g ? yq_json_dumps(g, JSON_COMPACT) : NULL;
    json_decref(g);
    json = spike_json("group", c->key, h, c->count, baseline, cfg->group_factor_percent,
                      cfg->group_min_count);
    if (!groups || !json ||
        asprintf(&title, "【突增】%s 近1小时 %lld 条，基线 %.1f 条/小时", c->key,
                 (long long)c->count, baseline) < 0 ||
        asprintf(&event_key, "spike:group:%s:%lld", c->key, (long long)h) < 0) {
        err = ERR_NOMEM;
        goto out;
    }
    err = ticket_store_prepare(
        store,
        "INSERT INTO events (event_key, kind, state, title, level, rule_groups, detected_at, "
        "last_item_at, judge_deadline, spike, created_at, updated_at) VALUES (?, 'spike', "
        "'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_key) DO NOTHING RETURNING id",
        &st, "spike event");
    if (err) {
        goto out;
    }
    yq_stmt_bind_text(st, 1, event_key);
    yq_stmt_bind_text(st, 2, title);
    yq_stmt_bind_text(st, 3, yq_level_name(level));
    yq_stmt_bind_text(st, 4, groups);
    yq_stmt_bind_int64(st, 5, now);
    yq_stmt_bind_int64(st, 6, now);
    yq_stmt_bind_int64(st, 7, now + judge_deadline_s);
    yq_stmt_bind_text(st, 8, json);
    yq_stmt_bind_int64(st, 9, now);
    yq_stmt_bind_int64(st, 10, now);
    err = ticket_store_step_id(store, st, "spike event", &event_id);
    if (err || event_id == 0) {
        goto out; /* the key exists: an earlier spike event of this group and hour */
    }
    err = event_log_append(store, event_id, now, "created", "", "pending", title);
    if (!err) {
        err = ticket_store_prepare(store, "UPDATE spikes SET event_id = ? WHERE id = ?", &st,
                                   "spike event link");
    }
    if (!err) {
        yq_stmt_bind_int64(st, 1, event_id);
        yq_stmt_bind_int64(st, 2, spike_id);
        err = ticket_store_step_done(store, st, "spike event link");
    }
    *raised += !err;
out:
    free(title);
    free(json);
    free(groups);
    free(event_key);
    return err;
}

/* An event spike: the event's spike JSON, resurfaced, logged, and the duty officer told. */
static int raise_event(struct ticket_store *store, const struct spike_cfg *cfg, int64_t h,
                       const struct candidate *c, int64_t judge_deadline_s, int64_t now,
                       size_t *raised)
{
    double baseline = c->base_hours ? (double)c->base_sum / (double)c->base_hours : 0.0;
    const char *to = strcmp(c->state, "watching") == 0 ? "pending" : c->state;
    char *json = NULL, *note = NULL;
    struct yq_stmt *st = NULL;
    int64_t spike_id = 0;
    bool fresh;
    int err;

    err = spike_insert(store, "event", c->key, h, c, baseline, cfg->event_factor_percent,
                       cfg->event_min_count, c->event_id, now, &spike_id, &fresh);
    if (err || !fresh) {
        return err;
    }
    json = spike_json("event", c->key, h, c->count, baseline, cfg->event_factor_percent,
                      cfg->event_min_count);
    if (!json || asprintf(&note, "【突增】近1小时 %lld 条，基线 %.1f 条/小时", (long long)c->count,
                          baseline) < 0) {
        note = NULL;
        err = ERR_NOMEM;
        goto out;
    }
    err = ticket_store_prepare(store,
                               "UPDATE events SET spike = ?, resurfaced_at = ?, resurface_reason "
                               "= 'spike', state = ?, updated_at = ?, version = version + 1, "
                               /* back from watching: a fresh 研判 deadline and reminder, as
                                  intake's own resurfacing gives (review of issue #13) */
                               "judge_deadline = CASE WHEN state = 'watching' THEN ?6 "
                               "  ELSE judge_deadline END, "
                               "judge_reminded_at = CASE WHEN state = 'watching' THEN NULL "
                               "  ELSE judge_reminded_at END "
                               "WHERE id = ?5",
                               &st, "event spike");
    if (err) {
        goto out;
    }
    yq_stmt_bind_text(st, 1, json);
    yq_stmt_bind_int64(st, 2, now);
    yq_stmt_bind_text(st, 3, to);
    yq_stmt_bind_int64(st, 4, now);
    yq_stmt_bind_int64(st, 5, c->event_id);
    yq_stmt_bind_int64(st, 6, now + judge_deadline_s);
    err = ticket_store_step_done(store, st, "event spike");
    if (!err) {
        err = event_log_append(store, c->event_id, now, "spike", c->state, to, note);
    }
    if (!err && c->ticket_id > 0) {
        int64_t log_id = 0;

        /* the ticket's log shows the spike; the notification's idem_key names this row */
        err = ticket_store_log_append(store, c->ticket_id, now, "system", "system", "spike", NULL,
                                      NULL, note, &log_id);
        if (!err) {
            err = outbox_enqueue(store, c->ticket_id, log_id, "spike", OUTBOX_TO_DUTY, false, note,
                                 now, NULL);
        }
    }
    *raised += !err;
out:
    free(json);
    free(note);
    return err;
}

int spike_scan(struct ticket_store *store, const struct spike_cfg *cfg, int64_t judge_deadline_s,
               int64_t now, size_t *raised_out)
{
    struct candidates *cand;
    enum yq_level level;
    size_t raised = 0;
    int64_t h = spike_hour_of(now) - HOUR_S;
    int err;

    if (raised_out) {
        *raised_out = 0;
    }
    if (!store) {
        return ERR_INVALID;
    }
    if (!cfg) {
        cfg = spike_cfg_defaults();
    }
    if (cfg_level(cfg, &level) != 0) {
        return ERR_INVALID;
    }
    cand = calloc(1, sizeof(*cand));
    if (!cand) {
        return ERR_NOMEM;
    }
    err = ticket_store_begin(store, "spike scan");
    if (!err) {
        err = group_candidates(store, cfg, h, cand);
    }
    for (size_t i = 0; !err && i < cand->n; i++) {
        const struct candidate *c = &cand->v[i];

        if (is_spike(c->count, c->base_sum, c->base_hours, cfg->group_factor_percent,
                     cfg->group_min_count)) {
            err = raise_group(store, cfg, level, h, c, judge_deadline_s, now, &raised);
        }
    }
    candidates_release(cand);
    if (!err) {
        err = event_candidates(store, cfg, h, now, cand);
    }
    for (size_t i = 0; !err && i < cand->n; i++) {
        const struct candidate *c = &cand->v[i];

        if (c->base_hours > 0 && is_spike(c->count, c->base_sum, c->base_hours,
                                          cfg->event_factor_percent, cfg->event_min_count)) {
            err = raise_event(store, cfg, h, c, judge_deadline_s, now, &raised);
        }
    }
    candidates_release(cand);
    free(cand);
    if (!err) {
        err = ticket_store_exec(store, "COMMIT", "spike scan commit");
    }
    if (err) {
        ticket_store_rollback(store);
        return err;
    }
    if (raised_out) {
        *raised_out = raised;
    }
    return 0;
}
