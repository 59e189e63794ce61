#include "stats_load.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_defs.h"
#include "yq_array.h"
#include "yq_departments.h"
#include "yq_err.h"
#include "yq_db.h"
#include "yq_json.h"
#include "yq_banned.h"

/* ------------------------------------------------------------- arena */

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    max_align_t data[];
};

struct stats_arena {
    struct arena_block *head;
};

static void *arena_alloc(struct stats_arena *a, size_t len)
{
    size_t need = (len + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    struct arena_block *b = a->head;

    if (!b || b->cap - b->used < need) {
        size_t cap = need > 65536 ? need : 65536;
        b = malloc(sizeof(*b) + cap);
        if (!b) {
            return NULL;
        }
        b->next = a->head;
        b->used = 0;
        b->cap = cap;
        a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += need;
    return p;
}

static const char *arena_strdup(struct stats_arena *a, const char *s)
{
    size_t n = strlen(s ? s : "");
    char *p = arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s ? s : "", n + 1);
    }
    return p;
}

void stats_ticket_set_release(struct stats_ticket_set *set)
{
    if (!set) {
        return;
    }
    free(set->v);
    free(set->events);
    if (set->arena) {
        struct arena_block *b = set->arena->head;
        while (b) {
            struct arena_block *next = b->next;
            free(b);
            b = next;
        }
        free(set->arena);
    }
    memset(set, 0, sizeof(*set));
}

/* ------------------------------------------------------------- SQLite */

int stats_db_open(const char *path, int64_t busy_timeout_ms, struct yq_db **out, char *errbuf,
                  size_t errlen)
{
    int err = yq_db_open(path, YQ_DB_READONLY_OPEN,
                             busy_timeout_ms > 0 && busy_timeout_ms < 600000 ? busy_timeout_ms
                                                                             : 5000,
                             out, errbuf, errlen);
    if (err == ERR_NOT_FOUND) {
        char where[512];
        yq_db_redact(path, where, sizeof(where));
        snprintf(errbuf, errlen, "交办单库 '%s' 不存在 (ticket store '%s' does not exist)", where,
                 where);
    }
    return err;
}

struct loader {
    struct yq_db *db;
    struct stats_ticket_set *set;
    int64_t *ids; /* set->v[i] has ticket id ids[i]; ascending */
    char *errbuf;
    size_t errlen;
    /* per-ticket arrays, built in a second pass */
    size_t *n_changes, *n_alerts, *n_responses;
};

static int fail(struct loader *l, int rc, const char *what)
{
    return yq_db_fail(l->db, rc, what, l->errbuf, l->errlen);
}

static int prepare(struct loader *l, const char *sql, struct yq_stmt **st, const char *what)
{
    return yq_db_prepare(l->db, sql, st, what, l->errbuf, l->errlen);
}

static int64_t col_time(struct yq_stmt *st, int i)
{
    return yq_stmt_column_type(st, i) == YQ_DB_NULL ? 0 : yq_stmt_column_int64(st, i);
}

static const char *col_text(struct yq_stmt *st, int i)
{
    const char *s = yq_stmt_column_text(st, i);
    return s ? (const char *)s : "";
}

static long find_ticket(const struct loader *l, int64_t id)
{
    size_t lo = 0, hi = l->set->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->ids[mid] < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < l->set->n && l->ids[lo] == id ? (long)lo : -1;
}

static int schema_version(struct loader *l, int *out)
{
    int err = yq_db_schema_version(l->db, out, l->errbuf, l->errlen);
    if (!err && *out == 0) {
        snprintf(l->errbuf, l->errlen, "not a ticket store (no schema_version table)");
        return ERR_BAD_STATE;
    }
    return err;
}

static const char sql_tickets_v2[] =
    "SELECT id, number, title, level, department, detected_at, assigned_at, acknowledged_at,"
    " responded_at, press_held_at, closed_at, dismissed_at, returned_at, ack_deadline,"
    " response_deadline, press_deadline, close_deadline"
    " FROM tickets WHERE detected_at < ?1 ORDER BY id";
static const char sql_tickets_v1[] =
    "SELECT id, number, title, level, department, detected_at, NULL, NULL, NULL, NULL, NULL,"
    " NULL, NULL, ack_deadline, response_deadline, NULL, NULL"
    " FROM tickets WHERE detected_at < ?1 ORDER BY id";

