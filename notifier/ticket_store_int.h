/*
 * Internals shared by the modules of the ticket store (ticket_store.c, ticket_intake.c,
 * ticket_flow.c, outbox.c). Not for use outside notifier/: go through ticket_store.h,
 * ticket_flow.h and outbox.h.
 */
#ifndef NOTIFIER_TICKET_STORE_INT_H
#define NOTIFIER_TICKET_STORE_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "yq_db.h"

#include "ticket_store.h"

struct ticket_store {
    struct yq_db *db;
    bool readonly;
    const struct ticket_policy *policy; /* borrowed; NULL = built-in defaults */
    char last_error[256];               /* copy of yq_db_errmsg() of the last failure */
    char outbox_owner[128]; /* who claims outbox rows through this handle (outbox_claim());
                               the marks touch only rows it still holds; "" = none */
    int64_t intake_ms; /* issue #16: the intake time (ms since the epoch, UTC) of the alert
                          being taken in, its items' stored_at_ms; set by ticket_intake.h's
                          functions for the length of their transaction */
};

/* Record rc's SQLite message as the store's last error; return the shared code for rc. */
int ticket_store_fail(struct ticket_store *store, int rc, const char *what);

/* sqlite3_exec(sql) mapped to the shared codes. */
int ticket_store_exec(struct ticket_store *store, const char *sql, const char *what);

/* sqlite3_prepare_v2(sql) into *out mapped to the shared codes. */
int ticket_store_prepare(struct ticket_store *store, const char *sql, struct yq_stmt **out,
                         const char *what);

/* Step st once (DONE or ROW is success), finalize it, map the result. */
int ticket_store_step_done(struct ticket_store *store, struct yq_stmt *st, const char *what);
/*
 * Run st (a write whose rows and change count the caller does not read) as a deferred
 * statement (yq_stmt_step_deferred(): at once on SQLite, in the pipeline on PostgreSQL inside a
 * transaction) and finalise it. Returns 0 or an ERR_* code: st's, or an earlier deferred
 * statement's; either way the transaction must be rolled back.
 */
int ticket_store_step_deferred(struct ticket_store *store, struct yq_stmt *st, const char *what);

/*
 * Step an INSERT ... RETURNING id once, finalise it, map the result; *id = the new row's id, 0
 * when no row was inserted (ON CONFLICT DO NOTHING).
 */
int ticket_store_step_id(struct ticket_store *store, struct yq_stmt *st, const char *what,
                         int64_t *id);

/* s, or "" for NULL. */
const char *ticket_store_nz(const char *s);

/* BEGIN IMMEDIATE; ROLLBACK when a transaction is open (for error paths). */
int ticket_store_begin(struct ticket_store *store, const char *what);
void ticket_store_rollback(struct ticket_store *store);

/*
 * Append one ticket_log row inside the caller's transaction. from_state/to_state/note may be
 * NULL. log_id (may be NULL) receives the new row id.
 */
int ticket_store_log_append(struct ticket_store *store, int64_t ticket_id, int64_t at,
                            const char *actor, const char *role, const char *action,
                            const char *from_state, const char *to_state, const char *note,
                            int64_t *log_id);

/*
 * Append one event_log row (issue #13) inside the caller's transaction (the log is
 * append-only: triggers refuse UPDATE and DELETE). actor, role (NULL = "system"), action,
 * from_state, to_state and note are borrowed; NULL texts are stored as "". Actions written:
 * created, auto_assigned, resurfaced, judge_reminded (actor system; intake and the reminder);
 * assign, confirm, merge, merged_in, watch, dismiss (the officer; event_flow.h).
 * Returns 0, ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int ticket_store_event_log_append(struct ticket_store *store, int64_t event_id, int64_t at,
                                  const char *actor, const char *role, const char *action,
                                  const char *from_state, const char *to_state,
                                  const char *note);

/* The policy in effect (never NULL: a static default policy when none is set). */
const struct ticket_policy *ticket_store_policy_or_default(const struct ticket_store *store);

