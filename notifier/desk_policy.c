#include "desk_policy.h"

#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_banned.h"
#include "yq_err.h"

#define DOFF(f) offsetof(struct desk_policy, f)

const struct cfg_key desk_policy_cfg_keys[] = {
    {"auto_assign_levels", CFG_EXTERNAL, "[I, II]", 0, 0, 0,
     "levels handed over (交办) at once without waiting for 研判; still shown as 交办待确认 "
     "until the duty officer confirms (I/II: the 5 h clock of 国办发〔2016〕80号 leaves no slack)",
     NULL},
    {"auto_assign_groups", CFG_EXTERNAL, "[]", 0, 0, 0,
     "rule groups (规则组) whose alerts are handed over at once, any level", NULL},
    {"judge_deadline_ms", CFG_MS, "30m", 60000, 86400000, DOFF(judge_deadline_ms),
     "研判 deadline after detection, levels III/IV: then one reminder to the duty officer", NULL},
    {"judge_deadline_urgent_ms", CFG_MS, "10m", 60000, 86400000,
     DOFF(judge_deadline_urgent_ms), "研判 deadline after detection, levels I/II", NULL},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

/* The row of name in the table (always found: the names are this file's). */
static const struct cfg_key *key_of(const char *name)
{
    for (const struct cfg_key *k = desk_policy_cfg_keys; k->name; k++) {
        if (strcmp(k->name, name) == 0) {
            return k;
        }
    }
    return NULL;
}

void desk_policy_release(struct desk_policy *p)
{
    if (!p) {
        return;
    }
    for (size_t i = 0; i < p->n_auto_assign_groups; i++) {
        free(p->auto_assign_groups[i]);
    }
    free(p->auto_assign_groups);
    p->auto_assign_groups = NULL;
    p->n_auto_assign_groups = 0;
}

/*
 * The sequence node of key name: the value in desk, else the table's default parsed into
 * def_doc (caller storage, released by the caller). *seq NULL: an empty list.
 */
static int list_node(struct cfg_doc *doc, yaml_node_t *desk, const char *name,
                     struct cfg_doc *def_doc, struct cfg_doc **from, yaml_node_t **seq,
                     char *errbuf, size_t errlen)
{
    yaml_node_t *n = NULL;
    int err;

    *seq = NULL;
    *from = doc;
    if (doc && desk && desk->type == YAML_MAPPING_NODE) {
        n = cfg_map_get(doc, desk, name);
    }
    if (!n) {
        const char *def = key_of(name)->def;
        err = cfg_doc_load(def_doc, "desk defaults", def, strlen(def), errbuf, errlen);
        if (err) {
            return err;
        }
        *from = def_doc;
        n = cfg_doc_root(def_doc);
    }
    if (!n || (n->type == YAML_SCALAR_NODE && cfg_scalar(n)[0] == '\0')) {
        return 0; /* "auto_assign_groups:" with nothing: an empty list */
    }
    if (n->type != YAML_SEQUENCE_NODE) {
        snprintf(errbuf, errlen, "%s:%zu: desk.%s must be a list, e.g. [I, II]", (*from)->file,
                 n->start_mark.line + 1, name);
        return ERR_INVALID;
    }
    *seq = n;
    return 0;
}

/* One entry of a desk list: s (NULL: not a scalar) at file:line into p. Returns 0 or an error. */
typedef int (*take_entry_fn)(struct desk_policy *p, const char *s, const char *file, size_t line,
                             char *errbuf, size_t errlen);

/* Each entry of the desk list name (desk's value, else the table's default) through take. */
static int parse_list(struct desk_policy *p, struct cfg_doc *doc, yaml_node_t *desk,
                      const char *name, take_entry_fn take, char *errbuf, size_t errlen)
{
    struct cfg_doc def_doc, *from = NULL;
    yaml_node_t *seq = NULL;
    int err;

    memset(&def_doc, 0, sizeof(def_doc));
    err = list_node(doc, desk, name, &def_doc, &from, &seq, errbuf, errlen);
    for (yaml_node_item_t *it = seq ? seq->data.sequence.items.start : NULL;
         !err && seq && it < seq->data.sequence.items.top; it++) {
        yaml_node_t *n = cfg_doc_node(from, *it);
        err = take(p, n ? cfg_scalar(n) : NULL, from->file, n ? n->start_mark.line + 1 : 0, errbuf,
                   errlen);
    }
    cfg_doc_release(&def_doc);
    return err;
}

static int take_level(struct desk_policy *p, const char *s, const char *file, size_t line,
                      char *errbuf, size_t errlen)
{
    enum yq_level level;

    if (!s || yq_level_parse(s, &level) != 0) {
        snprintf(errbuf, errlen,
                 "%s:%zu: desk.auto_assign_levels: '%.40s' is not a level (I, II, III, IV)", file,
                 line, s ? s : "(not a scalar)");
        return ERR_INVALID;
    }
    p->auto_assign_levels |= 1u << (unsigned)level;
    return 0;
}

static int take_group(struct desk_policy *p, const char *s, const char *file, size_t line,
                      char *errbuf, size_t errlen)
{
    char **grown;

    if (!s || !s[0] || strlen(s) > DESK_POLICY_GROUP_MAX_BYTES) {
        snprintf(errbuf, errlen,
                 "%s:%zu: desk.auto_assign_groups: each entry must be a rule group name of "
                 "1..%d bytes",
                 file, line, DESK_POLICY_GROUP_MAX_BYTES);
        return ERR_INVALID;
    }
    if (p->n_auto_assign_groups >= DESK_POLICY_MAX_GROUPS) {
        snprintf(errbuf, errlen, "%s:%zu: desk.auto_assign_groups: more than %d groups", file, line,
                 DESK_POLICY_MAX_GROUPS);
        return ERR_INVALID;
    }
    grown = realloc(p->auto_assign_groups,
                    (p->n_auto_assign_groups + 1) * sizeof(*p->auto_assign_groups));
    if (!grown) {
        return ERR_NOMEM;
    }
    p->auto_assign_groups = grown;
    grown[p->n_auto_assign_groups] = strdup(s);
    if (!grown[p->n_auto_assign_groups]) {
        return ERR_NOMEM;
    }
    p->n_auto_assign_groups++;
    return 0;
}

static int parse_levels(struct desk_policy *p, struct cfg_doc *doc, yaml_node_t *desk, char *errbuf,
                        size_t errlen)
{
    p->auto_assign_levels = 0;
    return parse_list(p, doc, desk, "auto_assign_levels", take_level, errbuf, errlen);
}

static int parse_groups(struct desk_policy *p, struct cfg_doc *doc, yaml_node_t *desk,
                        char *errbuf, size_t errlen)
{
    int err = parse_list(p, doc, desk, "auto_assign_groups", take_group, errbuf, errlen);

    if (err == ERR_NOMEM) {
        snprintf(errbuf, errlen, "out of memory");
    }
    return err;
}

int desk_policy_parse_lists(struct desk_policy *p, struct cfg_doc *doc, yaml_node_t *desk,
                            char *errbuf, size_t errlen)
{
    int err;

    desk_policy_release(p);
    err = parse_levels(p, doc, desk, errbuf, errlen);
    if (!err) {
        err = parse_groups(p, doc, desk, errbuf, errlen);
    }
    if (err) {
        desk_policy_release(p);
    }
    return err;
}

/* The defaults: the table's own (cfg_fill() with no document, then the lists' YAML text). */
static struct desk_policy defaults;
static pthread_once_t defaults_once = PTHREAD_ONCE_INIT;

static void defaults_fill(void)
{
    char err[200];
    int rc = cfg_fill(desk_policy_cfg_keys, &defaults, NULL, NULL, err, sizeof(err));
    if (rc == 0) {
        rc = desk_policy_parse_lists(&defaults, NULL, NULL, err, sizeof(err));
    }
    assert(rc == 0); /* the table's own defaults are valid (test_event_flow checks) */
    (void)rc;
}

const struct desk_policy *desk_policy_defaults(void)
{
    pthread_once(&defaults_once, defaults_fill);
    return &defaults;
}

/* The defaults with every level handed over (desk_policy_hand_over_all()). */
static struct desk_policy hand_over_all;
static pthread_once_t hand_over_all_once = PTHREAD_ONCE_INIT;

static void hand_over_all_fill(void)
{
    hand_over_all = *desk_policy_defaults(); /* the deadlines; no groups are needed */
    hand_over_all.auto_assign_groups = NULL;
    hand_over_all.n_auto_assign_groups = 0;
    for (unsigned l = YQ_LEVEL_I; l <= YQ_LEVEL_IV; l++) {
        hand_over_all.auto_assign_levels |= 1u << l;
    }
}

const struct desk_policy *desk_policy_hand_over_all(void)
{
    pthread_once(&hand_over_all_once, hand_over_all_fill);
    return &hand_over_all;
}

void desk_policy_print_lists(FILE *out, const struct desk_policy *p, int indent)
{
    bool first = true;

    fprintf(out, "%*sauto_assign_levels: [", indent, "");
    for (int l = YQ_LEVEL_I; l <= YQ_LEVEL_IV; l++) {
        if (p->auto_assign_levels & (1u << (unsigned)l)) {
            fprintf(out, "%s%s", first ? "" : ", ", yq_level_name((enum yq_level)l));
            first = false;
        }
    }
    fprintf(out, "]\n%*sauto_assign_groups: [", indent, "");
    for (size_t i = 0; i < p->n_auto_assign_groups; i++) {
        fprintf(out, "%s\"%s\"", i ? ", " : "", p->auto_assign_groups[i]);
    }
    fprintf(out, "]\n");
}

bool desk_policy_auto_assign(const struct desk_policy *p, enum yq_level level,
                             const char *const *groups, size_t n_groups)
{
    if (!p) {
        p = desk_policy_defaults();
    }
    if (level >= YQ_LEVEL_I && level <= YQ_LEVEL_IV &&
        (p->auto_assign_levels & (1u << (unsigned)level))) {
        return true;
    }
    for (size_t i = 0; i < n_groups; i++) {
        for (size_t j = 0; groups[i] && j < p->n_auto_assign_groups; j++) {
            if (strcmp(groups[i], p->auto_assign_groups[j]) == 0) {
                return true;
            }
        }
    }
    return false;
}

int64_t desk_policy_judge_deadline(const struct desk_policy *p, enum yq_level level,
                                   int64_t detected_at)
{
    if (!p) {
        p = desk_policy_defaults();
    }
    if (level == YQ_LEVEL_I || level == YQ_LEVEL_II) {
        return detected_at + p->judge_deadline_urgent_ms / 1000;
    }
    return detected_at + p->judge_deadline_ms / 1000;
}
