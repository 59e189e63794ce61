#include "rules.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "norm.h"
#include "yq_array.h"
#include "yq_cfg.h"
#include "yq_err.h"
#include "yq_hash.h"
#include "yq_json.h"
#include "yq_time.h"
#include "yq_banned.h"

/* The fields of one rule as text, before validation (borrowed strings). */
struct rule_spec {
    const char *id;
    const char *name;
    const char *group;
    const char *department;
    const char *level; /* NULL = default IV */
    const char *scope; /* NULL = default all */
    const char *const *sources;
    size_t n_sources;
    const char *expr;
    bool local; /* needs a place of the set's places list unless the item's source is local */
    /*
     * Decoded from a stored set (rule_set_decode()): a rule whose terms fail the checks added
     * after sets were pushed (check_terms_normalise()) is skipped and noted in the set's
     * skipped list instead of refusing the whole set; false where rules are written.
     */
    bool stored;
    const char *expr_where; /* "FILE:LINE" of the expression, or NULL = where */
    /* expression errors: file position of the expression's first character (1-based), or
     * line 0 when unknown (JSON, multi-line YAML scalar) */
    const char *expr_file;
    size_t expr_line, expr_col;
};

/* YAML key tables: cfg_fill() rejects unknown keys and wrong types. */
struct file_head {
    char *group;
};

#define CFG_KEYS_OF file_head
static const struct cfg_key file_keys[] = {
    CFG_STRING_KEY(group, NULL, "rule group name (default: file name)"),
    CFG_EXTERNAL_KEY("exclude", NULL, "global exclude terms"),
    CFG_EXTERNAL_KEY(
        "places", NULL,
        "local place names (issue #11), merged across files: a rule marked local needs one"),
    CFG_EXTERNAL_KEY("rules", NULL, "list of rules"),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

struct rule_yaml {
    char *id;
    char *name;
    char *department;
    char *level;
    char *scope;
    char *expr;
    bool local;
};

#define CFG_KEYS_OF rule_yaml
static const struct cfg_key rule_keys[] = {
    CFG_STRING_KEY(id, NULL, "unique rule id"),
    CFG_STRING_KEY(name, NULL, "rule name"),
    CFG_STRING_KEY(department, NULL, "lead department"),
    CFG_STRING_KEY(level, "IV", "I, II, III or IV"),
    CFG_STRING_KEY(scope, "all", "title, text or all"),
    CFG_EXTERNAL_KEY("sources", NULL, "item source or source_id values"),
    CFG_STRING_KEY(expr, NULL, "boolean expression over terms"),
    CFG_BOOL_KEY(
        local, "false",
        "local 舆情: matches only when a place of 'places' occurs in the title or text, or the "
        "item comes from a local source"),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        free(v[i]);
    }
    free(v);
}

static void rule_release(struct rule *r)
{
    free(r->id);
    free(r->name);
    free(r->group);
    free(r->department);
    free_strv(r->sources, r->n_sources);
    rule_expr_free(r->expr);
    free(r->term_ids);
    free(r->origin);
    memset(r, 0, sizeof(*r));
}

struct rule_set *rule_set_new(void)
{
    return calloc(1, sizeof(struct rule_set));
}

void rule_set_free(struct rule_set *rs)
{
    if (!rs) {
        return;
    }
    for (size_t i = 0; i < rs->n_rules; i++) {
        rule_release(&rs->rules[i]);
    }
    free(rs->rules);
    free(rs->pushed_by);
    free(rs->source);
    free_strv(rs->groups, rs->n_groups);
    free_strv(rs->exclude, rs->n_exclude);
    free_strv(rs->places, rs->n_places);
    free_strv(rs->skipped, rs->n_skipped);
    free(rs->ix_groups.slots);
    free(rs->ix_exclude.slots);
    free(rs->ix_places.slots);
    free(rs->ix_rule_ids.slots);
    free(rs->place_ids);
    free(rs->term_place);
    free(rs->terms); /* strings are borrowed from rules and exclude */
    free(rs->exclude_ids);
    free(rs->term_rule_start);
    free(rs->term_rules);
    term_db_free(rs->db);
    free(rs);
}

const char *rule_scope_name(enum rule_scope scope)
{
    switch (scope) {
    case RULE_SCOPE_TITLE:
        return "title";
    case RULE_SCOPE_TEXT:
        return "text";
    default:
        return "all";
    }
}

int rule_scope_parse(const char *s, enum rule_scope *out)
{
    if (s && strcmp(s, "all") == 0) {
        *out = RULE_SCOPE_ALL;
    } else if (s && strcmp(s, "title") == 0) {
        *out = RULE_SCOPE_TITLE;
    } else if (s && strcmp(s, "text") == 0) {
        *out = RULE_SCOPE_TEXT;
    } else {
        return ERR_INVALID;
    }
    return 0;
}

bool rule_applies_to_source(const struct rule *rule, const char *source, const char *source_id)
{
    if (rule->n_sources == 0) {
        return true;
    }
    for (size_t i = 0; i < rule->n_sources; i++) {
        if ((source && strcmp(rule->sources[i], source) == 0) ||
            (source_id && strcmp(rule->sources[i], source_id) == 0)) {
            return true;
        }
    }
    return false;
}

/* The key of entry i of an indexed list (base: the list, borrowed). */
typedef const char *(*str_index_key_fn)(const void *base, size_t i);

static const char *strv_key(const void *base, size_t i)
{
    return ((char *const *)base)[i];
}

static const char *rule_id_key(const void *base, size_t i)
{
    return ((const struct rule *)base)[i].id;
}

