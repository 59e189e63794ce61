/* JSON-lines view of a parsed feed, for `yuqing-collector parse` and for debugging. */
#ifndef YQ_FEED_DUMP_H
#define YQ_FEED_DUMP_H

#include <stdio.h>

#include "feed_parse.h"

/*
 * Write f (borrowed) to out as JSON lines: first
 * {"kind":"feed","title","link","subtitle","author","updated","encoding","encoding_source",
 * "format","bozo","bozo_message"} (encoding_source: "bom", "http", "declaration" -- declared --
 * or "default", "detected"), then one
 * {"kind":"entry","title","link","id","author","published","published_precision","updated",
 * "summary","content","categories","enclosures"} per entry; times are RFC 3339 UTC or null,
 * absent strings null, published_precision "second" ... "year" (feed_date.h).
 * Returns 0, ERR_NOMEM or ERR_IO.
 */
int feed_dump_json(const struct feed *f, FILE *out);

#endif
