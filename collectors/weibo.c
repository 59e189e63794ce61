#include "weibo.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "feed_date.h"
#include "feed_text.h"
#include "yq_array.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

#define WEIBO_TITLE_MAX_CP 60
#define WEIBO_MAX_POSTS 1000
#define REGION_PREFIX "发布于"

static void set_why(char *why, size_t whylen, const char *msg)
{
    if (why && whylen) {
        snprintf(why, whylen, "%s", msg);
    }
}

static const char *jstr(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* ---- classification ---- */

static bool looks_html(const char *content_type, const char *body, size_t len)
{
    size_t i = 0;
    if (content_type && strncasecmp(content_type, "text/html", 9) == 0) {
        return true;
    }
    while (i < len && isspace((unsigned char)body[i])) {
        i++;
    }
    return i < len && body[i] == '<';
}

enum source_state weibo_classify(long http_status, const char *content_type,
                                 const char *effective_url, const char *body, size_t len,
                                 char *why, size_t whylen)
{
    json_t *root;
    const json_t *ok;
    enum source_state st;
    char msg[160];

    if (http_status == 0) {
        set_why(why, whylen, "no HTTP response");
        return SOURCE_NETWORK_ERROR;
    }
    if (effective_url && strstr(effective_url, "passport.weibo.")) {
        set_why(why, whylen, "redirected to the Weibo login/visitor page");
        return SOURCE_AUTH_REQUIRED;
    }
    if (http_status < 200 || http_status >= 300) {
        st = source_state_from_http(http_status);
        snprintf(msg, sizeof(msg), "http status %ld (%s)", http_status, source_state_name(st));
        set_why(why, whylen, msg);
        return st;
    }
    if (!body || len == 0) {
        set_why(why, whylen, "empty body");
        return SOURCE_PARSE_ERROR;
    }
    root = json_loadb(body, len, 0, NULL);
    if (!root) {
        if (looks_html(content_type, body, len)) {
            set_why(why, whylen, "HTML page instead of JSON (visitor check or login page)");
            return SOURCE_AUTH_REQUIRED;
        }
        set_why(why, whylen, "response is not JSON");
        return SOURCE_PARSE_ERROR;
    }
    ok = json_object_get(root, "ok");
    st = SOURCE_OK;
    if (!json_is_object(root)) {
        set_why(why, whylen, "JSON response is not an object");
        st = SOURCE_PARSE_ERROR;
    } else if (json_is_integer(ok) && json_integer_value(ok) == -100) {
        set_why(why, whylen, "ok:-100: login or cookie required");
        st = SOURCE_AUTH_REQUIRED;
    } else if (!json_object_get(root, "data") && jstr(root, "url")) {
        set_why(why, whylen, "captcha or verification required (url without data)");
        st = SOURCE_AUTH_REQUIRED;
    } else if (json_is_integer(ok) && json_integer_value(ok) == 0) {
        const json_t *data = json_object_get(root, "data");
        const json_t *cards = json_is_object(data) ? json_object_get(data, "cards") : NULL;
        if (cards && !(json_is_array(cards) && json_array_size(cards) == 0)) {
            set_why(why, whylen, "ok:0 with content: unexpected response");
            st = SOURCE_PARSE_ERROR;
        } else {
            set_why(why, whylen, "ok:0: empty list");
        }
    } else if (json_is_integer(ok) && json_integer_value(ok) != 1) {
        snprintf(msg, sizeof(msg), "unexpected ok:%lld", (long long)json_integer_value(ok));
        set_why(why, whylen, msg);
        st = SOURCE_PARSE_ERROR;
    } else {
        set_why(why, whylen, "ok");
    }
    json_decref(root);
    return st;
}

/* ---- counts, dates, ids ---- */

int weibo_parse_count(const char *s, int64_t *out, bool *capped)
{
    int64_t whole = 0, frac = 0, frac_div = 1, mult = 1;
    bool any = false;
    const char *p = s;

    *capped = false;
    if (!s) {
        return ERR_PARSE;
    }
    while (isspace((unsigned char)*p)) {
        p++;
    }
    for (; isdigit((unsigned char)*p) || *p == ','; p++) {
        if (*p == ',') {
            continue;
        }
        if (whole > (INT64_MAX - 9) / 10) {
            return ERR_PARSE;
        }
        whole = whole * 10 + (*p - '0');
        any = true;
    }
    if (*p == '.') {
        p++;
        for (; isdigit((unsigned char)*p); p++) {
            if (frac_div < 100000000) {
                frac = frac * 10 + (*p - '0');
                frac_div *= 10;
            }
        }
    }
    if (!any) {
        return ERR_PARSE;
    }
    if (strncmp(p, "万", strlen("万")) == 0) {
        mult = 10000;
        p += strlen("万");
    } else if (strncmp(p, "亿", strlen("亿")) == 0) {
        mult = 100000000;
        p += strlen("亿");
    }
    if (*p == '+') {
        *capped = true;
        p++;
    }
    while (isspace((unsigned char)*p)) {
        p++;
    }
    if (*p != '\0' || whole > INT64_MAX / mult / 2) {
        return ERR_PARSE;
    }
    *out = whole * mult + frac * mult / frac_div;
    return 0;
}

/* A count field: integer, or a string such as "100万+". Absent or bad → false. */
static bool count_of(const json_t *obj, const char *key, int64_t *out, bool *capped)
{
    const json_t *v = json_object_get(obj, key);
    bool c = false;

    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return *out >= 0;
    }
    if (json_is_string(v) && weibo_parse_count(json_string_value(v), out, &c) == 0) {
        *capped = *capped || c;
        return true;
    }
    return false;
}