/* Rebuild ix with twice the slots over the n keys of base. Returns 0 or ERR_NOMEM. */
static int str_index_grow(struct rule_str_index *ix, const void *base, size_t n,
                          str_index_key_fn key)
{
    size_t n_slots = ix->n_slots ? ix->n_slots * 2 : 64;
    size_t *slots = calloc(n_slots, sizeof(*slots));

    if (!slots) {
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        size_t k = (size_t)yq_fnv1a64(key(base, i)) & (n_slots - 1);
        while (slots[k]) {
            k = (k + 1) & (n_slots - 1);
        }
        slots[k] = i + 1;
    }
    free(ix->slots);
    ix->slots = slots;
    ix->n_slots = n_slots;
    return 0;
}

/*
 * The slot of ix (over the n keys of base) that holds s (*slot = its index + 1), or the empty
 * one where s goes (*slot == 0: the caller appends s as entry n and sets *slot = n + 1). ix
 * grows first, so that one more key fits. Returns 0 or ERR_NOMEM.
 */
static int str_index_slot(struct rule_str_index *ix, const void *base, size_t n,
                          str_index_key_fn key, const char *s, size_t **out)
{
    size_t k;

    if ((n + 1) * 2 > ix->n_slots && str_index_grow(ix, base, n, key) != 0) {
        return ERR_NOMEM;
    }
    k = (size_t)yq_fnv1a64(s) & (ix->n_slots - 1);
    while (ix->slots[k] && strcmp(key(base, ix->slots[k] - 1), s) != 0) {
        k = (k + 1) & (ix->n_slots - 1);
    }
    *out = &ix->slots[k];
    return 0;
}

/*
 * Append a copy of s to the string vector *v (*n strings, room for *cap, indexed by ix) unless
 * present. Returns 0 or ERR_NOMEM.
 */
static int strv_add_unique(char ***v, size_t *n, size_t *cap, struct rule_str_index *ix,
                           const char *s)
{
    size_t *slot;

    if (str_index_slot(ix, *v, *n, strv_key, s, &slot) != 0) {
        return ERR_NOMEM;
    }
    if (*slot) {
        return 0;
    }
    if (yq_array_reserve(v, cap, *n + 1, sizeof(**v)) != 0) {
        return ERR_NOMEM; /* *n strings exist: n + 1 pointers cannot overflow (no ERR_TOO_BIG) */
    }
    (*v)[*n] = strdup(s);
    if (!(*v)[*n]) {
        return ERR_NOMEM;
    }
    *slot = ++(*n);
    return 0;
}

/* Add group (borrowed) to rs->groups unless present. Returns 0 or ERR_NOMEM. */
static int add_group(struct rule_set *rs, const char *group)
{
    return strv_add_unique(&rs->groups, &rs->n_groups, &rs->cap_groups, &rs->ix_groups, group);
}

/*
 * The rule of rs with this id, or NULL; *slot is where a rule of that id is recorded once
 * appended (see str_index_slot()). Returns 0 or ERR_NOMEM.
 */
static int find_rule(struct rule_set *rs, const char *id, const struct rule **out, size_t **slot)
{
    int err = str_index_slot(&rs->ix_rule_ids, rs->rules, rs->n_rules, rule_id_key, id, slot);

    *out = err == 0 && **slot ? &rs->rules[**slot - 1] : NULL;
    return err;
}

static bool blank(const char *s)
{
    return !s || s[0] == '\0';
}

/*
 * Note in rs->skipped that a stored set's entry was left out, why: the one-line reason
 * (borrowed, copied). Returns 0 or ERR_NOMEM.
 */
static int note_skipped(struct rule_set *rs, const char *why)
{
    char *copy = strdup(why);

    if (!copy || yq_array_reserve(&rs->skipped, &rs->cap_skipped, rs->n_skipped + 1,
                                  sizeof(*rs->skipped)) != 0) {
        free(copy);
        return ERR_NOMEM;
    }
    rs->skipped[rs->n_skipped++] = copy;
    return 0;
}

/*
 * ERR_INVALID when a term of r's expression cannot be looked for once normalised
 * (term_find_unusable(): only invisible characters, only white space, longer than
 * Vectorscan takes), naming the rule: such a term would never occur, match between any two
 * words, or make the whole set fail to compile. Also when the expression can never be true
 * once terms equal after normalising count as one ("wifi & !ＷＩＦＩ").
 */
static int check_terms_normalise(const struct rule *r, const struct rule_spec *spec,
                                 const char *where, char *errbuf, size_t errlen)
{
    const struct norm *nm;
    char why[256] = "";
    int err = norm_global(&nm, why, sizeof(why));

    if (err) {
        snprintf(errbuf, errlen, "%s: rule '%s': %s", where, spec->id, why);
        return err;
    }
    size_t n_terms = rule_expr_n_terms(r->expr), same_as[RULE_EXPR_MAX_TERMS];
    char *normalised[RULE_EXPR_MAX_TERMS];
    bool merged = false;

    for (size_t k = 0; k < n_terms; k++) {
        char *n = NULL;
        const char *unusable = NULL;
        err = norm_string(nm, rule_expr_term(r->expr, k), &n);
        if (err == 0) {
            unusable = term_find_unusable(n);
            err = unusable ? ERR_INVALID : 0;
        }
        if (unusable) {
            snprintf(errbuf, errlen, "%s: rule '%s': term %zu of the expression %s",
                     spec->expr_where ? spec->expr_where : where, spec->id, k + 1,
                     n[0] ? unusable : "has only invisible characters; it can never match");
        }
        if (err) {
            free(n);
            for (size_t j = 0; j < k; j++) {
                free(normalised[j]);
            }
            return err;
        }
        normalised[k] = n;
        same_as[k] = k;
        for (size_t j = 0; j < k && same_as[k] == k; j++) {
            if (strcmp(normalised[j], n) == 0) {
                same_as[k] = j; /* "WIFI" after "wifi": one term to the matcher */
                merged = true;
            }
        }
    }
    if (merged && !rule_expr_satisfiable(r->expr, same_as)) {
        size_t k = 0;
        while (same_as[k] == k) {
            k++;
        }
        snprintf(errbuf, errlen,
                 "%s: rule '%s': expr can never be true: terms %zu '%s' and %zu '%s' are the "
                 "same once normalised",
                 spec->expr_where ? spec->expr_where : where, spec->id, same_as[k] + 1,
                 rule_expr_term(r->expr, same_as[k]), k + 1, rule_expr_term(r->expr, k));
        err = ERR_INVALID;
    }
    for (size_t k = 0; k < n_terms; k++) {
        free(normalised[k]);
    }
    return err;
}

