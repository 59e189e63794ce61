#include "rule_expr.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_array.h"
#include "yq_utf8.h"
#include "yq_err.h"
#include "yq_banned.h"

/* Exhaustive "can it ever be true" check up to this many terms (2^12 evaluations). */
#define SAT_CHECK_MAX_TERMS 12
#define EVAL_STACK_MAX (2 * RULE_EXPR_MAX_DEPTH + 8)

enum op_kind { OP_TERM, OP_NOT, OP_AND, OP_OR, OP_NEAR };

struct op {
    enum op_kind kind;
    size_t term; /* OP_TERM: term index; OP_NEAR: NEAR atom index */
};

struct near_atom {
    size_t a, b;     /* term indexes */
    size_t distance; /* characters */
};

struct rule_expr {
    char *text;
    struct op *ops;
    size_t n_ops, cap_ops;
    char **terms;
    bool *positive;
    size_t n_terms, cap_terms, cap_positive; /* terms and positive grow one after the other */
    struct near_atom *nears;
    size_t n_nears, cap_nears;
};

enum tok_kind {
    TOK_END,
    TOK_AND,
    TOK_OR,
    TOK_NOT,
    TOK_LP,
    TOK_RP,
    TOK_COMMA,
    TOK_TERM,
    TOK_PHRASE
};

struct parser {
    const char *text;
    size_t len;
    size_t pos;         /* byte offset of the next unread byte */
    enum tok_kind tok;  /* current token */
    size_t tok_start;   /* its byte offset */
    size_t tok_len;     /* bytes of the term/phrase content */
    size_t tok_content; /* byte offset of the term/phrase content */
    bool in_near;       /* between NEAR/n( and ): ',' separates the two terms */
    struct rule_expr *e;
    int err;
    char *errbuf;
    size_t errlen;
};

static int fail(struct parser *p, size_t byte_off, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct parser *p, size_t byte_off, int err, const char *fmt, ...)
{
    char reason[160];
    va_list ap;

    if (p->err) {
        return p->err;
    }
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    if (p->errbuf && p->errlen) {
        snprintf(p->errbuf, p->errlen, "column %zu: %s",
                 yq_utf8_count_cp(p->text, byte_off) + 1, reason);
    }
    p->err = err;
    return err;
}

static bool is_space_at(const char *s, size_t len, size_t i, size_t *width)
{
    unsigned char c = (unsigned char)s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
        *width = 1;
        return true;
    }
    /* U+3000 IDEOGRAPHIC SPACE, typed by Chinese input methods */
    if (c == 0xE3 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
        (unsigned char)s[i + 2] == 0x80) {
        *width = 3;
        return true;
    }
    return false;
}

static bool is_term_byte(unsigned char c)
{
    return !(c == '&' || c == '|' || c == '!' || c == '(' || c == ')' || c == '"');
}

/* Inside NEAR(...): ',' or U+FF0C FULLWIDTH COMMA (typed by Chinese input methods). */
static bool is_comma_at(const struct parser *p, size_t i, size_t *width)
{
    if (!p->in_near) {
        return false;
    }
    if (p->text[i] == ',') {
        *width = 1;
        return true;
    }
    if (i + 2 < p->len && memcmp(p->text + i, "\xEF\xBC\x8C", 3) == 0) {
        *width = 3;
        return true;
    }
    return false;
}

