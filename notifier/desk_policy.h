/*
 * The duty officer's desk policy (issue #13, design §5, docs/desk.md): section "desk:" of
 * notifier.yaml. Which alerts are handed over (交办) at once, without waiting for 研判, and
 * how long an event may wait in the 研判 inbox before the duty officer is reminded.
 *
 *   key                        default   meaning
 *   auto_assign_levels         [I, II]   levels handed over at once (the 5 h clock of I/II,
 *                                        国办发〔2016〕80号, leaves no slack for 研判); the event
 *                                        still shows as 交办待确认 until the officer confirms
 *   auto_assign_groups         []        rule groups (规则组) handed over at once, any level
 *   judge_deadline_ms          30m       研判 deadline after detection (levels III, IV)
 *   judge_deadline_urgent_ms   10m       研判 deadline after detection (levels I, II)
 *
 * The defaults are written once, in desk_policy_cfg_keys (the lists' as YAML text).
 */
#ifndef NOTIFIER_DESK_POLICY_H
#define NOTIFIER_DESK_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "yq_alert.h"
#include "yq_cfg.h"

/* At most this many rule groups in auto_assign_groups, each at most this many bytes. */
#define DESK_POLICY_MAX_GROUPS 64
#define DESK_POLICY_GROUP_MAX_BYTES 128

struct desk_policy {
    unsigned auto_assign_levels; /* bit (1u << level) for each enum yq_level handed over */
    char **auto_assign_groups;   /* n_auto_assign_groups new strings (desk_policy_release()) */
    size_t n_auto_assign_groups;
    int64_t judge_deadline_ms;        /* levels III and IV */
    int64_t judge_deadline_urgent_ms; /* levels I and II */
};

/*
 * Keys of the "desk:" section. The two lists are CFG_EXTERNAL rows (their default is YAML
 * text in .def): cfg_fill() fills the deadlines, desk_policy_parse_lists() the lists.
 */
extern const struct cfg_key desk_policy_cfg_keys[];

/*
 * Fill the two lists of p from the "desk:" mapping desk (NULL or an empty scalar: the
 * defaults of desk_policy_cfg_keys) of doc (borrowed). Levels are "I".."IV" (or what
 * yq_level_parse() takes); groups non-empty, at most DESK_POLICY_GROUP_MAX_BYTES bytes, at most
 * DESK_POLICY_MAX_GROUPS. Lists already in p are released first.
 * Returns 0, ERR_INVALID ("FILE:LINE: desk.auto_assign_levels: 'V' is not a level (I, II,
 * III, IV)", ...) or ERR_NOMEM with one line in errbuf.
 */
int desk_policy_parse_lists(struct desk_policy *p, struct cfg_doc *doc, yaml_node_t *desk,
                            char *errbuf, size_t errlen);

/* Free the group list of p (the rest is plain data); p itself is kept. NULL is a no-op. */
void desk_policy_release(struct desk_policy *p);

/* The built-in policy (the key table's defaults). Static; thread-safe. */
const struct desk_policy *desk_policy_defaults(void);

/*
 * A policy that hands every level over at once (auto_assign_levels [I, II, III, IV]): every
 * alert opens its ticket at intake, as before issue #13. For test fixtures and tools whose
 * history needs a ticket from every alert; never a default. Static; thread-safe.
 */
const struct desk_policy *desk_policy_hand_over_all(void);

/* Print the two lists as YAML lines at indent (for --print-config; cfg_print skips them). */
void desk_policy_print_lists(FILE *out, const struct desk_policy *p, int indent);

/*
 * Whether an alert of level whose matched rules are in groups (n_groups borrowed
 * NUL-terminated names; NULL entries skipped) is handed over at once under p (NULL =
 * defaults). Pure; thread-safe.
 */
bool desk_policy_auto_assign(const struct desk_policy *p, enum yq_level level,
                             const char *const *groups, size_t n_groups);

/*
 * The 研判 deadline (seconds since the epoch) of an event of level detected at detected_at
 * (seconds): judge_deadline_urgent_ms for I and II, judge_deadline_ms otherwise. p NULL =
 * defaults. Pure.
 */
int64_t desk_policy_judge_deadline(const struct desk_policy *p, enum yq_level level,
                                   int64_t detected_at);

#endif
