/*
 * The item: one post from any source, as produced to topic yuqing.items (design §2).
 * JSON, UTF-8, one message per item, key = id.
 */
#ifndef YQ_ITEM_H
#define YQ_ITEM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YQ_ITEM_SCHEMA 1

/*
 * Field limits, in bytes of UTF-8 (issue #10): yq_item_bound() cuts a longer field at a
 * character boundary and records it in truncated_fields. Their sum (YQ_ITEM_MAX_FIELDS_BYTES,
 * about 528 KiB) stays well below the collector's Kafka message limit (1,000,000 bytes,
 * item_producer.h), which the producer checks at compile time; JSON escaping can still
 * grow a field up to six times, so yq_item_encode_bounded() also cuts after encoding.
 * id, source and source_id are never cut (they are made by the collector and short).
 */
#define YQ_ITEM_MAX_CHANNEL_BYTES 512
#define YQ_ITEM_MAX_URL_BYTES 4096
#define YQ_ITEM_MAX_TITLE_BYTES 4096
/*
 * The item text's cap, 512 KiB: the one source of collector.max_text_bytes' default and maximum
 * (collector_cfg.c quotes it with CFG_QUOTE, hence a plain number).
 */
#define YQ_ITEM_MAX_TEXT_BYTES 524288
#define YQ_ITEM_MAX_AUTHOR_BYTES 512
#define YQ_ITEM_MAX_REGION_BYTES 256
#define YQ_ITEM_MAX_REPLY_TO_BYTES 4096
#define YQ_ITEM_MAX_FIELDS_BYTES                                                               \
    (YQ_ITEM_MAX_CHANNEL_BYTES + YQ_ITEM_MAX_URL_BYTES + YQ_ITEM_MAX_TITLE_BYTES +            \
     YQ_ITEM_MAX_TEXT_BYTES + YQ_ITEM_MAX_AUTHOR_BYTES + YQ_ITEM_MAX_REGION_BYTES +            \
     YQ_ITEM_MAX_REPLY_TO_BYTES)

/*
 * A publication time more than this many seconds after fetched_at is a future timestamp
 * (a bridge labelling Beijing time as UTC): flagged, kept, not used for ordering.
 */
#define YQ_ITEM_FUTURE_SLACK_S 600

/* Bits of yq_item.truncated_fields; written as "truncated_fields":["title","text",...]. */
enum yq_item_field_bits {
    YQ_ITEM_F_CHANNEL = 1 << 0,
    YQ_ITEM_F_URL = 1 << 1,
    YQ_ITEM_F_TITLE = 1 << 2,
    YQ_ITEM_F_TEXT = 1 << 3,
    YQ_ITEM_F_AUTHOR = 1 << 4,
    YQ_ITEM_F_REGION = 1 << 5,
    YQ_ITEM_F_REPLY_TO = 1 << 6,
};

struct yq_item_metrics {
    bool known;   /* false: the "metrics" field is absent */
    bool capped;  /* a count was shown capped, e.g. "100万+" */
    int64_t reposts;
    int64_t comments;
    int64_t likes;
};

/*
 * All strings are NUL-terminated UTF-8 owned by the item (free with yq_item_release()).
 * NULL strings are written as "" except region and reply_to, which are omitted.
 */
