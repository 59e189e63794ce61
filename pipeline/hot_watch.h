/*
 * Watched terms on the hot-search list (issue #15): an item of the weibo_hot kind whose
 * "hot.watched" lists terms (the collector found the source's watch_terms in the entry) raises
 * an alert even when no rule matches, through one synthetic match:
 *   {"rule_id":"hot-watch","name":"热搜关注词","group":"热搜","department":<the item's
 *    department or "">,"level":"IV","terms":[{"term":<watched term>,"field":"title",
 *    "start","end","excerpt"}]}
 * with each watched term's occurrences in the title found as the matcher finds terms (the
 * same normalisation, norm.h; offsets in code points of the original title). A watched term
 * the title does not contain after normalisation (the collector folds case only) is still
 * listed, at 0..0 with no excerpt. The level is fixed at IV (一般): the watch says "look at
 * this", the rules say how grave it is. An item excluded by a global exclude term gets no
 * alert (the matcher decides that before).
 */
#ifndef HOT_WATCH_H
#define HOT_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "match.h"
#include "rules.h"
#include "yq_alert.h"
#include "yq_item.h"

#define HOT_WATCH_RULE_ID "hot-watch"
#define HOT_WATCH_NAME "热搜关注词"
#define HOT_WATCH_GROUP "热搜"
#define HOT_WATCH_LEVEL YQ_LEVEL_IV
#define HOT_WATCH_MAX_TERMS 64 /* watched terms read from one item, at most */

/* True when item (borrowed) has a non-empty "hot.watched" array of strings. Thread-safe. */
bool hot_watch_applies(const struct yq_item *item);

/*
 * The alert of item (borrowed) with mr (borrowed, may have no rules): when rules matched, the
 * alert of match_build_alert_weighted() plus the hot-watch match when hot_watch_applies();
 * when none matched, an alert of the hot-watch match alone (event_key "ev:" + the item's
 * reply_to — "wbhot:<sha1>", one event per term, which event_assign() joins — or its id,
 * level IV, department the item's or "", score match_score_weighted(IV, 1, item, mw)).
 * rs, mw, now and out as for match_build_alert_weighted(). Returns 0, ERR_INVALID (no rule
 * matched and no watched term) or ERR_NOMEM.
 */
int hot_watch_build_alert(const struct rule_set *rs, const struct match_result *mr,
                          const struct yq_item *item, const struct match_weights *mw, int64_t now,
                          struct yq_alert *out);

#endif
