/*
 * The definitions of the report's terms (stats_defs.c), printed with every report (HTML, CSV,
 * JSON); docs/statistics.md explains them at length.
 */
#ifndef STATS_STATS_DEFS_H
#define STATS_STATS_DEFS_H

/* The definitions printed with every report: {term, text}, ending with {NULL, NULL}. */
struct stats_definition {
    const char *term;
    const char *text;
};
extern const struct stats_definition stats_definitions[];

#endif