struct yq_item {
    char *id;        /* "rss:<sha1 hex>", "weibo:<mid>", "wx:<biz>:<mid>:<idx>", "wxs:<token>",
                      * "wbhot:<sha1 hex of the term>:<entered_at>:<trigger>" (a hot-search
                      * entry, issue #15: entered_at UTC seconds it came on the list, trigger
                      * "entered" or "rose<N>" when it rose to rank N or better);
                      * rss: sha1 of a URL/URN/tag guid alone, of a short guid with its link's
                      * origin (issue #10, feed_item_id(), docs/collectors.md) */
    char *source;    /* "rss", "weibo", "wechat", "weibo_hot" */
    char *source_id; /* the id of the source in sources.yaml */
    char *channel;   /* site, account or 公众号 name */
    char *url;       /* canonical absolute URL */
    char *title;     /* plain text */
    char *text;      /* plain text */
    char *author;
    bool has_published;       /* false: published_at is null (unknown or unparseable) */
    int64_t published_at;     /* seconds since the epoch, UTC */
    const char *precision;    /* static: "second", "minute", "day" */
    int64_t fetched_at;       /* seconds since the epoch, UTC */
    int64_t fetched_at_ms;    /* issue #16: when the collector built the item from the
                                 response it fetched, milliseconds since the epoch, UTC;
                                 0 = unknown. Written as "fetched_at_ms" (an integer) only when
                                 > 0; an item without it decodes with fetched_at * 1000 */
    struct yq_item_metrics metrics;
    char *region;
    char *reply_to;
    bool truncated;  /* text is a shortened preview (Weibo long text not fetched yet);
                        written as "truncated": true only when set */
    unsigned truncated_fields; /* enum yq_item_field_bits: fields cut to their limit (or to
                                  fit the message size); written as "truncated_fields":
                                  ["channel","url","title","text","author","region",
                                  "reply_to"] (those set, in that order) only when non-zero */
    bool future_timestamp; /* published_at is more than YQ_ITEM_FUTURE_SLACK_S after
                              fetched_at; written as "future_timestamp": true. The encoder
                              also writes it when the times say so (yq_item_is_future()) */
    /* Marks the collector copies from the item's source in sources.yaml (issue #11): */
    bool official;    /* the government's own account or site (official: true): its posts are
                         answers, not 舆情, and never open a ticket by themselves; written as
                         "official": true only when set */
    bool local;       /* a local source (local: true): rules marked local need no place name
                         in its items; written as "local": true only when set */
    char *department; /* the source's department (department:), e.g. the office that runs an
                         official account; written as "department" only when non-NULL */
    char *response_channel; /* official items (issue #15): the response channel the source
                               stands for: "政务微博", "政务微信", "网站" or "权威发布"
                               (ticket_responses.channel); written only when non-NULL */
    json_t *hot;      /* a hot-search entry (source "weibo_hot", issue #15), owned reference:
                         {"board":"realtime","rank":N (1-based; 0 pinned, no rank),
                          "heat":N (absent when unknown),"badge":"新|热|沸|爆" (absent when
                          none),"trigger":"entered"|"rose","entered_at":RFC 3339,
                          "rise_rank":N (the configured rank it rose past, trigger "rose"),
                          "watched":["term",...] (the source's watched terms in the entry;
                          absent when none)}; NULL for every other item. Written as "hot"
                         only when non-NULL; decoded only when an object (else ERR_PARSE) */
    bool backlog;     /* fetched in the source's first successful poll (issue #11): what the
                         source already held before the office watched it, not news of this
                         poll. An item without a publication time and so marked opens no
                         ticket (held as "undated"); written as "backlog": true only when set */
};

/*
 * Encode item as a JSON object.
 * Returns a new jansson reference (json_decref()) or NULL on ERR_NOMEM.
 */
json_t *yq_item_to_json(const struct yq_item *item);

/*
 * Encode item as compact JSON text.
 * out: new NUL-terminated string (free()); out_len: its length in bytes (may be NULL).
 * Returns 0 or ERR_NOMEM.
 */
int yq_item_encode(const struct yq_item *item, char **out, size_t *out_len);

/*
 * Decode a JSON object (borrowed) into item (caller storage, zeroed by the callee first).
 * Requires schema 1 and non-empty id, source, source_id. Returns 0, ERR_PARSE (missing or
 * mistyped field, one line in errbuf) or ERR_NOMEM. On failure item holds nothing to free.
 */
int yq_item_from_json(const json_t *obj, struct yq_item *item, char *errbuf, size_t errlen);

/*
 * As yq_item_from_json() from len bytes of JSON text (need not be NUL-terminated), loaded by
 * yq_json_decode_object() (a key twice or a NUL refused; its messages in errbuf).
 */