static enum yq_level level_of(const char *s)
{
    enum yq_level lv = YQ_LEVEL_IV;
    if (yq_level_parse(s, &lv) != 0) {
        lv = YQ_LEVEL_IV;
    }
    return lv;
}

static int load_tickets(struct loader *l, int64_t before, int version)
{
    struct yq_stmt *st = NULL;
    size_t cap = 0, cap_ids = 0;
    int rc, err;

    err = prepare(l, version >= 2 ? sql_tickets_v2 : sql_tickets_v1, &st, "select tickets");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, before);
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        struct stats_ticket *t;
        err = yq_array_reserve(&l->set->v, &cap, l->set->n + 1, sizeof(*l->set->v));
        if (!err) {
            err = yq_array_reserve(&l->ids, &cap_ids, l->set->n + 1, sizeof(*l->ids));
        }
        if (err) {
            break;
        }
        t = &l->set->v[l->set->n];
        memset(t, 0, sizeof(*t));
        l->ids[l->set->n] = yq_stmt_column_int64(st, 0);
        t->number = arena_strdup(l->set->arena, col_text(st, 1));
        t->title = arena_strdup(l->set->arena, col_text(st, 2));
        t->level = level_of(col_text(st, 3));
        t->department = arena_strdup(l->set->arena, col_text(st, 4));
        t->detected_at = col_time(st, 5);
        t->assigned_at = col_time(st, 6);
        t->acknowledged_at = col_time(st, 7);
        t->responded_at = col_time(st, 8);
        t->press_held_at = col_time(st, 9);
        t->closed_at = col_time(st, 10);
        t->dismissed_at = col_time(st, 11);
        t->returned_at = col_time(st, 12);
        t->ack_deadline = col_time(st, 13);
        t->response_deadline = col_time(st, 14);
        t->press_deadline = col_time(st, 15);
        t->close_deadline = col_time(st, 16);
        if (!t->number || !t->title || !t->department) {
            err = ERR_NOMEM;
            break;
        }
        l->set->n++;
    }
    if (!err && rc != YQ_DB_DONE) {
        err = fail(l, rc, "select tickets");
    }
    yq_stmt_finalize(st);
    return err;
}

/* The first element of a JSON array of strings, or "" (rule_ids is written by the notifier). */
static const char *first_rule(struct stats_arena *a, const char *json)
{
    json_t *arr = yq_json_column_array(json, "rule_ids");
    const char *out;

    out = arena_strdup(
        a, json_is_string(json_array_get(arr, 0)) ? json_string_value(json_array_get(arr, 0)) : "");
    json_decref(arr);
    return out;
}

/*
 * The "group" the notifier stored for rule_id in an item's matches (a JSON array of
 * {"rule_id","group",...}; "group" since alerts carry it), copied into the arena; NULL in
 * *out when absent (items stored before). Returns 0 or ERR_NOMEM.
 */
static int stored_group(struct stats_arena *a, const char *rule_id, const char *matches_json,
                        const char **out)
{
    json_t *arr;
    size_t i;
    const json_t *m;
    int err = 0;

    *out = NULL;
    if (!rule_id || !*rule_id) {
        return 0;
    }
    arr = yq_json_column_array(matches_json, "matches");
    json_array_foreach(arr, i, m)
    {
        const json_t *g = json_object_get(m, "group");
        if (json_is_string(json_object_get(m, "rule_id")) &&
            strcmp(json_string_value(json_object_get(m, "rule_id")), rule_id) == 0) {
            if (json_is_string(g) && json_string_length(g) > 0) {
                *out = arena_strdup(a, json_string_value(g));
                err = *out ? 0 : ERR_NOMEM;
            }
            break;
        }
    }
    json_decref(arr);
    return err;
}

/*
 * Rows of (ticket_id, ...) ordered by ticket_id: count per ticket (pass 1) or fill (pass 2).
 * fill(l, idx, st, k) stores the row as the k-th entry of ticket idx.
 */
typedef int (*row_fn)(struct loader *l, size_t idx, struct yq_stmt *st, size_t k);

