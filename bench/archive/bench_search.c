/*
 * Search over the archive (issue #14; a benchmark, not a test: no asserts). Fills an embedded
 * archive with N synthetic items over D days (archive_bench_fill(), default 1,000,000 over 30
 * days) and a plain SQLite table of the same items (the peer), then times two-term queries
 * ("征地 & 补偿" and others of the synthetic vocabulary) with a 7-day time filter:
 *   search  archive_search(), sort by time, first page of 20 and the total counted up to
 *           ARCHIVE_SEARCH_COUNT_CAP (what GET /api/search does);
 *   peer    the same page and capped count with plain LIKE over the plain table:
 *           SELECT ... WHERE time >= ? AND time < ? AND (title || ' ' || text) LIKE '%a%'
 *           AND (title || ' ' || text) LIKE '%b%' ORDER BY time DESC LIMIT 20, and
 *           SELECT count(*) FROM (SELECT 1 ... LIMIT 1000).
 * The search picks its plan (archive_query.h "Plans": a walk in time order for common terms,
 * else the index); the store's indexed scan alone is timed too.
 * Also times the heat sort (every hit in range verified up to ARCHIVE_SEARCH_HEAT_CAP).
 * Prints p50/p95 in ms and the peer/search ratio; the goal is search p95 < 200 ms.
 *
 *   bench_search [DIR] [N_ITEMS] [DAYS]   (DIR default /tmp/yq-bench-search; reused when filled)
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "archive.h"
#include "archive_bench_fill.h"
#include "archive_query.h"
#include "yq_err.h"
#include "yq_log.h"

#define SEED 14
#define REPEAT 3
#define WINDOWS 4 /* 7-day windows ending 0, 7, 14, 21 days before the end */

/* Two-term queries over the synthetic vocabulary (archive_bench_fill.c): common and rare. */
static const char *const queries[][2] = {
    {"征地", "补偿"}, {"拆迁", "补偿"}, {"拖欠", "工资"}, {"物业", "电梯"},
    {"食堂", "收费"}, {"排污", "废水"}, {"道路", "拥堵"}, {"复工", "补贴"},
    {"汉滨", "征地"}, {"瀛湖", "拖欠"}, {"紫阳", "食堂"}, {"安康", "招商"},
};
#define N_QUERIES (sizeof(queries) / sizeof(queries[0]))

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
    size_t k;
    qsort(v, n, sizeof(*v), cmp_double);
    k = (size_t)(p * (double)(n - 1) + 0.5);
    return v[k < n ? k : n - 1];
}

/* archive_scan() callback of the scan-only timing: stop after as many rows as a search reads. */
static int count_rows(const struct archive_row *row, void *arg)
{
    size_t *n = arg;
    (void)row;
    return ++*n >= ARCHIVE_SEARCH_COUNT_CAP + 20 ? 1 : 0;
}

static int fill_peer(const char *path, size_t n, int64_t start, int64_t days)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_open(path, &db);

    rc = rc ? rc
            : sqlite3_exec(db,
                           "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;"
                           "CREATE TABLE items (id TEXT PRIMARY KEY, time INTEGER NOT NULL, "
                           "source TEXT, channel TEXT, title TEXT, text TEXT);"
                           "BEGIN",
                           NULL, NULL, NULL);
    rc = rc ? rc
            : sqlite3_prepare_v2(db, "INSERT INTO items VALUES (?1, ?2, ?3, ?4, ?5, ?6)", -1, &st,
                                 NULL);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct yq_item it;
        if (archive_bench_item_stream(SEED, i, n, start, days, &it) != 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        sqlite3_bind_text(st, 1, it.id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, archive_item_time(&it));
        sqlite3_bind_text(st, 3, it.source, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, it.channel, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, it.title, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 6, it.text, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : SQLITE_ERROR;
        sqlite3_reset(st);
        yq_item_release(&it);
    }
    sqlite3_finalize(st);
    rc =
        rc ? rc
           : sqlite3_exec(db, "COMMIT; CREATE INDEX items_time ON items (time);", NULL, NULL, NULL);
    if (rc) {
        fprintf(stderr, "peer: %s\n", sqlite3_errmsg(db));
    }
    sqlite3_close(db);
    return rc;
}

