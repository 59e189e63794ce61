/*
 * What the channel files build on (channel_base.h): outcome names, fitting text, reading and
 * judging answers, signing, the HTTP POST that robots and webhooks share, and redacting a
 * channel's secrets. Nothing here knows the registry (channel.c), so the channels and the
 * registry depend on this file and never the other way round.
 */
#include "channel_base.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ticket_text.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_text.h"
#include "yq_utf8.h"
#include "yq_banned.h"

long channel_answer_code(const char *body, size_t len, const char *const *keys, bool *has)
{
    json_t *root = body && len > 0 ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *v = NULL;
    long code = -1;

    *has = false;
    for (size_t i = 0; json_is_object(root) && keys[i] && !v; i++) {
        v = json_object_get(root, keys[i]);
    }
    if (json_is_integer(v)) {
        code = (long)json_integer_value(v);
        *has = true;
    }
    json_decref(root);
    return code;
}

bool channel_status_retry(long http_status)
{
    return http_status >= 500 || http_status == 408 || http_status == 429 || http_status == 0;
}

bool channel_status_moved(long http_status)
{
    return http_status >= 300 && http_status < 400;
}

static bool in_codes(long code, const long *codes)
{
    for (; *codes != 0; codes++) {
        if (*codes == code) {
            return true;
        }
    }
    return false;
}

enum channel_outcome channel_robot_answer(const struct channel_robot_codes *codes, long http_status,
                                          const char *body, size_t len, long *code_out)
{
    bool has_code;
    long code = channel_answer_code(body, len, codes->keys, &has_code);

    if (code_out) {
        *code_out = code;
    }
    if (channel_status_retry(http_status)) {
        return CHANNEL_RETRY;
    }
    if (!has_code) {
        /* a robot that answers without its code did not take the message */
        if (http_status == 401 || http_status == 403 || http_status == 404 ||
            channel_status_moved(http_status)) {
            return CHANNEL_CONFIG;
        }
        return http_status >= 200 && http_status < 300 ? CHANNEL_RETRY : CHANNEL_PERMANENT;
    }
    if (code == 0) {
        return http_status >= 200 && http_status < 300 ? CHANNEL_DELIVERED : CHANNEL_RETRY;
    }
    if (in_codes(code, codes->retry)) {
        return CHANNEL_RETRY;
    }
    if (codes->too_long && code == codes->too_long) {
        return CHANNEL_TOO_LONG;
    }
    if (in_codes(code, codes->config)) {
        return CHANNEL_CONFIG;
    }
    return CHANNEL_PERMANENT;
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

enum channel_outcome channel_answer_by_status(long http_status, const char *body, size_t len,
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
    if (http_status == 401 || http_status == 403 || channel_status_moved(http_status)) {
        return CHANNEL_CONFIG;
    }
    return http_status == 413 ? CHANNEL_TOO_LONG : CHANNEL_PERMANENT;
}

/* channel_fit_utf8() with marker (NUL-terminated) as the sign of a cut. */
static char *fit_utf8(const char *text, size_t max_bytes, const char *marker_text)
{
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    size_t marker = strlen(marker_text), n = 0, cut = 0, len = 0;
    char *clean, *out;
    int32_t cp;

    /* first repair: every byte of an invalid sequence becomes U+FFFD (3 bytes) */
    for (size_t i = 0; s[i];) {
        size_t l = yq_utf8_seq((const char *)s + i, strnlen((const char *)s + i, 4), &cp);
        len += l ? l : 3;
        i += l ? l : 1;
    }
    clean = malloc(len + 1);
    if (!clean) {
        return NULL;
    }
    for (size_t i = 0; s[i];) {
        size_t l = yq_utf8_seq((const char *)s + i, strnlen((const char *)s + i, 4), &cp);
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
        size_t l = yq_utf8_seq(clean + i, strnlen(clean + i, 4), &cp);
        if (i + l > max_bytes - marker) {
            break;
        }
        i += l;
        cut = i;
    }
    out = malloc(cut + marker + 1);
    if (out) {
        memcpy(out, clean, cut);
        memcpy(out + cut, marker_text, marker + 1);
    }
    free(clean);
    return out;
}

char *channel_fit_utf8(const char *text, size_t max_bytes)
{
    return fit_utf8(text, max_bytes, CHANNEL_TRUNCATION_MARKER);
}

char *channel_defuse(const char *text, const char *chars, const char *keep)
{
    size_t len = strlen(text), keep_len = keep ? strlen(keep) : 0, o = 0;
    char *out = malloc(3 * len + 1); /* an ASCII byte grows to at most three */

    if (!out) {
        return NULL;
    }
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)text[i];
        if (keep_len && strncmp(text + i, keep, keep_len) == 0) {
            memcpy(out + o, keep, keep_len);
            o += keep_len;
            i += keep_len;
        } else if (c > 0x20 && c < 0x7f && strchr(chars, c)) {
            /* U+FF01 + (c - '!'), in UTF-8 EF BC 81 .. EF BD 9E */
            unsigned cp = 0xFF01u + (c - 0x21u);
            out[o++] = (char)0xEF;
            out[o++] = (char)(0x80 | ((cp >> 6) & 0x3F));
            out[o++] = (char)(0x80 | (cp & 0x3F));
            i++;
        } else {
            out[o++] = text[i++];
        }
    }
    out[o] = '\0';
    return out;
}

