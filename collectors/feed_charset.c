/*
 * The character encoding of a feed body (feed_charset.h): BOM > HTTP charset > XML
 * declaration > detection (UTF-16/32 byte pattern, valid UTF-8, uchardet).
 */
#include "feed_charset.h"

#include <ctype.h>
#include <stdbool.h>
#include <iconv.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <uchardet/uchardet.h>

#include "yq_err.h"
#include "yq_utf8.h"
#include "yq_banned.h"

char *feed_charset_normalize(const char *label, size_t label_len, char *buf, size_t buflen)
{
    static const char *const gb_family[] = {"gb2312", "gbk", "x-gbk", "cp936", "gb_2312-80",
                                            "gb_2312", "csgb2312", "x-gb2312", "ms936", NULL};
    size_t n = 0;

    while (label_len > 0 && (*label == ' ' || *label == '"' || *label == '\'')) {
        label++;
        label_len--;
    }
    while (label_len > 0 && (label[label_len - 1] == ' ' || label[label_len - 1] == '"' ||
                             label[label_len - 1] == '\'')) {
        label_len--;
    }
    for (; n < label_len && n + 1 < buflen; n++) {
        buf[n] = (char)tolower((unsigned char)label[n]);
    }
    buf[n] = '\0';
    for (int i = 0; gb_family[i]; i++) {
        if (strcmp(buf, gb_family[i]) == 0) {
            snprintf(buf, buflen, "gb18030");
            return buf;
        }
    }
    if (strcmp(buf, "utf8") == 0 || strcmp(buf, "us-ascii") == 0 || strcmp(buf, "ascii") == 0) {
        snprintf(buf, buflen, "utf-8");
    }
    return buf;
}


/* bytes of an undeclared body given to uchardet: its verdict is settled long before */
#define FEED_DETECT_MAX_BYTES (256 * 1024)

/* Keep the first reason the choice is a guess or a label was ignored. */
static void set_note(struct feed_charset *out, const char *why)
{
    if (!out->note[0]) {
        snprintf(out->note, sizeof(out->note), "%s", why);
    }
}

