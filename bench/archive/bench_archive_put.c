/*
 * Archive insert benchmark (issue #14; not a test): the archiver's store rate in items/s for
 * batches of ARCHIVE_BENCH_BATCH items into the embedded store (archive_put(): sentiment,
 * normalisation, the bigram index, one transaction per month file, synchronous=FULL), next to
 * a peer: the same items inserted into one plain SQLite table (the same columns and indexes,
 * no index of the text, no normalisation or sentiment), same pragmas and batches. Then the
 * size on disk with and without the index (FTS5 pages counted through dbstat), and the time of
 * a few scans of a read-only handle (a term's every candidate, its newest 50, every row).
 *
 * Usage: bench_archive_put [N] [DIR]   (N items, default 200000; DIR, default a new /tmp dir)
 * Prints one "key value" per line; the run script (run_bench_archive.sh) extrapolates.
 */
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "archive.h"
#include "archive_bench_fill.h"
#include "yq_err.h"
#include "yq_db.h"
#include "yq_time.h"

#define BENCH_SEED 20261205u
#define BENCH_DAYS 60

static const char plain_schema[] =
    "CREATE TABLE items (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, source TEXT NOT NULL,"
    " source_id TEXT NOT NULL, channel TEXT NOT NULL, url TEXT NOT NULL, title TEXT NOT NULL,"
    " text TEXT NOT NULL, author TEXT NOT NULL, published_at INTEGER, precision TEXT,"
    " fetched_at INTEGER NOT NULL, metrics_known INTEGER NOT NULL, metrics_capped INTEGER NOT"
    " NULL, reposts INTEGER NOT NULL, comments INTEGER NOT NULL, likes INTEGER NOT NULL,"
    " time_s INTEGER NOT NULL, heat INTEGER NOT NULL);"
    "CREATE INDEX items_time ON items (time_s, id);"
    "CREATE INDEX items_source ON items (source, time_s);"
    "CREATE INDEX items_source_id ON items (source_id, time_s);"
    "CREATE INDEX items_channel ON items (channel, time_s);";

static double now_s(void)
{
    return (double)yq_time_mono_ms() / 1000.0;
}