char *channel_subject(const char *subject)
{
    char *line = NULL, *out;

    if (yq_text_one_line(subject, &line)) {
        return NULL;
    }
    out = ticket_text_blank(line) ? strdup("舆情通知")
                                  : fit_utf8(line, CHANNEL_SUBJECT_MAX_BYTES, "…");
    free(line);
    return out;
}

/*
 * The markdown text of msg fitted to max_bytes with each line ended by line_end ("\n", or
 * "  \n" where only two trailing spaces break a line): the first line (number) in bold, the
 * rest as lines; the link is in the body and stays a URL; everything else is text, never
 * markup (channel_defuse()). New string or NULL.
 */
static char *format_markdown(const struct outbox_msg *msg, size_t max_bytes, const char *line_end)
{
    char *body = channel_defuse(msg->body, CHANNEL_MARKDOWN_CHARS, msg->link);
    const char *nl = body ? strchr(body, '\n') : NULL;
    size_t extra = strlen(line_end) - 1, lines = 1, o = 0;
    char *text = NULL, *fitted, *out;

    if (!body || asprintf(&text, "**%.*s**\n%s", nl ? (int)(nl - body) : (int)strlen(body), body,
                          nl ? nl + 1 : "") < 0) {
        free(body);
        return NULL;
    }
    free(body);
    for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++) {
        lines++; /* a cut keeps at most these line breaks (the marker's included) */
    }
    /* room for the longer line ends; with very many lines: a third (each byte a break) */
    fitted = channel_fit_utf8(text, max_bytes > 2 * extra * lines ? max_bytes - extra * lines
                                                                  : max_bytes / (extra + 1));
    free(text);
    if (!fitted || extra == 0) {
        return fitted;
    }
    out = malloc(strlen(fitted) + extra * lines + 1);
    for (const char *p = fitted; out && *p; p++) {
        if (*p == '\n') {
            memcpy(out + o, line_end, extra + 1);
            o += extra + 1;
        } else {
            out[o++] = *p;
        }
    }
    if (out) {
        out[o] = '\0';
    }
    free(fitted);
    return out;
}

char *channel_format_markdown(const struct outbox_msg *msg, size_t max_bytes)
{
    return format_markdown(msg, max_bytes, "\n");
}

char *channel_format_markdown_breaks(const struct outbox_msg *msg, size_t max_bytes)
{
    return format_markdown(msg, max_bytes, "  \n");
}