/* How a column is stored in a struct field (struct ticket_store_col). */
enum ticket_store_col_type {
    TICKET_COL_TEXT,         /* char *: a new copy, "" for NULL */
    TICKET_COL_TEXT_OR_NULL, /* char *: a new copy, NULL for NULL */
    TICKET_COL_INT,          /* int64_t: NULL reads as 0 ("not yet" for times) */
    TICKET_COL_REAL,         /* double */
    TICKET_COL_FLAG,         /* bool: the integer is not 0 */
    TICKET_COL_PRESENT,      /* bool: the column is not NULL */
    TICKET_COL_LEVEL,        /* enum yq_level from "I".."IV" */
    TICKET_COL_STATE,        /* enum ticket_state from its name */
};

/* One column of a result row and the field of a struct it fills (a row reader's table). */
struct ticket_store_col {
    int index; /* the result column */
    enum ticket_store_col_type type;
    size_t offset; /* offsetof the field */
};

/*
 * A row of a column table: result column i, stored as TICKET_COL_<type> in member field of
 * struct_type. Each table names its own one-line shorthand over it (TCOL, ICOL...).
 */
#define TICKET_STORE_COL(struct_type, i, type, field)                                              \
    {                                                                                              \
        (i), TICKET_COL_##type, offsetof(struct_type, field)                                       \
    }

/*
 * Fill the fields of obj named in cols (n_cols entries) from the current row of st. On
 * ERR_NOMEM the texts read so far are freed (set to NULL). Returns 0 or ERR_NOMEM.
 */
int ticket_store_read_cols(struct yq_stmt *st, const struct ticket_store_col *cols, size_t n_cols,
                           void *obj);

/*
 * A row type of the store (tickets, items, log, responses, held items, blind windows): its
 * column table (n_cols entries, static storage) and the size in bytes of the struct one row
 * fills. ticket_store_read_elem() and ticket_store_collect_rows() read rows by it; each row
 * type is defined with TICKET_STORE_ROWS() (below).
 */
struct ticket_store_row_type {
    const struct ticket_store_col *cols;
    size_t n_cols;
    size_t elem_size;
};

/*
 * Zero elem (rt->elem_size bytes, caller storage) and fill it from the current row of st by
 * rt's columns (ticket_store_read_cols()). Returns 0 or ERR_NOMEM (nothing left to release).
 */
int ticket_store_read_elem(struct yq_stmt *st, const struct ticket_store_row_type *rt, void *elem);

/*
 * The events row of a ticket (aliased t; rule_ids from its first item), judged at creation:
 * an INSERT ... SELECT up to its last two values (created_at, updated_at), which the caller
 * appends with its FROM clause. Migration 9 runs it for every ticket before it; event intake
 * for one ticket that has no event yet. One text, so both create the same row.
 */
#define TICKET_STORE_EVENT_OF_TICKET                                                               \
    "INSERT INTO events (event_key, kind, state, title, level, department, co_departments, "       \
    "rule_ids, first_post_at, detected_at, last_item_at, item_count, heat, score, "                \
    "rules_version, ticket_id, judge_deadline, judged_at, judged_by, outcome, created_at, "        \
    "updated_at) "                                                                                 \
    "SELECT t.event_key, 'match', 'assigned', t.title, t.level, t.department, "                    \
    "t.co_departments, COALESCE((SELECT i.rule_ids FROM ticket_items i WHERE i.ticket_id = "       \
    "t.id ORDER BY i.id LIMIT 1), '[]'), t.first_post_at, t.detected_at, t.updated_at, "           \
    "t.item_count, t.heat, t.score, t.rules_version, t.id, t.detected_at, t.created_at, "          \
    "'system', 'assigned', "

