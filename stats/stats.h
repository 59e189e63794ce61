/*
 * Response statistics (design §7, issue #7): the monthly 通报 figures and the annual 政务舆情回应
 * figures, computed from ticket histories without SQL (stats_load.h fills the histories from
 * the ticket store; stats_render.h prints a report as HTML, CSV or JSON).
 *
 * Windows are computed in Asia/Shanghai (UTC+08:00, no daylight saving since 1991): the month
 * 2024-03 is [2024-02-29T16:00Z, 2024-03-31T16:00Z). Every figure is "as at" the report's
 * cut-off = min(window end, now): events after it are ignored, so a report of a past month
 * gives the same figures whenever it is run. docs/statistics.md defines every figure; the
 * same definitions are printed with each report (stats_definitions[], stats_defs.h).
 *
 * Times are int64 seconds since the Unix epoch (UTC); 0 means "not yet" / "does not apply".
 */
#ifndef STATS_STATS_H
#define STATS_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "yq_alert.h"
#include "yq_source_event.h"
#include "yq_ticket_state.h"


/* One state change of a ticket's log: from `at` on, the ticket is in `state`. */
struct stats_state_change {
    int64_t at;
    enum ticket_state state;
};

/* One recorded public response (design §5 channels). channel borrowed. */
struct stats_response {
    int64_t at;          /* the stated response time */
    const char *channel; /* 权威发布, 新闻发布会, 吹风会, 政务微博, 政务微信, 网站, 答复 */
    int64_t recorded_at; /* when it was entered (ticket_responses.recorded_at); 0 = unknown,
                            read as `at`. A response counts in a report only when recorded
                            before the report's knowledge cut-off (stats_opts.known_at) */
};

/*
 * The clocks a ticket was given, from this instant on: one row of the ticket store's
 * ticket_clock_history (schema 12: written by triggers when a ticket is created and whenever
 * its department, level, assignment or a deadline changes; a store migrated to 12 starts each
 * older ticket with one row of its values then). Strings borrowed. Times seconds UTC, 0 = none.
 * The statistics judge every 签收 and 办结 clock a ticket ever had by these rows, each by the
 * deadline the notifier gave it, and each clock's outcome goes to the department holding the
 * ticket when it settled (docs/statistics.md "Reopened and reassigned tickets").
 */
struct stats_clock_set {
    int64_t at;             /* from this instant (the ticket's creation, or the change) */
    const char *department; /* lead department from `at` on */
    enum yq_level level;
    int64_t assigned_at;    /* the (re)assignment or reopening: the 签收 clock runs from it */
    int64_t ack_deadline;
    int64_t response_deadline;
    int64_t press_deadline;
    int64_t close_deadline;
};

/* The most clock sets read per ticket (a ticket reassigned or reopened more often keeps its
   first ones; the loader warns). */
#define STATS_CLOCK_SETS_MAX 32

/*
 * One ticket's history, as the core reads it. Every pointer is borrowed (NUL-terminated UTF-8
 * or an array of the given length) and may be NULL when its count is 0 / the text unknown.
 * Times are seconds UTC, 0 = none. The deadlines are the ones the notifier stored (its
 * configured clocks and working-day calendar at the time): the statistics judge a ticket by the
 * deadline it was given, never by a recomputation.
 */
