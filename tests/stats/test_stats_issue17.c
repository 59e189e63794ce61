/*
 * Issue #17: every edge of a clock written down (docs/statistics.md "Clock rules of issue
 * #17"), one test per rule, on hand-made ticket histories of October and November 2026
 * (Beijing time; deadlines given as the notifier stored them, never recomputed here).
 *
 * Departments: A 市自然资源局, B 市生态环境局. Every report is run with an injected `now`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stats.h"
#include "stats_defs.h"
#include "stats_render.h"
#include "stats_test_fixture.h"
#include "yq_time.h"

#define DEPT_A "市自然资源局"
#define DEPT_B "市生态环境局"
#define MIN 60
#define H 3600
#define DAY 86400

static int64_t bj(const char *s)
{
    return stats_fx_bj(s);
}

static struct stats_report *month(const struct stats_ticket *t, size_t n, int y, int m,
                                  const char *now, const char *known)
{
    struct stats_opts o = {.period = STATS_PERIOD_MONTH,
                           .year = y,
                           .month = m,
                           .now = bj(now),
                           .known_at = known ? bj(known) : 0};
    struct stats_report *r = NULL;
    assert_int_equal(stats_compute(t, n, &o, &r), 0);
    assert_non_null(r);
    return r;
}

static const struct stats_row *dept_row(const struct stats_report *r, const char *key)
{
    for (size_t i = 0; i < r->n_rows[STATS_DIM_DEPARTMENT]; i++) {
        if (strcmp(r->rows[STATS_DIM_DEPARTMENT][i].key, key) == 0) {
            return &r->rows[STATS_DIM_DEPARTMENT][i];
        }
    }
    return NULL;
}

/* ------------------------------------------------------------- the defect */

/*
 * The pair of the issue: two level III tickets of A, detected Mon 10-12 10:00 (签收 by 11:00,
 * 回应 48 h by Wed 10-14 10:00, 办结 by 11-03 00:00), dismissed 10:30 before either deadline,
 * reopened Tue 10-20 09:00 after the response deadline (the notifier gives a new 签收 clock,
 * by 10:00, and a new 办结 clock, by 11-10 00:00: clock set 1), acknowledged 09:30. P answers
 * 10-20 15:00; Q never answers.
 */
struct pair {
    struct stats_clock_set sets[2];
    struct stats_state_change ch_p[4], ch_q[3];
    struct stats_response resp_p[1];
    struct stats_ticket t[2];
};

static void pair_init(struct pair *p, const char *reopen_at, const char *ack_at,
                      const char *answer_at)
{
    memset(p, 0, sizeof(*p));
    p->sets[0] = (struct stats_clock_set){bj("2026-10-12 10:00"),
                                          DEPT_A,
                                          YQ_LEVEL_III,
                                          bj("2026-10-12 10:00"),
                                          bj("2026-10-12 11:00"),
                                          bj("2026-10-14 10:00"),
                                          0,
                                          bj("2026-11-03 00:00")};
    p->sets[1] = p->sets[0];
    p->sets[1].at = bj(reopen_at);
    p->sets[1].assigned_at = bj(reopen_at);
    p->sets[1].ack_deadline = bj(reopen_at) + H;
    p->sets[1].close_deadline = bj("2026-11-10 00:00");
    p->ch_p[0] = (struct stats_state_change){bj("2026-10-12 10:30"), TICKET_STATE_DISMISSED};
    p->ch_p[1] = (struct stats_state_change){bj(reopen_at), TICKET_STATE_OPEN};
    p->ch_p[2] = (struct stats_state_change){bj(ack_at), TICKET_STATE_ACKNOWLEDGED};
    p->ch_p[3] = (struct stats_state_change){bj(answer_at), TICKET_STATE_RESPONDED};
    memcpy(p->ch_q, p->ch_p, sizeof(p->ch_q));
    p->resp_p[0] = (struct stats_response){bj(answer_at), "政务微博", bj(answer_at)};
    for (int i = 0; i < 2; i++) {
        p->t[i] = (struct stats_ticket){.number = i == 0 ? "YQ-2026-10-0001" : "YQ-2026-10-0002",
                                        .title = i == 0 ? "汉滨区征地补偿（已回应）"
                                                        : "汉滨区征地补偿（未回应）",
                                        .level = YQ_LEVEL_III,
                                        .department = DEPT_A,
                                        .source = "rss-ankang",
                                        .rule_id = "land-compensation",
                                        .detected_at = bj("2026-10-12 10:00"),
                                        .assigned_at = bj(reopen_at),
                                        .acknowledged_at = bj(ack_at),
                                        .ack_deadline = p->sets[1].ack_deadline,
                                        .response_deadline = bj("2026-10-14 10:00"),
                                        .close_deadline = p->sets[1].close_deadline,
                                        .clock_sets = p->sets,
                                        .n_clock_sets = 2};
    }
    p->t[0].changes = p->ch_p;
    p->t[0].n_changes = 4;
    p->t[0].responded_at = bj(answer_at);
    p->t[0].responses = p->resp_p;
    p->t[0].n_responses = 1;
    p->t[1].changes = p->ch_q;
    p->t[1].n_changes = 3;
}

