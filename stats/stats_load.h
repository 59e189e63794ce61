/*
 * Loading ticket histories from the notifier's SQLite ticket store (notifier/ticket_store.h,
 * schema versions 1 to 13; 3 to 11 read as 2 for the tickets, 12 adds the clock history, 13
 * the items' times in ms, not read) into struct stats_ticket
 * records, and the events of the 研判 inbox (schema 9) into struct stats_event, on a read-only
 * connection and in one read transaction (one consistent snapshot, while the notifier keeps
 * writing in WAL mode).
 *
 * Columns read (schema 2; with schema 1 the columns marked * are absent and read as 0/none):
 *   tickets: id, number, title, level, department, detected_at, assigned_at*, acknowledged_at*,
 *            responded_at*, press_held_at*, closed_at*, dismissed_at*, returned_at*,
 *            ack_deadline, response_deadline, press_deadline*, close_deadline*
 *   ticket_items: the first item's source_id (else source), first rule id and that rule's
 *                 "group" in matches (when the alert carried one); added_at (alerts)
 *   ticket_item_revisions*: added_at of each revision after an item's first (alerts)
 *   ticket_log: at, to_state* (the state history; schema 1 has none and the history is implied)
 *   ticket_responses*: responded_at, channel, recorded_at (in the order recorded)
 *   ticket_clock_history (schema 12 on): at, department, level, assigned_at and the four
 *                 deadlines of every clock set (at most STATS_CLOCK_SETS_MAX per ticket)
 * and from schema 9 on the 研判 inbox (stats_judge.h; docs/desk.md):
 *   events: kind, state, detected_at, judge_deadline, judged_at, judged_by, outcome,
 *           dismiss_reason, rule_groups (a JSON array of strings)
 *   event_log: the first row leaving state 'auto_assigned' (its at and to_state: the
 *              confirmation of a 交办待确认 event) and whether any row enters or leaves it
 */
#ifndef STATS_STATS_LOAD_H
#define STATS_STATS_LOAD_H

#include <stddef.h>
#include <stdint.h>
#include "yq_db.h"

#include "stats.h"

struct yq_db;
struct stats_arena;

/* Loaded tickets; everything they point to lives in the set. Release with stats_ticket_set_release(). */
struct stats_ticket_set {
    struct stats_ticket *v;
    size_t n;
    int schema_version; /* of the database read */
    /* the events detected before `before` (schema 9 on; has_events false before) */
    struct stats_event *events;
    size_t n_events;
    bool has_events;
    struct stats_arena *arena;
};

/*
 * Open path read-only (yq_db_open() with YQ_DB_READONLY_OPEN; the file must exist) with
 * busy_timeout_ms (values outside 1..599999 take 5000).
 * out: a new connection (sqlite3_close() it). errbuf: one line naming the path and reason.
 * Returns 0, ERR_NOT_FOUND (no such file), ERR_PARSE (not a database) or ERR_IO.
 */
int stats_db_open(const char *path, int64_t busy_timeout_ms, struct yq_db **out, char *errbuf,
                  size_t errlen);

/*
 * Read every ticket detected before `before` (seconds UTC; the report window's end) with its
 * history, and every event of the 研判 inbox detected before it (a store before schema 9 has
 * none: has_events false, not an error). db: borrowed, any connection (read-only is enough). out: caller storage, filled
 * on success. errbuf: one line (the SQLite reason, copied).
 * Returns 0, ERR_BAD_STATE (no ticket store, or a schema version this build does not know),
 * ERR_RETRY (database busy/locked), ERR_IO or ERR_NOMEM. Not thread-safe on one db handle.
 */
int stats_load(struct yq_db *db, int64_t before, struct stats_ticket_set *out, char *errbuf,
               size_t errlen);

/* Free what set owns and zero it. NULL is a no-op. */
void stats_ticket_set_release(struct stats_ticket_set *set);

#endif
