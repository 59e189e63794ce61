#include "feed_text.h"

#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "yq_buf.h"
#include "feed_xml_errors.h"
#include "yq_err.h"
#include "yq_item.h"
#include "yq_banned.h"

#define TEXT_MAX_DEPTH 256

static const char *const block_tags[] = {
    "p",      "div",     "br",      "li",     "ul",      "ol",     "h1",   "h2",
    "h3",     "h4",      "h5",      "h6",     "tr",      "table",  "blockquote",
    "pre",    "section", "article", "header", "footer",  "hr",     "dd",   "dt",
    "dl",     "figure",  "figcaption", "address", "aside", "nav",  "main", "td",
    "th",     "center",  NULL,
};

static bool is_tag(const xmlNode *n, const char *const *names)
{
    for (int i = 0; names[i]; i++) {
        if (strcasecmp((const char *)n->name, names[i]) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * Append s, or as much of it as fits below b's maximum (then ERR_TOO_BIG): a text node larger
 * than the bound still gives its beginning.
 */
static int add_text(struct yq_buf *b, const char *s)
{
    size_t n = strlen(s), room = b->max_len - b->len;

    if (n <= room) {
        return yq_buf_add(b, s, n);
    }
    room = yq_utf8_boundary(s, room); /* never end inside a character */
    if (room > 0 && yq_buf_add(b, s, room) != 0) {
        return ERR_NOMEM;
    }
    return ERR_TOO_BIG;
}

static int walk(const xmlNode *n, struct yq_buf *b, int depth)
{
    static const char *const skip_tags[] = {"script", "style", "head", "noscript", "template",
                                            NULL};
    int err = 0;

    if (depth > TEXT_MAX_DEPTH) {
        return 0;
    }
    for (; n && !err; n = n->next) {
        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
            if (n->content) {
                err = add_text(b, (const char *)n->content);
            }
        } else if (n->type == XML_ELEMENT_NODE) {
            bool block = is_tag(n, block_tags);
            if (is_tag(n, skip_tags)) {
                continue;
            }
            if (block) {
                err = yq_buf_addc(b, '\n');
            }
            if (!err && strcasecmp((const char *)n->name, "img") == 0) {
                xmlChar *alt = xmlGetProp(n, (const xmlChar *)"alt");
                if (alt) {
                    err = add_text(b, (const char *)alt);
                    xmlFree(alt);
                }
            }
            if (!err) {
                err = walk(n->children, b, depth + 1);
            }
            if (!err && block) {
                err = yq_buf_addc(b, '\n');
            }
        }
    }
    return err;
}

/* Length of a horizontal-space sequence at p (ASCII blanks, NBSP, U+2002-U+200A, U+3000). */
static size_t hspace(const unsigned char *p)
{
    if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f' || *p == '\v') {
        return 1;
    }
    if (p[0] == 0xC2 && p[1] == 0xA0) {
        return 2;
    }
    if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) {
        return 3;
    }
    if (p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0x82 && p[2] <= 0x8A) {
        return 3;
    }
    return 0;
}

/*
 * Collapse whitespace of the NUL-terminated text at s into o (see feed_text.h), which may be
 * s itself: the output never runs ahead of the input (memmove for the kept runs). Returns the
 * output length; o is NUL-terminated.
 */
static size_t clean_into(const char *s, char *o)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *run = NULL; /* the pending horizontal space run */
    size_t n = 0, run_len = 0, run_chars = 0;
    bool pending_nl = false;

    while (*p) {
        size_t w = hspace(p);
        if (w) {
            if (!run) {
                run = p;
                run_len = 0;
                run_chars = 0;
            }
            run_len += w;
            run_chars++;
            p += w;
        } else if (*p == '\n') {
            pending_nl = true;
            run = NULL;
            p++;
        } else {
            if (n > 0 && pending_nl) {
                o[n++] = '\n';
            } else if (n > 0 && run) {
                /* one NBSP or U+3000 between words is kept as written; runs and ASCII
                 * control blanks become one space */
                if (run_chars == 1 && run_len > 1) {
                    memmove(o + n, run, run_len);
                    n += run_len;
                } else {
                    o[n++] = ' ';
                }
            }
            pending_nl = false;
            run = NULL;
            o[n++] = (char)*p++;
        }
    }
    o[n] = '\0';
    return n;
}

int feed_text_clean(const char *s, char **out)
{
    char *o = malloc(strlen(s) + 1);

    *out = NULL;
    if (!o) {
        return ERR_NOMEM;
    }
    clean_into(s, o);
    *out = o;
    return 0;
}

bool feed_text_looks_html(const char *s)
{
    for (const char *p = s; (p = strpbrk(p, "<&")) != NULL; p++) {
        if (p[0] == '<' && (isalpha((unsigned char)p[1]) || p[1] == '/' || p[1] == '!')) {
            return true;
        }
        if (p[0] == '&' && (isalpha((unsigned char)p[1]) || p[1] == '#')) {
            return true;
        }
    }
    return false;
}

/* The first len bytes of s contain a tag ('<' then a letter, '/' or '!'). */
static bool has_tag(const char *s, size_t len)
{
    for (const char *p = s; (p = memchr(p, '<', len - (size_t)(p - s))) != NULL; p++) {
        if ((size_t)(p - s) + 1 < len &&
            (isalpha((unsigned char)p[1]) || p[1] == '/' || p[1] == '!')) {
            return true;
        }
    }
    return false;
}

