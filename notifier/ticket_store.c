#include "ticket_store.h"

#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "yq_err.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

#define SOFF(f) offsetof(struct ticket_store_cfg, f)

const struct cfg_key ticket_store_cfg_keys[] = {
    {"path", CFG_STRING, "run/tickets.db", 0, 0, SOFF(path),
     "SQLite ticket database (WAL; keep it on a local disk)", NULL},
    {"busy_timeout_ms", CFG_MS, "5000", 0, 600000, SOFF(busy_timeout_ms),
     "how long a statement waits for a lock held by another connection", NULL},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

/* Bounds on what one alert may put in a row: feed text is untrusted. */
#define TITLE_MAX_CP 200
#define TITLE_FROM_TEXT_CP 80
#define EXCERPT_BEFORE_CP 40
#define EXCERPT_CP 160

struct ticket_store {
    sqlite3 *db;
    bool readonly;
    char last_error[256]; /* copy of sqlite3_errmsg() of the last failure */
};

/*
 * Migrations in order; an applied migration is never edited, later issues append. Each runs
 * in its own transaction together with its schema_version row.
 */
static const char *const migrations[] = {
    /* 1: tickets, their items and the append-only log (issue #2) */
    "CREATE TABLE ticket_number_seq ("
    "  month TEXT PRIMARY KEY,"
    "  last_seq INTEGER NOT NULL"
    ");"
    "CREATE TABLE tickets ("
    "  id INTEGER PRIMARY KEY,"
    "  number TEXT NOT NULL UNIQUE,"
    "  event_key TEXT NOT NULL UNIQUE,"
    "  title TEXT NOT NULL,"
    "  level TEXT NOT NULL CHECK (level IN ('I','II','III','IV')),"
    "  department TEXT NOT NULL DEFAULT '',"
    "  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','acknowledged',"
    "    'responded','closed','returned','dismissed')),"
    "  first_post_at INTEGER,"
    "  detected_at INTEGER NOT NULL,"
    "  ack_deadline INTEGER NOT NULL,"
    "  response_deadline INTEGER NOT NULL,"
    "  item_count INTEGER NOT NULL DEFAULT 0,"
    "  score REAL NOT NULL DEFAULT 0,"
    "  rules_version INTEGER NOT NULL DEFAULT 0,"
    "  url TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL"
    ");"
    "CREATE INDEX tickets_state_deadline ON tickets (state, response_deadline);"
    "CREATE TABLE ticket_items ("
    "  id INTEGER PRIMARY KEY,"
    "  ticket_id INTEGER NOT NULL REFERENCES tickets (id),"
    "  item_id TEXT NOT NULL,"
    "  source TEXT NOT NULL DEFAULT '',"
    "  source_id TEXT NOT NULL DEFAULT '',"
    "  channel TEXT NOT NULL DEFAULT '',"
    "  url TEXT NOT NULL DEFAULT '',"
    "  title TEXT NOT NULL DEFAULT '',"
    "  excerpt TEXT NOT NULL DEFAULT '',"
    "  published_at INTEGER,"
    "  rule_ids TEXT NOT NULL DEFAULT '[]',"
    "  matches TEXT NOT NULL DEFAULT '[]',"
    "  added_at INTEGER NOT NULL,"
    "  UNIQUE (ticket_id, item_id)"
    ");"
    "CREATE TABLE ticket_log ("
    "  id INTEGER PRIMARY KEY,"
    "  ticket_id INTEGER NOT NULL REFERENCES tickets (id),"
    "  at INTEGER NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  note TEXT NOT NULL DEFAULT ''"
    ");"
    "CREATE INDEX ticket_log_ticket ON ticket_log (ticket_id, id);"
    "CREATE TRIGGER ticket_log_no_update BEFORE UPDATE ON ticket_log"
    "  BEGIN SELECT RAISE(ABORT, 'ticket_log is append-only'); END;"
    "CREATE TRIGGER ticket_log_no_delete BEFORE DELETE ON ticket_log"
    "  BEGIN SELECT RAISE(ABORT, 'ticket_log is append-only'); END;",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(N_MIGRATIONS == TICKET_STORE_SCHEMA_VERSION,
               "TICKET_STORE_SCHEMA_VERSION must equal the number of migrations");

#define TICKET_COLUMNS                                                                             \
    "id, number, event_key, title, level, department, state, first_post_at, detected_at, "         \
    "ack_deadline, response_deadline, item_count, score, rules_version, url, created_at, "         \
    "updated_at"

/* Map an SQLite result code to the shared codes: locks are transient, the rest is I/O. */
static int map_rc(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
    case SQLITE_ROW:
        return 0;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return ERR_RETRY;
    case SQLITE_NOMEM:
        return ERR_NOMEM;
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
        return ERR_INVALID;
    default:
        return ERR_IO;
    }
}

/*
 * Keep the failing statement's SQLite reason for ticket_store_errmsg(): the caller, which
 * handles the error, logs it once.
 */
static int fail(struct ticket_store *store, int rc, const char *what)
{
    snprintf(store->last_error, sizeof(store->last_error), "%s: %s (rc=%d)", what,
             sqlite3_errmsg(store->db), rc);
    return map_rc(rc);
}

const char *ticket_store_errmsg(const struct ticket_store *store)
{
    return store->last_error[0] ? store->last_error : "no error";
}

static int exec(struct ticket_store *store, const char *sql, const char *what)
{
    int rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : fail(store, rc, what);
}

static int prepare(struct ticket_store *store, const char *sql, sqlite3_stmt **out,
                   const char *what)
{
    int rc = sqlite3_prepare_v2(store->db, sql, -1, out, NULL);
    return rc == SQLITE_OK ? 0 : fail(store, rc, what);
}

/* Create the parent directory of a file path when it is missing (one level). */
static int ensure_parent_dir(const char *path, char *errbuf, size_t errlen)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t len;

    if (!slash || slash == path || strncmp(path, "file:", 5) == 0) {
        return 0;
    }
    len = (size_t)(slash - path);
    if (len >= sizeof(dir)) {
        snprintf(errbuf, errlen, "ticket store path too long: '%s'", path);
        return ERR_INVALID;
    }
    memcpy(dir, path, len);
    dir[len] = '\0';
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(errbuf, errlen, "cannot create directory '%s': %s", dir, strerror(errno));
        return ERR_IO;
    }
    return 0;
}

