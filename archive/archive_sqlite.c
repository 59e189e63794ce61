/*
 * The embedded archive backend (archive.h): a directory with the ARCHIVE marker and one SQLite
 * file per Beijing-time month of the archive time, items-YYYY-MM.db (WAL, synchronous=FULL, one
 * yq_sqlite_schema track per file), with an FTS5 index over code-point bigrams of the
 * normalised title and text (archive_bigram.h).
 *
 * Writes (put, prune) are serialised by the state's mutex and use cached read-write
 * connections with prepared statements. Reads (scan, get, stats) open their own read-only
 * connections per call and take no lock, so a scan's callback may call any function of the same
 * handle, and readers never wait for the writer (WAL).
 *
 * Put: the items and match rows of a batch go to their month files in one transaction per file
 * (BEGIN IMMEDIATE on first use, all committed at the end). When a later file's COMMIT fails
 * after an earlier one's succeeded, the caller gets the error and retries the whole batch:
 * the committed rows are then counted as duplicates (idempotence by item id and by (item id,
 * rule id, event key)), so the retry stores exactly what was missing.
 */
#include "archive.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive_bigram.h"
#include "norm.h"
#include "yq_buf.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_log.h"
#include "yq_sqlite.h"
#include "yq_time.h"

#define SQ_MARKER_MAX_BYTES 256
/* Write connections kept open (months a put touches: usually one or two). */
#define SQ_CACHE_MAX 8
/* An item this close to a month boundary may have been stored in the neighbouring month
   (a re-poll moved its archive time): its id is looked up there too. */
#define SQ_NEIGHBOUR_WINDOW_S (48 * 3600)
/* Normalised bytes indexed per field (the matcher's own bound, term_find.h). */
#define SQ_INDEX_MAX_BYTES (4 * 1024 * 1024)
#define SQ_DAY_S 86400

/* ------------------------------------------------------------------ months */

/* A month as y * 12 + (m - 1), Beijing time. */
static int64_t month_of_time(int64_t t)
{
    int64_t local = t + YQ_SHANGHAI_OFFSET_S;
    int64_t days = local / SQ_DAY_S;
    if (local % SQ_DAY_S < 0) {
        days--;
    }
    int64_t y;
    unsigned m;
    unsigned d;
    yq_time_civil_from_days(days, &y, &m, &d);
    return y * 12 + (int64_t)(m - 1);
}

/* First second (UTC) of month mk in Beijing time. */
static int64_t month_start(int64_t mk)
{
    int64_t y = mk / 12;
    int64_t m = mk % 12;
    if (m < 0) {
        m += 12;
        y--;
    }
    return yq_time_days_from_civil(y, (unsigned)m + 1, 1) * SQ_DAY_S - YQ_SHANGHAI_OFFSET_S;
}

static void month_name(int64_t mk, char *buf, size_t len)
{
    int64_t y = mk / 12;
    int64_t m = mk % 12;
    if (m < 0) {
        m += 12;
        y--;
    }
    snprintf(buf, len, "%04lld-%02lld", (long long)y, (long long)m + 1);
}

/* Parse "items-YYYY-MM.db" into *mk. Returns true when name has that form. */
static bool month_parse_file(const char *name, int64_t *mk)
{
    int y;
    int m;
    int n = 0;
    if (strlen(name) != strlen("items-0000-00.db") ||
        sscanf(name, "items-%4d-%2d.db%n", &y, &m, &n) != 2 || n != (int)strlen(name) ||
        m < 1 || m > 12 || y < 1970) {
        return false;
    }
    *mk = (int64_t)y * 12 + (m - 1);
    return true;
}

/* ------------------------------------------------------------------ schema */

static const struct yq_sqlite_migration month_migrations[] = {
    {1, "items, matches and the bigram index",
     "CREATE TABLE items ("
     "  rid INTEGER PRIMARY KEY,"
     "  id TEXT NOT NULL UNIQUE,"
     "  source TEXT NOT NULL,"
     "  source_id TEXT NOT NULL,"
     "  channel TEXT NOT NULL,"
     "  url TEXT NOT NULL,"
     "  title TEXT NOT NULL,"
     "  text TEXT NOT NULL,"
     "  author TEXT NOT NULL,"
     "  published_at INTEGER,"      /* NULL: unknown (has_published false) */
     "  precision TEXT,"            /* second, minute, day or NULL */
     "  fetched_at INTEGER NOT NULL,"
     "  metrics_known INTEGER NOT NULL,"
     "  metrics_capped INTEGER NOT NULL,"
     "  reposts INTEGER NOT NULL,"
     "  comments INTEGER NOT NULL,"
     "  likes INTEGER NOT NULL,"
     "  region TEXT,"
     "  reply_to TEXT,"
     "  department TEXT,"
     "  truncated INTEGER NOT NULL,"
     "  truncated_fields INTEGER NOT NULL,"
     "  future_timestamp INTEGER NOT NULL,"
     "  official INTEGER NOT NULL,"
     "  local INTEGER NOT NULL,"
     "  backlog INTEGER NOT NULL,"
     "  time_s INTEGER NOT NULL,"   /* archive time, seconds UTC */
     "  archived_at INTEGER NOT NULL,"
     "  heat INTEGER NOT NULL,"
     "  sentiment INTEGER,"         /* -1, 0, 1; NULL: not classified */
     "  sentiment_score REAL"
     ");"
     "CREATE INDEX items_time ON items (time_s, id);"
     "CREATE INDEX items_source ON items (source, time_s);"
     "CREATE INDEX items_source_id ON items (source_id, time_s);"
     "CREATE INDEX items_channel ON items (channel, time_s);"
     "CREATE TABLE matches ("
     "  item_id TEXT NOT NULL,"
     "  rule_id TEXT NOT NULL,"
     "  event_key TEXT NOT NULL,"
     "  rule_group TEXT NOT NULL,"
     "  department TEXT NOT NULL,"
     "  level INTEGER NOT NULL,"
     "  rules_version INTEGER NOT NULL,"
     "  matched_at INTEGER NOT NULL,"
     "  PRIMARY KEY (item_id, rule_id, event_key)"
     ") WITHOUT ROWID;"
     "CREATE INDEX matches_department ON matches (department, item_id);"
     "CREATE VIRTUAL TABLE items_fts USING fts5(title, text, content='', columnsize=0,"
     "  tokenize='" ARCHIVE_BIGRAM_TOKENIZER "');",
     NULL},
};

static const struct yq_sqlite_schema month_schema = {
    "archive month file", month_migrations, sizeof month_migrations / sizeof month_migrations[0]};

