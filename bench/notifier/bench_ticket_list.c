/*
 * GET /api/tickets with many tickets (issue #12; not a test, no asserts): fills a store with
 * N tickets (default 100,000) through the real intake, then times one page of the queue and
 * counts the SQL statements it runs (sqlite3_trace_v2), for
 *   new: web_notifier_ops' list (ticket_store_list() + ticket_store_list_items_of()), and
 *   old: the path before issue #12, rebuilt here from the same public functions: list up to
 *        5,000 tickets, then per ticket ticket_api_detail() plus get_by_number() and
 *        list_items() (the terms), filtering the JSON until the page is full.
 * Prints ratios; the numbers depend on the machine.
 *
 *   bench_ticket_list [N] [DB]   (DB default /tmp/yq-bench-tickets.db, reused when filled)
 */
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "yq_db.h"

#include "ticket_api.h"
#include "ticket_intake.h"
#include "ticket_store.h"
#include "web_notifier_ops.h"
#include "yq_alert.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_time.h"

#define PAGE 500 /* web.max_tickets default */
#define OLD_LIST_MAX 5000
#define MAX_ITEMS 20 /* max_items_per_ticket default */

static const char *const depts[] = {"市自然资源局", "市生态环境局", "市水利局", "市住建局",
                                    "市交通局",     "市卫健委",     "市教育局", "市市场监管局"};
static const char *const levels[] = {"I", "II", "III", "IV"};
static const char *const kinds[] = {"rss", "wechat", "weibo"};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int fill(struct ticket_store *store, long n)
{
    int64_t base = yq_time_now() - 30 * 86400;
    char json[4096], err[256], matched[32];
    double t0 = now_s();

    /* a bench: one fsync per ticket would measure the disk, not the queue */
    yq_db_exec_raw(ticket_store_db(store), "PRAGMA synchronous=OFF");
    for (long i = 0; i < n; i++) {
        struct yq_alert alert;
        struct ticket_intake_result res;
        const char *dept = depts[i % 8], *co = depts[(i / 8) % 8], *level = levels[(i / 3) % 4];
        int64_t at = base + i * 25;

        yq_time_format_utc(at, matched, sizeof(matched));
        snprintf(json, sizeof(json),
                 "{\"schema\":1,\"event_key\":\"ev:%ld\",\"event\":{\"new\":true,\"items\":1},"
                 "\"rules_version\":1,\"matched_at\":\"%s\",\"score\":%ld.0,\"level\":\"%s\","
                 "\"department\":\"%s\",\"matches\":[{\"rule_id\":\"r-%ld\",\"name\":\"规则\","
                 "\"department\":\"%s\",\"level\":\"%s\",\"terms\":[{\"term\":\"征地\","
                 "\"field\":\"text\",\"start\":2,\"end\":4}]},{\"rule_id\":\"c-%ld\","
                 "\"name\":\"协办\",\"department\":\"%s\",\"level\":\"%s\",\"terms\":[]}],"
                 "\"item\":{\"schema\":1,\"id\":\"%s:%ld\",\"source\":\"%s\","
                 "\"source_id\":\"src-%ld\",\"channel\":\"来源%ld\",\"url\":\"http://x/%ld\","
                 "\"title\":\"标题%ld\",\"text\":\"汉滨征地补偿款迟迟未发放\",\"author\":\"\","
                 "\"published_at\":null,\"published_precision\":\"second\","
                 "\"fetched_at\":\"%s\"}}",
                 i, matched, i % 100, level, dept, i % 50, dept, level, i % 50, co, level,
                 kinds[i % 3], i, kinds[i % 3], i % 200, i % 200, i, i, matched);
        if (yq_alert_decode(json, strlen(json), &alert, err, sizeof(err)) != 0) {
            fprintf(stderr, "decode: %s\n", err);
            return 1;
        }
        if (ticket_intake_alert(store, &alert, at + 60, &res) != 0) {
            fprintf(stderr, "intake failed: %s\n", ticket_store_errmsg(store));
            yq_alert_release(&alert);
            return 1;
        }
        yq_alert_release(&alert);
        if (i % 10000 == 9999) {
            fprintf(stderr, "  %ld tickets (%.0f s)\n", i + 1, now_s() - t0);
        }
    }
    yq_db_exec_raw(ticket_store_db(store), "PRAGMA synchronous=FULL");
    return 0;
}

static long statements;

static void on_trace(void *arg, const char *sql)
{
    (void)arg;
    (void)sql;
    statements++;
}

/* ---- the path before issue #12 (web/web_notifier_ops.c at dded9e0), same public calls --- */

static bool in_department(json_t *t, const char *dept)
{
    size_t i;
    json_t *d;
    const char *lead = json_string_value(json_object_get(t, "department"));
    if (lead && strcmp(lead, dept) == 0) {
        return true;
    }
    json_array_foreach(json_object_get(t, "co_departments"), i, d)
    {
        if (json_is_string(d) && strcmp(json_string_value(d), dept) == 0) {
            return true;
        }
    }
    return false;
}