int ticket_store_schema_version(struct ticket_store *store, int *out)
{
    sqlite3_stmt *st = NULL;
    int rc, err;

    *out = 0;
    rc = sqlite3_prepare_v2(store->db,
                            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                            "name = 'schema_version'",
                            -1, &st, NULL);
    if (rc != SQLITE_OK) {
        return fail(store, rc, "schema_version lookup");
    }
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        err = fail(store, rc, "schema_version lookup");
        sqlite3_finalize(st);
        return err;
    }
    if (sqlite3_column_int(st, 0) == 0) {
        sqlite3_finalize(st);
        return 0;
    }
    sqlite3_finalize(st);
    err = prepare(store, "SELECT coalesce(max(version), 0) FROM schema_version", &st,
                  "schema_version read");
    if (err) {
        return err;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int(st, 0);
        err = 0;
    } else {
        err = fail(store, rc, "schema_version read");
    }
    sqlite3_finalize(st);
    return err;
}

static int apply_migration(struct ticket_store *store, int version)
{
    sqlite3_stmt *st = NULL;
    int err, rc;

    err = exec(store, "BEGIN IMMEDIATE", "migration begin");
    if (err) {
        return err;
    }
    err = exec(store, migrations[version - 1], "migration");
    if (err) {
        goto rollback;
    }
    err = prepare(store, "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", &st,
                  "migration record");
    if (err) {
        goto rollback;
    }
    sqlite3_bind_int(st, 1, version);
    sqlite3_bind_int64(st, 2, yq_time_now());
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        err = fail(store, rc, "migration record");
        goto rollback;
    }
    err = exec(store, "COMMIT", "migration commit");
    if (err) {
        goto rollback;
    }
    LOG_INFO("ticket store migrated schema_version=%d", version);
    return 0;
rollback:
    sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    return err;
}

static int migrate(struct ticket_store *store, char *errbuf, size_t errlen)
{
    int version = 0, err;

    err = exec(store,
               "CREATE TABLE IF NOT EXISTS schema_version ("
               "  version INTEGER PRIMARY KEY,"
               "  applied_at INTEGER NOT NULL)",
               "schema_version create");
    if (!err) {
        err = ticket_store_schema_version(store, &version);
    }
    if (err) {
        snprintf(errbuf, errlen, "cannot read schema version: %s", ticket_store_errmsg(store));
        return err;
    }
    if (version > N_MIGRATIONS) {
        snprintf(errbuf, errlen, "database schema %d is newer than this binary (%d)", version,
                 N_MIGRATIONS);
        return ERR_BAD_STATE;
    }
    for (int v = version + 1; v <= N_MIGRATIONS; v++) {
        err = apply_migration(store, v);
        if (err) {
            snprintf(errbuf, errlen, "migration %d failed: %s", v, ticket_store_errmsg(store));
            return err;
        }
    }
    return 0;
}