#define ITEM_COLS                                                                                  \
    "id, source, source_id, channel, url, title, text, author, published_at, precision, "         \
    "fetched_at, metrics_known, metrics_capped, reposts, comments, likes, region, reply_to, "      \
    "department, truncated, truncated_fields, future_timestamp, official, local, backlog, "        \
    "time_s, archived_at, heat, sentiment, sentiment_score"

static const char sql_insert_item[] =
    "INSERT OR IGNORE INTO items (" ITEM_COLS ") VALUES "
    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,"
    " ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)";
static const char sql_insert_fts[] = "INSERT INTO items_fts (rowid, title, text) VALUES (?1, ?2, ?3)";
static const char sql_insert_match[] =
    "INSERT OR IGNORE INTO matches (item_id, rule_id, event_key, rule_group, department, level,"
    " rules_version, matched_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char sql_has_item[] = "SELECT 1 FROM items WHERE id = ?1";
static const char sql_match_rows[] =
    "SELECT rule_id, rule_group, department, level, event_key, rules_version, matched_at"
    " FROM matches WHERE item_id = ?1 ORDER BY matched_at, rule_id, event_key";

/* ------------------------------------------------------------------ state */

struct sq_conn {
    int64_t month; /* -1: slot free */
    sqlite3 *db;
    sqlite3_stmt *insert_item;
    sqlite3_stmt *insert_fts;
    sqlite3_stmt *insert_match;
    sqlite3_stmt *has_item;
    sqlite3_stmt *match_rows;
    bool in_tx;    /* a transaction of the current put is open */
    uint64_t used; /* last use, for eviction */
};

struct sq_state {
    char *dir;
    bool readonly;
    int64_t busy_timeout_ms;
    const struct archive_open_opts *opts; /* the front's, borrowed until close */
    pthread_mutex_t mu;                   /* writes and the connection cache */
    struct sq_conn conns[SQ_CACHE_MAX];
    uint64_t clock;
};

static int month_path(const struct sq_state *st, int64_t mk, char *buf, size_t len)
{
    char name[16];
    month_name(mk, name, sizeof name);
    int n = snprintf(buf, len, "%s/items-%s.db", st->dir, name);
    return n < 0 || (size_t)n >= len ? ERR_TOO_BIG : 0;
}

static bool path_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static void conn_close(struct sq_conn *c)
{
    sqlite3_finalize(c->insert_item);
    sqlite3_finalize(c->insert_fts);
    sqlite3_finalize(c->insert_match);
    sqlite3_finalize(c->has_item);
    sqlite3_finalize(c->match_rows);
    if (c->db && c->in_tx) {
        yq_sqlite_rollback(c->db);
    }
    yq_sqlite_close(c->db);
    memset(c, 0, sizeof *c);
    c->month = -1;
}

/*
 * Open month file path for reading (read-only, the tokenizer registered; never creates it).
 * Returns 0, ERR_NOT_FOUND (no such file), or the open's code with errbuf naming the file.
 */
static int open_read(const struct sq_state *st, const char *path, sqlite3 **out, char *errbuf,
                     size_t errlen)
{
    int err = yq_sqlite_open(path, YQ_SQLITE_READONLY, st->busy_timeout_ms, out, errbuf, errlen);
    if (err != 0) {
        return err;
    }
    err = archive_bigram_register(*out, errbuf, errlen);
    if (err != 0) {
        yq_sqlite_close(*out);
        *out = NULL;
    }
    return err;
}

/*
 * The cached write connection of month mk (caller holds st->mu). create: make the file when
 * missing; else a missing file gives *out = NULL and 0. Returns 0 or an ERR_* code.
 */
static int conn_get(struct sq_state *st, int64_t mk, bool create, struct sq_conn **out,
                    char *errbuf, size_t errlen)
{
    *out = NULL;
    struct sq_conn *slot = NULL;
    for (size_t i = 0; i < SQ_CACHE_MAX; i++) {
        if (st->conns[i].month == mk) {
            st->conns[i].used = ++st->clock;
            *out = &st->conns[i];
            return 0;
        }
    }
    char path[PATH_MAX];
    if (month_path(st, mk, path, sizeof path) != 0) {
        snprintf(errbuf, errlen, "archive: path too long under %s", st->dir);
        return ERR_IO;
    }
    if (!create && !path_exists(path)) {
        return 0;
    }
    if (create && !path_exists(st->dir)) {
        snprintf(errbuf, errlen, "archive: directory %s is missing (run yuqingctl archive init)",
                 st->dir);
        return ERR_IO;
    }
    for (size_t i = 0; i < SQ_CACHE_MAX; i++) {
        struct sq_conn *c = &st->conns[i];
        if (c->month < 0) {
            slot = c;
            break;
        }
        if (!c->in_tx && (!slot || c->used < slot->used)) {
            slot = c;
        }
    }
    if (!slot) {
        snprintf(errbuf, errlen, "archive: one batch spans more than %d month files",
                 SQ_CACHE_MAX);
        return ERR_INVALID;
    }
    if (slot->month >= 0) {
        conn_close(slot);
    }
    sqlite3 *db = NULL;
    int err = yq_sqlite_open(path, YQ_SQLITE_CREATE | YQ_SQLITE_WAL, st->busy_timeout_ms, &db,
                             errbuf, errlen);
    if (err == 0) {
        err = archive_bigram_register(db, errbuf, errlen);
    }
    if (err == 0) {
        err = yq_sqlite_migrate(db, &month_schema, st->busy_timeout_ms, errbuf, errlen);
        if (err != 0) {
            size_t used = strlen(errbuf);
            if (used < errlen) {
                snprintf(errbuf + used, errlen - used, " (%s)", path);
            }
        }
    }
    struct sq_conn c = {.month = mk, .db = db};
    if (err == 0) {
        err = yq_sqlite_prepare(db, sql_insert_item, &c.insert_item, path, errbuf, errlen);
    }
    if (err == 0) {
        err = yq_sqlite_prepare(db, sql_insert_fts, &c.insert_fts, path, errbuf, errlen);
    }
    if (err == 0) {
        err = yq_sqlite_prepare(db, sql_insert_match, &c.insert_match, path, errbuf, errlen);
    }
    if (err == 0) {
        err = yq_sqlite_prepare(db, sql_has_item, &c.has_item, path, errbuf, errlen);
    }
    if (err == 0) {
        err = yq_sqlite_prepare(db, sql_match_rows, &c.match_rows, path, errbuf, errlen);
    }
    if (err != 0) {
        conn_close(&c);
        return err;
    }
    c.used = ++st->clock;
    *slot = c;
    *out = slot;
    return 0;
}

