/*
 * Feed parser: RSS 0.9x/2.0, RSS 1.0/0.90 (RDF), Atom 1.0/0.3 and JSON Feed 1.0/1.1 from one
 * HTTP body, sniffed
 * from the document (not the URL). Bodies are untrusted: the encoding is chosen and repaired
 * by feed_prep, then libxml2 parses in recover mode with network access, DTD loading and
 * entity expansion off. Malformed feeds that still yield a tree set feed->bozo. An HTML page
 * (or any document whose root is not rss, rdf:RDF or feed) is an error, never an empty feed.
 *
 * Each XML format is a struct feed_format_ops (feed_rss.c, feed_atom.c); JSON Feed
 * (feed_json.c) is told apart before XML parsing (the body starts with '{').
 */
#ifndef YQ_FEED_PARSE_H
#define YQ_FEED_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Default bound of the text kept for one XML element (max_field_bytes), bytes: 4 MiB, enough
 * for the largest item text (YQ_ITEM_MAX_TEXT_BYTES, 512 KiB) from HTML markup four times its
 * size. Longer text is cut while parsing (at a character boundary; the entry's text_cut is
 * set), so a huge text node costs this much memory, not its size.
 */
#define FEED_MAX_FIELD_BYTES (4 * 1024 * 1024)

/*
 * Prefix of errbuf when the body is not a feed at all (HTML page, unknown root), for the
 * human reading the health record; callers branch on ERR_NOT_A_FEED, never on this text.
 */
#define FEED_NOT_A_FEED "not_a_feed"

/* Enclosures kept per entry; more are dropped (a podcast item has one). */
#define FEED_MAX_ENCLOSURES 16

/*
 * Categories kept per entry; more are dropped, the first ones kept. A real item has a handful
 * of tags; without a cap one entry of a hostile feed could hold millions of them (each is one
 * allocation, and every category is copied into the item and matched by the pipeline).
 */
#define FEED_MAX_CATEGORIES 64

/* How the item id of an entry is made (feed_item_id()); set by feed_parse(). */
enum feed_id_rule {
    FEED_ID_GUID = 0,       /* its guid when it has one (unique in the document) */
    FEED_ID_LINK,           /* guid shared with other entries, each with its own link */
    FEED_ID_LINK_TITLE,     /* guid shared, links missing or repeated: guid + link + title */
};

struct feed_entry {
    char *title;     /* plain text (markup stripped, entities decoded); NULL when absent */
    char *link;      /* absolute URL when resolvable; NULL when absent */
    char *id;        /* RSS guid, Atom id or rdf:about; NULL when absent */
    char *author;    /* NULL when absent; Atom person: "name (email)", "name" or "email" */
    bool has_published;
    int64_t published;             /* seconds since the epoch, UTC */
    const char *published_precision; /* static "second", "minute", "day", "month", "year"
                                        (feed_date_parse()) */
    bool has_updated;
    int64_t updated;
    const char *updated_precision;
    char *summary;        /* as published: HTML when summary_html, else text; may be NULL */
    bool summary_html;
    char *content;        /* content:encoded or Atom content, same convention */
    bool content_html;
    char **categories; /* n_categories NUL-terminated strings, at most FEED_MAX_CATEGORIES
                          (the first ones of the entry) */
    size_t n_categories;
    char **enclosures;    /* n_enclosures absolute URLs (RSS <enclosure url>, Atom
                             rel="enclosure", JSON Feed attachments[].url), at most
                             FEED_MAX_ENCLOSURES */
    size_t n_enclosures;
    /* private bookkeeping of the parser (feed_entry.c): capacities of categories, enclosures */
    size_t cap_categories, cap_enclosures;
    enum feed_id_rule id_rule; /* FEED_ID_GUID unless id repeats within the document */
    bool text_cut;        /* a text of this entry reached max_field_bytes and was cut */
};

struct feed {
    char *title;          /* plain text; NULL when absent */
    char *link;           /* site link, absolute when resolvable; NULL when absent */
    char *subtitle;       /* RSS description / dc:description, Atom subtitle, JSON Feed
                             description: plain text; NULL when absent */
    char *author;         /* RSS managingEditor / dc:creator, Atom author, JSON Feed author */
    bool has_updated;     /* RSS lastBuildDate / pubDate / dc:date, Atom updated */
    int64_t updated;
    char *encoding;       /* encoding the body was read in, e.g. "utf-8", "gb18030" */
    /* static: how encoding was chosen -- declared: "bom", "http", "declaration"; not declared:
       "default" (valid UTF-8), "detected" (UTF-16/32 byte pattern or uchardet) */
    const char *encoding_source;
    const char *format;   /* static: "rss20", "rss091", "rss092", "rss090", "rss10", "rss",
                             "atom10", "atom03", "json" */
    bool bozo;            /* not well-formed (recovered or repaired) */
    char *bozo_message;   /* first reason, or NULL */
    struct feed_entry *entries;
    size_t n_entries;
};

struct feed_input {
    const char *body;         /* len bytes, borrowed; need not be NUL-terminated */
    size_t len;
    const char *content_type; /* HTTP Content-Type (its charset is honoured) or NULL */
    const char *base_url;     /* URL the body came from, for relative links; may be NULL */
    /* HTTP Content-Location of the response, or NULL: when present it is the document's base
       URI (RFC 3986 §5.1.2), itself resolved against base_url */
    const char *content_location;
    size_t max_bytes;         /* bound for decoded/repaired text; 0 = 4 × len + 64 KiB */
    size_t max_field_bytes;   /* bound for one XML element's text; 0 = FEED_MAX_FIELD_BYTES */
    int64_t fetched_at;       /* when the body was fetched, UTC seconds: the anchor of relative
                                 dates ("5分钟前", "昨天 10:00"); 0 = unknown, those stay
                                 unparsed */
};

/*
 * Parse in (borrowed) into *out (new; free with feed_free()).
 * Returns 0; ERR_NOT_A_FEED with errbuf "not_a_feed: <why>" (HTML page, no feed root, JSON
 * that is not a JSON Feed); ERR_PARSE with a one-line reason in errbuf (empty body; body not
 * decodable: no usable declared encoding, not UTF-8 and not detected; JSON not well-formed);
 * ERR_TOO_BIG;
 * ERR_NOMEM. errbuf may be NULL when errlen is 0. Thread-safe (libxml2 must be initialised
 * once beforehand with xmlInitParser() when used from threads).
 */
int feed_parse(const struct feed_input *in, struct feed **out, char *errbuf, size_t errlen);

/* Free f and everything it owns. NULL is a no-op. */
void feed_free(struct feed *f);

#endif
