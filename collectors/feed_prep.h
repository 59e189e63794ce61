/*
 * Feed body preparation before XML parsing: pick the character encoding (BOM > HTTP charset >
 * XML declaration > trial UTF-8 with GB18030 fallback; gb2312/gbk/cp936 read as GB18030),
 * transcode to UTF-8, and repair the byte-level faults real feeds have (design §3, sources.md
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
    char encoding[32];   /* source encoding as read ("utf-8", "gb18030", "iso-8859-1") */
    bool repaired;       /* bytes were changed or guessed: the feed is bozo */
    char note[128];      /* first repair reason, "" when none */
    bool looks_html;     /* the first markup is "<!DOCTYPE html" or "<html" */
    bool looks_json;     /* the document starts with '{' (JSON Feed): no XML repairs were
                            made, only invalid UTF-8 replaced by U+FFFD */
};

/*
 * Prepare len bytes of body (borrowed; need not be NUL-terminated). A body whose first
 * non-blank character is '{' is JSON: it is transcoded the same way (BOM > HTTP charset >
 * trial UTF-8 > GB18030) but not repaired as XML.
 * content_type: HTTP Content-Type header value or NULL; its charset wins over the declaration.
 * max_bytes: upper bound for the prepared text (growth from repairs counts).
 * out: caller storage; release with feed_prep_release() whatever the result.
 * Returns 0, ERR_TOO_BIG, ERR_NOMEM or ERR_PARSE (empty body; encoding not supported).
 * Thread-safe.
 */
int feed_prep_run(const char *body, size_t len, const char *content_type, size_t max_bytes,
                  struct feed_prep *out);

/* Free out->text and zero out. NULL is a no-op. */
void feed_prep_release(struct feed_prep *out);

/*
 * Normalise a charset label into buf (lower case): "gb2312", "gbk", "x-gbk", "cp936",
 * "gb_2312-80" become "gb18030"; "utf8" becomes "utf-8". Returns buf.
 */
char *feed_prep_charset_normalize(const char *label, size_t label_len, char *buf,
                                  size_t buflen);

/*
 * Length of the valid UTF-8 prefix of s (len bytes): equals len when all of s is valid
 * (no overlongs, surrogates or values above U+10FFFF).
 */
size_t feed_utf8_valid_prefix(const char *s, size_t len);

#endif
