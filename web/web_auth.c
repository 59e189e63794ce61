#include "web_auth.h"

#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "yq_err.h"
#include "yq_log.h"
#include "yq_banned.h"

/* Roles bound to one department. */
#define WEB_ROLE_BOUND(r) ((r) == WEB_ROLE_LIAISON || (r) == WEB_ROLE_HEAD)

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
    {"busy_timeout_ms", CFG_MS, "5000", 0, 600000, AOFF(busy_timeout_ms),
     "how long a statement waits for the notifier's write lock", NULL},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

struct web_auth {
    sqlite3 *db;
    pthread_mutex_t lock;
    bool lock_init;
    struct web_auth_cfg cfg;
    char dummy_hash[crypto_pwhash_STRBYTES]; /* verified for unknown names: same cost */
    int64_t checks_running; /* Argon2id checks under way (guarded by lock) */
    uint64_t checks_done;   /* Argon2id checks done since open (guarded by lock) */
    int64_t checks_peak;    /* most checks ever running at once (guarded by lock) */
};

static const char *const migrations[] = {
    /* 1: users, departments, sessions, API tokens, login throttle */
    "CREATE TABLE web_departments ("
    "  name TEXT PRIMARY KEY NOT NULL CHECK (length(name) > 0),"
    "  head TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE web_users ("
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
    "CREATE TABLE web_sessions ("
    "  id INTEGER PRIMARY KEY,"
    "  token_hash TEXT NOT NULL UNIQUE,"
    "  user_id INTEGER NOT NULL REFERENCES web_users(id) ON DELETE CASCADE,"
    "  csrf_token TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL,"
    "  last_seen_at INTEGER NOT NULL);"
    "CREATE INDEX web_sessions_user ON web_sessions(user_id);"
    "CREATE TABLE web_api_tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  token_hash TEXT NOT NULL UNIQUE,"
    "  user_id INTEGER NOT NULL REFERENCES web_users(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL,"
    "  expires_at INTEGER NOT NULL DEFAULT 0,"
    "  last_used_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE web_login_throttle ("
    "  key TEXT PRIMARY KEY NOT NULL,"
    "  failures INTEGER NOT NULL,"
    "  first_at INTEGER NOT NULL,"
    "  locked_until INTEGER NOT NULL DEFAULT 0);",
    /*
     * 2: CSRF tokens are derived from the cookie token (web_session_csrf()) instead of stored;
     * the sessions that kept theirs in clear end (their users log in again)
     */
    "DELETE FROM web_sessions;",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == WEB_AUTH_SCHEMA_VERSION,
               "WEB_AUTH_SCHEMA_VERSION must equal the number of migrations");

/* Map a SQLite result to the shared codes, logging the reason once. */
static int db_fail(struct web_auth *a, int rc, const char *what)
{
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
        LOG_WARN("web store busy op=%s", what);
        return ERR_RETRY;
    }
    if (rc == SQLITE_NOMEM) {
        return ERR_NOMEM;
    }
    LOG_WARN("web store failed op=%s sqlite='%s' rc=%d", what, sqlite3_errmsg(a->db), rc);
    return ERR_IO;
}

static int db_prepare(struct web_auth *a, const char *sql, sqlite3_stmt **out, const char *what)
{
    int rc = sqlite3_prepare_v2(a->db, sql, -1, out, NULL);
    return rc == SQLITE_OK ? 0 : db_fail(a, rc, what);
}

/* Bind text (NULL binds SQL NULL). Returns the SQLite rc. */
static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(st, i);
}

/* Step a statement that returns no row; finalize it. */
static int db_run(struct web_auth *a, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    int err = (rc == SQLITE_DONE) ? 0 : db_fail(a, rc, what);
    sqlite3_finalize(st);
    return err;
}

static int db_exec(struct web_auth *a, const char *sql, const char *what)
{
    int rc = sqlite3_exec(a->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : db_fail(a, rc, what);
}

/* Copy column i (text or NULL) into buf of len bytes, truncating. */
static void col_copy(sqlite3_stmt *st, int i, char *buf, size_t len)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    snprintf(buf, len, "%s", s ? (const char *)s : "");
}

/* The login throttle (defined with the sessions below); the password change uses it too. */
#define THROTTLE_KEY_LEN 40
static void throttle_user_key(const char *username, char *out);
static int attempt_begin_locked(struct web_auth *a, const char *ukey, const char *ikey,
                                bool check, int64_t now, int64_t *retry_s);
static int attempt_end_locked(struct web_auth *a, const char *ukey, const char *ikey, bool check,
                              bool ok);

void web_auth_lock(struct web_auth *a)
{
    pthread_mutex_lock(&a->lock);
}

void web_auth_unlock(struct web_auth *a)
{
    pthread_mutex_unlock(&a->lock);
}

struct sqlite3 *web_auth_db(struct web_auth *a)
{
    return a->db;
}

static int schema_version(struct web_auth *a, int *out)
{
    sqlite3_stmt *st = NULL;
    int err, rc;

    *out = 0;
    err = db_prepare(a,
                     "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
                     "'web_schema_version'",
                     &st, "schema lookup");
    if (err) {
        return err;
    }
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        err = db_fail(a, rc, "schema lookup");
        sqlite3_finalize(st);
        return err;
    }
    if (sqlite3_column_int(st, 0) == 0) {
        sqlite3_finalize(st);
        return 0;
    }
    sqlite3_finalize(st);
    err = db_prepare(a, "SELECT coalesce(max(version), 0) FROM web_schema_version", &st,
                     "schema read");
    if (err) {
        return err;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
    } else {
        err = db_fail(a, rc, "schema read");
    }
    sqlite3_finalize(st);
    return err;
}

static int migrate(struct web_auth *a, char *errbuf, size_t errlen)
{
    int version = 0, err;

    err = db_exec(a, "BEGIN IMMEDIATE", "migration begin");
    if (err) {
        snprintf(errbuf, errlen, "web store: cannot lock for migration");
        return err;
    }
    err = db_exec(a,
                  "CREATE TABLE IF NOT EXISTS web_schema_version (version INTEGER PRIMARY KEY,"
                  " applied_at INTEGER NOT NULL)",
                  "schema table");
    if (!err) {
        err = schema_version(a, &version);
    }
    if (!err && version > WEB_AUTH_SCHEMA_VERSION) {
        snprintf(errbuf, errlen, "web store schema %d is newer than this binary's %d", version,
                 WEB_AUTH_SCHEMA_VERSION);
        err = ERR_BAD_STATE;
    }
    for (int v = version + 1; !err && v <= N_MIGRATIONS; v++) {
        char sql[160];
        err = db_exec(a, migrations[v - 1], "migration");
        snprintf(sql, sizeof(sql),
                 "INSERT INTO web_schema_version (version, applied_at) VALUES (%d, "
                 "CAST(strftime('%%s', 'now') AS INTEGER))",
                 v);
        if (!err) {
            err = db_exec(a, sql, "migration record");
        }
        if (err) {
            snprintf(errbuf, errlen, "web store migration %d failed: %s", v,
                     sqlite3_errmsg(a->db));
        }
    }
    if (err) {
        sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
        return err;
    }
    err = db_exec(a, "COMMIT", "migration commit");
    if (err) {
        snprintf(errbuf, errlen, "web store: migration commit failed");
    }
    return err;
}

