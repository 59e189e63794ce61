/*
 * Alert intake (design §5, issue #13 docs/desk.md): one alert becomes an event waiting for
 * 研判 in the inbox (or an item of an existing event), a ticket at once when the desk policy
 * hands it over, an item or revision on the event's ticket, a reopening, or a held item
 * (ticket_held.h), in one transaction with its log rows and outbox notifications. The notifier's
 * consumer loop (notifier.c) takes alerts in batches (ticket_intake_batch(): many alerts, one
 * transaction; issue #16) and commits the Kafka offsets after the batch is stored.
 */
#ifndef NOTIFIER_TICKET_INTAKE_H
#define NOTIFIER_TICKET_INTAKE_H

#include <stdbool.h>
#include <stdint.h>

#include "ticket_store.h"
#include "yq_alert.h"

enum ticket_intake_outcome {
    TICKET_INTAKE_CREATED = 1,   /* a new ticket with this item */
    TICKET_INTAKE_ATTACHED = 2,  /* the item was added to the event's existing ticket */
    TICKET_INTAKE_DUPLICATE = 3, /* the item (same content) was already there: no change */
    TICKET_INTAKE_REVISED = 4,   /* a changed revision of an item already on the ticket */
    TICKET_INTAKE_HELD = 5,      /* no ticket: recorded in held_items (old or official item,
                                    issue #11; ticket_held.h); ticket_id 0 */
    TICKET_INTAKE_QUEUED = 6,    /* an event without a ticket took the item (a new event in
                                    the 研判 inbox, or an item of a pending, watched or
                                    dismissed one); ticket_id 0, no notification */
    TICKET_INTAKE_SILENCED = 7,  /* a new event's alert covered by an active silence
                                    (silence.h): kept in silenced_alerts, no event */
    TICKET_INTAKE_OFFICIAL = 8,  /* a zero-match official alert (issue #15, yq_alert.h): only
                                    the official post (and its proposals) recorded; no event,
                                    ticket, held item, silence or 突增 count */
    TICKET_INTAKE_NO_EVENT = 9,  /* a zero-match repost (yq_alert_is_repost_only()) whose event
                                    this store does not have: nothing recorded */
};

struct ticket_intake_result {
    enum ticket_intake_outcome outcome;
    int64_t ticket_id;
    char number[32]; /* NUL-terminated ticket number */
    int64_t item_count;
    bool reopened; /* the change reopened a closed ticket (once, within the reopen window) */
    int64_t event_id;   /* the (root) event that took the item; 0 for a held or silenced one */
    int64_t silence_id; /* TICKET_INTAKE_SILENCED: the silence that covered it */
    int64_t post_id;    /* an official item first seen: its official_posts row; else 0 */
    int proposals;      /* proposed 回应 made for that post (response_store.h) */
};

