/*
 * The events rows as intake reads them, and what a batch of intake knows of the store (issue
 * #16, ticket_intake_batch()): the lookups at its start, its cached copies of events kept
 * current or dropped, the ticket items and revisions it covers (ticket_intake_int.h), and its
 * per-batch writes of event counters and 突增 counts. Shared with event_intake.c through
 * event_intake_int.h; calls nothing there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "event_intake_int.h"
#include "silence.h"
#include "spike.h"
#include "ticket_store_int.h"
#include "yq_array.h"
#include "yq_err.h"
#include "yq_time.h"

/* --- events rows (issue #13, docs/desk.md) ------------------------------------------------- */

void event_ref_release(struct event_ref *e)
{
    free(e->event_key);
    free(e->rule_ids);
    free(e->rule_groups);
    free(e->source_kinds);
    memset(e, 0, sizeof(*e));
}

/* The event with its ticket's number, item count and state: one round trip (issue #16). */
#define EVENT_READ_SQL                                                                             \
    "SELECT e.id, e.state, coalesce(e.ticket_id, 0), coalesce(e.merged_into, 0), "                 \
    "e.last_item_at, e.rule_ids, e.rule_groups, e.source_kinds, e.event_key, e.level, "            \
    "e.detected_at, e.item_count, coalesce(t.id, 0), t.number, coalesce(t.item_count, 0), "        \
    "coalesce(t.state, '') FROM events e LEFT JOIN tickets t ON t.id = e.ticket_id "

static int event_row(struct yq_stmt *st, struct event_ref *e);

/*
 * The events row WHERE event_key = key (key non-NULL) or id = id into e; *found false when
 * there is none (e zeroed).
 */
int event_read(struct ticket_store *store, const char *key, int64_t id, struct event_ref *e,
               bool *found)
{
    struct yq_stmt *st = NULL;
    int rc, err;

    memset(e, 0, sizeof(*e));
    *found = false;
    err = ticket_store_prepare(
        store, key ? EVENT_READ_SQL "WHERE e.event_key = ?" : EVENT_READ_SQL "WHERE e.id = ?", &st,
        "event lookup");

    if (err) {
        return err;
    }
    if (key) {
        yq_stmt_bind_text(st, 1, key);
    } else {
        yq_stmt_bind_int64(st, 1, id);
    }
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        err = event_row(st, e);
        *found = err == 0;
    } else if (rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, "event lookup");
    }
    yq_stmt_finalize(st);
    return err;
}

/* e from the current row of an EVENT_READ_SQL statement. Returns 0 or ERR_NOMEM (e zeroed). */
static int event_row(struct yq_stmt *st, struct event_ref *e)
{
    memset(e, 0, sizeof(*e));
    {
        e->id = yq_stmt_column_int64(st, 0);
        snprintf(e->state, sizeof(e->state), "%s", yq_stmt_column_text(st, 1));
        e->ticket_id = yq_stmt_column_int64(st, 2);
        e->merged_into = yq_stmt_column_int64(st, 3);
        e->last_item_at = yq_stmt_column_int64(st, 4);
        e->rule_ids = strdup(yq_stmt_column_text(st, 5));
        e->rule_groups = strdup(yq_stmt_column_text(st, 6));
        e->source_kinds = strdup(yq_stmt_column_text(st, 7));
        e->event_key = strdup(yq_stmt_column_text(st, 8));
        if (yq_level_parse(yq_stmt_column_text(st, 9), &e->level) != 0) {
            e->level = YQ_LEVEL_IV;
        }
        e->detected_at = yq_stmt_column_int64(st, 10);
        e->item_count = yq_stmt_column_int64(st, 11);
        e->ticket_found = e->ticket_id > 0 && yq_stmt_column_int64(st, 12) == e->ticket_id;
        if (e->ticket_found) {
            snprintf(e->ticket_number, sizeof(e->ticket_number), "%s",
                     ticket_store_nz(yq_stmt_column_text(st, 13)));
            e->ticket_items = yq_stmt_column_int64(st, 14);
            e->ticket_closed =
                strcmp(yq_stmt_column_text(st, 15), ticket_state_name(TICKET_STATE_CLOSED)) == 0;
        }
        if (!e->rule_ids || !e->rule_groups || !e->source_kinds || !e->event_key) {
            event_ref_release(e);
            return ERR_NOMEM;
        }
    }
    return 0;
}

