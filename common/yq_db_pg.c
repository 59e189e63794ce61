/*
 * The PostgreSQL backend of yq_db.h (issue #16), through libpq.
 *
 * A statement's SQL is translated once (yq_db_pg_translate) and prepared on the server the
 * first time it runs on a connection (a per-connection cache keyed by the translated text, so
 * the intake's statements are parsed and planned once). Parameters are sent as text with their
 * types left to the server to infer from context, as SQLite's dynamic typing would; when the
 * server cannot infer one (SQLSTATE 42P18, e.g. `? IS NULL`), the statement is prepared again
 * with the types of the values bound (int8, float8, text). A step runs the statement and keeps
 * its whole result; later steps walk its rows.
 *
 * A lost connection is re-established at the next call outside a transaction (the prepared
 * statements are then prepared again); the call that found it lost fails with YQ_DB_IOERR.
 *
 * A statement whose text starts with YQ_DB_PLAN_PER_CALL is not prepared: it runs as the
 * unnamed statement, parsed and planned for the values bound at each run (a custom plan). A
 * named statement's generic plan is made once, at its sixth run, from the table statistics of
 * then: the batch intake's key lookups (IN lists of 64 parameters) made it on an empty events
 * table and kept scanning the whole table (5-9 ms a batch at 2,000-30,000 events, growing, until
 * autovacuum's ANALYZE), where the plan for the values reads the key index (0.3 ms).
 *
 * Deferred statements (yq_stmt_step_deferred, issue #16): inside a transaction, a statement
 * already prepared on the connection is sent in libpq's pipeline mode without waiting for its
 * answer. The next call that needs an answer sends its own statement into the same pipeline
 * (or leaves pipeline mode first, for transaction control and first prepares), then reads the
 * answers in order: one round trip for the deferred statements and the read. The first
 * deferred statement that failed gives that call its code and message (the server skips the
 * rest of the pipeline; the transaction is aborted and must be rolled back).
 */
#include "yq_db.h"
#include "yq_db_int.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_buf.h"
#include "yq_err.h"
#include "yq_hash.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

/* The type OIDs of pg_type.h that matter here. */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT2 21
#define OID_INT4 23
#define OID_TEXT 25
#define OID_OID 26
#define OID_FLOAT4 700
#define OID_FLOAT8 701
#define OID_NUMERIC 1700

#define CACHE_BUCKETS 512

struct cache_entry {
    struct cache_entry *next;
    char *key; /* translated SQL, then '\x1f' and the type signature when typed */
    char name[24];
};

struct pg_conn {
    PGconn *conn;
    char *conninfo;
    pthread_mutex_t mu;
    bool serialized;
    char errmsg[512];
    int64_t changes;
    uint64_t next_name;
    struct cache_entry *cache[CACHE_BUCKETS];
    /*
     * A transaction is open on the server as far as this client knows (set after each call
     * from the server's answer while the connection is up). When the connection breaks with
     * a transaction open, the server has rolled it back: every statement then fails until
     * the caller's ROLLBACK, and a COMMIT fails, so that no later statement runs outside the
     * transaction the caller believes in (nothing reconnects in between).
     */
    bool tx_open;
    /*
     * The connection's protocol state is unknown: a pipeline ended without its sync (the
     * server ended the session with a FATAL answer, or the answers came out of step) while
     * libpq may still call the link up and stay in pipeline mode. It counts as lost: inside a
     * transaction every statement fails until ROLLBACK, which reconnects (review of #16: a
     * session ended mid-batch left every later call failing for good).
     */
    bool broken;
    /* pipeline mode (deferred statements): on while n_pending answers are unread */
    bool piped;
    int n_pending;
};

/* At most this many deferred statements wait for their answers (then they are read). */
#define PIPELINE_MAX_PENDING 1024

struct pg_stmt {
    char *sql; /* translated */
    int n_params;
    char **values; /* [n_params], owned; NULL = SQL NULL */
    int *lengths;
    Oid *types; /* the kind of value bound: OID_INT8, OID_FLOAT8, OID_TEXT, 0 for NULL */
    PGresult *res;
    int row; /* -1 before the first step */
    int nrows;
    bool direct; /* transaction control: run as a simple query */
    bool per_call; /* YQ_DB_PLAN_PER_CALL: the unnamed statement, planned for its values */
    char numbuf[32];
};

#define C(db) ((struct pg_conn *)(db)->impl)
#define P(st) ((struct pg_stmt *)(st)->impl)

static void lock(struct pg_conn *c)
{
    if (c->serialized) {
        pthread_mutex_lock(&c->mu);
    }
}

static void unlock(struct pg_conn *c)
{
    if (c->serialized) {
        pthread_mutex_unlock(&c->mu);
    }
}

/* --- SQL translation ----------------------------------------------------------------- */

/* Text being written (a yq_buf without a length cap); nomem once an append failed. */
struct out {
    struct yq_buf b;
    bool nomem;
};

static void out_init(struct out *o)
{
    yq_buf_init(&o->b, SIZE_MAX - 1);
    o->nomem = false;
}

static void put(struct out *o, const char *s, size_t n)
{
    if (!o->nomem && yq_buf_add(&o->b, s, n) != 0) {
        o->nomem = true;
    }
}

