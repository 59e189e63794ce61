/*
 * Users, departments, sessions, API tokens and login throttling of the web UI (design §6),
 * kept in SQLite next to the tickets (same database file, tables prefixed web_). The file has
 * one schema-version track (schema_version, common/yq_sqlite.h): the web tables are the ticket
 * store's migration 8 (notifier/ticket_store.c calls web_auth_schema_apply()). Until issue #12
 * they had a track of their own, web_schema_version (versions 1 and 2), which migration 8
 * folds in and drops.
 *
 * Schema (later changes append migrations to the file's track, never edit applied ones):
 *   web_departments (name TEXT PK, head TEXT, created_at)
 *   web_users (id, username UNIQUE, display_name, role 'admin'|'duty_officer'|'liaison'|'head',
 *              department (required for a liaison), password_hash (Argon2id, libsodium
 *              crypto_pwhash_str), disabled, must_change_password, created_at, updated_at)
 *   web_sessions (id, token_hash UNIQUE (BLAKE2b-256 of the cookie token, hex), user_id,
 *                 csrf_token (always '' since web migration 2: the CSRF token is derived from
 *                 the cookie token, never stored), created_at, expires_at, last_seen_at)
 *   web_api_tokens (id, token_hash UNIQUE, user_id, name, created_at, expires_at (0 = never),
 *                   last_used_at)
 *   web_login_throttle (key 'user:' + hex BLAKE2b-128 of the name (any length) | 'ip:ADDR'
 *                       | 'dev:' + hash of a device cookie | 'pw:' + hash of the name (its
 *                       own password change) PK, failures, first_at, locked_until)
 * Times are INTEGER seconds since the epoch, UTC. Secrets (passwords, session and API tokens)
 * are never stored in clear and never logged.
 *
 * Roles (names as in notifier/ticket_flow.h): admin (users, departments, and everything a duty
 * officer may do), duty_officer (值班员: the whole queue; assign, reassign, set level,
 * dismiss, and the liaison actions on any ticket), liaison (联络员) and head (部门负责人):
 * only the tickets of their own department; 签收, respond, return, close (which of these a
 * role may take in which state is finally the ticket store's decision).
 *
 * The module's files, by concern, are listed in web_auth_int.h.
 *
 * Thread-safety: every function may be called from several threads at once; one mutex
 * serialises the connection.
 */
#ifndef WEB_AUTH_H
#define WEB_AUTH_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "yq_db.h"

#include "yq_cfg.h"

#define WEB_USERNAME_MAX 64        /* bytes including the NUL */
#define WEB_DISPLAY_MAX 128        /* bytes including the NUL */
#define WEB_DEPARTMENT_MAX 128     /* bytes including the NUL */
#define WEB_TOKEN_LEN 43           /* base64url of 32 random bytes, no padding */
#define WEB_API_TOKEN_PREFIX "yqt_" /* API tokens are "yqt_" + WEB_TOKEN_LEN characters */
#define WEB_PASSWORD_MIN 10        /* code points... counted as bytes: 10 ASCII or 4 CJK */
#define WEB_PASSWORD_MAX 256       /* bytes */
#define WEB_TOKEN_TTL_MAX_DAYS 3650 /* API token lifetime: 1..3650 days, or 0 = no expiry */
#define WEB_DEVICE_COOKIE "yq_device" /* the known-device cookie (web_login_device()) */
#define WEB_DEVICE_COOKIE_MAX 96      /* its value's bytes including the NUL */
#define WEB_DEVICE_TTL_S (90 * 86400) /* a device cookie's lifetime: 90 days */

enum web_role {
    WEB_ROLE_NONE = 0,
    WEB_ROLE_ADMIN = 1,
    WEB_ROLE_DUTY = 2,
    WEB_ROLE_LIAISON = 3,
    WEB_ROLE_HEAD = 4, /* department head (部门负责人): like a liaison, bound to a department */
};

/* What a principal wants to do; web_auth_allows() decides. */
enum web_perm {
    WEB_PERM_VIEW_QUEUE = 1,   /* list and read tickets (liaisons: their department only) */
    WEB_PERM_DUTY_ACTION = 2,  /* assign, reassign, set level, dismiss */
    WEB_PERM_LIAISON_ACTION = 3, /* 签收, respond, return, close */
    WEB_PERM_VIEW_SYSTEM = 4,  /* sources and rules pages, rule test box */
    WEB_PERM_ADMIN = 5,        /* users, departments, API tokens */
};