static bool has_source(json_t *t, const char *source)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(t, "items"), i, it)
    {
        const char *s = json_string_value(json_object_get(it, "source"));
        const char *sid = json_string_value(json_object_get(it, "source_id"));
        if ((s && strcmp(s, source) == 0) || (sid && strcmp(sid, source) == 0)) {
            return true;
        }
    }
    return false;
}

static int old_list(struct ticket_store *reader, const struct web_ticket_query *q, json_t **out)
{
    struct ticket_filter filter = {.state = "active"};
    struct ticket_list list = {0};
    json_t *arr = json_array();
    int err = ticket_store_list(reader, &filter, OLD_LIST_MAX, &list);

    for (size_t i = 0; !err && i < list.n && json_array_size(arr) < q->max; i++) {
        json_t *d = NULL;
        struct ticket t;
        struct ticket_item_list items = {0};
        if (q->level && strcmp(q->level, yq_level_name(list.v[i].level)) != 0) {
            continue;
        }
        err = ticket_api_detail(reader, list.v[i].number, &d);
        if (!err) { /* detail() then read the ticket and its items again for the terms */
            err = ticket_store_get_by_number(reader, list.v[i].number, &t);
            if (!err) {
                err = ticket_store_list_items(reader, t.id, MAX_ITEMS, &items);
                ticket_release(&t);
            }
            ticket_item_list_release(&items);
        }
        if (err) {
            json_decref(d);
            break;
        }
        if ((q->department && !in_department(d, q->department)) ||
            (q->source && !has_source(d, q->source))) {
            json_decref(d);
            continue;
        }
        json_object_del(d, "log");
        json_object_del(d, "items");
        json_object_del(d, "responses");
        json_array_append_new(arr, d);
    }
    ticket_list_release(&list);
    *out = arr;
    return err;
}

struct run {
    double seconds;
    long statements;
    size_t tickets;
};

static struct run time_one(struct web_notifier_ctx *ctx, const struct web_ticket_query *q, bool old)
{
    struct run r;
    json_t *out = NULL;
    double t0;
    int err;

    statements = 0;
    t0 = now_s();
    err = old ? old_list(ctx->reader, q, &out) : web_notifier_ops.list(ctx, q, &out);
    r.seconds = now_s() - t0;
    r.statements = statements;
    r.tickets = json_array_size(out);
    if (err) {
        fprintf(stderr, "list failed: %d\n", err);
    }
    json_decref(out);
    return r;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 100000;
    const char *path = argc > 2 ? argv[2] : "/tmp/yq-bench-tickets.db";
    struct ticket_store_cfg cfg = {.path = (char *)path, .busy_timeout_ms = 5000};
    struct ticket_store *writer = NULL, *reader = NULL;
    struct web_notifier_ctx ctx;
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    int64_t have = 0;
    char err[256] = "";
    struct {
        const char *name;
        struct web_ticket_query q;
    } cases[] = {
        {"active queue, no filter", {.max = PAGE}},
        {"one lead or co-handling department", {.department = "市水利局", .max = PAGE}},
        {"level I", {.level = "I", .max = PAGE}},
        {"one source id", {.source = "src-7", .max = PAGE}},
    };

    yq_log_init("bench_ticket_list", YQ_LOG_WARN);
    if (n < 1 || ticket_store_init(&cfg, NULL, err, sizeof(err)) != 0 ||
        ticket_store_open(&cfg, &writer, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_ticket_list: %s\n", err);
        return 1;
    }
    ticket_store_count_open(writer, &have);
    if (have < n) {
        fprintf(stderr, "filling %ld tickets into %s ...\n", n - (long)have, path);
        yq_db_exec_raw(ticket_store_db(writer), "DELETE FROM outbox");
        if (have > 0 || fill(writer, n) != 0) {
            fprintf(stderr, "bench_ticket_list: remove %s first (it holds %lld tickets)\n", path,
                    (long long)have);
            ticket_store_free(writer);
            return 1;
        }
    }
    if (ticket_store_open_readonly(&cfg, &reader, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_ticket_list: %s\n", err);
        return 1;
    }
    yq_db_set_trace(ticket_store_db(reader), on_trace, NULL);
    memset(&ctx, 0, sizeof(ctx));
    ctx.reader = reader;
    ctx.writer = writer;
    ctx.lock = &lock;
    ctx.max_items = MAX_ITEMS;
    ticket_store_count_open(reader, &have);
    printf("%lld active tickets; page of at most %d\n", (long long)have, PAGE);
    printf("%-38s %10s %8s %7s | %10s %8s %7s | %7s\n", "GET /api/tickets", "old s", "stmts",
           "tickets", "new s", "stmts", "tickets", "old/new");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct run o, w;
        time_one(&ctx, &cases[i].q, false); /* warm the page cache for both */
        o = time_one(&ctx, &cases[i].q, true);
        w = time_one(&ctx, &cases[i].q, false);
        printf("%-38s %10.3f %8ld %7zu | %10.3f %8ld %7zu | %7.1f\n", cases[i].name, o.seconds,
               o.statements, o.tickets, w.seconds, w.statements, w.tickets,
               w.seconds > 0 ? o.seconds / w.seconds : 0.0);
    }
    ticket_store_free(reader);
    ticket_store_free(writer);
    return 0;
}