/*
 * Validate spec and append it to rs. where: "FILE:LINE" or "rules[N]" for messages. A stored
 * spec that fails check_terms_normalise() is not appended and is noted in rs->skipped (0).
 * Returns 0, ERR_INVALID, ERR_PARSE, ERR_TOO_BIG or ERR_NOMEM.
 */
static int add_rule(struct rule_set *rs, const struct rule_spec *spec, const char *where,
                    char *errbuf, size_t errlen)
{
    struct rule r;
    char why[256] = "";
    int err;
    const struct rule *dup;
    size_t *id_slot; /* in rs->ix_rule_ids: set once r is appended */

    memset(&r, 0, sizeof(r));
    if (blank(spec->id)) {
        snprintf(errbuf, errlen, "%s: rule without 'id'", where);
        return ERR_INVALID;
    }
    if (blank(spec->name) || blank(spec->department) || blank(spec->expr)) {
        snprintf(errbuf, errlen, "%s: rule '%s': missing required key '%s'", where, spec->id,
                 blank(spec->name) ? "name" : blank(spec->department) ? "department" : "expr");
        return ERR_INVALID;
    }
    if (find_rule(rs, spec->id, &dup, &id_slot) != 0) {
        snprintf(errbuf, errlen, "%s: out of memory", where);
        return ERR_NOMEM;
    }
    if (dup) {
        snprintf(errbuf, errlen, "%s: rule '%s': duplicate id (first defined at %s)", where,
                 spec->id, dup->origin ? dup->origin : "an earlier rule");
        return ERR_INVALID;
    }
    if (rs->n_rules >= RULE_SET_MAX_RULES) {
        snprintf(errbuf, errlen, "%s: rule '%s': more than %d rules", where, spec->id,
                 RULE_SET_MAX_RULES);
        return ERR_TOO_BIG;
    }
    r.level = YQ_LEVEL_IV;
    if (spec->level && yq_level_parse(spec->level, &r.level) != 0) {
        snprintf(errbuf, errlen, "%s: rule '%s': bad level '%s' (I, II, III or IV)", where,
                 spec->id, spec->level);
        return ERR_INVALID;
    }
    if (spec->scope && rule_scope_parse(spec->scope, &r.scope) != 0) {
        snprintf(errbuf, errlen, "%s: rule '%s': bad scope '%s' (title, text or all)", where,
                 spec->id, spec->scope);
        return ERR_INVALID;
    }
    for (size_t i = 0; i < spec->n_sources; i++) {
        if (blank(spec->sources[i])) {
            snprintf(errbuf, errlen, "%s: rule '%s': empty entry in 'sources'", where, spec->id);
            return ERR_INVALID;
        }
    }
    err = rule_expr_compile(spec->expr, &r.expr, why, sizeof(why));
    if (err) {
        unsigned long col = 0;
        if (spec->expr_line > 0 && strncmp(why, "column ", 7) == 0) {
            col = strtoul(why + 7, NULL, 10);
        }
        if (col > 0) {
            /* "column N: reason": add FILE:LINE:COL of the token in the file */
            snprintf(errbuf, errlen, "%s:%zu:%zu: rule '%s': expr %s", spec->expr_file,
                     spec->expr_line, spec->expr_col + col - 1, spec->id, why);
        } else {
            snprintf(errbuf, errlen, "%s: rule '%s': expr %s",
                     spec->expr_where ? spec->expr_where : where, spec->id, why);
        }
        return err;
    }
    err = check_terms_normalise(&r, spec, where, errbuf, errlen);
    if (err) {
        rule_expr_free(r.expr);
        if (err == ERR_INVALID && spec->stored) {
            err = note_skipped(rs, errbuf);
            errbuf[0] = '\0';
        }
        return err;
    }
    err = ERR_NOMEM;
    r.id = strdup(spec->id);
    r.name = strdup(spec->name);
    r.group = strdup(spec->group ? spec->group : "");
    r.department = strdup(spec->department);
    r.origin = strdup(where);
    r.local = spec->local;
    if (!r.id || !r.name || !r.group || !r.department || !r.origin) {
        goto fail;
    }
    if (spec->n_sources) {
        r.sources = calloc(spec->n_sources, sizeof(*r.sources));
        if (!r.sources) {
            goto fail;
        }
        for (size_t i = 0; i < spec->n_sources; i++) {
            r.sources[i] = strdup(spec->sources[i]);
            if (!r.sources[i]) {
                goto fail;
            }
            r.n_sources = i + 1;
        }
    }
    if (spec->group && spec->group[0] && add_group(rs, spec->group)) {
        goto fail;
    }
    err = yq_array_reserve(&rs->rules, &rs->cap_rules, rs->n_rules + 1, sizeof(*rs->rules));
    if (err) {
        goto fail;
    }
    rs->rules[rs->n_rules++] = r;
    *id_slot = rs->n_rules;
    rs->compiled = false;
    return 0;
fail:
    snprintf(errbuf, errlen, "%s: out of memory", where);
    rule_release(&r);
    return err;
}

