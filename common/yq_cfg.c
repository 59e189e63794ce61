#include "yq_cfg.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "yq_array.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_log.h"
#include "yq_utf8.h"
#include "yq_banned.h"

#define CFG_MAX_FILE_BYTES (16 * 1024 * 1024)

/*
 * Limits of a document read through its aliases (what yaml_parser_load() builds is a graph
 * whose aliases share nodes; the loaders copy every value they read, so a "billion laughs"
 * of anchors and aliases in a small file would be copied into gigabytes). Nesting is bounded
 * because libyaml's scanner spends time proportional to the flow depth on every token (a file
 * of a few megabytes of '[' keeps it busy for hours).
 */
#define CFG_MAX_EXPANDED_BYTES CFG_MAX_FILE_BYTES
#define CFG_MAX_DEPTH 64
#define CFG_MAX_ANCHORS 1024

/* An anchor seen so far: its name and what its node weighs expanded (open: not yet ended). */
struct cfg_anchor {
    char *name;
    uint64_t bytes;
    bool open;
};

/* One collection being read: where the expanded total stood at its start, its anchor or -1. */
struct cfg_frame {
    uint64_t start_total;
    int anchor;
};

static void parse_error(const yaml_parser_t *parser, const char *file, char *errbuf, size_t errlen)
{
    snprintf(errbuf, errlen, "%s:%zu:%zu: %s%s%s", file, parser->problem_mark.line + 1,
             parser->problem_mark.column + 1, parser->problem ? parser->problem : "bad YAML",
             parser->context ? " " : "", parser->context ? parser->context : "");
}

