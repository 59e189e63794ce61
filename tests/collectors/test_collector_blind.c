/*
 * The blind-window tracker (collectors/source_blind.h, issue #15) on an injected clock: every
 * reason opens once, does not repeat, closes with the right dates, survives a restart through
 * its Redis fields; overlapping reasons are separate windows; a walled poll never counts as a
 * successful one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source_blind.h"
#include "yq_time.h"
#include "yq_banned.h"

#define T0 1796428800LL /* 2026-12-05T00:00:00Z */
#define MIN 60LL
#define HOUR 3600LL

static const struct source_blind_params defaults = {
    .blind_after_failures = 3,
    .stale_after_s = 0,
    .quiet_factor = 4,
    .quiet_min_s = HOUR,
};

/*
 * The delay scheduled after each attempt of the helpers below: 15 min (an interval) unless a
 * test about the quiet rule, whose polls are hours apart, makes it a day.
 */
static int64_t sched_delay_s;

static int setup(void **state)
{
    (void)state;
    sched_delay_s = 15 * MIN;
    return 0;
}

/* The unpolled check of an attempt at now with delay_s scheduled after it. Returns ch->n. */
static size_t attempt(struct source_blind *b, int64_t now, int64_t delay_s,
                      struct source_blind_changes *ch)
{
    ch->n = 0;
    source_blind_attempt(b, now, delay_s, ch);
    return ch->n;
}

/*
 * One attempt at now: its unpolled check, then ok (new_items; has_newest: the newest item's
 * date newest). Returns the number of changes (ch->n).
 */
static size_t attempt_ok_newest(struct source_blind *b, const struct source_blind_params *par,
                                int64_t now, bool has_newest, int64_t newest, int64_t new_items,
                                struct source_blind_changes *ch)
{
    attempt(b, now, sched_delay_s, ch);
    source_blind_ok(b, par, now, has_newest, newest, new_items, ch);
    return ch->n;
}

/* attempt_ok_newest() of a source whose items carry no date. */
static size_t attempt_ok(struct source_blind *b, const struct source_blind_params *par, int64_t now,
                         int64_t new_items, struct source_blind_changes *ch)
{
    return attempt_ok_newest(b, par, now, false, 0, new_items, ch);
}

/* One attempt at now that fails (walled: a wall with its renew text). Returns ch->n. */
static size_t attempt_fail(struct source_blind *b, const struct source_blind_params *par,
                           int64_t now, bool walled, struct source_blind_changes *ch)
{
    attempt(b, now, sched_delay_s, ch);
    source_blind_fail(b, par, now, walled, walled ? "auth_required: HTTP 432" : "http_error: 404",
                      walled ? "更新 cookie_file /etc/yuqing/weibo.cookie（微博登录 Cookie 已失效）"
                             : NULL,
                      ch);
    return ch->n;
}

static void assert_change(const struct source_blind_change *c, enum yq_blind_reason r, bool open,
                          int64_t started_at, int64_t ended_at)
{
    assert_int_equal(c->reason, r);
    assert_int_equal(c->open, open);
    assert_int_equal(c->started_at, started_at);
    assert_int_equal(c->ended_at, ended_at);
}

static void test_failing_opens_after_n_dated_from_the_first_and_closes_once(void **state)
{
    struct source_blind b;
    struct source_blind_changes ch;

    (void)state;
    source_blind_init(&b);
    assert_int_equal(attempt_ok(&b, &defaults, T0, 1, &ch), 0);
    assert_int_equal(attempt_fail(&b, &defaults, T0 + 15 * MIN, false, &ch), 0);
    assert_int_equal(attempt_fail(&b, &defaults, T0 + 30 * MIN, false, &ch), 0);
    assert_int_equal(attempt_fail(&b, &defaults, T0 + 45 * MIN, false, &ch), 1);
    assert_change(&ch.v[0], YQ_BLIND_FAILING, true, T0 + 15 * MIN, 0);
    assert_string_equal(ch.v[0].detail, "http_error: 404");
    assert_string_equal(ch.v[0].renew, "");
    /* no repeat while it lasts */
    assert_int_equal(attempt_fail(&b, &defaults, T0 + 60 * MIN, false, &ch), 0);
    assert_int_equal(b.failures, 4);
    /* the next success closes it */
    assert_int_equal(attempt_ok(&b, &defaults, T0 + 75 * MIN, 0, &ch), 1);
    assert_change(&ch.v[0], YQ_BLIND_FAILING, false, T0 + 15 * MIN, T0 + 75 * MIN);
    assert_false(b.win[YQ_BLIND_FAILING].open);
    assert_int_equal(b.failures, 0);
    /* a later run counts from zero again */
    attempt_fail(&b, &defaults, T0 + 90 * MIN, false, &ch);
    assert_int_equal(attempt_fail(&b, &defaults, T0 + 105 * MIN, false, &ch), 0);
}