/*
 * --- What a batch knows of the store (issue #16) -----------------------------------------
 *
 * ticket_intake_batch() holds the writers' lock for the whole batch, so nothing but its own
 * alerts changes the events it reads. It reads the events of all its alerts' keys and which
 * of its item ids each event already has, in a few queries at its start (KNOWN_CHUNK keys a
 * query), and each alert then takes its event from there instead of a read that waits for
 * the server; the alert's writes keep the copy current (event_add_item()) or, where intake
 * changes more than the copy follows (event_ref.stale), drop it, so the next alert of that
 * event reads the row again. Knowing whether its item is new, an alert's event_items insert
 * need not wait for its answer (a deferred statement, yq_db.h); the same for the ticket_items
 * and revisions of the tickets it covers (ticket_intake_int.h).
 */
#define KNOWN_CHUNK 64

/* A row of event_items (id: event_id), ticket_items (ticket id, hash NULL) or revisions. */
struct known_item {
    int64_t event_id;
    char *item_id; /* owned */
    char *hash;    /* owned; ticket_item_revisions only */
};

struct known_set {
    struct known_item *v;
    size_t n, cap;
};

/* A set of row ids (events or tickets). */
struct known_ids {
    int64_t *v;
    size_t n, cap;
};

static bool known_ids_has(const struct known_ids *s, int64_t id)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i] == id) {
            return true;
        }
    }
    return false;
}

static void known_ids_remove(struct known_ids *s, int64_t id)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i] == id) {
            s->v[i] = s->v[--s->n];
            return;
        }
    }
}

/* Returns 0 or ERR_NOMEM (s unchanged). */
static int known_ids_add(struct known_ids *s, int64_t id)
{
    int err;

    if (known_ids_has(s, id)) {
        return 0;
    }
    err = yq_array_reserve(&s->v, &s->cap, s->n + 1, sizeof(*s->v));
    if (err) {
        return err;
    }
    s->v[s->n++] = id;
    return 0;
}

/* What the batch's items changed in one event, not yet written. */
struct known_pending {
    int64_t event_id;
    int64_t items, heat, negative, last_item_at, updated_at;
    bool has_first_post;
    int64_t first_post_at; /* the earliest of the items' */
    double score;          /* the highest */
    char *rule_ids, *rule_groups, *source_kinds; /* the event's lists now (owned) */
    char *region;                                /* the first non-empty one (owned) */
};

/* One 突增 count of the batch. */
struct known_count {
    char *scope, *key;
    int64_t hour, n;
};

struct intake_known {
    struct known_event *ev;
    size_t n_ev;
    /* the events covered (found at the start, or made by the batch) and their event_items
       rows of the batch's item ids (it); items_exact false once a path copied rows in that it
       does not follow (the event of an older binary's ticket) */
    struct known_ids events;
    struct known_set it;
    bool items_exact;
    /* the tickets covered; their ticket_items (titems) and revisions (revs) of the batch's
       item ids */
    struct known_ids tickets;
    struct known_set titems, revs;
    /* events' counts, heat, times and lists the batch's items added, not yet written (one
       UPDATE per event instead of one per item; known_write_events()) */
    struct known_pending *pend;
    size_t n_pend, cap_pend;
    /* 突增 counts of the batch (spike_item_counts()), written once per key at its end */
    struct known_count *counts;
    size_t n_counts, cap_counts;
    /* silence_any_active() at silences_at: -1 not asked yet, 0 none, 1 some */
    int silences;
    int64_t silences_at;
    /* PostgreSQL: ids of events taken from the table's sequence at the start, for the
       batch's new events (known_take_event_id()); ids[next..n_ids) unused yet */
    int64_t *ids;
    size_t n_ids, next_id;
};

