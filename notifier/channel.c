/*
 * The channel registry and the steps every channel shares (channel.h): outcome names, length
 * limits, fitting text, rendering, and dispatching send and answer to a channel's ops. The
 * channels themselves are channel_wecom.c, channel_dingtalk.c, channel_feishu.c,
 * channel_email.c and channel_webhook.c.
 */
#include "channel_http.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_banned.h"
#include "yq_err.h"

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

    return ops && ops->validate ? ops->validate(ch, why, whylen) : 0;
}

const char *channel_outcome_name(enum channel_outcome outcome)
{
    switch (outcome) {
    case CHANNEL_DELIVERED:
        return "delivered";
    case CHANNEL_RETRY:
        return "retry_later";
    case CHANNEL_TOO_LONG:
        return "too_long";
    case CHANNEL_CONFIG:
        return "permanent_config";
    case CHANNEL_PERMANENT:
        return "permanent";
    }
    return "?";
}

/* The answer of a channel without its own read_answer: its HTTP status decides. */
static enum channel_outcome answer_by_status(long http_status, const char *body, size_t len,
                                             long *code_out)
{
    static const char *const keys[] = {"errcode", NULL};
    bool has;
    long code = channel_answer_code(body, len, keys, &has);

    if (code_out) {
        *code_out = code;
    }
    if (channel_status_retry(http_status)) {
        return CHANNEL_RETRY;
    }
    if (http_status >= 200 && http_status < 300) {
        return CHANNEL_DELIVERED;
    }
    if (http_status == 401 || http_status == 403) {
        return CHANNEL_CONFIG;
    }
    return http_status == 413 ? CHANNEL_TOO_LONG : CHANNEL_PERMANENT;
}

enum channel_outcome channel_classify(enum channel_type type, long http_status, const char *body,
                                      size_t len, long *code_out)
{
    const struct channel_ops *ops = channel_ops_of(type);

    if (ops && ops->read_answer) {
        return ops->read_answer(http_status, body, len, code_out);
    }
    return answer_by_status(http_status, body, len, code_out);
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

/* Length of the valid UTF-8 sequence at s (0 when invalid). */
static size_t utf8_seq(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t len = c < 0x80                   ? 1
                 : (c >= 0xC2 && c <= 0xDF) ? 2
                 : (c & 0xF0) == 0xE0       ? 3
                 : (c >= 0xF0 && c <= 0xF4) ? 4
                                            : 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            return 0;
        }
    }
    return len;
}

char *channel_fit_utf8(const char *text, size_t max_bytes)
{
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    size_t marker = strlen(CHANNEL_TRUNCATION_MARKER), n = 0, cut = 0, len = 0;
    char *clean, *out;

    /* first repair: every byte of an invalid sequence becomes U+FFFD (3 bytes) */
    for (size_t i = 0; s[i];) {
        size_t l = utf8_seq(s + i);
        len += l ? l : 3;
        i += l ? l : 1;
    }
    clean = malloc(len + 1);
    if (!clean) {
        return NULL;
    }
    for (size_t i = 0; s[i];) {
        size_t l = utf8_seq(s + i);
        if (l) {
            memcpy(clean + n, s + i, l);
            n += l;
            i += l;
        } else {
            memcpy(clean + n, "\xEF\xBF\xBD", 3);
            n += 3;
            i++;
        }
    }
    clean[n] = '\0';
    if (n <= max_bytes) {
        return clean;
    }
    if (max_bytes <= marker) {
        max_bytes = marker + 1;
    }
    /* the longest prefix ending on a character boundary that leaves room for the marker */
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq((const unsigned char *)clean + i);
        if (i + l > max_bytes - marker) {
            break;
        }
        i += l;
        cut = i;
    }
    out = malloc(cut + marker + 1);
    if (out) {
        memcpy(out, clean, cut);
        memcpy(out + cut, CHANNEL_TRUNCATION_MARKER, marker + 1);
    }
    free(clean);
    return out;
}

char *channel_format_markdown(const struct outbox_msg *msg, size_t max_bytes)
{
    /* bold first line (number), the rest as lines; the link is in the body */
    const char *nl = strchr(msg->body, '\n');
    char *text = NULL, *out;

    if (asprintf(&text, "**%.*s**\n%s", nl ? (int)(nl - msg->body) : (int)strlen(msg->body),
                 msg->body, nl ? nl + 1 : "") < 0) {
        return NULL;
    }
    out = channel_fit_utf8(text, max_bytes);
    free(text);
    return out;
}

char *channel_render(enum channel_type type, const struct outbox_msg *msg, size_t max_bytes)
{
    const struct channel_ops *ops = channel_ops_of(type);

    if (ops && ops->format) {
        return ops->format(msg, max_bytes);
    }
    return channel_fit_utf8(msg->body, max_bytes);
}

int channel_send(const struct notify_channel *ch, const struct outbox_msg *msg, int64_t now_ms,
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

int channel_checks(const struct notify_channel *ch, struct yq_buf *out)
{
    const struct channel_ops *ops = channel_ops_of(ch->type);

    return ops && ops->checks ? ops->checks(ch, out) : 0;
}
