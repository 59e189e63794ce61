#include "wechat.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "yq_buf.h"
#include "feed_item.h"
#include "feed_sha1.h"
#include "yq_err.h"
#include "yq_banned.h"

#define WECHAT_HOST "mp.weixin.qq.com"
#define PARAM_MAX 200

/* link with "&amp;" / "\x26amp;" decoded once and the fragment dropped (new string). */
static char *unescape_link(const char *link)
{
    size_t n = strlen(link);
    char *o = malloc(n + 1), *w = o;
    const char *p = link;

    if (!o) {
        return NULL;
    }
    while (isspace((unsigned char)*p)) {
        p++;
    }
    while (*p && *p != '#') {
        if (strncmp(p, "&amp;", 5) == 0) {
            *w++ = '&';
            p += 5;
        } else if (strncmp(p, "\\x26amp;", 8) == 0) {
            *w++ = '&';
            p += 8;
        } else if (strncmp(p, "\\x26", 4) == 0) {
            *w++ = '&';
            p += 4;
        } else {
            *w++ = *p++;
        }
    }
    while (w > o && isspace((unsigned char)w[-1])) {
        w--;
    }
    *w = '\0';
    return o;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Query parameter name (or alias) of query into out, URL-decoded; false when absent. */
static bool param(const char *query, const char *name, const char *alias, char *out,
                  size_t outlen)
{
    for (const char *p = query; p && *p;) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t nlen = eq ? (size_t)(eq - p) : len;
        if ((strlen(name) == nlen && strncmp(p, name, nlen) == 0) ||
            (alias && strlen(alias) == nlen && strncmp(p, alias, nlen) == 0)) {
            const char *v = eq ? eq + 1 : p + len;
            size_t o = 0;
            for (const char *c = v; c < p + len && o + 1 < outlen; c++) {
                if (*c == '%' && c + 2 < p + len && hexval(c[1]) >= 0 && hexval(c[2]) >= 0) {
                    out[o++] = (char)(hexval(c[1]) * 16 + hexval(c[2]));
                    c += 2;
                } else {
                    out[o++] = *c;
                }
            }
            out[o] = '\0';
            return o > 0;
        }
        p += len;
        if (*p == '&') {
            p++;
        }
    }
    return false;
}

/* Identifier characters only: a hostile link must not inject ':' or spaces into an id. */
static bool id_safe(const char *s)
{
    for (; *s; s++) {
        if (!isalnum((unsigned char)*s) && !strchr("=+/_-.", *s)) {
            return false;
        }
    }
    return true;
}

/* sha1 of account \n normalised title \n publish minute: the cross-form article key. */
static int article_key(const char *account, const char *title, bool has_published,
                       int64_t published, char *hex)
{
    struct yq_buf b;
    int err = 0;

    yq_buf_init(&b, 64 * 1024);
    if (account) {
        err = yq_buf_adds(&b, account);
    }
    if (!err) {
        err = yq_buf_addc(&b, '\n');
    }
    for (const char *t = title ? title : ""; *t && !err; t++) {
        unsigned char c = (unsigned char)*t;
        if (isspace(c)) {
            continue;
        }
        err = yq_buf_addc(&b, (char)tolower(c));
    }
    if (!err && has_published) {
        err = yq_buf_addf(&b, "\n%lld", (long long)(published / 60));
    }
    if (!err && !feed_sha1_hex(b.data ? b.data : "", b.len, hex)) {
        err = ERR_NOMEM;
    }
    yq_buf_release(&b);
    return err == ERR_TOO_BIG ? ERR_INVALID : err;
}

