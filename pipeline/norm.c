#include "norm.h"

#include <opencc/opencc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "yq_array.h"
#include "yq_utf8.h"
#include "yq_err.h"
#include "yq_banned.h"

/*
 * One uint32_t per BMP code point:
 *   bit 31 clear: the output is 0..3 UTF-8 bytes held in bits 0..23 (first byte lowest),
 *                 their count in bits 24..25 (0 = the code point is removed);
 *   bit 31 set:   the output is longer: pool[bits 0..21] holds it, bits 22..29 its length.
 */
#define MAP_MULTI 0x80000000u
/*
 * bit 30 of an inline entry: the output is one code point that is the second of a canonical
 * composition pair (a combining mark such as U+0301, a Hangul vowel or final jamo): it may
 * compose with the code point written before it (compose_prev()).
 */
#define MAP_COMPOSES 0x40000000u
#define MAP_INLINE_LEN(e) (((e) >> 24) & 0x3u)
#define MAP_MULTI_OFF(e) ((e) & 0x3FFFFFu)
#define MAP_MULTI_LEN(e) (((e) >> 22) & 0xFFu)
#define MAP_MAX_MULTI 255
/* the longest single-entry output, plus room for one unconditional 4-byte store */
#define NORM_SLACK (MAP_MAX_MULTI + 8)

#define UP_OPTIONS                                                                           \
    (UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD |               \
     UTF8PROC_IGNORE)

/*
 * A code point above U+FFFF whose normalised form is not itself (OpenCC maps 354 of CJK
 * Extensions B..G to a simplified form, e.g. U+21ED5 -> U+5C81; compatibility ideographs
 * fold to their unified form). Kept sorted by cp for bsearch.
 */
#define SUP_MAX_OUT 16
struct sup_entry {
    uint32_t cp;
    uint8_t len;
    char out[SUP_MAX_OUT];
};

/* Supplementary CJK blocks sent through OpenCC at start-up (Extensions B..G + compat). */
#define SUP_CJK_FIRST 0x20000
#define SUP_CJK_LAST 0x3134F

struct norm {
    uint32_t map[0x10000]; /* MAP_* entries */
    char *pool;
    size_t pool_len, pool_cap;
    struct sup_entry *sup; /* n_sup entries, sorted by cp */
    size_t n_sup;
};

static size_t cp_encode(int32_t cp, char *out)
{
    return (size_t)utf8proc_encode_char(cp, (utf8proc_uint8_t *)out);
}

static bool removed_cp(int32_t cp)
{
    return cp == 0xAD || utf8proc_category(cp) == UTF8PROC_CATEGORY_CF;
}

static bool cjk_cp(int32_t cp)
{
    return (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x3134F);
}

/*
 * NFKC + case fold of one code point, invisible characters dropped, into out (room for
 * cap bytes). Returns the bytes written, or (size_t)-1 when they do not fit.
 */
static size_t fold_cp(int32_t cp, char *out, size_t cap)
{
    utf8proc_uint8_t in[8], *res = NULL;
    utf8proc_ssize_t n;
    size_t o = 0;

    if (removed_cp(cp)) {
        return 0;
    }
    n = utf8proc_encode_char(cp, in);
    n = utf8proc_map(in, n, &res, (utf8proc_option_t)UP_OPTIONS);
    if (n < 0) {
        if (cap < 4) {
            return (size_t)-1;
        }
        return cp_encode(cp, out); /* unassigned or not mappable: kept as it is */
    }
    for (utf8proc_ssize_t i = 0; i < n;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate(res + i, n - i, &c);
        if (k <= 0) {
            break;
        }
        i += k;
        if (removed_cp(c)) {
            continue;
        }
        if (o + 4 > cap) {
            free(res);
            return (size_t)-1;
        }
        o += cp_encode(c, out + o);
    }
    free(res);
    return o;
}

/*
 * Append len bytes to the pool and encode where they are in *entry (MAP_MULTI: a 22-bit offset
 * and an 8-bit length). Returns 0, ERR_NOMEM, or ERR_TOO_BIG when the entry cannot encode them.
 */
static int pool_add(struct norm *n, const char *s, size_t len, uint32_t *entry)
{
    int err;

    if (len > MAP_MULTI_LEN(0xFFFFFFFFu) || n->pool_len + len > MAP_MULTI_OFF(0xFFFFFFFFu)) {
        return ERR_TOO_BIG;
    }
    err = yq_array_reserve(&n->pool, &n->pool_cap, n->pool_len + len, 1);
    if (err) {
        return err;
    }
    memcpy(n->pool + n->pool_len, s, len);
    *entry = MAP_MULTI | (uint32_t)n->pool_len | ((uint32_t)len << 22);
    n->pool_len += len;
    return 0;
}

