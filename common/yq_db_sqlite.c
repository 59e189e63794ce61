/*
 * The SQLite backend of yq_db.h: the embedded default. A statement is an sqlite3_stmt; texts
 * are bound SQLITE_TRANSIENT (copied).
 */
#include "yq_db.h"
#include "yq_db_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "yq_err.h"
#include "yq_hash.h"
#include "yq_json.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

#define H(db) ((sqlite3 *)(db)->impl)
#define S(st) ((sqlite3_stmt *)(st)->impl)

/* "what: <message> (rc=N)" into errbuf; the shared code. */
static int s_fail(sqlite3 *h, int rc, const char *what, char *errbuf, size_t errlen)
{
    if (errbuf && errlen > 0) {
        snprintf(errbuf, errlen, "%s: %s (rc=%d)", what, h ? sqlite3_errmsg(h) : sqlite3_errstr(rc),
                 rc);
    }
    return yq_db_err_of(rc);
}

/* Run a pragma that answers one text row; with want, the answer must be want. */
static int pragma_text(sqlite3 *h, const char *sql, const char *want, char *errbuf,
                       size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL), err = 0;

    if (rc != SQLITE_OK) {
        return s_fail(h, rc, sql, errbuf, errlen);
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && want) {
        const char *got = (const char *)sqlite3_column_text(st, 0);
        if (!got || strcmp(got, want) != 0) {
            snprintf(errbuf, errlen, "'%s' gave '%s'", sql, got ? got : "(null)");
            err = ERR_IO;
        }
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        err = s_fail(h, rc, sql, errbuf, errlen);
    }
    sqlite3_finalize(st);
    return err;
}

static void pause_10ms(void)
{
    struct timespec pause = {0, 10 * 1000000L};
    nanosleep(&pause, NULL);
}

static int s_use_wal(struct yq_db *db, int64_t busy_timeout_ms, char *errbuf, size_t errlen)
{
    const char *file = sqlite3_db_filename(H(db), "main");
    bool memory = !file || file[0] == '\0';
    int64_t deadline = yq_time_mono_ms() + yq_db_timeout_ms(busy_timeout_ms);
    int err;

    /*
     * Switching a new file to WAL takes an exclusive lock and SQLite may answer "database is
     * locked" at once, without its busy handler, while another process switches or migrates
     * it (issue #10: two notifiers started at once): retry until the busy timeout.
     */
    for (;;) {
        /*
         * files must use WAL; in-memory databases answer "memory" and the temporary one of an
         * empty path "delete": neither can, nor needs to (no other connection sees them)
         */
        err = pragma_text(H(db), "PRAGMA journal_mode = WAL", memory ? NULL : "wal", errbuf,
                          errlen);
        if (!err) {
            err = pragma_text(H(db), "PRAGMA synchronous = FULL", NULL, errbuf, errlen);
        }
        if (err != ERR_RETRY || yq_time_mono_ms() >= deadline) {
            return err;
        }
        pause_10ms();
    }
}

/*
 * The commit hook: a commit into a file that was removed, renamed or replaced since the open
 * is turned into a rollback. In WAL mode SQLite goes on writing into the unlinked inode, so
 * the notifier recorded tickets nobody would ever read and committed their Kafka offsets;
 * now every commit fails while the path names another file or none (the connection never
 * sees a new file there: the process must restart; the same file moved back is fine again).
 */
static int s_commit_hook(void *arg)
{
    struct yq_db *db = arg;
    int moved = 0;

    if (sqlite3_file_control(H(db), "main", SQLITE_FCNTL_HAS_MOVED, &moved) == SQLITE_OK) {
        db->file_moved = moved != 0; /* the file put back where it was: commits go on */
    }
    return db->file_moved;
}

/* rc of a statement, a refused commit (s_commit_hook) as SQLITE_READONLY_DBMOVED (ERR_IO). */
static int s_rc(struct yq_db *db, int rc)
{
    return db->file_moved && rc == SQLITE_CONSTRAINT_COMMITHOOK ? SQLITE_READONLY_DBMOVED : rc;
}

