/* Search over the archive in the rule language (archive_query.h). */
#include "archive_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "norm.h"
#include "rule_expr.h"
#include "rules.h"
#include "yq_array.h"
#include "yq_json.h"
#include "yq_buf.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

/* The one rule a query compiles to (its id shows nowhere but in the matcher's messages). */
#define QUERY_RULE_ID "search"
/* The walk checks every this many candidates whether its hit rate can fill the page. */
#define PROBE_CHECK_ROWS 250
/* Most bytes of one CSV export (ARCHIVE_SEARCH_CSV_MAX_ROWS rows of long posts fit). */
#define CSV_MAX_BYTES (256u * 1024u * 1024u)

struct archive_query {
    char *text;
    struct rule_set *rs;          /* NULL: empty query */
    struct archive_narrow *nodes; /* n_nodes, nodes[0] the root */
    size_t n_nodes;
    const struct archive_narrow **kids; /* every node's kids, one array */
    char **terms;                       /* normalised terms of TERM nodes (owned) */
    size_t n_terms;
    const struct archive_narrow *root; /* NULL: narrows nothing */
};

/* ------------------------------------------------------------ compile */

static void count_nodes(const struct rule_narrow *n, size_t *nodes, size_t *kids)
{
    (*nodes)++;
    *kids += n->n_kids;
    for (size_t i = 0; i < n->n_kids; i++) {
        count_nodes(n->kids[i], nodes, kids);
    }
}

/* Copy n into q's arrays at node index *next_node; TERM nodes get their normalised term. */
static int convert(struct archive_query *q, const struct rule_expr *e, const struct norm *nm,
                   const struct rule_narrow *n, size_t *next_node, size_t *next_kid,
                   struct archive_narrow **out)
{
    struct archive_narrow *an = &q->nodes[(*next_node)++];
    int err;

    *out = an;
    switch (n->kind) {
    case RULE_NARROW_TERM:
        an->kind = ARCHIVE_NARROW_TERM;
        err = norm_string(nm, rule_expr_term(e, n->term), &q->terms[q->n_terms]);
        if (err) {
            return err;
        }
        an->term = q->terms[q->n_terms++];
        return 0;
    case RULE_NARROW_AND:
    case RULE_NARROW_OR: {
        size_t first = *next_kid;
        an->kind = n->kind == RULE_NARROW_AND ? ARCHIVE_NARROW_AND : ARCHIVE_NARROW_OR;
        *next_kid += n->n_kids;
        an->kids = &q->kids[first];
        an->n_kids = n->n_kids;
        for (size_t i = 0; i < n->n_kids; i++) {
            struct archive_narrow *kid;
            err = convert(q, e, nm, n->kids[i], next_node, next_kid, &kid);
            if (err) {
                return err;
            }
            q->kids[first + i] = kid;
        }
        return 0;
    }
    case RULE_NARROW_TRUE:
    default:
        return ERR_INVALID; /* rule_expr_narrow() simplifies TRUE away below the root */
    }
}

/* q->root from the compiled rule's expression. */
static int build_narrow(struct archive_query *q, char *errbuf, size_t errlen)
{
    const struct rule_expr *e = q->rs->rules[0].expr;
    struct rule_narrow *rn = NULL;
    const struct norm *nm;
    size_t n_nodes = 0, n_kids = 0, next_node = 0, next_kid = 0;
    struct archive_narrow *root;
    int err;

    err = norm_global(&nm, errbuf, errlen);
    if (err) {
        return err;
    }
    err = rule_expr_narrow(e, &rn);
    if (err) {
        snprintf(errbuf, errlen, "search: out of memory");
        return err;
    }
    if (rn->kind == RULE_NARROW_TRUE) {
        rule_narrow_free(rn);
        return 0;
    }
    count_nodes(rn, &n_nodes, &n_kids);
    q->nodes = calloc(n_nodes, sizeof(*q->nodes));
    q->kids = calloc(n_kids ? n_kids : 1, sizeof(*q->kids));
    q->terms = calloc(n_nodes, sizeof(*q->terms));
    if (!q->nodes || !q->kids || !q->terms) {
        rule_narrow_free(rn);
        snprintf(errbuf, errlen, "search: out of memory");
        return ERR_NOMEM;
    }
    q->n_nodes = n_nodes;
    err = convert(q, e, nm, rn, &next_node, &next_kid, &root);
    rule_narrow_free(rn);
    if (err) {
        snprintf(errbuf, errlen, "search: %s", yq_strerror(err));
        return err;
    }
    q->root = root;
    return 0;
}

