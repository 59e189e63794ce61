/*
 * The archive's server backend against the embedded one (issue #16; not a test): the same N
 * synthetic items (archive_bench_fill) put into a SQLite archive (a new /tmp directory) and a
 * PostgreSQL archive (a location given), in the archiver's batches; then a term's candidates
 * and the time to scan them on both (the PostgreSQL tsquery of bigrams narrows less than the
 * FTS5 phrase: its candidate count shows by how much), and a scan of every row.
 *
 * Usage: bench_archive_pg URL [N]   (URL: an empty schema, e.g.
 *   postgresql://yq@127.0.0.1:PORT/yuqing?options=-csearch_path%3Dbench; N default 100000)
 * Prints one "key value" per line.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "archive.h"
#include "archive_bench_fill.h"
#include "norm.h"
#include "yq_time.h"

#define BENCH_SEED 20261205u
#define BENCH_DAYS 60

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count_row(const struct archive_row *row, void *arg)
{
    (void)row;
    (*(size_t *)arg)++;
    return 0;
}

/* Fill location with n items; prints KEY_items_per_s. */
static int fill(const char *location, size_t n, const char *key)
{
    char err[512] = "";
    struct archive *a = NULL;
    int64_t start = yq_time_days_from_civil(2026, 9, 1) * 86400 - 8 * 3600;
    if (archive_init(location, err, sizeof err) != 0 ||
        archive_open(location, NULL, &a, err, sizeof err) != 0 ||
        archive_bench_fill(a, 1, start, BENCH_DAYS, BENCH_SEED + 1, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", key, err);
        archive_close(a);
        return 1;
    }
    double t0 = now_s();
    int rc = archive_bench_fill(a, n, start, BENCH_DAYS, BENCH_SEED, err, sizeof err);
    double s = now_s() - t0;
    archive_close(a);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", key, err);
        return 1;
    }
    printf("%s_seconds %.2f\n%s_items_per_s %.0f\n", key, s, key, (double)n / s);
    return 0;
}

/* Scan location for raw term (NULL: every row); prints KEY_ms and KEY_rows. */
static int scan(const char *location, const char *raw, const char *key)
{
    char err[512] = "";
    struct archive *a = NULL;
    struct archive_open_opts ro = {.flags = ARCHIVE_READONLY};
    const struct norm *nm = NULL;
    struct norm_text t = {0};
    if (archive_open(location, &ro, &a, err, sizeof err) != 0 ||
        norm_global(&nm, err, sizeof err) != 0) {
        fprintf(stderr, "%s: %s\n", key, err);
        archive_close(a);
        return 1;
    }
    struct archive_narrow nw = {.kind = ARCHIVE_NARROW_TERM};
    struct archive_filter f = {0};
    if (raw) {
        norm_apply(nm, raw, strlen(raw), 4096, &t);
        nw.term = t.buf;
        f.narrow = &nw;
    }
    size_t rows = 0;
    double t0 = now_s();
    int rc = archive_scan(a, &f, count_row, &rows, err, sizeof err);
    double ms = (now_s() - t0) * 1000;
    norm_text_release(&t);
    archive_close(a);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", key, err);
        return 1;
    }
    printf("%s_ms %.0f\n%s_rows %zu\n", key, ms, key, rows);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_archive_pg URL [N]\n");
        return 2;
    }
    size_t n = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 100000;
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/yq-bench-archive-pg-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    printf("items %zu\nbatch %d\n", n, ARCHIVE_BENCH_BATCH);
    if (fill(dir, n, "sqlite") != 0 || fill(argv[1], n, "pg") != 0) {
        return 1;
    }
    static const char *const terms[] = {"征地拆迁", "拖欠", NULL};
    static const char *const keys[][2] = {
        {"sqlite_scan_term", "pg_scan_term"},
        {"sqlite_scan_term2", "pg_scan_term2"},
        {"sqlite_scan_every_row", "pg_scan_every_row"},
    };
    for (size_t i = 0; i < 3; i++) {
        if (scan(dir, terms[i], keys[i][0]) != 0 || scan(argv[1], terms[i], keys[i][1]) != 0) {
            return 1;
        }
    }
    printf("dir %s\n", dir);
    return 0;
}
