/*
 * Statistics core (stats.h): a fixture ticket history written here, crossing the 2025/2026
 * year boundary, weekends, the 2026 元旦 and 春节 holidays and their 调休 working days, whose
 * every figure is worked out by hand in the comments; FC-034 from ../shared/cases; and a
 * property test of the carry-over identity over 24 consecutive months of random histories.
 *
 * All times below are Beijing time (+08:00) unless they end in Z.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "stats_defs.h"
#include "stats_fmt.h"
#include "stats_render.h"
#include "stats_test_fixture.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_time.h"
#include "yq_banned.h"

#define H 3600
#define MIN 60

/* "2026-01-01 00:10" in Beijing time (a time without a zone is Asia/Shanghai). */
static int64_t bj(const char *s)
{
    int64_t t = 0;
    assert_int_equal(yq_time_parse_iso(s, &t, NULL), 0);
    return t;
}

/*
 * The 2026 calendar by hand (国务院办公厅 notice of 2025-11-04): off 1月1–3日, 2月15–23日;
 * 调休 working days 1月4日 (Sun), 2月14日 (Sat), 2月28日 (Sat). Other days: Monday..Friday.
 */
static bool hand_calendar(const void *ctx, int64_t day)
{
    static const char *const off[] = {"2026-01-01", "2026-01-02", "2026-01-03", "2026-02-15",
                                      "2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19",
                                      "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23"};
    static const char *const work[] = {"2026-01-04", "2026-02-14", "2026-02-28"};
    (void)ctx;
    for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
        if ((bj(off[i]) + YQ_SHANGHAI_OFFSET_S) / 86400 == day) {
            return false;
        }
    }
    for (size_t i = 0; i < sizeof(work) / sizeof(work[0]); i++) {
        if ((bj(work[i]) + YQ_SHANGHAI_OFFSET_S) / 86400 == day) {
            return true;
        }
    }
    int64_t wd = (day + 4) % 7; /* 0 = Sunday */
    return wd >= 1 && wd <= 5;
}

static const struct stats_calendar calendar = {hand_calendar, NULL};

#define DEPT_A "市自然资源局"
#define DEPT_B "市住房和城乡建设局"
#define DEPT_C "市卫生健康委员会"
#define DEPT_D "市应急管理局"

static const struct stats_rule_group groups[] = {
    {"land-compensation", "征地拆迁"},
    {"safety-gas", "突发事件"},
    {"safety-geohazard", "突发事件"},
    {"health-epidemic", "疫情防控"},
};

/*
 * N_FIX: the tickets T0..T8 of the figures of issue #7; N_ALL adds T9..T13 (issue #10: 办结用时,
 * 未签收即办结/不予处置, 期末未签收), all in February 2026 but T10 (detected in January).
 */
enum { N_FIX = 9, N_ALL = 14 };

struct fixture {
    struct stats_ticket t[N_ALL];
    struct stats_state_change ch4[2], ch5[4], ch9[1], ch10[7], ch13[2];
    int64_t alerts3[3], alerts6[2];
    struct stats_response resp3[2], resp6[1];
};

/*
 * The deadlines are what the notifier stores (ack 1 h after assignment; I/II 5 h information and
 * 24 h press conference; III 48 h; IV 5 working days and closure 15 working days, each ending at
 * 24:00 of the last working day), worked out here with the calendar above; 2025 has no holiday
 * file, so its working days are Monday..Friday.
 */
