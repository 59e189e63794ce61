/*
 * The one database layer (issue #16; replaces issue #12's SQLite-only helper): a connection and
 * prepared-statement API with two backends behind one table of functions (c-style §1):
 *   - SQLite (yq_db_sqlite.c), the embedded default: a file path, ":memory:", a "file:" URI or
 *     "sqlite:PATH";
 *   - PostgreSQL 15 through libpq (yq_db_pg.c): "postgresql://..." or "postgres://..." (a libpq
 *     connection URI; libpq's environment and ~/.pgpass apply).
 * Every store in the tree (tickets, web accounts, statistics, the archive's server backend) uses
 * this API, so one SQL text runs on both. The portable subset and what the PostgreSQL backend
 * translates are in docs/architecture.md, "SQL on two databases". In short, callers write SQLite
 * SQL with `?` or `?N` parameters and these rewrites happen on PostgreSQL:
 *   ? / ?N -> $N;  LIKE -> ILIKE (SQLite's LIKE folds ASCII case);  x IS [NOT] y (y not NULL,
 *   TRUE, FALSE or DISTINCT) -> IS [NOT] DISTINCT FROM;  scalar max(a, b, ...) / min(...) ->
 *   GREATEST / LEAST;  instr(a, b) -> strpos(a, b);
 *   BEGIN IMMEDIATE / BEGIN EXCLUSIVE -> BEGIN plus pg_advisory_xact_lock(YQ_DB_WRITE_LOCK_KEY
 *   XOR hashtext(current_schema()): one writer lock per store schema),
 *   so writers are serialised as SQLite serialises them (readers are never blocked).
 * Anything else that differs (json_each, full-text search, DDL) is chosen with yq_db_backend().
 *
 * Result codes: the raw calls (yq_stmt_*, yq_db_exec_raw, yq_db_begin_write) return SQLite's
 * primary codes under YQ_DB_ names on both backends (a PostgreSQL SQLSTATE is mapped: class 23
 * -> CONSTRAINT, 40001/40P01/55P03/57014 -> BUSY, 53 -> FULL or NOMEM, 22 -> MISMATCH, 08 and a
 * lost connection -> IOERR, 25006 -> READONLY, the rest -> ERROR). yq_db_err() maps them to the
 * shared ERR_* codes; the checked helpers (yq_db_exec, yq_db_prepare, yq_db_step, yq_db_run)
 * return ERR_* codes and write one line into errbuf.
 *
 * Pragmas and settings every connection gets:
 *   SQLite: extended result codes on, busy_timeout = busy_timeout_ms, foreign_keys = ON; a
 *   read-write connection opened with YQ_DB_WAL gets journal_mode = WAL and synchronous = FULL.
 *   PostgreSQL: TimeZone UTC, client_min_messages warning, lock_timeout = busy_timeout_ms (a
 *   statement waiting longer for a lock fails with YQ_DB_BUSY, as SQLite's busy timeout),
 *   default_transaction_read_only for YQ_DB_READONLY. YQ_DB_CREATE and YQ_DB_WAL change nothing
 *   there (the database must exist; durability is the server's synchronous_commit).
 *
 * Threads: a connection is used by one thread at a time unless opened with YQ_DB_SERIALIZED
 * (then each call is atomic; a transaction is still shared by every thread using the handle).
 */
#ifndef YQ_DB_H
#define YQ_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct yq_db;
struct yq_stmt;

/* Result codes of the raw calls: SQLite's primary codes, numerically. */
enum {
    YQ_DB_OK = 0,
    YQ_DB_ERROR = 1,
    YQ_DB_BUSY = 5,
    YQ_DB_LOCKED = 6,
    YQ_DB_NOMEM = 7,
    YQ_DB_READONLY = 8,
    YQ_DB_IOERR = 10,
    YQ_DB_CORRUPT = 11,
    YQ_DB_FULL = 13,
    YQ_DB_CANTOPEN = 14,
    YQ_DB_TOOBIG = 18,
    YQ_DB_CONSTRAINT = 19,
    YQ_DB_MISMATCH = 20,
    YQ_DB_RANGE = 25,
    YQ_DB_NOTADB = 26,
    YQ_DB_ROW = 100,
    YQ_DB_DONE = 101,
};

