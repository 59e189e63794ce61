/*
 * The daily briefing's figures (briefing.h): configuration, the period, gathering from the
 * ticket store (the ticket figures through the statistics library over the period), source
 * health, the archive's counts per source kind and the robots' summary. Storing and the
 * scheduler are in briefing_store.c, the 专报's figures in briefing_event.c.
 */
#include "briefing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "notify_cfg.h"
#include "stats.h"
#include "stats_defs.h"
#include "stats_fmt.h"
#include "stats_load.h"
#include "store_json.h"
#include "ticket_store_int.h"
#include "yq_array.h"
#include "yq_buf.h"
#include "yq_cfg.h"
#include "yq_db.h"
#include "yq_err.h"
#include "yq_labels.h"
#include "yq_log.h"
#include "yq_redis.h"
#include "yq_text.h"
#include "yq_time.h"
#include "yq_banned.h"

#define CFG_KEYS_OF briefing_cfg
const struct cfg_key briefing_cfg_keys[] = {
    CFG_BOOL_KEY(enabled, "true", "write the daily briefing (舆情日报) at hour, Beijing time"),
    CFG_INT_KEY(hour, "8", 0, 23,
                "the briefing covers the 24 h ending at hour:00 Beijing time (UTC+08:00, fixed)"),
    CFG_EXTERNAL_KEY(
        "channels", "[]",
        "notify channels (names under channels:) that get the briefing's summary; none = not sent"),
    CFG_INT_KEY(max_events, "30", 1, BRIEFING_MAX_EVENTS_LIMIT,
                "events listed in the briefing (every event is counted)"),
    CFG_INT_KEY(top_events, "3", 0, 10, "events named in the robots' summary"),
    CFG_MS_KEY(tick_ms, "60s", 1000, 3600000,
               "how often the notifier looks whether the day's briefing is due"),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

/* The key table's own defaults (channels none), filled once. */
static struct briefing_cfg defaults;
static struct cfg_defaults briefing_defaults = {.keys = briefing_cfg_keys, .base = &defaults};

const struct briefing_cfg *briefing_cfg_defaults(void)
{
    return cfg_defaults_get(&briefing_defaults);
}

int briefing_cfg_parse_channels(struct briefing_cfg *cfg, struct cfg_doc *doc, void *section,
                                const struct notify_routes *routes, char *errbuf, size_t errlen)
{
    yaml_node_t *seq = section && doc ? cfg_map_get(doc, section, "channels") : NULL;
    size_t cap = 0; /* of cfg->channels, emptied below */
    int err = 0;

    briefing_cfg_release(cfg);
    if (!seq) {
        return 0;
    }
    if (seq->type != YAML_SEQUENCE_NODE) {
        snprintf(errbuf, errlen, "%s:%zu: briefing.channels: a list of channel names", doc->file,
                 (size_t)seq->start_mark.line + 1);
        return ERR_INVALID;
    }
    for (yaml_node_item_t *it = seq->data.sequence.items.start;
         !err && it < seq->data.sequence.items.top; it++) {
        yaml_node_t *n = cfg_doc_node(doc, *it);
        const char *s = n ? cfg_scalar(n) : NULL;
        size_t line = n ? n->start_mark.line + 1 : 0;

        if (!s || !s[0] || strlen(s) > BRIEFING_CHANNEL_MAX_BYTES) {
            snprintf(errbuf, errlen, "%s:%zu: briefing.channels: each entry is a channel name of "
                     "1..%d bytes", doc->file, line, BRIEFING_CHANNEL_MAX_BYTES);
            err = ERR_INVALID;
            break;
        }
        if (routes && !notify_routes_channel(routes, s)) {
            snprintf(errbuf, errlen, "%s:%zu: briefing.channels: unknown channel '%s' (not under "
                     "channels:)", doc->file, line, s);
            err = ERR_INVALID;
            break;
        }
        if (cfg->n_channels >= BRIEFING_MAX_CHANNELS) {
            snprintf(errbuf, errlen, "%s:%zu: briefing.channels: more than %d channels",
                     doc->file, line, BRIEFING_MAX_CHANNELS);
            err = ERR_INVALID;
            break;
        }
        err = yq_array_reserve(&cfg->channels, &cap, cfg->n_channels + 1, sizeof(*cfg->channels));
        if (err || !(cfg->channels[cfg->n_channels] = strdup(s))) {
            err = ERR_NOMEM;
            break;
        }
        cfg->n_channels++;
    }
    if (err == ERR_NOMEM) {
        snprintf(errbuf, errlen, "out of memory");
    }
    if (err) {
        briefing_cfg_release(cfg);
    }
    return err;
}

void briefing_cfg_release(struct briefing_cfg *cfg)
{
    if (!cfg) {
        return;
    }
    for (size_t i = 0; i < cfg->n_channels; i++) {
        free(cfg->channels[i]);
    }
    free(cfg->channels);
    cfg->channels = NULL;
    cfg->n_channels = 0;
}

/* ------------------------------------------------------------------ the period */

void briefing_period_of_day(int64_t day, int64_t hour, int64_t *start_out, int64_t *end_out)
{
    int64_t end = day * 86400 + hour * 3600 - YQ_SHANGHAI_OFFSET_S;
    *end_out = end;
    *start_out = end - 86400;
}

/* floor(a / b) for b > 0 */
static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

int64_t briefing_latest_day(int64_t now, int64_t hour)
{
    /* the Beijing day whose hour:00 is the latest at or before now */
    return floor_div(now + YQ_SHANGHAI_OFFSET_S - hour * 3600, 86400);
}

bool briefing_day_too_old(int64_t day, int64_t now)
{
    return floor_div(now + YQ_SHANGHAI_OFFSET_S, 86400) - day > BRIEFING_MAX_PAST_DAYS;
}

int briefing_parse_day(const char *s, int64_t *day_out)
{
    int y, m, d, n = 0;
    int64_t day, y2;
    unsigned m2, d2;

    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 ||
        y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31) {
        return ERR_PARSE;
    }
    day = yq_time_days_from_civil(y, (unsigned)m, (unsigned)d);
    yq_time_civil_from_days(day, &y2, &m2, &d2);
    if (y2 != y || (int)m2 != m || (int)d2 != d) {
        return ERR_PARSE; /* 2026-02-30 */
    }
    *day_out = day;
    return 0;
}