static void fixture_init(struct fixture *f)
{
    struct stats_ticket *t = f->t;
    memset(f, 0, sizeof(*f));

    /*
     * T0, IV, B, detected Fri 2025-11-28 10:00. Ack by 11:00, acked 10:30.
     * Response: 5 working days after Fri 11-28 = Mon 12-01 .. Fri 12-05 -> 12-06 00:00;
     * responded 12-01 09:00 (on time; TTR 2 d 23 h = 71 h = 255600 s).
     * Close: 15 working days: 12-01..05 (5), 12-08..12 (10), 12-15..19 (15) -> 12-20 00:00;
     * closed 12-22 10:00: late by 2 d 10 h = 58 h = 208800 s.
     */
    t[0] = (struct stats_ticket){
        .number = "YQ-2025-11-0009", .title = "旬阳市安置房漏水", .level = YQ_LEVEL_IV,
        .department = DEPT_B, .source = "rss-ankang", .rule_id = "housing-leak",
        .detected_at = bj("2025-11-28 10:00"), .assigned_at = bj("2025-11-28 10:00"),
        .acknowledged_at = bj("2025-11-28 10:30"), .responded_at = bj("2025-12-01 09:00"),
        .closed_at = bj("2025-12-22 10:00"), .ack_deadline = bj("2025-11-28 11:00"),
        .response_deadline = bj("2025-12-06 00:00"), .close_deadline = bj("2025-12-20 00:00")};

    /*
     * T1, III, A, detected Tue 2025-12-30 22:00 (night band: 22:00 is night). Ack by 23:00,
     * acked 22:40 (MTTA 40 min = 2400 s). Response 48 h -> 2026-01-01 22:00, responded
     * 01-01 21:00 (TTR 47 h = 169200 s). Close: 15 working days after 12-30: 12-31 (1),
     * 01-01..03 off, 01-04 调休 Sunday (2), 01-05..09 (7), 01-12..16 (12), 01-19..21 (15)
     * -> 2026-01-22 00:00; closed 01-10 10:00.
     */
    t[1] = (struct stats_ticket){
        .number = "YQ-2025-12-0001", .title = "汉滨区征地补偿款迟迟未发放",
        .level = YQ_LEVEL_III, .department = DEPT_A, .source = "rss-ankang",
        .rule_id = "land-compensation", .detected_at = bj("2025-12-30 22:00"),
        .assigned_at = bj("2025-12-30 22:00"), .acknowledged_at = bj("2025-12-30 22:40"),
        .responded_at = bj("2026-01-01 21:00"), .closed_at = bj("2026-01-10 10:00"),
        .ack_deadline = bj("2025-12-30 23:00"), .response_deadline = bj("2026-01-01 22:00"),
        .close_deadline = bj("2026-01-22 00:00")};

    /*
     * T2, IV, B, detected Wed 2025-12-31 23:30 (night). Ack by 2026-01-01 00:30, acked 08:00
     * (late 7 h 30 min = 27000 s; MTTA 8 h 30 min = 30600 s). Response: 5 working days after
     * 12-31: 01-01..03 off, 01-04 调休 (1), 01-05..08 (5) -> 2026-01-09 00:00 (a day earlier
     * than without the 调休 Sunday); responded 01-08 20:00 (TTR 7 d 20 h 30 min = 678600 s).
     * Close: 01-04 (1), 01-05..09 (6), 01-12..16 (11), 01-19..22 (15) -> 2026-01-23 00:00;
     * never closed.
     */
    t[2] = (struct stats_ticket){
        .number = "YQ-2025-12-0002",
        .title = "高新区小区加装电梯纠纷<script>alert(1)</script> & \"拖欠\"", .level = YQ_LEVEL_IV,
        .department = DEPT_B, .source = "weibo-ankang", .rule_id = "housing-lift",
        .detected_at = bj("2025-12-31 23:30"), .assigned_at = bj("2025-12-31 23:30"),
        .acknowledged_at = bj("2026-01-01 08:00"), .responded_at = bj("2026-01-08 20:00"),
        .ack_deadline = bj("2026-01-01 00:30"), .response_deadline = bj("2026-01-09 00:00"),
        .close_deadline = bj("2026-01-23 00:00")};

    /*
     * T3, II, A, detected 2026-01-01 00:10 = 2025-12-31T16:10Z (January in Beijing, December
     * in UTC: FC-034's trap). Ack by 01:10, acked 00:50 (MTTA 2400 s). Information 5 h -> 05:10,
     * 权威发布 04:00 (TTR 3 h 50 min = 13800 s). Press conference 24 h -> 01-02 00:10, held
     * 01-02 09:00 (late 8 h 50 min = 31800 s). Close 15 working days after 01-01 -> 01-23
     * 00:00 (as T2), closed 01-20 15:00. Alerts: 01-01 00:10 (night), 01-01 12:00 (holiday
     * daytime: rest day), 01-04 10:00 (调休 Sunday: business hours).
     */
    f->resp3[0] = (struct stats_response){bj("2026-01-01 04:00"), "权威发布", 0};
    f->resp3[1] = (struct stats_response){bj("2026-01-02 09:00"), "新闻发布会", 0};
    f->alerts3[0] = bj("2026-01-01 00:10");
    f->alerts3[1] = bj("2026-01-01 12:00");
    f->alerts3[2] = bj("2026-01-04 10:00");
    t[3] = (struct stats_ticket){
        .number = "YQ-2026-01-0001", .title = "汉阴县燃气泄漏", .level = YQ_LEVEL_II,
        .department = DEPT_A, .source = "rss-ankang", .rule_id = "safety-gas",
        .detected_at = bj("2026-01-01 00:10"), .assigned_at = bj("2026-01-01 00:10"),
        .acknowledged_at = bj("2026-01-01 00:50"), .responded_at = bj("2026-01-01 04:00"),
        .press_held_at = bj("2026-01-02 09:00"), .closed_at = bj("2026-01-20 15:00"),
        .ack_deadline = bj("2026-01-01 01:10"), .response_deadline = bj("2026-01-01 05:10"),
        .press_deadline = bj("2026-01-02 00:10"), .close_deadline = bj("2026-01-23 00:00"),
        .alert_at = f->alerts3, .n_alerts = 3, .responses = f->resp3, .n_responses = 2};

    /*
     * T4, III, C, detected Fri 2026-01-30 17:00 (business hours). Ack by 18:00, acked 17:30
     * (MTTA 1800 s). Response 48 h -> 02-01 17:00: never responded. Close: 15 working days
     * after 01-30: 02-02..06 (5), 02-09..13 (10), 02-14 调休 Saturday (11), 02-15..23 off,
     * 02-24..27 (15) -> 2026-02-28 00:00. Dismissed 02-03 10:00: after the response deadline
     * (so the response stays missed) and before the close deadline (so closing is not counted).
     */
    f->ch4[0] = (struct stats_state_change){bj("2026-01-30 17:30"), TICKET_STATE_ACKNOWLEDGED};
    f->ch4[1] = (struct stats_state_change){bj("2026-02-03 10:00"), TICKET_STATE_DISMISSED};
    t[4] = (struct stats_ticket){
        .number = "YQ-2026-01-0002", .title = "紫阳县流感聚集性病例传言", .level = YQ_LEVEL_III,
        .department = DEPT_C, .source = "wechat-x", .rule_id = "health-epidemic",
        .detected_at = bj("2026-01-30 17:00"), .assigned_at = bj("2026-01-30 17:00"),
        .acknowledged_at = bj("2026-01-30 17:30"), .dismissed_at = bj("2026-02-03 10:00"),
        .ack_deadline = bj("2026-01-30 18:00"), .response_deadline = bj("2026-02-01 17:00"),
        .close_deadline = bj("2026-02-28 00:00"), .changes = f->ch4, .n_changes = 2};

    /*
     * T5, IV, C, detected Sat 2026-01-10 10:00 (rest-day daytime), dismissed 10:30, reopened
     * Mon 02-02 09:00 (the store then re-assigns: assigned_at 02-02 09:00, ack by 10:00, acked
     * 09:20 = MTTA 1200 s; closure re-computed: 15 working days after 02-02: 02-03..06 (4),
     * 02-09..13 (9), 02-14 (10), 02-24..27 (14), 02-28 调休 (15) -> 03-01 00:00; dismissed_at
     * cleared). The response deadline stays: 5 working days after 01-10 = 01-12..16 -> 01-17
     * 00:00, passed while dismissed (not counted); responded late 02-05 10:00.
     */
    f->ch5[0] = (struct stats_state_change){bj("2026-01-10 10:30"), TICKET_STATE_DISMISSED};
    f->ch5[1] = (struct stats_state_change){bj("2026-02-02 09:00"), TICKET_STATE_OPEN};
    f->ch5[2] = (struct stats_state_change){bj("2026-02-02 09:20"), TICKET_STATE_ACKNOWLEDGED};
    f->ch5[3] = (struct stats_state_change){bj("2026-02-05 10:00"), TICKET_STATE_RESPONDED};
    t[5] = (struct stats_ticket){
        .number = "YQ-2026-01-0003", .title = "岚皋县疫苗接种点排队", .level = YQ_LEVEL_IV,
        .department = DEPT_C, .source = "rss-ankang", .rule_id = "health-epidemic",
        .detected_at = bj("2026-01-10 10:00"), .assigned_at = bj("2026-02-02 09:00"),
        .acknowledged_at = bj("2026-02-02 09:20"), .responded_at = bj("2026-02-05 10:00"),
        .ack_deadline = bj("2026-02-02 10:00"), .response_deadline = bj("2026-01-17 00:00"),
        .close_deadline = bj("2026-03-01 00:00"), .changes = f->ch5, .n_changes = 4};

    /*
     * T6, I, D, detected Sat 2026-02-14 09:30: a 调休 working Saturday, so business hours.
     * Ack by 10:30, acked 10:45 (late 15 min = 900 s; MTTA 4500 s). Information 5 h -> 14:30,
     * 权威发布 at exactly 14:30 (on time: the deadline instant is allowed; TTR 18000 s, in the
     * "1–5 h" bucket, upper bound inclusive). Press conference 24 h -> 02-15 09:30: none.
     * Close: 02-15..23 off, 02-24..27 (4), 02-28 (5), 03-02..06 (10), 03-09..13 (15)
     * -> 03-14 00:00. Alerts 09:30 (business) and 19:00 (evening).
     */
    f->resp6[0] = (struct stats_response){bj("2026-02-14 14:30"), "权威发布", 0};
    f->alerts6[0] = bj("2026-02-14 09:30");
    f->alerts6[1] = bj("2026-02-14 19:00");
    t[6] = (struct stats_ticket){
        .number = "YQ-2026-02-0001", .title = "平利县山体滑坡", .level = YQ_LEVEL_I,
        .department = DEPT_D, .source = "weibo-ankang", .rule_id = "safety-geohazard",
        .detected_at = bj("2026-02-14 09:30"), .assigned_at = bj("2026-02-14 09:30"),
        .acknowledged_at = bj("2026-02-14 10:45"), .responded_at = bj("2026-02-14 14:30"),
        .ack_deadline = bj("2026-02-14 10:30"), .response_deadline = bj("2026-02-14 14:30"),
        .press_deadline = bj("2026-02-15 09:30"), .close_deadline = bj("2026-03-14 00:00"),
        .alert_at = f->alerts6, .n_alerts = 2, .responses = f->resp6, .n_responses = 1};

    /*
     * T7, III, B, detected Fri 2026-02-27 23:00 (night). Ack by 02-28 00:00, acked at exactly
     * 00:00 (on time; MTTA 3600 s). Response 48 h -> 03-01 23:00: settles in March.
     */
    t[7] = (struct stats_ticket){
        .number = "YQ-2026-02-0002", .title = "恒口示范区拆迁安置", .level = YQ_LEVEL_III,
        .department = DEPT_B, .source = "rss-ankang", .rule_id = "land-compensation",
        .detected_at = bj("2026-02-27 23:00"), .assigned_at = bj("2026-02-27 23:00"),
        .acknowledged_at = bj("2026-02-28 00:00"), .ack_deadline = bj("2026-02-28 00:00"),
        .response_deadline = bj("2026-03-01 23:00"), .close_deadline = bj("2026-03-20 00:00")};

    /*
     * T8, IV, A, detected Fri 2026-02-13 15:00 (business). Ack by 16:00, acked 15:10 (MTTA
     * 600 s). Response: 5 working days after 02-13: 02-14 调休 (1), 02-15..23 off, 02-24..27
     * (5) -> 02-28 00:00; responded 02-27 16:00 (TTR 14 d 1 h = 1213200 s).
     */
    t[8] = (struct stats_ticket){
        .number = "YQ-2026-02-0003", .title = "石泉县宅基地确权", .level = YQ_LEVEL_IV,
        .department = DEPT_A, .source = "wechat-x", .rule_id = "land-compensation",
        .detected_at = bj("2026-02-13 15:00"), .assigned_at = bj("2026-02-13 15:00"),
        .acknowledged_at = bj("2026-02-13 15:10"), .responded_at = bj("2026-02-27 16:00"),
        .ack_deadline = bj("2026-02-13 16:00"), .response_deadline = bj("2026-02-28 00:00"),
        .close_deadline = bj("2026-03-13 00:00")};

    /*
     * T9, IV, D, detected Mon 2026-02-02 10:00, dismissed 10:40 before anyone acknowledged it
     * (ack by 11:00: excluded). Response: 02-03..06 (4), 02-09 (5) -> 02-10 00:00, excluded.
     * Close: as T5 after 02-02 -> 03-01 00:00 (24:00 of 02-28: February's, excluded; issue #17
 * rule 3). 未签收即不予处置 (log).
     */
    f->ch9[0] = (struct stats_state_change){bj("2026-02-02 10:40"), TICKET_STATE_DISMISSED};
    t[9] = (struct stats_ticket){
        .number = "YQ-2026-02-0004", .title = "汉滨区网传停水（经核实为旧闻）", .level = YQ_LEVEL_IV,
        .department = DEPT_D, .source = "rss-ankang", .rule_id = "housing-leak",
        .detected_at = bj("2026-02-02 10:00"), .assigned_at = bj("2026-02-02 10:00"),
        .dismissed_at = bj("2026-02-02 10:40"), .ack_deadline = bj("2026-02-02 11:00"),
        .response_deadline = bj("2026-02-10 00:00"), .close_deadline = bj("2026-03-01 00:00"),
        .changes = f->ch9, .n_changes = 1};

    /*
     * T10, III, B, detected Thu 2026-01-15 10:00, acked 10:20, responded 01-16 09:00 (48 h:
     * 01-17 10:00), closed 01-20 10:00; reopened Mon 02-02 14:00 (the store re-assigns: ack by
     * 15:00, close deadline 15 working days after 02-02 -> 03-01 00:00, acknowledged_at and
     * closed_at cleared), acked 14:30 (MTTA 1800 s), responded again 02-25, closed Thu 02-26
     * 10:00: on time. 办结用时 from the reopening, where the 办结 clock starts:
     * 02-26 10:00 - 02-02 14:00 = 23 d 20 h = 2059200 s (from detection it would be 42 d).
     */
    f->ch10[0] = (struct stats_state_change){bj("2026-01-15 10:20"), TICKET_STATE_ACKNOWLEDGED};
    f->ch10[1] = (struct stats_state_change){bj("2026-01-16 09:00"), TICKET_STATE_RESPONDED};
    f->ch10[2] = (struct stats_state_change){bj("2026-01-20 10:00"), TICKET_STATE_CLOSED};
    f->ch10[3] = (struct stats_state_change){bj("2026-02-02 14:00"), TICKET_STATE_OPEN};
    f->ch10[4] = (struct stats_state_change){bj("2026-02-02 14:30"), TICKET_STATE_ACKNOWLEDGED};
    f->ch10[5] = (struct stats_state_change){bj("2026-02-25 10:00"), TICKET_STATE_RESPONDED};
    f->ch10[6] = (struct stats_state_change){bj("2026-02-26 10:00"), TICKET_STATE_CLOSED};
    t[10] = (struct stats_ticket){
        .number = "YQ-2026-01-0004", .title = "汉滨区老旧小区改造扬尘", .level = YQ_LEVEL_III,
        .department = DEPT_B, .source = "weibo-ankang", .rule_id = "housing-dust",
        .detected_at = bj("2026-01-15 10:00"), .assigned_at = bj("2026-02-02 14:00"),
        .acknowledged_at = bj("2026-02-02 14:30"), .responded_at = bj("2026-01-16 09:00"),
        .closed_at = bj("2026-02-26 10:00"), .ack_deadline = bj("2026-02-02 15:00"),
        .response_deadline = bj("2026-01-17 10:00"), .close_deadline = bj("2026-03-01 00:00"),
        .changes = f->ch10, .n_changes = 7};

    /*
     * T11, IV, A, no state log (implied history): detected Tue 2026-02-03 09:00, never
     * acknowledged (ack by 10:00: missed), responded 02-09 11:00 (5 working days: 02-04..06,
     * 02-09..10 -> 02-11 00:00, on time), closed 02-10 16:00 (15 working days: 02-04..13 (8),
     * 02-14 (9), 02-24..27 (13), 02-28 (14), 03-02 (15) -> 03-03 00:00, on time).
     * 未签收即办结; 办结用时 02-10 16:00 - 02-03 09:00 = 7 d 7 h = 630000 s.
     */
    t[11] = (struct stats_ticket){
        .number = "YQ-2026-02-0005", .title = "石泉县农村公路养护", .level = YQ_LEVEL_IV,
        .department = DEPT_A, .source = "wechat-x", .rule_id = "road-repair",
        .detected_at = bj("2026-02-03 09:00"), .assigned_at = bj("2026-02-03 09:00"),
        .responded_at = bj("2026-02-09 11:00"), .closed_at = bj("2026-02-10 16:00"),
        .ack_deadline = bj("2026-02-03 10:00"), .response_deadline = bj("2026-02-11 00:00"),
        .close_deadline = bj("2026-03-03 00:00")};

    /*
     * T12, IV, D, no state log: detected Fri 2026-02-27 16:00, never acknowledged (ack by
     * 17:00: missed), open at the end of February: 期末未签收. Response: 02-28 调休 (1),
     * 03-02..05 (5) -> 03-06 00:00; close 03-20 00:00.
     */
    t[12] = (struct stats_ticket){
        .number = "YQ-2026-02-0006", .title = "平利县村道积水", .level = YQ_LEVEL_IV,
        .department = DEPT_D, .source = "rss-ankang", .rule_id = "road-repair",
        .detected_at = bj("2026-02-27 16:00"), .assigned_at = bj("2026-02-27 16:00"),
        .ack_deadline = bj("2026-02-27 17:00"), .response_deadline = bj("2026-03-06 00:00"),
        .close_deadline = bj("2026-03-20 00:00")};

    /*
     * T13, III, C, detected Wed 2026-02-25 10:00, acked 10:30, returned 11:00 (wrong
     * department) and not re-assigned by the end of February: nobody holds a 签收 for it,
     * 期末未签收. Response 48 h -> 02-27 10:00: missed. Close 03-18 00:00.
     */
    f->ch13[0] = (struct stats_state_change){bj("2026-02-25 10:30"), TICKET_STATE_ACKNOWLEDGED};
    f->ch13[1] = (struct stats_state_change){bj("2026-02-25 11:00"), TICKET_STATE_RETURNED};
    t[13] = (struct stats_ticket){
        .number = "YQ-2026-02-0007", .title = "紫阳县学校食堂投诉", .level = YQ_LEVEL_III,
        .department = DEPT_C, .source = "wechat-x", .rule_id = "health-epidemic",
        .detected_at = bj("2026-02-25 10:00"), .assigned_at = bj("2026-02-25 10:00"),
        .acknowledged_at = bj("2026-02-25 10:30"), .returned_at = bj("2026-02-25 11:00"),
        .ack_deadline = bj("2026-02-25 11:00"), .response_deadline = bj("2026-02-27 10:00"),
        .close_deadline = bj("2026-03-18 00:00"), .changes = f->ch13, .n_changes = 2};
}