struct stats_ticket {
    const char *number;     /* "YQ-2026-11-0042" */
    const char *title;      /* untrusted feed text */
    enum yq_level level;    /* I..IV */
    const char *department; /* lead department */
    const char *source;     /* the first item's source id */
    const char *source_name; /* the first item's channel (site, account or 公众号 name, as the
                                ticket stored it); NULL or "": the report shows source */
    const char *rule_id;    /* the first item's first matched rule id */
    const char *rule_group; /* that rule's group (规则组) as its alert carried it; NULL or ""
                               when unknown (stored before alerts carried groups) */
    int64_t detected_at;    /* required: the first alert's matched_at; the ticket exists from it */
    int64_t assigned_at;    /* the last (re)assignment: the acknowledgement clock runs from it */
    int64_t acknowledged_at;
    int64_t responded_at;  /* first public response */
    int64_t press_held_at; /* first response on channel 新闻发布会 */
    int64_t closed_at;
    int64_t dismissed_at;
    int64_t returned_at;
    int64_t ack_deadline;
    int64_t response_deadline; /* I/II: 5 h information; III: 48 h; IV: N working days */
    int64_t press_deadline;    /* I/II only */
    int64_t close_deadline;
    /*
     * State changes in time order. With none, the history is implied: open from detected_at,
     * closed from closed_at, dismissed from dismissed_at.
     */
    const struct stats_state_change *changes;
    size_t n_changes;
    const int64_t *alert_at; /* each alert (item or revision) the ticket received */
    size_t n_alerts;
    const struct stats_response *responses; /* in the order they were recorded */
    size_t n_responses;
    /*
     * The clock history in time order (at most STATS_CLOCK_SETS_MAX). With none (a store
     * before schema 12, or a caller without it) the ticket has one set: the columns above
     * from detected_at on.
     */
    const struct stats_clock_set *clock_sets;
    size_t n_clock_sets;
};

/* The statutory clocks reported (design §5). */
enum stats_clock {
    STATS_CLOCK_ACK = 0,          /* 签收: acknowledged_at against ack_deadline, all levels */
    STATS_CLOCK_RESPONSE = 1,     /* 首次回应: any level's first-response clock (the 3 below) */
    STATS_CLOCK_INFO_5H = 2,      /* I/II 权威信息 5 h (国办发〔2016〕80号) */
    STATS_CLOCK_PRESS_24H = 3,    /* I/II 新闻发布会 24 h (80号; 61号) */
    STATS_CLOCK_RESPONSE_48H = 4, /* III 回应 48 h (国办发〔2016〕61号) */
    STATS_CLOCK_RESPONSE_WD = 5,  /* IV 回应 N working days (local rules) */
    STATS_CLOCK_CLOSE = 6,        /* 办结: closed_at against close_deadline (working days) */
};
#define STATS_CLOCK_COUNT 7

/* Names and labels: stats_clock_terms[] (stats_defs.h). */

/*
 * How the clocks that settled in the window ended, as at the cut-off. A clock settles at its
 * event when that comes by the deadline, else at the deadline. due = on_time + late + missed.
 */
struct stats_clock_tally {
    size_t due;      /* settled in the window */
    size_t on_time;  /* event at or before the deadline */
    size_t late;     /* event after the deadline (before the cut-off) */
    size_t missed;   /* deadline passed, no event by the cut-off */
    size_t pending;  /* deadline in the window but not yet passed at the cut-off (not late) */
    size_t excluded; /* dismissed (or, for 签收, returned) before the deadline: not counted */
};

/* A duration distribution in seconds (nearest-rank percentiles; mean rounded half up). */
struct stats_summary {
    size_t n;
    int64_t median_s; /* P50 by nearest rank: the ceil(n/2)-th smallest */
    int64_t p90_s;    /* the ceil(0.9 n)-th smallest */
    int64_t mean_s;
};

/* Time to first response, upper-inclusive buckets: <=1 h, <=5 h, <=24 h, <=48 h, <=120 h, more. */
#define STATS_TTR_BUCKETS 6
extern const int64_t stats_ttr_bucket_upper_s[STATS_TTR_BUCKETS]; /* last: INT64_MAX */
extern const char *const stats_ttr_bucket_labels[STATS_TTR_BUCKETS];

