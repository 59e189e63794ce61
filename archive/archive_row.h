/*
 * What the two archive backends (archive_sqlite*.c, archive_pg.c) do alike, whatever the
 * database: the steps of a put (struct archive_put_ops, run by the front's archive_put()), the
 * match rows, the filter values bound in one order, match rows read from a statement. Not a
 * public interface: only the front (archive.c) and the backends include it.
 */
#ifndef ARCHIVE_ROW_H
#define ARCHIVE_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archive.h"
#include "norm.h"

struct yq_db;
struct yq_stmt;

/*
 * Binds text v as parameter i: a backend's own conversion (the PostgreSQL backend replaces
 * bytes that are not UTF-8, the SQLite one keeps them; NULL as "").
 */
typedef void (*archive_bind_text_fn)(struct yq_stmt *s, int i, const char *v);

/* The SQLite backend's archive_bind_text_fn: v bound as given, NULL as "". */
void archive_bind_text(struct yq_stmt *s, int i, const char *v);

/* The SQLite backend's for optional text: v bound as given, NULL as NULL. */
void archive_bind_opt_text(struct yq_stmt *s, int i, const char *v);

/*
 * Bind the item columns (ITEM_COLS, archive_sqlite_internal.h) of it as parameters
 * first..first+29 of s (first = 1 for a statement of one row; a multi-row INSERT binds each row
 * from its own first): t its archive time (archive_item_time()), now_s the archive time of the
 * put, the sentiment of model (borrowed; NULL or a failed score: NULL label and score), heat by
 * archive_item_heat(). bind_text for the texts that default to "", bind_opt_text for the
 * optional ones (precision, region, reply_to, department); an absent published_at is NULL.
 */
#define ARCHIVE_ITEM_PARAMS 30
void archive_bind_item(struct yq_stmt *s, int first, const struct yq_item *it, int64_t t,
                       int64_t now_s, const struct yq_sentiment *model,
                       archive_bind_text_fn bind_text, archive_bind_text_fn bind_opt_text);

/*
 * Bind what the completed delivery it of an item stored truncated replaces (archive_put()) as
 * parameters first..first+4 of s: title, text, truncated_fields, sentiment label and score of
 * model (as archive_bind_item() binds them).
 */
#define ARCHIVE_COMPLETE_PARAMS 5
void archive_bind_completion(struct yq_stmt *s, int first, const struct yq_item *it,
                             const struct yq_sentiment *model, archive_bind_text_fn bind_text);

/*
 * Bind match m of alert al as parameters first..first+7 of s: item id, rule id, event key,
 * group, department, level, rules version, matched at (the backends' match columns in that
 * order).
 */
#define ARCHIVE_MATCH_PARAMS 8
void archive_bind_match(struct yq_stmt *s, int first, const struct yq_alert *al,
                        const struct yq_alert_match *m, archive_bind_text_fn bind_text);

/* Puts one item / the matches of one alert of a batch (archive_put()). Returns 0 or ERR_*. */
typedef int (*archive_put_item_fn)(void *ctx, const struct yq_item *it,
                                   struct archive_put_result *res);
typedef int (*archive_put_alert_fn)(void *ctx, const struct yq_alert *al,
                                    struct archive_put_result *res);

/*
 * What every put keeps, whatever the backend: the first member of a backend's put context.
 * archive_put() fills it; the backend's steps use the normaliser and its two scratch texts
 * (released by archive_put()), the put's archive time and the caller's errbuf.
 */
struct archive_put_base {
    const struct norm *norm; /* the process's normaliser (norm_global()), borrowed */
    struct norm_text title;  /* scratch: the normalised title of the item being indexed */
    struct norm_text text;
    int64_t now_s; /* the archive time of the put (seconds since the epoch) */
    char *errbuf;  /* the put's, one line on failure (never NULL) */
    size_t errlen;
};

/*
 * A backend's put (struct archive_backend_ops.put), run by the front's archive_put(), the same
 * on every backend: the normaliser is fetched (ERR_NOMEM, ERR_NOT_FOUND), a context of
 * ctx_size bytes is allocated zeroed (ERR_NOMEM; it starts with a struct archive_put_base,
 * filled before begin), then begin, the items then the alerts in order (an item that
 * archive_item_accepted() refuses is counted in items_refused; the batch goes on), end; then the
 * context is freed. begin (required) gets the backend's state (what its open made), takes the
 * backend's lock and opens what the batch needs; put_item and put_alert store one item / one
 * alert's matches (put_alert refuses an alert without its item's id or event key with
 * archive_alert_accepted()); end is always called once begin was (also when begin or a step
 * failed, err != 0): it stores what is pending (counted in res, the put's counts the steps
 * got) and commits when err == 0, else rolls back, releases what begin took, and returns err or
 * its own first error. Every step writes its message to the base's errbuf.
 */
struct archive_put_ops {
    size_t ctx_size; /* bytes of the backend's put context */
    int (*begin)(void *ctx, void *state);
    archive_put_item_fn put_item;
    archive_put_alert_fn put_alert;
    int (*end)(void *ctx, int err, struct archive_put_result *res);
};