/* The month report of the first n tickets of the fixture (N_FIX or N_ALL). */
static struct stats_report *month_report_n(const struct fixture *f, size_t n, int y, int m,
                                           int64_t now)
{
    struct stats_opts opts = {.period = STATS_PERIOD_MONTH, .year = y, .month = m, .now = now,
                              .calendar = &calendar, .rule_groups = groups,
                              .n_rule_groups = sizeof(groups) / sizeof(groups[0])};
    struct stats_report *r = NULL;
    assert_int_equal(stats_compute(f->t, n, &opts, &r), 0);
    assert_non_null(r);
    return r;
}

static struct stats_report *month_report(const struct fixture *f, int y, int m, int64_t now)
{
    return month_report_n(f, N_FIX, y, m, now);
}

static const struct stats_row *row(const struct stats_report *r, enum stats_dim d, const char *key)
{
    for (size_t i = 0; i < r->n_rows[d]; i++) {
        if (strcmp(r->rows[d][i].key, key) == 0) {
            return &r->rows[d][i];
        }
    }
    fail_msg("no row '%s'", key);
    return NULL;
}

static void assert_tally(const struct stats_clock_tally *c, size_t due, size_t on_time,
                         size_t late, size_t missed, size_t pending, size_t excluded)
{
    stats_fx_tally(c, due, on_time, late, missed, pending, excluded);
}

static void assert_carry(const struct stats_row *r, size_t in, size_t detected, size_t reopened,
                         size_t closed, size_t dismissed, size_t out)
{
    assert_int_equal(r->carried_in, in);
    assert_int_equal(r->detected, detected);
    assert_int_equal(r->reopened, reopened);
    assert_int_equal(r->added, detected + reopened);
    assert_int_equal(r->closed, closed);
    assert_int_equal(r->dismissed, dismissed);
    assert_int_equal(r->carried_out, out);
    assert_int_equal(r->carried_in + r->added, r->closed + r->dismissed + r->carried_out);
}

static void assert_summary(const struct stats_summary *s, size_t n, int64_t median, int64_t p90,
                           int64_t mean)
{
    assert_int_equal(s->n, n);
    assert_int_equal(s->median_s, median);
    assert_int_equal(s->p90_s, p90);
    assert_int_equal(s->mean_s, mean);
}

/* Row r's tickets settled without an acknowledgement, and still unacknowledged at its end. */
static void assert_unack(const struct stats_row *r, size_t settled, size_t at_end)
{
    assert_int_equal(r->settled_unacknowledged, settled);
    assert_int_equal(r->unacknowledged_at_end, at_end);
}

/* Every report below is run at 2026-03-01 00:05 (after February), so cut-off = month end. */
#define RUN_AT "2026-03-01 00:05"

static void test_windows_in_beijing_time(void **state)
{
    int64_t a, b;
    int y, m;
    (void)state;
    /* March 2024 = [2024-02-29T16:00Z, 2024-03-31T16:00Z) (FC-034) */
    assert_int_equal(stats_month_window(2024, 3, &a, &b), 0);
    assert_int_equal(a, bj("2024-02-29T16:00:00Z"));
    assert_int_equal(b, bj("2024-03-31T16:00:00Z"));
    assert_int_equal(stats_month_window(2025, 12, &a, &b), 0);
    assert_int_equal(b, bj("2026-01-01 00:00"));
    assert_int_equal(stats_year_window(2026, &a, &b), 0);
    assert_int_equal(a, bj("2025-12-31T16:00:00Z"));
    assert_int_equal(b, bj("2026-12-31T16:00:00Z"));
    assert_int_equal(stats_month_window(2026, 13, &a, &b), ERR_INVALID);
    stats_month_of(bj("2025-12-31T16:10:00Z"), &y, &m);
    assert_int_equal(y * 100 + m, 202601);
    stats_previous_month(bj("2026-01-01 00:05"), &y, &m);
    assert_int_equal(y * 100 + m, 202512);
    assert_int_equal(stats_parse_month("2026-11", &y, &m), 0);
    assert_int_equal(y * 100 + m, 202611);
    assert_int_equal(stats_parse_month("2026-13", &y, &m), ERR_PARSE);
    assert_int_equal(stats_parse_month("2026-1", &y, &m), ERR_PARSE);
    assert_int_equal(stats_parse_year("2026", &y), 0);
}

static void test_percentiles_nearest_rank(void **state)
{
    int64_t v4[] = {4500, 600, 3600, 1200};
    int64_t v1[] = {7};
    int64_t v10[] = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
    int64_t v3[] = {1, 1, 2};
    struct stats_summary s;
    (void)state;
    /* sorted 600 1200 3600 4500: P50 rank ceil(2.0) = 2 -> 1200; P90 rank ceil(3.6) = 4 */
    stats_summarise(v4, 4, &s);
    assert_summary(&s, 4, 1200, 4500, 2475); /* mean 9900 / 4 = 2475 */
    stats_summarise(v1, 1, &s);
    assert_summary(&s, 1, 7, 7, 7);
    /* 1..10: P50 rank 5 -> 5; P90 rank 9 -> 9; mean 5.5 rounds half up to 6 */
    stats_summarise(v10, 10, &s);
    assert_summary(&s, 10, 5, 9, 6);
    /* 1 1 2: mean 4/3 = 1.33 -> 1; P50 rank 2 -> 1; P90 rank ceil(2.7) = 3 -> 2 */
    stats_summarise(v3, 3, &s);
    assert_summary(&s, 3, 1, 2, 1);
    stats_summarise(NULL, 0, &s);
    assert_int_equal(s.n, 0);
}

static void test_duty_bands(void **state)
{
    (void)state;
    assert_int_equal(stats_band_of(&calendar, bj("2026-02-13 09:00")), STATS_BAND_BUSINESS);
    assert_int_equal(stats_band_of(&calendar, bj("2026-02-13 08:59")), STATS_BAND_NIGHT);
    assert_int_equal(stats_band_of(&calendar, bj("2026-02-13 17:59")), STATS_BAND_BUSINESS);
    assert_int_equal(stats_band_of(&calendar, bj("2026-02-13 18:00")), STATS_BAND_EVENING);
    assert_int_equal(stats_band_of(&calendar, bj("2026-02-13 22:00")), STATS_BAND_NIGHT);
    /* 调休: Saturday 02-14 is a working day, the holiday Monday 02-16 is not */
    assert_int_equal(stats_band_of(&calendar, bj("2026-02-14 10:00")), STATS_BAND_BUSINESS);
    assert_int_equal(stats_band_of(NULL, bj("2026-02-14 10:00")), STATS_BAND_REST_DAY);
    assert_int_equal(stats_band_of(&calendar, bj("2026-02-16 10:00")), STATS_BAND_REST_DAY);
    assert_int_equal(stats_band_of(NULL, bj("2026-02-16 10:00")), STATS_BAND_BUSINESS);
}

/*
 * December 2025, window [12-01 00:00, 2026-01-01 00:00), cut-off 2026-01-01 00:00.
 * Carry: T0 active on 12-01 (上月结转 1), closed 12-22; T1, T2 detected (新增 2), open at the
 * cut-off (T1 closes 01-10): 1 + 2 = 办结 1 + 不予处置 0 + 结转 2.
 * Clocks settling in December: T1 ack on time (12-30 22:40 <= 23:00); T0 response on time
 * (settles 12-01 09:00); T0 close late (settles at its deadline 12-20 00:00). T1's response
 * (01-01 22:00) and T2's ack (deadline 01-01 00:30) settle in January.
 */
/*
 * Durations in every report: floored to the minute, one form with the web page's
 * fmtDuration() (tests/web/browser_test.mjs): from a day on in days, hours and minutes (the
 * reports used to floor to the hour from two days on, 15天13小时, and to read 24-48 h as
 * 30小时05分 where the web page said 1天6小时05分).
 */
static void test_durations_floored_to_the_minute_in_one_form(void **state)
{
    static const struct {
        int64_t s;
        size_t n;
        const char *want;
    } cases[] = {
        {0, 1, "0分"},
        {59, 1, "0分"},
        {60, 1, "1分"},
        {3599, 1, "59分"},
        {3600, 1, "1小时00分"},
        {3600 + 5 * 60 + 59, 1, "1小时05分"},
        {86399, 1, "23小时59分"},
        {86400, 1, "1天0小时00分"},
        {30 * 3600 + 5 * 60, 1, "1天6小时05分"},
        {48 * 3600 - 1, 1, "1天23小时59分"},
        {48 * 3600, 1, "2天0小时00分"},
        {1344600, 2, "15天13小时30分"},
        {1344659, 2, "15天13小时30分"},
        {-59, 1, "0分"},
        {-3900, 1, "-1小时05分"},
        {-(30 * 3600 + 5 * 60), 1, "-1天6小时05分"},
        {1344600, 0, "—"},
    };
    char buf[64];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        stats_fmt_dur(cases[i].s, cases[i].n, buf, sizeof(buf));
        if (strcmp(buf, cases[i].want) != 0) {
            fail_msg("%lld s: '%s', want '%s'", (long long)cases[i].s, buf, cases[i].want);
        }
    }
}

static void test_fixture_december_2025(void **state)
{
    struct fixture f;
    struct stats_report *r;
    const struct stats_row *t;
    (void)state;
    fixture_init(&f);
    r = month_report(&f, 2025, 12, bj(RUN_AT));
    t = &r->total;
    assert_int_equal(r->cutoff, bj("2026-01-01 00:00"));
    assert_carry(t, 1, 2, 0, 1, 0, 2);
    assert_tally(&t->clocks[STATS_CLOCK_ACK], 1, 1, 0, 0, 0, 0);
    assert_tally(&t->clocks[STATS_CLOCK_RESPONSE], 1, 1, 0, 0, 0, 0);
    assert_tally(&t->clocks[STATS_CLOCK_RESPONSE_WD], 1, 1, 0, 0, 0, 0);
    assert_tally(&t->clocks[STATS_CLOCK_RESPONSE_48H], 0, 0, 0, 0, 0, 0);
    /* close: due 1, late 1 -> 办结率 1/1 = 100.0 %, 按期办结率 0/1 = 0.0 % */
    assert_tally(&t->clocks[STATS_CLOCK_CLOSE], 1, 0, 1, 0, 0, 0);
    assert_int_equal(t->overdue_tickets, 1);
    assert_int_equal(r->n_overdue, 1);
    assert_string_equal(r->overdue[0].number, "YQ-2025-11-0009");
    assert_int_equal(r->overdue[0].clock, STATS_CLOCK_CLOSE);
    assert_int_equal(r->overdue[0].deadline, bj("2025-12-20 00:00"));
    assert_int_equal(r->overdue[0].met_at, bj("2025-12-22 10:00"));
    assert_int_equal(r->overdue[0].late_s, 58 * H);
    assert_summary(&t->mtta, 1, 40 * MIN, 40 * MIN, 40 * MIN);
    /* T0: 12-01 09:00 - 11-28 10:00 = 71 h, bucket 48–120 h (index 4) */
    assert_summary(&t->ttr, 1, 71 * H, 71 * H, 71 * H);
    assert_int_equal(t->ttr_hist[4], 1);
    /* departments: B (T0, T2) before A (T1): both detected 1, then by key bytes (住 < 自) */
    assert_int_equal(r->n_rows[STATS_DIM_DEPARTMENT], 2);
    assert_string_equal(r->rows[STATS_DIM_DEPARTMENT][0].key, DEPT_B);
    assert_carry(row(r, STATS_DIM_DEPARTMENT, DEPT_B), 1, 1, 0, 1, 0, 1);
    assert_carry(row(r, STATS_DIM_DEPARTMENT, DEPT_A), 0, 1, 0, 0, 0, 1);
    assert_int_equal(r->n_zero_response, 0);
    /* cohort: T1 (III), T2 (IV); neither responded before 01-01 00:00 */
    assert_int_equal(r->cohort.detected, 2);
    assert_int_equal(r->cohort.by_level[2], 1);
    assert_int_equal(r->cohort.by_level[3], 1);
    assert_int_equal(r->cohort.responded, 0);
    /* daily: 31 days; 12-30 (day 29) one III, 12-31 (day 30) one IV */
    assert_int_equal(r->n_days, 31);
    assert_int_equal(r->daily[29][2], 1);
    assert_int_equal(r->daily[30][3], 1);
    /* load: T1 at 22:00 and T2 at 23:30 are both night */
    assert_int_equal(r->load_tickets[STATS_BAND_NIGHT], 2);
    assert_int_equal(r->load_tickets[STATS_BAND_EVENING], 0);
    /* responses: T0's first response 12-01 (no response list: responded_at counts) */
    assert_int_equal(r->responses, 1);
    assert_int_equal(r->press_conferences, 0);
    stats_report_free(r);
}