/* CPU seconds (user + system) of this process so far: the rate on a shared machine. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void print_load(const char *when)
{
    double load[3];
    if (getloadavg(load, 3) == 3) {
        printf("load_%s %.2f\n", when, load[0]);
    }
}

/* The peer: n items into one plain table, batches of ARCHIVE_BENCH_BATCH. */
static int plain_insert(const char *path, size_t n, int64_t start, double *secs)
{
    struct yq_db *db = NULL;
    char err[256] = "";
    int rc = yq_db_open(path, YQ_DB_CREATE | YQ_DB_WAL, 5000, &db, err, sizeof err);
    if (rc == 0) {
        rc = yq_db_exec(db, plain_schema, "schema", err, sizeof err);
    }
    struct yq_stmt *st = NULL;
    if (rc == 0) {
        rc = yq_db_prepare(db,
                               "INSERT OR IGNORE INTO items (id, source, source_id, channel, url,"
                               " title, text, author, published_at, precision, fetched_at,"
                               " metrics_known, metrics_capped, reposts, comments, likes, time_s,"
                               " heat) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                               &st, "insert", err, sizeof err);
    }
    double t0 = now_s();
    for (size_t base = 0; rc == 0 && base < n; base += ARCHIVE_BENCH_BATCH) {
        size_t m = n - base < ARCHIVE_BENCH_BATCH ? n - base : ARCHIVE_BENCH_BATCH;
        rc = yq_db_exec(db, "BEGIN IMMEDIATE", "begin", err, sizeof err);
        for (size_t k = 0; rc == 0 && k < m; k++) {
            struct yq_item it;
            rc = archive_bench_item_stream(BENCH_SEED, base + k, n, start, BENCH_DAYS, &it);
            if (rc != 0) {
                break;
            }
            yq_stmt_reset(st);
            yq_stmt_bind_text(st, 1, it.id);
            yq_stmt_bind_text(st, 2, it.source);
            yq_stmt_bind_text(st, 3, it.source_id);
            yq_stmt_bind_text(st, 4, it.channel);
            yq_stmt_bind_text(st, 5, it.url);
            yq_stmt_bind_text(st, 6, it.title);
            yq_stmt_bind_text(st, 7, it.text);
            yq_stmt_bind_text(st, 8, it.author);
            yq_stmt_bind_int64(st, 9, it.published_at);
            yq_stmt_bind_text(st, 10, it.precision);
            yq_stmt_bind_int64(st, 11, it.fetched_at);
            yq_stmt_bind_int(st, 12, it.metrics.known);
            yq_stmt_bind_int(st, 13, it.metrics.capped);
            yq_stmt_bind_int64(st, 14, it.metrics.reposts);
            yq_stmt_bind_int64(st, 15, it.metrics.comments);
            yq_stmt_bind_int64(st, 16, it.metrics.likes);
            yq_stmt_bind_int64(st, 17, archive_item_time(&it));
            yq_stmt_bind_int64(st, 18, archive_item_heat(&it));
            int r = yq_db_step(db, st, "insert", err, sizeof err);
            rc = r < 0 ? r : 0;
            yq_item_release(&it);
        }
        if (rc == 0) {
            rc = yq_db_exec(db, "COMMIT", "commit", err, sizeof err);
        }
    }
    *secs = now_s() - t0;
    yq_stmt_finalize(st);
    if (rc == 0) {
        rc = yq_db_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", "checkpoint", err, sizeof err);
    }
    yq_db_close(db);
    if (rc != 0) {
        fprintf(stderr, "plain: %s\n", err);
    }
    return rc;
}

static int64_t file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
}

/* Sum over the month files of DIR: total bytes (after a checkpoint) and the FTS5 pages. */
static int archive_sizes(const char *dir, int64_t *total, int64_t *fts)
{
    *total = 0;
    *fts = 0;
    DIR *d = opendir(dir);
    if (!d) {
        return ERR_IO;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "items-", 6) != 0 || len < 4 ||
            strcmp(e->d_name + len - 3, ".db") != 0) {
            continue;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct yq_db *db = NULL;
        if (yq_db_open(path, 0, 5000, &db, NULL, 0) == 0) {
            yq_db_exec_raw(db, "PRAGMA wal_checkpoint(TRUNCATE)");
            struct yq_stmt *st = NULL;
            if (yq_stmt_prepare(db, "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'items_fts%'", &st) == YQ_DB_OK &&
                yq_stmt_step(st) == YQ_DB_ROW) {
                *fts += yq_stmt_column_int64(st, 0);
            }
            yq_stmt_finalize(st);
        }
        yq_db_close(db);
        *total += file_size(path);
    }
    closedir(d);
    return 0;
}

struct count {
    size_t n;
    size_t stop_after; /* 0: all */
};

static int count_row(const struct archive_row *row, void *arg)
{
    (void)row;
    struct count *c = arg;
    c->n++;
    return c->stop_after && c->n >= c->stop_after ? 1 : 0;
}