/* Run a pragma that returns one text row and check it against want (NULL = any). */
static int pragma_text(struct ticket_store *store, const char *sql, const char *want,
                       const char *want2, char *errbuf, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc, err = 0;

    err = prepare(store, sql, &st, "pragma");
    if (err) {
        snprintf(errbuf, errlen, "'%s' failed: %s", sql, sqlite3_errmsg(store->db));
        return err;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && want) {
        const char *got = (const char *)sqlite3_column_text(st, 0);
        if (!got || (strcmp(got, want) != 0 && (!want2 || strcmp(got, want2) != 0))) {
            snprintf(errbuf, errlen, "'%s' gave '%s'", sql, got ? got : "(null)");
            err = ERR_IO;
        }
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        snprintf(errbuf, errlen, "'%s' failed: %s", sql, sqlite3_errmsg(store->db));
        err = map_rc(rc);
    }
    sqlite3_finalize(st);
    return err;
}

static int store_open(const struct ticket_store_cfg *cfg, bool readonly, struct ticket_store **out,
                      char *errbuf, size_t errlen)
{
    struct ticket_store *store = NULL;
    const char *path = cfg->path ? cfg->path : ":memory:";
    int flags = readonly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc, err;

    *out = NULL;
    if (!readonly && strcmp(path, ":memory:") != 0) {
        err = ensure_parent_dir(path, errbuf, errlen);
        if (err) {
            return err;
        }
    }
    store = calloc(1, sizeof(*store));
    if (!store) {
        return ERR_NOMEM;
    }
    store->readonly = readonly;
    rc = sqlite3_open_v2(path, &store->db, flags | SQLITE_OPEN_URI, NULL);
    if (rc != SQLITE_OK) {
        snprintf(errbuf, errlen, "cannot open ticket store '%s': %s", path,
                 store->db ? sqlite3_errmsg(store->db) : sqlite3_errstr(rc));
        err = rc == SQLITE_NOMEM ? ERR_NOMEM : ERR_IO;
        goto fail;
    }
    sqlite3_extended_result_codes(store->db, 1);
    rc = sqlite3_busy_timeout(store->db, (int)cfg->busy_timeout_ms);
    if (rc != SQLITE_OK) {
        snprintf(errbuf, errlen, "busy_timeout on '%s': %s", path, sqlite3_errstr(rc));
        err = ERR_IO;
        goto fail;
    }
    err = pragma_text(store, "PRAGMA foreign_keys = ON", NULL, NULL, errbuf, errlen);
    if (err) {
        goto fail;
    }
    if (!readonly) {
        /* ":memory:" databases report "memory" and cannot use WAL; files must. */
        err = pragma_text(store, "PRAGMA journal_mode = WAL", "wal",
                          strcmp(path, ":memory:") == 0 ? "memory" : NULL, errbuf, errlen);
        if (!err) {
            err = pragma_text(store, "PRAGMA synchronous = FULL", NULL, NULL, errbuf, errlen);
        }
        if (!err) {
            err = migrate(store, errbuf, errlen);
        }
        if (err) {
            goto fail;
        }
    } else {
        int version = 0;
        err = ticket_store_schema_version(store, &version);
        if (!err && version != TICKET_STORE_SCHEMA_VERSION) {
            snprintf(errbuf, errlen, "ticket store '%s' has schema %d, want %d", path, version,
                     TICKET_STORE_SCHEMA_VERSION);
            err = ERR_BAD_STATE;
        } else if (err) {
            snprintf(errbuf, errlen, "cannot read schema of '%s': %s", path,
                     ticket_store_errmsg(store));
        }
        if (err) {
            goto fail;
        }
    }
    *out = store;
    return 0;
fail:
    ticket_store_free(store);
    return err;
}

int ticket_store_open(const struct ticket_store_cfg *cfg, struct ticket_store **out, char *errbuf,
                      size_t errlen)
{
    return store_open(cfg, false, out, errbuf, errlen);
}

int ticket_store_open_readonly(const struct ticket_store_cfg *cfg, struct ticket_store **out,
                               char *errbuf, size_t errlen)
{
    return store_open(cfg, true, out, errbuf, errlen);
}

void ticket_store_free(struct ticket_store *store)
{
    if (!store) {
        return;
    }
    if (store->db) {
        int rc = sqlite3_close(store->db);
        if (rc != SQLITE_OK) {
            LOG_ERR("sqlite close failed rc=%d", rc); /* an unfinalised statement: a bug */
        }
    }
    free(store);
}

struct sqlite3 *ticket_store_db(struct ticket_store *store)
{
    return store->db;
}