/*
 * Record one alert, in one BEGIN IMMEDIATE transaction (docs/desk.md):
 *  - the alert's event_key has an event: follow merged_into (at most 16 links) to the root
 *    event; the item is added to its event_items once per item id (a redelivered alert
 *    changes nothing), with the event's item_count, heat (1 + reposts + comments + likes),
 *    last_item_at, first_post_at, score (max), rule_ids / rule_groups / source_kinds (union)
 *    and region; with a sentiment classifier in the policy (ticket_policy.sentiment) the
 *    item's label and score (event_items.sentiment, sentiment_score) and the event's
 *    negative_count. When the root event has a ticket, the item is also attached to the ticket
 *    as below; a watched event (持续关注) whose item count or heat reaches its threshold, or
 *    that takes an item after its quiet period, returns to pending (resurfaced_at,
 *    resurface_reason 'items', 'heat' or 'quiet', an event_log row 'resurfaced'); a dismissed
 *    event only records the item (TICKET_INTAKE_QUEUED);
 *  - no event, but a ticket with the key (made before migration 9 by an older binary): its
 *    event is made first (ticket_intake_event_for_ticket()), then as above;
 *  - no event and the item is old (published more than clocks.old_item_after_ms before it
 *    was fetched, ticket_item_is_old()), official (item "official": true) or undated backlog:
 *    no event, no ticket, no notification; recorded once in held_items (TICKET_INTAKE_HELD;
 *    issue #11, ticket_held.h);
 *  - no event and an active silence covers the alert (silence_check()): no event; the alert is
 *    kept whole in silenced_alerts and counted on the silence (silence_record();
 *    TICKET_INTAKE_SILENCED). Items of existing events are never silenced;
 *  - otherwise a new event, state pending, 研判 deadline from the desk policy
 *    (desk_policy_judge_deadline()), event_log 'created': no ticket and no notification
 *    (TICKET_INTAKE_QUEUED) unless the policy hands it over at once (desk.auto_assign_levels,
 *    desk.auto_assign_groups): then also the ticket as intake always made it - numbered from
 *    the per-month sequence of the detection time (alert->matched_at) in Asia/Shanghai,
 *    routed to the alert's department (lead) with the other matched rules' departments as
 *    co-handling (协办), deadlines from the policy's clocks, its first item and revision, a
 *    ticket_log row ('system', 'created') and outbox rows (交办) for the lead and co-handling
 *    liaisons and the duty officer - and the event becomes auto_assigned (交办待确认, log
 *    'auto_assigned'; judged_at stays empty until the officer confirms). TICKET_INTAKE_CREATED.
 * Attaching to a ticket: a new item is added (item_count, heat, highest score, earliest
 * first_post_at, log 'item_added'); the same content (title and text) again changes nothing
 * (TICKET_INTAKE_DUPLICATE; FC-036); new content is a revision (log 'revision_added'). An
 * item handed over from the inbox has no recorded content: its first content seen is the
 * baseline. A new item or revision of a closed ticket within clocks.reopen_window_ms of its
 * closure reopens it once (state open, log 'reopened', one outbox notification). The level
 * and statutory deadlines are not changed by later alerts.
 * Official items (issue #15, docs/responses.md), matched or not, first: the post is kept once
 * in official_posts (response_store_add_post()) and, when new, scored against the open
 * tickets (ticket_flow_detect_for_post(): proposals, their log rows and notifications, an
 * auto confirmation when configured), in the same transaction. A zero-match official alert
 * then ends there (TICKET_INTAKE_OFFICIAL); a matched one goes on as above (held as
 * 'official' when it would open a new event). A zero-match repost (yq_alert_is_repost_only())
 * is taken like any item of its existing event (its level IV raises nothing); without that
 * event nothing is recorded (TICKET_INTAKE_NO_EVENT). A ticket opened by intake or 交办
 * (ticket_intake_open_ticket()) is scored against the posts received within the lookback.
 * alert: borrowed, decoded with yq_alert_decode().
 * now:   seconds since the epoch, UTC: created_at/updated_at, log times, reopen window;
 *        the items' stored_at_ms is now * 1000 (issue #16; fetched_at_ms and matched_at_ms
 *        from the alert, yq_item_fetched_ms() and yq_alert_matched_ms(), at most that).
 * out:   filled on success (may be NULL).
 * Returns 0, ERR_INVALID (alert lacks an event key or item id; permanent), ERR_RETRY (the
 * database is busy or locked: retry later), ERR_IO (SQLite failed: disk full, I/O error;
 * retry later) or ERR_NOMEM. On failure the transaction is rolled back.
 * Not for a read-only store (ERR_IO).
 */
int ticket_intake_alert(struct ticket_store *store, const struct yq_alert *alert, int64_t now,
                        struct ticket_intake_result *out);

/*
 * One alert of a batch (ticket_intake_batch()). alert: borrowed, decoded with
 * yq_alert_decode(); NULL marks a slot to skip (err ERR_INVALID). err and res are written.
 */
struct ticket_intake_entry {
    const struct yq_alert *alert;
    int err; /* 0: recorded, res filled; ERR_INVALID or ERR_TOO_BIG: refused (permanent) */
    struct ticket_intake_result res;
};

/* What one ticket_intake_batch() call did (for metrics and the bench). */
struct ticket_intake_batch_stats {
    int transactions; /* write transactions committed: 1 in the usual case */
    int fallbacks;    /* 1 when a refused alert made the batch go one alert per transaction */
    size_t refused;   /* entries with err set */
};