/*
 * January 2026, window [01-01 00:00, 02-01 00:00), cut-off 02-01 00:00.
 * Carry: in = T1, T2 (2); detected T3, T4, T5 (3); closed T1 (01-10), T3 (01-20) (2);
 * dismissed T5 (01-10 10:30) (1); carried out T2, T4 (2): 2 + 3 = 2 + 1 + 2.
 * Clocks: ack: T2 late (settles 01-01 00:30), T3 on time, T4 on time -> 3 due, 2 on time
 * (签收及时率 66.7 %). Response: T1 (III) on time, T2 (IV) on time, T3 (II, 5 h) on time; T5's
 * deadline 01-17 passed while it was dismissed -> excluded. Press: T3 late. Close: T1 on time,
 * T3 on time, T2 missed (deadline 01-23 00:00, open at the cut-off) -> 3 due, 2 on time.
 */
static void test_fixture_january_2026(void **state)
{
    struct fixture f;
    struct stats_report *r;
    const struct stats_row *t, *a, *b, *c;
    (void)state;
    fixture_init(&f);
    r = month_report(&f, 2026, 1, bj(RUN_AT));
    t = &r->total;
    assert_carry(t, 2, 3, 0, 2, 1, 2);
    assert_tally(&t->clocks[STATS_CLOCK_ACK], 3, 2, 1, 0, 0, 0);
    assert_tally(&t->clocks[STATS_CLOCK_RESPONSE], 3, 3, 0, 0, 0, 1);
    assert_tally(&t->clocks[STATS_CLOCK_INFO_5H], 1, 1, 0, 0, 0, 0);
    assert_tally(&t->clocks[STATS_CLOCK_PRESS_24H], 1, 0, 1, 0, 0, 0);
    assert_tally(&t->clocks[STATS_CLOCK_RESPONSE_48H], 1, 1, 0, 0, 0, 0);
    assert_tally(&t->clocks[STATS_CLOCK_RESPONSE_WD], 1, 1, 0, 0, 0, 1);
    assert_tally(&t->clocks[STATS_CLOCK_CLOSE], 3, 2, 0, 1, 0, 0);
    /* overdue: T2 (ack late, close missed), T3 (press late) */
    assert_int_equal(t->overdue_tickets, 2);
    assert_int_equal(r->n_overdue, 3);
    /* by deadline: T2 ack 01-01 00:30 (late 7 h 30 min), T3 press 01-02 00:10 (8 h 50 min),
       T2 close 01-23 00:00 (unmet: cut-off 02-01 00:00 - 01-23 00:00 = 9 days) */
    assert_string_equal(r->overdue[0].number, "YQ-2025-12-0002");
    assert_int_equal(r->overdue[0].clock, STATS_CLOCK_ACK);
    assert_int_equal(r->overdue[0].late_s, 7 * H + 30 * MIN);
    assert_string_equal(r->overdue[1].number, "YQ-2026-01-0001");
    assert_int_equal(r->overdue[1].clock, STATS_CLOCK_PRESS_24H);
    assert_int_equal(r->overdue[1].late_s, 8 * H + 50 * MIN);
    assert_string_equal(r->overdue[2].number, "YQ-2025-12-0002");
    assert_int_equal(r->overdue[2].clock, STATS_CLOCK_CLOSE);
    assert_int_equal(r->overdue[2].met_at, 0);
    assert_int_equal(r->overdue[2].late_s, 9 * 24 * H);
    /* MTTA: T4 1800, T3 2400, T2 30600 -> median (rank 2) 2400, P90 (rank 3) 30600,
       mean 34800 / 3 = 11600 */
    assert_summary(&t->mtta, 3, 2400, 30600, 11600);
    /* TTR: T3 13800, T1 169200, T2 678600 -> median 169200, P90 678600,
       mean 861600 / 3 = 287200; buckets 1–5 h, 24–48 h, > 120 h */
    assert_summary(&t->ttr, 3, 169200, 678600, 287200);
    assert_int_equal(t->ttr_hist[1], 1);
    assert_int_equal(t->ttr_hist[3], 1);
    assert_int_equal(t->ttr_hist[5], 1);
    /* departments, by detected: C (T4, T5: 2), A (T3: 1), B (0) */
    assert_int_equal(r->n_rows[STATS_DIM_DEPARTMENT], 3);
    assert_string_equal(r->rows[STATS_DIM_DEPARTMENT][0].key, DEPT_C);
    assert_string_equal(r->rows[STATS_DIM_DEPARTMENT][1].key, DEPT_A);
    assert_string_equal(r->rows[STATS_DIM_DEPARTMENT][2].key, DEPT_B);
    a = row(r, STATS_DIM_DEPARTMENT, DEPT_A);
    b = row(r, STATS_DIM_DEPARTMENT, DEPT_B);
    c = row(r, STATS_DIM_DEPARTMENT, DEPT_C);
    assert_carry(a, 1, 1, 0, 2, 0, 0);
    assert_carry(b, 1, 0, 0, 0, 0, 1);
    assert_carry(c, 0, 2, 0, 0, 1, 1);
    assert_tally(&a->clocks[STATS_CLOCK_RESPONSE], 2, 2, 0, 0, 0, 0);
    assert_tally(&a->clocks[STATS_CLOCK_CLOSE], 2, 2, 0, 0, 0, 0);
    assert_int_equal(a->overdue_tickets, 1);
    assert_tally(&b->clocks[STATS_CLOCK_ACK], 1, 0, 1, 0, 0, 0);
    assert_tally(&b->clocks[STATS_CLOCK_CLOSE], 1, 0, 0, 1, 0, 0);
    /* C's only response clock (T5) was excluded: due 0, so C is not a zero-response unit */
    assert_tally(&c->clocks[STATS_CLOCK_RESPONSE], 0, 0, 0, 0, 0, 1);
    assert_int_equal(r->n_zero_response, 0);
    /* levels sort I..IV: II (T3), III (T1, T4), IV (T2, T5) */
    assert_int_equal(r->n_rows[STATS_DIM_LEVEL], 3);
    assert_string_equal(r->rows[STATS_DIM_LEVEL][0].key, "II 重大");
    assert_string_equal(r->rows[STATS_DIM_LEVEL][2].key, "IV 一般");
    /* rule groups: 征地拆迁 (T1), 突发事件 (T3), 疫情防控 (T4, T5), housing-lift (T2, unmapped) */
    assert_int_equal(r->n_rows[STATS_DIM_RULE_GROUP], 4);
    assert_int_equal(row(r, STATS_DIM_RULE_GROUP, "疫情防控")->detected, 2);
    assert_int_equal(row(r, STATS_DIM_RULE_GROUP, "housing-lift")->carried_in, 1);
    assert_int_equal(row(r, STATS_DIM_SOURCE, "rss-ankang")->detected, 2);
    /* cohort: T3, T4, T5; T5 dismissed; responded by 02-01: T3 only (on time); closed: T3 */
    assert_int_equal(r->cohort.detected, 3);
    assert_int_equal(r->cohort.dismissed, 1);
    assert_int_equal(r->cohort.handed_over, 2);
    assert_int_equal(r->cohort.responded, 1);
    assert_int_equal(r->cohort.responded_on_time, 1);
    assert_int_equal(r->cohort.closed, 1);
    /* load: tickets T3 night (00:10), T5 rest day (Sat 10:00), T4 business (Fri 17:00);
       alerts of T3: night, rest day (holiday 01-01 12:00), business (调休 Sunday 01-04) */
    assert_int_equal(r->load_tickets[STATS_BAND_NIGHT], 1);
    assert_int_equal(r->load_tickets[STATS_BAND_REST_DAY], 1);
    assert_int_equal(r->load_tickets[STATS_BAND_BUSINESS], 1);
    assert_int_equal(r->load_alerts[STATS_BAND_NIGHT], 1);
    assert_int_equal(r->load_alerts[STATS_BAND_REST_DAY], 1);
    assert_int_equal(r->load_alerts[STATS_BAND_BUSINESS], 1);
    /* responses: T3's two (one 新闻发布会), T1 (01-01 21:00), T2 (01-08): 4, press 1 */
    assert_int_equal(r->responses, 4);
    assert_int_equal(r->press_conferences, 1);
    assert_int_equal(r->daily[0][1], 1); /* T3, II, 01-01 */
    assert_int_equal(r->daily[9][3], 1); /* T5, IV, 01-10 */
    assert_int_equal(r->daily[29][2], 1); /* T4, III, 01-30 */
    stats_report_free(r);
}

/*
 * February 2026, window [02-01, 03-01), cut-off 03-01 00:00.
 * Carry: in = T2, T4 (2); added = T5 reopened 02-02 + T6, T7, T8 detected (4); dismissed T4
 * (1); carried out T2, T5, T6, T7, T8 (5): 2 + 4 = 0 + 1 + 5.
 * Clocks: ack T5 on time, T6 late, T7 on time (at the deadline instant), T8 on time -> 4 due,
 * 3 on time (75.0 %). Response: T4 missed (02-01 17:00; dismissed only on 02-03), T6 on time
 * (at the deadline instant), T8 on time -> 3 due, 2 met (回应率 66.7 %). Press: T6 missed.
 * Close: T4's deadline 02-28 passed after its dismissal -> excluded, nothing due (办结率 —).
 */
