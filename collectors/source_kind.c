#include "source_kind.h"

#include <stddef.h>
#include <stdio.h>

#include "yq_err.h"
#include "yq_banned.h"

/* One row per enum source_kind (see source_kind.h). */
static const struct source_kind_ops *const kinds[] = {
    [SOURCE_RSS] = &source_kind_feed,
    [SOURCE_WECHAT_FEED] = &source_kind_feed,
    [SOURCE_WEIBO_USER] = &source_kind_weibo,
    [SOURCE_WEIBO_SEARCH] = &source_kind_weibo,
    [SOURCE_WEIBO_HOT] = &source_kind_weibo_hot,
};

const struct source_kind_ops *source_kind_of(enum source_kind kind)
{
    if ((size_t)kind >= sizeof(kinds) / sizeof(kinds[0]) || !kinds[kind]) {
        return &source_kind_feed; /* not reached: collector_cfg.c accepts known kinds only */
    }
    return kinds[kind];
}
