/*
 * Statutory clocks of a ticket (design §5) and when they escalate.
 *
 * Four clocks run from a ticket's detection (the acknowledgement clock from its assignment):
 *
 *   ack       all     1 h after assignment  design §5 (local duty rules)
 *   response  I, II   5 h      国办发〔2016〕80号 (实施细则): 特别重大、重大突发事件
 *                              "最迟要在5小时内发布权威信息"
 *   press     I, II   24 h     80号 "在24小时内举行新闻发布会"; 国办发〔2016〕61号
 *                              "最迟应在24小时内举行新闻发布会"
 *   response  III     48 h     61号 "对其他政务舆情应在48小时内予以回应"
 *   response  IV      5 working days   local rules (design §5); longer than the 48 h
 *                                      61号 sets for every 其他政务舆情 (docs/status.md)
 *   close     all     15 working days  local rules (design §5)
 *
 * Hour clocks are elapsed time: nights, weekends and holidays count. Working-day clocks end at
 * 24:00 Asia/Shanghai of the N-th working day after the day of detection (workcal.h, 《民法典》
 * 第二百零一条、第二百零三条). Every value is configurable in notifier.yaml (section "clocks").
 *
 * Escalation: at remind_percent of a clock's span (start .. deadline) a reminder (催办) goes
 * to the lead department's liaison; when the deadline passes, 督办 goes to the department
 * head and the duty officer and the clock's overdue flag is set. Each happens once per clock
 * and deadline, and the flag belongs to that deadline: a 转办 or a reopening (new 签收 and 办结
 * clocks) clears it; a re-grading gives the response and press flags of the new deadlines (set
 * only where that deadline's 督办 was already raised, e.g. II -> III -> II); a new deadline
 * raises it when it passes. Quiet hours (notify.quiet_hours) delay notifications only; clocks
 * never stop.
 */
#ifndef NOTIFIER_TICKET_CLOCK_H
#define NOTIFIER_TICKET_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "workcal.h"
#include "yq_alert.h"
#include "yq_cfg.h"

struct ticket_clock_cfg {
    char *calendar_dir;               /* holiday files; relative to the config file's directory */
    int64_t ack_ms;                   /* acknowledgement, after assignment */
    int64_t response_i_ms;            /* level I first authoritative information */
    int64_t press_i_ms;               /* level I press conference */
    int64_t response_ii_ms;           /* level II first authoritative information */
    int64_t press_ii_ms;              /* level II press conference */
    int64_t response_iii_ms;          /* level III response */
    int64_t response_iv_working_days; /* level IV response */
    int64_t close_working_days;       /* closure (办结), all levels */
    int64_t remind_percent;           /* 催办 at this share of a clock's span, 1..99 */
    int64_t reopen_window_ms;         /* a changed item within this time after closure reopens */
    int64_t old_item_after_ms;        /* published this long before fetched: held as old, no
                                         ticket (issue #11); 0 = off */
};

/* Keys of the "clocks:" section of notifier.yaml, with the defaults above. */
extern const struct cfg_key ticket_clock_cfg_keys[];

/* The built-in defaults (the table above; calendar_dir NULL). Static; thread-safe. */
const struct ticket_clock_cfg *ticket_clock_defaults(void);

enum ticket_clock_kind {
    TICKET_CLOCK_ACK = 0,
    TICKET_CLOCK_RESPONSE = 1,
    TICKET_CLOCK_PRESS = 2,
    TICKET_CLOCK_CLOSE = 3,
};
#define TICKET_CLOCK_COUNT 4

/* "ack", "response", "press", "close". Static string. */
const char *ticket_clock_name(enum ticket_clock_kind kind);

/* The Chinese label: 签收, 首次回应, 新闻发布会, 办结. Static string. */
const char *ticket_clock_label(enum ticket_clock_kind kind);

/* Deadlines in seconds since the epoch, UTC; 0 = this clock does not apply. */
struct ticket_deadline_set {
    int64_t ack;
    int64_t response;
    int64_t press; /* levels I and II only */
    int64_t close;
};

/*
 * The deadlines of a ticket of level detected at detected_at and assigned at assigned_at
 * (both seconds, UTC). cfg: borrowed, NULL = ticket_clock_defaults(); cal: borrowed, NULL =
 * Monday..Friday. Pure; thread-safe.
 */
void ticket_clock_deadlines(const struct ticket_clock_cfg *cfg, const struct workcal *cal,
                            enum yq_level level, int64_t detected_at, int64_t assigned_at,
                            struct ticket_deadline_set *out);

/*
 * The first year without a holiday calendar file that a working-day clock started at now (the
 * longer of 回应 IV and 办结) runs through, as workcal_first_uncovered_year(); 0 when the
 * calendar covers it all. Those days count Monday..Friday only, so the notifier warns (at
 * start and once per such year while it runs). cfg: borrowed, NULL = defaults; cal: borrowed,
 * may be NULL. Pure; thread-safe.
 */
int ticket_clock_uncovered_year(const struct ticket_clock_cfg *cfg, const struct workcal *cal,
                                int64_t now);

/*
 * When the 催办 reminder of a clock running from start to deadline is due:
 * start + (deadline - start) * percent / 100, rounded down; start when deadline <= start.
 */
int64_t ticket_clock_remind_at(int64_t start, int64_t deadline, int64_t percent);

enum ticket_escalation_stage {
    TICKET_ESC_NONE = 0,
    TICKET_ESC_REMIND = 1,    /* 催办 */
    TICKET_ESC_SUPERVISE = 2, /* 督办 (overdue) */
};

/*
 * The escalation stage a pending clock has reached at now: SUPERVISE once now > deadline (the
 * deadline's own second is on time, as everywhere: docs/statistics.md, met_at <= deadline),
 * REMIND once now >= ticket_clock_remind_at(), else NONE. deadline 0: NONE.
 */
enum ticket_escalation_stage ticket_clock_stage(int64_t start, int64_t deadline, int64_t percent,
                                                int64_t now);

#endif
