#include "web_desk_ops.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "event_read.h"
#include "web_notifier_ops.h"
#include "yq_banned.h"
#include "yq_err.h"
#include "yq_time.h"

static int ops_inbox_list(void *ctx, const struct web_inbox_query *q, json_t **out)
{
    struct web_notifier_ctx *x = ctx;
    const struct event_inbox_query eq = {
        .state = q->state,
        .level = q->level,
        .group = q->group,
        .source_kind = q->source_kind,
        .region = q->region,
        .since = q->since,
        .until = q->until,
        .offset = q->offset,
        .max = q->max,
    };
    int err;

    pthread_mutex_lock(x->lock);
    err = event_read_inbox(x->reader, &eq, yq_time_now(), out);
    pthread_mutex_unlock(x->lock);
    return err;
}

static int ops_inbox_get(void *ctx, int64_t id, json_t **out)
{
    struct web_notifier_ctx *x = ctx;
    int err;

    pthread_mutex_lock(x->lock);
    err = event_read_detail(x->reader, id, yq_time_now(), out);
    pthread_mutex_unlock(x->lock);
    return err;
}

const struct web_desk_ops web_desk_ops = {
    .inbox_list = ops_inbox_list,
    .inbox_get = ops_inbox_get,
};