static int next_token(struct parser *p)
{
    size_t w;

    while (p->pos < p->len && is_space_at(p->text, p->len, p->pos, &w)) {
        p->pos += w;
    }
    p->tok_start = p->pos;
    if (p->pos >= p->len) {
        p->tok = TOK_END;
        return 0;
    }
    if (is_comma_at(p, p->pos, &w)) {
        p->tok = TOK_COMMA;
        p->pos += w;
        return 0;
    }
    switch (p->text[p->pos]) {
    case '&':
        p->tok = TOK_AND;
        p->pos++;
        return 0;
    case '|':
        p->tok = TOK_OR;
        p->pos++;
        return 0;
    case '!':
        p->tok = TOK_NOT;
        p->pos++;
        return 0;
    case '(':
        p->tok = TOK_LP;
        p->pos++;
        return 0;
    case ')':
        p->tok = TOK_RP;
        p->pos++;
        return 0;
    case '"': {
        const char *close = memchr(p->text + p->pos + 1, '"', p->len - p->pos - 1);
        if (!close) {
            return fail(p, p->pos, ERR_PARSE, "unterminated quoted phrase");
        }
        p->tok = TOK_PHRASE;
        p->tok_content = p->pos + 1;
        p->tok_len = (size_t)(close - (p->text + p->tok_content));
        if (p->tok_len == 0) {
            return fail(p, p->pos, ERR_PARSE, "empty quoted phrase");
        }
        p->pos = (size_t)(close - p->text) + 1;
        return 0;
    }
    default:
        p->tok = TOK_TERM;
        p->tok_content = p->pos;
        while (p->pos < p->len && is_term_byte((unsigned char)p->text[p->pos]) &&
               !is_space_at(p->text, p->len, p->pos, &w) && !is_comma_at(p, p->pos, &w)) {
            p->pos++;
        }
        p->tok_len = p->pos - p->tok_content;
        return 0;
    }
}

static int emit(struct parser *p, enum op_kind kind, size_t term)
{
    struct rule_expr *e = p->e;
    int err = yq_array_reserve(&e->ops, &e->cap_ops, e->n_ops + 1, sizeof(*e->ops));

    if (err) {
        return fail(p, 0, err, "out of memory");
    }
    e->ops[e->n_ops].kind = kind;
    e->ops[e->n_ops].term = term;
    e->n_ops++;
    return 0;
}

/* Index of the current term token in the term table, adding it when new. */
static int intern_term(struct parser *p, bool positive, size_t *out)
{
    struct rule_expr *e = p->e;
    const char *s = p->text + p->tok_content;
    size_t i;
    int err;

    for (i = 0; i < e->n_terms; i++) {
        if (strlen(e->terms[i]) == p->tok_len && memcmp(e->terms[i], s, p->tok_len) == 0) {
            e->positive[i] = e->positive[i] || positive;
            *out = i;
            return 0;
        }
    }
    if (e->n_terms >= RULE_EXPR_MAX_TERMS) {
        return fail(p, p->tok_start, ERR_TOO_BIG, "more than %d distinct terms", RULE_EXPR_MAX_TERMS);
    }
    err = yq_array_reserve(&e->terms, &e->cap_terms, i + 1, sizeof(*e->terms));
    if (!err) {
        err = yq_array_reserve(&e->positive, &e->cap_positive, i + 1, sizeof(*e->positive));
    }
    if (err) {
        return fail(p, 0, err, "out of memory");
    }
    e->terms[i] = strndup(s, p->tok_len);
    if (!e->terms[i]) {
        return fail(p, 0, ERR_NOMEM, "out of memory");
    }
    e->positive[i] = positive;
    e->n_terms++;
    *out = i;
    return 0;
}

static int add_term(struct parser *p, bool positive)
{
    size_t i;
    if (intern_term(p, positive, &i)) {
        return p->err;
    }
    return emit(p, OP_TERM, i);
}