/* The connection of month mk with the current put's transaction open on it. */
static int conn_tx(struct sq_state *st, int64_t mk, struct sq_conn **out, char *errbuf,
                   size_t errlen)
{
    int err = conn_get(st, mk, true, out, errbuf, errlen);
    if (err != 0) {
        return err;
    }
    if (!(*out)->in_tx) {
        err = yq_sqlite_exec((*out)->db, "BEGIN IMMEDIATE", "archive: begin", errbuf, errlen);
        if (err != 0) {
            return err;
        }
        (*out)->in_tx = true;
    }
    return 0;
}

/* Whether c's file holds item id: 0 with *found, or an ERR_* code. */
static int conn_has_item(struct sq_conn *c, const char *id, bool *found, char *errbuf,
                         size_t errlen)
{
    sqlite3_reset(c->has_item);
    sqlite3_bind_text(c->has_item, 1, id, -1, SQLITE_STATIC);
    int r = yq_sqlite_step(c->db, c->has_item, "archive: look up item", errbuf, errlen);
    sqlite3_reset(c->has_item);
    if (r < 0) {
        return r;
    }
    *found = r == 1;
    return 0;
}

/* The neighbouring month of time t whose file may hold an item of t: -1 when none. */
static int64_t neighbour_month(int64_t t, int64_t mk)
{
    if (t - month_start(mk) < SQ_NEIGHBOUR_WINDOW_S) {
        return mk - 1;
    }
    if (month_start(mk + 1) - t <= SQ_NEIGHBOUR_WINDOW_S) {
        return mk + 1;
    }
    return -1;
}

/* ------------------------------------------------------------------ open, close, init */

static bool sq_accepts(const char *location)
{
    return location[0] != '\0' && !strstr(location, "://");
}

/*
 * Read the marker of dir: 0 (version in *version), ERR_NOT_FOUND (no marker) or ERR_BAD_STATE
 * (unreadable), errbuf naming it.
 */
static int read_marker(const char *dir, int *version, char *errbuf, size_t errlen)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir, ARCHIVE_MARKER) >= (int)sizeof path) {
        snprintf(errbuf, errlen, "archive: path too long: %s", dir);
        return ERR_INVALID;
    }
    char *data = NULL;
    int err = yq_fs_read_file(path, SQ_MARKER_MAX_BYTES, &data, NULL);
    if (err == ERR_NOT_FOUND) {
        return err;
    }
    if (err != 0) {
        snprintf(errbuf, errlen, "archive: cannot read %s: %s", path, yq_strerror(err));
        return err == ERR_TOO_BIG ? ERR_BAD_STATE : err;
    }
    int v = 0;
    int n = 0;
    if (sscanf(data, "yuqing-archive %d%n", &v, &n) != 1 || v < 1) {
        snprintf(errbuf, errlen, "archive: %s is not a yuqing archive marker", path);
        free(data);
        return ERR_BAD_STATE;
    }
    free(data);
    *version = v;
    return 0;
}

static int mkdir_parents(const char *dir)
{
    char path[PATH_MAX];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof path) {
        return ERR_INVALID;
    }
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] == '/' || path[i] == '\0') {
            char c = path[i];
            path[i] = '\0';
            if (mkdir(path, 0750) != 0 && errno != EEXIST) {
                return ERR_IO;
            }
            path[i] = c;
        }
    }
    struct stat sb;
    return stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) ? 0 : ERR_IO;
}

static int sq_init(const char *location, char *errbuf, size_t errlen)
{
    if (mkdir_parents(location) != 0) {
        snprintf(errbuf, errlen, "archive: cannot create directory %s: %s", location,
                 strerror(errno));
        return ERR_IO;
    }
    int version = 0;
    int err = read_marker(location, &version, errbuf, errlen);
    if (err == 0) {
        if (version != ARCHIVE_LAYOUT_VERSION) {
            snprintf(errbuf, errlen, "archive: %s has layout version %d, this build knows %d",
                     location, version, ARCHIVE_LAYOUT_VERSION);
            return ERR_BAD_STATE;
        }
        return 0;
    }
    if (err != ERR_NOT_FOUND) {
        return err;
    }
    DIR *d = opendir(location);
    if (!d) {
        snprintf(errbuf, errlen, "archive: cannot read directory %s: %s", location,
                 strerror(errno));
        return ERR_IO;
    }
    bool empty = true;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            empty = false;
            break;
        }
    }
    closedir(d);
    if (!empty) {
        snprintf(errbuf, errlen,
                 "archive: %s is not empty and has no %s marker: refusing to make an archive "
                 "there",
                 location, ARCHIVE_MARKER);
        return ERR_BAD_STATE;
    }
    char path[PATH_MAX];
    char marker[64];
    snprintf(path, sizeof path, "%s/%s", location, ARCHIVE_MARKER);
    int n = snprintf(marker, sizeof marker, "yuqing-archive %d\n", ARCHIVE_LAYOUT_VERSION);
    if (yq_fs_write_file_atomic(path, marker, (size_t)n) != 0) {
        snprintf(errbuf, errlen, "archive: cannot write %s", path);
        return ERR_IO;
    }
    return 0;
}

static void sq_close(void *state)
{
    struct sq_state *st = state;
    if (!st) {
        return;
    }
    for (size_t i = 0; i < SQ_CACHE_MAX; i++) {
        if (st->conns[i].month >= 0) {
            conn_close(&st->conns[i]);
        }
    }
    pthread_mutex_destroy(&st->mu);
    free(st->dir);
    free(st);
}