static int for_rows(struct loader *l, const char *sql, const char *what, size_t *counts,
                    row_fn fill)
{
    struct yq_stmt *st = NULL;
    size_t *seen = NULL;
    int rc, err;

    err = prepare(l, sql, &st, what);
    if (err) {
        return err;
    }
    if (fill) {
        seen = calloc(l->set->n + 1, sizeof(*seen));
        if (!seen) {
            yq_stmt_finalize(st);
            return ERR_NOMEM;
        }
    }
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        long idx = find_ticket(l, yq_stmt_column_int64(st, 0));
        if (idx < 0) {
            continue; /* detected after the window */
        }
        if (!fill) {
            counts[idx]++;
        } else if (seen[idx] < counts[idx]) {
            /* the snapshot is the same in both passes; the bound only guards the arrays */
            err = fill(l, (size_t)idx, st, seen[idx]++);
            if (err) {
                break;
            }
        }
    }
    if (!err && rc != YQ_DB_DONE) {
        err = fail(l, rc, what);
    }
    free(seen);
    yq_stmt_finalize(st);
    return err;
}

static int fill_first_item(struct loader *l, size_t idx, struct yq_stmt *st, size_t k)
{
    struct stats_ticket *t = &l->set->v[idx];
    const char *src = col_text(st, 1);
    if (k > 0) {
        return 0;
    }
    t->source = arena_strdup(l->set->arena, *src ? src : col_text(st, 2));
    t->source_name = arena_strdup(l->set->arena, col_text(st, 5));
    t->rule_id = first_rule(l->set->arena, col_text(st, 3));
    if (!t->source || !t->source_name || !t->rule_id) {
        return ERR_NOMEM;
    }
    return stored_group(l->set->arena, t->rule_id, col_text(st, 4), &t->rule_group);
}

static int fill_alert(struct loader *l, size_t idx, struct yq_stmt *st, size_t k)
{
    ((int64_t *)l->set->v[idx].alert_at)[k] = col_time(st, 1);
    l->set->v[idx].n_alerts = k + 1;
    return 0;
}

static int fill_change(struct loader *l, size_t idx, struct yq_stmt *st, size_t k)
{
    struct stats_state_change *ch = (struct stats_state_change *)l->set->v[idx].changes;
    enum ticket_state s;
    if (ticket_state_parse(col_text(st, 2), &s) != 0) {
        return 0; /* a state this build does not know: skip rather than guess */
    }
    ch[l->set->v[idx].n_changes].at = col_time(st, 1);
    ch[l->set->v[idx].n_changes].state = s;
    l->set->v[idx].n_changes++;
    (void)k;
    return 0;
}

static int fill_response(struct loader *l, size_t idx, struct yq_stmt *st, size_t k)
{
    struct stats_response *r = (struct stats_response *)l->set->v[idx].responses;
    r[k].at = col_time(st, 1);
    r[k].recorded_at = col_time(st, 3);
    r[k].channel = arena_strdup(l->set->arena, col_text(st, 2));
    l->set->v[idx].n_responses = k + 1;
    return r[k].channel ? 0 : ERR_NOMEM;
}

static const char sql_items[] = "SELECT ticket_id, source_id, source, rule_ids, matches, channel"
                                " FROM ticket_items ORDER BY ticket_id, id";
static const char sql_alerts_v1[] = "SELECT ticket_id, added_at FROM ticket_items"
                                    " ORDER BY ticket_id, added_at";
static const char sql_alerts_v2[] =
    "SELECT ticket_id, at FROM ("
    " SELECT ticket_id, added_at AS at FROM ticket_items"
    " UNION ALL"
    " SELECT r.ticket_id, r.added_at FROM ticket_item_revisions r"
    "  WHERE r.id > (SELECT min(r2.id) FROM ticket_item_revisions r2"
    "                WHERE r2.ticket_id = r.ticket_id AND r2.item_id = r.item_id)) AS a"
    " ORDER BY ticket_id, at";
static const char sql_changes[] = "SELECT ticket_id, at, to_state FROM ticket_log"
                                  " WHERE to_state <> '' ORDER BY ticket_id, at, id";