/* Convert the folded bytes of one code point through OpenCC, character by character. */
static int t2s(opencc_t cc, const char *in, size_t len, char *out, size_t cap, size_t *out_len)
{
    size_t o = 0;

    for (size_t i = 0; i < len;) {
        utf8proc_int32_t c;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)in + i,
                                              (utf8proc_ssize_t)(len - i), &c);
        const char *piece = in + i;
        size_t plen;
        char *conv = NULL;

        if (k <= 0) {
            return ERR_INVALID;
        }
        plen = (size_t)k;
        i += plen;
        if (cjk_cp(c)) {
            conv = opencc_convert_utf8(cc, piece, plen);
            if (conv) {
                piece = conv;
                plen = strlen(conv);
            }
        }
        if (o + plen > cap) {
            opencc_convert_utf8_free(conv);
            return ERR_TOO_BIG;
        }
        memcpy(out + o, piece, plen);
        o += plen;
        if (conv) {
            opencc_convert_utf8_free(conv);
        }
    }
    *out_len = o;
    return 0;
}

static int sup_cmp(const void *key, const void *elem)
{
    uint32_t cp = *(const uint32_t *)key, e = ((const struct sup_entry *)elem)->cp;
    return cp < e ? -1 : cp > e;
}

static const struct sup_entry *sup_find(const struct norm *n, int32_t cp)
{
    uint32_t key = (uint32_t)cp;
    if (!n->n_sup || cp < SUP_CJK_FIRST || cp > SUP_CJK_LAST) {
        return NULL;
    }
    return bsearch(&key, n->sup, n->n_sup, sizeof(*n->sup), sup_cmp);
}

/* Record cp -> out[0..len) unless that is cp itself or too long (then cp is kept). */
static int sup_add(struct norm *n, size_t *cap, int32_t cp, const char *out, size_t len)
{
    char self[4];
    size_t slen = cp_encode(cp, self);
    int err;

    if ((len == slen && memcmp(out, self, len) == 0) || len > SUP_MAX_OUT) {
        return 0;
    }
    err = yq_array_reserve(&n->sup, cap, n->n_sup + 1, sizeof(*n->sup));
    if (err) {
        return err;
    }
    n->sup[n->n_sup].cp = (uint32_t)cp;
    n->sup[n->n_sup].len = (uint8_t)len;
    memcpy(n->sup[n->n_sup].out, out, len);
    n->n_sup++;
    return 0;
}

/*
 * Build n->sup: every assigned code point of the supplementary CJK blocks goes through
 * utf8proc (compatibility ideographs fold to another character) and OpenCC. OpenCC is
 * called once on all of them, one per line ('\n' is in no dictionary entry, so each line
 * converts on its own, as a single call per character would: checked in test_norm), which
 * takes about 0.1 s against 0.2 s for 70,000 calls. Returns 0, ERR_NOMEM or ERR_INVALID
 * (OpenCC's output does not have one line per character).
 */
static int sup_build(struct norm *n, opencc_t cc)
{
    size_t cap = 0, len = 0, n_cp = 0;
    char *in, *conv, *p;
    int err = 0;

    in = malloc((size_t)(SUP_CJK_LAST - SUP_CJK_FIRST + 1) * 5 + 1);
    if (!in) {
        return ERR_NOMEM;
    }
    for (int32_t cp = SUP_CJK_FIRST; cp <= SUP_CJK_LAST; cp++) {
        if (utf8proc_category(cp) != UTF8PROC_CATEGORY_CN) {
            len += cp_encode(cp, in + len);
            in[len++] = '\n';
            n_cp++;
        }
    }
    in[len] = '\0';
    conv = opencc_convert_utf8(cc, in, len);
    if (!conv) {
        free(in);
        return ERR_NOMEM;
    }
    p = conv;
    for (int32_t cp = SUP_CJK_FIRST; cp <= SUP_CJK_LAST && err == 0; cp++) {
        char folded[MAP_MAX_MULTI], out[MAP_MAX_MULTI], self[4];
        size_t flen, slen, olen = 0;
        char *eol;

        if (utf8proc_category(cp) == UTF8PROC_CATEGORY_CN) {
            continue;
        }
        eol = strchr(p, '\n');
        if (!eol) {
            err = ERR_INVALID;
            break;
        }
        flen = fold_cp(cp, folded, sizeof(folded));
        slen = cp_encode(cp, self);
        if (flen == slen && memcmp(folded, self, flen) == 0) {
            err = sup_add(n, &cap, cp, p, (size_t)(eol - p)); /* folds to itself */
        } else if (flen != (size_t)-1 && t2s(cc, folded, flen, out, sizeof(out), &olen) == 0) {
            err = sup_add(n, &cap, cp, out, olen); /* a compatibility ideograph */
        }
        p = eol + 1;
        n_cp--;
    }
    if (err == 0 && (n_cp != 0 || *p != '\0')) {
        err = ERR_INVALID;
    }
    opencc_convert_utf8_free(conv);
    free(in);
    return err; /* entries were added in increasing cp order: sorted */
}

