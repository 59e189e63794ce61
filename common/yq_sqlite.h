/*
 * The one SQLite helper (issue #12): open a database with the project's pragmas, prepare / step /
 * exec with one mapping from SQLite result codes to the shared ERR_* codes, and migrations with
 * one schema-version track per database file.
 *
 * Pragmas every connection gets (reconciled from the ticket store, the web accounts and the
 * statistics loader, which each had their own):
 *   - extended result codes on (the mapping looks at the primary code, rc & 0xff);
 *   - busy_timeout = the caller's busy_timeout_ms (a statement waits that long for a lock);
 *   - foreign_keys = ON (the ticket and web schemas declare REFERENCES ... ON DELETE CASCADE).
 * A read-write connection asked for YQ_SQLITE_WAL also gets journal_mode = WAL (readers never
 * block the writer; in-memory and temporary databases keep their journal) and synchronous = FULL
 * (a committed ticket survives a power cut). Read-only connections change no journal setting.
 *
 * The schema-version track of a file is the table
 *   schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)
 * with one row per applied migration (applied_at: seconds UTC). A file has one schema
 * (struct yq_sqlite_schema): one ordered list of migrations numbered 1..n.
 *
 * Connections are used from one thread at a time unless opened with YQ_SQLITE_SERIALIZED.
 */
#ifndef YQ_SQLITE_H
#define YQ_SQLITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sqlite3;
struct sqlite3_stmt;

enum yq_sqlite_flags {
    YQ_SQLITE_READONLY = 1 << 0,   /* SQLITE_OPEN_READONLY; no journal pragmas */
    YQ_SQLITE_CREATE = 1 << 1,     /* create a missing file (in-memory databases always are) */
    YQ_SQLITE_SERIALIZED = 1 << 2, /* SQLITE_OPEN_FULLMUTEX: one handle shared by threads */
    YQ_SQLITE_WAL = 1 << 3,        /* read-write: journal_mode = WAL, synchronous = FULL */
};

/*
 * One migration. version: its number (the i-th entry of a schema has version i + 1). sql: run
 * first when not NULL (one or more statements). apply: run next when not NULL, on the same
 * connection inside the same transaction; it writes one line into errbuf on failure and returns
 * an ERR_* code. what: a few words for the log and messages ("tickets, items and log").
 */
struct yq_sqlite_migration {
    int version;
    const char *what;
    const char *sql;
    int (*apply)(struct sqlite3 *db, char *errbuf, size_t errlen);
};

/* The schema of one kind of database file: its name for messages and its migrations in order. */
struct yq_sqlite_schema {
    const char *name; /* "ticket store" */
    const struct yq_sqlite_migration *steps;
    size_t n_steps;
};

/*
 * The busy_timeout_ms key of every config section that opens an SQLite database (a cfg_key
 * table row, yq_cfg.h; the including file includes yq_cfg.h): 0..600000 ms, default 5000.
 * offset: offsetof() of the int64_t field; doc: what the wait is for, in that section's words.
 */
#define YQ_SQLITE_BUSY_TIMEOUT_KEY(offset, doc)                                                    \
    {                                                                                              \
        "busy_timeout_ms", CFG_MS, "5000", 0, 600000, (offset), (doc), NULL                        \
    }

/*
 * Whether path names an in-memory database: "", ":memory:", "file::memory:..." or a "file:"
 * URI with mode=memory. path: NUL-terminated, borrowed.
 */
bool yq_sqlite_is_memory(const char *path);

/*
 * Open path (a file name, ":memory:" or a "file:" URI) with the pragmas above.
 * flags: enum yq_sqlite_flags. busy_timeout_ms: 0..600000; other values take 5000.
 * Without YQ_SQLITE_CREATE a missing file (plain path) is ERR_NOT_FOUND naming it; SQLite never
 * creates it then. With YQ_SQLITE_WAL, a "database is locked" answer while another process
 * switches or migrates the same new file is retried for up to busy_timeout_ms.
 * out: on success a new connection (close with yq_sqlite_close()); NULL on failure.
 * errbuf: one line naming the path and the reason; may be NULL.
 * Returns 0, ERR_NOT_FOUND, ERR_PARSE (not a database / corrupt), ERR_RETRY (still locked),
 * ERR_IO or ERR_NOMEM.
 */
int yq_sqlite_open(const char *path, unsigned flags, int64_t busy_timeout_ms, struct sqlite3 **out,
                   char *errbuf, size_t errlen);