/* One row of figures: the whole report, or one department, level, source or rule group. */
struct stats_row {
    char *key; /* owned; "合计" for the total; the source dimension: the source's name */
    char *id;  /* owned; the source dimension: the source id the row counts (its name may be
                  shared or change), written in JSON as "source_id"; NULL for the others */
    /* carry-over: carried_in + added = closed + dismissed + carried_out */
    size_t carried_in;  /* 上月结转: active at the window start */
    size_t added;       /* 本月新增 = detected + reopened */
    size_t detected;    /* 新交办: detected in the window (every new ticket is handed over) */
    size_t reopened;    /* 重新办理: closed/dismissed at the start (or detection), reopened */
    size_t closed;      /* 本月办结: of the above, closed at the cut-off */
    size_t dismissed;   /* 本月不予处置: of the above, dismissed at the cut-off */
    size_t carried_out; /* 结转下月: of the above, still active at the cut-off */
    size_t returned;    /* 退回: tickets returned (wrong department) in the window */
    struct stats_clock_tally clocks[STATS_CLOCK_COUNT];
    size_t overdue_tickets;   /* tickets with a late or missed clock (ack, response, press, close) */
    struct stats_summary mtta; /* acknowledged_at - assigned_at, of ack clocks met */
    struct stats_summary ttr;  /* responded_at - detected_at, of response clocks met */
    size_t ttr_hist[STATS_TTR_BUCKETS];
    /*
     * 办结用时: closed_at - the start of the 办结 clock (detected_at, or the last reopening
     * before closed_at), of 办结 clocks met (on time or late) that settled in the window.
     */
    struct stats_summary ttc;
    /*
     * 未签收即办结/不予处置: of closed + dismissed, the tickets with no 签收 recorded at any
     * time before the cut-off (no acknowledged_at before it and no change to acknowledged).
     */
    size_t settled_unacknowledged;
    /*
     * 期末未签收: of carried_out, the tickets that no department holds a 签收 for at the
     * cut-off: in state open (awaiting 签收 after an assignment or reopening) or returned
     * (awaiting re-assignment). Without a state log: no acknowledged_at before the cut-off, or a
     * return after it.
     */
    size_t unacknowledged_at_end;
};

enum stats_dim {
    STATS_DIM_DEPARTMENT = 0,
    STATS_DIM_LEVEL = 1,
    STATS_DIM_SOURCE = 2,
    STATS_DIM_RULE_GROUP = 3,
};
#define STATS_DIM_COUNT 4

/* Names and labels: stats_dim_terms[] (stats_defs.h). */

/* One late or missed clock of the window. Strings owned by the report. */
struct stats_overdue {
    char *number;
    char *title;
    char *department;
    enum yq_level level;
    enum stats_clock clock;
    int64_t deadline;
    int64_t met_at; /* 0: not met by the cut-off */
    int64_t late_s; /* met_at - deadline, or cut-off - deadline */
};

/* Duty-desk load bands (Asia/Shanghai wall clock). */
enum stats_band {
    STATS_BAND_BUSINESS = 0, /* 工作时间: a working day, 09:00-18:00 */
    STATS_BAND_REST_DAY = 1, /* 休息日白天: a weekend or holiday, 09:00-18:00 */
    STATS_BAND_EVENING = 2,  /* 晚间: 18:00-22:00, any day */
    STATS_BAND_NIGHT = 3,    /* 夜间: 22:00-09:00, any day */
};
#define STATS_BAND_COUNT 4

/* Names and labels: stats_band_terms[] (stats_defs.h). */

/*
 * Tickets detected in the window, followed to the cut-off (the annual report's passage and the
 * 通报's first sentence).
 */
struct stats_cohort {
    size_t detected;          /* 监测发现 */
    size_t handed_over;       /* 交办: detected and not dismissed at the cut-off */
    size_t dismissed;         /* 不予处置 at the cut-off */
    size_t responded;         /* a public response by the cut-off */
    size_t responded_on_time; /* first response by its deadline */
    size_t closed;            /* closed at the cut-off */
    size_t by_level[4];       /* detected, by level I..IV */
};

/* The working-day calendar, from the caller (the notifier's workcal). */
struct stats_calendar {
    /* True when day (days since 1970-01-01 of the Asia/Shanghai calendar) is a working day. */
    bool (*is_working_day)(const void *ctx, int64_t day);
    const void *ctx;
};

/*
 * Rule id -> rule group (the rule files' "group"), borrowed strings: the fallback for tickets
 * whose rule_group is unknown.
 */
struct stats_rule_group {
    const char *rule_id;
    const char *group;
};

