/*
 * The front of yq_db.h: backend choice, the raw calls dispatched through struct yq_db_ops, the
 * checked helpers and the migrations track (shared by both backends).
 */
#include "yq_db.h"
#include "yq_db_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "yq_err.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

#define TRACK_TABLE "schema_version"

static void pause_10ms(void)
{
    struct timespec pause = {0, 10 * 1000000L};
    nanosleep(&pause, NULL);
}

enum yq_db_backend yq_db_backend_of(const char *location)
{
    if (location && (strncmp(location, "postgresql://", 13) == 0 ||
                     strncmp(location, "postgres://", 11) == 0)) {
        return YQ_DB_PG;
    }
    return YQ_DB_SQLITE;
}

const char *yq_db_sqlite_path(const char *location)
{
    if (!location) {
        return "";
    }
    if (yq_db_backend_of(location) == YQ_DB_PG) {
        return NULL;
    }
    return strncmp(location, "sqlite:", 7) == 0 ? location + 7 : location;
}

bool yq_db_is_memory(const char *location)
{
    const char *path = yq_db_sqlite_path(location);
    return path && (path[0] == '\0' || strcmp(path, ":memory:") == 0 ||
                    strncmp(path, "file::memory:", 13) == 0 ||
                    (strncmp(path, "file:", 5) == 0 && strstr(path, "mode=memory") != NULL));
}

/*
 * Redaction of a location's secrets (yq_db_redact): what libpq would take as a password, and
 * whatever a user may have meant as one, never reaches a message.
 */

/* out being written: at most cap - 1 bytes kept, always NUL-terminated. */
struct redact_out {
    char *p;
    size_t len, cap;
};