/* The anchor called name (the latest, as YAML redefines), or -1. */
static int anchor_find(const struct cfg_anchor *a, size_t n, const char *name)
{
    for (size_t i = n; i-- > 0;) {
        if (strcmp(a[i].name, name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/*
 * Record anchor name (may be NULL: nothing to record) as open, weighing nothing yet; *out is
 * its index or -1. Returns 0, ERR_NOMEM or ERR_TOO_BIG (more than CFG_MAX_ANCHORS).
 */
static int anchor_add(struct cfg_anchor **a, size_t *n, size_t *cap, const yaml_char_t *name,
                      int *out)
{
    *out = -1;
    if (!name) {
        return 0;
    }
    if (*n >= CFG_MAX_ANCHORS) {
        return ERR_TOO_BIG;
    }
    if (yq_array_reserve(a, cap, *n + 1, sizeof(**a)) != 0) {
        return ERR_NOMEM;
    }
    (*a)[*n] = (struct cfg_anchor){.name = strdup((const char *)name), .open = true};
    if (!(*a)[*n].name) {
        return ERR_NOMEM;
    }
    *out = (int)(*n)++;
    return 0;
}

/*
 * Read the first document of parser's input as events and check it against the limits above:
 * nesting depth, anchors, aliases to an enclosing node (a cycle) and the size with every
 * alias expanded (a byte per node plus the scalars' bytes). Returns 0, ERR_PARSE (bad YAML or
 * a limit passed; one line in errbuf naming file, line and column) or ERR_NOMEM.
 */
static int check_events(yaml_parser_t *parser, const char *file, char *errbuf, size_t errlen)
{
    struct cfg_frame frames[CFG_MAX_DEPTH];
    struct cfg_anchor *anchors = NULL;
    size_t n_anchors = 0, cap_anchors = 0, depth = 0;
    uint64_t total = 0;
    const char *why = NULL;
    yaml_event_t ev;
    yaml_mark_t at = {0};
    int err = 0, a;
    bool end = false;

    while (!end && !err) {
        if (!yaml_parser_parse(parser, &ev)) {
            parse_error(parser, file, errbuf, errlen);
            err = ERR_PARSE;
            break;
        }
        at = ev.start_mark;
        switch (ev.type) {
        case YAML_SCALAR_EVENT:
            total += ev.data.scalar.length + 1;
            err = anchor_add(&anchors, &n_anchors, &cap_anchors, ev.data.scalar.anchor, &a);
            if (a >= 0) {
                anchors[a].bytes = ev.data.scalar.length + 1;
                anchors[a].open = false;
            }
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (depth == CFG_MAX_DEPTH) {
                why = "nested deeper than 64 levels";
                break;
            }
            frames[depth].start_total = total++;
            err = anchor_add(&anchors, &n_anchors, &cap_anchors,
                             ev.type == YAML_SEQUENCE_START_EVENT ? ev.data.sequence_start.anchor
                                                                  : ev.data.mapping_start.anchor,
                             &frames[depth].anchor);
            depth++;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            if (frames[depth].anchor >= 0) {
                anchors[frames[depth].anchor].bytes = total - frames[depth].start_total;
                anchors[frames[depth].anchor].open = false;
            }
            break;
        case YAML_ALIAS_EVENT:
            a = anchor_find(anchors, n_anchors, (const char *)ev.data.alias.anchor);
            if (a < 0) {
                why = "alias to an unknown anchor";
            } else if (anchors[a].open) {
                why = "alias inside the node it names";
            } else {
                total += anchors[a].bytes;
            }
            break;
        case YAML_DOCUMENT_END_EVENT:
        case YAML_STREAM_END_EVENT:
            end = true;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (!why && total > CFG_MAX_EXPANDED_BYTES) {
            why = "aliases expand the document past 16 MiB";
        }
        if (!why && err == ERR_TOO_BIG) {
            why = "more than 1024 anchors";
        }
        if (why) {
            snprintf(errbuf, errlen, "%s:%zu:%zu: %s", file, at.line + 1, at.column + 1, why);
            err = ERR_PARSE;
        }
    }
    for (size_t i = 0; i < n_anchors; i++) {
        free(anchors[i].name);
    }
    free(anchors);
    return err;
}

int cfg_doc_load(struct cfg_doc *doc, const char *file, const char *text, size_t text_len,
                 char *errbuf, size_t errlen)
{
    yaml_parser_t parser;
    char *owned = NULL;
    size_t len = text_len;
    int err = 0;

    memset(doc, 0, sizeof(*doc));
    doc->file = strdup(file ? file : "<text>");
    if (!doc->file) {
        return ERR_NOMEM;
    }
    if (!text) {
        err = yq_fs_read_file(file, CFG_MAX_FILE_BYTES, &owned, &len);
        if (err) {
            struct stat st;
            bool dir = err == ERR_IO && stat(file, &st) == 0 && S_ISDIR(st.st_mode);
            snprintf(errbuf, errlen, "%s: cannot read: %s", file,
                     dir ? "is a directory" : yq_strerror(err));
            return err;
        }
        text = owned;
    }
    /* two passes: the events checked against the limits, then the document loaded */
    for (int pass = 0; pass < 2 && !err; pass++) {
        if (!yaml_parser_initialize(&parser)) {
            err = ERR_NOMEM;
            break;
        }
        yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
        if (pass == 0) {
            err = check_events(&parser, doc->file, errbuf, errlen);
        } else if (!yaml_parser_load(&parser, &doc->doc)) {
            parse_error(&parser, doc->file, errbuf, errlen);
            err = ERR_PARSE;
        } else {
            doc->loaded = true;
        }
        yaml_parser_delete(&parser);
    }
    free(owned);
    return err;
}

void cfg_doc_release(struct cfg_doc *doc)
{
    if (!doc) {
        return;
    }
    if (doc->loaded) {
        yaml_document_delete(&doc->doc);
    }
    free(doc->file);
    memset(doc, 0, sizeof(*doc));
}

yaml_node_t *cfg_doc_root(struct cfg_doc *doc)
{
    if (!doc->loaded) {
        return NULL;
    }
    return yaml_document_get_root_node(&doc->doc);
}

yaml_node_t *cfg_doc_node(struct cfg_doc *doc, int index)
{
    return yaml_document_get_node(&doc->doc, index);
}

const char *cfg_scalar(const yaml_node_t *node)
{
    if (!node || node->type != YAML_SCALAR_NODE) {
        return NULL;
    }
    return (const char *)node->data.scalar.value;
}

bool cfg_value_empty(const yaml_node_t *node)
{
    return !node || (node->type == YAML_SCALAR_NODE && cfg_scalar(node)[0] == '\0');
}

yaml_node_t *cfg_map_get(struct cfg_doc *doc, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE) {
        return NULL;
    }
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        const char *k = cfg_scalar(cfg_doc_node(doc, p->key));
        if (k && strcmp(k, key) == 0) {
            return cfg_doc_node(doc, p->value);
        }
    }
    return NULL;
}

static int parse_int_suffix(const char *text, int64_t *out, const char *const *suffixes,
                            const int64_t *mult)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(text, &end, 10);
    if (end == text || errno == ERANGE) {
        return ERR_INVALID;
    }
    while (*end == ' ') {
        end++;
    }
    if (*end == '\0') {
        *out = v;
        return 0;
    }
    for (int i = 0; suffixes && suffixes[i]; i++) {
        if (strcmp(end, suffixes[i]) == 0) {
            if (v != 0 && (v > INT64_MAX / mult[i] || v < INT64_MIN / mult[i])) {
                return ERR_INVALID;
            }
            *out = v * mult[i];
            return 0;
        }
    }
    return ERR_INVALID;
}

int cfg_parse_value(enum cfg_type type, const char *text, int64_t min, int64_t max, void *dst)
{
    static const char *const size_sfx[] = {"k", "K", "M", "G", NULL};
    static const int64_t size_mult[] = {1024, 1024, 1024 * 1024, 1024 * 1024 * 1024};
    static const char *const ms_sfx[] = {"ms", "s", "m", "h", "d", NULL};
    static const int64_t ms_mult[] = {1, 1000, 60000, 3600000, 86400000};
    int64_t v = 0;
    int err;

    if (!text) {
        return ERR_INVALID;
    }
    switch (type) {
    case CFG_STRING: {
        char *s = strdup(text);
        if (!s) {
            return ERR_NOMEM;
        }
        free(*(char **)dst);
        *(char **)dst = s;
        return 0;
    }
    case CFG_BOOL:
        if (!strcasecmp(text, "true") || !strcasecmp(text, "yes") || !strcasecmp(text, "on")) {
            *(bool *)dst = true;
        } else if (!strcasecmp(text, "false") || !strcasecmp(text, "no") ||
                   !strcasecmp(text, "off")) {
            *(bool *)dst = false;
        } else {
            return ERR_INVALID;
        }
        return 0;
    case CFG_INT:
        err = parse_int_suffix(text, &v, NULL, NULL);
        break;
    case CFG_SIZE:
        err = parse_int_suffix(text, &v, size_sfx, size_mult);
        break;
    case CFG_MS:
        err = parse_int_suffix(text, &v, ms_sfx, ms_mult);
        break;
    default:
        return ERR_INVALID;
    }
    if (err) {
        return err;
    }
    if (v < min || v > max) {
        return ERR_INVALID;
    }
    *(int64_t *)dst = v;
    return 0;
}

/*
 * The key called name (len bytes), also inside the table's CFG_GROUP rows; *offset_out: its
 * field's offset from the table's base. NULL when no key has the name.
 */
static const struct cfg_key *find_key(const struct cfg_key *keys, const char *name, size_t len,
                                      size_t *offset_out)
{
    for (const struct cfg_key *k = keys; k->name; k++) {
        if (k->type == CFG_GROUP) {
            const struct cfg_key *in = find_key(k->sub, name, len, offset_out);
            if (in) {
                *offset_out += k->offset;
                return in;
            }
        } else if (strlen(k->name) == len && strncmp(k->name, name, len) == 0) {
            *offset_out = k->offset;
            return k;
        }
    }
    return NULL;
}

/* The keys' defaults into base; strings false: CFG_STRING fields are left as they are. */
static int apply_defaults(const struct cfg_key *keys, void *base, bool strings, const char *file,
                          char *errbuf, size_t errlen)
{
    for (const struct cfg_key *k = keys; k->name; k++) {
        void *dst = (char *)base + k->offset;
        int err;
        if (k->type == CFG_EXTERNAL || (k->type == CFG_STRING && !strings)) {
            continue;
        }
        if (k->type == CFG_SECTION || k->type == CFG_GROUP) {
            err = apply_defaults(k->sub, dst, strings, file, errbuf, errlen);
            if (err) {
                return err;
            }
            continue;
        }
        if (!k->def) {
            if (k->type == CFG_STRING) {
                free(*(char **)dst);
                *(char **)dst = NULL;
            }
            continue;
        }
        err = cfg_parse_value(k->type, k->def, k->min, k->max, dst);
        if (err) {
            snprintf(errbuf, errlen, "%s: key '%s': bad built-in default '%s'", file, k->name,
                     k->def);
            return err == ERR_NOMEM ? ERR_NOMEM : ERR_INVALID;
        }
    }
    return 0;
}

static int fill_map(const struct cfg_key *keys, void *base, struct cfg_doc *doc,
                    yaml_node_t *map, const char *prefix, char *errbuf, size_t errlen)
{
    if (cfg_value_empty(map)) {
        return 0; /* absent, or "section:" with nothing under it */
    }
    if (map->type != YAML_MAPPING_NODE) {
        snprintf(errbuf, errlen, "%s:%zu: '%s' must be a mapping", doc->file,
                 map->start_mark.line + 1, prefix[0] ? prefix : "<root>");
        return ERR_INVALID;
    }
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn = cfg_doc_node(doc, p->key);
        yaml_node_t *vn = cfg_doc_node(doc, p->value);
        const char *name = cfg_scalar(kn);
        const struct cfg_key *k;
        size_t offset = 0;
        void *dst;
        int err;

        if (!name) {
            snprintf(errbuf, errlen, "%s:%zu: keys must be scalars", doc->file,
                     kn ? kn->start_mark.line + 1 : 0);
            return ERR_INVALID;
        }
        k = find_key(keys, name, strlen(name), &offset);
        if (!k) {
            snprintf(errbuf, errlen, "%s:%zu: unknown key '%s%s%s'", doc->file,
                     kn->start_mark.line + 1, prefix, prefix[0] ? "." : "", name);
            return ERR_INVALID;
        }
        dst = (char *)base + offset;
        if (k->type == CFG_EXTERNAL) {
            continue;
        }
        if (k->type == CFG_SECTION) {
            char sub_prefix[256];
            snprintf(sub_prefix, sizeof(sub_prefix), "%s%s%s", prefix, prefix[0] ? "." : "",
                     name);
            err = fill_map(k->sub, dst, doc, vn, sub_prefix, errbuf, errlen);
            if (err) {
                return err;
            }
            continue;
        }
        if (!vn || vn->type != YAML_SCALAR_NODE) {
            snprintf(errbuf, errlen, "%s:%zu: key '%s%s%s' must be a scalar", doc->file,
                     kn->start_mark.line + 1, prefix, prefix[0] ? "." : "", name);
            return ERR_INVALID;
        }
        err = cfg_parse_value(k->type, cfg_scalar(vn), k->min, k->max, dst);
        if (err == ERR_NOMEM) {
            return err;
        }
        if (err) {
            snprintf(errbuf, errlen,
                     "%s:%zu: key '%s%s%s': bad value '%s' (%s, range %" PRId64 "..%" PRId64
                     ")",
                     doc->file, vn->start_mark.line + 1, prefix, prefix[0] ? "." : "", name,
                     cfg_scalar(vn), k->help ? k->help : "", k->min, k->max);
            return ERR_INVALID;
        }
    }
    return 0;
}

int cfg_fill(const struct cfg_key *keys, void *base, struct cfg_doc *doc, yaml_node_t *map,
             char *errbuf, size_t errlen)
{
    int err = apply_defaults(keys, base, true, doc && doc->file ? doc->file : "<defaults>", errbuf,
                             errlen);
    if (err || !doc) {
        return err;
    }
    return fill_map(keys, base, doc, map, "", errbuf, errlen);
}

int cfg_list_each(const struct cfg_key *keys, const char *name, struct cfg_doc *doc,
                  yaml_node_t *map, const char *section, const char *example,
                  cfg_list_take_fn take, void *ctx, char *errbuf, size_t errlen)
{
    struct cfg_doc def_doc, *from = doc;
    yaml_node_t *n = doc ? cfg_map_get(doc, map, name) : NULL;
    size_t offset = 0;
    const struct cfg_key *k = find_key(keys, name, strlen(name), &offset);
    int err = 0;

    memset(&def_doc, 0, sizeof(def_doc));
    if (!k || k->type != CFG_EXTERNAL) {
        snprintf(errbuf, errlen, "%s.%s: no such list key", section, name);
        return ERR_INVALID;
    }
    if (!n && k->def) {
        char file[128];

        snprintf(file, sizeof(file), "%s defaults", section);
        err = cfg_doc_load(&def_doc, file, k->def, strlen(k->def), errbuf, errlen);
        from = &def_doc;
        n = err ? NULL : cfg_doc_root(&def_doc);
    }
    if (!cfg_value_empty(n) && n->type != YAML_SEQUENCE_NODE) {
        snprintf(errbuf, errlen, "%s:%zu: %s.%s must be a list, e.g. %s", from->file,
                 n->start_mark.line + 1, section, name, example);
        err = ERR_INVALID;
    } else if (n && n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = n->data.sequence.items.start;
             !err && it < n->data.sequence.items.top; it++) {
            yaml_node_t *e = cfg_doc_node(from, *it);
            err = take(ctx, e ? cfg_scalar(e) : NULL, from->file, e ? e->start_mark.line + 1 : 0,
                       errbuf, errlen);
        }
    }
    cfg_doc_release(&def_doc);
    if (err == ERR_NOMEM) {
        snprintf(errbuf, errlen, "out of memory");
    }
    return err;
}