enum stats_period {
    STATS_PERIOD_MONTH = 0,
    STATS_PERIOD_YEAR = 1,
    /* [opts.start, opts.end) as given (issue #14: the daily briefing's 24 hours); the
       figures are the month's definitions over that window. Only stats_compute() takes it. */
    STATS_PERIOD_SPAN = 2,
};

struct stats_opts {
    enum stats_period period;
    int year;  /* 2024 */
    int month; /* 1..12 (month reports) */
    int64_t start, end; /* STATS_PERIOD_SPAN only: the window, seconds UTC, end > start */
    int64_t now; /* the run time: cut-off = min(window end, now) */
    /*
     * The knowledge cut-off: entries recorded before it are read (responses by their
     * recorded_at, reopenings, clock sets), each at its stated time. 0 (the report) = the
     * cut-off, so a month re-run later gives the figures it gave then; the later view of a
     * published month (stats_publish.h) sets it to now to show what later entries changed.
     */
    int64_t known_at;
    const char *department; /* only this lead department; NULL = all */
    const struct stats_calendar *calendar; /* NULL: Monday..Friday are working days */
    /*
     * A ticket's rule group is its rule_group when known, else the group of its rule_id here,
     * else the rule id itself. NULL: no fallback table.
     */
    const struct stats_rule_group *rule_groups;
    size_t n_rule_groups;
};

/* ------------------------------------------------------------- 研判 (stats_judge.h) */

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
    STATS_REASON_IRRELEVANT = 0,   /* 与本地无关: noise */
    STATS_REASON_DUPLICATE = 1,    /* 重复 */
    STATS_REASON_FALSE_ALARM = 2,  /* 误报: noise */
    STATS_REASON_OUT_OF_SCOPE = 3, /* 超出职责范围 */
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
    size_t noise;                             /* 误报 + 与本地无关 */
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

/* ------------------------------------------------------------- 监测盲区 (stats_blind.h) */

/* One source's line of the annex. */
struct stats_blind_source {
    char *source_id; /* owned */
    char *name;      /* owned: the name of its latest window that has one, else the id */
    int64_t blind_s;
    int64_t longest_s;
    int64_t reason_s[YQ_BLIND_REASON_COUNT];
    size_t windows;
    bool open; /* a window still open at the cut-off */
};

/* Why a report has no annex. */
enum stats_blind_absent {
    STATS_BLIND_PRESENT = 0,
    STATS_BLIND_NO_DATA = 1,    /* the store predates blind windows (no table, schema < 11) */
    STATS_BLIND_DEPARTMENT = 2, /* a report of one department: the sources are the office's */
};

/* The annex (issue #15; computed by stats_blind.h, freed with the report). */
struct stats_blind {
    enum stats_blind_absent absent;
    struct stats_blind_source *sources; /* sorted (above); owned */
    size_t n_sources;
    int64_t total_s;   /* sum of the sources' blind_s */
    int64_t longest_s; /* the longest gap of any source */
    size_t windows;    /* sum of the sources' windows */
};

/* Free what blind owns and blind (stats_report_free() does). NULL is a no-op. */
void stats_blind_free(struct stats_blind *blind);

struct stats_report {
    enum stats_period period;
    int year, month;
    int64_t start, end, cutoff, generated_at; /* window [start, end); generated_at = opts.now */
    char *department; /* the filter, or NULL */
    struct stats_row total;
    struct stats_row *rows[STATS_DIM_COUNT]; /* owned arrays, sorted (level: I..IV; else by
                                                tickets detected descending, then key) */
    size_t n_rows[STATS_DIM_COUNT];
    char **zero_response_departments; /* due a response in the window, none by the cut-off */
    size_t n_zero_response;
    struct stats_overdue *overdue; /* by deadline, then number */
    size_t n_overdue;
    size_t n_days;             /* days of the window */
    size_t (*daily)[4];        /* [day][level-1]: tickets detected that day (Asia/Shanghai) */
    size_t load_tickets[STATS_BAND_COUNT]; /* tickets detected, by band */
    size_t load_alerts[STATS_BAND_COUNT];  /* alerts received, by band */
    size_t press_conferences; /* responses on channel 新闻发布会 in the window */
    size_t responses;         /* every public response recorded in the window */
    struct stats_cohort cohort;
    /*
     * The 研判 figures, owned: NULL until stats_judge_compute() (stats_judge.h) fills them
     * (stats_render_from_db() does); the writers then print "无研判数据".
     */
    struct stats_judge *judge;
    /*
     * Issue #15, owned: the annex 监测盲区 (stats_blind.h; NULL until stats_blind_load() or
     * stats_blind_compute(): the writers then print "无监测盲区数据"), and of `responses` the
     * ones detected on official channels (a confirmed proposal names them; known from
     * schema 11 on) - the rest were entered by hand.
     */
    struct stats_blind *blind;
    size_t responses_detected;
    bool responses_detection_known;
};

