#include "feed_prep.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "feed_charset.h"
#include "yq_buf.h"
#include "yq_err.h"
#include "yq_utf8.h"
#include "yq_banned.h"

#define REPLACEMENT_CHAR "\xEF\xBF\xBD"
#define TITLE_SCAN_MAX_BYTES (64 * 1024)

/* Repair state: r->err latches the first buffer failure so later appends are no-ops. */
struct repair {
    struct yq_buf *out;
    int err;
    struct feed_prep *prep;
    const char *released; /* input below this was given back; NULL: input is borrowed */
};

#define RELEASE_STEP_BYTES ((size_t)8 * 1024 * 1024)

/*
 * The transcoded input (our own buffer, freed when preparation ends) is read once, front to
 * back: give its pages more than RELEASE_STEP_BYTES behind p back to the kernel, so a large
 * non-UTF-8 body is not held three times (body, UTF-8, repaired) at the end (issue #10).
 * Advisory (madvise MADV_DONTNEED); a no-op for borrowed input.
 */
static void release_consumed(struct repair *r, const char *p)
{
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t from, to;

    if (!r->released || page <= 0 || (size_t)(p - r->released) < 2 * RELEASE_STEP_BYTES) {
        return;
    }
    from = ((uintptr_t)r->released + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
    to = ((uintptr_t)p - RELEASE_STEP_BYTES) & ~((uintptr_t)page - 1);
    if (to > from) {
        (void)madvise((void *)from, to - from, MADV_DONTNEED);
        r->released = (const char *)to;
    }
}

static void note(struct feed_prep *p, const char *why)
{
    if (!p->repaired) {
        snprintf(p->note, sizeof(p->note), "%s", why);
    }
    p->repaired = true;
}

static void put(struct repair *r, const char *s, size_t n)
{
    if (!r->err) {
        r->err = yq_buf_add(r->out, s, n);
    }
}

static bool starts(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

static bool starts_ci(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(end - p) >= n && strncasecmp(p, lit, n) == 0;
}

size_t feed_utf8_valid_prefix(const char *s, size_t len)
{
    size_t i = 0;
    int32_t cp;
    while (i < len) {
        size_t n = yq_utf8_seq(s + i, len - i, &cp);
        if (n == 0) {
            break;
        }
        i += n;
    }
    return i;
}

/* Transcode in (len bytes, encoding enc) to UTF-8 into out; invalid input becomes U+FFFD. */
static int transcode(const char *in, size_t len, const char *enc, size_t unit,
                     struct yq_buf *out, struct feed_prep *prep)
{
    char chunk[4096];
    iconv_t cd = iconv_open("UTF-8", enc);
    char *ip = (char *)in;
    size_t ileft = len;
    int err = 0;

    if (cd == (iconv_t)-1) {
        return ERR_PARSE;
    }
    while (ileft > 0 && !err) {
        char *op = chunk;
        size_t oleft = sizeof(chunk);
        size_t rc = iconv(cd, &ip, &ileft, &op, &oleft);
        int saved = errno;

        err = yq_buf_add(out, chunk, sizeof(chunk) - oleft);
        if (rc != (size_t)-1 || err) {
            continue;
        }
        if (saved == E2BIG) {
            continue;
        }
        /* EILSEQ or a truncated sequence at the end (EINVAL): replace and move on */
        note(prep, "invalid byte sequence for the encoding");
        err = yq_buf_add(out, REPLACEMENT_CHAR, 3);
        if (saved == EINVAL) {
            break;
        }
        size_t skip = ileft < unit ? ileft : unit;
        ip += skip;
        ileft -= skip;
    }
    iconv_close(cd);
    return err;
}

static bool is_xml_char(unsigned cp)
{
    return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

struct named_entity {
    const char *name;
    unsigned cp;
};

/* HTML entities seen in Chinese feeds; XML does not define them. */
static const struct named_entity html_entities[] = {
    {"nbsp", 160},   {"copy", 169},    {"reg", 174},    {"deg", 176},    {"middot", 183},
    {"laquo", 171},  {"raquo", 187},   {"times", 215},  {"yen", 165},    {"ensp", 8194},
    {"emsp", 8195},  {"thinsp", 8201}, {"ndash", 8211}, {"mdash", 8212}, {"lsquo", 8216},
    {"rsquo", 8217}, {"ldquo", 8220},  {"rdquo", 8221}, {"bull", 8226},  {"hellip", 8230},
    {"trade", 8482}, {"hearts", 9829}, {"rarr", 8594},  {"larr", 8592},  {NULL, 0},
};

static const struct named_entity xml_entities[] = {
    {"amp", 38}, {"lt", 60}, {"gt", 62}, {"quot", 34}, {"apos", 39}, {NULL, 0},
};

static bool name_start(unsigned char c)
{
    return isalpha(c) || c == '_' || c == ':' || c >= 0x80;
}

static bool name_char(unsigned char c)
{
    return name_start(c) || isdigit(c) || c == '-' || c == '.';
}

/* Handle '&' at p: emit a safe reference. Returns the position after what was consumed. */
static const char *amp(struct repair *r, const char *p, const char *end)
{
    const char *q = p + 1;
    char ref[24];

    if (q < end && *q == '#') {
        bool hex = q + 1 < end && (q[1] == 'x' || q[1] == 'X');
        const char *d = q + (hex ? 2 : 1);
        unsigned long v = 0;
        const char *s = d;
        while (d < end && d - s < 8 &&
               (hex ? isxdigit((unsigned char)*d) : isdigit((unsigned char)*d))) {
            int digit = isdigit((unsigned char)*d) ? *d - '0'
                                                   : tolower((unsigned char)*d) - 'a' + 10;
            v = v * (hex ? 16 : 10) + (unsigned long)digit;
            d++;
        }
        if (d > s && d < end && *d == ';') {
            if (is_xml_char((unsigned)v)) {
                put(r, p, (size_t)(d + 1 - p));
            } else {
                note(r->prep, "character reference to an invalid character");
                put(r, REPLACEMENT_CHAR, 3);
            }
            return d + 1;
        }
    } else if (q < end && name_start((unsigned char)*q) && (unsigned char)*q < 0x80) {
        const char *d = q;
        while (d < end && d - q < 32 && name_char((unsigned char)*d) && (unsigned char)*d < 0x80) {
            d++;
        }
        if (d < end && *d == ';') {
            size_t n = (size_t)(d - q);
            for (int i = 0; xml_entities[i].name; i++) {
                if (strlen(xml_entities[i].name) == n && memcmp(q, xml_entities[i].name, n) == 0) {
                    snprintf(ref, sizeof(ref), "&#%u;", xml_entities[i].cp);
                    put(r, ref, strlen(ref));
                    return d + 1;
                }
            }
            for (int i = 0; html_entities[i].name; i++) {
                if (strlen(html_entities[i].name) == n &&
                    memcmp(q, html_entities[i].name, n) == 0) {
                    note(r->prep, "undefined HTML entity");
                    snprintf(ref, sizeof(ref), "&#%u;", html_entities[i].cp);
                    put(r, ref, strlen(ref));
                    return d + 1;
                }
            }
            /* unknown or DTD-declared: kept as text, never expanded */
            note(r->prep, "undefined entity");
            put(r, "&#38;", 5);
            return q;
        }
    }
    note(r->prep, "raw '&'");
    put(r, "&#38;", 5);
    return q;
}

/* One character of character data at p (not '<'); returns the next position. */
static const char *text_char(struct repair *r, const char *p, const char *end)
{
    unsigned char c = (unsigned char)*p;
    int32_t c32 = 0;
    size_t n;

    if (c == '&') {
        return amp(r, p, end);
    }
    if (c < 0x80) {
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            /* XML 1.0 forbids them (FC-014): removed; VT and FF separate words */
            note(r->prep, "control character");
            if (c == 0x0B || c == 0x0C) {
                put(r, " ", 1);
            }
        } else {
            put(r, p, 1);
        }
        return p + 1;
    }
    n = yq_utf8_seq(p, (size_t)(end - p), &c32);
    if (n == 0 || !is_xml_char((unsigned)c32)) {
        note(r->prep, "invalid UTF-8");
        put(r, REPLACEMENT_CHAR, 3);
        return p + (n ? n : 1);
    }
    put(r, p, n);
    return p + n;
}

struct tag_info {
    const char *name;
    size_t name_len;
    bool self_closing;
    bool xhtml;
};

/* Copy a start tag at p ('<' + name start) fixing '&' and '<' in attribute values. */
static const char *copy_tag(struct repair *r, const char *p, const char *end, struct tag_info *t)
{
    const char *start = p;
    char quote = 0;

    put(r, p++, 1);
    t->name = p;
    while (p < end && name_char((unsigned char)*p)) {
        p++;
    }
    t->name_len = (size_t)(p - t->name);
    put(r, t->name, t->name_len);
    while (p < end) {
        if (quote) {
            if (*p == quote) {
                quote = 0;
                put(r, p++, 1);
            } else if (*p == '<') {
                note(r->prep, "raw '<' in an attribute");
                put(r, "&#60;", 5);
                p++;
            } else {
                p = text_char(r, p, end);
            }
        } else if (*p == '"' || *p == '\'') {
            quote = *p;
            put(r, p++, 1);
        } else if (*p == '>') {
            t->self_closing = p > start && p[-1] == '/';
            put(r, p++, 1);
            break;
        } else {
            p = text_char(r, p, end);
        }
    }
    t->xhtml = memmem(start, (size_t)(p - start), "xhtml", 5) != NULL;
    return p;
}

/*
 * Inside a <title> (RSS titles never hold elements): escape each '<' that is not CDATA or the
 * matching end tag, when that end tag is near and no item boundary lies in between.
 */
static const char *title_body(struct repair *r, const char *p, const char *end,
                              const struct tag_info *t)
{
    char close[80];
    size_t scan = (size_t)(end - p) < TITLE_SCAN_MAX_BYTES ? (size_t)(end - p)
                                                            : TITLE_SCAN_MAX_BYTES;
    const char *q;

    if (t->name_len + 4 > sizeof(close)) {
        return p;
    }
    snprintf(close, sizeof(close), "</%.*s>", (int)t->name_len, t->name);
    q = memmem(p, scan, close, strlen(close));
    if (!q || memmem(p, (size_t)(q - p), "item>", 5) || memmem(p, (size_t)(q - p), "entry>", 6) ||
        memmem(p, (size_t)(q - p), "<item", 5) || memmem(p, (size_t)(q - p), "<entry", 6)) {
        return p;
    }
    while (p < q) {
        if (starts(p, q, "<![CDATA[")) {
            const char *c = memmem(p, (size_t)(end - p), "]]>", 3);
            if (!c || c + 3 > q) {
                return p; /* CDATA runs past the end tag: leave it to the parser */
            }
            put(r, p, (size_t)(c + 3 - p));
            p = c + 3;
        } else if (*p == '<') {
            note(r->prep, "raw '<' in a title");
            put(r, "&#60;", 5);
            p++;
        } else {
            p = text_char(r, p, q);
        }
    }
    return p;
}

/* A DOCTYPE with an optional internal subset: copy through the closing '>'. */
static const char *copy_doctype(struct repair *r, const char *p, const char *end)
{
    const char *s = p;
    int depth = 0;
    char quote = 0;

    for (; p < end; p++) {
        if (quote) {
            quote = *p == quote ? 0 : quote;
        } else if (*p == '"' || *p == '\'') {
            quote = *p;
        } else if (*p == '[') {
            depth++;
        } else if (*p == ']') {
            depth--;
        } else if (*p == '>' && depth <= 0) {
            p++;
            break;
        }
    }
    put(r, s, (size_t)(p - s));
    return p;
}

/*
 * Length of the run at p that needs no repair in character data: printable ASCII other
 * than '<' and '&', and valid UTF-8 XML characters. Copied in one go (the common case).
 */
static size_t plain_run(const char *p, const char *end, bool in_cdata)
{
    const unsigned char *s = (const unsigned char *)p, *e = (const unsigned char *)end;
    const unsigned char *q = s;
    int32_t cp = 0;

    while (q < e) {
        unsigned char c = *q;
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == '<' ||
                (c == '&' && !in_cdata)) {
                break;
            }
            q++;
        } else {
            size_t n = yq_utf8_seq((const char *)q, (size_t)(e - q), &cp);
            if (n == 0 || !is_xml_char((unsigned)cp)) {
                break;
            }
            q += n;
        }
    }
    return (size_t)(q - s);
}

