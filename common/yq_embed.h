/*
 * Data files built into a binary (common/embed_files.cmake): a table of {name, bytes, length}
 * rows ending with a row whose name is NULL. Each file's bytes are followed by a NUL that
 * len does not count, so a text file can be read as a C string. The tables are generated at
 * build time (e.g. the sentiment lists of common/sentiment/, the hot words' stop words).
 */
#ifndef YQ_EMBED_H
#define YQ_EMBED_H

#include <stddef.h>
#include <string.h>

struct yq_embedded_file {
    const char *name;          /* the file's base name, e.g. "negative.txt" */
    const unsigned char *data; /* len bytes, then a NUL */
    size_t len;
};

/* The row of table named name, or NULL. table and name borrowed. */
static inline const struct yq_embedded_file *yq_embed_find(const struct yq_embedded_file *table,
                                                           const char *name)
{
    for (const struct yq_embedded_file *f = table; f && f->name; f++) {
        if (strcmp(f->name, name) == 0) {
            return f;
        }
    }
    return NULL;
}

#endif