/*
 * The Asia/Shanghai month [start, end) as instants (seconds UTC). month 1..12.
 * Returns 0 or ERR_INVALID (month out of range, year outside 1970..9999).
 */
int stats_month_window(int year, int month, int64_t *start_out, int64_t *end_out);

/* The Asia/Shanghai year [start, end). Returns 0 or ERR_INVALID. */
int stats_year_window(int year, int64_t *start_out, int64_t *end_out);

/* The Asia/Shanghai (year, month) containing instant t. */
void stats_month_of(int64_t t, int *year_out, int *month_out);

/*
 * The month a scheduled report run at now covers: the Asia/Shanghai month before the one now
 * falls in (run at 2024-04-01T00:05+08:00: 2024-03, FC-034).
 */
void stats_previous_month(int64_t now, int *year_out, int *month_out);

/* Parse "YYYY-MM" (month) or "YYYY" (year). Returns 0 or ERR_PARSE. */
int stats_parse_month(const char *s, int *year_out, int *month_out);
int stats_parse_year(const char *s, int *year_out);

/* The duty-desk band of instant t. cal NULL = Monday..Friday. Pure; thread-safe. */
enum stats_band stats_band_of(const struct stats_calendar *cal, int64_t t);

/*
 * Nearest-rank summary of n durations (seconds; v is sorted in place). n = 0 gives zeros.
 */
void stats_summarise(int64_t *v, size_t n, struct stats_summary *out);

/*
 * Compute the report of opts over n tickets (borrowed; read only during the call).
 * out: a new report; release with stats_report_free().
 * Returns 0, ERR_INVALID (bad period, month or year) or ERR_NOMEM. Thread-safe.
 */
int stats_compute(const struct stats_ticket *tickets, size_t n, const struct stats_opts *opts,
                  struct stats_report **out);

/* Free report. NULL is a no-op. */
void stats_report_free(struct stats_report *report);

/*
 * Called once per ticket that adds anything to the report of opts: its number and its
 * contribution as one canonical line of text (borrowed for the call), e.g.
 * "carried_in,closed@市自然资源局;ack:on_time@市自然资源局;response_48h:late@市应急管理局":
 * the carry-over flags with the department holding the ticket at the cut-off, then each clock
 * instance settled in the window as clock:status@department (status on_time, late, missed,
 * pending, excluded), in a fixed order. Two runs that count a ticket alike give the same line.
 * Return non-zero to stop (that value is returned).
 */
typedef int (*stats_signature_fn)(void *ctx, const char *number, const char *signature);

/*
 * Call fn for every ticket of tickets[n] that contributes to the report of opts (the same
 * window, cut-off, knowledge cut-off and department filter as stats_compute()); clock_names:
 * the name of each clock, indexed by enum stats_clock (the names of stats_clock_terms[],
 * stats_defs.h, which this core does not include). Used to name the
 * tickets that changed a published month (stats_publish.h). Returns 0, ERR_INVALID (bad
 * period), ERR_TOO_BIG (a line over 4 KiB: never with STATS_CLOCK_SETS_MAX) or fn's value.
 */
int stats_signatures(const struct stats_ticket *tickets, size_t n, const struct stats_opts *opts,
                     const char *const clock_names[STATS_CLOCK_COUNT], stats_signature_fn fn,
                     void *ctx);

#endif
