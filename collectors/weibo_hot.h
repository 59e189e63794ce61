/*
 * Weibo's hot-search list (热搜榜, issue #15; sources.md "The hot-search list"): read one
 * response of either endpoint into its entries, and build the item of an entry that entered
 * the list or rose on it. Pure functions over bodies: the polling, the rank record and the
 * stays are poller_weibo_hot.c's and common/yq_hot's. A response is classified first by
 * weibo_classify() (weibo.h: ok:-100, ok:0, 418/403/432, visitor pages), the one home of that.
 *
 * The two shapes (every field optional):
 * - mobile container (m.weibo.cn getIndex, containerid 106003type=25&t=3&...realtimehot):
 *   data.cards[].card_group[] of {"desc": term, "desc_extr": heat (number, or a text such as
 *   "剧集 123456" whose last number is the heat), "icon": badge image URL, "scheme": search
 *   URL, "promotion"/"is_ad": an ad}; the first entry without heat is the pinned (置顶)
 *   government entry; any other entry without heat, or with a promotion flag, is an ad.
 *   Ranks count the other entries from 1 in list order.
 * - desktop ajax (weibo.com/ajax/side/hotSearch): data.realtime[] of {"word","note","num",
 *   "raw_hot","rank" (0-based),"realpos" (1-based),"category","label_name","onboard_time",
 *   "is_ad"} and data.hotgov {"word",...} the pinned entry. The rank is realpos, else
 *   rank + 1, else the place in the list among non-ads.
 * Ads are skipped (counted). Terms are trimmed; an entry without a term, with a term over
 * WEIBO_HOT_TERM_MAX_BYTES, or with control characters in it is skipped (counted); a term
 * seen twice keeps its first entry; at most WEIBO_HOT_MAX_ENTRIES entries are kept.
 */
#ifndef YQ_WEIBO_HOT_H
#define YQ_WEIBO_HOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "yq_hot.h"
#include "yq_item.h"

#define WEIBO_HOT_MAX_ENTRIES 100 /* the real-time board shows 50 (+ the pinned one) */
#define WEIBO_HOT_TERM_MAX_BYTES 256
#define WEIBO_HOT_NOTE_MAX_BYTES 1024
/* An onboard_time is believed within [poll − 7 d, poll + 1 h]: the board keeps an entry for
 * hours, not weeks (YQ_HOT_TTL_S keeps a week of ranks), and an hour covers clock skew;
 * outside it (99999999999999 would be year 3170843) the stay's entered_at is used. */
#define WEIBO_HOT_ONBOARD_PAST_S (7 * 86400)
#define WEIBO_HOT_ONBOARD_FUTURE_S 3600

struct weibo_hot_entry {
    char *term;           /* as shown, trimmed; owned */
    char *note;           /* display text (desktop "note", mobile desc_extr text); NULL */
    char *category;       /* desktop "category"; NULL */
    char *url;            /* the entry's search URL (scheme when http(s), else built); owned */
    int64_t rank;         /* 1-based; 0 = pinned */
    int64_t heat;         /* -1 = unknown */
    const char *badge;    /* static "新", "热", "沸", "爆", or NULL */
    bool pinned;          /* 置顶 (government entry, no rank) */
    int64_t onboard_time; /* desktop: UTC seconds it came on the board; 0 = unknown */
    char sha1[YQ_HOT_SHA1_HEX + 1]; /* SHA-1 of term: the entry's key (yq_hot.h) */
};

struct weibo_hot_list {
    struct weibo_hot_entry *entries; /* n, in list order (pinned first), owned */
    size_t n;
    const char *shape; /* static "mobile" or "desktop" */
    size_t ads;        /* ads skipped */
    size_t skipped;    /* entries without a usable term, duplicates, beyond max */
};

/*
 * Read a response body (len bytes of JSON, borrowed) of either shape into out (caller
 * storage; release with weibo_hot_list_release()). An ok:0 body with no list reads as an
 * empty list. The body is loaded by yq_json_decode_object() (a key twice or a NUL refused).
 * Returns 0; ERR_PARSE with one line in errbuf (not JSON, not an object, neither
 * shape, a list of the wrong type); ERR_NOMEM. Never reads beyond len. Thread-safe.
 */
int weibo_hot_parse(const char *body, size_t len, struct weibo_hot_list *out, char *errbuf,
                    size_t errlen);

/* Free what out owns and zero it. NULL is a no-op. */
void weibo_hot_list_release(struct weibo_hot_list *out);

/*
 * The watch terms (n_watch, borrowed; as configured) that e's term contains, both folded by
 * yq_hot_fold() (NFKC, case folded): a new JSON array of the configured forms (json_decref()),
 * empty when none. NULL on ERR_NOMEM.
 */
json_t *weibo_hot_watched(const struct weibo_hot_entry *e, char *const *watch, size_t n_watch);

/* What weibo_hot_item() needs besides the entry. */
struct weibo_hot_ctx {
    const char *source_id;       /* borrowed */
    const char *channel;         /* the source's name (or NULL: "微博热搜") */
    int64_t fetched_at;          /* UTC seconds */
    int64_t entered_at;          /* the stay's entered_at, UTC seconds */
    enum yq_hot_trigger trigger; /* YQ_HOT_ENTERED or YQ_HOT_ROSE */
    int64_t rise_rank;           /* the configured rise_rank (trigger rose) */
    const json_t *watched;       /* weibo_hot_watched(), borrowed; empty or NULL: not written */
};

/* Whether onboard_time (UTC seconds; 0 = unknown) lies in [now − WEIBO_HOT_ONBOARD_PAST_S,
 * now + WEIBO_HOT_ONBOARD_FUTURE_S], now being the poll's time. */
bool weibo_hot_onboard_plausible(int64_t onboard_time, int64_t now);

/*
 * The item of entry e (borrowed) per ctx into out (caller storage; yq_item_release()):
 * id "wbhot:<sha1>:<entered_at>:entered" or "...:rose<rise_rank>", reply_to "wbhot:<sha1>"
 * (every stay of the term joins one 研判 event "ev:wbhot:<sha1>" for the matcher's event TTL:
 * pipeline/event.c assigns it as a repost), source "weibo_hot", title = term, text = note
 * (and category), url = e->url, channel, published_at = onboard_time when
 * weibo_hot_onboard_plausible() at ctx->fetched_at, else entered_at, and the "hot" object of
 * yq_item.h. Returns 0, ERR_INVALID
 * (trigger none) or ERR_NOMEM.
 */
int weibo_hot_item(const struct weibo_hot_entry *e, const struct weibo_hot_ctx *ctx,
                   struct yq_item *out);

#endif
