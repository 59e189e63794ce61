/*
 * The ticket store (design §5): SQLite in WAL mode with synchronous=FULL, one writer (the
 * notifier's consumer loop) and any number of read-only connections (the HTTP thread).
 *
 * Schema (migrations are appended, never edited; docs/tickets.md has the full reference):
 * Migration 1 (issue #2):
 *   schema_version (version INTEGER PK, applied_at)
 *   ticket_number_seq (month TEXT PK "YYYY-MM", last_seq)
 *   tickets (id, number UNIQUE "YQ-YYYY-MM-NNNN", event_key UNIQUE, title, level I..IV,
 *            department, state, first_post_at, detected_at, ack_deadline, response_deadline,
 *            item_count, score, rules_version, url, created_at, updated_at)
 *   ticket_items (ticket_id, item_id, UNIQUE(ticket_id, item_id), source, source_id,
 *                 channel, url, title, excerpt, published_at, rule_ids (JSON array of
 *                 rule ids), matches (JSON array as in the alert; "group" inside each
 *                 match since alerts carry it, no migration), added_at)
 *   ticket_log (ticket_id, at, actor, action, note): append-only, triggers reject UPDATE
 *               and DELETE.
 * Migration 2 (issue #5):
 *   tickets += co_departments (JSON array of names), heat, assigned_at, acknowledged_at,
 *              responded_at (first public response), closed_at, returned_at, dismissed_at,
 *              dismiss_reason, reopened_at, reopen_count, press_deadline, press_held_at,
 *              close_deadline, ack_overdue, response_overdue, press_overdue, close_overdue
 *              (0/1), version (bumped by every transition)
 *   ticket_log += actor_role, from_state, to_state
 *   ticket_item_revisions (ticket_id, item_id, content_hash, title, added_at; UNIQUE over the
 *              first three): each distinct content of an item (FC-036)
 *   ticket_responses (ticket_id, channel, url, responded_at, recorded_at, recorded_by, note,
 *              log_id): each public response (design §5 channels)
 *   ticket_escalations (ticket_id, clock, stage, deadline, at, log_id; UNIQUE over the first
 *              four): 催办/督办 sent once per clock and deadline
 *   outbox (id, idem_key UNIQUE, ticket_id, log_id, kind, channel, role, urgent, subject,
 *              body, link, state pending|delivered|failed, attempts, shrink, next_attempt_at,
 *              created_at, delivered_at, last_error): notifications written in the same
 *              transaction as the transition that causes them (outbox.h)
 * Migration 3 (issue #6, FC-033):
 *   ticket_items += author (the item's author as the feed gave it, at most 100 code points;
 *              '' for items stored before)
 * Migration 4 (issue #10):
 *   tickets += rules_unverified (0/1: some alert recorded on the ticket was matched while the
 *              matcher could not check its rule version; never cleared), rules_checked_at
 *              (the oldest "last successful check" among those alerts; NULL when unknown)
 * Migrations 5 and 6 (issue #11): held_items (docs/tickets.md).
 * Migration 7 (issue #12): indexes for the queue's filters (ticket_store_list()): tickets
 *   (level, state), tickets (detected_at), ticket_items (source_id | source | channel,
 *   ticket_id).
 * Migration 8 (issue #12): the web UI's accounts (web_auth.h) join this file's one
 *   schema-version track; their former track web_schema_version is folded in and dropped.
 * Migration 9 (issue #13): the 研判 inbox: events, event_items, event_log (append-only),
 *   silences, silenced_alerts, rate_counts, spikes (docs/desk.md); every existing ticket gets
 *   its event (state 'assigned').
 * Times are INTEGER seconds since the epoch, UTC; a NULL time (0 in struct ticket) means "not
 * yet" or "does not apply".
 *
 * Thread-safety: a store handle is used by one thread at a time; open one handle per thread
 * (WAL lets readers run while the writer commits).
 */
#ifndef NOTIFIER_TICKET_STORE_H
#define NOTIFIER_TICKET_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "notify_cfg.h"
#include "ticket_clock.h"
#include "workcal.h"
#include "yq_alert.h"
#include "yq_ticket_state.h"
#include "yq_cfg.h"

/* The schema version this binary creates and understands. */
#define TICKET_STORE_SCHEMA_VERSION 16