static int sq_open(const char *location, const struct archive_open_opts *opts, void **state,
                   char *errbuf, size_t errlen)
{
    *state = NULL;
    struct stat sb;
    if (stat(location, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        snprintf(errbuf, errlen, "archive: no archive at %s (run yuqingctl archive init %s)",
                 location, location);
        return ERR_NOT_FOUND;
    }
    int version = 0;
    int err = read_marker(location, &version, errbuf, errlen);
    if (err == ERR_NOT_FOUND) {
        snprintf(errbuf, errlen,
                 "archive: %s has no %s marker: not an archive (run yuqingctl archive init %s)",
                 location, ARCHIVE_MARKER, location);
        return ERR_NOT_FOUND;
    }
    if (err != 0) {
        return err;
    }
    if (version > ARCHIVE_LAYOUT_VERSION) {
        snprintf(errbuf, errlen,
                 "archive: %s has layout version %d, newer than this build's %d: upgrade yuqing",
                 location, version, ARCHIVE_LAYOUT_VERSION);
        return ERR_BAD_STATE;
    }
    struct sq_state *st = calloc(1, sizeof *st);
    if (!st || !(st->dir = strdup(location))) {
        free(st);
        snprintf(errbuf, errlen, "archive: out of memory");
        return ERR_NOMEM;
    }
    size_t n = strlen(st->dir);
    while (n > 1 && st->dir[n - 1] == '/') {
        st->dir[--n] = '\0';
    }
    st->readonly = opts->flags & ARCHIVE_READONLY;
    st->busy_timeout_ms = opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : 5000;
    st->opts = opts;
    pthread_mutex_init(&st->mu, NULL);
    for (size_t i = 0; i < SQ_CACHE_MAX; i++) {
        st->conns[i].month = -1;
    }
    *state = st;
    return 0;
}

/* ------------------------------------------------------------------ put */

/* Scratch of one put. */
struct put_ctx {
    struct sq_state *st;
    const struct norm *norm;
    struct norm_text title;
    struct norm_text text;
    int64_t now_s;
    char *errbuf;
    size_t errlen;
};

static void bind_opt_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v) {
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(s, i);
    }
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    sqlite3_bind_text(s, i, v ? v : "", -1, SQLITE_STATIC);
}

/* Copy the match rows of id from file from into file to (items that follow their matches). */
static int copy_matches(struct sq_conn *from, struct sq_conn *to, const char *id, char *errbuf,
                        size_t errlen)
{
    sqlite3_stmt *q = from->match_rows;
    sqlite3_reset(q);
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int r;
    while ((r = yq_sqlite_step(from->db, q, "archive: read matches", errbuf, errlen)) == 1) {
        sqlite3_stmt *ins = to->insert_match;
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_value(ins, 2, sqlite3_column_value(q, 0));
        sqlite3_bind_value(ins, 3, sqlite3_column_value(q, 4));
        sqlite3_bind_value(ins, 4, sqlite3_column_value(q, 1));
        sqlite3_bind_value(ins, 5, sqlite3_column_value(q, 2));
        sqlite3_bind_value(ins, 6, sqlite3_column_value(q, 3));
        sqlite3_bind_value(ins, 7, sqlite3_column_value(q, 5));
        sqlite3_bind_value(ins, 8, sqlite3_column_value(q, 6));
        int w = yq_sqlite_step(to->db, ins, "archive: copy matches", errbuf, errlen);
        sqlite3_reset(ins);
        if (w < 0) {
            r = w;
            break;
        }
    }
    sqlite3_reset(q);
    return r < 0 ? r : 0;
}

static int put_item(struct put_ctx *pc, const struct yq_item *it, struct archive_put_result *res)
{
    struct sq_state *st = pc->st;
    int64_t t = archive_item_time(it);
    int64_t mk = month_of_time(t);
    int64_t nb = neighbour_month(t, mk);
    struct sq_conn *other = NULL;
    int err;
    if (nb >= 0) {
        err = conn_get(st, nb, false, &other, pc->errbuf, pc->errlen);
        if (err != 0) {
            return err;
        }
        if (other) {
            bool found = false;
            err = conn_has_item(other, it->id, &found, pc->errbuf, pc->errlen);
            if (err != 0) {
                return err;
            }
            if (found) {
                res->items_dup++;
                return 0;
            }
        }
    }
    struct sq_conn *c = NULL;
    err = conn_tx(st, mk, &c, pc->errbuf, pc->errlen);
    if (err != 0) {
        return err;
    }
    /* sentiment and the normalised text are only needed for a new row, but are cheap next to
       the insert and keep the statement simple; duplicates are rare (redeliveries) */
    struct yq_sentiment_result sres;
    bool has_sentiment = false;
    if (st->opts->sentiment &&
        yq_sentiment_score(st->opts->sentiment, it->title, it->text, &sres) == 0) {
        has_sentiment = true;
    }
    sqlite3_stmt *s = c->insert_item;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    bind_text(s, 1, it->id);
    bind_text(s, 2, it->source);
    bind_text(s, 3, it->source_id);
    bind_text(s, 4, it->channel);
    bind_text(s, 5, it->url);
    bind_text(s, 6, it->title);
    bind_text(s, 7, it->text);
    bind_text(s, 8, it->author);
    if (it->has_published) {
        sqlite3_bind_int64(s, 9, it->published_at);
    }
    bind_opt_text(s, 10, it->precision);
    sqlite3_bind_int64(s, 11, it->fetched_at);
    sqlite3_bind_int(s, 12, it->metrics.known);
    sqlite3_bind_int(s, 13, it->metrics.capped);
    sqlite3_bind_int64(s, 14, it->metrics.reposts);
    sqlite3_bind_int64(s, 15, it->metrics.comments);
    sqlite3_bind_int64(s, 16, it->metrics.likes);
    bind_opt_text(s, 17, it->region);
    bind_opt_text(s, 18, it->reply_to);
    bind_opt_text(s, 19, it->department);
    sqlite3_bind_int(s, 20, it->truncated);
    sqlite3_bind_int64(s, 21, it->truncated_fields);
    sqlite3_bind_int(s, 22, it->future_timestamp);
    sqlite3_bind_int(s, 23, it->official);
    sqlite3_bind_int(s, 24, it->local);
    sqlite3_bind_int(s, 25, it->backlog);
    sqlite3_bind_int64(s, 26, t);
    sqlite3_bind_int64(s, 27, pc->now_s);
    sqlite3_bind_int64(s, 28, archive_item_heat(it));
    if (has_sentiment) {
        sqlite3_bind_int(s, 29, (int)sres.label);
        sqlite3_bind_double(s, 30, sres.score);
    }
    int r = yq_sqlite_step(c->db, s, "archive: insert item", pc->errbuf, pc->errlen);
    sqlite3_reset(s);
    if (r < 0) {
        return r;
    }
    if (sqlite3_changes(c->db) == 0) {
        res->items_dup++;
        return 0;
    }
    sqlite3_int64 rid = sqlite3_last_insert_rowid(c->db);
    const char *title = it->title ? it->title : "";
    const char *text = it->text ? it->text : "";
    err = norm_apply(pc->norm, title, strlen(title), SQ_INDEX_MAX_BYTES, &pc->title);
    if (err == 0 || err == ERR_TOO_BIG) {
        err = norm_apply(pc->norm, text, strlen(text), SQ_INDEX_MAX_BYTES, &pc->text);
    }
    if (err == ERR_TOO_BIG) {
        err = 0; /* the prefix is indexed, as the matcher sees it */
    }
    if (err != 0) {
        snprintf(pc->errbuf, pc->errlen, "archive: normalising item %s: %s", it->id,
                 yq_strerror(err));
        return err;
    }
    s = c->insert_fts;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, rid);
    sqlite3_bind_text(s, 2, pc->title.buf ? pc->title.buf : "", (int)pc->title.len,
                      SQLITE_STATIC);
    sqlite3_bind_text(s, 3, pc->text.buf ? pc->text.buf : "", (int)pc->text.len, SQLITE_STATIC);
    r = yq_sqlite_step(c->db, s, "archive: index item", pc->errbuf, pc->errlen);
    sqlite3_reset(s);
    if (r < 0) {
        return r;
    }
    res->items_new++;
    if (nb >= 0) {
        /* an alert that came first may have left the matches in the neighbouring file */
        err = conn_get(st, nb, false, &other, pc->errbuf, pc->errlen);
        if (err == 0 && other) {
            err = copy_matches(other, c, it->id, pc->errbuf, pc->errlen);
        }
        if (err != 0) {
            return err;
        }
    }
    return 0;
}

