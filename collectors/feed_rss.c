/* RSS 0.9x / 2.0 (root <rss>) and RSS 1.0 / 0.90 (root <rdf:RDF>). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feed_format.h"
#include "yq_err.h"
#include "yq_banned.h"

#define RSS_MAX_DEPTH 64

/*
 * The RSS 2.0 namespaces some feeds put their elements in (UserLand's and Harvard's; RSS 2.0
 * itself has none): the elements are then matched in it, under any prefix.
 */
static const char *rss_namespace(const xmlNode *root)
{
    static const char *const known[] = {"http://backend.userland.com/rss2",
                                        "http://blogs.law.harvard.edu/tech/rss", NULL};

    for (int i = 0; root->ns && root->ns->href && known[i]; i++) {
        if (strcmp((const char *)root->ns->href, known[i]) == 0) {
            return known[i];
        }
    }
    return NULL;
}

static const char *rss_sniff(const struct feed_doc *doc)
{
    const xmlNode *root = doc->root; /* NULL for JSON: no match */
    static const struct {
        const char *version;
        const char *format;
    } versions[] = {
        {"2.0", "rss20"},  {"2.01", "rss20"},  {"0.91", "rss091"}, {"0.92", "rss092"},
        {"0.93", "rss093"}, {"0.94", "rss094"}, {NULL, NULL},
    };
    xmlChar *v;
    const char *format = "rss";

    if (!fb_local_is(root, "rss") || (root->ns && !rss_namespace(root))) {
        return NULL;
    }
    v = xmlGetProp(root, (const xmlChar *)"version");
    for (int i = 0; v && versions[i].version; i++) {
        if (strcmp((const char *)v, versions[i].version) == 0) {
            format = versions[i].format;
        }
    }
    xmlFree(v);
    return format;
}

static const xmlNode *find_ns(const xmlNode *n, const char *ns, int depth)
{
    for (; n && depth < RSS_MAX_DEPTH; n = n->next) {
        if (n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
            strcmp((const char *)n->ns->href, ns) == 0) {
            return n;
        }
    }
    return NULL;
}

static const char *rdf_sniff(const struct feed_doc *doc)
{
    const xmlNode *root = doc->root; /* NULL for JSON: no match */
    if (!fb_local_is(root, "RDF")) {
        return NULL;
    }
    if (find_ns(root->children, FEED_NS_RSS10, 0)) {
        return "rss10";
    }
    if (find_ns(root->children, FEED_NS_RSS090, 0)) {
        return "rss090";
    }
    return "rss10";
}

/*
 * Fields of one <item> from its direct children. Dublin Core elements (matched by namespace
 * URI, whatever the prefix) stand in for the core ones when these are absent: dc:title for
 * title, dc:description for description, dc:date for pubDate; dc:creator is an author and
 * dc:subject a category.
 */