/* --- deadlines and numbers ------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* Day of the week in Asia/Shanghai: 0 = Sunday .. 6 = Saturday (1970-01-01 was Thursday). */
static int shanghai_weekday(int64_t t)
{
    int64_t days = floor_div(t + YQ_SHANGHAI_OFFSET_S, 86400);
    int64_t wd = (days + 4) % 7;
    return (int)(wd < 0 ? wd + 7 : wd);
}

void ticket_deadlines(int64_t detected_at, enum yq_level level, int64_t *ack_out,
                      int64_t *response_out)
{
    int64_t response = detected_at;

    switch (level) {
    case YQ_LEVEL_I:
    case YQ_LEVEL_II:
        response += 5 * 3600;
        break;
    case YQ_LEVEL_III:
        response += 48 * 3600;
        break;
    case YQ_LEVEL_IV:
    default:
        /*
         * Five working days, keeping the time of day: each 24 h step counts only when it
         * lands on Monday..Friday in Asia/Shanghai. Holidays and 调休 come with issue #5.
         */
        for (int n = 0; n < 5;) {
            response += 86400;
            int wd = shanghai_weekday(response);
            if (wd != 0 && wd != 6) {
                n++;
            }
        }
        break;
    }
    *ack_out = detected_at + 3600;
    *response_out = response;
}

void ticket_number_prefix(int64_t t, char *buf, size_t len, char *month, size_t month_len)
{
    struct tm tm;
    time_t tt = (time_t)(t + YQ_SHANGHAI_OFFSET_S);

    gmtime_r(&tt, &tm);
    snprintf(buf, len, "YQ-%04d-%02d-", tm.tm_year + 1900, tm.tm_mon + 1);
    if (month) {
        snprintf(month, month_len, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
    }
}

/* --- UTF-8 slices of untrusted text ---------------------------------------------------- */

/* Byte offset of code point cp in s (or strlen(s) when s is shorter). */
static size_t utf8_offset(const char *s, size_t cp)
{
    size_t i = 0;
    while (s[i] && cp > 0) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80) {
            i++;
        }
        cp--;
    }
    return i;
}

/* A new copy of n_cp code points of s from code point start; NULL on ERR_NOMEM. */
static char *utf8_slice(const char *s, size_t start, size_t n_cp)
{
    size_t from, to;
    char *out;

    s = s ? s : "";
    from = utf8_offset(s, start);
    to = from + utf8_offset(s + from, n_cp);
    out = malloc(to - from + 1);
    if (out) {
        memcpy(out, s + from, to - from);
        out[to - from] = '\0';
    }
    return out;
}

static char *make_title(const struct yq_item *item)
{
    if (item->title && item->title[0]) {
        return utf8_slice(item->title, 0, TITLE_MAX_CP);
    }
    if (item->text && item->text[0]) {
        return utf8_slice(item->text, 0, TITLE_FROM_TEXT_CP);
    }
    return strdup("(无标题)");
}

/* The text around the first match in the text field, else the start of the text. */
static char *make_excerpt(const struct yq_alert *alert)
{
    size_t start = 0;
    for (size_t i = 0; i < alert->n_matches; i++) {
        const struct yq_alert_match *m = &alert->matches[i];
        for (size_t j = 0; j < m->n_terms; j++) {
            if (strcmp(m->terms[j].field, "text") == 0 && m->terms[j].start >= 0) {
                int64_t s = m->terms[j].start - EXCERPT_BEFORE_CP;
                start = s > 0 ? (size_t)s : 0;
                goto found;
            }
        }
    }
found:
    return utf8_slice(alert->item.text, start, EXCERPT_CP);
}

/* JSON texts for ticket_items.rule_ids and .matches; both new (free()) or NULL on NOMEM. */
static int make_match_json(const struct yq_alert *alert, char **ids_out, char **matches_out)
{
    json_t *ids = json_array(), *matches = json_array();
    int rc = 0;

    *ids_out = NULL;
    *matches_out = NULL;
    if (!ids || !matches) {
        goto nomem;
    }
    for (size_t i = 0; i < alert->n_matches; i++) {
        const struct yq_alert_match *m = &alert->matches[i];
        json_t *terms = json_array();
        if (!terms) {
            goto nomem;
        }
        for (size_t j = 0; j < m->n_terms; j++) {
            const struct yq_alert_term *t = &m->terms[j];
            rc |= json_array_append_new(
                terms, json_pack("{s:s,s:s,s:I,s:I}", "term", t->term, "field", t->field, "start",
                                 (json_int_t)t->start, "end", (json_int_t)t->end));
        }
        rc |= json_array_append_new(ids, json_string(m->rule_id));
        rc |= json_array_append_new(matches,
                                    json_pack("{s:s,s:s,s:s,s:s,s:o}", "rule_id", m->rule_id,
                                              "name", m->name, "department", m->department, "level",
                                              yq_level_name(m->level), "terms", terms));
    }
    if (rc) {
        goto nomem;
    }
    *ids_out = json_dumps(ids, JSON_COMPACT);
    *matches_out = json_dumps(matches, JSON_COMPACT);
    json_decref(ids);
    json_decref(matches);
    if (!*ids_out || !*matches_out) {
        free(*ids_out);
        free(*matches_out);
        *ids_out = NULL;
        *matches_out = NULL;
        return ERR_NOMEM;
    }
    return 0;
nomem:
    json_decref(ids);
    json_decref(matches);
    return ERR_NOMEM;
}

