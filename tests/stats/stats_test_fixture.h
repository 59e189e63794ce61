/*
 * Helpers the statistics tests share (header-only; include after cmocka.h): a Beijing time
 * written the short way, and the check of one clock's tally. A failure fails the running test.
 */
#ifndef STATS_TEST_FIXTURE_H
#define STATS_TEST_FIXTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "stats.h"
#include "yq_time.h"

/* "YYYY-MM-DD HH:MM" in Asia/Shanghai as seconds UTC (a malformed text fails the test). */
static inline int64_t stats_fx_bj(const char *s)
{
    char buf[64];
    int64_t t = 0;
    snprintf(buf, sizeof(buf), "%.10sT%s:00+08:00", s, s + 11);
    assert_int_equal(yq_time_parse_iso(buf, &t, NULL), 0);
    return t;
}

/* Fail the running test unless tally c counts exactly these tickets. */
static inline void stats_fx_tally(const struct stats_clock_tally *c, size_t due, size_t on_time,
                                  size_t late, size_t missed, size_t pending, size_t excluded)
{
    assert_int_equal(c->due, due);
    assert_int_equal(c->on_time, on_time);
    assert_int_equal(c->late, late);
    assert_int_equal(c->missed, missed);
    assert_int_equal(c->pending, pending);
    assert_int_equal(c->excluded, excluded);
}

#endif
