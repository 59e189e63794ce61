#include "yq_sentiment.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "term_find.h"
#include "yq_array.h"
#include "yq_embed.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_utf8.h"

/* The lists embedded by common/embed_files.cmake (sentiment_lexicon.c). */
extern const struct yq_embedded_file yq_sentiment_files[];

/* At most this many terms in all lists together (the shipped lexicon has under 1,000). */
#define MAX_TERMS 100000
/* Largest weight or multiplier a list may give. */
#define MAX_WEIGHT 10.0

enum kind {
    K_NEGATIVE,
    K_POSITIVE,
    K_DEGREE,
    K_NEGATION,
    K_NEUTRAL,
    K_QUESTION,
    K_RHETORIC,
    K_BUT,
    K_END,         /* clause end: , . ; : 。 、 line break */
    K_END_EXCLAIM, /* clause end: ! */
    K_END_QUESTION /* clause end: ? */
};

/* The lists, in the order of YQ_SENTIMENT_LISTS in common/CMakeLists.txt. */
enum column {
    COL_NONE,       /* the term alone */
    COL_WEIGHT_OPT, /* term [TAB weight], default 1.0 */
    COL_WEIGHT,     /* term TAB weight */
    COL_KIND        /* term TAB question|rhetoric|but */
};

static const struct {
    const char *file;
    enum kind kind; /* the kind of every term (COL_KIND: the second column says) */
    enum column column;
} lists[] = {
    {"negative.txt", K_NEGATIVE, COL_WEIGHT_OPT}, {"positive.txt", K_POSITIVE, COL_WEIGHT_OPT},
    {"degree.txt", K_DEGREE, COL_WEIGHT},         {"negation.txt", K_NEGATION, COL_NONE},
    {"neutral.txt", K_NEUTRAL, COL_NONE},         {"structure.txt", K_QUESTION, COL_KIND},
};
#define N_LISTS (sizeof(lists) / sizeof(lists[0]))

/* Clause ends, built in (NFKC has already made ，！？；： and … their ASCII forms). */
static const struct {
    const char *term;
    enum kind kind;
} ends[] = {
    {",", K_END},  {".", K_END},         {";", K_END},          {":", K_END},
    {"\n", K_END}, {"\xe3\x80\x82", K_END}, {"\xe3\x80\x81", K_END}, /* 。 、 */
    {"!", K_END_EXCLAIM}, {"?", K_END_QUESTION},
};
#define N_ENDS (sizeof(ends) / sizeof(ends[0]))

struct entry {
    enum kind kind;
    double weight;
    unsigned list; /* index into lists[], or N_LISTS for the built-in clause ends */
    unsigned line;
};

struct yq_sentiment {
    struct term_db *db;
    struct entry *entries; /* one per term of db */
    size_t n;
};

/* Terms being collected by yq_sentiment_open(). */
struct collect {
    char **terms;
    struct entry *entries;
    size_t n, cap_terms, cap_entries; /* the two grow one after the other */
};

static int collect_add(struct collect *c, const char *term, size_t len, struct entry e)
{
    int err;

    if (c->n >= MAX_TERMS) {
        return ERR_TOO_BIG;
    }
    err = yq_array_reserve(&c->terms, &c->cap_terms, c->n + 1, sizeof(*c->terms));
    if (!err) {
        err = yq_array_reserve(&c->entries, &c->cap_entries, c->n + 1, sizeof(*c->entries));
    }
    if (err) {
        return err;
    }
    c->terms[c->n] = strndup(term, len);
    if (!c->terms[c->n]) {
        return ERR_NOMEM;
    }
    c->entries[c->n++] = e;
    return 0;
}

static void collect_release(struct collect *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->terms[i]);
    }
    free(c->terms);
    free(c->entries);
}

