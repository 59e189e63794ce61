#include "feed_parse.h"

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/uri.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "feed_date.h"
#include "feed_format.h"
#include "feed_prep.h"
#include "feed_xml_errors.h"
#include "yq_err.h"
#include "yq_item.h"
#include "yq_log.h"
#include "yq_banned.h"

#define FEED_XML_OPTIONS                                                                       \
    (XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |         \
     XML_PARSE_IGNORE_ENC | XML_PARSE_COMPACT | XML_PARSE_HUGE)

static const struct feed_format_ops *const formats[] = {
    &feed_rss_ops,
    &feed_rdf_ops,
    &feed_atom_ops,
    &feed_json_ops,
    NULL,
};

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
    room = yq_utf8_boundary((const char *)ch, room);
    st->bytes = st->max;
    if (c->node && fb_mark_cut(c->node)) {
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
    for (size_t i = 0; i < e->n_enclosures; i++) {
        free(e->enclosures[i]);
    }
    free(e->enclosures);
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
    free(f->subtitle);
    free(f->author);
    free(f->encoding);
    free(f->bozo_message);
    free(f);
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

/*
 * The XML tree of the prepared text (freed here, right after the parse: the tree holds what is
 * needed now, peak memory, issue #10), with field text bounded at max_field_bytes; doc_url
 * (may be NULL) is the document's base URI, under every xml:base.
 * Returns 0 (*doc may still be NULL: nothing parseable), ERR_TOO_BIG or ERR_NOMEM.
 */
static int read_xml(struct feed_prep *prep, const struct feed_input *in, const char *doc_url,
                    xmlParserCtxtPtr *ctxt, xmlDocPtr *doc)
{
    struct text_cap cap = {0};
    struct mem_reader reader;

    if (prep->len > INT32_MAX) {
        return ERR_TOO_BIG;
    }
    *ctxt = xmlNewParserCtxt();
    if (!*ctxt) {
        return ERR_NOMEM;
    }
    (*ctxt)->sax->characters = capped_characters;
    (*ctxt)->sax->cdataBlock = capped_cdata;
    cap.max = in->max_field_bytes ? in->max_field_bytes : FEED_MAX_FIELD_BYTES;
    reader.released = prep->text;
    reader.p = prep->text;
    reader.left = prep->len;
    tl_text_cap = &cap;
    *doc = xmlCtxtReadIO(*ctxt, mem_read, NULL, &reader, doc_url, "UTF-8",
                         FEED_XML_OPTIONS);
    tl_text_cap = NULL;
    free(prep->text);
    prep->text = NULL;
    /* a tree cut short by a failed allocation is neither "not a feed" nor a bozo feed */
    return (*ctxt)->errNo == XML_ERR_NO_MEMORY ? ERR_NOMEM : 0;
}

/*
 * The document's base URI (RFC 3986 §5.1): the HTTP Content-Location resolved against the
 * URL the body came from (RFC 7231 §3.1.4.2), else that URL. New string (xmlFree()) or NULL
 * when neither is known.
 */
static xmlChar *document_base(const struct feed_input *in)
{
    if (in->content_location && in->content_location[0]) {
        xmlChar *u = in->base_url ? xmlBuildURI((const xmlChar *)in->content_location,
                                                (const xmlChar *)in->base_url)
                                  : NULL;
        return u ? u : xmlStrdup((const xmlChar *)in->content_location);
    }
    return in->base_url ? xmlStrdup((const xmlChar *)in->base_url) : NULL;
}

/*
 * sources.md §3 (people.com.cn): a date-only pubDate is often the day of the request, not of
 * the article, while the link's path carries the day it was published (/n1/2020/0823/... under
 * pubDate 2020-08-25). An entry whose publication time is a day or coarser takes the day of its
 * link's path (feed_date_from_url_path()) only as that small correction: when the path's day
 * is at most LINK_DAY_MAX_BEFORE_S before that time (never after it, never after the fetch
 * time fetched_at, UTC seconds, 0 = unknown). Any other date-shaped segment is an article id
 * as likely as a date (zhihu.com/question/20190315); a pubDate with a time of day is kept, and
 * an entry without one does not take the path's day.
 */
#define LINK_DAY_MAX_BEFORE_S (7 * 86400)
static void date_from_link_path(struct feed *f, int64_t fetched_at)
{
    for (size_t i = 0; i < f->n_entries; i++) {
        struct feed_entry *e = &f->entries[i];
        int64_t day;
        bool coarse = e->has_published && e->published_precision &&
                      (strcmp(e->published_precision, "day") == 0 ||
                       strcmp(e->published_precision, "month") == 0 ||
                       strcmp(e->published_precision, "year") == 0);
        if (coarse && e->link && feed_date_from_url_path(e->link, &day) == 0 &&
            day <= e->published && e->published - day <= LINK_DAY_MAX_BEFORE_S &&
            (fetched_at <= 0 || day <= fetched_at)) {
            e->published = day;
            e->published_precision = "day";
        }
    }
}

int feed_parse(const struct feed_input *in, struct feed **out, char *errbuf, size_t errlen)
{
    xmlChar *doc_url = NULL;
    struct feed_prep prep;
    struct feed_builder b;
    struct feed_xml_errors xerr;
    struct feed_doc fdoc = {0};
    xmlParserCtxtPtr ctxt = NULL;
    xmlDocPtr doc = NULL;
    struct feed *f = NULL;
    size_t max_bytes = in->max_bytes;
    const struct feed_format_ops *ops = NULL;
    const char *format = NULL;
    char msg[256] = "";
    int err;

    *out = NULL;
    memset(&b, 0, sizeof(b));
    feed_xml_errors_begin(&xerr, in->base_url, false);
    if (max_bytes == 0) {
        max_bytes = in->len * 4 + 64 * 1024;
    }
    doc_url = document_base(in);
    if (((in->content_location && in->content_location[0]) || in->base_url) && !doc_url) {
        set_err(errbuf, errlen, "%s", yq_strerror(ERR_NOMEM));
        err = ERR_NOMEM;
        goto done_early; /* prep not run yet: nothing else to release */
    }
    err = feed_prep_run(in->body, in->len, in->content_type, max_bytes, &prep);
    if (err) {
        set_err(errbuf, errlen, "%s",
                err == ERR_PARSE && prep.error[0] ? prep.error : yq_strerror(err));
        goto done;
    }
    if (prep.looks_html) {
        set_err(errbuf, errlen, FEED_NOT_A_FEED ": %s", "HTML page served instead of a feed");
        err = ERR_NOT_A_FEED;
        goto done;
    }
    if (prep.looks_json) {
        fdoc.text = prep.text; /* no XML repairs were made: the formats read the text */
        fdoc.len = prep.len;
    } else {
        err = read_xml(&prep, in, (const char *)doc_url, &ctxt, &doc);
        if (err) {
            goto done;
        }
        fdoc.root = doc ? xmlDocGetRootElement(doc) : NULL;
        if (!fdoc.root) {
            set_err(errbuf, errlen, FEED_NOT_A_FEED ": %s", "no root element");
            err = ERR_NOT_A_FEED;
            goto done;
        }
    }
    for (int i = 0; formats[i] && !format; i++) {
        format = formats[i]->sniff(&fdoc);
        ops = formats[i];
    }
    if (!format) {
        set_err(errbuf, errlen, FEED_NOT_A_FEED ": root element '%s'",
                fdoc.root ? (const char *)fdoc.root->name : "-");
        err = ERR_NOT_A_FEED;
        goto done;
    }
    f = calloc(1, sizeof(*f));
    if (!f) {
        err = ERR_NOMEM;
        goto done;
    }
    b.feed = f;
    b.doc = doc;
    b.base_url = (const char *)doc_url;
    b.now = in->fetched_at;
    b.text_max = max_bytes;
    f->format = format;
    f->encoding = fb_dup(&b, prep.encoding);
    f->encoding_source = prep.encoding_source;
    f->bozo = prep.repaired || (ctxt && !ctxt->wellFormed);
    if (prep.repaired) {
        f->bozo_message = fb_dup(&b, prep.note);
    } else if (ctxt && !ctxt->wellFormed) {
        const char *m = ctxt->lastError.message ? ctxt->lastError.message : "not well-formed";
        f->bozo_message = fb_trimmed(&b, m);
    }
    err = ops->parse(&b, &fdoc, format, msg, sizeof(msg));
    if (!err) {
        err = b.err;
    }
    if (err) {
        set_err(errbuf, errlen, "%s", msg[0] ? msg : yq_strerror(err));
        goto done;
    }
    err = mark_shared_ids(f);
    if (err) {
        set_err(errbuf, errlen, "%s", yq_strerror(err));
        goto done;
    }
    date_from_link_path(f, in->fetched_at);
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
done_early:
    xmlFree(doc_url);
    feed_xml_errors_end(&xerr);
    return err;
}
