/*
 * Alert intake (design §5): one alert becomes a new ticket, an item or revision on the event's
 * ticket, a reopening, or a held item (ticket_held.h), in one transaction with its log rows
 * and outbox notifications. The notifier's consumer loop (notifier.c) calls
 * ticket_intake_alert() once per alert and commits the Kafka offset after it.
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
};

struct ticket_intake_result {
    enum ticket_intake_outcome outcome;
    int64_t ticket_id;
    char number[32]; /* NUL-terminated ticket number */
    int64_t item_count;
    bool reopened; /* the change reopened a closed ticket (once, within the reopen window) */
};

/*
 * Record one alert, in one BEGIN IMMEDIATE transaction:
 *  - no ticket has alert->event_key: insert a ticket numbered from the per-month sequence of
 *    the detection time (alert->matched_at) in Asia/Shanghai, routed to the alert's department
 *    (lead) with the other matched rules' departments as co-handling (协办), deadlines from
 *    the policy's clocks, its first item and revision, a ticket_log row ('system', 'created')
 *    and outbox rows (交办) for the lead and co-handling liaisons and the duty officer;
 *  - the ticket exists and the item is new to it: attach the item, bump item_count and heat,
 *    keep the highest score and the earliest first_post_at, log ('system', 'item_added');
 *  - the item is on the ticket with the same content (title and text): change nothing
 *    (a redelivered alert or an identical revision; FC-036);
 *  - the item is on the ticket with new content: record the revision, log 'revision_added'.
 *  - no ticket has the event key and the item is old (published more than
 *    clocks.old_item_after_ms before it was fetched, ticket_item_is_old()) or official (its
 *    source is the government's own, item "official": true): no ticket, no clocks, no
 *    notification; the item is recorded once in held_items (outcome TICKET_INTAKE_HELD;
 *    issue #11, ticket_held.h). An existing ticket still takes such items as above.
 * A new item or revision of a closed ticket within clocks.reopen_window_ms of its closure
 * reopens it once (state open, log 'reopened', one outbox notification); later changes only
 * attach (FC-036). The level and statutory deadlines are not changed by later alerts.
 * alert: borrowed, decoded with yq_alert_decode().
 * now:   seconds since the epoch, UTC: created_at/updated_at, log times, reopen window.
 * out:   filled on success (may be NULL).
 * Returns 0, ERR_INVALID (alert lacks an event key or item id; permanent), ERR_RETRY (the
 * database is busy or locked: retry later), ERR_IO (SQLite failed: disk full, I/O error;
 * retry later) or ERR_NOMEM. On failure the transaction is rolled back.
 * Not for a read-only store (ERR_IO).
 */
int ticket_intake_alert(struct ticket_store *store, const struct yq_alert *alert, int64_t now,
                        struct ticket_intake_result *out);

#endif
