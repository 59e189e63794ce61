/*
 * Matching latency during a hot reload of 100,000 terms (issue #16): the matcher before
 * ("sync": the new version decoded and compiled in the matching thread, items wait) against
 * rules_loader.h ("async": compiled in the loader's thread, items matched with the old set
 * until the swap).
 *
 *   bench_reload_latency [INTERVAL_US [RELOADS]]
 *
 * Items (300 bytes of CJK text with rule terms spliced in) arrive every INTERVAL_US
 * (default 1000: 1,000 items/s); after 200 items the reload of a 10,000-rule, 100,000-term
 * set (the JSON the matcher reads from Redis, rule_set_decode(): decode + compile) starts;
 * the run goes on until the items arriving 500 intervals after the swap. An item's latency is from its arrival to
 * the end of its match (match_item()). Reported per mode: p50, p99 and max latency of the
 * items from the reload's start to the end, the reload's duration, and the ratios sync/async.
 * RELOADS (default 1) repeats both modes and keeps the last figures.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_rules.h"
#include "match.h"
#include "rules.h"
#include "rules_loader.h"
#include "yq_err.h"
#include "yq_banned.h"

#define N_OLD_RULES 1000
#define N_NEW_RULES 10000
#define TERMS_PER_RULE BENCH_TERMS_PER_RULE
#define RELOAD_AT 200
#define AFTER_SWAP 500
#define ITEM_CPS 100

static uint64_t rng = 88172645463325252ULL;

static uint64_t next_rand(void)
{
    return bench_xorshift64(&rng);
}

/* Simplified-only CJK (U+4E00.. a block OpenCC leaves alone is not needed: terms and text
   are normalised the same way). */
