/*
 * The ticket lifecycle (design §5): the transitions people make and the escalation the clock
 * makes. The CLI (yuqingctl tickets), the JSON API (POST /api/tickets/{number}/{action}) and
 * later the web UI (#6) all call ticket_flow_apply(); authentication is the caller's job, the
 * actor and role are given to it.
 *
 *   action   from                        to            roles                       log action
 *   assign   open, returned              open          duty_officer, admin         assigned
 *   ack      open                        acknowledged  liaison, duty_officer, admin acknowledged
 *   respond  acknowledged, responded     responded     liaison, duty_officer, admin responded
 *   close    responded                   closed        liaison, duty_officer,      closed
 *                                                      head, admin
 *   dismiss  open, acknowledged, returned dismissed    duty_officer, admin         dismissed
 *   return   open, acknowledged          returned      liaison, head, admin        returned
 *   reopen   closed, dismissed           open          duty_officer, admin         reopened
 *   set_level open, acknowledged,        (unchanged)   duty_officer, admin         level_set
 *            responded, returned
 *   confirm_response open, acknowledged, responded       liaison, head,              responded
 *            responded                                  duty_officer, admin         (+ acknowledged)
 *   reject_response any                  (unchanged)   liaison, head,              response_rejected
 *                                                      duty_officer, admin
 *
 * confirm_response / reject_response decide a proposed 回应 (issue #15, docs/responses.md):
 * an official post that response_store.h scored as answering the ticket (proposal_id). Confirm
 * records it through the respond transition itself (one home: the ticket_responses row with
 * the post's channel and URL, responded_at = the post's publication time, else its fetch time,
 * kept within [detection, now]; recorded_by the confirmer; the response clock stops exactly
 * as for a manual respond; the respond step's field checks — channel, http(s) URL, text
 * without control or bidi characters — run as for a respond typed by hand) and links the row
 * (response_proposals.response_id). On a ticket not yet 签收 (state open) only the lead
 * department's liaison or head may confirm: it first records the 签收 at the confirm time, by
 * the confirmer, with its own log row ('acknowledged', note "确认回应时一并签收"). 签收 is the
 * department's clock (issue #17), so a duty officer, an admin or 'system' (auto confirmation)
 * is refused there (ERR_BAD_STATE, "ack_required") and may confirm once the department has
 * 签收. Reject keeps the proposal (state rejected, who,
 * when, the note) and logs 'response_rejected'; the ticket's state does not change. A
 * proposal already confirmed or rejected cannot be decided again (ERR_BAD_STATE,
 * "proposal_decided"). A liaison or head may decide only for their department's tickets: the
 * web layer checks the department before it calls (as for every action).
 *
 * A liaison closes with a short 处置结果 (the note). set_level re-grades the event and
 * recomputes the response and press-conference deadlines from the detection time with the
 * new level's clocks (a reassessment does not restart the statutory clock).
 *
 * Each transition runs in one BEGIN IMMEDIATE transaction that updates the ticket (state, the
 * step's time, version + 1), appends one ticket_log row (actor, role, from, to, note) and
 * writes its outbox notifications: assign -> the new lead and co-handling liaisons; return ->
 * the duty officer; reopen -> the lead liaison and the duty officer; set_level (kind
 * "level_set", 级别调整) and dismiss (kind "dismissed", 不予处置, with the reason's label) -> the
 * lead and co-handling liaisons, when the ticket has a department (issue #11).
 */
#ifndef NOTIFIER_TICKET_FLOW_H
#define NOTIFIER_TICKET_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ticket_store.h"

enum ticket_action_kind {
    TICKET_ACT_ASSIGN = 0,
    TICKET_ACT_ACK,
    TICKET_ACT_RESPOND,
    TICKET_ACT_CLOSE,
    TICKET_ACT_DISMISS,
    TICKET_ACT_RETURN,
    TICKET_ACT_REOPEN,
    TICKET_ACT_SET_LEVEL,
    TICKET_ACT_CONFIRM_RESPONSE,
    TICKET_ACT_REJECT_RESPONSE,
};
#define TICKET_ACT_COUNT 10

/* "assign", "ack", ... as in the table; "?" otherwise. Static. */
const char *ticket_action_name(enum ticket_action_kind kind);

/* Parse an action name. Returns 0 or ERR_INVALID. */
int ticket_action_parse(const char *name, enum ticket_action_kind *out);

/* True when role ("duty_officer", "liaison", "head", "admin") may perform kind. */
bool ticket_action_role_may(enum ticket_action_kind kind, const char *role);

/* True when kind is allowed from state (a ticket state name). */
bool ticket_action_allowed_from(enum ticket_action_kind kind, const char *state);

/*
 * The most co-handling departments one 交办 names: the ticket's assign and the event's 交办,
 * through the API, the web desk and yuqingctl alike; more are refused with
 * too_many_co_departments.
 */
#define TICKET_MAX_CO_DEPARTMENTS 10