/*
 * Record the n alerts of v (issue #16, docs/operations.md "Batch intake") with the same
 * effect, alert by alert in order, as n calls of ticket_intake_alert(), but in ONE write
 * transaction (BEGIN IMMEDIATE; on PostgreSQL the writers' advisory lock), so a batch pays
 * one commit (one fsync with synchronous=FULL) instead of n. Idempotence is per alert as
 * there: a redelivered batch changes nothing.
 *  - An alert intake refuses before any SQL (no event key or item id, no match) gets
 *    err = ERR_INVALID and is left out.
 *  - An alert the database refuses (a constraint: ERR_INVALID; ERR_TOO_BIG) rolls the
 *    transaction back; the batch is then taken one alert per transaction, so that alert alone
 *    is marked refused and every other is recorded (stats->fallbacks = 1).
 *  - A store failure (ERR_RETRY: busy or locked, ERR_IO: disk full, server down, ERR_NOMEM)
 *    rolls back and is returned: nothing of the batch is recorded (in the fallback, the
 *    alerts before the failure stay recorded, which a retry finds as duplicates). The
 *    caller commits no Kafka offset and retries the whole batch.
 * now_ms: milliseconds since the epoch, UTC: the items' stored_at_ms; now_ms / 1000 is the
 * seconds ticket_intake_alert() takes as now. stats: may be NULL.
 * Returns 0 (each entry's err says recorded or refused), ERR_RETRY, ERR_IO or ERR_NOMEM.
 * Not for a read-only store (ERR_IO).
 */
int ticket_intake_batch(struct ticket_store *store, struct ticket_intake_entry *v, size_t n,
                        int64_t now_ms, struct ticket_intake_batch_stats *stats);

/*
 * --- Shared with event_flow.c (交办 from the inbox); inside the caller's open transaction ---
 *
 * A ticket to open: every pointer borrowed, NUL-terminated. The statutory deadlines run from
 * detected_at, the acknowledgement clock from assigned_at (ticket_clock_deadlines()).
 */
struct ticket_open {
    const char *event_key;
    const char *title;
    enum yq_level level;
    const char *department;     /* the lead; may be NULL ("") */
    const char *co_departments; /* JSON array text; NULL = "[]" */
    bool has_first_post;
    int64_t first_post_at;
    int64_t detected_at; /* seconds, UTC */
    int64_t assigned_at; /* seconds, UTC */
    int64_t item_count;
    int64_t heat;
    double score;
    int64_t rules_version;
    const char *url;
    const char *actor, *role; /* of the ticket_log 'created' row; NULL = "system" */
    const char *note;         /* of that row (the 研判意见); may be NULL */
    /* called after the ticket row exists, before its log row and notifications: insert its
       items (ticket_items); may be NULL */
    int (*add_items)(struct ticket_store *store, int64_t ticket_id, void *ctx);
    void *ctx;
};

/*
 * Open the ticket o describes (one function for intake and 交办): the number from the
 * per-month sequence of o->detected_at, the ticket row (state open), its items (o->add_items),
 * the ticket_log row 'created' and the outbox notifications (交办) to the lead and co-handling
 * liaisons and the duty officer (urgent for I/II). ticket_id_out (may be NULL) and number_out
 * (at least 32 bytes; may be NULL) receive the new ticket. Returns 0, ERR_RETRY, ERR_IO,
 * ERR_TOO_BIG or ERR_NOMEM (or add_items' error).
 */
int ticket_intake_open_ticket(struct ticket_store *store, const struct ticket_open *o,
                              int64_t now, int64_t *ticket_id_out, char *number_out);

/*
 * The event of ticket_id, made when missing (a ticket of an older binary): state assigned,
 * judged by 'system' at the ticket's creation, its items copied to event_items, an event_log
 * row 'created'. *event_id_out receives it. Returns 0, ERR_NOT_FOUND (no such ticket),
 * ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int ticket_intake_event_for_ticket(struct ticket_store *store, int64_t ticket_id, int64_t now,
                                   int64_t *event_id_out);

/*
 * Inside the caller's open transaction: event event_id, which has no ticket and is in state
 * from_state ("pending", "watching" or "dismissed"), takes level (more severe than from_level,
 * its own) and comes back to 待研判 (docs/desk.md "A more serious item"): state pending (from
 * watching or dismissed with resurfaced_at = now and resurface_reason 'level'), its 研判
 * deadline the new level's from now (desk policy) when that is sooner, an event_log row
 * 'level_raised' by 'system' whose note is "level <from> -> <to> <cause>". cause: borrowed,
 * e.g. "item_id=weibo:1" (intake) or "merged_event=12" (并入). Opens no ticket (intake does
 * that itself when the policy hands the level over). Returns 0, ERR_RETRY, ERR_IO or
 * ERR_NOMEM; on failure the caller rolls back.
 */
int ticket_intake_event_raise_level(struct ticket_store *store, int64_t event_id,
                                    const char *from_state, enum yq_level from_level,
                                    enum yq_level level, const char *cause, int64_t now);

#endif
