/*
 * What the channel files (channel_*.c and the registry channel.c) build on beyond channel_ops.h:
 * the HTTP POST with its bounded answer, reading and judging answers, HMAC-SHA256 signatures,
 * URL and request helpers, the markdown format. channel_base.c never calls the registry, so
 * no circle runs between the channel files. Only channel files include it.
 */
#ifndef NOTIFIER_CHANNEL_HTTP_H
#define NOTIFIER_CHANNEL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "channel_ops.h"

/* The message limit of channels without a documented one (webhook, e-mail), UTF-8 bytes. */
#define CHANNEL_GENERIC_MAX_BYTES 65536

/*
 * The default send op: text = ops->format (or the plain fit), ops->build, one POST through
 * libcurl (http/https only, ch->timeout_ms), the answer read into a buffer of at most
 * max_response_bytes and judged by ops->read_answer (or channel_answer_by_status()). An answer
 * larger than that is not judged on a cut body: it is judged as an answer without a body, and
 * out->detail says it was over max_response_bytes. Returns 0 with out filled, or ERR_NOMEM.
 */
int channel_http_send(const struct channel_ops *ops, const struct notify_channel *ch,
                      const struct outbox_msg *msg, int64_t now_ms, size_t max_bytes,
                      size_t max_response_bytes, struct channel_result *out);

/*
 * The integer under the first of keys (NULL-terminated list) present in the JSON object body
 * (len bytes, may be NULL), or -1 with *has false when body is no object, no key is present
 * or the first present one is not an integer.
 */
long channel_answer_code(const char *body, size_t len, const char *const *keys, bool *has);

/* true for the statuses every channel retries: none (0), 408, 429 and 5xx. */
bool channel_status_retry(long http_status);

/*
 * true for a redirect (3xx): never followed (the message and its signature would go where the
 * configuration never said), so the configured url is wrong: a configuration error.
 */
bool channel_status_moved(long http_status);

/* A robot's answer codes: zero-terminated lists (0 itself means ok). */
struct channel_robot_codes {
    const char *const *keys; /* where the code is, first present wins */
    const long *retry;       /* rate limits, busy: retry later */
    const long *config;      /* bad key, token, signature, robot: tell an administrator */
    long too_long;           /* the "message too long" code, 0 = none */
};

/* Judge a robot's answer by codes (channel_classify()'s rules for robots). */
enum channel_outcome channel_robot_answer(const struct channel_robot_codes *codes, long http_status,
                                          const char *body, size_t len, long *code_out);

/*
 * The format op of WeCom's markdown: the first line of msg->body in bold, the rest as lines,
 * every character a robot reads as markup in full-width form but the link (channel_defuse()),
 * fitted to max_bytes. New string (free()) or NULL on ERR_NOMEM.
 */
char *channel_format_markdown(const struct outbox_msg *msg, size_t max_bytes);

/*
 * channel_format_markdown() for DingTalk, whose markdown breaks a line only at two trailing
 * spaces: every line ends "  \n" (counted in max_bytes), so the lines stay lines.
 */
char *channel_format_markdown_breaks(const struct outbox_msg *msg, size_t max_bytes);

/*
 * What WeCom's and DingTalk's markdown read as markup in text: links and images ([ ]), code
 * (`), bold and italics (*), headings (#), quotes and HTML tags (< >: <font>, WeCom's <@userid>
 * mention), mentions (@: DingTalk's @mobile, @所有人) and escapes (\\). '_' and '~' are in
 * neither robot's documented markdown, so file names and URLs keep theirs.
 */
#define CHANNEL_MARKDOWN_CHARS "\\`*[]<>#@"

/*
 * A copy of text (NUL-terminated) with each ASCII character of chars replaced by its
 * full-width form (U+FF01..U+FF5E: '[' -> '［', '<' -> '＜', '@' -> '＠'), which reads the same
 * and means nothing to a robot's markup, except inside each occurrence of keep (may be NULL
 * or ""; the message's link, which must stay a working URL). So feed text (a title holding
 * "[点击](http://evil)", "<@all>" or "@所有人") can neither add a link nor mention anyone.
 * New string (free()) or NULL on ERR_NOMEM.
 */
char *channel_defuse(const char *text, const char *chars, const char *keep);

/* The longest subject sent (UTF-8 bytes, "…" included): a DingTalk title, a mail Subject. */
#define CHANNEL_SUBJECT_MAX_BYTES 300

/*
 * subject (may be NULL) as one line of valid UTF-8 (yq_text_one_line()) of at most
 * CHANNEL_SUBJECT_MAX_BYTES, cut at a character boundary and ended with "…" when longer;
 * "舆情通知" when blank (a DingTalk markdown title is required). New string (free()) or NULL
 * on ERR_NOMEM.
 */
char *channel_subject(const char *subject);

/*
 * The answer of a channel without its own read_answer op: the HTTP status decides (2xx
 * delivered, 3xx/401/403 config, 413 too long, none/408/429/5xx retry); code_out (may be NULL)
 * gets an "errcode" the body may carry, or -1.
 */
enum channel_outcome channel_answer_by_status(long http_status, const char *body, size_t len,
                                              long *code_out);

/*
 * base64(HMAC-SHA256(key, msg)) into out (>= 64 bytes), NUL-terminated. key_len, msg_len in
 * bytes. Returns 0 or ERR_NOMEM.
 */
int channel_hmac_b64(const void *key, size_t key_len, const void *msg, size_t msg_len, char *out,
                     size_t out_len);

/* url followed by '?' (or '&' when url already has a query) and param; new string or NULL. */
char *channel_url_with_param(const char *url, const char *param);

/* req->body = the compact JSON of root (taken: decref'd here). Returns 0 or ERR_NOMEM. */
int channel_request_json(struct channel_request *req, json_t *root);

/* Append "NAME: value" (value cut at 300 bytes) to req->headers. Returns 0 or ERR_NOMEM. */
int channel_request_header(struct channel_request *req, const char *name, const char *value);

#endif
