/*
 * Rule sets (design §4): loaded from the .yaml files of config/rules/, validated, serialised to JSON for
 * Redis, and compiled into one term database for matching.
 *
 * Rule file format (every key other than those listed is rejected):
 *
 *   group: 征地拆迁            # optional; default: the file name without ".yaml"
 *   exclude: [招聘, 广告]      # optional; global exclude terms, merged across files
 *   places: [安康, 汉滨, 旬阳]  # optional; local place names, merged across files (issue #11)
 *   rules:
 *     - id: land-01            # required, unique across all files
 *       name: 征地拆迁补偿纠纷   # required
 *       department: 市自然资源局 # required (lead department)
 *       level: III             # I, II, III, IV (yq_level_parse); default IV
 *       scope: all             # title | text | all (default all)
 *       sources: [rss]         # optional: item source or source_id values
 *       expr: "(安康 | 汉滨) & (征地 | 拆迁) & !(招聘 | 广告)"
 *       local: true            # optional (default false): local 舆情; the rule matches only
 *                              # when a place of 'places' is named in the item's title or text
 *                              # (whatever the scope), or the item is from a local source
 *                              # (item "local": true); a local rule in a set without places
 *                              # is rejected by rule_set_compile()
 *
 * A place is named when an occurrence of it counts (place.h): the full form (安康市, 汉滨区)
 * always; not when it is part of a longer name, i.e. followed by a road, building or site
 * suffix (上海市安康路, 旬阳路, 安康路小区) or preceded by another province-level region
 * (上海安康); otherwise yes (安康燃气爆炸). The suffix and region tables are in place.c.
 *
 * JSON form (stored as yuqing:rules:<version>; "version" is always the first key):
 *
 *   {"version":N,"pushed_at":"RFC3339"|null,"pushed_by":"user"|null,"source":"dir"|null,
 *    "groups":[...],"exclude":[...],"places":[...],
 *    "rules":[{"id","name","group","department","level","scope","sources":[...],"expr",
 *              "local":true (only when set)}]}
 *
 * A rule set is immutable once compiled; threads may share it read-only.
 */
#ifndef RULES_H
#define RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rule_expr.h"
#include "term_find.h"
#include "yq_alert.h"

#define RULE_SET_MAX_JSON_BYTES (16 * 1024 * 1024) /* larger Redis payloads are rejected */
#define RULE_SET_MAX_RULES 100000
/*
 * Distinct terms of one set (rule terms, exclusions and places). The term database's compile
 * grows faster than the terms: 100,000 take 3.5-5.6 s (docs/operations.md), a 10 MB set of
 * 740,000 took 4.3 GB and 133 s, in yuqingctl rules push and again in every matcher.
 */
#define RULE_SET_MAX_TERMS 200000

enum rule_scope {
    RULE_SCOPE_ALL = 0, /* title and text */
    RULE_SCOPE_TITLE = 1,
    RULE_SCOPE_TEXT = 2,
};

struct rule {
    char *id;
    char *name;
    char *group;
    char *department;
    enum yq_level level;
    enum rule_scope scope;
    char **sources; /* item source or source_id values; n_sources == 0: every source */
    size_t n_sources;
    struct rule_expr *expr;
    size_t *term_ids; /* expression term i -> index into rule_set.terms */
    char *origin;     /* "FILE:LINE" where it was defined, or NULL (decoded from JSON) */
    bool local;       /* needs a place (rule_set.places) unless the item's source is local */
};

/*
 * Private to rules.c: an open-addressing index over a list of strings, so that adding a
 * distinct string is O(1) on average instead of a scan of the list.
 */
struct rule_str_index {
    size_t *slots;  /* index into the list + 1, 0 = empty */
    size_t n_slots; /* a power of two, kept at least twice the strings indexed */
};

struct rule_set {
    int64_t version;   /* 0 until stored in Redis */
    int64_t pushed_at; /* seconds since the epoch, 0 = unknown */
    char *pushed_by;   /* may be NULL */
    char *source;      /* directory it was loaded from, may be NULL */
    char **groups;     /* distinct group names in order of appearance */
    size_t n_groups;
    char **exclude; /* distinct global exclude terms */
    size_t n_exclude;
    char **places; /* distinct local place names (issue #11) */
    size_t n_places;
    /*
     * rule_set_decode() only: one line per rule, exclude term or place of the stored set that
     * was left out because it fails a check added after sets were pushed (a term of white
     * space only, an expression never true once equal terms merge): "rule set JSON rules[N]:
     * rule 'ID': reason" or "rule set JSON exclude: exclude term '...' reason". The reader
     * logs them; rule_set_encode() does not write them back.
     */
    char **skipped;
    size_t n_skipped;
    struct rule *rules; /* in file-name order, then file order */
    size_t n_rules;
    /* private bookkeeping of rules.c: the capacities of groups, exclude, places and rules */
    size_t cap_groups, cap_exclude, cap_places, cap_rules, cap_skipped;
    /* and their indexes (rules by id), which keep loading a large set linear */
    struct rule_str_index ix_groups, ix_exclude, ix_places, ix_rule_ids;
    /* Filled by rule_set_compile(): */
    char **terms; /* distinct terms of every rule and of the exclude list (borrowed strings) */
    size_t n_terms;
    size_t *exclude_ids; /* exclude[i] -> index into terms */
    size_t *place_ids;   /* places[i] -> index into terms */
    bool *term_place;    /* n_terms entries: term t is a place */
    struct term_db *db;  /* over terms, normalised (norm.h) */
    /* term t is a positive term of rules term_rules[term_rule_start[t] .. [t + 1]) */
    size_t *term_rule_start; /* n_terms + 1 entries */
    size_t *term_rules;
    size_t max_rule_vars; /* largest terms + NEAR atoms of one rule */
    bool compiled;
};