/* ------------------------------------------------------------------ source health */

#define SOURCE_PREFIX "yuqing:source:"
#define MAX_SOURCES 1000
#define MAX_SCAN_ROUNDS 200

static bool reply_is(const redisReply *r, int type)
{
    return r && r->type == type;
}

void briefing_sources_free(struct briefing_source *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i].id);
        free(v[i].name);
        free(v[i].kind);
        free(v[i].state);
        free(v[i].last_success);
        free(v[i].last_error);
    }
    free(v);
}

bool briefing_source_blind(const struct briefing_source *s)
{
    return !s->state || strcmp(s->state, "ok") != 0;
}

/*
 * One source's hash into s (fields zeroed). Returns 0, ERR_NOT_FOUND (key is not a hash:
 * WRONGTYPE, written by something else; not a source), ERR_RETRY or ERR_NOMEM.
 */
static int source_read(struct yq_redis *r, const char *key, struct briefing_source *s)
{
    redisReply *rep = yq_redis_command(r, "HGETALL %s", key);
    int err = 0;

    if (yq_redis_reply_wrongtype(rep)) {
        LOG_WARN("source key skipped key=%s err=%s", key, rep->str);
        freeReplyObject(rep);
        return ERR_NOT_FOUND;
    }
    if (!reply_is(rep, REDIS_REPLY_ARRAY)) {
        if (rep) {
            freeReplyObject(rep);
        }
        return ERR_RETRY;
    }
    s->id = strdup(key + strlen(SOURCE_PREFIX));
    for (size_t j = 0; j + 1 < rep->elements; j += 2) {
        redisReply *f = rep->element[j], *v = rep->element[j + 1];
        char **slot = NULL;
        if (!reply_is(f, REDIS_REPLY_STRING) || !reply_is(v, REDIS_REPLY_STRING)) {
            continue;
        }
        if (strcmp(f->str, "name") == 0) {
            slot = &s->name;
        } else if (strcmp(f->str, "kind") == 0) {
            slot = &s->kind;
        } else if (strcmp(f->str, "state") == 0) {
            slot = &s->state;
        } else if (strcmp(f->str, "last_success") == 0) {
            slot = &s->last_success;
        } else if (strcmp(f->str, "last_error") == 0) {
            slot = &s->last_error;
        } else if (strcmp(f->str, "consecutive_failures") == 0) {
            s->consecutive_failures = strtoll(v->str, NULL, 10);
        }
        if (slot && !*slot) {
            *slot = strndup(v->str, v->len);
        }
    }
    freeReplyObject(rep);
    if (!s->name && s->id) {
        s->name = strdup(s->id);
    }
    if (!s->kind) {
        s->kind = strdup("");
    }
    if (!s->state) {
        s->state = strdup("");
    }
    if (!s->last_success) {
        s->last_success = strdup("");
    }
    if (!s->last_error) {
        s->last_error = strdup("");
    }
    if (!s->id || !s->name || !s->kind || !s->state || !s->last_success || !s->last_error) {
        err = ERR_NOMEM;
    }
    return err;
}

