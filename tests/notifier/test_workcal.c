/*
 * The working-day calendar (2026 file with 调休 days), deadline arithmetic of every clock
 * across weekends, holidays, month and year ends, escalation timing and quiet hours.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notify_cfg.h"
#include "ticket_clock.h"
#include "notifier_fixture.h"
#include "workcal.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

static int64_t day(const char *date)
{
    return workcal_day_of(notifier_ts(date)); /* a date alone is Shanghai midnight */
}

static struct workcal *load_2026(void)
{
    struct workcal *cal = workcal_new();
    char err[256] = "";
    assert_non_null(cal);
    if (workcal_load_dir(cal, YQ_SOURCE_DIR "/config/calendar", err, sizeof(err)) != 0) {
        fail_msg("calendar: %s", err);
    }
    assert_true(workcal_covers_year(cal, 2026));
    assert_false(workcal_covers_year(cal, 2027));
    return cal;
}

static void test_2026_working_days(void **state)
{
    static const struct {
        const char *date;
        bool working;
        const char *why;
    } cases[] = {
        {"2026-01-01", false, "元旦 (Thu)"},
        {"2026-01-02", false, "元旦 (Fri)"},
        {"2026-01-03", false, "元旦 (Sat)"},
        {"2026-01-04", true, "调休 Sunday"},
        {"2026-01-05", true, "Monday"},
        {"2026-01-10", false, "ordinary Saturday"},
        {"2026-02-13", true, "Friday before 春节"},
        {"2026-02-14", true, "调休 Saturday"},
        {"2026-02-15", false, "春节 first day (Sun)"},
        {"2026-02-17", false, "春节 (Tue)"},
        {"2026-02-23", false, "春节 last day (Mon)"},
        {"2026-02-24", true, "after 春节"},
        {"2026-02-28", true, "调休 Saturday"},
        {"2026-03-01", false, "ordinary Sunday"},
        {"2026-04-06", false, "清明 (Mon)"},
        {"2026-05-01", false, "劳动节"},
        {"2026-05-05", false, "劳动节 (Tue)"},
        {"2026-05-06", true, "after 劳动节"},
        {"2026-05-09", true, "调休 Saturday"},
        {"2026-06-19", false, "端午 (Fri)"},
        {"2026-09-20", true, "调休 Sunday before 国庆"},
        {"2026-09-25", false, "中秋 (Fri)"},
        {"2026-10-01", false, "国庆"},
        {"2026-10-07", false, "国庆 last day (Wed)"},
        {"2026-10-08", true, "after 国庆 (Thu)"},
        {"2026-10-10", true, "调休 Saturday"},
        {"2026-10-11", false, "ordinary Sunday"},
        {"2026-12-31", true, "Thursday"},
        /* every day of each holiday off, the next day back at work (the 2025-11-04 notice) */
        {"2026-02-16", false, "春节 (Mon)"},
        {"2026-02-22", false, "春节 (Sun)"},
        {"2026-04-04", false, "清明 (Sat)"},
        {"2026-04-05", false, "清明 (Sun)"},
        {"2026-04-07", true, "after 清明 (Tue)"},
        {"2026-05-02", false, "劳动节 (Sat)"},
        {"2026-05-04", false, "劳动节 (Mon)"},
        {"2026-05-10", false, "ordinary Sunday after the 调休 Saturday"},
        {"2026-06-20", false, "端午 (Sat)"},
        {"2026-06-21", false, "端午 (Sun)"},
        {"2026-06-22", true, "after 端午 (Mon)"},
        {"2026-09-19", false, "ordinary Saturday before the 调休 Sunday"},
        {"2026-09-26", false, "中秋 (Sat)"},
        {"2026-09-27", false, "中秋 (Sun)"},
        {"2026-09-28", true, "after 中秋 (Mon)"},
        {"2026-10-02", false, "国庆 (Fri)"},
        {"2026-10-05", false, "国庆 (Mon)"},
        {"2026-10-06", false, "国庆 (Tue)"},
        {"2026-10-09", true, "after 国庆 (Fri)"},
    };
    struct workcal *cal = load_2026();

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (workcal_is_working_day(cal, day(cases[i].date)) != cases[i].working) {
            fail_msg("%s (%s): want %s", cases[i].date, cases[i].why,
                     cases[i].working ? "working" : "day off");
        }
    }
    /* without a calendar only weekends are off */
    assert_true(workcal_is_working_day(NULL, day("2026-10-01")));
    assert_false(workcal_is_working_day(NULL, day("2026-10-10")));
    workcal_free(cal);
}