static void puts_(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static bool is_word_start(char c)
{
    return isalpha((unsigned char)c) || c == '_';
}

static bool is_word(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Index just past the quoted section starting at s[i] (quote q, doubled to escape). */
static size_t skip_quoted(const char *s, size_t i, char q)
{
    for (i++; s[i]; i++) {
        if (s[i] == q) {
            if (s[i + 1] == q) {
                i++;
                continue;
            }
            return i + 1;
        }
    }
    return i;
}

/* Index past spaces and comments from i. */
static size_t skip_space(const char *s, size_t i)
{
    for (;;) {
        while (isspace((unsigned char)s[i])) {
            i++;
        }
        if (s[i] == '-' && s[i + 1] == '-') {
            while (s[i] && s[i] != '\n') {
                i++;
            }
        } else if (s[i] == '/' && s[i + 1] == '*') {
            const char *e = strstr(s + i + 2, "*/");
            i = e ? (size_t)(e - s) + 2 : strlen(s);
        } else {
            return i;
        }
    }
}

static bool word_eq(const char *s, size_t i, size_t n, const char *w)
{
    return strlen(w) == n && strncasecmp(s + i, w, n) == 0;
}

/* The length of the word at s[i] (0 when none). */
static size_t word_len(const char *s, size_t i)
{
    size_t n = 0;
    if (!is_word_start(s[i])) {
        return 0;
    }
    while (is_word(s[i + n])) {
        n++;
    }
    return n;
}

/* Whether the call whose '(' is at s[i] has a comma at its top level. */
static bool has_top_comma(const char *s, size_t i)
{
    int depth = 0;
    for (; s[i]; i++) {
        char c = s[i];
        if (c == '\'' || c == '"') {
            i = skip_quoted(s, i, c) - 1;
        } else if (c == '(') {
            depth++;
        } else if (c == ')') {
            if (--depth == 0) {
                return false;
            }
        } else if (c == ',' && depth == 1) {
            return true;
        }
    }
    return false;
}

char *yq_db_pg_translate(const char *sql, int *n_params)
{
    struct out o;
    size_t i = 0;
    int seq = 0, max_num = 0, depth = 0;
    bool insert_ignore = false;

    out_init(&o);

    while (sql[i]) {
        char c = sql[i];
        if (c == '\'' || c == '"') {
            size_t e = skip_quoted(sql, i, c);
            put(&o, sql + i, e - i);
            i = e;
        } else if ((c == '-' && sql[i + 1] == '-') || (c == '/' && sql[i + 1] == '*')) {
            size_t e = skip_space(sql, i);
            put(&o, sql + i, e - i);
            i = e;
        } else if (c == '?') {
            char num[16];
            int n;
            i++;
            if (isdigit((unsigned char)sql[i])) {
                n = 0;
                while (isdigit((unsigned char)sql[i]) && n < 100000) {
                    n = n * 10 + (sql[i++] - '0');
                }
                if (n > max_num) {
                    max_num = n;
                }
            } else {
                n = ++seq;
            }
            snprintf(num, sizeof(num), "$%d", n);
            puts_(&o, num);
        } else if (c == '(' || c == ')') {
            depth += c == '(' ? 1 : -1;
            put(&o, &c, 1);
            i++;
        } else if (c == ';' && depth == 0) {
            if (insert_ignore) {
                puts_(&o, " ON CONFLICT DO NOTHING");
                insert_ignore = false;
            }
            put(&o, &c, 1);
            i++;
        } else if (is_word_start(c) && (i == 0 || (!is_word(sql[i - 1]) && sql[i - 1] != '.' &&
                                                   sql[i - 1] != '$'))) {
            size_t n = word_len(sql, i), j = skip_space(sql, i + n);
            if (word_eq(sql, i, n, "LIKE")) {
                puts_(&o, "ILIKE");
            } else if (word_eq(sql, i, n, "IFNULL")) {
                puts_(&o, "COALESCE");
            } else if (word_eq(sql, i, n, "instr") && sql[j] == '(') {
                puts_(&o, "strpos");
            } else if ((word_eq(sql, i, n, "max") || word_eq(sql, i, n, "min")) && sql[j] == '(' &&
                       has_top_comma(sql, j)) {
                puts_(&o, tolower((unsigned char)sql[i + 1]) == 'a' ? "GREATEST" : "LEAST");
            } else if (word_eq(sql, i, n, "INSERT") && word_eq(sql, j, word_len(sql, j), "OR")) {
                size_t k = skip_space(sql, j + 2), kn = word_len(sql, k);
                if (word_eq(sql, k, kn, "IGNORE")) {
                    puts_(&o, "INSERT");
                    insert_ignore = true;
                    i = k + kn;
                    continue;
                }
                put(&o, sql + i, n);
            } else if (word_eq(sql, i, n, "RETURNING") && insert_ignore && depth == 0) {
                puts_(&o, "ON CONFLICT DO NOTHING RETURNING");
                insert_ignore = false;
            } else if (word_eq(sql, i, n, "IS")) {
                size_t k = j, kn = word_len(sql, k);
                bool neg = word_eq(sql, k, kn, "NOT");
                if (neg) {
                    k = skip_space(sql, k + kn);
                    kn = word_len(sql, k);
                }
                if (word_eq(sql, k, kn, "NULL") || word_eq(sql, k, kn, "TRUE") ||
                    word_eq(sql, k, kn, "FALSE") || word_eq(sql, k, kn, "DISTINCT") ||
                    word_eq(sql, k, kn, "UNKNOWN")) {
                    put(&o, sql + i, n);
                } else {
                    puts_(&o, neg ? "IS DISTINCT FROM " : "IS NOT DISTINCT FROM ");
                    i = k;
                    continue;
                }
            } else {
                put(&o, sql + i, n);
            }
            i += n;
        } else if (is_word(c)) {
            size_t n = 0;
            while (is_word(sql[i + n])) {
                n++;
            }
            put(&o, sql + i, n);
            i += n;
        } else {
            put(&o, &c, 1);
            i++;
        }
    }
    if (insert_ignore) {
        puts_(&o, " ON CONFLICT DO NOTHING");
    }
    if (!o.b.data) {
        puts_(&o, "");
    }
    if (o.nomem) {
        yq_buf_release(&o.b);
        return NULL;
    }
    if (n_params) {
        *n_params = seq > max_num ? seq : max_num;
    }
    return o.b.data; /* moved to the caller */
}

/* --- errors -------------------------------------------------------------------------- */

/* The raw code of a failed result's SQLSTATE. */
static int code_of(const char *state)
{
    if (!state || strlen(state) != 5) {
        return YQ_DB_IOERR; /* no SQLSTATE: the connection failed */
    }
    if (strncmp(state, "23", 2) == 0) {
        return YQ_DB_CONSTRAINT;
    }
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
        strcmp(state, "55P03") == 0 || strcmp(state, "57014") == 0) {
        return YQ_DB_BUSY;
    }
    if (strcmp(state, "53200") == 0) {
        return YQ_DB_NOMEM;
    }
    if (strncmp(state, "53", 2) == 0) {
        return YQ_DB_FULL;
    }
    if (strcmp(state, "22001") == 0 || strncmp(state, "54", 2) == 0) {
        /* a value too long for its column or its index (an index row is at most ~2.7 KB,
           SQLite has no such limit): this row is refused, as SQLITE_TOOBIG */
        return YQ_DB_TOOBIG;
    }
    if (strncmp(state, "22", 2) == 0) {
        /* the rest of class 22 (data exception: 22021 text that is not UTF-8, 22P02 a number
           that does not parse, 22003 out of range, 22007 a bad date...): the values' fault, never
           the server's; yq_db_err() -> ERR_INVALID, which callers answer as a client error
           (the web: 400), not as a store that is down (issue #16) */
        return YQ_DB_MISMATCH;
    }
    if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P", 3) == 0) {
        return YQ_DB_IOERR;
    }
    if (strcmp(state, "25006") == 0) {
        return YQ_DB_READONLY;
    }
    return YQ_DB_ERROR;
}

