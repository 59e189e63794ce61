/*
 * SimHash and Hamming distance of events (event.h), apart from the Redis assignment in event.c
 * so that a program that only groups near-duplicates (the backtest, archive_backtest.c) links
 * this without event_assign() (issue #14: the notifier has a function of that name too).
 */
#include "event.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "yq_err.h"
#include "yq_banned.h"

/* The longest normalised title + text that is hashed (the rest adds nothing to SimHash). */
#define SIMHASH_MAX_BYTES (256 * 1024)

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t bigram_hash(int32_t a, int32_t b)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    uint32_t v[2] = {(uint32_t)a, (uint32_t)b};
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < 4; k++) {
            h ^= (v[i] >> (8 * k)) & 0xFF;
            h *= 0x100000001b3ULL;
        }
    }
    return mix64(h);
}

static bool word_cp(int32_t cp)
{
    utf8proc_category_t c = utf8proc_category(cp);
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
           (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

uint64_t event_simhash_normalised(const char *s, size_t len, size_t *n_features)
{
    int32_t v[64] = {0};
    int32_t prev = -1;
    size_t n = 0, i = 0;
    uint64_t out = 0;

    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0) {
            i++;
            prev = -1;
            continue;
        }
        i += (size_t)k;
        if (!word_cp(cp)) {
            prev = -1;
            continue;
        }
        if (prev >= 0) {
            uint64_t h = bigram_hash(prev, cp);
            for (int b = 0; b < 64; b++) {
                v[b] += ((h >> b) & 1u) ? 1 : -1;
            }
            n++;
        }
        prev = cp;
    }
    for (int b = 0; b < 64; b++) {
        if (v[b] > 0) {
            out |= (uint64_t)1 << b;
        }
    }
    *n_features = n;
    return out;
}

int event_simhash(const struct yq_item *item, struct norm_text *buf, uint64_t *out,
                  size_t *n_features)
{
    const struct norm *nm;
    const char *title = item->title ? item->title : "", *text = item->text ? item->text : "";
    size_t tl = strlen(title), xl = strlen(text);
    char *joined;
    int err;

    *out = 0;
    *n_features = 0;
    err = norm_global(&nm, NULL, 0);
    if (err) {
        return err;
    }
    /* title, a separator that is not a word character, text: one feature stream */
    joined = malloc(tl + xl + 2);
    if (!joined) {
        return ERR_NOMEM;
    }
    memcpy(joined, title, tl);
    joined[tl] = '\n';
    memcpy(joined + tl + 1, text, xl);
    joined[tl + 1 + xl] = '\0';
    err = norm_apply(nm, joined, tl + 1 + xl, SIMHASH_MAX_BYTES, buf);
    free(joined);
    if (err == ERR_NOMEM) {
        return err;
    }
    *out = event_simhash_normalised(buf->buf, buf->len, n_features);
    return 0;
}

int event_hamming(uint64_t a, uint64_t b)
{
    return __builtin_popcountll(a ^ b);
}