struct ticket_store_cfg {
    char *path;              /* database location: a file, ":memory:" (tests), "sqlite:FILE" or
                                a postgresql:// URL (yq_db.h) */
    int64_t busy_timeout_ms; /* how long a statement waits for another connection's lock */
    char *url;               /* store.url: a postgresql:// URL that replaces path when set */
};

/* The location the store opens: cfg->url when set, else cfg->path, else ":memory:". Borrowed. */
const char *ticket_store_location(const struct ticket_store_cfg *cfg);

/* Keys of the "store:" section of notifier.yaml. */
extern const struct cfg_key ticket_store_cfg_keys[];

struct ticket_store;
struct desk_policy;
struct yq_sentiment;
struct spike_cfg;
struct briefing_env;
struct response_cfg;

/*
 * Declare a list of rows the store reads whole (tickets, items, log, responses, held items,
 * blind windows), the one way each is written: struct list_type {n, v}, v an owned array of
 * n elem_type rows (NULL when n is 0), and its release, list_release(list_type *list): free
 * what each row owns and v, zero the list; NULL is a no-op. The release is defined with the
 * row type's columns by TICKET_STORE_ROWS() (ticket_store_int.h), which relies on the members
 * n and v. The line ends with the release's ';':
 *     TICKET_STORE_LIST(struct ticket_log_list, struct ticket_log_entry,
 *                       ticket_log_list_release);
 */
#define TICKET_STORE_LIST(list_type, elem_type, list_release)                                      \
    list_type                                                                                      \
    {                                                                                              \
        size_t n;                                                                                  \
        elem_type *v;                                                                              \
    };                                                                                             \
    void list_release(list_type *list)

/*
 * What the store needs to know beyond SQL: the clocks, the working-day calendar and who is
 * notified. Every member is borrowed and may be NULL: clock NULL = ticket_clock_defaults(),
 * cal NULL = Monday..Friday, routes NULL = no notifications, link_base NULL = "".
 */
struct ticket_policy {
    const struct ticket_clock_cfg *clock;
    const struct workcal *cal;
    const struct notify_routes *routes;
    const char *link_base;
    const struct desk_policy *desk; /* 研判 inbox policy (desk_policy.h); NULL = its defaults */
    const struct yq_sentiment *sentiment; /* item sentiment at intake (yq_sentiment.h); NULL =
                                             not scored (event_items.sentiment stays '') */
    const struct spike_cfg *spike; /* 突增 scan (spike.h) of the periodic pass; NULL = defaults */
    const struct briefing_env *briefing; /* 舆情日报 of the periodic pass and the reports API
                                            (briefing.h); NULL = none written on schedule */
    const struct response_cfg *responses; /* response detection (issue #15,
                                             response_detect.h); NULL = its defaults */
};

/*
 * Use policy (borrowed; must outlive the store or the next call; NULL = defaults) for intake,
 * transitions and escalation on this handle. Not thread-safe: set before use.
 */
void ticket_store_set_policy(struct ticket_store *store, const struct ticket_policy *policy);

/* A ticket row. Strings are new, owned by the ticket; release with ticket_release(). */
struct ticket {
    int64_t id;
    char *number;    /* "YQ-2026-11-0042" */
    char *event_key; /* the alert's event key */
    char *title;
    enum yq_level level;
    char *department;
    enum ticket_state state;
    bool has_first_post;   /* false: no item had a publication time */
    int64_t first_post_at; /* earliest published_at of the ticket's items */
    int64_t detected_at;   /* the first alert's matched_at */
    int64_t ack_deadline;  /* see ticket_clock_deadlines() */
    int64_t response_deadline;
    int64_t item_count;
    double score; /* the highest alert score seen for the event */
    int64_t rules_version;
    char *url; /* the first item's URL (untrusted feed text) */
    int64_t created_at;
    int64_t updated_at;
    /* migration 2; times are 0 when the step has not happened (or the clock does not apply) */
    char *co_departments;    /* JSON array of co-handling (协办) department names */
    int64_t heat;            /* sum over items of 1 + reposts + comments + likes */
    int64_t assigned_at;     /* last (re)assignment; the acknowledgement clock runs from it */
    int64_t acknowledged_at; /* last 签收 */
    int64_t responded_at;    /* first public response (as stated by the responder) */
    int64_t closed_at;
    int64_t returned_at;
    int64_t dismissed_at;
    char *dismiss_reason; /* "" unless dismissed */
    int64_t reopened_at;
    int64_t reopen_count;
    int64_t press_deadline; /* levels I/II: press conference (国办发〔2016〕80号) */
    int64_t press_held_at;  /* a response on channel 新闻发布会 */
    int64_t close_deadline; /* 办结 */
    bool ack_overdue;       /* set when the clock passed while still pending */
    bool response_overdue;
    bool press_overdue;
    bool close_overdue;
    int64_t version; /* bumped by every transition (for optimistic updates) */
    /* migration 4 (issue #10) */
    bool rules_unverified;    /* an alert of this ticket was matched on unverified rules */
    int64_t rules_checked_at; /* oldest last rule check of those alerts; 0 = unknown */
};