/*
 * October (cut-off 11-01 00:00): P's 48 h clock is late (settled at 10-14 10:00, answered 6 d
 * 5 h after), Q's is missed — never excluded: the reopening says the dismissal was wrong. The
 * first 签收 clock of each (by 10-12 11:00) is not counted (dismissed at its deadline); the one
 * the reopening started (by 10-20 10:00, met 09:30) is on time. Both tickets are 新交办 (a
 * ticket detected, dismissed and reopened in one month is counted once, as new).
 */
static void test_issue_17_dismissed_reopened_pair(void **state)
{
    struct pair p;
    struct stats_report *rp, *rq;
    (void)state;
    pair_init(&p, "2026-10-20 09:00", "2026-10-20 09:30", "2026-10-20 15:00");
    rp = month(&p.t[0], 1, 2026, 10, "2026-11-01 00:05", NULL);
    rq = month(&p.t[1], 1, 2026, 10, "2026-11-01 00:05", NULL);

    stats_fx_tally(&rp->total.clocks[STATS_CLOCK_RESPONSE_48H], 1, 0, 1, 0, 0, 0);
    stats_fx_tally(&rq->total.clocks[STATS_CLOCK_RESPONSE_48H], 1, 0, 0, 1, 0, 0);
    stats_fx_tally(&rp->total.clocks[STATS_CLOCK_RESPONSE], 1, 0, 1, 0, 0, 0);
    stats_fx_tally(&rq->total.clocks[STATS_CLOCK_RESPONSE], 1, 0, 0, 1, 0, 0);
    stats_fx_tally(&rp->total.clocks[STATS_CLOCK_ACK], 1, 1, 0, 0, 0, 1);
    stats_fx_tally(&rq->total.clocks[STATS_CLOCK_ACK], 1, 1, 0, 0, 0, 1);
    /* 办结 clocks end in November (11-03 superseded by the reopening; 11-10) */
    stats_fx_tally(&rp->total.clocks[STATS_CLOCK_CLOSE], 0, 0, 0, 0, 0, 0);
    assert_int_equal(rp->total.overdue_tickets, 1);
    assert_int_equal(rq->total.overdue_tickets, 1);
    assert_int_equal(rp->n_overdue, 1);
    assert_int_equal(rp->overdue[0].late_s, 6 * DAY + 5 * H);
    assert_int_equal(rp->overdue[0].met_at, bj("2026-10-20 15:00"));
    assert_int_equal(rq->n_overdue, 1);
    assert_int_equal(rq->overdue[0].met_at, 0);
    assert_int_equal(rq->overdue[0].late_s, bj("2026-11-01 00:00") - bj("2026-10-14 10:00"));
    /* time to response: 10-20 15:00 - 10-12 10:00 = 8 d 5 h */
    assert_int_equal(rp->total.ttr.n, 1);
    assert_int_equal(rp->total.ttr.median_s, 8 * DAY + 5 * H);
    /* never better for the silent one: 回应率 and 及时回应率 */
    assert_true(rq->total.clocks[STATS_CLOCK_RESPONSE].on_time +
                    rq->total.clocks[STATS_CLOCK_RESPONSE].late <=
                rp->total.clocks[STATS_CLOCK_RESPONSE].on_time +
                    rp->total.clocks[STATS_CLOCK_RESPONSE].late);
    assert_int_equal(rq->total.clocks[STATS_CLOCK_RESPONSE].due,
                     rp->total.clocks[STATS_CLOCK_RESPONSE].due);
    assert_int_equal(rp->total.detected, 1);
    assert_int_equal(rp->total.reopened, 0);
    assert_int_equal(rp->total.carried_out, 1);
    assert_int_equal(rq->n_zero_response, 1);
    assert_int_equal(rp->n_zero_response, 0);
    stats_report_free(rp);
    stats_report_free(rq);
}

/*
 * The same pair reopened after October's cut-off (Mon 11-02 09:00), P answering 11-02 15:00.
 * October as at its cut-off: the dismissal stood, both clocks 不计, and re-running October in
 * December gives the same. The later view (knowledge cut-off 12-01: the reopening is known)
 * counts both missed in October — the answer states a November time. Equal, never better for Q.
 */
static void test_issue_17_pair_reopened_after_the_cut_off(void **state)
{
    struct pair p;
    (void)state;
    pair_init(&p, "2026-11-02 09:00", "2026-11-02 09:30", "2026-11-02 15:00");
    for (int i = 0; i < 2; i++) {
        struct stats_report *r = month(&p.t[i], 1, 2026, 10, "2026-12-01 00:05", NULL);
        struct stats_report *k =
            month(&p.t[i], 1, 2026, 10, "2026-12-01 00:05", "2026-12-01 00:05");
        stats_fx_tally(&r->total.clocks[STATS_CLOCK_RESPONSE_48H], 0, 0, 0, 0, 0, 1);
        stats_fx_tally(&k->total.clocks[STATS_CLOCK_RESPONSE_48H], 1, 0, 0, 1, 0, 0);
        stats_report_free(r);
        stats_report_free(k);
    }
}

/* ------------------------------------------------------------- rule 1 */

