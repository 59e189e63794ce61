/* Table-driven YAML config: defaults, ranges, unknown keys, sections and --set overrides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "yq_cfg.h"
#include "yq_err.h"
#include "yq_log_cfg.h"

struct inner {
    char *host;
    int64_t port;
};

struct outer {
    char *name;
    int64_t max_body_bytes;
    int64_t interval_ms;
    bool enabled;
    struct inner net;
};

static const struct cfg_key inner_keys[] = {
    {"host", CFG_STRING, "127.0.0.1", 0, 0, offsetof(struct inner, host), "host", NULL},
    {"port", CFG_INT, "6379", 1, 65535, offsetof(struct inner, port), "port", NULL},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct cfg_key outer_keys[] = {
    {"name", CFG_STRING, NULL, 0, 0, offsetof(struct outer, name), "name", NULL},
    {"max_body_bytes", CFG_SIZE, "8M", 1024, 67108864, offsetof(struct outer, max_body_bytes),
     "cap", NULL},
    {"interval", CFG_MS, "5m", 1000, 86400000, offsetof(struct outer, interval_ms), "poll",
     NULL},
    {"enabled", CFG_BOOL, "true", 0, 0, offsetof(struct outer, enabled), "on", NULL},
    {"net", CFG_SECTION, NULL, 0, 0, offsetof(struct outer, net), "network", inner_keys},
    {"sources", CFG_EXTERNAL, NULL, 0, 0, 0, "list", NULL},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

static int load(const char *text, struct outer *o, char *err, size_t errlen)
{
    struct cfg_doc doc;
    int rc = cfg_doc_load(&doc, "test.yaml", text, strlen(text), err, errlen);
    memset(o, 0, sizeof(*o));
    if (rc == 0) {
        rc = cfg_fill(outer_keys, o, &doc, cfg_doc_root(&doc), err, errlen);
    }
    cfg_doc_release(&doc);
    return rc;
}

static void test_defaults_and_values(void **state)
{
    struct outer o;
    char err[256] = "";
    (void)state;
    assert_int_equal(load("name: 安康\ninterval: 30s\nnet:\n  port: 7000\nsources: [a, b]\n", &o,
                          err, sizeof(err)),
                     0);
    assert_string_equal(o.name, "安康");
    assert_int_equal(o.max_body_bytes, 8 * 1024 * 1024);
    assert_int_equal(o.interval_ms, 30000);
    assert_true(o.enabled);
    assert_string_equal(o.net.host, "127.0.0.1");
    assert_int_equal(o.net.port, 7000);
    assert_int_equal(cfg_set(outer_keys, &o, "net.host=10.0.0.1", err, sizeof(err)), 0);
    assert_string_equal(o.net.host, "10.0.0.1");
    assert_int_equal(cfg_set(outer_keys, &o, "interval=2h", err, sizeof(err)), 0);
    assert_int_equal(o.interval_ms, 7200000);
    cfg_release(outer_keys, &o);
    assert_null(o.name);
}

/* A struct copied by value owns its strings after cfg_own_strings(): the source may go. */
static void test_own_strings_survive_the_source(void **state)
{
    struct outer o, copy;
    char err[256] = "";
    (void)state;
    assert_int_equal(load("name: 安康\nnet:\n  host: yq.ankang.example\n", &o, err, sizeof(err)),
                     0);
    copy = o;
    assert_int_equal(cfg_own_strings(outer_keys, &copy), 0);
    assert_ptr_not_equal(copy.name, o.name);
    assert_ptr_not_equal(copy.net.host, o.net.host);
    cfg_release(outer_keys, &o); /* the sanitizer build sees any use of the freed source */
    assert_string_equal(copy.name, "安康");
    assert_string_equal(copy.net.host, "yq.ankang.example");
    assert_int_equal(copy.net.port, 6379);
    cfg_release(outer_keys, &copy);
    assert_null(copy.name);
    assert_null(copy.net.host);
}

