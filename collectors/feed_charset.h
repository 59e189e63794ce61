/*
 * The character encoding of a feed body, chosen before transcoding (feed_prep.c): BOM > HTTP
 * charset > XML declaration > detection -- the UTF-16/32 byte pattern of XML 1.0 Appendix F,
 * UTF-8 when the bytes are valid UTF-8, else uchardet. gb2312/gbk/cp936 read as GB18030
 * (FC-009); any other label as glibc iconv knows it. When uchardet names a Latin single-byte
 * charset (windows-125x, iso-8859-x) for bytes that are well-formed GB18030 with at least 80%
 * of their high bytes in common two-byte Chinese characters (GB2312 punctuation and level-1
 * hanzi), GB18030 is chosen: a short Chinese body fools uchardet (docs/collectors.md,
 * Encodings). Not a public API beyond feed_prep.
 */
#ifndef YQ_FEED_CHARSET_H
#define YQ_FEED_CHARSET_H

#include <stddef.h>

struct feed_charset {
    char encoding[32];  /* iconv name, lower case ("utf-8", "gb18030", "big5", "utf-16le") */
    /* static, how it was chosen: "bom", "http", "declaration" (declared), "default" (not
       declared, valid UTF-8), "detected" (UTF-16/32 byte pattern or uchardet); NULL when
       none could be */
    const char *source;
    size_t bom_bytes;   /* bytes of the BOM to skip, 0 when none */
    size_t unit;        /* code unit, bytes: 1, 2 (UTF-16) or 4 (UTF-32) */
    char note[128];     /* why the result is a guess or a label was ignored ("" when neither):
                           the feed is bozo with it */
    char error[128];    /* why ERR_PARSE */
};

/*
 * Choose the encoding of body (len bytes, borrowed, need not be NUL-terminated; len > 0).
 * content_type: the HTTP Content-Type or NULL. A label iconv does not know, or a UTF-16/32
 * label on bytes that are not (and the reverse), is ignored with a note and the next step
 * decides. uchardet reads at most the first 256 KiB and only of an undeclared body that is
 * not valid UTF-8. out: caller storage, filled whatever the result.
 * Returns 0 or ERR_PARSE (not declared, not UTF-8 and not detected: out->error).
 * Thread-safe.
 */
int feed_charset_choose(const char *body, size_t len, const char *content_type,
                        struct feed_charset *out);

/*
 * Normalise a charset label into buf (lower case): "gb2312", "gbk", "x-gbk", "cp936",
 * "gb_2312-80" become "gb18030"; "utf8" becomes "utf-8". Returns buf.
 */
char *feed_charset_normalize(const char *label, size_t label_len, char *buf, size_t buflen);

#endif
