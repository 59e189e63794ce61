#include "web_desk_ops.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "event_read.h"
#include "silence.h"
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

/* ------------------------------------------------------------- silences */

static int ops_silence_list(void *ctx, bool all, json_t **out)
{
    struct web_notifier_ctx *x = ctx;
    int err;

    pthread_mutex_lock(x->lock);
    err = silence_list(x->reader, all, yq_time_now(), out);
    pthread_mutex_unlock(x->lock);
    return err;
}

/* {"kind","value","reason","expires_at"|"duration_s"} -> silence_add(). */
static int ops_silence_add(void *ctx, const struct web_actor *actor, json_t *args,
                           int64_t *id_out, char *errbuf, size_t errlen)
{
    struct web_notifier_ctx *x = ctx;
    const char *kind = json_string_value(json_object_get(args, "kind"));
    const char *value = json_string_value(json_object_get(args, "value"));
    const char *reason = json_string_value(json_object_get(args, "reason"));
    const char *expires = json_string_value(json_object_get(args, "expires_at"));
    json_t *duration = json_object_get(args, "duration_s");
    enum silence_kind k;
    int64_t now = yq_time_now(), until = 0;
    int err;

    *id_out = 0;
    if (!kind || silence_kind_parse(kind, &k) != 0) {
        snprintf(errbuf, errlen,
                 "kind_invalid: 屏蔽类型须为 rule（规则）、group（规则组）、source（来源）、"
                 "account（账号）或 term（词语）");
        return ERR_INVALID;
    }
    if (!value || !value[0] || !reason || !reason[0]) {
        snprintf(errbuf, errlen, "value_required: 请填写屏蔽对象和原因");
        return ERR_INVALID;
    }
    if (expires && !duration) {
        if (yq_time_parse_iso(expires, &until, NULL) != 0) {
            snprintf(errbuf, errlen, "expires_invalid: 到期时间须为 RFC 3339 时间");
            return ERR_INVALID;
        }
    } else if (duration && !expires && json_is_integer(duration) &&
               json_integer_value(duration) > 0 &&
               json_integer_value(duration) <= SILENCE_MAX_DURATION_S) {
        until = now + json_integer_value(duration);
    } else {
        snprintf(errbuf, errlen,
                 "expires_required: 请设置到期时间（expires_at）或时长（duration_s，1 秒至 90 天），"
                 "二选一");
        return ERR_INVALID;
    }
    if (until <= now || until > now + SILENCE_MAX_DURATION_S) {
        snprintf(errbuf, errlen, "expires_invalid: 到期时间须在当前时间之后 90 天以内");
        return ERR_INVALID;
    }
    pthread_mutex_lock(x->lock);
    err = silence_add(x->writer, k, value, reason, actor->username, until, now, id_out);
    pthread_mutex_unlock(x->lock);
    if (err == ERR_INVALID) {
        snprintf(errbuf, errlen, "silence_invalid: 屏蔽对象须不超过 %d 字节、原因不超过 %d 字节",
                 SILENCE_VALUE_MAX_BYTES, SILENCE_REASON_MAX_BYTES);
    } else if (err == ERR_TOO_BIG) {
        snprintf(errbuf, errlen, "too_many_silences: 生效中的屏蔽规则已达上限 %d 条，请先撤销不用的",
                 SILENCE_ACTIVE_MAX);
        err = ERR_BAD_STATE;
    }
    return err;
}

static int ops_silence_revoke(void *ctx, int64_t id, const struct web_actor *actor, char *errbuf,
                              size_t errlen)
{
    struct web_notifier_ctx *x = ctx;
    int err;

    pthread_mutex_lock(x->lock);
    err = silence_revoke(x->writer, id, actor->username, yq_time_now());
    pthread_mutex_unlock(x->lock);
    if (err == ERR_NOT_FOUND) {
        snprintf(errbuf, errlen, "not_found: 屏蔽规则不存在");
    } else if (err == ERR_BAD_STATE) {
        snprintf(errbuf, errlen, "state_not_allowed: 该屏蔽规则已撤销或已到期");
    }
    return err;
}

static int ops_silence_alerts(void *ctx, int64_t id, size_t max, json_t **out)
{
    struct web_notifier_ctx *x = ctx;
    int err;

    pthread_mutex_lock(x->lock);
    err = silence_alerts_list(x->reader, id, max, out);
    pthread_mutex_unlock(x->lock);
    return err;
}

const struct web_desk_ops web_desk_ops = {
    .inbox_list = ops_inbox_list,
    .inbox_get = ops_inbox_get,
    .silence_list = ops_silence_list,
    .silence_add = ops_silence_add,
    .silence_revoke = ops_silence_revoke,
    .silence_alerts = ops_silence_alerts,
};
