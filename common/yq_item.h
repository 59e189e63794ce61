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
    char *id;        /* "rss:<sha1 hex>", "weibo:<mid>", "wx:<biz>:<mid>:<idx>", "wxs:<token>" */
    char *source;    /* "rss", "weibo", "wechat" */
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
    struct yq_item_metrics metrics;
    char *region;
    char *reply_to;
    bool truncated;  /* text is a shortened preview (Weibo long text not fetched yet);
                        written as "truncated": true only when set */
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

/* As yq_item_from_json() from len bytes of JSON text (need not be NUL-terminated). */
int yq_item_decode(const char *buf, size_t len, struct yq_item *item, char *errbuf,
                   size_t errlen);

/* Free every string of item and zero it; item itself is caller storage. NULL is a no-op. */
void yq_item_release(struct yq_item *item);

/* Deep copy src into dst (caller storage). Returns 0 or ERR_NOMEM (dst then empty). */
int yq_item_copy(struct yq_item *dst, const struct yq_item *src);

#endif
