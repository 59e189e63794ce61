/*
 * Internals shared by the two halves of intake: ticket_intake.c (tickets, items, revisions,
 * held items: what an alert does to a ticket) and event_intake.c (ticket_intake_alert(): the
 * alert's way through the 研判 inbox's events, calling the former; what a batch knows of the
 * store is in event_intake_batch.c, event_intake_int.h). Not for use outside them:
 * go through ticket_intake.h. Every function runs inside the caller's open transaction.
 */
#ifndef NOTIFIER_TICKET_INTAKE_INT_H
#define NOTIFIER_TICKET_INTAKE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "ticket_intake.h"
#include "yq_alert.h"

struct intake_known; /* what a batch knows of the store (below) */

/* The bounded texts of an alert's item as a row stores them (each new). */
struct intake_item_row {
    char *title, *excerpt, *author, *rule_ids, *matches;
};

/*
 * The row texts of alert's item; title_from_text: a missing title is made from the text
 * (intake_title()). Returns 0 or ERR_NOMEM (r released).
 */
int intake_item_row_make(const struct yq_alert *alert, bool title_from_text,
                         struct intake_item_row *r);

/* Free r's texts and zero it. */
void intake_item_row_release(struct intake_item_row *r);

/* The item's title (at most 200 code points), else the start of its text, else "(无标题)";
   new string or NULL on ERR_NOMEM. */
char *intake_title(const struct yq_item *item);

/* The co-handling departments of an alert (the other matched rules'), a JSON array text;
   new or NULL on ERR_NOMEM. */
char *intake_co_departments(const struct yq_alert *alert);

/* Bind n texts (borrowed; NULL binds "") to the parameters first, first + 1, ... of st. */
void intake_bind_texts(struct yq_stmt *st, int first, const char *const *texts, int n);

/* Bind the item's published_at to parameter i (NULL when it has none). */
void intake_bind_published(struct yq_stmt *st, int i, const struct yq_item *item);

/*
 * Bind the item's fetch, match and intake times in milliseconds (issue #16, migration 13) to
 * parameters first .. first + 2 of st: yq_item_fetched_ms() and yq_alert_matched_ms(), each
 * at most store->intake_ms (a clock ahead of the notifier's cannot make a latency negative;
 * unknown binds NULL), then store->intake_ms.
 */
void intake_bind_times_ms(struct ticket_store *store, struct yq_stmt *st, int first,
                          const struct yq_alert *alert);

/* v within 0 .. 10^9 (an engagement count from untrusted feed data). */
int64_t intake_clamp_metric(int64_t v);

/* How much one item adds to heat: 1 plus its reposts, comments and likes when known. */
int64_t intake_item_heat(const struct yq_item *item);

/* The ticket of the alert's event at once (the policy's handover), its one item: res filled
   (outcome TICKET_INTAKE_CREATED). event_key: the event's key (borrowed; the root event's when
   the alert came through a merged one); detected_at: the event's detection (its first item's
   matched_at), where the statutory clocks start; the 签收 clock runs from now. */
int intake_create_ticket(struct ticket_store *store, const struct yq_alert *alert,
                         const char *event_key, int64_t detected_at, int64_t now,
                         struct intake_known *k, struct ticket_intake_result *res);

/* The alert's item on ticket res->ticket_id (res->number, res->item_count set): attached,
   revised, duplicate or reopening (ticket_intake.h). maybe_closed: the ticket was closed when
   read in this transaction (false skips the reopening check and its read). */
int intake_attach_item(struct ticket_store *store, const struct yq_alert *alert, int64_t now,
                       bool maybe_closed, struct intake_known *k,
                       struct ticket_intake_result *res);

/*
 * What a batch knows of the store (issue #16; event_intake_batch.c, ticket_intake_batch()): k
 * may be NULL (a single alert: nothing known). For the tickets k covers (those of the batch's
 * events when it began, and those it opened) it holds every ticket_items and ticket_item_revisions
 * row of the batch's item ids, kept current by the batch's inserts, so that those inserts need not
 * wait for their answers.
 *   intake_known_item: 1 ticket_id has item_id, 0 it has not, -1 not known (k NULL, ticket not
 *     covered);
 *   intake_known_revision: the same for the revision with content hash (NULL: any revision of
 *     the item);
 *   intake_known_item_add / _revision_add: a row the batch inserted (no-op when not covered);
 *   intake_known_ticket_new: ticket_id was opened in this batch (covered, empty).
 */
int intake_known_item(const struct intake_known *k, int64_t ticket_id, const char *item_id);
int intake_known_revision(const struct intake_known *k, int64_t ticket_id, const char *item_id,
                          const char *hash);
void intake_known_item_add(struct intake_known *k, int64_t ticket_id, const char *item_id);
void intake_known_revision_add(struct intake_known *k, int64_t ticket_id, const char *item_id,
                               const char *hash);
void intake_known_ticket_new(struct intake_known *k, int64_t ticket_id);

/* Why a new event's alert opens nothing: "official", "old", "undated" or NULL. */
const char *intake_hold_reason(struct ticket_store *store, const struct yq_alert *alert,
                               int64_t now);

/* Record the alert's item in held_items with reason (outcome HELD, or DUPLICATE when there). */
int intake_hold_item(struct ticket_store *store, const struct yq_alert *alert, const char *reason,
                     int64_t now, struct ticket_intake_result *res);

/*
 * Migration 4 (issue #10): the alert was matched on a rule set the matcher could not check;
 * ticket_id keeps the mark and the oldest known check time (checked_at 0 = never checked).
 */
int intake_mark_rules_unverified(struct ticket_store *store, int64_t ticket_id,
                                 int64_t checked_at);

#endif