static int cmp_source(const void *a, const void *b)
{
    return strcmp(((const struct briefing_source *)a)->id, ((const struct briefing_source *)b)->id);
}

int briefing_sources_redis(void *ctx, struct briefing_source **out, size_t *n_out)
{
    const struct yq_redis_cfg *cfg = ctx;
    struct yq_redis *r = cfg ? yq_redis_new(cfg) : NULL;
    struct briefing_source *v = NULL;
    size_t n = 0, cap = 0;
    char cursor[32] = "0";
    int rounds = 0, err = 0;

    *out = NULL;
    *n_out = 0;
    if (!cfg) {
        return ERR_RETRY;
    }
    if (!r) {
        return ERR_NOMEM;
    }
    do {
        redisReply *rep = yq_redis_command(r, "SCAN %s MATCH %s* COUNT 200", cursor,
                                           SOURCE_PREFIX);
        if (!reply_is(rep, REDIS_REPLY_ARRAY) || rep->elements != 2 ||
            !reply_is(rep->element[0], REDIS_REPLY_STRING) ||
            !reply_is(rep->element[1], REDIS_REPLY_ARRAY)) {
            if (rep) {
                freeReplyObject(rep);
            }
            err = ERR_RETRY;
            break;
        }
        snprintf(cursor, sizeof(cursor), "%s", rep->element[0]->str);
        for (size_t i = 0; !err && i < rep->element[1]->elements && n < MAX_SOURCES; i++) {
            redisReply *k = rep->element[1]->element[i];
            /* source ids have no ':' (yuqing:source:<id>:recent is a side key) */
            if (!reply_is(k, REDIS_REPLY_STRING) || k->len <= strlen(SOURCE_PREFIX) ||
                memchr(k->str + strlen(SOURCE_PREFIX), ':', k->len - strlen(SOURCE_PREFIX))) {
                continue;
            }
            err = yq_array_reserve(&v, &cap, n + 1, sizeof(*v));
            if (err) {
                break;
            }
            memset(&v[n], 0, sizeof(v[n]));
            n++;
            err = source_read(r, k->str, &v[n - 1]);
            if (err == ERR_NOT_FOUND) {
                n--; /* nothing was allocated for it */
                err = 0;
            }
        }
        freeReplyObject(rep);
    } while (!err && strcmp(cursor, "0") != 0 && ++rounds < MAX_SCAN_ROUNDS);
    yq_redis_free(r);
    if (err) {
        briefing_sources_free(v, n);
        return err;
    }
    if (n > 1) {
        qsort(v, n, sizeof(*v), cmp_source);
    }
    *out = v;
    *n_out = n;
    return 0;
}

/* ------------------------------------------------------------------ gathering */

struct gather {
    struct ticket_store *store;
    char *errbuf;
    size_t errlen;
};

static int fail(struct gather *g, int rc, const char *what)
{
    int err = ticket_store_fail(g->store, rc, what);
    snprintf(g->errbuf, g->errlen, "%s: %s", what, ticket_store_errmsg(g->store));
    return err;
}

static int prepare(struct gather *g, const char *sql, struct yq_stmt **st, const char *what)
{
    int rc = yq_stmt_prepare(g->store->db, sql, st);
    return rc == YQ_DB_OK ? 0 : fail(g, rc, what);
}

/* prepare() with the period bound: ?1 = b->start, ?2 = b->end (seconds). */
static int prepare_period(struct gather *g, const struct briefing *b, const char *sql,
                          struct yq_stmt **st, const char *what)
{
    int err = prepare(g, sql, st, what);

    if (err == 0) {
        yq_stmt_bind_int64(*st, 1, b->start);
        yq_stmt_bind_int64(*st, 2, b->end);
    }
    return err;
}

static char *col_dup(struct yq_stmt *st, int i)
{
    const char *s = yq_stmt_column_text(st, i);
    return strdup(s ? (const char *)s : "");
}

/* The items of the period that count: of events not merged into another. */
#define ITEMS_IN_PERIOD                                                                            \
    "FROM event_items i JOIN events e ON e.id = i.event_id AND e.state <> 'merged' "              \
    "WHERE i.matched_at >= ?1 AND i.matched_at < ?2"