/* --- intake ---------------------------------------------------------------------------- */

static const char *nz(const char *s)
{
    return s ? s : "";
}

static int step_done(struct ticket_store *store, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    int err = (rc == SQLITE_DONE || rc == SQLITE_ROW) ? 0 : fail(store, rc, what);
    sqlite3_finalize(st);
    return err;
}

static int insert_log(struct ticket_store *store, int64_t ticket_id, int64_t at, const char *actor,
                      const char *action, const char *note)
{
    sqlite3_stmt *st = NULL;
    int err = prepare(store,
                      "INSERT INTO ticket_log (ticket_id, at, actor, action, note) "
                      "VALUES (?, ?, ?, ?, ?)",
                      &st, "log insert");
    if (err) {
        return err;
    }
    sqlite3_bind_int64(st, 1, ticket_id);
    sqlite3_bind_int64(st, 2, at);
    sqlite3_bind_text(st, 3, actor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, note, -1, SQLITE_STATIC);
    return step_done(store, st, "log insert");
}

/* Insert the alert's item on ticket_id unless present; *inserted says which. */
static int insert_item(struct ticket_store *store, int64_t ticket_id, const struct yq_alert *alert,
                       int64_t now, bool *inserted)
{
    const struct yq_item *item = &alert->item;
    char *title = NULL, *excerpt = NULL, *ids = NULL, *matches = NULL;
    sqlite3_stmt *st = NULL;
    int err;

    *inserted = false;
    title = utf8_slice(item->title, 0, TITLE_MAX_CP);
    excerpt = make_excerpt(alert);
    err = make_match_json(alert, &ids, &matches);
    if (err || !title || !excerpt) {
        err = ERR_NOMEM;
        goto done;
    }
    err = prepare(store,
                  "INSERT INTO ticket_items (ticket_id, item_id, source, source_id, channel, "
                  "url, title, excerpt, published_at, rule_ids, matches, added_at) "
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                  "ON CONFLICT (ticket_id, item_id) DO NOTHING",
                  &st, "item insert");
    if (err) {
        goto done;
    }
    sqlite3_bind_int64(st, 1, ticket_id);
    sqlite3_bind_text(st, 2, item->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, nz(item->source), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, nz(item->source_id), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, nz(item->channel), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, nz(item->url), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, excerpt, -1, SQLITE_STATIC);
    if (item->has_published) {
        sqlite3_bind_int64(st, 9, item->published_at);
    } else {
        sqlite3_bind_null(st, 9);
    }
    sqlite3_bind_text(st, 10, ids, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 11, matches, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 12, now);
    err = step_done(store, st, "item insert");
    if (!err) {
        *inserted = sqlite3_changes(store->db) > 0;
    }
done:
    free(title);
    free(excerpt);
    free(ids);
    free(matches);
    return err;
}

