/*
 * Time helpers. Times travel as int64 seconds since the Unix epoch (UTC) and are written as
 * RFC 3339 UTC ("2026-11-29T08:00:00Z"). Asia/Shanghai is UTC+08:00 with no daylight saving
 * since 1991, so it is a fixed offset here (YQ_SHANGHAI_OFFSET_S).
 */
#ifndef YQ_TIME_H
#define YQ_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YQ_SHANGHAI_OFFSET_S (8 * 3600)

/* Seconds since the epoch, UTC (CLOCK_REALTIME). */
int64_t yq_time_now(void);

/*
 * Milliseconds since the epoch, UTC (CLOCK_REALTIME; issue #16: fetch, match and intake times
 * of items, alerts and tickets). Thread-safe.
 */
int64_t yq_time_now_ms(void);

/* How far a stamped time (seconds) may lie behind the current time for yq_time_stamp_ms(). */
#define YQ_TIME_STAMP_WINDOW_S 60

/*
 * The millisecond stamp for something happening now whose time in seconds, at, the caller
 * already took (issue #16: an item's fetch in the collectors, an alert's match in the
 * pipeline): yq_time_now_ms() when at lies within the last YQ_TIME_STAMP_WINDOW_S seconds (a
 * live fetch or match), else 0 (a replay or a test's fixed time: unknown; readers fall back
 * to at * 1000). Thread-safe.
 */
int64_t yq_time_stamp_ms(int64_t at);

/* Milliseconds from CLOCK_MONOTONIC, for intervals and timeouts. */
int64_t yq_time_mono_ms(void);

/*
 * The instants RFC 3339 can write, UTC seconds: 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z
 * (four-digit years). yq_time_parse_iso() and the collector's feed dates refuse any other, so
 * that every time a decoder accepts is one its encoder writes back (yq_time_format_utc()
 * writes "10000-01-01T..." for the next second, which nothing reads).
 */
#define YQ_TIME_MIN INT64_C(-62167219200)
#define YQ_TIME_MAX INT64_C(253402300799)

/* True when YQ_TIME_MIN <= t <= YQ_TIME_MAX. Thread-safe. */
static inline bool yq_time_writable(int64_t t)
{
    return t >= YQ_TIME_MIN && t <= YQ_TIME_MAX;
}

/*
 * Write t as RFC 3339 UTC ("YYYY-MM-DDTHH:MM:SSZ") into buf (at least 21 bytes; 32 is safe).
 * Only a yq_time_writable() t reads back. Returns buf.
 */
char *yq_time_format_utc(int64_t t, char *buf, size_t len);

/* 00:00 Asia/Shanghai of the day holding t (seconds UTC), as seconds UTC. Thread-safe. */
int64_t yq_time_shanghai_day_start(int64_t t);

/* Write t in Asia/Shanghai as "YYYY-MM-DD HH:MM" (at least 17 bytes). Returns buf. */
char *yq_time_format_shanghai(int64_t t, char *buf, size_t len);

/*
 * Parse RFC 3339 / ISO 8601 "YYYY-MM-DD[THH:MM[:SS[.frac]]][Z|+HH:MM|+HHMM]" (a space may
 * replace T). A value without a zone is Asia/Shanghai wall-clock time.
 * out: seconds since the epoch. precision_out (may be NULL): "day", "minute" or "second"
 * (static strings). Returns 0 or ERR_PARSE (also for an instant outside YQ_TIME_MIN ..
 * YQ_TIME_MAX: "9999-12-31T24:00:00Z", "0000-01-01" in Shanghai).
 */
int yq_time_parse_iso(const char *s, int64_t *out, const char **precision_out);

/*
 * Parse s as yq_time_parse_iso() does, as the end (exclusive) of a range the user wrote: a
 * date alone counts to the end of that day, i.e. out is the next day's 00:00 Asia/Shanghai
 * ("2026-11-30" -> 2026-12-01T00:00:00+08:00); a time is taken as given. Returns 0 or
 * ERR_PARSE. Thread-safe.
 */
int yq_time_parse_until(const char *s, int64_t *out);

/* Days since 1970-01-01 for a proleptic Gregorian date (month 1-12). */
int64_t yq_time_days_from_civil(int64_t y, unsigned m, unsigned d);

/*
 * Days in month m (1-12) of proleptic Gregorian year y: 28-31 (February 29 only in leap
 * years); 0 when m is out of range. Thread-safe.
 */
unsigned yq_time_days_in_month(int64_t y, unsigned m);

/*
 * The proleptic Gregorian date of day number days (days since 1970-01-01, may be negative):
 * the inverse of yq_time_days_from_civil(), after Howard Hinnant's civil_from_days
 * ("chrono-Compatible Low-Level Date Algorithms", howardhinnant.github.io/date_algorithms.html),
 * exact for the proleptic Gregorian calendar (|days| < 2^60). y_out, m_out (1-12), d_out (1-31):
 * not NULL. Never fails; thread-safe.
 */
void yq_time_civil_from_days(int64_t days, int64_t *y_out, unsigned *m_out, unsigned *d_out);

#endif
