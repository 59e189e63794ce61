/*
 * E-mail through SMTP via libcurl: smtp:// with STARTTLS required when a password is set, or
 * smtps://; UTF-8 plain text in base64, Message-ID <idem_key@yuqing>. Text at most 65536 bytes.
 */
#include "channel_base.h"
#include "channel.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "yq_err.h"
#include "yq_item.h"
#include "yq_text.h"
#include "yq_utf8.h"
#include "yq_banned.h"

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

/*
 * RFC 2047 bytes of UTF-8 per encoded-word: base64 makes 40 bytes 56 characters, so
 * "=?UTF-8?B?" + 56 + "?=" is 68 (at most 75), and "Subject: " with the first word is 77.
 */
#define SUBJECT_WORD_BYTES 40

/*
 * Append the len bytes of UTF-8 text as RFC 2047 encoded-words of at most SUBJECT_WORD_BYTES
 * bytes each, every one ending on a character boundary (a word decodes on its own): the first
 * after a space, the others each on a folded line (CRLF SP). Returns 0, ERR_TOO_BIG or NOMEM.
 */
static int put_words(struct yq_buf *mail, const char *text, size_t len)
{
    int err = 0;

    for (size_t i = 0; !err && i < len;) {
        size_t end = i;
        char *word;
        int32_t cp;
        while (end < len) {
            size_t l = yq_utf8_next(text + end, len - end, &cp);
            if (end + l - i > SUBJECT_WORD_BYTES) {
                break;
            }
            end += l;
        }
        word = b64(text + i, end - i);
        if (!word) {
            return ERR_NOMEM;
        }
        err = yq_buf_addf(mail, "%s=?UTF-8?B?%s?=", i ? "\r\n " : " ", word);
        free(word);
        i = end;
    }
    return err;
}

/* Append the Subject header of subject (one line of valid UTF-8, channel_subject()). */
static int put_subject(struct yq_buf *mail, const char *subject)
{
    int err = yq_buf_adds(mail, "Subject:");

    if (!err) {
        err = put_words(mail, subject, strlen(subject));
    }
    return err ? err : yq_buf_adds(mail, "\r\n");
}

/*
 * Whether the n bytes at a are one plain address "local@domain": one '@' with something on
 * each side, no white space, control byte or the characters that would make it a display
 * name, a list or a route (< > ( ) , ; : " [ ] \). Bytes above 0x7F (UTF-8) pass.
 */
static bool plain_address(const char *a, size_t n)
{
    const char *at = memchr(a, '@', n);

    if (n > 254 || !at || at == a || at == a + n - 1 ||
        memchr(at + 1, '@', (size_t)(a + n - at - 1))) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)a[i];
        if (c <= 0x20 || c == 0x7F || strchr("<>(),;:\"[]\\", c)) {
            return false;
        }
    }
    return true;
}

/* One entry of a from or to list (RFC 5322 §3.4 mailbox, the forms the field writes). */
struct mailbox {
    const char *name; /* display name, name_len bytes (0: none); borrowed */
    size_t name_len;
    const char *addr; /* the address, addr_len bytes; borrowed */
    size_t addr_len;
};

/*
 * Read the n bytes at p (spaces around them already trimmed) as "addr", "<addr>" or
 * "name <addr>" (name in double quotes or not, UTF-8, without < > " , \ or control bytes: a
 * comma separates list entries, so a name cannot hold one). Returns whether it is one.
 */
static bool mailbox_parse(const char *p, size_t n, struct mailbox *mb)
{
    memset(mb, 0, sizeof(*mb));
    mb->addr = p;
    mb->addr_len = n;
    if (n > 0 && p[n - 1] == '>') {
        const char *lt = memchr(p, '<', n);
        if (!lt) {
            return false;
        }
        mb->addr = lt + 1;
        mb->addr_len = (size_t)(p + n - 1 - mb->addr);
        mb->name = p;
        mb->name_len = (size_t)(lt - p);
        while (mb->name_len > 0 && p[mb->name_len - 1] == ' ') {
            mb->name_len--;
        }
        if (mb->name_len >= 2 && p[0] == '"' && p[mb->name_len - 1] == '"') {
            mb->name++;
            mb->name_len -= 2;
        }
        for (size_t i = 0; i < mb->name_len; i++) {
            unsigned char c = (unsigned char)mb->name[i];
            if (c < 0x20 || c == 0x7F || strchr("<>\",\\", c)) {
                return false;
            }
        }
        if (!yq_utf8_valid(mb->name, mb->name_len, NULL)) {
            return false;
        }
    }
    return plain_address(mb->addr, mb->addr_len);
}