/* Keep res's (or the connection's) message as the last error; return its raw code. */
static int fail_res(struct pg_conn *c, const PGresult *res)
{
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(c->conn);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    size_t n;

    snprintf(c->errmsg, sizeof(c->errmsg), "%s", msg && msg[0] ? msg : "postgresql error");
    n = strlen(c->errmsg);
    while (n > 0 && (c->errmsg[n - 1] == '\n' || c->errmsg[n - 1] == ' ')) {
        c->errmsg[--n] = '\0';
    }
    if (state && strlen(state) == 5) {
        snprintf(c->errmsg + n, sizeof(c->errmsg) - n, " [%s]", state);
    }
    return code_of(state);
}

/* --- connection ---------------------------------------------------------------------- */

static int pipeline_drain(struct pg_conn *c, PGresult **keep);

static void cache_clear(struct pg_conn *c)
{
    for (size_t b = 0; b < CACHE_BUCKETS; b++) {
        struct cache_entry *e = c->cache[b], *next;
        for (; e; e = next) {
            next = e->next;
            free(e->key);
            free(e);
        }
        c->cache[b] = NULL;
    }
}

/* Settings of every session (see yq_db.h). */
static int session_setup(struct yq_db *db)
{
    struct pg_conn *c = C(db);
    char sql[256];
    PGresult *res;
    int rc = YQ_DB_OK;

    snprintf(sql, sizeof(sql),
             "SET TimeZone = 'UTC'; SET client_min_messages = warning; SET lock_timeout = %lld;"
             "%s",
             (long long)db->busy_timeout_ms,
             (db->flags & YQ_DB_READONLY_OPEN) ? " SET default_transaction_read_only = on;" : "");
    res = PQexec(c->conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = fail_res(c, res);
    }
    PQclear(res);
    return rc;
}

/* Whether the link is usable as far as this client can tell (libpq's status, not broken). */
static bool link_up(const struct pg_conn *c)
{
    return !c->broken && PQstatus(c->conn) == CONNECTION_OK;
}

/* Re-establish a lost connection (outside a transaction). YQ_DB_OK when usable. */
static int ensure_conn(struct yq_db *db)
{
    struct pg_conn *c = C(db);

    /* read what the server sent while idle: a shutdown or terminate closes the socket, found
       here instead of by the next statement failing (one non-blocking read) */
    if (link_up(c) && !c->tx_open) {
        (void)PQconsumeInput(c->conn);
    }
    if (link_up(c)) {
        return YQ_DB_OK;
    }
    if (c->tx_open) {
        snprintf(c->errmsg, sizeof(c->errmsg),
                 "connection to the server lost inside a transaction (rolled back there): roll "
                 "back and retry");
        return YQ_DB_IOERR;
    }
    cache_clear(c);
    c->broken = false; /* a new session: libpq leaves pipeline mode with the old one */
    c->piped = false;
    c->n_pending = 0;
    PQreset(c->conn);
    if (PQstatus(c->conn) != CONNECTION_OK) {
        return fail_res(c, NULL);
    }
    LOG_WARN("postgresql connection re-established location='%s'", db->location);
    return session_setup(db);
}

/*
 * libpq's notice receiver: what the server sends besides errors (client_min_messages = warning:
 * its WARNINGs, such as yq_json_array()'s on a corrupt column, yq_db.h) goes to the log as one
 * warning with the server's primary message, instead of libpq's bare line on stderr.
 */
static void p_notice(void *arg, const PGresult *res)
{
    const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

    (void)arg;
    LOG_WARN("%s (postgresql server)", msg ? msg : "notice without a message");
}

static int p_open(struct yq_db *db, const char *location, unsigned flags, int64_t busy_timeout_ms,
                  char *errbuf, size_t errlen)
{
    struct pg_conn *c = calloc(1, sizeof(*c));
    int rc;

    (void)busy_timeout_ms;
    if (!c) {
        return ERR_NOMEM;
    }
    c->conninfo = strdup(location);
    if (!c->conninfo) {
        free(c);
        return ERR_NOMEM;
    }
    c->serialized = (flags & YQ_DB_SERIALIZED) != 0;
    pthread_mutex_init(&c->mu, NULL);
    db->impl = c;
    {
        /*
         * Defaults the URL may override: a connect that cannot finish in 10 s fails, and a
         * peer that vanished without a reset (a cut network) is found within about a minute
         * (TCP keepalives, tcp_user_timeout), so that its session — and the leader lock it
         * holds — ends instead of lasting the kernel's TCP timeout (review of #16).
         */
        static const char *const keys[] = {
            "connect_timeout", "keepalives",       "keepalives_idle", "keepalives_interval",
            "keepalives_count", "tcp_user_timeout", "dbname",           NULL,
        };
        const char *values[] = {"10", "1", "30", "10", "3", "60000", location, NULL};
        /* libpq takes the arrays in order and the last value of a key wins: the location,
           expanded last (expand_dbname), overrides any default; the location's text is never
           edited (a '?' inside its password made the old appended "&key=" part of the
           database name) */
        c->conn = PQconnectdbParams(keys, values, 1);
    }
    if (!c->conn) {
        free(c->conninfo);
        free(c);
        db->impl = NULL;
        return ERR_NOMEM;
    }
    if (PQstatus(c->conn) != CONNECTION_OK) {
        const char *m = PQerrorMessage(c->conn);
        size_t n;
        snprintf(errbuf, errlen, "cannot connect to '%s': %s", db->location,
                 m && m[0] ? m : "connection failed");
        n = strlen(errbuf);
        while (n > 0 && errbuf[n - 1] == '\n') {
            errbuf[--n] = '\0';
        }
        PQfinish(c->conn);
        free(c->conninfo);
        free(c);
        db->impl = NULL;
        return ERR_IO;
    }
    PQsetNoticeReceiver(c->conn, p_notice, NULL); /* kept across PQreset() */
    rc = session_setup(db);
    if (rc != YQ_DB_OK) {
        snprintf(errbuf, errlen, "database '%s': session settings: %s", db->location, c->errmsg);
        PQfinish(c->conn);
        free(c->conninfo);
        free(c);
        db->impl = NULL;
        return yq_db_err_of(rc);
    }
    return 0;
}

