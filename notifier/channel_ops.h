/*
 * What every channel file shares with the registry (channel.h) and the shared steps
 * (channel_base.h): the outcome of a send, its result, one HTTP request and struct
 * channel_ops, the steps of one kind of channel. Types and the two functions channel_base.c
 * defines for everyone; no function of the registry, so channel_base.c needs only this
 * header and the channel files form no circle (issue #12).
 */
#ifndef NOTIFIER_CHANNEL_OPS_H
#define NOTIFIER_CHANNEL_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "notify_cfg.h"
#include "outbox.h"
#include "yq_buf.h"

struct curl_slist;

#define CHANNEL_TRUNCATION_MARKER "\n…（内容过长，已截断，详见链接）"


enum channel_outcome {
    CHANNEL_DELIVERED = 0, /* the robot/server accepted it */
    CHANNEL_RETRY = 1,     /* rate limit, 5xx, timeout, connection failure: retry later */
    CHANNEL_TOO_LONG = 2,  /* refused as too long: retry at once in a shorter form */
    CHANNEL_CONFIG = 3,    /* bad key, token, signature, address: permanent, tell an admin */
    CHANNEL_PERMANENT = 4, /* any other refusal: permanent */
};

/* "delivered", "retry_later", "too_long", "permanent_config", "permanent". Static. */
const char *channel_outcome_name(enum channel_outcome outcome);

/*
 * A new copy of text of at most max_bytes bytes: text itself when it fits, otherwise cut at
 * a UTF-8 character boundary with CHANNEL_TRUNCATION_MARKER appended (the marker is counted).
 * Invalid UTF-8 sequences are replaced by U+FFFD first. NULL on ERR_NOMEM.
 */
char *channel_fit_utf8(const char *text, size_t max_bytes);

struct channel_result {
    enum channel_outcome outcome;
    long http_status; /* 0 when no HTTP answer (or SMTP: the last response code) */
    long code;        /* robot code, or -1 */
    char detail[200]; /* one line for logs and outbox.last_error; no URL, no secret (redacted) */
};

/* One HTTP request of a robot or webhook, filled by channel_ops.build. */
struct channel_request {
    char *url;                  /* new (free()); may hold the robot's key: never logged */
    char *body;                 /* new (free()); the JSON body */
    struct curl_slist *headers; /* Content-Type, then the channel's own; curl_slist_free_all() */
};

/*
 * The steps of one kind of channel. All strings and pointers passed to the ops are borrowed;
 * every op is thread-safe (no state beyond its arguments).
 */
struct channel_ops {
    const char *name;        /* the config's "type:" value, e.g. "wecom" */
    enum channel_type type;  /* the value ch->type holds */
    size_t max_bytes;        /* documented message limit in UTF-8 bytes (when ch->max_bytes 0) */
    /*
     * documented limit of the whole request body in bytes (0 = none): JSON escaping can make
     * a body longer than its text ('"' -> '\"'), so the default send cuts the text further
     * until the body fits
     */
    size_t max_body_bytes;
    int64_t rate_per_minute; /* documented messages per minute; 0 = no limit */
    bool needs_key_file;     /* config: key_file is required (robots: the key is in the URL) */
    /*
     * validate: the channel's configuration beyond its url (read at load time). Returns 0 or
     * ERR_INVALID with one reason in why (no secret). NULL: nothing more is required.
     */
    int (*validate)(const struct notify_channel *ch, char *why, size_t whylen);
    /*
     * format: the message text of msg fitted to max_bytes; new string (free()) or NULL on
     * ERR_NOMEM. NULL: msg->body as channel_fit_utf8() cuts it.
     */
    char *(*format)(const struct outbox_msg *msg, size_t max_bytes);
    /*
     * build: sign and shape one HTTP request carrying text (from format) at now_ms into req,
     * whose headers already hold Content-Type. Returns 0 or ERR_NOMEM (req's parts are freed
     * by the caller either way). Used by the default send.
     */
    int (*build)(const struct notify_channel *ch, const struct outbox_msg *msg, const char *text,
                 int64_t now_ms, struct channel_request *req);
    /*
     * send: deliver msg now with text cut to max_bytes and fill out (channel_send()'s
     * contract). NULL: channel_http_send() (format, build, POST, read_answer).
     */
    int (*send)(const struct channel_ops *ops, const struct notify_channel *ch,
                const struct outbox_msg *msg, int64_t now_ms, size_t max_bytes,
                size_t max_response_bytes, struct channel_result *out);
    /*
     * read_answer: judge an HTTP answer (channel_classify()'s contract). NULL: by the HTTP
     * status alone (2xx delivered, 3xx/401/403 config, 413 too long, 5xx/408/429 retry).
     */
    enum channel_outcome (*read_answer)(long http_status, const char *body, size_t len,
                                        long *code_out);
    /*
     * checks: what an administrator should check when ch's configuration is refused, as
     * zh-CN lines starting "- ", appended to out. Returns 0, ERR_TOO_BIG or ERR_NOMEM.
     */
    int (*checks)(const struct notify_channel *ch, struct yq_buf *out);
};

#endif