int wechat_ref_from(const char *link, const char *account, const char *title,
                    bool has_published, int64_t published, struct wechat_ref *out)
{
    char *u = NULL, biz[PARAM_MAX], mid[PARAM_MAX], idx[PARAM_MAX], sn[PARAM_MAX] = "";
    char key[FEED_SHA1_HEX_LEN];
    const char *path = NULL, *query = NULL;
    bool is_wx = false;
    int err;

    memset(out, 0, sizeof(*out));
    if ((!link || !link[0]) && (!title || !title[0])) {
        return ERR_INVALID;
    }
    err = article_key(account, title, has_published, published, key);
    if (err) {
        return err;
    }
    snprintf(out->alias, sizeof(out->alias), "wxk:%s", key);
    if (link && link[0]) {
        u = unescape_link(link);
        if (!u) {
            return ERR_NOMEM;
        }
        const char *h = strstr(u, "://");
        if (h) {
            h += 3;
            is_wx = strncasecmp(h, WECHAT_HOST, strlen(WECHAT_HOST)) == 0 &&
                    (h[strlen(WECHAT_HOST)] == '/' || h[strlen(WECHAT_HOST)] == '\0');
            path = h + strcspn(h, "/");
            query = strchr(path, '?');
            query = query ? query + 1 : NULL;
        }
    }
    if (is_wx && query && param(query, "__biz", NULL, biz, sizeof(biz)) &&
        param(query, "mid", "appmsgid", mid, sizeof(mid)) &&
        param(query, "idx", "itemidx", idx, sizeof(idx)) && id_safe(biz) && id_safe(mid) &&
        id_safe(idx)) {
        bool has_sn = param(query, "sn", "sign", sn, sizeof(sn)) && id_safe(sn);
        size_t ulen = strlen(biz) + strlen(mid) + strlen(idx) + strlen(sn) + 80;
        if (strlen(biz) + strlen(mid) + strlen(idx) + 6 < sizeof(out->id)) {
            int w = snprintf(out->id, sizeof(out->id), "wx:%s:%s:%s", biz, mid, idx);
            out->url = w > 0 ? malloc(ulen) : NULL;
            if (out->url) {
                snprintf(out->url, ulen, "https://" WECHAT_HOST "/s?__biz=%s&mid=%s&idx=%s%s%s",
                         biz, mid, idx, has_sn ? "&sn=" : "", has_sn ? sn : "");
            }
        }
    } else if (is_wx && query && param(query, "sn", "sign", sn, sizeof(sn)) && id_safe(sn) &&
               !param(query, "signature", NULL, mid, sizeof(mid))) {
        snprintf(out->id, sizeof(out->id), "wx:sn:%s", sn);
        err = feed_url_normalize(u, &out->url);
    } else if (is_wx && path && strncmp(path, "/s/", 3) == 0 && path[3] &&
               strcspn(path + 3, "/?") > 0) {
        size_t n = strcspn(path + 3, "/?");
        char token[PARAM_MAX];
        if (n >= sizeof(token)) {
            n = sizeof(token) - 1;
        }
        memcpy(token, path + 3, n);
        token[n] = '\0';
        if (id_safe(token)) {
            snprintf(out->id, sizeof(out->id), "wxs:%s", token);
            out->url = malloc(n + 40);
            if (out->url) {
                snprintf(out->url, n + 40, "https://" WECHAT_HOST "/s/%s", token);
            }
        }
    }
    if (!out->id[0]) {
        if (!title || !title[0]) {
            free(u);
            return ERR_INVALID; /* a temporary link alone identifies nothing */
        }
        snprintf(out->id, sizeof(out->id), "wx:h:%s", key);
        if (!out->url && u) {
            out->url = strdup(u); /* a temporary link: the only URL there is, kept whole */
        }
    }
    if (!out->url && u && !err) {
        err = feed_url_normalize(u, &out->url);
    }
    free(u);
    if (err || (link && link[0] && !out->url)) {
        free(out->url);
        out->url = NULL;
        return err ? err : ERR_NOMEM;
    }
    return 0;
}

const char *wechat_account(const struct feed *f, const char *channel_name)
{
    return channel_name && channel_name[0] ? channel_name : f->title;
}

int wechat_item_from_entry(const struct feed *f, const struct feed_entry *e,
                           const char *source_id, const char *channel_name, int64_t fetched_at,
                           size_t max_text_bytes, struct yq_item *item, char *alias_out)
{
    struct wechat_ref ref;
    int err;

    err = feed_item_from_entry(f, e, source_id, channel_name, fetched_at, max_text_bytes, item);
    if (err) {
        return err;
    }
    err = wechat_ref_from(e->link, item->channel, e->title, e->has_published, e->published,
                          &ref);
    if (err) {
        yq_item_release(item);
        return err;
    }
    free(item->id);
    free(item->source);
    item->id = strdup(ref.id);
    item->source = strdup("wechat");
    if (ref.url) {
        free(item->url);
        item->url = ref.url;
    }
    if (!item->id || !item->source) {
        yq_item_release(item);
        return ERR_NOMEM;
    }
    if (alias_out) {
        snprintf(alias_out, WECHAT_ID_MAX, "%s", ref.alias);
    }
    return 0;
}
