#include "match.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_banned.h"

/* What one field's scan found. */
struct field_scan {
    enum match_field field;
    bool *occurred;         /* per set term */
    size_t *count;          /* per set term: hits stored */
    struct match_hit *hits; /* in order of start, then term */
    size_t n_hits, cap_hits;
};

static int on_hit(const struct term_hit *hit, void *opaque)
{
    struct field_scan *fs = opaque;

    fs->occurred[hit->term] = true;
    if (fs->count[hit->term] >= MATCH_MAX_HITS_PER_TERM) {
        return 0;
    }
    if (fs->n_hits == fs->cap_hits) {
        size_t ncap = fs->cap_hits ? fs->cap_hits * 2 : 32;
        struct match_hit *nh = realloc(fs->hits, ncap * sizeof(*nh));
        if (!nh) {
            return ERR_NOMEM;
        }
        fs->hits = nh;
        fs->cap_hits = ncap;
    }
    fs->hits[fs->n_hits++] = (struct match_hit){
        .term = hit->term, .field = fs->field, .start = hit->start, .end = hit->end};
    fs->count[hit->term]++;
    return 0;
}

static int scan_field(const struct rule_set *rs, const char *text, struct field_scan *fs)
{
    fs->occurred = calloc(rs->n_terms ? rs->n_terms : 1, sizeof(*fs->occurred));
    fs->count = calloc(rs->n_terms ? rs->n_terms : 1, sizeof(*fs->count));
    if (!fs->occurred || !fs->count) {
        return ERR_NOMEM;
    }
    if (!text) {
        return 0;
    }
    return term_db_scan(rs->db, text, strlen(text), on_hit, fs);
}

static void field_scan_release(struct field_scan *fs)
{
    free(fs->occurred);
    free(fs->count);
    free(fs->hits);
}

static bool in_scope(enum rule_scope scope, enum match_field field)
{
    return scope == RULE_SCOPE_ALL || (scope == RULE_SCOPE_TITLE && field == MATCH_FIELD_TITLE) ||
           (scope == RULE_SCOPE_TEXT && field == MATCH_FIELD_TEXT);
}

/* Copy the hits of the rule's positive terms (within its scope) into mrule. */
static int collect_hits(const struct rule *r, const struct field_scan *scans, size_t n_scans,
                        struct match_rule *mrule)
{
    size_t n_local = rule_expr_n_terms(r->expr);
    size_t n = 0;

    for (int pass = 0; pass < 2; pass++) {
        for (size_t f = 0; f < n_scans; f++) {
            if (!in_scope(r->scope, scans[f].field)) {
                continue;
            }
            for (size_t h = 0; h < scans[f].n_hits; h++) {
                const struct match_hit *hit = &scans[f].hits[h];
                for (size_t k = 0; k < n_local; k++) {
                    if (r->term_ids[k] == hit->term && rule_expr_term_positive(r->expr, k)) {
                        if (pass == 1) {
                            mrule->hits[mrule->n_hits++] = *hit;
                        }
                        n++;
                        break;
                    }
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
    return 0;
}

int match_item(const struct rule_set *rs, const struct yq_item *item, struct match_result *out)
{
    struct field_scan scans[2];
    bool occ[RULE_EXPR_MAX_TERMS];
    int err;

    memset(out, 0, sizeof(*out));
    memset(scans, 0, sizeof(scans));
    scans[0].field = MATCH_FIELD_TITLE;
    scans[1].field = MATCH_FIELD_TEXT;
    err = scan_field(rs, item->title, &scans[0]);
    if (!err) {
        err = scan_field(rs, item->text, &scans[1]);
    }
    if (err) {
        goto done;
    }
    for (size_t i = 0; i < rs->n_exclude; i++) {
        size_t t = rs->exclude_ids[i];
        if (scans[0].occurred[t] || scans[1].occurred[t]) {
            out->excluded_by = rs->exclude[i];
            goto done;
        }
    }
    for (size_t i = 0; i < rs->n_rules; i++) {
        const struct rule *r = &rs->rules[i];
        size_t n_local = rule_expr_n_terms(r->expr);

        if (!rule_applies_to_source(r, item->source, item->source_id)) {
            continue;
        }
        for (size_t k = 0; k < n_local; k++) {
            size_t t = r->term_ids[k];
            occ[k] = (in_scope(r->scope, MATCH_FIELD_TITLE) && scans[0].occurred[t]) ||
                     (in_scope(r->scope, MATCH_FIELD_TEXT) && scans[1].occurred[t]);
        }
        if (!rule_expr_eval(r->expr, occ)) {
            continue;
        }
        struct match_rule *nr = realloc(out->rules, (out->n_rules + 1) * sizeof(*nr));
        if (!nr) {
            err = ERR_NOMEM;
            goto done;
        }
        out->rules = nr;
        memset(&nr[out->n_rules], 0, sizeof(*nr));
        nr[out->n_rules].rule = i;
        out->n_rules++;
        err = collect_hits(r, scans, 2, &nr[out->n_rules - 1]);
        if (err) {
            goto done;
        }
    }
done:
    field_scan_release(&scans[0]);
    field_scan_release(&scans[1]);
    return err;
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

double match_score(enum yq_level level, size_t n_matched)
{
    return (double)(5 - (int)level) * 10.0 + (double)n_matched;
}

const char *match_field_name(enum match_field field)
{
    return field == MATCH_FIELD_TITLE ? "title" : "text";
}

int match_build_alert(const struct rule_set *rs, const struct match_result *mr,
                      const struct yq_item *item, int64_t now, struct yq_alert *out)
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
        am->department = strdup(r->department);
        am->level = r->level;
        am->terms = calloc(m->n_hits ? m->n_hits : 1, sizeof(*am->terms));
        if (!am->rule_id || !am->name || !am->department || !am->terms) {
            goto nomem;
        }
        for (size_t h = 0; h < m->n_hits; h++) {
            struct yq_alert_term *t = &am->terms[h];
            t->term = strdup(rs->terms[m->hits[h].term]);
            if (!t->term) {
                goto nomem;
            }
            am->n_terms = h + 1;
            t->field = match_field_name(m->hits[h].field);
            t->start = (int64_t)m->hits[h].start;
            t->end = (int64_t)m->hits[h].end;
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
    out->level = top->level;
    out->score = match_score(top->level, mr->n_rules);
    return 0;
nomem:
    yq_alert_release(out);
    return ERR_NOMEM;
}