static int gather_items(struct gather *g, struct briefing *b)
{
    struct yq_stmt *st = NULL;
    int err, rc;

    err = prepare_period(
        g, b,
        "SELECT count(*), coalesce(sum(neg), 0), coalesce(sum(known), 0) FROM ("
        "SELECT i.item_id, max(CASE WHEN i.sentiment = 'negative' THEN 1 ELSE 0 END) neg, "
        "max(CASE WHEN i.sentiment <> '' THEN 1 ELSE 0 END) known " ITEMS_IN_PERIOD
        " GROUP BY i.item_id) AS per_item",
        &st, "briefing items");
    if (err) {
        return err;
    }
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        b->items = yq_stmt_column_int64(st, 0);
        b->items_negative = yq_stmt_column_int64(st, 1);
        b->items_sentiment_known = yq_stmt_column_int64(st, 2);
    } else {
        err = fail(g, rc, "briefing items");
    }
    yq_stmt_finalize(st);
    if (err) {
        return err;
    }
    /* by level: the event's level; an item of two events of different levels counts in both */
    err = prepare_period(
        g, b,
        "SELECT e.level, count(DISTINCT i.item_id), count(DISTINCT e.id) " ITEMS_IN_PERIOD
        " GROUP BY e.level",
        &st, "briefing levels");
    if (err) {
        return err;
    }
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        enum yq_level lv;
        const char *s = yq_stmt_column_text(st, 0);
        if (s && yq_level_parse(s, &lv) == 0) {
            b->levels[lv - 1].items = yq_stmt_column_int64(st, 1);
            b->levels[lv - 1].events = yq_stmt_column_int64(st, 2);
        }
    }
    if (rc != YQ_DB_DONE) {
        err = fail(g, rc, "briefing levels");
    }
    yq_stmt_finalize(st);
    return err;
}

/*
 * Events of the period: detected in it (new), or detected before it with items in it
 * (continuing); merged events are counted in the event they were merged into.
 */
#define EVENTS_OF_PERIOD                                                                           \
    "FROM events e WHERE e.state <> 'merged' AND ((e.detected_at >= ?1 AND e.detected_at < ?2) "  \
    "OR EXISTS (SELECT 1 FROM event_items x WHERE x.event_id = e.id AND x.matched_at >= ?1 AND "   \
    "x.matched_at < ?2))"

static int gather_groups(struct gather *g, struct briefing *b)
{
    struct yq_stmt *st = NULL;
    size_t cap = 0; /* of b->groups, empty until here */
    int err, rc;

/* JE: a STORE_JSON_EACH_* macro (store_json.h) */
#define GROUPS_SQL(JE)                                                                             \
    "SELECT k, sum(n_items), sum(n_events) FROM ("                                                 \
    "SELECT coalesce(grp.value, ?3) k, count(DISTINCT i.item_id) n_items, "                        \
    "0 n_events FROM event_items i JOIN events e ON e.id = i.event_id AND "                        \
    "e.state <> 'merged' LEFT JOIN "                                                               \
    JE(STORE_JSON_COLUMN("i.rule_groups", "rule_groups"), "grp") " ON 1 = 1 "                      \
    "WHERE i.matched_at >= ?1 AND i.matched_at < ?2 GROUP BY 1 "                                   \
    "UNION ALL SELECT coalesce(grp.value, ?3), 0, count(DISTINCT e.id) "                           \
    "FROM events e LEFT JOIN "                                                                     \
    JE(STORE_JSON_COLUMN("e.rule_groups", "rule_groups"), "grp") " ON 1 = 1 "                      \
    "WHERE e.state <> 'merged' AND ((e.detected_at >= ?1 AND e.detected_at < ?2) "                 \
    "OR EXISTS (SELECT 1 FROM event_items x WHERE x.event_id = e.id AND "                          \
    "x.matched_at >= ?1 AND x.matched_at < ?2)) GROUP BY 1) AS g "                                 \
    "GROUP BY k ORDER BY sum(n_items) DESC, sum(n_events) DESC, k"
    static const char *const sql[2] = {GROUPS_SQL(STORE_JSON_EACH_SQLITE),
                                       GROUPS_SQL(STORE_JSON_EACH_PG)};
#undef GROUPS_SQL
    err = prepare_period(g, b, sql[store_json_pick(g->store->db)],
        &st, "briefing groups");
    if (err) {
        return err;
    }
    yq_stmt_bind_text(st, 3, STATS_NO_RULE_GROUP);
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        struct briefing_count *c;

        err = yq_array_reserve(&b->groups, &cap, b->n_groups + 1, sizeof(*b->groups));
        if (err) {
            break;
        }
        c = &b->groups[b->n_groups++];
        c->key = col_dup(st, 0);
        c->items = yq_stmt_column_int64(st, 1);
        c->events = yq_stmt_column_int64(st, 2);
        if (!c->key) {
            err = ERR_NOMEM;
            break;
        }
    }
    if (!err && rc != YQ_DB_DONE) {
        err = fail(g, rc, "briefing groups");
    }
    yq_stmt_finalize(st);
    return err;
}