int web_auth_open(const struct web_auth_cfg *cfg, const char *path, struct web_auth **out,
                  char *errbuf, size_t errlen)
{
    struct web_auth *a;
    char pragmas[128];
    bool mem_db;
    int rc, err;

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
    mem_db = path[0] == '\0' || strcmp(path, ":memory:") == 0 || strstr(path, "mode=memory");
    if (!mem_db && strncmp(path, "file:", 5) != 0 && access(path, F_OK) != 0) {
        snprintf(errbuf, errlen,
                 "ticket store '%s' does not exist: run 'yuqingctl store init --db %s' once to "
                 "create it",
                 path, path);
        web_auth_free(a);
        return ERR_NOT_FOUND;
    }
    rc = sqlite3_open_v2(path, &a->db,
                         SQLITE_OPEN_READWRITE | (mem_db ? SQLITE_OPEN_CREATE : 0) |
                             SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI,
                         NULL);
    if (rc != SQLITE_OK) {
        snprintf(errbuf, errlen, "cannot open web store '%s': %s", path,
                 a->db ? sqlite3_errmsg(a->db) : "out of memory");
        web_auth_free(a);
        return ERR_IO;
    }
    sqlite3_busy_timeout(a->db, (int)cfg->busy_timeout_ms);
    snprintf(pragmas, sizeof(pragmas),
             "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
    err = db_exec(a, pragmas, "pragmas");
    if (err) {
        snprintf(errbuf, errlen, "web store '%s': %s", path, sqlite3_errmsg(a->db));
        web_auth_free(a);
        return err;
    }
    err = migrate(a, errbuf, errlen);
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
        sqlite3_close_v2(a->db);
    }
    if (a->lock_init) {
        pthread_mutex_destroy(&a->lock);
    }
    free(a);
}

/* ------------------------------------------------------------------ roles */

const char *web_role_name(enum web_role role)
{
    switch (role) {
    case WEB_ROLE_ADMIN:
        return "admin";
    case WEB_ROLE_DUTY:
        return "duty_officer";
    case WEB_ROLE_LIAISON:
        return "liaison";
    case WEB_ROLE_HEAD:
        return "head";
    default:
        return "none";
    }
}

int web_role_parse(const char *s, enum web_role *out)
{
    static const struct {
        const char *name;
        enum web_role role;
    } names[] = {
        {"admin", WEB_ROLE_ADMIN},     {"管理员", WEB_ROLE_ADMIN},
        {"duty_officer", WEB_ROLE_DUTY}, {"duty", WEB_ROLE_DUTY},
        {"值班员", WEB_ROLE_DUTY},     {"liaison", WEB_ROLE_LIAISON},
        {"联络员", WEB_ROLE_LIAISON},  {"head", WEB_ROLE_HEAD},
        {"部门负责人", WEB_ROLE_HEAD},
    };
    for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].role;
            return 0;
        }
    }
    return ERR_INVALID;
}

bool web_auth_allows(const struct web_principal *p, enum web_perm perm)
{
    if (!p || p->user.disabled) {
        return false;
    }
    switch (p->user.role) {
    case WEB_ROLE_ADMIN:
        return true;
    case WEB_ROLE_DUTY:
        return perm != WEB_PERM_ADMIN;
    case WEB_ROLE_LIAISON:
    case WEB_ROLE_HEAD:
        return perm == WEB_PERM_VIEW_QUEUE || perm == WEB_PERM_LIAISON_ACTION;
    default:
        return false;
    }
}

bool web_auth_allows_department(const struct web_principal *p, const char *department,
                                const char *const *co, size_t n_co)
{
    if (!p || p->user.disabled) {
        return false;
    }
    if (p->user.role == WEB_ROLE_ADMIN || p->user.role == WEB_ROLE_DUTY) {
        return true;
    }
    if ((p->user.role != WEB_ROLE_LIAISON && p->user.role != WEB_ROLE_HEAD) ||
        p->user.department[0] == '\0') {
        return false;
    }
    if (department && strcmp(department, p->user.department) == 0) {
        return true;
    }
    for (size_t i = 0; i < n_co; i++) {
        if (co[i] && strcmp(co[i], p->user.department) == 0) {
            return true;
        }
    }
    return false;
}

/* --------------------------------------------------------------- passwords */

/* Length of the valid UTF-8 sequence at s, or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s)
{
    if (s[0] < 0x80) {
        return 1;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        return (s[1] & 0xC0) == 0x80 ? 2 : 0;
    }
    if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) {
            return 0;
        }
        if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F)) {
            return 0; /* overlong or surrogate */
        }
        return 3;
    }
    if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        if ((s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) {
            return 0;
        }
        if ((s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] > 0x8F)) {
            return 0;
        }
        return 4;
    }
    return 0;
}

/* Valid UTF-8 with no C0 control characters or DEL. */
static bool text_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t n = utf8_seq(p);
        if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7F))) {
            return false;
        }
        p += n;
    }
    return true;
}

int web_password_check(const char *password, const char *username, char *errbuf, size_t errlen)
{
    size_t len = password ? strlen(password) : 0;

    if (len < WEB_PASSWORD_MIN) {
        snprintf(errbuf, errlen, "密码至少 %d 个字符", WEB_PASSWORD_MIN);
        return ERR_INVALID;
    }
    if (len > WEB_PASSWORD_MAX) {
        snprintf(errbuf, errlen, "密码不能超过 %d 字节", WEB_PASSWORD_MAX);
        return ERR_INVALID;
    }
    if (!text_ok(password)) {
        snprintf(errbuf, errlen, "密码含有无效字符");
        return ERR_INVALID;
    }
    if (username && strcmp(password, username) == 0) {
        snprintf(errbuf, errlen, "密码不能与用户名相同");
        return ERR_INVALID;
    }
    return 0;
}

