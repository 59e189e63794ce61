/* JSON-lines view of a parsed feed, for `yuqing-collector parse` and for debugging. */
#ifndef YQ_FEED_DUMP_H
#define YQ_FEED_DUMP_H

#include <stdio.h>

#include "feed_parse.h"

/*
 * Write f (borrowed) to out as JSON lines: first
 * {"kind":"feed","title","link","encoding","format","bozo"}, then one
 * {"kind":"entry","title","link","id","author","published","updated","summary","content",
 * "categories"} per entry; times are RFC 3339 UTC or null, absent strings null.
 * Returns 0, ERR_NOMEM or ERR_IO.
 */
int feed_dump_json(const struct feed *f, FILE *out);

#endif
