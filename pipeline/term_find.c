#include "term_find.h"

#include <hs/hs.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "yq_array.h"
#include "yq_utf8.h"
#include "yq_err.h"
#include "yq_banned.h"

/* What a character is to a word edge (term_hit_on_word_edges()). */
enum edge_class {
    EDGE_NONE = 0,
    EDGE_LETTER = 1, /* a letter of an alphabet written with spaces between words */
    EDGE_DIGIT = 2,
};

struct term_db {
    hs_database_t *hs; /* NULL when there are no terms */
    char **normalised;
    size_t *nlen;   /* bytes of normalised[i] */
    uint8_t *edges; /* edge_class of normalised[i]'s first character | its last's << 4 */
    size_t n_terms;
    uint64_t generation; /* identifies db for the scratches (addresses may be reused) */
};

struct term_scratch {
    hs_scratch_t *hs;
    uint64_t for_generation; /* db generation hs was last sized for */
    struct norm_text text;
    struct term_hit *hits;
    size_t n_hits, cap_hits;
    int err; /* ERR_NOMEM from inside the Vectorscan callback */
};

static atomic_uint_fast64_t db_generation = 1;

void term_db_free(struct term_db *db)
{
    if (!db) {
        return;
    }
    for (size_t i = 0; i < db->n_terms; i++) {
        free(db->normalised[i]);
    }
    free(db->normalised);
    free(db->nlen);
    free(db->edges);
    hs_free_database(db->hs);
    free(db);
}

static enum edge_class edge_class(int32_t cp)
{
    utf8proc_category_t cat;

    if (cp >= '0' && cp <= '9') {
        return EDGE_DIGIT;
    }
    if (cp < 0x80) {
        return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z' ? EDGE_LETTER : EDGE_NONE;
    }
    if (cp >= 0x0530 && !(cp >= 0x1E00 && cp <= 0x1FFF)) {
        return EDGE_NONE; /* not Latin, Greek, Cyrillic or Armenian */
    }
    cat = utf8proc_category(cp);
    return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO ? EDGE_LETTER : EDGE_NONE;
}

/* The edge classes of the first and last characters of s (len >= 1 bytes of UTF-8). */
static uint8_t term_edges(const char *s, size_t len)
{
    int32_t first, last;
    size_t p = len - 1;

    yq_utf8_next(s, len, &first);
    while (p > 0 && ((unsigned char)s[p] & 0xC0) == 0x80) {
        p--;
    }
    yq_utf8_next(s + p, len - p, &last);
    return (uint8_t)(edge_class(first) | edge_class(last) << 4);
}

bool term_hit_on_word_edges(const struct term_db *db, const struct term_scratch *sc,
                            const struct term_hit *hit)
{
    const char *t = sc->text.buf;
    size_t len = sc->text.len;
    enum edge_class first = (enum edge_class)(db->edges[hit->term] & 0xF);
    enum edge_class last = (enum edge_class)(db->edges[hit->term] >> 4);
    int32_t cp;

    if (first != EDGE_NONE && hit->nstart > 0) {
        size_t p = hit->nstart - 1;
        while (p > 0 && ((unsigned char)t[p] & 0xC0) == 0x80) {
            p--;
        }
        yq_utf8_next(t + p, hit->nstart - p, &cp);
        if (edge_class(cp) == first) {
            return false;
        }
    }
    if (last != EDGE_NONE && hit->nend < len) {
        yq_utf8_next(t + hit->nend, len - hit->nend, &cp);
        if (edge_class(cp) == last) {
            return false;
        }
    }
    return true;
}

const char *term_find_unusable(const char *s)
{
    size_t len = strlen(s);

    if (len == 0) {
        return "is empty once normalised (only invisible characters)";
    }
    if (len > TERM_FIND_MAX_TERM_BYTES) {
        return "is longer than 16000 bytes once normalised (Vectorscan's limit)";
    }
    for (size_t i = 0; i < len;) {
        int32_t cp;
        utf8proc_category_t cat;

        i += yq_utf8_next(s + i, len - i, &cp);
        cat = utf8proc_category(cp);
        if (!(cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
              cat == UTF8PROC_CATEGORY_ZP || (cp >= '\t' && cp <= '\r') || cp == 0x85)) {
            return NULL;
        }
    }
    return "is only white space once normalised";
}