struct web_auth_cfg {
    int64_t session_ttl_ms;      /* absolute session lifetime */
    int64_t session_idle_ms;     /* a session unused this long expires */
    int64_t login_max_failures;  /* failures per user name within login_window_ms */
    int64_t login_ip_max_failures; /* failures per client address within the window */
    int64_t login_window_ms;
    int64_t login_lockout_ms;    /* how long a name or address stays locked */
    int64_t pwhash_opslimit;     /* Argon2id passes (crypto_pwhash_OPSLIMIT_*) */
    int64_t pwhash_memlimit;     /* Argon2id memory in bytes */
    int64_t login_max_concurrent; /* password checks running at once (memory: each takes
                                     pwhash_memlimit); more are refused with ERR_TOO_BIG */
    int64_t busy_timeout_ms;     /* SQLite busy timeout (the notifier writes the same file) */
};

/* Keys of the "auth:" part of the "web:" section (see web.h). */
extern const struct cfg_key web_auth_cfg_keys[];

struct web_user {
    int64_t id;
    char username[WEB_USERNAME_MAX];
    char display_name[WEB_DISPLAY_MAX];
    enum web_role role;
    char department[WEB_DEPARTMENT_MAX]; /* a liaison's or head's department, else "" */
    bool disabled;
    bool must_change_password;
};

/* Who is calling: the user plus how they authenticated. */
struct web_principal {
    struct web_user user;
    bool via_token;                     /* API token (no CSRF needed) rather than a cookie */
    int64_t session_id;                 /* 0 for API tokens */
    char csrf_token[WEB_TOKEN_LEN + 1]; /* the session's CSRF token; "" for API tokens */
};

struct web_auth;

struct yq_db;

/*
 * Open the EXISTING database at path (made by 'yuqingctl store init'; ":memory:" for tests)
 * read-write with the project's pragmas (common/yq_sqlite.h: WAL, synchronous=FULL,
 * foreign_keys, cfg->busy_timeout_ms), and make sure the web tables are there: a ticket store
 * has them from its migration 8; a store left by an older binary (with web_schema_version) or
 * a database of the web accounts alone gets them here (web_auth_schema_apply() in one write
 * transaction; no version is recorded: the file's track belongs to the ticket store).
 * cfg: copied. out: a new handle (web_auth_free()).
 * Returns 0, ERR_NOT_FOUND (no such file), ERR_IO (open or schema failed), ERR_PARSE (not a
 * database), ERR_RETRY (locked), ERR_BAD_STATE (web tables of a newer binary) or ERR_NOMEM,
 * with one line in errbuf.
 */
int web_auth_open(const struct web_auth_cfg *cfg, const char *path, struct web_auth **out,
                  char *errbuf, size_t errlen);

/* Close and free. NULL is a no-op. */
void web_auth_free(struct web_auth *a);

/*
 * The web tables' migration, for the track of the file that holds them (the ticket store's
 * migration 8) and for web_auth_open(): create the tables where missing; when the file still
 * has the former track web_schema_version, end the sessions of a version-1 store (web
 * migration 2) and drop that track. Idempotent. Runs inside the caller's write transaction.
 * db: borrowed, read-write. errbuf: one line on failure.
 * Returns 0, ERR_BAD_STATE (web_schema_version above 2: a newer binary's file) or the mapped
 * SQLite code (yq_db_err()).
 */
int web_auth_schema_apply(struct yq_db *db, char *errbuf, size_t errlen);

/* The raw connection, for tests and the ticket change marker (borrowed). */
struct yq_db *web_auth_db(struct web_auth *a);

/* Lock/unlock the connection's mutex around direct use of web_auth_db(). */
void web_auth_lock(struct web_auth *a);
void web_auth_unlock(struct web_auth *a);

/* "admin", "duty_officer", "liaison", "head" (static), or "none". */
const char *web_role_name(enum web_role role);

/* Parse a role name (also "duty", 值班员, 联络员, 管理员, 部门负责人). 0 or ERR_INVALID. */
int web_role_parse(const char *s, enum web_role *out);

/*
 * Whether p may do perm at all (department checks are separate). p may be NULL (logged out:
 * false). Pure; thread-safe.
 */
bool web_auth_allows(const struct web_principal *p, enum web_perm perm);

/*
 * Whether p may see or act on a ticket whose lead department is department and whose
 * co-handling departments are co (n_co strings; co may be NULL when n_co is 0): admins and
 * duty officers always; liaisons when their department is the lead or a co-handler.
 */
bool web_auth_allows_department(const struct web_principal *p, const char *department,
                                const char *const *co, size_t n_co);

/*
 * Whether name (NUL-terminated, borrowed) is a registered department (web_departments).
 * Returns 0, ERR_NOT_FOUND, or ERR_RETRY/ERR_IO when the database cannot answer. Thread-safe.
 */
int web_department_check(struct web_auth *a, const char *name);

/*
 * Check a new password: WEB_PASSWORD_MIN..WEB_PASSWORD_MAX bytes, valid UTF-8 without
 * control characters, not equal to the user name (may be NULL). Returns 0 or ERR_INVALID
 * with a one-line reason (zh-CN) in errbuf.
 */