/* s (NUL-terminated) contains a tag of an HTML element libxml2 knows ("<p>", "<br />", "</a>"). */
static bool has_html_element(const char *s)
{
    for (const char *p = s; (p = strchr(p, '<')) != NULL; p++) {
        const char *q = p + 1 + (p[1] == '/');
        char name[16];
        size_t n = 0;
        while (isalnum((unsigned char)q[n]) && n + 1 < sizeof(name)) {
            name[n] = (char)tolower((unsigned char)q[n]);
            n++;
        }
        name[n] = '\0';
        if (n > 0 && (q[n] == '>' || q[n] == ' ' || q[n] == '/') &&
            htmlTagLookup((const xmlChar *)name) != NULL) {
            return true;
        }
    }
    return false;
}

static int html_to_text(const char *html, size_t len, size_t max_bytes, char **out, bool *cut);

int feed_text_from_html_cut(const char *html, size_t len, size_t max_bytes, char **out,
                            bool *cut)
{
    int err = html_to_text(html, len, max_bytes, out, cut);

    /* Double-escaped HTML (a CMS escaping its HTML once more: "&amp;lt;p&amp;gt;" in the
       feed): markup that was all entities decodes to HTML tags. When the input had no tag of
       its own and its text has tags of known HTML elements, that text is the HTML: read once
       more. Escaped code in real markup ("<p>use &lt;br&gt;</p>") has a tag and is kept. */
    if (!err && html && !has_tag(html, len) && has_html_element(*out)) {
        char *again = NULL;
        bool cut2 = false;
        err = html_to_text(*out, strlen(*out), max_bytes, &again, &cut2);
        if (!err) {
            free(*out);
            *out = again;
            *cut = *cut || cut2;
        }
    }
    return err;
}

static int html_to_text(const char *html, size_t len, size_t max_bytes, char **out, bool *cut)
{
    htmlDocPtr doc;
    struct yq_buf b;
    struct feed_xml_errors xerr;
    size_t in_max = max_bytes > (SIZE_MAX / 2 - FEED_TEXT_HTML_SLACK) / 4
                        ? SIZE_MAX / 2
                        : max_bytes * 4 + FEED_TEXT_HTML_SLACK;
    int err = 0;

    *out = NULL;
    *cut = false;
    if (!html || len == 0) {
        *out = strdup("");
        return *out ? 0 : ERR_NOMEM;
    }
    if (len > in_max) {
        /* the text of a prefix this long already fills max_bytes in any real document; the
           HTML tree of the rest would only cost memory */
        len = in_max;
        *cut = true;
    }
    if (len > (size_t)INT32_MAX) {
        len = (size_t)INT32_MAX;
        *cut = true;
    }
    feed_xml_errors_begin(&xerr, "html text", true);
    doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
                         HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                             HTML_PARSE_NOWARNING | HTML_PARSE_NODEFDTD);
    feed_xml_errors_end(&xerr);
    yq_buf_init(&b, max_bytes);
    if (doc) {
        err = walk(doc->children, &b, 0);
        xmlFreeDoc(doc);
    }
    if (err == ERR_TOO_BIG) {
        *cut = true;
        err = 0;
    }
    if (!err) {
        /* collapsed in place: no second buffer, no second copy of the text */
        size_t n = 0;
        char *raw = yq_buf_steal(&b, &n);
        if (!raw) {
            err = ERR_NOMEM;
        } else {
            yq_utf8_cut(raw, max_bytes); /* a prefix that fit may end inside a character */
            clean_into(raw, raw);
            *out = raw;
        }
    }
    yq_buf_release(&b);
    return err;
}

int feed_text_from_html(const char *html, size_t len, size_t max_bytes, char **out)
{
    bool cut = false;
    int err = feed_text_from_html_cut(html, len, max_bytes, out, &cut);

    if (!err && cut) {
        free(*out);
        *out = NULL;
        return ERR_TOO_BIG;
    }
    return err;
}

int feed_text_title(const char *s, size_t max_bytes, char **out)
{
    size_t n = 0, lt = 0;
    char *esc, *o;
    bool cut = false;
    int err;

    for (const char *p = s; *p; p++) {
        lt += *p == '<';
    }
    /* every '<' as "&lt;": the HTML parser then sees text with references and no tag */
    n = strlen(s);
    if (lt > (SIZE_MAX - n - 1) / 3) {
        return ERR_NOMEM;
    }
    esc = malloc(n + 3 * lt + 1);
    if (!esc) {
        return ERR_NOMEM;
    }
    o = esc;
    for (const char *p = s; *p; p++) {
        if (*p == '<') {
            memcpy(o, "&lt;", 4);
            o += 4;
        } else {
            *o++ = *p;
        }
    }
    *o = '\0';
    err = html_to_text(esc, (size_t)(o - esc), max_bytes, out, &cut);
    free(esc);
    return err;
}

int feed_text_clean_cut(const char *s, size_t max_bytes, char **out, bool *cut)
{
    size_t in_max = max_bytes > (SIZE_MAX / 2 - FEED_TEXT_HTML_SLACK) / 4
                        ? SIZE_MAX / 2
                        : max_bytes * 4 + FEED_TEXT_HTML_SLACK;
    size_t n = strnlen(s, in_max);
    char *o = malloc(n + 1);

    *out = NULL;
    *cut = s[n] != '\0';
    if (!o) {
        return ERR_NOMEM;
    }
    memcpy(o, s, n);
    o[n] = '\0';
    yq_utf8_cut(o, in_max); /* the prefix may end inside a character */
    n = clean_into(o, o);
    if (n > max_bytes) {
        yq_utf8_cut(o, max_bytes);
        *cut = true;
    }
    *out = o;
    return 0;
}