static void p_close(struct yq_db *db)
{
    struct pg_conn *c = C(db);
    (void)pipeline_drain(c, NULL);
    PQfinish(c->conn);
    cache_clear(c);
    pthread_mutex_destroy(&c->mu);
    free(c->conninfo);
    free(c);
}

static const char *p_errmsg(struct yq_db *db)
{
    return C(db)->errmsg;
}

static int64_t p_changes(struct yq_db *db)
{
    return C(db)->changes;
}

static bool p_in_transaction(struct yq_db *db)
{
    PGTransactionStatusType t;

    if (C(db)->broken) {
        return C(db)->tx_open; /* libpq's view of a broken link says nothing */
    }
    t = PQtransactionStatus(C(db)->conn);
    return C(db)->tx_open || t == PQTRANS_INTRANS || t == PQTRANS_INERROR ||
           t == PQTRANS_ACTIVE;
}

/* Note the server's transaction state after a call (kept as it was when the link broke). */
static void track_tx(struct pg_conn *c)
{
    if (link_up(c)) {
        PGTransactionStatusType t = PQtransactionStatus(c->conn);
        c->tx_open = t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
    }
}

/*
 * Read the answers of the pipeline on the locked connection and leave pipeline mode. With
 * keep: the last statement sent is not a deferred one; its result goes to *keep (NULL when
 * it did not run). Returns YQ_DB_OK or the first failed deferred statement's code (its
 * message kept); a lost connection is YQ_DB_IOERR.
 */
static int pipeline_drain(struct pg_conn *c, PGresult **keep)
{
    int rc = YQ_DB_OK, n_results = c->n_pending + (keep ? 1 : 0), query = 0, nulls = 0;
    bool synced = false;

    if (keep) {
        *keep = NULL;
    }
    if (!c->piped) {
        return YQ_DB_OK;
    }
    if (!PQpipelineSync(c->conn)) {
        rc = fail_res(c, NULL);
    }
    while (rc != YQ_DB_IOERR && !synced) {
        PGresult *res = PQgetResult(c->conn);
        if (!res) {
            if (PQstatus(c->conn) != CONNECTION_OK || ++nulls > 1) {
                /* lost, or out of step (two ends in a row: no sync will come) */
                rc = PQstatus(c->conn) != CONNECTION_OK ? fail_res(c, NULL) : YQ_DB_IOERR;
                if (nulls > 1) {
                    snprintf(c->errmsg, sizeof(c->errmsg), "pipeline answers out of step");
                }
                break;
            }
            query++; /* the end of one statement's results */
            continue;
        }
        nulls = 0;
        switch (PQresultStatus(res)) {
        case PGRES_PIPELINE_SYNC:
            synced = true;
            break;
        case PGRES_COMMAND_OK:
        case PGRES_TUPLES_OK:
        case PGRES_PIPELINE_ABORTED:
            break;
        default:
            if (rc == YQ_DB_OK && !(keep && query == n_results - 1)) {
                char why[sizeof(c->errmsg)];
                rc = fail_res(c, res);
                /* reported by a later call under that call's name: say it was an earlier one */
                snprintf(why, sizeof(why), "%s", c->errmsg);
                snprintf(c->errmsg, sizeof(c->errmsg), "an earlier deferred write failed: %.*s",
                         (int)(sizeof(c->errmsg) - 40), why);
            }
        }
        if (keep && query == n_results - 1 && PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
            PQclear(*keep);
            *keep = res;
        } else {
            PQclear(res);
        }
    }
    if (!PQexitPipelineMode(c->conn) && PQstatus(c->conn) == CONNECTION_OK) {
        /* answers left unread: cannot happen after the sync; say so rather than go on */
        if (rc == YQ_DB_OK) {
            rc = fail_res(c, NULL);
        }
    }
    c->piped = false;
    c->n_pending = 0;
    if (!synced) {
        c->broken = true; /* libpq may still be in pipeline mode with answers unread */
        if (rc == YQ_DB_OK) {
            rc = YQ_DB_IOERR;
        }
    }
    track_tx(c);
    if (rc != YQ_DB_OK && keep) {
        PQclear(*keep);
        *keep = NULL;
    }
    return rc;
}

/* Whether sql starts with the word w (case-insensitive, after spaces and comments). */
static bool starts_word(const char *sql, const char *w);

/* Run a simple query (no parameters) on the locked connection. */
static int simple(struct yq_db *db, const char *sql)
{
    struct pg_conn *c = C(db);
    PGresult *res;
    int rc = YQ_DB_OK;

    if (c->piped && (rc = pipeline_drain(c, NULL)) != YQ_DB_OK && !starts_word(sql, "ROLLBACK")) {
        return rc; /* a deferred statement failed: the transaction is aborted */
    }
    rc = YQ_DB_OK;

    if (db->trace) {
        db->trace(db->trace_arg, sql);
    }
    if (c->tx_open && !link_up(c)) {
        /* the transaction died with the connection */
        if (starts_word(sql, "ROLLBACK")) {
            c->tx_open = false; /* nothing left to undo: the server rolled it back */
            return ensure_conn(db);
        }
        if (starts_word(sql, "COMMIT") || starts_word(sql, "END")) {
            c->tx_open = false;
            snprintf(c->errmsg, sizeof(c->errmsg),
                     "connection to the server lost inside the transaction: nothing was "
                     "committed");
            return YQ_DB_IOERR;
        }
        return ensure_conn(db); /* fails: the caller must roll back first */
    }
    if ((starts_word(sql, "COMMIT") || starts_word(sql, "END")) && !p_in_transaction(db)) {
        snprintf(c->errmsg, sizeof(c->errmsg), "cannot commit - no transaction is active");
        return YQ_DB_ERROR; /* as SQLite says; PostgreSQL would only warn */
    }
    if (!p_in_transaction(db) && (rc = ensure_conn(db)) != YQ_DB_OK) {
        return rc;
    }
    res = PQexec(c->conn, sql);
    track_tx(c);
    switch (PQresultStatus(res)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
        c->changes = atoll(PQcmdTuples(res));
        break;
    default:
        rc = fail_res(c, res);
    }
    PQclear(res);
    return rc;
}