int term_db_new(const char *const *terms, size_t n_terms, struct term_db **out, char *errbuf,
                size_t errlen)
{
    const struct norm *nm;
    struct term_db *db;
    unsigned *ids = NULL, *flags = NULL;
    hs_compile_error_t *cerr = NULL;
    int err;

    *out = NULL;
    err = norm_global(&nm, errbuf, errlen);
    if (err) {
        return err;
    }
    if (n_terms > UINT32_MAX / 2) {
        snprintf(errbuf, errlen, "too many terms (%zu)", n_terms);
        return ERR_TOO_BIG;
    }
    db = calloc(1, sizeof(*db));
    if (!db) {
        return ERR_NOMEM;
    }
    db->generation = atomic_fetch_add(&db_generation, 1);
    db->normalised = calloc(n_terms ? n_terms : 1, sizeof(*db->normalised));
    db->nlen = calloc(n_terms ? n_terms : 1, sizeof(*db->nlen));
    db->edges = calloc(n_terms ? n_terms : 1, sizeof(*db->edges));
    ids = calloc(n_terms ? n_terms : 1, sizeof(*ids));
    flags = calloc(n_terms ? n_terms : 1, sizeof(*flags));
    if (!db->normalised || !db->nlen || !db->edges || !ids || !flags) {
        err = ERR_NOMEM;
        goto fail;
    }
    for (size_t i = 0; i < n_terms; i++) {
        size_t len = strlen(terms[i]);

        if (len == 0 || !yq_utf8_valid(terms[i], len, NULL)) {
            snprintf(errbuf, errlen, "term %zu is empty or not UTF-8", i);
            err = ERR_INVALID;
            goto fail;
        }
        err = norm_string(nm, terms[i], &db->normalised[i]);
        if (err) {
            goto fail;
        }
        db->n_terms = i + 1;
        db->nlen[i] = strlen(db->normalised[i]);
        /* white space alone is a term here (the sentiment lexicon's clause end "\n") */
        if (db->nlen[i] == 0 || db->nlen[i] > TERM_FIND_MAX_TERM_BYTES) {
            snprintf(errbuf, errlen, "term %zu '%s' %s; it can never match", i, terms[i],
                     term_find_unusable(db->normalised[i]));
            err = ERR_INVALID;
            goto fail;
        }
        db->edges[i] = term_edges(db->normalised[i], db->nlen[i]);
        ids[i] = (unsigned)i;
    }
    if (n_terms > 0) {
        hs_error_t rc = hs_compile_lit_multi((const char *const *)db->normalised, flags, ids,
                                             db->nlen, (unsigned)n_terms, HS_MODE_BLOCK, NULL,
                                             &db->hs, &cerr);
        if (rc != HS_SUCCESS) {
            snprintf(errbuf, errlen, "vectorscan compile failed%s%s (term %d)",
                     cerr ? ": " : "", cerr ? cerr->message : "", cerr ? cerr->expression : -1);
            /*
             * Vectorscan reports a failed allocation as a compile error ("Unable to allocate
             * memory", "Could not allocate memory for bytecode."): that is no invalid rule.
             */
            err = rc == HS_NOMEM ||
                          (cerr && cerr->message && strstr(cerr->message, "allocate memory"))
                      ? ERR_NOMEM
                      : ERR_INVALID;
            hs_free_compile_error(cerr);
            goto fail;
        }
    }
    free(ids);
    free(flags);
    *out = db;
    return 0;
fail:
    free(ids);
    free(flags);
    term_db_free(db);
    return err;
}

size_t term_db_n_terms(const struct term_db *db)
{
    return db->n_terms;
}

const char *term_db_normalised(const struct term_db *db, size_t i)
{
    return db->normalised[i];
}

size_t term_db_hs_bytes(const struct term_db *db)
{
    size_t size = 0;
    if (db->hs && hs_database_size(db->hs, &size) != HS_SUCCESS) {
        return 0;
    }
    return size;
}

struct term_scratch *term_scratch_new(void)
{
    return calloc(1, sizeof(struct term_scratch));
}

void term_scratch_free(struct term_scratch *sc)
{
    if (!sc) {
        return;
    }
    hs_free_scratch(sc->hs);
    norm_text_release(&sc->text);
    free(sc->hits);
    free(sc);
}

