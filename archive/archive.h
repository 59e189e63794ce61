/*
 * The archive (design §10, issue #14): every item collected, matched or not, stored once by item
 * id together with the rules and events it matched, for search, rule backtests and briefings.
 *
 * One interface, several stores: the front (archive.c) chooses a backend by the location's form
 * and calls it through struct archive_backend_ops; the embedded default is SQLite with FTS5
 * (archive_sqlite.c). A server backend (PostgreSQL, issue #16) plugs in as one more table.
 *
 * Embedded layout (docs/operations.md, "Archive"): a directory made once by
 * `yuqingctl archive init DIR` (a store is never created implicitly, design §8) holding
 *   ARCHIVE               a marker file: "yuqing-archive 1\n" (layout version)
 *   items-YYYY-MM.db      one SQLite file per month (WAL), created by the first write to it
 * The month of an item is the Beijing-time (UTC+8) month of its archive time (below), so that
 * retention (archive.retention_days, default ARCHIVE_DEFAULT_RETENTION_DAYS) drops whole files.
 *
 * Archive time of an item: published_at when known and not a future timestamp
 * (yq_item.future_timestamp), else fetched_at. Searches, backtests and briefings filter on it.
 *
 * Idempotence: an item id is stored at most once in the archive. A second put of the same id
 * (a Kafka redelivery, or a re-poll that moved its archive time into a neighbouring month) changes
 * nothing and is counted as a duplicate, except that the completed delivery of an item stored
 * as a truncated preview replaces its text (archive_put()). Matches (from yuqing.alerts) are stored
 * once per (item id, rule id, event key); they may arrive before or after their item.
 *
 * Search index: the title and text are normalised with the matcher's normalisation (norm.h:
 * width, case, traditional -> simplified, invisible characters removed) and indexed as
 * overlapping code-point bigrams, so any term of two or more code points (征地, 拆迁, 5g) can be
 * looked up whatever the segmentation; the index only narrows: callers decide each hit with the
 * matcher's own code (archive_query.h).
 *
 * Threads: one struct archive may be used by several threads at once; the backend serialises
 * what must be serialised. Read-only handles (ARCHIVE_READONLY) never create or change files.
 */
#ifndef ARCHIVE_H
#define ARCHIVE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "yq_alert.h"
#include "yq_item.h"
#include "yq_sentiment.h"

#define ARCHIVE_DEFAULT_RETENTION_DAYS 180
/*
 * Longest item id, source, source_id, event key, rule id, rule group and department stored, in
 * bytes: the stores index these (PostgreSQL refuses an index row over about 2.7 KB), and the
 * programs make them far shorter. A channel may be YQ_ITEM_MAX_CHANNEL_BYTES long.
 */
#define ARCHIVE_MAX_KEY_BYTES 512
#define ARCHIVE_MARKER "ARCHIVE"
#define ARCHIVE_LAYOUT_VERSION 1

struct archive;

enum archive_open_flags {
    ARCHIVE_READONLY = 1 << 0, /* search, backtest, briefing: never writes */
};

/* What an open may be told beyond the location; zeroed = defaults. */
struct archive_open_opts {
    unsigned flags;          /* enum archive_open_flags */
    int64_t busy_timeout_ms; /* SQLite lock wait; 0 = 5000 */
    /* sentiment classifier used by archive_put() (borrowed; NULL = the archive opens the
       built-in one on the first put; read-only handles never need it) */
    const struct yq_sentiment *sentiment;
};

/*
 * Make an empty archive at location (a directory path; created with its parents when missing,
 * mode 0750). An existing archive with the same layout version is left alone (returns 0); a
 * non-empty directory without the marker is refused (ERR_BAD_STATE). errbuf: one line.
 * Returns 0, ERR_BAD_STATE, ERR_INVALID (a location form with no backend), ERR_IO, ERR_NOMEM.
 */
int archive_init(const char *location, char *errbuf, size_t errlen);

/*
 * Open the archive at location (borrowed): a directory made by archive_init(). opts may be NULL.
 * out: a new handle (archive_close()). Returns 0, ERR_NOT_FOUND (no such archive: run
 * `yuqingctl archive init`), ERR_BAD_STATE (a newer layout version), ERR_INVALID (a location
 * form with no backend, e.g. postgresql:// before issue #16), ERR_IO or ERR_NOMEM, one line in
 * errbuf.
 */
int archive_open(const char *location, const struct archive_open_opts *opts, struct archive **out,
                 char *errbuf, size_t errlen);

/* Close a (NULL is a no-op); waits for nothing: callers stop their scans first. */
void archive_close(struct archive *a);

/* Archive time of item (borrowed), seconds UTC: see the header comment. */
int64_t archive_item_time(const struct yq_item *item);