/* The transaction-control verb sql starts with (BEGIN, COMMIT ...) and its length, or 0. */
static bool starts_word(const char *sql, const char *w)
{
    size_t i = skip_space(sql, 0), n = word_len(sql, i);
    return word_eq(sql, i, n, w);
}

static int begin_write_locked(struct yq_db *db)
{
    char sql[160];
    bool was_open = p_in_transaction(db);
    int rc;

    /* one lock per schema: two stores in one database (the tests' schemas) do not wait for
       each other's writers */
    snprintf(sql, sizeof(sql),
             "BEGIN; SELECT pg_advisory_xact_lock(%lld # CAST(hashtext(current_schema()) AS "
             "BIGINT))",
             (long long)YQ_DB_WRITE_LOCK_KEY);
    rc = simple(db, sql);
    if (rc != YQ_DB_OK && !was_open && p_in_transaction(db)) {
        /* the lock timed out after BEGIN: leave no aborted transaction behind (SQLite's
           failed BEGIN IMMEDIATE leaves none), so the caller's retry starts afresh; the
           lock's error stays the message */
        PGresult *res = PQexec(C(db)->conn, "ROLLBACK");
        PQclear(res);
        track_tx(C(db));
    }
    return rc;
}

static int p_exec(struct yq_db *db, const char *sql)
{
    struct pg_conn *c = C(db);
    int rc;

    lock(c);
    if (starts_word(sql, "BEGIN")) {
        size_t i = skip_space(sql, 0) + 5, j = skip_space(sql, i), n = word_len(sql, j);
        if (word_eq(sql, j, n, "IMMEDIATE") || word_eq(sql, j, n, "EXCLUSIVE")) {
            size_t k = skip_space(sql, j + n);
            if (sql[k] == ';') {
                k = skip_space(sql, k + 1);
            }
            rc = begin_write_locked(db);
            if (rc == YQ_DB_OK && sql[k]) {
                char *t = yq_db_pg_translate(sql + k, NULL);
                rc = t ? simple(db, t) : YQ_DB_NOMEM;
                free(t);
            }
            unlock(c);
            return rc;
        }
    }
    if (starts_word(sql, "PRAGMA")) {
        unlock(c); /* SQLite's settings have no meaning here */
        return YQ_DB_OK;
    }
    char *t = yq_db_pg_translate(sql, NULL);
    rc = t ? simple(db, t) : YQ_DB_NOMEM;
    free(t);
    unlock(c);
    return rc;
}

static int p_begin_write(struct yq_db *db)
{
    int rc;
    lock(C(db));
    rc = begin_write_locked(db);
    unlock(C(db));
    return rc;
}

/* --- statements ---------------------------------------------------------------------- */

static int p_prepare(struct yq_db *db, const char *sql, struct yq_stmt *st)
{
    struct pg_stmt *p = calloc(1, sizeof(*p));

    (void)db;
    if (!p) {
        return YQ_DB_NOMEM;
    }
    p->sql = yq_db_pg_translate(sql, &p->n_params);
    if (!p->sql) {
        free(p);
        return YQ_DB_NOMEM;
    }
    p->direct = starts_word(sql, "BEGIN") || starts_word(sql, "COMMIT") ||
                starts_word(sql, "ROLLBACK") || starts_word(sql, "END") ||
                starts_word(sql, "SAVEPOINT") || starts_word(sql, "RELEASE") ||
                starts_word(sql, "PRAGMA");
    p->per_call = strncmp(sql, YQ_DB_PLAN_PER_CALL, strlen(YQ_DB_PLAN_PER_CALL)) == 0;
    if (p->n_params > 0) {
        p->values = calloc((size_t)p->n_params, sizeof(*p->values));
        p->lengths = calloc((size_t)p->n_params, sizeof(*p->lengths));
        p->types = calloc((size_t)p->n_params, sizeof(*p->types));
        if (!p->values || !p->lengths || !p->types) {
            free(p->values);
            free(p->lengths);
            free(p->types);
            free(p->sql);
            free(p);
            return YQ_DB_NOMEM;
        }
    }
    p->row = -1;
    st->impl = p;
    return YQ_DB_OK;
}

static void clear_result(struct pg_stmt *p)
{
    PQclear(p->res);
    p->res = NULL;
    p->row = -1;
    p->nrows = 0;
}

static void p_finalize(struct yq_stmt *st)
{
    struct pg_stmt *p = P(st);
    clear_result(p);
    for (int i = 0; i < p->n_params; i++) {
        free(p->values[i]);
    }
    free(p->values);
    free(p->lengths);
    free(p->types);
    free(p->sql);
    free(p);
}

static int set_param(struct yq_stmt *st, int i, const char *s, size_t n, Oid type)
{
    struct pg_stmt *p = P(st);
    char *v = NULL;

    if (i < 1 || i > p->n_params) {
        return YQ_DB_RANGE;
    }
    if (n > (size_t)INT32_MAX - 1) {
        return YQ_DB_TOOBIG;
    }
    if (s) {
        v = malloc(n + 1);
        if (!v) {
            return YQ_DB_NOMEM;
        }
        memcpy(v, s, n);
        v[n] = '\0';
    }
    free(p->values[i - 1]);
    p->values[i - 1] = v;
    p->lengths[i - 1] = (int)n;
    p->types[i - 1] = type;
    return YQ_DB_OK;
}

static int p_bind_int64(struct yq_stmt *st, int i, int64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof(buf), "%lld", (long long)v);
    return set_param(st, i, buf, (size_t)n, OID_INT8);
}

static int p_bind_double(struct yq_stmt *st, int i, double v)
{
    char buf[40];
    int n = snprintf(buf, sizeof(buf), "%.17g", v);
    return set_param(st, i, buf, (size_t)n, OID_FLOAT8);
}

static int p_bind_textn(struct yq_stmt *st, int i, const char *s, size_t n)
{
    if (memchr(s, '\0', n)) {
        return YQ_DB_MISMATCH; /* PostgreSQL text cannot hold NUL */
    }
    return set_param(st, i, s, n, OID_TEXT);
}

static int p_bind_null(struct yq_stmt *st, int i)
{
    return set_param(st, i, NULL, 0, 0);
}

static int p_bind_count(struct yq_stmt *st)
{
    return P(st)->n_params;
}

static uint32_t hash(const char *s)
{
    return yq_fnv1a32(s);
}

/*
 * The server-side name of st's statement, prepared now when not cached. typed: prepare with the
 * bound values' types (after 42P18). Returns a raw code; *name borrowed from the cache.
 */
