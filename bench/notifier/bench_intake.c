/*
 * Alert intake throughput (issue #16; not a test, no asserts): N alerts fed straight into the
 * notifier's intake, as the consumer loop feeds them, in two ways on the same kind of store:
 *   batch: ticket_intake_batch(), B alerts per write transaction (the consumer loop of issue
 *          #16, consumer.batch_max);
 *   single: ticket_intake_alert(), one write transaction per alert (the loop before issue #16:
 *          the peer).
 * Each run starts from an empty store: a new SQLite file (WAL, synchronous=FULL, as the
 * notifier opens it) or a new schema of a PostgreSQL database. The alerts are the shape the
 * pipeline sends: one event per 10 alerts (the others join it as its items), the default desk
 * policy (events wait for 研判 in the inbox), the sentiment lexicon on, as the notifier runs.
 * Decoding is outside the timing (the consumer decodes too, but that is not the store's cost).
 * Prints alerts/s of each way and their ratio; the numbers depend on the machine and on what
 * else runs on it.
 *
 *   bench_intake [N [LOCATION [B [WAYS]]]]
 *     N         alerts per way (default 20000)
 *     LOCATION  a directory for the SQLite files (default /tmp), or a postgresql:// URL
 *               (scripts/pg-dev.sh prints one): each way gets a fresh schema there
 *     B         alerts per batch (default 500, consumer.batch_max's default)
 *     WAYS      both (default), batch or single: which ways run
 * Also prints the statements per alert (the yq_db trace hook; YQ_BENCH_SQL=1 lists them on
 * stderr with their counts per alert).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ticket_intake.h"
#include "ticket_store.h"
#include "yq_alert.h"
#include "yq_db.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_sentiment.h"
#include "yq_time.h"

/* Seconds of CPU this process used (what the bench costs apart from waiting). */
static double cpu_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/*
 * Statements run per way (the yq_db trace hook): statements per alert, and with YQ_BENCH_SQL=1
 * each distinct text with its count on stderr (where the statements go).
 */
#define SQL_KINDS_MAX 256
struct sql_count {
    long total;
    size_t n;
    struct {
        char *sql;
        long count;
    } kinds[SQL_KINDS_MAX];
};

static void count_sql(void *arg, const char *sql)
{
    struct sql_count *c = arg;
    size_t i;

    c->total++;
    if (!getenv("YQ_BENCH_SQL")) {
        return;
    }
    for (i = 0; i < c->n && strcmp(c->kinds[i].sql, sql) != 0; i++) {
    }
    if (i == c->n && c->n < SQL_KINDS_MAX && (c->kinds[i].sql = strdup(sql))) {
        c->n++;
    }
    if (i < c->n) {
        c->kinds[i].count++;
    }
}