int web_password_hash(const struct web_auth *a, const char *password, char *out, size_t len)
{
    if (len < crypto_pwhash_STRBYTES) {
        return ERR_INVALID;
    }
    if (crypto_pwhash_str(out, password, strlen(password),
                          (unsigned long long)a->cfg.pwhash_opslimit,
                          (size_t)a->cfg.pwhash_memlimit) != 0) {
        return ERR_NOMEM;
    }
    return 0;
}

int web_password_verify(const char *hash, const char *password)
{
    if (!hash || !password) {
        return ERR_INVALID;
    }
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0 ? 0 : ERR_INVALID;
}

/* ------------------------------------------------------------------ tokens */

/* A new random token: base64url (no padding) of 32 bytes into out (WEB_TOKEN_LEN + 1). */
static void token_new(char *out)
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, WEB_TOKEN_LEN + 1, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
}

/* BLAKE2b-256 of token as 64 hex characters + NUL into out. Only hashes are stored. */
static void token_hash(const char *token, char *out)
{
    unsigned char h[32];
    crypto_generichash(h, sizeof(h), (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(out, 65, h, sizeof(h));
}

void web_session_csrf(const char *token, char *out)
{
    static const unsigned char key[] = "yuqing web session csrf v1";
    unsigned char h[32];
    crypto_generichash(h, sizeof(h), (const unsigned char *)token, strlen(token), key,
                       sizeof(key) - 1);
    sodium_bin2base64(out, WEB_TOKEN_LEN + 1, h, sizeof(h),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(h, sizeof(h));
}

/* ------------------------------------------------------------------- users */

static bool username_ok(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 0 || len >= WEB_USERNAME_MAX) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@')) {
            return false;
        }
    }
    return true;
}

static const char user_cols[] =
    "id, username, display_name, role, coalesce(department, ''), disabled, must_change_password";

static void user_from_row(sqlite3_stmt *st, int first, struct web_user *u)
{
    char role[16];

    memset(u, 0, sizeof(*u));
    u->id = sqlite3_column_int64(st, first);
    col_copy(st, first + 1, u->username, sizeof(u->username));
    col_copy(st, first + 2, u->display_name, sizeof(u->display_name));
    col_copy(st, first + 3, role, sizeof(role));
    if (web_role_parse(role, &u->role) != 0) {
        u->role = WEB_ROLE_NONE;
    }
    col_copy(st, first + 4, u->department, sizeof(u->department));
    u->disabled = sqlite3_column_int(st, first + 5) != 0;
    u->must_change_password = sqlite3_column_int(st, first + 6) != 0;
}

json_t *web_user_json(const struct web_user *u)
{
    return json_pack("{s:s, s:s, s:s, s:s?, s:b, s:b}", "username", u->username, "display_name",
                     u->display_name, "role", web_role_name(u->role), "department",
                     u->department[0] ? u->department : NULL, "disabled", u->disabled,
                     "must_change_password", u->must_change_password);
}

/* 0 when name exists in web_departments, ERR_INVALID when not (caller holds the lock). */
static int department_exists(struct web_auth *a, const char *name)
{
    sqlite3_stmt *st = NULL;
    int err, rc;

    err = db_prepare(a, "SELECT 1 FROM web_departments WHERE name = ?", &st, "department get");
    if (err) {
        return err;
    }
    bind_text(st, 1, name);
    rc = sqlite3_step(st);
    err = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? ERR_INVALID : db_fail(a, rc, "department");
    sqlite3_finalize(st);
    return err;
}

int web_department_check(struct web_auth *a, const char *name)
{
    int err;
    pthread_mutex_lock(&a->lock);
    err = department_exists(a, name);
    pthread_mutex_unlock(&a->lock);
    return err == ERR_INVALID ? ERR_NOT_FOUND : err;
}

int web_user_add(struct web_auth *a, const char *username, const char *display_name,
                 enum web_role role, const char *department, const char *password,
                 bool must_change, int64_t now, int64_t *id_out, char *errbuf, size_t errlen)
{
    char hash[crypto_pwhash_STRBYTES];
    sqlite3_stmt *st = NULL;
    int err, rc;

    if (!username_ok(username)) {
        snprintf(errbuf, errlen, "用户名须为 1-63 个字母、数字或 . _ - @");
        return ERR_INVALID;
    }
    if (role != WEB_ROLE_ADMIN && role != WEB_ROLE_DUTY && role != WEB_ROLE_LIAISON &&
        role != WEB_ROLE_HEAD) {
        snprintf(errbuf, errlen, "角色无效");
        return ERR_INVALID;
    }
    if (display_name && (strlen(display_name) >= WEB_DISPLAY_MAX || !text_ok(display_name))) {
        snprintf(errbuf, errlen, "姓名过长或含有无效字符");
        return ERR_INVALID;
    }
    if (WEB_ROLE_BOUND(role) && (!department || !department[0])) {
        snprintf(errbuf, errlen, "联络员和部门负责人必须属于一个部门");
        return ERR_INVALID;
    }
    err = web_password_check(password, username, errbuf, errlen);
    if (err) {
        return err;
    }
    err = web_password_hash(a, password, hash, sizeof(hash));
    if (err) {
        snprintf(errbuf, errlen, "cannot hash password: out of memory");
        return err;
    }
    web_auth_lock(a);
    if (WEB_ROLE_BOUND(role)) {
        err = department_exists(a, department);
        if (err == ERR_INVALID) {
            snprintf(errbuf, errlen, "部门不存在：%s", department);
        }
    }
    if (!err) {
        err = db_prepare(a,
                         "INSERT INTO web_users (username, display_name, role, department, "
                         "password_hash, must_change_password, created_at, updated_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         &st, "user add");
    }
    if (!err) {
        bind_text(st, 1, username);
        bind_text(st, 2, display_name ? display_name : "");
        bind_text(st, 3, web_role_name(role));
        bind_text(st, 4, WEB_ROLE_BOUND(role) ? department : NULL);
        bind_text(st, 5, hash);
        sqlite3_bind_int(st, 6, must_change ? 1 : 0);
        sqlite3_bind_int64(st, 7, now);
        sqlite3_bind_int64(st, 8, now);
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE) {
            if (id_out) {
                *id_out = sqlite3_last_insert_rowid(a->db);
            }
        } else if (sqlite3_extended_errcode(a->db) == SQLITE_CONSTRAINT_UNIQUE) {
            snprintf(errbuf, errlen, "用户名已存在：%s", username);
            err = ERR_EXISTS;
        } else {
            err = db_fail(a, rc, "user add");
            snprintf(errbuf, errlen, "cannot add user: %s", yq_strerror(err));
        }
        sqlite3_finalize(st);
    }
    web_auth_unlock(a);
    sodium_memzero(hash, sizeof(hash));
    return err;
}

