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
 *             Subject as RFC 2047 encoded-words (each <= 75 characters, whole characters)
 *
 * The rate limits are the robots' documented ones (WeCom and DingTalk 20 messages a minute per
 * robot; Feishu 100 a minute, 5 a second); the limits in bytes are measured in UTF-8 (FC-029).
 * Text longer than the limit is cut at a character boundary and ends with
 * CHANNEL_TRUNCATION_MARKER; the ticket number and link come first and survive the cut. Feishu's
 * whole body must stay within 20000 bytes too (channel_ops.max_body_bytes).
 *
 * Feed text is never markup: WeCom/DingTalk markdown and Feishu text get the characters their
 * robots read as links, tags or mentions in full-width form (channel_defuse()), all but the
 * message's own link; the subject is one valid line (channel_subject()).
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

#include "channel_ops.h"

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
 * A 2xx webhook answer is delivered; 401/403 and a redirect (3xx: never followed) are config;
 * a robot answering 3xx, 401, 403 or 404 without its code is config too.
 */
enum channel_outcome channel_classify(enum channel_type type, long http_status, const char *body,
                                      size_t len, long *code_out);

/* The documented length limit of a channel in bytes, or ch->max_bytes when set. */
size_t channel_max_bytes(const struct notify_channel *ch);

/* Messages per minute allowed (0 = no limit): ch->rate_per_minute or the documented one. */
int64_t channel_rate_per_minute(const struct notify_channel *ch);

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

/*
 * Send msg through ch (both borrowed) now; msg->subject goes out as channel_subject() makes
 * it (one valid line, so a bad subject cannot fail the JSON). now_ms: wall clock in ms (the
 * injectable clock; DingTalk/Feishu/webhook signatures use it). shrink: halve the length
 * limit this many times (after CHANNEL_TOO_LONG answers). max_response_bytes: answers are read up to this size.
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
 * (From, To, Subject as channel_subject() in RFC 2047 base64 encoded-words of at most 40 UTF-8
 * bytes each, folded, Date, Message-ID <idem_key@yuqing>), then msg->body cut
 * to max_bytes, in base64 lines of 76 characters. max_mail_bytes: the message's maximum
 * (CHANNEL_MAIL_MAX_BYTES in channel_send()). out: new string (free()) on success.
 * Returns 0, ERR_TOO_BIG (longer than max_mail_bytes; nothing returned) or ERR_NOMEM.
 */
int channel_email_message(const struct notify_channel *ch, const struct outbox_msg *msg,
                          int64_t now_ms, size_t max_bytes, size_t max_mail_bytes, char **out);

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