static void test_working_day_arithmetic(void **state)
{
    static const struct {
        const char *from;
        int n;
        const char *want; /* 24:00 of the n-th working day, as the next midnight */
        bool with_cal;
    } cases[] = {
        /* weekends: Friday + 1 is Monday; counting starts the day after */
        {"2026-11-27T10:00:00+08:00", 1, "2026-12-01T00:00:00+08:00", true},
        {"2026-11-28T23:59:00+08:00", 1, "2026-12-01T00:00:00+08:00", true},
        {"2026-11-30T00:00:00+08:00", 5, "2026-12-08T00:00:00+08:00", true},
        /* month end: Thursday 2026-04-30 + 5: 05-01..05 off, 05-06 Wed is the first */
        {"2026-04-30T09:00:00+08:00", 1, "2026-05-07T00:00:00+08:00", true},
        {"2026-04-30T09:00:00+08:00", 5, "2026-05-12T00:00:00+08:00", true}, /* 6,7,8,9(调休),11 */
        /* 国庆 with the 10-10 调休 Saturday */
        {"2026-09-30T10:00:00+08:00", 5, "2026-10-14T00:00:00+08:00", true}, /* 8,9,10,12,13 */
        {"2026-09-19T10:00:00+08:00", 1, "2026-09-21T00:00:00+08:00", true}, /* 09-20 调休 Sun */
        /* 春节: 02-13 Fri + 1 is the 调休 Saturday 02-14; + 2 skips the whole holiday */
        {"2026-02-13T18:00:00+08:00", 1, "2026-02-15T00:00:00+08:00", true},
        {"2026-02-13T18:00:00+08:00", 2, "2026-02-25T00:00:00+08:00", true},
        /* year end: 2026-12-30 + 5 runs into 2027 (no file: weekends only) */
        {"2026-12-30T12:00:00+08:00", 5, "2027-01-07T00:00:00+08:00", true},
        /* the day is Shanghai's: 2026-12-31T16:30Z is already 2027-01-01 (Fri) */
        {"2026-12-31T16:30:00Z", 1, "2027-01-05T00:00:00+08:00", true},
        /* 元旦 2026: Wed 12-31-2025 + 1 = Sun 01-04 (调休) */
        {"2025-12-31T10:00:00+08:00", 1, "2026-01-05T00:00:00+08:00", true},
        /* counted from a holiday: 国庆 10-03 (Sat, off) + 5 = 8, 9, 10 (调休), 12, 13 */
        {"2026-10-03T15:00:00+08:00", 5, "2026-10-14T00:00:00+08:00", true},
        /* counted from a 调休 working day: its own day does not count either */
        {"2026-02-14T10:00:00+08:00", 1, "2026-02-25T00:00:00+08:00", true},
        {"2026-05-09T10:00:00+08:00", 1, "2026-05-12T00:00:00+08:00", true},
        /* the first and the last second of a day are that day: 24:00 is the next day's 00:00 */
        {"2026-11-30T00:00:00+08:00", 1, "2026-12-02T00:00:00+08:00", true},
        {"2026-11-30T23:59:59+08:00", 1, "2026-12-02T00:00:00+08:00", true},
        {"2026-12-01T00:00:00+08:00", 1, "2026-12-03T00:00:00+08:00", true},
        /* 清明 (04-04..06, Sat..Mon, no 调休) and 端午 (06-19 Fri..21) */
        {"2026-04-03T17:00:00+08:00", 1, "2026-04-08T00:00:00+08:00", true},
        {"2026-06-18T17:00:00+08:00", 1, "2026-06-23T00:00:00+08:00", true},
        /* no calendar: 国庆 counts as working days */
        {"2026-09-30T10:00:00+08:00", 5, "2026-10-08T00:00:00+08:00", false},
    };
    struct workcal *cal = load_2026();

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t got = workcal_add_working_days(cases[i].with_cal ? cal : NULL,
                                               notifier_ts(cases[i].from), cases[i].n);
        if (got != notifier_ts(cases[i].want)) {
            char buf[32];
            fail_msg("case %zu: %s + %d working days = %s, want %s", i, cases[i].from, cases[i].n,
                     yq_time_format_utc(got, buf, sizeof(buf)), cases[i].want);
        }
    }
    workcal_free(cal);
}