/* spike_item_counts()'s fn for a batch: one more item for (scope, key, hour). */
int known_count(void *ctx, const char *scope, const char *key, int64_t hour)
{
    struct intake_known *k = ctx;
    struct known_count *c;
    int err;

    for (size_t i = 0; i < k->n_counts; i++) {
        c = &k->counts[i];
        if (c->hour == hour && strcmp(c->key, key) == 0 && strcmp(c->scope, scope) == 0) {
            c->n++;
            return 0;
        }
    }
    err = yq_array_reserve(&k->counts, &k->cap_counts, k->n_counts + 1, sizeof(*k->counts));
    if (err) {
        return err;
    }
    c = &k->counts[k->n_counts];
    c->scope = strdup(scope);
    c->key = strdup(key);
    if (!c->scope || !c->key) {
        free(c->scope);
        free(c->key);
        return ERR_NOMEM;
    }
    c->hour = hour;
    c->n = 1;
    k->n_counts++;
    return 0;
}

static void known_pending_release(struct known_pending *p)
{
    free(p->rule_ids);
    free(p->rule_groups);
    free(p->source_kinds);
    free(p->region);
}

/*
 * Write the events' pending changes (deferred statements) and forget them: before anything
 * reads an events row again, and at the batch's end. k may be NULL. Returns 0 or an ERR_* code.
 */
int known_write_events(struct ticket_store *store, struct intake_known *k)
{
    int err = 0;

    for (size_t i = 0; k && i < k->n_pend; i++) {
        struct known_pending *p = &k->pend[i];
        struct yq_stmt *st = NULL;
        if (!err) {
            err = ticket_store_prepare(
                store,
                "UPDATE events SET item_count = item_count + ?12, heat = heat + ?1, "
                "negative_count = negative_count + ?2, last_item_at = max(last_item_at, ?3), "
                "first_post_at = CASE WHEN CAST(?4 AS BIGINT) IS NULL THEN first_post_at "
                "  WHEN first_post_at IS NULL OR ?4 < first_post_at THEN ?4 ELSE first_post_at "
                "END, "
                "score = max(score, ?5), rule_ids = ?6, rule_groups = ?7, source_kinds = ?8, "
                "region = CASE WHEN region = '' THEN ?9 ELSE region END, updated_at = ?10 "
                "WHERE id = ?11",
                &st, "event update");
        }
        if (!err) {
            yq_stmt_bind_int64(st, 1, p->heat);
            yq_stmt_bind_int64(st, 2, p->negative);
            yq_stmt_bind_int64(st, 3, p->last_item_at);
            if (p->has_first_post) {
                yq_stmt_bind_int64(st, 4, p->first_post_at);
            } else {
                yq_stmt_bind_null(st, 4);
            }
            yq_stmt_bind_double(st, 5, p->score);
            yq_stmt_bind_text(st, 6, ticket_store_nz(p->rule_ids));
            yq_stmt_bind_text(st, 7, ticket_store_nz(p->rule_groups));
            yq_stmt_bind_text(st, 8, ticket_store_nz(p->source_kinds));
            yq_stmt_bind_text(st, 9, ticket_store_nz(p->region));
            yq_stmt_bind_int64(st, 10, p->updated_at);
            yq_stmt_bind_int64(st, 11, p->event_id);
            yq_stmt_bind_int64(st, 12, p->items);
            err = ticket_store_step_deferred(store, st, "event update");
        }
        known_pending_release(p);
    }
    if (k) {
        k->n_pend = 0;
    }
    return err;
}

/*
 * One more item of event e (its copy e already updated: lists, count, last item) into the
 * batch's pending change of e. Returns 0 or ERR_NOMEM.
 */