static bool blank_text(const char *s)
{
    for (; *s; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r' && *s != '\f' && *s != '\v') {
            /* U+3000 counts as white space in the rule language */
            if (strncmp(s, "\xE3\x80\x80", 3) != 0) {
                return false;
            }
            s += 2;
        }
    }
    return true;
}

/* The matcher's one-rule set for text (already checked by rule_expr_compile()). */
static int build_rule_set(struct archive_query *q, char *errbuf, size_t errlen)
{
    json_t *doc = json_pack("{s:i, s:[{s:s, s:s, s:s, s:s, s:s, s:s}]}", "version", 0, "rules",
                            "id", QUERY_RULE_ID, "name", "检索", "department", "-", "level", "IV",
                            "scope", "all", "expr", q->text);
    char *json = doc ? yq_json_dumps(doc, JSON_COMPACT) : NULL;
    char why[512] = "";
    int err;

    json_decref(doc);
    if (!json) {
        snprintf(errbuf, errlen, "search: out of memory");
        return ERR_NOMEM;
    }
    err = rule_set_decode_written(json, strlen(json), &q->rs, why, sizeof(why));
    free(json);
    if (err) {
        /* "rule set JSON rules[0]: rule 'search': term N of the expression has only ..." */
        const char *term = strstr(why, "term ");
        if (term && err == ERR_INVALID) {
            snprintf(errbuf, errlen, "%s", term);
        } else {
            snprintf(errbuf, errlen, "%s", why);
        }
    }
    return err;
}

int archive_query_compile(const char *text, struct archive_query **out, char *errbuf, size_t errlen)
{
    struct archive_query *q;
    struct rule_expr *e = NULL;
    int err;

    *out = NULL;
    if (errbuf && errlen) {
        errbuf[0] = '\0';
    }
    if (!text) {
        text = "";
    }
    if (!blank_text(text)) {
        /* the matcher's own message, "column N: reason" */
        err = rule_expr_compile(text, &e, errbuf, errlen);
        rule_expr_free(e);
        if (err) {
            return err;
        }
    }
    q = calloc(1, sizeof(*q));
    if (!q || !(q->text = strdup(text))) {
        free(q);
        snprintf(errbuf, errlen, "search: out of memory");
        return ERR_NOMEM;
    }
    if (!blank_text(text)) {
        err = build_rule_set(q, errbuf, errlen);
        if (!err) {
            err = build_narrow(q, errbuf, errlen);
        }
        if (err) {
            archive_query_free(q);
            return err;
        }
    }
    *out = q;
    return 0;
}

void archive_query_free(struct archive_query *q)
{
    if (!q) {
        return;
    }
    for (size_t i = 0; i < q->n_terms; i++) {
        free(q->terms[i]);
    }
    free(q->terms);
    free(q->kids);
    free(q->nodes);
    rule_set_free(q->rs);
    free(q->text);
    free(q);
}

const struct archive_narrow *archive_query_narrow(const struct archive_query *q)
{
    return q->root;
}

const char *archive_query_text(const struct archive_query *q)
{
    return q->text;
}

/* ------------------------------------------------------------ rows and hits */

static int dup_str(char **dst, const char *src)
{
    *dst = NULL;
    if (!src) {
        return 0;
    }
    *dst = strdup(src);
    return *dst ? 0 : ERR_NOMEM;
}

