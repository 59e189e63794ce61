/*
 * Matcher benchmark (issue #4): 1,000 rules with 10,000 distinct terms over 500-byte Chinese
 * items. Measures, on the same items:
 *   matcher  - match_item(): normalise + Vectorscan scan + offset mapping + rule evaluation
 *   raw      - hs_scan of the same database over the already-normalised text, counting
 *   compile  - rule_set_compile() of 100,000 terms (10,000 rules)
 *   memory   - Vectorscan database bytes and the process's peak RSS
 * and writes the rules and the normalised items for the Python peer (peer_pyahocorasick.py).
 *
 * usage: bench_matcher OUTDIR [N_ITEMS]   (prints key=value lines on stdout)
 * Not a test: numbers depend on the machine. Deterministic inputs (fixed PRNG seed).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_rules.h"
#include "match.h"
#include "norm.h"
#include "rules.h"
#include "term_find.h"
#include "yq_err.h"
#include "yq_banned.h"

#define TERMS_PER_RULE BENCH_TERMS_PER_RULE
#define ITEM_BYTES 500

static uint64_t rng = 0x9E3779B97F4A7C15ULL;

/* 32 bits of the generator (returned widened, for bench_make_terms()) */
static uint64_t next_rand(void)
{
    return (uint32_t)(bench_xorshift64(&rng) >> 16);
}

/*
 * The text is made of 1,500 characters from the start of the URO that normalisation leaves
 * unchanged (traditional ones are skipped), so the Python peer, which gets the same
 * normalised items and the rule terms as written, sees exactly what the C matcher sees.
 */
static uint32_t alphabet[1500];

static int make_alphabet(const struct norm *nm)
{
    size_t n = 0;
    for (uint32_t cp = 0x4E00; cp < 0x9FA5 && n < 1500; cp++) {
        char buf[8], *out = NULL;
        buf[bench_put_cp(buf, cp)] = '\0';
        if (norm_string(nm, buf, &out) != 0) {
            return ERR_NOMEM;
        }
        if (strcmp(out, buf) == 0) {
            alphabet[n++] = cp;
        }
        free(out);
    }
    return 0;
}

static uint32_t text_cp(void)
{
    return alphabet[next_rand() % 1500];
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof(line), f)) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
        }
    }
    if (f) {
        fclose(f);
    }
    return kb;
}

/* A rule set of n_rules rules over terms (TERMS_PER_RULE each): (a|b|c|d) & (e|f|g) & !(h|i|j) */
static struct rule_set *make_rules(char **terms, size_t n_rules, char **json_out)
{
    struct rule_set *rs = NULL;
    size_t off = 0;
    char *json = bench_rules_json(terms, n_rules, 1, &off), err[512] = "";