static void test_failing_threshold_is_the_source_key(void **state)
{
    struct source_blind_params one = defaults;
    struct source_blind b;
    struct source_blind_changes ch;

    (void)state;
    one.blind_after_failures = 1;
    source_blind_init(&b);
    assert_int_equal(attempt_fail(&b, &one, T0, false, &ch), 1);
    assert_change(&ch.v[0], YQ_BLIND_FAILING, true, T0, 0);
}

static void test_walled_opens_at_once_with_renew_and_never_counts_as_ok(void **state)
{
    struct source_blind b;
    struct source_blind_changes ch;

    (void)state;
    source_blind_init(&b);
    for (int i = 0; i < 7; i++) {
        attempt_ok(&b, &defaults, T0 + i * 15 * MIN, 1, &ch); /* 7 arrivals, 6 gaps */
    }
    assert_int_equal(attempt_fail(&b, &defaults, T0 + 7 * 15 * MIN, true, &ch), 1);
    assert_change(&ch.v[0], YQ_BLIND_WALLED, true, T0 + 7 * 15 * MIN, 0);
    assert_string_equal(ch.v[0].renew,
                        "更新 cookie_file /etc/yuqing/weibo.cookie（微博登录 Cookie 已失效）");
    assert_string_equal(ch.v[0].detail, "auth_required: HTTP 432");
    /* one window per fault: walled polls for a day say nothing more, never open "failing"
     * (the wall is its own reason) and are never read as "no new posts": no quiet window,
     * no arrival recorded */
    for (int i = 8; i < 8 + 96; i++) {
        assert_int_equal(attempt_fail(&b, &defaults, T0 + i * 15 * MIN, true, &ch), 0);
    }
    assert_false(b.win[YQ_BLIND_FAILING].open);
    assert_false(b.win[YQ_BLIND_QUIET].open);
    assert_int_equal(b.failures, 0);
    assert_int_equal(b.n_arrivals, 7);
    /* a success closes it */
    assert_int_equal(attempt_ok(&b, &defaults, T0 + 104 * 15 * MIN, 1, &ch), 1);
    assert_change(&ch.v[0], YQ_BLIND_WALLED, false, T0 + 7 * 15 * MIN, T0 + 104 * 15 * MIN);
    assert_string_equal(ch.v[0].renew,
                        "更新 cookie_file /etc/yuqing/weibo.cookie（微博登录 Cookie 已失效）");
}

/* Review #15 item 5: a source no longer polled has its open windows closed and is forgotten. */
static void test_retire_closes_every_open_window_and_forgets(void **state)
{
    struct source_blind b;
    struct source_blind_changes ch;

    (void)state;
    source_blind_init(&b);
    for (int i = 0; i < 3; i++) {
        attempt_fail(&b, &defaults, T0 + i * 15 * MIN, false, &ch);
    }
    attempt_fail(&b, &defaults, T0 + 3 * 15 * MIN, true, &ch);
    assert_true(b.win[YQ_BLIND_FAILING].open);
    assert_true(b.win[YQ_BLIND_WALLED].open);
    ch.n = 0;
    assert_int_equal(source_blind_retire(&b, T0 + 5 * HOUR, "retired: 信息源已停用", &ch), 2);
    assert_int_equal(ch.n, 2);
    assert_change(&ch.v[0], YQ_BLIND_FAILING, false, T0, T0 + 5 * HOUR);
    assert_change(&ch.v[1], YQ_BLIND_WALLED, false, T0 + 3 * 15 * MIN, T0 + 5 * HOUR);
    assert_string_equal(ch.v[0].detail, "retired: 信息源已停用");
    assert_string_equal(ch.v[1].renew,
                        "更新 cookie_file /etc/yuqing/weibo.cookie（微博登录 Cookie 已失效）");
    /* forgotten: nothing open, never polled (a later start reports no unpolled gap) */
    assert_false(b.win[YQ_BLIND_FAILING].open);
    assert_int_equal(b.last_poll_at, 0);
    assert_int_equal(b.failures, 0);
    /* a clock stepped back never ends a window before its start; nothing open: nothing */
    attempt_fail(&b, &defaults, T0 + 6 * HOUR, true, &ch);
    ch.n = 0;
    assert_int_equal(source_blind_retire(&b, T0, NULL, &ch), 1);
    assert_change(&ch.v[0], YQ_BLIND_WALLED, false, T0 + 6 * HOUR, T0 + 6 * HOUR);
    ch.n = 0;
    assert_int_equal(source_blind_retire(&b, T0 + 7 * HOUR, NULL, &ch), 0);
}

