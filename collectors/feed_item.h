/*
 * Feed entry → item (design §2): the stable id, the canonical URL and the plain-text fields.
 */
#ifndef YQ_FEED_ITEM_H
#define YQ_FEED_ITEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feed_parse.h"
#include "yq_item.h"

/* "rss:" + 40 hex digits + NUL */
#define FEED_ITEM_ID_LEN 45

/*
 * Canonical form of an absolute http(s) URL: scheme and host lower case, an IDN host in its
 * punycode form (xn--...), default port and fragment dropped, tracking parameters (utm_*,
 * spm, fbclid, gclid, dclid, yclid, msclkid, mc_cid, mc_eid, _hsenc, _hsmi, igshid; on
 * mp.weixin.qq.com everything but __biz, mid, idx, sn) removed. Anything that is not an absolute
 * http(s) URL is returned trimmed but otherwise unchanged. url: NUL-terminated, borrowed. out: new
 * string (free()). Returns 0 or ERR_NOMEM.
 */
int feed_url_normalize(const char *url, char **out);

/*
 * Whether guid (NUL-terminated) is globally unique by its form: an absolute URI with an
 * authority ("scheme://..."), "urn:..." or "tag:..." (any case), or a bare UUID. Short
 * numbers and words are not. Thread-safe.
 */
bool feed_guid_is_global(const char *guid);

/*
 * The item id of entry e: "rss:<hex sha1>" of its guid/id, else its normalised link, else
 * its title + "\n" + its plain item text (content, else summary; as feed_item_from_entry()
 * extracts it, up to YQ_ITEM_MAX_TEXT_BYTES), each folded by yq_text_fold() (NFKC, format
 * characters dropped, white space runs one space, trimmed), so neither a pubDate stamped at
 * each request nor white space re-rendered (U+3000, NBSP, tabs, line breaks, zero-width
 * spaces) changes it; only when title and text are both empty (or folded away), its RFC 3339
 * publication time. A guid that several entries
 * of the document share is not used alone (e->id_rule, set by feed_parse(); issue #10): those
 * entries take their normalised link when each has its own link (FEED_ID_LINK), else
 * guid + "\n" + normalised link + "\n" + title (FEED_ID_LINK_TITLE). Entries equal in all
 * three are one item. A guid used alone that is not globally unique by form
 * (feed_guid_is_global(): "a1", "1234") is hashed with the origin of the entry's link,
 * guid + "\n" + "scheme://host[:port]" (lower case), so different sites' short guids are
 * different items (issue #10); a URL/URN/tag guid, or one without a link, keeps sha1(guid).
 * out: at least FEED_ITEM_ID_LEN bytes. Returns 0, ERR_NOMEM, or ERR_INVALID (the entry has
 * none of guid, link, title, text, publication time: it cannot be identified and must be
 * skipped).
 */
int feed_item_id(const struct feed_entry *e, char *out, size_t outlen);

/*
 * Fill item (caller storage; zeroed first) from entry e of feed f.
 * source_id: the sources.yaml id; channel_name: configured name or NULL (→ feed title,
 * without a " | wechat-feeds" suffix). fetched_at: seconds since the epoch, UTC.
 * max_text_bytes bounds the extracted text (0 or above YQ_ITEM_MAX_TEXT_BYTES: that limit);
 * a longer text is cut at a character boundary, never an error. Every field is then bounded
 * by yq_item_bound() and marked in truncated_fields; future_timestamp is set when the
 * publication time is more than YQ_ITEM_FUTURE_SLACK_S after fetched_at. All borrowed.
 * Returns 0, ERR_INVALID (no id possible) or ERR_NOMEM; on failure item holds
 * nothing to free. Release with yq_item_release().
 */
int feed_item_from_entry(const struct feed *f, const struct feed_entry *e, const char *source_id,
                         const char *channel_name, int64_t fetched_at, size_t max_text_bytes,
                         struct yq_item *item);

#endif