static void parse_item(struct feed_builder *b, xmlNode *item)
{
    struct feed_entry *e = fb_entry_new(b);
    char *raw_title = NULL, *dc_title = NULL, *link = NULL, *guid = NULL, *dc_desc = NULL;
    bool guid_permalink = true, has_dc_date = false;
    int64_t dc_date = 0;
    const char *dc_date_precision = NULL;
    xmlNode *link_node = NULL;

    if (!e) {
        return;
    }
    for (xmlNode *c = item->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (fb_is(b, c, "title")) {
            fb_set(&raw_title, fb_text(b, c));
        } else if (fb_is_ns(c, FEED_NS_DC, "dc", "title")) {
            fb_set(&dc_title, fb_text(b, c));
        } else if (fb_is(b, c, "link")) {
            if (!link) {
                link_node = c;
            }
            fb_set(&link, fb_text(b, c));
        } else if (fb_is(b, c, "guid")) {
            char *pl = fb_attr(b, c, "isPermaLink");
            if (!guid) {
                guid_permalink = !pl || strcasecmp(pl, "false") != 0;
            }
            free(pl);
            fb_set(&guid, fb_text(b, c));
        } else if (fb_is(b, c, "author") || fb_is_ns(c, FEED_NS_DC, "dc", "creator")) {
            char *t = fb_text(b, c);
            fb_set(&e->author, fb_plain(b, t, false));
            free(t);
        } else if (fb_is(b, c, "pubDate")) {
            fb_date(b, c, &e->has_published, &e->published, &e->published_precision);
        } else if (fb_is_ns(c, FEED_NS_DC, "dc", "date")) {
            if (!has_dc_date) {
                fb_date(b, c, &has_dc_date, &dc_date, &dc_date_precision);
            }
        } else if (fb_is_ns(c, FEED_NS_ATOM10, "atom", "updated") ||
                   fb_is_ns(c, FEED_NS_DCTERMS, "dcterms", "modified")) {
            fb_date(b, c, &e->has_updated, &e->updated, &e->updated_precision);
        } else if (fb_is(b, c, "description")) {
            if (!e->summary) {
                e->summary = fb_text(b, c);
                e->summary_html = true;
                fb_drop_text(c);
            }
        } else if (fb_is_ns(c, FEED_NS_DC, "dc", "description")) {
            if (!dc_desc) {
                dc_desc = fb_text(b, c);
                fb_drop_text(c);
            }
        } else if (fb_is_ns(c, FEED_NS_CONTENT, "content", "encoded")) {
            if (!e->content) {
                e->content = fb_text(b, c);
                e->content_html = true;
                fb_drop_text(c);
            }
        } else if (fb_is(b, c, "category") || fb_is_ns(c, FEED_NS_DC, "dc", "subject")) {
            fb_add_category(b, e, fb_text(b, c));
        } else if (fb_is(b, c, "enclosure")) {
            char *url = fb_attr(b, c, "url");
            fb_add_enclosure(b, e, fb_resolve(b, c, url));
            free(url);
        }
    }
    e->title = fb_title(b, raw_title ? raw_title : dc_title);
    if (!e->summary && dc_desc) {
        e->summary = dc_desc;
        e->summary_html = true;
        dc_desc = NULL;
    }
    if (!e->has_published && has_dc_date) {
        e->has_published = true;
        e->published = dc_date;
        e->published_precision = dc_date_precision;
    }
    if (link) {
        e->link = fb_resolve(b, link_node, link);
    } else if (guid && guid_permalink && (strncasecmp(guid, "http://", 7) == 0 ||
                                          strncasecmp(guid, "https://", 8) == 0)) {
        e->link = fb_resolve(b, item, guid);
    }
    if (!guid) {
        guid = fb_attr(b, item, "about"); /* RSS 1.0 rdf:about */
    }
    e->id = guid;
    free(raw_title);
    free(dc_title);
    free(dc_desc);
    free(link);
}

/*
 * Items anywhere below n, in document order. Recovered documents can nest an item inside
 * the previous one (an unclosed element swallows what follows), so items are searched
 * recursively and each one reads only its direct children.
 */
static void collect_items(struct feed_builder *b, xmlNode *n, int depth)
{
    for (; n && !b->err; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (fb_is(b, n, "item")) {
            parse_item(b, n);
        }
        if (depth < RSS_MAX_DEPTH) {
            collect_items(b, n->children, depth + 1);
        }
    }
}

/* Plain text of element n (HTML when html), new or NULL. */
static char *plain_of(struct feed_builder *b, const xmlNode *n, bool html)
{
    char *t = fb_text(b, n);
    char *s = fb_plain(b, t, html);
    free(t);
    return s;
}

/* fb_title() of the text of n: new or NULL. */
static char *title_of(struct feed_builder *b, const xmlNode *n)
{
    char *t = fb_text(b, n);
    char *s = fb_title(b, t);
    free(t);
    return s;
}

/*
 * The channel's title, link, description, author and update time from its direct children,
 * the core elements first and their Dublin Core stand-ins (dc:title, dc:description,
 * dc:creator, dc:date; any prefix) when they are absent; then the items anywhere below root.
 */