/* Parse a weight: a finite number in (0, MAX_WEIGHT]. Returns 0 or ERR_PARSE. */
static int parse_weight(const char *s, size_t len, double *out)
{
    char buf[32], *end;

    if (len == 0 || len >= sizeof(buf)) {
        return ERR_PARSE;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    *out = strtod(buf, &end);
    if (errno || *end != '\0' || !isfinite(*out) || *out <= 0.0 || *out > MAX_WEIGHT) {
        return ERR_PARSE;
    }
    return 0;
}

/* Parse one list's text (len bytes, borrowed) into c. */
static int parse_list(unsigned li, const char *text, size_t len, struct collect *c,
                      char *errbuf, size_t errlen)
{
    const char *p = text, *end = text + len;
    unsigned line = 0;

    if (!yq_utf8_valid(text, len, NULL)) {
        snprintf(errbuf, errlen, "sentiment list %s is not UTF-8", lists[li].file);
        return ERR_PARSE;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end, *tab, *field = NULL;
        size_t tlen, flen = 0;
        struct entry e = {lists[li].kind, 1.0, li, ++line};
        int err;

        while (eol > p && (eol[-1] == '\r' || eol[-1] == ' ' || eol[-1] == '\t')) {
            eol--;
        }
        if (eol == p || *p == '#') {
            p = nl ? nl + 1 : end;
            continue;
        }
        tab = memchr(p, '\t', (size_t)(eol - p));
        tlen = (size_t)((tab ? tab : eol) - p);
        if (tab) {
            field = tab + 1;
            while (field < eol && *field == '\t') {
                field++;
            }
            flen = (size_t)(eol - field);
        }
        if (tlen == 0 || memchr(p, ' ', tlen)) {
            snprintf(errbuf, errlen, "sentiment list %s line %u: a term may not be empty or "
                     "hold a space (term, TAB, weight)", lists[li].file, line);
            return ERR_PARSE;
        }
        if (lists[li].column == COL_NONE && field) {
            snprintf(errbuf, errlen, "sentiment list %s line %u: this list takes no weight",
                     lists[li].file, line);
            return ERR_PARSE;
        }
        if (lists[li].column == COL_KIND) {
            if (field && flen == 8 && memcmp(field, "question", 8) == 0) {
                e.kind = K_QUESTION;
            } else if (field && flen == 8 && memcmp(field, "rhetoric", 8) == 0) {
                e.kind = K_RHETORIC;
            } else if (field && flen == 3 && memcmp(field, "but", 3) == 0) {
                e.kind = K_BUT;
            } else {
                snprintf(errbuf, errlen, "sentiment list %s line %u: the kind must be "
                         "question, rhetoric or but", lists[li].file, line);
                return ERR_PARSE;
            }
        } else if ((lists[li].column == COL_WEIGHT && !field) ||
                   (field && parse_weight(field, flen, &e.weight))) {
            snprintf(errbuf, errlen, "sentiment list %s line %u: the weight must be a number "
                     "above 0 and at most %g", lists[li].file, line, MAX_WEIGHT);
            return ERR_PARSE;
        }
        err = collect_add(c, p, tlen, e);
        if (err) {
            if (err == ERR_TOO_BIG) {
                snprintf(errbuf, errlen, "sentiment lists: more than %d terms", MAX_TERMS);
            }
            return err;
        }
        p = nl ? nl + 1 : end;
    }
    return 0;
}

/* The text of list li: the override folder's file when it exists, else the embedded one. */
static int load_list(const char *override_dir, unsigned li, struct collect *c, char *errbuf,
                     size_t errlen)
{
    if (override_dir) {
        char path[4096];
        char *text = NULL;
        size_t len = 0;
        int n = snprintf(path, sizeof(path), "%s/%s", override_dir, lists[li].file);
        int err;

        if (n < 0 || (size_t)n >= sizeof(path)) {
            snprintf(errbuf, errlen, "sentiment override folder path too long");
            return ERR_INVALID;
        }
        err = yq_fs_read_file(path, YQ_SENTIMENT_MAX_FILE_BYTES, &text, &len);
        if (err == 0) {
            err = parse_list(li, text, len, c, errbuf, errlen);
            free(text);
            return err;
        }
        if (err != ERR_NOT_FOUND) {
            snprintf(errbuf, errlen, "cannot read %s: %s", path, yq_strerror(err));
            return err;
        }
    }
    {
        const struct yq_embedded_file *f = yq_embed_find(yq_sentiment_files, lists[li].file);
        if (f) {
            return parse_list(li, (const char *)f->data, f->len, c, errbuf, errlen);
        }
    }
    snprintf(errbuf, errlen, "sentiment list %s is not embedded", lists[li].file);
    return ERR_NOT_FOUND;
}

static const char *entry_file(const struct entry *e)
{
    return e->list < N_LISTS ? lists[e->list].file : "(built-in clause ends)";
}

/* A term in two lists (or twice in one) would have an undefined meaning: refuse it. */
struct norm_ref {
    const char *norm;
    size_t i;
};

static int cmp_norm_ref(const void *a, const void *b)
{
    return strcmp(((const struct norm_ref *)a)->norm, ((const struct norm_ref *)b)->norm);
}

static int check_duplicates(const struct yq_sentiment *s, char *errbuf, size_t errlen)
{
    struct norm_ref *r = malloc((s->n ? s->n : 1) * sizeof(*r));
    int err = 0;

    if (!r) {
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < s->n; i++) {
        r[i] = (struct norm_ref){term_db_normalised(s->db, i), i};
    }
    qsort(r, s->n, sizeof(*r), cmp_norm_ref);
    for (size_t i = 1; i < s->n && !err; i++) {
        if (strcmp(r[i - 1].norm, r[i].norm) == 0) {
            const struct entry *x = &s->entries[r[i - 1].i], *y = &s->entries[r[i].i];
            snprintf(errbuf, errlen, "sentiment term '%s' is listed twice (%s line %u, %s line %u)",
                     r[i].norm, entry_file(x), x->line, entry_file(y), y->line);
            err = ERR_INVALID;
        }
    }
    free(r);
    return err;
}

void yq_sentiment_free(struct yq_sentiment *s)
{
    if (!s) {
        return;
    }
    term_db_free(s->db);
    free(s->entries);
    free(s);
}

int yq_sentiment_open(const char *override_dir, struct yq_sentiment **out, char *errbuf,
                      size_t errlen)
{
    struct collect c = {0};
    struct yq_sentiment *s = NULL;
    char dummy[1];
    int err = 0;

    *out = NULL;
    if (!errbuf || errlen == 0) {
        errbuf = dummy;
        errlen = sizeof(dummy);
    }
    errbuf[0] = '\0';
    if (override_dir) {
        struct stat st;
        if (stat(override_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            snprintf(errbuf, errlen, "sentiment override folder %s is not a folder",
                     override_dir);
            return ERR_NOT_FOUND;
        }
    }
    for (unsigned li = 0; li < N_LISTS && !err; li++) {
        err = load_list(override_dir, li, &c, errbuf, errlen);
    }
    for (unsigned i = 0; i < N_ENDS && !err; i++) {
        err = collect_add(&c, ends[i].term, strlen(ends[i].term),
                          (struct entry){ends[i].kind, 1.0, N_LISTS, i + 1});
    }
    if (!err) {
        s = calloc(1, sizeof(*s));
        err = s ? 0 : ERR_NOMEM;
    }
    if (!err) {
        err = term_db_new((const char *const *)c.terms, c.n, &s->db, errbuf, errlen);
    }
    if (!err) {
        s->entries = c.entries;
        s->n = c.n;
        c.entries = NULL;
        err = check_duplicates(s, errbuf, errlen);
    }
    collect_release(&c);
    if (err) {
        yq_sentiment_free(s);
        return err;
    }
    *out = s;
    return 0;
}

size_t yq_sentiment_n_terms(const struct yq_sentiment *s)
{
    return s ? s->n : 0;
}

/* The state of scoring one part (title or text) while its hits arrive in order. */
struct scorer {
    const struct yq_sentiment *s;
    double part_weight;
    /* leftmost-longest selection */
    int have_best;
    struct term_hit best;
    size_t taken_end; /* code points: the end of the last accepted hit */
    /* modifiers waiting for the next polar word */
    unsigned negs;
    double degree;
    size_t mod_end;
    /* the clause being read */
    double c_pos, c_neg;
    int c_question, c_rhetoric;
    /* results */
    double total;
    double strongest;
    size_t strongest_term;
    int have_strongest;
    struct yq_sentiment_result *res;
};

static void reset_modifiers(struct scorer *sc)
{
    sc->negs = 0;
    sc->degree = 1.0;
}

static void end_clause(struct scorer *sc, int exclaim, int question)
{
    double v = sc->c_neg + sc->c_pos * (sc->c_question || question ? YQ_SENTIMENT_QUESTION_POS
                                                                    : 1.0);
    if (exclaim) {
        v *= YQ_SENTIMENT_EXCLAIM;
    }
    if (sc->c_rhetoric) {
        v = -(fabs(v) + YQ_SENTIMENT_RHETORIC);
    }
    sc->total += v;
    sc->c_pos = sc->c_neg = 0.0;
    sc->c_question = sc->c_rhetoric = 0;
    reset_modifiers(sc);
}

static void on_polar(struct scorer *sc, const struct term_hit *h, const struct entry *e)
{
    double c = e->kind == K_NEGATIVE ? -e->weight : e->weight;

    if (e->kind == K_NEGATIVE) {
        sc->res->n_negative++;
    } else {
        sc->res->n_positive++;
    }
    if ((sc->negs || sc->degree != 1.0) && h->start - sc->mod_end <= YQ_SENTIMENT_NEG_WINDOW_CP) {
        c *= sc->degree;
        if (sc->negs % 2 == 1) {
            c *= YQ_SENTIMENT_NEG_FLIP;
        } else if (sc->negs >= 2) {
            c *= YQ_SENTIMENT_NEG_DOUBLE;
        }
    }
    reset_modifiers(sc);
    if (c > 0) {
        sc->c_pos += c;
    } else {
        sc->c_neg += c;
    }
    if (!sc->have_strongest || fabs(c) * sc->part_weight > sc->strongest) {
        sc->have_strongest = 1;
        sc->strongest = fabs(c) * sc->part_weight;
        sc->strongest_term = h->term;
    }
}

static void on_modifier(struct scorer *sc, const struct term_hit *h, const struct entry *e)
{
    if ((sc->negs || sc->degree != 1.0) && h->start - sc->mod_end > YQ_SENTIMENT_NEG_WINDOW_CP) {
        reset_modifiers(sc);
    }
    if (e->kind == K_NEGATION) {
        sc->res->n_negation++;
        sc->negs++;
    } else {
        sc->res->n_degree++;
        sc->degree *= sc->negs ? YQ_SENTIMENT_NEG_DEGREE : e->weight;
    }
    sc->mod_end = h->end;
}

/* One hit chosen by leftmost-longest selection. */
static void take(struct scorer *sc, const struct term_hit *h)
{
    const struct entry *e = &sc->s->entries[h->term];

    switch (e->kind) {
    case K_NEGATIVE:
    case K_POSITIVE:
        on_polar(sc, h, e);
        break;
    case K_DEGREE:
    case K_NEGATION:
        on_modifier(sc, h, e);
        break;
    case K_NEUTRAL:
        break;
    case K_QUESTION:
        sc->c_question = 1;
        break;
    case K_RHETORIC:
        sc->c_rhetoric = 1;
        break;
    case K_BUT:
        sc->total *= YQ_SENTIMENT_BUT_BEFORE;
        sc->c_pos *= YQ_SENTIMENT_BUT_BEFORE;
        sc->c_neg *= YQ_SENTIMENT_BUT_BEFORE;
        reset_modifiers(sc);
        break;
    case K_END:
        end_clause(sc, 0, 0);
        break;
    case K_END_EXCLAIM:
        end_clause(sc, 1, 0);
        break;
    case K_END_QUESTION:
        end_clause(sc, 0, 1);
        break;
    }
}

/* Hits arrive by start, then term index: keep the longest of each start, take it if free. */
static int on_hit(const struct term_hit *h, void *opaque)
{
    struct scorer *sc = opaque;

    if (sc->have_best && h->start == sc->best.start) {
        if (h->nend > sc->best.nend) {
            sc->best = *h;
        }
        return 0;
    }
    if (sc->have_best && sc->best.start >= sc->taken_end) {
        take(sc, &sc->best);
        sc->taken_end = sc->best.end;
    }
    sc->best = *h;
    sc->have_best = 1;
    return 0;
}

/* The longest prefix of s of at most max bytes that does not cut a UTF-8 sequence. */
static size_t bounded_len(const char *s, size_t max, int *truncated)
{
    size_t len = strlen(s);

    if (len <= max) {
        return len;
    }
    *truncated = 1;
    len = max;
    while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80) {
        len--;
    }
    return len;
}

static int score_part(const struct yq_sentiment *s, struct term_scratch *ts, const char *str,
                      size_t max, double weight, struct scorer *sc,
                      struct yq_sentiment_result *res)
{
    size_t len;
    int err;

    if (!str || !*str) {
        return 0;
    }
    len = bounded_len(str, max, &res->truncated);
    *sc = (struct scorer){.s = s, .part_weight = weight, .degree = 1.0, .res = res};
    err = term_db_scan(s->db, ts, str, len, on_hit, sc);
    if (err) {
        return err;
    }
    if (sc->have_best && sc->best.start >= sc->taken_end) {
        take(sc, &sc->best);
    }
    end_clause(sc, 0, 0);
    return 0;
}

/*
 * One term scratch per thread, kept between calls (the archiver and the notifier score every
 * item: a new Vectorscan scratch per call cost about a fifth of the archive's store time) and
 * freed when the thread ends.
 */
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_key_err;

static void scratch_destroy(void *p)
{
    term_scratch_free(p);
}

static void scratch_key_make(void)
{
    scratch_key_err = pthread_key_create(&scratch_key, scratch_destroy);
}

/* This thread's scratch, made on first use; NULL when out of memory. */
static struct term_scratch *thread_scratch(void)
{
    struct term_scratch *ts;

    if (pthread_once(&scratch_once, scratch_key_make) != 0 || scratch_key_err != 0) {
        return NULL;
    }
    ts = pthread_getspecific(scratch_key);
    if (!ts) {
        ts = term_scratch_new();
        if (ts && pthread_setspecific(scratch_key, ts) != 0) {
            term_scratch_free(ts);
            ts = NULL;
        }
    }
    return ts;
}

int yq_sentiment_score(const struct yq_sentiment *s, const char *title, const char *text,
                       struct yq_sentiment_result *out)
{
    struct term_scratch *ts;
    struct scorer st = {0}, sx = {0};
    int err;

    memset(out, 0, sizeof(*out));
    out->label = YQ_SENTIMENT_NEUTRAL;
    ts = thread_scratch();
    if (!ts) {
        return ERR_NOMEM;
    }
    err = score_part(s, ts, title, YQ_SENTIMENT_MAX_TITLE_BYTES, YQ_SENTIMENT_TITLE_WEIGHT, &st,
                     out);
    if (!err) {
        err = score_part(s, ts, text, YQ_SENTIMENT_MAX_TEXT_BYTES, 1.0, &sx, out);
    }
    if (err) {
        memset(out, 0, sizeof(*out));
        out->label = YQ_SENTIMENT_NEUTRAL;
        return err;
    }
    out->score = YQ_SENTIMENT_TITLE_WEIGHT * st.total + sx.total;
    if (out->score <= -YQ_SENTIMENT_THRESHOLD) {
        out->label = YQ_SENTIMENT_NEGATIVE;
    } else if (out->score >= YQ_SENTIMENT_THRESHOLD) {
        out->label = YQ_SENTIMENT_POSITIVE;
    }
    {
        const struct scorer *w = NULL;
        if (st.have_strongest && (!sx.have_strongest || st.strongest >= sx.strongest)) {
            w = &st;
        } else if (sx.have_strongest) {
            w = &sx;
        }
        if (w) {
            snprintf(out->strongest, sizeof(out->strongest), "%s",
                     term_db_normalised(s->db, w->strongest_term));
        }
    }
    return 0;
}

const char *yq_sentiment_name(enum yq_sentiment_label label)
{
    switch (label) {
    case YQ_SENTIMENT_NEGATIVE:
        return "negative";
    case YQ_SENTIMENT_POSITIVE:
        return "positive";
    case YQ_SENTIMENT_NEUTRAL:
        break;
    }
    return "neutral";
}

const char *yq_sentiment_label(enum yq_sentiment_label label)
{
    switch (label) {
    case YQ_SENTIMENT_NEGATIVE:
        return "负面";
    case YQ_SENTIMENT_POSITIVE:
        return "正面";
    case YQ_SENTIMENT_NEUTRAL:
        break;
    }
    return "中性";
}

int yq_sentiment_parse(const char *name, enum yq_sentiment_label *out)
{
    if (!name) {
        return ERR_INVALID;
    }
    if (strcmp(name, "negative") == 0) {
        *out = YQ_SENTIMENT_NEGATIVE;
    } else if (strcmp(name, "neutral") == 0) {
        *out = YQ_SENTIMENT_NEUTRAL;
    } else if (strcmp(name, "positive") == 0) {
        *out = YQ_SENTIMENT_POSITIVE;
    } else {
        return ERR_INVALID;
    }
    return 0;
}
