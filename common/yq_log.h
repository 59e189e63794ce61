/*
 * Logging: one stderr line per event, "2026-11-29T08:00:00.123Z WARN yuqing-collector
 * feed_http.c: fetch failed feed_id=x". The macros test the level before formatting their
 * arguments. Never log secrets or payloads.
 */
#ifndef YQ_LOG_H
#define YQ_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum yq_log_level {
    YQ_LOG_ERR = 0,
    YQ_LOG_WARN = 1,
    YQ_LOG_INFO = 2,
    YQ_LOG_DEBUG = 3,
};

/* The current level; events above it are dropped. Set by yq_log_init(). */
extern int yq_log_level_cur;

/*
 * Set the process name printed on each line (borrowed: must outlive logging; usually a
 * string literal) and the level. The env var YQ_LOG_LEVEL ("err", "warn", "info", "debug")
 * overrides level when set. Call once from main() before threads start.
 */
void yq_log_init(const char *process, int level);

/* Parse "err|warn|info|debug" into *out. Returns 0 or ERR_INVALID. */
int yq_log_level_parse(const char *name, int *out);

/*
 * Copy n bytes of in to out (len bytes, always NUL-terminated when len > 0) with every
 * character that could break or forge a log line escaped: the backslash as \\, LF, CR and
 * TAB as \n \r \t, the other C0 controls, DEL and bytes that are not UTF-8 as \xHH, and the
 * C1 controls and U+2028/U+2029 as \uHHHH. A region between YQ_LOG_QUOTE_OPEN and
 * YQ_LOG_QUOTE_CLOSE (yq_log_quote()) is written in double quotes with its own '"' as \"
 * (an open region is closed at the end). Stops before a character that does not fit (never
 * splits one). Returns the bytes written, without the NUL. Pure; thread-safe.
 */
size_t yq_log_escape(const char *in, size_t n, char *out, size_t len);

/* The control bytes yq_log_quote() puts around a value; the logger prints them as '"'. */
#define YQ_LOG_QUOTE_OPEN '\x1e'
#define YQ_LOG_QUOTE_CLOSE '\x1f'

/* Room YQ_Q() takes for one quoted value (longer values are cut at a character boundary). */
#define YQ_LOG_QUOTE_MAX 512

/*
 * Mark the NUL-terminated value s (a user name, a title, a URL: anything a user chose; NULL
 * is taken as "") for quoting in a log line: out (len bytes, caller storage) gets s between
 * YQ_LOG_QUOTE_OPEN and YQ_LOG_QUOTE_CLOSE (bytes of s equal to either are left out), cut
 * at a character boundary when it does not fit. The logger writes it as "..." with '"' and
 * '\' escaped, so "user=%s" with s = "admin client=203.0.113.9" cannot forge a key=value
 * pair (issue #10). Returns out. Pure; thread-safe.
 */
const char *yq_log_quote(const char *s, char *out, size_t len);

/* yq_log_quote() into a temporary that lives until the end of the enclosing block. */
#define YQ_Q(s) yq_log_quote((s), (char[YQ_LOG_QUOTE_MAX]){0}, YQ_LOG_QUOTE_MAX)

/*
 * Copy the NUL-terminated text in to out (len bytes, always NUL-terminated when len > 0,
 * truncated when short) with the secrets of every URL in it replaced by "***": the userinfo
 * (user:password@), the values of the query parameters key, token, access_token, secret,
 * sign, signature, password, passwd, pwd, api_key, apikey, auth, sig, client_secret and
 * private_token (any case, compared after percent-decoding: "%74oken" is "token"), in the
 * query and in the fragment ("#access_token=..."), and a path segment after "/hook/"
 * (Feishu robots). Text that is
 * not a URL is unchanged. For --print-config and logs (yq_log_write() applies it to every
 * message). Returns the bytes written without the NUL. Pure; thread-safe.
 */
size_t yq_redact_url_secrets(const char *in, char *out, size_t len);

/*
 * Write one line. Thread-safe (one write(2) per line). Use the macros below instead. The
 * formatted message is escaped with yq_log_escape() as a whole, so every value is; put
 * values users chose through YQ_Q() so they are also quoted.
 */
void yq_log_write(int level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define YQ_LOG_AT(lvl, ...)                                                                    \
    do {                                                                                       \
        if (yq_log_level_cur >= (lvl)) {                                                       \
            yq_log_write((lvl), __FILE_NAME__, __VA_ARGS__);                                   \
        }                                                                                      \
    } while (0)

#define LOG_ERR(...) YQ_LOG_AT(YQ_LOG_ERR, __VA_ARGS__)
#define LOG_WARN(...) YQ_LOG_AT(YQ_LOG_WARN, __VA_ARGS__)
#define LOG_INFO(...) YQ_LOG_AT(YQ_LOG_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) YQ_LOG_AT(YQ_LOG_DEBUG, __VA_ARGS__)

#endif
