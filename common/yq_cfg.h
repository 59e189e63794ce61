/*
 * Table-driven configuration over YAML (libyaml's document API).
 *
 * Each module declares its keys in one table of struct cfg_key; cfg_fill() fills a struct by
 * offsetof from one YAML mapping, applies defaults and ranges, and rejects unknown keys and
 * wrong types naming the file, line and key. Sections nest through CFG_SECTION; a group of
 * keys several processes share (the metrics endpoint's address and port) is defined once and
 * included in a table with a CFG_GROUP row. Overrides given on the command line as
 * "--set a.b=value" are applied on top of the file.
 */
#ifndef YQ_CFG_H
#define YQ_CFG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <yaml.h>

enum cfg_type {
    CFG_STRING,   /* char * (new, freed by cfg_release); default NULL when def is NULL */
    CFG_INT,      /* int64_t, range [min, max] */
    CFG_SIZE,     /* int64_t byte count; accepts suffixes k, M, G (powers of 1024) */
    CFG_MS,       /* int64_t milliseconds; accepts suffixes ms, s, m, h, d (plain = ms) */
    CFG_BOOL,     /* bool; true/false/yes/no/on/off */
    CFG_SECTION,  /* nested mapping filled from .sub at .offset */
    CFG_EXTERNAL, /* handled by the caller (e.g. a list); cfg_fill only accepts the key */
    /*
     * The keys of .sub, at the same level as this row's table (no mapping of its own), filling
     * the struct at .offset: a shared group included by name. The row's name is not a YAML key
     * (it names the group in docs); the group's key names must not repeat the table's.
     */
    CFG_GROUP,
};

struct cfg_key {
    const char *name;
    enum cfg_type type;
    const char *def; /* default as text, or NULL (string: NULL; numbers: required) */
    int64_t min;     /* numbers only */
    int64_t max;     /* numbers only */
    size_t offset;   /* offsetof(struct ..., field) */
    const char *help;
    const struct cfg_key *sub; /* CFG_SECTION, CFG_GROUP: the nested or included table */
};

/*
 * Rows of a key table over one struct. The table names its struct's tag once, in CFG_KEYS_OF,
 * defined just before the table and #undef'd after it; each row then names its field, and the
 * key is the field's name (so the YAML key, the struct field and the documentation cannot drift
 * apart, and a key's unit is in its name: "ack_ms" fills ack_ms):
 *
 *   #define CFG_KEYS_OF spike_cfg
 *   const struct cfg_key spike_cfg_keys[] = {
 *       CFG_INT_KEY(group_min_count, "10", 1, 1000000, "and at least this many items"),
 *       CFG_MS_KEY(scan_interval_ms, "5m", 10000, 3600000, "how often the notifier scans"),
 *       CFG_KEYS_END,
 *   };
 *   #undef CFG_KEYS_OF
 *
 * def is the default as text (see struct cfg_key); min and max bound numbers; help is the one
 * line a process's --print-config prints beside the key. The typed rows do not compile unless
 * the field has the type cfg_fill() writes (int64_t for INT, SIZE and MS, bool, char *).
 * CFG_FIELD_KEY is the general row (unchecked), for a key whose YAML name predates its field's
 * (a published key kept, e.g. "interval" for interval_ms).
 */
/* clang-format off */
#define CFG_ROW_(name, type, def, min, max, offset, help, sub) \
    {name, type, def, min, max, offset, help, sub}
/* field's offset, and a compile error unless field has type T (a row of the wrong type) */
#define CFG_TYPED_OFFSET_(field, T) \
    _Generic(((struct CFG_KEYS_OF *)0)->field, T: offsetof(struct CFG_KEYS_OF, field))
#define CFG_FIELD_KEY(name, type, field, def, min, max, help, sub) \
    CFG_ROW_(name, type, def, min, max, offsetof(struct CFG_KEYS_OF, field), help, sub)