int known_pend_item(struct intake_known *k, const struct event_ref *e, const struct yq_alert *alert,
                    int64_t heat, bool negative, int64_t now)
{
    const struct yq_item *item = &alert->item;
    struct known_pending *p = NULL;
    char *ids, *groups, *kinds;

    for (size_t i = 0; i < k->n_pend && !p; i++) {
        p = k->pend[i].event_id == e->id ? &k->pend[i] : NULL;
    }
    if (!p) {
        int err = yq_array_reserve(&k->pend, &k->cap_pend, k->n_pend + 1, sizeof(*k->pend));

        if (err) {
            return err;
        }
        p = &k->pend[k->n_pend++];
        memset(p, 0, sizeof(*p));
        p->event_id = e->id;
        p->last_item_at = alert->matched_at;
        p->score = alert->score;
    }
    ids = strdup(e->rule_ids);
    groups = strdup(e->rule_groups);
    kinds = strdup(e->source_kinds);
    if (!p->region && item->region && item->region[0]) {
        p->region = strdup(item->region);
    }
    if (!ids || !groups || !kinds) {
        free(ids);
        free(groups);
        free(kinds);
        return ERR_NOMEM;
    }
    free(p->rule_ids);
    free(p->rule_groups);
    free(p->source_kinds);
    p->rule_ids = ids;
    p->rule_groups = groups;
    p->source_kinds = kinds;
    p->items++;
    p->heat += heat;
    p->negative += negative ? 1 : 0;
    p->last_item_at = p->last_item_at > alert->matched_at ? p->last_item_at : alert->matched_at;
    p->score = p->score > alert->score ? p->score : alert->score;
    if (item->has_published) {
        int64_t t = yq_item_effective_time(item);
        if (!p->has_first_post || t < p->first_post_at) {
            p->first_post_at = t;
        }
        p->has_first_post = true;
    }
    p->updated_at = now;
    return 0;
}

int64_t known_take_event_id(struct intake_known *k)
{
    return k && k->next_id < k->n_ids ? k->ids[k->next_id++] : 0;
}

/*
 * PostgreSQL: n ids of events from the table's sequence into k->ids, so that the batch's new
 * events are inserted without waiting for RETURNING id (deferred statements: one round trip
 * for the batch instead of one per new event). The ids a batch does not use stay unused, as
 * those of a rolled back insert (a sequence has gaps); under the writers' lock they still
 * grow in the order events are made. Returns 0 or an ERR_* code (out of memory: none taken).
 */
static int known_reserve_ids(struct ticket_store *store, struct intake_known *k, size_t n)
{
    struct yq_stmt *st = NULL;
    int rc, err;

    if (n == 0 || !(k->ids = calloc(n, sizeof(*k->ids)))) {
        return 0;
    }
    err = ticket_store_prepare(store,
                               "SELECT nextval(pg_get_serial_sequence('events', 'id')) "
                               "FROM generate_series(1, CAST(? AS BIGINT))",
                               &st, "event ids");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, (int64_t)n);
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW && k->n_ids < n) {
        k->ids[k->n_ids++] = yq_stmt_column_int64(st, 0);
    }
    if (rc != YQ_DB_DONE && rc != YQ_DB_ROW) {
        err = ticket_store_fail(store, rc, "event ids");
    }
    yq_stmt_finalize(st);
    return err;
}

int known_silence_check(struct ticket_store *store, struct intake_known *k,
                        const struct yq_alert *alert, int64_t now, int64_t *silence_id_out)
{
    *silence_id_out = 0;
    if (k && (k->silences < 0 || k->silences_at != now)) {
        bool any = true;
        int err = silence_any_active(store, now, &any);
        if (err) {
            return err;
        }
        k->silences = any ? 1 : 0;
        k->silences_at = now;
    }
    if (k && k->silences == 0) {
        return 0; /* no silence in force: silence_check() would find none */
    }
    return silence_check(store, alert, now, silence_id_out);
}

/* Write the batch's 突增 counts (inside its transaction, before its COMMIT). */
int known_write_counts(struct ticket_store *store, const struct intake_known *k)
{
    int err = 0;
    for (size_t i = 0; !err && i < k->n_counts; i++) {
        err = spike_count_add(store, k->counts[i].scope, k->counts[i].key, k->counts[i].hour,
                              k->counts[i].n);
    }
    return err;
}

static void known_set_release(struct known_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].item_id);
        free(s->v[i].hash);
    }
    free(s->v);
    memset(s, 0, sizeof(*s));
}