static int put_alert(struct put_ctx *pc, const struct yq_alert *al, struct archive_put_result *res)
{
    struct sq_state *st = pc->st;
    const char *id = al->item.id;
    if (!id || !id[0] || !al->event_key) {
        res->items_refused++; /* counted with the items: an alert without its item's id */
        LOG_WARN("archive: alert without item id or event key refused");
        return 0;
    }
    int64_t t = archive_item_time(&al->item);
    int64_t mk = month_of_time(t);
    int64_t nb = neighbour_month(t, mk);
    int64_t target = mk;
    int err;
    if (nb >= 0) {
        struct sq_conn *own = NULL;
        bool own_has = false;
        err = conn_get(st, mk, false, &own, pc->errbuf, pc->errlen);
        if (err == 0 && own) {
            err = conn_has_item(own, id, &own_has, pc->errbuf, pc->errlen);
        }
        if (err != 0) {
            return err;
        }
        if (!own_has) {
            struct sq_conn *other = NULL;
            bool found = false;
            err = conn_get(st, nb, false, &other, pc->errbuf, pc->errlen);
            if (err == 0 && other) {
                err = conn_has_item(other, id, &found, pc->errbuf, pc->errlen);
            }
            if (err != 0) {
                return err;
            }
            if (found) {
                target = nb;
            }
        }
    }
    struct sq_conn *c = NULL;
    err = conn_tx(st, target, &c, pc->errbuf, pc->errlen);
    if (err != 0) {
        return err;
    }
    for (size_t i = 0; i < al->n_matches; i++) {
        const struct yq_alert_match *m = &al->matches[i];
        if (!m->rule_id || !m->rule_id[0]) {
            continue;
        }
        sqlite3_stmt *s = c->insert_match;
        sqlite3_reset(s);
        bind_text(s, 1, id);
        bind_text(s, 2, m->rule_id);
        bind_text(s, 3, al->event_key);
        bind_text(s, 4, m->group);
        bind_text(s, 5, m->department);
        sqlite3_bind_int(s, 6, (int)m->level);
        sqlite3_bind_int64(s, 7, al->rules_version);
        sqlite3_bind_int64(s, 8, al->matched_at);
        int r = yq_sqlite_step(c->db, s, "archive: insert match", pc->errbuf, pc->errlen);
        sqlite3_reset(s);
        if (r < 0) {
            return r;
        }
        if (sqlite3_changes(c->db) > 0) {
            res->matches_new++;
        } else {
            res->matches_dup++;
        }
    }
    return 0;
}

static int sq_put(void *state, const struct yq_item *const *items, size_t n_items,
                  const struct yq_alert *const *alerts, size_t n_alerts,
                  struct archive_put_result *res, char *errbuf, size_t errlen)
{
    struct sq_state *st = state;
    if (st->readonly) {
        snprintf(errbuf, errlen, "archive: read-only handle refuses to store");
        return ERR_BAD_STATE;
    }
    struct put_ctx pc = {.st = st, .now_s = yq_time_now(), .errbuf = errbuf, .errlen = errlen};
    int err = norm_global(&pc.norm, errbuf, errlen);
    if (err != 0) {
        return err;
    }
    struct archive_put_result r = {0};
    pthread_mutex_lock(&st->mu);
    for (size_t i = 0; err == 0 && i < n_items; i++) {
        const struct yq_item *it = items[i];
        if (!it->id || !it->id[0]) {
            r.items_refused++;
            LOG_WARN("archive: item without id refused (source %s)",
                     it->source_id ? it->source_id : "?");
            continue;
        }
        err = put_item(&pc, it, &r);
    }
    for (size_t i = 0; err == 0 && i < n_alerts; i++) {
        err = put_alert(&pc, alerts[i], &r);
    }
    /* commit every file of the batch; after the first failure roll the rest back */
    for (size_t i = 0; i < SQ_CACHE_MAX; i++) {
        struct sq_conn *c = &st->conns[i];
        if (c->month < 0 || !c->in_tx) {
            continue;
        }
        if (err == 0) {
            err = yq_sqlite_exec(c->db, "COMMIT", "archive: commit", errbuf, errlen);
        }
        if (err != 0) {
            yq_sqlite_rollback(c->db);
        }
        c->in_tx = false;
    }
    pthread_mutex_unlock(&st->mu);
    norm_text_release(&pc.title);
    norm_text_release(&pc.text);
    if (err == 0 && res) {
        *res = r;
    }
    return err;
}

/* ------------------------------------------------------------------ reading */

/* The month files of the directory, sorted ascending. */
static int list_months(const struct sq_state *st, int64_t **out, size_t *n_out, char *errbuf,
                       size_t errlen)
{
    *out = NULL;
    *n_out = 0;
    DIR *d = opendir(st->dir);
    if (!d) {
        snprintf(errbuf, errlen, "archive: cannot read directory %s: %s", st->dir,
                 strerror(errno));
        return errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;
    }
    int64_t *v = NULL;
    size_t n = 0;
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int64_t mk;
        if (!month_parse_file(e->d_name, &mk)) {
            continue;
        }
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            int64_t *nv = realloc(v, nc * sizeof *nv);
            if (!nv) {
                free(v);
                closedir(d);
                snprintf(errbuf, errlen, "archive: out of memory");
                return ERR_NOMEM;
            }
            v = nv;
            cap = nc;
        }
        v[n++] = mk;
    }
    closedir(d);
    /* few files: insertion sort */
    for (size_t i = 1; i < n; i++) {
        int64_t x = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
    *out = v;
    *n_out = n;
    return 0;
}