static void test_fixture_february_2026(void **state)
{
    struct fixture f;
    struct stats_report *r;
    const struct stats_row *t;
    char *text = NULL;
    (void)state;
    fixture_init(&f);
    r = month_report(&f, 2026, 2, bj(RUN_AT));
    t = &r->total;
    assert_carry(t, 2, 3, 1, 0, 1, 5);
    assert_int_equal(t->added, 4);
    assert_tally(&t->clocks[STATS_CLOCK_ACK], 4, 3, 1, 0, 0, 0);
    assert_tally(&t->clocks[STATS_CLOCK_RESPONSE], 3, 2, 0, 1, 0, 0);
    assert_tally(&t->clocks[STATS_CLOCK_INFO_5H], 1, 1, 0, 0, 0, 0);
    assert_tally(&t->clocks[STATS_CLOCK_PRESS_24H], 1, 0, 0, 1, 0, 0);
    assert_tally(&t->clocks[STATS_CLOCK_RESPONSE_48H], 1, 0, 0, 1, 0, 0);
    assert_tally(&t->clocks[STATS_CLOCK_RESPONSE_WD], 1, 1, 0, 0, 0, 0);
    /* issue #17 rule 3: T5's 办结 deadline 03-01 00:00 is 24:00 of 02-28 and belongs to
       February (missed at the cut-off, late by 0); T4's is excluded (dismissed) */
    assert_tally(&t->clocks[STATS_CLOCK_CLOSE], 1, 0, 0, 1, 0, 1);
    assert_int_equal(t->overdue_tickets, 3);
    assert_int_equal(r->n_overdue, 4);
    assert_string_equal(r->overdue[3].number, "YQ-2026-01-0003");
    assert_int_equal(r->overdue[3].clock, STATS_CLOCK_CLOSE);
    assert_int_equal(r->overdue[3].deadline, bj("2026-03-01 00:00"));
    assert_int_equal(r->overdue[3].late_s, 0);
    /* T4 response: 03-01 00:00 - 02-01 17:00 = 27 d 7 h; T6 ack 15 min; T6 press:
       03-01 00:00 - 02-15 09:30 = 13 d 14 h 30 min */
    assert_string_equal(r->overdue[0].number, "YQ-2026-01-0002");
    assert_int_equal(r->overdue[0].clock, STATS_CLOCK_RESPONSE_48H);
    assert_int_equal(r->overdue[0].late_s, (27 * 24 + 7) * H);
    assert_int_equal(r->overdue[1].clock, STATS_CLOCK_ACK);
    assert_int_equal(r->overdue[1].late_s, 15 * MIN);
    assert_int_equal(r->overdue[2].clock, STATS_CLOCK_PRESS_24H);
    assert_int_equal(r->overdue[2].late_s, (13 * 24 + 14) * H + 30 * MIN);
    /* MTTA: 600 (T8), 1200 (T5, from its re-assignment), 3600 (T7), 4500 (T6) ->
       median 1200, P90 4500, mean 2475 */
    assert_summary(&t->mtta, 4, 1200, 4500, 2475);
    /* TTR: 18000 (T6), 1213200 (T8) -> median (rank 1) 18000, P90 (rank 2) 1213200,
       mean 615600; T6's exactly 5 h falls in "1–5 h" (upper bound inclusive) */
    assert_summary(&t->ttr, 2, 18000, 1213200, 615600);
    assert_int_equal(t->ttr_hist[1], 1);
    assert_int_equal(t->ttr_hist[5], 1);
    /* departments: B, D, A (detected 1 each, by key bytes 住 < 应 < 自), then C (0) */
    assert_int_equal(r->n_rows[STATS_DIM_DEPARTMENT], 4);
    assert_string_equal(r->rows[STATS_DIM_DEPARTMENT][0].key, DEPT_B);
    assert_string_equal(r->rows[STATS_DIM_DEPARTMENT][1].key, DEPT_D);
    assert_string_equal(r->rows[STATS_DIM_DEPARTMENT][2].key, DEPT_A);
    assert_string_equal(r->rows[STATS_DIM_DEPARTMENT][3].key, DEPT_C);
    assert_carry(row(r, STATS_DIM_DEPARTMENT, DEPT_C), 1, 0, 1, 0, 1, 1);
    assert_carry(row(r, STATS_DIM_DEPARTMENT, DEPT_B), 1, 1, 0, 0, 0, 2);
    /* C was due one response (T4) and gave none: named */
    assert_int_equal(r->n_zero_response, 1);
    assert_string_equal(r->zero_response_departments[0], DEPT_C);
    assert_int_equal(r->cohort.detected, 3);
    assert_int_equal(r->cohort.by_level[0], 1);
    assert_int_equal(r->cohort.responded, 2);
    /* load: T6 on the 调休 Saturday 09:30 is business hours; T8 Fri 15:00 business; T7
       23:00 night. Alerts of T6: 09:30 business, 19:00 evening */
    assert_int_equal(r->load_tickets[STATS_BAND_BUSINESS], 2);
    assert_int_equal(r->load_tickets[STATS_BAND_NIGHT], 1);
    assert_int_equal(r->load_tickets[STATS_BAND_REST_DAY], 0);
    assert_int_equal(r->load_alerts[STATS_BAND_BUSINESS], 1);
    assert_int_equal(r->load_alerts[STATS_BAND_EVENING], 1);
    /* responses: T6 (list), T5 02-05, T8 02-27 */
    assert_int_equal(r->responses, 3);
    assert_int_equal(r->n_days, 28);
    assert_int_equal(r->daily[13][0], 1); /* T6, I, 02-14 */
    /* the 通报 names the zero-response department and the rates */
    assert_int_equal(stats_bulletin(r, &text), 0);
    assert_non_null(strstr(text, "上月结转2件，本月新增4件（含重新办理1件），本月办结0件、不予处置1件，"
                                 "结转下月5件"));
    assert_non_null(strstr(text, "签收及时率75.0%"));
    assert_non_null(strstr(text, "回应率66.7%"));
    assert_non_null(strstr(text, "按期办结率0.0%"));
    assert_non_null(strstr(text, DEPT_C "本月有应回应舆情但均未回应"));
    free(text);
    stats_report_free(r);
}

/*
 * February 2026 run mid-month at 02-20 12:00: cut-off 02-20 12:00. T7 (02-27) does not exist
 * yet. T8's response deadline (02-28 00:00) has not passed: pending, neither due nor late,
 * and T8 is carried forward. T4's response is missed by 18 d 19 h; its close deadline (02-28)
 * is ahead but it is dismissed: excluded. T6's press conference is missed by 5 d 2 h 30 min.
 * T5's close deadline 03-01 00:00 (24:00 of 02-28, February's: issue #17 rule 3) is ahead:
 * pending. Carry: in T2, T4; added T5 (reopened), T6, T8; dismissed T4; out T2, T5, T6, T8:
 * 2+3 = 1+4.
 */
static void test_fixture_open_at_cutoff_is_not_late(void **state)
{
    struct fixture f;
    struct stats_report *r;
    const struct stats_row *t;
    (void)state;
    fixture_init(&f);
    r = month_report(&f, 2026, 2, bj("2026-02-20 12:00"));
    t = &r->total;
    assert_int_equal(r->cutoff, bj("2026-02-20 12:00"));
    assert_carry(t, 2, 2, 1, 0, 1, 4);
    assert_tally(&t->clocks[STATS_CLOCK_ACK], 3, 2, 1, 0, 0, 0);
    assert_tally(&t->clocks[STATS_CLOCK_RESPONSE], 2, 1, 0, 1, 1, 0);
    assert_tally(&t->clocks[STATS_CLOCK_RESPONSE_WD], 0, 0, 0, 0, 1, 0);
    assert_tally(&t->clocks[STATS_CLOCK_CLOSE], 0, 0, 0, 0, 1, 1);
    assert_int_equal(r->n_overdue, 3);
    assert_int_equal(r->overdue[0].late_s, (18 * 24 + 19) * H);
    assert_int_equal(r->overdue[2].late_s, (5 * 24 + 2) * H + 30 * MIN);
    /* T8 is not overdue: A has no overdue ticket */
    assert_int_equal(row(r, STATS_DIM_DEPARTMENT, DEPT_A)->overdue_tickets, 0);
    stats_report_free(r);
}

/* One department only: the identity holds within it, and other departments are absent. */
static void test_fixture_department_filter(void **state)
{
    struct fixture f;
    struct stats_opts opts = {.period = STATS_PERIOD_MONTH, .year = 2026, .month = 1,
                              .now = bj(RUN_AT), .department = DEPT_C, .calendar = &calendar};
    struct stats_report *r = NULL;
    (void)state;
    fixture_init(&f);
    assert_int_equal(stats_compute(f.t, N_FIX, &opts, &r), 0);
    assert_carry(&r->total, 0, 2, 0, 0, 1, 1);
    assert_int_equal(r->n_rows[STATS_DIM_DEPARTMENT], 1);
    assert_string_equal(r->department, DEPT_C);
    stats_report_free(r);
}

/*
 * The year 2026 as at 03-01 00:05: carried in from 2025: T1, T2 (2); added T3..T8 (6; T5's
 * reopening in February is not a second addition: it was added when detected in January);
 * closed T1, T3; dismissed T4 (T5 was reopened, so not dismissed now); out: T2, T5, T6, T7,
 * T8: 2 + 6 = 2 + 1 + 5. Annual passage: monitored 6, handed over 5 (T4 dismissed),
 * responded 4 (T3, T5, T6, T8), on time 3 (T5's 02-05 is after its 01-17 deadline),
 * press conferences 1 (T3's).
 */
static void test_fixture_year_2026(void **state)
{
    struct fixture f;
    struct stats_opts opts = {.period = STATS_PERIOD_YEAR, .year = 2026, .now = bj(RUN_AT),
                              .calendar = &calendar};
    struct stats_report *r = NULL;
    char *text = NULL;
    (void)state;
    fixture_init(&f);
    assert_int_equal(stats_compute(f.t, N_FIX, &opts, &r), 0);
    assert_carry(&r->total, 2, 6, 0, 2, 1, 5);
    assert_int_equal(r->cohort.detected, 6);
    assert_int_equal(r->cohort.handed_over, 5);
    assert_int_equal(r->cohort.responded, 4);
    assert_int_equal(r->cohort.responded_on_time, 3);
    assert_int_equal(r->press_conferences, 1);
    assert_int_equal(r->n_days, 365);
    assert_int_equal(stats_bulletin(r, &text), 0);
    assert_non_null(strstr(text, "2026年，共监测发现政务舆情6件"));
    assert_non_null(strstr(text, "全年通过新闻发布会回应1次"));
    free(text);
    stats_report_free(r);
}

/* Renderers: HTML escapes feed text and has no inline script; CSV and JSON carry the figures. */
static void test_fixture_renderers(void **state)
{
    struct fixture f;
    struct stats_report *r;
    struct stats_render_opts ro = {.asset_base = "/static/stats/", .office = "安康市人民政府办公室"};
    char *html = NULL, *csv = NULL, *json = NULL, *text = NULL;
    json_t *j;
    json_error_t jerr;
    const unsigned char *data;
    size_t len;
    (void)state;
    fixture_init(&f);
    r = month_report(&f, 2026, 1, bj(RUN_AT));
    assert_int_equal(stats_render(r, STATS_FORMAT_HTML, &ro, &html, NULL), 0);
    assert_null(strstr(html, "<script>alert"));
    assert_non_null(strstr(html, "纠纷&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;拖欠&quot;"));
    assert_non_null(strstr(html, "纠纷\\u003cscript\\u003ealert(1)\\u003c/script\\u003e \\u0026"));
    assert_null(strstr(html, "style=\""));
    assert_null(strstr(html, "<style"));
    /* every <script> either has a src or is the JSON data block */
    for (const char *p = strstr(html, "<script"); p; p = strstr(p + 1, "<script")) {
        assert_true(strncmp(p, "<script src=\"/static/stats/", 27) == 0 ||
                    strncmp(p, "<script type=\"application/json\"", 31) == 0);
    }
    assert_non_null(strstr(html, "id=\"chart-daily\""));
    assert_non_null(strstr(html, "上月结转 2 + 本月新增 3 = 本月办结 2 + 本月不予处置 1 + 结转下月 2"));
    assert_int_equal(stats_render(r, STATS_FORMAT_CSV, NULL, &csv, NULL), 0);
    assert_memory_equal(csv, "\xEF\xBB\xBF", 3);
    assert_non_null(strstr(csv, "\r\n合计,合计,2,3,3,0,2,1,2,0,3,2,1,0,0,66.7%,100.0%"));
    assert_int_equal(stats_render(r, STATS_FORMAT_JSON, NULL, &json, NULL), 0);
    j = json_loads(json, 0, &jerr);
    assert_non_null(j);
    assert_true(json_is_true(json_object_get(json_object_get(j, "carry_over"), "balanced")));
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(json_object_get(j, "total"), "clocks"),
                                         "ack"),
                         "due")),
                     3);
    assert_true(json_real_value(json_object_get(
                    json_object_get(json_object_get(json_object_get(j, "total"), "clocks"), "ack"),
                    "on_time_pct")) == 66.7);
    assert_string_equal(json_string_value(json_object_get(j, "window") ? json_object_get(
                                              json_object_get(j, "window"), "start")
                                                                       : NULL),
                        "2025-12-31T16:00:00Z");
    json_decref(j);
    assert_int_equal(stats_render(r, STATS_FORMAT_TEXT, NULL, &text, NULL), 0);
    assert_non_null(strstr(text, "平衡"));
    assert_int_equal(stats_asset_get("stats-charts.js", &data, &len, NULL), 0);
    assert_true(len > 100);
    assert_non_null(strstr((const char *)data, "yqStatsCharts"));
    assert_int_equal(stats_asset_get("nope.js", &data, &len, NULL), ERR_NOT_FOUND);
    free(html);
    free(csv);
    free(json);
    free(text);
    stats_report_free(r);
}