static int parse_channel(struct feed_builder *b, xmlNode *root)
{
    xmlNode *channel = NULL, *link = NULL;
    char *dc_title = NULL, *dc_desc = NULL, *dc_creator = NULL, *editor = NULL;
    bool has_date = false;
    int64_t date = 0;
    const char *prec = NULL;

    for (xmlNode *c = root->children; c && !channel; c = c->next) {
        if (fb_is(b, c, "channel")) {
            channel = c;
        }
    }
    if (!channel) {
        channel = root; /* tolerate <rss><item>... */
    }
    for (xmlNode *c = channel->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (fb_is(b, c, "title")) {
            fb_set(&b->feed->title, title_of(b, c));
        } else if (fb_is_ns(c, FEED_NS_DC, "dc", "title")) {
            fb_set(&dc_title, title_of(b, c));
        } else if (fb_is(b, c, "link")) {
            link = link ? link : c;
        } else if (fb_is(b, c, "description")) {
            fb_set(&b->feed->subtitle, plain_of(b, c, true));
        } else if (fb_is_ns(c, FEED_NS_DC, "dc", "description")) {
            fb_set(&dc_desc, plain_of(b, c, true));
        } else if (fb_is_ns(c, FEED_NS_DC, "dc", "creator")) {
            fb_set(&dc_creator, plain_of(b, c, false));
        } else if (fb_is(b, c, "managingEditor")) {
            fb_set(&editor, plain_of(b, c, false));
        } else if (fb_is(b, c, "lastBuildDate") || fb_is(b, c, "pubDate")) {
            if (!b->feed->has_updated) {
                fb_date(b, c, &b->feed->has_updated, &b->feed->updated, &prec);
            }
        } else if (fb_is_ns(c, FEED_NS_DC, "dc", "date")) {
            if (!has_date) {
                fb_date(b, c, &has_date, &date, &prec);
            }
        }
    }
    fb_set(&b->feed->title, dc_title);
    fb_set(&b->feed->subtitle, dc_desc);
    fb_set(&b->feed->author, dc_creator);
    fb_set(&b->feed->author, editor);
    if (!b->feed->has_updated && has_date) {
        b->feed->has_updated = true;
        b->feed->updated = date;
    }
    if (link) {
        char *href = fb_text(b, link);
        b->feed->link = fb_resolve(b, link, href);
        free(href);
        if (b->feed->link && (strncasecmp(b->feed->link, "http://", 7) == 0 ||
                              strncasecmp(b->feed->link, "https://", 8) == 0)) {
            b->channel_link = strdup(b->feed->link);
            if (!b->channel_link) {
                b->err = ERR_NOMEM;
            }
        }
    }
    collect_items(b, root->children, 0);
    return b->err;
}

static int rss_parse(struct feed_builder *b, const struct feed_doc *doc, const char *format,
                      char *errbuf, size_t errlen)
{
    xmlNode *root = doc->root;

    (void)errbuf; /* nothing to say beyond b->err */
    (void)errlen;
    (void)format;
    b->core_ns = rss_namespace(root); /* NULL: RSS 2.0's elements are in no namespace */
    return parse_channel(b, root);
}

static int rdf_parse(struct feed_builder *b, const struct feed_doc *doc, const char *format,
                      char *errbuf, size_t errlen)
{
    xmlNode *root = doc->root;

    (void)errbuf; /* nothing to say beyond b->err */
    (void)errlen;
    b->core_ns = strcmp(format, "rss090") == 0 ? FEED_NS_RSS090 : FEED_NS_RSS10;
    return parse_channel(b, root);
}

const struct feed_format_ops feed_rss_ops = {
    .name = "rss",
    .sniff = rss_sniff,
    .parse = rss_parse,
};

const struct feed_format_ops feed_rdf_ops = {
    .name = "rdf",
    .sniff = rdf_sniff,
    .parse = rdf_parse,
};
