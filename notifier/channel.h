/*
 * Sending one notification through one channel (notify_cfg.h), and judging the answer.
 *
 *   type      request                                         limit (bytes)   rate/min
 *   wecom     POST url?key=KEY {"msgtype":"markdown",          4096 content    20
 *             "markdown":{"content":...}}
 *   dingtalk  POST url?access_token=KEY&timestamp=MS&sign=SIG  20000 text      20
 *             {"msgtype":"markdown","markdown":{"title","text"}}
 *             SIG = urlencode(base64(HMAC-SHA256(secret, MS "\n" secret))), per request
 *   feishu    POST url/KEY {"timestamp":"S","sign":SIG,        18000 text      100
 *             "msg_type":"text","content":{"text":...}}
 *             SIG = base64(HMAC-SHA256(key = S "\n" secret, message = ""))
 *   webhook   POST url {"idempotency_key","kind","role",       65536 text      unlimited
 *             "subject","text","link","ticket_id"}, header Idempotency-Key, and with a
 *             secret X-Yuqing-Timestamp: S and X-Yuqing-Signature: sha256=hex(HMAC-SHA256(
 *             secret, S "." body))
 *   email     SMTP via libcurl (smtp:// with STARTTLS required when a password is set, or
 *             smtps://), UTF-8 plain text, base64, Message-ID <idem_key@yuqing>   65536
 *
 * The rate limits are the robots' documented ones (WeCom and DingTalk 20 messages a minute per
 * robot; Feishu 100 a minute, 5 a second); the limits in bytes are measured in UTF-8 (FC-029).
 * Text longer than the limit is cut at a character boundary and ends with
 * CHANNEL_TRUNCATION_MARKER; the ticket number and link come first and survive the cut.
 *
 * Robots report failures in the JSON body, often with HTTP 200 (FC-032); see
 * channel_classify(). Nothing here logs: the caller logs the result line, which never holds
 * a URL (robot URLs carry keys) or a secret.
 *
 * Each channel is one const struct channel_ops in its own file (channel_wecom.c,
 * channel_dingtalk.c, channel_feishu.c, channel_email.c, channel_webhook.c); channel.c holds
 * the registry and dispatches to a channel's ops; channel_base.c the steps channels share
 * (fitting text, judging answers, signing, the HTTP POST of robots and webhooks). Adding a
 * channel: write channel_NAME.c with its ops (a NULL op takes the
 * default named at struct channel_ops), give it a value in enum channel_type (notify_cfg.h),
 * one row in the registry in channel.c and one line in notifier/CMakeLists.txt; nothing else
 * branches on the kind of channel.
 */
#ifndef NOTIFIER_CHANNEL_H
#define NOTIFIER_CHANNEL_H

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
 * Judge an HTTP answer of a robot or webhook of type (not email).
 * body: len bytes (need not be NUL-terminated; may be NULL). code_out (may be NULL): the
 * robot's code (WeCom/DingTalk errcode, Feishu code or StatusCode), or -1 when absent.
 *   WeCom:    0 ok; 45009 rate limit and -1 busy: retry; 40058 too long; 93000 invalid
 *             webhook URL, 40001/40014/93004/93017 bad key or robot: config.
 *   DingTalk: 0 ok; 130101 too fast, -1 busy: retry; 460101 too long; 310000 sign, keyword
 *             or IP, 300001/300005/400101/400102 token or robot: config.
 *   Feishu:   0 ok; 9499 rate limit, 11232 frequency: retry; 19021 sign or timestamp,
 *             19022 IP, 19024 keyword, 19001/19002 bad hook: config.
 * HTTP 5xx, 408 and 429 are retried whatever the body says; other codes are permanent.
 * A 2xx webhook answer is delivered; 401/403 are config.
 */
enum channel_outcome channel_classify(enum channel_type type, long http_status, const char *body,
                                      size_t len, long *code_out);

/* The documented length limit of a channel in bytes, or ch->max_bytes when set. */
size_t channel_max_bytes(const struct notify_channel *ch);

/* Messages per minute allowed (0 = no limit): ch->rate_per_minute or the documented one. */
int64_t channel_rate_per_minute(const struct notify_channel *ch);