/*
 * Add term to the list *v of *n (room for *cap; exclude terms or places; what names the list in
 * messages). skip_into: NULL where the list is written; the set being decoded from a stored
 * set, where a term that term_find_unusable() refuses is noted in its skipped list instead.
 */
static int add_listed_term(char ***v, size_t *n, size_t *cap, struct rule_str_index *ix,
                           const char *what, const char *term, const char *where,
                           struct rule_set *skip_into, char *errbuf, size_t errlen);

static int add_exclude(struct rule_set *rs, const char *term, const char *where, bool stored,
                       char *errbuf, size_t errlen)
{
    return add_listed_term(&rs->exclude, &rs->n_exclude, &rs->cap_exclude, &rs->ix_exclude,
                           "exclude term", term, where, stored ? rs : NULL, errbuf, errlen);
}

static int add_place(struct rule_set *rs, const char *term, const char *where, bool stored,
                     char *errbuf, size_t errlen)
{
    return add_listed_term(&rs->places, &rs->n_places, &rs->cap_places, &rs->ix_places, "place",
                           term, where, stored ? rs : NULL, errbuf, errlen);
}

static int add_listed_term(char ***v, size_t *n_v, size_t *cap, struct rule_str_index *ix,
                           const char *what, const char *term, const char *where,
                           struct rule_set *skip_into, char *errbuf, size_t errlen)
{
    const struct norm *nm;
    char *n = NULL;
    int err;

    if (blank(term)) {
        snprintf(errbuf, errlen, "%s: empty %s", where, what);
        return ERR_INVALID;
    }
    err = norm_global(&nm, errbuf, errlen);
    if (err) {
        return err;
    }
    err = norm_string(nm, term, &n);
    if (err == ERR_INVALID) {
        snprintf(errbuf, errlen, "%s: %s '%s' is not UTF-8", where, what, term);
    } else if (err == 0 && term_find_unusable(n)) {
        /* quote a long term by its start (cut at a character), so the reason still fits */
        size_t len = strlen(term), shown = len > 48 ? yq_utf8_boundary(term, 48) : len;
        snprintf(errbuf, errlen, "%s: %s '%.*s%s' %s", where, what, (int)shown, term,
                 shown < len ? "…" : "", term_find_unusable(n));
        err = ERR_INVALID;
        if (skip_into) {
            free(n);
            err = note_skipped(skip_into, errbuf);
            errbuf[0] = '\0';
            return err;
        }
    }
    free(n);
    if (err) {
        return err;
    }
    if (strv_add_unique(v, n_v, cap, ix, term)) {
        snprintf(errbuf, errlen, "%s: out of memory", where);
        return ERR_NOMEM;
    }
    return 0;
}

/*
 * Collect the scalars of a YAML sequence (or a single scalar) into a new vector of borrowed
 * strings. Returns 0, ERR_INVALID or ERR_NOMEM.
 */
static int yaml_scalar_list(struct cfg_doc *doc, yaml_node_t *node, const char ***out,
                            size_t *n_out)
{
    const char **v;
    size_t n = 0;

    *out = NULL;
    *n_out = 0;
    if (!node) {
        return 0;
    }
    if (node->type == YAML_SCALAR_NODE) {
        if (cfg_scalar(node)[0] == '\0' && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
            return 0; /* "key:" with nothing: an empty list */
        }
        v = malloc(sizeof(*v));
        if (!v) {
            return ERR_NOMEM;
        }
        v[0] = cfg_scalar(node);
        *out = v;
        *n_out = 1;
        return 0;
    }
    if (node->type != YAML_SEQUENCE_NODE) {
        return ERR_INVALID;
    }
    size_t cap = (size_t)(node->data.sequence.items.top - node->data.sequence.items.start);
    v = calloc(cap ? cap : 1, sizeof(*v));
    if (!v) {
        return ERR_NOMEM;
    }
    for (yaml_node_item_t *it = node->data.sequence.items.start;
         it < node->data.sequence.items.top; it++) {
        const char *s = cfg_scalar(cfg_doc_node(doc, *it));
        if (!s) {
            free(v);
            return ERR_INVALID;
        }
        v[n++] = s;
    }
    *out = v;
    *n_out = n;
    return 0;
}

/* The group name a file gets when it has no "group:": its base name without ".yaml". */
static char *default_group(const char *file)
{
    const char *base = strrchr(file, '/');
    size_t len;

    base = base ? base + 1 : file;
    len = strlen(base);
    if (len > 5 && strcmp(base + len - 5, ".yaml") == 0) {
        len -= 5;
    }
    return strndup(base, len);
}

