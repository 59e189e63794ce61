#include "channel.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "yq_banned.h"
#include "yq_err.h"

#define GENERIC_MAX_BYTES 65536

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

static bool in_codes(long code, const long *codes)
{
    for (; *codes != 0; codes++) {
        if (*codes == code) {
            return true;
        }
    }
    return false;
}

enum channel_outcome channel_classify(enum channel_type type, long http_status, const char *body,
                                      size_t len, long *code_out)
{
    /* zero-terminated lists (0 itself is "ok" and handled first) */
    static const long wecom_retry[] = {45009, -1, 0};
    static const long wecom_config[] = {93000, 40001, 40014, 93004, 93017, 0};
    static const long ding_retry[] = {130101, -1, 0};
    static const long ding_config[] = {310000, 300001, 300005, 400101, 400102, 0};
    static const long feishu_retry[] = {9499, 11232, 0};
    static const long feishu_config[] = {19021, 19022, 19024, 19001, 19002, 0};
    const long *retry = NULL, *config = NULL;
    long too_long = 0, code = -1;
    bool has_code = false;
    json_t *root = NULL, *v;

    if (body && len > 0) {
        root = json_loadb(body, len, 0, NULL);
    }
    if (json_is_object(root)) {
        const char *key = type == CHANNEL_FEISHU ? "code" : "errcode";
        v = json_object_get(root, key);
        if (!v && type == CHANNEL_FEISHU) {
            v = json_object_get(root, "StatusCode"); /* older Feishu hook answers */
        }
        if (json_is_integer(v)) {
            code = (long)json_integer_value(v);
            has_code = true;
        }
    }
    json_decref(root);
    if (code_out) {
        *code_out = has_code ? code : -1;
    }
    if (http_status >= 500 || http_status == 408 || http_status == 429 || http_status == 0) {
        return CHANNEL_RETRY;
    }
    switch (type) {
    case CHANNEL_WECOM:
        retry = wecom_retry;
        config = wecom_config;
        too_long = 40058;
        break;
    case CHANNEL_DINGTALK:
        retry = ding_retry;
        config = ding_config;
        too_long = 460101;
        break;
    case CHANNEL_FEISHU:
        retry = feishu_retry;
        config = feishu_config;
        break;
    default:
        if (http_status >= 200 && http_status < 300) {
            return CHANNEL_DELIVERED;
        }
        if (http_status == 401 || http_status == 403) {
            return CHANNEL_CONFIG;
        }
        if (http_status == 413) {
            return CHANNEL_TOO_LONG;
        }
        return CHANNEL_PERMANENT;
    }
    if (!has_code) {
        /* a robot that answers without its code did not take the message */
        if (http_status == 401 || http_status == 403 || http_status == 404) {
            return CHANNEL_CONFIG;
        }
        return http_status >= 200 && http_status < 300 ? CHANNEL_RETRY : CHANNEL_PERMANENT;
    }
    if (code == 0) {
        return http_status >= 200 && http_status < 300 ? CHANNEL_DELIVERED : CHANNEL_RETRY;
    }
    if (in_codes(code, retry)) {
        return CHANNEL_RETRY;
    }
    if (too_long && code == too_long) {
        return CHANNEL_TOO_LONG;
    }
    if (in_codes(code, config)) {
        return CHANNEL_CONFIG;
    }
    return CHANNEL_PERMANENT;
}

size_t channel_max_bytes(const struct notify_channel *ch)
{
    if (ch->max_bytes > 0) {
        return (size_t)ch->max_bytes;
    }
    switch (ch->type) {
    case CHANNEL_WECOM:
        return 4096; /* markdown.content, UTF-8 bytes (FC-029) */
    case CHANNEL_DINGTALK:
        return 20000;
    case CHANNEL_FEISHU:
        return 18000; /* the request body may not exceed 20 KB */
    default:
        return GENERIC_MAX_BYTES;
    }
}

