/*
 * The notification outbox (design §5, §8). A transition that must tell someone writes its
 * notifications as outbox rows in the same SQLite transaction as the transition itself, so a
 * notification exists exactly when its transition does. The delivery worker (delivery.h)
 * sends due rows and marks them; rows are never deleted.
 *
 * One row per (transition, channel): idem_key = "t<ticket id>:l<log id>:<channel>" is
 * UNIQUE, so writing the same notification twice is a no-op and a redelivered alert (which
 * writes no log row) writes no notification. States: pending -> delivered | failed.
 * Transient failures stay pending with a later next_attempt_at (retried until delivered);
 * permanent ones (bad key, bad signature, invalid address) become failed and are listed by
 * `yuqingctl tickets outbox`; `yuqingctl tickets redeliver ID` puts one back to pending.
 *
 * All functions take a writable store handle; thread-safety is the store's (one thread per
 * handle).
 */
#ifndef NOTIFIER_OUTBOX_H
#define NOTIFIER_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "notify_cfg.h"
#include "ticket_store.h"

/*
 * The longest notification text composed (bytes): no channel takes more than 1 MiB
 * (notify.channels.*.max_bytes at most) and each cuts to its own limit; the parts (title,
 * detail, excerpt) are bounded far below it, so reaching it is refused (ERR_TOO_BIG).
 */
#define OUTBOX_BODY_MAX_BYTES (1024 * 1024)

enum outbox_recipients {
    OUTBOX_TO_LIAISON = 1 << 0,    /* the lead department's liaison (联络员) */
    OUTBOX_TO_CO_LIAISON = 1 << 1, /* the co-handling departments' liaisons */
    OUTBOX_TO_HEAD = 1 << 2,       /* the lead department's head (分管负责人) */
    OUTBOX_TO_DUTY = 1 << 3,       /* the duty officer (值班室) */
};

/*
 * Inside the caller's open transaction: compose the message of kind about ticket_id and
 * insert one row per distinct channel of recipients (routes of the store's policy).
 * kind:   "created" (交办), "assigned" (改派), "returned" (退回), "reopened" (重新打开),
 *         "remind" (催办), "supervise" (督办), "level_set" (级别调整), "dismissed" (不予处置);
 *         static or borrowed. A closed or dismissed ticket's message lists no deadlines.
 * detail: one extra line (e.g. which deadline passed), may be NULL; borrowed.
 * urgent: deliver even in quiet hours unless notify.quiet_hours_urgent (levels I/II and
 *         督办 pass true).
 * n_out:  rows inserted (may be NULL); 0 when nobody is configured.
 * Returns 0, ERR_NOT_FOUND (no such ticket), ERR_TOO_BIG (the message would be longer than
 * OUTBOX_BODY_MAX_BYTES: nothing inserted), ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int outbox_enqueue(struct ticket_store *store, int64_t ticket_id, int64_t log_id, const char *kind,
                   unsigned recipients, bool urgent, const char *detail, int64_t now, int *n_out);

/*
 * Inside the caller's open transaction: one notification about event event_id (the 研判
 * inbox, docs/desk.md) to each duty officer channel: kind "judge_overdue" (研判超时); static
 * or borrowed. deadline: the 研判 deadline reminded of (seconds), part of the idem_key
 * "e<event id>:j<deadline>:<channel>", so one deadline is told once. The row carries the
 * event's ticket when it has one (auto_assigned), else none. Urgent for levels I/II.
 * n_out: rows inserted (may be NULL). Returns 0, ERR_NOT_FOUND (no such event), ERR_TOO_BIG,
 * ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int outbox_enqueue_event(struct ticket_store *store, int64_t event_id, const char *kind,
                         int64_t deadline, int64_t now, int *n_out);

/* A notification as the worker sees it. Strings new; release with outbox_batch_release(). */
struct outbox_msg {
    int64_t id;
    char *idem_key;
    int64_t ticket_id;
    char *kind;
    char *channel;
    char *role;
    bool urgent;
    char *subject; /* one line: "【交办】YQ-2026-11-0042 …" */
    char *body;    /* plain text lines, ticket number and link first, excerpt last */
    char *link;
    int64_t attempts;
    int64_t shrink; /* how many times the body was halved after a "too long" answer */
    int64_t next_attempt_at;
};

struct outbox_batch {
    size_t n;
    struct outbox_msg *v;
};

/*
 * Pending rows with next_attempt_at <= now, oldest first, at most max.
 * out: caller storage; release with outbox_batch_release(). Returns 0, ERR_RETRY, ERR_IO, NOMEM.
 */
int outbox_due(struct ticket_store *store, int64_t now, size_t max, struct outbox_batch *out);

void outbox_batch_release(struct outbox_batch *batch);

/*
 * How long a notifier's claim on outbox rows lasts by default (seconds; notify.claim_lease_ms
 * overrides it): longer than one delivery round
 * takes (notify.batch rows, each bounded by its channel's HTTP or SMTP timeout), so a live
 * notifier finishes its rows before another may take them over, and short enough that the
 * rows of a notifier that died go out again within two minutes.
 */
#define OUTBOX_CLAIM_LEASE_S 120