static int repair(const char *p, const char *end, struct yq_buf *out, struct feed_prep *prep,
                  bool owned_input)
{
    struct repair r = {.out = out, .err = 0, .prep = prep, .released = owned_input ? p : NULL};

    r.err = yq_buf_reserve(out, (size_t)(end - p) + (size_t)(end - p) / 16 + 64);
    if (r.err == ERR_TOO_BIG) {
        r.err = 0; /* the cap is checked per append as before */
    }
    while (p < end && !r.err) {
        size_t run = plain_run(p, end, false);
        release_consumed(&r, p);
        if (run) {
            put(&r, p, run);
            p += run;
            continue;
        }
        if (*p != '<') {
            p = text_char(&r, p, end);
        } else if (starts(p, end, "<!--")) {
            const char *q = memmem(p, (size_t)(end - p), "-->", 3);
            const char *stop = q ? q + 3 : end;
            put(&r, p, (size_t)(stop - p));
            p = stop;
        } else if (starts(p, end, "<![CDATA[")) {
            const char *q = memmem(p, (size_t)(end - p), "]]>", 3);
            const char *stop = q ? q + 3 : end;
            /* CDATA is literal: only invalid UTF-8 and control characters are fixed */
            while (p < stop && !r.err) {
                size_t literal = plain_run(p, stop, true);
                release_consumed(&r, p);
                if (literal) {
                    put(&r, p, literal);
                    p += literal;
                    continue;
                }
                if (*p == '&') {
                    put(&r, p++, 1);
                } else {
                    p = text_char(&r, p, stop);
                }
            }
        } else if (starts(p, end, "<?")) {
            const char *q = memmem(p, (size_t)(end - p), "?>", 2);
            const char *stop = q ? q + 2 : end;
            put(&r, p, (size_t)(stop - p));
            p = stop;
        } else if (starts(p, end, "<!")) {
            p = copy_doctype(&r, p, end);
        } else if (p + 1 < end && p[1] == '/') {
            const char *q = memchr(p, '>', (size_t)(end - p));
            const char *stop = q ? q + 1 : end;
            put(&r, p, (size_t)(stop - p));
            p = stop;
        } else if (p + 1 < end && name_start((unsigned char)p[1])) {
            struct tag_info t = {0};
            const char *local;
            size_t local_len;

            p = copy_tag(&r, p, end, &t);
            local = memchr(t.name, ':', t.name_len);
            local = local ? local + 1 : t.name;
            local_len = t.name_len - (size_t)(local - t.name);
            if (!t.self_closing && !t.xhtml && local_len == 5 && memcmp(local, "title", 5) == 0) {
                p = title_body(&r, p, end, &t);
            }
        } else {
            note(prep, "raw '<'");
            put(&r, "&#60;", 5);
            p++;
        }
    }
    return r.err;
}