int64_t channel_rate_per_minute(const struct notify_channel *ch)
{
    if (ch->rate_per_minute > 0) {
        return ch->rate_per_minute;
    }
    switch (ch->type) {
    case CHANNEL_WECOM:
    case CHANNEL_DINGTALK:
        return 20;
    case CHANNEL_FEISHU:
        return 100;
    default:
        return 0;
    }
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

char *channel_render(enum channel_type type, const struct outbox_msg *msg, size_t max_bytes)
{
    char *text = NULL, *out;
    const char *nl;

    if (type == CHANNEL_WECOM || type == CHANNEL_DINGTALK) {
        /* markdown: bold first line (number), the rest as lines; the link is in the body */
        nl = strchr(msg->body, '\n');
        if (asprintf(&text, "**%.*s**\n%s", nl ? (int)(nl - msg->body) : (int)strlen(msg->body),
                     msg->body, nl ? nl + 1 : "") < 0) {
            return NULL;
        }
    } else {
        text = strdup(msg->body);
        if (!text) {
            return NULL;
        }
    }
    out = channel_fit_utf8(text, max_bytes);
    free(text);
    return out;
}

static int hmac_b64(const void *key, size_t key_len, const void *msg, size_t msg_len, char *out,
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

int channel_dingtalk_url(const char *base, const char *token, const char *secret, int64_t ts_ms,
                         char **out)
{
    char ts[32], sig[96], *to_sign = NULL, *esc_sig = NULL, *esc_tok = NULL;
    int err = ERR_NOMEM;

    *out = NULL;
    snprintf(ts, sizeof(ts), "%lld", (long long)ts_ms);
    if (secret && secret[0]) {
        if (asprintf(&to_sign, "%s\n%s", ts, secret) < 0) {
            return ERR_NOMEM;
        }
        if (hmac_b64(secret, strlen(secret), to_sign, strlen(to_sign), sig, sizeof(sig))) {
            goto done;
        }
        esc_sig = curl_easy_escape(NULL, sig, 0); /* once: '+' -> %2B, '/' -> %2F, '=' -> %3D */
        if (!esc_sig) {
            goto done;
        }
    }
    esc_tok = curl_easy_escape(NULL, token ? token : "", 0);
    if (!esc_tok) {
        goto done;
    }
    if (esc_sig) {
        if (asprintf(out, "%s%saccess_token=%s&timestamp=%s&sign=%s", base,
                     strchr(base, '?') ? "&" : "?", esc_tok, ts, esc_sig) < 0) {
            *out = NULL;
            goto done;
        }
    } else if (asprintf(out, "%s%saccess_token=%s", base, strchr(base, '?') ? "&" : "?", esc_tok) <
               0) {
        *out = NULL;
        goto done;
    }
    err = 0;
done:
    free(to_sign);
    curl_free(esc_sig);
    curl_free(esc_tok);
    return err;
}

int channel_feishu_sign(const char *secret, int64_t ts_s, char *out, size_t len)
{
    char *key = NULL;
    int err;
    if (asprintf(&key, "%lld\n%s", (long long)ts_s, secret ? secret : "") < 0) {
        return ERR_NOMEM;
    }
    err = hmac_b64(key, strlen(key), "", 0, out, len);
    free(key);
    return err;
}

/* --- HTTP ------------------------------------------------------------------------------ */

struct sink {
    char *buf;
    size_t len;
    size_t cap; /* the most kept; the rest is read and dropped */
};

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb, keep = n;
    if (s->len + keep > s->cap) {
        keep = s->cap - s->len;
    }
    if (keep > 0) {
        char *nb = realloc(s->buf, s->len + keep + 1);
        if (!nb) {
            return 0;
        }
        s->buf = nb;
        memcpy(s->buf + s->len, ptr, keep);
        s->len += keep;
        s->buf[s->len] = '\0';
    }
    return n;
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

static char *webhook_signature(const char *secret, const char *ts, const char *body)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char *msg = NULL, *hex;
    if (asprintf(&msg, "%s.%s", ts, body) < 0) {
        return NULL;
    }
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)msg, strlen(msg), md,
              &md_len)) {
        free(msg);
        return NULL;
    }
    free(msg);
    hex = malloc(8 + 2 * md_len + 1);
    if (hex) {
        memcpy(hex, "sha256=", 8);
        for (unsigned i = 0; i < md_len; i++) {
            snprintf(hex + 7 + 2 * i, 3, "%02x", md[i]);
        }
    }
    return hex;
}

