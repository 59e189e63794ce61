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
#define DECODE_CHUNK 16384         /* decoded bytes per inflate() call, on the stack */

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
    /* only the codings struct fetch_decoder checks to their end, decoded there (FC-017) */
    SETOPT(easy, CURLOPT_ACCEPT_ENCODING, FETCH_ACCEPT_ENCODING);
    SETOPT(easy, CURLOPT_HTTP_CONTENT_DECODING, 0L);
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

void fetch_decoder_init(struct fetch_decoder *d, CURL *easy)
{
    memset(d, 0, sizeof(*d));
    d->easy = easy;
}

void fetch_decoder_init_coding(struct fetch_decoder *d, enum fetch_coding coding)
{
    memset(d, 0, sizeof(*d));
    d->coding = coding;
}

void fetch_decoder_release(struct fetch_decoder *d)
{
    if (d->z_live) {
        inflateEnd(&d->z);
    }
    d->z_live = false;
}

static const char *coding_name(const struct fetch_decoder *d)
{
    return d->coding == FETCH_CODING_GZIP ? "gzip" : "deflate";
}

/* The coding of d's response from its Content-Encoding (comma-separated, case-insensitive). */
static enum fetch_coding response_coding(struct fetch_decoder *d)
{
    struct curl_header *h = NULL;
    enum fetch_coding c = FETCH_CODING_IDENTITY;
    char v[128], *save = NULL;

    for (size_t i = 0;
         curl_easy_header(d->easy, "Content-Encoding", i, CURLH_HEADER, -1, &h) == CURLHE_OK; i++) {
        snprintf(v, sizeof(v), "%s", h->value ? h->value : "");
        for (char *t = strtok_r(v, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
            enum fetch_coding one = strcasecmp(t, "gzip") == 0 || strcasecmp(t, "x-gzip") == 0
                                        ? FETCH_CODING_GZIP
                                    : strcasecmp(t, "deflate") == 0  ? FETCH_CODING_DEFLATE
                                    : strcasecmp(t, "identity") == 0 ? FETCH_CODING_IDENTITY
                                                                     : FETCH_CODING_REFUSED;
            if (one == FETCH_CODING_REFUSED ||
                (one != FETCH_CODING_IDENTITY && c != FETCH_CODING_IDENTITY)) {
                snprintf(d->error, sizeof(d->error),
                         "Content-Encoding '%.64s' not supported (only gzip or deflate, once)",
                         h->value ? h->value : "");
                return FETCH_CODING_REFUSED;
            }
            if (one != FETCH_CODING_IDENTITY) {
                c = one;
            }
        }
    }
    return c;
}

/* zlib's allocations go through our malloc, so the allocation-failure tests reach them too */
static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return size && items > SIZE_MAX / size ? NULL : malloc((size_t)items * size);
}

static void z_free(voidpf opaque, voidpf p)
{
    (void)opaque;
    free(p);
}

/*
 * Start decoding at the first rest bytes of the body (rest > 0), the coding read from the
 * response unless known already. A deflate body's first byte alone is held (d->holding, not
 * started): the zlib format and raw deflate are told apart by two. Returns 0, ERR_PARSE
 * (coding refused or corrupt) or ERR_NOMEM.
 */
static int decoder_start(struct fetch_decoder *d, const unsigned char *data, size_t rest)
{
    int bits = 15 + 16; /* gzip wrapper only */

    if (d->coding == FETCH_CODING_UNKNOWN) {
        d->coding = response_coding(d);
    }
    if (d->coding == FETCH_CODING_REFUSED) {
        return ERR_PARSE;
    }
    if (d->coding == FETCH_CODING_DEFLATE) {
        int b0 = d->holding ? d->held : data[0], b1 = d->holding ? data[0] : -1;
        if (!d->holding && rest == 1) {
            d->held = data[0];
            d->holding = true;
            return 0;
        }
        b1 = b1 >= 0 ? b1 : data[1];
        /* RFC 9110 §8.4.1.2 means the zlib format; some servers send raw deflate instead */
        bits = (b0 & 0x0F) == 8 && ((b0 << 8) | b1) % 31 == 0 ? 15 : -15;
    }
    d->started = true;
    if (d->coding == FETCH_CODING_IDENTITY) {
        return 0;
    }
    d->z.zalloc = z_alloc;
    d->z.zfree = z_free;
    if (inflateInit2(&d->z, bits) != Z_OK) {
        return ERR_NOMEM;
    }
    d->z_live = true;
    if (d->holding) {
        /* one byte of a header or of a first block: no output, no end yet */
        unsigned char out[16];
        int zr;
        d->z.next_in = &d->held;
        d->z.avail_in = 1;
        d->z.next_out = out;
        d->z.avail_out = sizeof(out);
        zr = inflate(&d->z, Z_NO_FLUSH);
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            snprintf(d->error, sizeof(d->error), "deflate stream corrupt: %s",
                     d->z.msg ? d->z.msg : "invalid data");
            return ERR_PARSE;
        }
    }
    return 0;
}