static char *col_dup(sqlite3_stmt *s, int i)
{
    const unsigned char *v = sqlite3_column_text(s, i);
    if (!v) {
        return NULL;
    }
    return strdup((const char *)v);
}

static const char *precision_of(const unsigned char *p)
{
    if (!p) {
        return NULL;
    }
    if (strcmp((const char *)p, "second") == 0) {
        return "second";
    }
    if (strcmp((const char *)p, "minute") == 0) {
        return "minute";
    }
    if (strcmp((const char *)p, "day") == 0) {
        return "day";
    }
    return NULL;
}

/* Fill row from the ITEM_COLS of s (first column at 0). Returns 0 or ERR_NOMEM. */
static int row_from_stmt(sqlite3_stmt *s, struct archive_row *row)
{
    memset(row, 0, sizeof *row);
    struct yq_item *it = &row->item;
    it->id = col_dup(s, 0);
    it->source = col_dup(s, 1);
    it->source_id = col_dup(s, 2);
    it->channel = col_dup(s, 3);
    it->url = col_dup(s, 4);
    it->title = col_dup(s, 5);
    it->text = col_dup(s, 6);
    it->author = col_dup(s, 7);
    it->has_published = sqlite3_column_type(s, 8) != SQLITE_NULL;
    it->published_at = sqlite3_column_int64(s, 8);
    it->precision = precision_of(sqlite3_column_text(s, 9));
    it->fetched_at = sqlite3_column_int64(s, 10);
    it->metrics.known = sqlite3_column_int(s, 11) != 0;
    it->metrics.capped = sqlite3_column_int(s, 12) != 0;
    it->metrics.reposts = sqlite3_column_int64(s, 13);
    it->metrics.comments = sqlite3_column_int64(s, 14);
    it->metrics.likes = sqlite3_column_int64(s, 15);
    it->region = col_dup(s, 16);
    it->reply_to = col_dup(s, 17);
    it->department = col_dup(s, 18);
    it->truncated = sqlite3_column_int(s, 19) != 0;
    it->truncated_fields = (unsigned)sqlite3_column_int64(s, 20);
    it->future_timestamp = sqlite3_column_int(s, 21) != 0;
    it->official = sqlite3_column_int(s, 22) != 0;
    it->local = sqlite3_column_int(s, 23) != 0;
    it->backlog = sqlite3_column_int(s, 24) != 0;
    row->time_s = sqlite3_column_int64(s, 25);
    row->archived_at = sqlite3_column_int64(s, 26);
    row->heat = sqlite3_column_int64(s, 27);
    row->has_sentiment = sqlite3_column_type(s, 28) != SQLITE_NULL;
    int lab = sqlite3_column_int(s, 28);
    row->sentiment = lab < 0 ? YQ_SENTIMENT_NEGATIVE
                     : lab > 0 ? YQ_SENTIMENT_POSITIVE
                               : YQ_SENTIMENT_NEUTRAL;
    row->sentiment_score = sqlite3_column_double(s, 29);
    if (!it->id || !it->source || !it->source_id || !it->channel || !it->url || !it->title ||
        !it->text || !it->author) {
        return ERR_NOMEM;
    }
    return 0;
}

/* Load the match rows of row's item with q (sql_match_rows prepared on the same file). */
static int row_load_matches(sqlite3 *db, sqlite3_stmt *q, struct archive_row *row, char *errbuf,
                            size_t errlen)
{
    sqlite3_reset(q);
    sqlite3_bind_text(q, 1, row->item.id, -1, SQLITE_STATIC);
    int r;
    size_t cap = 0;
    while ((r = yq_sqlite_step(db, q, "archive: read matches", errbuf, errlen)) == 1) {
        if (row->n_matches == cap) {
            size_t nc = cap ? cap * 2 : 4;
            struct archive_match *nm = realloc(row->matches, nc * sizeof *nm);
            if (!nm) {
                r = ERR_NOMEM;
                break;
            }
            row->matches = nm;
            cap = nc;
        }
        struct archive_match *m = &row->matches[row->n_matches];
        memset(m, 0, sizeof *m);
        row->n_matches++;
        m->rule_id = col_dup(q, 0);
        m->rule_group = col_dup(q, 1);
        m->department = col_dup(q, 2);
        int lv = sqlite3_column_int(q, 3);
        m->level = lv >= YQ_LEVEL_I && lv <= YQ_LEVEL_IV ? (enum yq_level)lv : YQ_LEVEL_IV;
        m->event_key = col_dup(q, 4);
        m->rules_version = sqlite3_column_int64(q, 5);
        m->matched_at = sqlite3_column_int64(q, 6);
        if (!m->rule_id || !m->rule_group || !m->department || !m->event_key) {
            r = ERR_NOMEM;
            break;
        }
    }
    sqlite3_reset(q);
    if (r == ERR_NOMEM) {
        snprintf(errbuf, errlen, "archive: out of memory reading matches");
    }
    return r < 0 ? r : 0;
}

/* Prefix errbuf (already holding a message) with the month file's path. */
static int name_file(int err, const char *path, char *errbuf, size_t errlen)
{
    if (errlen == 0) {
        return err;
    }
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", errbuf);
    snprintf(errbuf, errlen, "archive month file %s: %s", path, tmp);
    return err;
}

