#include "match.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "place.h"
#include "term_find.h"
#include "yq_array.h"
#include "yq_utf8.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

/* What one field's scan found, kept in the scratch. */
struct field_scan {
    struct term_scratch *ts; /* holds the field's normalised text */
    struct match_hit *hits;  /* kept hits, in order of start, then term */
    size_t n_hits, cap_hits;
    uint32_t *seen; /* per term: generation of the item in which it was seen here */
    uint32_t *kept; /* per term: hits kept in this field (valid when seen == gen) */
};

struct match_scratch {
    struct field_scan f[2];
    uint32_t gen;       /* current item; per-term/per-rule stamps equal to it are valid */
    uint32_t place_gen; /* gen when an occurrence of a place counted (place.h) */
    uint32_t *rule_gen; /* per rule: gen when it became a candidate */
    size_t *cand;       /* candidate rules of the current item */
    size_t n_cand;
    bool *occ; /* evaluation input of one rule (terms, then NEAR atoms) */
    size_t cap_terms, cap_rules, cap_occ;
    enum match_field field; /* the field being scanned */
    int err;
};

struct match_scratch *match_scratch_new(void)
{
    struct match_scratch *ms = calloc(1, sizeof(*ms));

    if (!ms) {
        return NULL;
    }
    ms->f[0].ts = term_scratch_new();
    ms->f[1].ts = term_scratch_new();
    if (!ms->f[0].ts || !ms->f[1].ts) {
        match_scratch_free(ms);
        return NULL;
    }
    return ms;
}

void match_scratch_free(struct match_scratch *ms)
{
    if (!ms) {
        return;
    }
    for (int i = 0; i < 2; i++) {
        term_scratch_free(ms->f[i].ts);
        free(ms->f[i].hits);
        free(ms->f[i].seen);
        free(ms->f[i].kept);
    }
    free(ms->rule_gen);
    free(ms->cand);
    free(ms->occ);
    free(ms);
}

/* Grow the per-term and per-rule arrays to rs's sizes; start a new generation. */
static int prepare(struct match_scratch *ms, const struct rule_set *rs)
{
    bool reset = false;

    if (rs->n_terms > ms->cap_terms) {
        size_t n = rs->n_terms;
        for (int i = 0; i < 2; i++) {
            free(ms->f[i].seen);
            free(ms->f[i].kept);
            ms->f[i].seen = calloc(n, sizeof(uint32_t));
            ms->f[i].kept = calloc(n, sizeof(uint32_t));
            if (!ms->f[i].seen || !ms->f[i].kept) {
                ms->cap_terms = 0;
                return ERR_NOMEM;
            }
        }
        ms->cap_terms = n;
        reset = true;
    }
    if (rs->n_rules > ms->cap_rules) {
        free(ms->rule_gen);
        free(ms->cand);
        ms->rule_gen = calloc(rs->n_rules, sizeof(*ms->rule_gen));
        ms->cand = calloc(rs->n_rules, sizeof(*ms->cand));
        if (!ms->rule_gen || !ms->cand) {
            ms->cap_rules = 0;
            return ERR_NOMEM;
        }
        ms->cap_rules = rs->n_rules;
        reset = true;
    }
    if (rs->max_rule_vars > ms->cap_occ) {
        free(ms->occ);
        ms->occ = calloc(rs->max_rule_vars, sizeof(*ms->occ));
        if (!ms->occ) {
            ms->cap_occ = 0;
            return ERR_NOMEM;
        }
        ms->cap_occ = rs->max_rule_vars;
    }
    ms->gen++;
    if (ms->gen == 0 || reset) {
        /* wrapped (or fresh arrays): clear every stamp so none is mistaken for current */
        for (int i = 0; i < 2; i++) {
            memset(ms->f[i].seen, 0, ms->cap_terms * sizeof(uint32_t));
        }
        memset(ms->rule_gen, 0, ms->cap_rules * sizeof(*ms->rule_gen));
        ms->gen = 1;
    }
    ms->place_gen = 0;
    ms->n_cand = 0;
    ms->f[0].n_hits = 0;
    ms->f[1].n_hits = 0;
    return 0;
}