/* in the order they were recorded: the first recorded response is the first response */
static const char sql_responses[] = "SELECT ticket_id, responded_at, channel, recorded_at"
                                    " FROM ticket_responses ORDER BY ticket_id, recorded_at, id";
/* schema 12: the clocks each ticket was given (at most STATS_CLOCK_SETS_MAX per ticket read) */
static const char sql_clock_sets[] =
    "SELECT ticket_id, at, department, level, assigned_at, ack_deadline, response_deadline,"
    " press_deadline, close_deadline FROM ticket_clock_history ORDER BY ticket_id, at, id";

static int fill_clock_set(struct loader *l, size_t idx, struct yq_stmt *st, size_t k)
{
    struct stats_ticket *t = &l->set->v[idx];
    struct stats_clock_set *v = (struct stats_clock_set *)t->clock_sets;
    struct stats_clock_set *cs;

    if (k >= STATS_CLOCK_SETS_MAX) {
        return 0; /* counts were capped: the first ones are kept */
    }
    cs = &v[k];
    cs->at = col_time(st, 1);
    cs->department = arena_strdup(l->set->arena, col_text(st, 2));
    cs->level = level_of(col_text(st, 3));
    cs->assigned_at = col_time(st, 4);
    cs->ack_deadline = col_time(st, 5);
    cs->response_deadline = col_time(st, 6);
    cs->press_deadline = col_time(st, 7);
    cs->close_deadline = col_time(st, 8);
    t->n_clock_sets = k + 1;
    return cs->department ? 0 : ERR_NOMEM;
}

/* Allocate per-ticket arrays of counts[i] elements of size each into *field of ticket i. */
static int alloc_arrays(struct loader *l, const size_t *counts, size_t size, size_t offset)
{
    for (size_t i = 0; i < l->set->n; i++) {
        void *p = NULL;
        if (counts[i] > 0 && !(p = arena_alloc(l->set->arena, counts[i] * size))) {
            return ERR_NOMEM;
        }
        memcpy((char *)&l->set->v[i] + offset, &p, sizeof(p));
    }
    return 0;
}

static int load_related(struct loader *l, int version)
{
    size_t n = l->set->n ? l->set->n : 1;
    size_t *c_alerts = calloc(n, sizeof(size_t));
    size_t *c_changes = calloc(n, sizeof(size_t));
    size_t *c_resp = calloc(n, sizeof(size_t));
    size_t *c_items = calloc(n, sizeof(size_t));
    size_t *c_sets = calloc(n, sizeof(size_t));
    const char *alerts_sql = version >= 2 ? sql_alerts_v2 : sql_alerts_v1;
    int err = ERR_NOMEM;

    if (!c_alerts || !c_changes || !c_resp || !c_items || !c_sets) {
        goto done;
    }
    if ((err = for_rows(l, sql_items, "select items", c_items, NULL)) ||
        (err = for_rows(l, sql_items, "select items", c_items, fill_first_item)) ||
        (err = for_rows(l, alerts_sql, "select alerts", c_alerts, NULL)) ||
        (err = alloc_arrays(l, c_alerts, sizeof(int64_t),
                            offsetof(struct stats_ticket, alert_at))) ||
        (err = for_rows(l, alerts_sql, "select alerts", c_alerts, fill_alert))) {
        goto done;
    }
    if (version >= 2) {
        if ((err = for_rows(l, sql_changes, "select log", c_changes, NULL)) ||
            (err = alloc_arrays(l, c_changes, sizeof(struct stats_state_change),
                                offsetof(struct stats_ticket, changes))) ||
            (err = for_rows(l, sql_changes, "select log", c_changes, fill_change)) ||
            (err = for_rows(l, sql_responses, "select responses", c_resp, NULL)) ||
            (err = alloc_arrays(l, c_resp, sizeof(struct stats_response),
                                offsetof(struct stats_ticket, responses))) ||
            (err = for_rows(l, sql_responses, "select responses", c_resp, fill_response))) {
            goto done;
        }
    }
    if (version >= 12) {
        if ((err = for_rows(l, sql_clock_sets, "select clock history", c_sets, NULL))) {
            goto done;
        }
        for (size_t i = 0; i < l->set->n; i++) {
            c_sets[i] = c_sets[i] < STATS_CLOCK_SETS_MAX ? c_sets[i] : STATS_CLOCK_SETS_MAX;
        }
        if ((err = alloc_arrays(l, c_sets, sizeof(struct stats_clock_set),
                                offsetof(struct stats_ticket, clock_sets))) ||
            (err = for_rows(l, sql_clock_sets, "select clock history", c_sets, fill_clock_set))) {
            goto done;
        }
    }
    for (size_t i = 0; i < l->set->n; i++) {
        struct stats_ticket *t = &l->set->v[i];
        if (!t->source) {
            t->source = "";
            t->rule_id = "";
        }
    }
    err = 0;
done:
    free(c_alerts);
    free(c_changes);
    free(c_resp);
    free(c_items);
    free(c_sets);
    return err;
}