/* Column types (yq_stmt_column_type): SQLite's numbering. */
enum { YQ_DB_INTEGER = 1, YQ_DB_FLOAT = 2, YQ_DB_TEXT = 3, YQ_DB_BLOB = 4, YQ_DB_NULL = 5 };

enum yq_db_backend { YQ_DB_SQLITE = 1, YQ_DB_PG = 2 };

enum yq_db_flags {
    YQ_DB_READONLY_OPEN = 1 << 0, /* no writes; SQLite: no journal pragmas */
    YQ_DB_CREATE = 1 << 1,        /* SQLite: create a missing file (in-memory always are) */
    YQ_DB_SERIALIZED = 1 << 2,    /* one handle shared by threads */
    YQ_DB_WAL = 1 << 3,           /* SQLite read-write: journal_mode = WAL, synchronous = FULL */
};

/*
 * The key of the transaction-level advisory lock that BEGIN IMMEDIATE takes on PostgreSQL
 * (pg_advisory_xact_lock): every writer of one database serialises on it. The escalation
 * leader's session lock (notifier) uses YQ_DB_LEADER_LOCK_KEY.
 */
#define YQ_DB_WRITE_LOCK_KEY 0x79717764LL  /* "yqwd" */
#define YQ_DB_LEADER_LOCK_KEY 0x79716c64LL /* "yqld" */

/*
 * One migration. version: its number (the i-th entry of a schema has version i + 1). sql: run
 * first when not NULL (one or more statements; SQLite's dialect). apply: run next when not
 * NULL, on the same connection inside the same transaction; it writes one line into errbuf on
 * failure and returns an ERR_* code. what: a few words for the log and messages. sql_pg: the
 * PostgreSQL text of the same step, run there instead of sql (NULL: sql is portable and runs on
 * both). The two texts of one version must leave equivalent schemas (docs/architecture.md).
 */
struct yq_db_migration {
    int version;
    const char *what;
    const char *sql;
    int (*apply)(struct yq_db *db, char *errbuf, size_t errlen);
    const char *sql_pg;
};

/* The schema of one kind of database: its name for messages and its migrations in order. */
struct yq_db_schema {
    const char *name; /* "ticket store" */
    const struct yq_db_migration *steps;
    size_t n_steps;
};

/*
 * The busy_timeout_ms key of every config section that opens a database (a row of a cfg_key
 * table over CFG_KEYS_OF, whose int64_t field busy_timeout_ms it fills; the including file
 * includes yq_cfg.h): 0..600000 ms, default 5000. doc: what the wait is for, in that section's
 * words.
 */
#define YQ_DB_BUSY_TIMEOUT_KEY(doc) CFG_MS_KEY(busy_timeout_ms, "5000", 0, 600000, doc)

/*
 * The SQL function yq_json_array(text, column): a stored JSON array column made safe to read
 * in SQL (json_each, json_array_elements_text), with yq_json_column_array()'s rule: the text
 * itself when it is a JSON array; '[]' for NULL and '' and, with one warning "stored json
 * column corrupt column=<column>" (never the value), for a corrupt text (not JSON, or JSON that
 * is not an array). So a filter over such a column skips a corrupt row instead of failing the
 * statement (PostgreSQL's CAST(x AS json) throws) or reading an object's or a scalar's values
 * as elements (SQLite's json_each). column: a literal naming the column in the warning.
 *   SQLite: every connection has it (yq_db_sqlite.c; yq_json_column_array() itself, the
 *   warning through the log).
 *   PostgreSQL: a schema's migration creates it with YQ_DB_JSON_ARRAY_PG_DDL (the ticket
 *   store's migration 15); the warning is a server WARNING, which this layer logs. A text of
 *   quoted strings without escapes (what our writers store) is taken by one regular
 *   expression; anything else is tried with the cast in a block that catches its errors.
 * A JSON text both parsers take is an array on both; they differ only on texts no writer of
 * ours stores (jansson refuses an object element with a key twice and numbers past a double,
 * which PostgreSQL's json accepts).
 */