struct scan_ctx {
    const struct rule_set *rs;
    struct match_scratch *ms;
    struct field_scan *fs;
    enum match_field field;
};

static void add_candidates(const struct rule_set *rs, struct match_scratch *ms, size_t term)
{
    for (size_t k = rs->term_rule_start[term]; k < rs->term_rule_start[term + 1]; k++) {
        size_t r = rs->term_rules[k];
        if (ms->rule_gen[r] != ms->gen) {
            ms->rule_gen[r] = ms->gen;
            ms->cand[ms->n_cand++] = r;
        }
    }
}

static int on_hit(const struct term_hit *hit, void *opaque)
{
    struct scan_ctx *ctx = opaque;
    struct field_scan *fs = ctx->fs;
    struct match_scratch *ms = ctx->ms;
    size_t t = hit->term;
    int err;

    if (!term_hit_on_word_edges(ctx->rs->db, fs->ts, hit)) {
        return 0; /* "ai" inside "aids": no occurrence of the term */
    }
    if (ctx->rs->term_place[t] && ms->place_gen != ms->gen) {
        const struct norm_text *nt = term_scratch_text(fs->ts);
        if (place_occurrence_counts(nt->buf, nt->len, hit->nstart, hit->nend)) {
            ms->place_gen = ms->gen;
        }
    }
    if (fs->seen[t] != ms->gen) {
        fs->seen[t] = ms->gen;
        fs->kept[t] = 0;
        if (ms->f[0].seen[t] != ms->gen || ms->f[1].seen[t] != ms->gen) {
            add_candidates(ctx->rs, ms, t); /* first time in this item */
        }
    }
    if (fs->kept[t] >= MATCH_MAX_KEPT_PER_TERM) {
        return 0;
    }
    err = yq_array_reserve(&fs->hits, &fs->cap_hits, fs->n_hits + 1, sizeof(*fs->hits));
    if (err) {
        return err;
    }
    fs->hits[fs->n_hits++] = (struct match_hit){.term = t,
                                                .field = ctx->field,
                                                .start = hit->start,
                                                .end = hit->end,
                                                .nstart = hit->nstart,
                                                .nend = hit->nend};
    fs->kept[t]++;
    return 0;
}

static bool in_scope(enum rule_scope scope, enum match_field field)
{
    return scope == RULE_SCOPE_ALL || (scope == RULE_SCOPE_TITLE && field == MATCH_FIELD_TITLE) ||
           (scope == RULE_SCOPE_TEXT && field == MATCH_FIELD_TEXT);
}

/* Normalised characters strictly between two hits, or more than limit: limit + 1. */
static size_t gap_chars(const char *norm, const struct match_hit *x, const struct match_hit *y,
                        size_t limit)
{
    const struct match_hit *first = x->nstart <= y->nstart ? x : y;
    const struct match_hit *second = first == x ? y : x;
    size_t n = 0;

    if (second->nstart <= first->nend) {
        return 0; /* overlapping or adjacent */
    }
    for (size_t i = first->nend; i < second->nstart && n <= limit; n++) {
        int32_t cp;
        i += yq_utf8_next(norm + i, second->nstart - i, &cp);
    }
    return n;
}

static bool near_holds(const struct match_scratch *ms, const struct rule *r, size_t k)
{
    size_t a, b, dist;

    rule_expr_near(r->expr, k, &a, &b, &dist);
    a = r->term_ids[a];
    b = r->term_ids[b];
    for (int f = 0; f < 2; f++) {
        const struct field_scan *fs = &ms->f[f];
        const char *norm = term_scratch_text(fs->ts)->buf;

        if (!in_scope(r->scope, (enum match_field)f) || fs->seen[a] != ms->gen ||
            fs->seen[b] != ms->gen) {
            continue;
        }
        for (size_t i = 0; i < fs->n_hits; i++) {
            if (fs->hits[i].term != a) {
                continue;
            }
            for (size_t j = 0; j < fs->n_hits; j++) {
                if (fs->hits[j].term != b || (a == b && i == j)) {
                    continue;
                }
                if (gap_chars(norm, &fs->hits[i], &fs->hits[j], dist) <= dist) {
                    return true;
                }
            }
        }
    }
    return false;
}