static void test_wall_among_failures_keeps_both_apart(void **state)
{
    struct source_blind b;
    struct source_blind_changes ch;

    (void)state;
    source_blind_init(&b);
    attempt_fail(&b, &defaults, T0, false, &ch);
    assert_int_equal(attempt_fail(&b, &defaults, T0 + 15 * MIN, true, &ch), 1);
    assert_int_equal(ch.v[0].reason, YQ_BLIND_WALLED);
    assert_int_equal(attempt_fail(&b, &defaults, T0 + 30 * MIN, false, &ch), 0);
    /* the third failure that was not a wall */
    assert_int_equal(attempt_fail(&b, &defaults, T0 + 45 * MIN, false, &ch), 1);
    assert_change(&ch.v[0], YQ_BLIND_FAILING, true, T0, 0);
    /* overlapping reasons: separate windows, both closed */
    assert_int_equal(attempt_ok(&b, &defaults, T0 + 60 * MIN, 0, &ch), 2);
    assert_change(&ch.v[0], YQ_BLIND_FAILING, false, T0, T0 + 60 * MIN);
    assert_change(&ch.v[1], YQ_BLIND_WALLED, false, T0 + 15 * MIN, T0 + 60 * MIN);
}

static void test_stale_dated_from_newest_plus_stale_after(void **state)
{
    struct source_blind_params par = defaults;
    struct source_blind b;
    struct source_blind_changes ch;
    const int64_t newest = T0 - 80 * HOUR;

    (void)state;
    par.stale_after_s = 72 * HOUR;
    par.quiet_factor = 0;
    source_blind_init(&b);
    assert_int_equal(attempt_ok_newest(&b, &par, T0, true, newest, 0, &ch), 1);
    assert_change(&ch.v[0], YQ_BLIND_STALE, true, newest + 72 * HOUR, 0);
    assert_non_null(strstr(ch.v[0].detail, "stale_after 259200 s"));
    assert_true(b.stale.stale);
    /* same newest item: no repeat */
    assert_int_equal(attempt_ok_newest(&b, &par, T0 + 15 * MIN, true, newest, 0, &ch), 0);
    /* a failure does not touch it */
    attempt_fail(&b, &par, T0 + 30 * MIN, false, &ch);
    assert_true(b.win[YQ_BLIND_STALE].open);
    /* a newer item closes it when it appears */
    assert_int_equal(attempt_ok_newest(&b, &par, T0 + 45 * MIN, true, T0 + 40 * MIN, 1, &ch), 1);
    assert_change(&ch.v[0], YQ_BLIND_STALE, false, newest + 72 * HOUR, T0 + 45 * MIN);
    assert_false(b.stale.stale);
}

/* A fresh tracker with stale_after 72 h (in par) polled at T0: its newest item is 100 h old. */
static void open_stale(struct source_blind *b, struct source_blind_params *par,
                       struct source_blind_changes *ch)
{
    par->stale_after_s = 72 * HOUR;
    source_blind_init(b);
    ch->n = 0;
    source_blind_ok(b, par, T0, true, T0 - 100 * HOUR, 0, ch);
}

static void test_stale_switched_off_closes_the_open_window(void **state)
{
    struct source_blind_params par = defaults;
    struct source_blind b;
    struct source_blind_changes ch;

    (void)state;
    open_stale(&b, &par, &ch);
    assert_true(b.win[YQ_BLIND_STALE].open);
    par.stale_after_s = 0;
    ch.n = 0;
    source_blind_ok(&b, &par, T0 + HOUR, true, T0 - 100 * HOUR, 0, &ch);
    assert_int_equal(ch.n, 1);
    assert_change(&ch.v[0], YQ_BLIND_STALE, false, T0 - 28 * HOUR, T0 + HOUR);
}

