/*
 * Feed body preparation before XML parsing: pick the character encoding (BOM > HTTP charset >
 * XML declaration > detection: the UTF-16/32 byte pattern of XML 1.0 Appendix F, else UTF-8
 * when the bytes are valid UTF-8, else uchardet; gb2312/gbk/cp936 read as GB18030; any label
 * glibc iconv knows), transcode to UTF-8 with iconv, and repair the byte-level faults real feeds have (design §3, sources.md
 * §3): leading blank lines before "<?xml", a raw '&', HTML named entities, a raw '<' inside
 * <title>, control characters. Predefined entity references are rewritten as character
 * references because libxml2 2.9 drops entity references from the tree once a document is
 * known to be malformed.
 */
#ifndef YQ_FEED_PREP_H
#define YQ_FEED_PREP_H

#include <stdbool.h>
#include <stddef.h>

struct feed_prep {
    char *text;          /* new: UTF-8 document, NUL-terminated; owned */
    size_t len;          /* bytes of text */
    char encoding[32];   /* source encoding as read ("utf-8", "gb18030", "big5", "utf-16le") */
    /* static, how encoding was chosen: "bom", "http" (Content-Type charset), "declaration"
       (XML encoding=) -- declared; "default" (undeclared, valid UTF-8), "detected" (the
       UTF-16/32 byte pattern or uchardet) -- not declared. NULL when preparation failed. */
    const char *encoding_source;
    char error[128];     /* why ERR_PARSE: "empty body", "encoding not declared, ..." */
    bool repaired;       /* bytes were changed or guessed: the feed is bozo */
    char note[128];      /* first repair reason, "" when none */
    bool looks_html;     /* the first markup is "<!DOCTYPE html" or "<html" */
    bool looks_json;     /* the document starts with '{' (JSON Feed): no XML repairs were
                            made, only invalid UTF-8 replaced by U+FFFD */
};

/*
 * Prepare len bytes of body (borrowed; need not be NUL-terminated). A body whose first
 * non-blank character is '{' is JSON: it is transcoded the same way (BOM > HTTP charset >
 * UTF-16/32 pattern > valid UTF-8 > uchardet) but not repaired as XML.
 * content_type: HTTP Content-Type header value or NULL; its charset wins over the declaration.
 * A label iconv does not know, or a UTF-16/32 label on bytes that are not (and the reverse),
 * is ignored with a note (bozo) and the next source of the order decides. An undeclared body
 * that is not UTF-8 is given to uchardet (its first 256 KiB; only then: the UTF-8 path never
 * runs it); a detected encoding is noted (bozo).
 * max_bytes: upper bound for the prepared text (growth from repairs counts).
 * out: caller storage; release with feed_prep_release() whatever the result.
 * Returns 0, ERR_TOO_BIG, ERR_NOMEM or ERR_PARSE with out->error (empty body; not declared,
 * not UTF-8 and not detected: the body is not decodable, never read as mojibake).
 * Thread-safe.
 */
int feed_prep_run(const char *body, size_t len, const char *content_type, size_t max_bytes,
                  struct feed_prep *out);

/* Free out->text and zero out. NULL is a no-op. */
void feed_prep_release(struct feed_prep *out);

/*
 * Length of the valid UTF-8 prefix of s (len bytes): equals len when all of s is valid
 * (no overlongs, surrogates or values above U+10FFFF).
 */
size_t feed_utf8_valid_prefix(const char *s, size_t len);

#endif