/* Heat of an item: 3 * reposts + 2 * comments + likes, 0 when it has no metrics. */
int64_t archive_item_heat(const struct yq_item *item);

/* Result of one archive_put(). */
struct archive_put_result {
    size_t items_new;     /* items stored by this call */
    size_t items_dup;     /* items already stored (nothing changed) */
    size_t items_completed; /* items stored as a preview (truncated) whose completed delivery
                               replaced their title, text and sentiment (see archive_put()) */
    size_t matches_new;   /* (item, rule, event) rows stored by this call */
    size_t matches_dup;
    size_t items_refused; /* items and alerts refused as invalid (archive_put()): logged, not
                             stored, not fatal */
};

/*
 * Store a batch: n_items items and the matches of n_alerts alerts (each alert's item id, event
 * key, and every match's rule id, group, department and level; the alert's item is NOT stored by
 * this, the item comes from yuqing.items). An item without an id, or whose id, source or
 * source_id is longer than ARCHIVE_MAX_KEY_BYTES or whose channel is longer than
 * YQ_ITEM_MAX_CHANNEL_BYTES, and an alert without its item's id or event key or with one of
 * its keys longer than ARCHIVE_MAX_KEY_BYTES, is refused (res->items_refused, logged) and the
 * rest of the batch stored: a message no store could index never holds the batch back.
 * An item stored as a preview (truncated: a Weibo post whose long text was not fetched yet)
 * is completed by a later delivery of its id that is not truncated (the collector sends the
 * completed post again): its title, text, truncated fields and sentiment are replaced and the
 * index gets the new text (res->items_completed); every other redelivery changes nothing.
 * All-or-nothing per call: when 0 is returned every row is durable (synchronous=FULL) and the
 * caller may commit its Kafka offsets; on an error nothing of the batch is guaranteed stored and
 * the caller retries the same batch later (idempotence makes that safe). items/alerts: borrowed
 * arrays of borrowed pointers (either may be NULL with n = 0). res: may be NULL. Computes each new
 * item's heat and sentiment. Returns 0, ERR_RETRY (locked, disk busy), ERR_IO (disk full, missing
 * directory: nothing silently recreated), ERR_BAD_STATE (read-only handle) or ERR_NOMEM, one line
 * in errbuf.
 */
int archive_put(struct archive *a, const struct yq_item *const *items, size_t n_items,
                const struct yq_alert *const *alerts, size_t n_alerts,
                struct archive_put_result *res, char *errbuf, size_t errlen);

/* One stored match of an item. Strings owned by the row that holds it. */
struct archive_match {
    char *rule_id;
    char *rule_group; /* "" when the rule had none */
    char *department; /* the rule's lead department */
    enum yq_level level;
    char *event_key;
    int64_t rules_version;
    int64_t matched_at; /* seconds UTC */
};

/* One archived item as a scan or a get returns it. */
struct archive_row {
    struct yq_item item;  /* the item as collected (strings owned by the row) */
    int64_t time_s;       /* archive time, seconds UTC */
    int64_t archived_at;  /* when it was stored, seconds UTC */
    int64_t heat;         /* archive_item_heat() */
    bool has_sentiment;   /* false for rows stored without a classifier */
    enum yq_sentiment_label sentiment;
    double sentiment_score;
    size_t n_matches;
    struct archive_match *matches; /* owned; 0 entries: matched no rule (so far) */
};

/* Free what row owns and zero it (NULL is a no-op). */
void archive_row_release(struct archive_row *row);

/*
 * What the index is asked for: a formula over normalised terms (norm.h) with AND and OR only.
 * A term node holds when the term occurs as a substring of the normalised title or text. A NULL
 * formula holds for every item. The backend returns AT LEAST every item for which the formula
 * holds and may return more (the caller decides each candidate with the matcher); a term the
 * index cannot look up (fewer than two code points) counts as true.
 */
enum archive_narrow_kind {
    ARCHIVE_NARROW_TERM = 0,
    ARCHIVE_NARROW_AND = 1,
    ARCHIVE_NARROW_OR = 2,
};

struct archive_narrow {
    enum archive_narrow_kind kind;
    const char *term;                    /* TERM: normalised, NUL-terminated (borrowed) */
    const struct archive_narrow *const *kids; /* AND/OR: n_kids >= 1 children (borrowed) */
    size_t n_kids;
};

enum archive_order {
    ARCHIVE_NEWEST_FIRST = 0, /* archive time descending, then item id */
    ARCHIVE_OLDEST_FIRST = 1,
};