/* arrivals at T0 + gaps[0], + gaps[1], ... (n gaps: n + 1 arrivals) */
static int64_t feed_arrivals(struct source_blind *b, const struct source_blind_params *par,
                             const int64_t *gaps, size_t n)
{
    struct source_blind_changes ch;
    int64_t t = T0;

    attempt_ok(b, par, t, 1, &ch);
    for (size_t i = 0; i < n; i++) {
        t += gaps[i];
        assert_int_equal(attempt_ok(b, par, t, 1, &ch), 0);
    }
    return t;
}

/* A tracker whose source has had arrivals at the gaps (polls a day apart from then on). */
static int64_t history(struct source_blind *b, const struct source_blind_params *par,
                       const int64_t *gaps, size_t n)
{
    sched_delay_s = 24 * HOUR;
    source_blind_init(b);
    return feed_arrivals(b, par, gaps, n);
}

static void test_quiet_needs_five_gaps_of_history(void **state)
{
    static const int64_t gaps[] = {HOUR, HOUR, HOUR, HOUR};
    struct source_blind b;
    struct source_blind_changes ch;
    int64_t last;

    (void)state;
    last = history(&b, &defaults, gaps, 4);
    assert_int_equal(source_blind_usual_gap_s(&b), -1);
    /* two days without an item: with four gaps the source's pace is not known yet */
    assert_int_equal(attempt_ok(&b, &defaults, last + 48 * HOUR, 0, &ch), 0);
    assert_false(b.win[YQ_BLIND_QUIET].open);
}

static void test_quiet_from_the_median_gap(void **state)
{
    /* one 10-hour night among 1-hour gaps: the median stays 1 hour */
    static const int64_t gaps[] = {HOUR, HOUR, 10 * HOUR, HOUR, HOUR, HOUR};
    struct source_blind b;
    struct source_blind_changes ch;
    int64_t last;

    (void)state;
    last = history(&b, &defaults, gaps, 6);
    assert_int_equal(source_blind_usual_gap_s(&b), HOUR);
    /* 4 x 1 h = 4 h: not yet at 4 h exactly */
    assert_int_equal(attempt_ok(&b, &defaults, last + 4 * HOUR, 0, &ch), 0);
    assert_int_equal(attempt_ok(&b, &defaults, last + 4 * HOUR + 15 * MIN, 0, &ch), 1);
    assert_change(&ch.v[0], YQ_BLIND_QUIET, true, last + 4 * HOUR, 0);
    assert_non_null(strstr(ch.v[0].detail, "usual interval 3600 s"));
    /* no repeat */
    assert_int_equal(attempt_ok(&b, &defaults, last + 5 * HOUR, 0, &ch), 0);
    /* an item arrives: closed then */
    assert_int_equal(attempt_ok(&b, &defaults, last + 6 * HOUR, 2, &ch), 1);
    assert_change(&ch.v[0], YQ_BLIND_QUIET, false, last + 4 * HOUR, last + 6 * HOUR);
    /* the 6-hour gap joined the history, the median did not move */
    assert_int_equal(source_blind_usual_gap_s(&b), HOUR);
}

static void test_quiet_min_and_quiet_off(void **state)
{
    static const int64_t gaps[] = {MIN, MIN, MIN, MIN, MIN, MIN};
    struct source_blind_params par = defaults;
    struct source_blind b;
    struct source_blind_changes ch;
    int64_t last;

    (void)state;
    last = history(&b, &par, gaps, 6);
    /* 4 x 1 min is below quiet_min (1 h): quiet only past an hour */
    assert_int_equal(attempt_ok(&b, &par, last + 30 * MIN, 0, &ch), 0);
    assert_int_equal(attempt_ok(&b, &par, last + 61 * MIN, 0, &ch), 1);
    assert_change(&ch.v[0], YQ_BLIND_QUIET, true, last + HOUR, 0);
    /* quiet_factor 0 = off: the open window closes, none opens again */
    par.quiet_factor = 0;
    assert_int_equal(attempt_ok(&b, &par, last + 62 * MIN, 0, &ch), 1);
    assert_change(&ch.v[0], YQ_BLIND_QUIET, false, last + HOUR, last + 62 * MIN);
    assert_int_equal(attempt_ok(&b, &par, last + 50 * HOUR, 0, &ch), 0);
}

