/*
 * libFuzzer target for configuration YAML (common/yq_cfg: cfg_doc_load on text, cfg_fill
 * over a key table with every type, a nested section and an included group (CFG_GROUP, in
 * the root and in a section), then --set style overrides taken
 * from the input's first line, --print-config, and the list key "in.list" through
 * cfg_list_each() and cfg_name_list_take()). Invariants: no crash, no leak, errors are the
 * documented codes with a message, a filled struct prints, a list holds only names in bounds.
 *   build-h4fuzz/fuzz/common/fuzz_cfg -max_total_time=60 fuzz/common/seeds/cfg
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_cfg_common.h"
#include "fuzz_common.h"
#include "yq_cfg.h"
#include "yq_err.h"
#include "yq_banned.h"

struct group {
    char *addr;
    int64_t level;
};

struct inner {
    char *name;
    int64_t count;
    bool on;
    struct group g;
};

struct outer {
    struct group g; /* keys "addr" and "level" beside the root's others */
    char *path;
    int64_t port;
    int64_t max_bytes;
    int64_t wait_ms;
    bool enabled;
    struct inner in;
    struct inner deep;
};

#define GOFF(f) offsetof(struct group, f)
static const struct cfg_key group_keys[] = {
    {"addr", CFG_STRING, "127.0.0.1", 0, 0, GOFF(addr), "a shared string", NULL},
    {"level", CFG_INT, "2", 0, 9, GOFF(level), "a shared integer", NULL},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

#define IOFF(f) offsetof(struct inner, f)
static const struct cfg_key inner_keys[] = {
    {"name", CFG_STRING, "x", 0, 0, IOFF(name), "a string", NULL},
    {"count", CFG_INT, "3", -5, 1000000, IOFF(count), "an integer", NULL},
    {"on", CFG_BOOL, "false", 0, 0, IOFF(on), "a flag", NULL},
    {"list", CFG_EXTERNAL, "[a, b]", 0, 0, 0, "left to the caller", NULL},
    {"group", CFG_GROUP, NULL, 0, 0, IOFF(g), "an included group", group_keys},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

#define OOFF(f) offsetof(struct outer, f)
static const struct cfg_key outer_keys[] = {
    {"group", CFG_GROUP, NULL, 0, 0, OOFF(g), "an included group", group_keys},
    {"path", CFG_STRING, NULL, 0, 0, OOFF(path), "may be absent", NULL},
    {"port", CFG_INT, "9102", 0, 65535, OOFF(port), "a port", NULL},
    {"max_bytes", CFG_SIZE, "8M", 1024, 1LL << 40, OOFF(max_bytes), "a size", NULL},
    {"wait_ms", CFG_MS, "5s", 0, 86400000, OOFF(wait_ms), "a duration", NULL},
    {"enabled", CFG_BOOL, "true", 0, 0, OOFF(enabled), "a flag", NULL},
    {"in", CFG_SECTION, NULL, 0, 0, OOFF(in), "a section", inner_keys},
    {"deep", CFG_SECTION, NULL, 0, 0, OOFF(deep), "another", inner_keys},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

/* "list" of section (NULL: the default) as a list of at most 4 names of 1..8 bytes. */
static void check_list(struct cfg_doc *doc, yaml_node_t *section)
{
    char **v = NULL, err[512] = "";
    size_t n = 0;
    struct cfg_name_list names = {.v = &v,
                                  .n = &n,
                                  .max_n = 4,
                                  .max_bytes = 8,
                                  .key = "in.list",
                                  .what = "name",
                                  .plural = "names"};
    int rc = cfg_list_each(inner_keys, "list", doc, section, "in", "[a]", cfg_name_list_take,
                           &names, err, sizeof(err));

    fuzz_expect_cfg_result(rc, err);
    if (n > 4) {
        abort();
    }
    for (size_t i = 0; i < n; i++) {
        if (!v[i][0] || strlen(v[i]) > 8) {
            abort();
        }
        free(v[i]);
    }
    free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *devnull = fuzz_devnull();
    struct cfg_doc doc;
    struct outer o;
    char err[512] = "", set[256];
    const char *nl;

    if (!fuzz_begin(size, 65536)) {
        return 0;
    }
    memset(&o, 0, sizeof(o));
    if (fuzz_cfg_load_fill(data, size, outer_keys, &o, &doc, err, sizeof(err)) == 0) {
        /* the first line as a --set override, like "in.count=7" */
        nl = memchr(data, '\n', size);
        snprintf(set, sizeof(set), "%.*s", (int)(nl ? nl - (const char *)data : (long)size),
                 (const char *)data);
        if (memchr(set, '=', strlen(set))) {
            (void)cfg_set(outer_keys, &o, set, err, sizeof(err));
        }
        if (devnull) {
            cfg_print(devnull, outer_keys, &o, 0);
        }
    }
    if (doc.loaded) {
        check_list(&doc, cfg_map_get(&doc, cfg_doc_root(&doc), "in"));
    }
    cfg_release(outer_keys, &o);
    cfg_doc_release(&doc);
    return 0;
}