/*
 * Rule 1: the 签收 clock runs from 交办. Detected 10-12 09:00, handed over by the 研判 inbox at
 * 10:00 (assigned_at; the notifier's 签收 deadline 11:00), acknowledged 10:50: on time, MTTA
 * 50 min. From detection it would have been 110 min and late.
 */
static void test_issue_17_ack_clock_from_handover(void **state)
{
    struct stats_state_change ch[] = {{bj("2026-10-12 10:50"), TICKET_STATE_ACKNOWLEDGED}};
    struct stats_ticket t = {.number = "YQ-2026-10-0003",
                             .title = "石泉县山洪",
                             .level = YQ_LEVEL_IV,
                             .department = DEPT_A,
                             .detected_at = bj("2026-10-12 09:00"),
                             .assigned_at = bj("2026-10-12 10:00"),
                             .acknowledged_at = bj("2026-10-12 10:50"),
                             .ack_deadline = bj("2026-10-12 11:00"),
                             .response_deadline = bj("2026-10-20 00:00"),
                             .close_deadline = bj("2026-11-03 00:00"),
                             .changes = ch,
                             .n_changes = 1};
    struct stats_report *r;
    (void)state;
    r = month(&t, 1, 2026, 10, "2026-11-01 00:05", NULL);
    stats_fx_tally(&r->total.clocks[STATS_CLOCK_ACK], 1, 1, 0, 0, 0, 0);
    assert_int_equal(r->total.mtta.n, 1);
    assert_int_equal(r->total.mtta.median_s, 50 * MIN);
    stats_report_free(r);
}

/* ------------------------------------------------------------- rule 2 */

/*
 * Rule 2: stated versus recorded times. T (IV, deadline 10-23 00:00) has two responses: the
 * first recorded (10-20 10:05) states 10-20 10:00, a later entry (recorded 10-21) states 10-19
 * 09:00: the first recorded sets the response (TTR from 10-20 10:00), both count in October.
 * U (III, deadline 10-30 12:00) was answered 10-30 10:00 but that was recorded on 11-02: as at
 * October's cut-off U is missed and October has 2 responses, whenever it is re-run; the later
 * view (known at 12-01) shows U on time and 3 responses.
 */
static void test_issue_17_recorded_time(void **state)
{
    struct stats_response rt[] = {{bj("2026-10-20 10:00"), "网站", bj("2026-10-20 10:05")},
                                  {bj("2026-10-19 09:00"), "政务微博", bj("2026-10-21 09:00")}};
    struct stats_response ru[] = {{bj("2026-10-30 10:00"), "答复", bj("2026-11-02 09:00")}};
    struct stats_ticket t[2] = {
        {.number = "YQ-2026-10-0004",
         .level = YQ_LEVEL_IV,
         .department = DEPT_A,
         .detected_at = bj("2026-10-16 10:00"),
         .assigned_at = bj("2026-10-16 10:00"),
         .responded_at = bj("2026-10-20 10:00"),
         .ack_deadline = bj("2026-10-16 11:00"),
         .response_deadline = bj("2026-10-23 00:00"),
         .close_deadline = bj("2026-11-06 00:00"),
         .responses = rt,
         .n_responses = 2},
        {.number = "YQ-2026-10-0005",
         .level = YQ_LEVEL_III,
         .department = DEPT_B,
         .detected_at = bj("2026-10-28 12:00"),
         .assigned_at = bj("2026-10-28 12:00"),
         .responded_at = bj("2026-10-30 10:00"),
         .ack_deadline = bj("2026-10-28 13:00"),
         .response_deadline = bj("2026-10-30 12:00"),
         .close_deadline = bj("2026-11-18 00:00"),
         .responses = ru,
         .n_responses = 1},
    };
    struct stats_report *r, *again, *later;
    (void)state;
    r = month(t, 2, 2026, 10, "2026-11-01 00:05", NULL);
    again = month(t, 2, 2026, 10, "2026-12-01 00:05", NULL);
    later = month(t, 2, 2026, 10, "2026-12-01 00:05", "2026-12-01 00:05");
    assert_int_equal(r->responses, 2);
    assert_int_equal(again->responses, 2);
    assert_int_equal(later->responses, 3);
    stats_fx_tally(&r->total.clocks[STATS_CLOCK_RESPONSE], 2, 1, 0, 1, 0, 0);
    stats_fx_tally(&again->total.clocks[STATS_CLOCK_RESPONSE], 2, 1, 0, 1, 0, 0);
    stats_fx_tally(&later->total.clocks[STATS_CLOCK_RESPONSE], 2, 2, 0, 0, 0, 0);
    /* T's time to response from the first recorded response: 10-20 10:00 - 10-16 10:00 */
    assert_int_equal(r->total.ttr.n, 1);
    assert_int_equal(r->total.ttr.median_s, 4 * DAY);
    assert_int_equal(r->cohort.responded, 1);
    assert_int_equal(later->cohort.responded, 2);
    stats_report_free(r);
    stats_report_free(again);
    stats_report_free(later);
}

/* ------------------------------------------------------------- rule 3 */