/*
 * Call fn for each entry of list (comma-separated mailboxes, spaces around each ignored, empty
 * entries such as a trailing comma skipped) until it returns non-zero. Returns 0, fn's error,
 * or ERR_INVALID (no mailbox at all, or an entry that is none; why, when not NULL, names it
 * cut to at most 60 bytes on a character boundary, with what as the key's name).
 */
static int mailbox_each(const char *list, const char *what, char *why, size_t whylen,
                        int (*fn)(const struct mailbox *mb, size_t i, void *arg), void *arg)
{
    const char *p = list;
    size_t i = 0;

    for (;;) {
        const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
        struct mailbox mb;
        int err;

        while (p < end && *p == ' ') {
            p++;
        }
        while (end > p && end[-1] == ' ') {
            end--;
        }
        if (end > p && !mailbox_parse(p, (size_t)(end - p), &mb)) {
            size_t shown = end - p > 60 ? yq_utf8_boundary(p, 60) : (size_t)(end - p);
            char raw[64], safe[200];
            snprintf(raw, sizeof(raw), "%.*s", (int)shown, p);
            if (why) {
                snprintf(why, whylen,
                         "email %s: '%s' is not an address (a@b or 名称 <a@b>, comma-separated)",
                         what, yq_text_printable(raw, safe, sizeof(safe)));
            }
            return ERR_INVALID;
        }
        err = end > p && fn ? fn(&mb, i, arg) : 0;
        i += end > p;
        if (err) {
            return err;
        }
        if (!comma) {
            break;
        }
        p = comma + 1;
    }
    if (i == 0) {
        if (why) {
            snprintf(why, whylen, "email %s: no address (a@b or 名称 <a@b>)", what);
        }
        return ERR_INVALID;
    }
    return 0;
}

/* mailbox_each() step: the mailbox into the header being written (arg: struct yq_buf). */
static int put_mailbox(const struct mailbox *mb, size_t i, void *arg)
{
    struct yq_buf *mail = arg;
    int err = i ? yq_buf_adds(mail, ",\r\n") : 0;

    if (!err && mb->name_len) {
        err = put_words(mail, mb->name, mb->name_len);
        if (!err) {
            err = yq_buf_addf(mail, "\r\n <%.*s>", (int)mb->addr_len, mb->addr);
        }
    } else if (!err) {
        err = yq_buf_addf(mail, " %.*s", (int)mb->addr_len, mb->addr);
    }
    return err;
}

/*
 * Append the header name: with the mailboxes of list, a display name as encoded-words (RFC
 * 2047 §5 (3)), each mailbox on a folded line. Returns 0, ERR_INVALID, ERR_TOO_BIG or NOMEM.
 */
static int put_mailboxes(struct yq_buf *mail, const char *name, const char *list)
{
    int err = yq_buf_addf(mail, "%s:", name);

    if (!err) {
        err = mailbox_each(list, name, NULL, 0, put_mailbox, mail);
    }
    return err ? err : yq_buf_adds(mail, "\r\n");
}

int channel_email_message(const struct notify_channel *ch, const struct outbox_msg *msg,
                          int64_t now_ms, size_t max_bytes, size_t max_mail_bytes, char **out)
{
    char *text = channel_fit_utf8(msg->body, max_bytes), *subj = channel_subject(msg->subject);
    char *body64 = NULL;
    char date[64], id[320];
    time_t t = (time_t)(now_ms / 1000);
    struct yq_buf mail;
    struct tm tm;
    int err = ERR_NOMEM;

    *out = NULL;
    yq_buf_init(&mail, max_mail_bytes);
    if (!text) {
        return ERR_NOMEM;
    }
    body64 = b64(text, strlen(text));
    if (!subj || !body64) {
        goto done;
    }
    gmtime_r(&t, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    snprintf(id, sizeof(id), "%.300s", msg->idem_key);
    for (char *p = id; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-' || *p == '_')) {
            *p = '.';
        }
    }
    /* from and to are mailboxes (email_validate()); names and the subject encoded-words */
    err = put_mailboxes(&mail, "From", ch->from);
    if (!err) {
        err = put_mailboxes(&mail, "To", ch->to);
    }
    if (!err) {
        err = put_subject(&mail, subj);
    }
    if (!err) {
        err = yq_buf_addf(&mail,
                          "Date: %s\r\nMessage-ID: <%s@yuqing>\r\nX-Yuqing-Idempotency-Key: %s\r\n"
                          "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
                          "Content-Transfer-Encoding: base64\r\n\r\n",
                          date, id, id);
    }
    for (size_t i = 0, bl = strlen(body64); !err && i < bl; i += 76) {
        err = yq_buf_add(&mail, body64 + i, bl - i < 76 ? bl - i : 76);
        if (!err) {
            err = yq_buf_add(&mail, "\r\n", 2);
        }
    }
    if (!err) {
        *out = yq_buf_steal(&mail, NULL);
        err = *out ? 0 : ERR_NOMEM;
    }
done:
    yq_buf_release(&mail);
    free(text);
    free(subj);
    free(body64);
    return err;
}