static int add_yaml_rule(struct rule_set *rs, struct cfg_doc *doc, yaml_node_t *node,
                         size_t index, const char *group, char *errbuf, size_t errlen)
{
    struct rule_yaml ry;
    struct rule_spec spec;
    const char **sources = NULL;
    size_t n_sources = 0;
    char where[1024], ewhere[1024], inner[512];
    yaml_node_t *src, *en;
    const char *id;
    int err;

    memset(&ry, 0, sizeof(ry));
    snprintf(where, sizeof(where), "%s:%zu", doc->file, node->start_mark.line + 1);
    if (node->type != YAML_MAPPING_NODE) {
        snprintf(errbuf, errlen, "%s: rules[%zu] must be a mapping", where, index);
        return ERR_INVALID;
    }
    id = cfg_scalar(cfg_map_get(doc, node, "id"));
    err = cfg_fill(rule_keys, &ry, doc, node, inner, sizeof(inner));
    if (err) {
        if (id) {
            snprintf(errbuf, errlen, "%s (rule '%s')", inner, id);
        } else {
            snprintf(errbuf, errlen, "%s (rules[%zu])", inner, index);
        }
        goto done;
    }
    src = cfg_map_get(doc, node, "sources");
    err = yaml_scalar_list(doc, src, &sources, &n_sources);
    if (err) {
        snprintf(errbuf, errlen, "%s:%zu: rule '%s': 'sources' must be a list of strings",
                 doc->file, src ? src->start_mark.line + 1 : node->start_mark.line + 1,
                 id ? id : "?");
        goto done;
    }
    spec = (struct rule_spec){
        .id = ry.id,
        .name = ry.name,
        .group = group,
        .department = ry.department,
        .level = ry.level,
        .scope = ry.scope,
        .sources = sources,
        .n_sources = n_sources,
        .expr = ry.expr,
        .local = ry.local,
    };
    en = cfg_map_get(doc, node, "expr");
    if (en) {
        /* expression errors name the line of the expression itself */
        snprintf(ewhere, sizeof(ewhere), "%s:%zu", doc->file, en->start_mark.line + 1);
        spec.expr_where = ewhere;
        /* a one-line scalar: columns in the expression map to columns in the file */
        if (en->type == YAML_SCALAR_NODE && en->start_mark.line == en->end_mark.line &&
            (en->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
             en->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
             en->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE)) {
            spec.expr_file = doc->file;
            spec.expr_line = en->start_mark.line + 1;
            spec.expr_col = en->start_mark.column + 1 +
                            (en->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ? 1 : 0);
        }
    }
    err = add_rule(rs, &spec, where, errbuf, errlen);
done:
    free(sources);
    cfg_release(rule_keys, &ry);
    return err;
}

int rule_set_add_yaml(struct rule_set *rs, const char *file, const char *text, size_t text_len,
                      char *errbuf, size_t errlen)
{
    struct cfg_doc doc;
    struct file_head head = {NULL};
    yaml_node_t *root, *node;
    const char **excl = NULL;
    char *group = NULL;
    size_t n_excl = 0;
    int err;

    err = cfg_doc_load(&doc, file, text, text_len, errbuf, errlen);
    if (err) {
        goto done;
    }
    root = cfg_doc_root(&doc);
    if (!root) {
        goto done; /* an empty file adds nothing */
    }
    err = cfg_fill(file_keys, &head, &doc, root, errbuf, errlen);
    if (err) {
        goto done;
    }
    group = head.group && head.group[0] ? strdup(head.group) : default_group(file);
    if (!group) {
        err = ERR_NOMEM;
        goto done;
    }
    node = cfg_map_get(&doc, root, "exclude");
    err = yaml_scalar_list(&doc, node, &excl, &n_excl);
    if (err) {
        snprintf(errbuf, errlen, "%s:%zu: 'exclude' must be a list of strings", doc.file,
                 node->start_mark.line + 1);
        goto done;
    }
    for (size_t i = 0; i < n_excl; i++) {
        char where[1024];
        snprintf(where, sizeof(where), "%s:%zu", doc.file, node->start_mark.line + 1);
        err = add_exclude(rs, excl[i], where, false, errbuf, errlen);
        if (err) {
            goto done;
        }
    }
    free(excl);
    excl = NULL;
    node = cfg_map_get(&doc, root, "places");
    err = yaml_scalar_list(&doc, node, &excl, &n_excl);
    if (err) {
        snprintf(errbuf, errlen, "%s:%zu: 'places' must be a list of strings", doc.file,
                 node->start_mark.line + 1);
        goto done;
    }
    for (size_t i = 0; i < n_excl; i++) {
        char where[1024];
        snprintf(where, sizeof(where), "%s:%zu", doc.file, node->start_mark.line + 1);
        err = add_place(rs, excl[i], where, false, errbuf, errlen);
        if (err) {
            goto done;
        }
    }
    node = cfg_map_get(&doc, root, "rules");
    if (!cfg_value_empty(node)) {
        if (node->type != YAML_SEQUENCE_NODE) {
            snprintf(errbuf, errlen, "%s:%zu: 'rules' must be a list", doc.file,
                     node->start_mark.line + 1);
            err = ERR_INVALID;
            goto done;
        }
        size_t index = 0;
        for (yaml_node_item_t *it = node->data.sequence.items.start;
             it < node->data.sequence.items.top; it++, index++) {
            err = add_yaml_rule(rs, &doc, cfg_doc_node(&doc, *it), index, group, errbuf,
                                errlen);
            if (err) {
                goto done;
            }
        }
    }
done:
    free(excl);
    free(group);
    cfg_release(file_keys, &head);
    cfg_doc_release(&doc);
    return err;
}

/* The distinct terms of a set being compiled: rs->terms, indexed. */
struct term_table {
    struct rule_str_index ix;
    size_t cap_terms;
};

/* Index of term s in rs->terms, adding it when new. Returns 0 or ERR_NOMEM. */
static int term_index(struct rule_set *rs, char *s, struct term_table *tt, size_t *out)
{
    size_t *slot;
    int err = str_index_slot(&tt->ix, rs->terms, rs->n_terms, strv_key, s, &slot);

    if (err) {
        return err;
    }
    if (*slot) {
        *out = *slot - 1;
        return 0;
    }
    err = yq_array_reserve(&rs->terms, &tt->cap_terms, rs->n_terms + 1, sizeof(*rs->terms));
    if (err) {
        return err;
    }
    rs->terms[rs->n_terms] = s;
    *out = rs->n_terms++;
    *slot = rs->n_terms;
    return 0;
}