/*
 * The journal pragmas of YQ_SQLITE_WAL on an open read-write connection, for callers that must
 * look at the file before anything is written to it (the ticket store refuses a file without
 * its schema). Same retry and errors as yq_sqlite_open().
 */
int yq_sqlite_use_wal(struct sqlite3 *db, int64_t busy_timeout_ms, char *errbuf, size_t errlen);

/*
 * Close db (NULL is a no-op). Returns 0, or ERR_BAD_STATE when a statement was left unfinalised
 * (a bug; the handle is then closed when the last statement is finalised).
 */
int yq_sqlite_close(struct sqlite3 *db);

/*
 * The shared code for an SQLite result code (primary or extended):
 *   OK, ROW, DONE                         -> 0
 *   BUSY, LOCKED                          -> ERR_RETRY (another connection holds the lock)
 *   NOMEM                                 -> ERR_NOMEM
 *   CONSTRAINT, MISMATCH, TOOBIG, RANGE   -> ERR_INVALID (this row or value is refused)
 *   CORRUPT, NOTADB                       -> ERR_PARSE (not a sound database: permanent)
 *   FULL, IOERR, CANTOPEN, READONLY, PERM and the rest
 *                                         -> ERR_IO (the disk, the file or its mode)
 * Thread-safe.
 */
int yq_sqlite_err(int rc);

/*
 * Write "what: <sqlite3_errmsg(db)> (rc=N)" into errbuf (may be NULL) and return
 * yq_sqlite_err(rc). db: borrowed, may be NULL (then sqlite3_errstr(rc) is used).
 */
int yq_sqlite_fail(struct sqlite3 *db, int rc, const char *what, char *errbuf, size_t errlen);

/* sqlite3_exec() of sql (no rows wanted). Returns 0 or the mapped code with errbuf as above. */
int yq_sqlite_exec(struct sqlite3 *db, const char *sql, const char *what, char *errbuf,
                   size_t errlen);

/*
 * Prepare sql (NUL-terminated) into *out (finalise with sqlite3_finalize()).
 * Returns 0 or the mapped code with errbuf as above (*out is then NULL).
 */
int yq_sqlite_prepare(struct sqlite3 *db, const char *sql, struct sqlite3_stmt **out,
                      const char *what, char *errbuf, size_t errlen);

/*
 * Step st once. Returns 1 when a row is ready, 0 when the statement is done, or a negative
 * mapped code with errbuf as above. st stays prepared (the caller finalises it).
 */
int yq_sqlite_step(struct sqlite3 *db, struct sqlite3_stmt *st, const char *what, char *errbuf,
                   size_t errlen);

/*
 * Step st once (a statement that writes; a returned row counts as success) and finalise it
 * whatever happens. Returns 0 or the mapped code with errbuf as above.
 */
int yq_sqlite_run(struct sqlite3 *db, struct sqlite3_stmt *st, const char *what, char *errbuf,
                  size_t errlen);

/* ROLLBACK when a transaction is open on db; its result is ignored (nothing more to undo). */
void yq_sqlite_rollback(struct sqlite3 *db);

/*
 * Whether table (NUL-terminated) exists in db's main schema: 0 with *out set, or the mapped code
 * with errbuf as above.
 */
int yq_sqlite_has_table(struct sqlite3 *db, const char *table, bool *out, char *errbuf,
                        size_t errlen);

/*
 * The file's schema version: the highest version in schema_version, 0 when the table is absent
 * or empty. Returns 0 with *out set, or the mapped code with errbuf as above.
 */
int yq_sqlite_schema_version(struct sqlite3 *db, int *out, char *errbuf, size_t errlen);

/*
 * Apply every migration of schema the file has not recorded, lowest version first, each in its
 * own BEGIN IMMEDIATE transaction that first reads the track: two processes migrating one file
 * at once serialise on the write lock (the second waits up to busy_timeout_ms and then sees the
 * first one's rows), so each migration runs and is recorded once. An up-to-date file takes no
 * write lock. Each migration applied is logged at info level.
 * db: borrowed, read-write. schema: borrowed; steps[i].version must be i + 1.
 * errbuf: one line ("ticket store migration 3 failed: ...").
 * Returns 0, ERR_BAD_STATE (the file records a version above schema->n_steps: a newer binary's
 * file; nothing is changed), ERR_RETRY (still locked after busy_timeout_ms), or the mapped code
 * of the failing statement (that migration is rolled back; earlier ones stay).
 */
int yq_sqlite_migrate(struct sqlite3 *db, const struct yq_sqlite_schema *schema,
                      int64_t busy_timeout_ms, char *errbuf, size_t errlen);

#endif
