/*
 * Internals shared by the files of the web accounts module (web_auth.h is the API):
 *   web_auth.c            configuration keys, open/free, the schema (web_auth_schema_apply) and
 *                         the SQLite wrappers below
 *   web_auth_roles.c      role names and permissions
 *   web_auth_passwords.c  password rules and Argon2id hashing
 *   web_auth_principal.c  what sessions, tokens and users share: tokens and their hashes, the
 *                         user row, the principal lookup, ending a user's sessions and tokens
 *   web_auth_users.c      user accounts and password changes
 *   web_departments.c     the department registry
 *   web_auth_throttle.c   the login throttle and the bound on concurrent password checks
 *   web_auth_sessions.c   cookie sessions, login and logout
 *   web_auth_tokens.c     API tokens
 * Sessions, tokens and users call into web_auth_principal.c and never into each other.
 * Not for use outside web/. Functions named *_locked expect the caller to hold a->lock.
 */
#ifndef WEB_AUTH_INT_H
#define WEB_AUTH_INT_H

#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include "yq_db.h"

#include "web_auth.h"

/* Roles bound to one department. */
#define WEB_ROLE_BOUND(r) ((r) == WEB_ROLE_LIAISON || (r) == WEB_ROLE_HEAD)

/* The columns web_auth_user_from_row() reads, in its order. */
#define WEB_AUTH_USER_COLS                                                                         \
    "id, username, display_name, role, coalesce(department, ''), disabled, must_change_password"

/* Bytes of a throttle key for a user name ("user:" + 32 hex digits + NUL, rounded up). */
#define WEB_AUTH_THROTTLE_KEY_LEN 40

struct web_auth {
    struct yq_db *db;
    pthread_mutex_t lock;
    bool lock_init;
    struct web_auth_cfg cfg;
    char dummy_hash[crypto_pwhash_STRBYTES]; /* verified for unknown names: same cost */
    int64_t checks_running;                  /* Argon2id checks under way (guarded by lock) */
    uint64_t checks_done;                    /* Argon2id checks done since open (guarded by lock) */
    int64_t checks_peak; /* most checks ever running at once (guarded by lock) */
};

/* --- SQLite, through common/yq_sqlite (web_auth.c) ----------------------------------- */

/* Map rc to the shared codes (yq_db_err()), logging the reason once. */
int web_auth_fail(struct web_auth *a, int rc, const char *what);

/* Prepare sql into *out; 0 or the mapped code (logged). */
int web_auth_prepare(struct web_auth *a, const char *sql, struct yq_stmt **out, const char *what);

/* Step a statement that returns no row and finalize it; 0 or the mapped code (logged). */
int web_auth_run(struct web_auth *a, struct yq_stmt *st, const char *what);
/* web_auth_run of an INSERT ... RETURNING id: the new row's id in *id (may be NULL). */
int web_auth_run_id(struct web_auth *a, struct yq_stmt *st, const char *what, int64_t *id);

/* sqlite3_exec(sql); 0 or the mapped code (logged). */
int web_auth_exec(struct web_auth *a, const char *sql, const char *what);

/*
 * Commit the transaction begun by BEGIN IMMEDIATE when err is 0, else (or when the commit
 * fails) roll it back. Returns err, or the commit's code.
 */
int web_auth_tx_end(struct web_auth *a, int err, const char *what);

/* Bind text s at i (NULL binds SQL NULL, SQLITE_TRANSIENT). Returns the SQLite rc. */
int web_auth_bind_text(struct yq_stmt *st, int i, const char *s);

/* Copy column i (text or NULL) into buf of len bytes, truncating. */
void web_auth_col_copy(struct yq_stmt *st, int i, char *buf, size_t len);

/*
 * Run sql (one optional text parameter, bind: may be NULL for none) under the lock and turn
 * each row into a JSON object with row_json (NULL = out of memory).
 * out: a new array on success. Returns 0, ERR_NOMEM or the mapped SQLite code.
 */
int web_auth_list_json(struct web_auth *a, const char *sql, const char *bind,
                       json_t *(*row_json)(struct yq_stmt *st), const char *what, json_t **out);

