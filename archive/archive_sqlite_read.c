/*
 * The read side of the embedded SQLite archive backend (archive_sqlite_internal.h): scans
 * across month files in time order, get by id, stats. Each call opens its own read-only
 * connections and takes no lock (WAL: readers never wait for the writer), so a scan's
 * callback may call any function of the same handle.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "archive_bigram.h"
#include "archive_row.h"
#include "archive_sqlite_internal.h"
#include "yq_array.h"
#include "yq_buf.h"
#include "yq_err.h"
#include "yq_db.h"

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

/* ------------------------------------------------------------------ reading */

/* The month files of the directory, sorted ascending. */
int archive_sq_list_months(const struct sq_state *st, int64_t **out, size_t *n_out, char *errbuf,
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
        int err = yq_array_reserve(&v, &cap, n + 1, sizeof *v);
        if (err) {
            free(v);
            closedir(d);
            snprintf(errbuf, errlen, "archive: out of memory");
            return err;
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

static const char *precision_of(const char *p)
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
int archive_sq_row_from_stmt(struct yq_stmt *s, struct archive_row *row)
{
    memset(row, 0, sizeof *row);
    struct yq_item *it = &row->item;
    it->id = archive_col_dup(s, 0);
    it->source = archive_col_dup(s, 1);
    it->source_id = archive_col_dup(s, 2);
    it->channel = archive_col_dup(s, 3);
    it->url = archive_col_dup(s, 4);
    it->title = archive_col_dup(s, 5);
    it->text = archive_col_dup(s, 6);
    it->author = archive_col_dup(s, 7);
    it->has_published = yq_stmt_column_type(s, 8) != YQ_DB_NULL;
    it->published_at = yq_stmt_column_int64(s, 8);
    it->precision = precision_of(yq_stmt_column_text(s, 9));
    it->fetched_at = yq_stmt_column_int64(s, 10);
    it->metrics.known = yq_stmt_column_int(s, 11) != 0;
    it->metrics.capped = yq_stmt_column_int(s, 12) != 0;
    it->metrics.reposts = yq_stmt_column_int64(s, 13);
    it->metrics.comments = yq_stmt_column_int64(s, 14);
    it->metrics.likes = yq_stmt_column_int64(s, 15);
    it->region = archive_col_dup(s, 16);
    it->reply_to = archive_col_dup(s, 17);
    it->department = archive_col_dup(s, 18);
    it->truncated = yq_stmt_column_int(s, 19) != 0;
    it->truncated_fields = (unsigned)yq_stmt_column_int64(s, 20);
    it->future_timestamp = yq_stmt_column_int(s, 21) != 0;
    it->official = yq_stmt_column_int(s, 22) != 0;
    it->local = yq_stmt_column_int(s, 23) != 0;
    it->backlog = yq_stmt_column_int(s, 24) != 0;
    row->time_s = yq_stmt_column_int64(s, 25);
    row->archived_at = yq_stmt_column_int64(s, 26);
    row->heat = yq_stmt_column_int64(s, 27);
    row->has_sentiment = yq_stmt_column_type(s, 28) != YQ_DB_NULL;
    int lab = yq_stmt_column_int(s, 28);
    row->sentiment = lab < 0 ? YQ_SENTIMENT_NEGATIVE
                     : lab > 0 ? YQ_SENTIMENT_POSITIVE
                               : YQ_SENTIMENT_NEUTRAL;
    row->sentiment_score = yq_stmt_column_double(s, 29);
    if (!it->id || !it->source || !it->source_id || !it->channel || !it->url || !it->title ||
        !it->text || !it->author) {
        return ERR_NOMEM;
    }
    return 0;
}

/* Load the match rows of row's item with q (ARCHIVE_SQ_SQL_MATCH_ROWS prepared on the same file). */
int archive_sq_row_load_matches(struct yq_db *db, struct yq_stmt *q, struct archive_row *row,
                                char *errbuf, size_t errlen)
{
    yq_stmt_reset(q);
    yq_stmt_bind_text(q, 1, row->item.id);
    int r;
    size_t cap = 0;
    while ((r = yq_db_step(db, q, "archive: read matches", errbuf, errlen)) == 1) {
        r = yq_array_reserve(&row->matches, &cap, row->n_matches + 1, sizeof *row->matches);
        if (r != 0) {
            break;
        }
        if (archive_match_from_stmt(q, 0, &row->matches[row->n_matches++]) != 0) {
            r = ERR_NOMEM;
            break;
        }
    }
    yq_stmt_reset(q);
    if (r == ERR_NOMEM) {
        snprintf(errbuf, errlen, "archive: out of memory reading matches");
    }
    return r < 0 ? r : 0;
}

/* Prefix errbuf (already holding a message) with the month file's path. */
int archive_sq_name_file(int err, const char *path, char *errbuf, size_t errlen)
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
    if (archive_sq_month_path(st, mk, path, sizeof path) != 0) {
        snprintf(errbuf, errlen, "archive: path too long under %s", st->dir);
        return ERR_IO;
    }
    struct yq_db *db = NULL;
    int err = archive_sq_open_read(st, path, &db, errbuf, errlen);
    if (err == ERR_NOT_FOUND) {
        return 0; /* pruned meanwhile */
    }
    if (err != 0) {
        return archive_sq_name_file(err, path, errbuf, errlen);
    }
    struct yq_stmt *s = NULL;
    struct yq_stmt *q = NULL;
    err = yq_db_prepare(db, sql, &s, "scan", errbuf, errlen);
    if (err == 0) {
        err = yq_db_prepare(db, ARCHIVE_SQ_SQL_MATCH_ROWS, &q, "scan matches", errbuf, errlen);
    }
    if (err == 0) {
        int i = archive_bind_filter(s, f, 1, archive_bind_text);
        if (match_expr) {
            yq_stmt_bind_text(s, i++, match_expr);
        }
    }
    int r = 0;
    while (err == 0 && (r = yq_db_step(db, s, "scan", errbuf, errlen)) == 1) {
        struct archive_row row;
        err = archive_sq_row_from_stmt(s, &row);
        if (err == 0) {
            err = archive_sq_row_load_matches(db, q, &row, errbuf, errlen);
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
                yq_stmt_finalize(s);
                yq_stmt_finalize(q);
                yq_db_close(db);
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
    yq_stmt_finalize(s);
    yq_stmt_finalize(q);
    yq_db_close(db);
    return err != 0 ? archive_sq_name_file(err, path, errbuf, errlen) : 0;
}

int archive_sq_scan(void *state, const struct archive_filter *f, archive_row_fn fn, void *arg,
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
    err = archive_sq_list_months(st, &months, &n, errbuf, errlen);
    if (err == ERR_NOT_FOUND) {
        err = ERR_IO; /* the directory vanished under an open handle */
    }
    bool stop = false;
    for (size_t k = 0; err == 0 && k < n && !stop; k++) {
        int64_t mk = months[newest ? n - 1 - k : k];
        if (f->since_s && archive_sq_month_start(mk + 1) <= f->since_s) {
            continue;
        }
        if (f->until_s && archive_sq_month_start(mk) >= f->until_s) {
            continue;
        }
        err = scan_month(st, mk, sql, f, match_expr, fn, arg, &stop, errbuf, errlen);
    }
    free(months);
    free(match_expr);
    return err;
}

int archive_sq_get(void *state, const char *item_id, struct archive_row *out, char *errbuf,
                  size_t errlen)
{
    struct sq_state *st = state;
    int64_t *months = NULL;
    size_t n = 0;
    int err = archive_sq_list_months(st, &months, &n, errbuf, errlen);
    if (err == ERR_NOT_FOUND) {
        err = ERR_IO;
    }
    bool found = false;
    for (size_t k = 0; err == 0 && !found && k < n; k++) {
        char path[PATH_MAX];
        if (archive_sq_month_path(st, months[n - 1 - k], path, sizeof path) != 0) {
            continue;
        }
        struct yq_db *db = NULL;
        err = archive_sq_open_read(st, path, &db, errbuf, errlen);
        if (err == ERR_NOT_FOUND) {
            err = 0;
            continue;
        }
        if (err != 0) {
            err = archive_sq_name_file(err, path, errbuf, errlen);
            break;
        }
        struct yq_stmt *s = NULL;
        struct yq_stmt *q = NULL;
        err = yq_db_prepare(db, "SELECT " ITEM_COLS " FROM items WHERE id = ?1", &s, "get",
                                errbuf, errlen);
        if (err == 0) {
            err = yq_db_prepare(db, ARCHIVE_SQ_SQL_MATCH_ROWS, &q, "get matches", errbuf, errlen);
        }
        if (err == 0) {
            yq_stmt_bind_text(s, 1, item_id);
            int r = yq_db_step(db, s, "get", errbuf, errlen);
            if (r == 1) {
                err = archive_sq_row_from_stmt(s, out);
                if (err == 0) {
                    err = archive_sq_row_load_matches(db, q, out, errbuf, errlen);
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
        yq_stmt_finalize(s);
        yq_stmt_finalize(q);
        yq_db_close(db);
        if (err != 0) {
            err = archive_sq_name_file(err, path, errbuf, errlen);
        }
    }
    free(months);
    if (err == 0 && !found) {
        snprintf(errbuf, errlen, "archive: no item %s", item_id);
        return ERR_NOT_FOUND;
    }
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

static int count_query(struct yq_db *db, const char *sql, int64_t *out, char *errbuf, size_t errlen)
{
    struct yq_stmt *s = NULL;
    int err = yq_db_prepare(db, sql, &s, "stats", errbuf, errlen);
    if (err != 0) {
        return err;
    }
    int r = yq_db_step(db, s, "stats", errbuf, errlen);
    *out = r == 1 ? yq_stmt_column_int64(s, 0) : 0;
    yq_stmt_finalize(s);
    return r < 0 ? r : 0;
}

int archive_sq_stats(void *state, json_t **out, char *errbuf, size_t errlen)
{
    struct sq_state *st = state;
    *out = NULL;
    int64_t *months = NULL;
    size_t n = 0;
    int err = archive_sq_list_months(st, &months, &n, errbuf, errlen);
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
        char name[32];
        if (archive_sq_month_path(st, mk, path, sizeof path) != 0) {
            continue;
        }
        archive_sq_month_name(mk, name, sizeof name);
        struct yq_db *db = NULL;
        err = archive_sq_open_read(st, path, &db, errbuf, errlen);
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
        yq_db_close(db);
        if (err != 0) {
            err = archive_sq_name_file(err, path, errbuf, errlen);
            break;
        }
        int64_t mb = file_bytes(path);
        if (archive_stats_month(arr, name, mi, mm, mb, &items, &matched, &bytes) != 0) {
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