static bool rule_true(const struct match_scratch *ms, const struct rule *r)
{
    size_t n_local = rule_expr_n_terms(r->expr), n_near = rule_expr_n_near(r->expr);
    bool title = in_scope(r->scope, MATCH_FIELD_TITLE), text = in_scope(r->scope, MATCH_FIELD_TEXT);

    for (size_t k = 0; k < n_local; k++) {
        size_t t = r->term_ids[k];
        ms->occ[k] = (title && ms->f[0].seen[t] == ms->gen) || (text && ms->f[1].seen[t] == ms->gen);
    }
    for (size_t k = 0; k < n_near; k++) {
        ms->occ[n_local + k] = near_holds(ms, r, k);
    }
    return rule_expr_eval(r->expr, ms->occ);
}

/* Copy the kept hits of the rule's positive terms (within scope, at most
 * MATCH_MAX_HITS_PER_TERM per term and field) into mrule, title first. */
static int collect_hits(const struct match_scratch *ms, const struct rule *r,
                        struct match_rule *mrule)
{
    size_t n_local = rule_expr_n_terms(r->expr);
    size_t n = 0;

    for (int pass = 0; pass < 2; pass++) {
        for (int f = 0; f < 2; f++) {
            const struct field_scan *fs = &ms->f[f];
            if (!in_scope(r->scope, (enum match_field)f)) {
                continue;
            }
            for (size_t k = 0; k < n_local; k++) {
                size_t t = r->term_ids[k];
                if (!rule_expr_term_positive(r->expr, k) || fs->seen[t] != ms->gen) {
                    continue;
                }
                /* several expression terms may share a set term: report it once */
                bool dup = false;
                for (size_t j = 0; j < k && !dup; j++) {
                    dup = r->term_ids[j] == t && rule_expr_term_positive(r->expr, j);
                }
                if (dup) {
                    continue;
                }
                size_t per = 0;
                for (size_t h = 0; h < fs->n_hits && per < MATCH_MAX_HITS_PER_TERM; h++) {
                    if (fs->hits[h].term != t) {
                        continue;
                    }
                    if (pass == 1) {
                        mrule->hits[mrule->n_hits++] = fs->hits[h];
                    }
                    per++;
                    n++;
                }
            }
        }
        if (pass == 0) {
            mrule->hits = calloc(n ? n : 1, sizeof(*mrule->hits));
            if (!mrule->hits) {
                return ERR_NOMEM;
            }
        }
    }
    /* within each field, order by start then term like the scan */
    for (size_t i = 1; i < mrule->n_hits; i++) {
        struct match_hit v = mrule->hits[i];
        size_t j = i;
        while (j > 0 && mrule->hits[j - 1].field == v.field &&
               (mrule->hits[j - 1].start > v.start ||
                (mrule->hits[j - 1].start == v.start && mrule->hits[j - 1].term > v.term))) {
            mrule->hits[j] = mrule->hits[j - 1];
            j--;
        }
        mrule->hits[j] = v;
    }
    return 0;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

int match_item(const struct rule_set *rs, struct match_scratch *ms, const struct yq_item *item,
               struct match_result *out)
{
    const char *fields[2] = {item->title ? item->title : "", item->text ? item->text : ""};
    size_t cap_rules = 0; /* of out->rules, which starts empty */
    int err;