/* Deep copy of src into dst (zeroed first; archive_row_release()). */
static int row_copy(struct archive_row *dst, const struct archive_row *src)
{
    memset(dst, 0, sizeof(*dst));
    if (yq_item_copy(&dst->item, &src->item)) {
        memset(dst, 0, sizeof(*dst));
        return ERR_NOMEM;
    }
    dst->time_s = src->time_s;
    dst->archived_at = src->archived_at;
    dst->heat = src->heat;
    dst->has_sentiment = src->has_sentiment;
    dst->sentiment = src->sentiment;
    dst->sentiment_score = src->sentiment_score;
    if (src->n_matches) {
        dst->matches = calloc(src->n_matches, sizeof(*dst->matches));
        if (!dst->matches) {
            archive_row_release(dst);
            return ERR_NOMEM;
        }
        dst->n_matches = src->n_matches;
        for (size_t i = 0; i < src->n_matches; i++) {
            const struct archive_match *s = &src->matches[i];
            struct archive_match *d = &dst->matches[i];
            *d = *s;
            d->rule_id = d->rule_group = d->department = d->event_key = NULL;
            if (dup_str(&d->rule_id, s->rule_id) || dup_str(&d->rule_group, s->rule_group) ||
                dup_str(&d->department, s->department) || dup_str(&d->event_key, s->event_key)) {
                archive_row_release(dst);
                return ERR_NOMEM;
            }
        }
    }
    return 0;
}

static int cmp_span(const void *a, const void *b)
{
    const struct archive_span *x = a, *y = b;
    if (x->start != y->start) {
        return x->start < y->start ? -1 : 1;
    }
    return x->end < y->end ? -1 : x->end > y->end;
}

/* Sort spans and merge overlapping ones; returns the new count. */
static size_t merge_spans(struct archive_span *s, size_t n)
{
    size_t w = 0;
    if (n == 0) {
        return 0;
    }
    qsort(s, n, sizeof(*s), cmp_span);
    for (size_t i = 1; i < n; i++) {
        if (s[i].start <= s[w].end) {
            if (s[i].end > s[w].end) {
                s[w].end = s[i].end;
            }
        } else {
            s[++w] = s[i];
        }
    }
    return w + 1;
}

/* The highlights of mr's one rule into h (title and text spans). */
static int hit_spans(const struct match_result *mr, struct archive_hit *h)
{
    const struct match_rule *r;
    if (!mr || mr->n_rules == 0) {
        return 0;
    }
    r = &mr->rules[0];
    h->title = calloc(r->n_hits ? r->n_hits : 1, sizeof(*h->title));
    h->text = calloc(r->n_hits ? r->n_hits : 1, sizeof(*h->text));
    if (!h->title || !h->text) {
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < r->n_hits; i++) {
        const struct match_hit *mh = &r->hits[i];
        struct archive_span sp = {mh->start, mh->end};
        if (mh->field == MATCH_FIELD_TITLE) {
            h->title[h->n_title++] = sp;
        } else {
            h->text[h->n_text++] = sp;
        }
    }
    h->n_title = merge_spans(h->title, h->n_title);
    h->n_text = merge_spans(h->text, h->n_text);
    if (h->n_title > ARCHIVE_SEARCH_MAX_SPANS) {
        h->n_title = ARCHIVE_SEARCH_MAX_SPANS;
    }
    if (h->n_text > ARCHIVE_SEARCH_MAX_SPANS) {
        h->n_text = ARCHIVE_SEARCH_MAX_SPANS;
    }
    return 0;
}

static void hit_release(struct archive_hit *h)
{
    archive_row_release(&h->row);
    free(h->title);
    free(h->text);
    memset(h, 0, sizeof(*h));
}