/* Copy p..end replacing invalid UTF-8 and NULs (JSON: no markup repairs). */
static int utf8_fix(const char *p, const char *end, struct yq_buf *out, struct feed_prep *prep)
{
    struct repair r = {.out = out, .err = 0, .prep = prep};

    while (p < end && !r.err) {
        const char *ok = p + feed_utf8_valid_prefix(p, (size_t)(end - p));
        const char *nul = memchr(p, '\0', (size_t)(ok - p));
        if (nul) {
            ok = nul;
        }
        put(&r, p, (size_t)(ok - p));
        p = ok;
        if (p < end) {
            note(prep, *p ? "invalid UTF-8" : "NUL character");
            put(&r, *p ? REPLACEMENT_CHAR : " ", *p ? 3 : 1);
            p++;
        }
    }
    return r.err;
}

/* After optional declaration, comments and whitespace: does the markup start an HTML page? */
static bool sniff_html(const char *p, const char *end)
{
    for (int guard = 0; guard < 64 && p < end; guard++) {
        while (p < end && isspace((unsigned char)*p)) {
            p++;
        }
        if (starts(p, end, "<?")) {
            const char *q = memmem(p, (size_t)(end - p), "?>", 2);
            p = q ? q + 2 : end;
        } else if (starts(p, end, "<!--")) {
            const char *q = memmem(p, (size_t)(end - p), "-->", 3);
            p = q ? q + 3 : end;
        } else {
            return starts_ci(p, end, "<!doctype html") || starts_ci(p, end, "<html");
        }
    }
    return false;
}