static void sql_count_print(struct sql_count *c, long alerts)
{
    for (size_t i = 0; i < c->n; i++) {
        fprintf(stderr, "%8.2f  %.160s\n", (double)c->kinds[i].count / (double)alerts,
                c->kinds[i].sql);
        free(c->kinds[i].sql);
    }
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Alert i of the run (JSON decoded into a): event i / 10, its own item id. */
static int make_alert(long i, int64_t base, struct yq_alert *a)
{
    static const char *const levels[] = {"II", "III", "IV", "III"};
    char json[4096], err[256], matched[32], fetched[32];
    int64_t at = base + i / 50;

    yq_time_format_utc(at, matched, sizeof(matched));
    yq_time_format_utc(at - 1, fetched, sizeof(fetched));
    snprintf(json, sizeof(json),
             "{\"schema\":1,\"event_key\":\"ev:bench-%ld\",\"event\":{\"new\":%s,\"items\":1},"
             "\"rules_version\":3,\"matched_at\":\"%s\",\"matched_at_ms\":%lld,\"score\":%ld.0,"
             "\"level\":\"%s\",\"department\":\"市自然资源局\","
             "\"matches\":[{\"rule_id\":\"land-01\",\"name\":\"征地拆迁补偿\",\"group\":\"民生\","
             "\"department\":\"市自然资源局\",\"level\":\"%s\",\"terms\":["
             "{\"term\":\"征地\",\"field\":\"text\",\"start\":2,\"end\":4}]}],"
             "\"item\":{\"schema\":1,\"id\":\"rss:bench-%ld\",\"source\":\"rss\","
             "\"source_id\":\"ak-news\",\"channel\":\"安康新闻网\","
             "\"url\":\"https://news.example.cn/a/%ld.html\",\"title\":\"汉滨区征地补偿款迟迟未发放 %ld\","
             "\"text\":\"汉滨征地补偿款迟迟未发放，村民多次反映，至今没有答复，希望有关部门尽快处理。\","
             "\"author\":\"网友%ld\",\"published_at\":\"%s\",\"published_precision\":\"second\","
             "\"fetched_at\":\"%s\",\"fetched_at_ms\":%lld,"
             "\"metrics\":{\"reposts\":%ld,\"comments\":3,\"likes\":12}}}",
             i / 10, i % 10 == 0 ? "true" : "false", matched, (long long)at * 1000 + 500,
             10 + i % 50, levels[(i / 10) % 4], levels[(i / 10) % 4], i, i, i, i % 1000, fetched,
             fetched, (long long)(at - 1) * 1000 + 900, i % 7);
    return yq_alert_decode(json, strlen(json), a, err, sizeof(err));
}

/* A fresh store for one way: location written into loc. Returns 0 or an ERR_* code. */
static int fresh_store(const char *where, const char *way, char *loc, size_t len)
{
    char err[512] = "";
    struct ticket_store_cfg cfg = {.busy_timeout_ms = 5000};

    if (yq_db_backend_of(where) == YQ_DB_PG) {
        struct yq_db *db = NULL;
        char sql[160];
        if (yq_db_open(where, 0, 5000, &db, err, sizeof(err)) != 0) {
            fprintf(stderr, "bench_intake: %s\n", err);
            return ERR_IO;
        }
        snprintf(sql, sizeof(sql),
                 "DROP SCHEMA IF EXISTS bench_intake_%s CASCADE; CREATE SCHEMA bench_intake_%s",
                 way, way);
        if (yq_db_exec_raw(db, sql) != YQ_DB_OK) {
            fprintf(stderr, "bench_intake: %s: %s\n", sql, yq_db_errmsg(db));
            yq_db_close(db);
            return ERR_IO;
        }
        yq_db_close(db);
        snprintf(loc, len, "%s%coptions=-csearch_path%%3Dbench_intake_%s", where,
                 strchr(where, '?') ? '&' : '?', way);
    } else {
        snprintf(loc, len, "%s/yq-bench-intake-%s-%ld.db", where, way, (long)getpid());
    }
    cfg.path = loc;
    if (ticket_store_init(&cfg, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_intake: init %s: %s\n", loc, err);
        return ERR_IO;
    }
    return 0;
}

static void remove_store(const char *loc)
{
    char p[640];
    if (yq_db_backend_of(loc) == YQ_DB_PG) {
        return; /* the schema stays for a look; the next run drops it */
    }
    unlink(loc);
    snprintf(p, sizeof(p), "%s-wal", loc);
    unlink(p);
    snprintf(p, sizeof(p), "%s-shm", loc);
    unlink(p);
}

/*
 * Take the n alerts of v into a fresh store, batch alerts per transaction (0: the single
 * path). Returns alerts per second, or -1.
 */
static double run(const char *where, const char *way, struct yq_alert *v, long n, long batch,
                  const struct ticket_policy *pol)
{
    char loc[600], err[512] = "";
    struct ticket_store_cfg cfg = {.busy_timeout_ms = 5000};
    struct ticket_store *store = NULL;
    struct ticket_intake_entry *e = NULL;
    long refused = 0, done = 0;
    double t0, dt, c0, dc;
    static struct sql_count sc;

    if (fresh_store(where, way, loc, sizeof(loc)) != 0) {
        return -1;
    }
    cfg.path = loc;
    if (ticket_store_open(&cfg, &store, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_intake: open %s: %s\n", loc, err);
        return -1;
    }
    ticket_store_set_policy(store, pol);
    memset(&sc, 0, sizeof(sc));
    yq_db_set_trace(ticket_store_db(store), count_sql, &sc);
    if (batch > 0 && !(e = calloc((size_t)batch, sizeof(*e)))) {
        ticket_store_free(store);
        return -1;
    }
    t0 = now_s();
    c0 = cpu_s();
    while (done < n) {
        if (batch > 0) {
            long k = n - done < batch ? n - done : batch;
            for (long i = 0; i < k; i++) {
                e[i].alert = &v[done + i];
            }
            if (ticket_intake_batch(store, e, (size_t)k, yq_time_now_ms(), NULL) != 0) {
                fprintf(stderr, "bench_intake: batch failed: %s\n", ticket_store_errmsg(store));
                break;
            }
            for (long i = 0; i < k; i++) {
                refused += e[i].err != 0;
            }
            done += k;
        } else {
            int rc = ticket_intake_alert(store, &v[done], yq_time_now(), NULL);
            if (rc != 0 && rc != ERR_INVALID) {
                fprintf(stderr, "bench_intake: intake failed: %s\n", ticket_store_errmsg(store));
                break;
            }
            refused += rc != 0;
            done++;
        }
    }
    dt = now_s() - t0;
    dc = cpu_s() - c0;
    printf("%-6s %-10s alerts=%ld refused=%ld seconds=%.3f alerts_per_s=%.0f "
           "cpu_us_per_alert=%.0f statements_per_alert=%.1f\n",
           way, yq_db_backend_of(loc) == YQ_DB_PG ? "postgresql" : "sqlite", done, refused, dt,
           done / dt, done ? dc * 1e6 / (double)done : 0.0,
           done ? (double)sc.total / (double)done : 0.0);
    yq_db_set_trace(ticket_store_db(store), NULL, NULL);
    sql_count_print(&sc, done);
    free(e);
    ticket_store_free(store);
    remove_store(loc);
    return done == n ? done / dt : -1;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    const char *where = argc > 2 ? argv[2] : "/tmp";
    long batch = argc > 3 ? atol(argv[3]) : 500;
    const char *ways = argc > 4 ? argv[4] : "both";
    struct ticket_policy pol;
    struct yq_sentiment *lex = NULL;
    struct yq_alert *v;
    char err[256] = "";
    int64_t base = yq_time_now() - 3600;
    double single = 1, batched = 1;

    if (n < 1 || n > 10000000 || batch < 1 || batch > 100000 ||
        (strcmp(ways, "both") != 0 && strcmp(ways, "batch") != 0 && strcmp(ways, "single") != 0)) {
        fprintf(stderr, "usage: bench_intake [N (1..10^7) [LOCATION [B (1..10^5) "
                        "[both|batch|single]]]]\n");
        return 2;
    }
    yq_log_init("bench_intake", YQ_LOG_WARN);
    if (yq_sentiment_open(NULL, &lex, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_intake: sentiment: %s\n", err);
        return 1;
    }
    memset(&pol, 0, sizeof(pol)); /* defaults: the 研判 inbox takes every new event */
    pol.sentiment = lex;
    v = calloc((size_t)n, sizeof(*v));
    if (!v) {
        return 1;
    }
    for (long i = 0; i < n; i++) {
        if (make_alert(i, base, &v[i]) != 0) {
            fprintf(stderr, "bench_intake: alert %ld does not decode\n", i);
            return 1;
        }
    }
    printf("bench_intake: %ld alerts, batches of %ld, store %s\n", n, batch, where);
    if (strcmp(ways, "single") != 0) {
        batched = run(where, "batch", v, n, batch, &pol);
    }
    if (strcmp(ways, "batch") != 0) {
        single = run(where, "single", v, n, 0, &pol);
    }
    if (strcmp(ways, "both") == 0 && batched > 0 && single > 0) {
        printf("ratio batch/single = %.1f\n", batched / single);
    }
    for (long i = 0; i < n; i++) {
        yq_alert_release(&v[i]);
    }
    free(v);
    yq_sentiment_free(lex);
    return batched > 0 && single > 0 ? 0 : 1;
}