static void test_arrival_history_is_bounded(void **state)
{
    struct source_blind b;
    struct source_blind_changes ch;

    (void)state;
    source_blind_init(&b);
    for (int i = 0; i < 100; i++) {
        attempt_ok(&b, &defaults, T0 + i * MIN, 1, &ch);
    }
    assert_int_equal(b.n_arrivals, SOURCE_BLIND_ARRIVALS_MAX);
    assert_int_equal(b.arrivals[0], T0 + (100 - SOURCE_BLIND_ARRIVALS_MAX) * MIN);
    assert_int_equal(b.arrivals[SOURCE_BLIND_ARRIVALS_MAX - 1], T0 + 99 * MIN);
}

static void test_unpolled_gap_is_one_closed_window(void **state)
{
    struct source_blind b;
    struct source_blind_changes ch;

    (void)state;
    source_blind_init(&b);
    /* the first poll of a new source: no window, whenever it was added */
    assert_int_equal(attempt(&b, T0, 15, &ch), 0);
    /* interval 15 s: the bound is max(45 s, 15 s + 10 min) = 615 s */
    assert_int_equal(attempt(&b, T0 + 615, 15, &ch), 0);
    assert_int_equal(attempt(&b, T0 + 615 + 616, 15, &ch), 1);
    assert_change(&ch.v[0], YQ_BLIND_UNPOLLED, false, T0 + 615 + 15, T0 + 615 + 616);
    assert_false(b.win[YQ_BLIND_UNPOLLED].open);
    /* a 1-hour backoff scheduled: waiting that long is no gap; three times that is */
    /* 2 h - 1231 s after the previous: a gap of its own */
    assert_int_equal(attempt(&b, T0 + 2 * HOUR, HOUR, &ch), 1);
    assert_int_equal(attempt(&b, T0 + 3 * HOUR + 10 * MIN, HOUR, &ch), 0);
    assert_int_equal(attempt(&b, T0 + 6 * HOUR + 11 * MIN, HOUR, &ch), 1);
    assert_change(&ch.v[0], YQ_BLIND_UNPOLLED, false, T0 + 4 * HOUR + 10 * MIN,
                  T0 + 6 * HOUR + 11 * MIN);
}

static void test_unpolled_and_failing_overlap(void **state)
{
    struct source_blind b;
    struct source_blind_changes ch;

    (void)state;
    source_blind_init(&b);
    attempt_fail(&b, &defaults, T0, false, &ch);
    attempt_fail(&b, &defaults, T0 + 15 * MIN, false, &ch);
    /* the collector was down for a day; the poll after it fails a third time */
    assert_int_equal(attempt_fail(&b, &defaults, T0 + 24 * HOUR, false, &ch), 2);
    assert_change(&ch.v[0], YQ_BLIND_UNPOLLED, false, T0 + 30 * MIN, T0 + 24 * HOUR);
    assert_change(&ch.v[1], YQ_BLIND_FAILING, true, T0, 0);
}

/* b saved to its Redis fields and loaded into a fresh tracker, as a restart does */
static void restart(struct source_blind *b)
{
    struct source_blind_fields *f = malloc(sizeof(*f));
    const char *values[SOURCE_BLIND_FIELDS_MAX];
    struct source_blind loaded;

    assert_non_null(f);
    source_blind_fields(b, f);
    assert_int_equal(f->n, source_blind_field_count);
    for (size_t i = 0; i < f->n; i++) {
        assert_string_equal(f->name[i], source_blind_field_names[i]);
        values[i] = f->value[i];
    }
    assert_int_equal(source_blind_load(&loaded, values, f->n), 0);
    free(f);
    *b = loaded;
}

static const char *field(const struct source_blind_fields *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->name[i], name) == 0) {
            return f->value[i];
        }
    }
    fail_msg("no field %s", name);
    return NULL;
}