/*
 * Set MAP_COMPOSES on the inline entries whose output is one code point that ends the canonical
 * decomposition of some BMP character, or follows its first code point (U+0301 of é,
 * U+0323 and U+0302 of ệ, the vowel and final of 각). A superset of the code points that can
 * compose with what stands before them: compose_prev() asks utf8proc whether they do.
 */
static int mark_composing(struct norm *n)
{
    bool *second = calloc(0x10000, sizeof(*second));

    if (!second) {
        return ERR_NOMEM;
    }
    for (int32_t cp = 0; cp < 0x10000; cp++) {
        utf8proc_int32_t d[8];
        int boundclass = 0;
        utf8proc_ssize_t len;

        if (cp >= 0xD800 && cp <= 0xDFFF) {
            continue;
        }
        len = utf8proc_decompose_char(cp, d, 8, UTF8PROC_DECOMPOSE, &boundclass);
        for (utf8proc_ssize_t i = 1; i < len && i < 8; i++) {
            if (d[i] >= 0 && d[i] < 0x10000) {
                second[d[i]] = true;
            }
        }
    }
    for (int32_t cp = 0; cp < 0x10000; cp++) {
        uint32_t e = n->map[cp];
        int32_t c2;
        char b[4];
        size_t k = MAP_INLINE_LEN(e);

        if ((e & MAP_MULTI) || k == 0) {
            continue;
        }
        for (size_t j = 0; j < k; j++) {
            b[j] = (char)((e >> (8 * j)) & 0xFF);
        }
        if (yq_utf8_next(b, k, &c2) == k && c2 < 0x10000 && second[c2]) {
            n->map[cp] = e | MAP_COMPOSES;
        }
    }
    free(second);
    return 0;
}

int norm_new(const char *opencc_config, struct norm **out, char *errbuf, size_t errlen)
{
    struct norm *n;
    opencc_t cc;
    char folded[MAP_MAX_MULTI], conv[MAP_MAX_MULTI];
    int err = 0;

    *out = NULL;
    cc = opencc_open(opencc_config);
    if (cc == (opencc_t)-1) {
        snprintf(errbuf, errlen, "cannot open OpenCC configuration '%s': %s", opencc_config,
                 opencc_error());
        return ERR_NOT_FOUND;
    }
    n = calloc(1, sizeof(*n));
    if (!n) {
        opencc_close(cc);
        snprintf(errbuf, errlen, "out of memory building normalisation tables");
        return ERR_NOMEM;
    }
    for (int32_t cp = 0; cp < 0x10000 && err == 0; cp++) {
        size_t flen, clen = 0;
        uint32_t e = 0;

        if (cp >= 0xD800 && cp <= 0xDFFF) {
            cp = 0xDFFF; /* never decoded: invalid input becomes U+FFFD */
            continue;
        }
        flen = fold_cp(cp, folded, sizeof(folded));
        if (flen == (size_t)-1 || t2s(cc, folded, flen, conv, sizeof(conv), &clen) != 0) {
            clen = cp_encode(cp, conv); /* absurdly long expansion: keep the character */
        }
        if (clen <= 3) {
            for (size_t k = 0; k < clen; k++) {
                e |= (uint32_t)(unsigned char)conv[k] << (8 * k);
            }
            e |= (uint32_t)clen << 24;
        } else {
            err = pool_add(n, conv, clen, &e);
        }
        n->map[cp] = e;
    }
    if (err == 0) {
        err = mark_composing(n);
    }
    if (err == 0) {
        err = sup_build(n, cc);
    }
    opencc_close(cc);
    if (err) {
        norm_free(n);
        snprintf(errbuf, errlen, "%s building normalisation tables",
                 err == ERR_NOMEM ? "out of memory" : "unexpected OpenCC output");
        return err;
    }
    *out = n;
    return 0;
}