/* One requested transition. Every string is borrowed, NUL-terminated UTF-8. */
struct ticket_action {
    enum ticket_action_kind kind;
    const char *number;       /* "YQ-2026-11-0042" */
    const char *actor;        /* who: 1..64 bytes, no control characters */
    const char *role;         /* NULL = "duty_officer" */
    const char *note;         /* free text up to 2,000 bytes; may be NULL */
    int64_t expected_version; /* > 0: fail with ERR_BAD_STATE unless the ticket still has it */
    bool expect_version;      /* true: expected_version is checked even when 0 (as intaken) */
    /* assign */
    const char *department;            /* new lead department (1..100 bytes) */
    const char *const *co_departments; /* up to TICKET_MAX_CO_DEPARTMENTS; may be NULL */
    size_t n_co_departments;
    /* respond */
    const char *channel; /* a code of yq_labels' YQ_LABEL_RESPONSE_CHANNEL (design §5) */
    const char *url; /* http(s) URL; required except for 新闻发布会, 吹风会 and 答复 */
    int64_t responded_at; /* seconds, UTC; 0 = now; not in the future, not before detection */
    /* dismiss: a code of YQ_LABEL_DISMISS_REASON ("other" needs a note); return: required text */
    const char *reason;
    /* set_level: the new level (YQ_LEVEL_I..YQ_LEVEL_IV) */
    enum yq_level level;
    /* confirm_response, reject_response: the proposal (response_proposals.id) */
    int64_t proposal_id;
};

struct ticket_action_result {
    char number[32];
    char from_state[16];
    char to_state[16];
    int64_t log_id;
    int64_t version;   /* the ticket's version after the transition */
    int notifications; /* outbox rows written */
};

/*
 * Apply act at now (seconds, UTC) as one transaction.
 * out: filled on success (may be NULL). errbuf: on failure one line "code: 中文说明", an
 * English machine code (lower case and '_') then the Chinese message for a person, e.g.
 * "state_not_allowed: 交办单 YQ-2026-11-0042 当前为“已办结”，签收须在“待签收”状态下进行";
 * split it with ticket_flow_error_split(); may be NULL. The codes are listed in docs/api.md.
 * Returns 0, ERR_NOT_FOUND (no such ticket), ERR_BAD_STATE (not allowed from the current
 * state, or expected_version differs), ERR_INVALID (bad or missing field, role not allowed),
 * ERR_RETRY (database busy), ERR_IO or ERR_NOMEM. Nothing changes on failure.
 */
int ticket_flow_apply(struct ticket_store *store, const struct ticket_action *act, int64_t now,
                      struct ticket_action_result *out, char *errbuf, size_t errlen);

/*
 * The department check of ticket_flow_apply()'s assign: whether lead (NUL-terminated, may be
 * NULL: not checked) and the n_co names of co (borrowed) are in the web UI's department
 * registry (table web_departments; without one, or an empty one, every name is taken).
 * The CLIs call it before they look for a channel, so an unknown name is named first.
 * errbuf: on ERR_INVALID one line "department_unknown: 中文说明" (as ticket_flow_apply());
 * may be NULL. Returns 0, ERR_INVALID (a name not registered) or a store error.
 */
int ticket_flow_check_departments(struct ticket_store *store, const char *lead,
                                  const char *const *co, size_t n_co, char *errbuf, size_t errlen);

/*
 * Split an errbuf of ticket_flow_apply() (NUL-terminated, borrowed; may be NULL) into its
 * machine code, copied into code (code_len bytes; "" when errbuf has none), and its message:
 * the returned pointer into errbuf after "code: " (errbuf itself when it has no code; "" for
 * NULL). Thread-safe.
 */
const char *ticket_flow_error_split(const char *errbuf, char *code, size_t code_len);

/*
 * Response detection inside the caller's open transaction (issue #15; response_store.h):
 * score official post post_id (just received) against the open tickets, or ticket ticket_id
 * (just created or handed over) against the official posts received within the lookback, and
 * record the proposals; a proposal whose score reaches responses.auto_confirm_min_score_percent
 * (> 0) is confirmed at once by actor and role 'system' as confirm_response would (a ticket
 * not yet 签收 or one that cannot be answered keeps it proposed). Detection runs after intake,
 * assign and reopen. n_out (may be NULL):
 * proposals made. Returns 0, ERR_NOT_FOUND (no such post), ERR_RETRY, ERR_IO, ERR_TOO_BIG or
 * ERR_NOMEM.
 */
int ticket_flow_detect_for_post(struct ticket_store *store, int64_t post_id, int64_t now,
                                int *n_out);
int ticket_flow_detect_for_ticket(struct ticket_store *store, int64_t ticket_id, int64_t now,
                                  int *n_out);

struct ticket_escalation_stats {
    int reminders;    /* 催办 recorded */
    int supervisions; /* 督办 recorded */
    int notifications;
};

/*
 * Check every active ticket's pending clocks (ticket_clock.h) at now (seconds, UTC; the
 * injectable clock) and record each newly reached stage once: a ticket_escalations row, a
 * ticket_log row ('system', 'remind' or 'supervise', note "clock=response deadline=..."), the
 * overdue flag for 督办, and outbox rows (催办 -> lead liaison, or the duty officer while the
 * ticket is returned; 督办 -> department head and duty officer). A clock is pending while:
 * ack: state open; response: no response yet and not closed/dismissed; press (I/II): no
 * 新闻发布会 yet; close: not closed/dismissed. A stage passed while the process was down is
 * recorded at the next call; a reminder whose deadline has also passed is skipped for the
 * 督办. out may be NULL.
 * Returns 0, ERR_RETRY, ERR_IO or ERR_NOMEM (what was recorded before the failure stays).
 */
int ticket_flow_escalate(struct ticket_store *store, int64_t now,
                         struct ticket_escalation_stats *out);

#endif
