/*
 * The collector's parser on the benchmark files: feed_parse() plus the entry → item mapping
 * (ids, canonical URLs, HTML to text, JSON encoding: what ingest does per entry), repeated for
 * about --seconds. Prints '<file> entries=<n> seconds=<s> items_per_s=<x> mb_per_s=<y>'.
 * Usage: bench_parse [--seconds S] [--parse-only] FILE...
 */
#include <libxml/parser.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feed_item.h"
#include "feed_parse.h"
#include "yq_fs.h"
#include "yq_item.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long one_pass(const char *body, size_t len, bool parse_only)
{
    struct feed_input in = {.body = body, .len = len, .base_url = "http://bench.example/"};
    struct feed *f = NULL;
    char err[256];
    long n;

    if (feed_parse(&in, &f, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_parse: %s\n", err);
        return -1;
    }
    n = (long)f->n_entries;
    for (size_t i = 0; !parse_only && i < f->n_entries; i++) {
        struct yq_item item;
        char *json = NULL;
        if (feed_item_from_entry(f, &f->entries[i], "bench", NULL, 0, 1 << 20, &item) == 0) {
            yq_item_encode(&item, &json, NULL);
            free(json);
            yq_item_release(&item);
        }
    }
    feed_free(f);
    return n;
}

int main(int argc, char **argv)
{
    double budget = 5.0;
    bool parse_only = false;
    int rc = 0;

    xmlInitParser();
    for (int a = 1; a < argc; a++) {
        char *body = NULL;
        size_t len = 0;
        long entries = 0, n = 0, runs = 0;
        double start, elapsed = 0;

        if (strcmp(argv[a], "--seconds") == 0 && a + 1 < argc) {
            budget = strtod(argv[++a], NULL);
            continue;
        }
        if (strcmp(argv[a], "--parse-only") == 0) {
            parse_only = true;
            continue;
        }
        if (yq_fs_read_file(argv[a], 256 << 20, &body, &len) != 0) {
            fprintf(stderr, "bench_parse: cannot read '%s'\n", argv[a]);
            rc = 1;
            continue;
        }
        start = now_s();
        do {
            n = one_pass(body, len, parse_only);
            if (n < 0) {
                rc = 1;
                break;
            }
            entries += n;
            runs++;
            elapsed = now_s() - start;
        } while (elapsed < budget);
        printf("%s entries=%ld seconds=%.3f items_per_s=%.1f mb_per_s=%.3f\n", argv[a], n,
               elapsed, (double)entries / elapsed, (double)len * (double)runs / elapsed / 1e6);
        free(body);
    }
    xmlCleanupParser();
    return rc;
}
