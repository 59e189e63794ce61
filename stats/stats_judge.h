/*
 * The 研判 figures of the monthly report (issue #13, docs/desk.md, docs/statistics.md "研判"):
 * how fast the duty officer decided the events of the 研判 inbox, what was decided, and per
 * rule group how many of its events were judged noise (误报 or 与我无关), so the office can see
 * which rules make noise. Computed without SQL from struct stats_event records (stats_load.h
 * reads them from the ticket store's events and event_log, schema 9 on).
 *
 * Window and cut-off as the rest of the report (stats.h): an event counts in the window that
 * holds its first decision (decided_at in [start, cutoff)); an event detected before the
 * cut-off with no decision before it is carried forward as 待研判 (or 交办待确认).
 *
 * Times are int64 seconds since the Unix epoch (UTC); 0 means "not yet".
 */
#ifndef STATS_STATS_JUDGE_H
#define STATS_STATS_JUDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"

/* The first decision on an event (events.outcome; for 交办待确认 the confirmation). */
enum stats_outcome {
    STATS_OUTCOME_ASSIGNED = 0,  /* 交办 (确认交办 included) */
    STATS_OUTCOME_MERGED = 1,    /* 并入 */
    STATS_OUTCOME_WATCHING = 2,  /* 持续关注 */
    STATS_OUTCOME_DISMISSED = 3, /* 不予处置 (with a reason) */
};
#define STATS_OUTCOME_COUNT 4

/* Why an event was dismissed (events.dismiss_reason). */
enum stats_reason {
    STATS_REASON_IRRELEVANT = 0,   /* 与我无关: noise */
    STATS_REASON_DUPLICATE = 1,    /* 重复 */
    STATS_REASON_FALSE_ALARM = 2,  /* 误报: noise */
    STATS_REASON_OUT_OF_SCOPE = 3, /* 不属管辖 */
    STATS_REASON_OTHER = 4,        /* 其他 (an unknown stored reason reads as this) */
};
#define STATS_REASON_COUNT 5

/* Names and labels: stats_outcome_terms[], stats_reason_terms[] (stats_defs.h). */

/* The group key of an event that carries no rule group. */
#define STATS_NO_RULE_GROUP "（无规则组）"

/*
 * One event of the 研判 inbox, as the figures read it. Pointers borrowed (NUL-terminated
 * UTF-8); groups may be NULL when n_groups is 0.
 */
struct stats_event {
    bool spike;         /* kind 'spike' (突增): reported apart, never in a rule's precision */
    bool auto_assigned; /* handed over by policy at intake (交办待确认), or a ticket that
                           existed before the desk (judged by 'system'): it did not wait for 研判 */
    int64_t detected_at;    /* required: the first item's matched_at */
    int64_t judge_deadline; /* the 研判 deadline the notifier set; 0 = none */
    /*
     * The first decision: judged_at; for an auto-assigned event its confirmation (the first
     * event_log row leaving 'auto_assigned'), or judged_at for a ticket from before the desk.
     * 0 = none yet.
     */
    int64_t decided_at;
    enum stats_outcome outcome; /* of that decision; read when decided_at > 0 */
    enum stats_reason reason;   /* read when outcome is STATS_OUTCOME_DISMISSED */
    const char *const *groups;  /* events.rule_groups; an event counts in each of them */
    size_t n_groups;
};

/* Decided events counted together: by outcome, dismissals by reason, noise. */
struct stats_judge_tally {
    size_t judged;                            /* first decision in the window */
    size_t by_outcome[STATS_OUTCOME_COUNT];   /* sums to judged */
    size_t by_reason[STATS_REASON_COUNT];     /* sums to by_outcome[DISMISSED] */
    size_t noise;                             /* 误报 + 与我无关 */
};

/* One rule group's row: its key (owned; STATS_NO_RULE_GROUP for none) and its tally. */
struct stats_judge_group {
    char *key;
    struct stats_judge_tally tally;
};

/* Why a report has no 研判 section. */
enum stats_judge_absent {
    STATS_JUDGE_PRESENT = 0,
    STATS_JUDGE_NO_DATA = 1,    /* the store predates the desk (schema < 9): 无研判数据 */
    STATS_JUDGE_DEPARTMENT = 2, /* a report of one department: 研判 is the duty office's */
};

struct stats_judge {
    enum stats_judge_absent absent; /* STATS_JUDGE_PRESENT: the figures below are filled */
    /* match events (not spikes) decided in the window, the auto-assigned included */
    struct stats_judge_tally total;
    size_t auto_confirmed;         /* of total: auto-assigned events confirmed in the window */
    struct stats_summary time;     /* 研判用时: decided_at - detected_at, total minus auto */
    struct stats_summary auto_time; /* 确认用时: the same for the auto-assigned ones */
    struct stats_judge_tally spike; /* spike events decided in the window */
    struct stats_summary spike_time;
    /* carried forward: detected before the cut-off, no decision before it */
    size_t pending;               /* 待研判 (spikes included) */
    size_t pending_overdue;       /* of pending: judge_deadline before the cut-off */
    size_t pending_spike;         /* of pending: spike events */
    size_t awaiting_confirmation; /* 交办待确认: auto-assigned, not yet confirmed */
    /* per rule group (match events of total): sorted by judged descending, then key */
    struct stats_judge_group *groups;
    size_t n_groups;
};

/*
 * Fill report->judge (a new struct, released with the report) from n events (borrowed; read
 * only during the call) for the report's window and cut-off. have_events: the store keeps
 * events (schema 9 on); false gives absent STATS_JUDGE_NO_DATA. A report with a department
 * filter gets STATS_JUDGE_DEPARTMENT (no figures: 研判 is the duty office's work).
 * Percentiles: stats_summarise() (the report's one method). Returns 0 or ERR_NOMEM (the
 * report is then unchanged). Thread-safe.
 */
int stats_judge_compute(struct stats_report *report, const struct stats_event *events, size_t n,
                        bool have_events);

/* The share of noise in tenths of a percent (噪声率, rounded half up) and the precision
 * 1000 - that (so the two always add up to 100%); both -1 when tally judged nothing. */
int64_t stats_judge_noise_tenths(const struct stats_judge_tally *t);
int64_t stats_judge_precision_tenths(const struct stats_judge_tally *t);

/* Free judge and what it owns. NULL is a no-op. */
void stats_judge_free(struct stats_judge *judge);

#endif