/* Caller holds the lock. */
static int user_get_locked(struct web_auth *a, const char *username, struct web_user *out)
{
    char sql[256];
    sqlite3_stmt *st = NULL;
    int err, rc;

    snprintf(sql, sizeof(sql), "SELECT %s FROM web_users WHERE username = ?", user_cols);
    err = db_prepare(a, sql, &st, "user get");
    if (err) {
        return err;
    }
    bind_text(st, 1, username);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        user_from_row(st, 0, out);
    } else {
        err = rc == SQLITE_DONE ? ERR_NOT_FOUND : db_fail(a, rc, "user get");
    }
    sqlite3_finalize(st);
    return err;
}

int web_user_get(struct web_auth *a, const char *username, struct web_user *out)
{
    int err;
    web_auth_lock(a);
    err = user_get_locked(a, username, out);
    web_auth_unlock(a);
    return err;
}

int web_user_list(struct web_auth *a, json_t **out)
{
    char sql[256];
    sqlite3_stmt *st = NULL;
    json_t *arr = json_array();
    int err, rc;

    *out = NULL;
    if (!arr) {
        return ERR_NOMEM;
    }
    snprintf(sql, sizeof(sql), "SELECT %s FROM web_users ORDER BY username", user_cols);
    web_auth_lock(a);
    err = db_prepare(a, sql, &st, "user list");
    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct web_user u;
        user_from_row(st, 0, &u);
        if (json_array_append_new(arr, web_user_json(&u)) != 0) {
            err = ERR_NOMEM;
        }
    }
    if (!err && rc != SQLITE_DONE) {
        err = db_fail(a, rc, "user list");
    }
    sqlite3_finalize(st);
    web_auth_unlock(a);
    if (err) {
        json_decref(arr);
        return err;
    }
    *out = arr;
    return 0;
}

/* Revoke every API token of user_id; caller holds the lock. */
static int end_tokens_locked(struct web_auth *a, int64_t user_id)
{
    sqlite3_stmt *st = NULL;
    int err = db_prepare(a, "DELETE FROM web_api_tokens WHERE user_id = ?", &st, "tokens end");
    if (err) {
        return err;
    }
    sqlite3_bind_int64(st, 1, user_id);
    return db_run(a, st, "tokens end");
}

/* End every session of user_id except keep (0 = none); caller holds the lock. */
static int end_sessions_locked(struct web_auth *a, int64_t user_id, int64_t keep)
{
    sqlite3_stmt *st = NULL;
    int err = db_prepare(a, "DELETE FROM web_sessions WHERE user_id = ? AND id <> ?", &st,
                         "sessions end");
    if (err) {
        return err;
    }
    sqlite3_bind_int64(st, 1, user_id);
    sqlite3_bind_int64(st, 2, keep);
    return db_run(a, st, "sessions end");
}

int web_user_update(struct web_auth *a, const char *username, const struct web_user_change *ch,
                    int64_t now, char *errbuf, size_t errlen)
{
    char hash[crypto_pwhash_STRBYTES] = "";
    struct web_user u;
    sqlite3_stmt *st = NULL;
    bool end_sessions = false, in_tx = false;
    int err;

    if (ch->password) {
        err = web_password_check(ch->password, username, errbuf, errlen);
        if (!err) {
            err = web_password_hash(a, ch->password, hash, sizeof(hash));
        }
        if (err) {
            return err;
        }
    }
    if (ch->display_name &&
        (strlen(ch->display_name) >= WEB_DISPLAY_MAX || !text_ok(ch->display_name))) {
        snprintf(errbuf, errlen, "姓名过长或含有无效字符");
        return ERR_INVALID;
    }
    web_auth_lock(a);
    err = user_get_locked(a, username, &u);
    if (err == ERR_NOT_FOUND) {
        snprintf(errbuf, errlen, "用户不存在：%s", username);
    }
    if (!err) {
        enum web_role role = ch->role != WEB_ROLE_NONE ? ch->role : u.role;
        const char *dept = ch->department ? ch->department : u.department;
        if (WEB_ROLE_BOUND(role)) {
            if (!dept[0]) {
                snprintf(errbuf, errlen, "联络员和部门负责人必须属于一个部门");
                err = ERR_INVALID;
            } else if ((err = department_exists(a, dept)) == ERR_INVALID) {
                snprintf(errbuf, errlen, "部门不存在：%s", dept);
            }
        }
        end_sessions = role != u.role || ch->password || ch->disabled == 1 ||
                       (WEB_ROLE_BOUND(role) && strcmp(dept, u.department) != 0);
        if (!err) {
            /* the change and the end of the old credentials commit together */
            err = db_exec(a, "BEGIN IMMEDIATE", "user update begin");
            in_tx = err == 0;
        }
        if (!err) {
            err = db_prepare(a,
                             "UPDATE web_users SET display_name = ?, role = ?, department = ?, "
                             "disabled = ?, password_hash = coalesce(?, password_hash), "
                             "must_change_password = CASE WHEN ? IS NULL THEN "
                             "must_change_password ELSE 1 END, updated_at = ? WHERE id = ?",
                             &st, "user update");
        }
        if (!err) {
            bind_text(st, 1, ch->display_name ? ch->display_name : u.display_name);
            bind_text(st, 2, web_role_name(role));
            bind_text(st, 3, WEB_ROLE_BOUND(role) ? dept : NULL);
            sqlite3_bind_int(st, 4, ch->disabled >= 0 ? ch->disabled : (u.disabled ? 1 : 0));
            bind_text(st, 5, ch->password ? hash : NULL);
            bind_text(st, 6, ch->password ? "1" : NULL);
            sqlite3_bind_int64(st, 7, now);
            sqlite3_bind_int64(st, 8, u.id);
            err = db_run(a, st, "user update");
        }
        if (!err && end_sessions) {
            err = end_sessions_locked(a, u.id, ch->keep_session_id);
        }
        if (!err && end_sessions) {
            err = end_tokens_locked(a, u.id); /* a token must not outlive a reset or a move */
        }
        if (in_tx) {
            if (!err) {
                err = db_exec(a, "COMMIT", "user update commit");
            }
            if (err) {
                sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
            }
        }
    }
    web_auth_unlock(a);
    sodium_memzero(hash, sizeof(hash));
    return err;
}

