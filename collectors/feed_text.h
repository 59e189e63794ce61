/*
 * Plain text from feed markup: HTML is parsed with libxml2's HTML parser (network off, no
 * error output), entities are decoded, script/style dropped, <img> replaced by its alt text,
 * block elements and <br> become line breaks; then whitespace is collapsed (runs of spaces,
 * tabs, NBSP, U+3000 → one space; each line trimmed; empty lines dropped).
 */
#ifndef YQ_FEED_TEXT_H
#define YQ_FEED_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Text of len bytes of UTF-8 HTML (need not be NUL-terminated; NULL with len 0 is "").
 * max_bytes bounds the result. out: new NUL-terminated string (free()).
 * Returns 0, ERR_TOO_BIG or ERR_NOMEM. Thread-safe.
 */
int feed_text_from_html(const char *html, size_t len, size_t max_bytes, char **out);

/* Input beyond 4 × max_bytes + this many bytes is not read by the *_cut functions. */
#define FEED_TEXT_HTML_SLACK (64 * 1024)

/*
 * As feed_text_from_html(), but text beyond max_bytes is cut (at a UTF-8 character
 * boundary) instead of failing, and only the first 4 × max_bytes + FEED_TEXT_HTML_SLACK bytes
 * of html are parsed (a longer body's text is cut anyway; its HTML tree would only cost
 * memory). *cut: set true when the input or the text was cut. out: new string (free()).
 * Returns 0 or ERR_NOMEM. Thread-safe.
 */
int feed_text_from_html_cut(const char *html, size_t len, size_t max_bytes, char **out,
                            bool *cut);

/*
 * As feed_text_clean(), on at most the first 4 × max_bytes + FEED_TEXT_HTML_SLACK bytes of
 * s, the result cut to max_bytes at a character boundary. *cut: true when s or the result was
 * cut. out: new string (free()). Returns 0 or ERR_NOMEM. Thread-safe.
 */
int feed_text_clean_cut(const char *s, size_t max_bytes, char **out, bool *cut);

/*
 * Whitespace-collapsed copy of NUL-terminated UTF-8 text s (no markup interpretation).
 * out: new string (free()). Returns 0 or ERR_NOMEM.
 */
int feed_text_clean(const char *s, char **out);

/*
 * A title as plain text: HTML character references decoded once ("&amp;ldquo;" escaped twice
 * by a CMS reads as "“"), markup kept as the literal text it is ("<img src=x>停水通知" stays
 * so: FC-033), whitespace collapsed. The RSS Best Practices Profile (rssboard.org/rss-profile,
 * "Character Data") makes every element but an item's description plain text, and sources.md
 * maps an RSS or bridge title as "decode entities", not "strip HTML"; the web UI escapes it for
 * display. s: NUL-terminated UTF-8, borrowed. max_bytes bounds the result (cut at a character
 * boundary). out: new string (free()). Returns 0 or ERR_NOMEM. Thread-safe.
 */
int feed_text_title(const char *s, size_t max_bytes, char **out);

/* True when s (NUL-terminated) seems to hold markup or an entity: "<a", "</", "&x", "&#". */
bool feed_text_looks_html(const char *s);

#endif