int cfg_name_list_take(void *ctx, const char *s, const char *file, size_t line, char *errbuf,
                       size_t errlen)
{
    struct cfg_name_list *l = ctx;

    if (!s || !s[0] || strlen(s) > l->max_bytes || !yq_utf8_valid(s, strlen(s), NULL)) {
        snprintf(errbuf, errlen, "%s:%zu: %s: each entry must be a %s of 1..%zu bytes", file,
                 line, l->key, l->what, l->max_bytes);
        return ERR_INVALID;
    }
    if (*l->n >= l->max_n) {
        snprintf(errbuf, errlen, "%s:%zu: %s: more than %zu %s", file, line, l->key, l->max_n,
                 l->plural);
        return ERR_INVALID;
    }
    if (yq_array_reserve(l->v, &l->cap, *l->n + 1, sizeof(**l->v)) != 0) {
        return ERR_NOMEM; /* *l->n stays below max_n: no ERR_TOO_BIG */
    }
    (*l->v)[*l->n] = strdup(s);
    if (!(*l->v)[*l->n]) {
        return ERR_NOMEM;
    }
    (*l->n)++;
    return 0;
}

const void *cfg_defaults_get(struct cfg_defaults *d)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

    if (!atomic_load_explicit(&d->filled, memory_order_acquire)) {
        pthread_mutex_lock(&lock);
        if (!atomic_load_explicit(&d->filled, memory_order_relaxed)) {
            char err[200];
            int rc = apply_defaults(d->keys, d->base, false, "<defaults>", err, sizeof(err));
            if (rc == 0 && d->fill_more) {
                rc = d->fill_more(d->base, err, sizeof(err));
            }
            assert(rc == 0); /* the table's own defaults are valid (its module's tests check) */
            (void)rc;
            atomic_store_explicit(&d->filled, true, memory_order_release);
        }
        pthread_mutex_unlock(&lock);
    }
    return d->base;
}