/* Whether s has (id, item_id, hash) (hash NULL: any hash, or none). */
static bool known_set_has(const struct known_set *s, int64_t id, const char *item_id,
                          const char *hash)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->v[i].event_id == id && strcmp(s->v[i].item_id, item_id) == 0 &&
            (!hash || (s->v[i].hash && strcmp(s->v[i].hash, hash) == 0))) {
            return true;
        }
    }
    return false;
}

/* Add (id, item_id, hash) to s. Returns 0 or ERR_NOMEM (s unchanged). */
static int known_set_add(struct known_set *s, int64_t id, const char *item_id, const char *hash)
{
    char *copy, *hcopy = NULL;
    int err = yq_array_reserve(&s->v, &s->cap, s->n + 1, sizeof(*s->v));

    if (err) {
        return err;
    }
    copy = strdup(item_id);
    if (!copy || (hash && !(hcopy = strdup(hash)))) {
        free(copy);
        return ERR_NOMEM;
    }
    s->v[s->n].event_id = id;
    s->v[s->n].item_id = copy;
    s->v[s->n++].hash = hcopy;
    return 0;
}

static bool known_covers(const struct intake_known *k, int64_t ticket_id)
{
    return k && known_ids_has(&k->tickets, ticket_id);
}

/* Stop covering ticket_id (what the batch knows of it is no longer whole: out of memory). */
static void known_uncover(struct intake_known *k, int64_t ticket_id)
{
    known_ids_remove(&k->tickets, ticket_id);
}

int intake_known_item(const struct intake_known *k, int64_t ticket_id, const char *item_id)
{
    if (!known_covers(k, ticket_id)) {
        return -1;
    }
    return known_set_has(&k->titems, ticket_id, item_id, NULL) ? 1 : 0;
}

int intake_known_revision(const struct intake_known *k, int64_t ticket_id, const char *item_id,
                          const char *hash)
{
    if (!known_covers(k, ticket_id)) {
        return -1;
    }
    return known_set_has(&k->revs, ticket_id, item_id, hash) ? 1 : 0;
}

void intake_known_item_add(struct intake_known *k, int64_t ticket_id, const char *item_id)
{
    if (known_covers(k, ticket_id) && known_set_add(&k->titems, ticket_id, item_id, NULL) != 0) {
        known_uncover(k, ticket_id);
    }
}

void intake_known_revision_add(struct intake_known *k, int64_t ticket_id, const char *item_id,
                               const char *hash)
{
    if (known_covers(k, ticket_id) && known_set_add(&k->revs, ticket_id, item_id, hash) != 0) {
        known_uncover(k, ticket_id);
    }
}

void intake_known_ticket_new(struct intake_known *k, int64_t ticket_id)
{
    if (k) {
        (void)known_ids_add(&k->tickets, ticket_id); /* out of memory: not covered, read */
    }
}

void known_free(struct intake_known *k)
{
    if (!k) {
        return;
    }
    for (size_t i = 0; i < k->n_ev; i++) {
        free(k->ev[i].key);
        event_ref_release(&k->ev[i].e);
    }
    for (size_t i = 0; i < k->n_counts; i++) {
        free(k->counts[i].scope);
        free(k->counts[i].key);
    }
    free(k->counts);
    for (size_t i = 0; i < k->n_pend; i++) {
        known_pending_release(&k->pend[i]);
    }
    free(k->pend);
    known_set_release(&k->it);
    known_set_release(&k->titems);
    known_set_release(&k->revs);
    free(k->tickets.v);
    free(k->events.v);
    free(k->ev);
    free(k->ids);
    free(k);
}

struct known_event *known_event_find(struct intake_known *k, const char *key)
{
    for (size_t i = 0; k && i < k->n_ev; i++) {
        if (strcmp(k->ev[i].key, key) == 0) {
            return &k->ev[i];
        }
    }
    return NULL;
}

