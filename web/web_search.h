/*
 * GET /api/search (the archive searched in the rule language), CSV export, saved searches
 * (/api/search/saved...) and their draft rules (issue #14, docs/api.md "Search").
 */
#ifndef WEB_SEARCH_H
#define WEB_SEARCH_H

#include <stdint.h>

#include "web_internal.h"

/* Answer the request (call borrowed); rest: the URL after the route's prefix. */
enum MHD_Result web_route_search(struct web_call *call, const char *rest);

/*
 * The draft rule file of a saved search: YAML of a rule file with one rule (id "search-<id>",
 * name, department (the caller's, else "待指定" to be filled in), level IV, scope all,
 * expr = query, group 检索草稿), checked with rule_set_add_yaml() and rule_set_compile() as
 * the rules page and `yuqingctl rules` would. name, query, department: borrowed UTF-8
 * (department may be NULL). out: new NUL-terminated text (free()). Returns 0 or the rule
 * loader's error (ERR_PARSE, ERR_INVALID, ERR_TOO_BIG, ERR_NOMEM) with one line in errbuf.
 */
int web_search_draft_rule(int64_t id, const char *name, const char *query, const char *department,
                          char **out, char *errbuf, size_t errlen);

#endif