/* Free the text fields of obj named in cols (set to NULL); the other fields are kept. */
void ticket_store_free_cols(const struct ticket_store_col *cols, size_t n_cols, void *obj);

/* Free the text fields named in cols of each of the n rows of v (elem_size bytes each), then v. */
void ticket_store_free_rows(const struct ticket_store_col *cols, size_t n_cols, void *v, size_t n,
                            size_t elem_size);

/*
 * Define a row type of the store, the one way every row type (tickets, items, log, responses,
 * held items, blind windows) is written: a column table plus one line of this macro.
 * It defines list_release(list_type *list), the public release of a list {n, v} of struct_type
 * rows (declared with TICKET_STORE_LIST(), ticket_store.h) read with the static column array
 * cols (free each row's texts and v, zero the list; NULL is a no-op), and then declares rows,
 * the static struct ticket_store_row_type of struct_type and cols; the line ends with that
 * declaration's ';':
 *     TICKET_STORE_ROWS(log_rows, struct ticket_log_entry, log_cols, struct ticket_log_list,
 *                       ticket_log_list_release);
 */
#define TICKET_STORE_ROWS(rows, struct_type, cols, list_type, list_release)                        \
    void list_release(list_type *list)                                                             \
    {                                                                                              \
        if (list) {                                                                                \
            ticket_store_free_rows((cols), sizeof(cols) / sizeof((cols)[0]), list->v, list->n,     \
                                   sizeof(*list->v));                                              \
            memset(list, 0, sizeof(*list));                                                        \
        }                                                                                          \
    }                                                                                              \
    static const struct ticket_store_row_type rows = {(cols), sizeof(cols) / sizeof((cols)[0]),    \
                                                      sizeof(struct_type)}

/*
 * TICKET_STORE_ROWS() for a row type that is also read one row at a time (tickets, items):
 * release(struct_type *row), the public release of one row (free its texts, zero it; NULL is a
 * no-op), as well.
 */
#define TICKET_STORE_ROWS_AND_RELEASE(rows, struct_type, cols, release, list_type, list_release)   \
    void release(struct_type *row)                                                                 \
    {                                                                                              \
        if (row) {                                                                                 \
            ticket_store_free_cols((cols), sizeof(cols) / sizeof((cols)[0]), row);                 \
            memset(row, 0, sizeof(*row));                                                          \
        }                                                                                          \
    }                                                                                              \
    TICKET_STORE_ROWS(rows, struct_type, cols, list_type, list_release)

/* SELECT ... FROM tickets WHERE id = ? into out. 0, ERR_NOT_FOUND, ERR_RETRY, ERR_IO, NOMEM. */
int ticket_store_get_by_id(struct ticket_store *store, int64_t id, struct ticket *out);

/*
 * Step st (prepared and bound; finalized here) to its end, reading each row of row type rt
 * (borrowed) with ticket_store_read_elem() into one more element of the vector *v
 * (rt->elem_size bytes each, *n in use, at most max: the SQL carries the same LIMIT). On
 * failure the elements read so far stay in *v for the caller's release function.
 * Returns 0, ERR_TOO_BIG (more than max rows), ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int ticket_store_collect_rows(struct ticket_store *store, struct yq_stmt *st, const char *what,
                              size_t max, const struct ticket_store_row_type *rt, void **v,
                              size_t *n);

#define TICKET_STORE_COLUMNS                                                                       \
    "id, number, event_key, title, level, department, state, first_post_at, detected_at, "         \
    "ack_deadline, response_deadline, item_count, score, rules_version, url, created_at, "         \
    "updated_at, co_departments, heat, assigned_at, acknowledged_at, responded_at, closed_at, "    \
    "returned_at, dismissed_at, dismiss_reason, reopened_at, reopen_count, press_deadline, "       \
    "press_held_at, close_deadline, ack_overdue, response_overdue, press_overdue, close_overdue, " \
    "version, rules_unverified, rules_checked_at"

#endif