/*
 * yq_json_array(text, column) (yq_db.h): text when yq_json_column_array() reads it as a
 * non-empty array, else '[]' (that reader logs the one warning for a corrupt text).
 */
static void s_json_array(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *text = (const char *)sqlite3_value_text(argv[0]);
    const char *column = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : NULL;
    json_t *arr = yq_json_column_array(text, column ? column : "");

    if (!arr) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    if (json_array_size(arr) > 0) {
        sqlite3_result_text(ctx, text, -1, SQLITE_TRANSIENT);
    } else {
        sqlite3_result_text(ctx, "[]", 2, SQLITE_STATIC);
    }
    json_decref(arr);
}

static int s_open(struct yq_db *db, const char *path, unsigned flags, int64_t busy_timeout_ms,
                  char *errbuf, size_t errlen)
{
    sqlite3 *h = NULL;
    bool memory = (flags & YQ_DB_MEMORY_INT) != 0;
    bool readonly = (flags & YQ_DB_READONLY_OPEN) != 0;
    int oflags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_URI;
    int rc, err;

    if (memory || ((flags & YQ_DB_CREATE) && !readonly)) {
        oflags |= SQLITE_OPEN_CREATE;
    } else if (strncmp(path, "file:", 5) != 0) {
        struct stat sb;
        if (stat(path, &sb) != 0) {
            snprintf(errbuf, errlen, "database '%s' does not exist", path);
            return errno == ENOENT || errno == ENOTDIR ? ERR_NOT_FOUND : ERR_IO;
        }
    }
    if (flags & YQ_DB_SERIALIZED) {
        oflags |= SQLITE_OPEN_FULLMUTEX;
    }
    rc = sqlite3_open_v2(path, &h, oflags, NULL);
    if (rc != SQLITE_OK) {
        snprintf(errbuf, errlen, "cannot open database '%s': %s", path,
                 h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
        err = yq_db_err_of(rc);
        sqlite3_close(h);
        return err;
    }
    db->impl = h;
    sqlite3_extended_result_codes(h, 1);
    if (!memory) {
        sqlite3_commit_hook(h, s_commit_hook, db);
    }
    rc = sqlite3_busy_timeout(h, (int)busy_timeout_ms);
    if (rc != SQLITE_OK) {
        err = s_fail(h, rc, "busy_timeout", errbuf, errlen);
        goto fail;
    }
    rc = sqlite3_create_function_v2(h, "yq_json_array", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                    s_json_array, NULL, NULL, NULL);
    if (rc != SQLITE_OK) {
        err = s_fail(h, rc, "yq_json_array", errbuf, errlen);
        goto fail;
    }
    /* the first statement reads the header: a file that is not a database fails here */
    err = pragma_text(h, "PRAGMA foreign_keys = ON", NULL, errbuf, errlen);
    if (!err) {
        rc = sqlite3_exec(h, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
        err = rc == SQLITE_OK ? 0 : s_fail(h, rc, "read schema", errbuf, errlen);
    }
    if (!err && !readonly && (flags & YQ_DB_WAL)) {
        err = s_use_wal(db, busy_timeout_ms, errbuf, errlen);
    }
    if (err) {
        goto fail;
    }
    return 0;
fail:
    if (errbuf && errlen > 0) {
        char reason[384];
        snprintf(reason, sizeof(reason), "%s", errbuf);
        snprintf(errbuf, errlen, "database '%s': %s", path, reason);
    }
    sqlite3_close(h);
    db->impl = NULL;
    return err;
}

/*
 * Prepared statements reused (issue #16: intake runs the same few dozen statements for every
 * alert, and compiling them was a third of its CPU): a finalised statement is reset, its
 * bindings cleared and kept here, idle, keyed by its SQL text; the next prepare of the same
 * text takes it back instead of compiling again. At most STMT_CACHE_SIZE idle statements per
 * connection; the least recently kept one is finalised to make room. Under the connection's
 * mutex (a YQ_DB_SERIALIZED handle is shared by threads; others have none). All are
 * finalised when the connection closes.
 */
#define STMT_CACHE_SIZE 64

struct stmt_cache {
    struct {
        sqlite3_stmt *st; /* NULL: a free slot */
        uint64_t hash;    /* of its SQL text */
        uint64_t used;    /* when it was kept (the cache's clock) */
    } e[STMT_CACHE_SIZE];
    uint64_t clock;
};

static uint64_t sql_hash(const char *sql)
{
    return yq_fnv1a64(sql);
}

/* An idle statement of sql taken out of db's cache, or NULL. */
static sqlite3_stmt *cache_take(struct yq_db *db, const char *sql)
{
    struct stmt_cache *c = db->stmt_cache;
    sqlite3_stmt *found = NULL;
    uint64_t h;

    if (!c) {
        return NULL;
    }
    h = sql_hash(sql);
    sqlite3_mutex_enter(sqlite3_db_mutex(H(db)));
    for (int i = 0; i < STMT_CACHE_SIZE; i++) {
        if (c->e[i].st && c->e[i].hash == h && strcmp(sqlite3_sql(c->e[i].st), sql) == 0) {
            found = c->e[i].st;
            c->e[i].st = NULL;
            break;
        }
    }
    sqlite3_mutex_leave(sqlite3_db_mutex(H(db)));
    return found;
}

/* Keep st (reset, bindings cleared) idle in db's cache, or finalise it. */
static void cache_keep(struct yq_db *db, sqlite3_stmt *st)
{
    struct stmt_cache *c = db->stmt_cache;
    sqlite3_stmt *evict = NULL;
    int slot = 0;

    if (!c) {
        c = db->stmt_cache = sqlite3_malloc(sizeof(*c));
        if (c) {
            memset(c, 0, sizeof(*c));
        }
    }
    if (!c || !sqlite3_sql(st) || sqlite3_reset(st) != SQLITE_OK ||
        sqlite3_clear_bindings(st) != SQLITE_OK) {
        sqlite3_finalize(st);
        return;
    }
    sqlite3_mutex_enter(sqlite3_db_mutex(H(db)));
    for (int i = 0; i < STMT_CACHE_SIZE; i++) {
        if (!c->e[i].st) {
            slot = i;
            break;
        }
        if (c->e[i].used < c->e[slot].used) {
            slot = i;
        }
    }
    evict = c->e[slot].st;
    c->e[slot].st = st;
    c->e[slot].hash = sql_hash(sqlite3_sql(st));
    c->e[slot].used = ++c->clock;
    sqlite3_mutex_leave(sqlite3_db_mutex(H(db)));
    sqlite3_finalize(evict); /* NULL is a no-op */
}

static void cache_free(struct yq_db *db)
{
    struct stmt_cache *c = db->stmt_cache;

    if (c) {
        for (int i = 0; i < STMT_CACHE_SIZE; i++) {
            sqlite3_finalize(c->e[i].st);
        }
        sqlite3_free(c);
        db->stmt_cache = NULL;
    }
}

static void s_close(struct yq_db *db)
{
    cache_free(db);
    if (sqlite3_close(H(db)) != SQLITE_OK) {
        sqlite3_close_v2(H(db));
    }
}

static const char *s_errmsg(struct yq_db *db)
{
    if (db->file_moved && sqlite3_extended_errcode(H(db)) == SQLITE_CONSTRAINT_COMMITHOOK) {
        return "the database file was removed or replaced since it was opened (commit "
               "refused; restart the process once the file is back)";
    }
    return sqlite3_errmsg(H(db));
}

static int64_t s_changes(struct yq_db *db)
{
    return sqlite3_changes(H(db));
}

static bool s_in_transaction(struct yq_db *db)
{
    return !sqlite3_get_autocommit(H(db));
}

static int s_exec(struct yq_db *db, const char *sql)
{
    if (db->trace) {
        db->trace(db->trace_arg, sql);
    }
    return s_rc(db, sqlite3_exec(H(db), sql, NULL, NULL, NULL));
}

static int s_begin_write(struct yq_db *db)
{
    return s_exec(db, "BEGIN IMMEDIATE");
}

static int s_prepare(struct yq_db *db, const char *sql, struct yq_stmt *st)
{
    sqlite3_stmt *s = cache_take(db, sql);
    int rc = SQLITE_OK;

    if (!s) {
        rc = sqlite3_prepare_v2(H(db), sql, -1, &s, NULL);
    }
    st->impl = s;
    return rc;
}

static void s_finalize(struct yq_stmt *st)
{
    if (S(st)) {
        cache_keep(st->db, S(st));
    }
}

static int s_bind_int64(struct yq_stmt *st, int i, int64_t v)
{
    return sqlite3_bind_int64(S(st), i, v);
}

static int s_bind_double(struct yq_stmt *st, int i, double v)
{
    return sqlite3_bind_double(S(st), i, v);
}

static int s_bind_textn(struct yq_stmt *st, int i, const char *s, size_t n)
{
    if (n > (size_t)INT32_MAX) {
        return YQ_DB_TOOBIG;
    }
    return sqlite3_bind_text(S(st), i, s, (int)n, SQLITE_TRANSIENT);
}

static int s_bind_null(struct yq_stmt *st, int i)
{
    return sqlite3_bind_null(S(st), i);
}

static int s_bind_count(struct yq_stmt *st)
{
    return sqlite3_bind_parameter_count(S(st));
}

static int s_step(struct yq_stmt *st)
{
    struct yq_db *db = st->db;
    if (db->trace && !sqlite3_stmt_busy(S(st))) {
        db->trace(db->trace_arg, sqlite3_sql(S(st)));
    }
    return s_rc(db, sqlite3_step(S(st)));
}

static int s_reset(struct yq_stmt *st)
{
    return sqlite3_reset(S(st));
}

static int s_clear_bindings(struct yq_stmt *st)
{
    return sqlite3_clear_bindings(S(st));
}

static int s_column_count(struct yq_stmt *st)
{
    return sqlite3_column_count(S(st));
}

static const char *s_column_name(struct yq_stmt *st, int col)
{
    return sqlite3_column_name(S(st), col);
}

static int s_column_type(struct yq_stmt *st, int col)
{
    return sqlite3_column_type(S(st), col);
}

static int64_t s_column_int64(struct yq_stmt *st, int col)
{
    return sqlite3_column_int64(S(st), col);
}

static double s_column_double(struct yq_stmt *st, int col)
{
    return sqlite3_column_double(S(st), col);
}

static const char *s_column_text(struct yq_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(S(st), col);
}

static int s_column_bytes(struct yq_stmt *st, int col)
{
    return sqlite3_column_bytes(S(st), col);
}

static int s_has_table(struct yq_db *db, const char *table, bool *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(H(db),
                                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                "name = ?",
                                -1, &st, NULL);

    *out = false;
    if (rc != SQLITE_OK) {
        return rc;
    }
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0) > 0;
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_ERROR;
    }
    sqlite3_finalize(st);
    return rc;
}