void norm_free(struct norm *n)
{
    if (!n) {
        return;
    }
    free(n->pool);
    free(n->sup);
    free(n);
}

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static struct norm *global_norm;
static int global_err;
static char global_errbuf[256];

static void global_init(void)
{
    global_err = norm_new(NORM_OPENCC_CONFIG, &global_norm, global_errbuf,
                          sizeof(global_errbuf));
}

int norm_global(const struct norm **out, char *errbuf, size_t errlen)
{
    pthread_once(&global_once, global_init);
    *out = global_norm;
    if (global_err && errbuf && errlen) {
        snprintf(errbuf, errlen, "%s", global_errbuf);
    }
    return global_err;
}

void norm_text_release(struct norm_text *out)
{
    if (!out) {
        return;
    }
    free(out->buf);
    free(out->orig_cp);
    memset(out, 0, sizeof(*out));
}

/*
 * Room for need bytes in buf and need entries in orig_cp. Both grow from t->cap with the same
 * need, so to the same size; when orig_cp fails, buf may be larger than t->cap (harmless).
 */
static int reserve(struct norm_text *t, size_t need)
{
    size_t cap_buf = t->cap;
    int err = yq_array_reserve(&t->buf, &cap_buf, need, sizeof(*t->buf));

    if (!err) {
        err = yq_array_reserve(&t->orig_cp, &t->cap, need, sizeof(*t->orig_cp));
    }
    return err;
}

/*
 * The code point at out->buf[o, o + k) is one that may compose (MAP_COMPOSES): compose it with
 * the code point written before it, as NFC does across characters ("e" U+0301 -> "é", ᄀ ᅡ ->
 * 가), so decomposed (NFD) text and a precomposed rule term, or the reverse, match. The
 * composed character's first bytes keep the base's original code point and its last byte
 * takes the mark's, so a match ending on it covers the mark. Returns the end of the output:
 * o + k when nothing composed.
 */
static size_t compose_prev(const struct norm *n, struct norm_text *out, size_t o, size_t k,
                           size_t max_bytes)
{
    utf8proc_int32_t pair[2];
    int32_t base, mark;
    size_t p = o, len;
    char enc[8];
    uint32_t e;

    if (o == 0) {
        return o + k;
    }
    do {
        p--;
    } while (p > 0 && ((unsigned char)out->buf[p] & 0xC0) == 0x80);
    if (yq_utf8_next(out->buf + p, o - p, &base) != o - p ||
        yq_utf8_next(out->buf + o, k, &mark) != k) {
        return o + k;
    }
    pair[0] = base;
    pair[1] = mark;
    if (utf8proc_normalize_utf32(pair, 2,
                                 (utf8proc_option_t)(UTF8PROC_STABLE | UTF8PROC_COMPOSE)) != 1) {
        return o + k;
    }
    /* the composed character as the table writes it (already folded: its parts were) */
    e = pair[0] < 0x10000 ? n->map[pair[0]] : 0;
    if (e && !(e & MAP_MULTI) && MAP_INLINE_LEN(e) > 0) {
        len = MAP_INLINE_LEN(e);
        for (size_t j = 0; j < len; j++) {
            enc[j] = (char)((e >> (8 * j)) & 0xFF);
        }
    } else {
        len = cp_encode(pair[0], enc);
    }
    if (len < 2 || p + len > o + k || p + len > max_bytes) {
        return o + k; /* never longer than the two it replaces; a composite is not ASCII */
    }
    memcpy(out->buf + p, enc, len);
    for (size_t j = 1; j < len; j++) {
        out->orig_cp[p + j] = j + 1 == len ? out->orig_cp[o] : out->orig_cp[p];
    }
    return p + len;
}

/*
 * A Chinese character follows the spaces that end out->buf[0, o): when a Chinese character
 * stands before them too, drop them (Chinese puts no space between words, so "燃 气" or
 * "燃\u3000气" is 燃气 spaced out, to evade a keyword filter or by typesetting habit). Only
 * spaces (ASCII, U+3000, U+00A0 and the other Zs that NFKC makes ' '), not line breaks.
 * Returns the new end of the output.
 */
static size_t drop_spaces_between_han(const struct norm_text *out, size_t o)
{
    size_t q = o, p;
    int32_t before;

    while (q > 0 && out->buf[q - 1] == ' ') {
        q--;
    }
    if (q == 0) {
        return o;
    }
    p = q - 1;
    while (p > 0 && ((unsigned char)out->buf[p] & 0xC0) == 0x80) {
        p--;
    }
    yq_utf8_next(out->buf + p, q - p, &before);
    return cjk_cp(before) ? q : o;
}