#define YQ_DB_JSON_ARRAY_PG_DDL                                                                    \
    "CREATE OR REPLACE FUNCTION yq_json_array(t text, col text) RETURNS text "                     \
    "LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$ BEGIN"                                         \
    "  IF t IS NULL OR t = '' THEN RETURN '[]'; END IF;"                                           \
    "  IF t ~ '^\\[\\s*(\"[^\"\\\\[:cntrl:]]*\"\\s*(,\\s*\"[^\"\\\\[:cntrl:]]*\"\\s*)*)?\\]$' "    \
    "  THEN RETURN t; END IF;"                                                                     \
    "  BEGIN"                                                                                      \
    "    IF json_typeof(CAST(t AS json)) = 'array' THEN"                                           \
    "      PERFORM count(*) FROM json_array_elements_text(CAST(t AS json));"                       \
    "      RETURN t;"                                                                              \
    "    END IF;"                                                                                  \
    "  EXCEPTION WHEN data_exception THEN NULL;"                                                   \
    "  END;"                                                                                       \
    "  RAISE WARNING 'stored json column corrupt column=%', col;"                                  \
    "  RETURN '[]';"                                                                               \
    "END $$;"

/* Which backend location names: YQ_DB_PG for "postgresql://" / "postgres://", else SQLite. */
enum yq_db_backend yq_db_backend_of(const char *location);

/*
 * location with its passwords removed, for messages before a connection exists.
 * A URI loses everything from the user's ':' to the last '@' before the query string (which
 * starts at the first '?' followed by one of libpq's keywords and '=')
 * ("postgresql://u:p@ss@h/db" -> "postgresql://u@h/db": libpq ends the password at the first
 * '@', a user may have meant the last), and the values of its password= and sslpassword=
 * query parameters (keywords percent-decoded, any case; a value runs to the next "&keyword=").
 * Anything else is read as libpq's key=value string: the values of password and sslpassword
 * (quoted or not) are left out, other words (a SQLite path) copied as they are.
 * location: NUL-terminated, borrowed. out: outlen bytes, always NUL-terminated when outlen > 0
 * (cut when longer; a cut never shows more than the whole would). Returns out.
 */
const char *yq_db_redact(const char *location, char *out, size_t outlen);

/* Whether location names an in-memory SQLite database ("", ":memory:", "file::memory:..."). */
bool yq_db_is_memory(const char *location);

/*
 * The SQLite file a location names ("sqlite:/x.db" -> "/x.db", a path stays), or NULL for a
 * PostgreSQL location. Borrowed from location.
 */
const char *yq_db_sqlite_path(const char *location);

/*
 * Open location (see the top of this file) with the settings above.
 * flags: enum yq_db_flags. busy_timeout_ms: 0..600000; other values take 5000.
 * SQLite without YQ_DB_CREATE: a missing file is ERR_NOT_FOUND naming it. PostgreSQL: an
 * unreachable server or refused login is ERR_IO naming the host (never the password).
 * out: a new connection (yq_db_close()); NULL on failure. errbuf: one line; may be NULL.
 * Returns 0, ERR_NOT_FOUND, ERR_PARSE (not a database), ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int yq_db_open(const char *location, unsigned flags, int64_t busy_timeout_ms, struct yq_db **out,
               char *errbuf, size_t errlen);

/* SQLite only: the journal pragmas of YQ_DB_WAL on an open connection (a no-op on PostgreSQL). */
int yq_db_use_wal(struct yq_db *db, int64_t busy_timeout_ms, char *errbuf, size_t errlen);

/* Close db (NULL is a no-op). Returns 0, or ERR_BAD_STATE when a statement was left open. */
int yq_db_close(struct yq_db *db);

enum yq_db_backend yq_db_backend(const struct yq_db *db);

