#include "web_auth_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utf8proc.h>

#include "yq_banned.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_db.h"
#include "yq_store_location.h"

#define AOFF(f) offsetof(struct web_auth_cfg, f)

const struct cfg_key web_auth_cfg_keys[] = {
    {"session_ttl_ms", CFG_MS, "12h", 60000, 2592000000LL, AOFF(session_ttl_ms),
     "a session ends this long after login", NULL},
    {"session_idle_ms", CFG_MS, "2h", 60000, 2592000000LL, AOFF(session_idle_ms),
     "a session unused this long ends", NULL},
    {"login_max_failures", CFG_INT, "5", 1, 1000, AOFF(login_max_failures),
     "failed logins per user name within login_window_ms before it is locked", NULL},
    {"login_ip_max_failures", CFG_INT, "20", 1, 100000, AOFF(login_ip_max_failures),
     "failed logins per client address within login_window_ms before it is locked", NULL},
    {"login_window_ms", CFG_MS, "15m", 1000, 86400000, AOFF(login_window_ms),
     "window in which failed logins are counted", NULL},
    {"login_lockout_ms", CFG_MS, "15m", 1000, 86400000, AOFF(login_lockout_ms),
     "how long a locked user name or address must wait", NULL},
    {"pwhash_opslimit", CFG_INT, "2", 1, 64, AOFF(pwhash_opslimit),
     "Argon2id passes (libsodium crypto_pwhash_OPSLIMIT_INTERACTIVE = 2)", NULL},
    {"pwhash_memlimit", CFG_SIZE, "64M", 8192, 4294967296LL, AOFF(pwhash_memlimit),
     "Argon2id memory (libsodium crypto_pwhash_MEMLIMIT_INTERACTIVE = 64M)", NULL},
    {"login_max_concurrent", CFG_INT, "2", 1, 64, AOFF(login_max_concurrent),
     "password checks running at once (each takes pwhash_memlimit of memory); more logins "
     "are refused with 503 and Retry-After: 1",
     NULL},
    YQ_DB_BUSY_TIMEOUT_KEY(AOFF(busy_timeout_ms),
                               "how long a statement waits for the notifier's write lock"),
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

/*
 * The web tables as they stand (web schema version 1, with version 2 only ending the sessions
 * that held their CSRF token in clear). Later changes append a migration to the file's track
 * (notifier/ticket_store.c), never edit this text.
 */
static const char web_tables_sql[] =
    "CREATE TABLE IF NOT EXISTS web_departments ("
    "  name TEXT PRIMARY KEY NOT NULL CHECK (length(name) > 0),"
    "  head TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS web_users ("
    "  id INTEGER PRIMARY KEY,"
    "  username TEXT NOT NULL UNIQUE,"
    "  display_name TEXT NOT NULL DEFAULT '',"
    "  role TEXT NOT NULL CHECK (role IN ('admin', 'duty_officer', 'liaison', 'head')),"
    "  department TEXT REFERENCES web_departments(name) ON UPDATE CASCADE,"
    "  password_hash TEXT NOT NULL,"
    "  disabled INTEGER NOT NULL DEFAULT 0,"
    "  must_change_password INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  CHECK (role NOT IN ('liaison', 'head') OR department IS NOT NULL));"
    "CREATE TABLE IF NOT EXISTS web_sessions ("
    "  id INTEGER PRIMARY KEY,"
    "  token_hash TEXT NOT NULL UNIQUE,"
    "  user_id INTEGER NOT NULL REFERENCES web_users(id) ON DELETE CASCADE,"
    "  csrf_token TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  last_seen_at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS web_sessions_user ON web_sessions(user_id);"
    "CREATE TABLE IF NOT EXISTS web_api_tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  token_hash TEXT NOT NULL UNIQUE,"
    "  user_id INTEGER NOT NULL REFERENCES web_users(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL DEFAULT 0,"
    "  last_used_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS web_login_throttle ("
    "  key TEXT PRIMARY KEY NOT NULL,"
    "  failures INTEGER NOT NULL,"
    "  first_at INTEGER NOT NULL,"
    "  locked_until INTEGER NOT NULL DEFAULT 0);";

/* The web tables' former track of their own, and its last version. */
#define LEGACY_TRACK "web_schema_version"
#define LEGACY_VERSION 2

int web_auth_schema_apply(struct yq_db *db, char *errbuf, size_t errlen)
{
    struct yq_stmt *st = NULL;
    bool legacy = false;
    int version = 0, err;

    err = yq_db_exec(db, web_tables_sql, "web tables", errbuf, errlen);
    if (!err) {
        err = yq_db_has_table(db, LEGACY_TRACK, &legacy, errbuf, errlen);
    }
    if (err || !legacy) {
        return err;
    }
    err = yq_db_prepare(db, "SELECT coalesce(max(version), 0) FROM " LEGACY_TRACK, &st,
                            "web schema read", errbuf, errlen);
    if (!err && (err = yq_db_step(db, st, "web schema read", errbuf, errlen)) == 1) {
        version = yq_stmt_column_int(st, 0);
        err = 0;
    }
    yq_stmt_finalize(st);
    if (!err && version > LEGACY_VERSION) {
        snprintf(errbuf, errlen, "web store schema %d is newer than this binary's %d", version,
                 LEGACY_VERSION);
        return ERR_BAD_STATE;
    }
    if (!err && version < 2) {
        /* web migration 2: CSRF tokens are derived, the sessions that kept theirs in clear end */
        err = yq_db_exec(db, "DELETE FROM web_sessions", "web migration 2", errbuf, errlen);
    }
    if (!err) {
        err = yq_db_exec(db, "DROP TABLE " LEGACY_TRACK, "web track drop", errbuf, errlen);
    }
    return err;
}

/*
 * Make sure the web tables are there: in a ticket store the file's migration 8 made them; a
 * store an older binary left (the web track of its own) or a database of the web accounts alone
 * (tests) gets them here, in one write transaction, without a version of its own.
 */
static int schema_ensure(struct web_auth *a, char *errbuf, size_t errlen)
{
    bool users = false, legacy = false;
    int err;

    err = yq_db_has_table(a->db, "web_users", &users, errbuf, errlen);
    if (!err) {
        err = yq_db_has_table(a->db, LEGACY_TRACK, &legacy, errbuf, errlen);
    }
    if (err || (users && !legacy)) {
        return err; /* the common case takes no write lock */
    }
    err = yq_db_exec(a->db, "BEGIN IMMEDIATE", "web schema begin", errbuf, errlen);
    if (!err) {
        err = web_auth_schema_apply(a->db, errbuf, errlen);
    }
    if (!err) {
        err = yq_db_exec(a->db, "COMMIT", "web schema commit", errbuf, errlen);
    }
    if (err) {
        yq_db_rollback(a->db);
    }
    return err;
}

/* ------------------------------------------------------------------ SQLite */

int web_auth_fail(struct web_auth *a, int rc, const char *what)
{
    char reason[256];
    int err = yq_db_fail(a->db, rc, what, reason, sizeof(reason));

    if (err == ERR_RETRY) {
        LOG_WARN("web store busy op=%s", what);
    } else if (err != ERR_NOMEM) {
        LOG_WARN("web store failed op=%s reason='%s'", what, reason);
    }
    return err;
}

int web_auth_prepare(struct web_auth *a, const char *sql, struct yq_stmt **out, const char *what)
{
    int rc = yq_stmt_prepare(a->db, sql, out);
    return rc == YQ_DB_OK ? 0 : web_auth_fail(a, rc, what);
}

int web_auth_bind_text(struct yq_stmt *st, int i, const char *s)
{
    return s ? yq_stmt_bind_text(st, i, s) : yq_stmt_bind_null(st, i);
}

int web_auth_run(struct web_auth *a, struct yq_stmt *st, const char *what)
{
    return web_auth_run_id(a, st, what, NULL);
}

int web_auth_run_id(struct web_auth *a, struct yq_stmt *st, const char *what, int64_t *id)
{
    int rc = yq_stmt_step(st);
    int err = (rc == YQ_DB_DONE || rc == YQ_DB_ROW) ? 0 : web_auth_fail(a, rc, what);
    if (id) {
        *id = rc == YQ_DB_ROW ? yq_stmt_column_int64(st, 0) : 0;
    }
    yq_stmt_finalize(st);
    return err;
}

int web_auth_exec(struct web_auth *a, const char *sql, const char *what)
{
    int rc = yq_db_exec_raw(a->db, sql);
    return rc == YQ_DB_OK ? 0 : web_auth_fail(a, rc, what);
}

int web_auth_tx_end(struct web_auth *a, int err, const char *what)
{
    if (!err) {
        err = web_auth_exec(a, "COMMIT", what);
    }
    if (err) {
        yq_db_rollback(a->db);
    }
    return err;
}

void web_auth_col_copy(struct yq_stmt *st, int i, char *buf, size_t len)
{
    const char *s = yq_stmt_column_text(st, i);
    snprintf(buf, len, "%s", s ? s : "");
}

int web_auth_list_json(struct web_auth *a, const char *sql, const char *bind,
                       json_t *(*row_json)(struct yq_stmt *st), const char *what, json_t **out)
{
    struct yq_stmt *st = NULL;
    json_t *arr = json_array();
    int err, rc = YQ_DB_DONE;

    *out = NULL;
    if (!arr) {
        return ERR_NOMEM;
    }
    web_auth_lock(a);
    err = web_auth_prepare(a, sql, &st, what);
    if (!err && bind) {
        web_auth_bind_text(st, 1, bind);
    }
    while (!err && (rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        json_t *row = row_json(st);
        if (!row || json_array_append_new(arr, row) != 0) {
            err = ERR_NOMEM;
        }
    }
    if (!err && rc != YQ_DB_DONE) {
        err = web_auth_fail(a, rc, what);
    }
    yq_stmt_finalize(st);
    web_auth_unlock(a);
    if (err) {
        json_decref(arr);
        return err;
    }
    *out = arr;
    return 0;
}

int web_auth_run_by_key_locked(struct web_auth *a, const char *sql, const char *text, int64_t id,
                               int64_t id2, const char *what, int *changes)
{
    struct yq_stmt *st = NULL;
    int err = web_auth_prepare(a, sql, &st, what);

    if (err) {
        return err;
    }
    if (text) {
        web_auth_bind_text(st, 1, text);
    } else {
        yq_stmt_bind_int64(st, 1, id);
    }
    if (yq_stmt_bind_parameter_count(st) >= 2) {
        yq_stmt_bind_int64(st, 2, id2);
    }
    err = web_auth_run(a, st, what);
    if (!err && changes) {
        *changes = yq_db_changes(a->db);
    }
    return err;
}

/* ------------------------------------------------------------------ checks */

bool web_auth_text_ok(const char *s)
{
    const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
    utf8proc_ssize_t left = (utf8proc_ssize_t)strlen(s);

    while (left > 0) {
        utf8proc_int32_t cp = -1;
        utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
        if (n <= 0 || cp < 0x20 || cp == 0x7F) {
            return false; /* invalid, overlong or surrogate sequence; C0 control or DEL */
        }
        p += n;
        left -= n;
    }
    return true;
}

/* ------------------------------------------------------------------ handle */

void web_auth_lock(struct web_auth *a)
{
    pthread_mutex_lock(&a->lock);
}

void web_auth_unlock(struct web_auth *a)
{
    pthread_mutex_unlock(&a->lock);
}

struct yq_db *web_auth_db(struct web_auth *a)
{
    return a->db;
}

int web_auth_open(const struct web_auth_cfg *cfg, const char *path, struct web_auth **out,
                  char *errbuf, size_t errlen)
{
    struct web_auth *a;
    int err;

    *out = NULL;
    if (sodium_init() < 0) {
        snprintf(errbuf, errlen, "libsodium failed to initialise");
        return ERR_IO;
    }
    a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(errbuf, errlen, "out of memory");
        return ERR_NOMEM;
    }
    a->cfg = *cfg;
    if (pthread_mutex_init(&a->lock, NULL) != 0) {
        free(a);
        snprintf(errbuf, errlen, "cannot create mutex");
        return ERR_NOMEM;
    }
    a->lock_init = true;
    /* issue #10: the store is made by 'yuqingctl store init' only (0600), never here */
    if (yq_store_location_check(path, NULL, 0) != 0) {
        /* a SQLite file: no password to hide, but the same form everywhere */
        char where[512];
        yq_db_redact(path, where, sizeof(where));
        snprintf(errbuf, errlen,
                 "ticket store '%s' does not exist: run 'yuqingctl store init --db %s' once to "
                 "create it",
                 where, where);
        web_auth_free(a);
        return ERR_NOT_FOUND;
    }
    err = yq_db_open(path, YQ_DB_SERIALIZED | YQ_DB_WAL, cfg->busy_timeout_ms, &a->db,
                         errbuf, errlen);
    if (!err) {
        err = schema_ensure(a, errbuf, errlen);
    }
    if (err) {
        web_auth_free(a);
        return err;
    }
    if (crypto_pwhash_str(a->dummy_hash, "not a password", 14,
                          (unsigned long long)cfg->pwhash_opslimit,
                          (size_t)cfg->pwhash_memlimit) != 0) {
        snprintf(errbuf, errlen, "Argon2id: cannot allocate %lld bytes",
                 (long long)cfg->pwhash_memlimit);
        web_auth_free(a);
        return ERR_NOMEM;
    }
    *out = a;
    return 0;
}

void web_auth_free(struct web_auth *a)
{
    if (!a) {
        return;
    }
    if (a->db) {
        yq_db_close(a->db);
    }
    if (a->lock_init) {
        pthread_mutex_destroy(&a->lock);
    }
    free(a);
}