static void event_release(struct briefing_event *e)
{
    free(e->title);
    free(e->level);
    free(e->department);
    free(e->state);
    free(e->kind);
    free(e->ticket);
    memset(e, 0, sizeof(*e));
}

static int event_trend(struct gather *g, struct briefing_event *e, int64_t start, int64_t end)
{
    struct yq_stmt *st = NULL;
    int err, rc;

    err = prepare(g,
                  "SELECT (matched_at - ?2) / ?4, count(*) FROM event_items WHERE event_id = ?1 "
                  "AND matched_at >= ?2 AND matched_at < ?3 GROUP BY 1",
                  &st, "briefing trend");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, e->id);
    yq_stmt_bind_int64(st, 2, start);
    yq_stmt_bind_int64(st, 3, end);
    yq_stmt_bind_int64(st, 4, BRIEFING_TREND_BUCKET_S);
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        int64_t k = yq_stmt_column_int64(st, 0);
        if (k >= 0 && k < BRIEFING_TREND_BUCKETS) {
            e->trend[k] = yq_stmt_column_int64(st, 1);
        }
    }
    if (rc != YQ_DB_DONE) {
        err = fail(g, rc, "briefing trend");
    }
    yq_stmt_finalize(st);
    return err;
}

static int gather_events(struct gather *g, const struct briefing_cfg *cfg, struct briefing *b)
{
    struct yq_stmt *st = NULL;
    int err, rc;

    err = prepare_period(g, b,
                         "SELECT count(*), "
                         "coalesce(sum(CASE WHEN e.detected_at >= ?1 THEN 1 ELSE 0 END), 0) "
                         EVENTS_OF_PERIOD,
                         &st, "briefing event counts");
    if (err) {
        return err;
    }
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        b->events = yq_stmt_column_int64(st, 0);
        b->events_new = yq_stmt_column_int64(st, 1);
        b->events_continuing = b->events - b->events_new;
    } else {
        err = fail(g, rc, "briefing event counts");
    }
    yq_stmt_finalize(st);
    if (err) {
        return err;
    }
    err = prepare_period(
        g, b,
        "SELECT e.id, e.title, e.level, e.department, e.state, e.kind, "
        "coalesce(t.number, ''), e.detected_at, e.heat, "
        "(SELECT count(*) FROM event_items i WHERE i.event_id = e.id AND "
        "i.matched_at >= ?1 AND i.matched_at < ?2) n, "
        "(SELECT count(*) FROM event_items i WHERE i.event_id = e.id AND "
        "i.matched_at >= ?1 AND i.matched_at < ?2 AND i.sentiment = 'negative'), "
        "(SELECT count(*) FROM event_items i WHERE i.event_id = e.id AND "
        "i.matched_at >= ?1 AND i.matched_at < ?2 AND i.sentiment <> '') "
        "FROM events e LEFT JOIN tickets t ON t.id = e.ticket_id "
        "WHERE e.state <> 'merged' AND ((e.detected_at >= ?1 AND e.detected_at < ?2) "
        "OR EXISTS (SELECT 1 FROM event_items x WHERE x.event_id = e.id AND "
        "x.matched_at >= ?1 AND x.matched_at < ?2)) "
        "ORDER BY CASE e.level WHEN 'I' THEN 1 WHEN 'II' THEN 2 WHEN 'III' THEN 3 "
        "ELSE 4 END, n DESC, e.heat DESC, e.id LIMIT ?3",
        &st, "briefing events");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 3, cfg->max_events);
    b->list = calloc((size_t)cfg->max_events, sizeof(*b->list));
    if (!b->list) {
        yq_stmt_finalize(st);
        return ERR_NOMEM;
    }
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW && b->n_list < (size_t)cfg->max_events) {
        struct briefing_event *e = &b->list[b->n_list++];
        e->id = yq_stmt_column_int64(st, 0);
        e->title = col_dup(st, 1);
        e->level = col_dup(st, 2);
        e->department = col_dup(st, 3);
        e->state = col_dup(st, 4);
        e->kind = col_dup(st, 5);
        e->ticket = col_dup(st, 6);
        e->detected_at = yq_stmt_column_int64(st, 7);
        e->is_new = e->detected_at >= b->start;
        e->heat = yq_stmt_column_int64(st, 8);
        e->items = yq_stmt_column_int64(st, 9);
        e->negative = yq_stmt_column_int64(st, 10);
        e->sentiment_known = yq_stmt_column_int64(st, 11);
        if (!e->title || !e->level || !e->department || !e->state || !e->kind || !e->ticket) {
            err = ERR_NOMEM;
            break;
        }
    }
    if (!err && rc != YQ_DB_DONE && rc != YQ_DB_ROW) {
        err = fail(g, rc, "briefing events");
    }
    yq_stmt_finalize(st);
    for (size_t i = 0; !err && i < b->n_list; i++) {
        err = event_trend(g, &b->list[i], b->start, b->end);
    }
    return err;
}

