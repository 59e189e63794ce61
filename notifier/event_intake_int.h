/*
 * Internals shared by the two files of the 研判 inbox side of intake: event_intake.c (one
 * alert's way through the events, ticket_intake_alert(), ticket_intake_batch()) and
 * event_intake_batch.c (the events rows as intake reads them, and what a batch knows of the
 * store: its lookups at the start, its cached copies of events, its per-batch writes). Not for
 * use outside them: go through ticket_intake.h. Every function runs inside the caller's open
 * transaction. event_intake_batch.c calls nothing in event_intake.c (no circle, issue #12).
 */
#ifndef NOTIFIER_EVENT_INTAKE_INT_H
#define NOTIFIER_EVENT_INTAKE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ticket_intake.h"
#include "ticket_intake_int.h"
#include "yq_alert.h"

/* What intake needs of an events row; the texts are new (event_ref_release()). */
struct event_ref {
    int64_t id;
    char state[16];
    int64_t ticket_id;   /* 0: none */
    int64_t merged_into; /* 0: not merged */
    int64_t last_item_at;
    int64_t detected_at; /* the first item's matched_at: where statutory clocks start */
    int64_t item_count;
    enum yq_level level;
    /* its ticket (ticket_id > 0), read with it: found, number, item count, closed */
    bool ticket_found;
    bool ticket_closed;
    int64_t ticket_items;
    char ticket_number[32];
    /* intake changed the row in ways this copy does not follow (state, level, ticket, a merge
       link followed): a batch reads it again for its next alert (struct intake_known) */
    bool stale;
    char *event_key;
    char *rule_ids, *rule_groups, *source_kinds; /* JSON arrays */
};
/* Free e's texts and zero it. */
void event_ref_release(struct event_ref *e);

/*
 * The events row WHERE event_key = key (key non-NULL) or id = id into e; *found false when
 * there is none (e zeroed).
 */
int event_read(struct ticket_store *store, const char *key, int64_t id, struct event_ref *e,
               bool *found);

/* --- What a batch knows of the store (issue #16; event_intake_batch.c) ---------------------- */

enum known_state {
    KNOWN_UNSURE = 0, /* read the row (not loaded, merged, or changed beyond the copy) */
    KNOWN_ABSENT = 1, /* no events row and no ticket (of an older binary) has the key */
    KNOWN_PRESENT = 2 /* e is the row as it is now */
};

struct known_event {
    char *key; /* an alert's event_key (owned) */
    enum known_state state;
    struct event_ref e; /* KNOWN_PRESENT: the (unmerged) event of key */
};

/*
 * What the batch v[n] (entries with err 0) finds in the store, inside its transaction: *out a
 * new struct (known_free()). Returns 0 or an ERR_* code.
 */
int known_load(struct ticket_store *store, const struct ticket_intake_entry *v, size_t n,
               struct intake_known **out);

/* Free k and everything it holds (k may be NULL); pending writes not made are dropped. */
void known_free(struct intake_known *k);

/* What the batch knows of the event of key (borrowed, in k), or NULL (k NULL, key not of the
   batch). */
struct known_event *known_event_find(struct intake_known *k, const char *key);

/*
 * After an alert of key: e (the event it went to, its copy kept current) becomes what the batch
 * knows of key, unless stale or merged; e is left released.
 */
void known_keep(struct intake_known *k, const char *key, struct event_ref *e);

/* Every event copy unsure (after a change intake does not follow in them: an official post). */
void known_forget(struct intake_known *k);

/* 1 event_id has item_id in event_items, 0 it has not, -1 not known (k NULL, not covered). */
int known_item_has(const struct intake_known *k, int64_t event_id, const char *item_id);

/* Note that event_id has item_id. Out of memory: k->items_exact becomes false. */
void known_item_add(struct intake_known *k, int64_t event_id, const char *item_id);

/* Event event_id was made by the batch: covered, no items yet (out of memory: not covered,
   its items read). k non-NULL. */
void known_event_new(struct intake_known *k, int64_t event_id);

/* Rows were copied into event_items that the batch does not follow (the event of an older
   binary's ticket): from now on every event's items are read. k non-NULL. */
void known_items_inexact(struct intake_known *k);

/*
 * One more item of event e (its copy e already updated: lists, count, last item) into the
 * batch's pending change of e; heat: what the item adds. Returns 0 or ERR_NOMEM.
 */
int known_pend_item(struct intake_known *k, const struct event_ref *e, const struct yq_alert *alert,
                    int64_t heat, bool negative, int64_t now);

/*
 * Write the events' pending changes (deferred statements) and forget them: before anything
 * reads an events row again, and at the batch's end. k may be NULL. Returns 0 or an ERR_* code.
 */
int known_write_events(struct ticket_store *store, struct intake_known *k);

/* spike_item_counts()'s fn for a batch (ctx: the struct intake_known): one more item for
   (scope, key, hour). Returns 0 or ERR_NOMEM. */
int known_count(void *ctx, const char *scope, const char *key, int64_t hour);

/* Write the batch's 突增 counts (inside its transaction, before its COMMIT). Returns 0 or an
   ERR_* code. */
int known_write_counts(struct ticket_store *store, const struct intake_known *k);

/*
 * silence_check() of a batch: whether a silence is active is asked once a batch (k NULL: every
 * time), and the alerts of a batch without one skip the query. Returns as silence_check().
 */
/*
 * An id for a new event of the batch taken from the table's sequence at its start (PostgreSQL),
 * or 0: none (SQLite, k NULL, all taken), the INSERT's RETURNING id gives it.
 */
int64_t known_take_event_id(struct intake_known *k);

int known_silence_check(struct ticket_store *store, struct intake_known *k,
                        const struct yq_alert *alert, int64_t now, int64_t *silence_id_out);

#endif