static int prepared_name(struct yq_db *db, struct pg_stmt *p, bool typed, const char **name)
{
    struct pg_conn *c = C(db);
    struct out key;
    struct cache_entry *e;
    Oid *types = NULL;
    uint32_t b;
    PGresult *res;
    int rc;

    out_init(&key);
    puts_(&key, p->sql);
    if (typed) {
        types = calloc((size_t)(p->n_params > 0 ? p->n_params : 1), sizeof(*types));
        if (!types) {
            yq_buf_release(&key.b);
            return YQ_DB_NOMEM;
        }
        put(&key, "\x1f", 1);
        for (int i = 0; i < p->n_params; i++) {
            char t[12];
            types[i] = p->types[i] ? p->types[i] : OID_TEXT;
            snprintf(t, sizeof(t), "%u,", (unsigned)types[i]);
            puts_(&key, t);
        }
    }
    if (key.nomem) {
        yq_buf_release(&key.b);
        free(types);
        return YQ_DB_NOMEM;
    }
    b = hash(key.b.data) % CACHE_BUCKETS;
    for (e = c->cache[b]; e; e = e->next) {
        if (strcmp(e->key, key.b.data) == 0) {
            yq_buf_release(&key.b);
            free(types);
            *name = e->name;
            return YQ_DB_OK;
        }
    }
    e = calloc(1, sizeof(*e));
    if (!e) {
        yq_buf_release(&key.b);
        free(types);
        return YQ_DB_NOMEM;
    }
    snprintf(e->name, sizeof(e->name), "yq%llu", (unsigned long long)++c->next_name);
    res = PQprepare(c->conn, e->name, p->sql, p->n_params, types);
    free(types);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        rc = fail_res(c, res);
        PQclear(res);
        yq_buf_release(&key.b);
        free(e);
        return rc;
    }
    PQclear(res);
    e->key = key.b.data; /* moved into the cache */
    e->next = c->cache[b];
    c->cache[b] = e;
    *name = e->name;
    return YQ_DB_OK;
}

/* 42P08 (ambiguous parameter: "could not determine data type of parameter"), 42P18, ... */
static bool indeterminate(struct pg_conn *c)
{
    return strstr(c->errmsg, "[42P08]") != NULL || strstr(c->errmsg, "[42P18]") != NULL ||
           strstr(c->errmsg, "[42725]") != NULL || strstr(c->errmsg, "[42883]") != NULL;
}

/* The cache entry of the untyped text sql, or NULL. */
static struct cache_entry *cache_find(struct pg_conn *c, const char *sql)
{
    struct cache_entry *e = c->cache[hash(sql) % CACHE_BUCKETS];
    for (; e && strcmp(e->key, sql) != 0; e = e->next) {
    }
    return e;
}

/*
 * Remember that the untyped text sql cannot be prepared (an entry with an empty name), so that
 * its next runs go straight to the typed prepare. Out of memory: not remembered.
 */
static void cache_mark_typed(struct pg_conn *c, const char *sql)
{
    struct cache_entry *e = calloc(1, sizeof(*e));
    uint32_t b = hash(sql) % CACHE_BUCKETS;

    if (!e || !(e->key = strdup(sql))) {
        free(e);
        return;
    }
    e->next = c->cache[b];
    c->cache[b] = e;
}

/* Run a savepoint command on the locked connection, not traced. Returns a raw code. */
static int savepoint(struct pg_conn *c, const char *sql)
{
    PGresult *res = PQexec(c->conn, sql);
    int rc = PQresultStatus(res) == PGRES_COMMAND_OK ? YQ_DB_OK : fail_res(c, res);
    PQclear(res);
    return rc;
}

/*
 * The server-side name of p's statement: prepared untyped (the server infers each parameter's
 * type from its context) or, where the server cannot (42P08, 42P18, 42725, 42883), with the
 * bound values' types; such a text is remembered and typed at once from then on. Inside a
 * transaction the untyped attempt runs under a savepoint, so that its failure does not abort
 * the caller's transaction (one PREPARE per text and connection: the cost is paid once).
 */
static int prepare_stmt(struct yq_db *db, struct pg_stmt *p, const char **name)
{
    struct pg_conn *c = C(db);
    struct cache_entry *e = cache_find(c, p->sql);
    bool txn;
    int rc;

    if (e) {
        if (e->name[0]) {
            *name = e->name;
            return YQ_DB_OK;
        }
        return prepared_name(db, p, true, name);
    }
    txn = p_in_transaction(db);
    if (txn && (rc = savepoint(c, "SAVEPOINT yq_prepare")) != YQ_DB_OK) {
        return rc;
    }
    rc = prepared_name(db, p, false, name);
    if (rc != YQ_DB_OK && indeterminate(c)) {
        if (txn && (rc = savepoint(c, "ROLLBACK TO SAVEPOINT yq_prepare")) != YQ_DB_OK) {
            return rc;
        }
        cache_mark_typed(c, p->sql);
        rc = prepared_name(db, p, true, name);
    }
    if (txn && rc == YQ_DB_OK) {
        rc = savepoint(c, "RELEASE SAVEPOINT yq_prepare");
    }
    return rc;
}