/* The current token is a term starting "NEAR/": parse NEAR/n(a, b). */
static int parse_near(struct parser *p, bool negated)
{
    const char *s = p->text + p->tok_content;
    size_t start = p->tok_start, distance = 0, a, b;
    int err;

    if (p->tok_len == 5) {
        return fail(p, start, ERR_PARSE, "NEAR/ needs a distance, e.g. NEAR/5(a, b)");
    }
    for (size_t i = 5; i < p->tok_len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return fail(p, start, ERR_PARSE, "NEAR/ needs a distance in characters, e.g. NEAR/5(a, b)");
        }
        distance = distance * 10 + (size_t)(s[i] - '0');
        if (distance > RULE_EXPR_MAX_NEAR) {
            return fail(p, start, ERR_TOO_BIG, "NEAR distance above %d", RULE_EXPR_MAX_NEAR);
        }
    }
    if (next_token(p)) {
        return p->err;
    }
    if (p->tok != TOK_LP) {
        return fail(p, p->tok_start, ERR_PARSE, "expected '(' after NEAR/%zu", distance);
    }
    p->in_near = true;
    if (next_token(p)) {
        return p->err;
    }
    if (p->tok != TOK_TERM && p->tok != TOK_PHRASE) {
        return fail(p, p->tok_start, ERR_PARSE, "NEAR takes two terms: expected a term");
    }
    if (intern_term(p, !negated, &a) || next_token(p)) {
        return p->err;
    }
    if (p->tok != TOK_COMMA) {
        return fail(p, p->tok_start, ERR_PARSE, "expected ',' between the two terms of NEAR");
    }
    if (next_token(p)) {
        return p->err;
    }
    if (p->tok != TOK_TERM && p->tok != TOK_PHRASE) {
        return fail(p, p->tok_start, ERR_PARSE, "NEAR takes two terms: expected a term");
    }
    if (intern_term(p, !negated, &b) || next_token(p)) {
        return p->err;
    }
    p->in_near = false;
    if (p->tok != TOK_RP) {
        return fail(p, p->tok_start, ERR_PARSE, "expected ')' to close NEAR at column %zu",
                    yq_utf8_count_cp(p->text, start) + 1);
    }
    if (p->e->n_nears >= RULE_EXPR_MAX_TERMS) {
        return fail(p, start, ERR_TOO_BIG, "more than %d NEAR operators", RULE_EXPR_MAX_TERMS);
    }
    err = yq_array_reserve(&p->e->nears, &p->e->cap_nears, p->e->n_nears + 1, sizeof(*p->e->nears));
    if (err) {
        return fail(p, 0, err, "out of memory");
    }
    p->e->nears[p->e->n_nears] = (struct near_atom){.a = a, .b = b, .distance = distance};
    if (emit(p, OP_NEAR, p->e->n_nears)) {
        return p->err;
    }
    p->e->n_nears++;
    return next_token(p);
}

static int parse_or(struct parser *p, int depth, bool negated);

static int parse_unary(struct parser *p, int depth, bool negated)
{
    if (depth > RULE_EXPR_MAX_DEPTH) {
        return fail(p, p->tok_start, ERR_TOO_BIG, "nested deeper than %d levels", RULE_EXPR_MAX_DEPTH);
    }
    switch (p->tok) {
    case TOK_NOT:
        if (next_token(p) || parse_unary(p, depth + 1, !negated)) {
            return p->err;
        }
        return emit(p, OP_NOT, 0);
    case TOK_TERM:
        if (p->tok_len >= 5 && memcmp(p->text + p->tok_content, "NEAR/", 5) == 0) {
            return parse_near(p, negated);
        }
        /* fall through */
    case TOK_PHRASE:
        if (add_term(p, !negated)) {
            return p->err;
        }
        return next_token(p);
    case TOK_LP: {
        size_t open = p->tok_start;
        if (next_token(p) || parse_or(p, depth + 1, negated)) {
            return p->err;
        }
        if (p->tok != TOK_RP) {
            return fail(p, p->tok_start, ERR_PARSE, "expected ')' to close '(' at column %zu",
                        yq_utf8_count_cp(p->text, open) + 1);
        }
        return next_token(p);
    }
    case TOK_END:
        return fail(p, p->tok_start, ERR_PARSE, "unexpected end of expression, expected a term");
    case TOK_AND:
        return fail(p, p->tok_start, ERR_PARSE, "unexpected '&', expected a term");
    case TOK_OR:
        return fail(p, p->tok_start, ERR_PARSE, "unexpected '|', expected a term");
    case TOK_COMMA:
        return fail(p, p->tok_start, ERR_PARSE, "unexpected ',', expected a term");
    case TOK_RP:
    default:
        return fail(p, p->tok_start, ERR_PARSE, "unexpected ')', expected a term");
    }
}