/*
 * Issue #12: every writer appends to a bounded yq_buf. At exactly the rendered length a report
 * fits (the same bytes stats_render() gives); one byte less is ERR_TOO_BIG, never a cut report.
 */
static void test_issue_12_writers_bounded(void **state)
{
    struct fixture f;
    struct stats_report *r;
    (void)state;
    fixture_init(&f);
    r = month_report(&f, 2026, 1, bj(RUN_AT));
    for (int fmt = 0; fmt < STATS_FORMAT_COUNT; fmt++) {
        struct yq_buf fits, short_by_one;
        char *whole = NULL;
        size_t len = 0;
        enum stats_format parsed;

        assert_int_equal(stats_format_parse(stats_formats[fmt].name, &parsed), 0);
        assert_int_equal(parsed, fmt);
        assert_int_equal(stats_render(r, (enum stats_format)fmt, NULL, &whole, &len), 0);
        assert_true(len > 100);
        yq_buf_init(&fits, len);
        assert_int_equal(stats_formats[fmt].write(r, NULL, &fits), 0);
        assert_int_equal(fits.len, len);
        assert_memory_equal(fits.data, whole, len);
        yq_buf_init(&short_by_one, len - 1);
        assert_int_equal(stats_formats[fmt].write(r, NULL, &short_by_one), ERR_TOO_BIG);
        assert_true(short_by_one.len < len);
        yq_buf_release(&fits);
        yq_buf_release(&short_by_one);
        free(whole);
    }
    assert_int_equal(stats_render(r, (enum stats_format)STATS_FORMAT_COUNT, NULL, &(char *){NULL},
                                  NULL),
                     ERR_INVALID);
    stats_report_free(r);
}

/*
 * Issue #11: the 来源 breakdown shows each source by its name (the first item's channel as the
 * ticket stored it), counted per source id, which JSON keeps as "source_id"; a ticket without
 * a stored name shows its id. HTML, CSV and JSON alike; never the id where a name is known.
 */
static void test_issue_11_sources_by_name(void **state)
{
    struct fixture f;
    struct stats_report *r;
    struct stats_render_opts ro = {.asset_base = "/static/stats/", .office = "安康市人民政府办公室"};
    char *html = NULL, *csv = NULL, *json = NULL;
    const struct stats_row *x;
    json_t *j, *rows;
    (void)state;
    fixture_init(&f);
    for (size_t i = 0; i < N_FIX; i++) {
        if (strcmp(f.t[i].source, "rss-ankang") == 0) {
            f.t[i].source_name = "安康新闻网";
        } else if (strcmp(f.t[i].source, "wechat-x") == 0) {
            f.t[i].source_name = "安康发布";
        }
    }
    r = month_report(&f, 2026, 2, bj(RUN_AT));
    x = row(r, STATS_DIM_SOURCE, "安康新闻网");
    assert_string_equal(x->id, "rss-ankang");
    x = row(r, STATS_DIM_SOURCE, "安康发布");
    assert_string_equal(x->id, "wechat-x");
    x = row(r, STATS_DIM_SOURCE, "weibo-ankang"); /* no name stored: its id */
    assert_string_equal(x->id, "weibo-ankang");
    assert_null(row(r, STATS_DIM_DEPARTMENT, DEPT_A)->id);

    assert_int_equal(stats_render(r, STATS_FORMAT_CSV, NULL, &csv, NULL), 0);
    assert_non_null(strstr(csv, "\r\n来源,安康新闻网,"));
    assert_non_null(strstr(csv, "\r\n来源,安康发布,"));
    assert_null(strstr(csv, "rss-ankang"));
    assert_null(strstr(csv, "wechat-x"));
    assert_int_equal(stats_render(r, STATS_FORMAT_HTML, &ro, &html, NULL), 0);
    assert_non_null(strstr(html, ">安康新闻网</"));
    assert_null(strstr(html, ">rss-ankang<"));
    assert_int_equal(stats_render(r, STATS_FORMAT_JSON, NULL, &json, NULL), 0);
    j = json_loads(json, 0, NULL);
    assert_non_null(j);
    rows = json_object_get(json_object_get(j, "by"), "source");
    assert_true(json_is_array(rows));
    for (size_t i = 0; i < json_array_size(rows); i++) {
        const char *key = json_string_value(json_object_get(json_array_get(rows, i), "key"));
        const char *id = json_string_value(json_object_get(json_array_get(rows, i), "source_id"));
        assert_non_null(key);
        assert_non_null(id);
        assert_string_equal(id, strcmp(key, "安康新闻网") == 0 ? "rss-ankang"
                                : strcmp(key, "安康发布") == 0 ? "wechat-x"
                                                                : "weibo-ankang");
    }
    assert_null(json_object_get(
        json_array_get(json_object_get(json_object_get(j, "by"), "department"), 0), "source_id"));
    json_decref(j);
    free(html);
    free(csv);
    free(json);
    stats_report_free(r);
}

/*
 * Issue #11: the glossary printed with every report is Chinese only: no English word, code or
 * abbreviation (closed, dismissed, group, nearest-rank, MTTA, UTC) in any term or text.
 */
static void test_issue_11_definitions_in_chinese(void **state)
{
    size_t n = 0, i;
    (void)state;
    for (const struct stats_definition *d = stats_definitions; d->term; d++, n++) {
        const char *texts[2] = {d->term, d->text};
        for (int k = 0; k < 2; k++) {
            for (const char *p = texts[k]; p[0] && p[1]; p++) {
                bool two = isalpha((unsigned char)p[0]) && isalpha((unsigned char)p[1]);
                if (two) {
                    fail_msg("Latin word in definition '%s': %.20s", d->term, p);
                }
            }
        }
    }
    assert_true(n >= 20);
    for (i = 0; i < n && strcmp(stats_definitions[i].term, "责任单位、来源、规则分组") != 0; i++) {
    }
    assert_true(i < n);
    assert_non_null(strstr(stats_definitions[i].text,
                           "；来源为第一条信息所属来源的名称（网站、账号或公众号名，按来源分别计数）；"));
}

/* ------------------------------------------------------------- issue #10 */

/*
 * December 2025 (T0..T13; only T0..T2 exist before 2026-01-01): 办结用时 of T0's 办结 clock,
 * late and settled at its deadline 12-20 in December: 12-22 10:00 - 11-28 10:00 = 24 d =
 * 2073600 s. Carried out: T1 (acknowledged 12-30 22:40) and T2, acknowledged only at 01-01
 * 08:00, after the cut-off 01-01 00:00: 期末未签收 1 (B). Settled: T0 closed, acknowledged.
 */
static void test_issue_10_december_time_to_close_and_unacknowledged(void **state)
{
    struct fixture f;
    struct stats_report *r;
    const struct stats_row *t;
    (void)state;
    fixture_init(&f);
    r = month_report_n(&f, N_ALL, 2025, 12, bj(RUN_AT));
    t = &r->total;
    assert_carry(t, 1, 2, 0, 1, 0, 2);
    assert_summary(&t->ttc, 1, 24 * 24 * H, 24 * 24 * H, 24 * 24 * H);
    assert_unack(t, 0, 1);
    assert_int_equal(row(r, STATS_DIM_DEPARTMENT, DEPT_B)->unacknowledged_at_end, 1);
    assert_int_equal(row(r, STATS_DIM_DEPARTMENT, DEPT_A)->unacknowledged_at_end, 0);
    assert_summary(&row(r, STATS_DIM_DEPARTMENT, DEPT_B)->ttc, 1, 2073600, 2073600, 2073600);
    assert_summary(&row(r, STATS_DIM_DEPARTMENT, DEPT_A)->ttc, 0, 0, 0, 0);
    stats_report_free(r);
}

/*
 * January 2026 with T10 (detected 01-15, closed 01-20, reopened in February): carry 2 + 4 =
 * 3 + 1 + 2. 办结用时: T1 01-10 10:00 - 12-30 22:00 = 10 d 12 h = 907200 s, T3 01-20 15:00 -
 * 01-01 00:10 = 19 d 14 h 50 min = 1695000 s -> median (rank 1) 907200, P90 (rank 2) 1695000,
 * mean 2602200 / 2 = 1301100. T10's first closure is judged by the stored (second cycle)
 * deadline 03-01 (docs "Limits"): not settled in January, no 办结用时. 未签收即不予处置: T5,
 * dismissed 01-10 with no 签收 before the cut-off (its 签收 of 02-02, after the reopening,
 * does not change January). 期末未签收: none (T2 acknowledged 01-01 08:00, T4 acknowledged).
 */
static void test_issue_10_january_settled_without_acknowledgement(void **state)
{
    struct fixture f;
    struct stats_report *r;
    const struct stats_row *t, *a, *c;
    (void)state;
    fixture_init(&f);
    r = month_report_n(&f, N_ALL, 2026, 1, bj(RUN_AT));
    t = &r->total;
    assert_carry(t, 2, 4, 0, 3, 1, 2);
    assert_summary(&t->ttc, 2, 907200, 1695000, 1301100);
    assert_unack(t, 1, 0);
    a = row(r, STATS_DIM_DEPARTMENT, DEPT_A);
    c = row(r, STATS_DIM_DEPARTMENT, DEPT_C);
    assert_summary(&a->ttc, 2, 907200, 1695000, 1301100);
    assert_int_equal(a->settled_unacknowledged, 0);
    assert_int_equal(c->settled_unacknowledged, 1);
    assert_summary(&c->ttc, 0, 0, 0, 0);
    assert_int_equal(row(r, STATS_DIM_LEVEL, "IV 一般")->settled_unacknowledged, 1);
    assert_summary(&row(r, STATS_DIM_DEPARTMENT, DEPT_B)->ttc, 0, 0, 0, 0);
    stats_report_free(r);
}

/*
 * February 2026 with T9..T13: carried in T2, T4 (2); detected T6, T7, T8, T9, T11, T12, T13
 * (7); reopened T5, T10 (2); closed T10, T11 (2); dismissed T4, T9 (2); carried out T2, T5,
 * T6, T7, T8, T12, T13 (7): 2 + 9 = 2 + 2 + 7.
 * 办结用时: T11 630000 s (from detection), T10 2059200 s (from its reopening) -> median (rank 1)
 * 630000, P90 (rank 2) 2059200, mean 2689200 / 2 = 1344600.
 * 未签收即办结/不予处置: T9 (dismissed, log without 签收), T11 (closed, no acknowledged_at);
 * not T4 (acknowledged 01-30) nor T10 -> 2. 期末未签收: T12 (open, never acknowledged), T13
 * (returned, awaiting re-assignment); not T2, T5, T6, T7 (acknowledged at 02-28 00:00, before
 * the cut-off), T8 -> 2.
 * Departments: A (T8, T11): 0 + 2 = 1 + 0 + 1, settled unack. 1, 办结用时 630000;
 * B (T2, T7, T10): 1 + 2 = 1 + 0 + 2, 办结用时 2059200; C (T4, T5, T13): 1 + 2 = 0 + 1 + 2,
 * 期末未签收 1; D (T6, T9, T12): 0 + 3 = 0 + 1 + 2, settled unack. 1, 期末未签收 1.
 */