int cfg_load(const struct cfg_key *keys, void *base, const char *path, const char *text,
             size_t text_len, struct cfg_doc *doc, char *errbuf, size_t errlen)
{
    int err;

    memset(doc, 0, sizeof(*doc));
    if (!path && !text) {
        return cfg_fill(keys, base, NULL, NULL, errbuf, errlen);
    }
    err = cfg_doc_load(doc, path, text, text_len, errbuf, errlen);
    if (err) {
        return err;
    }
    if (!text && cfg_value_empty(cfg_doc_root(doc))) {
        /* a truncated or emptied file would run on defaults alone: the collector with no
           source (retiring every source's blind window), the notifier with no route */
        snprintf(errbuf, errlen, "%s: the file holds no settings (empty or only comments)", path);
        return ERR_INVALID;
    }
    return cfg_fill(keys, base, doc, cfg_doc_root(doc), errbuf, errlen);
}

int cfg_set_all(const struct cfg_key *keys, void *base, const char *const *sets, int n_sets,
                char *errbuf, size_t errlen)
{
    int err = 0;

    for (int i = 0; !err && i < n_sets; i++) {
        err = cfg_set(keys, base, sets[i], errbuf, errlen);
    }
    return err;
}

int cfg_set(const struct cfg_key *keys, void *base, const char *assignment, char *errbuf,
            size_t errlen)
{
    const char *eq = strchr(assignment, '=');
    const char *name = assignment;
    const struct cfg_key *k;
    size_t offset = 0;
    int err;

    if (!eq) {
        snprintf(errbuf, errlen, "override '%s' is not KEY=VALUE", assignment);
        return ERR_INVALID;
    }
    for (;;) {
        const char *dot = memchr(name, '.', (size_t)(eq - name));
        size_t len = dot ? (size_t)(dot - name) : (size_t)(eq - name);
        k = find_key(keys, name, len, &offset);
        if (!k || (dot && k->type != CFG_SECTION) || (!dot && k->type == CFG_SECTION) ||
            k->type == CFG_EXTERNAL) {
            snprintf(errbuf, errlen, "override '%.*s': unknown key", (int)(eq - assignment),
                     assignment);
            return ERR_INVALID;
        }
        base = (char *)base + offset;
        if (!dot) {
            break;
        }
        keys = k->sub;
        name = dot + 1;
    }
    err = cfg_parse_value(k->type, eq + 1, k->min, k->max, base);
    if (err && err != ERR_NOMEM) {
        snprintf(errbuf, errlen, "override '%s': bad value (range %" PRId64 "..%" PRId64 ")",
                 assignment, k->min, k->max);
        return ERR_INVALID;
    }
    return err;
}

