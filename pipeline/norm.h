/*
 * Text normalisation for matching (design §4), applied identically to rule terms and item
 * text, in one pass over the input:
 *
 *   1. Unicode NFKC with case folding (utf8proc), which also maps full-width forms to
 *      half-width (ＷｉＦｉ -> wifi, ５Ｇ -> 5g, U+3000 -> ' ');
 *   2. traditional -> simplified Chinese (OpenCC's t2s, character level: each code point is
 *      converted on its own, which is what matching needs);
 *   3. removal of invisible characters: Unicode category Cf (U+200B..U+200F, U+2060..U+2064,
 *      U+FEFF, U+00AD, ...) and the default-ignorable code points;
 *   4. removal of spaces (those NFKC makes ' ': ASCII, U+3000, U+00A0 ...) between two Chinese
 *      characters ("燃 气" -> "燃气"; Chinese puts no space between words). Line breaks and
 *      spaces next to anything else stay.
 *
 * The three steps are folded into one per-code-point table built once at start-up (every
 * code point of the BMP goes through utf8proc, the CJK blocks then through OpenCC). Above
 * U+FFFF, the supplementary CJK blocks (Extensions B..G, U+20000..U+3134F) go through
 * utf8proc and OpenCC at start-up too, and the few that change (354 with OpenCC 1.1, e.g.
 * U+21ED5 -> 岁, U+2005E -> U+2003E) are kept in a sorted table; every other code point above
 * U+FFFF goes through utf8proc at run time (they are rare) and is otherwise kept as it is.
 * A conversion may change a character's UTF-8 length (4 -> 3 bytes): the offset map below
 * still counts it as one original code point. Normalising a text is
 * then one decode-lookup-copy loop, and it keeps, for every normalised byte, the index of the
 * original code point that produced it, so offsets found in normalised text map back to
 * the original text. Composition across characters is applied as NFC does: a combining mark
 * (or a Hangul vowel or final jamo, a half-width voiced sound mark) composes with the
 * character written before it when Unicode has the composite ("e" U+0301 -> "é"), so text in
 * NFD and a rule typed precomposed (or the reverse) match; the composite's bytes map back to
 * both the base and the mark. Marks above U+FFFF are not composed.
 */
#ifndef NORM_H
#define NORM_H

#include <stddef.h>
#include <stdint.h>

/* OpenCC configuration used by norm_global(). */
#define NORM_OPENCC_CONFIG "t2s.json"

struct norm;

/* A normalised text with its offset map. Caller storage; see norm_text_release(). */
struct norm_text {
    char *buf;         /* normalised UTF-8, NUL-terminated; len bytes */
    size_t len;
    uint32_t *orig_cp; /* orig_cp[i]: index of the original code point that produced byte i */
    size_t orig_n_cp;  /* code points in the original text */
    size_t cap;        /* allocated bytes of buf (and entries of orig_cp) */
};

#define NORM_TEXT_INIT {NULL, 0, NULL, 0, 0}

/*
 * Build the tables. opencc_config: an OpenCC configuration file name or path (borrowed),
 * e.g. "t2s.json" (looked up in OpenCC's data directory).
 * out: on success a new table set (norm_free()); read-only afterwards, so threads may share
 * it. errbuf: one line on failure. Returns 0, ERR_NOT_FOUND (OpenCC could not open the
 * configuration or its dictionaries), ERR_INVALID (OpenCC's output cannot be read back) or
 * ERR_NOMEM. Takes about 0.15 s (0.1 s of it converting the supplementary blocks).
 */
int norm_new(const char *opencc_config, struct norm **out, char *errbuf, size_t errlen);

/* Free n (NULL is a no-op). */
void norm_free(struct norm *n);

/*
 * The process-wide table set for NORM_OPENCC_CONFIG, built on first use (thread-safe,
 * pthread_once) and kept until exit. out: borrowed. Returns 0 or the error of norm_new()
 * (remembered: later calls fail the same way), with one line in errbuf.
 */
int norm_global(const struct norm **out, char *errbuf, size_t errlen);

/*
 * Normalise the len bytes at s (UTF-8, need not be NUL-terminated; borrowed) into out,
 * reusing out's buffers (growing them as needed). Invalid UTF-8 bytes each become U+FFFD
 * and count as one original code point. out->buf is at most max_bytes long: the rest of
 * the text is not normalised (ERR_TOO_BIG is returned and out holds the prefix).
 * Returns 0, ERR_TOO_BIG or ERR_NOMEM (out then holds an empty text). Thread-safe for a
 * shared n; out must not be shared.
 */
int norm_apply(const struct norm *n, const char *s, size_t len, size_t max_bytes,
               struct norm_text *out);

/* Free out's buffers and zero it (NULL is a no-op). */
void norm_text_release(struct norm_text *out);

/*
 * Normalise a NUL-terminated string into a new NUL-terminated string (free()), for rule
 * terms. Spaces at either end next to a Chinese character are dropped (norm_apply() drops
 * them between two Chinese characters of a text, so "燃气 " must be 燃气 to be found).
 * Returns 0, ERR_INVALID (s is not UTF-8) or ERR_NOMEM. Thread-safe.
 */
int norm_string(const struct norm *n, const char *s, char **out);

#endif
