/*
 * The ticket store (design §5): SQLite in WAL mode with synchronous=FULL, one writer (the
 * notifier's consumer loop) and any number of read-only connections (the HTTP thread).
 *
 * Schema (migration 1; later issues append migrations, never edit applied ones):
 *   schema_version (version INTEGER PK, applied_at)
 *   ticket_number_seq (month TEXT PK "YYYY-MM", last_seq)
 *   tickets (id, number UNIQUE "YQ-YYYY-MM-NNNN", event_key UNIQUE, title, level I..IV,
 *            department, state, first_post_at, detected_at, ack_deadline, response_deadline,
 *            item_count, score, rules_version, url, created_at, updated_at)
 *   ticket_items (ticket_id, item_id, UNIQUE(ticket_id, item_id), source, source_id,
 *                 channel, url, title, excerpt, published_at, rule_ids (JSON array of
 *                 rule ids), matches (JSON array as in the alert), added_at)
 *   ticket_log (ticket_id, at, actor, action, note): append-only, triggers reject UPDATE
 *               and DELETE.
 * Times are INTEGER seconds since the epoch, UTC.
 *
 * Thread-safety: a store handle is used by one thread at a time; open one handle per thread
 * (WAL lets readers run while the writer commits).
 */
#ifndef NOTIFIER_TICKET_STORE_H
#define NOTIFIER_TICKET_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "yq_alert.h"
#include "yq_cfg.h"

/* The schema version this binary creates and understands. */
#define TICKET_STORE_SCHEMA_VERSION 1

struct ticket_store_cfg {
    char *path;              /* database file, or ":memory:" (tests) */
    int64_t busy_timeout_ms; /* how long a statement waits for another connection's lock */
};

/* Keys of the "store:" section of notifier.yaml. */
extern const struct cfg_key ticket_store_cfg_keys[];

struct ticket_store;

/* A ticket row. Strings are new, owned by the ticket; release with ticket_release(). */
struct ticket {
    int64_t id;
    char *number;    /* "YQ-2026-11-0042" */
    char *event_key; /* the alert's event key */
    char *title;
    enum yq_level level;
    char *department;
    char *state; /* "open", "acknowledged", "responded", "closed", "returned", "dismissed" */
    bool has_first_post;   /* false: no item had a publication time */
    int64_t first_post_at; /* earliest published_at of the ticket's items */
    int64_t detected_at;   /* the first alert's matched_at */
    int64_t ack_deadline;  /* see ticket_deadlines() */
    int64_t response_deadline;
    int64_t item_count;
    double score; /* the highest alert score seen for the event */
    int64_t rules_version;
    char *url; /* the first item's URL (untrusted feed text) */
    int64_t created_at;
    int64_t updated_at;
};

struct ticket_list {
    size_t n;
    struct ticket *v; /* owned array of n tickets */
};

/* An item attached to a ticket. Strings are new, owned; release with ticket_item_release(). */
struct ticket_item {
    int64_t ticket_id;
    char *item_id;
    char *source;
    char *source_id;
    char *channel;
    char *url;
    char *title;
    char *excerpt; /* up to ~160 code points of the text around the first text match */
    bool has_published;
    int64_t published_at;
    char *rule_ids; /* JSON array of the matched rule ids, e.g. ["land-01"] */
    char *matches;  /* JSON array of the alert's matches (rule, terms, offsets) */
    int64_t added_at;
};

struct ticket_item_list {
    size_t n;
    struct ticket_item *v; /* owned array of n items */
};

enum ticket_intake_outcome {
    TICKET_INTAKE_CREATED = 1,   /* a new ticket with this item */
    TICKET_INTAKE_ATTACHED = 2,  /* the item was added to the event's existing ticket */
    TICKET_INTAKE_DUPLICATE = 3, /* the item was already on the ticket: nothing changed */
};

struct ticket_intake_result {
    enum ticket_intake_outcome outcome;
    int64_t ticket_id;
    char number[32]; /* NUL-terminated ticket number */
    int64_t item_count;
};

/*
 * Open (creating if needed) the database at cfg->path for writing: WAL, synchronous=FULL,
 * busy_timeout, foreign_keys=ON, then run pending migrations. The parent directory of a file
 * path is created when missing (one level, mode 0750).
 * cfg:    borrowed; only read during the call.
 * out:    on success a new store; release with ticket_store_free().
 * errbuf: on failure one line naming the path and the SQLite reason; may be NULL.
 * Returns 0, ERR_IO (cannot open, or a pragma/migration failed), ERR_RETRY (database locked
 * by another writer past busy_timeout), ERR_BAD_STATE (the file's schema is newer than
 * TICKET_STORE_SCHEMA_VERSION) or ERR_NOMEM.
 */
int ticket_store_open(const struct ticket_store_cfg *cfg, struct ticket_store **out, char *errbuf,
                      size_t errlen);

/*
 * Open an existing database read-only (SQLITE_OPEN_READONLY) for a reader thread. Runs no
 * migrations; the schema must be at TICKET_STORE_SCHEMA_VERSION (the writer opens first).
 * Returns 0, ERR_IO, ERR_BAD_STATE (schema missing or of another version) or ERR_NOMEM, with one
 * line in errbuf.
 */
int ticket_store_open_readonly(const struct ticket_store_cfg *cfg, struct ticket_store **out,
                               char *errbuf, size_t errlen);