static void redact_put(struct redact_out *o, const char *s, size_t n)
{
    size_t room = o->cap - 1 - o->len;

    if (n > room) {
        n = room;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/*
 * Whether the n bytes at key, percent-decoded as libpq decodes a URI's keywords and in any
 * case, are one of the n_names names.
 */
static bool redact_key_is(const char *key, size_t n, const char *const *names, size_t n_names)
{
    char name[32];
    size_t len = 0;

    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)key[i];
        if (c == '%' && i + 2 < n && hex_value(key[i + 1]) >= 0 && hex_value(key[i + 2]) >= 0) {
            c = hex_value(key[i + 1]) * 16 + hex_value(key[i + 2]);
            i += 2;
        }
        if (len + 1 >= sizeof(name)) {
            return false;
        }
        name[len++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    name[len] = '\0';
    for (size_t i = 0; i < n_names; i++) {
        if (strcmp(name, names[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Whether the n bytes at key name a secret of libpq's (password, sslpassword). */
static bool redact_key_is_secret(const char *key, size_t n)
{
    static const char *const secret[] = {"password", "sslpassword"};
    return redact_key_is(key, n, secret, sizeof(secret) / sizeof(secret[0]));
}

/*
 * Length of a libpq connection keyword followed by '=' at s ("sslmode=" -> 7), or 0. Only
 * libpq's keywords count (it refuses others in a URI), so a '?' or '&' inside a password
 * followed by "x=" is not taken for the start of a parameter.
 */
static size_t redact_param_key(const char *s, const char *end)
{
    static const char *const keywords[] = {
        "host", "hostaddr", "port", "dbname", "user", "password", "passfile",
        "channel_binding", "connect_timeout", "client_encoding", "options", "application_name",
        "fallback_application_name", "keepalives", "keepalives_idle", "keepalives_interval",
        "keepalives_count", "tcp_user_timeout", "replication", "gssencmode", "sslmode",
        "requiressl", "sslcompression", "sslcert", "sslkey", "sslpassword", "sslcertmode",
        "sslrootcert", "sslcrl", "sslcrldir", "sslsni", "requirepeer", "require_auth",
        "ssl_min_protocol_version", "ssl_max_protocol_version", "krbsrvname", "gsslib",
        "gssdelegation", "service", "target_session_attrs", "load_balance_hosts", "ssl",
    };
    const char *p = s;

    while (p < end && (isalnum((unsigned char)*p) || *p == '_' || *p == '%')) {
        p++;
    }
    if (p == s || p >= end || *p != '=' ||
        !redact_key_is(s, (size_t)(p - s), keywords, sizeof(keywords) / sizeof(keywords[0]))) {
        return 0;
    }
    return (size_t)(p - s);
}

/*
 * The end of a postgresql:// URI's user information (its '@', or NULL) and the start of its
 * query string (*query, or end), rest being the text after "://". libpq ends the user
 * information at the first '@' before any '/' (so "u:p?host=x@h" has the password "p?host=x");
 * a password with an unencoded '/' or '@' runs, as its user meant it, to the last '@' before
 * the query string, which starts at the first '?' after libpq's '@' followed by one of libpq's
 * "keyword=".
 */
static const char *uri_userinfo_end(const char *rest, const char *end, const char **query)
{
    const char *at = NULL, *p;

    for (p = rest; p < end && *p != '/'; p++) {
        if (*p == '@') {
            at = p;
            break;
        }
    }
    *query = end;
    for (p = at ? at : rest; p < end; p++) {
        if (*p == '?' && redact_param_key(p + 1, end) > 0) {
            *query = p;
            break;
        }
    }
    for (p = at ? at : rest; p < *query; p++) {
        if (*p == '@') {
            at = p;
        }
    }
    return at;
}

/*
 * A postgresql:// URI. The password runs from the first ':' of the user information to its end
 * (uri_userinfo_end()), so an unencoded '@', '/' or '?' in a password (even "?host=x") leaves
 * nothing of it in the text (a database name holding an '@' costs the host and path in the
 * message, never a secret); password= and sslpassword= values of the query string are emptied
 * up to the next "&keyword=".
 */
static void redact_uri(const char *location, const char *rest, struct redact_out *o)
{
    const char *end = rest + strlen(rest), *query = end, *at = NULL, *colon, *p;

    at = uri_userinfo_end(rest, end, &query);
    colon = at ? memchr(rest, ':', (size_t)(at - rest)) : NULL;
    if (colon) {
        redact_put(o, location, (size_t)(colon - location));
        redact_put(o, at, (size_t)(query - at));
    } else {
        redact_put(o, location, (size_t)(query - location));
    }
    p = query;
    while (p < end) {
        const char *param = p + 1, *stop;
        size_t key = redact_param_key(param, end);

        if (key > 0 && redact_key_is_secret(param, key)) {
            redact_put(o, p, 1 + key + 1); /* "?password=" */
            for (stop = param + key + 1; stop < end; stop++) {
                if (*stop == '&' && redact_param_key(stop + 1, end) > 0) {
                    break;
                }
            }
        } else {
            stop = memchr(param, '&', (size_t)(end - param));
            stop = stop ? stop : end;
            redact_put(o, p, (size_t)(stop - p));
        }
        p = stop;
    }
}

/*
 * A libpq key=value string ("host=h password='x y'"), parsed as libpq parses it (blanks around
 * '=', values quoted with '\'' or not, '\\' escaping): the values of password and sslpassword
 * are left out. Words that are no key=value (a SQLite path) are copied.
 */
static void redact_keywords(const char *s, struct redact_out *o)
{
    const char *p = s;

    while (*p) {
        const char *name = p, *name_end, *value, *q;

        if (isspace((unsigned char)*p)) {
            redact_put(o, p++, 1);
            continue;
        }
        while (*p && *p != '=' && !isspace((unsigned char)*p)) {
            p++;
        }
        name_end = p;
        for (q = p; isspace((unsigned char)*q); q++) {
        }
        if (*q != '=') {
            redact_put(o, name, (size_t)(q - name));
            p = q;
            continue;
        }
        for (q++; isspace((unsigned char)*q); q++) {
        }
        value = q;
        if (*q == '\'') {
            for (q++; *q && *q != '\''; q++) {
                if (*q == '\\' && q[1]) {
                    q++;
                }
            }
            q += *q == '\'';
        } else {
            for (; *q && !isspace((unsigned char)*q); q++) {
                if (*q == '\\' && q[1]) {
                    q++;
                }
            }
        }
        redact_put(o, name, (size_t)(value - name));
        if (!redact_key_is_secret(name, (size_t)(name_end - name))) {
            redact_put(o, value, (size_t)(q - value));
        }
        p = q;
    }
}

static void redact(const char *location, char *out, size_t outlen)
{
    struct redact_out o = {out, 0, outlen};
    const char *scheme = strstr(location, "://");

    if (outlen == 0) {
        return;
    }
    out[0] = '\0';
    if (scheme && yq_db_backend_of(location) == YQ_DB_PG) {
        redact_uri(location, scheme + 3, &o);
    } else {
        redact_keywords(location, &o);
    }
}

/*
 * The pieces of a password that location holds, for scrub_secrets(): the URI's password (first
 * ':' of the user information to the last '@'), the values of password= and sslpassword=
 * (URI query or key=value string), each raw and percent-decoded, and each part of them between
 * the characters libpq may split a URI at ('@', ':', '/', '?', '&', '#', '=') of two bytes or
 * more. At most SCRUB_MAX pieces, each NUL-terminated in buf.
 */
#define SCRUB_MAX 48
struct scrub_set {
    char buf[4096];
    size_t used;
    const char *piece[SCRUB_MAX];
    size_t n;
};

static void scrub_add(struct scrub_set *set, const char *s, size_t n, bool decode)
{
    char *d;
    size_t len = 0;

    if (n < 2 || set->n >= SCRUB_MAX || set->used + n + 1 > sizeof(set->buf)) {
        return;
    }
    d = set->buf + set->used;
    for (size_t i = 0; i < n; i++) {
        if (decode && s[i] == '%' && i + 2 < n && hex_value(s[i + 1]) >= 0 &&
            hex_value(s[i + 2]) >= 0) {
            d[len++] = (char)(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            d[len++] = s[i];
        }
    }
    if (len < 2 || memchr(d, '\0', len)) {
        return;
    }
    d[len] = '\0';
    set->piece[set->n++] = d;
    set->used += len + 1;
}

/* A secret value of n bytes at s: whole, decoded, and its parts. */
static void scrub_add_secret(struct scrub_set *set, const char *s, size_t n)
{
    const char *part = s;

    scrub_add(set, s, n, false);
    scrub_add(set, s, n, true);
    for (const char *p = s; p <= s + n; p++) {
        if (p == s + n || strchr("@:/?&#=", *p)) {
            scrub_add(set, part, (size_t)(p - part), false);
            scrub_add(set, part, (size_t)(p - part), true);
            part = p + 1;
        }
    }
}

static void scrub_collect(const char *location, struct scrub_set *set)
{
    const char *scheme = strstr(location, "://");

    if (scheme) {
        const char *rest = scheme + 3, *query, *colon;
        const char *at = uri_userinfo_end(rest, rest + strlen(rest), &query);
        colon = at ? memchr(rest, ':', (size_t)(at - rest)) : NULL;
        if (colon) {
            scrub_add_secret(set, colon + 1, (size_t)(at - colon - 1));
        }
    }
    for (const char *p = location; *p; p++) {
        /* password= and sslpassword= wherever they stand (URI query or key=value string) */
        size_t key = 0;
        const char *v;
        if (strncasecmp(p, "password", 8) == 0) {
            key = 8;
        } else if (strncasecmp(p, "sslpassword", 11) == 0) {
            key = 11;
        }
        if (!key || (p > location && isalnum((unsigned char)p[-1]))) {
            continue;
        }
        for (v = p + key; *v == ' ' || *v == '\t'; v++) {
        }
        if (*v != '=') {
            continue;
        }
        for (v++; *v == ' ' || *v == '\t'; v++) {
        }
        {
            size_t n = *v == '\'' ? strcspn(v + 1, "'") + 1 : strcspn(v, "& \t");
            scrub_add_secret(set, v, n);
            if (*v == '\'') {
                scrub_add_secret(set, v + 1, n - 1);
            }
        }
    }
}

/*
 * Replace in msg (NUL-terminated, msglen bytes of room) every piece of a password location
 * holds by "***" ("**" for a two-byte piece), the longest pieces first. libpq's connect messages quote what it could not
 * parse or resolve ("invalid percent-encoded token: \"...\"", a host name that is the tail of
 * a password holding an unencoded '@'), so a message about a location is scrubbed before it
 * reaches a log, a terminal or a web reply (review of #16).
 */
static void scrub_secrets(const char *location, char *msg, size_t msglen)
{
    struct scrub_set *set = calloc(1, sizeof(*set));

    if (msglen == 0) {
        free(set);
        return;
    }
    if (!set) {
        snprintf(msg, msglen, "cannot connect (message withheld: out of memory)");
        return;
    }
    scrub_collect(location, set);
    for (size_t i = 0; i < set->n; i++) { /* longest first: a part never hides its whole */
        for (size_t j = i + 1; j < set->n; j++) {
            if (strlen(set->piece[j]) > strlen(set->piece[i])) {
                const char *t = set->piece[i];
                set->piece[i] = set->piece[j];
                set->piece[j] = t;
            }
        }
    }
    for (size_t i = 0; i < set->n; i++) {
        size_t plen = strlen(set->piece[i]);
        char *from = msg, *hit;
        while ((hit = strstr(from, set->piece[i])) != NULL) {
            size_t stars = plen >= 3 ? 3 : plen; /* never longer than what it replaces */
            memmove(hit + stars, hit + plen, strlen(hit + plen) + 1);
            memset(hit, '*', stars);
            from = hit + stars;
        }
    }
    free(set);
}

const char *yq_db_redact(const char *location, char *out, size_t outlen)
{
    redact(location ? location : "", out, outlen);
    return out;
}

int yq_db_open(const char *location, unsigned flags, int64_t busy_timeout_ms, struct yq_db **out,
               char *errbuf, size_t errlen)
{
    struct yq_db *db;
    char scratch[2];
    int err;

    *out = NULL;
    if (!errbuf) {
        errbuf = scratch;
        errlen = sizeof(scratch);
    }
    db = calloc(1, sizeof(*db));
    if (!db) {
        return ERR_NOMEM;
    }
    db->ops = yq_db_backend_of(location) == YQ_DB_PG ? &yq_db_pg_ops : &yq_db_sqlite_ops;
    db->flags = flags;
    db->busy_timeout_ms = yq_db_timeout_ms(busy_timeout_ms);
    redact(location ? location : "", db->location, sizeof(db->location));
    if (db->ops == &yq_db_sqlite_ops) {
        err = db->ops->open(db, yq_db_sqlite_path(location),
                            flags | (yq_db_is_memory(location) ? YQ_DB_MEMORY_INT : 0),
                            db->busy_timeout_ms, errbuf, errlen);
    } else {
        err = db->ops->open(db, location, flags, db->busy_timeout_ms, errbuf, errlen);
    }
    if (err) {
        scrub_secrets(location ? location : "", errbuf, errlen);
        free(db);
        return err;
    }
    *out = db;
    return 0;
}

int yq_db_close(struct yq_db *db)
{
    int err = 0;

    if (!db) {
        return 0;
    }
    if (db->n_open_stmts > 0) {
        LOG_ERR("database close with %d statement(s) not finalised location='%s'",
                db->n_open_stmts, db->location);
        err = ERR_BAD_STATE;
    }
    db->ops->close(db);
    free(db);
    return err;
}

enum yq_db_backend yq_db_backend(const struct yq_db *db)
{
    return db->ops == &yq_db_pg_ops ? YQ_DB_PG : YQ_DB_SQLITE;
}

const char *yq_db_location(const struct yq_db *db)
{
    return db->location;
}

const char *yq_db_errmsg(struct yq_db *db)
{
    const char *m = db ? db->ops->errmsg(db) : NULL;
    return m ? m : "";
}

int64_t yq_db_changes(struct yq_db *db)
{
    return db->ops->changes(db);
}

bool yq_db_in_transaction(struct yq_db *db)
{
    return db->ops->in_transaction(db);
}

void yq_db_set_trace(struct yq_db *db, void (*fn)(void *arg, const char *sql), void *arg)
{
    db->trace = fn;
    db->trace_arg = arg;
}

int yq_db_exec_raw(struct yq_db *db, const char *sql)
{
    return db->ops->exec(db, sql);
}

int yq_db_begin_write(struct yq_db *db)
{
    return db->ops->begin_write(db);
}

int yq_stmt_prepare(struct yq_db *db, const char *sql, struct yq_stmt **out)
{
    struct yq_stmt *st = calloc(1, sizeof(*st));
    int rc;

    *out = NULL;
    if (!st) {
        return YQ_DB_NOMEM;
    }
    st->db = db;
    rc = db->ops->prepare(db, sql, st);
    if (rc != YQ_DB_OK) {
        free(st);
        return rc;
    }
    db->n_open_stmts++;
    *out = st;
    return YQ_DB_OK;
}

int yq_stmt_finalize(struct yq_stmt *st)
{
    if (st) {
        st->db->ops->finalize(st);
        st->db->n_open_stmts--;
        free(st);
    }
    return YQ_DB_OK;
}

struct yq_db *yq_stmt_db(struct yq_stmt *st)
{
    return st->db;
}

int yq_stmt_bind_int64(struct yq_stmt *st, int i, int64_t v)
{
    return st->db->ops->bind_int64(st, i, v);
}

int yq_stmt_bind_int(struct yq_stmt *st, int i, int v)
{
    return st->db->ops->bind_int64(st, i, v);
}

int yq_stmt_bind_double(struct yq_stmt *st, int i, double v)
{
    return st->db->ops->bind_double(st, i, v);
}

int yq_stmt_bind_text(struct yq_stmt *st, int i, const char *s)
{
    return s ? st->db->ops->bind_textn(st, i, s, strlen(s)) : st->db->ops->bind_null(st, i);
}

int yq_stmt_bind_textn(struct yq_stmt *st, int i, const char *s, size_t n)
{
    return s ? st->db->ops->bind_textn(st, i, s, n) : st->db->ops->bind_null(st, i);
}

int yq_stmt_bind_null(struct yq_stmt *st, int i)
{
    return st->db->ops->bind_null(st, i);
}

int yq_stmt_bind_column(struct yq_stmt *st, int i, struct yq_stmt *src, int col)
{
    switch (yq_stmt_column_type(src, col)) {
    case YQ_DB_NULL:
        return yq_stmt_bind_null(st, i);
    case YQ_DB_INTEGER:
        return yq_stmt_bind_int64(st, i, yq_stmt_column_int64(src, col));
    case YQ_DB_FLOAT:
        return yq_stmt_bind_double(st, i, yq_stmt_column_double(src, col));
    default:
        return yq_stmt_bind_textn(st, i, yq_stmt_column_text(src, col),
                                  (size_t)yq_stmt_column_bytes(src, col));
    }
}

int yq_stmt_bind_parameter_count(struct yq_stmt *st)
{
    return st->db->ops->bind_count(st);
}

int yq_stmt_step(struct yq_stmt *st)
{
    return st->db->ops->step(st);
}

int yq_stmt_step_deferred(struct yq_stmt *st)
{
    int rc;

    if (st->db->ops->step_deferred) {
        return st->db->ops->step_deferred(st);
    }
    rc = st->db->ops->step(st); /* SQLite: at once, its rows discarded */
    return rc == YQ_DB_ROW ? YQ_DB_DONE : rc;
}

int yq_db_flush(struct yq_db *db)
{
    return db->ops->flush ? db->ops->flush(db) : YQ_DB_OK;
}

int yq_stmt_reset(struct yq_stmt *st)
{
    return st->db->ops->reset(st);
}

int yq_stmt_clear_bindings(struct yq_stmt *st)
{
    return st->db->ops->clear_bindings(st);
}

int yq_stmt_column_count(struct yq_stmt *st)
{
    return st->db->ops->column_count(st);
}

const char *yq_stmt_column_name(struct yq_stmt *st, int col)
{
    return st->db->ops->column_name(st, col);
}

int yq_stmt_column_type(struct yq_stmt *st, int col)
{
    return st->db->ops->column_type(st, col);
}

int64_t yq_stmt_column_int64(struct yq_stmt *st, int col)
{
    return st->db->ops->column_int64(st, col);
}

int yq_stmt_column_int(struct yq_stmt *st, int col)
{
    return (int)st->db->ops->column_int64(st, col);
}

double yq_stmt_column_double(struct yq_stmt *st, int col)
{
    return st->db->ops->column_double(st, col);
}

const char *yq_stmt_column_text(struct yq_stmt *st, int col)
{
    return st->db->ops->column_text(st, col);
}

int yq_stmt_column_bytes(struct yq_stmt *st, int col)
{
    return st->db->ops->column_bytes(st, col);
}

/* --- checked helpers ------------------------------------------------------------------ */

int yq_db_err(int rc)
{
    return yq_db_err_of(rc);
}

/* A raw code's meaning when no connection can say more (SQLite's wording). */
static const char *generic_message(int rc)
{
    switch (rc & 0xff) {
    case YQ_DB_BUSY:
        return "database is locked";
    case YQ_DB_LOCKED:
        return "database table is locked";
    case YQ_DB_NOMEM:
        return "out of memory";
    case YQ_DB_READONLY:
        return "attempt to write a readonly database";
    case YQ_DB_IOERR:
        return "disk I/O error";
    case YQ_DB_CORRUPT:
        return "database disk image is malformed";
    case YQ_DB_FULL:
        return "database or disk is full";
    case YQ_DB_CANTOPEN:
        return "unable to open database file";
    case YQ_DB_TOOBIG:
        return "string or blob too big";
    case YQ_DB_CONSTRAINT:
        return "constraint failed";
    case YQ_DB_MISMATCH:
        return "datatype mismatch";
    case YQ_DB_RANGE:
        return "column index out of range";
    case YQ_DB_NOTADB:
        return "file is not a database";
    default:
        return "SQL logic error";
    }
}

int yq_db_fail(struct yq_db *db, int rc, const char *what, char *errbuf, size_t errlen)
{
    if (errbuf && errlen > 0) {
        snprintf(errbuf, errlen, "%s: %s (rc=%d)", what,
                 db ? yq_db_errmsg(db) : generic_message(rc), rc);
    }
    return yq_db_err(rc);
}

int yq_db_exec(struct yq_db *db, const char *sql, const char *what, char *errbuf, size_t errlen)
{
    int rc = yq_db_exec_raw(db, sql);
    return rc == YQ_DB_OK ? 0 : yq_db_fail(db, rc, what, errbuf, errlen);
}

int yq_db_prepare(struct yq_db *db, const char *sql, struct yq_stmt **out, const char *what,
                  char *errbuf, size_t errlen)
{
    int rc = yq_stmt_prepare(db, sql, out);
    return rc == YQ_DB_OK ? 0 : yq_db_fail(db, rc, what, errbuf, errlen);
}

int yq_db_step(struct yq_db *db, struct yq_stmt *st, const char *what, char *errbuf,
               size_t errlen)
{
    int rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        return 1;
    }
    return rc == YQ_DB_DONE ? 0 : yq_db_fail(db, rc, what, errbuf, errlen);
}

int yq_db_run(struct yq_db *db, struct yq_stmt *st, const char *what, char *errbuf,
              size_t errlen)
{
    int err = yq_db_step(db, st, what, errbuf, errlen);
    yq_stmt_finalize(st);
    return err > 0 ? 0 : err;
}

int yq_db_run_id(struct yq_db *db, struct yq_stmt *st, int64_t *id, const char *what,
                 char *errbuf, size_t errlen)
{
    int err = yq_db_step(db, st, what, errbuf, errlen);
    *id = err == 1 ? yq_stmt_column_int64(st, 0) : 0;
    yq_stmt_finalize(st);
    return err > 0 ? 0 : err;
}

int yq_db_run_deferred(struct yq_db *db, struct yq_stmt *st, const char *what, char *errbuf,
                       size_t errlen)
{
    int rc = yq_stmt_step_deferred(st);
    yq_stmt_finalize(st);
    return rc == YQ_DB_DONE || rc == YQ_DB_OK ? 0 : yq_db_fail(db, rc, what, errbuf, errlen);
}

void yq_db_rollback(struct yq_db *db)
{
    if (yq_db_in_transaction(db)) {
        yq_db_exec_raw(db, "ROLLBACK");
    }
}

int yq_db_has_table(struct yq_db *db, const char *table, bool *out, char *errbuf, size_t errlen)
{
    int rc = db->ops->has_table(db, table, out);
    return rc == YQ_DB_OK ? 0 : yq_db_fail(db, rc, "table lookup", errbuf, errlen);
}

int yq_db_use_wal(struct yq_db *db, int64_t busy_timeout_ms, char *errbuf, size_t errlen)
{
    return db->ops->use_wal ? db->ops->use_wal(db, busy_timeout_ms, errbuf, errlen) : 0;
}

int yq_db_notify(struct yq_db *db, const char *channel, const char *payload)
{
    return db->ops->notify ? db->ops->notify(db, channel, payload) : ERR_BAD_STATE;
}

int yq_db_listen(struct yq_db *db, const char *channel)
{
    return db->ops->listen ? db->ops->listen(db, channel) : ERR_BAD_STATE;
}

int yq_db_poll_notify(struct yq_db *db, int timeout_ms, char *chan, size_t chanlen,
                      char **payload)
{
    *payload = NULL;
    return db->ops->poll_notify ? db->ops->poll_notify(db, timeout_ms, chan, chanlen, payload)
                                : ERR_BAD_STATE;
}

int yq_db_try_lock(struct yq_db *db, int64_t key, bool *got)
{
    *got = false;
    return db->ops->advisory ? db->ops->advisory(db, key, false, got) : ERR_BAD_STATE;
}

int yq_db_unlock(struct yq_db *db, int64_t key)
{
    return db->ops->advisory ? db->ops->advisory(db, key, true, NULL) : ERR_BAD_STATE;
}

int yq_db_socket(struct yq_db *db)
{
    return db->ops->socket ? db->ops->socket(db) : -1;
}

/*
 * Read the track: *next = the lowest version of 1..n not recorded (n + 1 when none is
 * missing), *max = the highest recorded (0 when none). A missing table reads as empty.
 */
static int track_read(struct yq_db *db, const char *track, int n, int *next, int *max,
                      char *errbuf, size_t errlen)
{
    struct yq_stmt *st = NULL;
    bool has = false;
    char sql[128];
    int err;

    *next = 1;
    *max = 0;
    err = yq_db_has_table(db, track, &has, errbuf, errlen);
    if (err || !has) {
        return err;
    }
    snprintf(sql, sizeof(sql), "SELECT version FROM %s ORDER BY version", track);
    err = yq_db_prepare(db, sql, &st, "schema_version read", errbuf, errlen);
    while (!err && (err = yq_db_step(db, st, "schema_version read", errbuf, errlen)) == 1) {
        int v = yq_stmt_column_int(st, 0);
        if (v == *next) {
            (*next)++;
        }
        *max = v;
        err = 0;
    }
    yq_stmt_finalize(st);
    if (*next > n + 1) {
        *next = n + 1;
    }
    return err;
}

/* Whether name is a plain lower-case SQL identifier (safe to paste into a statement). */
static bool plain_name(const char *name)
{
    size_t n = 0;
    for (; name[n]; n++) {
        char c = name[n];
        if (!((c >= 'a' && c <= 'z') || c == '_' || (n > 0 && c >= '0' && c <= '9')) || n >= 63) {
            return false;
        }
    }
    return n > 0;
}

int yq_db_sync_ids(struct yq_db *db, char *errbuf, size_t errlen)
{
    struct yq_stmt *cols = NULL, *st = NULL;
    char sql[512];
    int err, rc = 0;

    if (yq_db_backend(db) != YQ_DB_PG) {
        return 0; /* SQLite's INTEGER PRIMARY KEY already takes max(id) + 1 */
    }
    err = yq_db_prepare(db,
                        "SELECT table_name, column_name FROM information_schema.columns "
                        "WHERE table_schema = current_schema() AND is_identity = 'YES' "
                        "ORDER BY table_name, column_name",
                        &cols, "identity columns", errbuf, errlen);
    while (!err && (rc = yq_db_step(db, cols, "identity columns", errbuf, errlen)) == 1) {
        const char *table = yq_stmt_column_text(cols, 0), *col = yq_stmt_column_text(cols, 1);
        if (!table || !col || !plain_name(table) || !plain_name(col)) {
            continue; /* not one of ours: the store's names are plain */
        }
        snprintf(sql, sizeof(sql),
                 "SELECT setval(pg_get_serial_sequence('%s', '%s'), COALESCE(MAX(%s), 0) + 1, "
                 "false) FROM %s",
                 table, col, col, table);
        err = yq_db_prepare(db, sql, &st, "identity sync", errbuf, errlen);
        if (!err) {
            err = yq_db_run(db, st, "identity sync", errbuf, errlen);
        }
    }
    if (!err && rc < 0) {
        err = rc;
    }
    yq_stmt_finalize(cols);
    return err;
}

int yq_db_schema_version(struct yq_db *db, int *out, char *errbuf, size_t errlen)
{
    int next = 0;
    return track_read(db, TRACK_TABLE, 0, &next, out, errbuf, errlen);
}

/*
 * Apply the lowest pending migration, if any, in one write transaction that also reads the
 * track. *done is set when nothing was pending.
 */
static int migrate_step(struct yq_db *db, const struct yq_db_schema *schema, const char *track,
                        bool *done, char *errbuf, size_t errlen)
{
    const struct yq_db_migration *m;
    struct yq_stmt *st = NULL;
    char reason[384] = "", track_sql[160];
    int n = (int)schema->n_steps, next = 0, max = 0, err, rc;

    *done = false;
    rc = yq_db_begin_write(db);
    if (rc != YQ_DB_OK) {
        err = yq_db_fail(db, rc, "begin", reason, sizeof(reason));
        snprintf(errbuf, errlen, "cannot lock the %s to migrate it: %s", schema->name, reason);
        return err;
    }
    snprintf(track_sql, sizeof(track_sql),
             "CREATE TABLE IF NOT EXISTS %s ("
             "  version INTEGER PRIMARY KEY,"
             "  applied_at BIGINT NOT NULL)",
             track);
    err = yq_db_exec(db, track_sql, "schema_version create", reason, sizeof(reason));
    if (!err) {
        err = track_read(db, track, n, &next, &max, reason, sizeof(reason));
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
        err = yq_db_exec(db, "COMMIT", "commit", reason, sizeof(reason));
        if (err) {
            snprintf(errbuf, errlen, "%s migration commit failed: %s", schema->name, reason);
            goto rollback;
        }
        return 0;
    }
    m = &schema->steps[next - 1];
    {
        const char *sql = yq_db_backend(db) == YQ_DB_PG && m->sql_pg ? m->sql_pg : m->sql;
        if (sql) {
            err = yq_db_exec(db, sql, "migration", reason, sizeof(reason));
        }
    }
    if (!err && m->apply) {
        err = m->apply(db, reason, sizeof(reason));
    }
    if (!err) {
        snprintf(track_sql, sizeof(track_sql), "INSERT INTO %s (version, applied_at) VALUES (?, ?)",
                 track);
        err = yq_db_prepare(db, track_sql, &st, "migration record", reason, sizeof(reason));
    }
    if (!err) {
        yq_stmt_bind_int(st, 1, m->version);
        yq_stmt_bind_int64(st, 2, yq_time_now());
        err = yq_db_run(db, st, "migration record", reason, sizeof(reason));
    }
    if (!err) {
        err = yq_db_exec(db, "COMMIT", "migration commit", reason, sizeof(reason));
    }
    if (err) {
        snprintf(errbuf, errlen, "%s migration %d (%s) failed: %s", schema->name, m->version,
                 m->what, reason);
        goto rollback;
    }
    LOG_INFO("migrated schema=%s schema_version=%d what='%s' backend=%s", YQ_Q(schema->name),
             m->version, m->what, db->ops->name);
    return 0;
rollback:
    yq_db_rollback(db);
    return err;
}

int yq_db_migrate(struct yq_db *db, const struct yq_db_schema *schema, int64_t busy_timeout_ms,
                  char *errbuf, size_t errlen)
{
    return yq_db_migrate_track(db, schema, TRACK_TABLE, busy_timeout_ms, errbuf, errlen);
}

int yq_db_migrate_track(struct yq_db *db, const struct yq_db_schema *schema, const char *track,
                        int64_t busy_timeout_ms, char *errbuf, size_t errlen)
{
    char scratch[2];
    int64_t deadline = yq_time_mono_ms() + yq_db_timeout_ms(busy_timeout_ms);
    int n = (int)schema->n_steps, next = 0, max = 0, err;
    bool done = false;

    if (!errbuf) {
        errbuf = scratch;
        errlen = sizeof(scratch);
    }
    if (!track || strlen(track) == 0 || strlen(track) > 48 ||
        strspn(track, "abcdefghijklmnopqrstuvwxyz_") != strlen(track)) {
        snprintf(errbuf, errlen, "%s: bad track table name", schema->name);
        return ERR_INVALID;
    }
    for (size_t i = 0; i < schema->n_steps; i++) {
        if (schema->steps[i].version != (int)i + 1) {
            snprintf(errbuf, errlen, "%s: migration %zu is numbered %d", schema->name, i + 1,
                     schema->steps[i].version);
            return ERR_INVALID; /* a programmer's error in the table */
        }
    }
    /* the common case, an up-to-date database, needs no write lock */
    err = track_read(db, track, n, &next, &max, errbuf, errlen);
    if (!err && next > n && max == n) {
        return 0;
    }
    while (!done) {
        err = migrate_step(db, schema, track, &done, errbuf, errlen);
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