/* Next number of the month of detected_at, e.g. "YQ-2026-12-0001", into buf. */
static int next_number(struct ticket_store *store, int64_t detected_at, char *buf, size_t len)
{
    char prefix[32], month[16];
    sqlite3_stmt *st = NULL;
    int rc, err;

    ticket_number_prefix(detected_at, prefix, sizeof(prefix), month, sizeof(month));
    err = prepare(store,
                  "INSERT INTO ticket_number_seq (month, last_seq) VALUES (?, 1) "
                  "ON CONFLICT (month) DO UPDATE SET last_seq = last_seq + 1 "
                  "RETURNING last_seq",
                  &st, "number sequence");
    if (err) {
        return err;
    }
    sqlite3_bind_text(st, 1, month, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        err = fail(store, rc, "number sequence");
        sqlite3_finalize(st);
        return err;
    }
    /* four digits as the format asks; a 10000th ticket in one month simply gets five */
    int n = snprintf(buf, len, "%s%04lld", prefix, (long long)sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
    return (n < 0 || (size_t)n >= len) ? ERR_TOO_BIG : 0;
}

static int create_ticket(struct ticket_store *store, const struct yq_alert *alert, int64_t now,
                         struct ticket_intake_result *res)
{
    const struct yq_item *item = &alert->item;
    int64_t ack, response;
    char *title = NULL, note[256];
    sqlite3_stmt *st = NULL;
    bool inserted;
    int err;

    err = next_number(store, alert->matched_at, res->number, sizeof(res->number));
    if (err) {
        return err;
    }
    title = make_title(item);
    if (!title) {
        return ERR_NOMEM;
    }
    ticket_deadlines(alert->matched_at, alert->level, &ack, &response);
    err = prepare(store,
                  "INSERT INTO tickets (number, event_key, title, level, department, state, "
                  "first_post_at, detected_at, ack_deadline, response_deadline, item_count, "
                  "score, rules_version, url, created_at, updated_at) "
                  "VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)",
                  &st, "ticket insert");
    if (err) {
        free(title);
        return err;
    }
    sqlite3_bind_text(st, 1, res->number, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, alert->event_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, yq_level_name(alert->level), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, nz(alert->department), -1, SQLITE_STATIC);
    if (item->has_published) {
        sqlite3_bind_int64(st, 6, item->published_at);
    } else {
        sqlite3_bind_null(st, 6);
    }
    sqlite3_bind_int64(st, 7, alert->matched_at);
    sqlite3_bind_int64(st, 8, ack);
    sqlite3_bind_int64(st, 9, response);
    sqlite3_bind_double(st, 10, alert->score);
    sqlite3_bind_int64(st, 11, alert->rules_version);
    sqlite3_bind_text(st, 12, nz(item->url), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 13, now);
    sqlite3_bind_int64(st, 14, now);
    err = step_done(store, st, "ticket insert");
    free(title);
    if (err) {
        return err;
    }
    res->ticket_id = sqlite3_last_insert_rowid(store->db);
    res->item_count = 1;
    res->outcome = TICKET_INTAKE_CREATED;
    err = insert_item(store, res->ticket_id, alert, now, &inserted);
    if (err) {
        return err;
    }
    snprintf(note, sizeof(note), "level=%s item_id=%.120s", yq_level_name(alert->level), item->id);
    return insert_log(store, res->ticket_id, now, "system", "created", note);
}

static int attach_item(struct ticket_store *store, const struct yq_alert *alert, int64_t now,
                       struct ticket_intake_result *res)
{
    sqlite3_stmt *st = NULL;
    bool inserted;
    int err;

    err = insert_item(store, res->ticket_id, alert, now, &inserted);
    if (err) {
        return err;
    }
    if (!inserted) {
        res->outcome = TICKET_INTAKE_DUPLICATE;
        return 0;
    }
    err = prepare(store,
                  "UPDATE tickets SET item_count = item_count + 1, score = max(score, ?), "
                  "first_post_at = CASE WHEN ? IS NULL THEN first_post_at "
                  "  WHEN first_post_at IS NULL OR ? < first_post_at THEN ? "
                  "  ELSE first_post_at END, "
                  "updated_at = ? WHERE id = ?",
                  &st, "ticket update");
    if (err) {
        return err;
    }
    sqlite3_bind_double(st, 1, alert->score);
    for (int i = 2; i <= 4; i++) {
        if (alert->item.has_published) {
            sqlite3_bind_int64(st, i, alert->item.published_at);
        } else {
            sqlite3_bind_null(st, i);
        }
    }
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_int64(st, 6, res->ticket_id);
    err = step_done(store, st, "ticket update");
    if (err) {
        return err;
    }
    res->item_count++;
    res->outcome = TICKET_INTAKE_ATTACHED;
    return insert_log(store, res->ticket_id, now, "system", "item_added", alert->item.id);
}

int ticket_store_intake_alert(struct ticket_store *store, const struct yq_alert *alert, int64_t now,
                              struct ticket_intake_result *out)
{
    struct ticket_intake_result res;
    sqlite3_stmt *st = NULL;
    int rc, err;

    memset(&res, 0, sizeof(res));
    if (!alert->event_key || !alert->event_key[0] || !alert->item.id || !alert->item.id[0]) {
        return ERR_INVALID;
    }
    if (store->readonly) {
        return ERR_IO;
    }
    err = exec(store, "BEGIN IMMEDIATE", "intake begin");
    if (err) {
        return err;
    }
    err = prepare(store, "SELECT id, number, item_count FROM tickets WHERE event_key = ?", &st,
                  "ticket lookup");
    if (err) {
        goto rollback;
    }
    sqlite3_bind_text(st, 1, alert->event_key, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        res.ticket_id = sqlite3_column_int64(st, 0);
        snprintf(res.number, sizeof(res.number), "%s", (const char *)sqlite3_column_text(st, 1));
        res.item_count = sqlite3_column_int64(st, 2);
        sqlite3_finalize(st);
        err = attach_item(store, alert, now, &res);
    } else if (rc == SQLITE_DONE) {
        sqlite3_finalize(st);
        err = create_ticket(store, alert, now, &res);
    } else {
        err = fail(store, rc, "ticket lookup");
        sqlite3_finalize(st);
    }
    if (err) {
        goto rollback;
    }
    err = exec(store, "COMMIT", "intake commit");
    if (err) {
        goto rollback;
    }
    if (out) {
        *out = res;
    }
    return 0;
rollback:
    if (!sqlite3_get_autocommit(store->db)) {
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    }
    return err;
}

/* --- reads ----------------------------------------------------------------------------- */

/* A new copy of a text column ("" for NULL); NULL on ERR_NOMEM. */
static char *col_dup(sqlite3_stmt *st, int i)
{
    const char *s = (const char *)sqlite3_column_text(st, i);
    return strdup(s ? s : "");
}

static int read_ticket(sqlite3_stmt *st, struct ticket *t)
{
    memset(t, 0, sizeof(*t));
    t->id = sqlite3_column_int64(st, 0);
    t->number = col_dup(st, 1);
    t->event_key = col_dup(st, 2);
    t->title = col_dup(st, 3);
    if (yq_level_parse((const char *)sqlite3_column_text(st, 4), &t->level)) {
        t->level = YQ_LEVEL_IV; /* the CHECK constraint keeps this from happening */
    }
    t->department = col_dup(st, 5);
    t->state = col_dup(st, 6);
    t->has_first_post = sqlite3_column_type(st, 7) != SQLITE_NULL;
    t->first_post_at = sqlite3_column_int64(st, 7);
    t->detected_at = sqlite3_column_int64(st, 8);
    t->ack_deadline = sqlite3_column_int64(st, 9);
    t->response_deadline = sqlite3_column_int64(st, 10);
    t->item_count = sqlite3_column_int64(st, 11);
    t->score = sqlite3_column_double(st, 12);
    t->rules_version = sqlite3_column_int64(st, 13);
    t->url = col_dup(st, 14);
    t->created_at = sqlite3_column_int64(st, 15);
    t->updated_at = sqlite3_column_int64(st, 16);
    if (!t->number || !t->event_key || !t->title || !t->department || !t->state || !t->url) {
        ticket_release(t);
        return ERR_NOMEM;
    }
    return 0;
}

int ticket_store_list_open(struct ticket_store *store, size_t max_tickets, struct ticket_list *out)
{
    sqlite3_stmt *st = NULL;
    size_t cap = max_tickets < 64 ? max_tickets : 64;
    int rc, err;

    memset(out, 0, sizeof(*out));
    if (max_tickets == 0) {
        return 0;
    }
    err = prepare(store,
                  "SELECT " TICKET_COLUMNS " FROM tickets "
                  "WHERE state NOT IN ('closed', 'dismissed') "
                  "ORDER BY response_deadline, id LIMIT ?",
                  &st, "list open");
    if (err) {
        return err;
    }
    sqlite3_bind_int64(st, 1, (sqlite3_int64)max_tickets);
    out->v = calloc(cap, sizeof(*out->v));
    if (!out->v) {
        err = ERR_NOMEM;
        goto done;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == cap) {
            size_t ncap = cap * 2 < max_tickets ? cap * 2 : max_tickets;
            struct ticket *nv = realloc(out->v, ncap * sizeof(*nv));
            if (!nv) {
                err = ERR_NOMEM;
                goto done;
            }
            out->v = nv;
            cap = ncap;
        }
        err = read_ticket(st, &out->v[out->n]);
        if (err) {
            goto done;
        }
        out->n++;
    }
    if (rc != SQLITE_DONE) {
        err = fail(store, rc, "list open");
    }
done:
    sqlite3_finalize(st);
    if (err) {
        ticket_list_release(out);
    }
    return err;
}