/*
 * Several notifiers on one PostgreSQL store (issue #16): claim up to max due rows for owner
 * (a name unique to this process, e.g. "host:pid:start") until now + lease_s, and return them
 * as outbox_due() does. One UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) in its
 * own short transaction: two notifiers claiming at once get disjoint rows, and a row claimed
 * by a live notifier is not claimed again until its lease runs out (a notifier that died
 * leaves its rows to the others then). The marks below clear the claim.
 * Delivery is at least once: a notifier killed between a channel's acceptance and its mark
 * leaves the row pending, and another sends it again after the lease; the row's idem_key
 * reaches the channel (webhook header / body) so a receiver can drop the repeat.
 * On SQLite (one notifier per store, its own file lock) this is outbox_due(): no claim.
 * out: caller storage; release with outbox_batch_release(). Returns 0, ERR_INVALID (empty
 * owner or lease_s <= 0 on PostgreSQL), ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int outbox_claim(struct ticket_store *store, const char *owner, int64_t now, int64_t lease_s,
                 size_t max, struct outbox_batch *out);

/*
 * Give a claimed row back without an attempt (paced channel, shutdown), so that any notifier
 * may take it at once. A row not claimed, or SQLite: nothing, 0. Returns 0, ERR_RETRY or ERR_IO.
 */
int outbox_unclaim(struct ticket_store *store, int64_t id);

/* Mark row id delivered at now. Returns 0, ERR_RETRY or ERR_IO. */
int outbox_mark_delivered(struct ticket_store *store, int64_t id, int64_t now);

/*
 * Leave row id pending until next_at. counted: the attempt was made (attempts + 1; false
 * for quiet hours and local pacing). error: one line (no secrets), may be NULL. shrink: the
 * row's new shrink level. Returns 0, ERR_RETRY or ERR_IO.
 */
int outbox_mark_retry(struct ticket_store *store, int64_t id, int64_t next_at, bool counted,
                      int64_t shrink, const char *error);

/* Mark row id failed permanently (attempts + 1) with error. Returns 0, ERR_RETRY or ERR_IO. */
int outbox_mark_failed(struct ticket_store *store, int64_t id, const char *error);

/* Put a failed row back to pending, due at now. 0, ERR_NOT_FOUND (no failed row id), ... */
int outbox_requeue(struct ticket_store *store, int64_t id, int64_t now);

/* Rows in state ("pending", "delivered", "failed"; NULL = all). */
int outbox_count(struct ticket_store *store, const char *state, int64_t *out);

/*
 * Administrator alerts (FC-030, FC-032, issue #5). A channel whose robot or server refuses its
 * key, token, signature or login fails every message sent through it until someone fixes the
 * configuration, so the channels of notifier.yaml "administrator" (routes of the store's
 * policy) are told once per fault: from the first such refusal until the channel next
 * delivers. The fault state survives restarts in the table
 *   channel_faults (channel PRIMARY KEY, failing 0/1, faults (count), failing_since,
 *                   last_error, recovered_at)
 * which these functions create when missing (CREATE TABLE IF NOT EXISTS; it is not part of
 * the numbered migrations of ticket_store.c).
 *
 * An alert is one outbox row per administrator channel (never the failing channel itself):
 * idem_key "adm:<channel>:f<fault number>:<administrator channel>", kind "config_error", role
 * "administrator", no ticket, urgent (quiet hours hold it back only with
 * notify.quiet_hours_urgent). Its zh-CN text names the channel, its type and the error, and
 * says what to check for that type (clock, key_file, secret_file, password_file, the robot's
 * security settings). It names the secret files, never a secret: any key, secret or password
 * of ch found in error is replaced by "***".
 */

/*
 * Inside the caller's open transaction: one outbox row of kind (static, e.g. "config_error",
 * "source_blind") per distinct administrator channel of the store's routes
 * (notify_routes.administrator) other than skip (NULL: none), role 'administrator', subject
 * and body as given (borrowed), idem key "<key_prefix>:<channel>" (key_prefix cut to 300
 * bytes): a key already in the outbox adds nothing, so each notice goes out once. now: UTC
 * seconds (created and first attempt). *inserted (may be NULL) is increased by the rows added.
 * No administrator channel: nothing, 0. Returns 0, ERR_IO, ERR_RETRY or ERR_NOMEM.
 */
int outbox_enqueue_administrators(struct ticket_store *store, const char *kind,
                                  const char *key_prefix, const char *skip, bool urgent,
                                  const char *subject, const char *body, int64_t now,
                                  int *inserted);

/*
 * Record that ch (borrowed) refused a message for a configuration reason at now (seconds).
 * error: one line (the robot's code and message), borrowed, may be NULL.
 * new_out: true when this opened a fault (the channel was not already failing); may be NULL.
 * n_out: alert rows written (0 when the fault was already open or nobody else is configured
 * under "administrator"); may be NULL.
 * Runs its own transaction (the caller must not have one open). Returns 0, ERR_RETRY, ERR_IO,
 * ERR_TOO_BIG (the alert text over OUTBOX_BODY_MAX_BYTES) or ERR_NOMEM (nothing recorded).
 */
int outbox_channel_config_failed(struct ticket_store *store, const struct notify_channel *ch,
                                 const char *error, int64_t now, bool *new_out, int *n_out);

/*
 * Record that channel (NUL-terminated, borrowed) delivered at now (seconds): an open fault is
 * closed, so its next configuration failure alerts again. recovered_out (may be NULL): true
 * when a fault was closed. Returns 0, ERR_RETRY or ERR_IO.
 */
int outbox_channel_delivered(struct ticket_store *store, const char *channel, int64_t now,
                             bool *recovered_out);

#endif