/* An empty, uncompiled set; NULL on ERR_NOMEM. Free with rule_set_free(). */
struct rule_set *rule_set_new(void);

/* Free rs and everything it owns (NULL is a no-op). */
void rule_set_free(struct rule_set *rs);

/*
 * Add the groups, exclude terms and rules of one YAML rule file to rs (not yet compiled).
 * file: name used in messages, and the file read when text is NULL; text/text_len: the
 * file's content (borrowed) or NULL. Each expression is compiled and checked here: syntax,
 * "true with no term present", "never true", and terms that are empty once normalised
 * (only invisible characters) are rejected.
 * errbuf: one line "FILE:LINE:COL: rule 'ID': expr column N: reason" for an expression
 * error (LINE/COL: the offending token in the file, 1-based; N: its column in the
 * expression; a multi-line YAML scalar gives "FILE:LINE: rule 'ID': expr column N: ..."
 * with LINE where the expression starts),
 * "FILE:LINE: rule 'ID': reason" for other rule errors, or "FILE:LINE: reason".
 * Returns 0, ERR_NOT_FOUND, ERR_IO, ERR_PARSE (YAML or expression syntax), ERR_INVALID
 * (unknown key, missing or bad value, duplicate id), ERR_TOO_BIG or ERR_NOMEM.
 */
int rule_set_add_yaml(struct rule_set *rs, const char *file, const char *text, size_t text_len,
                      char *errbuf, size_t errlen);

/*
 * Build the term table and term database (rule terms, exclude terms and places). Call once
 * after the last add. Returns 0, ERR_TOO_BIG (more than RULE_SET_MAX_TERMS distinct terms),
 * ERR_INVALID (no rules, or a rule marked local while no file
 * lists places: "FILE:LINE: rule 'ID' is local but no rule file lists 'places'") or
 * ERR_NOMEM, with one line in errbuf.
 */
int rule_set_compile(struct rule_set *rs, char *errbuf, size_t errlen);

/*
 * Load every file named "<name>.yaml" in directory dir (NUL-terminated path, borrowed) in byte order of
 * the file names and compile. out: a new compiled set (rule_set_free()); source = dir.
 * Returns as rule_set_add_yaml(), plus ERR_NOT_FOUND when dir is missing and ERR_INVALID
 * when it holds no rule.
 */
int rule_set_load_dir(const char *dir, struct rule_set **out, char *errbuf, size_t errlen);

/*
 * Encode rs as compact JSON (format above) with "version" first.
 * out: new NUL-terminated string (free()); out_len may be NULL. Returns 0 or ERR_NOMEM.
 */
int rule_set_encode(const struct rule_set *rs, char **out, size_t *out_len);

/*
 * Decode len bytes of JSON (untrusted, borrowed) of a stored set (pushed to Redis, the
 * matcher's cache, the live set), recompile and validate every rule. The text is
 * loaded by yq_json_decode_object() (a key twice or a NUL refused; its messages in errbuf).
 * A set pushed before a check on terms was added still loads: a rule, exclude term or place
 * that the term checks of rule_set_add_yaml() refuse (white space only, never true once equal
 * terms merge, empty or too long once normalised) is left out and named in out->skipped, so
 * that it neither fires nor stops the matcher; a set left without rules is ERR_INVALID.
 * out: a new compiled set. Returns 0, ERR_TOO_BIG (over RULE_SET_MAX_JSON_BYTES),
 * ERR_PARSE (not JSON, wrong types, expression syntax), ERR_INVALID or ERR_NOMEM, with one
 * line in errbuf naming the rule.
 */
int rule_set_decode(const char *buf, size_t len, struct rule_set **out, char *errbuf,
                    size_t errlen);

/*
 * As rule_set_decode(), for a set whose rules are written now (a search query made a rule):
 * what the term checks refuse is refused as by rule_set_add_yaml() (ERR_INVALID naming the
 * rule and term), never skipped.
 */
int rule_set_decode_written(const char *buf, size_t len, struct rule_set **out, char *errbuf,
                            size_t errlen);

/* "all", "title", "text". Static string. */
const char *rule_scope_name(enum rule_scope scope);

/* Parse "all" | "title" | "text". Returns 0 or ERR_INVALID. */
int rule_scope_parse(const char *s, enum rule_scope *out);

/* True when rule applies to an item with this source and source_id (either may be NULL). */
bool rule_applies_to_source(const struct rule *rule, const char *source, const char *source_id);

#endif