const struct norm_text *term_scratch_text(const struct term_scratch *sc)
{
    return &sc->text;
}

/* Size sc's Vectorscan scratch for db (hs_alloc_scratch grows it; cheap when it fits). */
static int ready_scratch(const struct term_db *db, struct term_scratch *sc)
{
    if (sc->hs && sc->for_generation == db->generation) {
        return 0;
    }
    if (hs_alloc_scratch(db->hs, &sc->hs) != HS_SUCCESS) {
        return ERR_RETRY;
    }
    sc->for_generation = db->generation;
    return 0;
}

struct scan_ctx {
    const struct term_db *db;
    struct term_scratch *sc;
};

static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
                    unsigned int flags, void *opaque)
{
    struct scan_ctx *ctx = opaque;
    struct term_scratch *sc = ctx->sc;
    size_t nend = (size_t)to, nstart = nend - ctx->db->nlen[id];

    (void)from;
    (void)flags;
    sc->err = yq_array_reserve(&sc->hits, &sc->cap_hits, sc->n_hits + 1, sizeof(*sc->hits));
    if (sc->err) {
        return 1; /* stop */
    }
    sc->hits[sc->n_hits++] = (struct term_hit){
        .term = id,
        .start = sc->text.orig_cp[nstart],
        .end = (size_t)sc->text.orig_cp[nend - 1] + 1,
        .nstart = nstart,
        .nend = nend,
    };
    return 0;
}

static int hit_cmp(const void *a, const void *b)
{
    const struct term_hit *x = a, *y = b;
    if (x->start != y->start) {
        return x->start < y->start ? -1 : 1;
    }
    if (x->term != y->term) {
        return x->term < y->term ? -1 : 1;
    }
    return x->nstart < y->nstart ? -1 : x->nstart > y->nstart;
}

/* Insertion sort: hits arrive almost in order (by end), and there are few of them. */
static void sort_hits(struct term_hit *h, size_t n)
{
    if (n > 64) {
        qsort(h, n, sizeof(*h), hit_cmp);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        struct term_hit v = h[i];
        size_t j = i;
        while (j > 0 && hit_cmp(&h[j - 1], &v) > 0) {
            h[j] = h[j - 1];
            j--;
        }
        h[j] = v;
    }
}

int term_db_scan(const struct term_db *db, struct term_scratch *sc, const char *text, size_t len,
                 term_hit_fn fn, void *opaque)
{
    const struct norm *nm;
    struct scan_ctx ctx = {db, sc};
    int err;

    sc->n_hits = 0;
    sc->err = 0;
    err = norm_global(&nm, NULL, 0);
    if (err) {
        return err;
    }
    err = norm_apply(nm, text, len, TERM_FIND_MAX_TEXT_BYTES, &sc->text);
    if (err == ERR_NOMEM) {
        return err;
    }
    if (!db->hs || sc->text.len == 0) {
        return 0;
    }
    err = ready_scratch(db, sc);
    if (err) {
        return err;
    }
    hs_error_t rc = hs_scan(db->hs, sc->text.buf, (unsigned)sc->text.len, 0, sc->hs, on_match,
                            &ctx);
    if (sc->err) {
        return sc->err;
    }
    if (rc != HS_SUCCESS) {
        return ERR_RETRY;
    }
    sort_hits(sc->hits, sc->n_hits);
    for (size_t i = 0; i < sc->n_hits; i++) {
        int r = fn(&sc->hits[i], opaque);
        if (r) {
            return r;
        }
    }
    return 0;
}

static int on_match_count(unsigned int id, unsigned long long from, unsigned long long to,
                          unsigned int flags, void *opaque)
{
    (void)id;
    (void)from;
    (void)to;
    (void)flags;
    (*(uint64_t *)opaque)++;
    return 0;
}

int term_db_scan_raw(const struct term_db *db, struct term_scratch *sc, const char *norm,
                     size_t len, uint64_t *out)
{
    int err;

    *out = 0;
    if (!db->hs || len == 0) {
        return 0;
    }
    err = ready_scratch(db, sc);
    if (err) {
        return err;
    }
    return hs_scan(db->hs, norm, (unsigned)len, 0, sc->hs, on_match_count, out) == HS_SUCCESS
               ? 0
               : ERR_RETRY;
}