static int parse_and(struct parser *p, int depth, bool negated)
{
    if (parse_unary(p, depth, negated)) {
        return p->err;
    }
    while (p->tok == TOK_AND) {
        if (next_token(p) || parse_unary(p, depth, negated) || emit(p, OP_AND, 0)) {
            return p->err;
        }
    }
    return 0;
}

static int parse_or(struct parser *p, int depth, bool negated)
{
    if (parse_and(p, depth, negated)) {
        return p->err;
    }
    while (p->tok == TOK_OR) {
        if (next_token(p) || parse_and(p, depth, negated) || emit(p, OP_OR, 0)) {
            return p->err;
        }
    }
    return 0;
}

/* Largest stack the postfix program needs. */
static size_t stack_need(const struct rule_expr *e)
{
    size_t sp = 0, max = 0;
    for (size_t i = 0; i < e->n_ops; i++) {
        if (e->ops[i].kind == OP_TERM || e->ops[i].kind == OP_NEAR) {
            sp++;
        } else if (e->ops[i].kind != OP_NOT) {
            sp--;
        }
        if (sp > max) {
            max = sp;
        }
    }
    return max;
}

bool rule_expr_eval(const struct rule_expr *e, const bool *occurred)
{
    bool stack[EVAL_STACK_MAX];
    size_t sp = 0;

    for (size_t i = 0; i < e->n_ops; i++) {
        switch (e->ops[i].kind) {
        case OP_TERM:
            stack[sp++] = occurred[e->ops[i].term];
            break;
        case OP_NEAR:
            stack[sp++] = occurred[e->n_terms + e->ops[i].term];
            break;
        case OP_NOT:
            stack[sp - 1] = !stack[sp - 1];
            break;
        case OP_AND:
            sp--;
            stack[sp - 1] = stack[sp - 1] && stack[sp];
            break;
        case OP_OR:
            sp--;
            stack[sp - 1] = stack[sp - 1] || stack[sp];
            break;
        }
    }
    return sp == 1 && stack[0];
}

/*
 * ERR_INVALID when e is true with no term present, or (few terms) never true. A NEAR atom
 * is a variable of its own that can only be true when both its terms are.
 */
static int check_meaningful(struct parser *p)
{
    bool occ[2 * RULE_EXPR_MAX_TERMS] = {false}; /* terms, then NEAR atoms */
    struct rule_expr *e = p->e;

    if (rule_expr_eval(e, occ)) {
        return fail(p, 0, ERR_INVALID,
                    "expression is true when no term occurs; it needs a positive term");
    }
    if (rule_expr_satisfiable(e, NULL)) {
        return 0;
    }
    return fail(p, 0, ERR_INVALID, "expression can never be true");
}

bool rule_expr_satisfiable(const struct rule_expr *e, const size_t *same_as)
{
    bool occ[2 * RULE_EXPR_MAX_TERMS] = {false}; /* terms, then NEAR atoms */
    size_t n_vars = e->n_terms + e->n_nears;

    if (n_vars > SAT_CHECK_MAX_TERMS) {
        return true;
    }
    for (uint32_t bits = 1; bits < (1u << n_vars); bits++) {
        bool possible = true;
        for (size_t i = 0; i < n_vars; i++) {
            occ[i] = (bits >> i) & 1u;
        }
        for (size_t i = 0; same_as && i < e->n_terms; i++) {
            occ[i] = occ[same_as[i]]; /* same_as[i] <= i: already settled */
        }
        for (size_t k = 0; k < e->n_nears; k++) {
            const struct near_atom *na = &e->nears[k];
            if (occ[e->n_terms + k] && (!occ[na->a] || !occ[na->b])) {
                possible = false;
            }
        }
        if (possible && rule_expr_eval(e, occ)) {
            return true;
        }
    }
    return false;
}

