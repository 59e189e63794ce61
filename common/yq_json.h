/*
 * JSON output shared by the codecs that write jansson objects (items, alerts, rule sets):
 * one way to turn a built object into the text that goes to Kafka, Redis or a file.
 */
#ifndef YQ_JSON_H
#define YQ_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/*
 * Dump obj as JSON text with jansson's flags (JSON_COMPACT, JSON_PRESERVE_ORDER...).
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

#endif