/* One peer query: the page and the capped count. Returns the count. */
static long peer_query(sqlite3 *db, const char *a, const char *b, int64_t since, int64_t until)
{
    static const char *const sql[2] = {
        "SELECT id, title, text FROM items WHERE time >= ?1 AND time < ?2 AND "
        "(title || ' ' || text) LIKE ?3 AND (title || ' ' || text) LIKE ?4 "
        "ORDER BY time DESC LIMIT 20",
        "SELECT count(*) FROM (SELECT 1 FROM items WHERE time >= ?1 AND time < ?2 AND "
        "(title || ' ' || text) LIKE ?3 AND (title || ' ' || text) LIKE ?4 LIMIT 1000)",
    };
    char pa[64], pb[64];
    long count = 0;

    snprintf(pa, sizeof(pa), "%%%s%%", a);
    snprintf(pb, sizeof(pb), "%%%s%%", b);
    for (int k = 0; k < 2; k++) {
        sqlite3_stmt *st = NULL;
        sqlite3_prepare_v2(db, sql[k], -1, &st, NULL);
        sqlite3_bind_int64(st, 1, since);
        sqlite3_bind_int64(st, 2, until);
        sqlite3_bind_text(st, 3, pa, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, pb, -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (k == 1) {
                count = sqlite3_column_int64(st, 0);
            }
        }
        sqlite3_finalize(st);
    }
    return count;
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp/yq-bench-search";
    size_t n = argc > 2 ? (size_t)strtoull(argv[2], NULL, 10) : 1000000;
    int64_t days = argc > 3 ? strtoll(argv[3], NULL, 10) : 30;
    int64_t start = INT64_C(1793721600); /* 2026-11-04T00:00:00Z */
    int64_t end = start + days * 86400;
    char err[512] = "", marker[600], peer_path[600];
    struct archive *a = NULL;
    struct stat sb;
    sqlite3 *peer = NULL;
    size_t n_samples = N_QUERIES * WINDOWS * REPEAT, k = 0, kh = 0;
    double *ts = calloc(n_samples, sizeof(double)), *tp = calloc(n_samples, sizeof(double));
    double *th = calloc(N_QUERIES * WINDOWS, sizeof(double));
    double *tscan = calloc(N_QUERIES * WINDOWS, sizeof(double));
    long mismatched = 0;
    size_t n_walked = 0;

    yq_log_init("bench_search", YQ_LOG_WARN);
    if (!ts || !tp || !th || !tscan) {
        return 1;
    }
    snprintf(marker, sizeof(marker), "%s/%s", dir, ARCHIVE_MARKER);
    snprintf(peer_path, sizeof(peer_path), "%s/peer.db", dir);
    if (stat(marker, &sb) != 0) {
        struct archive_open_opts o = {0};
        double t0 = now_ms();
        if (archive_init(dir, err, sizeof(err)) != 0 ||
            archive_open(dir, &o, &a, err, sizeof(err)) != 0 ||
            archive_bench_fill(a, n, start, days, SEED, err, sizeof(err)) != 0) {
            fprintf(stderr, "fill: %s\n", err);
            return 1;
        }
        archive_close(a);
        a = NULL;
        fprintf(stderr, "filled %zu items in %.1f s\n", n, (now_ms() - t0) / 1e3);
        t0 = now_ms();
        if (fill_peer(peer_path, n, start, days) != 0) {
            return 1;
        }
        fprintf(stderr, "peer table filled in %.1f s\n", (now_ms() - t0) / 1e3);
    }
    {
        struct archive_open_opts o = {.flags = ARCHIVE_READONLY};
        if (archive_open(dir, &o, &a, err, sizeof(err)) != 0) {
            fprintf(stderr, "open: %s\n", err);
            return 1;
        }
    }
    if (sqlite3_open_v2(peer_path, &peer, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "peer: cannot open %s\n", peer_path);
        return 1;
    }
    for (size_t qi = 0; qi < N_QUERIES; qi++) {
        char text[128];
        struct archive_query *q = NULL;

        snprintf(text, sizeof(text), "%s & %s", queries[qi][0], queries[qi][1]);
        if (archive_query_compile(text, &q, err, sizeof(err)) != 0) {
            fprintf(stderr, "compile: %s\n", err);
            return 1;
        }
        for (int w = 0; w < WINDOWS; w++) {
            struct archive_search_opts o;
            int64_t until = end - (int64_t)w * 7 * 86400, since = until - 7 * 86400;
            long peer_count = 0;
            size_t total = 0;

            memset(&o, 0, sizeof(o));
            o.filter.since_s = since;
            o.filter.until_s = until;
            o.limit = 20;
            for (int r = 0; r < REPEAT; r++) {
                struct archive_search_result res;
                double t0 = now_ms();
                if (archive_search(a, q, &o, &res, err, sizeof(err)) != 0) {
                    fprintf(stderr, "search: %s\n", err);
                    return 1;
                }
                ts[k] = now_ms() - t0;
                total = res.total;
                n_walked += res.walked;
                archive_search_result_release(&res);
                t0 = now_ms();
                peer_count = peer_query(peer, queries[qi][0], queries[qi][1], since, until);
                tp[k] = now_ms() - t0;
                k++;
            }
            /* the peer has no normalisation; over this vocabulary both must count the same
               (a walk that stopped early counts less: compare the index's count) */
            {
                struct archive_search_result res;
                o.index_only = true;
                if (archive_search(a, q, &o, &res, err, sizeof(err)) != 0) {
                    fprintf(stderr, "search: %s\n", err);
                    return 1;
                }
                total = res.total;
                archive_search_result_release(&res);
                o.index_only = false;
            }
            if ((long)total != peer_count) {
                mismatched++;
                fprintf(stderr, "note: '%s' window %d: search %zu, peer %ld\n", text, w, total,
                        peer_count);
            }
            {
                /* the store alone: the same filter and narrowing, rows only, no matcher */
                struct archive_filter f = o.filter;
                size_t rows = 0;
                double t0 = now_ms();
                f.narrow = archive_query_narrow(q);
                if (archive_scan(a, &f, count_rows, &rows, err, sizeof(err)) != 0) {
                    fprintf(stderr, "scan: %s\n", err);
                    return 1;
                }
                tscan[kh] = now_ms() - t0;
            }
            o.sort = ARCHIVE_SORT_HEAT;
            {
                struct archive_search_result res;
                double t0 = now_ms();
                if (archive_search(a, q, &o, &res, err, sizeof(err)) != 0) {
                    fprintf(stderr, "search heat: %s\n", err);
                    return 1;
                }
                th[kh++] = now_ms() - t0;
                archive_search_result_release(&res);
            }
        }
        archive_query_free(q);
    }
    {
        double s50 = pct(ts, k, 0.5), s95 = pct(ts, k, 0.95);
        double p50 = pct(tp, k, 0.5), p95 = pct(tp, k, 0.95);
        double h50 = pct(th, kh, 0.5), h95 = pct(th, kh, 0.95);
        double c50 = pct(tscan, kh, 0.5), c95 = pct(tscan, kh, 0.95);
        printf("items=%zu days=%lld queries=%zu samples=%zu window_days=7\n", n, (long long)days,
               N_QUERIES, k);
        printf("search_time_p50_ms=%.1f search_time_p95_ms=%.1f (goal p95 < 200)\n", s50, s95);
        printf("peer_like_p50_ms=%.1f peer_like_p95_ms=%.1f\n", p50, p95);
        printf("ratio peer/search p50=%.1f p95=%.1f\n", p50 / s50, p95 / s95);
        printf("store_scan_only_p50_ms=%.1f store_scan_only_p95_ms=%.1f (archive_scan, same "
               "filter and narrowing, %d rows, no matcher)\n",
               c50, c95, ARCHIVE_SEARCH_COUNT_CAP + 20);
        printf("search_heat_p50_ms=%.1f search_heat_p95_ms=%.1f (every hit verified, cap %d)\n",
               h50, h95, ARCHIVE_SEARCH_HEAT_CAP);
        printf("answered_by_walk=%zu of %zu (the rest by the index)\n", n_walked, k);
        printf("count_mismatches=%ld\n", mismatched);
    }
    sqlite3_close(peer);
    archive_close(a);
    free(ts);
    free(tp);
    free(th);
    free(tscan);
    return 0;
}