/* The location db was opened with, password removed (for messages). Borrowed from db. */
const char *yq_db_location(const struct yq_db *db);

/* The last error's message on db (borrowed until the next call on db; never NULL). */
const char *yq_db_errmsg(struct yq_db *db);

/* Rows changed by the last INSERT/UPDATE/DELETE run on db. */
int64_t yq_db_changes(struct yq_db *db);

/* Whether a transaction is open on db (SQLite: !sqlite3_get_autocommit). */
bool yq_db_in_transaction(struct yq_db *db);

/*
 * Called with each statement's SQL text (after translation) before it runs; NULL to stop.
 * For tests that count statements per request.
 */
void yq_db_set_trace(struct yq_db *db, void (*fn)(void *arg, const char *sql), void *arg);

/* Run sql (one or more statements, no parameters, rows discarded). Returns a raw code. */
int yq_db_exec_raw(struct yq_db *db, const char *sql);

/*
 * A statement text starting with this comment is planned for the values bound at each run
 * instead of once for all (PostgreSQL: the unnamed statement, not a prepared one; SQLite:
 * no difference, a comment). For lookups whose best plan depends on the table's size, e.g. IN
 * lists of many keys, whose generic plan made on a small table would scan it; its
 * parameters' types must follow from their context.
 */
#define YQ_DB_PLAN_PER_CALL "/* plan per call */ "

/* Prepare one statement. out: finalise with yq_stmt_finalize(). Returns a raw code. */
int yq_stmt_prepare(struct yq_db *db, const char *sql, struct yq_stmt **out);

/*
 * Parameters are numbered from 1. Texts are copied (the caller's buffer may go at once).
 * Returns YQ_DB_OK, YQ_DB_RANGE (no such parameter) or YQ_DB_NOMEM.
 */
int yq_stmt_bind_int64(struct yq_stmt *st, int i, int64_t v);
int yq_stmt_bind_int(struct yq_stmt *st, int i, int v);
int yq_stmt_bind_double(struct yq_stmt *st, int i, double v);
int yq_stmt_bind_text(struct yq_stmt *st, int i, const char *s); /* NULL binds NULL */
int yq_stmt_bind_textn(struct yq_stmt *st, int i, const char *s, size_t n);
int yq_stmt_bind_null(struct yq_stmt *st, int i);
/* Bind column col of src's current row, with its type (copying rows between databases). */
int yq_stmt_bind_column(struct yq_stmt *st, int i, struct yq_stmt *src, int col);
int yq_stmt_bind_parameter_count(struct yq_stmt *st);

/* Run or advance st: YQ_DB_ROW (a row is ready), YQ_DB_DONE, or an error code. */
int yq_stmt_step(struct yq_stmt *st);

/*
 * Deferred statements (issue #16; intake's writes whose answers it does not read): run st, an
 * INSERT, UPDATE or DELETE whose rows and change count the caller does not look at, as part of
 * the open transaction, perhaps later. SQLite runs it at once (rows discarded). PostgreSQL,
 * inside a transaction and once the text has been prepared on the connection (its first run
 * is at once), sends it without waiting for the answer (libpq pipeline mode); the next call
 * on db that needs an answer (a step, exec, COMMIT, yq_db_flush ...) sends its own statement
 * behind it and reads every answer in one round trip. Outside a transaction it runs at once.
 * st's bindings are copied when sent: st may be finalised or bound again at once.
 * Errors: the first deferred statement that failed is reported (its raw code, its message in
 * yq_db_errmsg()) by the call that read its answer, in place of that call's own result; the
 * transaction is then aborted on the server and the caller must roll back, as after any failed
 * statement. yq_db_changes() says nothing about a deferred statement.
 * Returns YQ_DB_DONE (run or queued) or a raw error code (st's own, or an earlier deferred
 * statement's). Not thread-safe across threads sharing one transaction.
 */
int yq_stmt_step_deferred(struct yq_stmt *st);

