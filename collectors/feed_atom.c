/* Atom 1.0 and 0.3 (root <feed>). */
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
 * An Atom text construct: type "html" (0.3: mode "escaped") is escaped HTML, "xhtml" is
 * inline markup, anything else is text. *html_out (may be NULL) says which.
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
    } else {
        s = fb_text(b, n);
        html = (type && (strcasecmp(type, "html") == 0 || strcasecmp(type, "text/html") == 0)) ||
               (mode && strcasecmp(mode, "escaped") == 0);
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

/* rel="alternate" (or no rel) link, resolved against xml:base and the document URL. */
static void take_link(struct feed_builder *b, const xmlNode *n, char **dst, bool *dst_alt)
{
    char *rel = fb_attr(b, n, "rel");
    char *href = fb_attr(b, n, "href");
    bool alt = !rel || strcasecmp(rel, "alternate") == 0;

    if (href && alt && !*dst_alt) {
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

static char *person_name(struct feed_builder *b, const xmlNode *n)
{
    for (const xmlNode *c = n->children; c; c = c->next) {
        if (fb_is(b, c, "name")) {
            char *t = fb_text(b, c);
            char *s = fb_plain(b, t, false);
            free(t);
            return s;
        }
    }
    return NULL;
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
            take_link(b, c, &e->link, &link_alt);
        } else if (fb_is(b, c, "id")) {
            fb_set(&e->id, fb_text(b, c));
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
            take_link(b, c, &b->feed->link, &link_alt);
        } else if (fb_is(b, c, "author")) {
            fb_set(&feed_author, person_name(b, c));
        }
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