static size_t decode_fail(int *err, int code)
{
    *err = code;
    return 0;
}

size_t fetch_decoder_write(struct fetch_decoder *d, const char *data, size_t n, struct yq_buf *out,
                           fetch_room_fn room, void *arg, int *err)
{
    size_t skipped = d->skip < n ? d->skip : n, rest = n - skipped;
    char buf[DECODE_CHUNK];

    *err = 0;
    d->skip -= skipped;
    data += skipped;
    if (!d->started && rest > 0) {
        bool held = d->holding;
        int e = decoder_start(d, (const unsigned char *)data, rest);
        if (e) {
            return decode_fail(err, e);
        }
        if (!held && d->holding) {
            return n; /* the first byte alone: held until the second comes */
        }
    }
    if (d->coding != FETCH_CODING_GZIP && d->coding != FETCH_CODING_DEFLATE) {
        if (rest > 0 && room && rest <= out->max_len && out->len <= out->max_len - rest &&
            !room(arg, out, rest)) {
            d->skip = skipped;
            return CURL_WRITEFUNC_PAUSE;
        }
        *err = yq_buf_add(out, data, rest);
        return *err ? 0 : n;
    }
    d->z.next_in = (Bytef *)(uintptr_t)data;
    d->z.avail_in = (uInt)rest; /* a delivery is at most CURL_MAX_WRITE_SIZE */
    while (!d->ended && (d->z.avail_in > 0 || d->more_out)) {
        size_t want =
            out->max_len - out->len < DECODE_CHUNK ? out->max_len - out->len : DECODE_CHUNK;
        size_t got;
        int zr;

        if (room && want > 0 && !room(arg, out, want)) {
            d->skip = skipped + (rest - d->z.avail_in);
            return CURL_WRITEFUNC_PAUSE;
        }
        d->z.next_out = (Bytef *)buf;
        d->z.avail_out = sizeof(buf);
        zr = inflate(&d->z, Z_NO_FLUSH);
        got = sizeof(buf) - d->z.avail_out;
        d->more_out = d->z.avail_out == 0;
        if (got > 0 && (*err = yq_buf_add(out, buf, got)) != 0) {
            return 0; /* ERR_TOO_BIG: a zip bomb stops here */
        }
        if (zr == Z_STREAM_END) {
            d->ended = true;
        } else if (zr == Z_MEM_ERROR) {
            return decode_fail(err, ERR_NOMEM);
        } else if (zr == Z_BUF_ERROR && d->z.avail_in == 0) {
            d->more_out = false; /* nothing pending: the next bytes are needed */
        } else if (zr != Z_OK) {
            snprintf(d->error, sizeof(d->error), "%s stream corrupt: %s", coding_name(d),
                     d->z.msg ? d->z.msg : "invalid data");
            return decode_fail(err, ERR_PARSE);
        }
    }
    if (d->ended && d->z.avail_in > 0) {
        snprintf(d->error, sizeof(d->error), "data after the end of the %s stream", coding_name(d));
        return decode_fail(err, ERR_PARSE);
    }
    return n;
}

int fetch_decoder_finish(struct fetch_decoder *d)
{
    if ((d->coding == FETCH_CODING_GZIP || d->coding == FETCH_CODING_DEFLATE) && !d->ended) {
        snprintf(d->error, sizeof(d->error),
                 "%s stream truncated: the body ended before the end of the compressed data",
                 coding_name(d));
        return ERR_PARSE;
    }
    return 0;
}

enum source_state fetch_decoder_fault(const struct fetch_decoder *d, long status, char *why,
                                      size_t whylen)
{
    if (status >= 200 && status < 300) {
        snprintf(why, whylen, "%s", d->error);
        return SOURCE_NETWORK_ERROR;
    }
    snprintf(why, whylen, "http status %ld (%s)", status, d->error);
    return source_state_from_http(status);
}