/* starts with lit */
static bool starts(const char *p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

/* charset=... of an HTTP Content-Type into enc; false when absent. */
static bool http_charset(const char *content_type, char *enc, size_t enclen)
{
    const char *p = content_type;
    while (p && (p = strchr(p, ';')) != NULL) {
        p++;
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (strncasecmp(p, "charset=", 8) == 0) {
            const char *v = p + 8;
            size_t n = strcspn(v, ";");
            if (n == 0) {
                return false;
            }
            feed_charset_normalize(v, n, enc, enclen);
            return enc[0] != '\0';
        }
    }
    return false;
}

/* encoding="..." of an XML declaration at p into enc; false when absent. */
static bool decl_charset(const char *p, const char *end, char *enc, size_t enclen)
{
    const char *decl_end, *e;

    if (!starts(p, end, "<?xml")) {
        return false;
    }
    decl_end = memmem(p, (size_t)(end - p) < 512 ? (size_t)(end - p) : 512, "?>", 2);
    if (!decl_end) {
        return false;
    }
    e = memmem(p, (size_t)(decl_end - p), "encoding", 8);
    if (!e) {
        return false;
    }
    e += 8;
    while (e < decl_end && (*e == ' ' || *e == '=' || *e == '\t')) {
        e++;
    }
    if (e < decl_end && (*e == '"' || *e == '\'')) {
        char q = *e++;
        const char *close = memchr(e, q, (size_t)(decl_end - e));
        if (close && close > e) {
            feed_charset_normalize(e, (size_t)(close - e), enc, enclen);
            return true;
        }
    }
    return false;
}

/*
 * A byte order mark at u (len bytes): its encoding (static), *skip its bytes, *unit the code
 * unit; NULL when none. FF FE 00 00 is UTF-32LE (U+0000 cannot follow a UTF-16 BOM in XML).
 */
static const char *bom_encoding(const unsigned char *u, size_t len, size_t *skip, size_t *unit)
{
    static const struct {
        const char *bytes;
        size_t len;
        const char *encoding;
        size_t unit;
    } boms[] = {
        {"\xEF\xBB\xBF", 3, "utf-8", 1},     {"\xFF\xFE\x00\x00", 4, "utf-32le", 4},
        {"\x00\x00\xFE\xFF", 4, "utf-32be", 4}, {"\xFF\xFE", 2, "utf-16le", 2},
        {"\xFE\xFF", 2, "utf-16be", 2},
    };

    for (size_t i = 0; i < sizeof(boms) / sizeof(boms[0]); i++) {
        if (len >= boms[i].len && memcmp(u, boms[i].bytes, boms[i].len) == 0) {
            *skip = boms[i].len;
            *unit = boms[i].unit;
            return boms[i].encoding;
        }
    }
    return NULL;
}

/* A character a document may start with: '<' (XML), '{' (JSON) or white space. */
static bool opening_char(unsigned char c)
{
    return c == '<' || c == '{' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The UTF-16/UTF-32 forms without a BOM, from the zero bytes around the first character (XML
 * 1.0 Appendix F: 00 00 00 3C, 3C 00 00 00, 00 3C 00 3F, 3C 00 3F 00; JSON's '{' alike,
 * RFC 4627 §3). Returns the encoding (static) and *unit, or NULL for an ASCII-compatible body.
 */
static const char *wide_pattern(const unsigned char *u, size_t len, size_t *unit)
{
    if (len < 4) {
        return NULL;
    }
    if (u[0] == 0 && u[1] == 0 && u[2] == 0 && opening_char(u[3])) {
        *unit = 4;
        return "utf-32be";
    }
    if (opening_char(u[0]) && u[1] == 0 && u[2] == 0 && u[3] == 0) {
        *unit = 4;
        return "utf-32le";
    }
    if (u[0] == 0 && opening_char(u[1]) && u[2] == 0 && u[3] != 0) {
        *unit = 2;
        return "utf-16be";
    }
    if (opening_char(u[0]) && u[1] == 0 && u[2] != 0 && u[3] == 0) {
        *unit = 2;
        return "utf-16le";
    }
    return NULL;
}

/* The label names a UTF-16 or UTF-32 form ("utf-16", "utf-16le", "ucs-2", "utf-32be", ...). */
static bool wide_label(const char *enc)
{
    return strncmp(enc, "utf-16", 6) == 0 || strncmp(enc, "utf-32", 6) == 0 ||
           strncmp(enc, "ucs-2", 5) == 0 || strncmp(enc, "ucs-4", 5) == 0 ||
           strcmp(enc, "utf16") == 0 || strcmp(enc, "utf32") == 0;
}

/* glibc iconv converts from enc to UTF-8 (any label iconv knows; no table of our own). */
static bool iconv_knows(const char *enc)
{
    iconv_t cd;

    if (strcmp(enc, "utf-8") == 0) {
        return true;
    }
    cd = iconv_open("UTF-8", enc);
    if (cd == (iconv_t)-1) {
        return false;
    }
    iconv_close(cd);
    return true;
}

/*
 * A label (HTTP charset or XML declaration) is used when iconv knows it and it fits the bytes:
 * a UTF-16/32 label on an ASCII-compatible body (or the reverse) is a mislabel and ignored.
 * A bare "utf-16"/"utf-32" takes the byte order of the pattern. Returns true when enc (in/out)
 * is to be used; otherwise the reason is noted (bozo) and the next source of the order is
 * asked.
 */
static bool label_usable(struct feed_charset *out, char *enc, size_t enclen, const char *wide,
                         const char *what)
{
    char why[128];

    if (wide_label(enc) != (wide != NULL)) {
        snprintf(why, sizeof(why), "%s encoding '%.40s' does not fit the bytes: ignored", what,
                 enc);
        set_note(out, why);
        return false;
    }
    if (wide && (strcmp(enc, "utf-16") == 0 || strcmp(enc, "utf-32") == 0 ||
                 strcmp(enc, "utf16") == 0 || strcmp(enc, "utf32") == 0 ||
                 strncmp(enc, wide, 6) != 0)) {
        snprintf(enc, enclen, "%s", wide);
    }
    if (!iconv_knows(enc)) {
        snprintf(why, sizeof(why), "%s encoding '%.40s' unknown: ignored", what, enc);
        set_note(out, why);
        return false;
    }
    return true;
}

/*
 * The charset of an undeclared, non-UTF-8 body by uchardet (Mozilla's universal detector)
 * over its first FEED_DETECT_MAX_BYTES, into enc (normalised: GB2312 reads as GB18030).
 * Returns false when uchardet names none or one iconv does not know.
 */
static bool detect_charset(const char *p, size_t len, char *enc, size_t enclen)
{
    uchardet_t ud = uchardet_new();
    const char *name;
    bool ok = false;

    if (!ud) {
        return false;
    }
    if (uchardet_handle_data(ud, p, len < FEED_DETECT_MAX_BYTES ? len : FEED_DETECT_MAX_BYTES) ==
        0) {
        uchardet_data_end(ud);
        name = uchardet_get_charset(ud);
        if (name && name[0]) {
            feed_charset_normalize(name, strlen(name), enc, enclen);
            ok = enc[0] != '\0' && !wide_label(enc) && iconv_knows(enc);
        }
    }
    uchardet_delete(ud);
    return ok;
}

/* A Latin single-byte charset as uchardet names them (normalised): windows-125x, iso-8859-x. */
static bool latin_single_byte(const char *enc)
{
    return strncmp(enc, "windows-125", 11) == 0 || strncmp(enc, "iso-8859-", 9) == 0;
}

/*
 * A double-byte Chinese charset as the short-body check reads it: a lead byte 0x81-0xFE with a
 * trail 0x40-0x7E or trail_hi_min-0xFE (GB18030 also 0x80-0xA0; Big5 not), the GB18030
 * four-byte form when four_byte, and the rows that everyday Chinese text is made of: lead
 * bytes common_lo-common_hi with a trail >= 0xA1 for GB2312 (punctuation 0xA1-0xA3, the 3,755
 * level-1 hanzi 0xB0-0xD7), any trail for Big5 (punctuation 0xA1-0xA3, the 5,401 frequent
 * hanzi 0xA4-0xC6).
 */
struct dbcs_rows {
    unsigned char trail_hi_min;
    bool four_byte;
    unsigned char common[2][2]; /* lead ranges */
    unsigned char common_trail_min;
};

static const struct dbcs_rows gb18030_rows = {0x80, true, {{0xA1, 0xA3}, {0xB0, 0xD7}}, 0xA1};
static const struct dbcs_rows big5_rows = {0xA1, false, {{0xA1, 0xA3}, {0xA4, 0xC6}}, 0x40};

/*
 * Whether the first len bytes of p read as Chinese in the charset of r: every byte sequence
 * is well formed in it, at least DBCS_CJK_SHARE percent of the bytes >= 0x80 are in
 * two-byte characters of its common rows (a Big5 pair with an ASCII trail counts its one high
 * byte in both sums, so the share never passes 100%), and one of those characters has two
 * bytes >= 0x80. Latin text in windows-125x or ISO 8859 has isolated high bytes (é, ü, ą
 * between ASCII letters) that do not pair in GB18030; in Big5 they pair with the ASCII letter
 * after them (°C, µm, ·L, Åsa are frequent Big5 hanzi), which alone is no evidence of Chinese:
 * a Big5 text of three or more characters has one with a high trail byte all but always.
 * Cyrillic lower case (0xE0-0xFF) pairs only outside the common rows. A sequence cut by the end of
 * the window (the body is longer than what uchardet read) is not held against it.
 */
#define DBCS_CJK_SHARE 80
static bool reads_as_dbcs(const unsigned char *p, size_t len, const struct dbcs_rows *r)
{
    size_t high = 0, cjk = 0, i = 0, w;
    bool both_high = false;

    while (i < len) {
        unsigned char c = p[i], t;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c == 0x80 || c == 0xFF) {
            return false;
        }
        if (i + 1 >= len) {
            break; /* cut at the window's end */
        }
        t = p[i + 1];
        if (r->four_byte && t >= 0x30 && t <= 0x39) {
            if (i + 3 >= len) {
                break;
            }
            if (p[i + 2] < 0x81 || p[i + 2] == 0xFF || p[i + 3] < 0x30 || p[i + 3] > 0x39) {
                return false;
            }
            high += 2; /* the four-byte form: rare in Chinese text, never counted as common */
            i += 4;
            continue;
        }
        if (t < 0x40 || t == 0x7F || t == 0xFF || (t >= 0x80 && t < r->trail_hi_min)) {
            return false;
        }
        w = t >= 0x80 ? 2 : 1; /* the pair's bytes >= 0x80, counted alike in both sums */
        high += w;
        for (int k = 0; k < 2; k++) {
            if (c >= r->common[k][0] && c <= r->common[k][1] && t >= r->common_trail_min) {
                cjk += w;
                both_high = both_high || w == 2;
                break;
            }
        }
        i += 2;
    }
    return both_high && cjk * 100 >= high * DBCS_CJK_SHARE;
}

static bool reads_as_gb18030(const unsigned char *p, size_t len)
{
    return reads_as_dbcs(p, len, &gb18030_rows);
}

/*
 * Whether the bytes contradict an ASCII-compatible label (HTTP charset or declaration): a
 * UTF-8 label on a body most of whose bytes >= 0x80 are not in well-formed UTF-8 sequences
 * and that reads as Chinese GB18030 (reads_as_gb18030()) or as a multi-byte charset uchardet
 * names (Big5, EUC-JP ...): GBK behind encoding="utf-8" would be U+FFFD throughout; or any other
 * label on a body that is valid UTF-8 with at least LIE_MIN_UTF8_CJK three-byte sequences (a
 * template that still says gb2312 over a site moved to UTF-8; Chinese text in GBK or Big5 is
 * essentially never valid UTF-8 over several characters). A few stray bytes in a UTF-8 body keep
 * the label (mixed invalid bytes become U+FFFD). Reads at most FEED_DETECT_MAX_BYTES.
 */
#define LIE_MIN_UTF8_CJK 2
static bool label_contradicted(const char *enc, const char *body, size_t len)
{
    size_t n = len < FEED_DETECT_MAX_BYTES ? len : FEED_DETECT_MAX_BYTES;
    size_t high = 0, in_utf8 = 0, three = 0, i = 0;
    bool valid = true;

    while (i < n) {
        int32_t cp;
        size_t k;
        if ((unsigned char)body[i] < 0x80) {
            i++;
            continue;
        }
        k = yq_utf8_seq(body + i, n - i, &cp);
        if (k == 0) {
            /* a sequence cut by the end of the window is not held against the body */
            valid = valid && n < len && n - i < 4;
            high++;
            i++;
            continue;
        }
        high += k;
        in_utf8 += k;
        three += k == 3;
        i += k;
    }
    if (strcmp(enc, "utf-8") == 0) {
        char guess[32];
        /* and the bytes read as a multi-byte Asian charset: not garbage to mark U+FFFD */
        return high > 0 && in_utf8 * 2 < high &&
               (reads_as_gb18030((const unsigned char *)body, n) ||
                (detect_charset(body, len, guess, sizeof(guess)) && !latin_single_byte(guess)));
    }
    return valid && three >= LIE_MIN_UTF8_CJK;
}

/* label_usable(), and the bytes do not contradict it (label_contradicted(): noted). */
static bool label_fits(struct feed_charset *out, char *enc, size_t enclen, const char *wide,
                       const char *what, const char *body, size_t len)
{
    char why[128];

    if (!label_usable(out, enc, enclen, wide, what)) {
        return false;
    }
    if (!wide && label_contradicted(enc, body, len)) {
        snprintf(why, sizeof(why), "%s encoding '%.40s' contradicted by the bytes: ignored", what,
                 enc);
        set_note(out, why);
        return false;
    }
    return true;
}

int feed_charset_choose(const char *body, size_t len, const char *content_type,
                        struct feed_charset *out)
{
    const unsigned char *u = (const unsigned char *)body;
    size_t *skip = &out->bom_bytes, *unit = &out->unit;
    const char *bom;

    memset(out, 0, sizeof(*out));
    out->unit = 1;
    bom = bom_encoding(u, len, skip, unit);
    const char *wide;
    size_t wide_unit = 1;

    if (bom) {
        snprintf(out->encoding, sizeof(out->encoding), "%s", bom);
        out->source = "bom";
        return 0;
    }
    wide = wide_pattern(u, len, &wide_unit);
    if (http_charset(content_type, out->encoding, sizeof(out->encoding)) &&
        label_fits(out, out->encoding, sizeof(out->encoding), wide, "HTTP", body, len)) {
        *unit = wide ? wide_unit : 1; /* HTTP charset beats the declaration */
        out->source = "http";
        return 0;
    }
    if (wide) {
        /* the declaration is in the wide form itself: the byte pattern says which */
        snprintf(out->encoding, sizeof(out->encoding), "%s", wide);
        *unit = wide_unit;
        out->source = "detected";
        return 0;
    }
    {
        const char *s = body, *end = body + len;
        while (s < end && isspace((unsigned char)*s)) {
            s++;
        }
        if (decl_charset(s, end, out->encoding, sizeof(out->encoding)) &&
            label_fits(out, out->encoding, sizeof(out->encoding), NULL, "declared", body, len)) {
            out->source = "declaration";
            return 0;
        }
    }
    if (yq_utf8_valid(body, len, NULL)) {
        snprintf(out->encoding, sizeof(out->encoding), "utf-8");
        out->source = "default"; /* XML's and JSON's default, and the bytes fit */
        return 0;
    }
    if (detect_charset(body, len, out->encoding, sizeof(out->encoding))) {
        char why[96];
        /* uchardet's guess on a short GB2312 body is often a Latin single-byte charset
           (~100 bytes of 征地补偿 read as windows-1252); this deployment reads Chinese
           sources, so bytes that read as common Chinese in GB18030 are taken as that */
        size_t window = len < FEED_DETECT_MAX_BYTES ? len : FEED_DETECT_MAX_BYTES;
        if (latin_single_byte(out->encoding) && reads_as_gb18030(u, window)) {
            snprintf(out->encoding, sizeof(out->encoding), "gb18030");
        } else if (latin_single_byte(out->encoding) && reads_as_dbcs(u, window, &big5_rows)) {
            /* the same for a short Traditional Chinese body ("颱風警報發布" in Big5) */
            snprintf(out->encoding, sizeof(out->encoding), "big5");
        }
        snprintf(why, sizeof(why), "no declared encoding: detected %s", out->encoding);
        set_note(out, why);
        out->source = "detected";
        return 0;
    }
    out->encoding[0] = '\0';
    snprintf(out->error, sizeof(out->error),
             "encoding not declared, not UTF-8 and not detected: body not decodable");
    return ERR_PARSE;
}