void cfg_release(const struct cfg_key *keys, void *base)
{
    for (const struct cfg_key *k = keys; k->name; k++) {
        void *dst = (char *)base + k->offset;
        if (k->type == CFG_STRING) {
            free(*(char **)dst);
            *(char **)dst = NULL;
        } else if (k->type == CFG_SECTION || k->type == CFG_GROUP) {
            cfg_release(k->sub, dst);
        }
    }
}

int cfg_own_strings(const struct cfg_key *keys, void *base)
{
    int err = 0;

    for (const struct cfg_key *k = keys; k->name; k++) {
        void *dst = (char *)base + k->offset;
        if (k->type == CFG_STRING && *(char **)dst) {
            char *copy = err ? NULL : strdup(*(char **)dst);
            err = err ? err : (copy ? 0 : ERR_NOMEM);
            *(char **)dst = copy;
        } else if (k->type == CFG_SECTION || k->type == CFG_GROUP) {
            int e = cfg_own_strings(k->sub, dst);
            err = err ? err : e;
        }
    }
    return err;
}

static void print_yaml_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') {
            fputc('\\', out);
            fputc(*s, out);
        } else if ((unsigned char)*s < 0x20) {
            fprintf(out, "\\x%02x", (unsigned char)*s);
        } else {
            fputc(*s, out);
        }
    }
    fputc('"', out);
}