static int count_query(struct ticket_store *store, const char *sql, int64_t bind, bool has_bind,
                       int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc, err;

    *out = 0;
    err = prepare(store, sql, &st, "count");
    if (err) {
        return err;
    }
    if (has_bind) {
        sqlite3_bind_int64(st, 1, bind);
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
    } else {
        err = fail(store, rc, "count");
    }
    sqlite3_finalize(st);
    return err;
}

int ticket_store_count_open(struct ticket_store *store, int64_t *out)
{
    return count_query(store,
                       "SELECT count(*) FROM tickets WHERE state NOT IN ('closed', 'dismissed')", 0,
                       false, out);
}

int ticket_store_count_log(struct ticket_store *store, int64_t ticket_id, int64_t *out)
{
    return count_query(store, "SELECT count(*) FROM ticket_log WHERE ticket_id = ?", ticket_id,
                       true, out);
}

int ticket_store_get_by_number(struct ticket_store *store, const char *number, struct ticket *out)
{
    sqlite3_stmt *st = NULL;
    int rc, err;

    memset(out, 0, sizeof(*out));
    err = prepare(store, "SELECT " TICKET_COLUMNS " FROM tickets WHERE number = ?", &st,
                  "get ticket");
    if (err) {
        return err;
    }
    sqlite3_bind_text(st, 1, number, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        err = read_ticket(st, out);
    } else if (rc == SQLITE_DONE) {
        err = ERR_NOT_FOUND;
    } else {
        err = fail(store, rc, "get ticket");
    }
    sqlite3_finalize(st);
    return err;
}