static void test_fields_show_blind_now(void **state)
{
    struct source_blind_params par = defaults;
    struct source_blind b;
    struct source_blind_changes ch;
    struct source_blind_fields *f = malloc(sizeof(*f));

    (void)state;
    assert_non_null(f);
    par.stale_after_s = 72 * HOUR;
    source_blind_init(&b);
    attempt_ok_newest(&b, &par, T0, true, T0 - 100 * HOUR, 1, &ch);
    attempt_fail(&b, &par, T0 + 15 * MIN, true, &ch);
    source_blind_fields(&b, f);
    assert_string_equal(field(f, "blind"), "walled,stale");
    assert_string_equal(field(f, "blind_since"), "2026-12-03T20:00:00Z");
    assert_string_equal(field(f, "blind_stale_since"), "2026-12-03T20:00:00Z");
    assert_string_equal(field(f, "blind_walled_since"), "2026-12-05T00:15:00Z");
    assert_string_equal(field(f, "blind_walled_renew"),
                        "更新 cookie_file /etc/yuqing/weibo.cookie（微博登录 Cookie 已失效）");
    assert_string_equal(field(f, "blind_failing_since"), "");
    assert_string_equal(field(f, "last_poll_at"), "2026-12-05T00:15:00Z");
    assert_string_equal(field(f, "next_poll_delay_s"), "900");
    assert_string_equal(field(f, "blind_arrivals"), "1796428800");
    assert_string_equal(field(f, "stale"), "1");
    free(f);
}

static void test_restart_neither_loses_nor_reopens(void **state)
{
    static const int64_t gaps[] = {HOUR, HOUR, HOUR, HOUR, HOUR, HOUR};
    struct source_blind_params par = defaults;
    struct source_blind b;
    struct source_blind_changes ch;
    int64_t last;

    (void)state;
    par.stale_after_s = 72 * HOUR;
    last = history(&b, &par, gaps, 6);
    attempt_ok(&b, &par, last + 5 * HOUR, 0, &ch); /* quiet */
    assert_int_equal(ch.n, 1);
    attempt_fail(&b, &par, last + 5 * HOUR + 15 * MIN, false, &ch);
    attempt_fail(&b, &par, last + 5 * HOUR + 30 * MIN, false, &ch);
    restart(&b); /* two failures counted, quiet open */
    assert_true(b.win[YQ_BLIND_QUIET].open);
    assert_int_equal(b.failures, 2);
    assert_int_equal(b.n_arrivals, 7);
    /* the third failure across the restart */
    assert_int_equal(attempt_fail(&b, &par, last + 5 * HOUR + 45 * MIN, false, &ch), 1);
    assert_change(&ch.v[0], YQ_BLIND_FAILING, true, last + 5 * HOUR + 15 * MIN, 0);
    restart(&b);
    assert_int_equal(attempt_fail(&b, &par, last + 6 * HOUR, false, &ch), 0); /* not re-opened */
    restart(&b);
    /* closed with the starts they had before the restarts */
    assert_int_equal(attempt_ok(&b, &par, last + 6 * HOUR + 15 * MIN, 1, &ch), 2);
    assert_change(&ch.v[0], YQ_BLIND_FAILING, false, last + 5 * HOUR + 15 * MIN,
                  last + 6 * HOUR + 15 * MIN);
    assert_change(&ch.v[1], YQ_BLIND_QUIET, false, last + 4 * HOUR, last + 6 * HOUR + 15 * MIN);
}

static void test_restart_keeps_stale_alerted_once(void **state)
{
    struct source_blind_params par = defaults;
    struct source_blind b;
    struct source_blind_changes ch;

    (void)state;
    open_stale(&b, &par, &ch);
    assert_int_equal(ch.n, 1);
    restart(&b);
    assert_true(b.stale.stale);
    assert_int_equal(b.stale.newest, T0 - 100 * HOUR);
    ch.n = 0;
    source_blind_ok(&b, &par, T0 + HOUR, true, T0 - 100 * HOUR, 0, &ch);
    assert_int_equal(ch.n, 0);
}

static void test_unpolled_found_after_a_restart(void **state)
{
    struct source_blind b;
    struct source_blind_changes ch;

    (void)state;
    source_blind_init(&b);
    attempt_ok(&b, &defaults, T0, 1, &ch);
    restart(&b); /* the collector was stopped for 3 hours */
    assert_int_equal(attempt_ok(&b, &defaults, T0 + 3 * HOUR, 1, &ch), 1);
    assert_change(&ch.v[0], YQ_BLIND_UNPOLLED, false, T0 + 15 * MIN, T0 + 3 * HOUR);
}