/*
 * Rule 3: a deadline at 24:00 of October's last day (stored 2026-11-01 00:00) is October's.
 * V0 never answers: missed in October (late by 0 at the cut-off), nothing in November. V1
 * answers at exactly 24:00 (11-01 00:00:00): on time, in October. V2 answers 10-31 23:00.
 */
static void test_issue_17_deadline_at_midnight(void **state)
{
    struct stats_response r1[] = {{bj("2026-11-01 00:00"), "网站", bj("2026-11-01 00:00")}};
    struct stats_response r2[] = {{bj("2026-10-31 23:00"), "网站", bj("2026-10-31 23:00")}};
    struct stats_ticket v[3];
    struct stats_report *oct, *nov;
    (void)state;
    for (int i = 0; i < 3; i++) {
        v[i] = (struct stats_ticket){.number = i == 0   ? "V0"
                                               : i == 1 ? "V1"
                                                        : "V2",
                                     .level = YQ_LEVEL_IV,
                                     .department = DEPT_A,
                                     .detected_at = bj("2026-10-23 10:00"),
                                     .assigned_at = bj("2026-10-23 10:00"),
                                     .ack_deadline = bj("2026-10-23 11:00"),
                                     .acknowledged_at = bj("2026-10-23 10:10"),
                                     .response_deadline = bj("2026-11-01 00:00"),
                                     .close_deadline = bj("2026-11-13 00:00")};
    }
    v[1].responses = r1;
    v[1].n_responses = 1;
    v[2].responses = r2;
    v[2].n_responses = 1;
    oct = month(v, 3, 2026, 10, "2026-11-01 00:05", NULL);
    nov = month(v, 3, 2026, 11, "2026-12-01 00:05", NULL);
    stats_fx_tally(&oct->total.clocks[STATS_CLOCK_RESPONSE_WD], 3, 2, 0, 1, 0, 0);
    stats_fx_tally(&nov->total.clocks[STATS_CLOCK_RESPONSE_WD], 0, 0, 0, 0, 0, 0);
    assert_int_equal(oct->n_overdue, 1);
    assert_string_equal(oct->overdue[0].number, "V0");
    assert_int_equal(oct->overdue[0].late_s, 0);
    /* a run at 10-31 12:00: the deadline is ahead, pending */
    stats_report_free(oct);
    oct = month(v, 3, 2026, 10, "2026-10-31 12:00", NULL);
    stats_fx_tally(&oct->total.clocks[STATS_CLOCK_RESPONSE_WD], 0, 0, 0, 0, 3, 0);
    stats_report_free(oct);
    stats_report_free(nov);
}

/* ------------------------------------------------------------- rule 4 */

/*
 * Rule 4: W (III) is detected 10-12 10:00 and handed to A (签收 by 11:00); A does not
 * acknowledge; at 14:00 it is reassigned to B (签收 by 15:00), B acknowledges 14:20 and answers
 * 10-13 09:00 (48 h: by 10-14 10:00). A's 签收 clock settled at 11:00 while A held it: missed,
 * A's. B's 签收 and the response are B's; the ticket (新交办, 结转) is B's, who held it at the
 * cut-off. In November it is reassigned to A again (a later clock set): re-running October
 * keeps every figure where it was.
 */
static void test_issue_17_reassigned(void **state)
{
    struct stats_clock_set sets[3] = {
        {bj("2026-10-12 10:00"), DEPT_A, YQ_LEVEL_III, bj("2026-10-12 10:00"),
         bj("2026-10-12 11:00"), bj("2026-10-14 10:00"), 0, bj("2026-11-03 00:00")},
        {bj("2026-10-12 14:00"), DEPT_B, YQ_LEVEL_III, bj("2026-10-12 14:00"),
         bj("2026-10-12 15:00"), bj("2026-10-14 10:00"), 0, bj("2026-11-03 00:00")},
        {bj("2026-11-05 09:00"), DEPT_A, YQ_LEVEL_III, bj("2026-11-05 09:00"),
         bj("2026-11-05 10:00"), bj("2026-10-14 10:00"), 0, bj("2026-11-03 00:00")},
    };
    struct stats_state_change ch[] = {{bj("2026-10-12 14:00"), TICKET_STATE_OPEN},
                                      {bj("2026-10-12 14:20"), TICKET_STATE_ACKNOWLEDGED},
                                      {bj("2026-10-13 09:00"), TICKET_STATE_RESPONDED}};
    struct stats_response resp[] = {{bj("2026-10-13 09:00"), "权威发布", bj("2026-10-13 09:00")}};
    struct stats_ticket w = {.number = "YQ-2026-10-0006",
                             .title = "汉江水质异味",
                             .level = YQ_LEVEL_III,
                             .department = DEPT_A,
                             .detected_at = bj("2026-10-12 10:00"),
                             .assigned_at = bj("2026-11-05 09:00"),
                             .ack_deadline = bj("2026-11-05 10:00"),
                             .response_deadline = bj("2026-10-14 10:00"),
                             .close_deadline = bj("2026-11-03 00:00"),
                             .changes = ch,
                             .n_changes = 3,
                             .responses = resp,
                             .n_responses = 1,
                             .clock_sets = sets,
                             .n_clock_sets = 3};
    struct stats_opts only_a = {.period = STATS_PERIOD_MONTH,
                                .year = 2026,
                                .month = 10,
                                .now = bj("2026-12-01 00:05"),
                                .department = DEPT_A};
    struct stats_report *r;
    const struct stats_row *a, *b;
    (void)state;
    r = month(&w, 1, 2026, 10, "2026-12-01 00:05", NULL);
    a = dept_row(r, DEPT_A);
    b = dept_row(r, DEPT_B);
    assert_non_null(a);
    assert_non_null(b);
    stats_fx_tally(&a->clocks[STATS_CLOCK_ACK], 1, 0, 0, 1, 0, 0);
    assert_int_equal(a->detected, 0);
    assert_int_equal(a->overdue_tickets, 1);
    stats_fx_tally(&b->clocks[STATS_CLOCK_ACK], 1, 1, 0, 0, 0, 0);
    stats_fx_tally(&b->clocks[STATS_CLOCK_RESPONSE_48H], 1, 1, 0, 0, 0, 0);
    assert_int_equal(b->detected, 1);
    assert_int_equal(b->carried_out, 1);
    assert_int_equal(b->overdue_tickets, 0);
    stats_fx_tally(&r->total.clocks[STATS_CLOCK_ACK], 2, 1, 0, 1, 0, 0);
    assert_int_equal(r->total.detected, 1);
    assert_string_equal(r->overdue[0].department, DEPT_A);
    stats_report_free(r);
    /* A's own report: its missed 签收 only, no ticket figures */
    assert_int_equal(stats_compute(&w, 1, &only_a, &r), 0);
    stats_fx_tally(&r->total.clocks[STATS_CLOCK_ACK], 1, 0, 0, 1, 0, 0);
    assert_int_equal(r->total.detected, 0);
    assert_int_equal(r->total.clocks[STATS_CLOCK_RESPONSE].due, 0);
    stats_report_free(r);
}

