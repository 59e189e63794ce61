/*
 * Display width of UTF-8 text in a terminal, for the tables the CLI prints: a Chinese
 * (East Asian wide) character takes two columns, a combining mark none, ASCII one. Padding
 * by display width keeps columns aligned where printf("%-16s") pads by bytes (a Chinese
 * character is three bytes but two columns wide). Also the one list of control characters and
 * the folding of a text for comparing renderings (yq_text_fold()).
 */
#ifndef COMMON_YQ_TEXT_H
#define COMMON_YQ_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Columns that s takes on a terminal (utf8proc_charwidth per code point; a control
 * character or an invalid byte counts as one column, so a malformed string still lines up
 * approximately). s: NUL-terminated UTF-8, borrowed; NULL counts as 0. Thread-safe.
 */
size_t yq_text_width(const char *s);

/*
 * Write s into buf padded with spaces on the right to at least width display columns
 * (left-aligned; text wider than width is written whole, never cut). buf: len bytes,
 * always NUL-terminated when len > 0; output that does not fit is truncated at a character
 * boundary. s: NUL-terminated UTF-8, borrowed; NULL is written as "".
 * Returns buf (for use as a printf argument). Thread-safe.
 */
char *yq_text_pad(const char *s, size_t width, char *buf, size_t len);

/*
 * Like yq_text_pad() but right-aligned: spaces first, then s (for numbers in a table).
 */
char *yq_text_pad_left(const char *s, size_t width, char *buf, size_t len);

/*
 * fputs(s) then spaces up to width display columns, to out. Same rules as yq_text_pad()
 * without a length limit. Returns 0 or ERR_IO (the stream failed).
 */
int yq_text_fput_padded(const char *s, size_t width, FILE *out);

/*
 * The one list of characters no stored or printed one-line text may hold (the ticket texts of
 * notifier/ticket_text.c, names, CLI output): yq_text_is_control(): C0 (U+0000..U+001F, tab
 * and newline included), DEL, C1 (U+0080..U+009F), U+2028 and U+2029 (line and paragraph
 * separators); yq_text_is_bidi_control(): the bidirectional marks and controls that make text
 * display reordered (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069). Thread-safe.
 */
bool yq_text_is_control(int32_t cp);
bool yq_text_is_bidi_control(int32_t cp);

/*
 * Whether s (NUL-terminated, borrowed) holds a control character or a bidirectional control
 * (yq_text_is_control(), yq_text_is_bidi_control()) — or a byte that is not valid UTF-8. For one-line names users give (a saved
 * search's name). NULL holds none. Thread-safe.
 */
bool yq_text_has_control(const char *s);

/*
 * s made safe to print on a terminal: each control character as yq_text_has_control() counts
 * them (ESC of an escape sequence included) and each invalid byte becomes U+FFFD, so feed
 * text cannot move the cursor, recolour or retitle the operator's terminal. buf: len bytes,
 * always NUL-terminated when len > 0; output that does not fit is truncated at a character
 * boundary. s: borrowed; NULL is written as "". Returns buf (for use as a printf argument).
 * Thread-safe.
 */
char *yq_text_printable(const char *s, char *buf, size_t len);

/*
 * s as one line of a notification (notifier/outbox.c): each run of white space that breaks or
 * tabulates (TAB..CR, U+0085, U+2028, U+2029) becomes one ASCII space, every other character
 * yq_text_has_control() counts and each invalid byte becomes U+FFFD, the rest is kept as it
 * is, so feed text (a title, an excerpt, a department name) cannot add lines to a message or
 * reorder it. s: NUL-terminated, borrowed; NULL reads as "". out: a new string (free()).
 * Returns 0 or ERR_NOMEM. Thread-safe.
 */
int yq_text_one_line(const char *s, char **out);

/*
 * s folded so that texts differing only in how a site rendered them compare equal (the id of a
 * feed entry without guid and link, collectors/feed_item.c): Unicode NFKC through utf8proc
 * (U+3000 and U+00A0 become ' ', full-width letters and digits half-width), format characters
 * (category Cf: U+200B, U+FEFF, U+00AD, ...) and the other default-ignorable code points
 * dropped, each run of Unicode White_Space (space, tab, CR, LF, U+0085, U+2028, U+2029, what
 * NFKC leaves of the others) one ASCII space, none at either end. Case and script are kept:
 * unlike the matcher's normalisation (pipeline/norm.h: case folding, traditional ->
 * simplified) two texts that differ in a real character stay different. An invalid UTF-8 byte
 * counts as U+FFFD. s: NUL-terminated, borrowed. out: a new string, "" when s holds only white
 * space and invisible characters (free()). Returns 0 or ERR_NOMEM. Thread-safe.
 */
int yq_text_fold(const char *s, char **out);

#endif