static int parse_full(const char *s, int64_t *out)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    char dow[4], mon[4], zone[6];
    int day, h, mi, sec, year, n = 0, m = -1, zh, zm, sign;

    if (sscanf(s, "%3s %3s %2d %2d:%2d:%2d %5s %4d%n", dow, mon, &day, &h, &mi, &sec, zone,
               &year, &n) != 8 ||
        s[n] != '\0') {
        return ERR_PARSE;
    }
    for (int i = 0; i < 12; i++) {
        if (strcmp(mon, months[i]) == 0) {
            m = i + 1;
        }
    }
    if (m < 0 || (zone[0] != '+' && zone[0] != '-') || strlen(zone) != 5 ||
        !isdigit((unsigned char)zone[1]) || day < 1 || day > 31 || h > 23 || mi > 59 ||
        sec > 60) {
        return ERR_PARSE;
    }
    sign = zone[0] == '-' ? -1 : 1;
    zh = (zone[1] - '0') * 10 + (zone[2] - '0');
    zm = (zone[3] - '0') * 10 + (zone[4] - '0');
    *out = yq_time_days_from_civil(year, (unsigned)m, (unsigned)day) * 86400 + h * 3600 +
           mi * 60 + (sec > 59 ? 59 : sec) - sign * (zh * 3600 + zm * 60);
    return 0;
}

int weibo_parse_created_at(const char *s, int64_t fetched_at, int64_t *out,
                           const char **precision)
{
    const char *p = s;

    if (!s) {
        return ERR_PARSE;
    }
    while (isspace((unsigned char)*p)) {
        p++;
    }
    if (isalpha((unsigned char)*p)) {
        *precision = "second";
        return parse_full(p, out);
    }
    return feed_date_parse_relative(p, fetched_at, out, precision);
}

