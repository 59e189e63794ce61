#include "feed_text.h"

#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bbuf.h"
#include "yq_err.h"
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

static int walk(const xmlNode *n, struct bbuf *b, int depth)
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
                err = bbuf_adds(b, (const char *)n->content);
            }
        } else if (n->type == XML_ELEMENT_NODE) {
            bool block = is_tag(n, block_tags);
            if (is_tag(n, skip_tags)) {
                continue;
            }
            if (block) {
                err = bbuf_addc(b, '\n');
            }
            if (!err && strcasecmp((const char *)n->name, "img") == 0) {
                xmlChar *alt = xmlGetProp(n, (const xmlChar *)"alt");
                if (alt) {
                    err = bbuf_adds(b, (const char *)alt);
                    xmlFree(alt);
                }
            }
            if (!err) {
                err = walk(n->children, b, depth + 1);
            }
            if (!err && block) {
                err = bbuf_addc(b, '\n');
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

int feed_text_from_html(const char *html, size_t len, size_t max_bytes, char **out)
{
    htmlDocPtr doc;
    struct bbuf b;
    int err = 0;

    *out = NULL;
    if (!html || len == 0) {
        *out = strdup("");
        return *out ? 0 : ERR_NOMEM;
    }
    if (len > (size_t)INT32_MAX) {
        return ERR_TOO_BIG;
    }
    doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
                         HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                             HTML_PARSE_NOWARNING | HTML_PARSE_NODEFDTD);
    bbuf_init(&b, max_bytes);
    if (doc) {
        err = walk(doc->children, &b, 0);
        xmlFreeDoc(doc);
    }
    if (!err) {
        /* collapsed in place: no second buffer, no second copy of the text */
        char *raw = bbuf_steal(&b, NULL);
        if (!raw) {
            err = ERR_NOMEM;
        } else {
            clean_into(raw, raw);
            *out = raw;
        }
    }
    bbuf_release(&b);
    return err;
}