int yq_item_decode(const char *buf, size_t len, struct yq_item *item, char *errbuf,
                   size_t errlen);

/*
 * Cut every field of item (borrowed, modified in place) longer than its YQ_ITEM_MAX_*_BYTES
 * limit at a UTF-8 character boundary (a cut never splits a character), setting its bit in
 * item->truncated_fields. Returns 0 or ERR_NOMEM (never: cuts are in place; kept for
 * symmetry). Not thread-safe for one item.
 */
int yq_item_bound(struct yq_item *item);

/*
 * yq_item_bound(), then encode as compact JSON of at most max_bytes bytes: while the text is
 * longer, the longest cuttable field (text, title, url, reply_to, channel, author, region)
 * is cut further and marked, so an item is never dropped for its size.
 * item: modified in place (fields cut). out, out_len as yq_item_encode().
 * Returns 0, ERR_NOMEM, or ERR_TOO_BIG when even with every cuttable field empty the JSON
 * exceeds max_bytes (only for a max_bytes below about 1 KiB plus the id and source_id).
 */
int yq_item_encode_bounded(struct yq_item *item, size_t max_bytes, char **out,
                           size_t *out_len);

/*
 * Cut the NUL-terminated UTF-8 string s in place to at most max_bytes bytes, at a character
 * boundary that is also a grapheme cluster boundary (never between a letter and its combining
 * mark, inside an emoji ZWJ sequence or skin-tone pair, before a variation selector or between
 * a flag's regional indicators, however long a run of flags; a cluster longer than 256 bytes,
 * or a first cluster longer than max_bytes, is cut inside: a non-empty s never becomes empty).
 * Returns true when it was cut. s may be NULL (false).
 */
bool yq_utf8_cut(char *s, size_t max_bytes);

/*
 * Where to cut s to at most n bytes without ending inside a UTF-8 character: the largest
 * m <= n such that s[m] does not continue a character (10xxxxxx). s: at least n + 1 bytes
 * readable, borrowed, need not be NUL-terminated. Returns m (0 when nothing fits).
 */
size_t yq_utf8_boundary(const char *s, size_t n);

/*
 * True when item's publication time is more than YQ_ITEM_FUTURE_SLACK_S ahead of its fetch
 * time (or item->future_timestamp is set). item borrowed. Thread-safe.
 */
bool yq_item_is_future(const struct yq_item *item);

/*
 * The time to order, time and count the item by, seconds since the epoch, UTC: published_at
 * when known and not a future timestamp, else fetched_at. item borrowed. Thread-safe.
 */
int64_t yq_item_effective_time(const struct yq_item *item);

/*
 * Largest accepted "fetched_at_ms" / "matched_at_ms" (yq_alert.h): 9999-12-31T23:59:59.999Z,
 * the last instant RFC 3339 can write. A larger or negative value is refused by the decoders.
 */
#define YQ_TIME_MS_MAX 253402300799999LL

/*
 * The item's fetch time in milliseconds, UTC: fetched_at_ms when set, else fetched_at * 1000
 * (an item of an older collector). item borrowed.
 */
int64_t yq_item_fetched_ms(const struct yq_item *item);

/*
 * Read the optional millisecond time field name of obj (borrowed) into *out (issue #16; the
 * item's "fetched_at_ms", the alert's "matched_at_ms"): absent or null leaves *out 0; an integer
 * within 0 .. YQ_TIME_MS_MAX is taken; a string, a real, a negative or a larger number is
 * ERR_PARSE with one line in errbuf naming what ("item", "alert") and the field.
 * Returns 0 or ERR_PARSE.
 */
int yq_time_ms_field(const json_t *obj, const char *name, const char *what, int64_t *out,
                     char *errbuf, size_t errlen);

/* Free every string of item and zero it; item itself is caller storage. NULL is a no-op. */
void yq_item_release(struct yq_item *item);

/* Deep copy src into dst (caller storage). Returns 0 or ERR_NOMEM (dst then empty). */
int yq_item_copy(struct yq_item *dst, const struct yq_item *src);

#endif