/* One scan of a read-only handle on store narrowed by term; prints its time and rows. */
static int time_scan(const char *store, const char *term, size_t stop_after, const char *key)
{
    struct archive_open_opts ro = {.flags = ARCHIVE_READONLY};
    struct archive *a = NULL;
    char err[512] = "";
    if (archive_open(store, &ro, &a, err, sizeof err) != 0) {
        fprintf(stderr, "open: %s\n", err);
        return 1;
    }
    struct archive_narrow nw = {.kind = ARCHIVE_NARROW_TERM, .term = term};
    struct archive_filter f = {.narrow = term ? &nw : NULL};
    struct count c = {.stop_after = stop_after};
    double t0 = now_s();
    int rc = archive_scan(a, &f, count_row, &c, err, sizeof err);
    double ms = (now_s() - t0) * 1000.0;
    archive_close(a);
    if (rc != 0) {
        fprintf(stderr, "scan: %s\n", err);
        return 1;
    }
    printf("%s_ms %.0f\n%s_rows %zu\n", key, ms, key, c.n);
    return 0;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 200000;
    char dir[256];
    if (argc > 2) {
        snprintf(dir, sizeof dir, "%s", argv[2]);
    } else {
        snprintf(dir, sizeof dir, "/tmp/yq-bench-archive-XXXXXX");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
    }
    char store[300];
    char plain[300];
    snprintf(store, sizeof store, "%s/archive", dir);
    snprintf(plain, sizeof plain, "%s/plain.db", dir);
    char err[512] = "";
    struct archive *a = NULL;
    if (archive_init(store, err, sizeof err) != 0 ||
        archive_open(store, NULL, &a, err, sizeof err) != 0) {
        fprintf(stderr, "archive: %s\n", err);
        return 1;
    }
    int64_t start = yq_time_days_from_civil(2026, 9, 1) * 86400 - 8 * 3600;
    /* the first put opens the classifier and the normalisation tables: not part of the rate */
    if (archive_bench_fill(a, 1, start, BENCH_DAYS, BENCH_SEED + 1, err, sizeof err) != 0) {
        fprintf(stderr, "warm-up: %s\n", err);
        return 1;
    }
    print_load("before");
    double t0 = now_s();
    double c0 = cpu_s();
    if (archive_bench_fill(a, n, start, BENCH_DAYS, BENCH_SEED, err, sizeof err) != 0) {
        fprintf(stderr, "fill: %s\n", err);
        return 1;
    }
    double archive_s = now_s() - t0;
    double archive_cpu = cpu_s() - c0;
    archive_close(a);
    double plain_s = 0;
    c0 = cpu_s();
    if (plain_insert(plain, n, start, &plain_s) != 0) {
        return 1;
    }
    double plain_cpu = cpu_s() - c0;
    print_load("after");
    int64_t total = 0;
    int64_t fts = 0;
    archive_sizes(store, &total, &fts);
    printf("items %zu\n", n);
    printf("batch %d\n", ARCHIVE_BENCH_BATCH);
    printf("archive_seconds %.2f\n", archive_s);
    printf("archive_items_per_s %.0f\n", (double)n / archive_s);
    printf("plain_seconds %.2f\n", plain_s);
    printf("plain_items_per_s %.0f\n", (double)n / plain_s);
    printf("ratio_archive_to_plain %.2f\n", plain_s / archive_s);
    printf("archive_cpu_seconds %.2f\n", archive_cpu);
    printf("archive_items_per_cpu_s %.0f\n", (double)n / archive_cpu);
    printf("plain_cpu_seconds %.2f\n", plain_cpu);
    printf("plain_items_per_cpu_s %.0f\n", (double)n / plain_cpu);
    printf("ratio_archive_to_plain_cpu %.2f\n", plain_cpu / archive_cpu);
    printf("archive_bytes %" PRId64 "\n", total);
    printf("archive_index_bytes %" PRId64 "\n", fts);
    printf("archive_bytes_without_index %" PRId64 "\n", total - fts);
    printf("plain_bytes %" PRId64 "\n", file_size(plain));
    if (time_scan(store, "征地拆迁", 0, "scan_term_all") != 0 ||
        time_scan(store, "征地拆迁", 50, "scan_term_first50") != 0 ||
        time_scan(store, "拖欠", 0, "scan_term2_all") != 0 ||
        time_scan(store, NULL, 0, "scan_every_row") != 0) {
        return 1;
    }
    printf("dir %s\n", dir);
    return 0;
}