/* The term -> rules index over positive terms, and max_rule_vars. Returns 0 or ERR_NOMEM. */
static int build_term_rules(struct rule_set *rs)
{
    size_t total = 0;

    free(rs->term_rule_start);
    free(rs->term_rules);
    rs->term_rules = NULL;
    rs->max_rule_vars = 1;
    rs->term_rule_start = calloc(rs->n_terms + 1, sizeof(*rs->term_rule_start));
    if (!rs->term_rule_start) {
        return ERR_NOMEM;
    }
    /* count (a term repeated in one rule is listed once per rule) */
    for (int pass = 0; pass < 2; pass++) {
        size_t *fill = NULL;
        if (pass == 1) {
            for (size_t t = 0; t < rs->n_terms; t++) {
                rs->term_rule_start[t + 1] += rs->term_rule_start[t];
            }
            total = rs->term_rule_start[rs->n_terms];
            rs->term_rules = calloc(total ? total : 1, sizeof(*rs->term_rules));
            fill = calloc(rs->n_terms + 1, sizeof(*fill));
            if (!rs->term_rules || !fill) {
                free(fill);
                return ERR_NOMEM;
            }
            memcpy(fill, rs->term_rule_start, (rs->n_terms + 1) * sizeof(*fill));
        }
        for (size_t i = 0; i < rs->n_rules; i++) {
            const struct rule *r = &rs->rules[i];
            size_t n = rule_expr_n_terms(r->expr), vars = n + rule_expr_n_near(r->expr);
            if (vars > rs->max_rule_vars) {
                rs->max_rule_vars = vars;
            }
            for (size_t k = 0; k < n; k++) {
                size_t t = r->term_ids[k];
                bool dup = false;
                if (!rule_expr_term_positive(r->expr, k)) {
                    continue;
                }
                for (size_t j = 0; j < k && !dup; j++) {
                    dup = r->term_ids[j] == t && rule_expr_term_positive(r->expr, j);
                }
                if (dup) {
                    continue;
                }
                if (pass == 0) {
                    rs->term_rule_start[t + 1]++;
                } else {
                    rs->term_rules[fill[t]++] = i;
                }
            }
        }
        free(fill);
    }
    return 0;
}

int rule_set_compile(struct rule_set *rs, char *errbuf, size_t errlen)
{
    struct term_table tt = {{NULL, 0}, 0};
    int err;

    if (rs->n_rules == 0) {
        snprintf(errbuf, errlen, "rule set has no rules");
        return ERR_INVALID;
    }
    for (size_t i = 0; i < rs->n_rules; i++) {
        if (rs->rules[i].local && rs->n_places == 0) {
            snprintf(errbuf, errlen, "%s%srule '%s' is local but no rule file lists 'places'",
                     rs->rules[i].origin ? rs->rules[i].origin : "",
                     rs->rules[i].origin ? ": " : "", rs->rules[i].id);
            return ERR_INVALID;
        }
    }
    free(rs->terms);
    free(rs->exclude_ids);
    free(rs->place_ids);
    rs->place_ids = NULL;
    free(rs->term_place);
    rs->term_place = NULL;
    term_db_free(rs->db);
    rs->terms = NULL;
    rs->n_terms = 0;
    rs->db = NULL;
    rs->exclude_ids = calloc(rs->n_exclude ? rs->n_exclude : 1, sizeof(*rs->exclude_ids));
    if (!rs->exclude_ids) {
        goto nomem;
    }
    for (size_t i = 0; i < rs->n_rules; i++) {
        struct rule *r = &rs->rules[i];
        size_t n = rule_expr_n_terms(r->expr);
        free(r->term_ids);
        r->term_ids = calloc(n ? n : 1, sizeof(*r->term_ids));
        if (!r->term_ids) {
            goto nomem;
        }
        for (size_t k = 0; k < n; k++) {
            if (term_index(rs, (char *)rule_expr_term(r->expr, k), &tt, &r->term_ids[k])) {
                goto nomem;
            }
        }
    }
    for (size_t i = 0; i < rs->n_exclude; i++) {
        if (term_index(rs, rs->exclude[i], &tt, &rs->exclude_ids[i])) {
            goto nomem;
        }
    }
    /* the places go into the same term database: one scan finds them with the terms */
    rs->place_ids = calloc(rs->n_places ? rs->n_places : 1, sizeof(*rs->place_ids));
    if (!rs->place_ids) {
        goto nomem;
    }
    for (size_t i = 0; i < rs->n_places; i++) {
        if (term_index(rs, rs->places[i], &tt, &rs->place_ids[i])) {
            goto nomem;
        }
    }
    if (rs->n_terms > RULE_SET_MAX_TERMS) {
        free(tt.ix.slots);
        snprintf(errbuf, errlen, "rule set has %zu distinct terms, more than %d", rs->n_terms,
                 RULE_SET_MAX_TERMS);
        return ERR_TOO_BIG;
    }
    rs->term_place = calloc(rs->n_terms ? rs->n_terms : 1, sizeof(*rs->term_place));
    if (!rs->term_place) {
        goto nomem;
    }
    for (size_t i = 0; i < rs->n_places; i++) {
        rs->term_place[rs->place_ids[i]] = true;
    }
    free(tt.ix.slots);
    tt.ix.slots = NULL;
    err = build_term_rules(rs);
    if (err) {
        goto nomem;
    }
    err = term_db_new((const char *const *)rs->terms, rs->n_terms, &rs->db, errbuf, errlen);
    if (err) {
        return err;
    }
    rs->compiled = true;
    return 0;
nomem:
    free(tt.ix.slots);
    snprintf(errbuf, errlen, "out of memory compiling the rule set");
    return ERR_NOMEM;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int rule_set_load_dir(const char *dir, struct rule_set **out, char *errbuf, size_t errlen)
{
    struct rule_set *rs = NULL;
    char **names = NULL;
    size_t n_names = 0, cap = 0;
    struct dirent *de;
    DIR *d;
    int err = 0;

    *out = NULL;
    d = opendir(dir);
    if (!d) {
        snprintf(errbuf, errlen, "%s: cannot open rule directory: %s", dir, strerror(errno));
        return errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;
    }
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len <= 5 || de->d_name[0] == '.' || strcmp(de->d_name + len - 5, ".yaml") != 0) {
            continue;
        }
        err = yq_array_reserve(&names, &cap, n_names + 1, sizeof(*names));
        if (err) {
            break;
        }
        names[n_names] = strdup(de->d_name);
        if (!names[n_names]) {
            err = ERR_NOMEM;
            break;
        }
        n_names++;
    }
    closedir(d);
    if (err) {
        snprintf(errbuf, errlen, "%s: out of memory", dir);
        goto done;
    }
    if (n_names > 1) { /* names is NULL in an empty directory: qsort() must not see it */
        qsort(names, n_names, sizeof(*names), cmp_str);
    }
    rs = rule_set_new();
    if (!rs || !(rs->source = strdup(dir))) {
        err = ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < n_names; i++) {
        char path[4096];
        size_t dl = strlen(dir);
        snprintf(path, sizeof(path), "%s%s%s", dir, dl && dir[dl - 1] == '/' ? "" : "/",
                 names[i]);
        err = rule_set_add_yaml(rs, path, NULL, 0, errbuf, errlen);
        if (err) {
            goto done;
        }
    }
    if (rs->n_rules == 0) {
        snprintf(errbuf, errlen, "%s: no rules in any *.yaml file", dir);
        err = ERR_INVALID;
        goto done;
    }
    err = rule_set_compile(rs, errbuf, errlen);
    if (err == 0) {
        *out = rs;
        rs = NULL;
    }
