/* Atom 1.0 and 0.3 (root <feed>). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feed_format.h"
#include "yq_err.h"
#include "yq_banned.h"

#define ATOM_MAX_DEPTH 64

static const char *atom_sniff(const struct feed_doc *doc)
{
    const xmlNode *root = doc->root; /* NULL for JSON: no match */
    if (!fb_local_is(root, "feed")) {
        return NULL;
    }
    if (root->ns && root->ns->href && strcmp((const char *)root->ns->href, FEED_NS_ATOM03) == 0) {
        return "atom03";
    }
    if (root->ns && root->ns->href && strcmp((const char *)root->ns->href, FEED_NS_ATOM10) != 0) {
        return NULL;
    }
    return "atom10";
}

/*
 * The MIME type of an Atom 1.0 content element whose body is base64 (RFC 4287 §4.1.3.3: not
 * "text", "html", "xhtml", not a text/ type and not an XML media type).
 */
static bool base64_type(const char *type)
{
    size_t n;

    if (!type || strcasecmp(type, "text") == 0 || strcasecmp(type, "html") == 0 ||
        strcasecmp(type, "xhtml") == 0 || strncasecmp(type, "text/", 5) == 0 ||
        !strchr(type, '/')) {
        return false;
    }
    n = strlen(type);
    return !(n >= 4 && (strcasecmp(type + n - 4, "+xml") == 0 ||
                        strcasecmp(type + n - 4, "/xml") == 0));
}

/* A MIME type whose text is HTML: text/html, application/xhtml+xml. */
static bool html_type(const char *type)
{
    return type && (strcasecmp(type, "html") == 0 || strcasecmp(type, "text/html") == 0 ||
                    strcasecmp(type, "application/xhtml+xml") == 0);
}

/*
 * An Atom text construct: type "html" (0.3: mode "escaped") is escaped HTML, "xhtml" is
 * inline markup, anything else is text. A body in base64 -- Atom 0.3 mode="base64", or an
 * Atom 1.0 type that is neither text nor XML -- is decoded (fb_base64_text()); when it is
 * not valid base64 or not text, nothing of it is kept and the feed is marked bozo.
 * *html_out (may be NULL) says which.
 */
static char *text_construct(struct feed_builder *b, const xmlNode *n, bool *html_out)
{
    char *type = fb_attr(b, n, "type");
    char *mode = fb_attr(b, n, "mode");
    bool html = false;
    char *s;

    if (type && strcasecmp(type, "xhtml") == 0) {
        s = fb_inner_xml(b, n);
        html = true;
    } else if ((mode && strcasecmp(mode, "base64") == 0) || base64_type(type)) {
        char *raw = fb_text(b, n);
        s = NULL;
        if (raw && fb_base64_text(b, raw, &s) == ERR_PARSE) {
            fb_bozo(b, "base64 content that is not valid base64 text: dropped");
        }
        free(raw);
        html = html_type(type);
    } else {
        s = fb_text(b, n);
        html = html_type(type) || (mode && strcasecmp(mode, "escaped") == 0);
    }
    free(type);
    free(mode);
    if (html_out) {
        *html_out = html;
    }
    return s;
}

static char *plain_construct(struct feed_builder *b, const xmlNode *n)
{
    bool html;
    char *raw = text_construct(b, n, &html);
    char *s = fb_plain(b, raw, html);
    free(raw);
    return s;
}

/*
 * rel="alternate" (or no rel) link, resolved against xml:base and the document URL; a
 * rel="enclosure" link goes to e's enclosures (e may be NULL: the feed's own links).
 */
static void take_link(struct feed_builder *b, const xmlNode *n, char **dst, bool *dst_alt,
                      struct feed_entry *e)
{
    char *rel = fb_attr(b, n, "rel");
    char *href = fb_attr(b, n, "href");
    bool alt = !rel || strcasecmp(rel, "alternate") == 0;

    if (href && e && rel && strcasecmp(rel, "enclosure") == 0) {
        fb_add_enclosure(b, e, fb_resolve(b, n, href));
    } else if (href && alt && !*dst_alt) {
        free(*dst);
        *dst = fb_resolve(b, n, href);
        *dst_alt = true;
    } else if (href && !alt && !*dst && strcasecmp(rel, "self") != 0 &&
               strcasecmp(rel, "enclosure") != 0) {
        *dst = fb_resolve(b, n, href);
    }
    free(rel);
    free(href);
}

/*
 * An Atom person construct as one string, as feedparser writes it: "name (email)", or the
 * name, or the e-mail alone.
 */
