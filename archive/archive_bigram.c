/*
 * The bigram tokenizer and the narrowing expression (archive_bigram.h).
 */
#include "archive_bigram.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "yq_array.h"
#include "yq_buf.h"
#include "yq_err.h"

size_t archive_bigram_cp_len(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t want;
    if (u[0] < 0x80) {
        return 1;
    } else if (u[0] >= 0xC2 && u[0] <= 0xDF) {
        want = 2;
    } else if (u[0] >= 0xE0 && u[0] <= 0xEF) {
        want = 3;
    } else if (u[0] >= 0xF0 && u[0] <= 0xF4) {
        want = 4;
    } else {
        return 1;
    }
    if (want > n) {
        return 1;
    }
    for (size_t i = 1; i < want; i++) {
        if ((u[i] & 0xC0) != 0x80) {
            return 1;
        }
    }
    return want;
}

/* The tokenizer keeps no state: one static object stands for every instance. */
static int bigram_dummy;

static int bigram_create(void *ctx, const char **argv, int argc, Fts5Tokenizer **out)
{
    (void)ctx;
    (void)argv;
    (void)argc;
    *out = (Fts5Tokenizer *)&bigram_dummy;
    return YQ_DB_OK;
}

static void bigram_delete(Fts5Tokenizer *t)
{
    (void)t;
}

static int bigram_tokenize(Fts5Tokenizer *t, void *ctx, int flags, const char *text, int n_bytes,
                           int (*token)(void *ctx, int tflags, const char *tok, int n_tok,
                                        int start, int end))
{
    (void)t;
    (void)flags;
    if (!text || n_bytes <= 0) {
        return YQ_DB_OK;
    }
    size_t n = (size_t)n_bytes;
    size_t prev = 0;
    size_t pos = archive_bigram_cp_len(text, n);
    while (pos < n) {
        size_t len = archive_bigram_cp_len(text + pos, n - pos);
        int rc = token(ctx, 0, text + prev, (int)(pos + len - prev), (int)prev, (int)(pos + len));
        if (rc != YQ_DB_OK) {
            return rc;
        }
        prev = pos;
        pos += len;
    }
    return YQ_DB_OK;
}

int archive_bigram_register(struct yq_db *db, char *errbuf, size_t errlen)
{
    fts5_api *api = NULL;
    struct yq_stmt *st = NULL;
    int rc = yq_stmt_prepare(db, "SELECT fts5(?1)", &st);
    if (rc == YQ_DB_OK) {
        sqlite3_bind_pointer(yq_db_sqlite_stmt(st), 1, (void *)&api, "fts5_api_ptr", NULL);
        (void)yq_stmt_step(st);
    }
    yq_stmt_finalize(st);
    if (!api || api->iVersion < 2) {
        snprintf(errbuf, errlen, "archive index: this SQLite has no FTS5");
        return ERR_IO;
    }
    fts5_tokenizer tok = {bigram_create, bigram_delete, bigram_tokenize};
    rc = api->xCreateTokenizer(api, ARCHIVE_BIGRAM_TOKENIZER, NULL, &tok, NULL);
    if (rc != YQ_DB_OK) {
        snprintf(errbuf, errlen, "archive index: registering the bigram tokenizer failed (rc=%d)",
                 rc);
        return rc == YQ_DB_NOMEM ? ERR_NOMEM : ERR_IO;
    }
    return 0;
}

/* Shorten b to len bytes (len <= b->len), keeping it NUL-terminated. */
static void buf_cut(struct yq_buf *b, size_t len)
{
    b->len = len;
    if (b->data) {
        b->data[len] = '\0';
    }
}

/*
 * Append the expression of node to b. *is_true: set when node is true (nothing appended).
 * Returns 0 or ERR_NOMEM / ERR_TOO_BIG (from the bounded buffer).
 */
/* Append lexeme s[0..n) quoted for tsvector/tsquery input: '...' with ' doubled, \ escaped. */
static int pg_lexeme(struct yq_buf *b, const char *s, size_t n)
{
    int err = yq_buf_addc(b, '\'');
    for (size_t i = 0; err == 0 && i < n; i++) {
        if (s[i] == '\'') {
            err = yq_buf_addc(b, '\'');
        } else if (s[i] == '\\') {
            err = yq_buf_addc(b, '\\');
        }
        if (err == 0) {
            err = yq_buf_addc(b, s[i]);
        }
    }
    return err == 0 ? yq_buf_addc(b, '\'') : err;
}

/* The tsquery of a term of n >= 2 code points: its bigrams joined by &, in parentheses. */
static int pg_term(struct yq_buf *b, const char *term, size_t n)
{
    size_t prev = 0;
    size_t pos = archive_bigram_cp_len(term, n);
    int err = yq_buf_addc(b, '(');
    bool first = true;
    while (err == 0 && pos < n) {
        size_t len = archive_bigram_cp_len(term + pos, n - pos);
        if (!first) {
            err = yq_buf_adds(b, " & ");
        }
        first = false;
        if (err == 0) {
            err = pg_lexeme(b, term + prev, pos + len - prev);
        }
        prev = pos;
        pos += len;
    }
    return err == 0 ? yq_buf_addc(b, ')') : err;
}