/* ------------------------------------------------------------- rule 5 */

/*
 * Rule 5: acknowledgements cleared, exact instants, and 重新办理.
 * X: handed to A 10:00 (签收 by 11:00), reassigned to B at 10:30 before A acknowledged: A's
 * clock is superseded, 不计 (not missed); B's (by 11:30) met at 11:30 exactly: on time (a 签收 at
 * the deadline's instant).
 * Y: closed at exactly 11-01 00:00 (the window's first instant of November): October carries
 * it out, November carries it in and closes it.
 */
static void test_issue_17_boundaries(void **state)
{
    struct stats_clock_set xs[2] = {
        {bj("2026-10-12 10:00"), DEPT_A, YQ_LEVEL_IV, bj("2026-10-12 10:00"),
         bj("2026-10-12 11:00"), bj("2026-10-20 00:00"), 0, bj("2026-11-03 00:00")},
        {bj("2026-10-12 10:30"), DEPT_B, YQ_LEVEL_IV, bj("2026-10-12 10:30"),
         bj("2026-10-12 11:30"), bj("2026-10-20 00:00"), 0, bj("2026-11-03 00:00")},
    };
    struct stats_state_change xch[] = {{bj("2026-10-12 10:30"), TICKET_STATE_OPEN},
                                       {bj("2026-10-12 11:30"), TICKET_STATE_ACKNOWLEDGED}};
    struct stats_state_change ych[] = {{bj("2026-10-20 10:10"), TICKET_STATE_ACKNOWLEDGED},
                                       {bj("2026-10-21 10:00"), TICKET_STATE_RESPONDED},
                                       {bj("2026-11-01 00:00"), TICKET_STATE_CLOSED}};
    struct stats_ticket t[2] = {
        {.number = "X",
         .level = YQ_LEVEL_IV,
         .department = DEPT_B,
         .detected_at = bj("2026-10-12 10:00"),
         .assigned_at = bj("2026-10-12 10:30"),
         .acknowledged_at = bj("2026-10-12 11:30"),
         .ack_deadline = bj("2026-10-12 11:30"),
         .response_deadline = bj("2026-10-20 00:00"),
         .close_deadline = bj("2026-11-03 00:00"),
         .changes = xch,
         .n_changes = 2,
         .clock_sets = xs,
         .n_clock_sets = 2},
        {.number = "Y",
         .level = YQ_LEVEL_IV,
         .department = DEPT_A,
         .detected_at = bj("2026-10-20 10:00"),
         .assigned_at = bj("2026-10-20 10:00"),
         .acknowledged_at = bj("2026-10-20 10:10"),
         .responded_at = bj("2026-10-21 10:00"),
         .closed_at = bj("2026-11-01 00:00"),
         .ack_deadline = bj("2026-10-20 11:00"),
         .response_deadline = bj("2026-10-27 00:00"),
         .close_deadline = bj("2026-11-10 00:00"),
         .changes = ych,
         .n_changes = 3},
    };
    struct stats_report *oct, *nov;
    (void)state;
    oct = month(&t[0], 1, 2026, 10, "2026-11-01 00:05", NULL);
    stats_fx_tally(&dept_row(oct, DEPT_A)->clocks[STATS_CLOCK_ACK], 0, 0, 0, 0, 0, 1);
    stats_fx_tally(&dept_row(oct, DEPT_B)->clocks[STATS_CLOCK_ACK], 1, 1, 0, 0, 0, 0);
    assert_int_equal(dept_row(oct, DEPT_B)->mtta.median_s, H);
    stats_report_free(oct);

    oct = month(&t[1], 1, 2026, 10, "2026-11-01 00:05", NULL);
    nov = month(&t[1], 1, 2026, 11, "2026-12-01 00:05", NULL);
    assert_int_equal(oct->total.closed, 0);
    assert_int_equal(oct->total.carried_out, 1);
    assert_int_equal(nov->total.carried_in, 1);
    assert_int_equal(nov->total.closed, 1);
    stats_fx_tally(&nov->total.clocks[STATS_CLOCK_CLOSE], 1, 1, 0, 0, 0, 0);
    stats_report_free(oct);
    stats_report_free(nov);
}

