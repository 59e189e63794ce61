/*
 * What the backtest matches and reads (archive_backtest_int.h): the combined set that serves
 * both rule sets in one match per item, and the index narrowing by their positive terms.
 */
#include "archive_backtest_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "norm.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_banned.h"

/* --- one match for both sets ---------------------------------------------------------- */

#define COMB_LIVE_PREFIX "\x1flive\x1f" /* ids of the live copies: no rule file can write it */

/* Append live's groups that dj lacks (the combined set names every rule's group). */
static int merge_groups(json_t *dj, const json_t *lj)
{
    json_t *dg = json_object_get(dj, "groups"), *v, *w;
    size_t i, k;

    if (!json_is_array(dg)) {
        return 0;
    }
    json_array_foreach(json_object_get(lj, "groups"), i, v)
    {
        bool seen = false;
        json_array_foreach(dg, k, w)
        {
            seen = seen || json_equal(v, w);
        }
        if (!seen && json_array_append(dg, v) != 0) {
            return ERR_NOMEM;
        }
    }
    return 0;
}

/* True when a and b hold the same strings (as sets; each list is distinct already). */
static bool same_strings(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb) {
        return false;
    }
    for (size_t i = 0; i < na; i++) {
        bool found = false;
        for (size_t k = 0; k < nb && !found; k++) {
            found = strcmp(a[i], b[k]) == 0;
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

int backtest_combined_build(struct backtest_combined *run)
{
    const struct rule_set *d = run->draft, *l = run->live;
    char *dtext = NULL, *ltext = NULL, *ctext = NULL, err[256];
    json_t *dj = NULL, *lj = NULL;
    size_t n_extra = 0;
    int rc = ERR_NOMEM;

    if (!l || !same_strings(d->exclude, d->n_exclude, l->exclude, l->n_exclude) ||
        !same_strings(d->places, d->n_places, l->places, l->n_places)) {
        return 0;
    }
    run->comb_draft = malloc((d->n_rules + l->n_rules + 1) * sizeof(*run->comb_draft));
    run->comb_live = malloc((d->n_rules + l->n_rules + 1) * sizeof(*run->comb_live));
    if (!run->comb_draft || !run->comb_live || rule_set_encode(d, &dtext, NULL) != 0 ||
        rule_set_encode(l, &ltext, NULL) != 0 || !(dj = json_loads(dtext, 0, NULL)) ||
        !(lj = json_loads(ltext, 0, NULL))) {
        goto done;
    }
    for (size_t k = 0; k < d->n_rules; k++) {
        run->comb_draft[k] = k;
        run->comb_live[k] = SIZE_MAX;
    }
    {
        json_t *drules = json_object_get(dj, "rules"), *lrules = json_object_get(lj, "rules");
        if (json_array_size(drules) != d->n_rules || json_array_size(lrules) != l->n_rules ||
            merge_groups(dj, lj) != 0) {
            goto done;
        }
        for (size_t j = 0; j < l->n_rules; j++) {
            size_t u = run->live_to_union[j];
            json_t *lr = json_array_get(lrules, j), *copy;
            char id[512];
            if (u < d->n_rules && json_equal(json_array_get(drules, u), lr)) {
                run->comb_live[u] = u; /* the same rule: one evaluation serves both */
                continue;
            }
            snprintf(id, sizeof(id), COMB_LIVE_PREFIX "%s", l->rules[j].id);
            copy = json_deep_copy(lr);
            if (!copy || json_object_set_new(copy, "id", json_string(id)) != 0 ||
                json_array_append_new(drules, copy) != 0) {
                json_decref(copy);
                goto done;
            }
            run->comb_draft[d->n_rules + n_extra] = SIZE_MAX;
            run->comb_live[d->n_rules + n_extra] = u;
            n_extra++;
        }
    }
    if (!(ctext = yq_json_dumps(dj, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
        goto done;
    }
    rc = rule_set_decode(ctext, strlen(ctext), &run->comb, err, sizeof(err));
    if (rc == 0 && run->comb->n_rules != d->n_rules + n_extra) {
        rule_set_free(run->comb);
        run->comb = NULL;
    }
    if (rc != ERR_NOMEM) {
        rc = 0; /* not combinable after all (e.g. an id too long): two matches per item */
    }
done:
    json_decref(dj);
    json_decref(lj);
    free(dtext);
    free(ltext);
    free(ctext);
    return rc;
}

/* --- narrowing ------------------------------------------------------------------------ */

void backtest_narrow_release(struct backtest_narrow *n)
{
    for (size_t i = 0; i < n->n_terms; i++) {
        free(n->terms[i]);
    }
    free(n->terms);
    free(n->nodes);
    free(n->kids);
    memset(n, 0, sizeof(*n));
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t code_points(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

/* Add the normalised positive terms of rs's rules to n->terms (cap: room). */
static int narrow_add(struct backtest_narrow *n, const struct norm *nm, const struct rule_set *rs)
{
    for (size_t i = 0; rs && i < rs->n_rules; i++) {
        const struct rule_expr *e = rs->rules[i].expr;
        for (size_t k = 0; k < rule_expr_n_terms(e); k++) {
            char *t = NULL;
            int rc;
            if (!rule_expr_term_positive(e, k)) {
                continue;
            }
            rc = norm_string(nm, rule_expr_term(e, k), &t);
            if (rc) {
                return rc;
            }
            if (code_points(t) < 2) {
                n->usable = false; /* a one-character term: the index cannot narrow */
            }
            n->terms[n->n_terms++] = t;
        }
    }
    return 0;
}

int backtest_narrow_build(struct backtest_narrow *n, const struct rule_set *draft,
                          const struct rule_set *live, char *errbuf, size_t errlen)
{
    const struct norm *nm = NULL;
    size_t cap = 0, k = 0;
    int rc;

    memset(n, 0, sizeof(*n));
    n->usable = true;
    rc = norm_global(&nm, errbuf, errlen);
    if (rc) {
        return rc;
    }
    for (size_t i = 0; i < draft->n_rules; i++) {
        cap += rule_expr_n_terms(draft->rules[i].expr);
    }
    for (size_t i = 0; live && i < live->n_rules; i++) {
        cap += rule_expr_n_terms(live->rules[i].expr);
    }
    n->terms = calloc(cap ? cap : 1, sizeof(*n->terms));
    if (!n->terms) {
        return ERR_NOMEM;
    }
    rc = narrow_add(n, nm, draft);
    if (rc == 0) {
        rc = narrow_add(n, nm, live);
    }
    if (rc) {
        snprintf(errbuf, errlen, "cannot normalise a rule term: %s", yq_strerror(rc));
        return rc;
    }
    qsort(n->terms, n->n_terms, sizeof(*n->terms), str_cmp);
    for (size_t i = 0; i < n->n_terms; i++) { /* distinct */
        if (k > 0 && strcmp(n->terms[k - 1], n->terms[i]) == 0) {
            free(n->terms[i]);
        } else {
            n->terms[k++] = n->terms[i];
        }
    }
    n->n_terms = k;
    if (!n->usable || k == 0) {
        n->usable = false;
        return 0;
    }
    n->nodes = calloc(k, sizeof(*n->nodes));
    n->kids = calloc(k, sizeof(*n->kids));
    if (!n->nodes || !n->kids) {
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < k; i++) {
        n->nodes[i].kind = ARCHIVE_NARROW_TERM;
        n->nodes[i].term = n->terms[i];
        n->kids[i] = &n->nodes[i];
    }
    n->root.kind = ARCHIVE_NARROW_OR;
    n->root.kids = n->kids;
    n->root.n_kids = k;
    return 0;
}
