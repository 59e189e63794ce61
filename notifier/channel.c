/*
 * The channel registry and the steps every channel shares (channel.h): outcome names, length
 * limits, fitting text, rendering, and dispatching send and answer to a channel's ops. The
 * channels themselves are channel_wecom.c, channel_dingtalk.c, channel_feishu.c,
 * channel_email.c and channel_webhook.c.
 */
#include "channel.h"
#include "channel_base.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_banned.h"

/* Every channel; one row each. Order: as listed in messages (channel_type_names()). */
static const struct channel_ops *const registry[] = {
    &channel_wecom_ops, &channel_dingtalk_ops, &channel_feishu_ops,
    &channel_email_ops, &channel_webhook_ops,  NULL,
};

const struct channel_ops *channel_ops_of(enum channel_type type)
{
    for (size_t i = 0; registry[i]; i++) {
        if (registry[i]->type == type) {
            return registry[i];
        }
    }
    return NULL;
}

const struct channel_ops *channel_ops_by_name(const char *name)
{
    for (size_t i = 0; name && registry[i]; i++) {
        if (strcmp(registry[i]->name, name) == 0) {
            return registry[i];
        }
    }
    return NULL;
}

const char *channel_type_name(enum channel_type type)
{
    const struct channel_ops *ops = channel_ops_of(type);
    return ops ? ops->name : "?";
}

/* names = the registry's names as "a, b, c or d" (once). */
static char names_text[256];

static void join_names(void)
{
    size_t n = 0, used = 0;

    while (registry[n]) {
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(names_text + used, sizeof(names_text) - used, "%s%s",
                         i == 0       ? ""
                         : i + 1 == n ? " or "
                                      : ", ",
                         registry[i]->name);
        if (w < 0 || (size_t)w >= sizeof(names_text) - used) {
            break;
        }
        used += (size_t)w;
    }
}

const char *channel_type_names(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, join_names);
    return names_text;
}

int channel_type_parse(const char *name, enum channel_type *out)
{
    const struct channel_ops *ops = channel_ops_by_name(name);

    if (!ops) {
        return ERR_NOT_FOUND;
    }
    *out = ops->type;
    return 0;
}

int channel_validate(const struct notify_channel *ch, char *why, size_t whylen)
{
    const struct channel_ops *ops = channel_ops_of(ch->type);

    if (ops && ops->needs_key_file && !ch->key_file) {
        snprintf(why, whylen, "a %s robot needs key_file", ops->name);
        return ERR_INVALID;
    }
    return ops && ops->validate ? ops->validate(ch, why, whylen) : 0;
}

enum channel_outcome channel_classify(enum channel_type type, long http_status, const char *body,
                                      size_t len, long *code_out)
{
    const struct channel_ops *ops = channel_ops_of(type);

    if (ops && ops->read_answer) {
        return ops->read_answer(http_status, body, len, code_out);
    }
    return channel_answer_by_status(http_status, body, len, code_out);
}

size_t channel_max_bytes(const struct notify_channel *ch)
{
    const struct channel_ops *ops = channel_ops_of(ch->type);

    if (ch->max_bytes > 0) {
        return (size_t)ch->max_bytes;
    }
    return ops ? ops->max_bytes : CHANNEL_GENERIC_MAX_BYTES;
}

int64_t channel_rate_per_minute(const struct notify_channel *ch)
{
    const struct channel_ops *ops = channel_ops_of(ch->type);

    if (ch->rate_per_minute > 0) {
        return ch->rate_per_minute;
    }
    return ops ? ops->rate_per_minute : 0;
}

char *channel_render(enum channel_type type, const struct outbox_msg *msg, size_t max_bytes)
{
    const struct channel_ops *ops = channel_ops_of(type);

    if (ops && ops->format) {
        return ops->format(msg, max_bytes);
    }
    return channel_fit_utf8(msg->body, max_bytes);
}

/* channel_send() of msg whose subject is one valid line already. */
static int send_msg(const struct notify_channel *ch, const struct outbox_msg *msg, int64_t now_ms,
                    int64_t shrink, size_t max_response_bytes, struct channel_result *out)
{
    const struct channel_ops *ops = channel_ops_of(ch->type);
    size_t max_bytes = channel_max_bytes(ch);

    memset(out, 0, sizeof(*out));
    out->code = -1;
    for (int64_t i = 0; i < shrink && max_bytes > 256; i++) {
        max_bytes /= 2;
    }
    if (!ops) {
        /* notify_routes_parse() accepts only the registry's types */
        out->outcome = CHANNEL_CONFIG;
        snprintf(out->detail, sizeof(out->detail), "unknown channel type -> %s",
                 channel_outcome_name(out->outcome));
        return 0;
    }
    if (ops->send) {
        return ops->send(ops, ch, msg, now_ms, max_bytes, max_response_bytes, out);
    }
    return channel_http_send(ops, ch, msg, now_ms, max_bytes, max_response_bytes, out);
}

int channel_send(const struct notify_channel *ch, const struct outbox_msg *msg, int64_t now_ms,
                 int64_t shrink, size_t max_response_bytes, struct channel_result *out)
{
    /* every channel sends the subject as one valid line (a required DingTalk title, JSON) */
    struct outbox_msg m = *msg;
    int err;

    m.subject = channel_subject(msg->subject);
    if (!m.subject) {
        return ERR_NOMEM;
    }
    err = send_msg(ch, &m, now_ms, shrink, max_response_bytes, out);
    free(m.subject);
    return err;
}

int channel_checks(const struct notify_channel *ch, struct yq_buf *out)
{
    const struct channel_ops *ops = channel_ops_of(ch->type);

    return ops && ops->checks ? ops->checks(ch, out) : 0;
}