int weibo_bid_to_mid(const char *bid, char *out, size_t outlen)
{
    static const char alphabet[] =
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    size_t len = bid ? strlen(bid) : 0;
    char buf[WEIBO_MID_MAX * 2] = "";
    size_t used = 0;

    if (len == 0 || len > 12) {
        return ERR_PARSE;
    }
    /* groups of 4 characters from the right; each is 7 decimal digits except the first */
    {
        size_t n_groups = (len + 3) / 4;
        for (size_t g = 0; g < n_groups; g++) {
            size_t start = g == 0 ? 0 : len - (n_groups - g) * 4;
            size_t stop = len - (n_groups - g - 1) * 4;
            int64_t v = 0;
            int w;
            for (size_t i = start; i < stop; i++) {
                const char *pos = strchr(alphabet, bid[i]);
                if (!pos || !bid[i]) {
                    return ERR_PARSE;
                }
                v = v * 62 + (pos - alphabet);
            }
            w = snprintf(buf + used, sizeof(buf) - used, g == 0 ? "%lld" : "%07lld",
                         (long long)v);
            if (w < 0 || (size_t)w >= sizeof(buf) - used) {
                return ERR_PARSE;
            }
            used += (size_t)w;
        }
    }
    if (used + 1 > outlen) {
        return ERR_PARSE;
    }
    memcpy(out, buf, used + 1);
    return 0;
}

/* mid from id/mid/idstr (string of digits or an exact integer), else from bid. */
static bool mid_of(const json_t *mblog, char *out)
{
    static const char *const keys[] = {"mid", "id", "idstr", NULL};
    for (int i = 0; keys[i]; i++) {
        const json_t *v = json_object_get(mblog, keys[i]);
        if (json_is_string(v)) {
            const char *s = json_string_value(v);
            size_t n = strlen(s);
            if (n > 0 && n < WEIBO_MID_MAX && strspn(s, "0123456789") == n) {
                memcpy(out, s, n + 1);
                return true;
            }
        } else if (json_is_integer(v) && json_integer_value(v) > 0) {
            snprintf(out, WEIBO_MID_MAX, "%lld", (long long)json_integer_value(v));
            return true;
        }
    }
    return weibo_bid_to_mid(jstr(mblog, "bid"), out, WEIBO_MID_MAX) == 0;
}

/* ---- text ---- */

/* Cut the "...<a href="/status/…">全文</a>" tail; returns true when there was one. */
static bool cut_full_text_tail(char *html)
{
    char *tail = NULL, *a, *p = html;
    size_t n;

    while ((p = strstr(p, ">全文</a>")) != NULL) {
        tail = p;
        p++;
    }
    if (!tail) {
        return false;
    }
    for (a = tail; a > html && strncmp(a, "<a", 2) != 0; a--) {
    }
    if (strncmp(a, "<a", 2) != 0) {
        return false;
    }
    *a = '\0';
    n = strlen(html);
    for (;;) {
        while (n > 0 && (html[n - 1] == ' ' || html[n - 1] == '\n')) {
            n--;
        }
        if (n >= 3 && strncmp(html + n - 3, "...", 3) == 0) {
            n -= 3;
        } else if (n >= 3 && strncmp(html + n - 3, "…", 3) == 0) {
            n -= 3;
        } else {
            break;
        }
    }
    html[n] = '\0';
    return true;
}

int weibo_text_from_html(const char *html, size_t max_bytes, char **out, bool *cut)
{
    bool was_cut = false;
    char *copy;
    int err;

    *out = NULL;
    if (cut) {
        *cut = false;
    }
    copy = strdup(html ? html : "");
    if (!copy) {
        return ERR_NOMEM;
    }
    cut_full_text_tail(copy);
    err = feed_text_from_html_cut(copy, strlen(copy), max_bytes, out, &was_cut);
    free(copy);
    if (!err && cut) {
        *cut = was_cut;
    }
    if (!err) {
        /* U+200B (weibo-crawler strips it too) */
        char *r = *out, *w = *out;
        while (*r) {
            if (strncmp(r, "\xE2\x80\x8B", 3) == 0) {
                r += 3;
            } else {
                *w++ = *r++;
            }
        }
        *w = '\0';
    }
    return err;
}

/* First line of text, at most WEIBO_TITLE_MAX_CP code points; never empty. */
static char *title_of(const char *text, bool has_pics)
{
    size_t n = 0, cps = 0;
    const char *fallback = has_pics ? "[图片]" : "[无文字微博]";

    while (text[n] && text[n] != '\n' && cps < WEIBO_TITLE_MAX_CP) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)text + n, -1, &cp);
        n += k > 0 ? (size_t)k : 1; /* jansson's strings are valid UTF-8: k > 0 */
        cps++;
    }
    return n ? strndup(text, n) : strdup(fallback);
}

