#include "yq_sqlite.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "yq_banned.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_time.h"

#define TRACK_TABLE "schema_version"

bool yq_sqlite_is_memory(const char *path)
{
    return path[0] == '\0' || strcmp(path, ":memory:") == 0 ||
           strncmp(path, "file::memory:", 13) == 0 ||
           (strncmp(path, "file:", 5) == 0 && strstr(path, "mode=memory") != NULL);
}

int yq_sqlite_err(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return 0;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return ERR_RETRY;
    case SQLITE_NOMEM:
        return ERR_NOMEM;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
        return ERR_INVALID;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return ERR_PARSE;
    default:
        return ERR_IO;
    }
}

int yq_sqlite_fail(sqlite3 *db, int rc, const char *what, char *errbuf, size_t errlen)
{
    if (errbuf && errlen > 0) {
        snprintf(errbuf, errlen, "%s: %s (rc=%d)", what,
                 db ? sqlite3_errmsg(db) : sqlite3_errstr(rc), rc);
    }
    return yq_sqlite_err(rc);
}

int yq_sqlite_exec(sqlite3 *db, const char *sql, const char *what, char *errbuf, size_t errlen)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : yq_sqlite_fail(db, rc, what, errbuf, errlen);
}

int yq_sqlite_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out, const char *what,
                      char *errbuf, size_t errlen)
{
    int rc = sqlite3_prepare_v2(db, sql, -1, out, NULL);
    return rc == SQLITE_OK ? 0 : yq_sqlite_fail(db, rc, what, errbuf, errlen);
}

int yq_sqlite_step(sqlite3 *db, sqlite3_stmt *st, const char *what, char *errbuf, size_t errlen)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        return 1;
    }
    return rc == SQLITE_DONE ? 0 : yq_sqlite_fail(db, rc, what, errbuf, errlen);
}

int yq_sqlite_run(sqlite3 *db, sqlite3_stmt *st, const char *what, char *errbuf, size_t errlen)
{
    int err = yq_sqlite_step(db, st, what, errbuf, errlen);
    sqlite3_finalize(st);
    return err > 0 ? 0 : err;
}

void yq_sqlite_rollback(sqlite3 *db)
{
    if (!sqlite3_get_autocommit(db)) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
}

int yq_sqlite_close(sqlite3 *db)
{
    if (!db) {
        return 0;
    }
    if (sqlite3_close(db) != SQLITE_OK) {
        LOG_ERR("sqlite close failed: a statement was not finalised");
        sqlite3_close_v2(db);
        return ERR_BAD_STATE;
    }
    return 0;
}

/* Run a pragma that answers one text row; with want, the answer must be want or want2. */
static int pragma_text(sqlite3 *db, const char *sql, const char *want, const char *want2,
                       char *errbuf, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int err = yq_sqlite_prepare(db, sql, &st, sql, errbuf, errlen);

    if (err) {
        return err;
    }
    err = yq_sqlite_step(db, st, sql, errbuf, errlen);
    if (err == 1 && want) {
        const char *got = (const char *)sqlite3_column_text(st, 0);
        if (!got || (strcmp(got, want) != 0 && (!want2 || strcmp(got, want2) != 0))) {
            if (errbuf && errlen > 0) {
                snprintf(errbuf, errlen, "'%s' gave '%s'", sql, got ? got : "(null)");
            }
            err = ERR_IO;
        }
    }
    sqlite3_finalize(st);
    return err > 0 ? 0 : err;
}

static int64_t timeout_ms(int64_t busy_timeout_ms)
{
    return busy_timeout_ms >= 0 && busy_timeout_ms <= 600000 ? busy_timeout_ms : 5000;
}

static void pause_10ms(void)
{
    struct timespec pause = {0, 10 * 1000000L};
    nanosleep(&pause, NULL);
}

int yq_sqlite_use_wal(sqlite3 *db, int64_t busy_timeout_ms, char *errbuf, size_t errlen)
{
    const char *file = sqlite3_db_filename(db, "main");
    bool memory = !file || file[0] == '\0';
    int64_t deadline = yq_time_mono_ms() + timeout_ms(busy_timeout_ms);
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
        err = pragma_text(db, "PRAGMA journal_mode = WAL", memory ? NULL : "wal", NULL, errbuf,
                          errlen);
        if (!err) {
            err = pragma_text(db, "PRAGMA synchronous = FULL", NULL, NULL, errbuf, errlen);
        }
        if (err != ERR_RETRY || yq_time_mono_ms() >= deadline) {
            return err;
        }
        pause_10ms();
    }
}

