#include "desk_policy.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_banned.h"

#define CFG_KEYS_OF desk_policy
const struct cfg_key desk_policy_cfg_keys[] = {
    CFG_EXTERNAL_KEY(
        "auto_assign_levels", "[I, II]",
        "levels handed over (交办) at once without waiting for 研判; still shown as 交办待确认 "
        "until the duty officer confirms (I/II: the 5 h clock of 国办发〔2016〕80号 leaves no "
        "slack)"),
    CFG_EXTERNAL_KEY("auto_assign_groups", "[]",
                     "rule groups (规则组) whose alerts are handed over at once, any level"),
    CFG_MS_KEY(
        judge_deadline_ms, "30m", 60000, 86400000,
        "研判 deadline after detection, levels III/IV: then one reminder to the duty officer"),
    CFG_MS_KEY(judge_deadline_urgent_ms, "10m", 60000, 86400000,
               "研判 deadline after detection, levels I/II"),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

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

/* One entry of desk.auto_assign_levels into p (cfg_list_take_fn). */
static int take_level(void *p, const char *s, const char *file, size_t line, char *errbuf,
                      size_t errlen)
{
    enum yq_level level;

    if (!s || yq_level_parse(s, &level) != 0) {
        snprintf(errbuf, errlen,
                 "%s:%zu: desk.auto_assign_levels: '%.40s' is not a level (I, II, III, IV)", file,
                 line, s ? s : "(not a scalar)");
        return ERR_INVALID;
    }
    ((struct desk_policy *)p)->auto_assign_levels |= 1u << (unsigned)level;
    return 0;
}

static int parse_levels(struct desk_policy *p, struct cfg_doc *doc, yaml_node_t *desk, char *errbuf,
                        size_t errlen)
{
    p->auto_assign_levels = 0;
    return cfg_list_each(desk_policy_cfg_keys, "auto_assign_levels", doc, desk, "desk", "[I, II]",
                         take_level, p, errbuf, errlen);
}

static int parse_groups(struct desk_policy *p, struct cfg_doc *doc, yaml_node_t *desk,
                        char *errbuf, size_t errlen)
{
    struct cfg_name_list groups = {
        .v = &p->auto_assign_groups,
        .n = &p->n_auto_assign_groups,
        .max_n = DESK_POLICY_MAX_GROUPS,
        .max_bytes = DESK_POLICY_GROUP_MAX_BYTES,
        .key = "desk.auto_assign_groups",
        .what = "rule group name",
        .plural = "groups",
    };

    return cfg_list_each(desk_policy_cfg_keys, "auto_assign_groups", doc, desk, "desk", "[I, II]",
                         cfg_name_list_take, &groups, errbuf, errlen);
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

/* The defaults: the table's own (the deadlines, then the lists from their YAML text). */
static int defaults_lists(void *p, char *errbuf, size_t errlen)
{
    return desk_policy_parse_lists(p, NULL, NULL, errbuf, errlen);
}

static struct desk_policy defaults;
static struct cfg_defaults desk_defaults = {
    .keys = desk_policy_cfg_keys, .base = &defaults, .fill_more = defaults_lists};

const struct desk_policy *desk_policy_defaults(void)
{
    return cfg_defaults_get(&desk_defaults);
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