static void test_issue_10_february_by_department(void **state)
{
    struct fixture f;
    struct stats_report *r;
    const struct stats_row *t, *a, *b, *c, *d;
    char *text = NULL;
    (void)state;
    fixture_init(&f);
    r = month_report_n(&f, N_ALL, 2026, 2, bj(RUN_AT));
    t = &r->total;
    assert_carry(t, 2, 7, 2, 2, 2, 7);
    assert_summary(&t->ttc, 2, 630000, 2059200, 1344600);
    /* T10, T11 on time; T5 missed and T4, T9 excluded at 03-01 00:00 = 24:00 of 02-28
       (issue #17 rule 3: February's; it said March's before) */
    assert_tally(&t->clocks[STATS_CLOCK_CLOSE], 3, 2, 0, 1, 0, 2);
    assert_unack(t, 2, 2);
    a = row(r, STATS_DIM_DEPARTMENT, DEPT_A);
    b = row(r, STATS_DIM_DEPARTMENT, DEPT_B);
    c = row(r, STATS_DIM_DEPARTMENT, DEPT_C);
    d = row(r, STATS_DIM_DEPARTMENT, DEPT_D);
    assert_carry(a, 0, 2, 0, 1, 0, 1);
    assert_carry(b, 1, 1, 1, 1, 0, 2);
    assert_carry(c, 1, 1, 1, 0, 1, 2);
    assert_carry(d, 0, 3, 0, 0, 1, 2);
    assert_summary(&a->ttc, 1, 630000, 630000, 630000);
    assert_summary(&b->ttc, 1, 2059200, 2059200, 2059200);
    assert_summary(&c->ttc, 0, 0, 0, 0);
    assert_summary(&d->ttc, 0, 0, 0, 0);
    assert_unack(a, 1, 0);
    assert_unack(b, 0, 0);
    assert_unack(c, 0, 1);
    assert_unack(d, 1, 1);
    /* the other dimensions carry the same figures: IV has T9, T11, T12 */
    assert_unack(row(r, STATS_DIM_LEVEL, "IV 一般"), 2, 1);
    assert_int_equal(row(r, STATS_DIM_LEVEL, "III 较大")->unacknowledged_at_end, 1);
    assert_summary(&row(r, STATS_DIM_SOURCE, "weibo-ankang")->ttc, 1, 2059200, 2059200, 2059200);
    /* the 通报 says so */
    assert_int_equal(stats_bulletin(r, &text), 0);
    assert_non_null(strstr(text, "办结或不予处置的交办单中2件从未签收"));
    assert_non_null(strstr(text, "结转的交办单中2件月末仍未签收"));
    assert_non_null(strstr(text, "办结用时中位数7天7小时00分，90%在23天20小时00分以内。"));
    free(text);
    stats_report_free(r);
}

/*
 * "No 签收 ever recorded" reads the log, not only acknowledged_at (which a re-assignment
 * clears): X was acknowledged, returned, re-assigned and dismissed -> not 未签收即不予处置.
 * Without a log, a return after the last 签收 leaves Y unacknowledged at the end; Z (acknowledged,
 * never returned) is not. February 2026: detected 3, dismissed 1 (X), carried out 2 (Y, Z).
 */
static void test_issue_10_acknowledged_then_returned(void **state)
{
    static const struct stats_state_change chx[] = {
        {0, TICKET_STATE_ACKNOWLEDGED}, {0, TICKET_STATE_RETURNED}, {0, TICKET_STATE_OPEN},
        {0, TICKET_STATE_DISMISSED}};
    struct stats_state_change ch[4];
    struct stats_ticket t[3];
    struct stats_report *r = NULL;
    struct stats_opts opts = {.period = STATS_PERIOD_MONTH, .year = 2026, .month = 2,
                              .now = bj(RUN_AT), .calendar = &calendar};
    (void)state;
    memcpy(ch, chx, sizeof(ch));
    ch[0].at = bj("2026-02-02 10:20");
    ch[1].at = bj("2026-02-02 10:40");
    ch[2].at = bj("2026-02-02 11:00");
    ch[3].at = bj("2026-02-02 12:00");
    memset(t, 0, sizeof(t));
    t[0] = (struct stats_ticket){
        .number = "X", .level = YQ_LEVEL_IV, .department = DEPT_A,
        .detected_at = bj("2026-02-02 10:00"), .assigned_at = bj("2026-02-02 11:00"),
        .returned_at = bj("2026-02-02 10:40"), .dismissed_at = bj("2026-02-02 12:00"),
        .ack_deadline = bj("2026-02-02 12:00"), .changes = ch, .n_changes = 4};
    t[1] = (struct stats_ticket){
        .number = "Y", .level = YQ_LEVEL_IV, .department = DEPT_B,
        .detected_at = bj("2026-02-03 09:00"), .assigned_at = bj("2026-02-03 09:00"),
        .acknowledged_at = bj("2026-02-03 09:10"), .returned_at = bj("2026-02-03 09:30"),
        .ack_deadline = bj("2026-02-03 10:00")};
    t[2] = (struct stats_ticket){
        .number = "Z", .level = YQ_LEVEL_IV, .department = DEPT_B,
        .detected_at = bj("2026-02-03 09:00"), .assigned_at = bj("2026-02-03 09:00"),
        .acknowledged_at = bj("2026-02-03 09:10"), .ack_deadline = bj("2026-02-03 10:00")};
    assert_int_equal(stats_compute(t, 3, &opts, &r), 0);
    assert_carry(&r->total, 0, 3, 0, 0, 1, 2);
    assert_unack(&r->total, 0, 1);
    assert_int_equal(row(r, STATS_DIM_DEPARTMENT, DEPT_B)->unacknowledged_at_end, 1);
    stats_report_free(r);
}

/* The new figures in every format: JSON (total, carry_over, by department), CSV, text, HTML. */
static void test_issue_10_figures_in_every_format(void **state)
{
    struct fixture f;
    struct stats_report *r;
    char *html = NULL, *csv = NULL, *json = NULL, *text = NULL;
    json_t *j, *total, *ttc, *rows, *x;
    size_t i;
    bool seen_d = false;
    (void)state;
    fixture_init(&f);
    r = month_report_n(&f, N_ALL, 2026, 2, bj(RUN_AT));

    assert_int_equal(stats_render(r, STATS_FORMAT_JSON, NULL, &json, NULL), 0);
    j = json_loads(json, 0, NULL);
    assert_non_null(j);
    total = json_object_get(j, "total");
    ttc = json_object_get(total, "ttc");
    assert_int_equal(json_integer_value(json_object_get(ttc, "n")), 2);
    assert_int_equal(json_integer_value(json_object_get(ttc, "median_s")), 630000);
    assert_int_equal(json_integer_value(json_object_get(ttc, "p90_s")), 2059200);
    assert_int_equal(json_integer_value(json_object_get(ttc, "mean_s")), 1344600);
    assert_int_equal(json_integer_value(json_object_get(total, "settled_unacknowledged")), 2);
    assert_int_equal(json_integer_value(json_object_get(total, "unacknowledged_at_end")), 2);
    x = json_object_get(j, "carry_over");
    assert_int_equal(json_integer_value(json_object_get(x, "settled_unacknowledged")), 2);
    assert_int_equal(json_integer_value(json_object_get(x, "unacknowledged_at_end")), 2);
    rows = json_object_get(json_object_get(j, "by"), "department");
    json_array_foreach(rows, i, x)
    {
        if (strcmp(json_string_value(json_object_get(x, "key")), DEPT_D) == 0) {
            seen_d = true;
            assert_int_equal(json_integer_value(json_object_get(x, "settled_unacknowledged")), 1);
            assert_int_equal(json_integer_value(json_object_get(x, "unacknowledged_at_end")), 1);
            assert_int_equal(json_integer_value(json_object_get(json_object_get(x, "ttc"), "n")),
                             0);
            assert_true(json_is_null(json_object_get(json_object_get(x, "ttc"), "median_s")));
        }
    }
    assert_true(seen_d);
    json_decref(j);

    /* CSV: the last seven columns are 办结用时 n, median, P90, mean (minutes) and the counts */
    assert_int_equal(stats_render(r, STATS_FORMAT_CSV, NULL, &csv, NULL), 0);
    assert_non_null(strstr(csv, ",办结用时件数,办结用时中位数(分钟),办结用时P90(分钟),"
                                "办结用时平均(分钟),未签收即办结或不予处置,期末未签收\r\n"));
    assert_non_null(strstr(csv, ",2,10500.0,34320.0,22410.0,2,2\r\n")); /* 合计 */
    assert_non_null(strstr(csv, "\r\n责任单位," DEPT_D ","));
    assert_non_null(strstr(csv, ",0,,,,1,1\r\n")); /* D: no closure, 1 and 1 */

    assert_int_equal(stats_render(r, STATS_FORMAT_TEXT, NULL, &text, NULL), 0);
    assert_non_null(strstr(text, "\n"
                                 "时限                        应办  按时  超时完成  超时未完成  未到期  按时率  完成率\n"
                                 "签收                           8     5         1           2       0   62.5%   75.0%\n"
                                 "首次回应（各级合计）           5     3         0           2       0   60.0%   60.0%\n"
                                 "Ⅰ/Ⅱ级 权威信息（5小时）        1     1         0           0       0  100.0%  100.0%\n"));
    assert_non_null(strstr(text, "其中未签收即办结或不予处置 2 件；期末未签收 2 件"));
    /* issue #11: the overdue list's department and clock columns line up too */
    assert_non_null(strstr(text, "\n"
                                 "超期清单 7 项\n"
                                 "  YQ-2026-01-0002  市卫生健康委员会  Ⅲ级 回应（48小时）          时限 2026-02-01 17:00  未完成  超时 27天7小时00分\n"
                                 "  YQ-2026-02-0005  市自然资源局      签收                        时限 2026-02-03 10:00  未完成  超时 25天14小时00分\n"
                                 "  YQ-2026-02-0001  市应急管理局      签收                        时限 2026-02-14 10:30  完成 2026-02-14 10:45  超时 15分\n"));
    /* issue #11: columns aligned by display width (a Chinese character takes two columns) */
    /*
     * durations floored to the minute in one form, from a day on with the minutes (as the web
     * page's fmtDuration()): the mean 1344600 s is 15天13小时30分, not 15天13小时
     */
    assert_non_null(strstr(text, "\n用时              件数        中位数             P90            平均\n"
                                 "签收用时（MTTA）     6          30分       1小时15分            37分\n"
                                 "首次回应用时         3  6天2小时00分   14天1小时00分   6天18小时40分\n"
                                 "办结用时             2  7天7小时00分  23天20小时00分  15天13小时30分\n"));
    /* 24 to 48 hours read in days too (was 38小时00分) */
    assert_non_null(strstr(text, "时限 2026-02-27 10:00  未完成  超时 1天14小时00分\n"));

    assert_int_equal(stats_render(r, STATS_FORMAT_HTML, NULL, &html, NULL), 0);
    {
        static const char *const parts[] = {
            "<th colspan=\"3\">办结用时</th>",
            "<th>其中未签收即办结或不予处置</th>",
            "<th>其中期末未签收</th>",
            /* the total row of the carry table: 2, 9, 7, 2, 2 closed, 2 dismissed, 2, 7 out, 2 */
            "<tr class=\"total\"><th scope=\"row\">合计</th><td class=\"n\">2</td><td "
            "class=\"n\">9</td><td class=\"n\">7</td><td class=\"n\">2</td><td class=\"n\">2"
            "</td><td class=\"n\">2</td><td class=\"n\">2</td><td class=\"n\">7</td><td "
            "class=\"n\">2</td>",
            "<dt>办结用时</dt>",
        };
        for (size_t k = 0; k < sizeof(parts) / sizeof(parts[0]); k++) {
            if (!strstr(html, parts[k])) {
                fail_msg("HTML lacks %s", parts[k]);
            }
        }
    }
    free(html);
    free(csv);
    free(json);
    free(text);
    stats_report_free(r);
}

/* ------------------------------------------------------------- FC-034 */

