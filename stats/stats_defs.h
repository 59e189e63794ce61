/*
 * The definitions of the report's terms (stats_defs.c), printed with every report (HTML, CSV,
 * JSON); docs/statistics.md explains them at length.
 */
#ifndef STATS_STATS_DEFS_H
#define STATS_STATS_DEFS_H

#include "stats.h"

/* The name (JSON, CSV keys) and Chinese label (tables, charts) of one value of an enum. */
struct stats_term {
    const char *name;  /* "ack" */
    const char *label; /* "签收" */
};

/*
 * Indexed by the enum's values (static, read only): clocks "ack", "response", "info_5h",
 * "press_24h", "response_48h", "response_wd", "close" (签收, 首次回应, ...); dimensions
 * "department", "level", "source", "rule_group" (责任单位, 级别, 来源, 规则分组); duty-desk
 * bands "business", "rest_day", "evening", "night" (labels with their hours).
 */
extern const struct stats_term stats_clock_terms[STATS_CLOCK_COUNT];
extern const struct stats_term stats_dim_terms[STATS_DIM_COUNT];
extern const struct stats_term stats_band_terms[STATS_BAND_COUNT];
/*
 * 研判 (stats_judge.h): outcomes "assigned", "merged", "watching", "dismissed" (交办, 并入,
 * 持续关注, 不予处置; the events.outcome values) and dismissal reasons "irrelevant",
 * "duplicate", "false_alarm", "out_of_scope", "other" with the labels of the one table of
 * tickets and events (yq_labels.h: 与本地无关, 重复, 误报, 超出职责范围, 其他).
 */
extern const struct stats_term stats_outcome_terms[STATS_OUTCOME_COUNT];
extern const struct stats_term stats_reason_terms[STATS_REASON_COUNT];

/* The definitions printed with every report: {term, text}, ending with {NULL, NULL}. */
struct stats_definition {
    const char *term;
    const char *text;
};
extern const struct stats_definition stats_definitions[];

#endif