done:
    free_strv(names, n_names);
    rule_set_free(rs);
    return err;
}

static json_t *strv_json(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        if (json_array_append_new(a, json_string(v[i]))) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

int rule_set_encode(const struct rule_set *rs, char **out, size_t *out_len)
{
    json_t *obj = json_object(), *rules = json_array();
    char ts[32];
    int rc = 0;

    *out = NULL;
    if (!obj || !rules) {
        goto nomem;
    }
    for (size_t i = 0; i < rs->n_rules; i++) {
        const struct rule *r = &rs->rules[i];
        json_t *jr = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s}", "id", r->id, "name", r->name,
                               "group", r->group, "department", r->department, "level",
                               yq_level_name(r->level), "scope", rule_scope_name(r->scope),
                               "sources", strv_json(r->sources, r->n_sources), "expr",
                               rule_expr_text(r->expr));
        if (jr && r->local && json_object_set_new(jr, "local", json_true())) {
            json_decref(jr);
            jr = NULL;
        }
        if (!jr || json_array_append_new(rules, jr)) {
            goto nomem;
        }
    }
    /* insertion order is kept: "version" must come first (rules_store relies on it) */
    rc |= json_object_set_new(obj, "version", json_integer(rs->version));
    rc |= json_object_set_new(obj, "pushed_at",
                              rs->pushed_at ? json_string(yq_time_format_utc(rs->pushed_at, ts,
                                                                              sizeof(ts)))
                                            : json_null());
    rc |= json_object_set_new(obj, "pushed_by", str_or_null(rs->pushed_by));
    rc |= json_object_set_new(obj, "source", str_or_null(rs->source));
    rc |= json_object_set_new(obj, "groups", strv_json(rs->groups, rs->n_groups));
    rc |= json_object_set_new(obj, "exclude", strv_json(rs->exclude, rs->n_exclude));
    rc |= json_object_set_new(obj, "places", strv_json(rs->places, rs->n_places));
    rc |= json_object_set_new(obj, "rules", rules);
    rules = NULL;
    if (rc) {
        goto nomem;
    }
    return yq_json_dump(obj, JSON_COMPACT | JSON_PRESERVE_ORDER, out, out_len);
nomem:
    json_decref(obj);
    json_decref(rules);
    return ERR_NOMEM;
}

/* A JSON string member, or NULL when absent/null; ERR_PARSE when of another type. */
static int json_opt_str(const json_t *obj, const char *key, const char **out)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v || json_is_null(v)) {
        return 0;
    }
    if (!json_is_string(v)) {
        return ERR_PARSE;
    }
    *out = json_string_value(v);
    return 0;
}

/* Borrowed strings of a JSON array of strings (absent = empty). */
static int json_str_list(const json_t *obj, const char *key, const char ***out, size_t *n_out)
{
    const json_t *a = json_object_get(obj, key);
    const char **v;
    size_t n;

    *out = NULL;
    *n_out = 0;
    if (!a || json_is_null(a)) {
        return 0;
    }
    if (!json_is_array(a)) {
        return ERR_PARSE;
    }
    n = json_array_size(a);
    v = calloc(n ? n : 1, sizeof(*v));
    if (!v) {
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *s = json_array_get(a, i);
        if (!json_is_string(s)) {
            free(v);
            return ERR_PARSE;
        }
        v[i] = json_string_value(s);
    }
    *out = v;
    *n_out = n;
    return 0;
}

