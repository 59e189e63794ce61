/*
 * WeChat official-account articles read through bridge feeds (RSSHub, WeWe RSS, we-mp-rss,
 * wechat2rss, wechat-feeds): stable item ids from the article URL (design §2, sources.md §2,
 * case FC-006), following RSSHub's normalizeUrl:
 *   1. "&amp;" (and "\x26amp;") decoded once, the fragment (#rd, #wechat_redirect) dropped;
 *   2. long link /s?__biz=&mid=&idx=&sn= (aliases appmsgid, itemidx, sign):
 *      id "wx:<__biz>:<mid>:<idx>" (__biz URL-decoded), canonical URL keeps only
 *      __biz, mid, idx, sn (chksm, scene, srcid, sharer_*, key ... dropped);
 *   3. only sn: id "wx:sn:<sn>";
 *   4. short link /s/<token>: id "wxs:<token>", URL https://mp.weixin.qq.com/s/<token>;
 *   5. anything else (Sogou's temporary /s?src=&timestamp=&signature= links expire):
 *      id "wx:h:<sha1 of account, normalised title, publish minute>".
 * Every article also has an alias key "wxk:<same sha1>", marked seen next to its id, so the
 * same article seen once as a short and once as a long link is produced once.
 */
#ifndef YQ_WECHAT_H
#define YQ_WECHAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "feed_parse.h"
#include "yq_item.h"

#define WECHAT_ID_MAX 256

struct wechat_ref {
    char id[WECHAT_ID_MAX];    /* the item id */
    char alias[WECHAT_ID_MAX]; /* "wxk:<sha1>": (account, title, minute) key */
    char *url;                 /* new canonical URL (free()), NULL when link was NULL */
};

/*
 * Identify an article. link, account, title: NUL-terminated or NULL, borrowed.
 * has_published/published: publication time (UTC seconds) if known.
 * out: caller storage; free out->url. Returns 0, ERR_NOMEM, or ERR_INVALID (no link, no
 * title: the article cannot be identified).
 */
int wechat_ref_from(const char *link, const char *account, const char *title,
                    bool has_published, int64_t published, struct wechat_ref *out);

/*
 * Item of a WeChat bridge feed entry: feed_item_from_entry() with source "wechat", the id
 * and canonical URL above. alias_out (WECHAT_ID_MAX bytes, may be NULL) receives the alias
 * key. Same returns and ownership as feed_item_from_entry().
 */
int wechat_item_from_entry(const struct feed *f, const struct feed_entry *e,
                           const char *source_id, const char *channel_name, int64_t fetched_at,
                           size_t max_text_bytes, struct yq_item *item, char *alias_out);

/* Account name of feed f for source channel_name (configured name wins). Borrowed or NULL. */
const char *wechat_account(const struct feed *f, const char *channel_name);

#endif