/*
 * Wait for the answers of db's deferred statements. Returns YQ_DB_OK (none waiting, or all
 * succeeded) or the first failed one's raw code (message in yq_db_errmsg()).
 */
int yq_db_flush(struct yq_db *db);

/* Back to before the first step; bindings stay. */
int yq_stmt_reset(struct yq_stmt *st);
int yq_stmt_clear_bindings(struct yq_stmt *st);

/* Free st (NULL is a no-op). Returns YQ_DB_OK. */
int yq_stmt_finalize(struct yq_stmt *st);

/*
 * The current row's columns, numbered from 0. Texts are borrowed until the next step, reset or
 * finalize; NULL for SQL NULL. Integers read from a boolean are 0/1; from a real, truncated.
 */
int yq_stmt_column_count(struct yq_stmt *st);
const char *yq_stmt_column_name(struct yq_stmt *st, int col);
int yq_stmt_column_type(struct yq_stmt *st, int col);
int64_t yq_stmt_column_int64(struct yq_stmt *st, int col);
int yq_stmt_column_int(struct yq_stmt *st, int col);
double yq_stmt_column_double(struct yq_stmt *st, int col);
const char *yq_stmt_column_text(struct yq_stmt *st, int col);
int yq_stmt_column_bytes(struct yq_stmt *st, int col);

/* The connection st was prepared on. */
struct yq_db *yq_stmt_db(struct yq_stmt *st);

/*
 * Begin a write transaction: SQLite BEGIN IMMEDIATE; PostgreSQL BEGIN plus the advisory lock
 * above. Returns a raw code (YQ_DB_BUSY after busy_timeout_ms).
 */
int yq_db_begin_write(struct yq_db *db);

/* --- Checked helpers: ERR_* codes, one line in errbuf ------------------------------------ */

/*
 * The shared code for a raw code:
 *   OK, ROW, DONE -> 0;  BUSY, LOCKED -> ERR_RETRY;  NOMEM -> ERR_NOMEM;
 *   CONSTRAINT, MISMATCH, TOOBIG, RANGE -> ERR_INVALID;  CORRUPT, NOTADB -> ERR_PARSE;
 *   the rest (FULL, IOERR, CANTOPEN, READONLY, ERROR ...) -> ERR_IO.
 */
int yq_db_err(int rc);

/* "what: <errmsg> (rc=N)" into errbuf (may be NULL); returns yq_db_err(rc). db may be NULL. */
int yq_db_fail(struct yq_db *db, int rc, const char *what, char *errbuf, size_t errlen);

int yq_db_exec(struct yq_db *db, const char *sql, const char *what, char *errbuf, size_t errlen);
int yq_db_prepare(struct yq_db *db, const char *sql, struct yq_stmt **out, const char *what,
                  char *errbuf, size_t errlen);
/* 1 when a row is ready, 0 when done, or a negative ERR_* code. */
int yq_db_step(struct yq_db *db, struct yq_stmt *st, const char *what, char *errbuf,
               size_t errlen);
/* Step once (a returned row counts as success) and finalise st whatever happens. */
int yq_db_run(struct yq_db *db, struct yq_stmt *st, const char *what, char *errbuf,
              size_t errlen);

/*
 * yq_stmt_step_deferred() st and finalise it whatever happens. Returns 0 or the mapped code of
 * st's error or of an earlier deferred statement's (one line in errbuf).
 */
int yq_db_run_deferred(struct yq_db *db, struct yq_stmt *st, const char *what, char *errbuf,
                       size_t errlen);

/*
 * Step an INSERT ... RETURNING id (the portable form of sqlite3_last_insert_rowid) once, put the
 * returned id in *id (0 when no row came back, e.g. ON CONFLICT DO NOTHING) and finalise st
 * whatever happens. Returns 0 or the mapped code.
 */
int yq_db_run_id(struct yq_db *db, struct yq_stmt *st, int64_t *id, const char *what,
                 char *errbuf, size_t errlen);

/* ROLLBACK when a transaction is open on db; its result is ignored. */
void yq_db_rollback(struct yq_db *db);