/* ---- posts ---- */

static bool truthy(const json_t *v)
{
    return json_is_true(v) || (json_is_integer(v) && json_integer_value(v) != 0) ||
           (json_is_string(v) && strcmp(json_string_value(v), "1") == 0);
}

static char *dup_or_null(const char *s)
{
    return s && s[0] ? strdup(s) : NULL;
}

static int region_of(const json_t *mblog, char **out)
{
    const char *r = jstr(mblog, "region_name");
    *out = NULL;
    if (!r) {
        return 0;
    }
    if (strncmp(r, REGION_PREFIX, strlen(REGION_PREFIX)) == 0) {
        r += strlen(REGION_PREFIX);
    }
    while (*r == ' ' || strncmp(r, "\xE3\x80\x80", 3) == 0) {
        r += *r == ' ' ? 1 : 3;
    }
    if (!*r) {
        return 0;
    }
    *out = strdup(r);
    return *out ? 0 : ERR_NOMEM;
}

static int append_post(struct weibo_page *page, size_t *cap, struct weibo_post **out)
{
    int err;

    if (page->n_posts >= WEIBO_MAX_POSTS) {
        return ERR_TOO_BIG;
    }
    err = yq_array_reserve(&page->posts, cap, page->n_posts + 1, sizeof(*page->posts));
    if (err) {
        return err;
    }
    *out = &page->posts[page->n_posts++];
    memset(*out, 0, sizeof(**out));
    return 0;
}