/* Close the connection. NULL is a no-op. */
void ticket_store_free(struct ticket_store *store);

/*
 * One line on the last SQLite failure of store ("intake begin: database is locked (rc=5)"),
 * or "no error". Borrowed; valid until the next call on store. Log it where the error is
 * handled.
 */
const char *ticket_store_errmsg(const struct ticket_store *store);

/*
 * The schema version recorded in the database (0 = none). Returns 0, ERR_IO or ERR_RETRY.
 */
int ticket_store_schema_version(struct ticket_store *store, int *out);

/*
 * Record one alert, in one BEGIN IMMEDIATE transaction:
 *  - no ticket has alert->event_key: insert a ticket numbered from the per-month sequence of
 *    the detection time (alert->matched_at) in Asia/Shanghai, its first item and a ticket_log
 *    row ('system', 'created');
 *  - the ticket exists and the item is new to it: attach the item, bump item_count, keep the
 *    highest score and the earliest first_post_at, log ('system', 'item_added', item id);
 *  - the item is already on the ticket (a redelivered alert): change nothing.
 * The level and deadlines of an existing ticket are not changed by later alerts (setting the
 * level is a duty-officer action, issue #5).
 * alert: borrowed, decoded with yq_alert_decode().
 * now:   seconds since the epoch, UTC: created_at/updated_at and log times.
 * out:   filled on success (may be NULL).
 * Returns 0, ERR_INVALID (alert lacks an event key or item id; permanent), ERR_RETRY (the
 * database is busy or locked: retry later), ERR_IO (SQLite failed: disk full, I/O error;
 * retry later) or ERR_NOMEM. On failure the transaction is rolled back.
 * Not for a read-only store (ERR_IO).
 */
int ticket_store_intake_alert(struct ticket_store *store, const struct yq_alert *alert, int64_t now,
                              struct ticket_intake_result *out);

/*
 * Tickets that still need work (every state except closed and dismissed), ordered by
 * response_deadline ascending, then id; at most max_tickets (>= 1) of them.
 * out: caller storage, filled with a new list; release with ticket_list_release().
 * Returns 0, ERR_RETRY, ERR_IO or ERR_NOMEM (out is then empty).
 */
int ticket_store_list_open(struct ticket_store *store, size_t max_tickets, struct ticket_list *out);

/* The number of tickets ticket_store_list_open() would list without a limit. */
int ticket_store_count_open(struct ticket_store *store, int64_t *out);

/*
 * One ticket by number ("YQ-2026-11-0042", borrowed). out: caller storage, filled on
 * success; release with ticket_release(). Returns 0, ERR_NOT_FOUND, ERR_RETRY, ERR_IO or
 * ERR_NOMEM.
 */
int ticket_store_get_by_number(struct ticket_store *store, const char *number, struct ticket *out);

/*
 * The items of ticket_id in the order they were attached; at most max_items (>= 1).
 * out: caller storage, filled with a new list; release with ticket_item_list_release().
 * Returns 0 (an unknown ticket gives an empty list), ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int ticket_store_list_items(struct ticket_store *store, int64_t ticket_id, size_t max_items,
                            struct ticket_item_list *out);

/* The number of ticket_log rows of ticket_id (for tests and the UI). */
int ticket_store_count_log(struct ticket_store *store, int64_t ticket_id, int64_t *out);

/*
 * The raw connection (borrowed; do not close) for tests and for later modules of this
 * process that add their own statements.
 */
struct sqlite3 *ticket_store_db(struct ticket_store *store);

/*
 * The deadlines of a ticket detected at detected_at (seconds, UTC) with level:
 *  - ack_out: detected_at + 1 h (design §5 default acknowledgement deadline);
 *  - response_out:
 *      I, II: detected_at + 5 h. 国办发〔2016〕80号 (国务院办公厅《〈关于全面推进政务公开
 *             工作的意见〉实施细则》): for 特别重大、重大突发事件 "最迟要在5小时内发布权威
 *             信息" (the 24 h press conference of 80号/61号 is a later milestone, issue #5);
 *      III:   detected_at + 48 h. 国办发〔2016〕61号 (国务院办公厅《关于在政务公开工作中
 *             进一步做好政务舆情回应的通知》): other 政务舆情 "应在48小时内予以回应";
 *      IV:    detected_at + 5 working days (local rules; design §5 default N = 5), where
 *             only Saturdays and Sundays in Asia/Shanghai are skipped. The holiday and 调休
 *             calendar, and making all of these configurable, come with issue #5.
 * Pure function; thread-safe.
 */
void ticket_deadlines(int64_t detected_at, enum yq_level level, int64_t *ack_out,
                      int64_t *response_out);

/*
 * "YQ-YYYY-MM-" for the Asia/Shanghai month of t (seconds, UTC) into buf (>= 12 bytes), and
 * "YYYY-MM" into month (>= 8 bytes; may be NULL). Thread-safe.
 */
void ticket_number_prefix(int64_t t, char *buf, size_t len, char *month, size_t month_len);

/* Free what t owns and zero it. NULL is a no-op. */
void ticket_release(struct ticket *t);
void ticket_list_release(struct ticket_list *list);
void ticket_item_release(struct ticket_item *item);
void ticket_item_list_release(struct ticket_item_list *list);

#endif