int rule_expr_compile(const char *text, struct rule_expr **out, char *errbuf, size_t errlen)
{
    struct parser p;
    size_t bad;

    *out = NULL;
    memset(&p, 0, sizeof(p));
    p.text = text;
    p.len = strlen(text);
    p.errbuf = errbuf;
    p.errlen = errlen;
    if (p.len > RULE_EXPR_MAX_BYTES) {
        return fail(&p, 0, ERR_TOO_BIG, "expression longer than %d bytes", RULE_EXPR_MAX_BYTES);
    }
    if (!yq_utf8_valid(text, p.len, &bad)) {
        return fail(&p, bad, ERR_PARSE, "invalid UTF-8");
    }
    p.e = calloc(1, sizeof(*p.e));
    if (!p.e || !(p.e->text = strdup(text))) {
        rule_expr_free(p.e);
        return ERR_NOMEM;
    }
    if (next_token(&p) == 0) {
        if (p.tok == TOK_END) {
            fail(&p, 0, ERR_PARSE, "empty expression");
        } else if (parse_or(&p, 0, false) == 0 && p.tok != TOK_END) {
            if (p.tok == TOK_RP) {
                fail(&p, p.tok_start, ERR_PARSE, "unmatched ')'");
            } else {
                fail(&p, p.tok_start, ERR_PARSE, "expected '&' or '|' before this");
            }
        }
    }
    if (!p.err && stack_need(p.e) > EVAL_STACK_MAX) {
        fail(&p, 0, ERR_TOO_BIG, "expression too complex");
    }
    if (!p.err) {
        check_meaningful(&p);
    }
    if (p.err) {
        rule_expr_free(p.e);
        return p.err;
    }
    *out = p.e;
    return 0;
}

void rule_expr_free(struct rule_expr *e)
{
    if (!e) {
        return;
    }
    for (size_t i = 0; i < e->n_terms; i++) {
        free(e->terms[i]);
    }
    free(e->terms);
    free(e->positive);
    free(e->nears);
    free(e->ops);
    free(e->text);
    free(e);
}

size_t rule_expr_n_terms(const struct rule_expr *e)
{
    return e->n_terms;
}

const char *rule_expr_term(const struct rule_expr *e, size_t i)
{
    return e->terms[i];
}

bool rule_expr_term_positive(const struct rule_expr *e, size_t i)
{
    return e->positive[i];
}

const char *rule_expr_text(const struct rule_expr *e)
{
    return e->text;
}

size_t rule_expr_n_near(const struct rule_expr *e)
{
    return e->n_nears;
}

void rule_expr_near(const struct rule_expr *e, size_t i, size_t *a, size_t *b,
                    size_t *distance)
{
    *a = e->nears[i].a;
    *b = e->nears[i].b;
    *distance = e->nears[i].distance;
}

/* ------------------------------------------------------------ narrowing formula */

static struct rule_narrow *narrow_node(enum rule_narrow_kind kind, size_t term)
{
    struct rule_narrow *n = calloc(1, sizeof(*n));
    if (n) {
        n->kind = kind;
        n->term = term;
    }
    return n;
}

void rule_narrow_free(struct rule_narrow *n)
{
    if (!n) {
        return;
    }
    for (size_t i = 0; i < n->n_kids; i++) {
        rule_narrow_free(n->kids[i]);
    }
    free(n->kids);
    free(n);
}

/* Append kid (owned; on failure freed) to n's kids. Returns 0 or ERR_NOMEM. */
static int narrow_append(struct rule_narrow *n, struct rule_narrow *kid)
{
    int err = yq_array_reserve(&n->kids, &n->cap_kids, n->n_kids + 1, sizeof(*n->kids));

    if (err) {
        rule_narrow_free(kid);
        return err;
    }
    n->kids[n->n_kids++] = kid;
    return 0;
}

/* Move the kids of b (same kind as the node it joins) or b itself into n; b is consumed. */
static int narrow_absorb(struct rule_narrow *n, struct rule_narrow *b)
{
    int err = 0;
    if (b->kind != n->kind) {
        return narrow_append(n, b);
    }
    for (size_t i = 0; i < b->n_kids; i++) {
        if (!err) {
            err = narrow_append(n, b->kids[i]);
        } else {
            rule_narrow_free(b->kids[i]);
        }
    }
    b->n_kids = 0;
    rule_narrow_free(b);
    return err;
}

