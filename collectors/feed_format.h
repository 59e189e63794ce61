/*
 * The feed formats, one ops struct each (feed_rss.c: RSS 0.9x/2.0 and RDF, feed_atom.c: Atom
 * 1.0/0.3, feed_json.c: JSON Feed 1.0/1.1), tried in the order of feed_parse.c's table; they
 * fill the feed through the entry builder (feed_entry.h). Not a public API. Adding a format =
 * one file filling a struct feed_format_ops + one row in feed_parse.c's formats[].
 */
#ifndef YQ_FEED_FORMAT_H
#define YQ_FEED_FORMAT_H

#include <libxml/tree.h>
#include <stddef.h>

#include "feed_entry.h"

/* A prepared document: an XML tree, or the UTF-8 text of a JSON document. */
struct feed_doc {
    xmlNode *root;    /* XML: the root element (borrowed); NULL for a JSON document */
    const char *text; /* JSON: len bytes of UTF-8 (borrowed); NULL for an XML document */
    size_t len;
};

struct feed_format_ops {
    const char *name;
    /* The format name ("rss20", "atom10", "json", ...) when doc is this format's, else NULL. */
    const char *(*sniff)(const struct feed_doc *doc);
    /*
     * Fill b->feed from doc as format (sniff's answer). Returns 0, ERR_NOT_A_FEED or
     * ERR_PARSE (one line in errbuf, errlen > 0), ERR_NOMEM or ERR_TOO_BIG.
     */
    int (*parse)(struct feed_builder *b, const struct feed_doc *doc, const char *format,
                 char *errbuf, size_t errlen);
};

extern const struct feed_format_ops feed_rss_ops;
extern const struct feed_format_ops feed_rdf_ops;
extern const struct feed_format_ops feed_atom_ops;
extern const struct feed_format_ops feed_json_ops;

#endif
