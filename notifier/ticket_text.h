/*
 * The one rule for text a person or a feed puts into a ticket's record (issue #15 review):
 * notes, names and reasons of the ticket actions (ticket_flow.c's field checks) and the title,
 * text and account of an official post kept as a possible 回应 (response_store.c cleans them
 * when stored). The ticket log is evidence: what it shows must be what was typed (Unicode
 * TR36 §2.3 on bidi spoofing), and feed text must not move the cursor of an operator's
 * terminal (C1 CSI). Pure functions, no state.
 */
#ifndef NOTIFIER_TICKET_TEXT_H
#define NOTIFIER_TICKET_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest response link accepted (bytes). */
#define TICKET_TEXT_URL_MAX_BYTES 2000

/*
 * Why code point cp may not appear in a ticket's text, or NULL when it may. "含有控制字符": C0
 * (tab and newline allowed when multiline), DEL, C1 (U+0080..U+009F, e.g. U+009B, a
 * terminal's CSI), the line and paragraph separators U+2028, U+2029. "含有双向文字控制字符":
 * U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069. Static strings. Thread-safe.
 */
const char *ticket_text_char_problem(int32_t cp, bool multiline);

/*
 * Why s (NUL-terminated, borrowed) is not acceptable ticket text, or NULL when it is: valid
 * UTF-8 ("不是有效的 UTF-8 文字") of at most max_bytes ("过长") without a character
 * ticket_text_char_problem() refuses. Static strings. Thread-safe.
 */
const char *ticket_text_problem(const char *s, size_t max_bytes, bool multiline);

/*
 * True when u (NUL-terminated, may be NULL) is an acceptable response link: http:// or
 * https:// then at least one byte, at most TICKET_TEXT_URL_MAX_BYTES of acceptable one-line
 * text (above), and none of space, '"', '<', '>', '\\'. A javascript: or data: link is not.
 * Thread-safe.
 */
bool ticket_text_url_ok(const char *u);

/*
 * True when s (NUL-terminated, may be NULL) says nothing: NULL, "" or only white space (ASCII
 * space and controls \t..\r, U+3000 全角空格, the other Unicode spaces) and zero-width spaces
 * (U+200B, U+FEFF). What a required text (办结's 处置结果) must not be. Thread-safe.
 */
bool ticket_text_blank(const char *s);

#endif