void archive_search_result_release(struct archive_search_result *r)
{
    if (!r) {
        return;
    }
    for (size_t i = 0; i < r->n_hits; i++) {
        hit_release(&r->hits[i]);
    }
    free(r->hits);
    memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------ the search */

/* What a page's hit is handed to: copied into a result, or written as CSV. */
typedef int (*hit_visit_fn)(const struct archive_row *row, const struct match_result *mr,
                            void *arg);

/* A heat-sort key of one hit. */
struct heat_key {
    int64_t heat;
    int64_t time_s;
    char *id;
};

struct run {
    const struct archive_query *q;
    struct match_scratch *ms;
    size_t offset, limit, count_cap, heat_cap, scan_cap;
    enum archive_sort sort;
    hit_visit_fn visit;
    void *visit_arg;
    struct archive_search_result *res;
    size_t emitted;
    struct heat_key *keys; /* heat sort */
    size_t n_keys, cap_keys;
    bool stopped; /* time sort: stopped at the count cap or the walk's budget */
    /* time sort: the walk in time order without the index (see archive_query.h "Plans") */
    bool probing;
    bool probe_failed;       /* the walk would not fill the page in its budget: use the index */
    size_t probe_rows;       /* the walk's budget of candidates */
    size_t phase_candidates; /* candidates of the current plan (the caps count these) */
    int err;                 /* a visitor's or matcher's error */
};

/*
 * Decide row with the matcher: *hit, and mr filled (release it). An empty query admits every
 * row with no highlights.
 */
static int decide(struct run *r, const struct archive_row *row, struct match_result *mr, bool *hit)
{
    int err;
    memset(mr, 0, sizeof(*mr));
    if (!r->q->rs) {
        *hit = true;
        return 0;
    }
    err = match_item(r->q->rs, r->ms, &row->item, mr);
    *hit = err == 0 && mr->n_rules > 0;
    return err;
}

static int on_row(const struct archive_row *row, void *arg)
{
    struct run *r = arg;
    struct match_result mr;
    bool hit = false;
    int err;

    if (r->phase_candidates >= r->scan_cap) {
        r->res->scan_capped = true;
        return 1;
    }
    if (r->probing && (r->phase_candidates >= r->probe_rows ||
                       (r->phase_candidates > 0 && r->phase_candidates % PROBE_CHECK_ROWS == 0))) {
        size_t need = r->offset + r->limit;
        if (r->emitted >= r->limit) {
            if (r->phase_candidates >= r->probe_rows) {
                r->stopped = true; /* page filled, budget spent: the total is "at least" */
                return 1;
            }
        } else if (r->phase_candidates >= r->probe_rows ||
                   r->res->total * r->probe_rows < need * r->phase_candidates) {
            /* at this hit rate the budget would not fill the page: the index decides */
            r->probe_failed = true;
            return 1;
        }
    }
    r->phase_candidates++;
    r->res->candidates++;
    err = decide(r, row, &mr, &hit);
    if (err || !hit) {
        match_result_release(&mr);
        r->err = err;
        return err;
    }
    if (r->sort == ARCHIVE_SORT_HEAT) {
        match_result_release(&mr);
        if (r->n_keys >= r->heat_cap) {
            r->res->heat_capped = true;
            return 1;
        }
        err = yq_array_reserve(&r->keys, &r->cap_keys, r->n_keys + 1, sizeof(*r->keys));
        if (err) {
            r->err = err;
            return err;
        }
        r->keys[r->n_keys].heat = row->heat;
        r->keys[r->n_keys].time_s = row->time_s;
        r->keys[r->n_keys].id = strdup(row->item.id ? row->item.id : "");
        if (!r->keys[r->n_keys].id) {
            r->err = ERR_NOMEM;
            return ERR_NOMEM;
        }
        r->n_keys++;
        return 0;
    }
    r->res->total++;
    if (r->res->total > r->offset && r->emitted < r->limit) {
        err = r->visit(row, &mr, r->visit_arg);
        r->emitted++;
    }
    match_result_release(&mr);
    if (err) {
        r->err = err;
        return err;
    }
    if (r->emitted >= r->limit && r->res->total >= r->count_cap) {
        r->stopped = true;
        return 1; /* page filled and enough counted: the total is "at least" */
    }
    return 0;
}

static int cmp_heat(const void *a, const void *b)
{
    const struct heat_key *x = a, *y = b;
    if (x->heat != y->heat) {
        return x->heat > y->heat ? -1 : 1;
    }
    if (x->time_s != y->time_s) {
        return x->time_s > y->time_s ? -1 : 1;
    }
    return strcmp(x->id, y->id);
}

/* Heat sort: rank the collected keys, fetch and visit the page's rows. */
static int heat_page(struct archive *a, struct run *r, char *errbuf, size_t errlen)
{
    int err = 0;

    qsort(r->keys, r->n_keys, sizeof(*r->keys), cmp_heat);
    r->res->total = r->n_keys;
    for (size_t i = r->offset; i < r->n_keys && r->emitted < r->limit && !err; i++) {
        struct archive_row row;
        struct match_result mr;
        bool hit = false;

        memset(&row, 0, sizeof(row));
        err = archive_get(a, r->keys[i].id, &row, errbuf, errlen);
        if (err == ERR_NOT_FOUND) {
            err = 0; /* pruned since the scan: skip */
            continue;
        }
        if (!err) {
            err = decide(r, &row, &mr, &hit);
            if (!err) {
                err = r->visit(&row, &mr, r->visit_arg);
                r->emitted++;
            }
            match_result_release(&mr);
        }
        archive_row_release(&row);
    }
    return err;
}

/* Forget the hits of a failed walk (archive_search()'s result) before the indexed scan. */
static void reset_hits(struct archive_search_result *res)
{
    for (size_t i = 0; i < res->n_hits; i++) {
        hit_release(&res->hits[i]);
    }
    res->n_hits = 0;
    res->total = 0;
    res->scan_capped = false;
}

/*
 * The search with visit called for each hit of the page. may_walk: the visitor's hits can be
 * forgotten (reset_hits()), so the time sort may try the walk first.
 */
static int run_search(struct archive *a, const struct archive_query *q,
                      const struct archive_search_opts *o, size_t limit, hit_visit_fn visit,
                      void *visit_arg, bool may_walk, struct archive_search_result *res,
                      char *errbuf, size_t errlen)
{
    static const struct archive_search_opts defaults;
    struct archive_filter f;
    struct run r;
    int err;

    if (!o) {
        o = &defaults;
    }
    if (o->offset > ARCHIVE_SEARCH_MAX_OFFSET) {
        snprintf(errbuf, errlen, "offset above %d", ARCHIVE_SEARCH_MAX_OFFSET);
        return ERR_INVALID;
    }
    memset(&r, 0, sizeof(r));
    r.q = q;
    r.offset = o->offset;
    r.limit = limit;
    r.sort = o->sort;
    r.count_cap = o->count_cap ? o->count_cap : ARCHIVE_SEARCH_COUNT_CAP;
    r.heat_cap = o->heat_cap ? o->heat_cap : ARCHIVE_SEARCH_HEAT_CAP;
    r.scan_cap = o->scan_cap ? o->scan_cap : ARCHIVE_SEARCH_SCAN_CAP;
    r.visit = visit;
    r.visit_arg = visit_arg;
    r.res = res;
    if (q->rs && !(r.ms = match_scratch_new())) {
        snprintf(errbuf, errlen, "search: out of memory");
        return ERR_NOMEM;
    }
    r.probe_rows = o->probe_rows ? o->probe_rows : ARCHIVE_SEARCH_PROBE_ROWS;
    f = o->filter;
    f.narrow = q->root;
    f.order = ARCHIVE_NEWEST_FIRST;
    if (may_walk && q->root && o->sort == ARCHIVE_SORT_TIME && !o->index_only) {
        r.probing = true;
        res->walked = true;
        f.narrow = NULL;
        err = archive_scan(a, &f, on_row, &r, errbuf, errlen);
        if (!err && r.probe_failed) {
            reset_hits(res);
            r.probing = false;
            r.probe_failed = false;
            r.stopped = false;
            r.emitted = 0;
            r.phase_candidates = 0;
            res->walked = false;
            f.narrow = q->root;
            err = archive_scan(a, &f, on_row, &r, errbuf, errlen);
        }
    } else {
        err = archive_scan(a, &f, on_row, &r, errbuf, errlen);
    }
    if (err && r.err == err) {
        snprintf(errbuf, errlen, "search: %s", yq_strerror(err));
    }
    if (!err) {
        /* a scan stopped early (count, heat or scan cap) cannot tell whether more followed */
        res->total_exact = !res->scan_capped && !res->heat_capped && !r.stopped;
        if (r.sort == ARCHIVE_SORT_HEAT) {
            err = heat_page(a, &r, errbuf, errlen);
        }
    }
    for (size_t i = 0; i < r.n_keys; i++) {
        free(r.keys[i].id);
    }
    free(r.keys);
    match_scratch_free(r.ms);
    return err;
}

/* Visitor of archive_search(): copy the hit into the result. */
static int collect_hit(const struct archive_row *row, const struct match_result *mr, void *arg)
{
    struct archive_search_result *res = arg;
    struct archive_hit *h = &res->hits[res->n_hits];
    int err;

    memset(h, 0, sizeof(*h));
    err = row_copy(&h->row, row);
    if (!err) {
        err = hit_spans(mr, h);
    }
    if (err) {
        hit_release(h);
        return err;
    }
    res->n_hits++;
    return 0;
}

int archive_search(struct archive *a, const struct archive_query *q,
                   const struct archive_search_opts *o, struct archive_search_result *out,
                   char *errbuf, size_t errlen)
{
    size_t limit = o && o->limit ? o->limit : ARCHIVE_SEARCH_DEFAULT_LIMIT;
    int err;

    memset(out, 0, sizeof(*out));
    if (limit > ARCHIVE_SEARCH_MAX_LIMIT) {
        snprintf(errbuf, errlen, "limit above %d", ARCHIVE_SEARCH_MAX_LIMIT);
        return ERR_INVALID;
    }
    out->hits = calloc(limit, sizeof(*out->hits));
    if (!out->hits) {
        snprintf(errbuf, errlen, "search: out of memory");
        return ERR_NOMEM;
    }
    err = run_search(a, q, o, limit, collect_hit, out, true, out, errbuf, errlen);
    return err;
}

/* ------------------------------------------------------------ JSON */

static json_t *spans_json(const struct archive_span *s, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        if (json_array_append_new(
                arr, json_pack("[I, I]", (json_int_t)s[i].start, (json_int_t)s[i].end))) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return arr;
}

json_t *archive_hit_json(const struct archive_hit *h)
{
    json_t *obj = yq_item_to_json(&h->row.item), *matches = json_array();
    char tbuf[32];
    int rc = obj && matches ? 0 : -1;

    for (size_t i = 0; rc == 0 && i < h->row.n_matches; i++) {
        const struct archive_match *m = &h->row.matches[i];
        rc = json_array_append_new(
            matches, json_pack("{s:s, s:s, s:s, s:s, s:s}", "rule_id", m->rule_id ? m->rule_id : "",
                               "rule_group", m->rule_group ? m->rule_group : "", "department",
                               m->department ? m->department : "", "level", yq_level_name(m->level),
                               "event_key", m->event_key ? m->event_key : ""));
    }
    if (rc == 0) {
        rc |= json_object_set_new(
            obj, "time", json_string(yq_time_format_utc(h->row.time_s, tbuf, sizeof(tbuf))));
        rc |= json_object_set_new(obj, "heat", json_integer(h->row.heat));
        rc |= json_object_set_new(
            obj, "sentiment",
            h->row.has_sentiment ? json_string(yq_sentiment_name(h->row.sentiment)) : json_null());
        rc |= json_object_set(obj, "matches", matches);
        rc |= json_object_set_new(obj, "highlights",
                                  json_pack("{s:o, s:o}", "title", spans_json(h->title, h->n_title),
                                            "text", spans_json(h->text, h->n_text)));
    }
    json_decref(matches);
    if (rc) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* ------------------------------------------------------------ CSV */

int archive_csv_field(struct yq_buf *b, const char *s)
{
    bool quote, guard;
    int err = 0;

    if (!s) {
        s = "";
    }
    guard =
        s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
    quote = strpbrk(s, "\",\r\n") != NULL;
    if (quote) {
        err = yq_buf_addc(b, '"');
    }
    if (!err && guard) {
        err = yq_buf_addc(b, '\'');
    }
    for (const char *p = s; !err && *p; p++) {
        err = *p == '"' ? yq_buf_add(b, "\"\"", 2) : yq_buf_addc(b, *p);
    }
    if (!err && quote) {
        err = yq_buf_addc(b, '"');
    }
    return err;
}

struct csv_run {
    struct yq_buf *b;
    size_t rows;
};

/* Distinct values of one match field, joined with ';'. */
static int csv_joined(struct yq_buf *tmp, const struct archive_row *row, bool events)
{
    yq_buf_reset(tmp);
    for (size_t i = 0; i < row->n_matches; i++) {
        const char *v = events ? row->matches[i].event_key : row->matches[i].rule_id;
        bool seen = false;
        if (!v || !v[0]) {
            continue;
        }
        for (size_t j = 0; j < i && !seen; j++) {
            const char *w = events ? row->matches[j].event_key : row->matches[j].rule_id;
            seen = w && strcmp(v, w) == 0;
        }
        if (seen) {
            continue;
        }
        if ((tmp->len && yq_buf_addc(tmp, ';')) || yq_buf_adds(tmp, v)) {
            return ERR_NOMEM;
        }
    }
    return 0;
}

static int csv_row(const struct archive_row *row, const struct match_result *mr, void *arg)
{
    struct csv_run *c = arg;
    const struct yq_item *it = &row->item;
    char tbuf[32], heat[32];
    struct yq_buf tmp;
    int err = 0;
    const char *sentiment = row->has_sentiment ? yq_sentiment_label(row->sentiment) : "";
    const char *cells[] = {yq_time_format_shanghai(row->time_s, tbuf, sizeof(tbuf)),
                           it->source,
                           it->source_id,
                           it->channel,
                           it->author,
                           it->title,
                           it->text,
                           it->url};

    (void)mr;
    snprintf(heat, sizeof(heat), "%lld", (long long)row->heat);
    for (size_t i = 0; !err && i < sizeof(cells) / sizeof(cells[0]); i++) {
        err = archive_csv_field(c->b, cells[i]);
        if (!err) {
            err = yq_buf_addc(c->b, ',');
        }
    }
    yq_buf_init(&tmp, 1u << 20);
    if (!err) {
        err = archive_csv_field(c->b, heat);
    }
    if (!err) {
        err = yq_buf_addc(c->b, ',');
    }
    if (!err) {
        err = archive_csv_field(c->b, sentiment);
    }
    for (int k = 0; k < 2 && !err; k++) {
        err = yq_buf_addc(c->b, ',');
        if (!err) {
            err = csv_joined(&tmp, row, k == 1);
        }
        if (!err) {
            err = archive_csv_field(c->b, tmp.data ? tmp.data : "");
        }
    }
    yq_buf_release(&tmp);
    if (!err) {
        err = yq_buf_add(c->b, "\r\n", 2);
    }
    if (!err) {
        c->rows++;
    }
    return err;
}

int archive_search_csv(struct archive *a, const struct archive_query *q,
                       const struct archive_search_opts *o, size_t max_rows, char **out,
                       size_t *out_len, size_t *n_rows, char *errbuf, size_t errlen)
{
    static const char header[] =
        "时间,来源类型,来源,账号,作者,标题,正文,链接,热度,情感,命中规则,事件\r\n";
    struct archive_search_result res;
    struct yq_buf b;
    struct csv_run c = {&b, 0};
    int err;

    *out = NULL;
    *out_len = 0;
    if (n_rows) {
        *n_rows = 0;
    }
    if (max_rows == 0 || max_rows > ARCHIVE_SEARCH_CSV_MAX_ROWS) {
        max_rows = ARCHIVE_SEARCH_CSV_MAX_ROWS;
    }
    memset(&res, 0, sizeof(res));
    yq_buf_init(&b, CSV_MAX_BYTES);
    err = yq_buf_adds(&b, header);
    if (!err) {
        err = run_search(a, q, o, max_rows, csv_row, &c, false, &res, errbuf, errlen);
    } else {
        snprintf(errbuf, errlen, "search: out of memory");
    }
    if (!err && !(*out = yq_buf_steal(&b, out_len))) {
        err = ERR_NOMEM;
    }
    if (!err) {
        if (n_rows) {
            *n_rows = c.rows;
        }
    } else if (err == ERR_TOO_BIG || err == ERR_NOMEM) {
        snprintf(errbuf, errlen, "search: CSV export %s", yq_strerror(err));
    }
    yq_buf_release(&b);
    archive_search_result_release(&res);
    return err;
}
