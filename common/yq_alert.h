/*
 * The alert: one matching item, as produced to topic yuqing.alerts (design §4), key =
 * event_key. JSON object:
 *
 *   {"schema":1, "event_key":"ev:...", "event":{"new":true,"items":1,"via":"new"},
 *    "rules_version":3, "matched_at":"2026-11-29T08:00:00Z", "score":42.0,
 *    "level":"III", "department":"市自然资源局",
 *    "matches":[{"rule_id":"land-01","name":"征地拆迁补偿","group":"征地拆迁",
 *                "department":"市自然资源局","level":"III",
 *                "terms":[{"term":"征地","field":"title","start":2,"end":4,"excerpt":"征地"}]}],
 *    "item":{ ...the item of design §2... }}
 *
 * level/department are those of the most severe matched rule (the first such rule on a tie).
 * Term offsets are Unicode code-point indexes into the original field, end exclusive
 * (matching runs over normalised text; the offsets are mapped back, so the span of the
 * original field quotes the text as published, e.g. "ＷＩＦＩ断网" for the term "wifi断网").
 * event.via (added by issue #4, optional): "new", "repost" or "near_duplicate".
 * matches[].group (optional): the rule's group (规则组, the rule file's "group"), so that the
 * notifier and the statistics need no rule files; absent in alerts produced before it was
 * added, and omitted when the rule has no group.
 * rules_unverified / rules_checked_at (issue #10, optional): present only when the matcher
 * could not confirm with Redis that rules_version was still current when it matched (Redis
 * unreachable; it matched on its cached set):
 *   "rules_unverified": true, "rules_checked_at": "2026-11-29T07:58:00Z"
 * rules_checked_at is the last time the matcher did confirm its version (absent if never).
 * terms_truncated (issue #10, optional, per match): "terms_truncated": true when
 * yq_alert_encode_bounded() dropped some of the match's terms or cut their excerpts to keep
 * the alert under the Kafka message limit; the match itself (the rule) is always kept.
 * simhash (issue #15, optional): "simhash":"<16 lower-case hex digits>", the item's 64-bit
 * SimHash as the matcher computed it for near-duplicate events (pipeline/event.h); absent
 * when the item has fewer than EVENT_MIN_FEATURES features (the matcher does not use it then)
 * or when the alert came from a matcher older than issue #15. The notifier stores it in
 * event_items.simhash and official_posts.simhash for response detection (docs/responses.md).
 * Zero-match official alerts (issue #15): "matches" may be empty only when item.official is
 * true. The matcher forwards every item of an official source (a department's own 政务微博,
 * 政务微信, website or 权威发布) so that the notifier can recognise a department's public
 * answer (docs/responses.md), even when no rule matches it. Such an alert has "matches":[],
 * event_key "ev:<item id>" (the item's own, never recorded as an event), event
 * {"new":false,"items":0}, level "IV", score 0 and the item's department (or ""); consumers
 * treat it as "an official post, matched by nothing": the archiver stores the item unmatched,
 * the notifier records only the official post (no event, ticket, held item, silence, spike).
 * Zero-match reposts (field review 2026-12-06): a repost that matched no rule ("转发微博",
 * "//@某某:...") whose original Redis knows in an event gets an alert too, so that the event
 * counts it: "matches":[], event {"new":false,"items":N,"via":"repost"} with that event's key,
 * item.reply_to set, level "IV", score 0 and the item's department (or ""); it is sent only
 * for an existing event (the matcher asks Redis first) and the notifier only adds it to that
 * event (yq_alert_is_repost_only()); it never opens an event or raises a level.
 */
#ifndef YQ_ALERT_H
#define YQ_ALERT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "yq_item.h"
#include "yq_kafka.h"

#define YQ_ALERT_SCHEMA 1

/*
 * The largest alert JSON produced: YQ_KAFKA_MESSAGE_MAX_BYTES (yq_kafka.h, the one number item
 * and alert sizes are bounded by) less room for the key and the record overhead, as the
 * collector's ITEM_PRODUCER_MAX_ITEM_BYTES does (issue #10).
 */
#define YQ_ALERT_MAX_BYTES (YQ_KAFKA_MESSAGE_MAX_BYTES - 4096)
/* What yq_alert_encode_bounded() keeps of a match's terms when it must shrink the alert. */
#define YQ_ALERT_BOUNDED_TERMS 16
#define YQ_ALERT_BOUNDED_EXCERPT_BYTES 256

/* Ticket levels (design §5). Numeric value = severity rank: I is the most severe. */
enum yq_level {
    YQ_LEVEL_I = 1,   /* 特别重大 */
    YQ_LEVEL_II = 2,  /* 重大 */
    YQ_LEVEL_III = 3, /* 一般重要 (较大) */
    YQ_LEVEL_IV = 4,  /* 一般 */
};

/* Parse "I".."IV" (also "1".."4", "特别重大", "重大", "较大", "一般重要", "一般"). 0 or ERR_INVALID. */
int yq_level_parse(const char *s, enum yq_level *out);

/* "I".."IV" for a valid level, "?" otherwise. Static string. */
const char *yq_level_name(enum yq_level level);

/* The Chinese label: 特别重大, 重大, 较大, 一般. Static string. */
const char *yq_level_label(enum yq_level level);

