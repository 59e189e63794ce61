/* What the matcher benchmarks build alike (bench_rules.h). */
#include "bench_rules.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_banned.h"

uint64_t bench_xorshift64(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

size_t bench_put_cp(char *out, uint32_t cp)
{
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

char **bench_make_terms(size_t n, unsigned min_cps, unsigned n_lengths, uint64_t (*next)(void),
                        uint32_t (*cp)(void))
{
    char **t = calloc(n, sizeof(*t));

    for (size_t i = 0; t && i < n; i++) {
        char buf[16];
        size_t len = 0, n_cp = min_cps + next() % n_lengths;

        for (size_t k = 0; k < n_cp; k++) {
            len += bench_put_cp(buf + len, cp());
        }
        buf[len] = '\0';
        t[i] = strdup(buf);
    }
    return t;
}

char *bench_rules_json(char **terms, size_t n_rules, int64_t version, size_t *len)
{
    size_t cap = n_rules * 256 + 64, off = 0;
    char *json = malloc(cap);

    if (!json) {
        return NULL;
    }
    off += (size_t)snprintf(json + off, cap - off, "{\"version\":%" PRId64 ",\"rules\":[",
                            version);
    for (size_t r = 0; r < n_rules; r++) {
        char **t = terms + r * BENCH_TERMS_PER_RULE;
        off += (size_t)snprintf(json + off, cap - off,
                                "%s{\"id\":\"r%zu\",\"name\":\"n\",\"department\":\"d\","
                                "\"expr\":\"(%s|%s|%s|%s) & (%s|%s|%s) & !(%s|%s|%s)\"}",
                                r ? "," : "", r, t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7],
                                t[8], t[9]);
    }
    off += (size_t)snprintf(json + off, cap - off, "]}");
    *len = off;
    return json;
}