/* One mblog → one post (and its retweeted original after it). */
static int add_mblog(struct weibo_page *page, size_t *cap, const json_t *mblog, bool pinned,
                     bool is_original, const struct weibo_ctx *ctx)
{
    const json_t *user = json_object_get(mblog, "user");
    const json_t *rt = json_object_get(mblog, "retweeted_status");
    const char *text_html = jstr(mblog, "text");
    const char *bid = jstr(mblog, "bid");
    const char *screen_name = json_is_object(user) ? jstr(user, "screen_name") : NULL;
    const char *channel = NULL;
    const json_t *uid = json_is_object(user) ? json_object_get(user, "id") : NULL;
    struct weibo_post *post;
    struct yq_item *it;
    char mid[WEIBO_MID_MAX], rt_mid[WEIBO_MID_MAX] = "", buf[256], uid_s[32] = "";
    bool has_rt = json_is_object(rt) && mid_of(rt, rt_mid);
    bool rt_deleted = has_rt && (truthy(json_object_get(rt, "deleted")) ||
                                 !json_is_object(json_object_get(rt, "user")));
    bool capped = false;
    int err;

    if (!json_is_object(mblog) || !mid_of(mblog, mid)) {
        return 0; /* not identifiable: skipped (cannot be deduplicated) */
    }
    err = append_post(page, cap, &post);
    if (err) {
        return err;
    }
    memcpy(post->mid, mid, sizeof(mid));
    post->pinned = pinned;
    post->is_original = is_original;
    it = &post->item;
    if (json_is_integer(uid)) {
        snprintf(uid_s, sizeof(uid_s), "%lld", (long long)json_integer_value(uid));
    } else if (json_is_string(uid)) {
        snprintf(uid_s, sizeof(uid_s), "%s", json_string_value(uid));
    }
    snprintf(buf, sizeof(buf), "weibo:%s", mid);
    it->id = strdup(buf);
    it->source = strdup("weibo");
    it->source_id = strdup(ctx->source_id);
    channel = !is_original && ctx->channel && ctx->channel[0] ? ctx->channel : screen_name;
    it->channel = dup_or_null(channel);
    if (bid && bid[0] && uid_s[0]) {
        snprintf(buf, sizeof(buf), "https://weibo.com/%s/%s", uid_s, bid);
    } else {
        snprintf(buf, sizeof(buf), "https://m.weibo.cn/status/%s", mid);
    }
    it->url = strdup(buf);
    it->author = dup_or_null(screen_name);
    if (!it->id || !it->source || !it->source_id || !it->url ||
        (!it->channel && channel && channel[0]) ||
        (!it->author && screen_name && screen_name[0])) {
        return ERR_NOMEM; /* a failed copy must not pass for an item without author */
    }
    {
        bool cut = false;
        err = weibo_text_from_html(text_html, ctx->max_text_bytes, &it->text, &cut);
        if (err) {
            return err;
        }
        if (cut) {
            it->truncated_fields |= YQ_ITEM_F_TEXT;
        }
    }
    post->needs_long_text = truthy(json_object_get(mblog, "isLongText")) ||
                            (text_html && strstr(text_html, "/status/") &&
                             strstr(text_html, ">全文</a>"));
    it->truncated = post->needs_long_text;
    {
        const json_t *pics = json_object_get(mblog, "pics");
        bool has_pics = (json_is_array(pics) && json_array_size(pics) > 0) ||
                        (json_is_object(pics) && json_object_size(pics) > 0);
        it->title = title_of(it->text, has_pics);
        if (!it->title) {
            return ERR_NOMEM;
        }
    }
    if (weibo_parse_created_at(jstr(mblog, "created_at"), ctx->fetched_at, &it->published_at,
                               &it->precision) == 0) {
        it->has_published = true;
    }
    it->fetched_at = ctx->fetched_at;
    it->fetched_at_ms = yq_time_stamp_ms(ctx->fetched_at); /* issue #16 */
    {
        int64_t r = 0, c = 0, l = 0;
        bool hr = count_of(mblog, "reposts_count", &r, &capped);
        bool hc = count_of(mblog, "comments_count", &c, &capped);
        bool hl = count_of(mblog, "attitudes_count", &l, &capped);
        const json_t *nds = json_object_get(mblog, "number_display_strategy");
        const char *disp = json_is_object(nds) ? jstr(nds, "display_text") : NULL;
        if (hr || hc || hl) {
            it->metrics.known = true;
            it->metrics.reposts = r;
            it->metrics.comments = c;
            it->metrics.likes = l;
            it->metrics.capped = capped || (disp && strchr(disp, '+'));
        }
    }
    err = region_of(mblog, &it->region);
    if (err) {
        return err;
    }
    if (has_rt) {
        snprintf(buf, sizeof(buf), "weibo:%s", rt_mid);
        it->reply_to = strdup(buf);
        if (!it->reply_to) {
            return ERR_NOMEM;
        }
        if (!rt_deleted && !is_original) {
            return add_mblog(page, cap, rt, false, true, ctx);
        }
    }
    return 0;
}

static bool card_pinned(const json_t *card, const json_t *mblog)
{
    const char *pt = jstr(card, "profile_type_id");
    const json_t *title = json_object_get(mblog, "title");
    const char *tt = json_is_object(title) ? jstr(title, "text") : NULL;
    return (pt && strncmp(pt, "proweibotop", 11) == 0) || truthy(json_object_get(mblog, "isTop")) ||
           (tt && strstr(tt, "置顶"));
}

static int add_cards(struct weibo_page *page, size_t *cap, const json_t *cards,
                     const struct weibo_ctx *ctx, int depth)
{
    size_t i;
    const json_t *card;
    int err = 0;

    json_array_foreach(cards, i, card) {
        const json_t *type = json_object_get(card, "card_type");
        const json_t *mblog = json_object_get(card, "mblog");
        const json_t *group = json_object_get(card, "card_group");
        if (err) {
            break;
        }
        if (json_is_object(mblog) && (!type || (json_is_integer(type) &&
                                                json_integer_value(type) == 9))) {
            err = add_mblog(page, cap, mblog, card_pinned(card, mblog), false, ctx);
        } else if (json_is_array(group) && depth < 2) {
            err = add_cards(page, cap, group, ctx, depth + 1);
        }
    }
    return err;
}

