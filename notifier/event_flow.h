/*
 * The duty officer's decisions on an event in the 研判 inbox (issue #13, design §5,
 * docs/desk.md): 交办 (assign), 确认交办 (confirm), 并入 (merge), 持续关注 (watch) and 不予处置
 * (dismiss). Each runs in one BEGIN IMMEDIATE transaction with its event_log row, and for 交办
 * with the new ticket, its items, its ticket_log row and its outbox notifications.
 *
 * Errors (all functions): 0, ERR_NOT_FOUND (no such event or target), ERR_BAD_STATE (the event's
 * state does not allow the action, or expect_version does not match), ERR_INVALID (a bad
 * argument: unknown department or level, missing reason, a merge into itself or into an
 * event merged into it, a note over EVENT_FLOW_NOTE_MAX_BYTES; who->errbuf, when set, says
 * which with its own code), ERR_RETRY (database busy),
 * ERR_IO, ERR_NOMEM. On failure nothing changes.
 */
#ifndef NOTIFIER_EVENT_FLOW_H
#define NOTIFIER_EVENT_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ticket_store.h"
#include "yq_alert.h"

#define EVENT_FLOW_NOTE_MAX_BYTES 2000

/* Event states (events.state); the names are the SQL values. */
enum event_state {
    EVENT_PENDING = 1,       /* 待研判 */
    EVENT_AUTO_ASSIGNED = 2, /* 交办待确认: handed over by policy, waiting for confirmation */
    EVENT_ASSIGNED = 3,      /* 已交办 */
    EVENT_WATCHING = 4,      /* 持续关注 */
    EVENT_MERGED = 5,        /* 已并入 */
    EVENT_DISMISSED = 6,     /* 不予处置 */
};

/* "pending", ... for a valid state; NULL otherwise. Static string. */
const char *event_state_name(enum event_state s);
/* 待研判, ... for a valid state; NULL otherwise. Static string. */
const char *event_state_label(enum event_state s);
/* Parse a state name. 0 or ERR_INVALID. */
int event_state_parse(const char *s, enum event_state *out);

/*
 * Whether an event in state s awaits 研判 (docs/desk.md): pending only. An event handed over
 * (auto_assigned: its ticket already runs; assigned), merged, dismissed or watched has nothing
 * to judge. The one predicate of the 研判 deadline: judge_overdue (event_read.h) and the
 * 研判超时 reminder (event_flow_remind_judge()). Pure.
 */
bool event_state_awaits_judgement(enum event_state s);

/*
 * Who acts: borrowed strings; name 1..64 bytes without control characters; role is "duty"
 * (the web layer's "duty_officer" is taken as the same) or "admin" (liaisons and heads cannot
 * judge events: ERR_INVALID).
 */
struct event_actor {
    const char *name;
    const char *role;
    /*
     * May be NULL: where an action that returns ERR_INVALID writes why, one line "code:
     * 中文说明" (errlen bytes; yq_label_split_error()) with the codes of the ticket flow:
     * actor_invalid, role_not_allowed, level_invalid, note_invalid, too_many_co_departments,
     * co_department_invalid, department_required, department_unknown, target_required,
     * merge_cycle, threshold_invalid, threshold_required, threshold_reached, reason_invalid,
     * note_required.
     */
    char *errbuf;
    size_t errlen;
};

/*
 * 交办: open the ticket of a pending or watching event. lead: a known department (non-empty);
 * co: n_co co-handling departments (borrowed, may be NULL when n_co is 0; duplicates and the
 * lead are ignored); level: the ticket's level; opinion: 研判意见 (may be empty).
 * The ticket's statutory deadlines run from the event's detection time (研判 never moves them);
 * its acknowledgement clock runs from now (the handover). Every item of the event becomes a
 * ticket item; the lead, co-handling liaisons and the duty officer are notified (outbox).
 * expect_version: the event's version as the caller saw it, or -1 to skip the check.
 * ticket_id_out / number_out (at least 32 bytes) may be NULL.
 */
int event_assign(struct ticket_store *store, int64_t event_id, const struct event_actor *who,
                 const char *lead, const char *const *co, size_t n_co, enum yq_level level,
                 const char *opinion, int64_t expect_version, int64_t now, int64_t *ticket_id_out,
                 char *number_out);

/* 确认交办: an auto_assigned event becomes assigned; opinion may be empty. */
int event_confirm(struct ticket_store *store, int64_t event_id, const struct event_actor *who,
                  const char *opinion, int64_t expect_version, int64_t now);

/*
 * 并入: attach a pending or watching event to target_event_id (> 0) or, when that is 0, to
 * the event of ticket target_ticket_id. Items, item count and heat move to the target (and to
 * its ticket, if any, as attached items); the event becomes merged with merged_into set.
 * A dismissed target (after following its merged_into links) is refused with ERR_BAD_STATE:
 * what is merged into it would never be judged.
 */
int event_merge(struct ticket_store *store, int64_t event_id, const struct event_actor *who,
                int64_t target_event_id, int64_t target_ticket_id, const char *note,
                int64_t expect_version, int64_t now);

/*
 * 持续关注: thresholds, each 0 = not used (at least one must be > 0): items (item_count
 * reaches it), heat (heat reaches it), quiet_s (a new item after at least this many seconds
 * without one). The event leaves the top of the inbox until one is passed (docs/desk.md).
 * An items or heat threshold at or below the event's item_count or heat now is refused
 * (ERR_INVALID, threshold_reached, naming the current value); so are negative ones
 * (threshold_invalid) and none at all (threshold_required).
 */
int event_watch(struct ticket_store *store, int64_t event_id, const struct event_actor *who,
                int64_t items, int64_t heat, int64_t quiet_s, const char *note,
                int64_t expect_version, int64_t now);

/* 不予处置: reason "irrelevant", "duplicate", "false_alarm", "out_of_scope" or "other" (which
 * needs a non-empty note). */
int event_dismiss(struct ticket_store *store, int64_t event_id, const struct event_actor *who,
                  const char *reason, const char *note, int64_t expect_version, int64_t now);

/*
 * The 研判 deadline reminder (the notifier's periodic pass, delivery.c): every event that
 * awaits 研判 (event_state_awaits_judgement(): pending) whose judge_deadline is at or before
 * now (seconds, injectable) and that was not reminded yet gets one outbox notification of kind
 * "judge_overdue" (研判超时) per duty officer channel (idem_key "e<event
 * id>:j<deadline>:<channel>"), judge_reminded_at = now and an event_log row 'judge_reminded'; so
 * each deadline is reminded once. A resurfaced event gets a new deadline and may be reminded again.
 * At most 100 events per call (the rest on the next). Own transaction. n_out (may be NULL): events
 * reminded. Returns 0, ERR_RETRY, ERR_IO, ERR_TOO_BIG or ERR_NOMEM (nothing changed).
 */
int event_flow_remind_judge(struct ticket_store *store, int64_t now, int *n_out);

#endif
