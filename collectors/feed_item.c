#include "feed_item.h"

#include <ctype.h>
#include <curl/curl.h>
#include <curl/mprintf.h>
#include <idn2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "yq_buf.h"
#include "feed_date.h"
#include "feed_sha1.h"
#include "feed_text.h"
#include "yq_err.h"
#include "yq_text.h"
#include "yq_time.h"
#include "yq_banned.h"

#define WECHAT_SUFFIX " | wechat-feeds"

/*
 * Click and campaign trackers added to links by share buttons and ad platforms: they never
 * name another article, and kept they make one article several ids. Not "from" (news sites
 * use it for content: FC-013 keeps from=rss).
 */
static const char *const tracking_params[] = {"spm",    "fbclid",  "gclid",  "dclid",
                                              "yclid",  "msclkid", "mc_cid", "mc_eid",
                                              "_hsenc", "_hsmi",   "igshid", NULL};

static bool keep_param(const char *host, const char *param, size_t len)
{
    static const char *const wechat_keep[] = {"__biz", "mid", "idx", "sn", NULL};
    const char *eq = memchr(param, '=', len);
    size_t name_len = eq ? (size_t)(eq - param) : len;

    if (name_len >= 4 && strncasecmp(param, "utm_", 4) == 0) {
        return false;
    }
    for (int i = 0; tracking_params[i]; i++) {
        if (strlen(tracking_params[i]) == name_len &&
            strncmp(param, tracking_params[i], name_len) == 0) {
            return false;
        }
    }
    if (host && strcasecmp(host, "mp.weixin.qq.com") == 0) {
        for (int i = 0; wechat_keep[i]; i++) {
            if (strlen(wechat_keep[i]) == name_len &&
                strncmp(param, wechat_keep[i], name_len) == 0) {
                return true;
            }
        }
        return false;
    }
    return true;
}

static char *dup_trimmed(const char *s)
{
    size_t n;
    while (isspace((unsigned char)*s)) {
        s++;
    }
    n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) {
        n--;
    }
    return strndup(s, n);
}

/*
 * An IDN host in its ASCII (punycode) form, with libidn2 (IDNA 2008, UTS #46 mapping):
 * http://新华网.中国/ and http://xn--xkrr14bows.xn--fiqs8s/ are one site, so they get one
 * canonical URL and one id. *host (curl_free()) is replaced when it had non-ASCII bytes.
 * Returns false when it cannot be converted (no valid IDN: the URL is kept as given).
 */
static bool ascii_host(char **host)
{
    char *ace = NULL, *copy;

    for (const char *c = *host; *c; c++) {
        if ((unsigned char)*c >= 0x80) {
            if (idn2_to_ascii_8z(*host, &ace, IDN2_NONTRANSITIONAL) != IDN2_OK) {
                return false;
            }
            copy = curl_maprintf("%s", ace); /* *host is curl's: freed with curl_free() */
            idn2_free(ace);
            if (!copy) {
                return false;
            }
            curl_free(*host);
            *host = copy;
            return true;
        }
    }
    return true;
}

/*
 * url with the bytes of its path, query and fragment that a URL never holds raw percent-encoded
 * in upper-case hex (new string in *out): bytes >= 0x80 (a Chinese path or query written raw),
 * white space and controls. Everything else is copied as written, escapes in their own case,
 * so a plain-ASCII link reaches curl exactly as before this step existed and keeps its
 * canonical form and id, and "/新闻/1.html" becomes "/%E6%96%B0%E9%97%BB/1.html", one URL with
 * the link written that way. The scheme and authority are copied as they are (an IDN host goes
 * to punycode apart). Returns 0 or ERR_NOMEM.
 */
static int percent_encode_rest(const char *url, char **out)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *p = strstr(url, "://");
    struct yq_buf b;
    size_t n;
    int err;

    *out = NULL;
    p = p ? p + 3 : url;
    p += strcspn(p, "/?#");
    yq_buf_init(&b, SIZE_MAX / 2);
    err = yq_buf_add(&b, url, (size_t)(p - url));
    for (; *p && !err; p++) {
        unsigned char c = (unsigned char)*p;
        if (c >= 0x80 || c <= 0x20 || c == 0x7F) {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            err = yq_buf_add(&b, esc, 3);
        } else {
            err = yq_buf_addc(&b, (char)c);
        }
    }
    if (!err) {
        *out = yq_buf_steal(&b, &n);
        err = *out ? 0 : ERR_NOMEM;
    }
    yq_buf_release(&b);
    return err;
}