const struct yq_db_ops yq_db_sqlite_ops = {
    .name = "sqlite",
    .open = s_open,
    .use_wal = s_use_wal,
    .close = s_close,
    .errmsg = s_errmsg,
    .changes = s_changes,
    .in_transaction = s_in_transaction,
    .exec = s_exec,
    .begin_write = s_begin_write,
    .prepare = s_prepare,
    .finalize = s_finalize,
    .bind_int64 = s_bind_int64,
    .bind_double = s_bind_double,
    .bind_textn = s_bind_textn,
    .bind_null = s_bind_null,
    .bind_count = s_bind_count,
    .step = s_step,
    .reset = s_reset,
    .clear_bindings = s_clear_bindings,
    .column_count = s_column_count,
    .column_name = s_column_name,
    .column_type = s_column_type,
    .column_int64 = s_column_int64,
    .column_double = s_column_double,
    .column_text = s_column_text,
    .column_bytes = s_column_bytes,
    .has_table = s_has_table,
};

struct sqlite3 *yq_db_sqlite_handle(struct yq_db *db)
{
    return db->ops == &yq_db_sqlite_ops ? H(db) : NULL;
}

struct sqlite3_stmt *yq_db_sqlite_stmt(struct yq_stmt *st)
{
    return st->db->ops == &yq_db_sqlite_ops ? S(st) : NULL;
}
