/*
 * Backtest benchmark (issue #14: 1,000 rules over 30 days, 1,000,000 items, in under a minute).
 *
 * Rules: N_RULES generated from the sample rules' vocabulary (the terms of config/rules/ (its .yaml
 * files) and its places) in four shapes: (a | b) & place, a & b, NEAR/10(a, b), (a | b | c) & !d.
 * The live set is those rules; the draft changes one rule in ten (a term swapped), drops ten
 * and adds ten.
 *
 * Archive: ARCHIVE_DIR filled once with archive_bench_fill() (N items over the 30 days before
 * 2026-11-30, seed 1) and reused by later runs (the fill is the slow part: see
 * run_bench_archive.sh for the store's rate).
 *
 * Measured (key=value lines on stdout):
 *   scan_only_1t_s                      archive_scan() of the range, rows decoded, no matching
 *   backtest_<threads>t_<narrowing>_s   archive_backtest_run() over the whole range
 *   peer_<threads>t_s                   the matcher alone over the same items from an array in
 *                                       memory, matching what the backtest matches: the
 *                                       combined set (the draft and the live rules that differ)
 *   peer_two_sets_2t_s                  the same with each set matched on its own
 *   overhead_ratio_<threads>t           backtest (no narrowing) / peer, same threads
 * Not a test: numbers depend on the machine and on what else runs on it.
 *
 * usage: bench_backtest ARCHIVE_DIR RULES_DIR [N_ITEMS] [N_RULES]   (N_RULES 0: fill only)
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "archive.h"
#include "archive_backtest.h"
#include "archive_bench_fill.h"
#include "match.h"
#include "rules.h"
#include "yq_err.h"
#include "yq_item.h"
#include "yq_time.h"
#include "yq_banned.h"

#define DAYS 30
#define SEED 1

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t range_start(void)
{
    return yq_time_days_from_civil(2026, 11, 30) * 86400 - 8 * 3600 - DAYS * 86400;
}

/* The vocabulary: distinct terms of every rule of the sample set, and its places. */
static int vocabulary(const struct rule_set *rs, const char ***out, size_t *n_out)
{
    size_t cap = rs->n_terms + rs->n_places + 1, n = 0;
    const char **v = calloc(cap, sizeof(*v));

    if (!v) {
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < rs->n_rules; i++) {
        const struct rule_expr *e = rs->rules[i].expr;
        for (size_t k = 0; k < rule_expr_n_terms(e); k++) {
            const char *t = rule_expr_term(e, k);
            bool seen = false;
            for (size_t j = 0; j < n && !seen; j++) {
                seen = strcmp(v[j], t) == 0;
            }
            if (!seen && n < cap) {
                v[n++] = t;
            }
        }
    }
    *out = v;
    *n_out = n;
    return 0;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

static size_t pick(size_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (size_t)(rng % n);
}

/* Append rule i (shape i % 4; variant changes one term) as YAML to buf. */
static void rule_yaml(char *buf, size_t len, size_t i, const char *const *v, size_t nv,
                      const char *const *places, size_t np, bool variant)
{
    const char *a = v[pick(nv)], *b = v[pick(nv)], *c = v[pick(nv)], *d = v[pick(nv)];
    const char *p = places[pick(np)];
    char expr[512];

    if (variant) {
        a = v[pick(nv)];
    }
    while (b == a) {
        b = v[pick(nv)];
    }
    switch (i % 4) {
    case 0:
        snprintf(expr, sizeof(expr), "(%s | %s) & %s", a, b, p);
        break;
    case 1:
        snprintf(expr, sizeof(expr), "%s & %s", a, b);
        break;
    case 2:
        snprintf(expr, sizeof(expr), "NEAR/10(%s, %s)", a, b);
        break;
    default:
        while (d == a || d == b || d == c) {
            d = v[pick(nv)];
        }
        snprintf(expr, sizeof(expr), "(%s | %s | %s) & !%s", a, b, c, d);
        break;
    }
    snprintf(buf + strlen(buf), len - strlen(buf),
             "  - {id: bench-r%04zu, name: 规则%zu, department: 市自然资源局, level: %s, "
             "expr: \"%s\"}\n",
             i, i, (i % 4 == 0) ? "III" : "IV", expr);
}

enum set_kind { SET_LIVE, SET_DRAFT, SET_COMBINED };

/*
 * The live set, the draft, or what the backtest matches in one pass (archive_backtest.h
 * "Matching"): the draft's rules and the live rules that differ, under other ids.
 */
static struct rule_set *make_set(const struct rule_set *sample, size_t n, enum set_kind kind)
{
    const char **v = NULL;
    size_t nv = 0, len = n * 512 + 4096;
    char *yaml = malloc(len), err[512] = "";
    struct rule_set *rs = rule_set_new();

    if (!yaml || !rs || vocabulary(sample, &v, &nv) != 0 || nv < 4 || sample->n_places == 0) {
        fprintf(stderr, "bench_backtest: need a sample set with at least 4 terms and places\n");
        exit(1);
    }
    snprintf(yaml, len, "group: bench\nplaces: [");
    for (size_t i = 0; i < sample->n_places; i++) {
        snprintf(yaml + strlen(yaml), len - strlen(yaml), "%s%s", i ? ", " : "", sample->places[i]);
    }
    snprintf(yaml + strlen(yaml), len - strlen(yaml), "]\nrules:\n");
    rng = 0x9E3779B97F4A7C15ULL;
    for (size_t i = 0; i < n + 10; i++) {
        /* the same random draws in both sets, so unchanged rules are identical */
        uint64_t saved;
        bool in_live = i < n, in_draft = i >= 10;
        char one[1024] = "";
        char changed[1024] = "";
        rule_yaml(one, sizeof(one), i, v, nv, (const char *const *)sample->places, sample->n_places,
                  false);
        saved = rng;
        if (kind != SET_LIVE && in_draft && i % 10 == 5) {
            rule_yaml(changed, sizeof(changed), i, v, nv, (const char *const *)sample->places,
                      sample->n_places, true);
        }
        rng = saved;
        if (kind == SET_LIVE && in_live) {
            snprintf(yaml + strlen(yaml), len - strlen(yaml), "%s", one);
        }
        if (kind != SET_LIVE && in_draft) {
            snprintf(yaml + strlen(yaml), len - strlen(yaml), "%s", changed[0] ? changed : one);
        }
        if (kind == SET_COMBINED && in_live && (changed[0] || !in_draft)) {
            char *id = strstr(one, "bench-r"); /* the live version under another id */
            if (id) {
                id[6] = 'l';
            }
            snprintf(yaml + strlen(yaml), len - strlen(yaml), "%s", one);
        }
    }
    if (rule_set_add_yaml(rs, "bench.yaml", yaml, strlen(yaml), err, sizeof(err)) != 0 ||
        rule_set_compile(rs, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_backtest: generated rules: %s\n", err);
        exit(1);
    }
    free(yaml);
    free(v);
    return rs;
}

/* --- the peer: the matcher alone over an array ------------------------------------------ */

struct peer {
    const struct yq_item *items;
    size_t from, to;
    const struct rule_set *draft, *live; /* live NULL: one set (the combined one) */
    size_t hits;
};

static void *peer_main(void *arg)
{
    struct peer *p = arg;
    /* one scratch per set, as the backtest keeps them (a scratch serves one database best) */
    struct match_scratch *ms = match_scratch_new(), *ms_live = match_scratch_new();

    for (size_t i = p->from; ms && ms_live && i < p->to; i++) {
        struct match_result a, b;
        if (match_item(p->draft, ms, &p->items[i], &a) == 0) {
            p->hits += a.n_rules;
        }
        match_result_release(&a);
        if (p->live && match_item(p->live, ms_live, &p->items[i], &b) == 0) {
            p->hits += b.n_rules;
        }
        if (p->live) {
            match_result_release(&b);
        }
    }
    match_scratch_free(ms);
    match_scratch_free(ms_live);
    return NULL;
}

static double run_peer(const struct yq_item *items, size_t n, const struct rule_set *draft,
                       const struct rule_set *live, int threads, size_t *hits)
{
    struct peer p[2];
    pthread_t t[2];
    double t0 = now_s();

    for (int i = 0; i < threads; i++) {
        p[i] = (struct peer){items,
                             n * (size_t)i / (size_t)threads,
                             n * (size_t)(i + 1) / (size_t)threads,
                             draft,
                             live,
                             0};
        pthread_create(&t[i], NULL, peer_main, &p[i]);
    }
    *hits = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        *hits += p[i].hits;
    }
    return now_s() - t0;
}

static int count_row(const struct archive_row *row, void *arg)
{
    (void)row;
    ++*(size_t *)arg;
    return 0;
}

int main(int argc, char **argv)
{
    const char *dir, *rules_dir;
    size_t n_items = 1000000, n_rules = 1000;
    struct rule_set *sample = NULL, *live, *draft, *comb;
    struct archive *arcs[2] = {NULL, NULL};
    char err[512] = "", marker[600];
    struct stat st;
    double t0, peer_s[3] = {0};

    if (argc < 3) {
        fprintf(stderr, "usage: bench_backtest ARCHIVE_DIR RULES_DIR [N_ITEMS] [N_RULES]\n");
        return 2;
    }
    dir = argv[1];
    rules_dir = argv[2];
    if (argc > 3) {
        n_items = strtoull(argv[3], NULL, 10);
    }
    if (argc > 4) {
        n_rules = strtoull(argv[4], NULL, 10);
    }
    if (rule_set_load_dir(rules_dir, &sample, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_backtest: %s\n", err);
        return 1;
    }
    live = make_set(sample, n_rules ? n_rules : 1, SET_LIVE);
    draft = make_set(sample, n_rules ? n_rules : 1, SET_DRAFT);
    comb = make_set(sample, n_rules ? n_rules : 1, SET_COMBINED);
    printf("rules_live %zu\nrules_draft %zu\nrules_combined %zu\nterms_live %zu\n", live->n_rules,
           draft->n_rules, comb->n_rules, live->n_terms);

    snprintf(marker, sizeof(marker), "%s/BENCH-FILLED-%zu", dir, n_items);
    if (stat(marker, &st) != 0) {
        FILE *f;
        if (archive_init(dir, err, sizeof(err)) != 0 ||
            archive_open(dir, NULL, &arcs[0], err, sizeof(err)) != 0) {
            fprintf(stderr, "bench_backtest: %s\n", err);
            return 1;
        }
        t0 = now_s();
        if (archive_bench_fill(arcs[0], n_items, range_start(), DAYS, SEED, err, sizeof(err)) !=
            0) {
            fprintf(stderr, "bench_backtest: fill: %s\n", err);
            return 1;
        }
        printf("fill_s %.1f\n", now_s() - t0);
        archive_close(arcs[0]);
        f = fopen(marker, "w");
        if (f) {
            fclose(f);
        }
    }
    if (n_rules == 0) {
        return 0; /* fill only */
    }
    for (int i = 0; i < 2; i++) {
        struct archive_open_opts o = {.flags = ARCHIVE_READONLY};
        if (archive_open(dir, &o, &arcs[i], err, sizeof(err)) != 0) {
            fprintf(stderr, "bench_backtest: %s\n", err);
            return 1;
        }
    }
    printf("items %zu\n", n_items);
    fflush(stdout);

    {
        /* the archive's read alone: every row decoded, nothing matched */
        struct archive_filter f = {.since_s = range_start(),
                                   .until_s = range_start() + DAYS * 86400};
        size_t rows = 0;
        t0 = now_s();
        if (archive_scan(arcs[0], &f, count_row, &rows, err, sizeof(err)) != 0) {
            fprintf(stderr, "bench_backtest: %s\n", err);
            return 1;
        }
        printf("scan_only_1t_s %.2f\nscan_only_rows %zu\n", now_s() - t0, rows);
    }
    for (int threads = 1; threads <= 2; threads++) {
        for (int nar = 0; nar <= 1; nar++) {
            struct backtest_opts bo = {.since_s = range_start(),
                                       .until_s = range_start() + DAYS * 86400,
                                       .samples = BACKTEST_DEFAULT_SAMPLES,
                                       .narrowing =
                                           nar ? BACKTEST_NARROW_TERMS : BACKTEST_NARROW_NONE};
            struct backtest_report rep;
            t0 = now_s();
            if (archive_backtest_run(arcs, (size_t)threads, draft, live, &bo, &rep, err,
                                     sizeof(err)) != 0) {
                fprintf(stderr, "bench_backtest: %s\n", err);
                return 1;
            }
            printf("backtest_%dt_%s_s %.2f\n", threads, nar ? "terms" : "none", now_s() - t0);
            printf("backtest_%dt_%s_scanned %zu\n", threads, nar ? "terms" : "none",
                   rep.items_scanned);
            if (threads == 2 && nar == 0) {
                printf("combined %d\n", rep.combined);
                printf("draft_hits %zu\nlive_hits %zu\ngained %zu\nlost %zu\nevents %zu\n",
                       rep.draft_hits, rep.live_hits, rep.gained, rep.lost, rep.events);
            }
            fflush(stdout);
            backtest_report_release(&rep);
        }
    }
    {
        struct yq_item *items = calloc(n_items, sizeof(*items));
        size_t hits = 0;
        for (size_t i = 0; items && i < n_items; i++) {
            if (archive_bench_item_uniform(SEED, i, range_start(), DAYS, &items[i]) != 0) {
                return 1;
            }
        }
        for (int threads = 1; threads <= 2; threads++) {
            peer_s[threads] = run_peer(items, n_items, comb, NULL, threads, &hits);
            printf("peer_%dt_s %.2f\npeer_hits %zu\n", threads, peer_s[threads], hits);
        }
        {
            double t2 = run_peer(items, n_items, draft, live, 2, &hits);
            printf("peer_two_sets_2t_s %.2f\npeer_two_sets_hits %zu\n", t2, hits);
        }
        for (size_t i = 0; items && i < n_items; i++) {
            yq_item_release(&items[i]);
        }
        free(items);
    }
    archive_close(arcs[0]);
    archive_close(arcs[1]);
    rule_set_free(live);
    rule_set_free(draft);
    rule_set_free(comb);
    rule_set_free(sample);
    return 0;
}