static char *person_name(struct feed_builder *b, const xmlNode *n)
{
    char *name = NULL, *email = NULL, *s;

    for (const xmlNode *c = n->children; c; c = c->next) {
        if (fb_is(b, c, "name") || fb_is(b, c, "email")) {
            char *t = fb_text(b, c);
            fb_set(fb_is(b, c, "name") ? &name : &email, fb_plain(b, t, false));
            free(t);
        }
    }
    if (name && email) {
        size_t len = strlen(name) + strlen(email) + 4;
        s = malloc(len);
        if (s) {
            snprintf(s, len, "%s (%s)", name, email);
        } else {
            b->err = ERR_NOMEM;
        }
        free(name);
        free(email);
        return s;
    }
    return name ? name : email;
}

static void parse_entry(struct feed_builder *b, xmlNode *entry, const char *feed_author)
{
    struct feed_entry *e = fb_entry_new(b);
    bool link_alt = false;

    if (!e) {
        return;
    }
    for (xmlNode *c = entry->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (fb_is(b, c, "title")) {
            fb_set(&e->title, plain_construct(b, c));
        } else if (fb_is(b, c, "link")) {
            take_link(b, c, &e->link, &link_alt, e);
        } else if (fb_is(b, c, "id")) {
            fb_set(&e->id, fb_resolve_id(b, c, fb_text(b, c)));
        } else if (fb_is(b, c, "author")) {
            fb_set(&e->author, person_name(b, c));
        } else if (fb_is(b, c, "published") || fb_is(b, c, "issued")) {
            fb_date(b, c, &e->has_published, &e->published, &e->published_precision);
        } else if (fb_is(b, c, "updated") || fb_is(b, c, "modified")) {
            fb_date(b, c, &e->has_updated, &e->updated, &e->updated_precision);
        } else if (fb_is(b, c, "summary")) {
            if (!e->summary) {
                e->summary = text_construct(b, c, &e->summary_html);
                fb_drop_text(c);
            }
        } else if (fb_is(b, c, "content")) {
            if (!e->content) {
                e->content = text_construct(b, c, &e->content_html);
                fb_drop_text(c);
            }
        } else if (fb_is(b, c, "category")) {
            char *term = fb_attr(b, c, "term");
            fb_add_category(b, e, term ? term : fb_text(b, c));
        }
    }
    if (!e->has_published && e->has_updated) {
        /* Atom requires only <updated>: it is the best publication time there is */
        e->has_published = true;
        e->published = e->updated;
        e->published_precision = e->updated_precision;
    }
    if (!e->author && feed_author) {
        e->author = strdup(feed_author);
        if (!e->author) {
            b->err = ERR_NOMEM;
        }
    }
}

static void collect_entries(struct feed_builder *b, xmlNode *n, const char *feed_author,
                            int depth)
{
    for (; n && !b->err; n = n->next) {
        if (fb_is(b, n, "entry")) {
            parse_entry(b, n, feed_author);
        } else if (n->type == XML_ELEMENT_NODE && depth < ATOM_MAX_DEPTH &&
                   !fb_is(b, n, "author") && !fb_is(b, n, "content") && !fb_is(b, n, "summary")) {
            collect_entries(b, n->children, feed_author, depth + 1);
        }
    }
}

static int atom_parse(struct feed_builder *b, const struct feed_doc *doc, const char *format,
                      char *errbuf, size_t errlen)
{
    xmlNode *root = doc->root;
    char *feed_author = NULL;
    bool link_alt = false;

    (void)errbuf; /* nothing to say beyond b->err */
    (void)errlen;
    b->core_ns = strcmp(format, "atom03") == 0 ? FEED_NS_ATOM03 : FEED_NS_ATOM10;
    for (xmlNode *c = root->children; c; c = c->next) {
        if (fb_is(b, c, "title")) {
            fb_set(&b->feed->title, plain_construct(b, c));
        } else if (fb_is(b, c, "link")) {
            take_link(b, c, &b->feed->link, &link_alt, NULL);
        } else if (fb_is(b, c, "author")) {
            fb_set(&feed_author, person_name(b, c));
        } else if (fb_is(b, c, "subtitle") || fb_is(b, c, "tagline")) {
            fb_set(&b->feed->subtitle, plain_construct(b, c));
        } else if (fb_is(b, c, "updated") || fb_is(b, c, "modified")) {
            const char *prec = NULL;
            fb_date(b, c, &b->feed->has_updated, &b->feed->updated, &prec);
        }
    }
    if (feed_author) {
        b->feed->author = fb_dup(b, feed_author);
    }
    collect_entries(b, root->children, feed_author, 0);
    free(feed_author);
    return b->err;
}

const struct feed_format_ops feed_atom_ops = {
    .name = "atom",
    .sniff = atom_sniff,
    .parse = atom_parse,
};