int yq_sqlite_open(const char *path, unsigned flags, int64_t busy_timeout_ms, sqlite3 **out,
                   char *errbuf, size_t errlen)
{
    sqlite3 *db = NULL;
    bool memory = yq_sqlite_is_memory(path);
    bool readonly = (flags & YQ_SQLITE_READONLY) != 0;
    int oflags = (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_URI;
    int rc, err;

    *out = NULL;
    if (memory || ((flags & YQ_SQLITE_CREATE) && !readonly)) {
        oflags |= SQLITE_OPEN_CREATE;
    } else if (strncmp(path, "file:", 5) != 0) {
        struct stat sb;
        if (stat(path, &sb) != 0) {
            if (errbuf && errlen > 0) {
                snprintf(errbuf, errlen, "database '%s' does not exist", path);
            }
            return errno == ENOENT || errno == ENOTDIR ? ERR_NOT_FOUND : ERR_IO;
        }
    }
    if (flags & YQ_SQLITE_SERIALIZED) {
        oflags |= SQLITE_OPEN_FULLMUTEX;
    }
    rc = sqlite3_open_v2(path, &db, oflags, NULL);
    if (rc != SQLITE_OK) {
        if (errbuf && errlen > 0) {
            snprintf(errbuf, errlen, "cannot open database '%s': %s", path,
                     db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        }
        err = yq_sqlite_err(rc);
        sqlite3_close(db);
        return err;
    }
    sqlite3_extended_result_codes(db, 1);
    rc = sqlite3_busy_timeout(db, (int)timeout_ms(busy_timeout_ms));
    if (rc != SQLITE_OK) {
        err = yq_sqlite_fail(db, rc, "busy_timeout", errbuf, errlen);
        goto fail;
    }
    /* the first statement reads the header: a file that is not a database fails here */
    err = pragma_text(db, "PRAGMA foreign_keys = ON", NULL, NULL, errbuf, errlen);
    if (!err) {
        err =
            yq_sqlite_exec(db, "SELECT count(*) FROM sqlite_master", "read schema", errbuf, errlen);
    }
    if (!err && !readonly && (flags & YQ_SQLITE_WAL)) {
        err = yq_sqlite_use_wal(db, busy_timeout_ms, errbuf, errlen);
    }
    if (err) {
        goto fail;
    }
    *out = db;
    return 0;
fail:
    if (errbuf && errlen > 0) {
        char reason[384];
        snprintf(reason, sizeof(reason), "%s", errbuf);
        snprintf(errbuf, errlen, "database '%s': %s", path, reason);
    }
    sqlite3_close(db);
    return err;
}

int yq_sqlite_has_table(sqlite3 *db, const char *table, bool *out, char *errbuf, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int err;

    *out = false;
    err = yq_sqlite_prepare(db,
                            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                            &st, "table lookup", errbuf, errlen);
    if (err) {
        return err;
    }
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    err = yq_sqlite_step(db, st, "table lookup", errbuf, errlen);
    if (err == 1) {
        *out = sqlite3_column_int(st, 0) > 0;
        err = 0;
    } else if (err == 0) {
        err = yq_sqlite_fail(db, SQLITE_ERROR, "table lookup", errbuf, errlen);
    }
    sqlite3_finalize(st);
    return err;
}

/*
 * Read the track: *next = the lowest version of 1..n not recorded (n + 1 when none is
 * missing), *max = the highest recorded (0 when none). A missing table reads as empty.
 */
static int track_read(sqlite3 *db, int n, int *next, int *max, char *errbuf, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    bool has = false;
    int err;

    *next = 1;
    *max = 0;
    err = yq_sqlite_has_table(db, TRACK_TABLE, &has, errbuf, errlen);
    if (err || !has) {
        return err;
    }
    err = yq_sqlite_prepare(db, "SELECT version FROM " TRACK_TABLE " ORDER BY version", &st,
                            "schema_version read", errbuf, errlen);
    while (!err && (err = yq_sqlite_step(db, st, "schema_version read", errbuf, errlen)) == 1) {
        int v = sqlite3_column_int(st, 0);
        if (v == *next) {
            (*next)++;
        }
        *max = v;
        err = 0;
    }
    sqlite3_finalize(st);
    if (*next > n + 1) {
        *next = n + 1;
    }
    return err;
}

int yq_sqlite_schema_version(sqlite3 *db, int *out, char *errbuf, size_t errlen)
{
    int next = 0;
    return track_read(db, 0, &next, out, errbuf, errlen);
}

/*
 * Apply the lowest pending migration, if any, in one BEGIN IMMEDIATE transaction that also
 * reads the track. *done is set when nothing was pending.
 */
static int migrate_step(sqlite3 *db, const struct yq_sqlite_schema *schema, bool *done,
                        char *errbuf, size_t errlen)
{
    const struct yq_sqlite_migration *m;
    sqlite3_stmt *st = NULL;
    char reason[384] = "";
    int n = (int)schema->n_steps, next = 0, max = 0, err;

    *done = false;
    err = yq_sqlite_exec(db, "BEGIN IMMEDIATE", "begin", reason, sizeof(reason));
    if (err) {
        snprintf(errbuf, errlen, "cannot lock the %s to migrate it: %s", schema->name, reason);
        return err;
    }
    err = yq_sqlite_exec(db,
                         "CREATE TABLE IF NOT EXISTS " TRACK_TABLE " ("
                         "  version INTEGER PRIMARY KEY,"
                         "  applied_at INTEGER NOT NULL)",
                         "schema_version create", reason, sizeof(reason));
    if (!err) {
        err = track_read(db, n, &next, &max, reason, sizeof(reason));
    }
    if (err) {
        snprintf(errbuf, errlen, "cannot read the schema version of the %s: %s", schema->name,
                 reason);
        goto rollback;
    }
    if (max > n) {
        snprintf(errbuf, errlen, "%s schema %d is newer than this binary (%d)", schema->name, max,
                 n);
        err = ERR_BAD_STATE;
        goto rollback;
    }
    if (next > n) {
        *done = true;
        err = yq_sqlite_exec(db, "COMMIT", "commit", reason, sizeof(reason));
        if (err) {
            snprintf(errbuf, errlen, "%s migration commit failed: %s", schema->name, reason);
            goto rollback;
        }
        return 0;
    }
    m = &schema->steps[next - 1];
    if (m->sql) {
        err = yq_sqlite_exec(db, m->sql, "migration", reason, sizeof(reason));
    }
    if (!err && m->apply) {
        err = m->apply(db, reason, sizeof(reason));
    }
    if (!err) {
        err =
            yq_sqlite_prepare(db, "INSERT INTO " TRACK_TABLE " (version, applied_at) VALUES (?, ?)",
                              &st, "migration record", reason, sizeof(reason));
    }
    if (!err) {
        sqlite3_bind_int(st, 1, m->version);
        sqlite3_bind_int64(st, 2, yq_time_now());
        err = yq_sqlite_run(db, st, "migration record", reason, sizeof(reason));
    }
    if (!err) {
        err = yq_sqlite_exec(db, "COMMIT", "migration commit", reason, sizeof(reason));
    }
    if (err) {
        snprintf(errbuf, errlen, "%s migration %d (%s) failed: %s", schema->name, m->version,
                 m->what, reason);
        goto rollback;
    }
    LOG_INFO("migrated schema=%s schema_version=%d what='%s'", YQ_Q(schema->name), m->version,
             m->what);
    return 0;
rollback:
    yq_sqlite_rollback(db);
    return err;
}

int yq_sqlite_migrate(sqlite3 *db, const struct yq_sqlite_schema *schema, int64_t busy_timeout_ms,
                      char *errbuf, size_t errlen)
{
    char scratch[2];
    int64_t deadline = yq_time_mono_ms() + timeout_ms(busy_timeout_ms);
    int n = (int)schema->n_steps, next = 0, max = 0, err;
    bool done = false;

    if (!errbuf) {
        errbuf = scratch;
        errlen = sizeof(scratch);
    }
    for (size_t i = 0; i < schema->n_steps; i++) {
        if (schema->steps[i].version != (int)i + 1) {
            snprintf(errbuf, errlen, "%s: migration %zu is numbered %d", schema->name, i + 1,
                     schema->steps[i].version);
            return ERR_INVALID; /* a programmer's error in the table */
        }
    }
    /* the common case, an up-to-date file, needs no write lock */
    err = track_read(db, n, &next, &max, errbuf, errlen);
    if (!err && next > n && max == n) {
        return 0;
    }
    while (!done) {
        err = migrate_step(db, schema, &done, errbuf, errlen);
        if (err == ERR_RETRY && yq_time_mono_ms() < deadline) {
            pause_10ms();
            continue;
        }
        if (err) {
            return err;
        }
    }
    return 0;
}