/* The JSON body and URL of one robot/webhook request; both new. */
static int build_http(const struct notify_channel *ch, const struct outbox_msg *msg, int64_t now_ms,
                      size_t max_bytes, char **url, char **body)
{
    char *text = channel_render(ch->type, msg, max_bytes);
    json_t *root = NULL;
    int err = ERR_NOMEM;

    *url = NULL;
    *body = NULL;
    if (!text) {
        return ERR_NOMEM;
    }
    switch (ch->type) {
    case CHANNEL_WECOM: {
        char *esc = curl_easy_escape(NULL, ch->key ? ch->key : "", 0);
        if (esc &&
            asprintf(url, "%s%skey=%s", ch->url, strchr(ch->url, '?') ? "&" : "?", esc) < 0) {
            *url = NULL;
        }
        curl_free(esc);
        root = json_pack("{s:s,s:{s:s}}", "msgtype", "markdown", "markdown", "content", text);
        break;
    }
    case CHANNEL_DINGTALK:
        if (channel_dingtalk_url(ch->url, ch->key, ch->secret, now_ms, url)) {
            *url = NULL;
        }
        root = json_pack("{s:s,s:{s:s,s:s}}", "msgtype", "markdown", "markdown", "title",
                         msg->subject, "text", text);
        break;
    case CHANNEL_FEISHU: {
        char sig[96] = "", ts[32];
        size_t ul = strlen(ch->url);
        snprintf(ts, sizeof(ts), "%lld", (long long)(now_ms / 1000));
        if (asprintf(url, "%s%s%s", ch->url, ul && ch->url[ul - 1] == '/' ? "" : "/",
                     ch->key ? ch->key : "") < 0) {
            *url = NULL;
        }
        root = json_pack("{s:s,s:{s:s}}", "msg_type", "text", "content", "text", text);
        if (root && ch->secret && ch->secret[0]) {
            if (channel_feishu_sign(ch->secret, now_ms / 1000, sig, sizeof(sig)) ||
                json_object_set_new(root, "timestamp", json_string(ts)) ||
                json_object_set_new(root, "sign", json_string(sig))) {
                json_decref(root);
                root = NULL;
            }
        }
        break;
    }
    default:
        *url = strdup(ch->url);
        root = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "idempotency_key", msg->idem_key, "kind",
                         msg->kind, "role", msg->role, "subject", msg->subject, "text", text,
                         "link", msg->link, "ticket_id", (json_int_t)msg->ticket_id);
        break;
    }
    if (root && *url) {
        *body = json_dumps(root, JSON_COMPACT);
        err = *body ? 0 : ERR_NOMEM;
    }
    json_decref(root);
    free(text);
    if (err) {
        free(*url);
        *url = NULL;
    }
    return err;
}