TICKET_STORE_LIST(struct ticket_list, struct ticket, ticket_list_release);

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
    char *matches;  /* JSON array of the alert's matches: rule_id, name, group (when the alert
                       carried one), department, level, terms with offsets */
    int64_t added_at;
    char *author; /* migration 3: untrusted feed text, "" when unknown or stored before */
    /* migration 13 (issue #16): milliseconds since the epoch, UTC; 0 = unknown (an item
       stored before it, or of an older collector or pipeline) */
    int64_t fetched_at_ms; /* the collector fetched the item */
    int64_t matched_at_ms; /* the pipeline matched it */
    int64_t stored_at_ms;  /* the notifier stored it (intake) */
};

TICKET_STORE_LIST(struct ticket_item_list, struct ticket_item, ticket_item_list_release);

/*
 * Create the store, once, before the first start (`yuqingctl store init`; issue #10): for a
 * file path, create the missing parent directories (0750) and the database file with mode 0600
 * before SQLite opens it (SQLite gives -wal and -shm the database file's mode), then open it,
 * switch to WAL and run every migration. On an existing store it only tightens the modes of
 * the file and its -wal/-shm to 0600 and runs pending migrations (idempotent). ":memory:" only
 * checks that the schema builds. A PostgreSQL location (the database, and the schema its
 * search_path names, must exist: created by the administrator) gets the tables there.
 * cfg:     borrowed. created: set to true when the file did not exist before, or on PostgreSQL
 *          when the schema had no store (may be NULL).
 * errbuf:  on failure one line naming the path and the reason.
 * Returns 0, ERR_IO (cannot create the directory or file, SQLite failed), ERR_RETRY (locked
 * past busy_timeout), ERR_BAD_STATE (schema newer than this binary), ERR_INVALID (the path
 * does not fit) or ERR_NOMEM.
 */
int ticket_store_init(const struct ticket_store_cfg *cfg, bool *created, char *errbuf,
                      size_t errlen);

/*
 * Open the EXISTING database at cfg->path for writing: WAL, synchronous=FULL, busy_timeout,
 * foreign_keys=ON, then run pending migrations. It never creates the store (a missing file
 * is ERR_NOT_FOUND: the disk may be unmounted or the path wrong, and an empty new store would
 * silently take the alerts); only ticket_store_init() does. An existing file without the
 * schema (e.g. an empty file) is refused the same way (ERR_NOT_FOUND), never migrated from
 * nothing; so is a PostgreSQL database (schema) without the store's tables. ":memory:" (and
 * "file:" URIs with mode=memory) open an empty in-memory store, for tests. An up-to-date store
 * takes no write lock to open (yq_db_migrate()).
 * Migrations are race-free: each reads the schema version inside the BEGIN IMMEDIATE
 * transaction that applies it, so two processes opening one store at once both succeed and
 * each migration runs once (the loser waits up to busy_timeout).
 * cfg:    borrowed; only read during the call.
 * out:    on success a new store; release with ticket_store_free().
 * errbuf: on failure one line naming the path and the reason; for a missing file it says to
 *         run 'yuqingctl store init'.
 * Returns 0, ERR_NOT_FOUND (no such file or directory), ERR_IO (cannot open, or a
 * pragma/migration failed), ERR_RETRY (database locked by another writer past busy_timeout),
 * ERR_BAD_STATE (the file's schema is newer than TICKET_STORE_SCHEMA_VERSION), ERR_INVALID
 * (not a regular file) or ERR_NOMEM.
 */