int web_password_check(const char *password, const char *username, char *errbuf, size_t errlen);

/*
 * Hash password (NUL-terminated) with Argon2id at a's limits into out (at least
 * crypto_pwhash_STRBYTES = 128 bytes). Returns 0 or ERR_NOMEM (libsodium could not get the
 * memory).
 */
int web_password_hash(const struct web_auth *a, const char *password, char *out, size_t len);

/* Returns 0 when password matches hash (an encoded Argon2id string), else ERR_INVALID. */
int web_password_verify(const char *hash, const char *password);

/*
 * Create a user. department: required for WEB_ROLE_LIAISON and WEB_ROLE_HEAD (must exist),
 * ignored (stored empty) otherwise. display_name may be NULL. must_change: the user must set
 * a new password at first login. now: seconds, UTC. id_out may be NULL.
 * Returns 0, ERR_INVALID (bad name, role, department or password: reason in errbuf),
 * ERR_EXISTS (name taken), ERR_IO, ERR_RETRY or ERR_NOMEM.
 */
int web_user_add(struct web_auth *a, const char *username, const char *display_name,
                 enum web_role role, const char *department, const char *password,
                 bool must_change, int64_t now, int64_t *id_out, char *errbuf, size_t errlen);

/* Fields web_user_update() changes; NULL / negative = keep. */
struct web_user_change {
    const char *display_name;
    enum web_role role;     /* WEB_ROLE_NONE = keep */
    const char *department; /* for a liaison */
    int disabled;           /* -1 keep, 0, 1 */
    const char *password;   /* new password; sessions and API tokens of the user end */
    int64_t keep_session_id; /* a session that survives (the admin changing their own
                                account); 0 = none */
};

/*
 * Change user username. Returns 0, ERR_NOT_FOUND, ERR_INVALID (reason in errbuf), ERR_IO,
 * ERR_RETRY or ERR_NOMEM. Disabling a user, resetting their password or changing their role
 * or department ends their sessions (but ch->keep_session_id) and revokes their API tokens,
 * in the same transaction as the change.
 */
int web_user_update(struct web_auth *a, const char *username, const struct web_user_change *ch,
                    int64_t now, char *errbuf, size_t errlen);

/* Look a user up by name. out: caller storage. Returns 0, ERR_NOT_FOUND, ERR_IO, ERR_RETRY. */
int web_user_get(struct web_auth *a, const char *username, struct web_user *out);

/* All users as a new JSON array of user objects (no hashes). Returns 0, ERR_IO, ERR_NOMEM. */
int web_user_list(struct web_auth *a, json_t **out);

/* The user as a new JSON object {username, display_name, role, department, disabled,
 * must_change_password}; NULL on ERR_NOMEM. */
json_t *web_user_json(const struct web_user *u);

/*
 * Change the password of user_id after checking old_password. The check is throttled by a
 * counter of the user's own ('pw:' key: login_max_failures in login_window_ms, then
 * login_lockout_ms), apart from the login counters: wrong guesses here never lock the name's
 * logins, and failed logins of the name or from any address never refuse the change. It runs
 * within login_max_concurrent. Ends every other
 * session (keep_session_id stays valid), revokes every API token of the user (issue #10:
 * a token taken with the old password must not outlive it) and clears must_change_password,
 * in one transaction.
 * retry_after_s: set when throttled.
 * Returns 0, ERR_INVALID (old password wrong, or the new one fails web_password_check:
 * reason in errbuf), ERR_RETRY (throttled: *retry_after_s), ERR_TOO_BIG (too many password
 * checks running: try again in a second), ERR_NOT_FOUND, ERR_IO, ERR_NOMEM.
 */
int web_user_change_password(struct web_auth *a, int64_t user_id, const char *old_password,
                             const char *new_password, int64_t keep_session_id, int64_t now,
                             int64_t *retry_after_s, char *errbuf, size_t errlen);

/* Departments. name: 1..WEB_DEPARTMENT_MAX-1 bytes. head may be NULL.
 * add: 0, ERR_EXISTS, ERR_INVALID, ERR_IO, ERR_RETRY. remove: 0, ERR_NOT_FOUND,
 * ERR_BAD_STATE (a user is still bound to it), ERR_IO, ERR_RETRY.
 * list: a new JSON array [{name, head, liaisons:[usernames]}]. */
int web_department_add(struct web_auth *a, const char *name, const char *head, int64_t now);
int web_department_remove(struct web_auth *a, const char *name);
int web_department_list(struct web_auth *a, json_t **out);