static int send_http(const struct notify_channel *ch, const struct outbox_msg *msg, int64_t now_ms,
                     size_t max_bytes, size_t max_response_bytes, struct channel_result *out)
{
    struct curl_slist *hdrs = NULL, *h = NULL;
    struct sink sink = {NULL, 0, max_response_bytes};
    char *url = NULL, *body = NULL, *sig = NULL, line[400], rmsg[96];
    CURL *curl = NULL;
    CURLcode cc;
    int err;

    err = build_http(ch, msg, now_ms, max_bytes, &url, &body);
    if (err) {
        return err;
    }
    err = ERR_NOMEM;
    h = curl_slist_append(hdrs, "Content-Type: application/json; charset=utf-8");
    if (!h) {
        goto done;
    }
    hdrs = h;
    if (ch->type == CHANNEL_WEBHOOK) {
        char ts[32];
        snprintf(line, sizeof(line), "Idempotency-Key: %.300s", msg->idem_key);
        if (!(h = curl_slist_append(hdrs, line))) {
            goto done;
        }
        hdrs = h;
        if (ch->secret && ch->secret[0]) {
            snprintf(ts, sizeof(ts), "%lld", (long long)(now_ms / 1000));
            sig = webhook_signature(ch->secret, ts, body);
            snprintf(line, sizeof(line), "X-Yuqing-Timestamp: %s", ts);
            if (!sig || !(h = curl_slist_append(hdrs, line))) {
                goto done;
            }
            hdrs = h;
            snprintf(line, sizeof(line), "X-Yuqing-Signature: %s", sig);
            if (!(h = curl_slist_append(hdrs, line))) {
                goto done;
            }
            hdrs = h;
        }
    }
    curl = curl_easy_init();
    if (!curl) {
        goto done;
    }
    if (curl_easy_setopt(curl, CURLOPT_URL, url) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs) != CURLE_OK ||
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
    out->outcome = channel_classify(ch->type, out->http_status, sink.buf, sink.len, &out->code);
    answer_msg(ch, sink.buf, sink.len, rmsg, sizeof(rmsg));
    snprintf(out->detail, sizeof(out->detail), "http_status=%ld code=%ld msg='%s' -> %s",
             out->http_status, out->code, rmsg, channel_outcome_name(out->outcome));
done:
    if (curl) {
        curl_easy_cleanup(curl);
    }
    curl_slist_free_all(hdrs);
    free(sink.buf);
    free(url);
    free(body);
    free(sig);
    return err;
}

/* --- SMTP ------------------------------------------------------------------------------ */

struct reader {
    const char *data;
    size_t len, pos;
};

static size_t reader_read(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct reader *r = userdata;
    size_t n = size * nmemb;
    if (n > r->len - r->pos) {
        n = r->len - r->pos;
    }
    memcpy(ptr, r->data + r->pos, n);
    r->pos += n;
    return n;
}

static char *b64(const char *s, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out) {
        EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)len);
    }
    return out;
}

/* The RFC 5322 message: headers, then the body in base64 lines of 76 characters. */
static char *build_mail(const struct notify_channel *ch, const struct outbox_msg *msg,
                        int64_t now_ms, size_t max_bytes)
{
    char *text = channel_fit_utf8(msg->body, max_bytes), *subj = NULL, *body64 = NULL;
    char date[64], id[320], *out = NULL;
    size_t len = 0;
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    FILE *f;

    if (!text) {
        return NULL;
    }
    subj = b64(msg->subject, strlen(msg->subject));
    body64 = b64(text, strlen(text));
    gmtime_r(&t, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    snprintf(id, sizeof(id), "%.300s", msg->idem_key);
    for (char *p = id; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-' || *p == '_')) {
            *p = '.';
        }
    }
    f = subj && body64 ? open_memstream(&out, &len) : NULL;
    if (f) {
        size_t bl = strlen(body64);
        /* header values come from config and our own text; CR/LF cannot reach them */
        fprintf(f,
                "From: %s\r\nTo: %s\r\nSubject: =?UTF-8?B?%s?=\r\nDate: %s\r\n"
                "Message-ID: <%s@yuqing>\r\nX-Yuqing-Idempotency-Key: %s\r\n"
                "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n",
                ch->from, ch->to, subj, date, id, id);
        for (size_t i = 0; i < bl; i += 76) {
            fprintf(f, "%.*s\r\n", (int)(bl - i < 76 ? bl - i : 76), body64 + i);
        }
        if (ferror(f)) {
            fclose(f);
            free(out);
            out = NULL;
        } else if (fclose(f) != 0) {
            free(out);
            out = NULL;
        }
    }
    free(text);
    free(subj);
    free(body64);
    return out;
}

static bool header_safe(const char *s)
{
    return s && !strpbrk(s, "\r\n");
}