/* 1 event_id has item_id in event_items, 0 it has not, -1 not known (k NULL, not covered). */
int known_item_has(const struct intake_known *k, int64_t event_id, const char *item_id)
{
    if (!k || !k->items_exact || !known_ids_has(&k->events, event_id)) {
        return -1;
    }
    return known_set_has(&k->it, event_id, item_id, NULL) ? 1 : 0;
}

/* Note that event_id has item_id. Out of memory: k->items_exact becomes false. */
void known_item_add(struct intake_known *k, int64_t event_id, const char *item_id)
{
    if (known_set_add(&k->it, event_id, item_id, NULL) != 0) {
        k->items_exact = false;
    }
}

void known_event_new(struct intake_known *k, int64_t event_id)
{
    (void)known_ids_add(&k->events, event_id); /* out of memory: not covered, read */
}

void known_items_inexact(struct intake_known *k)
{
    k->items_exact = false;
}

/*
 * After an alert of key: e (the event it went to, its copy kept current) becomes what the batch
 * knows of key, unless stale or merged; e is left released.
 */
void known_keep(struct intake_known *k, const char *key, struct event_ref *e)
{
    struct known_event *ke = known_event_find(k, key);

    /* another key's copy of the same event (a merge) or ticket (merged events share it) no
       longer follows the row */
    for (size_t i = 0; e->id > 0 && i < k->n_ev; i++) {
        struct known_event *o = &k->ev[i];
        if (o != ke && o->state == KNOWN_PRESENT &&
            (o->e.id == e->id || (e->ticket_id > 0 && o->e.ticket_id == e->ticket_id))) {
            event_ref_release(&o->e);
            o->state = KNOWN_UNSURE;
        }
    }
    if (!ke) {
        event_ref_release(e);
        return;
    }
    event_ref_release(&ke->e);
    if (e->id == 0) {
        ke->state = KNOWN_ABSENT; /* held or silenced: still no event of the key */
    } else if (!e->stale && e->merged_into == 0 && strcmp(e->event_key, key) == 0) {
        ke->e = *e;
        ke->state = KNOWN_PRESENT;
        memset(e, 0, sizeof(*e));
    } else {
        ke->state = KNOWN_UNSURE;
        event_ref_release(e);
    }
}

/* Every event copy unsure (after a change intake does not follow in them: an official post). */
void known_forget(struct intake_known *k)
{
    for (size_t i = 0; k && i < k->n_ev; i++) {
        event_ref_release(&k->ev[i].e);
        k->ev[i].state = KNOWN_UNSURE;
    }
}

/*
 * Run sql (its KNOWN_CHUNK parameters bound to n <= KNOWN_CHUNK texts of v, the last repeated)
 * and hand each row to fn. Returns 0 or an ERR_* code.
 */
static int known_query(struct ticket_store *store, const char *sql, const char *const *v, size_t n,
                       int (*fn)(struct intake_known *k, struct yq_stmt *st),
                       struct intake_known *k)
{
    struct yq_stmt *st = NULL;
    int rc, err = ticket_store_prepare(store, sql, &st, "batch lookup");

    if (err) {
        return err;
    }
    for (size_t i = 0; i < KNOWN_CHUNK; i++) {
        yq_stmt_bind_text(st, (int)i + 1, v[i < n ? i : n - 1]);
    }
    while (!err && (rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        err = fn(k, st);
    }
    if (!err && rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, "batch lookup");
    }
    yq_stmt_finalize(st);
    return err;
}

/* A ticket with the key of an event not found: the alert takes the older binary's path. */
static int known_ticket_row(struct intake_known *k, struct yq_stmt *st)
{
    struct known_event *ke = known_event_find(k, yq_stmt_column_text(st, 0));

    if (ke && ke->state == KNOWN_ABSENT) {
        ke->state = KNOWN_UNSURE;
    }
    return 0;
}

static int known_event_row(struct intake_known *k, struct yq_stmt *st)
{
    struct event_ref e;
    struct known_event *ke;
    int err = event_row(st, &e);

    if (err) {
        return err;
    }
    ke = known_event_find(k, e.event_key);
    if (ke && e.merged_into == 0) {
        event_ref_release(&ke->e);
        ke->e = e; /* merged ones stay unsure: the alert follows the links to the root */
        ke->state = KNOWN_PRESENT;
    } else {
        if (ke) {
            ke->state = KNOWN_UNSURE;
        }
        event_ref_release(&e);
    }
    return 0;
}