int ticket_store_open(const struct ticket_store_cfg *cfg, struct ticket_store **out, char *errbuf,
                      size_t errlen);

/*
 * Open an existing database read-only (SQLITE_OPEN_READONLY) for a reader thread. Runs no
 * migrations; the schema must be at TICKET_STORE_SCHEMA_VERSION (the writer opens first).
 * Returns 0, ERR_NOT_FOUND (no such file), ERR_IO, ERR_BAD_STATE (schema missing or of another
 * version) or ERR_NOMEM, with one line in errbuf.
 */
int ticket_store_open_readonly(const struct ticket_store_cfg *cfg, struct ticket_store **out,
                               char *errbuf, size_t errlen);

struct ticket_store_lock;

/*
 * Take the notifier's exclusive hold on a SQLite store (issue #10: two notifiers on one file
 * both delivered the same outbox rows): flock(LOCK_EX | LOCK_NB) on "<db>.lock" (created 0600,
 * holding the owner's pid) and on the database file itself (one inode, so a symlink, a hard
 * link or another spelling of the path is refused too), kept until ticket_store_lock_release() or the process ends (the
 * kernel drops it on exit, also after kill -9). Only notifiers take it: the web UI, the CLI
 * and readers still open the store. Several notifiers share a PostgreSQL store, which this
 * lock leaves alone (docs/operations.md, "Scaling").
 * An in-memory store needs no lock (a lock object is still returned).
 * cfg: borrowed. out: on success a new lock; release with ticket_store_lock_release().
 * Returns 0, ERR_BAD_STATE (another notifier holds it; errbuf names the path and its pid),
 * ERR_NOT_FOUND (the store's directory is missing), ERR_IO or ERR_NOMEM.
 * Two calls in one process conflict too (each opens its own file description).
 */
int ticket_store_lock_acquire(const struct ticket_store_cfg *cfg, struct ticket_store_lock **out,
                              char *errbuf, size_t errlen);

/* Drop the hold and free lock. NULL is a no-op. */
void ticket_store_lock_release(struct ticket_store_lock *lock);

/*
 * Whether store (borrowed, opened read-write) takes a write now, by writing: in a transaction
 * of its own (SQLite BEGIN IMMEDIATE: refused on a file opened read-only, e.g. one without
 * write permission; PostgreSQL: BEGIN and the writers' lock) it raises the counter of the one
 * row of store_probe (migration 16; never tickets nor the schema version) and commits. So a
 * read-only PostgreSQL server, role or transaction refuses it, and so does a full disk where
 * the commit needs new space (SQLITE_FULL; PostgreSQL's disk_full): on SQLite the commit
 * appends a page to the WAL file, which grows until a checkpoint starts it over; a write into
 * space the WAL file already holds still succeeds on a full disk, and the first batch that
 * needs more says so. One small commit (one fsync on SQLite). Returns 0, ERR_RETRY (another
 * writer held the lock past the busy timeout: cannot tell) or ERR_IO (cannot write), with the
 * reason in ticket_store_errmsg().
 */
int ticket_store_write_probe(struct ticket_store *store);

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

/*
 * The id of the newest ticket_log row (0 when none): every change of any ticket appends one,
 * so it is the change marker of the web UI's event stream. Returns 0, ERR_RETRY or ERR_IO.
 */
int ticket_store_last_log_id(struct ticket_store *store, int64_t *out);

/* The number of ticket_log rows of ticket_id (for tests and the UI). */
int ticket_store_count_log(struct ticket_store *store, int64_t ticket_id, int64_t *out);

/*
 * The raw connection (borrowed; do not close) for tests and for later modules of this
 * process that add their own statements.
 */
struct yq_db *ticket_store_db(struct ticket_store *store);

/*
 * "YQ-YYYY-MM-" for the Asia/Shanghai month of t (seconds, UTC) into buf (>= 12 bytes), and
 * "YYYY-MM" into month (>= 8 bytes; may be NULL). Thread-safe.
 */
void ticket_number_prefix(int64_t t, char *buf, size_t len, char *month, size_t month_len);

/*
 * Which tickets ticket_store_list() returns: every condition given must hold. Strings are
 * borrowed, NUL-terminated; NULL (0, false) = any.
 */