int web_user_change_password(struct web_auth *a, int64_t user_id, const char *old_password,
                             const char *new_password, int64_t keep_session_id,
                             const char *client, int64_t now, int64_t *retry_after_s,
                             char *errbuf, size_t errlen)
{
    char hash[crypto_pwhash_STRBYTES], old_hash[crypto_pwhash_STRBYTES], name[WEB_USERNAME_MAX];
    char ukey[THROTTLE_KEY_LEN], ikey[96];
    sqlite3_stmt *st = NULL;
    bool ok, in_tx = false;
    int err, rc;

    *retry_after_s = 0;
    if (!old_password || !new_password) {
        snprintf(errbuf, errlen, "请输入原密码和新密码");
        return ERR_INVALID;
    }
    snprintf(ikey, sizeof(ikey), "ip:%s", client ? client : "?");
    web_auth_lock(a);
    err = db_prepare(a, "SELECT password_hash, username FROM web_users WHERE id = ?", &st,
                     "password get");
    if (!err) {
        sqlite3_bind_int64(st, 1, user_id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            col_copy(st, 0, old_hash, sizeof(old_hash));
            col_copy(st, 1, name, sizeof(name));
        } else {
            err = rc == SQLITE_DONE ? ERR_NOT_FOUND : db_fail(a, rc, "password get");
        }
        sqlite3_finalize(st);
    }
    if (!err) {
        /* guessing the old password is guessing a login: the same counters and slots */
        throttle_user_key(name, ukey);
        err = attempt_begin_locked(a, ukey, ikey, true, now, retry_after_s);
    }
    web_auth_unlock(a);
    if (err) {
        if (err == ERR_RETRY || err == ERR_TOO_BIG) {
            snprintf(errbuf, errlen, "尝试次数过多，请稍后再试");
        }
        return err;
    }
    ok = strlen(old_password) <= WEB_PASSWORD_MAX && web_password_verify(old_hash, old_password) == 0;
    web_auth_lock(a);
    err = attempt_end_locked(a, ukey, ikey, true, ok);
    web_auth_unlock(a);
    sodium_memzero(old_hash, sizeof(old_hash));
    if (err) {
        return err;
    }
    if (!ok) {
        snprintf(errbuf, errlen, "原密码不正确");
        return ERR_INVALID;
    }
    if (strcmp(old_password, new_password) == 0) {
        snprintf(errbuf, errlen, "新密码不能与原密码相同");
        return ERR_INVALID;
    }
    err = web_password_check(new_password, name, errbuf, errlen);
    if (!err) {
        err = web_password_hash(a, new_password, hash, sizeof(hash));
    }
    if (err) {
        return err;
    }
    web_auth_lock(a);
    /* the new password and the end of the old credentials commit together */
    err = db_exec(a, "BEGIN IMMEDIATE", "password set begin");
    in_tx = err == 0;
    if (!err) {
        err = db_prepare(a,
                         "UPDATE web_users SET password_hash = ?, must_change_password = 0, "
                         "updated_at = ? WHERE id = ?",
                         &st, "password set");
    }
    if (!err) {
        bind_text(st, 1, hash);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_int64(st, 3, user_id);
        err = db_run(a, st, "password set");
    }
    if (!err) {
        err = end_sessions_locked(a, user_id, keep_session_id);
    }
    if (!err) {
        /* a token taken with the old password must not outlive it (issue #10) */
        err = end_tokens_locked(a, user_id);
    }
    if (in_tx) {
        if (!err) {
            err = db_exec(a, "COMMIT", "password set commit");
        }
        if (err) {
            sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
        }
    }
    web_auth_unlock(a);
    sodium_memzero(hash, sizeof(hash));
    return err;
}

/* ------------------------------------------------------------- departments */

int web_department_add(struct web_auth *a, const char *name, const char *head, int64_t now)
{
    sqlite3_stmt *st = NULL;
    int err, rc;

    if (!name || !name[0] || strlen(name) >= WEB_DEPARTMENT_MAX || !text_ok(name) ||
        (head && (strlen(head) >= WEB_DISPLAY_MAX || !text_ok(head)))) {
        return ERR_INVALID;
    }
    web_auth_lock(a);
    err = db_prepare(a, "INSERT INTO web_departments (name, head, created_at) VALUES (?, ?, ?)",
                     &st, "department add");
    if (!err) {
        bind_text(st, 1, name);
        bind_text(st, 2, head ? head : "");
        sqlite3_bind_int64(st, 3, now);
        rc = sqlite3_step(st);
        if (rc != SQLITE_DONE) {
            err = sqlite3_extended_errcode(a->db) == SQLITE_CONSTRAINT_PRIMARYKEY
                      ? ERR_EXISTS
                      : db_fail(a, rc, "department add");
        }
        sqlite3_finalize(st);
    }
    web_auth_unlock(a);
    return err;
}

int web_department_remove(struct web_auth *a, const char *name)
{
    sqlite3_stmt *st = NULL;
    int err, rc;

    web_auth_lock(a);
    err = db_prepare(a, "SELECT count(*) FROM web_users WHERE department = ?", &st,
                     "department users");
    if (!err) {
        bind_text(st, 1, name);
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW) {
            err = db_fail(a, rc, "department users");
        } else if (sqlite3_column_int64(st, 0) > 0) {
            err = ERR_BAD_STATE;
        }
        sqlite3_finalize(st);
    }
    if (!err) {
        err = db_prepare(a, "DELETE FROM web_departments WHERE name = ?", &st,
                         "department remove");
    }
    if (!err) {
        bind_text(st, 1, name);
        err = db_run(a, st, "department remove");
        if (!err && sqlite3_changes(a->db) == 0) {
            err = ERR_NOT_FOUND;
        }
    }
    web_auth_unlock(a);
    return err;
}

int web_department_list(struct web_auth *a, json_t **out)
{
    sqlite3_stmt *st = NULL;
    json_t *arr = json_array();
    int err, rc = SQLITE_DONE;

    *out = NULL;
    if (!arr) {
        return ERR_NOMEM;
    }
    web_auth_lock(a);
    err = db_prepare(a,
                     "SELECT d.name, d.head, (SELECT json_group_array(u.username) FROM "
                     "web_users u WHERE u.department = d.name AND u.role = 'liaison' AND "
                     "u.disabled = 0) FROM web_departments d ORDER BY d.name",
                     &st, "department list");
    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *liaisons = (const char *)sqlite3_column_text(st, 2);
        json_t *l = json_loads(liaisons ? liaisons : "[]", 0, NULL);
        json_t *d = json_pack("{s:s, s:s, s:o}", "name", (const char *)sqlite3_column_text(st, 0),
                              "head", (const char *)sqlite3_column_text(st, 1), "liaisons",
                              l ? l : json_array());
        if (!d || json_array_append_new(arr, d) != 0) {
            err = ERR_NOMEM;
        }
    }
    if (!err && rc != SQLITE_DONE) {
        err = db_fail(a, rc, "department list");
    }
    sqlite3_finalize(st);
    web_auth_unlock(a);
    if (err) {
        json_decref(arr);
        return err;
    }
    *out = arr;
    return 0;
}