/*
 * The rows of sql's table (event_items, ticket_items, or ticket_item_revisions with hashes)
 * of the n_ids events or tickets ids and the batch's n_items item ids into set: sql takes
 * KNOWN_CHUNK ids, then KNOWN_CHUNK item ids (the last of each repeated), and gives the id, the
 * item id and (hashes) the content hash. Returns 0 or an ERR_* code.
 */
static int known_load_pairs(struct ticket_store *store, const int64_t *ids, size_t n_ids,
                            const char *sql, bool hashes, struct known_set *set,
                            const char *const *items, size_t n_items)
{
    int err = 0;

    for (size_t t = 0; !err && t < n_ids; t += KNOWN_CHUNK) {
        size_t nt = n_ids - t < KNOWN_CHUNK ? n_ids - t : KNOWN_CHUNK;
        for (size_t i = 0; !err && i < n_items; i += KNOWN_CHUNK) {
            size_t ni = n_items - i < KNOWN_CHUNK ? n_items - i : KNOWN_CHUNK;
            struct yq_stmt *st = NULL;
            int rc = YQ_DB_DONE;
            err = ticket_store_prepare(store, sql, &st, "batch lookup");
            if (err) {
                return err;
            }
            for (size_t j = 0; j < KNOWN_CHUNK; j++) {
                yq_stmt_bind_int64(st, (int)j + 1, ids[t + (j < nt ? j : nt - 1)]);
                yq_stmt_bind_text(st, KNOWN_CHUNK + (int)j + 1, items[i + (j < ni ? j : ni - 1)]);
            }
            while (!err && (rc = yq_stmt_step(st)) == YQ_DB_ROW) {
                err = known_set_add(set, yq_stmt_column_int64(st, 0), yq_stmt_column_text(st, 1),
                                    hashes ? yq_stmt_column_text(st, 2) : NULL);
            }
            if (!err && rc != YQ_DB_DONE) {
                err = ticket_store_fail(store, rc, "batch lookup");
            }
            yq_stmt_finalize(st);
        }
    }
    return err;
}

/* The placeholders "(?, ?, ... ?)" of KNOWN_CHUNK parameters, after prefix, into buf. */
static const char *known_sql(char *buf, size_t len, const char *prefix)
{
    size_t off = (size_t)snprintf(buf, len, "%s(", prefix);
    for (size_t i = 0; i < KNOWN_CHUNK && off < len; i++) {
        off += (size_t)snprintf(buf + off, len - off, i ? ", ?" : "?");
    }
    if (off < len) {
        snprintf(buf + off, len - off, ")");
    }
    return buf;
}

/*
 * What the batch v[n] (entries with err 0) finds in the store, inside its transaction: *out a
 * new struct (known_free()). The key lookups of events and tickets are planned for their keys
 * at each run (YQ_DB_PLAN_PER_CALL): a plan made once on a young store scanned the whole
 * events table (9 ms a batch in bench/e2e against 0.5 ms); the item lookups' plans (by event
 * or ticket id and item id) measured 0.1-0.2 ms prepared and 0.6 ms planned per call.
 * Returns 0 or an ERR_* code.
 */
int known_load(struct ticket_store *store, const struct ticket_intake_entry *v, size_t n,
               struct intake_known **out)
{
    struct intake_known *k = calloc(1, sizeof(*k));
    const char **keys = calloc(n + 1, sizeof(*keys)), **items = calloc(n + 1, sizeof(*items));
    size_t n_items = 0;
    char ev_sql[1200], it_sql[1200], ti_sql[1200], rv_sql[1200], tk_sql[600];
    int err = 0;