int feed_url_normalize(const char *url, char **out)
{
    CURLU *h = NULL;
    char *trim = dup_trimmed(url), *host = NULL, *query = NULL, *full = NULL, *encoded = NULL;
    struct yq_buf q;
    int err = 0;

    *out = NULL;
    yq_buf_init(&q, 64 * 1024);
    if (!trim) {
        return ERR_NOMEM;
    }
    if (strncasecmp(trim, "http://", 7) != 0 && strncasecmp(trim, "https://", 8) != 0) {
        goto keep;
    }
    h = curl_url();
    if (!h) {
        err = ERR_NOMEM;
        goto done;
    }
    err = percent_encode_rest(trim, &encoded);
    if (err) {
        goto done;
    }
    if (curl_url_set(h, CURLUPART_URL, encoded, 0) != CURLUE_OK ||
        curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
        goto keep;
    }
    for (char *c = host; *c; c++) {
        *c = (char)tolower((unsigned char)*c);
    }
    if (!ascii_host(&host)) {
        goto keep;
    }
    if (curl_url_set(h, CURLUPART_HOST, host, 0) != CURLUE_OK ||
        curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0) != CURLUE_OK) {
        goto keep;
    }
    if (curl_url_get(h, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query) {
        const char *p = query;
        while (*p && !err) {
            size_t len = strcspn(p, "&");
            if (len > 0 && keep_param(host, p, len)) {
                if (q.len) {
                    err = yq_buf_addc(&q, '&');
                }
                if (!err) {
                    err = yq_buf_add(&q, p, len);
                }
            }
            p += len;
            if (*p == '&') {
                p++;
            }
        }
        if (err) {
            goto keep; /* absurd query: keep the URL as given */
        }
        if (curl_url_set(h, CURLUPART_QUERY, q.len ? q.data : NULL, 0) != CURLUE_OK) {
            goto keep;
        }
    }
    if (curl_url_get(h, CURLUPART_URL, &full, CURLU_NO_DEFAULT_PORT) != CURLUE_OK) {
        goto keep;
    }
    /* escapes as curl writes them (a query's in lower case): the ids in seen-sets, tickets and
       the archive were computed from this form */
    *out = strdup(full);
    err = *out ? 0 : ERR_NOMEM;
    goto done;
keep:
    err = 0;
    *out = trim;
    trim = NULL;
done:
    free(encoded);
    curl_free(full);
    curl_free(query);
    curl_free(host);
    curl_url_cleanup(h);
    yq_buf_release(&q);
    free(trim);
    return err;
}

static int sha1_id(const char *data, size_t len, char *out, size_t outlen)
{
    if (outlen < FEED_ITEM_ID_LEN) {
        return ERR_INVALID;
    }
    memcpy(out, "rss:", 4);
    return feed_sha1_hex(data, len, out + 4) ? 0 : ERR_NOMEM;
}

/* SHA-1 id of "<guid>\n<normalised link>\n<title>" (FEED_ID_LINK_TITLE, see feed_parse.h). */
static int link_title_id(const struct feed_entry *e, char *out, size_t outlen)
{
    char *link = NULL, *basis;
    size_t n;
    int err = 0;

    if (e->link && e->link[0]) {
        err = feed_url_normalize(e->link, &link);
        if (err) {
            return err;
        }
    }
    n = strlen(e->id) + (link ? strlen(link) : 0) + (e->title ? strlen(e->title) : 0) + 3;
    basis = malloc(n);
    if (!basis) {
        free(link);
        return ERR_NOMEM;
    }
    snprintf(basis, n, "%s\n%s\n%s", e->id, link ? link : "", e->title ? e->title : "");
    err = sha1_id(basis, strlen(basis), out, outlen);
    free(basis);
    free(link);
    return err;
}

bool feed_guid_is_global(const char *guid)
{
    const char *c = guid;
    size_t hex = 0, dashes = 0;

    if (strncasecmp(guid, "urn:", 4) == 0 || strncasecmp(guid, "tag:", 4) == 0) {
        return true;
    }
    /* scheme "://": a letter, then letters, digits, "+", "-", "." (RFC 3986) */
    if (isalpha((unsigned char)*c)) {
        while (isalnum((unsigned char)*c) || *c == '+' || *c == '-' || *c == '.') {
            c++;
        }
        if (strncmp(c, "://", 3) == 0 && c[3] != '\0') {
            return true;
        }
    }
    /* a bare UUID, 8-4-4-4-12 hex digits */
    for (c = guid; *c; c++) {
        if (isxdigit((unsigned char)*c)) {
            hex++;
        } else if (*c == '-' && (c - guid == 8 || c - guid == 13 || c - guid == 18 ||
                                 c - guid == 23)) {
            dashes++;
        } else {
            return false;
        }
    }
    return hex == 32 && dashes == 4 && c - guid == 36;
}