/* Scan one month file with the built WHERE clause. */
static int scan_month(const struct sq_state *st, int64_t mk, const char *sql,
                      const struct archive_filter *f, const char *match_expr, archive_row_fn fn,
                      void *arg, bool *stop, char *errbuf, size_t errlen)
{
    char path[PATH_MAX];
    if (month_path(st, mk, path, sizeof path) != 0) {
        snprintf(errbuf, errlen, "archive: path too long under %s", st->dir);
        return ERR_IO;
    }
    sqlite3 *db = NULL;
    int err = open_read(st, path, &db, errbuf, errlen);
    if (err == ERR_NOT_FOUND) {
        return 0; /* pruned meanwhile */
    }
    if (err != 0) {
        return name_file(err, path, errbuf, errlen);
    }
    sqlite3_stmt *s = NULL;
    sqlite3_stmt *q = NULL;
    err = yq_sqlite_prepare(db, sql, &s, "scan", errbuf, errlen);
    if (err == 0) {
        err = yq_sqlite_prepare(db, sql_match_rows, &q, "scan matches", errbuf, errlen);
    }
    if (err == 0) {
        int i = 1;
        if (f->since_s) {
            sqlite3_bind_int64(s, i++, f->since_s);
        }
        if (f->until_s) {
            sqlite3_bind_int64(s, i++, f->until_s);
        }
        if (f->source && f->source[0]) {
            sqlite3_bind_text(s, i++, f->source, -1, SQLITE_STATIC);
        }
        if (f->source_id && f->source_id[0]) {
            sqlite3_bind_text(s, i++, f->source_id, -1, SQLITE_STATIC);
        }
        if (f->channel && f->channel[0]) {
            sqlite3_bind_text(s, i++, f->channel, -1, SQLITE_STATIC);
        }
        if (f->department && f->department[0]) {
            sqlite3_bind_text(s, i++, f->department, -1, SQLITE_STATIC);
        }
        if (f->has_sentiment) {
            sqlite3_bind_int(s, i++, (int)f->sentiment);
        }
        if (match_expr) {
            sqlite3_bind_text(s, i++, match_expr, -1, SQLITE_STATIC);
        }
    }
    int r = 0;
    while (err == 0 && (r = yq_sqlite_step(db, s, "scan", errbuf, errlen)) == 1) {
        struct archive_row row;
        err = row_from_stmt(s, &row);
        if (err == 0) {
            err = row_load_matches(db, q, &row, errbuf, errlen);
        } else {
            snprintf(errbuf, errlen, "archive: out of memory reading a row");
        }
        if (err == 0) {
            int cb = fn(&row, arg);
            if (cb == 1) {
                *stop = true;
            } else if (cb < 0) {
                err = cb;
                archive_row_release(&row);
                sqlite3_finalize(s);
                sqlite3_finalize(q);
                yq_sqlite_close(db);
                return err; /* the callback's own code, errbuf untouched */
            }
        }
        archive_row_release(&row);
        if (*stop) {
            break;
        }
    }
    if (err == 0 && r < 0) {
        err = r;
    }
    sqlite3_finalize(s);
    sqlite3_finalize(q);
    yq_sqlite_close(db);
    return err != 0 ? name_file(err, path, errbuf, errlen) : 0;
}

static int sq_scan(void *state, const struct archive_filter *f, archive_row_fn fn, void *arg,
                   char *errbuf, size_t errlen)
{
    struct sq_state *st = state;
    char *match_expr = NULL;
    int err = archive_bigram_match_expr(f->narrow, &match_expr);
    if (err != 0) {
        snprintf(errbuf, errlen, "archive: out of memory building the index query");
        return err;
    }
    char sql[2048];
    struct yq_buf b;
    yq_buf_init(&b, sizeof sql);
    yq_buf_adds(&b, "SELECT " ITEM_COLS " FROM items WHERE 1");
    if (f->since_s) {
        yq_buf_adds(&b, " AND time_s >= ?");
    }
    if (f->until_s) {
        yq_buf_adds(&b, " AND time_s < ?");
    }
    if (f->source && f->source[0]) {
        yq_buf_adds(&b, " AND source = ?");
    }
    if (f->source_id && f->source_id[0]) {
        yq_buf_adds(&b, " AND source_id = ?");
    }
    if (f->channel && f->channel[0]) {
        yq_buf_adds(&b, " AND channel = ?");
    }
    if (f->department && f->department[0]) {
        yq_buf_adds(&b, " AND EXISTS (SELECT 1 FROM matches m WHERE m.item_id = items.id"
                        " AND m.department = ?)");
    }
    if (f->matched == 1) {
        yq_buf_adds(&b, " AND EXISTS (SELECT 1 FROM matches m WHERE m.item_id = items.id)");
    } else if (f->matched == 2) {
        yq_buf_adds(&b, " AND NOT EXISTS (SELECT 1 FROM matches m WHERE m.item_id = items.id)");
    }
    if (f->has_sentiment) {
        yq_buf_adds(&b, " AND sentiment = ?");
    }
    if (match_expr) {
        yq_buf_adds(&b, " AND rid IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ?)");
    }
    bool newest = f->order != ARCHIVE_OLDEST_FIRST;
    if (yq_buf_adds(&b, newest ? " ORDER BY time_s DESC, id DESC" : " ORDER BY time_s, id") !=
        0) {
        yq_buf_release(&b);
        free(match_expr);
        snprintf(errbuf, errlen, "archive: out of memory building the scan");
        return ERR_NOMEM;
    }
    snprintf(sql, sizeof sql, "%s", b.data);
    yq_buf_release(&b);

    int64_t *months = NULL;
    size_t n = 0;
    err = list_months(st, &months, &n, errbuf, errlen);
    if (err == ERR_NOT_FOUND) {
        err = ERR_IO; /* the directory vanished under an open handle */
    }
    bool stop = false;
    for (size_t k = 0; err == 0 && k < n && !stop; k++) {
        int64_t mk = months[newest ? n - 1 - k : k];
        if (f->since_s && month_start(mk + 1) <= f->since_s) {
            continue;
        }
        if (f->until_s && month_start(mk) >= f->until_s) {
            continue;
        }
        err = scan_month(st, mk, sql, f, match_expr, fn, arg, &stop, errbuf, errlen);
    }
    free(months);
    free(match_expr);
    return err;
}

static int sq_get(void *state, const char *item_id, struct archive_row *out, char *errbuf,
                  size_t errlen)
{
    struct sq_state *st = state;
    int64_t *months = NULL;
    size_t n = 0;
    int err = list_months(st, &months, &n, errbuf, errlen);
    if (err == ERR_NOT_FOUND) {
        err = ERR_IO;
    }
    bool found = false;
    for (size_t k = 0; err == 0 && !found && k < n; k++) {
        char path[PATH_MAX];
        if (month_path(st, months[n - 1 - k], path, sizeof path) != 0) {
            continue;
        }
        sqlite3 *db = NULL;
        err = open_read(st, path, &db, errbuf, errlen);
        if (err == ERR_NOT_FOUND) {
            err = 0;
            continue;
        }
        if (err != 0) {
            err = name_file(err, path, errbuf, errlen);
            break;
        }
        sqlite3_stmt *s = NULL;
        sqlite3_stmt *q = NULL;
        err = yq_sqlite_prepare(db, "SELECT " ITEM_COLS " FROM items WHERE id = ?1", &s, "get",
                                errbuf, errlen);
        if (err == 0) {
            err = yq_sqlite_prepare(db, sql_match_rows, &q, "get matches", errbuf, errlen);
        }
        if (err == 0) {
            sqlite3_bind_text(s, 1, item_id, -1, SQLITE_STATIC);
            int r = yq_sqlite_step(db, s, "get", errbuf, errlen);
            if (r == 1) {
                err = row_from_stmt(s, out);
                if (err == 0) {
                    err = row_load_matches(db, q, out, errbuf, errlen);
                }
                if (err != 0) {
                    archive_row_release(out);
                } else {
                    found = true;
                }
            } else if (r < 0) {
                err = r;
            }
        }
        sqlite3_finalize(s);
        sqlite3_finalize(q);
        yq_sqlite_close(db);
        if (err != 0) {
            err = name_file(err, path, errbuf, errlen);
        }
    }
    free(months);
    if (err == 0 && !found) {
        snprintf(errbuf, errlen, "archive: no item %s", item_id);
        return ERR_NOT_FOUND;
    }
    return err;
}