static int p_step(struct yq_stmt *st)
{
    struct yq_db *db = st->db;
    struct pg_conn *c = C(db);
    struct pg_stmt *p = P(st);
    const char *name = NULL;
    PGresult *res;
    int rc;

    if (p->row >= 0 || p->res) {
        if (p->res && p->row + 1 < p->nrows) {
            p->row++;
            return YQ_DB_ROW;
        }
        return YQ_DB_DONE;
    }
    if (p->direct) {
        rc = p_exec(db, p->sql);
        p->row = 0;
        return rc == YQ_DB_OK ? YQ_DB_DONE : rc;
    }
    lock(c);
    if (db->trace) {
        db->trace(db->trace_arg, p->sql);
    }
    if (c->piped) {
        /* deferred statements wait: send this one after them and read all answers at once
           when it is prepared already; else read theirs first (PQprepare is synchronous) */
        struct cache_entry *e = p->per_call ? NULL : cache_find(c, p->sql);
        if (p->per_call
                ? PQsendQueryParams(c->conn, p->sql, p->n_params, NULL,
                                    (const char *const *)p->values, p->lengths, NULL, 0)
                : e && e->name[0] &&
                      PQsendQueryPrepared(c->conn, e->name, p->n_params,
                                          (const char *const *)p->values, p->lengths, NULL, 0)) {
            rc = pipeline_drain(c, &res);
            if (rc != YQ_DB_OK) {
                unlock(c);
                return rc;
            }
            if (!res) {
                rc = fail_res(c, NULL);
                unlock(c);
                return rc;
            }
            goto have_result;
        }
        if ((rc = pipeline_drain(c, NULL)) != YQ_DB_OK) {
            unlock(c);
            return rc;
        }
    }
    if ((!p_in_transaction(db) || !link_up(c)) &&
        (rc = ensure_conn(db)) != YQ_DB_OK) {
        unlock(c);
        return rc;
    }
    if (p->per_call) {
        /* the unnamed statement: parsed and planned with these values (a custom plan) */
        res = PQexecParams(c->conn, p->sql, p->n_params, NULL, (const char *const *)p->values,
                           p->lengths, NULL, 0);
    } else {
        rc = prepare_stmt(db, p, &name);
        if (rc != YQ_DB_OK) {
            unlock(c);
            return rc;
        }
        res = PQexecPrepared(c->conn, name, p->n_params, (const char *const *)p->values,
                             p->lengths, NULL, 0);
    }
    track_tx(c);
have_result:
    switch (PQresultStatus(res)) {
    case PGRES_TUPLES_OK:
        p->res = res;
        p->nrows = PQntuples(res);
        c->changes = atoll(PQcmdTuples(res));
        p->row = 0;
        unlock(c);
        if (p->nrows > 0) {
            return YQ_DB_ROW;
        }
        return YQ_DB_DONE;
    case PGRES_COMMAND_OK:
        c->changes = atoll(PQcmdTuples(res));
        PQclear(res);
        p->row = 0;
        unlock(c);
        return YQ_DB_DONE;
    default:
        rc = fail_res(c, res);
        PQclear(res);
        unlock(c);
        return rc;
    }
}

/*
 * Send st into the pipeline without waiting (yq_stmt_step_deferred): inside a transaction on a
 * live connection when its text is prepared already; otherwise it runs now (p_step).
 */
static int p_step_deferred(struct yq_stmt *st)
{
    struct yq_db *db = st->db;
    struct pg_conn *c = C(db);
    struct pg_stmt *p = P(st);
    struct cache_entry *e;
    int rc;

    if (p->direct || p->row >= 0 || p->res) {
        rc = p_step(st);
        return rc == YQ_DB_ROW ? YQ_DB_DONE : rc;
    }
    lock(c);
    e = cache_find(c, p->sql);
    if (!e || !e->name[0] || !c->tx_open || !link_up(c) ||
        PQtransactionStatus(c->conn) == PQTRANS_INERROR) {
        unlock(c);
        rc = p_step(st); /* the first run prepares it; outside a transaction, run at once */
        return rc == YQ_DB_ROW ? YQ_DB_DONE : rc;
    }
    if (db->trace) {
        db->trace(db->trace_arg, p->sql);
    }
    if (!c->piped) {
        if (!PQenterPipelineMode(c->conn)) {
            rc = fail_res(c, NULL);
            unlock(c);
            return rc;
        }
        c->piped = true;
    }
    if (!PQsendQueryPrepared(c->conn, e->name, p->n_params, (const char *const *)p->values,
                             p->lengths, NULL, 0)) {
        snprintf(c->errmsg, sizeof(c->errmsg), "%s", PQerrorMessage(c->conn));
        rc = pipeline_drain(c, NULL);
        unlock(c);
        return rc != YQ_DB_OK ? rc : YQ_DB_IOERR;
    }
    p->row = 0; /* done, as after a step */
    rc = ++c->n_pending >= PIPELINE_MAX_PENDING ? pipeline_drain(c, NULL) : YQ_DB_OK;
    unlock(c);
    return rc == YQ_DB_OK ? YQ_DB_DONE : rc;
}

static int p_flush(struct yq_db *db)
{
    int rc;
    lock(C(db));
    rc = pipeline_drain(C(db), NULL);
    unlock(C(db));
    return rc;
}

static int p_reset(struct yq_stmt *st)
{
    clear_result(P(st));
    return YQ_DB_OK;
}

static int p_clear_bindings(struct yq_stmt *st)
{
    struct pg_stmt *p = P(st);
    for (int i = 0; i < p->n_params; i++) {
        free(p->values[i]);
        p->values[i] = NULL;
        p->lengths[i] = 0;
        p->types[i] = 0;
    }
    return YQ_DB_OK;
}

static bool has_row(struct pg_stmt *p, int col)
{
    return p->res && p->row >= 0 && p->row < p->nrows && col >= 0 && col < PQnfields(p->res);
}

static int p_column_count(struct yq_stmt *st)
{
    struct pg_stmt *p = P(st);
    return p->res ? PQnfields(p->res) : 0;
}

static const char *p_column_name(struct yq_stmt *st, int col)
{
    struct pg_stmt *p = P(st);
    return p->res && col >= 0 && col < PQnfields(p->res) ? PQfname(p->res, col) : NULL;
}

static int p_column_type(struct yq_stmt *st, int col)
{
    struct pg_stmt *p = P(st);
    if (!has_row(p, col) || PQgetisnull(p->res, p->row, col)) {
        return YQ_DB_NULL;
    }
    switch (PQftype(p->res, col)) {
    case OID_BOOL:
    case OID_INT2:
    case OID_INT4:
    case OID_INT8:
    case OID_OID:
        return YQ_DB_INTEGER;
    case OID_FLOAT4:
    case OID_FLOAT8:
        return YQ_DB_FLOAT;
    case OID_NUMERIC:
        return strpbrk(PQgetvalue(p->res, p->row, col), ".eE") ? YQ_DB_FLOAT : YQ_DB_INTEGER;
    case OID_BYTEA:
        return YQ_DB_BLOB;
    default:
        return YQ_DB_TEXT;
    }
}

static const char *p_column_text(struct yq_stmt *st, int col)
{
    struct pg_stmt *p = P(st);
    const char *v;

    if (!has_row(p, col) || PQgetisnull(p->res, p->row, col)) {
        return NULL;
    }
    v = PQgetvalue(p->res, p->row, col);
    if (PQftype(p->res, col) == OID_BOOL) {
        return v[0] == 't' ? "1" : "0";
    }
    return v;
}

static int64_t p_column_int64(struct yq_stmt *st, int col)
{
    const char *v = p_column_text(st, col);
    if (!v) {
        return 0;
    }
    if (strpbrk(v, ".eE")) {
        double d = strtod(v, NULL);
        return d >= 9.2e18 ? INT64_MAX : d <= -9.2e18 ? INT64_MIN : (int64_t)d;
    }
    return strtoll(v, NULL, 10);
}