int feed_prep_run(const char *body, size_t len, const char *content_type, size_t max_bytes,
                  struct feed_prep *out)
{
    const char *p = body, *end = body + len;
    struct yq_buf utf8, fixed;
    const char *utf8_text;
    size_t utf8_len, unit = 1;
    struct feed_charset cs;
    int err = 0;

    memset(out, 0, sizeof(*out));
    yq_buf_init(&utf8, max_bytes);
    yq_buf_init(&fixed, max_bytes);
    if (len == 0) {
        snprintf(out->error, sizeof(out->error), "empty body");
        err = ERR_PARSE;
        goto done;
    }
    err = feed_charset_choose(body, len, content_type, &cs);
    snprintf(out->encoding, sizeof(out->encoding), "%s", cs.encoding);
    out->encoding_source = cs.source;
    if (cs.note[0]) {
        note(out, cs.note);
    }
    if (err) {
        snprintf(out->error, sizeof(out->error), "%s", cs.error);
        goto done;
    }
    unit = cs.unit;
    p += cs.bom_bytes;
    if (strcmp(out->encoding, "utf-8") == 0) {
        utf8_text = p;
        utf8_len = (size_t)(end - p);
    } else {
        err = transcode(p, (size_t)(end - p), out->encoding, unit, &utf8, out);
        if (err) {
            if (err == ERR_PARSE) {
                snprintf(out->error, sizeof(out->error), "encoding '%s' not supported",
                         out->encoding);
            }
            goto done;
        }
        utf8_text = utf8.data ? utf8.data : "";
        utf8_len = utf8.len;
    }
    /* whitespace (and a BOM that survived transcoding) before "<?xml" is not allowed */
    p = utf8_text;
    end = utf8_text + utf8_len;
    for (;;) {
        if (p < end && isspace((unsigned char)*p)) {
            p++;
        } else if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
            p += 3;
        } else {
            break;
        }
    }
    if (p == end) {
        snprintf(out->error, sizeof(out->error), "empty body");
        err = ERR_PARSE;
        goto done;
    }
    out->looks_html = sniff_html(p, end);
    out->looks_json = *p == '{';
    err = out->looks_json ? utf8_fix(p, end, &fixed, out) : repair(p, end, &fixed, out, utf8.data != NULL);
    if (err) {
        goto done;
    }
    out->text = yq_buf_steal(&fixed, &out->len);
    if (!out->text) {
        err = ERR_NOMEM;
    }
done:
    yq_buf_release(&utf8);
    yq_buf_release(&fixed);
    return err;
}

void feed_prep_release(struct feed_prep *out)
{
    if (!out) {
        return;
    }
    free(out->text);
    memset(out, 0, sizeof(*out));
}
