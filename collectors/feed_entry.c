/*
 * The entry builder shared by the feed formats (feed_rss.c, feed_atom.c, feed_json.c; see
 * feed_format.h) and feed_parse.c: element tests, trimmed text and attributes, plain text of
 * HTML, link resolution, dates, entries and categories. Not a public API. The helpers record
 * the first allocation failure in b->err and return NULL, so the format code reads straight
 * through and feed_parse() reports b->err at the end.
 */
#include "feed_entry.h"

#include <ctype.h>
#include <libxml/uri.h>
#include <libxml/xmlsave.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feed_date.h"
#include "feed_prep.h"
#include "feed_text.h"
#include "yq_array.h"
#include "yq_err.h"
#include "yq_banned.h"

char *fb_dup(struct feed_builder *b, const char *s)
{
    char *d = strdup(s);
    if (!d && !b->err) {
        b->err = ERR_NOMEM;
    }
    return d;
}

bool fb_local_is(const xmlNode *n, const char *name)
{
    const char *local;
    if (!n || n->type != XML_ELEMENT_NODE) {
        return false;
    }
    local = strrchr((const char *)n->name, ':');
    local = local ? local + 1 : (const char *)n->name;
    return strcasecmp(local, name) == 0;
}

bool fb_is(const struct feed_builder *b, const xmlNode *n, const char *name)
{
    if (!n || n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, name) != 0) {
        return false;
    }
    return !n->ns ||
           (b->core_ns && n->ns->href && strcmp((const char *)n->ns->href, b->core_ns) == 0);
}

bool fb_is_ns(const xmlNode *n, const char *ns, const char *prefix, const char *name)
{
    size_t pl;
    if (!n || n->type != XML_ELEMENT_NODE) {
        return false;
    }
    if (n->ns && n->ns->href) {
        return strcmp((const char *)n->name, name) == 0 &&
               strcmp((const char *)n->ns->href, ns) == 0;
    }
    pl = strlen(prefix);
    return strncmp((const char *)n->name, prefix, pl) == 0 && n->name[pl] == ':' &&
           strcmp((const char *)n->name + pl + 1, name) == 0;
}

char *fb_trimmed(struct feed_builder *b, const char *s)
{
    size_t n;
    char *d;

    while (*s && isspace((unsigned char)*s)) {
        s++;
    }
    n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) {
        n--;
    }
    if (n == 0) {
        return NULL;
    }
    d = strndup(s, n);
    if (!d && !b->err) {
        b->err = ERR_NOMEM;
    }
    return d;
}

/* xmlNode._private of an element whose text was cut at the field bound (fb_mark_cut()) */
static char text_cut_mark;

bool fb_mark_cut(xmlNode *n)
{
    if (!n || n->_private == &text_cut_mark) {
        return false;
    }
    n->_private = &text_cut_mark;
    return true;
}

/*
 * A CDATA section escaped as text ("&lt;![CDATA[标题]]&gt;": we-mp-rss's rss.cdata option
 * writes the marker into ElementTree text, which escapes it; sources.md §2): s (trimmed, new;
 * taken) without the markers around it, layer by layer; new string, or NULL when empty.
 */
static char *unwrap_escaped_cdata(struct feed_builder *b, char *s)
{
    static const char open[] = "<![CDATA[", close[] = "]]>";
    const size_t lo = sizeof(open) - 1, lc = sizeof(close) - 1;

    while (s && strlen(s) >= lo + lc && strncmp(s, open, lo) == 0 &&
           strcmp(s + strlen(s) - lc, close) == 0) {
        char *inner;
        s[strlen(s) - lc] = '\0';
        inner = fb_trimmed(b, s + lo);
        free(s);
        s = inner;
    }
    return s;
}

char *fb_text(struct feed_builder *b, const xmlNode *n)
{
    xmlChar *c;
    char *s;

    if (n->_private == &text_cut_mark && b->cur_entry > 0) {
        b->feed->entries[b->cur_entry - 1].text_cut = true;
    }
    c = xmlNodeGetContent(n);
    if (!c) {
        return NULL;
    }
    s = unwrap_escaped_cdata(b, fb_trimmed(b, (const char *)c));
    xmlFree(c);
    return s;
}