int weibo_parse_page(const char *body, size_t len, const struct weibo_ctx *ctx,
                     struct weibo_page *out, char *errbuf, size_t errlen)
{
    json_error_t jerr;
    json_t *root;
    const json_t *data, *cards, *info, *ok;
    size_t cap = 0;
    int err = 0;

    memset(out, 0, sizeof(*out));
    root = json_loadb(body ? body : "", len, 0, &jerr);
    if (!root) {
        snprintf(errbuf, errlen, "Weibo response is not JSON: %s", jerr.text);
        return ERR_PARSE;
    }
    ok = json_object_get(root, "ok");
    data = json_object_get(root, "data");
    if (!data && json_object_get(root, "cards")) {
        data = root; /* the data object alone (2022 README excerpt) */
    }
    if (json_is_integer(ok) && json_integer_value(ok) == 0) {
        out->empty = true;
        json_decref(root);
        return 0;
    }
    cards = json_is_object(data) ? json_object_get(data, "cards") : NULL;
    if (!json_is_array(cards)) {
        snprintf(errbuf, errlen, "Weibo response has no data.cards");
        json_decref(root);
        return ERR_PARSE;
    }
    info = json_object_get(data, "cardlistInfo");
    if (json_is_object(info)) {
        const json_t *sid = json_object_get(info, "since_id");
        const json_t *pg = json_object_get(info, "page");
        if (json_is_integer(sid) && json_integer_value(sid) > 0) {
            snprintf(out->since_id, sizeof(out->since_id), "%lld",
                     (long long)json_integer_value(sid));
        } else if (json_is_string(sid) && strlen(json_string_value(sid)) < sizeof(out->since_id) &&
                   strspn(json_string_value(sid), "0123456789") ==
                       strlen(json_string_value(sid))) {
            snprintf(out->since_id, sizeof(out->since_id), "%s", json_string_value(sid));
        }
        if (json_is_integer(pg)) {
            out->page = (int64_t)json_integer_value(pg);
        }
    }
    err = add_cards(out, &cap, cards, ctx, 0);
    json_decref(root);
    if (err) {
        snprintf(errbuf, errlen, "Weibo page: %s", yq_strerror(err));
        weibo_page_release(out);
    }
    return err;
}

void weibo_page_release(struct weibo_page *out)
{
    if (!out) {
        return;
    }
    for (size_t i = 0; i < out->n_posts; i++) {
        yq_item_release(&out->posts[i].item);
    }
    free(out->posts);
    memset(out, 0, sizeof(*out));
}

int weibo_apply_long_text(struct weibo_post *post, const char *body, size_t len,
                          size_t max_text_bytes)
{
    json_t *root = json_loadb(body ? body : "", len, 0, NULL);
    const json_t *data = root ? json_object_get(root, "data") : NULL;
    const char *html = json_is_object(data) ? jstr(data, "longTextContent") : NULL;
    char *text = NULL;
    bool capped = post->item.metrics.capped, cut = false;
    int err;

    if (!html || !html[0]) {
        json_decref(root);
        return ERR_PARSE;
    }
    err = weibo_text_from_html(html, max_text_bytes, &text, &cut);
    if (!err && text[0] == '\0') {
        err = ERR_PARSE;
    }
    if (err) {
        free(text);
        json_decref(root);
        return err;
    }
    free(post->item.text);
    post->item.text = text;
    post->item.truncated = false;
    if (cut) {
        post->item.truncated_fields |= YQ_ITEM_F_TEXT;
    } else {
        post->item.truncated_fields &= ~(unsigned)YQ_ITEM_F_TEXT;
    }
    post->needs_long_text = false;
    {
        int64_t v;
        if (count_of(data, "reposts_count", &v, &capped)) {
            post->item.metrics.reposts = v;
            post->item.metrics.known = true;
        }
        if (count_of(data, "comments_count", &v, &capped)) {
            post->item.metrics.comments = v;
            post->item.metrics.known = true;
        }
        if (count_of(data, "attitudes_count", &v, &capped)) {
            post->item.metrics.likes = v;
            post->item.metrics.known = true;
        }
        post->item.metrics.capped = capped;
    }
    json_decref(root);
    return 0;
}
