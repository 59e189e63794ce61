/*
 * HTML escaping shared by every page and report that writes feed-controlled text into HTML
 * (design §6: every feed-controlled string escaped). One table, so the queue page, the web UI
 * and the statistics report cannot disagree about what is escaped.
 */
#ifndef YQ_HTML_H
#define YQ_HTML_H

/*
 * The character reference that replaces c in HTML element text and in single- or
 * double-quoted attribute values (& < > " ' and `, the last for old IE attribute parsing),
 * or NULL when c may be written as it is. Static strings; thread-safe.
 */
const char *yq_html_entity(char c);

#endif