/*
 * Normalised bytes indexed per field, on every backend (the matcher's own bound,
 * term_find.h).
 */
#define ARCHIVE_INDEX_MAX_BYTES (4 * 1024 * 1024)

/*
 * The index text of item it (borrowed): its title, then its text (NULL as ""), normalised into
 * base->title and base->text with norm_apply(), each cut at ARCHIVE_INDEX_MAX_BYTES. Returns
 * the title's error when it is neither 0 nor ERR_TOO_BIG (a cut title is indexed as its
 * prefix), else the text's: 0, ERR_TOO_BIG (the text was cut; its prefix is in base->text) or
 * another norm_apply() code. Writes no message: the caller says what the code means for it.
 */
int archive_put_normalise(struct archive_put_base *base, const struct yq_item *it);

/*
 * Whether item it can be stored: one without an id, or with a key longer than archive_put()
 * allows (archive.h), is refused (counted in res->items_refused, logged): false.
 */
bool archive_item_accepted(const struct yq_item *it, struct archive_put_result *res);

/*
 * Whether alert al can be stored: one without its item's id or an event key, or with a key
 * longer than ARCHIVE_MAX_KEY_BYTES (item id, event key, a match's rule id, group or
 * department), is refused (counted in res->items_refused with the items, logged): false.
 */
bool archive_alert_accepted(const struct yq_alert *al, struct archive_put_result *res);

/*
 * Insert the match rows of al (accepted) with s, prepared on db: parameters 1..8 as
 * archive_bind_match() binds them; month >= 0 is bound as parameter 9 (the PostgreSQL table
 * keeps the month per row), month < 0 binds nothing more. Matches without a rule id are
 * skipped. Counts res->matches_new / matches_dup (an existing row changes nothing). Returns 0
 * or the step's error (message in errbuf).
 */
int archive_put_matches(struct yq_db *db, struct yq_stmt *s, const struct yq_alert *al,
                        int64_t month, archive_bind_text_fn bind_text,
                        struct archive_put_result *res, char *errbuf, size_t errlen);

/*
 * Bind the filter values of f from parameter i on, in the order the backends' queries name
 * them: since_s, until_s (when set), source, source_id, channel, department (when non-empty),
 * sentiment (when has_sentiment). Returns the next parameter index.
 */
int archive_bind_filter(struct yq_stmt *s, const struct archive_filter *f, int i,
                        archive_bind_text_fn bind_text);

/*
 * One month of an archive's stats: {"month": name, "items", "matched", "bytes"} appended to
 * months (a JSON array, borrowed) and the three figures added to *items, *matched, *bytes.
 * Returns 0 or ERR_NOMEM (nothing appended).
 */
int archive_stats_month(json_t *months, const char *name, int64_t items, int64_t matched,
                        int64_t bytes, int64_t *items_sum, int64_t *matched_sum,
                        int64_t *bytes_sum);

/*
 * Month key mk (y * 12 + m - 1, Beijing time: archive_sq_month_of_time()) as its year *y and
 * month *m (1..12); negative keys (years before 0) included.
 */
void archive_month_split(int64_t mk, int64_t *y, unsigned *m);

/*
 * A backend's removal of month mk (a month key) in archive_prune_months(), ctx its own: the
 * month's rows or file go, and what names them in the log ("month 2026-01", the file's path;
 * what_len bytes, at least PATH_MAX) is written to what. Returns 0 (removed), 1 (nothing
 * removed, not counted) or a negative ERR_* code with one line in errbuf (errlen bytes).
 */
typedef int (*archive_drop_month_fn)(void *ctx, int64_t mk, char *what, size_t what_len,
                                     char *errbuf, size_t errlen);

/*
 * Retention, the same on every backend (archive_prune()): of the n_months month keys in
 * months (borrowed, ascending), drop each whose month ended more than retention_days before
 * now_s (seconds UTC; archive_month_expired()) with drop(ctx, ...), in order, logging each
 * month removed and adding it to *n_removed (may be NULL); the first error stops it. The
 * caller holds the lock drop needs. Returns 0 or drop's first error (message in errbuf).
 */
int archive_prune_months(const int64_t *months, size_t n_months, int64_t now_s,
                         int64_t retention_days, archive_drop_month_fn drop, void *ctx,
                         size_t *n_removed, char *errbuf, size_t errlen);

/* A copy of text column i of s (new, free()); NULL when the column is NULL or out of memory. */
char *archive_col_dup(struct yq_stmt *s, int i);

/*
 * Fill m (zeroed first) from the 7 columns of s from col on: rule id, group, department,
 * level (outside I..IV reads as IV), event key, rules version, matched at. Returns 0 or
 * ERR_NOMEM (m's strings are released by the row that holds m either way).
 */
int archive_match_from_stmt(struct yq_stmt *s, int col, struct archive_match *m);

#endif