int norm_apply(const struct norm *n, const char *s, size_t len, size_t max_bytes,
               struct norm_text *out)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, o = 0;
    uint32_t cpi = 0;
    int err = 0;

    if (reserve(out, len + len / 2 + NORM_SLACK) != 0) {
        goto nomem;
    }
    while (i < len) {
        unsigned char c = u[i];
        char *ob;
        uint32_t *om;

        if (out->cap - o < NORM_SLACK && reserve(out, out->cap * 2) != 0) {
            goto nomem;
        }
        ob = out->buf + o;
        om = out->orig_cp + o;
        if (c < 0x80) {
            /* ASCII: case folding is the only change */
            if (o + 1 > max_bytes) {
                err = ERR_TOO_BIG;
                break;
            }
            *ob = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
            *om = cpi++;
            o++;
            i++;
            continue;
        }
        size_t k, at = i;
        int32_t cp;
        i += yq_utf8_next(s + i, len - i, &cp); /* invalid: one byte, U+FFFD */
        if (o > 0 && out->buf[o - 1] == ' ' && cjk_cp(cp)) {
            o = drop_spaces_between_han(out, o);
            ob = out->buf + o;
            om = out->orig_cp + o;
        }
        if (cp < 0x10000) {
            uint32_t e = n->map[cp];
            if (!(e & MAP_MULTI)) {
                k = MAP_INLINE_LEN(e);
                if (o + k > max_bytes) {
                    err = ERR_TOO_BIG;
                    i = at;
                    break;
                }
                ob[0] = (char)(e & 0xFF);
                ob[1] = (char)((e >> 8) & 0xFF);
                ob[2] = (char)((e >> 16) & 0xFF);
                om[0] = om[1] = om[2] = cpi;
                if (e & MAP_COMPOSES) {
                    o = compose_prev(n, out, o, k, max_bytes);
                    cpi++;
                    continue;
                }
            } else {
                k = MAP_MULTI_LEN(e);
                if (o + k > max_bytes) {
                    err = ERR_TOO_BIG;
                    i = at;
                    break;
                }
                memcpy(ob, n->pool + MAP_MULTI_OFF(e), k);
                for (size_t j = 0; j < k; j++) {
                    om[j] = cpi;
                }
            }
        } else {
            const struct sup_entry *se = sup_find(n, cp);
            if (se) {
                k = se->len; /* traditional -> simplified above U+FFFF */
                memcpy(ob, se->out, k);
            } else {
                k = fold_cp(cp, ob, NORM_SLACK - 8);
                if (k == (size_t)-1) {
                    k = cp_encode(cp, ob);
                }
            }
            if (o + k > max_bytes) {
                err = ERR_TOO_BIG;
                i = at;
                break;
            }
            for (size_t j = 0; j < k; j++) {
                om[j] = cpi;
            }
        }
        o += k;
        cpi++;
    }
    if (err == ERR_TOO_BIG) {
        /* count the rest of the original so offsets past the cut stay meaningful */
        cpi += (uint32_t)yq_utf8_count_cp(s + i, len - i);
    }
    out->buf[o] = '\0';
    out->len = o;
    out->orig_n_cp = cpi;
    return err;
nomem:
    if (out->buf) {
        out->buf[0] = '\0';
    }
    out->len = 0;
    out->orig_n_cp = 0;
    return ERR_NOMEM;
}

int norm_string(const struct norm *n, const char *s, char **out)
{
    struct norm_text t = NORM_TEXT_INIT;
    size_t len = strlen(s);
    int err;

    *out = NULL;
    if (!yq_utf8_valid(s, len, NULL)) {
        return ERR_INVALID;
    }
    err = norm_apply(n, s, len, (size_t)-1, &t);
    if (err) {
        norm_text_release(&t);
        return err;
    }
    /*
     * A term is normalised on its own: spaces at its ends that would stand next to a Chinese
     * character in the text go, as the text drops them between two Chinese characters
     * ("燃气 " and " 泄漏" find 小区燃气 泄漏了). Spaces next to anything else stay.
     */
    t.len = drop_spaces_between_han(&t, t.len);
    size_t lead = 0;
    int32_t first;
    while (lead < t.len && t.buf[lead] == ' ') {
        lead++;
    }
    if (lead > 0 && lead < t.len) {
        yq_utf8_next(t.buf + lead, t.len - lead, &first);
        if (cjk_cp(first)) {
            memmove(t.buf, t.buf + lead, t.len - lead);
            t.len -= lead;
        }
    }
    t.buf[t.len] = '\0';
    free(t.orig_cp);
    *out = t.buf;
    return 0;
}