void fb_drop_text(xmlNode *n)
{
    xmlNode *c = n->children;

    while (c) {
        xmlNode *next = c->next;
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        }
        c = next;
    }
}

char *fb_attr(struct feed_builder *b, const xmlNode *n, const char *name)
{
    xmlChar *c = xmlGetProp(n, (const xmlChar *)name);
    char *s;

    if (!c) {
        return NULL;
    }
    s = fb_trimmed(b, (const char *)c);
    xmlFree(c);
    return s;
}

char *fb_inner_xml(struct feed_builder *b, const xmlNode *n)
{
    xmlBufferPtr buf = xmlBufferCreate();
    char *s;

    if (!buf) {
        b->err = ERR_NOMEM;
        return NULL;
    }
    for (xmlNode *c = n->children; c; c = c->next) {
        xmlNodeDump(buf, b->doc, c, 0, 0);
    }
    s = fb_trimmed(b, (const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    return s;
}

/* A converter's answer (err, out) as fb_plain()/fb_title() give it: out, NULL when empty, or
   NULL with b->err set when err. */
static char *fb_text_result(struct feed_builder *b, int err, char *out)
{
    if (err) {
        if (!b->err) {
            b->err = err;
        }
        return NULL;
    }
    if (out[0] == '\0') {
        free(out);
        return NULL;
    }
    return out;
}

char *fb_plain(struct feed_builder *b, const char *s, bool html)
{
    char *out = NULL;
    bool cut = false;
    int err;

    if (!s) {
        return NULL;
    }
    if (html && feed_text_looks_html(s)) {
        err = feed_text_from_html_cut(s, strlen(s), b->text_max, &out, &cut);
    } else {
        err = feed_text_clean(s, &out);
    }
    return fb_text_result(b, err, out);
}

char *fb_title(struct feed_builder *b, const char *s)
{
    char *out = NULL;
    int err;

    if (!s) {
        return NULL;
    }
    err = feed_text_title(s, b->text_max, &out);
    return fb_text_result(b, err, out);
}

static bool has_xml_base(const xmlNode *n)
{
    for (; n && n->type == XML_ELEMENT_NODE; n = n->parent) {
        if (xmlHasNsProp(n, (const xmlChar *)"base", XML_XML_NAMESPACE)) {
            return true;
        }
    }
    return false;
}

bool feed_link_is_web(const char *url)
{
    const char *c = url;

    while (*c == ' ' || *c == '\t' || *c == '\r' || *c == '\n') {
        c++;
    }
    if (strncasecmp(c, "http://", 7) == 0 || strncasecmp(c, "https://", 8) == 0) {
        return true;
    }
    /* a scheme (RFC 3986 §3.1: a letter, then letters, digits, "+", "-", ".") before ':' */
    if (isalpha((unsigned char)*c)) {
        while (isalnum((unsigned char)*c) || *c == '+' || *c == '-' || *c == '.') {
            c++;
        }
        if (*c == ':') {
            return false;
        }
    }
    /* a relative reference nothing could resolve (no base known), or control characters
       that browsers strip to find "javascript:" behind them */
    for (c = url; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7F) {
            return false;
        }
    }
    return true;
}

char *fb_resolve(struct feed_builder *b, const xmlNode *n, const char *href)
{
    xmlChar *base = NULL, *uri;
    const char *use_base;
    char *s;

    if (!href || !href[0]) {
        return NULL;
    }
    if (n && b->doc && has_xml_base(n)) {
        base = xmlNodeGetBase(b->doc, n);
        use_base = (const char *)base;
    } else if (b->channel_link) {
        use_base = b->channel_link;
    } else {
        use_base = b->base_url;
    }
    uri = use_base ? xmlBuildURI((const xmlChar *)href, (const xmlChar *)use_base) : NULL;
    if (!feed_link_is_web(uri ? (const char *)uri : href)) {
        /* javascript:, data:, vbscript:, file: ... -- never a link an officer may follow */
        fb_bozo(b, "link that is not http or https: dropped");
        s = NULL;
    } else {
        s = fb_dup(b, uri ? (const char *)uri : href);
    }
    xmlFree(uri);
    xmlFree(base);
    return s;
}

void fb_date(struct feed_builder *b, const xmlNode *n, bool *has, int64_t *t,
             const char **precision)
{
    char *s = fb_text(b, n);
    int64_t v;
    const char *p = NULL;

    if (s && feed_date_parse_at(s, b->now, &v, &p) == 0) {
        *has = true;
        *t = v;
        *precision = p;
    }
    free(s);
}

struct feed_entry *fb_entry_new(struct feed_builder *b)
{
    struct feed *f = b->feed;
    struct feed_entry *e;

    if (b->err) {
        return NULL;
    }
    b->err = yq_array_reserve(&f->entries, &b->cap_entries, f->n_entries + 1, sizeof(*f->entries));
    if (b->err) {
        return NULL;
    }
    e = &f->entries[f->n_entries++];
    memset(e, 0, sizeof(*e));
    b->cur_entry = f->n_entries;
    return e;
}

/* Append s (takes ownership; freed on failure, recorded in b->err) to the strings v[n]. */
static void fb_append(struct feed_builder *b, char ***v, size_t *n, size_t *cap, char *s)
{
    int err = yq_array_reserve(v, cap, *n + 1, sizeof(**v));

    if (err) {
        free(s);
        b->err = err;
        return;
    }
    (*v)[(*n)++] = s;
}

/* fb_append() s (taken; NULL ignored) unless *n already reached max: then s is freed. */
static void fb_append_capped(struct feed_builder *b, char ***v, size_t *n, size_t *cap, size_t max,
                             char *s)
{
    if (!s) {
        return;
    }
    if (*n >= max) {
        free(s);
        return;
    }
    fb_append(b, v, n, cap, s);
}

void fb_add_category(struct feed_builder *b, struct feed_entry *e, char *s)
{
    fb_append_capped(b, &e->categories, &e->n_categories, &e->cap_categories, FEED_MAX_CATEGORIES,
                     s);
}

void fb_set(char **dst, char *s)
{
    if (!*dst) {
        *dst = s;
    } else {
        free(s);
    }
}

void fb_add_enclosure(struct feed_builder *b, struct feed_entry *e, char *url)
{
    fb_append_capped(b, &e->enclosures, &e->n_enclosures, &e->cap_enclosures, FEED_MAX_ENCLOSURES,
                     url);
}

void fb_bozo(struct feed_builder *b, const char *why)
{
    b->feed->bozo = true;
    if (!b->feed->bozo_message) {
        b->feed->bozo_message = fb_dup(b, why);
    }
}

int fb_base64_text(struct feed_builder *b, const char *s, char **out)
{
    size_t len = strlen(s), bin_len = 0;
    size_t cap = len / 4 * 3 + 3;
    unsigned char *bin;
    const char *end = NULL;
    int rc;

    *out = NULL;
    if (sodium_init() < 0) {
        return ERR_PARSE; /* cannot happen for the codecs; sodium_init() only seeds RNGs */
    }
    bin = malloc(cap + 1);
    if (!bin) {
        b->err = ERR_NOMEM;
        return ERR_NOMEM;
    }
    rc = sodium_base642bin(bin, cap, s, len, " \t\r\n", &bin_len, &end,
                           sodium_base64_VARIANT_ORIGINAL);
    if (rc != 0 || (end && *end)) {
        /* a body without its '=' padding is still base64 */
        rc = sodium_base642bin(bin, cap, s, len, " \t\r\n", &bin_len, &end,
                               sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
    }
    if (rc != 0 || (end && *end) || bin_len > b->text_max ||
        feed_utf8_valid_prefix((const char *)bin, bin_len) != bin_len ||
        memchr(bin, '\0', bin_len)) {
        free(bin);
        return ERR_PARSE;
    }
    bin[bin_len] = '\0';
    if (bin_len == 0) {
        free(bin);
        return 0;
    }
    *out = (char *)bin;
    return 0;
}

char *fb_resolve_id(struct feed_builder *b, const xmlNode *n, char *id)
{
    xmlChar *base, *uri;
    char *s;

    if (!id || !n || !b->doc || !has_xml_base(n)) {
        return id;
    }
    base = xmlNodeGetBase(b->doc, n);
    uri = base ? xmlBuildURI((const xmlChar *)id, base) : NULL;
    xmlFree(base);
    if (!uri) {
        return id;
    }
    s = fb_dup(b, (const char *)uri);
    xmlFree(uri);
    if (!s) {
        return id;
    }
    free(id);
    return s;
}