/* ---------------------------------------------------------------- throttle */

/* Seconds key must still wait (0 = not locked); caller holds the lock. */
static int throttle_wait_locked(struct web_auth *a, const char *key, int64_t now, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int err, rc;

    *out = 0;
    err = db_prepare(a, "SELECT locked_until FROM web_login_throttle WHERE key = ?", &st,
                     "throttle get");
    if (err) {
        return err;
    }
    bind_text(st, 1, key);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        int64_t until = sqlite3_column_int64(st, 0);
        *out = until > now ? until - now : 0;
    } else if (rc != SQLITE_DONE) {
        err = db_fail(a, rc, "throttle get");
    }
    sqlite3_finalize(st);
    return err;
}

/* Count one failure against key; lock it when max is reached. Caller holds the lock. */
static int throttle_fail_locked(struct web_auth *a, const char *key, int64_t max, int64_t now)
{
    sqlite3_stmt *st = NULL;
    int64_t window = a->cfg.login_window_ms / 1000, lockout = a->cfg.login_lockout_ms / 1000;
    int err;

    err = db_prepare(a,
                     "INSERT INTO web_login_throttle (key, failures, first_at, locked_until) "
                     "VALUES (?1, 1, ?2, CASE WHEN ?3 <= 1 THEN ?2 + ?4 ELSE 0 END) "
                     "ON CONFLICT(key) DO UPDATE SET "
                     "failures = CASE WHEN first_at + ?5 <= ?2 THEN 1 ELSE failures + 1 END, "
                     "first_at = CASE WHEN first_at + ?5 <= ?2 THEN ?2 ELSE first_at END, "
                     "locked_until = CASE WHEN (CASE WHEN first_at + ?5 <= ?2 THEN 1 ELSE "
                     "failures + 1 END) >= ?3 THEN ?2 + ?4 ELSE locked_until END",
                     &st, "throttle fail");
    if (err) {
        return err;
    }
    bind_text(st, 1, key);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, max);
    sqlite3_bind_int64(st, 4, lockout);
    sqlite3_bind_int64(st, 5, window);
    return db_run(a, st, "throttle fail");
}

static int throttle_clear_locked(struct web_auth *a, const char *key)
{
    sqlite3_stmt *st = NULL;
    int err = db_prepare(a, "DELETE FROM web_login_throttle WHERE key = ?", &st, "throttle clr");
    if (err) {
        return err;
    }
    bind_text(st, 1, key);
    return db_run(a, st, "throttle clear");
}

/* The throttle key of a user name of any length: "user:" + hex BLAKE2b-128 (38 bytes + NUL). */
static void throttle_user_key(const char *username, char *out)
{
    unsigned char h[16];
    char hex[33];
    crypto_generichash(h, sizeof(h), (const unsigned char *)username, strlen(username), NULL, 0);
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    snprintf(out, THROTTLE_KEY_LEN, "user:%s", hex);
}

/* Take one failure back from key (a success after a reservation). Caller holds the lock. */
static int throttle_refund_locked(struct web_auth *a, const char *key, int64_t max)
{
    sqlite3_stmt *st = NULL;
    int err = db_prepare(a,
                         "UPDATE web_login_throttle SET failures = failures - 1, locked_until = "
                         "CASE WHEN failures - 1 >= ?2 THEN locked_until ELSE 0 END "
                         "WHERE key = ?1 AND failures > 0",
                         &st, "throttle refund");
    if (err) {
        return err;
    }
    bind_text(st, 1, key);
    sqlite3_bind_int64(st, 2, max);
    return db_run(a, st, "throttle refund");
}

/*
 * Decide whether a password attempt may run, before it runs: refused (ERR_RETRY, *retry_s)
 * when ukey or ikey is locked; ERR_TOO_BIG when check is set and login_max_concurrent checks
 * are running; else the attempt is counted as a failure against both keys now (so parallel
 * attempts see each other) and, when check is set, takes a check slot. Caller holds the lock;
 * every 0 return is followed by attempt_end_locked().
 */
static int attempt_begin_locked(struct web_auth *a, const char *ukey, const char *ikey,
                                bool check, int64_t now, int64_t *retry_s)
{
    int64_t wait_u = 0, wait_i = 0;
    int err;

    *retry_s = 0;
    err = throttle_wait_locked(a, ukey, now, &wait_u);
    if (!err) {
        err = throttle_wait_locked(a, ikey, now, &wait_i);
    }
    if (!err && (wait_u > 0 || wait_i > 0)) {
        *retry_s = wait_u > wait_i ? wait_u : wait_i;
        return ERR_RETRY;
    }
    if (!err && check && a->checks_running >= a->cfg.login_max_concurrent) {
        *retry_s = 1;
        return ERR_TOO_BIG;
    }
    if (!err) {
        err = throttle_fail_locked(a, ukey, a->cfg.login_max_failures, now);
    }
    if (!err) {
        err = throttle_fail_locked(a, ikey, a->cfg.login_ip_max_failures, now);
    }
    if (!err && check) {
        a->checks_running++;
        if (a->checks_running > a->checks_peak) {
            a->checks_peak = a->checks_running;
        }
    }
    return err;
}

/*
 * End an attempt begun by attempt_begin_locked(): release the check slot (check), and on
 * success clear the name's failures and take the address's reserved one back.
 */
static int attempt_end_locked(struct web_auth *a, const char *ukey, const char *ikey, bool check,
                              bool ok)
{
    int err = 0;
    if (check) {
        a->checks_running--;
        a->checks_done++;
    }
    if (ok) {
        err = throttle_clear_locked(a, ukey);
        if (!err) {
            err = throttle_refund_locked(a, ikey, a->cfg.login_ip_max_failures);
        }
    }
    return err;
}

uint64_t web_auth_password_checks(struct web_auth *a)
{
    uint64_t n;
    web_auth_lock(a);
    n = a->checks_done;
    web_auth_unlock(a);
    return n;
}

int64_t web_auth_password_checks_peak(struct web_auth *a)
{
    int64_t n;
    web_auth_lock(a);
    n = a->checks_peak;
    web_auth_unlock(a);
    return n;
}

/* ---------------------------------------------------------------- sessions */

