/*
 * JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/), read with jansson from the
 * UTF-8 text feed_prep made (a GBK-encoded JSON feed is transcoded first). 1.0 numeric ids
 * are coerced to strings; 1.1 authors[] and 1.0 author{} are both read.
 */
#include <jansson.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feed_date.h"
#include "feed_format.h"
#include "yq_err.h"
#include "yq_banned.h"

#define JSONFEED_VERSION_PREFIX "https://jsonfeed.org/version/"
#define JSONFEED_VERSION_PREFIX_HTTP "http://jsonfeed.org/version/"

static const char *str(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static char *dup_nonempty(struct feed_builder *b, const char *s)
{
    return s && s[0] ? fb_dup(b, s) : NULL;
}

/* id: a string, or (1.0) a number written without loss. */
static char *id_of(struct feed_builder *b, const json_t *v)
{
    char buf[64];
    if (json_is_string(v)) {
        return dup_nonempty(b, json_string_value(v));
    }
    if (json_is_integer(v)) {
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return dup_nonempty(b, buf);
    }
    if (json_is_real(v)) {
        snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
        return dup_nonempty(b, buf);
    }
    return NULL;
}

static char *author_of(struct feed_builder *b, const json_t *obj)
{
    const json_t *authors = json_object_get(obj, "authors");
    const json_t *a = json_object_get(obj, "author");
    char *s = NULL;

    if (json_is_array(authors) && json_array_size(authors) > 0) {
        a = json_array_get(authors, 0);
    }
    if (json_is_object(a)) {
        s = fb_plain(b, str(a, "name"), false);
    }
    return s;
}

/*
 * A JSON Feed date: an RFC 3339 string (or any form feed_date_parse_at() reads), or -- as
 * bridges write it, against the spec -- a JSON number of Unix seconds, or milliseconds when
 * it is 1e11 or more (after 5138 as seconds: no feed date is); a fractional number
 * (1733300000.5, as Python's time.time() writes) is floored to its second, and one of 1e15 or
 * more (past any int64 conversion worth making) is no date.
 */
static void take_date(struct feed_builder *b, const json_t *v, bool *has, int64_t *t,
                      const char **precision)
{
    int64_t when;
    const char *p = NULL;

    if (json_is_string(v) && feed_date_parse_at(json_string_value(v), b->now, &when, &p) == 0) {
        *has = true;
        *t = when;
        *precision = p;
    } else if (json_is_number(v)) {
        int64_t n = 0;
        if (json_is_integer(v)) {
            n = json_integer_value(v);
            n = n >= 100000000000LL ? n / 1000 : n;
        } else if (json_real_value(v) > 0 && json_real_value(v) < 1e15) {
            double d = json_real_value(v);
            n = (int64_t)(d >= 1e11 ? d / 1000 : d); /* positive: truncation is the floor */
        }
        if (n >= FEED_DATE_MIN_S) { /* 0, negative and small numbers: placeholders */
            *has = true;
            *t = n;
            *precision = "second";
        }
    }
}

/*
 * href resolved against the feed's own URL (Content-Location, else the URL it was fetched
 * from: RFC 3986 §5.1, a JSON document has no base of its own), else -- no URL known, as
 * with `yuqing-collector parse FILE` -- against home_page_url (b->channel_link).
 */
static char *resolve(struct feed_builder *b, const char *href)
{
    return fb_resolve(b, NULL, href);
}

/* attachments[].url of item it as enclosures (at most FEED_MAX_ENCLOSURES). */
static void take_attachments(struct feed_builder *b, const json_t *it, struct feed_entry *e)
{
    const json_t *atts = json_object_get(it, "attachments"), *a;
    size_t i;

    if (!json_is_array(atts)) {
        return;
    }
    json_array_foreach(atts, i, a) {
        const char *url = json_is_object(a) ? str(a, "url") : NULL;
        if (url && url[0]) {
            fb_add_enclosure(b, e, resolve(b, url));
        }
    }
}

static void parse_item(struct feed_builder *b, const json_t *it, const char *feed_author)
{
    struct feed_entry *e;
    const char *url, *html, *text, *summary;
    const json_t *tags;
    size_t i;
    const json_t *tag;

    if (!json_is_object(it)) {
        return;
    }
    e = fb_entry_new(b);
    if (!e) {
        return;
    }
    e->id = id_of(b, json_object_get(it, "id"));
    e->title = fb_title(b, str(it, "title"));
    url = str(it, "url");
    if (!url || !url[0]) {
        url = str(it, "external_url");
    }
    e->link = url && url[0] ? resolve(b, url) : NULL;
    e->author = author_of(b, it);
    if (!e->author && feed_author) {
        e->author = dup_nonempty(b, feed_author);
    }
    take_date(b, json_object_get(it, "date_published"), &e->has_published, &e->published,
              &e->published_precision);
    take_date(b, json_object_get(it, "date_modified"), &e->has_updated, &e->updated,
              &e->updated_precision);
    html = str(it, "content_html");
    text = str(it, "content_text");
    summary = str(it, "summary");
    if (html && html[0]) {
        e->content = dup_nonempty(b, html);
        e->content_html = true;
    } else if (text && text[0]) {
        e->content = dup_nonempty(b, text);
        e->content_html = false;
    }
    e->summary = dup_nonempty(b, summary);
    e->summary_html = false;
    take_attachments(b, it, e);
    tags = json_object_get(it, "tags");
    if (json_is_array(tags)) {
        json_array_foreach(tags, i, tag) {
            if (json_is_string(tag)) {
                fb_add_category(b, e, dup_nonempty(b, json_string_value(tag)));
            }
        }
    }
}

/* feed_prep made the text of a document starting with '{' (looks_json): JSON, not XML. */
static const char *json_sniff(const struct feed_doc *doc)
{
    return doc->text && doc->len > 0 && doc->text[0] == '{' ? "json" : NULL;
}

static int json_parse(struct feed_builder *b, const struct feed_doc *doc, const char *format,
                      char *errbuf, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(doc->text, doc->len, 0, &jerr);
    const json_t *items, *it;
    const char *version;
    char *feed_author = NULL;
    size_t i;
    int err = 0;

    (void)format;
    if (!root) {
        snprintf(errbuf, errlen, "JSON is not well-formed: %s at line %d", jerr.text, jerr.line);
        return ERR_PARSE;
    }
    version = str(root, "version");
    items = json_object_get(root, "items");
    if (!json_is_object(root) || !version ||
        (strncmp(version, JSONFEED_VERSION_PREFIX, strlen(JSONFEED_VERSION_PREFIX)) != 0 &&
         strncmp(version, JSONFEED_VERSION_PREFIX_HTTP, strlen(JSONFEED_VERSION_PREFIX_HTTP)) !=
             0)) {
        snprintf(errbuf, errlen, FEED_NOT_A_FEED ": JSON document is not a JSON Feed");
        json_decref(root);
        return ERR_NOT_A_FEED;
    }
    b->feed->title = fb_title(b, str(root, "title"));
    {
        const char *home = str(root, "home_page_url");
        b->feed->link = home && home[0] ? resolve(b, home) : NULL;
        /* without the feed's URL, the home page is the base for relative item URLs */
        if (!b->base_url && b->feed->link &&
            (strncasecmp(b->feed->link, "http://", 7) == 0 ||
             strncasecmp(b->feed->link, "https://", 8) == 0)) {
            b->channel_link = dup_nonempty(b, b->feed->link);
        }
    }
    b->feed->subtitle = fb_plain(b, str(root, "description"), false);
    feed_author = author_of(b, root);
    if (feed_author) {
        b->feed->author = fb_dup(b, feed_author);
    }
    if (json_is_array(items)) {
        json_array_foreach(items, i, it) {
            if (b->err) {
                break;
            }
            parse_item(b, it, feed_author);
        }
    } else {
        b->feed->bozo = true;
        if (!b->feed->bozo_message) {
            b->feed->bozo_message = dup_nonempty(b, "JSON Feed without an items array");
        }
    }
    err = b->err;
    free(feed_author);
    json_decref(root);
    return err;
}

const struct feed_format_ops feed_json_ops = {
    .name = "json",
    .sniff = json_sniff,
    .parse = json_parse,
};
