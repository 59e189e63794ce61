/*
 * The sources' blind windows (监测盲区, issue #15; docs/operations.md "Blind spots"): the
 * intervals in which a collector source was failing, walled (login wall, expired cookie),
 * stale, quiet or unpolled, as the collector reports them on topic kafka.sources_topic
 * (common/yq_source_event.h), recorded in the ticket store's table source_blind_windows
 * (migration 11) and told to the administrator channels of notifier.yaml "administrator".
 *
 * A window is named by (source_id, reason, started_at). Recording is idempotent and order-free:
 *   "open"   inserts the window (ended_at NULL); an existing row (open or closed) is left alone,
 *            and so is any open while (source_id, reason) has an open window already: at most
 *            one window per (source, reason) is open.
 *   "close"  sets ended_at (and closed_at = now) of the open row; with no such row it inserts
 *            the window closed (an unpolled window found afterwards, or a close that came
 *            before its open); a closed row is left alone.
 * A redelivered event changes nothing; an "open" after its "close" changes nothing.
 *
 * Notifications (outbox rows, kind, role 'administrator', no ticket, not urgent: quiet hours
 * hold them back), one per administrator channel, idem_key "blind:<window id>:<what>:<channel>"
 * so each is written at most once:
 *   a window's first recording as open  kind "source_blind"      what "open"
 *   the close of a window recorded open kind "source_recovered"  what "close"
 *   a window first recorded closed      kind "source_blind"      what "past" (one notice)
 * With no administrator channel configured the notice is only logged (LOG_WARN).
 *
 * All functions take a writable store handle (the list functions also work read-only);
 * thread-safety is the store's (one thread per handle).
 */
#ifndef NOTIFIER_SOURCE_BLIND_H
#define NOTIFIER_SOURCE_BLIND_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ticket_store.h"
#include "yq_source_event.h"

/* The most windows one list returns (GET /api/sources/blind, the briefing). */
#define SOURCE_BLIND_LIST_MAX 1000

/* What recording one source event did. */
enum source_blind_outcome {
    SOURCE_BLIND_OPENED = 0,    /* a new open window */
    SOURCE_BLIND_CLOSED = 1,    /* an open window closed */
    SOURCE_BLIND_PAST = 2,      /* a new window recorded closed (unpolled, or close first) */
    SOURCE_BLIND_UNCHANGED = 3, /* a redelivery, or an open after its close: nothing changed */
};

/*
 * Record ev (borrowed, decoded: yq_source_event_decode(); its texts are stored cut to
 * YQ_SOURCE_EVENT_TEXT_MAX bytes, cleaned by yq_text_printable(): control, C1, bidi characters
 * and invalid bytes as U+FFFD) at now (seconds UTC, the receipt
 * time: opened_at / closed_at) in one transaction of its own (the caller must not have one
 * open), with its administrator notices. outcome_out and n_notices_out (outbox rows written)
 * may be NULL.
 * A close whose detail starts with YQ_SOURCE_EVENT_RETIRED (a source no longer polled) is told
 * as 【信息源停用】, not as a recovery.
 * Returns 0, ERR_INVALID (no source_id, reason out of range, a close ending before its start,
 * a start before YQ_SOURCE_EVENT_MIN_TIME: nothing recorded), ERR_RETRY (busy), ERR_IO or ERR_NOMEM.
 */
int source_blind_record(struct ticket_store *store, const struct yq_source_event *ev, int64_t now,
                        enum source_blind_outcome *outcome_out, int *n_notices_out);

/* One recorded window. Strings new (source_blind_list_release()), "" when absent. */
struct source_blind_row {
    int64_t id;
    char *source_id;
    char *source_name;
    char *source_kind;
    char *department;
    char *reason; /* "failing", "walled", "stale", "quiet", "unpolled" */
    char *detail;
    char *renew;
    int64_t started_at; /* seconds UTC */
    int64_t ended_at;   /* 0 while open */
    int64_t opened_at;  /* when the notifier first recorded it */
    int64_t closed_at;  /* when it recorded the end; 0 while open */
};

TICKET_STORE_LIST(struct source_blind_list, struct source_blind_row, source_blind_list_release);

/*
 * The windows overlapping [since, until) (started before until, and open or ended after
 * since), newest start first, at most max (capped at SOURCE_BLIND_LIST_MAX). since == until
 * = t gives the windows open at t (started before t, not ended by t). source_id: only that
 * source (NULL or "" = all). out: caller storage, release with source_blind_list_release().
 * Returns 0, ERR_INVALID (until < since), ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int source_blind_list(struct ticket_store *store, const char *source_id, int64_t since,
                      int64_t until, size_t max, struct source_blind_list *out);

/*
 * w as JSON (docs/api.md "GET /api/sources/blind"): {"id","source_id","source_name",
 * "source_kind","department","reason","reason_label","detail","renew","started_at",
 * "ended_at" (null while open),"open","duration_s" (to now while open),"started_at_display",
 * "ended_at_display" (Beijing "YYYY-MM-DD HH:MM", null while open)}. Times RFC 3339 UTC.
 * New reference, or NULL when out of memory.
 */
json_t *source_blind_row_json(const struct source_blind_row *w, int64_t now);

#endif
