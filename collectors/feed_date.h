/*
 * Feed dates: RFC 822/1123 as found in RSS (named zones, "CST" read as China Standard Time,
 * no day name, two-digit years, no seconds, no time) and ISO 8601 / RFC 3339 (Atom, dc:date,
 * "YYYY-MM-DD HH:MM:SS" and date-only forms, through yq_time_parse_iso), and the Chinese forms
 * "2024年3月5日 14:30" and gov.cn's "2024-03-05-14:30:00". A time without a zone is
 * Asia/Shanghai (+08:00) (case FC-015).
 */
#ifndef YQ_FEED_DATE_H
#define YQ_FEED_DATE_H

#include <stdint.h>

/*
 * Parse s (NUL-terminated, surrounding whitespace ignored).
 * out: seconds since the epoch, UTC. precision_out (may be NULL): static "second", "minute"
 * or "day". Returns 0 or ERR_PARSE (empty or unrecognised: the caller records "unknown",
 * never "now"). Thread-safe.
 */
int feed_date_parse(const char *s, int64_t *out, const char **precision_out);

#endif