/* Filter of a scan; zeroed = every item, newest first. Strings borrowed; NULL/"" = any. */
struct archive_filter {
    int64_t since_s;          /* archive time at or after (seconds UTC); 0 = no bound */
    int64_t until_s;          /* archive time before; 0 = no bound */
    const char *source;       /* item source kind: "rss", "weibo", "wechat" */
    const char *source_id;    /* the source's id in sources.yaml */
    const char *channel;      /* account or site name, exact */
    int matched;              /* -1 or 0 = any (see below), 1 = matched some rule, 2 = none */
    const char *department;   /* only items with a match of this lead department (liaisons) */
    bool has_sentiment;       /* filter on sentiment below */
    enum yq_sentiment_label sentiment;
    const struct archive_narrow *narrow; /* NULL: no narrowing */
    enum archive_order order;
};

/*
 * Callback of archive_scan(): row is borrowed for the call only. Return 0 to go on, 1 to stop
 * (archive_scan() then returns 0), or a negative ERR_* code to abort (returned as is).
 */
typedef int (*archive_row_fn)(const struct archive_row *row, void *arg);

/*
 * Call fn for each stored item that the filter admits, in the filter's order across every month
 * file (months outside since..until are not opened). The narrowing may admit extra rows (see
 * struct archive_narrow); every other filter field is exact. f: borrowed, may be NULL.
 * Returns 0, the callback's negative code, ERR_RETRY, ERR_IO, ERR_PARSE (a corrupt month file:
 * named in errbuf) or ERR_NOMEM.
 */
int archive_scan(struct archive *a, const struct archive_filter *f, archive_row_fn fn, void *arg,
                 char *errbuf, size_t errlen);

/*
 * The stored item id (NUL-terminated, borrowed). out: caller storage, filled on success
 * (archive_row_release()). Returns 0, ERR_NOT_FOUND, ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int archive_get(struct archive *a, const char *item_id, struct archive_row *out, char *errbuf,
                size_t errlen);

/*
 * The retention rule, the one both archive_prune() and `yuqingctl archive prune --dry-run` apply:
 * whether Beijing-time month y-m (1..12) ended more than retention_days (>= 0) before now_s
 * (seconds UTC). A month that ended exactly retention_days ago is kept.
 */
bool archive_month_expired(int64_t y, unsigned m, int64_t now_s, int64_t retention_days);

/*
 * Retention: remove every month file whose month ended more than retention_days before now_s
 * (seconds UTC). *n_removed (may be NULL): files removed. Read-only handles: ERR_BAD_STATE.
 * Returns 0, ERR_BAD_STATE, ERR_IO.
 */
int archive_prune(struct archive *a, int64_t now_s, int64_t retention_days, size_t *n_removed,
                  char *errbuf, size_t errlen);

/*
 * What the archive holds: {"location","backend":"sqlite","items","matched","bytes",
 * "months":[{"month":"2026-11","items","matched","bytes"}]} (newest month first).
 * out: new reference. Returns 0, ERR_IO or ERR_NOMEM.
 */
int archive_stats(struct archive *a, json_t **out, char *errbuf, size_t errlen);

/*
 * A backend: one table of functions (c-style §1). state is the backend's own handle. The front
 * validates arguments, so backends may assume non-NULL pointers and the contracts above.
 */
struct archive_put_ops;
struct archive_backend_ops {
    const char *name; /* "sqlite" */
    /* Whether location has this backend's form (e.g. a path, "postgresql://..."). */
    bool (*accepts)(const char *location);
    int (*init)(const char *location, char *errbuf, size_t errlen);
    /* opts: the front's copy, never NULL, borrowed until close; when the caller gave no
       classifier the front sets opts->sentiment before the first put reaches the backend
       (read it at put time; NULL there: store rows without sentiment) */
    int (*open)(const char *location, const struct archive_open_opts *opts, void **state,
                char *errbuf, size_t errlen);
    void (*close)(void *state);
    /* the steps of a put, run by archive_put() (struct archive_put_ops, archive_row.h) */
    const struct archive_put_ops *put;
    int (*scan)(void *state, const struct archive_filter *f, archive_row_fn fn, void *arg,
                char *errbuf, size_t errlen);
    int (*get)(void *state, const char *item_id, struct archive_row *out, char *errbuf,
               size_t errlen);
    int (*prune)(void *state, int64_t now_s, int64_t retention_days, size_t *n_removed,
                 char *errbuf, size_t errlen);
    int (*stats)(void *state, json_t **out, char *errbuf, size_t errlen);
};

/* The embedded SQLite backend (archive_sqlite.c). */
extern const struct archive_backend_ops archive_sqlite_ops;

/*
 * The server backend (archive_pg.c, issue #16): a location postgresql://... (libpq URI); the
 * tables archive_items and archive_matches with their own track archive_schema_version, made
 * by archive_init() (`yuqingctl archive init postgresql://...`). Same contracts; "bytes" in the
 * stats is the tables' size with their indexes; prune removes whole months as the SQLite
 * backend removes month files (n_removed counts months).
 */
extern const struct archive_backend_ops archive_pg_ops;

#endif
