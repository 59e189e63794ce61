/*
 * Weibo through the m.weibo.cn container API (design §3, sources.md §1): classify a response
 * (ok:1 page, ok:0 empty, ok:-100 login wall, HTTP 418/432/403, visitor HTML), read a
 * getIndex page (user timeline containerid 107603<uid>, keyword search 100103type=1&q=) into
 * items, and complete long posts from statuses/extend. Pure functions over bodies: the
 * fetching is poller_weibo.c's.
 *
 * Rules applied (sources.md §1; cases FC-001, FC-002, FC-005):
 * - ids are "weibo:<mid>" with mid taken as a string (or an exact JSON integer, or decoded
 *   from the base62 bid), never through a double;
 * - text: HTML parsed as HTML, emoticon <img> → its alt text, <br> → newline, anchor text
 *   kept, icons without alt dropped, the "...全文" tail removed;
 * - a post with isLongText, or whose text ends in a /status/<id> "全文" link, needs its
 *   long text: until weibo_apply_long_text() succeeds it is marked truncated;
 * - created_at in the full form or relative (刚刚, N分钟前, N小时前, 今天/昨天/前天 HH:MM,
 *   MM-DD, YYYY-MM-DD, MM月DD日 HH:MM) resolved against fetched_at in Asia/Shanghai;
 * - counts 12345, "7.2万", "100万+" (capped), "1亿";
 * - a repost keeps reply_to = "weibo:<original mid>" and the original becomes its own item;
 * - region_name without "发布于 ".
 */
#ifndef YQ_WEIBO_H
#define YQ_WEIBO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "source_state.h"
#include "yq_item.h"

#define WEIBO_MID_MAX 24      /* digits + NUL; mids are ~5.3e15 in 2026 */
#define WEIBO_CURSOR_MAX 32

struct weibo_post {
    struct yq_item item;      /* complete; text is the preview while needs_long_text */
    char mid[WEIBO_MID_MAX];
    bool pinned;              /* 置顶: does not end paging */
    bool needs_long_text;     /* fetch statuses/extend?id=<mid>; item.truncated is set */
    bool is_original;         /* the retweeted original of a repost on this page */
    bool not_new;             /* set by the poller: a first crawl's baseline or an old pinned
                               * post, marked seen without being produced (issue #10) */
};

struct weibo_page {
    struct weibo_post *posts; /* n_posts, owned */
    size_t n_posts;
    bool empty;               /* ok:0 "这里还没有内容": end of list, not an error */
    char since_id[WEIBO_CURSOR_MAX]; /* cursor of the next page; "" when there is none */
    int64_t page;             /* cardlistInfo.page when present, else 0 */
};

struct weibo_ctx {
    const char *source_id;    /* sources.yaml id, borrowed */
    const char *channel;      /* configured channel name or NULL (→ the author), borrowed */
    int64_t fetched_at;       /* seconds since the epoch, UTC */
    size_t max_text_bytes;    /* bound of one item's text */
};

/*
 * Classify one response of a Weibo API request. http_status 0 = no response.
 * content_type, effective_url may be NULL; body is len bytes (may be NULL when len is 0).
 * why: one line for the health record (may be NULL when whylen is 0).
 * Returns SOURCE_OK for ok:1 and for ok:0 with an empty list (FC-005 n=4); otherwise the
 * failure state: rate_limited (418/429/414), auth_required (432, ok:-100, a captcha body with
 * "url" and no "data", an HTML visitor/login page, a redirect to passport.weibo), blocked
 * (403), http_error, parse_error (not JSON and not HTML). Thread-safe.
 */
enum source_state weibo_classify(long http_status, const char *content_type,
                                 const char *effective_url, const char *body, size_t len,
                                 char *why, size_t whylen);

/*
 * Read a getIndex response (len bytes of UTF-8 JSON, borrowed; the 2022 shape without the
 * ok wrapper is accepted) into out (caller storage; release with weibo_page_release()).
 * Posts come in page order, each retweeted original right after its repost.
 * Returns 0, ERR_PARSE (not JSON, or no data.cards) with errbuf, or ERR_NOMEM. Thread-safe.
 */
int weibo_parse_page(const char *body, size_t len, const struct weibo_ctx *ctx,
                     struct weibo_page *out, char *errbuf, size_t errlen);

/* Free everything out owns and zero it. NULL is a no-op. */
void weibo_page_release(struct weibo_page *out);

/*
 * Complete post from a statuses/extend body (len bytes of JSON, borrowed): its text becomes
 * data.longTextContent as plain text, truncated and needs_long_text are cleared, and counts
 * present in the body replace the page's. A text over max_text_bytes is cut and recorded in
 * item.truncated_fields (YQ_ITEM_F_TEXT). Returns 0; ERR_PARSE when the body has no
 * longTextContent (post stays truncated); ERR_NOMEM.
 */
int weibo_apply_long_text(struct weibo_post *post, const char *body, size_t len,
                          size_t max_text_bytes);

/*
 * Plain text of a Weibo HTML fragment (html NUL-terminated, borrowed) as described above.
 * Text beyond max_bytes is cut at a UTF-8 character boundary, never refused (issue #10: one
 * oversized post must not cost the item); *cut (may be NULL) is set true when it was.
 * out: new string (free()). Returns 0 or ERR_NOMEM.
 */
int weibo_text_from_html(const char *html, size_t max_bytes, char **out, bool *cut);

/*
 * Parse a count shown as a string: "12345", "1,234", "7.2万" (72000), "100万+" (1000000,
 * *capped = true), "1亿". out: the count. Returns 0 or ERR_PARSE.
 */
int weibo_parse_count(const char *s, int64_t *out, bool *capped);

/*
 * Parse created_at (full "Tue Mar 05 09:12:44 +0800 2024" or a relative form) against
 * fetched_at (UTC seconds) in Asia/Shanghai. out: UTC seconds; precision: static "second",
 * "minute" or "day". Returns 0 or ERR_PARSE.
 */
int weibo_parse_created_at(const char *s, int64_t fetched_at, int64_t *out,
                           const char **precision);

/*
 * The mid of a base62 bid ("HyTZc60ew" → "4383183661430868") into out (WEIBO_MID_MAX bytes).
 * Returns 0 or ERR_PARSE.
 */
int weibo_bid_to_mid(const char *bid, char *out, size_t outlen);

#endif