static int decode_rules(struct rule_set *rs, const json_t *rules, bool stored, char *errbuf,
                        size_t errlen)
{
    for (size_t i = 0; i < json_array_size(rules); i++) {
        const json_t *jr = json_array_get(rules, i);
        struct rule_spec spec;
        char where[64];
        int err;

        memset(&spec, 0, sizeof(spec));
        spec.stored = stored;
        snprintf(where, sizeof(where), "rule set JSON rules[%zu]", i);
        if (!json_is_object(jr) || json_opt_str(jr, "id", &spec.id) ||
            json_opt_str(jr, "name", &spec.name) || json_opt_str(jr, "group", &spec.group) ||
            json_opt_str(jr, "department", &spec.department) ||
            json_opt_str(jr, "level", &spec.level) || json_opt_str(jr, "scope", &spec.scope) ||
            json_opt_str(jr, "expr", &spec.expr)) {
            snprintf(errbuf, errlen, "%s: must be an object of strings", where);
            return ERR_PARSE;
        }
        const json_t *local = json_object_get(jr, "local");
        if (local && !json_is_boolean(local)) {
            snprintf(errbuf, errlen, "%s: 'local' must be true or false", where);
            return ERR_PARSE;
        }
        spec.local = json_is_true(local);
        const char **sources = NULL;
        err = json_str_list(jr, "sources", &sources, &spec.n_sources);
        if (err) {
            snprintf(errbuf, errlen, "%s: 'sources' must be an array of strings", where);
            return err;
        }
        spec.sources = sources;
        size_t n_before = rs->n_rules;
        err = add_rule(rs, &spec, where, errbuf, errlen);
        free(sources);
        if (err) {
            return err;
        }
        if (rs->n_rules > n_before) { /* else skipped (spec.stored) */
            /* a decoded rule has no file origin */
            free(rs->rules[rs->n_rules - 1].origin);
            rs->rules[rs->n_rules - 1].origin = NULL;
        }
    }
    return 0;
}

/* rule_set_decode() (stored) and rule_set_decode_written() (not stored). */
static int decode(const char *buf, size_t len, bool stored, struct rule_set **out, char *errbuf,
                  size_t errlen)
{
    struct rule_set *rs = NULL;
    json_t *obj = NULL;
    const json_t *v;
    const char *s;
    const char **list = NULL;
    size_t n_list = 0;
    int err;

    *out = NULL;
    err = yq_json_decode_object(buf, len, RULE_SET_MAX_JSON_BYTES, "rule set", &obj, errbuf,
                                errlen);
    if (err) {
        return err;
    }
    err = ERR_PARSE;
    rs = rule_set_new();
    if (!rs) {
        err = ERR_NOMEM;
        goto done;
    }
    v = json_object_get(obj, "version");
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        snprintf(errbuf, errlen, "rule set 'version' must be a non-negative integer");
        goto done;
    }
    rs->version = json_integer_value(v);
    if (json_opt_str(obj, "pushed_at", &s) ||
        (s && yq_time_parse_iso(s, &rs->pushed_at, NULL) != 0)) {
        snprintf(errbuf, errlen, "rule set 'pushed_at' must be RFC 3339 or null");
        goto done;
    }
    err = json_opt_str(obj, "pushed_by", &s);
    if (err == 0 && s) {
        err = (rs->pushed_by = strdup(s)) ? 0 : ERR_NOMEM;
    }
    if (err == 0) {
        err = json_opt_str(obj, "source", &s);
    }
    if (err == 0 && s) {
        err = (rs->source = strdup(s)) ? 0 : ERR_NOMEM;
    }
    if (err) {
        /* a failed copy is ERR_NOMEM, not a malformed set that Redis would keep serving */
        snprintf(errbuf, errlen, "%s",
                 err == ERR_NOMEM ? "rule set: out of memory"
                                  : "rule set 'pushed_by'/'source' must be strings or null");
        goto done;
    }
    err = json_str_list(obj, "groups", &list, &n_list);
    for (size_t i = 0; err == 0 && i < n_list; i++) {
        err = add_group(rs, list[i]);
    }
    free(list);
    list = NULL;
    if (err) {
        snprintf(errbuf, errlen, "%s",
                 err == ERR_NOMEM ? "rule set: out of memory"
                                  : "rule set 'groups' must be an array of strings");
        goto done;
    }
    err = json_str_list(obj, "exclude", &list, &n_list);
    if (err) {
        snprintf(errbuf, errlen, "%s",
                 err == ERR_NOMEM ? "rule set: out of memory"
                                  : "rule set 'exclude' must be an array of strings");
        goto done;
    }
    for (size_t i = 0; i < n_list; i++) {
        err = add_exclude(rs, list[i], "rule set JSON exclude", stored, errbuf, errlen);
        if (err) {
            goto done;
        }
    }
    free(list);
    list = NULL;
    err = json_str_list(obj, "places", &list, &n_list);
    if (err) {
        snprintf(errbuf, errlen, "%s",
                 err == ERR_NOMEM ? "rule set: out of memory"
                                  : "rule set 'places' must be an array of strings");
        goto done;
    }
    for (size_t i = 0; i < n_list; i++) {
        err = add_place(rs, list[i], "rule set JSON places", stored, errbuf, errlen);
        if (err) {
            goto done;
        }
    }
    v = json_object_get(obj, "rules");
    if (!json_is_array(v)) {
        snprintf(errbuf, errlen, "rule set 'rules' must be an array");
        err = ERR_PARSE;
        goto done;
    }
    err = decode_rules(rs, v, stored, errbuf, errlen);
    if (err) {
        goto done;
    }
    err = rule_set_compile(rs, errbuf, errlen);
    if (err == 0) {
        *out = rs;
        rs = NULL;
    }
done:
    free(list);
    json_decref(obj);
    rule_set_free(rs);
    return err;
}

int rule_set_decode(const char *buf, size_t len, struct rule_set **out, char *errbuf, size_t errlen)
{
    return decode(buf, len, true, out, errbuf, errlen);
}

int rule_set_decode_written(const char *buf, size_t len, struct rule_set **out, char *errbuf,
                            size_t errlen)
{
    return decode(buf, len, false, out, errbuf, errlen);
}