/* The tickets' figures: the monthly statistics' definitions over the period (stats.h). */
static int gather_tickets(struct gather *g, struct briefing *b, int64_t now)
{
    struct stats_ticket_set set;
    struct stats_report *r = NULL;
    struct stats_opts opts;
    int err;

    memset(&set, 0, sizeof(set));
    memset(&opts, 0, sizeof(opts));
    err = stats_load(g->store->db, b->end, &set, g->errbuf, g->errlen);
    if (err) {
        return err;
    }
    opts.period = STATS_PERIOD_SPAN;
    opts.start = b->start;
    opts.end = b->end;
    opts.now = now;
    err = stats_compute(set.v, set.n, &opts, &r);
    if (err) {
        snprintf(g->errbuf, g->errlen, "briefing: ticket figures: %s", yq_strerror(err));
    }
    if (!err) {
        const struct stats_clock_tally *resp = &r->total.clocks[STATS_CLOCK_RESPONSE];
        b->handed_over = (int64_t)r->total.detected;
        b->responded = (int64_t)(resp->on_time + resp->late);
        b->responses = (int64_t)r->responses;
        b->closed = (int64_t)r->total.closed;
        b->overdue = (int64_t)r->total.overdue_tickets;
        if (r->n_overdue > 0 && !(b->overdue_list = calloc(r->n_overdue, sizeof(*b->overdue_list)))) {
            err = ERR_NOMEM;
        }
        for (size_t i = 0; !err && i < r->n_overdue; i++) {
            const struct stats_overdue *o = &r->overdue[i];
            struct briefing_overdue *d = &b->overdue_list[b->n_overdue_list++];
            d->number = strdup(o->number ? o->number : "");
            d->title = strdup(o->title ? o->title : "");
            d->department = strdup(o->department ? o->department : "");
            d->clock = strdup(stats_clock_terms[o->clock].label);
            snprintf(d->level, sizeof(d->level), "%s", yq_level_name(o->level));
            d->deadline = o->deadline;
            d->met_at = o->met_at;
            if (!d->number || !d->title || !d->department || !d->clock) {
                err = ERR_NOMEM;
            }
        }
    }
    stats_report_free(r);
    stats_ticket_set_release(&set);
    return err;
}

static void gather_sources(const struct briefing_env *env, struct briefing *b)
{
    struct briefing_source *v = NULL;
    size_t n = 0, k = 0;

    if (!env || !env->sources || env->sources(env->sources_ctx, &v, &n) != 0) {
        b->sources_known = false;
        return;
    }
    b->sources_known = true;
    b->n_sources = n;
    for (size_t i = 0; i < n; i++) {
        if (briefing_source_blind(&v[i])) {
            struct briefing_source tmp = v[k];
            v[k++] = v[i];
            v[i] = tmp;
        }
    }
    /* the blind first, in id order (a swap only moves a source that is not blind back) */
    for (size_t i = k; i < n; i++) {
        struct briefing_source one = v[i];
        free(one.id);
        free(one.name);
        free(one.kind);
        free(one.state);
        free(one.last_success);
        free(one.last_error);
    }
    if (k == 0) {
        free(v);
        v = NULL;
    }
    b->blind = v;
    b->n_blind = k;
}

struct kind_acc {
    struct briefing *b;
    size_t cap_kinds; /* of b->kinds */
    int err;
};

static int kind_row(const struct archive_row *row, void *arg)
{
    struct kind_acc *acc = arg;
    struct briefing *b = acc->b;
    const char *kind = row->item.source ? row->item.source : "";
    int err;

    b->archive_items++;
    for (size_t i = 0; i < b->n_kinds; i++) {
        if (strcmp(b->kinds[i].kind, kind) == 0) {
            b->kinds[i].items++;
            return 0;
        }
    }
    err = yq_array_reserve(&b->kinds, &acc->cap_kinds, b->n_kinds + 1, sizeof(*b->kinds));
    if (err) {
        return err;
    }
    b->kinds[b->n_kinds].items = 1;
    if (!(b->kinds[b->n_kinds].kind = strdup(kind))) {
        return ERR_NOMEM;
    }
    b->n_kinds++;
    return 0;
}