static void test_errors_name_file_line_and_key(void **state)
{
    static const struct {
        const char *yaml;
        int rc;
        const char *msg;
    } cases[] = {
        {"name: a\nbogus: 1\n", ERR_INVALID, "test.yaml:2: unknown key 'bogus'"},
        {"net:\n  prot: 1\n", ERR_INVALID, "test.yaml:2: unknown key 'net.prot'"},
        {"net:\n  port: 70000\n", ERR_INVALID, "key 'net.port': bad value '70000'"},
        {"interval: soon\n", ERR_INVALID, "key 'interval': bad value 'soon'"},
        {"enabled: maybe\n", ERR_INVALID, "key 'enabled'"},
        {"name: [1, 2]\n", ERR_INVALID, "key 'name' must be a scalar"},
        {"name: 'unterminated\n", ERR_PARSE, "test.yaml:"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct outer o;
        char err[256] = "";
        assert_int_equal(load(cases[i].yaml, &o, err, sizeof(err)), cases[i].rc);
        if (!strstr(err, cases[i].msg)) {
            fail_msg("case %zu: '%s' does not contain '%s'", i, err, cases[i].msg);
        }
        cfg_release(outer_keys, &o);
    }
    struct outer o;
    char err[256] = "";
    memset(&o, 0, sizeof(o));
    assert_int_equal(cfg_set(outer_keys, &o, "net.nope=1", err, sizeof(err)), ERR_INVALID);
    assert_int_equal(cfg_set(outer_keys, &o, "noequals", err, sizeof(err)), ERR_INVALID);
}

/* "sources: " followed by depth nested flow sequences: a new string (free()). */
static char *nested_sources(size_t depth)
{
    char *t = malloc(2 * depth + 16);

    assert_non_null(t);
    memcpy(t, "sources: ", 9);
    memset(t + 9, '[', depth);
    memset(t + 9 + depth, ']', depth);
    memcpy(t + 9 + 2 * depth, "\n", 2);
    return t;
}

/*
 * A "billion laughs" of anchors and aliases, an alias inside its own node, nesting past 64
 * levels and more than 1024 anchors are refused naming file, line and column before anything
 * is copied (the loaders strdup() every value: a 280 KB rule file of aliases took 4.7 GB and
 * a few MB of '[' kept libyaml busy for hours); aliases within the limits still load.
 */
static void test_yaml_alias_bomb_cycle_and_depth_are_refused(void **state)
{
    char *laughs = malloc(64 * 1024), *deep_ok = nested_sources(63), *deep = nested_sources(64);
    char *anchors = malloc(1100 * 16);
    size_t n = 0;
    struct outer o;
    char err[256] = "";

    (void)state;
    assert_non_null(laughs);
    assert_non_null(anchors);
    n += (size_t)snprintf(laughs, 64 * 1024, "name: ok\nsources:\n- &l0 '%0100d'\n", 0);
    for (int i = 1; i < 10; i++) {
        n += (size_t)snprintf(laughs + n, 64 * 1024 - n, "- &l%d [", i);
        for (int j = 0; j < 10; j++) {
            n += (size_t)snprintf(laughs + n, 64 * 1024 - n, "%s*l%d", j ? ", " : "", i - 1);
        }
        n += (size_t)snprintf(laughs + n, 64 * 1024 - n, "]\n");
    }
    n = (size_t)snprintf(anchors, 16, "sources:\n");
    for (int i = 0; i < 1025; i++) {
        n += (size_t)snprintf(anchors + n, 1100 * 16 - n, "- &a%d x\n", i);
    }
    const struct {
        const char *yaml;
        int rc;
        const char *msg;
    } cases[] = {
        {laughs, ERR_PARSE, "test.yaml:9:8: aliases expand the document past 16 MiB"},
        {"name: ok\nsources: &c [a, *c]\n", ERR_PARSE, "test.yaml:2:17: alias inside the node"},
        {"sources: [*nowhere]\n", ERR_PARSE, "test.yaml:1:11: alias to an unknown anchor"},
        {deep, ERR_PARSE, "test.yaml:1:73: nested deeper than 64 levels"},
        {anchors, ERR_PARSE, "test.yaml:1026:3: more than 1024 anchors"},
        {deep_ok, 0, ""},
        {"name: &n 安康\nnet: &h {host: h1}\nsources: [*n, *n, *h]\n", 0, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        assert_int_equal(load(cases[i].yaml, &o, err, sizeof(err)), cases[i].rc);
        if (!strstr(err, cases[i].msg)) {
            fail_msg("case %zu: '%s' does not contain '%s'", i, err, cases[i].msg);
        }
        if (cases[i].rc == 0 && cases[i].yaml != deep_ok) {
            assert_string_equal(o.name, "安康");
            assert_string_equal(o.net.host, "h1");
        }
        cfg_release(outer_keys, &o);
    }
    free(laughs);
    free(anchors);
    free(deep_ok);
    free(deep);
}

/* What cfg_print() prints of base (keys at indent 0): a new string (free()). */
static char *print_text(const struct cfg_key *keys, const void *base)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    assert_non_null(f);
    cfg_print(f, keys, base, 0);
    fclose(f);
    return text;
}

/* Load yaml into o (release with cfg_release()) and print it: the text (free()). */
static char *load_and_print(const char *yaml, struct outer *o)
{
    char err[256] = "";

    if (load(yaml, o, err, sizeof(err)) != 0) {
        fail_msg("load: %s", err);
    }
    return print_text(outer_keys, o);
}

static void test_issue_10_print_config_redacts_url_secrets(void **state)
{
    struct outer o;
    char *text;

    (void)state;
    text = load_and_print("name: 'https://oapi.dingtalk.com/robot/send?access_token=tok123&x=1'\n"
                          "net:\n  host: 'redis://user:pw456@10.0.0.5:6379/0'\n",
                          &o);
    assert_null(strstr(text, "tok123"));
    assert_null(strstr(text, "pw456"));
    assert_non_null(strstr(text, "name: \"https://oapi.dingtalk.com/robot/send?access_token=***&x=1\""));
    assert_non_null(strstr(text, "host: \"redis://***@10.0.0.5:6379/0\""));
    /* the values themselves are unchanged */
    assert_non_null(strstr(o.name, "tok123"));
    free(text);
    cfg_release(outer_keys, &o);
}

/* Issue #10 review: a fragment's pairs and a percent-encoded name were printed in clear. */
static void test_issue_10_print_config_redacts_fragment_and_encoded_names(void **state)
{
    struct outer o;
    char *text;

    (void)state;
    text = load_and_print("name: 'https://h.example/cb#token=SECRET10'\n"
                          "net:\n  host: 'https://h.example/?%74oken=SECRET12&x=1'\n",
                          &o);
    assert_null(strstr(text, "SECRET"));
    assert_non_null(strstr(text, "name: \"https://h.example/cb#token=***\""));
    assert_non_null(strstr(text, "host: \"https://h.example/?%74oken=***&x=1\""));
    free(text);
    cfg_release(outer_keys, &o);
}

/* Issue #12: a shared group of keys, defined once, included in a section by a CFG_GROUP row */
struct endpoint {
    char *address;
    int64_t port;
};

struct stage {
    int64_t batch;
    struct endpoint ep; /* keys "address" and "port" beside "batch" */
    struct inner db;    /* a nested section after the group */
    char *log_level;    /* the shared log_level key (yq_log_cfg) */
};

struct staged {
    struct stage stage;
};

static const struct cfg_key endpoint_keys[] = {
    {"address", CFG_STRING, "127.0.0.1", 0, 0, offsetof(struct endpoint, address), "listen", NULL},
    {"port", CFG_INT, "9102", 0, 65535, offsetof(struct endpoint, port), "port", NULL},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct cfg_key stage_keys[] = {
    {"batch", CFG_INT, "100", 1, 1000, offsetof(struct stage, batch), "batch", NULL},
    {"endpoint", CFG_GROUP, NULL, 0, 0, offsetof(struct stage, ep), "the endpoint", endpoint_keys},
    {"db", CFG_SECTION, NULL, 0, 0, offsetof(struct stage, db), "database", inner_keys},
    {"log", CFG_GROUP, NULL, 0, 0, offsetof(struct stage, log_level), "the log level",
     yq_log_cfg_keys},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct cfg_key staged_keys[] = {
    {"stage", CFG_SECTION, NULL, 0, 0, offsetof(struct staged, stage), "a stage", stage_keys},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

static void test_issue_12_group_keys_reach_the_struct(void **state)
{
    static const char yaml[] = "stage:\n  batch: 5\n  port: 0\n  db:\n    port: 7000\n";
    static const char *const sets[] = {"stage.address=0.0.0.0", "stage.batch=6"};
    struct staged o;
    struct cfg_doc doc;
    char err[256] = "", *printed;

    (void)state;
    memset(&o, 0, sizeof(o));
    assert_int_equal(
        cfg_load(staged_keys, &o, "test.yaml", yaml, strlen(yaml), &doc, err, sizeof(err)), 0);
    assert_non_null(cfg_map_get(&doc, cfg_doc_root(&doc), "stage")); /* the document stays */
    cfg_doc_release(&doc);
    assert_int_equal(o.stage.batch, 5);
    assert_int_equal(o.stage.ep.port, 0);                 /* from the file */
    assert_string_equal(o.stage.ep.address, "127.0.0.1"); /* the group's default */
    assert_int_equal(o.stage.db.port, 7000);
    assert_int_equal(cfg_set_all(staged_keys, &o, sets, 2, err, sizeof(err)), 0);
    assert_string_equal(o.stage.ep.address, "0.0.0.0");
    assert_int_equal(o.stage.batch, 6);
    /* printed inline, at the section's level, without the group's name */
    printed = print_text(staged_keys, &o);
    assert_non_null(strstr(printed, "\n  batch: 6  # batch\n  address: \"0.0.0.0\"  # listen\n"
                                    "  port: 0  # port\n  db:\n"));
    assert_null(strstr(printed, "endpoint"));
    free(printed);
    cfg_release(staged_keys, &o);
    assert_null(o.stage.ep.address);
    /* defaults only */
    assert_int_equal(cfg_load(staged_keys, &o, NULL, NULL, 0, &doc, err, sizeof(err)), 0);
    assert_null(cfg_doc_root(&doc));
    assert_int_equal(o.stage.ep.port, 9102);
    cfg_release(staged_keys, &o);
}

/*
 * A process configuration file that holds no settings (emptied, truncated, only comments) is
 * refused naming the file: before, the collector started on defaults alone with no source
 * (and retired every source's blind window), the matcher on a wrong Redis port. A directory
 * given as the file is named as one.
 */
static void test_empty_config_file_is_refused(void **state)
{
    static const char *const texts[] = {"", "# nothing but a comment\n\n", "stage:\n  batch: 5\n"};
    char path[] = "/tmp/yq-cfg-empty-XXXXXX", err[256];
    struct staged o;
    struct cfg_doc doc;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(texts[i], f);
        fclose(f);
        memset(&o, 0, sizeof(o));
        err[0] = '\0';
        if (i < 2) {
            assert_int_equal(cfg_load(staged_keys, &o, path, NULL, 0, &doc, err, sizeof(err)),
                             ERR_INVALID);
            assert_non_null(strstr(err, path));
            assert_non_null(strstr(err, ": the file holds no settings (empty or only comments)"));
        } else {
            assert_int_equal(cfg_load(staged_keys, &o, path, NULL, 0, &doc, err, sizeof(err)), 0);
            assert_int_equal(o.stage.batch, 5);
        }
        cfg_doc_release(&doc);
        cfg_release(staged_keys, &o);
    }
    close(fd);
    unlink(path);
    /* a directory named as the file says so (it was "cannot read: i/o error") */
    memset(&o, 0, sizeof(o));
    assert_int_equal(cfg_load(staged_keys, &o, "/tmp", NULL, 0, &doc, err, sizeof(err)), ERR_IO);
    assert_string_equal(err, "/tmp: cannot read: is a directory");
    cfg_doc_release(&doc);
    cfg_release(staged_keys, &o);
}

static void test_issue_12_group_keys_are_checked_like_the_others(void **state)
{
    static const struct {
        const char *yaml;
        const char *msg;
    } cases[] = {
        {"stage:\n  prot: 1\n", "test.yaml:2: unknown key 'stage.prot'"},
        {"stage:\n  port: 70000\n", "test.yaml:2: key 'stage.port': bad value '70000'"},
        {"stage:\n  endpoint: {port: 1}\n", "test.yaml:2: unknown key 'stage.endpoint'"},
        {"stage:\n  address: [a]\n", "key 'stage.address' must be a scalar"},
    };
    static const char *const bad_sets[] = {"stage.endpoint.port=1", "stage.prot=1",
                                           "stage.port=70000"};
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct staged o;
        struct cfg_doc doc;
        char err[256] = "";

        memset(&o, 0, sizeof(o));
        assert_int_equal(cfg_load(staged_keys, &o, "test.yaml", cases[i].yaml,
                                  strlen(cases[i].yaml), &doc, err, sizeof(err)),
                         ERR_INVALID);
        if (!strstr(err, cases[i].msg)) {
            fail_msg("case %zu: '%s' does not contain '%s'", i, err, cases[i].msg);
        }
        cfg_doc_release(&doc);
        cfg_release(staged_keys, &o);
    }
    for (size_t i = 0; i < sizeof(bad_sets) / sizeof(bad_sets[0]); i++) {
        struct staged o;
        char err[256] = "";

        memset(&o, 0, sizeof(o));
        assert_int_equal(cfg_set_all(staged_keys, &o, &bad_sets[i], 1, err, sizeof(err)),
                         ERR_INVALID);
        assert_non_null(strstr(err, "override 'stage."));
    }
}

/* Issue #12: a list element printed with "- " in place of its first key's indent */
static void test_issue_12_print_list_item(void **state)
{
    struct inner in = {(char *)"h", 1};
    char *printed = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&printed, &len);

    (void)state;
    assert_non_null(f);
    cfg_print_list_item(f, inner_keys, &in, 4);
    fclose(f);
    assert_string_equal(printed, "  - host: \"h\"  # host\n    port: 1  # port\n");
    free(printed);
}

/* cfg_defaults_get(): the table's defaults once, strings left NULL, then fill_more once. */
static int more_calls;

static int defaults_more(void *base, char *errbuf, size_t errlen)
{
    struct outer *o = base;

    (void)errbuf;
    (void)errlen;
    more_calls++;
    o->net.port++; /* a second call would show */
    return 0;
}

static void test_issue_12_defaults_filled_once_without_strings(void **state)
{
    static struct outer defaults;
    static struct cfg_defaults d = {
        .keys = outer_keys, .base = &defaults, .fill_more = defaults_more};
    const struct outer *got;

    (void)state;
    got = cfg_defaults_get(&d);
    assert_ptr_equal(got, &defaults);
    assert_int_equal(got->max_body_bytes, 8 * 1024 * 1024);
    assert_int_equal(got->interval_ms, 300000);
    assert_true(got->enabled);
    assert_int_equal(got->net.port, 6380); /* the section's default, then fill_more */
    assert_null(got->net.host);            /* strings are not filled: nothing to release */
    assert_null(got->name);
    assert_ptr_equal(cfg_defaults_get(&d), &defaults);
    assert_int_equal(got->net.port, 6380);
    assert_int_equal(more_calls, 1);
}

/* The shared log_level key: in a section as before, and its check's message. */
static void test_issue_12_log_level_key(void **state)
{
    static const char yaml[] = "stage:\n  log_level: loud\n";
    struct staged o;
    struct cfg_doc doc;
    char err[256] = "", *printed;

    (void)state;
    memset(&o, 0, sizeof(o));
    assert_int_equal(cfg_load(staged_keys, &o, NULL, NULL, 0, &doc, err, sizeof(err)), 0);
    assert_string_equal(o.stage.log_level, "info");
    assert_int_equal(yq_log_cfg_check(o.stage.log_level, "<defaults>", "stage", err, sizeof(err)),
                     0);
    printed = print_text(staged_keys, &o);
    /* after the section before it, at the section's level, without the group's name */
    assert_non_null(strstr(printed, "    port: 6379  # port\n"
                                    "  log_level: \"info\"  # err, warn, info or debug\n"));
    assert_null(strstr(printed, "log:"));
    free(printed);
    assert_int_equal(cfg_set(staged_keys, &o, "stage.log_level=debug", err, sizeof(err)), 0);
    assert_string_equal(o.stage.log_level, "debug");
    cfg_release(staged_keys, &o);
    assert_null(o.stage.log_level);
    cfg_doc_release(&doc);

    assert_int_equal(
        cfg_load(staged_keys, &o, "test.yaml", yaml, strlen(yaml), &doc, err, sizeof(err)), 0);
    cfg_doc_release(&doc);
    assert_int_equal(yq_log_cfg_check(o.stage.log_level, "test.yaml", "stage", err, sizeof(err)),
                     ERR_INVALID);
    assert_string_equal(err, "test.yaml: key 'stage.log_level': bad value 'loud'");
    cfg_release(staged_keys, &o);
}

/* cfg_list_each() with cfg_name_list_take(): the file's list, else the row's default text. */
struct named {
    int64_t batch;
    char **names;
    size_t n_names;
};

static const struct cfg_key named_keys[] = {
    {"batch", CFG_INT, "100", 1, 1000, offsetof(struct named, batch), "batch", NULL},
    {"names", CFG_EXTERNAL, "[alpha, beta]", 0, 0, 0, "a list of names", NULL},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

static void named_release(struct named *o)
{
    for (size_t i = 0; i < o->n_names; i++) {
        free(o->names[i]);
    }
    free(o->names);
    o->names = NULL;
    o->n_names = 0;
}

static void test_issue_12_name_lists(void **state)
{
    static const struct {
        const char *yaml; /* NULL: no document */
        int rc;
        const char *want; /* the names joined with ',', or the message */
        size_t max_n;
    } cases[] = {
        {NULL, 0, "alpha,beta", 3},
        {"batch: 2\n", 0, "alpha,beta", 3},
        {"names:\n", 0, "", 3},
        {"names: []\n", 0, "", 3},
        {"names: [x, 中文]\n", 0, "x,中文", 3},
        {"names: x\n", ERR_INVALID, "t.yaml:1: sec.names must be a list, e.g. [a]", 3},
        {"names: {a: 1}\n", ERR_INVALID, "t.yaml:1: sec.names must be a list, e.g. [a]", 3},
        {"names:\n  - a\n  - [b]\n", ERR_INVALID,
         "t.yaml:3: sec.names: each entry must be a name of 1..6 bytes", 3},
        {"names: [a, '']\n", ERR_INVALID,
         "t.yaml:1: sec.names: each entry must be a name of 1..6 bytes", 3},
        {"names: [abcdefg]\n", ERR_INVALID,
         "t.yaml:1: sec.names: each entry must be a name of 1..6 bytes", 3},
        {"names: [a, b, c, d]\n", ERR_INVALID, "t.yaml:1: sec.names: more than 3 names", 3},
        /* past the first capacity (16 entries), then one more than max_n */
        {"names: [n0, n1, n2, n3, n4, n5, n6, n7, n8, n9, n10, n11, n12, n13, n14, n15, n16, n17, "
         "n18, n19]\n",
         0, "n0,n1,n2,n3,n4,n5,n6,n7,n8,n9,n10,n11,n12,n13,n14,n15,n16,n17,n18,n19", 20},
        {"names: [n0, n1, n2, n3, n4, n5, n6, n7, n8, n9, n10, n11, n12, n13, n14, n15, n16, n17, "
         "n18, n19, n20]\n",
         ERR_INVALID, "t.yaml:1: sec.names: more than 20 names", 20},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct named o;
        struct cfg_doc doc;
        struct cfg_name_list names = {.v = &o.names,
                                      .n = &o.n_names,
                                      .max_n = cases[i].max_n,
                                      .max_bytes = 6,
                                      .key = "sec.names",
                                      .what = "name",
                                      .plural = "names"};
        char err[256] = "", got[256] = "";
        const char *text = cases[i].yaml;

        memset(&o, 0, sizeof(o));
        assert_int_equal(cfg_load(named_keys, &o, text ? "t.yaml" : NULL, text,
                                  text ? strlen(text) : 0, &doc, err, sizeof(err)),
                         0);
        assert_int_equal(cfg_list_each(named_keys, "names", text ? &doc : NULL,
                                       cfg_doc_root(&doc), "sec", "[a]", cfg_name_list_take,
                                       &names, err, sizeof(err)),
                         cases[i].rc);
        for (size_t j = 0; j < o.n_names; j++) {
            size_t len = strlen(got);
            snprintf(got + len, sizeof(got) - len, "%s%s", j ? "," : "", o.names[j]);
        }
        assert_string_equal(cases[i].rc ? err : got, cases[i].want);
        named_release(&o);
        cfg_doc_release(&doc);
    }
}

static void test_issue_12_list_key_must_be_external(void **state)
{
    struct named o;
    char err[128] = "";

    (void)state;
    memset(&o, 0, sizeof(o));
    assert_int_equal(cfg_list_each(named_keys, "batch", NULL, NULL, "sec", "[a]",
                                   cfg_name_list_take, NULL, err, sizeof(err)),
                     ERR_INVALID);
    assert_string_equal(err, "sec.batch: no such list key");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_values),
        cmocka_unit_test(test_own_strings_survive_the_source),
        cmocka_unit_test(test_errors_name_file_line_and_key),
        cmocka_unit_test(test_issue_12_group_keys_reach_the_struct),
        cmocka_unit_test(test_issue_12_group_keys_are_checked_like_the_others),
        cmocka_unit_test(test_issue_12_print_list_item),
        cmocka_unit_test(test_issue_12_defaults_filled_once_without_strings),
        cmocka_unit_test(test_issue_12_log_level_key),
        cmocka_unit_test(test_issue_12_name_lists),
        cmocka_unit_test(test_issue_12_list_key_must_be_external),
        cmocka_unit_test(test_issue_10_print_config_redacts_url_secrets),
        cmocka_unit_test(test_issue_10_print_config_redacts_fragment_and_encoded_names),
        cmocka_unit_test(test_yaml_alias_bomb_cycle_and_depth_are_refused),
        cmocka_unit_test(test_empty_config_file_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