static bool header_safe(const char *s)
{
    return s && !strpbrk(s, "\r\n");
}

/* mailbox_each() step: the address as an SMTP path "<addr>" appended to arg (curl_slist **). */
static int add_rcpt(const struct mailbox *mb, size_t i, void *arg)
{
    struct curl_slist **rcpt = arg, *n;
    char path[260];

    (void)i;
    snprintf(path, sizeof(path), "<%.*s>", (int)mb->addr_len, mb->addr);
    n = curl_slist_append(*rcpt, path);
    if (!n) {
        return ERR_NOMEM;
    }
    *rcpt = n;
    return 0;
}

/* mailbox_each() step: the one address as an SMTP path "<addr>" into arg (char[260]). */
static int take_from(const struct mailbox *mb, size_t i, void *arg)
{
    if (i > 0) {
        return ERR_INVALID; /* one sender */
    }
    snprintf(arg, 260, "<%.*s>", (int)mb->addr_len, mb->addr);
    return 0;
}

static int email_send(const struct channel_ops *ops, const struct notify_channel *ch,
                      const struct outbox_msg *msg, int64_t now_ms, size_t max_bytes,
                      size_t max_response_bytes, struct channel_result *out)
{
    struct curl_slist *rcpt = NULL;
    struct reader rd;
    char *mail = NULL, from[260] = "", why[128];
    CURL *curl = NULL;
    CURLcode cc;
    int err;

    (void)ops;
    (void)max_response_bytes; /* SMTP answers are status lines */
    if (!header_safe(ch->from) || !header_safe(ch->to)) {
        out->outcome = CHANNEL_CONFIG;
        snprintf(out->detail, sizeof(out->detail), "e-mail from/to contain a line break");
        return 0;
    }
    err = channel_email_message(ch, msg, now_ms, max_bytes, CHANNEL_MAIL_MAX_BYTES, &mail);
    if (err == ERR_TOO_BIG) {
        out->outcome = CHANNEL_PERMANENT;
        snprintf(out->detail, sizeof(out->detail), "e-mail message over %d bytes -> %s",
                 CHANNEL_MAIL_MAX_BYTES, channel_outcome_name(out->outcome));
        return 0;
    }
    if (!mail) {
        return ERR_NOMEM;
    }
    err = mailbox_each(ch->to, "to", why, sizeof(why), add_rcpt, &rcpt);
    if (!err) {
        err = mailbox_each(ch->from, "from", why, sizeof(why), take_from, from);
    }
    if (err == ERR_INVALID) {
        /* email_validate() refuses this at load: only a channel built by hand gets here */
        out->outcome = CHANNEL_CONFIG;
        snprintf(out->detail, sizeof(out->detail), "%s -> %s", why,
                 channel_outcome_name(out->outcome));
        err = 0;
        goto done;
    }
    err = ERR_NOMEM;
    if (!rcpt) {
        goto done;
    }
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
    return err;
}

static int email_validate(const struct notify_channel *ch, char *why, size_t whylen)
{
    int err;

    if (!ch->from || !ch->to) {
        snprintf(why, whylen, "email needs from and to");
        return ERR_INVALID;
    }
    if (strchr(ch->from, ',') != NULL) {
        snprintf(why, whylen, "email from: '%.60s' is one address, not a list", ch->from);
        return ERR_INVALID;
    }
    err = mailbox_each(ch->from, "from", why, whylen, NULL, NULL);
    return err ? err : mailbox_each(ch->to, "to", why, whylen, NULL, NULL);
}

static int email_checks(const struct notify_channel *ch, struct yq_buf *out)
{
    int err = yq_buf_addf(
        out, "- SMTP 用户名（%s）与 password_file（%s）中的口令是否正确、是否已过期\n",
        ch->username ? ch->username : "未配置", ch->password_file ? ch->password_file : "未配置");
    return err ? err
               : yq_buf_adds(
                     out, "- SMTP 服务器的 TLS 要求：smtp:// 须支持 STARTTLS，否则改用 smtps://\n");
}

const struct channel_ops channel_email_ops = {
    .name = "email",
    .type = CHANNEL_EMAIL,
    .max_bytes = CHANNEL_GENERIC_MAX_BYTES,
    .validate = email_validate,
    .send = email_send,
    .checks = email_checks,
};