    *out = NULL;
    if (!k || !keys || !items || !(k->ev = calloc(n + 1, sizeof(*k->ev)))) {
        err = ERR_NOMEM;
        goto done;
    }
    k->items_exact = true;
    k->silences = -1;
    for (size_t i = 0; i < n; i++) {
        if (v[i].err) {
            continue;
        }
        if (!known_event_find(k, v[i].alert->event_key)) {
            if (!(k->ev[k->n_ev].key = strdup(v[i].alert->event_key))) {
                err = ERR_NOMEM;
                goto done;
            }
            k->ev[k->n_ev].state = KNOWN_ABSENT; /* until a row says otherwise */
            keys[k->n_ev++] = v[i].alert->event_key;
        }
        items[n_items++] = v[i].alert->item.id;
    }
    known_sql(ev_sql, sizeof(ev_sql), YQ_DB_PLAN_PER_CALL EVENT_READ_SQL "WHERE e.event_key IN ");
    known_sql(tk_sql, sizeof(tk_sql), YQ_DB_PLAN_PER_CALL "SELECT event_key FROM tickets WHERE event_key IN ");
    known_sql(ti_sql, sizeof(ti_sql),
              "SELECT ticket_id, item_id FROM ticket_items WHERE ticket_id IN ");
    known_sql(ti_sql + strlen(ti_sql), sizeof(ti_sql) - strlen(ti_sql), " AND item_id IN ");
    known_sql(rv_sql, sizeof(rv_sql),
              "SELECT ticket_id, item_id, content_hash FROM ticket_item_revisions "
              "WHERE ticket_id IN ");
    known_sql(rv_sql + strlen(rv_sql), sizeof(rv_sql) - strlen(rv_sql), " AND item_id IN ");
    known_sql(it_sql, sizeof(it_sql),
              "SELECT event_id, item_id FROM event_items WHERE event_id IN ");
    known_sql(it_sql + strlen(it_sql), sizeof(it_sql) - strlen(it_sql), " AND item_id IN ");
    for (size_t i = 0; !err && i < k->n_ev; i += KNOWN_CHUNK) {
        size_t m = k->n_ev - i < KNOWN_CHUNK ? k->n_ev - i : KNOWN_CHUNK;
        err = known_query(store, ev_sql, keys + i, m, known_event_row, k);
    }
    for (size_t i = 0; !err && i < k->n_ev; i += KNOWN_CHUNK) {
        size_t m = k->n_ev - i < KNOWN_CHUNK ? k->n_ev - i : KNOWN_CHUNK;
        err = known_query(store, tk_sql, keys + i, m, known_ticket_row, k);
    }
    /* the items the events found already have (an event made by the batch has none before) */
    for (size_t i = 0; !err && i < k->n_ev; i++) {
        if (k->ev[i].state == KNOWN_PRESENT) {
            err = known_ids_add(&k->events, k->ev[i].e.id);
        }
    }
    if (!err) {
        err = known_load_pairs(store, k->events.v, k->events.n, it_sql, false, &k->it, items,
                               n_items);
    }
    /* the tickets of the events found: their items and revisions */
    for (size_t i = 0; !err && i < k->n_ev; i++) {
        if (k->ev[i].state == KNOWN_PRESENT && k->ev[i].e.ticket_found) {
            err = known_ids_add(&k->tickets, k->ev[i].e.ticket_id);
        }
    }
    if (!err) {
        err = known_load_pairs(store, k->tickets.v, k->tickets.n, ti_sql, false, &k->titems, items,
                               n_items);
    }
    if (!err) {
        err = known_load_pairs(store, k->tickets.v, k->tickets.n, rv_sql, true, &k->revs, items,
                               n_items);
    }
    /* PostgreSQL: ids for the events the batch may make (a key without one) */
    if (!err && yq_db_backend(ticket_store_db(store)) == YQ_DB_PG) {
        size_t absent = 0;
        for (size_t i = 0; i < k->n_ev; i++) {
            absent += k->ev[i].state == KNOWN_ABSENT;
        }
        err = known_reserve_ids(store, k, absent);
    }
    if (!err) {
        *out = k;
        k = NULL;
    }
done:
    free(keys);
    free(items);
    known_free(k);
    return err;
}