static int read_item(sqlite3_stmt *st, struct ticket_item *it)
{
    memset(it, 0, sizeof(*it));
    it->ticket_id = sqlite3_column_int64(st, 0);
    it->item_id = col_dup(st, 1);
    it->source = col_dup(st, 2);
    it->source_id = col_dup(st, 3);
    it->channel = col_dup(st, 4);
    it->url = col_dup(st, 5);
    it->title = col_dup(st, 6);
    it->excerpt = col_dup(st, 7);
    it->has_published = sqlite3_column_type(st, 8) != SQLITE_NULL;
    it->published_at = sqlite3_column_int64(st, 8);
    it->rule_ids = col_dup(st, 9);
    it->matches = col_dup(st, 10);
    it->added_at = sqlite3_column_int64(st, 11);
    if (!it->item_id || !it->source || !it->source_id || !it->channel || !it->url || !it->title ||
        !it->excerpt || !it->rule_ids || !it->matches) {
        ticket_item_release(it);
        return ERR_NOMEM;
    }
    return 0;
}

int ticket_store_list_items(struct ticket_store *store, int64_t ticket_id, size_t max_items,
                            struct ticket_item_list *out)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc, err;

    memset(out, 0, sizeof(*out));
    if (max_items == 0) {
        return 0;
    }
    err = prepare(store,
                  "SELECT ticket_id, item_id, source, source_id, channel, url, title, excerpt, "
                  "published_at, rule_ids, matches, added_at FROM ticket_items "
                  "WHERE ticket_id = ? ORDER BY id LIMIT ?",
                  &st, "list items");
    if (err) {
        return err;
    }
    sqlite3_bind_int64(st, 1, ticket_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)max_items);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct ticket_item *nv;
            ncap = ncap < max_items ? ncap : max_items;
            nv = realloc(out->v, ncap * sizeof(*nv));
            if (!nv) {
                err = ERR_NOMEM;
                goto done;
            }
            out->v = nv;
            cap = ncap;
        }
        err = read_item(st, &out->v[out->n]);
        if (err) {
            goto done;
        }
        out->n++;
    }
    if (rc != SQLITE_DONE) {
        err = fail(store, rc, "list items");
    }
done:
    sqlite3_finalize(st);
    if (err) {
        ticket_item_list_release(out);
    }
    return err;
}

/* --- release --------------------------------------------------------------------------- */

void ticket_release(struct ticket *t)
{
    if (!t) {
        return;
    }
    free(t->number);
    free(t->event_key);
    free(t->title);
    free(t->department);
    free(t->state);
    free(t->url);
    memset(t, 0, sizeof(*t));
}

void ticket_list_release(struct ticket_list *list)
{
    if (!list) {
        return;
    }
    for (size_t i = 0; i < list->n; i++) {
        ticket_release(&list->v[i]);
    }
    free(list->v);
    memset(list, 0, sizeof(*list));
}

void ticket_item_release(struct ticket_item *item)
{
    if (!item) {
        return;
    }
    free(item->item_id);
    free(item->source);
    free(item->source_id);
    free(item->channel);
    free(item->url);
    free(item->title);
    free(item->excerpt);
    free(item->rule_ids);
    free(item->matches);
    memset(item, 0, sizeof(*item));
}

void ticket_item_list_release(struct ticket_item_list *list)
{
    if (!list) {
        return;
    }
    for (size_t i = 0; i < list->n; i++) {
        ticket_item_release(&list->v[i]);
    }
    free(list->v);
    memset(list, 0, sizeof(*list));
}