static void test_deadlines_per_level_with_calendar(void **state)
{
    struct workcal *cal = load_2026();
    struct ticket_deadline_set d;
    struct ticket_clock_cfg cfg = *ticket_clock_defaults();
    int64_t t0 = notifier_ts("2026-09-30T10:00:00+08:00");

    (void)state;
    ticket_clock_deadlines(NULL, cal, YQ_LEVEL_I, t0, t0, &d);
    assert_int_equal(d.ack, t0 + 3600);
    assert_int_equal(d.response, t0 + 5 * 3600); /* hours run through holidays */
    assert_int_equal(d.press, t0 + 24 * 3600);
    /* 15 working days from 09-30: 10-08..10-10 (3), 10-12..16 (8), 10-19..23 (13), 26, 27 */
    assert_int_equal(d.close, notifier_ts("2026-10-28T00:00:00+08:00"));
    ticket_clock_deadlines(NULL, cal, YQ_LEVEL_II, t0, t0 + 600, &d);
    assert_int_equal(d.ack, t0 + 600 + 3600); /* from assignment */
    assert_int_equal(d.press, t0 + 24 * 3600);
    ticket_clock_deadlines(NULL, cal, YQ_LEVEL_III, t0, t0, &d);
    assert_int_equal(d.response, t0 + 48 * 3600);
    assert_int_equal(d.press, 0);
    ticket_clock_deadlines(NULL, cal, YQ_LEVEL_IV, t0, t0, &d);
    assert_int_equal(d.response, notifier_ts("2026-10-14T00:00:00+08:00"));
    /* configured values */
    cfg.ack_ms = 30 * 60000;
    cfg.response_iii_ms = 24 * 3600000LL;
    cfg.response_iv_working_days = 3;
    cfg.close_working_days = 1;
    ticket_clock_deadlines(&cfg, cal, YQ_LEVEL_III, t0, t0, &d);
    assert_int_equal(d.ack, t0 + 1800);
    assert_int_equal(d.response, t0 + 24 * 3600);
    assert_int_equal(d.close, notifier_ts("2026-10-09T00:00:00+08:00"));
    ticket_clock_deadlines(&cfg, cal, YQ_LEVEL_IV, t0, t0, &d);
    assert_int_equal(d.response, notifier_ts("2026-10-11T00:00:00+08:00")); /* 8, 9, 10 (调休) */
    /* hour clocks across midnight, the month and the year in Beijing time (UTC+8, no DST):
       I detected 2026-12-31 22:00 (14:00Z) */
    t0 = notifier_ts("2026-12-31T22:00:00+08:00");
    ticket_clock_deadlines(NULL, cal, YQ_LEVEL_I, t0, t0 + 1800, &d);
    assert_int_equal(d.ack, notifier_ts("2026-12-31T23:30:00+08:00"));
    assert_int_equal(d.response, notifier_ts("2027-01-01T03:00:00+08:00"));
    assert_int_equal(d.press, notifier_ts("2027-01-01T22:00:00+08:00"));
    ticket_clock_deadlines(NULL, cal, YQ_LEVEL_III, notifier_ts("2026-11-30T23:30:00+08:00"), 0,
                           &d);
    assert_int_equal(d.response, notifier_ts("2026-12-02T23:30:00+08:00"));
    workcal_free(cal);
}

