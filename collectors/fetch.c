#include "fetch.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "yq_err.h"
#include "yq_fs.h"
#include "yq_log.h"
#include "yq_banned.h"

#define FETCH_VALUE_MAX 1024
#define COOKIE_MAX_BYTES 8192
#define RETRY_AFTER_MAX_S 31536000 /* a year: the caller bounds it far lower */

int fetch_read_cookie(const struct source_cfg *src, char **out)
{
    char *c = NULL;
    size_t len = 0;

    *out = NULL;
    if (!src->cookie_file) {
        return 0;
    }
    {
        char why[256] = "";
        if (yq_fs_read_secret(src->cookie_file, COOKIE_MAX_BYTES, &c, &len, why, sizeof(why)) !=
            0) {
            if (why[0]) {
                LOG_WARN("cookie file refused source=%s reason='%s'", src->id, why);
            }
            return ERR_INVALID; /* missing, unreadable or readable by every user */
        }
    }
    while (len > 0 && isspace((unsigned char)c[len - 1])) {
        c[--len] = '\0';
    }
    if (len == 0 || strpbrk(c, "\r\n") || memchr(c, '\0', len)) {
        free(c);
        return ERR_INVALID; /* header injection or an empty file */
    }
    *out = c;
    return 0;
}

int fetch_add_header(struct curl_slist **headers, const char *name, const char *value)
{
    char line[FETCH_VALUE_MAX + 256];
    struct curl_slist *l;

    snprintf(line, sizeof(line), "%s: %s", name, value);
    l = curl_slist_append(*headers, line);
    if (!l) {
        return ERR_NOMEM;
    }
    *headers = l;
    return 0;
}

/* True when src configures a header called name (case-insensitive). */
static bool source_sets(const struct source_cfg *src, const char *name)
{
    for (size_t i = 0; i < src->n_headers; i++) {
        if (strcasecmp(src->headers[i].name, name) == 0) {
            return true;
        }
    }
    return false;
}

/* A collector default: skipped when the source configures its own (sent exactly once). */
static int add_default(const struct source_cfg *src, struct curl_slist **headers,
                       const char *name, const char *value)
{
    return source_sets(src, name) ? 0 : fetch_add_header(headers, name, value);
}

int fetch_add_weibo_headers(const struct source_cfg *src, struct curl_slist **headers)
{
    char referer[256];
    int err;

    if (src->kind_id == SOURCE_WEIBO_USER && src->uid) {
        snprintf(referer, sizeof(referer), "https://m.weibo.cn/u/%s", src->uid);
    } else {
        snprintf(referer, sizeof(referer), "https://m.weibo.cn/");
    }
    err = add_default(src, headers, "MWeibo-Pwa", "1");
    if (!err) {
        err = add_default(src, headers, "X-Requested-With", "XMLHttpRequest");
    }
    if (!err) {
        err = add_default(src, headers, "Referer", referer);
    }
    if (!err) {
        err = add_default(src, headers, "Accept", "application/json, text/plain, */*");
    }
    return err;
}

int fetch_add_source_headers(const struct source_cfg *src, struct curl_slist **headers)
{
    for (size_t i = 0; i < src->n_headers; i++) {
        int err = fetch_add_header(headers, src->headers[i].name, src->headers[i].value);
        if (err) {
            return err;
        }
    }
    return 0;
}

#define SETOPT(h, opt, val)                                                                    \
    do {                                                                                       \
        if (rc == CURLE_OK) {                                                                  \
            rc = curl_easy_setopt((h), (opt), (val));                                          \
        }                                                                                      \
    } while (0)

CURLcode fetch_setopts(CURL *easy, const struct collector_cfg *cc, const char *user_agent,
                       const char *url, const char *cookie, struct curl_slist *headers,
                       char *errbuf)
{
    CURLcode rc = CURLE_OK;

    SETOPT(easy, CURLOPT_URL, url);
    SETOPT(easy, CURLOPT_NOSIGNAL, 1L);
    SETOPT(easy, CURLOPT_PROTOCOLS_STR, "http,https");
    /* an https source is never followed to plain http: its cookie and headers would travel
     * in clear, and a downgrade is what an attacker on the path would send */
    SETOPT(easy, CURLOPT_REDIR_PROTOCOLS_STR,
           strncasecmp(url, "https:", 6) == 0 ? "https" : "http,https");
    SETOPT(easy, CURLOPT_FOLLOWLOCATION, 1L);
    SETOPT(easy, CURLOPT_MAXREDIRS, (long)cc->max_redirects);
    SETOPT(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)cc->connect_timeout_ms);
    SETOPT(easy, CURLOPT_TIMEOUT_MS, (long)cc->timeout_ms);
    SETOPT(easy, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding libcurl decodes (FC-017) */
    SETOPT(easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cc->max_body_bytes);
    SETOPT(easy, CURLOPT_USERAGENT, user_agent);
    SETOPT(easy, CURLOPT_ERRORBUFFER, errbuf);
    if (cookie) {
        SETOPT(easy, CURLOPT_COOKIE, cookie); /* copied by libcurl */
    }
    if (headers) {
        SETOPT(easy, CURLOPT_HTTPHEADER, headers);
    }
    return rc;
}

CURLcode fetch_set_io(CURL *easy, curl_write_callback on_body, curl_write_callback on_header,
                      void *arg)
{
    CURLcode rc = CURLE_OK;

    SETOPT(easy, CURLOPT_PRIVATE, arg);
    SETOPT(easy, CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(easy, CURLOPT_WRITEDATA, arg);
    if (on_header) {
        SETOPT(easy, CURLOPT_HEADERFUNCTION, on_header);
        SETOPT(easy, CURLOPT_HEADERDATA, arg);
    }
    return rc;
}

char *fetch_content_location(CURL *easy)
{
    struct curl_header *h = NULL;
    const char *v;
    size_t n;

    if (curl_easy_header(easy, "Content-Location", 0, CURLH_HEADER, -1, &h) != CURLHE_OK ||
        !h || !h->value) {
        return NULL;
    }
    v = h->value;
    while (*v == ' ' || *v == '\t') {
        v++;
    }
    n = strlen(v);
    while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')) {
        n--;
    }
    if (n == 0 || n > FETCH_CONTENT_LOCATION_MAX) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7F) {
            return NULL;
        }
    }
    return strndup(v, n);
}

int64_t fetch_retry_after_ms(const char *v, size_t len, int64_t now_s)
{
    char buf[64];
    int64_t s;

    while (len > 0 && isspace((unsigned char)*v)) {
        v++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)v[len - 1])) {
        len--;
    }
    if (len == 0 || len >= sizeof(buf)) {
        return -1;
    }
    memcpy(buf, v, len);
    buf[len] = '\0';
    if (strspn(buf, "0123456789") == len) {
        s = len > 9 ? RETRY_AFTER_MAX_S : (int64_t)strtoll(buf, NULL, 10); /* delay-seconds */
    } else if (isalpha((unsigned char)buf[0])) { /* every HTTP-date form starts with the day */
        time_t at = curl_getdate(buf, NULL);
        if (at == -1) {
            return -1;
        }
        s = (int64_t)at - now_s;
    } else {
        return -1; /* "-5" is neither */
    }
    s = s < 0 ? 0 : s;
    return (s > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : s) * 1000;
}
