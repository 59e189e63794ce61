/*
 * Chinese word segmentation (issue #13: the event page's hot words; issue #14: the archive's
 * full-text index) over libfriso, Debian's packaged MMSEG segmenter, with Debian's UTF-8
 * dictionary (package friso-dict: /usr/share/friso/dict/UTF-8/friso.lex.ini and its lexicon
 * files). No words are made up here: every token is friso's.
 *
 * The dictionary (about 180 000 words) is loaded once per handle, in about 0.2 s: open one
 * handle per process and share it. The configuration is written in code (yq_segment_open()), not read from
 * /etc/friso/friso.ini: complex mode (MMSEG's four rules), max word length 5, Chinese name
 * recognition on, synonyms off, friso's own stop words kept (callers filter, see
 * event_words.h), unrecognised characters kept.
 *
 * Thread-safety: after yq_segment_open() returns, a handle is read-only; yq_segment_split()
 * creates its own friso task per call, so any number of threads may split with one handle
 * (libfriso keeps no global state: its .data and .bss hold nothing of its own;
 * test_segment splits from four threads at once). libfriso exits the process when one of its
 * own allocations fails (its ___ALLOCATION_ERROR___); ours return ERR_NOMEM.
 */
#ifndef YQ_SEGMENT_H
#define YQ_SEGMENT_H

#include <stddef.h>
#include <stdint.h>

/* Debian's UTF-8 dictionary directory (friso-dict); must end with '/'. */
#define YQ_SEGMENT_DEFAULT_DICT_DIR "/usr/share/friso/dict/UTF-8/"

/*
 * The longest text split in one call (bytes): longer input is cut at the last UTF-8 character
 * boundary before it and the result says so (truncated). A post, a news article's text or a
 * title is far below it.
 */
#define YQ_SEGMENT_MAX_INPUT_BYTES (256 * 1024)

/* The most words one call returns; the rest of the text is not split (truncated). */
#define YQ_SEGMENT_MAX_WORDS 65536

struct yq_segment;

/* One word of a text: a copy of its bytes and where it was in the input. */
struct yq_segment_word {
    char *text;    /* new, NUL-terminated UTF-8, as friso gives it: Latin letters lower-cased,
                      full-width letters and digits made half-width; owned by the list */
    size_t offset; /* byte offset of the word's first byte in the input */
    size_t len;    /* bytes of the word in the input (may differ from strlen(text)) */
};

struct yq_segment_words {
    size_t n;
    struct yq_segment_word *v; /* owned array of n words, in text order */
    int truncated;             /* 1: the input was longer than the limits above */
};

/*
 * Load the dictionary of dict_dir (a directory holding friso.lex.ini and the .lex files it
 * names; NULL = YQ_SEGMENT_DEFAULT_DICT_DIR) into a new handle *out.
 * Returns 0; ERR_NOT_FOUND when dict_dir or its friso.lex.ini is missing or unreadable, or the
 * dictionary loaded no words (one line in errbuf naming the path and "install friso-dict");
 * ERR_INVALID (dict_dir longer than 4000 bytes); ERR_NOMEM. On failure *out is NULL.
 */
int yq_segment_open(const char *dict_dir, struct yq_segment **out, char *errbuf, size_t errlen);

/* Free the handle and its dictionary. NULL is a no-op. */
void yq_segment_close(struct yq_segment *seg);

/*
 * Split len bytes of UTF-8 text (need not be NUL-terminated) into words, in order. Spaces,
 * control characters and punctuation are not returned; Latin words and numbers are (see
 * struct yq_segment_word). Invalid UTF-8 sequences are replaced (for splitting only) by
 * spaces, so they separate words and never reach the output; offsets still refer to the
 * original bytes. A NUL byte ends the text.
 * out: caller storage, filled on success; release with yq_segment_words_release().
 * Returns 0, ERR_INVALID (seg or out NULL, or text NULL with len > 0) or ERR_NOMEM (out empty).
 * Thread-safe for one handle (see above).
 */
int yq_segment_split(const struct yq_segment *seg, const char *text, size_t len,
                     struct yq_segment_words *out);

/* Free the words and zero the list. NULL is a no-op. */
void yq_segment_words_release(struct yq_segment_words *words);

#endif