static void test_load_ignores_hostile_values(void **state)
{
    char many[2048] = "";
    const char *values[SOURCE_BLIND_FIELDS_MAX] = {0};
    struct source_blind b;
    size_t off = 0;

    (void)state;
    for (int i = 0; i < SOURCE_BLIND_ARRIVALS_MAX + 5; i++) {
        off += (size_t)snprintf(many + off, sizeof(many) - off, "%s%d", i ? " " : "",
                                1700000000 + i);
    }
    values[2] = "yesterday";   /* blind_failing_since */
    values[4] = "2026-12-05T00:15:00Z"; /* blind_walled_since: good */
    values[5] = "auth_required\r\nX-Injected: 1"; /* a detail is one line when loaded */
    values[11] = "-3";         /* blind_failures */
    values[13] = many;         /* blind_arrivals: more than kept */
    values[14] = "2026-13-45T99:00:00Z";
    values[15] = "9x";
    assert_int_equal(source_blind_load(&b, values, source_blind_field_count), 5);
    assert_false(b.win[YQ_BLIND_FAILING].open);
    assert_true(b.win[YQ_BLIND_WALLED].open);
    assert_int_equal(b.win[YQ_BLIND_WALLED].started_at, T0 + 15 * MIN);
    assert_null(strchr(b.win[YQ_BLIND_WALLED].detail, '\n'));
    assert_int_equal(b.failures, 0);
    assert_int_equal(b.n_arrivals, 0);
    assert_int_equal(b.last_poll_at, 0);
    /* descending arrivals are refused too */
    memset(values, 0, sizeof(values));
    values[13] = "1700000100 1700000000";
    assert_int_equal(source_blind_load(&b, values, source_blind_field_count), 1);
    assert_int_equal(b.n_arrivals, 0);
    /* nothing at all: a never polled source */
    memset(values, 0, sizeof(values));
    assert_int_equal(source_blind_load(&b, values, source_blind_field_count), 0);
    assert_int_equal(b.last_poll_at, 0);
}

static void test_long_detail_cut_at_a_character_boundary(void **state)
{
    char detail[1024] = "";
    struct source_blind b;
    struct source_blind_changes ch = {0};
    size_t len;

    (void)state;
    for (size_t off = 0; off + 3 < sizeof(detail);) {
        memcpy(detail + off, "盲", 3);
        off += 3;
        detail[off] = '\0';
    }
    source_blind_init(&b);
    source_blind_fail(&b, &defaults, T0, true, detail, detail, &ch);
    assert_int_equal(ch.n, 1);
    len = strlen(ch.v[0].detail);
    assert_true(len < SOURCE_BLIND_TEXT_MAX);
    assert_int_equal(len % 3, 0); /* whole characters only */
    assert_int_equal(len, 255);
    assert_int_equal(strlen(ch.v[0].renew), 255);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_failing_opens_after_n_dated_from_the_first_and_closes_once, setup),
        cmocka_unit_test_setup(test_failing_threshold_is_the_source_key, setup),
        cmocka_unit_test_setup(test_walled_opens_at_once_with_renew_and_never_counts_as_ok, setup),
        cmocka_unit_test_setup(test_retire_closes_every_open_window_and_forgets, setup),
        cmocka_unit_test_setup(test_wall_among_failures_keeps_both_apart, setup),
        cmocka_unit_test_setup(test_stale_dated_from_newest_plus_stale_after, setup),
        cmocka_unit_test_setup(test_stale_switched_off_closes_the_open_window, setup),
        cmocka_unit_test_setup(test_quiet_needs_five_gaps_of_history, setup),
        cmocka_unit_test_setup(test_quiet_from_the_median_gap, setup),
        cmocka_unit_test_setup(test_quiet_min_and_quiet_off, setup),
        cmocka_unit_test_setup(test_arrival_history_is_bounded, setup),
        cmocka_unit_test_setup(test_unpolled_gap_is_one_closed_window, setup),
        cmocka_unit_test_setup(test_unpolled_and_failing_overlap, setup),
        cmocka_unit_test_setup(test_fields_show_blind_now, setup),
        cmocka_unit_test_setup(test_restart_neither_loses_nor_reopens, setup),
        cmocka_unit_test_setup(test_restart_keeps_stale_alerted_once, setup),
        cmocka_unit_test_setup(test_unpolled_found_after_a_restart, setup),
        cmocka_unit_test_setup(test_load_ignores_hostile_values, setup),
        cmocka_unit_test_setup(test_long_detail_cut_at_a_character_boundary, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
