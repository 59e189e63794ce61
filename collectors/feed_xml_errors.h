/*
 * libxml2's error reports captured per thread and logged once per document (issue #10); used
 * by feed_parse.c (feeds) and feed_text.c (HTML fragments of feed text).
 */
#ifndef YQ_FEED_XML_ERRORS_H
#define YQ_FEED_XML_ERRORS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * libxml2's own error reports (issue #10): between begin and end every error libxml2 raises
 * on this thread (parser, HTML parser, tree, memory) is counted here instead of reaching
 * stderr; end restores the previous handler and logs one line through the project's logger
 * (count, first message on one line) -- LOG_INFO, or LOG_DEBUG when quiet (HTML fragments of
 * feed text, whose tag soup is expected). st: caller storage; what: the document (URL) for
 * the log, borrowed until end, may be NULL. Calls nest. Thread-safe (per-thread handler).
 */
struct _xmlError;
struct feed_xml_errors {
    const char *what;
    bool quiet;
    size_t count;
    int first_line;
    int first_code;
    char first[160];
    void (*prev)(void *, struct _xmlError *);
    void *prev_ctx;
};
void feed_xml_errors_begin(struct feed_xml_errors *st, const char *what, bool quiet);
void feed_xml_errors_end(struct feed_xml_errors *st);

#endif
