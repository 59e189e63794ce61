/*
 * Feed dates: RFC 822/850/1123 as found in RSS (named zones, "CST" read as China Standard
 * Time, MET/MEST/CET/CEST, the US zones, RFC 822 §5's one-letter military zones, Etc/GMT±N,
 * no day name, full day names, two-digit years, no seconds, no time, a trailing "(comment)");
 * the month-first forms asctime "Sun Jan  4 16:29:06 2004", Weibo/Twitter
 * "Sun Jul 15 01:16:00 +0800 2012" and JavaScript "Thu Aug 30 2012 17:26:16 GMT+0200 (CEST)";
 * ISO 8601 / RFC 3339 (Atom, dc:date, "YYYY-MM-DD HH:MM:SS" and date-only forms, through
 * yq_time_parse_iso), its ordinal "2003-335", week "2003-W49-1", basic "20031201T161245Z" and
 * reduced "2003-12", "2003" forms; and the Chinese forms "2024年3月5日 14:30" and gov.cn's
 * "2024-03-05-14:30:00". A time without a zone is Asia/Shanghai (+08:00) (case FC-015).
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
 * The item's published_precision (common/yq_item.h: "second", "minute", "day") of a
 * feed_date_parse() precision: "month" and "year" become "day" -- the coarsest the item says;
 * the time is still the first day of that month or year. NULL stays NULL.
 */
const char *feed_date_item_precision(const char *precision);

#endif
