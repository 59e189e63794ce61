/*
 * The entry builder shared by the feed formats (feed_rss.c, feed_atom.c, feed_json.c) and
 * feed_parse.c (feed_entry.c); not a public API. The helpers record the first allocation
 * failure in b->err and return NULL, so the format code reads straight through and
 * feed_parse() reports b->err at the end.
 */
#ifndef YQ_FEED_ENTRY_H
#define YQ_FEED_ENTRY_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stdint.h>

#include "feed_parse.h"

#define FEED_NS_ATOM10 "http://www.w3.org/2005/Atom"
#define FEED_NS_ATOM03 "http://purl.org/atom/ns#"
#define FEED_NS_RSS10 "http://purl.org/rss/1.0/"
#define FEED_NS_RSS090 "http://my.netscape.com/rdf/simple/0.9/"
#define FEED_NS_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define FEED_NS_CONTENT "http://purl.org/rss/1.0/modules/content/"
#define FEED_NS_DC "http://purl.org/dc/elements/1.1/"
#define FEED_NS_DCTERMS "http://purl.org/dc/terms/"

struct feed_builder {
    struct feed *feed;     /* being filled; owned by feed_parse() */
    xmlDocPtr doc;         /* borrowed; NULL for JSON Feed */
    const char *base_url;  /* the document's base URI: Content-Location resolved against the
                              URL the body came from, else that URL; or NULL (borrowed) */
    const char *core_ns;   /* namespace of the format's own elements, or NULL (RSS 2.0) */
    char *channel_link;    /* RSS: base for relative links when no xml:base; owned */
    size_t text_max;       /* bound for one extracted text */
    size_t cap_entries;    /* capacity of feed->entries (yq_array_reserve()) */
    size_t cur_entry;      /* 1 + index of the entry being filled, 0 before the first */
    int err;               /* first ERR_NOMEM / ERR_TOO_BIG, else 0 */
    int64_t now;           /* fetch time (UTC seconds) for relative dates; 0 = unknown */
};

/* Copy of s (NUL-terminated, borrowed), new; NULL on ERR_NOMEM (recorded in b->err). */
char *fb_dup(struct feed_builder *b, const char *s);

/* Copy of s without leading and trailing white space (new), or NULL when that is empty. */
char *fb_trimmed(struct feed_builder *b, const char *s);

/*
 * Mark element n as cut at the field bound (feed_parse()'s bounded text runs), so that
 * fb_text() flags the entry being filled (text_cut). Returns true when n was not marked yet.
 */
bool fb_mark_cut(xmlNode *n);

/* n is an element named name in the format's core namespace (or in none). */
bool fb_is(const struct feed_builder *b, const xmlNode *n, const char *name);

/*
 * n is element name in namespace ns; also matches "prefix:name" without a namespace, which
 * libxml2 recovery produces for an undeclared prefix.
 */
bool fb_is_ns(const xmlNode *n, const char *ns, const char *prefix, const char *name);

/* Local name of element n equals name, ignoring case and namespace. */
bool fb_local_is(const xmlNode *n, const char *name);

/* Trimmed text content of n (new), or NULL when empty. */
char *fb_text(struct feed_builder *b, const xmlNode *n);

/*
 * Free the text and CDATA children of n once the entry holds a copy of them (description,
 * content): the tree and the entries then do not both hold every body (peak memory, issue
 * #10). Element children (an unclosed element may swallow later items) are kept.
 */
void fb_drop_text(xmlNode *n);

/* Attribute name of n, trimmed (new), or NULL when absent or empty. */
char *fb_attr(struct feed_builder *b, const xmlNode *n, const char *name);

/* Serialised children of n (XHTML content), new, or NULL when empty. */
char *fb_inner_xml(struct feed_builder *b, const xmlNode *n);

/* Plain text of s (borrowed; may be NULL → NULL): markup stripped when html. New or NULL. */
char *fb_plain(struct feed_builder *b, const char *s, bool html);

/*
 * A title of an RSS, RDF, bridge or JSON Feed document or entry as plain text
 * (feed_text_title(): references decoded, markup kept literal; FC-033). s borrowed, may be
 * NULL → NULL. New or NULL (empty, or out of memory: b->err set).
 */
char *fb_title(struct feed_builder *b, const char *s);

/*
 * url (NUL-terminated) is a link the item may carry: http or https (any case), or a relative
 * reference left unresolved because no base is known. Any other scheme (javascript:, data:,
 * vbscript:, file:, mailto: ...) or a control character in it is refused.
 */
bool feed_link_is_web(const char *url);

/*
 * href (borrowed) resolved against xml:base in scope at n (may be NULL), else the channel
 * link, else the document URL. New string, or NULL when href is NULL or empty, or when the
 * result is not a web link (feed_link_is_web(): the feed is bozo, the entry keeps no link).
 */
char *fb_resolve(struct feed_builder *b, const xmlNode *n, const char *href);

/* Parse the date in element n into has/t/precision (left unchanged when unparseable). */
void fb_date(struct feed_builder *b, const xmlNode *n, bool *has, int64_t *t,
             const char **precision);

/* Append an empty entry to b->feed; NULL on ERR_NOMEM (recorded in b->err). */
struct feed_entry *fb_entry_new(struct feed_builder *b);

/*
 * Append s (takes ownership; NULL is ignored) to e's categories; beyond FEED_MAX_CATEGORIES
 * it is freed.
 */
void fb_add_category(struct feed_builder *b, struct feed_entry *e, char *s);

/* *dst = s when *dst is NULL, else free(s): the first value found wins. Takes s. */
void fb_set(char **dst, char *s);

/*
 * Append url (takes ownership; NULL is ignored) to e's enclosures; beyond
 * FEED_MAX_ENCLOSURES it is freed.
 */
void fb_add_enclosure(struct feed_builder *b, struct feed_entry *e, char *url);

/* Mark the feed bozo with why (static or copied) unless it already has a reason. */
void fb_bozo(struct feed_builder *b, const char *why);

/*
 * The text of base64 s (borrowed, NUL-terminated; white space between the characters is
 * allowed, padding optional) decoded with libsodium (sodium_base642bin), when it decodes
 * to valid UTF-8 without NUL bytes and at most b->text_max bytes: new string in *out (NULL
 * when it decodes to nothing). Returns 0, ERR_PARSE (not base64, or bytes that are not
 * text: *out NULL, nothing kept) or ERR_NOMEM (recorded in b->err).
 */
int fb_base64_text(struct feed_builder *b, const char *s, char **out);

/*
 * An id (Atom <id>) resolved as a relative IRI reference against the xml:base in scope at
 * n; kept as written when no xml:base is in scope or it is absolute (ids stay stable when the
 * feed's URL changes). Takes id; returns the new string, or NULL when id is NULL.
 */
char *fb_resolve_id(struct feed_builder *b, const xmlNode *n, char *id);

#endif
