/*
 * Hot words of an event (issue #13, the event page; docs/desk.md "Hot words"): the words its
 * items use most, from the Chinese word segmenter (yq_segment.h, libfriso) with the project's
 * stop-word list (notifier/event_stopwords.txt, embedded in the binary at build time).
 *
 * Counting is document frequency: a word counts once per text however often that text repeats
 * it, so one long post cannot dominate; the count of a word is the number of texts (items)
 * that use it. A caller passes one text per item (its title and text joined by a newline).
 *
 * Dropped: stop words (function words, pronouns, field-empty words such as 网友, 记者, 今天,
 * 视频, 转发), single characters (one code point), words without a letter other than the
 * number units 年 月 日 号 时 点 分 秒 万 亿 元 个 千 百 (numbers, dates such as 2026年 or 12月,
 * amounts such as 万元, punctuation, symbols), URLs (http://, https://, www. up to the first
 * byte that is not printable ASCII) and @names (@ or ＠ and up to 30 characters after it, to a
 * space or punctuation other than _ and -) which are blanked before splitting, and words
 * longer than EVENT_WORDS_MAX_WORD_BYTES.
 *
 * The event's own matched terms are not merged in: they are words of the items and are
 * counted like any other word when the segmenter finds them (a term the dictionary splits,
 * e.g. a place name, shows as its parts). Hot words show what else people say.
 *
 * Thread-safe: the stop-word table is built once (pthread_once) and read-only after.
 */
#ifndef NOTIFIER_EVENT_WORDS_H
#define NOTIFIER_EVENT_WORDS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "yq_segment.h"

/* At most this many texts are read (an event page shows the latest items first). */
#define EVENT_WORDS_MAX_TEXTS 5000
/* Words longer than this (bytes) are not counted (base64, hashes, glued URLs). */
#define EVENT_WORDS_MAX_WORD_BYTES 48
/* At most this many distinct words are counted (words first seen after it are ignored). */
#define EVENT_WORDS_MAX_DISTINCT 200000
/* The most words returned (max_words is clamped to it). */
#define EVENT_WORDS_MAX_RESULT 200
/* Default for callers: the event page shows 30 hot words. */
#define EVENT_WORDS_DEFAULT_N 30

/*
 * The top max_words words of texts[0..n) (each NUL-terminated UTF-8, bounded by
 * YQ_SEGMENT_MAX_INPUT_BYTES per text; NULL entries are skipped; texts beyond
 * EVENT_WORDS_MAX_TEXTS are ignored) as a new JSON array
 *   [{"word":"征地","count":7},{"word":"补偿","count":5},...]
 * ordered by count descending, then word ascending (byte order of the UTF-8), so the output is
 * deterministic. Words with a count of 1 are included (a small event has few repeats).
 * seg: an open segmenter (borrowed). out: new reference (json_decref()), an empty array when
 * nothing remains. Returns 0, ERR_INVALID (seg or out NULL, or texts NULL with n > 0) or
 * ERR_NOMEM (*out NULL).
 */
int event_words_top(const struct yq_segment *seg, const char *const *texts, size_t n,
                    size_t max_words, json_t **out);

/*
 * The hot words of event event_id from the store: event_words_top() over its items
 * (event_items of that event: title and excerpt joined by a newline, newest
 * EVENT_WORDS_MAX_TEXTS first). A merged event's items are its target's, so ask the target.
 * store: any handle (read-only is fine). out: as event_words_top(); an empty array for an
 * event without items or no such event. Returns 0, ERR_INVALID, ERR_RETRY, ERR_IO or
 * ERR_NOMEM.
 */
struct ticket_store;
int event_words_for_event(struct ticket_store *store, const struct yq_segment *seg,
                          int64_t event_id, size_t max_words, json_t **out);

/*
 * The process's one segmenter of event pages (yq_segment_open() with Debian's friso dictionary,
 * about 0.2 to 1 s and 30 MB to load): loaded at the first call and kept, shared read-only by
 * every thread, for the process's life. NULL when the dictionary cannot be loaded (logged once
 * as a warning). Thread-safe (pthread_once).
 */
const struct yq_segment *event_words_segmenter(void);

/*
 * The hot words of an event page, one rule for the web's GET /api/inbox/ID and `yuqingctl
 * events show`: event_words_top() over texts[0..n) (event_read_texts(): the newest items' title
 * and excerpt; borrowed) with event_words_segmenter(), at most EVENT_READ_MAX_HOT_WORDS, set as
 * page's "hot_words" (page: an event page of event_read_detail(), changed in place; borrowed).
 * With n 0 or without a dictionary, "hot_words" stays as the page has it (an empty array).
 * Segments: call it after releasing any store lock. Returns 0, ERR_INVALID (page NULL, or texts
 * NULL with n > 0) or ERR_NOMEM. Thread-safe.
 */
int event_words_fill_page(json_t *page, char *const *texts, size_t n);

/*
 * Whether word (NUL-terminated UTF-8) is in the shipped stop-word list (exact match after
 * ASCII lower-casing). For tests and the docs; event_words_top() applies more rules (above).
 */
int event_words_is_stopword(const char *word);

#endif
