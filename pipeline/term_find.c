#include "term_find.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "yq_err.h"
#include "yq_banned.h"

struct db_term {
    char *folded;   /* ASCII-lower-cased copy */
    size_t n_bytes;
    size_t n_cp;
};

struct term_db {
    struct db_term *terms;
    size_t n_terms;
    size_t *by_first;       /* term indexes sorted by first folded byte, then index */
    size_t bucket_start[257]; /* by_first[bucket_start[b] .. bucket_start[b+1]) start with b */
};

static unsigned char fold(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c - 'A' + 'a') : c;
}

void term_db_free(struct term_db *db)
{
    if (!db) {
        return;
    }
    for (size_t i = 0; i < db->n_terms; i++) {
        free(db->terms[i].folded);
    }
    free(db->terms);
    free(db->by_first);
    free(db);
}

int term_db_new(const char *const *terms, size_t n_terms, struct term_db **out, char *errbuf,
                size_t errlen)
{
    struct term_db *db;
    size_t counts[256] = {0};
    size_t fill[256];

    *out = NULL;
    db = calloc(1, sizeof(*db));
    if (!db) {
        return ERR_NOMEM;
    }
    db->terms = calloc(n_terms ? n_terms : 1, sizeof(*db->terms));
    db->by_first = calloc(n_terms ? n_terms : 1, sizeof(*db->by_first));
    if (!db->terms || !db->by_first) {
        term_db_free(db);
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < n_terms; i++) {
        size_t len = strlen(terms[i]);
        struct db_term *t = &db->terms[i];

        if (len == 0 || !utf8_valid(terms[i], len, NULL)) {
            snprintf(errbuf, errlen, "term %zu is empty or not UTF-8", i);
            term_db_free(db);
            return ERR_INVALID;
        }
        t->folded = malloc(len + 1);
        if (!t->folded) {
            term_db_free(db);
            return ERR_NOMEM;
        }
        db->n_terms = i + 1;
        for (size_t k = 0; k <= len; k++) {
            t->folded[k] = (char)fold((unsigned char)terms[i][k]);
        }
        t->n_bytes = len;
        t->n_cp = utf8_count_cp(terms[i], len);
        counts[(unsigned char)t->folded[0]]++;
    }
    db->bucket_start[0] = 0;
    for (int b = 0; b < 256; b++) {
        db->bucket_start[b + 1] = db->bucket_start[b] + counts[b];
        fill[b] = db->bucket_start[b];
    }
    for (size_t i = 0; i < n_terms; i++) {
        db->by_first[fill[(unsigned char)db->terms[i].folded[0]]++] = i;
    }
    *out = db;
    return 0;
}

int term_db_scan(const struct term_db *db, const char *text, size_t len, term_hit_fn fn,
                 void *opaque)
{
    const unsigned char *u = (const unsigned char *)text;
    size_t cp = 0;

    for (size_t pos = 0; pos < len; pos++) {
        unsigned char b = u[pos];
        if ((b & 0xC0) == 0x80) {
            continue; /* not the start of a character */
        }
        b = fold(b);
        for (size_t k = db->bucket_start[b]; k < db->bucket_start[b + 1]; k++) {
            size_t ti = db->by_first[k];
            const struct db_term *t = &db->terms[ti];
            size_t j;

            if (t->n_bytes > len - pos) {
                continue;
            }
            for (j = 1; j < t->n_bytes; j++) {
                if (fold(u[pos + j]) != (unsigned char)t->folded[j]) {
                    break;
                }
            }
            if (j == t->n_bytes) {
                struct term_hit hit = {.term = ti, .start = cp, .end = cp + t->n_cp};
                int rc = fn(&hit, opaque);
                if (rc) {
                    return rc;
                }
            }
        }
        cp++;
    }
    return 0;
}
