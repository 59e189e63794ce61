/*
 * Feed dates: RFC 822/850/1123 as found in RSS (named zones, "CST" read as China Standard
 * Time, MET/MEST/CET/CEST, the US zones, RFC 822 §5's one-letter military zones, Etc/GMT±N,
 * no day name, full day names, two-digit years, no seconds, no time, a trailing "(comment)");
 * the month-first forms asctime "Sun Jan  4 16:29:06 2004", Weibo/Twitter
 * "Sun Jul 15 01:16:00 +0800 2012" and JavaScript "Thu Aug 30 2012 17:26:16 GMT+0200 (CEST)";
 * ISO 8601 / RFC 3339 (Atom, dc:date, "YYYY-MM-DD HH:MM:SS" and date-only forms, through
 * yq_time_parse_iso), its ordinal "2003-335", week "2003-W49-1", basic "20031201T161245Z" and
 * reduced "2003-12", "2003" forms; the Chinese forms "2024年3月5日 14:30[:00] [zone]"
 * (also "14时30分"), gov.cn's "2024-03-05-14:30:00", RFC 822 written by a Chinese locale
 * ("星期五, 04 12月 2026 10:00:00 +0800", "周五", "五,", "十二月"), one-digit and dotted
 * numeric dates ("2026/12/4 10:00", "2026.12.04"), and Unix time as digits (9-10: seconds,
 * 12-13: milliseconds). A time without a zone is Asia/Shanghai (+08:00) (case FC-015). A
 * day that the month does not have (29 February of a common year) is no date.
 */
#ifndef YQ_FEED_DATE_H
#define YQ_FEED_DATE_H

#include <stdint.h>

/*
 * Parse s (NUL-terminated, surrounding whitespace ignored).
 * out: seconds since the epoch, UTC. precision_out (may be NULL): static "second", "minute",
 * "day", or for the reduced forms "month" ("2003-12") and "year" ("2003"), whose time is the
 * first day at 00:00 Asia/Shanghai. Returns 0 or ERR_PARSE (empty, longer than 127 bytes or
 * unrecognised: the caller records "unknown", never "now"). Thread-safe.
 */
int feed_date_parse(const char *s, int64_t *out, const char **precision_out);

/*
 * The relative forms of Weibo and Chinese CMS lists, resolved against fetched_at (UTC seconds)
 * in Asia/Shanghai: "刚刚", "N秒前", "N分钟前", "N小时前", "今天/昨天/前天 HH:MM", "MM-DD
 * [HH:MM]" (this year; last year when that is more than a day ahead), "YYYY-MM-DD [HH:MM]",
 * "MM月DD日 [HH:MM]", "YYYY年MM月DD日 [HH:MM]". s: NUL-terminated, leading white space
 * ignored. precision: static "second" (N秒前), "minute" or "day". Returns 0 or ERR_PARSE.
 * Thread-safe.
 */
int feed_date_parse_relative(const char *s, int64_t fetched_at, int64_t *out,
                             const char **precision);

/*
 * Publication times before 1980-01-01 00:00 Beijing time (1979-12-31T16:00:00Z) are the
 * placeholders CMSes write for an empty date -- 0001-01-01 (.NET DateTime.MinValue),
 * 1900-01-01 (SQL Server), 1970-01-01 (Unix 0, "1970-01-01 08:00:00" from PHP in Beijing) --
 * never a feed entry's real time. Read as a date they made a new post look decades old, so it
 * was never ticketed. The bound is Beijing midnight because a date-only value is: "1980-01-01"
 * is kept (with a bound at 00:00Z it was refused).
 */
#define FEED_DATE_MIN_S (315532800 - 8 * 3600)

/*
 * feed_date_parse(), and when that fails and now > 0 (the fetch time, UTC seconds),
 * feed_date_parse_relative() against now: a feed that writes "5分钟前" or "昨天 10:00". now
 * <= 0 (unknown) reads absolute forms only. A time before FEED_DATE_MIN_S is no date (a
 * placeholder). Returns 0 or ERR_PARSE. Thread-safe.
 */
int feed_date_parse_at(const char *s, int64_t now, int64_t *out, const char **precision_out);

/*
 * The publication day written in the path of url (NUL-terminated), as Chinese news and
 * government sites lay out their articles: "/2020/0823/" (people.com.cn), "/2020-08/23/"
 * (xinhuanet, gov.cn), "/2020/08-23/" (chinanews), "/2020/08/23/", "/2020-08-23/",
 * "/20200823/" and "/t20200823_" (government CMS pages). Only the path is read (not the host,
 * query or fragment); years 1990-2100, real days. out: 00:00 of that day in Asia/Shanghai, UTC
 * seconds. Returns 0 or ERR_PARSE (no such date). Thread-safe.
 */
int feed_date_from_url_path(const char *url, int64_t *out);

/*
 * The item's published_precision (common/yq_item.h: "second", "minute", "day") of a
 * feed_date_parse() precision: "month" and "year" become "day" -- the coarsest the item says;
 * the time is still the first day of that month or year. NULL stays NULL.
 */
const char *feed_date_item_precision(const char *precision);

#endif