static uint32_t rand_cp(void)
{
    return 0x4E00 + (uint32_t)(next_rand() % 6000);
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void sleep_until(double t_us)
{
    double now = now_us();
    if (t_us > now) {
        struct timespec ts = {.tv_sec = (time_t)((t_us - now) / 1e6),
                              .tv_nsec = (long)((long long)(t_us - now) % 1000000 * 1000)};
        nanosleep(&ts, NULL);
    }
}

struct reload {
    const char *json;
    size_t len;
};

static int decode(void *ctx, int64_t version, struct rule_set **out, char *errbuf, size_t errlen)
{
    const struct reload *r = ctx;
    (void)version;
    return rule_set_decode(r->json, r->len, out, errbuf, errlen);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct figures {
    double p50, p99, max, reload_s;
    size_t n;
};

static void run(int async, struct rule_set *old, const struct reload *rl, char **items,
                size_t n_items, double interval_us, struct figures *fig)
{
    struct rule_set *in_use = old;
    struct match_scratch *ms = match_scratch_new();
    struct rules_loader *l = rules_loader_new(decode, (void *)rl);
    double *lat = calloc(n_items, sizeof(*lat)), t_start = now_us() + 1000, t_reload = 0,
           t_swap = 0;
    size_t swapped_at = 0, n = 0;
    char err[512];

    for (size_t i = 0; i < n_items; i++) {
        double arrival = t_start + (double)i * interval_us;
        struct yq_item it;
        struct match_result mr;

        sleep_until(arrival);
        if (i == RELOAD_AT) {
            t_reload = now_us();
            if (async) {
                rules_loader_start(l, 2);
            } else {
                struct rule_set *rs = NULL;
                if (rule_set_decode(rl->json, rl->len, &rs, err, sizeof(err)) != 0) {
                    fprintf(stderr, "reload: %s\n", err);
                    exit(1);
                }
                in_use = rs;
                t_swap = now_us();
                swapped_at = i;
            }
        }
        if (async && !swapped_at) {
            struct rules_load_result r;
            if (rules_loader_take(l, &r)) {
                if (r.rc != 0) {
                    fprintf(stderr, "reload: %s\n", r.err);
                    exit(1);
                }
                in_use = r.rs; /* the old set is the caller's: freed at the end */
                t_swap = now_us();
                swapped_at = i;
            }
        }
        memset(&it, 0, sizeof(it));
        it.id = (char *)"rss:b";
        it.source = (char *)"rss";
        it.source_id = (char *)"s";
        it.title = (char *)"";
        it.text = items[i % 1000];
        if (match_item(in_use, ms, &it, &mr) != 0) {
            fprintf(stderr, "match failed\n");
            exit(1);
        }
        match_result_release(&mr);
        if (i >= RELOAD_AT) {
            lat[n++] = now_us() - arrival;
        }
        if (swapped_at && arrival > t_swap + AFTER_SWAP * interval_us) {
            break; /* both modes: every item that arrived until 500 intervals after the swap */
        }
    }
    qsort(lat, n, sizeof(*lat), cmp_double);
    fig->n = n;
    fig->p50 = lat[n / 2];
    fig->p99 = lat[n * 99 / 100];
    fig->max = lat[n - 1];
    fig->reload_s = (t_swap - t_reload) / 1e6;
    if (in_use != old) {
        rule_set_free(in_use);
    }
    rules_loader_free(l);
    match_scratch_free(ms);
    free(lat);
}

int main(int argc, char **argv)
{
    double interval = argc > 1 ? strtod(argv[1], NULL) : 1000;
    long reloads = argc > 2 ? strtol(argv[2], NULL, 10) : 1;
    size_t n_terms = (size_t)N_NEW_RULES * TERMS_PER_RULE, len_old, n_items = 200000;
    char **terms = bench_make_terms(n_terms, 3, 2, next_rand, rand_cp); /* 3..4 characters */
    char *items[1000], err[512];
    char *json_old = bench_rules_json(terms, N_OLD_RULES, 1, &len_old);
    struct reload rl;
    struct rule_set *old = NULL;
    struct figures fig[2];

    if (interval < 10 || reloads < 1) {
        fprintf(stderr, "usage: bench_reload_latency [INTERVAL_US >= 10 [RELOADS]]\n");
        return 2;
    }
    rl.json = bench_rules_json(terms, N_NEW_RULES, 2, &rl.len);
    if (rule_set_decode(json_old, len_old, &old, err, sizeof(err)) != 0) {
        fprintf(stderr, "old set: %s\n", err);
        return 1;
    }
    for (size_t i = 0; i < 1000; i++) {
        size_t len = 0;
        items[i] = malloc(ITEM_CPS * 3 + 64);
        for (size_t k = 0; k < ITEM_CPS; k++) {
            if (k % 30 == 10) { /* a rule term now and then */
                const char *t = terms[next_rand() % (N_OLD_RULES * TERMS_PER_RULE)];
                memcpy(items[i] + len, t, strlen(t));
                len += strlen(t);
            } else {
                len += bench_put_cp(items[i] + len, rand_cp());
            }
        }
        items[i][len] = '\0';
    }
    printf("# interval_us=%.0f old_rules=%d old_terms=%d new_rules=%d new_terms=%zu\n", interval,
           N_OLD_RULES, N_OLD_RULES * TERMS_PER_RULE, N_NEW_RULES, n_terms);
    for (long k = 0; k < reloads; k++) {
        for (int async = 0; async <= 1; async++) {
            run(async, old, &rl, items, n_items, interval, &fig[async]);
            printf("mode=%s reload_s=%.2f items=%zu latency_p50_us=%.0f latency_p99_us=%.0f "
                   "latency_max_us=%.0f\n",
                   async ? "async" : "sync", fig[async].reload_s, fig[async].n, fig[async].p50,
                   fig[async].p99, fig[async].max);
            fflush(stdout);
        }
    }
    printf("ratio sync/async p50=%.1f p99=%.1f max=%.1f\n", fig[0].p50 / fig[1].p50,
           fig[0].p99 / fig[1].p99, fig[0].max / fig[1].max);
    for (size_t i = 0; i < 1000; i++) {
        free(items[i]);
    }
    for (size_t i = 0; i < n_terms; i++) {
        free(terms[i]);
    }
    free(terms);
    free(json_old);
    free((char *)rl.json);
    rule_set_free(old);
    return 0;
}
