/*
 * Place occurrences (issue #11): whether an occurrence of a place name of the rule set's
 * `places` list, found in an item's normalised text (norm.h), names the deployment's place.
 *
 * A place name is found as a substring, so "安康" also occurs in "上海市安康路" (a street in
 * Shanghai), in "安康路小区" and in the greeting "端午安康". An occurrence counts unless it is
 * part of a longer name or word:
 *
 *   0. Inside an ordinary word or set phrase of place_common_words (端午安康, 平安康复, 公平利用):
 *      does not count.
 *   1. Followed by an administrative suffix (place_admin_suffixes: 市, 区, 县, 镇, 乡, 街道,
 *      ...): the full form (安康市, 汉滨区, 石泉县) counts, except 市 of 市场 (a market:
 *      上海市安康市场) unless 市场监管 (安康市市场监管局), which goes on to rules 2-4.
 *   2. Followed by a road, building or site suffix (place_name_suffixes: 路, 街, 大道, 巷, 小区,
 *      花园, 大厦, 广场, 医院, ...): the name of a street or building elsewhere, does not count.
 *   3. Preceded by the name of another province-level region (place_other_regions: 北京, 上海,
 *      广东, ..., optionally with 省 / 市 / 自治区 / 特别行政区): a different place, does not
 *      count. 陕西 is not in the list: "陕西安康" is the deployment's place.
 *   4. Otherwise it counts ("安康燃气爆炸").
 *
 * The tables are fixed, in place.c, and documented in docs/matching.md. Their entries are
 * simplified Chinese already in normalised form (a test checks it), so traditional and
 * full-width spellings of an item behave as the simplified ones.
 */
#ifndef PLACE_H
#define PLACE_H

#include <stdbool.h>
#include <stddef.h>

/* The suffix tables and the region table, each ending with NULL (static strings). */
extern const char *const place_admin_suffixes[];
extern const char *const place_name_suffixes[];
extern const char *const place_other_regions[];
extern const char *const place_common_words[];

/*
 * True when the place occurrence norm[nstart, nend) names the deployment's place (rules
 * above). norm: the item's normalised text (norm.h), len bytes, borrowed; nstart <= nend <= len
 * are byte offsets on character boundaries.
 */
bool place_occurrence_counts(const char *norm, size_t len, size_t nstart, size_t nend);

#endif