int channel_hmac_b64(const void *key, size_t key_len, const void *msg, size_t msg_len, char *out,
                     size_t out_len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    if (!HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, md, &md_len) || out_len < 64) {
        return ERR_NOMEM;
    }
    EVP_EncodeBlock((unsigned char *)out, md, (int)md_len);
    return 0;
}

char *channel_url_with_param(const char *url, const char *param)
{
    char *out = NULL;

    if (asprintf(&out, "%s%s%s", url, strchr(url, '?') ? "&" : "?", param) < 0) {
        return NULL;
    }
    return out;
}

int channel_request_json(struct channel_request *req, json_t *root)
{
    if (!root) {
        return ERR_NOMEM;
    }
    req->body = yq_json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return req->body ? 0 : ERR_NOMEM;
}

int channel_request_header(struct channel_request *req, const char *name, const char *value)
{
    char line[400];
    struct curl_slist *h;

    snprintf(line, sizeof(line), "%s: %.300s", name, value);
    h = curl_slist_append(req->headers, line);
    if (!h) {
        return ERR_NOMEM;
    }
    req->headers = h;
    return 0;
}

/* The answer of one request: at most max_len bytes kept; a longer one is marked, not cut. */
struct sink {
    struct yq_buf buf;
    bool too_big; /* the answer was longer than buf.max_len: read on, judged without it */
};

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    int err;

    if (s->too_big) {
        return n; /* read to the end, so the HTTP status still arrives */
    }
    err = yq_buf_add(&s->buf, ptr, n);
    if (err == ERR_TOO_BIG) {
        s->too_big = true;
        yq_buf_release(&s->buf);
        return n;
    }
    return err ? 0 : n; /* out of memory: abort the transfer (CURLE_WRITE_ERROR, retried) */
}

void notify_channel_redact(const struct notify_channel *ch, char *text)
{
    const char *secrets[3] = {ch->key, ch->secret, ch->password};

    for (size_t i = 0; text && i < 3; i++) {
        size_t n = secrets[i] ? strlen(secrets[i]) : 0, stars = n < 3 ? n : 3;
        char *hit = text;
        if (n == 0) {
            continue;
        }
        while ((hit = strstr(hit, secrets[i])) != NULL) {
            memset(hit, '*', stars);
            memmove(hit + stars, hit + n, strlen(hit + n) + 1);
            hit += stars; /* past the stars: a secret made of '*' cannot loop */
        }
    }
}

/*
 * The robot's own message text from the answer, for the detail line (at most 80 bytes), with
 * ch's secrets redacted before the cut (a robot may echo its token; no prefix of it survives).
 */
static void answer_msg(const struct notify_channel *ch, const char *body, size_t len, char *out,
                       size_t out_len)
{
    json_t *root = body && len ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *m = json_is_object(root) ? json_object_get(root, "errmsg") : NULL;
    char *text;
    if (!m && json_is_object(root)) {
        m = json_object_get(root, "msg");
    }
    text = strdup(json_is_string(m) ? json_string_value(m) : "");
    if (text) {
        notify_channel_redact(ch, text);
    }
    snprintf(out, out_len, "%.80s", text ? text : "(out of memory)");
    free(text);
    for (char *p = out; *p; p++) {
        if ((unsigned char)*p < 0x20) {
            *p = ' ';
        }
    }
    json_decref(root);
}

/* ops->read_answer, or the HTTP status alone. */
static enum channel_outcome read_answer(const struct channel_ops *ops, long http_status,
                                        const char *body, size_t len, long *code_out)
{
    if (ops->read_answer) {
        return ops->read_answer(http_status, body, len, code_out);
    }
    return channel_answer_by_status(http_status, body, len, code_out);
}

/* Free req's parts and empty it. */
static void request_release(struct channel_request *req)
{
    curl_slist_free_all(req->headers);
    free(req->url);
    free(req->body);
    *req = (struct channel_request){NULL, NULL, NULL};
}