static int expr_node(const struct archive_narrow *node, int depth, bool pg, struct yq_buf *b,
                     bool *is_true)
{
    *is_true = true;
    if (!node || depth > ARCHIVE_BIGRAM_MAX_DEPTH) {
        return 0;
    }
    if (node->kind == ARCHIVE_NARROW_TERM) {
        if (!node->term) {
            return 0;
        }
        size_t n = strlen(node->term);
        size_t n_cp = 0;
        for (size_t i = 0; i < n;) {
            size_t len = archive_bigram_cp_len(node->term + i, n - i);
            if (len == 1 && (unsigned char)node->term[i] >= 0x80) {
                return 0; /* not UTF-8: cannot be a substring of normalised text cut right */
            }
            i += len;
            n_cp++;
        }
        if (n_cp < 2) {
            return 0;
        }
        *is_true = false;
        if (pg) {
            return pg_term(b, node->term, n);
        }
        int err = yq_buf_addc(b, '"');
        for (size_t i = 0; err == 0 && i < n; i++) {
            err = yq_buf_addc(b, node->term[i]);
            if (err == 0 && node->term[i] == '"') {
                err = yq_buf_addc(b, '"');
            }
        }
        if (err == 0) {
            err = yq_buf_addc(b, '"');
        }
        *is_true = false;
        return err;
    }
    if ((node->kind != ARCHIVE_NARROW_AND && node->kind != ARCHIVE_NARROW_OR) || !node->kids ||
        node->n_kids == 0) {
        return 0;
    }
    bool is_and = node->kind == ARCHIVE_NARROW_AND;
    size_t start = b->len;
    size_t n_parts = 0;
    int err = yq_buf_addc(b, '(');
    for (size_t i = 0; err == 0 && i < node->n_kids; i++) {
        size_t mark = b->len;
        if (n_parts > 0) {
            err = yq_buf_adds(b, is_and ? (pg ? " & " : " AND ") : (pg ? " | " : " OR "));
        }
        bool kid_true = true;
        if (err == 0) {
            err = expr_node(node->kids[i], depth + 1, pg, b, &kid_true);
        }
        if (err != 0) {
            break;
        }
        if (kid_true) {
            buf_cut(b, mark);
            if (!is_and) { /* x OR true = true */
                buf_cut(b, start);
                return 0;
            }
            continue;
        }
        n_parts++;
    }
    if (err != 0) {
        return err;
    }
    if (n_parts == 0) {
        buf_cut(b, start); /* AND of trues */
        return 0;
    }
    err = yq_buf_addc(b, ')');
    *is_true = false;
    return err;
}

static int narrow_expr(const struct archive_narrow *narrow, bool pg, char **out)
{
    *out = NULL;
    struct yq_buf b;
    yq_buf_init(&b, ARCHIVE_BIGRAM_MAX_EXPR_BYTES);
    bool is_true = true;
    int err = expr_node(narrow, 0, pg, &b, &is_true);
    if (err == ERR_TOO_BIG) {
        err = 0; /* too long to ask the index: no narrowing (a superset, as allowed) */
        is_true = true;
    }
    if (err != 0 || is_true) {
        yq_buf_release(&b);
        return err;
    }
    *out = yq_buf_steal(&b, NULL);
    return *out ? 0 : ERR_NOMEM;
}

int archive_bigram_match_expr(const struct archive_narrow *narrow, char **out)
{
    return narrow_expr(narrow, false, out);
}

int archive_bigram_tsquery(const struct archive_narrow *narrow, char **out)
{
    return narrow_expr(narrow, true, out);
}

/* One bigram of a text: its bytes (borrowed from the text). */
struct bigram_span {
    const char *p;
    size_t len;
};

static int span_cmp(const void *a, const void *b)
{
    const struct bigram_span *x = a, *y = b;
    int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);
    if (c != 0) {
        return c;
    }
    return x->len < y->len ? -1 : x->len > y->len;
}

/* Append the bigrams of s[0..n) to *v (growing it). Returns 0 or ERR_NOMEM. */
static int collect_bigrams(const char *s, size_t n, struct bigram_span **v, size_t *count,
                           size_t *cap)
{
    if (!s || n == 0) {
        return 0;
    }
    size_t prev = 0;
    size_t pos = archive_bigram_cp_len(s, n);
    while (pos < n) {
        size_t len = archive_bigram_cp_len(s + pos, n - pos);
        int err = yq_array_reserve(v, cap, *count + 1, sizeof **v);
        if (err) {
            return err;
        }
        (*v)[(*count)++] = (struct bigram_span){s + prev, pos + len - prev};
        prev = pos;
        pos += len;
    }
    return 0;
}

int archive_bigram_tsvector(const char *title, size_t title_len, const char *text,
                            size_t text_len, char **out)
{
    *out = NULL;
    struct bigram_span *v = NULL;
    size_t n = 0, cap = 0, bytes = 0, k = 0;
    int err = collect_bigrams(title, title_len, &v, &n, &cap);
    if (err == 0) {
        err = collect_bigrams(text, text_len, &v, &n, &cap);
    }
    if (err == 0 && n > 0) {
        qsort(v, n, sizeof *v, span_cmp);
        for (size_t i = 0; i < n; i++) {
            if (k == 0 || span_cmp(&v[k - 1], &v[i]) != 0) {
                v[k++] = v[i];
                bytes += v[i].len;
            }
        }
    }
    if (err == 0 && bytes > ARCHIVE_BIGRAM_TSVECTOR_MAX_BYTES) {
        err = ERR_TOO_BIG;
    }
    struct yq_buf b;
    yq_buf_init(&b, bytes * 2 + k * 3 + 16);
    if (err == 0) {
        err = yq_buf_adds(&b, "");
    }
    for (size_t i = 0; err == 0 && i < k; i++) {
        err = yq_buf_addc(&b, ' ');
        if (err == 0) {
            err = pg_lexeme(&b, v[i].p, v[i].len);
        }
    }
    free(v);
    if (err != 0) {
        yq_buf_release(&b);
        return err == ERR_TOO_BIG ? ERR_TOO_BIG : ERR_NOMEM;
    }
    *out = yq_buf_steal(&b, NULL);
    return *out ? 0 : ERR_NOMEM;
}
