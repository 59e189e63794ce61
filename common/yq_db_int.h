/*
 * The backend table of yq_db.h (one per database kind: yq_db_sqlite.c, yq_db_pg.c) and the
 * front's view of a connection and a statement. Not for use outside common/yq_db*.c.
 */
#ifndef YQ_DB_INT_H
#define YQ_DB_INT_H

#include "yq_db.h"
#include "yq_err.h"

/*
 * A backend uses only its own library and this header's inline helpers: it never calls the
 * front (yq_db.c), which calls it through this table.
 */
struct yq_db_ops {
    const char *name; /* "sqlite", "postgresql" */
    /* location: the SQLite path (front resolved "sqlite:") or the libpq URI; flags may carry
       YQ_DB_MEMORY_INT. Returns an ERR_* code with one line in errbuf. */
    int (*open)(struct yq_db *db, const char *location, unsigned flags, int64_t busy_timeout_ms,
                char *errbuf, size_t errlen);
    /* SQLite: journal_mode = WAL, synchronous = FULL; NULL elsewhere. ERR_* code. */
    int (*use_wal)(struct yq_db *db, int64_t busy_timeout_ms, char *errbuf, size_t errlen);
    void (*close)(struct yq_db *db);
    const char *(*errmsg)(struct yq_db *db);
    int64_t (*changes)(struct yq_db *db);
    bool (*in_transaction)(struct yq_db *db);
    int (*exec)(struct yq_db *db, const char *sql);
    int (*begin_write)(struct yq_db *db);
    int (*prepare)(struct yq_db *db, const char *sql, struct yq_stmt *st);
    void (*finalize)(struct yq_stmt *st);
    int (*bind_int64)(struct yq_stmt *st, int i, int64_t v);
    int (*bind_double)(struct yq_stmt *st, int i, double v);
    int (*bind_textn)(struct yq_stmt *st, int i, const char *s, size_t n);
    int (*bind_null)(struct yq_stmt *st, int i);
    int (*bind_count)(struct yq_stmt *st);
    int (*step)(struct yq_stmt *st);
    /* yq_stmt_step_deferred: YQ_DB_DONE (queued or run) or an error code (perhaps an earlier
       deferred statement's); NULL = step at once */
    int (*step_deferred)(struct yq_stmt *st);
    /* yq_db_flush: raw code; NULL = nothing ever waits */
    int (*flush)(struct yq_db *db);
    int (*reset)(struct yq_stmt *st);
    int (*clear_bindings)(struct yq_stmt *st);
    int (*column_count)(struct yq_stmt *st);
    const char *(*column_name)(struct yq_stmt *st, int col);
    int (*column_type)(struct yq_stmt *st, int col);
    int64_t (*column_int64)(struct yq_stmt *st, int col);
    double (*column_double)(struct yq_stmt *st, int col);
    const char *(*column_text)(struct yq_stmt *st, int col);
    int (*column_bytes)(struct yq_stmt *st, int col);
    /* raw code; *out set */
    int (*has_table)(struct yq_db *db, const char *table, bool *out);
    /* PostgreSQL only (NULL on SQLite): see yq_db.h; ERR_* codes */
    int (*notify)(struct yq_db *db, const char *channel, const char *payload);
    int (*listen)(struct yq_db *db, const char *channel);
    int (*poll_notify)(struct yq_db *db, int timeout_ms, char *chan, size_t chanlen,
                       char **payload);
    int (*advisory)(struct yq_db *db, int64_t key, bool unlock, bool *got);
    int (*socket)(struct yq_db *db);
};

/* Front-only flag passed to ops->open: the SQLite location is an in-memory database. */
#define YQ_DB_MEMORY_INT (1u << 30)

struct yq_db {
    const struct yq_db_ops *ops;
    void *impl;           /* the backend's connection */
    char location[512];   /* password removed */
    unsigned flags;
    int64_t busy_timeout_ms;
    void (*trace)(void *arg, const char *sql);
    void *trace_arg;
    int n_open_stmts;
    void *stmt_cache; /* the backend's idle prepared statements (SQLite; yq_db_sqlite.c) */
    bool file_moved;  /* SQLite: a commit found the file removed or replaced since the open */
};

struct yq_stmt {
    struct yq_db *db;
    void *impl; /* the backend's statement */
};

extern const struct yq_db_ops yq_db_sqlite_ops;
extern const struct yq_db_ops yq_db_pg_ops;

/* busy_timeout_ms clamped to 0..600000 (5000 otherwise). */
static inline int64_t yq_db_timeout_ms(int64_t busy_timeout_ms)
{
    return busy_timeout_ms >= 0 && busy_timeout_ms <= 600000 ? busy_timeout_ms : 5000;
}

/* The shared ERR_* code of a raw code (yq_db_err() of yq_db.h; yq_err.h must be included). */
static inline int yq_db_err_of(int rc)
{
    switch (rc & 0xff) {
    case YQ_DB_OK:
    case YQ_DB_ROW:
    case YQ_DB_DONE:
        return 0;
    case YQ_DB_BUSY:
    case YQ_DB_LOCKED:
        return ERR_RETRY;
    case YQ_DB_NOMEM:
        return ERR_NOMEM;
    case YQ_DB_CONSTRAINT:
    case YQ_DB_MISMATCH:
    case YQ_DB_TOOBIG:
    case YQ_DB_RANGE:
        return ERR_INVALID;
    case YQ_DB_CORRUPT:
    case YQ_DB_NOTADB:
        return ERR_PARSE;
    default:
        return ERR_IO;
    }
}
#endif
