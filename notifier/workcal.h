/*
 * The working-day calendar (工作日历): which Asia/Shanghai dates are working days.
 *
 * A date is a working day when it is Monday..Friday and not a public holiday, or when it is a
 * 调休 working day (a Saturday or Sunday worked in exchange for a holiday). Holidays and 调休
 * days come from one YAML file per year (config/calendar/2026.yaml: the 国务院办公厅 notice of
 * 2025-11-04); a year without a file falls back to "Monday..Friday" and
 * workcal_covers_year() says so, so the caller can warn.
 *
 * File format:
 *   year: 2026
 *   source: "..."                       # the notice, for people
 *   holidays:
 *     - name: 春节
 *       off: [2026-02-15, 2026-02-23]   # first and last day off, inclusive (one date: one day)
 *       work: [2026-02-14, 2026-02-28]  # 调休 working days (must be Saturdays or Sundays)
 *
 * Dates are days since 1970-01-01 of the Asia/Shanghai civil calendar ("day numbers").
 * A loaded calendar is read-only and may be shared by threads.
 */
#ifndef NOTIFIER_WORKCAL_H
#define NOTIFIER_WORKCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct workcal;

/* An empty calendar (weekends only). Returns a new calendar (workcal_free()) or NULL. */
struct workcal *workcal_new(void);

/* Free cal. NULL is a no-op. */
void workcal_free(struct workcal *cal);

/*
 * Add the year described by len bytes of YAML text (name: the file name for messages).
 * Every date must lie in "year"; "off" ranges must be ordered; "work" days must be weekend
 * days and not off; a year may be loaded once.
 * Returns 0, ERR_PARSE (not YAML, wrong shape), ERR_INVALID (bad date or rule), ERR_EXISTS
 * (year already loaded) or ERR_NOMEM, with "FILE:LINE: reason" in errbuf. On failure cal is
 * unchanged.
 */
int workcal_add_text(struct workcal *cal, const char *name, const char *text, size_t len,
                     char *errbuf, size_t errlen);

/*
 * Add every "*.yaml" file of directory dir (in name order) with workcal_add_text().
 * Returns 0, ERR_NOT_FOUND (no such directory), ERR_IO, or the first file's error, with one
 * line in errbuf.
 */
int workcal_load_dir(struct workcal *cal, const char *dir, char *errbuf, size_t errlen);

/* True when a file for year (e.g. 2026) was loaded. cal may be NULL (false). */
bool workcal_covers_year(const struct workcal *cal, int year);

/* True when day (day number, Asia/Shanghai) is a working day. cal may be NULL (weekends). */
bool workcal_is_working_day(const struct workcal *cal, int64_t day);

/* The Asia/Shanghai day number of instant t (seconds since the epoch, UTC). */
int64_t workcal_day_of(int64_t t);

/*
 * The end of the n-th working day after the day of t, as an instant (seconds, UTC): 24:00
 * Asia/Shanghai of that day, i.e. 00:00 of the next day. This is how 《民法典》 counts a
 * period in days: 第二百零一条 "开始的当日不计入，自下一日开始计算", 第二百零三条 "期间的最后一日
 * 的截止时间为二十四时". n >= 1 (n <= 0 returns the end of t's own day). cal may be NULL.
 */
int64_t workcal_add_working_days(const struct workcal *cal, int64_t t, int n);

/*
 * The first Asia/Shanghai year among the days from the day of `from` to the day before the
 * instant `until` (an end such as workcal_add_working_days() returns: 24:00 of a day) that has
 * no calendar file, i.e. where working days are counted Monday..Friday only; 0 when every one
 * has a file (or until <= from). Times seconds UTC. cal may be NULL (no year has a file).
 */
int workcal_first_uncovered_year(const struct workcal *cal, int64_t from, int64_t until);

/* The number of loaded years (for logs and --print-config). */
size_t workcal_n_years(const struct workcal *cal);

#endif