static void gather_archive(const struct briefing_env *env, struct briefing *b)
{
    struct archive_open_opts opts = {.flags = ARCHIVE_READONLY};
    struct archive_filter f;
    struct archive *a = NULL;
    struct kind_acc acc = {.b = b};
    char why[160] = "";
    int err;

    if (!env || !env->archive_dir || !env->archive_dir[0]) {
        b->archive_state = 0;
        return;
    }
    err = archive_open(env->archive_dir, &opts, &a, why, sizeof(why));
    if (!err) {
        memset(&f, 0, sizeof(f));
        f.since_s = b->start;
        f.until_s = b->end;
        err = archive_scan(a, &f, kind_row, &acc, why, sizeof(why));
        archive_close(a);
    }
    if (err) {
        b->archive_state = -1;
        snprintf(b->archive_note, sizeof(b->archive_note), "归档库不可用，未统计采集量（%s）",
                 why[0] ? why : yq_strerror(err));
        for (size_t i = 0; i < b->n_kinds; i++) {
            free(b->kinds[i].kind);
        }
        free(b->kinds);
        b->kinds = NULL;
        b->n_kinds = 0;
        b->archive_items = 0;
        return;
    }
    b->archive_state = 1;
}

int briefing_gather(struct ticket_store *store, const struct briefing_env *env, int64_t start,
                    int64_t end, int64_t now, struct briefing *out, char *errbuf, size_t errlen)
{
    const struct briefing_cfg *cfg = env && env->cfg ? env->cfg : briefing_cfg_defaults();
    struct gather g = {store, errbuf, errlen};
    int version = 0, err;
    char why[200] = "";

    memset(out, 0, sizeof(*out));
    out->start = start;
    out->end = end;
    out->generated_at = now;
    for (int l = 0; l < 4; l++) {
        if (!(out->levels[l].key = strdup(yq_level_name((enum yq_level)(l + 1))))) {
            return ERR_NOMEM;
        }
    }
    if (end <= start) {
        snprintf(errbuf, errlen, "briefing: the period ends before it starts");
        return ERR_INVALID;
    }
    err = yq_db_schema_version(store->db, &version, why, sizeof(why));
    if (err || version < 10) {
        snprintf(errbuf, errlen, "briefing: ticket store schema %d has no reports table (run "
                 "yuqingctl store migrate)%s%s", version, why[0] ? ": " : "", why);
        return err == ERR_RETRY ? ERR_RETRY : ERR_BAD_STATE;
    }
    err = gather_items(&g, out);
    if (!err) {
        err = gather_groups(&g, out);
    }
    if (!err) {
        err = gather_events(&g, cfg, out);
    }
    if (!err) {
        err = gather_tickets(&g, out, now);
    }
    if (!err && version >= 11) {
        /* issue #15: the windows open at the cut-off */
        int64_t cut = now < end ? now : end;
        err = source_blind_list(store, NULL, cut, cut, BRIEFING_MAX_BLIND_WINDOWS,
                                &out->blind_windows);
        if (err && err != ERR_NOMEM) {
            snprintf(errbuf, errlen, "briefing: cannot read the blind windows: %s",
                     ticket_store_errmsg(store));
        }
    }
    if (err == ERR_NOMEM) {
        snprintf(errbuf, errlen, "out of memory");
    }
    if (!err) {
        gather_sources(env, out);
        gather_archive(env, out);
    }
    return err;
}