/* ------------------------------------------------------------- events (schema 9) */

/*
 * auto_assigned: the event was handed over by policy (state 'auto_assigned' now or in its
 * log) or is a ticket from before the desk (judged by 'system', migration 9). confirmed_at /
 * confirmed_to: the first log row leaving 'auto_assigned'.
 */
static const char sql_events[] =
    "SELECT e.kind, e.state, e.detected_at, e.judge_deadline, e.judged_at, e.judged_by,"
    " e.outcome, e.dismiss_reason, e.rule_groups,"
    " (SELECT l.at FROM event_log l WHERE l.event_id = e.id AND l.from_state = 'auto_assigned'"
    "   ORDER BY l.at, l.id LIMIT 1),"
    " (SELECT l.to_state FROM event_log l WHERE l.event_id = e.id"
    "   AND l.from_state = 'auto_assigned' ORDER BY l.at, l.id LIMIT 1),"
    " EXISTS (SELECT 1 FROM event_log l WHERE l.event_id = e.id"
    "   AND (l.from_state = 'auto_assigned' OR l.to_state = 'auto_assigned'))"
    " FROM events e WHERE e.detected_at < ?1 ORDER BY e.id";

/* The most rule groups read per event (an alert carries a handful). */
#define STATS_EVENT_GROUPS_MAX 64

static enum stats_outcome outcome_of(const char *s)
{
    for (int i = 0; i < STATS_OUTCOME_COUNT; i++) {
        if (strcmp(s, stats_outcome_terms[i].name) == 0) {
            return (enum stats_outcome)i;
        }
    }
    return STATS_OUTCOME_ASSIGNED; /* '' of a confirmed 交办待确认 event: handed over */
}

static enum stats_reason reason_of(const char *s)
{
    for (int i = 0; i < STATS_REASON_COUNT; i++) {
        if (strcmp(s, stats_reason_terms[i].name) == 0) {
            return (enum stats_reason)i;
        }
    }
    return STATS_REASON_OTHER;
}

/* events.rule_groups (a JSON array of strings; anything else reads as none) into e. */
static int event_groups(struct stats_arena *a, const char *json, struct stats_event *e)
{
    json_t *arr = yq_json_column_array(json, "rule_groups");
    const char **v = NULL;
    size_t n = 0, i;
    const json_t *g;
    int err = 0;

    if (json_array_size(arr) > 0) {
        size_t cap = json_array_size(arr);
        cap = cap < STATS_EVENT_GROUPS_MAX ? cap : STATS_EVENT_GROUPS_MAX;
        v = arena_alloc(a, cap * sizeof(*v));
        err = v ? 0 : ERR_NOMEM;
        json_array_foreach(arr, i, g)
        {
            if (err || n == cap) {
                break;
            }
            if (json_is_string(g) && json_string_length(g) > 0) {
                if (!(v[n++] = arena_strdup(a, json_string_value(g)))) {
                    err = ERR_NOMEM;
                }
            }
        }
    }
    json_decref(arr);
    e->groups = v;
    e->n_groups = err ? 0 : n;
    return err;
}