struct yq_alert_term {
    char *term;        /* the rule term as written */
    const char *field; /* static: "title" or "text" */
    int64_t start;     /* code points, inclusive */
    int64_t end;       /* code points, exclusive */
    char *excerpt;     /* the original text of [start, end) as published (FC-028); may be NULL */
};

struct yq_alert_match {
    char *rule_id;
    char *name;
    char *group; /* the rule's group (规则组); NULL when unknown (older alerts) */
    char *department;
    enum yq_level level;
    size_t n_terms;
    struct yq_alert_term *terms; /* owned array */
    bool terms_truncated;        /* terms dropped or excerpts cut to fit the message limit */
};

/* All strings and arrays are owned by the alert; release with yq_alert_release(). */
struct yq_alert {
    char *event_key;
    bool event_new;
    int64_t event_items;
    char *event_via; /* "new", "repost", "near_duplicate" (issue #4); may be NULL */
    int64_t rules_version;
    int64_t matched_at; /* seconds since the epoch, UTC */
    int64_t matched_at_ms; /* issue #16: when the pipeline matched the item, milliseconds since
                              the epoch, UTC; 0 = unknown. Written as "matched_at_ms" (an
                              integer) only when > 0; an alert without it decodes with 0 and
                              yq_alert_matched_ms() gives matched_at * 1000 */
    bool rules_unverified;    /* the rule version could not be checked against Redis */
    int64_t rules_checked_at; /* last successful check, seconds since the epoch UTC; 0 = never */
    double score;
    enum yq_level level;
    char *department;
    size_t n_matches;
    struct yq_alert_match *matches; /* owned array; NULL with n_matches 0 only for a
                                       zero-match official alert or repost (above) */
    bool has_simhash; /* "simhash" present (issue #15) */
    uint64_t simhash; /* the item's SimHash (pipeline/event.h) when has_simhash */
    struct yq_item item;
};

/*
 * Whether alert is a zero-match repost (above): no match, not official, event via "repost" and
 * item.reply_to non-empty. alert borrowed.
 */
bool yq_alert_is_repost_only(const struct yq_alert *alert);

/*
 * The alert's match time in milliseconds, UTC: matched_at_ms when set, else matched_at * 1000
 * (an alert of an older pipeline). alert borrowed.
 */
int64_t yq_alert_matched_ms(const struct yq_alert *alert);

/*
 * The matches of alert as a new JSON array (json_decref()), one object per match:
 * {"rule_id", "name", "group" (only when the rule has one), "department", "level" ("I".."IV"),
 * "terms": [{"term", "field", "start", "end"}]}. full: also each term's "excerpt" and a match's
 * "terms_truncated": true (the wire format, yq_alert_encode()); without it, the shape the
 * notifier stores per item (ticket_items.matches, event_items.matches). NULL on ERR_NOMEM.
 */
json_t *yq_alert_matches_json(const struct yq_alert *alert, bool full);

/*
 * Encode alert as compact JSON. A match's "group" is written only when its group is non-NULL
 * and non-empty; "simhash" only when has_simhash. out: new NUL-terminated string (free()); out_len may be NULL.
 * Returns 0 or ERR_NOMEM.
 */
int yq_alert_encode(const struct yq_alert *alert, char **out, size_t *out_len);

/*
 * Encode alert as yq_alert_encode() does, in at most max_bytes bytes (normally
 * YQ_ALERT_MAX_BYTES), so that Kafka never refuses an alert for its size (issue #10). When
 * the plain encoding is longer, first each match keeps at most YQ_ALERT_BOUNDED_TERMS terms
 * with excerpts of at most YQ_ALERT_BOUNDED_EXCERPT_BYTES (cut at a character boundary) and
 * is marked terms_truncated; then the item's longest fields are cut at character boundaries
 * and marked in item.truncated_fields (yq_item_encode_bounded()). Every match (rule) is kept.
 * alert: borrowed, modified in place (terms, excerpts and item fields cut as encoded).
 * out: new NUL-terminated string (free()); out_len may be NULL.
 * Returns 0, ERR_NOMEM, or ERR_TOO_BIG when the alert does not fit even with one term per
 * match and every cuttable item field empty (thousands of matches, or a tiny max_bytes).
 * Not thread-safe for one alert.
 */
int yq_alert_encode_bounded(struct yq_alert *alert, size_t max_bytes, char **out,
                            size_t *out_len);

/*
 * Decode len bytes of JSON into alert (caller storage, zeroed first). Requires schema 1,
 * a non-empty event_key, a valid item and at least one match unless the item is official
 * ("official": true; then "matches":[] is accepted: a zero-match official alert) or the alert
 * is a zero-match repost (event "via":"repost" and a non-empty item "reply_to"); a match
 * without a "group" (or with an empty one) decodes with group NULL. "simhash", when present,
 * must be a string of exactly 16 hex digits (else ERR_PARSE). The text is loaded by
 * yq_json_decode_object() (a key twice or a NUL refused). Returns 0, ERR_PARSE (one line in
 * errbuf) or ERR_NOMEM; on failure alert holds nothing to free.
 */
int yq_alert_decode(const char *buf, size_t len, struct yq_alert *alert, char *errbuf,
                    size_t errlen);

/* Free everything alert owns and zero it. NULL is a no-op. */
void yq_alert_release(struct yq_alert *alert);

#endif