/* Each ticket's contribution as one line, the same for the same figures (publication diffs). */
static int collect(void *ctx, const char *number, const char *line)
{
    char *buf = ctx;
    size_t n = strlen(buf);
    snprintf(buf + n, 2048 - n, "%s=%s\n", number, line);
    return 0;
}

static void test_issue_17_signatures(void **state)
{
    struct pair p;
    struct stats_opts o = {
        .period = STATS_PERIOD_MONTH, .year = 2026, .month = 10, .now = bj("2026-11-01 00:05")};
    char buf[2048] = "";
    const char *names[STATS_CLOCK_COUNT];
    (void)state;
    for (int k = 0; k < STATS_CLOCK_COUNT; k++) {
        names[k] = stats_clock_terms[k].name;
    }
    pair_init(&p, "2026-10-20 09:00", "2026-10-20 09:30", "2026-10-20 15:00");
    assert_int_equal(stats_signatures(p.t, 2, &o, names, collect, buf), 0);
    assert_string_equal(
        buf, "YQ-2026-10-0001=detected,carried_out@" DEPT_A ";ack:excluded@" DEPT_A
             ";ack:on_time@" DEPT_A ";response:late@" DEPT_A ";response_48h:late@" DEPT_A "\n"
             "YQ-2026-10-0002=detected,carried_out@" DEPT_A ";ack:excluded@" DEPT_A
             ";ack:on_time@" DEPT_A ";response:missed@" DEPT_A ";response_48h:missed@" DEPT_A "\n");
}

/* ------------------------------------------------------------- field review */

/* A level III ticket of A detected at det, 签收 by det + 1 h, 回应 by det + 48 h (办结 in 2027). */
static struct stats_ticket field_ticket(const char *number, const char *det)
{
    return (struct stats_ticket){.number = number,
                                 .title = "汉滨区征地补偿",
                                 .level = YQ_LEVEL_III,
                                 .department = DEPT_A,
                                 .source = "rss-ankang",
                                 .rule_id = "land-compensation",
                                 .detected_at = bj(det),
                                 .assigned_at = bj(det),
                                 .ack_deadline = bj(det) + H,
                                 .response_deadline = bj(det) + 48 * H,
                                 .close_deadline = bj("2027-02-01 00:00")};
}

/*
 * t is acknowledged at ack_at and answered on channel at answer_at (entered then): its one
 * response in resp and its two state changes in ch, both the caller's storage.
 */
static void field_answer(struct stats_ticket *t, struct stats_response *resp,
                         struct stats_state_change ch[2], int64_t ack_at, int64_t answer_at,
                         const char *channel)
{
    *resp = (struct stats_response){answer_at, channel, answer_at};
    ch[0] = (struct stats_state_change){ack_at, TICKET_STATE_ACKNOWLEDGED};
    ch[1] = (struct stats_state_change){answer_at, TICKET_STATE_RESPONDED};
    t->acknowledged_at = ack_at;
    t->responded_at = answer_at;
    t->responses = resp;
    t->n_responses = 1;
    t->changes = ch;
    t->n_changes = 2;
}

/*
 * The field cases of the monthly figures: a ticket detected 2026-11-30 23:30 (15:30Z) belongs
 * to November and is carried into December, where its 48 h clock settles; the identity holds
 * in both months; a 签收 and a response at the deadline's very second are on time; the
 * durations of 0, 1 and 2 tickets (nearest rank: the median of two is the lower, P90 the
 * upper; the mean rounded half up).
 */