    memset(out, 0, sizeof(*out));
    err = prepare(ms, rs);
    if (err) {
        return err;
    }
    for (int f = 0; f < 2; f++) {
        struct scan_ctx ctx = {rs, ms, &ms->f[f], (enum match_field)f};
        err = term_db_scan(rs->db, ms->f[f].ts, fields[f], strlen(fields[f]), on_hit, &ctx);
        if (err) {
            return err;
        }
    }
    for (size_t i = 0; i < rs->n_exclude; i++) {
        size_t t = rs->exclude_ids[i];
        if (ms->f[0].seen[t] == ms->gen || ms->f[1].seen[t] == ms->gen) {
            out->excluded_by = rs->exclude[i];
            return 0;
        }
    }
    /* local rules (issue #11): a place of the set named in the title or text (an occurrence
     * that counts, place.h; seen by on_hit), or a local source */
    bool local_ok = item->local || ms->place_gen == ms->gen;
    if (ms->n_cand > 1) {
        qsort(ms->cand, ms->n_cand, sizeof(*ms->cand), cmp_size);
    }
    for (size_t c = 0; c < ms->n_cand; c++) {
        const struct rule *r = &rs->rules[ms->cand[c]];
        struct match_rule *nr;

        if ((r->local && !local_ok) ||
            !rule_applies_to_source(r, item->source, item->source_id) || !rule_true(ms, r)) {
            continue;
        }
        err = yq_array_reserve(&out->rules, &cap_rules, out->n_rules + 1, sizeof(*out->rules));
        if (!err) {
            nr = &out->rules[out->n_rules++];
            memset(nr, 0, sizeof(*nr));
            nr->rule = ms->cand[c];
            err = collect_hits(ms, r, nr);
        }
        if (err) {
            match_result_release(out);
            return err;
        }
    }
    return 0;
}

void match_result_release(struct match_result *mr)
{
    if (!mr) {
        return;
    }
    for (size_t i = 0; i < mr->n_rules; i++) {
        free(mr->rules[i].hits);
    }
    free(mr->rules);
    memset(mr, 0, sizeof(*mr));
}

int match_weights_set(struct match_weights *mw, const char *name, double weight)
{
    struct match_source_weight *w;
    char *copy;

    assert(weight >= MATCH_WEIGHT_MIN && weight <= MATCH_WEIGHT_MAX);
    for (size_t i = 0; i < mw->n; i++) {
        if (strcmp(mw->w[i].name, name) == 0) {
            mw->w[i].weight = weight;
            return 0;
        }
    }
    copy = strdup(name);
    if (!copy || yq_array_reserve(&mw->w, &mw->cap, mw->n + 1, sizeof(*mw->w)) != 0) {
        free(copy);
        return ERR_NOMEM; /* one entry per configured name: never ERR_TOO_BIG */
    }
    w = &mw->w[mw->n++];
    w->name = copy;
    w->weight = weight;
    return 0;
}

void match_weights_release(struct match_weights *mw)
{
    if (!mw) {
        return;
    }
    for (size_t i = 0; i < mw->n; i++) {
        free(mw->w[i].name);
    }
    free(mw->w);
    memset(mw, 0, sizeof(*mw));
}

/* mw's entry called name, or NULL. */
static const struct match_source_weight *weight_find(const struct match_weights *mw,
                                                     const char *name)
{
    for (size_t i = 0; mw && name && i < mw->n; i++) {
        if (strcmp(mw->w[i].name, name) == 0) {
            return &mw->w[i];
        }
    }
    return NULL;
}

double match_source_weight(const struct match_weights *mw, const struct yq_item *item)
{
    const struct match_source_weight *w;

    if (!item) {
        return 1.0;
    }
    w = weight_find(mw, item->source_id);
    if (!w) {
        w = weight_find(mw, item->source);
    }
    if (w) {
        return w->weight;
    }
    if (item->source && strcmp(item->source, "weibo") == 0) {
        return 1.2;
    }
    if (item->source && strcmp(item->source, "wechat") == 0) {
        return 1.1;
    }
    return 1.0;
}

double match_score(enum yq_level level, size_t n_matched, const struct yq_item *item)
{
    return match_score_weighted(level, n_matched, item, NULL);
}

double match_score_weighted(enum yq_level level, size_t n_matched, const struct yq_item *item,
                            const struct match_weights *mw)
{
    static const double base[] = {10.0, 100.0, 70.0, 40.0, 10.0};
    double s, eng = 0.0, weight = match_source_weight(mw, item);
    size_t extra = n_matched > 1 ? n_matched - 1 : 0;

    s = (level >= YQ_LEVEL_I && level <= YQ_LEVEL_IV) ? base[level] : base[0];
    s += 5.0 * (double)(extra > 4 ? 4 : extra);
    if (item && item->metrics.known) {
        double v = 3.0 * (double)(item->metrics.reposts > 0 ? item->metrics.reposts : 0) +
                   2.0 * (double)(item->metrics.comments > 0 ? item->metrics.comments : 0) +
                   (double)(item->metrics.likes > 0 ? item->metrics.likes : 0);
        eng = 10.0 * log10(1.0 + v);
        eng = eng > 60.0 ? 60.0 : eng;
    }
    return round((s + eng) * weight * 10.0) / 10.0;
}

const char *match_field_name(enum match_field field)
{
    return field == MATCH_FIELD_TITLE ? "title" : "text";
}

int match_excerpt(const char *s, size_t start, size_t end, char **out)
{
    size_t i = 0, cp = 0, b_start, len = strlen(s);

    int32_t c;

    /* code points as norm_apply() counts them (orig_cp): a bad byte is one */
    for (; i < len && cp < start; cp++) {
        i += yq_utf8_next(s + i, len - i, &c);
    }
    b_start = i;
    for (; i < len && cp < end; cp++) {
        i += yq_utf8_next(s + i, len - i, &c);
    }
    *out = strndup(s + b_start, i - b_start);
    return *out ? 0 : ERR_NOMEM;
}

int match_build_alert(const struct rule_set *rs, const struct match_result *mr,
                      const struct yq_item *item, int64_t now, struct yq_alert *out)
{
    return match_build_alert_weighted(rs, mr, item, NULL, now, out);
}

int match_build_alert_weighted(const struct rule_set *rs, const struct match_result *mr,
                               const struct yq_item *item, const struct match_weights *mw,
                               int64_t now, struct yq_alert *out)
{
    const struct rule *top = NULL;
    const char *id = item->id ? item->id : "";

    memset(out, 0, sizeof(*out));
    if (mr->n_rules == 0) {
        return ERR_INVALID;
    }
    out->matches = calloc(mr->n_rules, sizeof(*out->matches));
    if (!out->matches) {
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < mr->n_rules; i++) {
        const struct match_rule *m = &mr->rules[i];
        const struct rule *r = &rs->rules[m->rule];
        struct yq_alert_match *am = &out->matches[i];

        out->n_matches = i + 1;
        if (!top || r->level < top->level) {
            top = r;
        }
        am->rule_id = strdup(r->id);
        am->name = strdup(r->name);
        if (r->group && r->group[0]) {
            am->group = strdup(r->group);
            if (!am->group) {
                goto nomem;
            }
        }
        am->department = strdup(r->department);
        am->level = r->level;
        am->terms = calloc(m->n_hits ? m->n_hits : 1, sizeof(*am->terms));
        if (!am->rule_id || !am->name || !am->department || !am->terms) {
            goto nomem;
        }
        for (size_t h = 0; h < m->n_hits; h++) {
            const struct match_hit *hit = &m->hits[h];
            struct yq_alert_term *t = &am->terms[h];

            t->term = strdup(rs->terms[hit->term]);
            am->n_terms = h + 1;
            if (!t->term) {
                goto nomem;
            }
            t->field = match_field_name(hit->field);
            t->start = (int64_t)hit->start;
            t->end = (int64_t)hit->end;
            const char *src = hit->field == MATCH_FIELD_TITLE ? item->title : item->text;
            if (match_excerpt(src ? src : "", hit->start, hit->end, &t->excerpt) != 0) {
                goto nomem;
            }
        }
    }
    out->event_key = malloc(strlen(id) + 4);
    if (out->event_key) {
        snprintf(out->event_key, strlen(id) + 4, "ev:%s", id);
    }
    out->department = strdup(top->department);
    if (!out->event_key || !out->department || yq_item_copy(&out->item, item) != 0) {
        goto nomem;
    }
    out->event_new = true;
    out->event_items = 1;
    out->rules_version = rs->version;
    out->matched_at = now;
    out->matched_at_ms = yq_time_stamp_ms(now); /* issue #16 */
    out->level = top->level;
    out->score = match_score_weighted(top->level, mr->n_rules, item, mw);
    return 0;
nomem:
    yq_alert_release(out);
    return ERR_NOMEM;
}