static int sq_prune(void *state, int64_t now_s, int64_t retention_days, size_t *n_removed,
                    char *errbuf, size_t errlen)
{
    struct sq_state *st = state;
    if (n_removed) {
        *n_removed = 0;
    }
    if (st->readonly) {
        snprintf(errbuf, errlen, "archive: read-only handle refuses to prune");
        return ERR_BAD_STATE;
    }
    int64_t *months = NULL;
    size_t n = 0;
    int err = list_months(st, &months, &n, errbuf, errlen);
    if (err != 0) {
        return err == ERR_NOT_FOUND ? ERR_IO : err;
    }
    pthread_mutex_lock(&st->mu);
    for (size_t k = 0; err == 0 && k < n; k++) {
        int64_t mk = months[k];
        if (now_s - month_start(mk + 1) <= retention_days * SQ_DAY_S) {
            continue;
        }
        for (size_t i = 0; i < SQ_CACHE_MAX; i++) {
            if (st->conns[i].month == mk) {
                conn_close(&st->conns[i]);
            }
        }
        char path[PATH_MAX];
        char side[PATH_MAX + 8];
        if (month_path(st, mk, path, sizeof path) != 0) {
            continue;
        }
        if (unlink(path) != 0 && errno != ENOENT) {
            snprintf(errbuf, errlen, "archive: cannot remove %s: %s", path, strerror(errno));
            err = ERR_IO;
            break;
        }
        snprintf(side, sizeof side, "%s-wal", path);
        (void)unlink(side);
        snprintf(side, sizeof side, "%s-shm", path);
        (void)unlink(side);
        LOG_INFO("archive: pruned %s (retention %lld days)", path, (long long)retention_days);
        if (n_removed) {
            (*n_removed)++;
        }
    }
    pthread_mutex_unlock(&st->mu);
    free(months);
    return err;
}

static int64_t file_bytes(const char *path)
{
    struct stat sb;
    int64_t total = 0;
    char side[PATH_MAX + 8];
    if (stat(path, &sb) == 0) {
        total += sb.st_size;
    }
    snprintf(side, sizeof side, "%s-wal", path);
    if (stat(side, &sb) == 0) {
        total += sb.st_size;
    }
    return total;
}

static int count_query(sqlite3 *db, const char *sql, int64_t *out, char *errbuf, size_t errlen)
{
    sqlite3_stmt *s = NULL;
    int err = yq_sqlite_prepare(db, sql, &s, "stats", errbuf, errlen);
    if (err != 0) {
        return err;
    }
    int r = yq_sqlite_step(db, s, "stats", errbuf, errlen);
    *out = r == 1 ? sqlite3_column_int64(s, 0) : 0;
    sqlite3_finalize(s);
    return r < 0 ? r : 0;
}

static int sq_stats(void *state, json_t **out, char *errbuf, size_t errlen)
{
    struct sq_state *st = state;
    *out = NULL;
    int64_t *months = NULL;
    size_t n = 0;
    int err = list_months(st, &months, &n, errbuf, errlen);
    if (err != 0) {
        return err == ERR_NOT_FOUND ? ERR_IO : err;
    }
    json_t *arr = json_array();
    int64_t items = 0;
    int64_t matched = 0;
    int64_t bytes = 0;
    for (size_t k = 0; arr && err == 0 && k < n; k++) {
        int64_t mk = months[n - 1 - k];
        char path[PATH_MAX];
        char name[16];
        if (month_path(st, mk, path, sizeof path) != 0) {
            continue;
        }
        month_name(mk, name, sizeof name);
        sqlite3 *db = NULL;
        err = open_read(st, path, &db, errbuf, errlen);
        if (err == ERR_NOT_FOUND) {
            err = 0;
            continue;
        }
        int64_t mi = 0;
        int64_t mm = 0;
        if (err == 0) {
            err = count_query(db, "SELECT count(*) FROM items", &mi, errbuf, errlen);
        }
        if (err == 0) {
            err = count_query(db,
                              "SELECT count(*) FROM items WHERE EXISTS (SELECT 1 FROM matches m"
                              " WHERE m.item_id = items.id)",
                              &mm, errbuf, errlen);
        }
        yq_sqlite_close(db);
        if (err != 0) {
            err = name_file(err, path, errbuf, errlen);
            break;
        }
        int64_t mb = file_bytes(path);
        items += mi;
        matched += mm;
        bytes += mb;
        if (json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:I}", "month", name, "items",
                                                 (json_int_t)mi, "matched", (json_int_t)mm,
                                                 "bytes", (json_int_t)mb)) != 0) {
            err = ERR_NOMEM;
        }
    }
    free(months);
    if (err == 0 && arr) {
        *out = json_pack("{s:s, s:s, s:I, s:I, s:I, s:o}", "location", st->dir, "backend",
                         "sqlite", "items", (json_int_t)items, "matched", (json_int_t)matched,
                         "bytes", (json_int_t)bytes, "months", arr);
        arr = NULL;
        if (!*out) {
            err = ERR_NOMEM;
        }
    } else if (!arr) {
        err = ERR_NOMEM;
    }
    json_decref(arr);
    if (err == ERR_NOMEM) {
        snprintf(errbuf, errlen, "archive: out of memory");
    }
    return err;
}

const struct archive_backend_ops archive_sqlite_ops = {
    .name = "sqlite",
    .accepts = sq_accepts,
    .init = sq_init,
    .open = sq_open,
    .close = sq_close,
    .put = sq_put,
    .scan = sq_scan,
    .get = sq_get,
    .prune = sq_prune,
    .stats = sq_stats,
};