/*
 * "scheme://host[:port]" of link, lower case, into out (outlen bytes); "" when link is not an
 * absolute URL with a host. Returns 0 or ERR_NOMEM.
 */
static int link_origin(const char *link, char *out, size_t outlen)
{
    CURLU *h = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL;
    int err = 0;

    out[0] = '\0';
    if (!h) {
        return ERR_NOMEM;
    }
    if (curl_url_set(h, CURLUPART_URL, link, 0) == CURLUE_OK &&
        curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK && host[0]) {
        curl_url_get(h, CURLUPART_PORT, &port, 0); /* none: the scheme's default */
        snprintf(out, outlen, "%s://%s%s%s", scheme, host, port ? ":" : "", port ? port : "");
        for (char *c = out; *c; c++) {
            *c = (char)tolower((unsigned char)*c);
        }
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(h);
    return err;
}

/*
 * The id of a guid used alone (FEED_ID_GUID): sha1(guid) when it is globally unique by form
 * (feed_guid_is_global()), the ids of existing deployments; otherwise (short numbers, words)
 * sha1(guid + "\n" + origin of the entry's link), so two sites' "a1" are two items (issue
 * #10). Without a link there is nothing to scope by: sha1(guid).
 */
static int guid_id(const struct feed_entry *e, char *out, size_t outlen)
{
    char origin[512], *basis;
    size_t n;
    int err;

    if (feed_guid_is_global(e->id) || !e->link || !e->link[0]) {
        return sha1_id(e->id, strlen(e->id), out, outlen);
    }
    err = link_origin(e->link, origin, sizeof(origin));
    if (err) {
        return err;
    }
    if (!origin[0]) {
        return sha1_id(e->id, strlen(e->id), out, outlen);
    }
    n = strlen(e->id) + strlen(origin) + 2;
    basis = malloc(n);
    if (!basis) {
        return ERR_NOMEM;
    }
    snprintf(basis, n, "%s\n%s", e->id, origin);
    err = sha1_id(basis, strlen(basis), out, outlen);
    free(basis);
    return err;
}

/* Plain text of a summary/content field, NULL when it is empty; *cut when it was shortened. */
static int plain(const char *s, bool html, size_t max_bytes, char **out, bool *cut)
{
    int err;
    *out = NULL;
    if (!s) {
        return 0;
    }
    err = html ? feed_text_from_html_cut(s, strlen(s), max_bytes, out, cut)
               : feed_text_clean_cut(s, max_bytes, out, cut);
    if (!err && (*out)[0] == '\0') {
        free(*out);
        *out = NULL;
    }
    return err;
}

/*
 * The item text of e: the plain text of its content, else of its summary (NULL when both are
 * empty), cut to max_bytes (*cut set when it was). out: new string or NULL. Returns 0 or
 * ERR_NOMEM.
 */
static int entry_text(const struct feed_entry *e, size_t max_bytes, char **out, bool *cut)
{
    int err = plain(e->content, e->content_html, max_bytes, out, cut);

    if (!err && !*out) {
        *cut = false;
        err = plain(e->summary, e->summary_html, max_bytes, out, cut);
    }
    return err;
}

/*
 * *s (new or NULL) replaced by its folded form (yq_text_fold()), NULL when that is empty.
 * Returns 0 or ERR_NOMEM (*s is then freed and NULL).
 */
static int fold_part(char **s)
{
    char *folded = NULL;
    int err = 0;

    if (*s) {
        err = yq_text_fold(*s, &folded);
        free(*s);
        *s = NULL;
    }
    if (folded && folded[0]) {
        *s = folded;
    } else {
        free(folded);
    }
    return err;
}

/*
 * The basis of an entry with neither guid nor link: its title + "\n" + its item text as the
 * item carries them (entities decoded, whitespace collapsed), each folded by yq_text_fold()
 * (NFKC, invisible characters dropped, every run of white space one space, none at the ends),
 * so a site re-rendering the entry with U+3000, NBSP, tabs, line breaks or zero-width spaces
 * does not make it a new item; the item keeps its text as it came. Only when both are empty,
 * the RFC 3339 publication time: CMS feeds stamp pubDate with the time of the request, so a
 * date in the basis made such entries new at every poll.
 */
static int content_basis(const struct feed_entry *e, char **out)
{
    char *title = NULL, *text = NULL;
    bool cut = false;
    size_t n;
    int err = 0;

    *out = NULL;
    if (e->title) {
        err = plain(e->title, false, YQ_ITEM_MAX_TEXT_BYTES, &title, &cut);
    }
    if (!err) {
        err = entry_text(e, YQ_ITEM_MAX_TEXT_BYTES, &text, &cut);
    }
    if (!err) {
        err = fold_part(&title);
    }
    if (!err) {
        err = fold_part(&text);
    }
    if (!err && (title || text)) {
        n = (title ? strlen(title) : 0) + (text ? strlen(text) : 0) + 2;
        *out = malloc(n);
        if (*out) {
            snprintf(*out, n, "%s\n%s", title ? title : "", text ? text : "");
        }
    } else if (!err && e->has_published) {
        char ts[32];
        *out = strdup(yq_time_format_utc(e->published, ts, sizeof(ts)));
    } else if (!err) {
        err = ERR_INVALID;
    }
    if (!err && !*out) {
        err = ERR_NOMEM;
    }
    free(title);
    free(text);
    return err;
}

int feed_item_id(const struct feed_entry *e, char *out, size_t outlen)
{
    char *basis = NULL;
    int err;

    if (e->id && e->id[0] && e->id_rule == FEED_ID_GUID) {
        return guid_id(e, out, outlen);
    }
    if (e->id && e->id[0] && e->id_rule == FEED_ID_LINK_TITLE) {
        return link_title_id(e, out, outlen);
    }
    if (e->link && e->link[0]) {
        err = feed_url_normalize(e->link, &basis);
    } else {
        err = content_basis(e, &basis);
    }
    if (!err) {
        err = sha1_id(basis, strlen(basis), out, outlen);
    }
    free(basis);
    return err;
}

static int dup_field(char **dst, const char *src)
{
    if (!src) {
        return 0;
    }
    *dst = strdup(src);
    return *dst ? 0 : ERR_NOMEM;
}

int feed_item_from_entry(const struct feed *f, const struct feed_entry *e, const char *source_id,
                         const char *channel_name, int64_t fetched_at, size_t max_text_bytes,
                         struct yq_item *item)
{
    char id[FEED_ITEM_ID_LEN];
    bool cut = false;
    int err;

    memset(item, 0, sizeof(*item));
    if (max_text_bytes == 0 || max_text_bytes > YQ_ITEM_MAX_TEXT_BYTES) {
        max_text_bytes = YQ_ITEM_MAX_TEXT_BYTES;
    }
    err = feed_item_id(e, id, sizeof(id));
    if (err) {
        return err;
    }
    err = dup_field(&item->id, id);
    if (!err) {
        err = dup_field(&item->source, "rss");
    }
    if (!err) {
        err = dup_field(&item->source_id, source_id);
    }
    if (!err && channel_name && channel_name[0]) {
        err = dup_field(&item->channel, channel_name);
    } else if (!err && f->title) {
        size_t n = strlen(f->title), sl = strlen(WECHAT_SUFFIX);
        if (n > sl && strcmp(f->title + n - sl, WECHAT_SUFFIX) == 0) {
            n -= sl;
        }
        item->channel = strndup(f->title, n);
        err = item->channel ? 0 : ERR_NOMEM;
    }
    if (!err && e->link) {
        err = feed_url_normalize(e->link, &item->url);
    }
    if (!err) {
        err = dup_field(&item->title, e->title);
    }
    if (!err) {
        err = entry_text(e, max_text_bytes, &item->text, &cut);
    }
    if (!err) {
        err = dup_field(&item->author, e->author);
    }
    if (err) {
        yq_item_release(item);
        return err;
    }
    item->has_published = e->has_published;
    item->published_at = e->published;
    item->precision = e->has_published ? feed_date_item_precision(e->published_precision) : NULL;
    item->fetched_at = fetched_at;
    item->fetched_at_ms = yq_time_stamp_ms(fetched_at); /* issue #16 */
    item->future_timestamp = yq_item_is_future(item);
    if (cut || (e->text_cut && item->text)) {
        item->truncated_fields |= YQ_ITEM_F_TEXT; /* cut here, or already by the parser */
    }
    return yq_item_bound(item);
}