/*
 * Log in: throttle, password check, new session.
 * The throttle is decided before the check, atomically: under the mutex an attempt is
 * refused when its name or address is locked, else counted as a failure against both in
 * advance (a success takes the address's count back and clears the name's), so parallel
 * guesses never get more than login_max_failures checks per name and login_ip_max_failures
 * per address. Every attempt counts, whatever the name's length (names are keyed by hash);
 * a name or password over the limits fails without an Argon2id check.
 * client: the caller's address text (for throttling; may be NULL).
 * token_out: the new session token (WEB_TOKEN_LEN + 1 bytes) for the cookie; it is stored
 * only as a hash. p_out: the principal of the new session.
 * Returns 0; ERR_INVALID (unknown user, wrong password or disabled user: the caller must not
 * tell which); ERR_RETRY (throttled: *retry_after_s seconds to wait; a locked name is not
 * even checked); ERR_TOO_BIG (login_max_concurrent checks are running: nothing counted, try
 * again in a second); ERR_IO; ERR_NOMEM. Unknown names cost the same Argon2id work as known
 * ones.
 */
int web_login(struct web_auth *a, const char *username, const char *password, const char *client,
              int64_t now, char *token_out, struct web_principal *p_out, int64_t *retry_after_s);

/*
 * web_login() from a browser that may hold a device cookie (device, from a previous login of
 * the same user; NULL or "" when none): a valid one (issued by this server to this user name
 * under its current password, at most WEB_DEVICE_TTL_S ago) is throttled by its own counter
 * (login_max_failures) instead of the name's and the address's, so failures from elsewhere
 * never lock the user out of the browsers they use; an invalid one counts as none. On success
 * device_out (WEB_DEVICE_COOKIE_MAX bytes; may be NULL) gets a new device cookie for the
 * user ("<issued>.<64 hex>", stored nowhere; a password change ends every one of them).
 * Returns as web_login().
 */
int web_login_device(struct web_auth *a, const char *username, const char *password,
                     const char *client, const char *device, int64_t now, char *token_out,
                     char *device_out, struct web_principal *p_out, int64_t *retry_after_s);

/*
 * Resolve a session token (the cookie value) at now: unknown, expired (absolute or idle) or
 * a disabled user give ERR_NOT_FOUND. last_seen_at is refreshed at most once a minute.
 * Returns 0, ERR_NOT_FOUND, ERR_IO or ERR_RETRY.
 */
int web_session_lookup(struct web_auth *a, const char *token, int64_t now,
                       struct web_principal *p_out);

/* End the session with this token (logout). Unknown tokens are fine. Returns 0 or ERR_IO. */
int web_session_end(struct web_auth *a, const char *token);

/*
 * The number of Argon2id password checks (login and password change) done since open, for
 * tests and metrics. Thread-safe.
 */
uint64_t web_auth_password_checks(struct web_auth *a);

/* The most password checks that ever ran at once (at most login_max_concurrent). */
int64_t web_auth_password_checks_peak(struct web_auth *a);

/*
 * The CSRF token of the session whose cookie token is token (WEB_TOKEN_LEN characters):
 * base64url of a BLAKE2b-256 of the token under a fixed key, into out (WEB_TOKEN_LEN + 1
 * bytes). Derived, so it is never stored (the database keeps only a different hash of the
 * cookie token). Pure; thread-safe.
 */
void web_session_csrf(const char *token, char *out);

/* Delete expired sessions and stale throttle rows. Returns 0 or ERR_IO. */
int web_auth_gc(struct web_auth *a, int64_t now);

/*
 * Create an API token for username (machine clients: Authorization: Bearer TOKEN).
 * ttl_s: lifetime in seconds, 0 = no expiry, else 1..WEB_TOKEN_TTL_MAX_DAYS days.
 * token_out: WEB_API_TOKEN_PREFIX + WEB_TOKEN_LEN characters + NUL (at least 48 bytes);
 * shown once, stored hashed. id_out may be NULL.
 * Returns 0, ERR_INVALID (bad name, ttl_s out of range), ERR_NOT_FOUND (no such user),
 * ERR_IO, ERR_RETRY.
 */
int web_token_create(struct web_auth *a, const char *username, const char *name, int64_t ttl_s,
                     int64_t now, char *token_out, size_t len, int64_t *id_out);

/* Resolve an API token. Returns 0, ERR_NOT_FOUND (unknown, expired, disabled user), ERR_IO. */
int web_token_lookup(struct web_auth *a, const char *token, int64_t now,
                     struct web_principal *p_out);

/* Tokens of username as a new JSON array [{id, name, created_at, expires_at, last_used_at}]. */
int web_token_list(struct web_auth *a, const char *username, json_t **out);

/* Revoke token id. Returns 0, ERR_NOT_FOUND or ERR_IO. */
int web_token_revoke(struct web_auth *a, int64_t id);

#endif
