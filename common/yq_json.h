/*
 * JSON shared by the codecs that read and write jansson objects (items, alerts, source events,
 * rule sets): one way to turn a built object into the text that goes to Kafka, Redis or a file,
 * one way to read such a message back (yq_json_decode_object()) and one way to read a JSON
 * array column back from a store (yq_json_column_array()).
 */
#ifndef YQ_JSON_H
#define YQ_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/*
 * json_dumps() that never returns damaged text: v (borrowed; NULL gives NULL) as JSON with
 * jansson's flags. jansson (2.14, and upstream since) ignores a failed write of an object key
 * and goes on, so after one failed allocation json_dumps() can return text with a key cut out
 * ({"schema":1,":"x",...}, or "":"x", which a reader takes for a missing field); here the first
 * failed write fails the dump. json_dumps() itself is banned (yq_banned.h).
 * Returns new NUL-terminated text (free()), or NULL when out of memory or when jansson refuses
 * v (not an array or object without JSON_ENCODE_ANY, a reference cycle). Thread-safe.
 */
char *yq_json_dumps(const json_t *v, size_t flags);

/*
 * Dump obj as JSON text with jansson's flags (JSON_COMPACT, JSON_PRESERVE_ORDER...) through
 * yq_json_dumps().
 * obj: takes ownership (released on every path); NULL (a failed build) is ERR_NOMEM.
 * out: new NUL-terminated text (free()); out_len (may be NULL) gets its length in bytes.
 * Returns 0 or ERR_NOMEM. Thread-safe.
 */
int yq_json_dump(json_t *obj, size_t flags, char **out, size_t *out_len);

/*
 * Append to the array set each element of the array from that set does not hold yet
 * (json_equal()), in from's order; with strings_only, elements that are not strings are
 * skipped. from (borrowed) may be NULL or not an array: nothing to add. set gains references.
 * Returns 0, or ERR_NOMEM when an append fails (also when set is not an array and there is
 * something to add). Not thread-safe for the same set.
 */
int yq_json_array_add_distinct(json_t *set, const json_t *from, bool strings_only);

/*
 * Load one wire message (a Kafka payload, a Redis value, a fetched body) as a JSON object,
 * with the one policy every reader of a message shares, so that two readers of one message never
 * disagree: a key twice is refused (JSON_REJECT_DUPLICATES: jansson would keep one of them), a
 * NUL byte inside a string is refused (JSON_ALLOW_NUL off), nothing may follow the value.
 * buf:       len bytes, not NUL-terminated, borrowed; NULL is read as "" (len ignored).
 * max_bytes: the caller's cap on len; 0 means none.
 * what:      names the message in errors ("item", "alert", "rule set"), NUL-terminated.
 * out:       on success a new object (json_decref()); NULL on every error.
 * errbuf:    on failure one line (may be NULL): "<what> is N bytes, more than M",
 *            "<what> is not JSON: <jansson text> at line L col C" or
 *            "<what> is not a JSON object".
 * Returns 0, ERR_TOO_BIG (over max_bytes), ERR_PARSE (not JSON, a key twice, a NUL, not an
 * object) or ERR_NOMEM. Thread-safe.
 */
int yq_json_decode_object(const char *buf, size_t len, size_t max_bytes, const char *what,
                          json_t **out, char *errbuf, size_t errlen);

/*
 * A JSON array column read back from a store (rule_ids, matches, co_departments, ...): the
 * text our own writers stored. One rule for every reader: NULL or "" is an empty array; a
 * corrupt value (not JSON, or JSON that is not an array) is also read as an empty array, and
 * one LOG_WARN "stored json column corrupt column=<column>" says so (never the value). The
 * readers are listings, ticket views, notifications and statistics, where the rest of the row
 * is still worth showing: they go on with nothing in that column instead of failing the row.
 * text:   NUL-terminated, borrowed; may be NULL.
 * column: names the column in the warning ("co_departments"), NUL-terminated.
 * Returns a new array (json_decref()), or NULL only when out of memory. Thread-safe.
 */
json_t *yq_json_column_array(const char *text, const char *column);

#endif
