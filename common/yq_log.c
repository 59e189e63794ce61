#include "yq_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "yq_err.h"
#include "yq_utf8.h"
#include "yq_banned.h"

int yq_log_level_cur = YQ_LOG_INFO;
static const char *log_process = "yuqing";

static const char *const level_names[] = {"ERR", "WARN", "INFO", "DEBUG"};

int yq_log_level_parse(const char *name, int *out)
{
    static const char *const names[] = {"err", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (name && strcmp(name, names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return ERR_INVALID;
}

void yq_log_init(const char *process, int level)
{
    int env_level;
    const char *env = getenv("YQ_LOG_LEVEL");

    log_process = process ? process : "yuqing";
    yq_log_level_cur = level;
    if (env && yq_log_level_parse(env, &env_level) == 0) {
        yq_log_level_cur = env_level;
    }
}

size_t yq_log_escape(const char *in, size_t n, char *out, size_t len)
{
    const unsigned char *s = (const unsigned char *)in;
    size_t o = 0, i = 0;
    bool quoted = false; /* inside a yq_log_quote() region */

    if (len == 0) {
        return 0;
    }
    while (i < n) {
        char esc[12];
        int32_t c = 0;
        size_t k = yq_utf8_seq(in + i, n - i, &c); /* 0: not UTF-8 */
        unsigned cp = (unsigned)c;
        size_t elen;
        size_t keep = quoted ? 1 : 0; /* room for the closing quote */

        if (k == 1 && ((cp == (unsigned char)YQ_LOG_QUOTE_OPEN && !quoted) ||
                       (cp == (unsigned char)YQ_LOG_QUOTE_CLOSE && quoted))) {
            if (o + 2 >= len) {
                break; /* an opening quote needs room for its closing one too */
            }
            quoted = !quoted;
            out[o++] = '"';
            i++;
            continue;
        }
        if (k == 0) {
            snprintf(esc, sizeof(esc), "\\x%02x", s[i]); /* not UTF-8: a raw byte */
            k = 1;
        } else if (cp == '\\') {
            snprintf(esc, sizeof(esc), "\\\\"); /* else a literal "\n" reads as a newline */
        } else if (cp == '"' && quoted) {
            snprintf(esc, sizeof(esc), "\\\"");
        } else if (cp == '\n') {
            snprintf(esc, sizeof(esc), "\\n");
        } else if (cp == '\r') {
            snprintf(esc, sizeof(esc), "\\r");
        } else if (cp == '\t') {
            snprintf(esc, sizeof(esc), "\\t");
        } else if (cp < 0x20 || cp == 0x7f) {
            snprintf(esc, sizeof(esc), "\\x%02x", cp); /* ESC, NUL, BEL and the other C0 */
        } else if ((cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) {
            snprintf(esc, sizeof(esc), "\\u%04x", cp); /* C1 (NEL, CSI), line/para separator */
        } else {
            if (o + k + keep >= len) {
                break; /* never split a character */
            }
            memcpy(out + o, s + i, k);
            o += k;
            i += k;
            continue;
        }
        elen = strlen(esc);
        if (o + elen + keep >= len) {
            break;
        }
        memcpy(out + o, esc, elen);
        o += elen;
        i += k;
    }
    if (quoted) {
        out[o++] = '"'; /* room kept above */
    }
    out[o] = '\0';
    return o;
}

const char *yq_log_quote(const char *s, char *out, size_t len)
{
    size_t o = 0;

    if (len < 3) {
        if (len > 0) {
            out[0] = '\0';
        }
        return out;
    }
    out[o++] = YQ_LOG_QUOTE_OPEN;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == (unsigned char)YQ_LOG_QUOTE_OPEN || *p == (unsigned char)YQ_LOG_QUOTE_CLOSE) {
            continue;
        }
        if (o + 2 >= len) {
            if ((*p & 0xc0) == 0x80) {
                /* the cut falls inside a character: drop its first bytes too */
                while (o > 1 && ((unsigned char)out[o - 1] & 0xc0) == 0x80) {
                    o--;
                }
                if (o > 1) {
                    o--;
                }
            }
            break;
        }
        out[o++] = (char)*p;
    }
    out[o++] = YQ_LOG_QUOTE_CLOSE;
    out[o] = '\0';
    return out;
}

/* Query parameters whose values are secrets (compared case-insensitively). */
static const char *const secret_params[] = {
    "key",     "token",  "access_token", "secret", "sign", "signature", "password",
    "passwd",  "pwd",    "api_key",      "apikey", "auth", "sig",       "client_secret",
    "private_token", "sslpassword",
};

static bool url_end(char c)
{
    return c == '\0' || c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' ||
           c == '\'' || c == '<' || c == '>' || c == '`' || c == YQ_LOG_QUOTE_OPEN ||
           c == YQ_LOG_QUOTE_CLOSE;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Whether the n-byte parameter name at name is a secret's, compared after percent-decoding. */
static bool secret_param(const char *name, size_t n)
{
    char dec[64];
    size_t d = 0;

    for (size_t i = 0; i < n; i++) {
        if (d + 1 >= sizeof(dec)) {
            return false; /* longer than any secret's name, even fully encoded */
        }
        if (name[i] == '%' && i + 2 < n && hex_value(name[i + 1]) >= 0 &&
            hex_value(name[i + 2]) >= 0) {
            dec[d++] = (char)(hex_value(name[i + 1]) * 16 + hex_value(name[i + 2]));
            i += 2; /* "%74oken" is "token" to the server that reads it */
        } else {
            dec[d++] = name[i];
        }
    }
    for (size_t i = 0; i < sizeof(secret_params) / sizeof(secret_params[0]); i++) {
        if (strlen(secret_params[i]) == d && strncasecmp(dec, secret_params[i], d) == 0) {
            return true;
        }
    }
    return false;
}

size_t yq_redact_url_secrets(const char *in, char *out, size_t len)
{
    size_t o = 0, i = 0;
    bool in_url = false;

#define PUT(c)                                                                                         do {                                                                                                   if (o + 1 < len) {                                                                                     out[o++] = (c);                                                                                }                                                                                              } while (0)
#define PUTS(str)                                                                                      do {                                                                                                   for (const char *p_ = (str); *p_; p_++) {                                                              PUT(*p_);                                                                                      }                                                                                              } while (0)

    if (len == 0) {
        return 0;
    }
    while (in[i]) {
        if (!in_url && strncmp(in + i, "://", 3) == 0) {
            size_t j = i + 3, at = 0;
            /* libpq reads a postgresql:// password up to an '@' even past '?' or '#' (and a
               user may have meant one with an unencoded '/'): there the user information runs
               to the last '@' before a '?' or '#' that follows a '/' (the query string) */
            bool lax = i >= 8 && strncasecmp(in + i - 8, "postgres", 8) == 0, slash = false;
            if (!lax && i >= 10) {
                lax = strncasecmp(in + i - 10, "postgresql", 10) == 0;
            }
            PUTS("://");
            i += 3;
            while (!url_end(in[j])) {
                if (in[j] == '/' || in[j] == '?' || in[j] == '#') {
                    if (!lax || (in[j] != '/' && slash)) {
                        break;
                    }
                    slash = slash || in[j] == '/';
                }
                if (in[j] == '@') {
                    at = j;
                }
                j++;
            }
            if (at) {
                PUTS("***"); /* user:password@ */
                i = at;
            }
            in_url = true;
            continue;
        }
        if (in_url && url_end(in[i])) {
            in_url = false;
            continue;
        }
        if (in_url && (in[i] == '?' || in[i] == '&' || in[i] == ';' || in[i] == '#')) {
            /* the fragment's key=value pairs too (#access_token=... of an OAuth redirect) */
            size_t j = i + 1;
            PUT(in[i]);
            i++;
            while (!url_end(in[j]) && in[j] != '=' && in[j] != '&' && in[j] != '#' &&
                   in[j] != ';') {
                j++;
            }
            if (in[j] == '=' && secret_param(in + i, j - i)) {
                while (i <= j) {
                    PUT(in[i]);
                    i++;
                }
                PUTS("***");
                while (!url_end(in[i]) && in[i] != '&' && in[i] != '#' && in[i] != ';') {
                    i++;
                }
            }
            continue;
        }
        if (in_url && strncmp(in + i, "/hook/", 6) == 0) {
            /* a webhook whose token is a path segment (Feishu: /open-apis/bot/v2/hook/TOKEN) */
            PUTS("/hook/***");
            i += 6;
            while (!url_end(in[i]) && in[i] != '/' && in[i] != '?' && in[i] != '#') {
                i++;
            }
            continue;
        }
        PUT(in[i]);
        i++;
    }
    out[o] = '\0';
    return o;
#undef PUT
#undef PUTS
}

void yq_log_write(int level, const char *module, const char *fmt, ...)
{
    char line[2048], msg[2048];
    struct timespec ts;
    struct tm tm;
    size_t n, mlen;
    va_list ap;
    int w;

    if (level < 0 || level > YQ_LOG_DEBUG) {
        level = YQ_LOG_ERR;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    w = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s %s: ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 ts.tv_nsec / 1000000L, level_names[level], log_process, module);
    n = (w < 0) ? 0 : (size_t)w;
    if (n >= sizeof(line)) {
        n = sizeof(line) - 1;
    }
    va_start(ap, fmt);
    w = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    mlen = w < 0 ? 0 : ((size_t)w >= sizeof(msg) ? sizeof(msg) - 1 : (size_t)w);
    msg[mlen] = '\0';
    if (memchr(msg, ':', mlen) && strstr(msg, "://")) {
        /* a URL's token, key, signature or password never reaches the log */
        char red[sizeof(msg)];
        mlen = yq_redact_url_secrets(msg, red, sizeof(red));
        memcpy(msg, red, mlen + 1);
    }
    /*
     * Escape once, here, in the formatted message: no value (a user name, a feed title, a
     * library's error text) can end the line or forge the next one, whichever format
     * placed it there.
     */
    n += yq_log_escape(msg, mlen, line + n, sizeof(line) - 1 - n);
    line[n++] = '\n';
    /* one write per line keeps lines from different threads whole */
    if (write(STDERR_FILENO, line, n) < 0) {
        /* nowhere left to report it */
    }
}