static double p_column_double(struct yq_stmt *st, int col)
{
    const char *v = p_column_text(st, col);
    return v ? strtod(v, NULL) : 0.0;
}

static int p_column_bytes(struct yq_stmt *st, int col)
{
    struct pg_stmt *p = P(st);
    if (!has_row(p, col) || PQgetisnull(p->res, p->row, col)) {
        return 0;
    }
    return (int)strlen(p_column_text(st, col));
}

/* Run sql with text parameters on the locked connection; *res on PGRES_TUPLES_OK. */
static int run_params(struct yq_db *db, const char *sql, int n, const char *const *values,
                      PGresult **out)
{
    struct pg_conn *c = C(db);
    PGresult *res;
    int rc;

    *out = NULL;
    if (c->piped && (rc = pipeline_drain(c, NULL)) != YQ_DB_OK) {
        return rc;
    }
    if (!p_in_transaction(db) && (rc = ensure_conn(db)) != YQ_DB_OK) {
        return rc;
    }
    res = PQexecParams(c->conn, sql, n, NULL, values, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) == PGRES_COMMAND_OK) {
        *out = res;
        return YQ_DB_OK;
    }
    rc = fail_res(c, res);
    PQclear(res);
    return rc;
}

static int p_has_table(struct yq_db *db, const char *table, bool *out)
{
    const char *values[1] = {table};
    PGresult *res = NULL;
    int rc;

    *out = false;
    lock(C(db));
    rc = run_params(db,
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = "
                    "current_schema() AND table_name = $1",
                    1, values, &res);
    if (rc == YQ_DB_OK) {
        *out = PQntuples(res) == 1 && atoll(PQgetvalue(res, 0, 0)) > 0;
    }
    PQclear(res);
    unlock(C(db));
    return rc;
}

/* Whether name is a plain lower-case identifier (channel names are quoted into SQL). */
static bool plain_ident(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 63 || !(islower((unsigned char)name[0]) || name[0] == '_')) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!(islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) ||
              name[i] == '_')) {
            return false;
        }
    }
    return true;
}

static int p_notify(struct yq_db *db, const char *channel, const char *payload)
{
    const char *values[2] = {channel, payload};
    PGresult *res = NULL;
    int rc;

    if (!plain_ident(channel) || strlen(payload) > 7999) {
        return ERR_INVALID;
    }
    lock(C(db));
    rc = run_params(db, "SELECT pg_notify($1, $2)", 2, values, &res);
    PQclear(res);
    unlock(C(db));
    return yq_db_err_of(rc);
}

static int p_listen(struct yq_db *db, const char *channel)
{
    char sql[96];
    int rc;

    if (!plain_ident(channel)) {
        return ERR_INVALID;
    }
    snprintf(sql, sizeof(sql), "LISTEN %s", channel);
    lock(C(db));
    rc = simple(db, sql);
    unlock(C(db));
    return yq_db_err_of(rc);
}

static int p_socket(struct yq_db *db)
{
    return PQsocket(C(db)->conn);
}

static int p_poll_notify(struct yq_db *db, int timeout_ms, char *chan, size_t chanlen,
                         char **payload)
{
    struct pg_conn *c = C(db);
    PGnotify *n;

    lock(c);
    if (c->piped && pipeline_drain(c, NULL) != YQ_DB_OK) {
        unlock(c);
        return ERR_IO;
    }
    if (!link_up(c)) {
        int rc = ensure_conn(db);
        unlock(c);
        return rc == YQ_DB_OK ? ERR_RETRY : ERR_IO; /* LISTEN again after a reconnect */
    }
    if (!PQconsumeInput(c->conn)) {
        fail_res(c, NULL);
        unlock(c);
        return ERR_IO;
    }
    n = PQnotifies(c->conn);
    if (!n && timeout_ms > 0) {
        struct pollfd pfd = {.fd = PQsocket(c->conn), .events = POLLIN};
        unlock(c);
        if (poll(&pfd, 1, timeout_ms) < 0) {
            return 0;
        }
        lock(c);
        if (!PQconsumeInput(c->conn)) {
            fail_res(c, NULL);
            unlock(c);
            return ERR_IO;
        }
        n = PQnotifies(c->conn);
    }
    unlock(c);
    if (!n) {
        return 0;
    }
    snprintf(chan, chanlen, "%s", n->relname);
    *payload = strdup(n->extra ? n->extra : "");
    PQfreemem(n);
    return *payload ? 1 : ERR_NOMEM;
}

static int p_advisory(struct yq_db *db, int64_t key, bool release, bool *got)
{
    char num[24];
    const char *values[1] = {num};
    PGresult *res = NULL;
    int rc;

    snprintf(num, sizeof(num), "%lld", (long long)key);
    lock(C(db));
    rc = run_params(db,
                    release ? "SELECT pg_advisory_unlock($1::bigint)"
                            : "SELECT pg_try_advisory_lock($1::bigint)",
                    1, values, &res);
    if (rc == YQ_DB_OK && got) {
        *got = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
    }
    PQclear(res);
    unlock(C(db));
    return yq_db_err_of(rc);
}

const struct yq_db_ops yq_db_pg_ops = {
    .name = "postgresql",
    .open = p_open,
    .close = p_close,
    .errmsg = p_errmsg,
    .changes = p_changes,
    .in_transaction = p_in_transaction,
    .exec = p_exec,
    .begin_write = p_begin_write,
    .prepare = p_prepare,
    .finalize = p_finalize,
    .bind_int64 = p_bind_int64,
    .bind_double = p_bind_double,
    .bind_textn = p_bind_textn,
    .bind_null = p_bind_null,
    .bind_count = p_bind_count,
    .step = p_step,
    .step_deferred = p_step_deferred,
    .flush = p_flush,
    .reset = p_reset,
    .clear_bindings = p_clear_bindings,
    .column_count = p_column_count,
    .column_name = p_column_name,
    .column_type = p_column_type,
    .column_int64 = p_column_int64,
    .column_double = p_column_double,
    .column_text = p_column_text,
    .column_bytes = p_column_bytes,
    .has_table = p_has_table,
    .notify = p_notify,
    .listen = p_listen,
    .poll_notify = p_poll_notify,
    .advisory = p_advisory,
    .socket = p_socket,
};