static int send_mail(const struct notify_channel *ch, const struct outbox_msg *msg, int64_t now_ms,
                     size_t max_bytes, struct channel_result *out)
{
    struct curl_slist *rcpt = NULL;
    struct reader rd;
    char *mail = NULL, *to = NULL, *save = NULL, from[320];
    CURL *curl = NULL;
    CURLcode cc;
    int err = ERR_NOMEM;

    if (!header_safe(ch->from) || !header_safe(ch->to)) {
        out->outcome = CHANNEL_CONFIG;
        snprintf(out->detail, sizeof(out->detail), "e-mail from/to contain a line break");
        return 0;
    }
    mail = build_mail(ch, msg, now_ms, max_bytes);
    to = strdup(ch->to);
    if (!mail || !to) {
        goto done;
    }
    for (char *a = strtok_r(to, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
        char addr[320];
        struct curl_slist *n;
        while (*a == ' ') {
            a++;
        }
        snprintf(addr, sizeof(addr), "<%s>", a);
        for (char *e = addr + strlen(addr) - 2; e > addr && *e == ' '; e--) {
            memmove(e, e + 1, strlen(e + 1) + 1);
        }
        if (!(n = curl_slist_append(rcpt, addr))) {
            goto done;
        }
        rcpt = n;
    }
    snprintf(from, sizeof(from), "<%s>", ch->from);
    rd.data = mail;
    rd.len = strlen(mail);
    rd.pos = 0;
    curl = curl_easy_init();
    if (!curl) {
        goto done;
    }
    if (curl_easy_setopt(curl, CURLOPT_URL, ch->url) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps") != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_READFUNCTION, reader_read) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_READDATA, &rd) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)ch->timeout_ms) != CURLE_OK ||
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK) {
        goto done;
    }
    if (ch->username && ch->password) {
        /* a password never travels in clear text: smtps://, or STARTTLS required */
        if (curl_easy_setopt(curl, CURLOPT_USERNAME, ch->username) != CURLE_OK ||
            curl_easy_setopt(curl, CURLOPT_PASSWORD, ch->password) != CURLE_OK ||
            curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL) != CURLE_OK) {
            goto done;
        }
    } else if (curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY) != CURLE_OK) {
        goto done;
    }
    err = 0;
    cc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->http_status);
    if (cc == CURLE_OK) {
        out->outcome = CHANNEL_DELIVERED;
    } else if (cc == CURLE_LOGIN_DENIED || cc == CURLE_URL_MALFORMAT ||
               cc == CURLE_UNSUPPORTED_PROTOCOL || cc == CURLE_USE_SSL_FAILED ||
               cc == CURLE_SSL_CACERT_BADFILE || cc == CURLE_PEER_FAILED_VERIFICATION) {
        out->outcome = CHANNEL_CONFIG;
    } else if (out->http_status >= 500 && out->http_status < 600) {
        out->outcome = out->http_status == 552 ? CHANNEL_TOO_LONG : CHANNEL_PERMANENT;
    } else {
        out->outcome = CHANNEL_RETRY; /* 4xx (greylisting, busy), connection, timeout */
    }
    snprintf(out->detail, sizeof(out->detail), "smtp_code=%ld curl='%s' -> %s", out->http_status,
             curl_easy_strerror(cc), channel_outcome_name(out->outcome));
done:
    if (curl) {
        curl_easy_cleanup(curl);
    }
    curl_slist_free_all(rcpt);
    free(mail);
    free(to);
    return err;
}

int channel_send(const struct notify_channel *ch, const struct outbox_msg *msg, int64_t now_ms,
                 int64_t shrink, size_t max_response_bytes, struct channel_result *out)
{
    size_t max_bytes = channel_max_bytes(ch);

    memset(out, 0, sizeof(*out));
    out->code = -1;
    for (int64_t i = 0; i < shrink && max_bytes > 256; i++) {
        max_bytes /= 2;
    }
    if (ch->type == CHANNEL_EMAIL) {
        return send_mail(ch, msg, now_ms, max_bytes, out);
    }
    return send_http(ch, msg, now_ms, max_bytes, max_response_bytes, out);
}