static void test_field_month_edges_and_small_samples(void **state)
{
    struct stats_ticket t[2];
    struct stats_response resp[2];
    struct stats_state_change ch[2][2];
    struct stats_report *r;
    (void)state;

    t[0] = field_ticket("YQ-2026-11-0001", "2026-11-30 23:30");
    /* 签收 12-01 00:30 and 回应 12-02 23:30: each at its deadline */
    field_answer(&t[0], &resp[0], ch[0], t[0].ack_deadline, t[0].response_deadline, "政务微博");
    t[1] = field_ticket("YQ-2026-12-0001", "2026-12-07 09:00");
    /* 签收 after 20 min 15 s = 20.25 min (a half in the CSV's tenths of a minute) */
    field_answer(&t[1], &resp[1], ch[1], bj("2026-12-07 09:20") + 15, bj("2026-12-07 12:00"),
                 "网站");

    /* November (cut-off 12-01 00:00): 新交办 1, 结转下月 1; its clocks are December's */
    r = month(t, 1, 2026, 11, "2027-01-10 00:00", NULL);
    assert_int_equal(r->total.detected, 1);
    assert_int_equal(r->cohort.detected, 1);
    assert_int_equal(r->total.carried_in + r->total.added, 1);
    assert_int_equal(r->total.carried_out, 1);
    assert_int_equal(r->total.clocks[STATS_CLOCK_ACK].due, 0);
    assert_int_equal(r->total.mtta.n, 0); /* no sample: n 0, the writers print — */
    assert_int_equal(r->total.ttr.n, 0);
    stats_report_free(r);
    /* December with one ticket: carried in, both clocks on time at their deadline's second */
    r = month(t, 1, 2026, 12, "2027-01-10 00:00", NULL);
    assert_int_equal(r->total.detected, 0);
    assert_int_equal(r->total.carried_in, 1);
    assert_int_equal(r->total.carried_out, 1);
    stats_fx_tally(&r->total.clocks[STATS_CLOCK_ACK], 1, 1, 0, 0, 0, 0);
    stats_fx_tally(&r->total.clocks[STATS_CLOCK_RESPONSE_48H], 1, 1, 0, 0, 0, 0);
    assert_int_equal(r->total.overdue_tickets, 0);
    assert_int_equal(r->total.mtta.n, 1);
    assert_int_equal(r->total.mtta.median_s, H);
    assert_int_equal(r->total.mtta.p90_s, H);
    assert_int_equal(r->total.mtta.mean_s, H);
    assert_int_equal(r->total.ttr.n, 1);
    assert_int_equal(r->total.ttr.median_s, 48 * H);
    stats_report_free(r);
    /* December with two: 1215 s and 3600 s; 3 h and 48 h */
    r = month(t, 2, 2026, 12, "2027-01-10 00:00", NULL);
    assert_int_equal(r->total.carried_in + r->total.added,
                     r->total.closed + r->total.dismissed + r->total.carried_out);
    assert_int_equal(r->total.mtta.n, 2);
    assert_int_equal(r->total.mtta.median_s, 1215);
    assert_int_equal(r->total.mtta.p90_s, H);
    assert_int_equal(r->total.mtta.mean_s, 2408); /* 2407.5 half up */
    {
        /* the CSV's minutes are rounded half up too: 20.25 -> 20.3 (not the 20.2 of %.1f) */
        char *csv = NULL;
        assert_int_equal(stats_render(r, STATS_FORMAT_CSV, NULL, &csv, NULL), 0);
        assert_non_null(strstr(csv, ",2,20.3,60.0,40.1,2,180.0,2880.0,1530.0,0,,,"));
        free(csv);
    }
    assert_int_equal(r->total.ttr.median_s, 3 * H);
    assert_int_equal(r->total.ttr.p90_s, 48 * H);
    assert_int_equal(r->total.ttr.mean_s, (3 + 48) * H / 2);
    stats_fx_tally(&r->total.clocks[STATS_CLOCK_RESPONSE], 2, 2, 0, 0, 0, 0);
    stats_report_free(r);
    /*
     * An hour clock ending at midnight: level I detected 11-30 19:00, 5 h 权威信息 by 12-01
     * 00:00 (24 h 新闻发布会 by 12-01 19:00), answered (and entered) at 00:00:00 exactly: on
     * time, November's (the month whose cut-off it is); December has no 5 h clock of it, and
     * its missed press conference.
     */
    {
        struct stats_ticket u = field_ticket("YQ-2026-11-0002", "2026-11-30 19:00");
        struct stats_response ur;
        struct stats_state_change uc[2];
        u.level = YQ_LEVEL_I;
        u.response_deadline = bj("2026-12-01 00:00");
        u.press_deadline = bj("2026-12-01 19:00");
        field_answer(&u, &ur, uc, bj("2026-11-30 19:10"), u.response_deadline, "权威发布");
        r = month(&u, 1, 2026, 11, "2027-01-10 00:00", NULL);
        stats_fx_tally(&r->total.clocks[STATS_CLOCK_INFO_5H], 1, 1, 0, 0, 0, 0);
        stats_fx_tally(&r->total.clocks[STATS_CLOCK_RESPONSE], 1, 1, 0, 0, 0, 0);
        assert_int_equal(r->total.ttr.median_s, 5 * H);
        /* the count of public responses is by the window [start, end): 00:00 is December's */
        assert_int_equal(r->responses, 0);
        stats_report_free(r);
        r = month(&u, 1, 2026, 12, "2027-01-10 00:00", NULL);
        stats_fx_tally(&r->total.clocks[STATS_CLOCK_INFO_5H], 0, 0, 0, 0, 0, 0);
        stats_fx_tally(&r->total.clocks[STATS_CLOCK_PRESS_24H], 1, 0, 0, 1, 0, 0);
        assert_int_equal(r->responses, 1);
        stats_report_free(r);
    }
    /* the mean of 1 s and 2 s is 1.5 s: 2 (half up) */
    {
        int64_t v[2] = {2, 1};
        struct stats_summary s;
        stats_summarise(v, 2, &s);
        assert_int_equal(s.median_s, 1);
        assert_int_equal(s.p90_s, 2);
        assert_int_equal(s.mean_s, 2);
    }
}