/*
 * A new copy of text of at most max_bytes bytes: text itself when it fits, otherwise cut at
 * a UTF-8 character boundary with CHANNEL_TRUNCATION_MARKER appended (the marker is counted).
 * Invalid UTF-8 sequences are replaced by U+FFFD first. NULL on ERR_NOMEM.
 */
char *channel_fit_utf8(const char *text, size_t max_bytes);

/*
 * The robot message text of msg (markdown for WeCom/DingTalk, plain for Feishu/others) fitted
 * to max_bytes. New string (free()) or NULL on ERR_NOMEM.
 */
char *channel_render(enum channel_type type, const struct outbox_msg *msg, size_t max_bytes);

/*
 * The DingTalk URL for one request: base ? access_token=TOKEN & timestamp=TS_MS & sign=SIG,
 * SIG URL-encoded exactly once (FC-030). out: new string (free()). Returns 0 or ERR_NOMEM.
 */
int channel_dingtalk_url(const char *base, const char *token, const char *secret, int64_t ts_ms,
                         char **out);

/* The Feishu sign of ts_s (seconds) into out (>= 64 bytes). Returns 0 or ERR_NOMEM. */
int channel_feishu_sign(const char *secret, int64_t ts_s, char *out, size_t len);

struct channel_result {
    enum channel_outcome outcome;
    long http_status; /* 0 when no HTTP answer (or SMTP: the last response code) */
    long code;        /* robot code, or -1 */
    char detail[200]; /* one line for logs and outbox.last_error; no URL, no secret (redacted) */
};

/*
 * Send msg through ch (both borrowed) now. now_ms: wall clock in ms (the injectable clock;
 * DingTalk/Feishu/webhook signatures use it). shrink: halve the length limit this many times
 * (after CHANNEL_TOO_LONG answers). max_response_bytes: answers are read up to this size.
 * Blocks up to ch->timeout_ms. Returns 0 with out filled (whatever the outcome), or ERR_NOMEM.
 * Thread-safe (one curl easy handle per call); curl_global_init() must have run.
 */
int channel_send(const struct notify_channel *ch, const struct outbox_msg *msg, int64_t now_ms,
                 int64_t shrink, size_t max_response_bytes, struct channel_result *out);

/*
 * A whole e-mail message body can be at most this long: the text is cut to the channel's
 * max_bytes (at most 1 MiB, notify_cfg's range) and base64 with CRLF every 76 characters
 * grows it by 37 %, plus headers; anything longer is a bug, refused with ERR_TOO_BIG.
 */
#define CHANNEL_MAIL_MAX_BYTES (2 * 1024 * 1024)

/*
 * The RFC 5322 message of msg through e-mail channel ch (both borrowed) at now_ms: headers
 * (From, To, Subject as UTF-8 base64, Date, Message-ID <idem_key@yuqing>), then msg->body cut
 * to max_bytes, in base64 lines of 76 characters. max_mail_bytes: the message's maximum
 * (CHANNEL_MAIL_MAX_BYTES in channel_send()). out: new string (free()) on success.
 * Returns 0, ERR_TOO_BIG (longer than max_mail_bytes; nothing returned) or ERR_NOMEM.
 */
int channel_email_message(const struct notify_channel *ch, const struct outbox_msg *msg,
                          int64_t now_ms, size_t max_bytes, size_t max_mail_bytes, char **out);

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
     * status alone (2xx delivered, 401/403 config, 413 too long, 5xx/408/429 retry).
     */
    enum channel_outcome (*read_answer)(long http_status, const char *body, size_t len,
                                        long *code_out);
    /*
     * checks: what an administrator should check when ch's configuration is refused, as
     * zh-CN lines starting "- ", appended to out. Returns 0, ERR_TOO_BIG or ERR_NOMEM.
     */
    int (*checks)(const struct notify_channel *ch, struct yq_buf *out);
};

extern const struct channel_ops channel_wecom_ops;
extern const struct channel_ops channel_dingtalk_ops;
extern const struct channel_ops channel_feishu_ops;
extern const struct channel_ops channel_email_ops;
extern const struct channel_ops channel_webhook_ops;

/* The ops of type, or NULL when no channel has it. Static. */
const struct channel_ops *channel_ops_of(enum channel_type type);

/* The ops whose name is name (NUL-terminated, may be NULL), or NULL. Static. */
const struct channel_ops *channel_ops_by_name(const char *name);

#endif
