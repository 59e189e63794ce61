/*
 * The embedded archive backend (archive.h): a directory with the ARCHIVE marker and one SQLite
 * file per Beijing-time month of the archive time, items-YYYY-MM.db (WAL, synchronous=FULL, one
 * yq_sqlite_schema track per file), with an FTS5 index over code-point bigrams of the
 * normalised title and text (archive_bigram.h).
 *
 * This file holds the layout, the schema and the writes (init, open, put, prune); the reads
 * (scan, get, stats) are in archive_sqlite_read.c. Writes are serialised by the state's mutex
 * and use cached read-write connections with prepared statements. Reads open their own
 * read-only connections per call and take no lock, so a scan's callback may call any function
 * of the same handle, and readers never wait for the writer (WAL).
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
#include "archive_row.h"
#include "archive_sqlite_internal.h"
#include "norm.h"
#include "yq_buf.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_log.h"
#include "yq_db.h"
#include "yq_time.h"

#define SQ_MARKER_MAX_BYTES 256
/* An item this close to a month boundary may have been stored in the neighbouring month
   (a re-poll moved its archive time): its id is looked up there too. */
#define SQ_NEIGHBOUR_WINDOW_S (48 * 3600)
/* Page cache of a write connection, KiB (SQLite's default is 2000): a batch's index pages stay
   cached between batches (bench/archive: the insert rate falls once the indexes outgrow it). */
#define SQ_WRITE_CACHE_KIB 16384

/* ------------------------------------------------------------------ months */

/* Archive times outside 1970-01-01 .. 9999-12-31 (bogus dates) file into the nearest month of
   that range, so month file names keep their four-digit year. */
#define SQ_MIN_TIME_S 0
#define SQ_MAX_TIME_S INT64_C(253402271999) /* 9999-12-31 00:00:00 Beijing, well inside */

static int64_t clamp_time(int64_t t)
{
    return t < SQ_MIN_TIME_S ? SQ_MIN_TIME_S : t > SQ_MAX_TIME_S ? SQ_MAX_TIME_S : t;
}

/* The month of archive time t as y * 12 + (m - 1), Beijing time. */
static int64_t month_of_time(int64_t t)
{
    t = clamp_time(t);
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

int64_t archive_sq_month_of_time(int64_t t)
{
    return month_of_time(t);
}

/* First second (UTC) of month mk in Beijing time. */
int64_t archive_sq_month_start(int64_t mk)
{
    int64_t y;
    unsigned m;

    archive_month_split(mk, &y, &m);
    return yq_time_days_from_civil(y, m, 1) * SQ_DAY_S - YQ_SHANGHAI_OFFSET_S;
}

void archive_sq_month_name(int64_t mk, char *buf, size_t len)
{
    int64_t y;
    unsigned m;

    archive_month_split(mk, &y, &m);
    snprintf(buf, len, "%04lld-%02u", (long long)y, m);
}

/* ------------------------------------------------------------------ schema */

static const struct yq_db_migration month_migrations[] = {
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
     NULL, NULL},
};

static const struct yq_db_schema month_schema = {
    "archive month file", month_migrations, sizeof month_migrations / sizeof month_migrations[0]};


static const char sql_insert_item[] =
    "INSERT OR IGNORE INTO items (" ITEM_COLS ") VALUES "
    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,"
    " ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30)";
static const char sql_insert_fts[] = "INSERT INTO items_fts (rowid, title, text) VALUES (?1, ?2, ?3)";
static const char sql_insert_match[] =
    "INSERT OR IGNORE INTO matches (item_id, rule_id, event_key, rule_group, department, level,"
    " rules_version, matched_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
static const char sql_has_item[] = "SELECT 1 FROM items WHERE id = ?1";
/* archive_put(): the completed delivery of an item stored as a preview (archive_bind_completion())
 */
static const char sql_complete_item[] =
    "UPDATE items SET title = ?1, text = ?2, truncated = 0, truncated_fields = ?3, sentiment = ?4,"
    " sentiment_score = ?5 WHERE id = ?6 AND truncated <> 0 RETURNING rid";

/* ------------------------------------------------------------------ state */


int archive_sq_month_path(const struct sq_state *st, int64_t mk, char *buf, size_t len)
{
    char name[32];
    archive_sq_month_name(mk, name, sizeof name);
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
    yq_stmt_finalize(c->insert_item);
    yq_stmt_finalize(c->insert_fts);
    yq_stmt_finalize(c->insert_match);
    yq_stmt_finalize(c->has_item);
    yq_stmt_finalize(c->complete_item);
    yq_stmt_finalize(c->match_rows);
    if (c->db && c->in_tx) {
        yq_db_rollback(c->db);
    }
    yq_db_close(c->db);
    memset(c, 0, sizeof *c);
    c->month = -1;
}