/*
 * A ticket reopened twice on one day gets the same 办结 deadline twice (24:00 of the 15th
 * working day after that day): still two cycles, two 办结 clocks. IV of A detected Mon 10-12
 * 10:00 (办结 by 11-03 00:00), answered 10-13 09:00 and closed 10:00; reopened Tue 10-20 09:00
 * (办结 by 11-11 00:00: 21-23, 26-30, 11-02..06, 09, 10), closed 11:00; reopened 14:00 (the
 * same 11-11 00:00) and never closed. October: 2 办结 clocks on time; November: the third
 * missed at its deadline (before, it was taken for the second one, met at 11:00).
 */
static void test_field_two_reopenings_in_one_day(void **state)
{
    struct stats_clock_set sets[3];
    struct stats_state_change ch[7];
    struct stats_response resp = {bj("2026-10-13 09:00"), "网站", bj("2026-10-13 09:00")};
    struct stats_ticket t = field_ticket("YQ-2026-10-0009", "2026-10-12 10:00");
    struct stats_report *r;
    (void)state;

    t.level = YQ_LEVEL_IV;
    t.response_deadline = bj("2026-10-20 00:00");
    t.close_deadline = bj("2026-11-11 00:00");
    sets[0] = (struct stats_clock_set){bj("2026-10-12 10:00"),
                                       DEPT_A,
                                       YQ_LEVEL_IV,
                                       bj("2026-10-12 10:00"),
                                       bj("2026-10-12 11:00"),
                                       t.response_deadline,
                                       0,
                                       bj("2026-11-03 00:00")};
    sets[1] = sets[0];
    sets[1].at = sets[1].assigned_at = bj("2026-10-20 09:00");
    sets[1].ack_deadline = bj("2026-10-20 10:00");
    sets[1].close_deadline = bj("2026-11-11 00:00");
    sets[2] = sets[1];
    sets[2].at = sets[2].assigned_at = bj("2026-10-20 14:00");
    sets[2].ack_deadline = bj("2026-10-20 15:00");
    ch[0] = (struct stats_state_change){bj("2026-10-12 10:30"), TICKET_STATE_ACKNOWLEDGED};
    ch[1] = (struct stats_state_change){bj("2026-10-13 09:00"), TICKET_STATE_RESPONDED};
    ch[2] = (struct stats_state_change){bj("2026-10-13 10:00"), TICKET_STATE_CLOSED};
    ch[3] = (struct stats_state_change){bj("2026-10-20 09:00"), TICKET_STATE_OPEN};
    ch[4] = (struct stats_state_change){bj("2026-10-20 11:00"), TICKET_STATE_CLOSED};
    ch[5] = (struct stats_state_change){bj("2026-10-20 14:00"), TICKET_STATE_OPEN};
    ch[6] = (struct stats_state_change){bj("2026-10-20 14:30"), TICKET_STATE_ACKNOWLEDGED};
    t.assigned_at = sets[2].assigned_at;
    t.ack_deadline = sets[2].ack_deadline;
    t.acknowledged_at = ch[6].at;
    t.responded_at = resp.at;
    t.responses = &resp;
    t.n_responses = 1;
    t.changes = ch;
    t.n_changes = 7;
    t.clock_sets = sets;
    t.n_clock_sets = 3;

    r = month(&t, 1, 2026, 10, "2026-12-10 00:00", NULL);
    stats_fx_tally(&r->total.clocks[STATS_CLOCK_CLOSE], 2, 2, 0, 0, 0, 0);
    assert_int_equal(r->total.ttc.n, 2);
    assert_int_equal(r->total.ttc.median_s, 2 * H); /* 09:00 -> 11:00 */
    assert_int_equal(r->total.ttc.p90_s, 24 * H);   /* 10-12 10:00 -> 10-13 10:00 */
    assert_int_equal(r->total.carried_out, 1);
    stats_report_free(r);
    r = month(&t, 1, 2026, 11, "2026-12-10 00:00", NULL);
    stats_fx_tally(&r->total.clocks[STATS_CLOCK_CLOSE], 1, 0, 0, 1, 0, 0);
    assert_int_equal(r->total.overdue_tickets, 1);
    assert_int_equal(r->n_overdue, 1);
    assert_int_equal(r->overdue[0].deadline, bj("2026-11-11 00:00"));
    stats_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_17_dismissed_reopened_pair),
        cmocka_unit_test(test_issue_17_pair_reopened_after_the_cut_off),
        cmocka_unit_test(test_issue_17_ack_clock_from_handover),
        cmocka_unit_test(test_issue_17_recorded_time),
        cmocka_unit_test(test_issue_17_deadline_at_midnight),
        cmocka_unit_test(test_issue_17_reassigned),
        cmocka_unit_test(test_issue_17_boundaries),
        cmocka_unit_test(test_issue_17_signatures),
        cmocka_unit_test(test_field_month_edges_and_small_samples),
        cmocka_unit_test(test_field_two_reopenings_in_one_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