static void test_escalation_stages(void **state)
{
    int64_t start = 1000000, deadline = start + 5 * 3600; /* a 5 h clock */
    (void)state;
    assert_int_equal(ticket_clock_remind_at(start, deadline, 80), start + 4 * 3600);
    assert_int_equal(ticket_clock_stage(start, deadline, 80, start), TICKET_ESC_NONE);
    assert_int_equal(ticket_clock_stage(start, deadline, 80, start + 4 * 3600 - 1),
                     TICKET_ESC_NONE);
    assert_int_equal(ticket_clock_stage(start, deadline, 80, start + 4 * 3600), TICKET_ESC_REMIND);
    assert_int_equal(ticket_clock_stage(start, deadline, 80, deadline - 1), TICKET_ESC_REMIND);
    /* the deadline's own second is on time (met_at <= deadline): 督办 only after it */
    assert_int_equal(ticket_clock_stage(start, deadline, 80, deadline), TICKET_ESC_REMIND);
    assert_int_equal(ticket_clock_stage(start, deadline, 80, deadline + 1), TICKET_ESC_SUPERVISE);
    assert_int_equal(ticket_clock_stage(start, deadline, 50, start + 9000), TICKET_ESC_REMIND);
    assert_int_equal(ticket_clock_stage(start, 0, 80, deadline + 1), TICKET_ESC_NONE);
    assert_int_equal(ticket_clock_remind_at(start, start - 5, 80), start);
}

/*
 * Which year a working-day clock counts without a calendar file (the notifier warns about it):
 * none while the clock stays in 2026; 2027 for a clock started in mid-December (办结 15 working
 * days from Mon 12-14 ends 24:00 of 2027-01-04, counting 元旦 01-01 as a working day); a clock that
 * ends at exactly 2027-01-01 00:00 (24:00 of 12-31) stays in 2026.
 */
static void test_uncovered_year_of_a_clock(void **state)
{
    struct workcal *cal = load_2026();
    struct ticket_clock_cfg cfg = *ticket_clock_defaults();

    (void)state;
    assert_int_equal(
        ticket_clock_uncovered_year(NULL, cal, notifier_ts("2026-11-30T10:00:00+08:00")), 0);
    assert_int_equal(
        ticket_clock_uncovered_year(NULL, cal, notifier_ts("2026-12-14T09:00:00+08:00")), 2027);
    /* Thu 12-10 + 15: 11, 14-18, 21-25, 28-31 -> 24:00 of 12-31 = 2027-01-01 00:00 */
    assert_int_equal(workcal_add_working_days(cal, notifier_ts("2026-12-10T09:00:00+08:00"), 15),
                     notifier_ts("2027-01-01T00:00:00+08:00"));
    assert_int_equal(
        ticket_clock_uncovered_year(NULL, cal, notifier_ts("2026-12-10T09:00:00+08:00")), 0);
    assert_int_equal(
        ticket_clock_uncovered_year(NULL, cal, notifier_ts("2026-12-11T09:00:00+08:00")), 2027);
    /* the longer of the two working-day clocks counts */
    cfg.close_working_days = 1;
    cfg.response_iv_working_days = 30;
    assert_int_equal(
        ticket_clock_uncovered_year(&cfg, cal, notifier_ts("2026-12-01T09:00:00+08:00")), 2027);
    /* no calendar at all: this year already */
    assert_int_equal(
        ticket_clock_uncovered_year(NULL, NULL, notifier_ts("2026-03-02T09:00:00+08:00")), 2026);
    assert_int_equal(workcal_first_uncovered_year(cal, 100, 100), 0);
    workcal_free(cal);
}

/* A year without holidays (weekends only) loads: found by fuzz_workcal (qsort of no dates). */
static void test_year_without_holidays(void **state)
{
    static const char *const texts[] = {"year: 2027\nholidays: []\n",
                                        "year: 2027\nsource: x\nholidays: []\n"};
    (void)state;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct workcal *cal = workcal_new();
        char err[256] = "";
        int rc = workcal_add_text(cal, "t.yaml", texts[i], strlen(texts[i]), err, sizeof(err));
        if (rc != 0) {
            fail_msg("case %zu: rc %d err '%s'", i, rc, err);
        }
        assert_int_equal(workcal_n_years(cal), 1);
        /* 2027-01-01 is a Friday: a working day, as no holiday is listed */
        assert_true(workcal_is_working_day(cal, day("2027-01-01")));
        assert_false(workcal_is_working_day(cal, day("2027-01-02")));
        workcal_free(cal);
    }
}