void briefing_release(struct briefing *b)
{
    if (!b) {
        return;
    }
    for (int l = 0; l < 4; l++) {
        free(b->levels[l].key);
    }
    for (size_t i = 0; i < b->n_groups; i++) {
        free(b->groups[i].key);
    }
    free(b->groups);
    for (size_t i = 0; i < b->n_list; i++) {
        event_release(&b->list[i]);
    }
    free(b->list);
    for (size_t i = 0; i < b->n_overdue_list; i++) {
        free(b->overdue_list[i].number);
        free(b->overdue_list[i].title);
        free(b->overdue_list[i].department);
        free(b->overdue_list[i].clock);
    }
    free(b->overdue_list);
    briefing_sources_free(b->blind, b->n_blind);
    source_blind_list_release(&b->blind_windows);
    for (size_t i = 0; i < b->n_kinds; i++) {
        free(b->kinds[i].kind);
    }
    free(b->kinds);
    memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------------------------ the summary */

#define SUMMARY_MAX_BYTES 4096

/* "12月4日08:00" of t (Beijing time) into buf. */
static const char *short_time(int64_t t, char *buf, size_t len)
{
    int64_t days = floor_div(t + YQ_SHANGHAI_OFFSET_S, 86400), y;
    int64_t sec = t + YQ_SHANGHAI_OFFSET_S - days * 86400;
    unsigned m, d;

    yq_time_civil_from_days(days, &y, &m, &d);
    snprintf(buf, len, "%u月%u日%02d:%02d", m, d, (int)(sec / 3600), (int)(sec % 3600 / 60));
    return buf;
}

/*
 * Text as one line (yq_text_one_line(): an event title's line breaks cannot add lines to the
 * robots' summary, invalid bytes are U+FFFD) cut to at most max_bytes on a character boundary,
 * "…" added when cut.
 */
static void add_cut(struct stats_out *o, const char *text, size_t max_bytes)
{
    char *s = NULL;
    size_t n;

    if (yq_text_one_line(text, &s)) {
        o->err = o->err ? o->err : ERR_NOMEM;
        return;
    }
    n = strlen(s);
    if (n <= max_bytes) {
        stats_out_adds(o, s);
        free(s);
        return;
    }
    while (max_bytes > 0 && ((unsigned char)s[max_bytes] & 0xC0) == 0x80) {
        max_bytes--;
    }
    stats_out_add(o, s, max_bytes);
    stats_out_adds(o, "…");
    free(s);
}

int briefing_summary(const struct briefing *b, int64_t top_events, const char *link, char **out)
{
    struct yq_buf buf;
    struct stats_out o;
    char t1[40], t2[40];
    size_t shown = 0;

    *out = NULL;
    yq_buf_init(&buf, SUMMARY_MAX_BYTES + 1024);
    o = stats_out_on(&buf);
    stats_out_addf(&o, "【舆情日报】%s—%s\n", short_time(b->start, t1, sizeof(t1)),
                   short_time(b->end, t2, sizeof(t2)));
    stats_out_addf(&o, "监测到涉及本地信息 %lld 条；事件 %lld 起（新增 %lld，持续 %lld）",
                   (long long)b->items, (long long)b->events, (long long)b->events_new,
                   (long long)b->events_continuing);
    stats_out_addf(&o, "；Ⅰ级 %lld、Ⅱ级 %lld、Ⅲ级 %lld、Ⅳ级 %lld 起\n",
                   (long long)b->levels[0].events, (long long)b->levels[1].events,
                   (long long)b->levels[2].events, (long long)b->levels[3].events);
    for (size_t i = 0; i < b->n_list && (int64_t)shown < top_events; i++) {
        const struct briefing_event *e = &b->list[i];
        stats_out_addf(&o, "%s%zu. ", shown == 0 ? "重点事件：" : "；", shown + 1);
        add_cut(&o, e->title, 90);
        stats_out_addf(&o, "（%s级，%lld条）", e->level, (long long)e->items);
        shown++;
    }
    if (shown) {
        stats_out_adds(&o, "\n");
    }
    stats_out_addf(&o, "交办 %lld 件，回应 %lld 件，办结 %lld 件，超期 %lld 件",
                   (long long)b->handed_over, (long long)b->responded, (long long)b->closed,
                   (long long)b->overdue);
    for (size_t i = 0; i < b->n_overdue_list && i < 5; i++) {
        stats_out_addf(&o, "%s%s %s", i == 0 ? "：" : "；", b->overdue_list[i].number,
                       b->overdue_list[i].clock);
    }
    if (b->n_overdue_list > 5) {
        stats_out_adds(&o, " 等");
    }
    stats_out_adds(&o, "\n");
    if (!b->sources_known) {
        stats_out_adds(&o, "来源状态未知\n");
    } else if (b->n_blind > 0) {
        stats_out_addf(&o, "当前失效来源 %zu 个：", b->n_blind);
        for (size_t i = 0; i < b->n_blind && i < 5; i++) {
            stats_out_adds(&o, i ? "、" : "");
            add_cut(&o, b->blind[i].name, 60);
        }
        stats_out_adds(&o, b->n_blind > 5 ? " 等\n" : "\n");
    } else {
        stats_out_addf(&o, "全部 %zu 个来源采集正常\n", b->n_sources);
    }
    if (b->blind_windows.n > 0) { /* issue #15 */
        const struct source_blind_list *bw = &b->blind_windows;
        stats_out_addf(&o, "监测盲区 %zu 处：", bw->n);
        for (size_t i = 0; i < bw->n && i < 5; i++) {
            char since[32];
            stats_out_adds(&o, i ? "、" : "");
            add_cut(&o, bw->v[i].source_name[0] ? bw->v[i].source_name : bw->v[i].source_id, 60);
            stats_out_addf(&o, "（%s，自 %s）", yq_label(YQ_LABEL_BLIND_REASON, bw->v[i].reason),
                           yq_time_format_shanghai(bw->v[i].started_at, since, sizeof(since)));
        }
        stats_out_adds(&o, bw->n > 5 ? " 等\n" : "\n");
    }
    if (link && link[0]) {
        stats_out_addf(&o, "全文：%s\n", link);
    }
    return stats_out_finish(&o, out, NULL);
}