/*
 * kind (AND or OR) of a and b (both owned, consumed): TRUE simplified, same kinds flattened.
 * NULL on ERR_NOMEM (a and b freed).
 */
static struct rule_narrow *narrow_join(enum rule_narrow_kind kind, struct rule_narrow *a,
                                       struct rule_narrow *b)
{
    struct rule_narrow *n;

    if (!a || !b) {
        rule_narrow_free(a);
        rule_narrow_free(b);
        return NULL;
    }
    if (a->kind == RULE_NARROW_TRUE || b->kind == RULE_NARROW_TRUE) {
        if (kind == RULE_NARROW_OR) {
            /* a | TRUE = TRUE */
            rule_narrow_free(b);
            rule_narrow_free(a);
            return narrow_node(RULE_NARROW_TRUE, 0);
        }
        /* a & TRUE = a */
        if (a->kind == RULE_NARROW_TRUE) {
            rule_narrow_free(a);
            return b;
        }
        rule_narrow_free(b);
        return a;
    }
    if (a->kind == kind) {
        n = a;
    } else {
        n = narrow_node(kind, 0);
        if (!n || narrow_append(n, a)) {
            rule_narrow_free(n);
            rule_narrow_free(b);
            if (!n) {
                rule_narrow_free(a);
            }
            return NULL;
        }
    }
    if (narrow_absorb(n, b)) {
        rule_narrow_free(n);
        return NULL;
    }
    return n;
}

/*
 * One pass over the postfix program; each stack entry holds the narrowing of its
 * subexpression (pos) and of the subexpression's negation (neg), so that '!' swaps them and
 * De Morgan needs no tree: AND -> (pos AND pos, neg OR neg), OR -> (pos OR pos, neg AND neg).
 */
int rule_expr_narrow(const struct rule_expr *e, struct rule_narrow **out)
{
    struct rule_narrow *pos[EVAL_STACK_MAX], *neg[EVAL_STACK_MAX];
    size_t sp = 0;
    int err = 0;

    *out = NULL;
    for (size_t i = 0; i < e->n_ops && !err; i++) {
        const struct op *op = &e->ops[i];
        struct rule_narrow *t;

        switch (op->kind) {
        case OP_TERM:
            pos[sp] = narrow_node(RULE_NARROW_TERM, op->term);
            neg[sp] = narrow_node(RULE_NARROW_TRUE, 0);
            sp++;
            err = pos[sp - 1] && neg[sp - 1] ? 0 : ERR_NOMEM;
            break;
        case OP_NEAR:
            pos[sp] =
                narrow_join(RULE_NARROW_AND, narrow_node(RULE_NARROW_TERM, e->nears[op->term].a),
                            narrow_node(RULE_NARROW_TERM, e->nears[op->term].b));
            neg[sp] = narrow_node(RULE_NARROW_TRUE, 0);
            sp++;
            err = pos[sp - 1] && neg[sp - 1] ? 0 : ERR_NOMEM;
            break;
        case OP_NOT:
            t = pos[sp - 1];
            pos[sp - 1] = neg[sp - 1];
            neg[sp - 1] = t;
            break;
        case OP_AND:
        case OP_OR: {
            enum rule_narrow_kind k = op->kind == OP_AND ? RULE_NARROW_AND : RULE_NARROW_OR;
            enum rule_narrow_kind dual = k == RULE_NARROW_AND ? RULE_NARROW_OR : RULE_NARROW_AND;
            sp--;
            pos[sp - 1] = narrow_join(k, pos[sp - 1], pos[sp]);
            neg[sp - 1] = narrow_join(dual, neg[sp - 1], neg[sp]);
            err = pos[sp - 1] && neg[sp - 1] ? 0 : ERR_NOMEM;
            break;
        }
        }
    }
    if (!err && sp == 1) {
        *out = pos[0];
        pos[0] = NULL;
    } else if (!err) {
        err = ERR_INVALID; /* not a compiled program */
    }
    for (size_t i = 0; i < sp; i++) {
        rule_narrow_free(pos[i]);
        rule_narrow_free(neg[i]);
    }
    return err;
}