static void test_bad_calendars_are_refused(void **state)
{
    static const struct {
        const char *text;
        int err;
        const char *msg;
    } cases[] = {
        {"year: 2026\nholidays:\n  - {name: x, off: [2026-01-01], work: [2026-01-05]}\n",
         ERR_INVALID, "not a Saturday or Sunday"},
        {"year: 2026\nholidays:\n  - {name: x, off: [2025-12-31, 2026-01-01]}\n", ERR_INVALID,
         "'off'"},
        {"year: 2026\nholidays:\n  - {name: x, off: [2026-01-03, 2026-01-01]}\n", ERR_INVALID,
         "'off'"},
        {"year: 2026\nholidays:\n  - {name: x, off: [2026-02-30]}\n", ERR_INVALID, "'off'"},
        {"year: 2026\nholidays:\n  - {name: x, off: [2026-01-01], of: 1}\n", ERR_INVALID,
         "unknown holiday key"},
        {"year: 2026\nholiday: []\n", ERR_INVALID, "unknown key"},
        {"year: twenty\nholidays: []\n", ERR_INVALID, "year"},
        {"year: 2026\nholidays: {a: 1}\n", ERR_PARSE, "list"},
        {"[unclosed", ERR_PARSE, ""},
        {"year: 2026\nholidays:\n  - {name: x, off: [2026-01-01]}\n  - {name: y, off: "
         "[2026-01-01]}\n",
         ERR_INVALID, "twice"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct workcal *cal = workcal_new();
        char err[256] = "";
        int rc =
            workcal_add_text(cal, "t.yaml", cases[i].text, strlen(cases[i].text), err, sizeof(err));
        if (rc != cases[i].err || !strstr(err, cases[i].msg)) {
            fail_msg("case %zu: rc %d err '%s', want %d '%s'", i, rc, err, cases[i].err,
                     cases[i].msg);
        }
        assert_int_equal(workcal_n_years(cal), 0); /* unchanged */
        workcal_free(cal);
    }
    {
        /* a year loads once */
        struct workcal *cal = load_2026();
        char err[256] = "";
        const char *t = "year: 2026\nholidays: []\n";
        assert_int_equal(workcal_add_text(cal, "again.yaml", t, strlen(t), err, sizeof(err)),
                         ERR_EXISTS);
        assert_int_equal(workcal_load_dir(cal, "/nonexistent/dir", err, sizeof(err)),
                         ERR_NOT_FOUND);
        workcal_free(cal);
    }
}

static void test_quiet_hours(void **state)
{
    int s = 0, e = 0;
    (void)state;
    assert_int_equal(notify_quiet_parse("22:00-07:00", &s, &e), 0);
    assert_int_equal(s, 22 * 60);
    assert_int_equal(e, 7 * 60);
    /* 23:30 Beijing waits until 07:00 the next day; 06:59 until 07:00; 12:00 goes now */
    assert_int_equal(notify_quiet_until(s, e, notifier_ts("2026-11-29T23:30:00+08:00")),
                     notifier_ts("2026-11-30T07:00:00+08:00"));
    assert_int_equal(notify_quiet_until(s, e, notifier_ts("2026-11-30T06:59:00+08:00")),
                     notifier_ts("2026-11-30T07:00:00+08:00"));
    assert_int_equal(notify_quiet_until(s, e, notifier_ts("2026-11-30T12:00:00+08:00")),
                     notifier_ts("2026-11-30T12:00:00+08:00"));
    assert_int_equal(notify_quiet_parse("12:00-14:00", &s, &e), 0);
    assert_int_equal(notify_quiet_until(s, e, notifier_ts("2026-11-30T13:00:00+08:00")),
                     notifier_ts("2026-11-30T14:00:00+08:00"));
    assert_int_equal(notify_quiet_parse("", &s, &e), 0);
    assert_int_equal(notify_quiet_until(s, e, 12345), 12345);
    assert_int_equal(notify_quiet_parse("25:00-07:00", &s, &e), ERR_INVALID);
    assert_int_equal(notify_quiet_parse("22:00", &s, &e), ERR_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_2026_working_days),
        cmocka_unit_test(test_working_day_arithmetic),
        cmocka_unit_test(test_deadlines_per_level_with_calendar),
        cmocka_unit_test(test_escalation_stages),
        cmocka_unit_test(test_uncovered_year_of_a_clock),
        cmocka_unit_test(test_bad_calendars_are_refused),
        cmocka_unit_test(test_year_without_holidays),
        cmocka_unit_test(test_quiet_hours),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