/*
 * Run sql, a DELETE or UPDATE by key, under the caller's lock: parameter 1 is text when not
 * NULL, else id; a second parameter, when sql has one, is id2. *changes (may be NULL) gets
 * yq_db_changes(). Returns 0 or the mapped code (logged).
 */
int web_auth_run_by_key_locked(struct web_auth *a, const char *sql, const char *text, int64_t id,
                               int64_t id2, const char *what, int *changes);

/* --- shared checks ------------------------------------------------------------------------ */

/* Valid UTF-8 (utf8proc) with no C0 control characters or DEL. */
bool web_auth_text_ok(const char *s);

/* 0 when name exists in web_departments, ERR_INVALID when not. (web_departments.c) */
int web_auth_department_exists_locked(struct web_auth *a, const char *name);

/* --- the principal: users, sessions and tokens share these (web_auth_principal.c) ----------- */

/* Read the WEB_AUTH_USER_COLS columns starting at column first into u. */
void web_auth_user_from_row(struct yq_stmt *st, int first, struct web_user *u);

/* The user named username into out: 0, ERR_NOT_FOUND or a mapped SQLite code. */
int web_auth_user_get_locked(struct web_auth *a, const char *username, struct web_user *out);

/* End every session of user_id except keep (0 = none). */
int web_auth_end_sessions_locked(struct web_auth *a, int64_t user_id, int64_t keep);

/* Revoke every API token of user_id. */
int web_auth_end_tokens_locked(struct web_auth *a, int64_t user_id);

/*
 * Look up the principal behind a session or API token hash under the lock, and touch it when
 * its last use is a minute old or more. select_sql: columns id, last use, then
 * WEB_AUTH_USER_COLS of the user (prefixed u.); parameters ?1 hash, ?2 now and, when present,
 * ?3 idle_before. touch_sql: sets the last use to ?2 for id ?1 (a missed touch is ignored: it
 * only shortens the idle time). *id_out: the session or token id.
 * Returns 0, ERR_NOT_FOUND or the mapped SQLite code (logged); p_out->user filled on success.
 */
int web_auth_principal_lookup(struct web_auth *a, const char *select_sql, const char *touch_sql,
                              const char *hash, int64_t now, int64_t idle_before,
                              struct web_principal *p_out, int64_t *id_out);

/* A new random token: base64url (no padding) of 32 bytes into out (WEB_TOKEN_LEN + 1). */
void web_auth_token_new(char *out);

/* BLAKE2b-256 of token as 64 hex characters + NUL into out. Only hashes are stored. */
void web_auth_token_hash(const char *token, char *out);

/* --- the login throttle (web_auth_throttle.c) ------------------------------------------ */

/* The throttle key of a user name of any length into out (WEB_AUTH_THROTTLE_KEY_LEN bytes). */
void web_auth_throttle_user_key(const char *username, char *out);
/* The throttle key of a device cookie (web_login_device()) into out, as above. */
void web_auth_throttle_device_key(const char *device, char *out);
/*
 * The throttle key of a user's own password change (web_user_change_password()) into out, as
 * above: a counter apart from every login counter.
 */
void web_auth_throttle_password_key(const char *username, char *out);

/*
 * Decide whether a password attempt may run, before it runs: refused (ERR_RETRY, *retry_s)
 * when ukey or ikey is locked; ERR_TOO_BIG when check is set and login_max_concurrent checks
 * are running; else the attempt is counted as a failure against both keys now (so parallel
 * attempts see each other) and, when check is set, takes a check slot. ikey may be NULL (a
 * login from a known device: web_login_device()). Every 0 return is followed by
 * web_auth_attempt_end_locked() with the same keys.
 */
int web_auth_attempt_begin_locked(struct web_auth *a, const char *ukey, const char *ikey,
                                  bool check, int64_t now, int64_t *retry_s);

/*
 * End an attempt begun by web_auth_attempt_begin_locked(): release the check slot (check),
 * and on success clear the name's failures and take the address's reserved one back.
 */
int web_auth_attempt_end_locked(struct web_auth *a, const char *ukey, const char *ikey, bool check,
                                bool ok);

#endif