#define CFG_INT_KEY(field, def, min, max, help) \
    CFG_ROW_(#field, CFG_INT, def, min, max, CFG_TYPED_OFFSET_(field, int64_t), help, NULL)
#define CFG_SIZE_KEY(field, def, min, max, help) \
    CFG_ROW_(#field, CFG_SIZE, def, min, max, CFG_TYPED_OFFSET_(field, int64_t), help, NULL)
#define CFG_MS_KEY(field, def, min, max, help) \
    CFG_ROW_(#field, CFG_MS, def, min, max, CFG_TYPED_OFFSET_(field, int64_t), help, NULL)
#define CFG_BOOL_KEY(field, def, help) \
    CFG_ROW_(#field, CFG_BOOL, def, 0, 0, CFG_TYPED_OFFSET_(field, bool), help, NULL)
#define CFG_STRING_KEY(field, def, help) \
    CFG_ROW_(#field, CFG_STRING, def, 0, 0, CFG_TYPED_OFFSET_(field, char *), help, NULL)
/* A nested mapping "field:" filled by the table sub into the struct member field. */
#define CFG_SECTION_KEY(field, help, sub) \
    CFG_FIELD_KEY(#field, CFG_SECTION, field, NULL, 0, 0, help, sub)
/* The shared group sub included at this level into the member field; name only documents. */
#define CFG_GROUP_KEY(name, field, help, sub) \
    CFG_FIELD_KEY(name, CFG_GROUP, field, NULL, 0, 0, help, sub)
/*
 * A key the caller reads itself (a list, a mapping of its own); cfg_fill only accepts it. def is
 * the default the caller applies, as text for the documentation ("[]"), or NULL.
 */
#define CFG_EXTERNAL_KEY(name, def, help) {name, CFG_EXTERNAL, def, 0, 0, 0, help, NULL}
/* The row that ends every key table. */
#define CFG_KEYS_END {NULL, 0, NULL, 0, 0, 0, NULL, NULL}
/* clang-format on */

/*
 * A macro's value as a string literal, for a row whose default is a constant defined elsewhere
 * (its one source): CFG_INT_KEY(retention_days, CFG_QUOTE(ARCHIVE_DEFAULT_RETENTION_DAYS), ...).
 */
#define CFG_QUOTE(x) CFG_QUOTE_(x)
#define CFG_QUOTE_(x) #x

/* A parsed YAML document plus the file name used in messages. */
struct cfg_doc {
    yaml_document_t doc;
    char *file;
    bool loaded;
};

/*
 * Parse a YAML file (or, when text is non-NULL, text of text_len bytes named file) into doc.
 * doc: caller-owned storage; release with cfg_doc_release() whatever the result.
 * A file may hold 16 MiB; the document read through its aliases at most as much (a byte per
 * node plus the scalars' bytes), nested at most 64 levels, with at most 1024 anchors and no
 * alias inside the node it names: past these it is refused as ERR_PARSE.
 * Returns 0, ERR_NOT_FOUND (file missing), ERR_IO or ERR_PARSE with one line in errbuf
 * ("FILE:LINE:COL: reason").
 */
int cfg_doc_load(struct cfg_doc *doc, const char *file, const char *text, size_t text_len,
                 char *errbuf, size_t errlen);
void cfg_doc_release(struct cfg_doc *doc);

/* The root node, or NULL for an empty document. Borrowed from doc. */
yaml_node_t *cfg_doc_root(struct cfg_doc *doc);

/* Node by index (as stored in mapping pairs and sequence items); borrowed. */
yaml_node_t *cfg_doc_node(struct cfg_doc *doc, int index);

/* A scalar node's value (NUL-terminated, borrowed) or NULL when node is not a scalar. */
const char *cfg_scalar(const yaml_node_t *node);

/*
 * Whether a key's value node gives nothing: NULL (the key is absent) or an empty scalar
 * ("key:" with nothing after it), which stands for an empty list, mapping or section.
 */
bool cfg_value_empty(const yaml_node_t *node);

/* Value node of key in a mapping node, or NULL. Borrowed. */
yaml_node_t *cfg_map_get(struct cfg_doc *doc, yaml_node_t *map, const char *key);

/*
 * Set every field of base named in keys from mapping map (NULL = all defaults) in doc.
 * Defaults apply to absent keys; unknown keys, wrong types and out-of-range values fail.
 * base:   the struct keys describe; strings it receives are new (free with cfg_release()).
 * Returns 0, ERR_INVALID or ERR_NOMEM with "FILE:LINE: key 'x': reason" in errbuf.
 */
int cfg_fill(const struct cfg_key *keys, void *base, struct cfg_doc *doc, yaml_node_t *map,
             char *errbuf, size_t errlen);

/*
 * A process's configuration from a file: doc = path parsed (or text of text_len bytes named
 * path, when text is non-NULL), then keys filled into base from its root mapping (defaults
 * first). path NULL and text NULL: defaults only, doc left empty. A file (text NULL) that
 * holds no node (empty, only comments) is ERR_INVALID: a truncated file is not "defaults".
 * doc: caller storage; afterwards it holds the file for the parts the table does not describe
 *      (lists, routes); release with cfg_doc_release() whatever the result.
 * Returns 0, ERR_NOT_FOUND, ERR_IO, ERR_PARSE (cfg_doc_load()), ERR_INVALID or ERR_NOMEM
 * (cfg_fill()) with one line in errbuf.
 */
int cfg_load(const struct cfg_key *keys, void *base, const char *path, const char *text,
             size_t text_len, struct cfg_doc *doc, char *errbuf, size_t errlen);

/*
 * Apply one "dotted.key=value" override to base (as if it were in the file).
 * Returns 0 or ERR_INVALID ("unknown key", "bad value") with a message in errbuf.
 */
int cfg_set(const struct cfg_key *keys, void *base, const char *assignment, char *errbuf,
            size_t errlen);

/* cfg_set() of each of the n_sets assignments in order; stops at the first error. */
int cfg_set_all(const struct cfg_key *keys, void *base, const char *const *sets, int n_sets,
                char *errbuf, size_t errlen);

/* Free every CFG_STRING field of base (recursively through sections); base itself is kept. */
void cfg_release(const struct cfg_key *keys, void *base);

/*
 * Make base own its strings: every CFG_STRING field of base (recursively through sections and
 * groups), which points at a string owned elsewhere (e.g. a struct copied by value), is
 * replaced by a new copy, so base can outlive the struct it was copied from and is freed by
 * cfg_release(). CFG_EXTERNAL fields are the caller's. Returns 0, or ERR_NOMEM: base then
 * owns the copies made so far and NULL in the rest (cfg_release() frees them).
 */
int cfg_own_strings(const struct cfg_key *keys, void *base);

/*
 * Print base as YAML (indent spaces per level), each key with its help as a comment. URLs in
 * string values are printed with their secrets replaced by "***" (yq_redact_url_secrets()).
 */
void cfg_print(FILE *out, const struct cfg_key *keys, const void *base, int indent);

/*
 * cfg_print() of base as one element of a YAML list: its first key's line starts with "- "
 * (indent must be at least 2; the dash stands at indent - 2).
 */
void cfg_print_list_item(FILE *out, const struct cfg_key *keys, const void *base, int indent);

/*
 * One entry of a list key, for cfg_list_each(): s is the entry's text (NUL-terminated,
 * borrowed; NULL when the entry is not a scalar), file and line where it stands (the config
 * file, or "SECTION defaults" for the table's default). ctx is cfg_list_each()'s. Returns 0 or
 * an error (ERR_INVALID with one line in errbuf, ERR_NOMEM), which ends the list.
 */
typedef int (*cfg_list_take_fn)(void *ctx, const char *s, const char *file, size_t line,
                                char *errbuf, size_t errlen);

/*
 * Each entry of the list key name through take: a CFG_EXTERNAL row of keys whose def is the
 * list's default as YAML text ("[I, II]"; NULL = empty). The list is name's value in map, a
 * mapping node of doc; when doc or map is NULL, map is not a mapping or name is not in it, the
 * row's default. An empty value ("name:" with nothing under it) is an empty list.
 * section: the key's section in messages and in the default's file name ("desk").
 * example: a list the message shows when the value is not one ("[I, II]").
 * Returns 0; ERR_INVALID with "FILE:LINE: SECTION.NAME must be a list, e.g. EXAMPLE" (or no
 * such row in keys); take's error; or cfg_doc_load()'s (ERR_PARSE) for the default; ERR_NOMEM
 * with "out of memory".
 */
int cfg_list_each(const struct cfg_key *keys, const char *name, struct cfg_doc *doc,
                  yaml_node_t *map, const char *section, const char *example,
                  cfg_list_take_fn take, void *ctx, char *errbuf, size_t errlen);

/*
 * A list key of names, filled through cfg_list_each() with take = cfg_name_list_take and
 * ctx = a struct cfg_name_list: each entry a UTF-8 string of 1..max_bytes bytes, at most max_n
 * of them, each copied (new) to the end of *v, a growable array of *n strings that the caller
 * frees (each string, then the array) whatever the result.
 */
struct cfg_name_list {
    char ***v;          /* the caller's array (NULL when empty), grown by yq_array_reserve() */
    size_t *n;          /* its count */
    size_t max_n;       /* entries at most */
    size_t max_bytes;   /* bytes per entry at most */
    const char *key;    /* the key in messages: "desk.auto_assign_groups" */
    const char *what;   /* "each entry must be a WHAT of 1..MAX bytes": "rule group name" */
    const char *plural; /* "more than MAX PLURAL": "groups" */
    /*
     * Private bookkeeping of cfg_name_list_take(): the capacity of *v it has made. Start at 0
     * (a designated initialiser leaves it so) and use the struct for one cfg_list_each() call:
     * 0 is right for any *v (the first entry reallocates), a stale value is not.
     */
    size_t cap;
};

/*
 * One entry of a struct cfg_name_list (ctx) at file:line (cfg_list_take_fn). Returns 0,
 * ERR_INVALID ("FILE:LINE: KEY: each entry must be a WHAT of 1..MAX bytes" for an empty, too
 * long, non-UTF-8 or non-scalar entry; "FILE:LINE: KEY: more than MAX PLURAL") or ERR_NOMEM.
 */
int cfg_name_list_take(void *ctx, const char *s, const char *file, size_t line, char *errbuf,
                       size_t errlen);

/*
 * A module's built-in defaults, read from its key table once: the table stays the one place a
 * default is written, and code running without a configuration (a NULL cfg, tests, tools)
 * reads them through cfg_defaults_get(). A module declares one in static storage,
 *   static struct spike_cfg defaults;
 *   static struct cfg_defaults spike_defaults = {.keys = spike_cfg_keys, .base = &defaults};
 * and returns cfg_defaults_get(&spike_defaults) from its x_defaults() function.
 */
struct cfg_defaults {
    const struct cfg_key *keys; /* the module's table, borrowed (static) */
    void *base;                 /* the struct keys describe, static storage never released */
    /*
     * Optional, run once after the keys: what the table leaves to the module (a CFG_EXTERNAL
     * list from its default text). Returns 0 or an error with one line in errbuf. It must not
     * call cfg_defaults_get().
     */
    int (*fill_more)(void *base, char *errbuf, size_t errlen);
    atomic_bool filled; /* set once base is complete (cfg_defaults_get() only) */
};

/*
 * d->base, filled on the first call (thread-safe; later calls only read a flag): every key of
 * d->keys with a default, nested sections and groups included, except CFG_STRING keys, whose
 * fields stay as they are (NULL in static storage: nothing is allocated for the table, so
 * nothing needs cfg_release()); then d->fill_more. Returns d->base (borrowed, read-only from
 * then on). A table's defaults are valid (each module's tests load them): a failure is a
 * programmer error (assert()).
 */
const void *cfg_defaults_get(struct cfg_defaults *d);

/* Parse one scalar of type into dst (as cfg_fill would). Returns 0 or ERR_INVALID. */
int cfg_parse_value(enum cfg_type type, const char *text, int64_t min, int64_t max, void *dst);

#endif