    if (!json) {
        fprintf(stderr, "bench: rule set: out of memory\n");
        return NULL;
    }
    if (rule_set_decode(json, off, &rs, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench: rule set: %s\n", err);
        free(json);
        return NULL;
    }
    if (json_out) {
        *json_out = json;
    } else {
        free(json);
    }
    return rs;
}

/*
 * Seconds to decode a set of one rule over terms whose "groups" lists n_groups distinct names
 * (each once, then all again): what de-duplicating the groups costs, -1 on failure.
 */
static double time_groups(char **terms, size_t n_groups)
{
    size_t len = 0, cap = n_groups * 2 * 16 + 64, off;
    char *rule = bench_rules_json(terms, 1, 1, &len), *json = malloc(cap + len), err[512] = "";
    struct rule_set *rs = NULL;
    double t0, t = -1;

    if (rule && json) {
        off = (size_t)snprintf(json, cap, "{\"groups\":[");
        for (size_t i = 0; i < 2 * n_groups; i++) {
            off +=
                (size_t)snprintf(json + off, cap - off, "%s\"g%zu\"", i ? "," : "", i % n_groups);
        }
        off += (size_t)snprintf(json + off, cap + len - off, "],%s", rule + 1);
        t0 = now_s();
        if (rule_set_decode(json, off, &rs, err, sizeof(err)) == 0 && rs->n_groups == n_groups) {
            t = now_s() - t0;
        } else {
            fprintf(stderr, "bench: groups: %s\n", err);
        }
    }
    rule_set_free(rs);
    free(json);
    free(rule);
    return t;
}

int main(int argc, char **argv)
{
    const char *outdir = argc > 1 ? argv[1] : "/tmp";
    size_t n_items = argc > 2 ? strtoul(argv[2], NULL, 10) : 20000;
    size_t n_rules = 1000, n_terms = n_rules * TERMS_PER_RULE;
    char **terms, **items, *json = NULL, path[512];
    struct rule_set *rs, *big;
    struct match_scratch *ms;
    struct term_scratch *ts;
    struct norm_text *normed;
    const struct norm *nm;
    double t0, t_match, t_raw, t_compile;
    uint64_t matched = 0, raw_hits = 0, total_bytes = 0;
    FILE *f;

    if (norm_global(&nm, NULL, 0) != 0 || make_alphabet(nm) != 0) {
        fprintf(stderr, "bench: normalisation tables unavailable\n");
        return 1;
    }
    /* 2..4 characters; enough terms for the 100,000-term compile too */
    terms = bench_make_terms(n_terms * 10 + n_terms, 2, 3, next_rand, text_cp);
    rs = make_rules(terms, n_rules, &json);
    if (!rs) {
        return 1;
    }
    snprintf(path, sizeof(path), "%s/rules.json", outdir);
    f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    fputs(json, f);
    fclose(f);
    free(json);

    /* items: random text with 3 random rule terms spliced in (some rules fire) */
    items = calloc(n_items, sizeof(*items));
    normed = calloc(n_items, sizeof(*normed));
    for (size_t i = 0; i < n_items; i++) {
        char *b = malloc(ITEM_BYTES + 64);
        size_t len = 0;
        while (len + 3 <= ITEM_BYTES) {
            if (next_rand() % 50 == 0) {
                const char *t = terms[next_rand() % n_terms];
                size_t tl = strlen(t);
                if (len + tl <= ITEM_BYTES) {
                    memcpy(b + len, t, tl);
                    len += tl;
                    continue;
                }
            }
            len += bench_put_cp(b + len, text_cp());
        }
        b[len] = '\0';
        items[i] = b;
        total_bytes += len;
    }
    snprintf(path, sizeof(path), "%s/items.txt", outdir);
    f = fopen(path, "w");
    for (size_t i = 0; i < n_items; i++) {
        if (norm_apply(nm, items[i], strlen(items[i]), (size_t)-1, &normed[i]) != 0) {
            fprintf(stderr, "bench: normalisation failed\n");
            return 1;
        }
    }
    for (size_t i = 0; f && i < n_items; i++) {
        fprintf(f, "%s\n", normed[i].buf);
    }
    if (f) {
        fclose(f);
    }

    /* whole matcher */
    ms = match_scratch_new();
    ts = term_scratch_new();
    for (int warm = 0; warm < 2; warm++) {
        t0 = now_s();
        matched = 0;
        for (size_t i = 0; i < n_items; i++) {
            struct yq_item it;
            struct match_result mr;
            memset(&it, 0, sizeof(it));
            it.id = (char *)"x";
            it.source = (char *)"rss";
            it.text = items[i];
            if (match_item(rs, ms, &it, &mr) != 0) {
                fprintf(stderr, "bench: match failed\n");
                return 1;
            }
            matched += mr.n_rules;
            match_result_release(&mr);
        }
        t_match = now_s() - t0;
    }
    /* raw Vectorscan over the same normalised text, same database */
    for (int warm = 0; warm < 2; warm++) {
        t0 = now_s();
        raw_hits = 0;
        for (size_t i = 0; i < n_items; i++) {
            uint64_t n = 0;
            term_db_scan_raw(rs->db, ts, normed[i].buf, normed[i].len, &n);
            raw_hits += n;
        }
        t_raw = now_s() - t0;
    }
    /* compile 100,000 terms: 10,000 rules */
    t0 = now_s();
    big = make_rules(terms, 10 * n_rules, NULL);
    t_compile = now_s() - t0;

    printf("items=%zu item_bytes=%.0f rules=%zu terms=%zu\n", n_items,
           (double)total_bytes / (double)n_items, rs->n_rules, rs->n_terms);
    printf("matcher_items_per_s=%.0f matcher_mb_per_s=%.1f rules_fired=%" PRIu64 "\n",
           (double)n_items / t_match, (double)total_bytes / t_match / 1e6, matched);
    printf("raw_items_per_s=%.0f raw_mb_per_s=%.1f raw_hits=%" PRIu64 "\n",
           (double)n_items / t_raw, (double)total_bytes / t_raw / 1e6, raw_hits);
    printf("matcher_vs_raw=%.2f\n", t_raw / t_match);
    if (big) {
        printf("compile_100k_terms_s=%.2f compile_rules=%zu compile_terms=%zu hs_db_bytes_100k=%zu\n",
               t_compile, big->n_rules, big->n_terms, term_db_hs_bytes(big->db));
    }
    printf("decode_30k_groups_s=%.3f\n", time_groups(terms, 30000));
    printf("hs_db_bytes_10k=%zu peak_rss_kb=%ld\n", term_db_hs_bytes(rs->db), peak_rss_kb());

    rule_set_free(big);
    rule_set_free(rs);
    match_scratch_free(ms);
    term_scratch_free(ts);
    for (size_t i = 0; i < n_items; i++) {
        free(items[i]);
        norm_text_release(&normed[i]);
    }
    free(items);
    free(normed);
    for (size_t i = 0; i < n_terms * 11; i++) {
        free(terms[i]);
    }
    free(terms);
    return 0;
}