/* Whether table exists (SQLite main schema; PostgreSQL current_schema()). */
int yq_db_has_table(struct yq_db *db, const char *table, bool *out, char *errbuf, size_t errlen);

/*
 * After rows were written with explicit ids (a copy from another store, a restore): make every
 * identity column of the current schema hand out ids above the highest one present, as
 * SQLite's INTEGER PRIMARY KEY does by itself (PostgreSQL's identity sequence does not look at
 * the rows). PostgreSQL: setval(max(id) + 1) per identity column named in
 * information_schema; SQLite: nothing. Run it inside the copying transaction or after it.
 * Returns 0 or the failing statement's ERR_* code, with one line in errbuf.
 */
int yq_db_sync_ids(struct yq_db *db, char *errbuf, size_t errlen);

/* The highest version in schema_version; 0 when the table is absent or empty. */
int yq_db_schema_version(struct yq_db *db, int *out, char *errbuf, size_t errlen);

/*
 * Apply every migration of schema the database has not recorded, lowest first, each in its own
 * write transaction (yq_db_begin_write) that first reads the track
 *   schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)  -- seconds UTC
 * so two processes migrating one database serialise and each migration runs once. An up-to-date
 * database takes no write lock. Returns 0, ERR_BAD_STATE (a newer binary's database; nothing
 * changed), ERR_RETRY, ERR_INVALID (the table is misnumbered) or the failing statement's code.
 */
int yq_db_migrate(struct yq_db *db, const struct yq_db_schema *schema, int64_t busy_timeout_ms,
                  char *errbuf, size_t errlen);

/*
 * yq_db_migrate() with another track table than schema_version (track: [a-z_]{1,48}, else
 * ERR_INVALID), so a second schema shares a database with the ticket store: the archive's
 * server backend tracks its migrations in archive_schema_version.
 */
int yq_db_migrate_track(struct yq_db *db, const struct yq_db_schema *schema, const char *track,
                        int64_t busy_timeout_ms, char *errbuf, size_t errlen);

/*
 * PostgreSQL only (ERR_BAD_STATE on SQLite): LISTEN/NOTIFY and session advisory locks, for
 * several notifiers sharing one store (docs/operations.md, "Scaling").
 *   yq_db_notify: NOTIFY channel with payload (<= 7999 bytes), sent at commit when in a
 *     transaction.
 *   yq_db_listen: LISTEN channel on this connection.
 *   yq_db_poll_notify: wait up to timeout_ms for one notification; 1 with *payload (new,
 *     free()) and channel copied into chan (chanlen bytes), 0 on timeout, or an ERR_* code.
 *   yq_db_try_lock: pg_try_advisory_lock(key) held by this session until it ends or unlocks:
 *     0 with *got set.
 *   yq_db_unlock: pg_advisory_unlock(key).
 * The connection's socket (for poll()) is yq_db_socket(), -1 on SQLite.
 */
int yq_db_notify(struct yq_db *db, const char *channel, const char *payload);
int yq_db_listen(struct yq_db *db, const char *channel);
int yq_db_poll_notify(struct yq_db *db, int timeout_ms, char *chan, size_t chanlen,
                      char **payload);
int yq_db_try_lock(struct yq_db *db, int64_t key, bool *got);
int yq_db_unlock(struct yq_db *db, int64_t key);
int yq_db_socket(struct yq_db *db);

/*
 * SQLite only, for what exists only there (the archive's FTS5 tokenizer, its rowids): the
 * connection's and a statement's SQLite handles, NULL on PostgreSQL. Borrowed.
 */
struct sqlite3 *yq_db_sqlite_handle(struct yq_db *db);
struct sqlite3_stmt *yq_db_sqlite_stmt(struct yq_stmt *st);

/*
 * The PostgreSQL text of sql (SQLite dialect, see the top of this file): a new string (free())
 * and the number of parameters in *n_params, or NULL on ERR_NOMEM. Exposed for tests.
 */
char *yq_db_pg_translate(const char *sql, int *n_params);

#endif
