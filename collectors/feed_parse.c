#include "feed_parse.h"

#include <ctype.h>
#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/uri.h>
#include <libxml/xmlsave.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "feed_date.h"
#include "feed_internal.h"
#include "feed_prep.h"
#include "feed_text.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_banned.h"

#define FEED_XML_OPTIONS                                                                       \
    (XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |         \
     XML_PARSE_IGNORE_ENC | XML_PARSE_COMPACT | XML_PARSE_HUGE)

static const struct feed_format_ops *const formats[] = {
    &feed_rss_ops,
    &feed_rdf_ops,
    &feed_atom_ops,
    NULL,
};

/* ---- helpers for the format modules (feed_internal.h) ---- */

static char *dup_or_fail(struct feed_builder *b, const char *s)
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

/* Trimmed copy of s, or NULL when it is empty. */
static char *trimmed(struct feed_builder *b, const char *s)
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

/* xmlNode._private of an element whose text was cut at the field bound (capped_text()) */
static char text_cut_mark;

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
    s = trimmed(b, (const char *)c);
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
    s = trimmed(b, (const char *)c);
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
    s = trimmed(b, (const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    return s;
}

char *fb_plain(struct feed_builder *b, const char *s, bool html)
{
    char *out = NULL;
    int err;

    if (!s) {
        return NULL;
    }
    bool cut = false;
    if (html && feed_text_looks_html(s)) {
        err = feed_text_from_html_cut(s, strlen(s), b->text_max, &out, &cut);
    } else {
        err = feed_text_clean(s, &out);
    }
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

static bool has_xml_base(const xmlNode *n)
{
    for (; n && n->type == XML_ELEMENT_NODE; n = n->parent) {
        if (xmlHasNsProp(n, (const xmlChar *)"base", XML_XML_NAMESPACE)) {
            return true;
        }
    }
    return false;
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
    s = dup_or_fail(b, uri ? (const char *)uri : href);
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

    if (s && feed_date_parse(s, &v, &p) == 0) {
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
    if (f->n_entries == b->cap_entries) {
        size_t ncap = b->cap_entries ? b->cap_entries * 2 : 16;
        struct feed_entry *ne = realloc(f->entries, ncap * sizeof(*ne));
        if (!ne) {
            b->err = ERR_NOMEM;
            return NULL;
        }
        f->entries = ne;
        b->cap_entries = ncap;
    }
    e = &f->entries[f->n_entries++];
    memset(e, 0, sizeof(*e));
    b->cur_entry = f->n_entries;
    return e;
}

void fb_add_category(struct feed_builder *b, struct feed_entry *e, char *s)
{
    char **nc;

    if (!s) {
        return;
    }
    nc = realloc(e->categories, (e->n_categories + 1) * sizeof(*nc));
    if (!nc) {
        free(s);
        b->err = ERR_NOMEM;
        return;
    }
    e->categories = nc;
    e->categories[e->n_categories++] = s;
}

void fb_set(char **dst, char *s)
{
    if (!*dst) {
        *dst = s;
    } else {
        free(s);
    }
}

/* ---- bounded text runs (issue #10) ---- */

/*
 * Text of one element is kept up to max bytes while libxml2 builds the tree: a 200 MB text node
 * then costs max bytes of tree instead of its size (and twice that while libxml2 grows it).
 * The count restarts whenever the element receiving text changes.
 */
struct text_cap {
    const xmlNode *node; /* element whose text run is being counted */
    size_t bytes;        /* kept so far */
    size_t max;
    size_t cut;          /* runs cut */
};

static _Thread_local struct text_cap *tl_text_cap;

/* Bytes of ch (len) to keep, at a UTF-8 character boundary. */
static int capped_len(xmlParserCtxtPtr c, const xmlChar *ch, int len)
{
    struct text_cap *st = tl_text_cap;
    size_t room;

    if (!st || len <= 0) {
        return len;
    }
    if (c->node != st->node) {
        st->node = c->node;
        st->bytes = 0;
    }
    room = st->max - st->bytes;
    if ((size_t)len <= room) {
        st->bytes += (size_t)len;
        return len;
    }
    while (room > 0 && (ch[room] & 0xC0) == 0x80) {
        room--;
    }
    st->bytes = st->max;
    if (c->node && c->node->_private != &text_cut_mark) {
        c->node->_private = &text_cut_mark;
        st->cut++;
    }
    return (int)room;
}

static void capped_characters(void *ctx, const xmlChar *ch, int len)
{
    int n = capped_len(ctx, ch, len);
    if (n > 0) {
        xmlSAX2Characters(ctx, ch, n);
    }
}

static void capped_cdata(void *ctx, const xmlChar *ch, int len)
{
    int n = capped_len(ctx, ch, len);
    if (n > 0) {
        xmlSAX2CDataBlock(ctx, ch, n);
    }
}

/*
 * xmlCtxtReadIO() source over the prepared text (owned by feed_parse(), freed right after the
 * parse and never read again): libxml2 reads it in chunks, without the full copy
 * xmlCtxtReadMemory() makes. The pages already read are handed back to the kernel as the
 * parse goes on (MADV_DONTNEED; the block itself is freed after the parse), so a large body
 * is not held twice -- once prepared, once as the tree -- at the end of the parse.
 */
#define RELEASE_STEP_BYTES ((size_t)8 * 1024 * 1024)

struct mem_reader {
    const char *p;
    size_t left;
    char *released;    /* pages below this were given back */
};

static void release_read_pages(struct mem_reader *r)
{
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t from, to;

    if (page <= 0) {
        return;
    }
    from = ((uintptr_t)r->released + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    to = (uintptr_t)r->p & ~((uintptr_t)page - 1);
    if (to > from && to - from >= RELEASE_STEP_BYTES) {
        /* advisory: when it fails the pages simply stay resident until free() */
        (void)madvise((void *)from, to - from, MADV_DONTNEED);
        r->released = (char *)to;
    }
}

static int mem_read(void *ctx, char *buf, int len)
{
    struct mem_reader *r = ctx;
    size_t n = len > 0 ? (size_t)len : 0;

    if (n > r->left) {
        n = r->left;
    }
    memcpy(buf, r->p, n);
    r->p += n;
    r->left -= n;
    release_read_pages(r);
    return (int)n;
}

/* ---- libxml2's own errors (issue #10) ---- */

static void on_xml_error(void *data, xmlErrorPtr e)
{
    struct feed_xml_errors *st = data;

    st->count++;
    if (st->count > 1 || !e) {
        return;
    }
    st->first_line = e->line;
    st->first_code = e->code;
    snprintf(st->first, sizeof(st->first), "%s", e->message ? e->message : "");
    /* one line: libxml2 messages end in a newline and may quote document bytes */
    for (char *c = st->first; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            *c = ' ';
        }
    }
    for (size_t n = strlen(st->first); n > 0 && st->first[n - 1] == ' '; n--) {
        st->first[n - 1] = '\0';
    }
}

void feed_xml_errors_begin(struct feed_xml_errors *st, const char *what, bool quiet)
{
    memset(st, 0, sizeof(*st));
    st->what = what ? what : "-";
    st->quiet = quiet;
    st->prev = xmlStructuredError;
    st->prev_ctx = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(st, on_xml_error);
}

void feed_xml_errors_end(struct feed_xml_errors *st)
{
    xmlSetStructuredErrorFunc(st->prev_ctx, st->prev);
    if (st->count > 0 && st->quiet) {
        LOG_DEBUG("libxml2 reported errors doc='%s' count=%zu first_line=%d first_code=%d "
                  "first='%s'",
                  st->what, st->count, st->first_line, st->first_code, st->first);
    } else if (st->count > 0) {
        LOG_INFO("libxml2 reported errors doc='%s' count=%zu first_line=%d first_code=%d "
                 "first='%s'",
                 st->what, st->count, st->first_line, st->first_code, st->first);
    }
}

/* ---- ids shared within the document (issue #10) ---- */

/* qsort_r() comparators of entry indexes; ctx is the entries array */
static int cmp_by_id(const void *a, const void *b, void *ctx)
{
    const struct feed_entry *entries = ctx;
    return strcmp(entries[*(const size_t *)a].id, entries[*(const size_t *)b].id);
}

static int cmp_by_link(const void *a, const void *b, void *ctx)
{
    const struct feed_entry *x = &((const struct feed_entry *)ctx)[*(const size_t *)a];
    const struct feed_entry *y = &((const struct feed_entry *)ctx)[*(const size_t *)b];
    return strcmp(x->link ? x->link : "", y->link ? y->link : "");
}

/*
 * Give the entries whose guid repeats in the document another id rule (feed_item_id()):
 * FEED_ID_LINK when every one of them has a link of its own, else FEED_ID_LINK_TITLE.
 * Returns 0 or ERR_NOMEM. Thread-safe (qsort_r, no static state).
 */
static int mark_shared_ids(struct feed *f)
{
    size_t *idx, n = 0;

    if (f->n_entries < 2) {
        return 0;
    }
    idx = malloc(f->n_entries * sizeof(*idx));
    if (!idx) {
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < f->n_entries; i++) {
        if (f->entries[i].id && f->entries[i].id[0]) {
            idx[n++] = i;
        }
    }
    qsort_r(idx, n, sizeof(*idx), cmp_by_id, f->entries);
    for (size_t g = 0; g < n;) {
        size_t end = g + 1;
        enum feed_id_rule rule = FEED_ID_LINK;
        while (end < n && strcmp(f->entries[idx[g]].id, f->entries[idx[end]].id) == 0) {
            end++;
        }
        if (end - g > 1) {
            qsort_r(idx + g, end - g, sizeof(*idx), cmp_by_link, f->entries);
            for (size_t k = g; k < end; k++) {
                const struct feed_entry *e = &f->entries[idx[k]];
                if (!e->link || !e->link[0] ||
                    (k > g && cmp_by_link(&idx[k - 1], &idx[k], f->entries) == 0)) {
                    rule = FEED_ID_LINK_TITLE;
                }
            }
            for (size_t k = g; k < end; k++) {
                f->entries[idx[k]].id_rule = rule;
            }
        }
        g = end;
    }
    free(idx);
    return 0;
}

/* ---- parse ---- */

static void entry_release(struct feed_entry *e)
{
    free(e->title);
    free(e->link);
    free(e->id);
    free(e->author);
    free(e->summary);
    free(e->content);
    for (size_t i = 0; i < e->n_categories; i++) {
        free(e->categories[i]);
    }
    free(e->categories);
}

void feed_free(struct feed *f)
{
    if (!f) {
        return;
    }
    for (size_t i = 0; i < f->n_entries; i++) {
        entry_release(&f->entries[i]);
    }
    free(f->entries);
    free(f->title);
    free(f->link);
    free(f->encoding);
    free(f->bozo_message);
    free(f);
}

bool feed_parse_is_not_a_feed(const char *errbuf)
{
    return errbuf && strncmp(errbuf, FEED_NOT_A_FEED ":", sizeof(FEED_NOT_A_FEED)) == 0;
}

static void __attribute__((format(printf, 3, 4)))
set_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (errbuf && errlen) {
        va_start(ap, fmt);
        vsnprintf(errbuf, errlen, fmt, ap);
        va_end(ap);
    }
}

/* JSON Feed branch of feed_parse(): fills *out (new) or returns an error with errbuf. */
static int parse_json(struct feed_builder *b, const struct feed_prep *prep,
                      const struct feed_input *in, struct feed **out, char *errbuf,
                      size_t errlen)
{
    struct feed *f = calloc(1, sizeof(*f));
    char msg[256] = "";
    int err;

    if (!f) {
        return ERR_NOMEM;
    }
    b->feed = f;
    b->base_url = in->base_url;
    b->text_max = in->max_bytes ? in->max_bytes : in->len * 4 + 64 * 1024;
    f->format = "json";
    f->encoding = dup_or_fail(b, prep->encoding);
    f->bozo = prep->repaired;
    if (prep->repaired) {
        f->bozo_message = dup_or_fail(b, prep->note);
    }
    err = feed_json_parse(b, prep->text, prep->len, msg, sizeof(msg));
    free(b->channel_link);
    b->channel_link = NULL;
    if (!err) {
        err = b->err;
    }
    if (err) {
        set_err(errbuf, errlen, "%s", msg[0] ? msg : yq_strerror(err));
        feed_free(f);
        b->feed = NULL;
        return err;
    }
    *out = f;
    return 0;
}

int feed_parse(const struct feed_input *in, struct feed **out, char *errbuf, size_t errlen)
{
    struct feed_prep prep;
    struct feed_builder b;
    struct feed_xml_errors xerr;
    struct text_cap cap = {0};
    struct mem_reader reader;
    xmlParserCtxtPtr ctxt = NULL;
    xmlDocPtr doc = NULL;
    xmlNode *root;
    struct feed *f = NULL;
    size_t max_bytes = in->max_bytes;
    const struct feed_format_ops *ops = NULL;
    const char *format = NULL;
    int err;

    *out = NULL;
    memset(&b, 0, sizeof(b));
    feed_xml_errors_begin(&xerr, in->base_url, false);
    if (max_bytes == 0) {
        max_bytes = in->len * 4 + 64 * 1024;
    }
    err = feed_prep_run(in->body, in->len, in->content_type, max_bytes, &prep);
    if (err) {
        set_err(errbuf, errlen, "%s",
                err == ERR_PARSE ? (prep.encoding[0] ? "empty body or unsupported encoding"
                                                     : "empty body")
                                 : yq_strerror(err));
        goto done;
    }
    if (prep.looks_html) {
        set_err(errbuf, errlen, FEED_NOT_A_FEED ": %s", "HTML page served instead of a feed");
        err = ERR_PARSE;
        goto done;
    }
    if (prep.looks_json) {
        err = parse_json(&b, &prep, in, &f, errbuf, errlen);
        if (!err && (err = mark_shared_ids(f)) != 0) {
            set_err(errbuf, errlen, "%s", yq_strerror(err));
            feed_free(f);
            f = NULL;
        }
        if (!err) {
            *out = f;
            f = NULL;
        }
        goto done;
    }
    if (prep.len > INT32_MAX) {
        err = ERR_TOO_BIG;
        goto done;
    }
    ctxt = xmlNewParserCtxt();
    if (!ctxt) {
        err = ERR_NOMEM;
        goto done;
    }
    ctxt->sax->characters = capped_characters;
    ctxt->sax->cdataBlock = capped_cdata;
    cap.max = in->max_field_bytes ? in->max_field_bytes : FEED_MAX_FIELD_BYTES;
    reader.released = prep.text;
    reader.p = prep.text;
    reader.left = prep.len;
    tl_text_cap = &cap;
    doc = xmlCtxtReadIO(ctxt, mem_read, NULL, &reader, in->base_url, "UTF-8",
                        FEED_XML_OPTIONS);
    tl_text_cap = NULL;
    /* the tree holds what is needed now: drop the prepared copy of the body before the
       entries are built (peak memory, issue #10) */
    free(prep.text);
    prep.text = NULL;
    if (ctxt->errNo == XML_ERR_NO_MEMORY) {
        /* a tree cut short by a failed allocation is neither "not a feed" nor a bozo feed */
        err = ERR_NOMEM;
        goto done;
    }
    root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root) {
        set_err(errbuf, errlen, FEED_NOT_A_FEED ": %s", "no root element");
        err = ERR_PARSE;
        goto done;
    }
    for (int i = 0; formats[i] && !format; i++) {
        format = formats[i]->sniff(root);
        ops = formats[i];
    }
    if (!format) {
        set_err(errbuf, errlen, FEED_NOT_A_FEED ": root element '%s'", (const char *)root->name);
        err = ERR_PARSE;
        goto done;
    }
    f = calloc(1, sizeof(*f));
    if (!f) {
        err = ERR_NOMEM;
        goto done;
    }
    b.feed = f;
    b.doc = doc;
    b.base_url = in->base_url;
    b.text_max = max_bytes;
    f->format = format;
    f->encoding = dup_or_fail(&b, prep.encoding);
    f->bozo = prep.repaired || !ctxt->wellFormed;
    if (prep.repaired) {
        f->bozo_message = dup_or_fail(&b, prep.note);
    } else if (!ctxt->wellFormed) {
        const char *m = ctxt->lastError.message ? ctxt->lastError.message : "not well-formed";
        f->bozo_message = trimmed(&b, m);
    }
    err = ops->parse(&b, root, format);
    if (!err) {
        err = b.err;
    }
    if (!err) {
        err = mark_shared_ids(f);
    }
    if (err) {
        set_err(errbuf, errlen, "%s", yq_strerror(err));
        goto done;
    }
    *out = f;
    f = NULL;
done:
    free(b.channel_link);
    feed_free(f);
    if (doc) {
        xmlFreeDoc(doc);
    }
    if (ctxt) {
        xmlFreeParserCtxt(ctxt);
    }
    feed_prep_release(&prep);
    feed_xml_errors_end(&xerr);
    return err;
}