/*
 * Build the request: Content-Type, then the channel's URL, body and its own headers. A body
 * over ops->max_body_bytes is built again from a text cut in the body's proportion (at least
 * by a sixteenth), until it fits or the text is down to 256 bytes (sent as it is then: the
 * robot judges it).
 */
static int build_request(const struct channel_ops *ops, const struct notify_channel *ch,
                         const struct outbox_msg *msg, int64_t now_ms, size_t max_bytes,
                         struct channel_request *req)
{
    for (;;) {
        char *text =
            ops->format ? ops->format(msg, max_bytes) : channel_fit_utf8(msg->body, max_bytes);
        size_t body_len, fit;
        int err;

        req->headers = curl_slist_append(NULL, "Content-Type: application/json; charset=utf-8");
        if (!text || !req->headers) {
            free(text);
            return ERR_NOMEM;
        }
        err = ops->build(ch, msg, text, now_ms, req);
        free(text);
        if (err || !req->url || !req->body) {
            return ERR_NOMEM;
        }
        body_len = strlen(req->body);
        if (!ops->max_body_bytes || body_len <= ops->max_body_bytes || max_bytes <= 256) {
            return 0;
        }
        fit = (size_t)((uint64_t)max_bytes * ops->max_body_bytes / body_len);
        fit = fit < max_bytes - max_bytes / 16 ? fit : max_bytes - max_bytes / 16;
        max_bytes = fit > 256 ? fit : 256;
        request_release(req);
    }
}

int channel_http_send(const struct channel_ops *ops, const struct notify_channel *ch,
                      const struct outbox_msg *msg, int64_t now_ms, size_t max_bytes,
                      size_t max_response_bytes, struct channel_result *out)
{
    struct channel_request req = {NULL, NULL, NULL};
    struct sink sink;
    char rmsg[96];
    CURL *curl = NULL;
    CURLcode cc;
    int err;

    yq_buf_init(&sink.buf, max_response_bytes);
    sink.too_big = false;
    err = build_request(ops, ch, msg, now_ms, max_bytes, &req);
    if (err) {
        goto done;
    }
    err = ERR_NOMEM;
    curl = curl_easy_init();
    if (!curl) {
        goto done;
    }
    if (curl_easy_setopt(curl, CURLOPT_URL, req.url) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, req.headers) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)ch->timeout_ms) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)ch->timeout_ms) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sink_write) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_USERAGENT, "yuqing-notifier") != CURLE_OK) {
        goto done;
    }
    err = 0;
    cc = curl_easy_perform(curl);
    if (cc != CURLE_OK) {
        out->outcome = (cc == CURLE_URL_MALFORMAT || cc == CURLE_UNSUPPORTED_PROTOCOL)
                           ? CHANNEL_CONFIG
                           : CHANNEL_RETRY;
        snprintf(out->detail, sizeof(out->detail), "transport error: %s -> %s",
                 curl_easy_strerror(cc), channel_outcome_name(out->outcome));
        goto done;
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->http_status);
    if (sink.too_big) {
        /* a cut answer is never judged as if it were whole: judged without a body */
        out->outcome = read_answer(ops, out->http_status, NULL, 0, &out->code);
        snprintf(out->detail, sizeof(out->detail),
                 "http_status=%ld answer over %zu bytes (notify.max_response_bytes), not read "
                 "-> %s",
                 out->http_status, max_response_bytes, channel_outcome_name(out->outcome));
        goto done;
    }
    out->outcome = read_answer(ops, out->http_status, sink.buf.data, sink.buf.len, &out->code);
    answer_msg(ch, sink.buf.data, sink.buf.len, rmsg, sizeof(rmsg));
    snprintf(out->detail, sizeof(out->detail), "http_status=%ld code=%ld msg='%s' -> %s",
             out->http_status, out->code, rmsg, channel_outcome_name(out->outcome));
done:
    if (curl) {
        curl_easy_cleanup(curl);
    }
    request_release(&req);
    yq_buf_release(&sink.buf);
    return err;
}