/*
 * ../shared/cases/inputs/FC-034.csv: ticket_id,created_at_utc. Expected (CASES.md): 2024-02: 1
 * (T1); 2024-03: 3 (T2, T4, T5); 2024-04: 1 (T3); 2024-05: 1 (T6). A run at
 * 2024-04-01T00:05+08:00 reports March 2024, count 3.
 */
static void test_fc034_months_in_beijing_time(void **state)
{
    char path[4096];
    char *csv = NULL, *line, *save = NULL;
    struct stats_ticket t[16];
    char ids[16][16];
    size_t n = 0;
    int y, m;
    static const struct {
        int month;
        size_t count;
    } expect[] = {{1, 0}, {2, 1}, {3, 3}, {4, 1}, {5, 1}, {6, 0}};
    (void)state;

    snprintf(path, sizeof(path), "%s/cases/inputs/FC-034.csv", YQ_SHARED_DIR);
    if (yq_fs_read_file(path, 65536, &csv, NULL) != 0) {
        skip(); /* ../shared is absent */
    }
    memset(t, 0, sizeof(t));
    for (line = strtok_r(csv, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
        char *comma = strchr(line, ',');
        if (!comma || strncmp(line, "ticket_id", 9) == 0) {
            continue;
        }
        *comma = '\0';
        assert_true(n < 16);
        snprintf(ids[n], sizeof(ids[n]), "%s", line);
        t[n].number = ids[n];
        t[n].level = YQ_LEVEL_IV;
        t[n].department = DEPT_A;
        t[n].detected_at = bj(comma + 1); /* created_at_utc ends in Z */
        n++;
    }
    free(csv);
    assert_int_equal(n, 6);
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
        struct stats_opts o = {.period = STATS_PERIOD_MONTH, .year = 2024,
                               .month = expect[i].month, .now = bj("2025-01-01 00:00")};
        struct stats_report *r = NULL;
        assert_int_equal(stats_compute(t, n, &o, &r), 0);
        assert_int_equal(r->total.detected, expect[i].count);
        assert_int_equal(r->cohort.detected, expect[i].count);
        stats_report_free(r);
    }
    /* the scheduled run at 2024-04-01T00:05+08:00 reports March 2024, count 3 */
    stats_previous_month(bj("2024-04-01T00:05:00+08:00"), &y, &m);
    assert_int_equal(y, 2024);
    assert_int_equal(m, 3);
    {
        struct stats_opts o = {.period = STATS_PERIOD_MONTH, .year = y, .month = m,
                               .now = bj("2024-04-01T00:05:00+08:00")};
        struct stats_report *r = NULL;
        assert_int_equal(stats_compute(t, n, &o, &r), 0);
        assert_int_equal(r->cutoff, bj("2024-03-31T16:00:00Z"));
        assert_int_equal(r->total.detected, 3);
        stats_report_free(r);
    }
}

/* ------------------------------------------------------------- property */

static uint64_t rng_state;

static uint32_t rnd(void)
{
    /* xorshift64*: deterministic for a seed */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static int64_t rnd_range(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(((uint64_t)rnd() << 32 | rnd()) % (uint64_t)(hi - lo));
}

enum { PROP_TICKETS = 400, PROP_MAX_CHANGES = 8 };

/*
 * Random histories over 2024-12 .. 2027-01 (some before and after the 24 months checked):
 * detection, then a random walk over the lifecycle (ack, respond, close, dismiss, return,
 * reopen), some steps falling exactly on month boundaries; random deadlines. For each of the
 * 24 months 2025-01 .. 2026-12 (and per department): in + added = closed + dismissed + out,
 * this month's out = next month's in, and due = on_time + late + missed for every clock.
 */
static void test_property_carry_over_identity_24_months(void **state)
{
    static const char *const depts[] = {DEPT_A, DEPT_B, DEPT_C, DEPT_D};
    static const uint64_t seeds[] = {1, 20260301, 0x9e3779b97f4a7c15ull};
    struct stats_ticket *t = calloc(PROP_TICKETS, sizeof(*t));
    struct stats_state_change(*ch)[PROP_MAX_CHANGES] = calloc(PROP_TICKETS, sizeof(*ch));
    int64_t lo = bj("2024-12-01 00:00"), hi = bj("2027-01-15 00:00");
    (void)state;
    assert_non_null(t);
    assert_non_null(ch);

    for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
        size_t prev_out = 0, prev_dept_out[4] = {0};
        rng_state = seeds[s];
        for (size_t i = 0; i < PROP_TICKETS; i++) {
            int64_t at;
            enum ticket_state st = TICKET_STATE_OPEN;
            memset(&t[i], 0, sizeof(t[i]));
            t[i].number = "YQ-PROP";
            t[i].level = (enum yq_level)(1 + rnd() % 4);
            t[i].department = depts[rnd() % 4];
            at = rnd() % 8 == 0 ? bj("2025-06-01 00:00") - 8 * H + (int64_t)(rnd() % 40) * 86400
                                : rnd_range(lo, hi);
            if (rnd() % 10 == 0) {
                int y, mo;
                int64_t a, b;
                stats_month_of(at, &y, &mo);
                assert_int_equal(stats_month_window(y, mo, &a, &b), 0);
                at = a; /* exactly at a month boundary */
            }
            t[i].detected_at = at;
            t[i].assigned_at = at;
            t[i].ack_deadline = at + H;
            t[i].response_deadline = at + (int64_t)(1 + rnd() % 200) * H;
            t[i].press_deadline = t[i].level <= YQ_LEVEL_II ? at + 24 * H : 0;
            t[i].close_deadline = at + (int64_t)(5 + rnd() % 30) * 86400;
            t[i].changes = ch[i];
            for (size_t k = 0; k < PROP_MAX_CHANGES && rnd() % 5 != 0; k++) {
                at += rnd() % 3 == 0 ? (int64_t)(rnd() % 90) * MIN
                                     : (int64_t)(rnd() % 40) * 86400 + (int64_t)(rnd() % 86400);
                switch (st) {
                case TICKET_STATE_OPEN:
                    st = rnd() % 4 == 0 ? (rnd() % 2 ? TICKET_STATE_DISMISSED : TICKET_STATE_RETURNED)
                                        : TICKET_STATE_ACKNOWLEDGED;
                    break;
                case TICKET_STATE_ACKNOWLEDGED:
                    st = rnd() % 5 == 0 ? TICKET_STATE_RETURNED : TICKET_STATE_RESPONDED;
                    break;
                case TICKET_STATE_RESPONDED:
                    st = TICKET_STATE_CLOSED;
                    break;
                case TICKET_STATE_RETURNED:
                    st = rnd() % 3 == 0 ? TICKET_STATE_DISMISSED : TICKET_STATE_OPEN;
                    break;
                case TICKET_STATE_CLOSED:
                case TICKET_STATE_DISMISSED:
                    st = TICKET_STATE_OPEN; /* reopen */
                    break;
                }
                ch[i][k] = (struct stats_state_change){at, st};
                t[i].n_changes = k + 1;
                if (st == TICKET_STATE_ACKNOWLEDGED) {
                    t[i].acknowledged_at = at;
                } else if (st == TICKET_STATE_RESPONDED && !t[i].responded_at) {
                    t[i].responded_at = at;
                } else if (st == TICKET_STATE_CLOSED) {
                    t[i].closed_at = at;
                } else if (st == TICKET_STATE_RETURNED) {
                    t[i].returned_at = at;
                }
            }
        }
        for (int mi = 0; mi < 24; mi++) {
            struct stats_opts o = {.period = STATS_PERIOD_MONTH, .year = 2025 + mi / 12,
                                   .month = 1 + mi % 12, .now = bj("2027-06-01 00:00")};
            struct stats_report *r = NULL;
            const struct stats_row *x = NULL;
            assert_int_equal(stats_compute(t, PROP_TICKETS, &o, &r), 0);
            x = &r->total;
            assert_int_equal(x->carried_in + x->added, x->closed + x->dismissed + x->carried_out);
            if (mi > 0) {
                assert_int_equal(x->carried_in, prev_out);
            }
            prev_out = x->carried_out;
            for (int k = 0; k < STATS_CLOCK_COUNT; k++) {
                const struct stats_clock_tally *c = &x->clocks[k];
                assert_int_equal(c->due, c->on_time + c->late + c->missed);
                assert_int_equal(c->pending, 0); /* every month is complete */
            }
            for (int d = 0; d < 4; d++) {
                size_t in = 0, out = 0;
                for (size_t i = 0; i < r->n_rows[STATS_DIM_DEPARTMENT]; i++) {
                    const struct stats_row *dr = &r->rows[STATS_DIM_DEPARTMENT][i];
                    assert_int_equal(dr->carried_in + dr->added,
                                     dr->closed + dr->dismissed + dr->carried_out);
                    if (strcmp(dr->key, depts[d]) == 0) {
                        in = dr->carried_in;
                        out = dr->carried_out;
                    }
                }
                if (mi > 0) {
                    assert_int_equal(in, prev_dept_out[d]);
                }
                prev_dept_out[d] = out;
            }
            stats_report_free(r);
        }
    }
    free(t);
    free(ch);
}

/*
 * A month without tickets says so, instead of "共监测发现政务舆情0件……均已交办责任单位"; long
 * delays read in days (the February report's T4 response is missed by 18 days 19 hours).
 */
static void test_bulletin_wording_for_empty_months_and_long_delays(void **state)
{
    struct stats_opts opts = {.period = STATS_PERIOD_MONTH, .year = 2026, .month = 7,
                              .now = bj("2026-08-01 00:05"), .calendar = &calendar};
    struct stats_report *r = NULL;
    char *text = NULL;
    struct fixture f;

    (void)state;
    assert_int_equal(stats_compute(NULL, 0, &opts, &r), 0);
    assert_int_equal(stats_bulletin(r, &text), 0);
    assert_non_null(strstr(text, "未监测发现需交办的政务舆情"));
    assert_null(strstr(text, "均已交办"));
    assert_non_null(strstr(text, "本月无到期的签收、回应和办结时限"));
    free(text);
    stats_report_free(r);

    fixture_init(&f);
    r = month_report(&f, 2026, 2, bj("2026-02-20 12:00"));
    assert_int_equal(stats_render(r, STATS_FORMAT_TEXT, NULL, &text, NULL), 0);
    assert_non_null(strstr(text, "超时 18天19小时00分\n"));
    free(text);
    stats_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_windows_in_beijing_time),
        cmocka_unit_test(test_percentiles_nearest_rank),
        cmocka_unit_test(test_duty_bands),
        cmocka_unit_test(test_durations_floored_to_the_minute_in_one_form),
        cmocka_unit_test(test_fixture_december_2025),
        cmocka_unit_test(test_fixture_january_2026),
        cmocka_unit_test(test_fixture_february_2026),
        cmocka_unit_test(test_fixture_open_at_cutoff_is_not_late),
        cmocka_unit_test(test_fixture_department_filter),
        cmocka_unit_test(test_fixture_year_2026),
        cmocka_unit_test(test_fixture_renderers),
        cmocka_unit_test(test_issue_12_writers_bounded),
        cmocka_unit_test(test_issue_11_sources_by_name),
        cmocka_unit_test(test_issue_11_definitions_in_chinese),
        cmocka_unit_test(test_bulletin_wording_for_empty_months_and_long_delays),
        cmocka_unit_test(test_issue_10_december_time_to_close_and_unacknowledged),
        cmocka_unit_test(test_issue_10_january_settled_without_acknowledgement),
        cmocka_unit_test(test_issue_10_february_by_department),
        cmocka_unit_test(test_issue_10_figures_in_every_format),
        cmocka_unit_test(test_issue_10_acknowledged_then_returned),
        cmocka_unit_test(test_fc034_months_in_beijing_time),
        cmocka_unit_test(test_property_carry_over_identity_24_months),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