static int load_events(struct loader *l, int64_t before)
{
    struct yq_stmt *st = NULL;
    size_t cap = 0;
    int rc, err;

    err = prepare(l, sql_events, &st, "select events");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, before);
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        struct stats_event *e;
        const char *state = col_text(st, 1);
        bool auto_state = strcmp(state, "auto_assigned") == 0;
        bool system = strcmp(col_text(st, 5), "system") == 0;
        int64_t confirmed_at = col_time(st, 9);

        err =
            yq_array_reserve(&l->set->events, &cap, l->set->n_events + 1, sizeof(*l->set->events));
        if (err) {
            break;
        }
        e = &l->set->events[l->set->n_events];
        memset(e, 0, sizeof(*e));
        e->spike = strcmp(col_text(st, 0), "spike") == 0;
        e->auto_assigned = auto_state || system || yq_stmt_column_int(st, 11) != 0;
        e->detected_at = col_time(st, 2);
        e->judge_deadline = col_time(st, 3);
        if (!e->auto_assigned) {
            e->decided_at = col_time(st, 4);
            e->outcome = outcome_of(col_text(st, 6));
        } else if (confirmed_at > 0) {
            e->decided_at = confirmed_at; /* the confirmation is the decision */
            e->outcome = outcome_of(col_text(st, 10));
        } else if (!auto_state) {
            e->decided_at = col_time(st, 4); /* a ticket from before the desk */
            e->outcome = STATS_OUTCOME_ASSIGNED;
        }
        e->reason = reason_of(col_text(st, 7));
        err = event_groups(l->set->arena, col_text(st, 8), e);
        if (err) {
            break;
        }
        l->set->n_events++;
    }
    if (!err && rc != YQ_DB_DONE) {
        err = fail(l, rc, "select events");
    }
    yq_stmt_finalize(st);
    return err;
}

/* The newest ticket store schema the loader knows (notifier's TICKET_STORE_SCHEMA_VERSION). */
#define STATS_SCHEMA_MAX 16

int stats_load(struct yq_db *db, int64_t before, struct stats_ticket_set *out, char *errbuf,
               size_t errlen)
{
    struct loader l = {.db = db, .set = out, .errbuf = errbuf, .errlen = errlen};
    char dummy[8];
    int version = 0;
    int rc, err;

    if (!errbuf) {
        l.errbuf = dummy;
        l.errlen = sizeof(dummy);
    }
    memset(out, 0, sizeof(*out));
    out->arena = calloc(1, sizeof(*out->arena));
    if (!out->arena) {
        return ERR_NOMEM;
    }
    /* one read transaction: every query sees the same snapshot while the notifier writes */
    rc = yq_db_exec_raw(db, "BEGIN");
    if (rc != YQ_DB_OK) {
        err = fail(&l, rc, "begin read");
        goto done;
    }
    err = schema_version(&l, &version);
    /*
     * schema 3 only adds ticket_items.author, 4 tickets.rules_unverified/rules_checked_at
     * (issue #10), 5 and 6 the table held_items (issue #11), 7 indexes and 8 the web accounts'
     * tables (issue #12); the statistics read none of them. 9 adds the 研判 inbox (issue #13):
     * its events are read for the 研判 figures. 10 adds saved searches and reports (issue #14),
     * which the statistics do not read. 11 adds official posts, proposed responses and the
     * sources' blind windows (issue #15). 12 adds the clock history (read: every 签收 and 办结
     * clock a ticket had, and who held it) and the published reports (issue #17). 13 adds the
     * outbox claims and the change triggers (issue #16); 14 the items' fetch, match and intake
     * times in milliseconds (issue #16): the statistics read neither. 15 adds the SQL
     * function yq_json_array() on PostgreSQL (stored JSON arrays read safely in filters),
     * which the statistics do not use (they read those columns in C); 16 the write probe's
     * table store_probe, which they do not read.
     */
    if (!err && (version < 1 || version > STATS_SCHEMA_MAX)) {
        snprintf(l.errbuf, l.errlen,
                 "ticket store schema version %d is not supported (this build reads 1 to %d)",
                 version, STATS_SCHEMA_MAX);
        err = ERR_BAD_STATE;
    }
    if (!err) {
        out->schema_version = version;
        err = load_tickets(&l, before, version);
    }
    if (!err) {
        err = load_related(&l, version);
    }
    if (!err && version >= 9) {
        out->has_events = true;
        err = load_events(&l, before);
    }
    yq_db_exec_raw(db, "COMMIT");
done:
    free(l.ids);
    if (err) {
        stats_ticket_set_release(out);
    }
    return err;
}
