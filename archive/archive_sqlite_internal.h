/*
 * Internals of the embedded SQLite archive backend shared by its two files: archive_sqlite.c
 * (layout, schema, writes: init, open, put, prune) and archive_sqlite_read.c (scan, get,
 * stats). Not a public interface: only those two files include it.
 */
#ifndef ARCHIVE_SQLITE_INTERNAL_H
#define ARCHIVE_SQLITE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "archive.h"

struct yq_db;
struct yq_stmt;

#define SQ_DAY_S 86400
/* Write connections kept open (months a put touches: usually one or two). */
#define SQ_CACHE_MAX 8

/* The item columns in the order the statements bind and read them. */
#define ITEM_COLS                                                                                  \
    "id, source, source_id, channel, url, title, text, author, published_at, precision, "         \
    "fetched_at, metrics_known, metrics_capped, reposts, comments, likes, region, reply_to, "      \
    "department, truncated, truncated_fields, future_timestamp, official, local, backlog, "        \
    "time_s, archived_at, heat, sentiment, sentiment_score"

/* The match rows of one item (?1) in a month file, in a stable order. */
#define ARCHIVE_SQ_SQL_MATCH_ROWS                                                                  \
    "SELECT rule_id, rule_group, department, level, event_key, rules_version, matched_at"         \
    " FROM matches WHERE item_id = ?1 ORDER BY matched_at, rule_id, event_key"

/* A cached write connection of one month file with its prepared statements. */
struct sq_conn {
    int64_t month; /* -1: slot free */
    struct yq_db *db;
    struct yq_stmt *insert_item;
    struct yq_stmt *insert_fts;
    struct yq_stmt *insert_match;
    struct yq_stmt *has_item;
    struct yq_stmt *complete_item;
    struct yq_stmt *match_rows;
    bool in_tx;    /* a transaction of the current put is open */
    uint64_t used; /* last use, for eviction */
    dev_t dev;     /* the file this connection opened (stat after the open): a cached connection */
    ino_t ino;     /* whose path now names another file or none is closed, never written */
};

struct sq_state {
    char *dir;
    bool readonly;
    int64_t busy_timeout_ms;
    const struct archive_open_opts *opts; /* the front's, borrowed until close */
    pthread_mutex_t mu;                   /* writes and the connection cache */
    struct sq_conn conns[SQ_CACHE_MAX];
    uint64_t clock;
};

/*
 * The month (y * 12 + m - 1, Beijing time) an item of archive time t files into: t clamped
 * to 1970-01-01 .. 9999-12-31. The PostgreSQL backend (archive_pg.c) keeps it per row so that
 * retention removes the same months.
 */
int64_t archive_sq_month_of_time(int64_t t);

/* First second (UTC) of month mk (y * 12 + m - 1) in Beijing time. */
int64_t archive_sq_month_start(int64_t mk);

/* "YYYY-MM" of month mk into buf (at least 32 bytes). */
void archive_sq_month_name(int64_t mk, char *buf, size_t len);

/* DIR/items-YYYY-MM.db of month mk into buf. Returns 0 or ERR_TOO_BIG. */
int archive_sq_month_path(const struct sq_state *st, int64_t mk, char *buf, size_t len);

/*
 * Open month file path read-only with the tokenizer registered; never creates it.
 * Returns 0, ERR_NOT_FOUND (no such file, or no schema yet: a writer is creating it; callers
 * read it as empty) or the open's code, one line in errbuf.
 */
int archive_sq_open_read(const struct sq_state *st, const char *path, struct yq_db **out,
                         char *errbuf, size_t errlen);

/*
 * The months of the directory's month files, ascending. out: new array (free()).
 * Returns 0, ERR_NOT_FOUND (the directory is gone), ERR_IO or ERR_NOMEM.
 */
int archive_sq_list_months(const struct sq_state *st, int64_t **out, size_t *n_out, char *errbuf,
                           size_t errlen);

/* Prefix the message in errbuf with the month file's path; returns err. */
int archive_sq_name_file(int err, const char *path, char *errbuf, size_t errlen);

/*
 * Shared with the PostgreSQL backend (same columns, same reading):
 * archive_sq_row_from_stmt: fill row (zeroed first) from the ITEM_COLS of s, first column at 0;
 *   0 or ERR_NOMEM (release row either way).
 * archive_sq_row_load_matches: append the match rows of row's item read with q, a statement of
 *   ARCHIVE_SQ_SQL_MATCH_ROWS' columns and one parameter (the item id) prepared on db;
 *   0 or an ERR_* code with errbuf.
 */
int archive_sq_row_from_stmt(struct yq_stmt *s, struct archive_row *row);
int archive_sq_row_load_matches(struct yq_db *db, struct yq_stmt *q, struct archive_row *row,
                                char *errbuf, size_t errlen);

/* The read operations of archive_sqlite_ops (archive.h contracts). */
int archive_sq_scan(void *state, const struct archive_filter *f, archive_row_fn fn, void *arg,
                    char *errbuf, size_t errlen);
int archive_sq_get(void *state, const char *item_id, struct archive_row *out, char *errbuf,
                   size_t errlen);
int archive_sq_stats(void *state, json_t **out, char *errbuf, size_t errlen);

#endif