/* Insert a session for user_id; token_out/csrf_out get the clear values. Lock held. */
static int session_create_locked(struct web_auth *a, int64_t user_id, int64_t now, char *token_out,
                                 char *csrf_out, int64_t *id_out)
{
    char hash[65];
    sqlite3_stmt *st = NULL;
    int err;

    token_new(token_out);
    web_session_csrf(token_out, csrf_out); /* derived: never stored */
    token_hash(token_out, hash);
    err = db_prepare(a,
                     "INSERT INTO web_sessions (token_hash, user_id, csrf_token, created_at, "
                     "expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
                     &st, "session create");
    if (err) {
        return err;
    }
    bind_text(st, 1, hash);
    sqlite3_bind_int64(st, 2, user_id);
    bind_text(st, 3, "");
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, now + a->cfg.session_ttl_ms / 1000);
    sqlite3_bind_int64(st, 6, now);
    err = db_run(a, st, "session create");
    if (!err) {
        *id_out = sqlite3_last_insert_rowid(a->db);
    }
    return err;
}

int web_login(struct web_auth *a, const char *username, const char *password, const char *client,
              int64_t now, char *token_out, struct web_principal *p_out, int64_t *retry_after_s)
{
    char ukey[THROTTLE_KEY_LEN], ikey[96], hash[crypto_pwhash_STRBYTES];
    sqlite3_stmt *st = NULL;
    bool found = false, ok, check;
    char sql[256];
    int err, rc;

    memset(p_out, 0, sizeof(*p_out));
    *retry_after_s = 0;
    token_out[0] = '\0';
    if (!username || !password) {
        return ERR_INVALID;
    }
    /* over-long names and passwords are attempts too: counted, but never hashed */
    check = strlen(username) < WEB_USERNAME_MAX && strlen(password) <= WEB_PASSWORD_MAX;
    throttle_user_key(username, ukey);
    snprintf(ikey, sizeof(ikey), "ip:%s", client ? client : "?");

    web_auth_lock(a);
    err = attempt_begin_locked(a, ukey, ikey, check, now, retry_after_s);
    if (!err && check) {
        snprintf(sql, sizeof(sql), "SELECT %s, password_hash FROM web_users WHERE username = ?",
                 user_cols);
        err = db_prepare(a, sql, &st, "login lookup");
        if (!err) {
            bind_text(st, 1, username);
            rc = sqlite3_step(st);
            if (rc == SQLITE_ROW) {
                user_from_row(st, 0, &p_out->user);
                col_copy(st, 7, hash, sizeof(hash));
                found = true;
            } else if (rc != SQLITE_DONE) {
                err = db_fail(a, rc, "login lookup");
            }
            sqlite3_finalize(st);
        }
        if (err) {
            a->checks_running--; /* no check ran; the failure stays counted */
        }
    } else if (!err) {
        (void)attempt_end_locked(a, ukey, ikey, false, false);
        err = ERR_INVALID;
    }
    web_auth_unlock(a);
    if (err) {
        memset(p_out, 0, sizeof(*p_out));
        return err;
    }

    /*
     * The Argon2id work runs outside the lock (at most login_max_concurrent at once) and also
     * for unknown names (same timing).
     */
    ok = web_password_verify(found ? hash : a->dummy_hash, password) == 0 && found &&
         !p_out->user.disabled;

    web_auth_lock(a);
    err = attempt_end_locked(a, ukey, ikey, true, ok);
    if (!ok) {
        err = err ? err : ERR_INVALID;
    } else {
        if (!err) {
            err = session_create_locked(a, p_out->user.id, now, token_out, p_out->csrf_token,
                                        &p_out->session_id);
        }
        if (!err && crypto_pwhash_str_needs_rehash(hash, (unsigned long long)a->cfg.pwhash_opslimit,
                                                   (size_t)a->cfg.pwhash_memlimit) != 0) {
            LOG_INFO("password hash parameters changed user=%s (rehash on next change)",
                     YQ_Q(username));
        }
    }
    web_auth_unlock(a);
    sodium_memzero(hash, sizeof(hash));
    if (err) {
        memset(p_out, 0, sizeof(*p_out));
        token_out[0] = '\0';
    }
    return err;
}

int web_session_lookup(struct web_auth *a, const char *token, int64_t now,
                       struct web_principal *p_out)
{
    char hash[65], sql[512];
    sqlite3_stmt *st = NULL;
    int64_t last_seen = 0;
    int err, rc;

    memset(p_out, 0, sizeof(*p_out));
    if (!token || strlen(token) != WEB_TOKEN_LEN) {
        return ERR_NOT_FOUND;
    }
    token_hash(token, hash);
    snprintf(sql, sizeof(sql),
             "SELECT s.id, s.csrf_token, s.last_seen_at, u.%s FROM web_sessions s "
             "JOIN web_users u ON u.id = s.user_id WHERE s.token_hash = ? AND s.expires_at > ? "
             "AND s.last_seen_at > ? AND u.disabled = 0",
             "id, u.username, u.display_name, u.role, coalesce(u.department, ''), u.disabled, "
             "u.must_change_password");
    web_auth_lock(a);
    err = db_prepare(a, sql, &st, "session lookup");
    if (!err) {
        bind_text(st, 1, hash);
        sqlite3_bind_int64(st, 2, now);
        sqlite3_bind_int64(st, 3, now - a->cfg.session_idle_ms / 1000);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            p_out->session_id = sqlite3_column_int64(st, 0);
            web_session_csrf(token, p_out->csrf_token);
            last_seen = sqlite3_column_int64(st, 2);
            user_from_row(st, 3, &p_out->user);
        } else {
            err = rc == SQLITE_DONE ? ERR_NOT_FOUND : db_fail(a, rc, "session lookup");
        }
        sqlite3_finalize(st);
    }
    if (!err && now - last_seen >= 60) {
        if (db_prepare(a, "UPDATE web_sessions SET last_seen_at = ? WHERE id = ?", &st,
                       "session touch") == 0) {
            sqlite3_bind_int64(st, 1, now);
            sqlite3_bind_int64(st, 2, p_out->session_id);
            (void)db_run(a, st, "session touch"); /* a missed touch only shortens idle time */
        }
    }
    web_auth_unlock(a);
    if (err) {
        memset(p_out, 0, sizeof(*p_out));
    }
    return err;
}

int web_session_end(struct web_auth *a, const char *token)
{
    char hash[65];
    sqlite3_stmt *st = NULL;
    int err;

    if (!token || strlen(token) != WEB_TOKEN_LEN) {
        return 0;
    }
    token_hash(token, hash);
    web_auth_lock(a);
    err = db_prepare(a, "DELETE FROM web_sessions WHERE token_hash = ?", &st, "session end");
    if (!err) {
        bind_text(st, 1, hash);
        err = db_run(a, st, "session end");
    }
    web_auth_unlock(a);
    return err;
}