/*
 * Open month file path for reading (read-only, the tokenizer registered; never creates it).
 * Returns 0, ERR_NOT_FOUND (no such file, or one a writer is still creating: no schema yet,
 * read as empty), or the open's code with errbuf naming the file.
 */
int archive_sq_open_read(const struct sq_state *st, const char *path, struct yq_db **out, char *errbuf,
                     size_t errlen)
{
    int err = yq_db_open(path, YQ_DB_READONLY_OPEN, st->busy_timeout_ms, out, errbuf, errlen);
    if (err != 0) {
        return err;
    }
    err = archive_bigram_register(*out, errbuf, errlen);
    int version = 0;
    if (err == 0) {
        err = yq_db_schema_version(*out, &version, errbuf, errlen);
    }
    if (err == 0 && version == 0) {
        /* a writer has just created the file and not yet committed its schema: empty */
        snprintf(errbuf, errlen, "archive: %s has no schema yet", path);
        err = ERR_NOT_FOUND;
    }
    if (err != 0) {
        yq_db_close(*out);
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
    char path[PATH_MAX];
    if (archive_sq_month_path(st, mk, path, sizeof path) != 0) {
        snprintf(errbuf, errlen, "archive: path too long under %s", st->dir);
        return ERR_IO;
    }
    for (size_t i = 0; i < SQ_CACHE_MAX; i++) {
        struct sq_conn *c = &st->conns[i];
        if (c->month != mk) {
            continue;
        }
        struct stat sb;
        /*
         * A cached connection whose file was deleted or replaced (the directory removed, moved
         * or restored from a copy) would store into a file nobody reads: close it and open the
         * path anew (which refuses a vanished archive). Inside a put's transaction the file was
         * checked when the transaction began.
         */
        if (!c->in_tx && (stat(path, &sb) != 0 || sb.st_dev != c->dev || sb.st_ino != c->ino)) {
            LOG_WARN("archive: month file %s was removed or replaced under the writer; reopening",
                     path);
            conn_close(c);
            break;
        }
        c->used = ++st->clock;
        *out = c;
        return 0;
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
    struct yq_db *db = NULL;
    int err = yq_db_open(path, YQ_DB_CREATE | YQ_DB_WAL, st->busy_timeout_ms, &db,
                             errbuf, errlen);
    if (err == 0) {
        err = archive_bigram_register(db, errbuf, errlen);
    }
    if (err == 0) {
        char pragma[64];
        snprintf(pragma, sizeof pragma, "PRAGMA cache_size = -%d", SQ_WRITE_CACHE_KIB);
        err = yq_db_exec(db, pragma, path, errbuf, errlen);
    }
    if (err == 0) {
        err = yq_db_migrate(db, &month_schema, st->busy_timeout_ms, errbuf, errlen);
        if (err != 0) {
            size_t used = strlen(errbuf);
            if (used < errlen) {
                snprintf(errbuf + used, errlen - used, " (%s)", path);
            }
        }
    }
    struct sq_conn c = {.month = mk, .db = db};
    if (err == 0) {
        struct stat sb;
        if (stat(path, &sb) != 0) {
            snprintf(errbuf, errlen, "archive: %s vanished while it was opened: %s", path,
                     strerror(errno));
            err = ERR_IO;
        } else {
            c.dev = sb.st_dev;
            c.ino = sb.st_ino;
        }
    }
    if (err == 0) {
        err = yq_db_prepare(db, sql_insert_item, &c.insert_item, path, errbuf, errlen);
    }
    if (err == 0) {
        err = yq_db_prepare(db, sql_insert_fts, &c.insert_fts, path, errbuf, errlen);
    }
    if (err == 0) {
        err = yq_db_prepare(db, sql_insert_match, &c.insert_match, path, errbuf, errlen);
    }
    if (err == 0) {
        err = yq_db_prepare(db, sql_has_item, &c.has_item, path, errbuf, errlen);
    }
    if (err == 0) {
        err = yq_db_prepare(db, sql_complete_item, &c.complete_item, path, errbuf, errlen);
    }
    if (err == 0) {
        err = yq_db_prepare(db, ARCHIVE_SQ_SQL_MATCH_ROWS, &c.match_rows, path, errbuf, errlen);
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
        err = yq_db_exec((*out)->db, "BEGIN IMMEDIATE", "archive: begin", errbuf, errlen);
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
    yq_stmt_reset(c->has_item);
    yq_stmt_bind_text(c->has_item, 1, id);
    int r = yq_db_step(c->db, c->has_item, "archive: look up item", errbuf, errlen);
    yq_stmt_reset(c->has_item);
    if (r < 0) {
        return r;
    }
    *found = r == 1;
    return 0;
}

/* The neighbouring month of time t whose file may hold an item of t: -1 when none. */
static int64_t neighbour_month(int64_t t, int64_t mk)
{
    t = clamp_time(t);
    if (t - archive_sq_month_start(mk) < SQ_NEIGHBOUR_WINDOW_S) {
        return mk - 1;
    }
    if (archive_sq_month_start(mk + 1) - t <= SQ_NEIGHBOUR_WINDOW_S) {
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
    struct archive_put_base b; /* first: archive_put() */
    struct sq_state *st;
    bool locked; /* st->mu held (sq_put_begin) */
};

/* Copy the match rows of id from file from into file to (items that follow their matches). */
static int copy_matches(struct sq_conn *from, struct sq_conn *to, const char *id, char *errbuf,
                        size_t errlen)
{
    struct yq_stmt *q = from->match_rows;
    yq_stmt_reset(q);
    yq_stmt_bind_text(q, 1, id);
    int r;
    while ((r = yq_db_step(from->db, q, "archive: read matches", errbuf, errlen)) == 1) {
        struct yq_stmt *ins = to->insert_match;
        yq_stmt_reset(ins);
        yq_stmt_bind_text(ins, 1, id);
        yq_stmt_bind_column(ins, 2, q, 0);
        yq_stmt_bind_column(ins, 3, q, 4);
        yq_stmt_bind_column(ins, 4, q, 1);
        yq_stmt_bind_column(ins, 5, q, 2);
        yq_stmt_bind_column(ins, 6, q, 3);
        yq_stmt_bind_column(ins, 7, q, 5);
        yq_stmt_bind_column(ins, 8, q, 6);
        int w = yq_db_step(to->db, ins, "archive: copy matches", errbuf, errlen);
        yq_stmt_reset(ins);
        if (w < 0) {
            r = w;
            break;
        }
    }
    yq_stmt_reset(q);
    return r < 0 ? r : 0;
}

/*
 * The existing file of neighbouring month nb for a look-up (*out NULL when there is none). A
 * neighbour that cannot be read (corrupt: ERR_PARSE; a newer schema: ERR_BAD_STATE) is logged
 * and skipped, so puts into a sound month never stall on it; the cost is that an item moved
 * across that boundary may be stored a second time.
 */
static int neighbour_conn(struct put_ctx *pc, int64_t nb, struct sq_conn **out)
{
    int err = conn_get(pc->st, nb, false, out, pc->b.errbuf, pc->b.errlen);
    if (err == ERR_PARSE || err == ERR_BAD_STATE) {
        LOG_WARN("archive: neighbouring month file skipped for the duplicate check: %s",
                 pc->b.errbuf);
        *out = NULL;
        pc->b.errbuf[0] = '\0';
        return 0;
    }
    return err;
}

/* Index it (normalised title and text) as row rid of c's file. Returns 0 or an ERR_* code. */
static int index_item(struct put_ctx *pc, struct sq_conn *c, int64_t rid, const struct yq_item *it)
{
    int err = archive_put_normalise(&pc->b, it);
    if (err == ERR_TOO_BIG) {
        err = 0; /* the prefix is indexed, as the matcher sees it */
    }
    if (err != 0) {
        snprintf(pc->b.errbuf, pc->b.errlen, "archive: normalising item %s: %s", it->id,
                 yq_strerror(err));
        return err;
    }
    struct yq_stmt *s = c->insert_fts;
    yq_stmt_reset(s);
    yq_stmt_bind_int64(s, 1, rid);
    yq_stmt_bind_textn(s, 2, pc->b.title.buf ? pc->b.title.buf : "", (int)pc->b.title.len);
    yq_stmt_bind_textn(s, 3, pc->b.text.buf ? pc->b.text.buf : "", (int)pc->b.text.len);
    int r = yq_db_step(c->db, s, "archive: index item", pc->b.errbuf, pc->b.errlen);
    yq_stmt_reset(s);
    return r < 0 ? r : 0;
}

/*
 * it, already stored in month mk's file, is a redelivery: when it is not truncated and the
 * stored row is (a preview), replace the row's text and index the new text (archive_put()).
 * The contentless index cannot forget the preview's bigrams: the row keeps them too, which only
 * widens the narrowing (the matcher decides). Counts the item completed or duplicate.
 */
static int complete_or_dup(struct put_ctx *pc, int64_t mk, const struct yq_item *it,
                           struct archive_put_result *res)
{
    struct sq_conn *c = NULL;
    int64_t rid = -1;
    int err, r;

    if (it->truncated) {
        res->items_dup++;
        return 0;
    }
    err = conn_tx(pc->st, mk, &c, pc->b.errbuf, pc->b.errlen);
    if (err != 0) {
        return err;
    }
    struct yq_stmt *s = c->complete_item;
    yq_stmt_reset(s);
    yq_stmt_clear_bindings(s);
    archive_bind_completion(s, 1, it, pc->st->opts->sentiment, archive_bind_text);
    archive_bind_text(s, 1 + ARCHIVE_COMPLETE_PARAMS, it->id);
    r = yq_db_step(c->db, s, "archive: complete item", pc->b.errbuf, pc->b.errlen);
    if (r == 1) {
        rid = yq_stmt_column_int64(s, 0);
        r = yq_db_step(c->db, s, "archive: complete item", pc->b.errbuf, pc->b.errlen);
    }
    yq_stmt_reset(s);
    if (r < 0) {
        return r;
    }
    if (rid < 0) {
        res->items_dup++;
        return 0;
    }
    err = index_item(pc, c, rid, it);
    if (err == 0) {
        res->items_completed++;
    }
    return err;
}

static int put_item(void *ctx, const struct yq_item *it, struct archive_put_result *res)
{
    struct put_ctx *pc = ctx;
    struct sq_state *st = pc->st;
    int64_t t = archive_item_time(it);
    int64_t mk = month_of_time(t);
    int64_t nb = neighbour_month(t, mk);
    struct sq_conn *other = NULL;
    int err;
    if (nb >= 0) {
        err = neighbour_conn(pc, nb, &other);
        if (err != 0) {
            return err;
        }
        if (other) {
            bool found = false;
            err = conn_has_item(other, it->id, &found, pc->b.errbuf, pc->b.errlen);
            if (err != 0) {
                return err;
            }
            if (found) {
                return complete_or_dup(pc, nb, it, res);
            }
        }
    }
    struct sq_conn *c = NULL;
    err = conn_tx(st, mk, &c, pc->b.errbuf, pc->b.errlen);
    if (err != 0) {
        return err;
    }
    /* sentiment and the normalised text are only needed for a new row, but are cheap next to
       the insert and keep the statement simple; duplicates are rare (redeliveries) */
    struct yq_stmt *s = c->insert_item;
    yq_stmt_reset(s);
    yq_stmt_clear_bindings(s);
    archive_bind_item(s, 1, it, t, pc->b.now_s, st->opts->sentiment, archive_bind_text,
                      archive_bind_opt_text);
    int r = yq_db_step(c->db, s, "archive: insert item", pc->b.errbuf, pc->b.errlen);
    yq_stmt_reset(s);
    if (r < 0) {
        return r;
    }
    if (yq_db_changes(c->db) == 0) {
        return complete_or_dup(pc, mk, it, res);
    }
    err = index_item(pc, c, sqlite3_last_insert_rowid(yq_db_sqlite_handle(c->db)), it);
    if (err != 0) {
        return err;
    }
    res->items_new++;
    if (nb >= 0) {
        /* an alert that came first may have left the matches in the neighbouring file */
        err = neighbour_conn(pc, nb, &other);
        if (err == 0 && other) {
            err = copy_matches(other, c, it->id, pc->b.errbuf, pc->b.errlen);
        }
        if (err != 0) {
            return err;
        }
    }
    return 0;
}

static int put_alert(void *ctx, const struct yq_alert *al, struct archive_put_result *res)
{
    struct put_ctx *pc = ctx;
    struct sq_state *st = pc->st;
    const char *id = al->item.id;
    if (!archive_alert_accepted(al, res)) {
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
        err = conn_get(st, mk, false, &own, pc->b.errbuf, pc->b.errlen);
        if (err == 0 && own) {
            err = conn_has_item(own, id, &own_has, pc->b.errbuf, pc->b.errlen);
        }
        if (err != 0) {
            return err;
        }
        if (!own_has) {
            struct sq_conn *other = NULL;
            bool found = false;
            err = neighbour_conn(pc, nb, &other);
            if (err == 0 && other) {
                err = conn_has_item(other, id, &found, pc->b.errbuf, pc->b.errlen);
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
    err = conn_tx(st, target, &c, pc->b.errbuf, pc->b.errlen);
    if (err != 0) {
        return err;
    }
    return archive_put_matches(c->db, c->insert_match, al, -1, archive_bind_text, res,
                               pc->b.errbuf, pc->b.errlen);
}

/*
 * The archive must still be where it was opened: a removed or moved directory (its marker
 * gone) fails the put, so the caller keeps its batch and commits nothing (design §8: never
 * recreated implicitly, nothing stored where no reader looks). Then the lock.
 */
static int sq_put_begin(void *ctx, void *state)
{
    struct put_ctx *pc = ctx;
    int version = 0;
    char why[256] = "";
    int err;

    pc->st = state;
    err = read_marker(pc->st->dir, &version, why, sizeof why);
    if (err != 0) {
        /* read_marker() names no reason for a marker that is not there */
        snprintf(pc->b.errbuf, pc->b.errlen,
                 "archive: %s is missing or no longer an archive (%s): nothing stored", pc->st->dir,
                 err == ERR_NOT_FOUND ? "no " ARCHIVE_MARKER " file" : why);
        return ERR_IO;
    }
    pthread_mutex_lock(&pc->st->mu);
    pc->locked = true;
    return 0;
}

/* Commit every file of the batch; after the first failure roll the rest back. */
static int sq_put_end(void *ctx, int err, struct archive_put_result *res)
{
    struct put_ctx *pc = ctx;
    struct sq_state *st = pc->st;

    (void)res; /* every row was stored by its step */
    if (!pc->locked) {
        return err;
    }
    for (size_t i = 0; i < SQ_CACHE_MAX; i++) {
        struct sq_conn *c = &st->conns[i];
        if (c->month < 0 || !c->in_tx) {
            continue;
        }
        if (err == 0) {
            err = yq_db_exec(c->db, "COMMIT", "archive: commit", pc->b.errbuf, pc->b.errlen);
        }
        if (err != 0) {
            yq_db_rollback(c->db);
        }
        c->in_tx = false;
    }
    pthread_mutex_unlock(&st->mu);
    return err;
}

static const struct archive_put_ops sq_put_ops = {
    .ctx_size = sizeof(struct put_ctx),
    .begin = sq_put_begin,
    .put_item = put_item,
    .put_alert = put_alert,
    .end = sq_put_end,
};

/* archive_drop_month_fn: remove month mk's file (what: its path) with its WAL and SHM files. */
static int sq_drop_month(void *ctx, int64_t mk, char *what, size_t what_len, char *errbuf,
                         size_t errlen)
{
    struct sq_state *st = ctx;
    char side[PATH_MAX + 8];

    for (size_t i = 0; i < SQ_CACHE_MAX; i++) {
        if (st->conns[i].month == mk) {
            conn_close(&st->conns[i]);
        }
    }
    if (archive_sq_month_path(st, mk, what, what_len) != 0) {
        return 1;
    }
    if (unlink(what) != 0 && errno != ENOENT) {
        snprintf(errbuf, errlen, "archive: cannot remove %s: %s", what, strerror(errno));
        return ERR_IO;
    }
    snprintf(side, sizeof side, "%s-wal", what);
    (void)unlink(side);
    snprintf(side, sizeof side, "%s-shm", what);
    (void)unlink(side);
    return 0;
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
    int err = archive_sq_list_months(st, &months, &n, errbuf, errlen);
    if (err != 0) {
        return err == ERR_NOT_FOUND ? ERR_IO : err;
    }
    pthread_mutex_lock(&st->mu);
    err = archive_prune_months(months, n, now_s, retention_days, sq_drop_month, st, n_removed,
                               errbuf, errlen);
    pthread_mutex_unlock(&st->mu);
    free(months);
    return err;
}

const struct archive_backend_ops archive_sqlite_ops = {
    .name = "sqlite",
    .accepts = sq_accepts,
    .init = sq_init,
    .open = sq_open,
    .close = sq_close,
    .put = &sq_put_ops,
    .scan = archive_sq_scan,
    .get = archive_sq_get,
    .prune = sq_prune,
    .stats = archive_sq_stats,
};