/* cfg_print(); *dash: the next key line starts with "- " (list element), then cleared. */
static void print_keys(FILE *out, const struct cfg_key *keys, const void *base, int indent,
                       bool *dash)
{
    for (const struct cfg_key *k = keys; k->name; k++) {
        const void *src = (const char *)base + k->offset;
        if (k->type == CFG_EXTERNAL) {
            continue;
        }
        if (k->type == CFG_GROUP) {
            print_keys(out, k->sub, src, indent, dash);
            continue;
        }
        if (*dash) {
            fprintf(out, "%*s- %s:", indent - 2, "", k->name);
            *dash = false;
        } else {
            fprintf(out, "%*s%s:", indent, "", k->name);
        }
        switch (k->type) {
        case CFG_SECTION:
            fputc('\n', out);
            print_keys(out, k->sub, src, indent + 2, dash);
            continue;
        case CFG_STRING:
            fputc(' ', out);
            if (*(char *const *)src) {
                /* a URL's token, key or password is never printed (issue #10) */
                const char *v = *(char *const *)src;
                size_t n = 2 * strlen(v) + 8; /* "***" for an empty value grows it */
                char *red = strstr(v, "://") ? malloc(n) : NULL;
                if (red) {
                    yq_redact_url_secrets(v, red, n);
                }
                print_yaml_string(out, red ? red : v);
                free(red);
            } else {
                fputs("null", out);
            }
            break;
        case CFG_BOOL:
            fputs(*(const bool *)src ? " true" : " false", out);
            break;
        default:
            fprintf(out, " %" PRId64, *(const int64_t *)src);
            break;
        }
        if (k->help) {
            fprintf(out, "  # %s", k->help);
        }
        fputc('\n', out);
    }
}

void cfg_print(FILE *out, const struct cfg_key *keys, const void *base, int indent)
{
    bool dash = false;

    print_keys(out, keys, base, indent, &dash);
}

void cfg_print_list_item(FILE *out, const struct cfg_key *keys, const void *base, int indent)
{
    bool dash = indent >= 2;

    print_keys(out, keys, base, indent, &dash);
}