struct ticket_filter {
    const char *state;           /* one state, or "active" (every state but closed and dismissed) */
    const char *department;      /* the lead department or one of the co-handling (协办) ones */
    const char *lead_department; /* the lead department only (`yuqingctl tickets --department`) */
    const char *level;           /* "I".."IV" (also what yq_level_parse() accepts) */
    const char *source;          /* some item's source: its id ("ak-news"), its kind ("rss"), the
                                    kind's label ("网站") or its display name (channel, "安康发布") */
    int64_t detected_from;       /* detected_at >= this (seconds, UTC); 0 = no lower bound */
    int64_t detected_until;      /* detected_at < this (seconds, UTC); 0 = no upper bound */
    bool overdue_only;           /* any overdue flag set */
    size_t offset;               /* skip this many matching tickets (paging) */
};

/*
 * One page of the tickets matching filter (NULL = all) in the queue's order (issue #11): open
 * ones before settled (closed, dismissed) ones; then the nearest deadline among the clocks
 * still running, level (I first), heat and score (hotter first), detection time; settled ones
 * latest settled first. Skips filter->offset matches, then returns at most max (0 gives an
 * empty list). One SQL statement; every filter is evaluated by SQLite (indexes of migration 7).
 * out: caller storage; release with ticket_list_release().
 * Returns 0, ERR_INVALID (filter->level is not a level), ERR_RETRY, ERR_IO or ERR_NOMEM (out is
 * then empty).
 */
int ticket_store_list(struct ticket_store *store, const struct ticket_filter *filter, size_t max,
                      struct ticket_list *out);

/*
 * The items of every ticket in tickets (borrowed), at most max_per_ticket (>= 1) of each in the
 * order they were attached, in one SQL statement: grouped by ticket in the order of
 * tickets->v, so the items of tickets->v[i] are one run of out (ticket_item_run()).
 * out: caller storage; release with ticket_item_list_release().
 * Returns 0, ERR_RETRY, ERR_IO or ERR_NOMEM (out is then empty).
 */
int ticket_store_list_items_of(struct ticket_store *store, const struct ticket_list *tickets,
                               size_t max_per_ticket, struct ticket_item_list *out);

/*
 * The run of items of ticket_id in items (from ticket_store_list_items_of()), starting the
 * search at *pos (0 for the first ticket, then the value this call left): returns the first
 * item of the run (NULL when the ticket has none) and its length in n; *pos moves past it.
 */
const struct ticket_item *ticket_item_run(const struct ticket_item_list *items, int64_t ticket_id,
                                          size_t *pos, size_t *n);

/* One ticket_log row. Strings new; release the list with ticket_log_list_release(). */
struct ticket_log_entry {
    int64_t id;
    int64_t at;
    char *actor;
    char *role;
    char *action;     /* created, item_added, revision_added, assigned, acknowledged, responded,
                         closed, returned, dismissed, reopened, remind, supervise */
    char *from_state; /* "" when the entry is not a state change */
    char *to_state;
    char *note;
};

TICKET_STORE_LIST(struct ticket_log_list, struct ticket_log_entry, ticket_log_list_release);

/* The log of ticket_id in order (at most 10,000 rows). Returns 0, ERR_RETRY, ERR_IO, NOMEM. */
int ticket_store_list_log(struct ticket_store *store, int64_t ticket_id,
                          struct ticket_log_list *out);

/* One recorded public response. */
struct ticket_response {
    char *channel; /* 权威发布, 新闻发布会, 吹风会, 政务微博, 政务微信, 网站, 答复 */
    char *url; /* "" when none (e.g. a 新闻发布会 without a page) */
    int64_t responded_at;
    int64_t recorded_at;
    char *recorded_by;
    char *note;
};

TICKET_STORE_LIST(struct ticket_response_list, struct ticket_response,
                  ticket_response_list_release);

/* The responses of ticket_id in order (at most 1,000). Returns 0, ERR_RETRY, ERR_IO, NOMEM. */
int ticket_store_list_responses(struct ticket_store *store, int64_t ticket_id,
                                struct ticket_response_list *out);

/* Free what t owns and zero it. NULL is a no-op. */
void ticket_release(struct ticket *t);
void ticket_item_release(struct ticket_item *item);

#endif