int web_auth_gc(struct web_auth *a, int64_t now)
{
    char sql[256];
    int err;

    snprintf(sql, sizeof(sql),
             "DELETE FROM web_sessions WHERE expires_at <= %lld OR last_seen_at <= %lld; "
             "DELETE FROM web_login_throttle WHERE locked_until <= %lld AND first_at <= %lld;",
             (long long)now, (long long)(now - a->cfg.session_idle_ms / 1000), (long long)now,
             (long long)(now - a->cfg.login_window_ms / 1000));
    web_auth_lock(a);
    err = db_exec(a, sql, "gc");
    web_auth_unlock(a);
    return err;
}

/* -------------------------------------------------------------- API tokens */

int web_token_create(struct web_auth *a, const char *username, const char *name, int64_t ttl_s,
                     int64_t now, char *token_out, size_t len, int64_t *id_out)
{
    char raw[WEB_TOKEN_LEN + 1], hash[65];
    struct web_user u;
    sqlite3_stmt *st = NULL;
    int err;

    if (len < sizeof(WEB_API_TOKEN_PREFIX) + WEB_TOKEN_LEN) {
        return ERR_INVALID;
    }
    if (name && (strlen(name) >= WEB_DISPLAY_MAX || !text_ok(name))) {
        return ERR_INVALID;
    }
    if (ttl_s < 0 || ttl_s > (int64_t)WEB_TOKEN_TTL_MAX_DAYS * 86400) {
        return ERR_INVALID; /* negative or huge lifetimes never expire or wrap */
    }
    token_new(raw);
    snprintf(token_out, len, "%s%s", WEB_API_TOKEN_PREFIX, raw);
    sodium_memzero(raw, sizeof(raw));
    token_hash(token_out, hash);
    web_auth_lock(a);
    err = user_get_locked(a, username, &u);
    if (!err) {
        err = db_prepare(a,
                         "INSERT INTO web_api_tokens (token_hash, user_id, name, created_at, "
                         "expires_at) VALUES (?, ?, ?, ?, ?)",
                         &st, "token create");
    }
    if (!err) {
        bind_text(st, 1, hash);
        sqlite3_bind_int64(st, 2, u.id);
        bind_text(st, 3, name ? name : "");
        sqlite3_bind_int64(st, 4, now);
        sqlite3_bind_int64(st, 5, ttl_s > 0 ? now + ttl_s : 0);
        err = db_run(a, st, "token create");
    }
    if (!err && id_out) {
        *id_out = sqlite3_last_insert_rowid(a->db);
    }
    web_auth_unlock(a);
    if (err) {
        sodium_memzero(token_out, len);
    }
    return err;
}

int web_token_lookup(struct web_auth *a, const char *token, int64_t now,
                     struct web_principal *p_out)
{
    char hash[65], sql[512];
    sqlite3_stmt *st = NULL;
    int64_t id = 0, last_used = 0;
    int err, rc;

    memset(p_out, 0, sizeof(*p_out));
    if (!token || strlen(token) != sizeof(WEB_API_TOKEN_PREFIX) - 1 + WEB_TOKEN_LEN ||
        strncmp(token, WEB_API_TOKEN_PREFIX, sizeof(WEB_API_TOKEN_PREFIX) - 1) != 0) {
        return ERR_NOT_FOUND;
    }
    token_hash(token, hash);
    snprintf(sql, sizeof(sql),
             "SELECT t.id, t.last_used_at, u.%s FROM web_api_tokens t JOIN web_users u ON "
             "u.id = t.user_id WHERE t.token_hash = ? AND (t.expires_at = 0 OR t.expires_at > "
             "?) AND u.disabled = 0",
             "id, u.username, u.display_name, u.role, coalesce(u.department, ''), u.disabled, "
             "u.must_change_password");
    web_auth_lock(a);
    err = db_prepare(a, sql, &st, "token lookup");
    if (!err) {
        bind_text(st, 1, hash);
        sqlite3_bind_int64(st, 2, now);
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            id = sqlite3_column_int64(st, 0);
            last_used = sqlite3_column_int64(st, 1);
            user_from_row(st, 2, &p_out->user);
            p_out->via_token = true;
            p_out->user.must_change_password = false; /* tokens have no password to change */
        } else {
            err = rc == SQLITE_DONE ? ERR_NOT_FOUND : db_fail(a, rc, "token lookup");
        }
        sqlite3_finalize(st);
    }
    if (!err && now - last_used >= 60 &&
        db_prepare(a, "UPDATE web_api_tokens SET last_used_at = ? WHERE id = ?", &st,
                   "token touch") == 0) {
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, id);
        (void)db_run(a, st, "token touch");
    }
    web_auth_unlock(a);
    if (err) {
        memset(p_out, 0, sizeof(*p_out));
    }
    return err;
}

int web_token_list(struct web_auth *a, const char *username, json_t **out)
{
    sqlite3_stmt *st = NULL;
    json_t *arr = json_array();
    int err, rc = SQLITE_DONE;

    *out = NULL;
    if (!arr) {
        return ERR_NOMEM;
    }
    web_auth_lock(a);
    err = db_prepare(a,
                     "SELECT t.id, t.name, t.created_at, t.expires_at, t.last_used_at FROM "
                     "web_api_tokens t JOIN web_users u ON u.id = t.user_id WHERE u.username = "
                     "? ORDER BY t.id",
                     &st, "token list");
    if (!err) {
        bind_text(st, 1, username);
    }
    while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *t = json_pack("{s:I, s:s, s:I, s:I, s:I}", "id",
                              (json_int_t)sqlite3_column_int64(st, 0), "name",
                              (const char *)sqlite3_column_text(st, 1), "created_at",
                              (json_int_t)sqlite3_column_int64(st, 2), "expires_at",
                              (json_int_t)sqlite3_column_int64(st, 3), "last_used_at",
                              (json_int_t)sqlite3_column_int64(st, 4));
        if (!t || json_array_append_new(arr, t) != 0) {
            err = ERR_NOMEM;
        }
    }
    if (!err && rc != SQLITE_DONE) {
        err = db_fail(a, rc, "token list");
    }
    sqlite3_finalize(st);
    web_auth_unlock(a);
    if (err) {
        json_decref(arr);
        return err;
    }
    *out = arr;
    return 0;
}

int web_token_revoke(struct web_auth *a, int64_t id)
{
    sqlite3_stmt *st = NULL;
    int err;

    web_auth_lock(a);
    err = db_prepare(a, "DELETE FROM web_api_tokens WHERE id = ?", &st, "token revoke");
    if (!err) {
        sqlite3_bind_int64(st, 1, id);
        err = db_run(a, st, "token revoke");
        if (!err && sqlite3_changes(a->db) == 0) {
            err = ERR_NOT_FOUND;
        }
    }
    web_auth_unlock(a);
    return err;
}
