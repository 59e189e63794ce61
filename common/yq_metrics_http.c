#include "yq_metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "yq_buf.h"
#include "yq_err.h"
#include "yq_banned.h"

struct doc {
    char *text;
    size_t len;
};

struct yq_metrics_http {
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock;
    struct doc metrics;
    struct doc health;
    unsigned health_status;
    bool health_published;
    int port;
};

static const char starting[] = "{\"status\":\"starting\",\"dependencies\":{}}\n";

/* A copy of len bytes of text into *out; false on allocation failure. */
static bool copy_doc(const char *text, size_t len, struct doc *out)
{
    out->len = len;
    out->text = malloc(len ? len : 1);
    if (!out->text) {
        return false;
    }
    if (len) {
        memcpy(out->text, text, len);
    }
    return true;
}

/* MHD_get_connection_values()'s iterator: counts the Host fields into *cls (a size_t). */
static enum MHD_Result count_host(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    (void)kind;
    (void)value;
    if (key && strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) {
        (*(size_t *)cls)++;
    }
    return MHD_YES;
}

bool yq_metrics_http_host_ok(struct MHD_Connection *c, const char *version)
{
    size_t n = 0;

    MHD_get_connection_values(c, MHD_HEADER_KIND, &count_host, &n);
    return n == 1 || (n == 0 && version && strcmp(version, MHD_HTTP_VERSION_1_0) == 0);
}

/* Whether the n bytes at s are a port: 1..5 digits, at most 65535. */
static bool target_port_ok(const char *s, size_t n)
{
    long v = 0;

    if (n == 0 || n > 5) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    return v <= 65535;
}

/* Whether the n bytes at s are an authority: a name or IPv4 address, or [IPv6], then a port. */
static bool target_authority_ok(const char *s, size_t n, const char **why)
{
    const char *end = s + n, *host_end;

    if (n == 0) {
        *why = "empty host";
        return false;
    }
    if (memchr(s, '@', n)) {
        *why = "userinfo in the authority";
        return false;
    }
    if (s[0] == '[') {
        char addr[64];
        unsigned char bin[sizeof(struct in6_addr)];
        const char *close = memchr(s, ']', n);
        size_t len = close ? (size_t)(close - s - 1) : 0;

        if (!close || len == 0 || len >= sizeof(addr)) {
            *why = "bad IPv6 address";
            return false;
        }
        memcpy(addr, s + 1, len);
        addr[len] = '\0';
        if (inet_pton(AF_INET6, addr, bin) != 1) {
            *why = "bad IPv6 address";
            return false;
        }
        host_end = close + 1;
    } else {
        host_end = s;
        while (host_end < end && *host_end != ':') {
            unsigned char ch = (unsigned char)*host_end;
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~')) {
                *why = "bad host name";
                return false;
            }
            host_end++;
        }
        if (host_end == s) {
            *why = "empty host";
            return false;
        }
        if (host_end - s > 253) {
            *why = "host name over 253 bytes"; /* RFC 1035 */
            return false;
        }
    }
    if (host_end < end &&
        (*host_end != ':' || !target_port_ok(host_end + 1, (size_t)(end - host_end - 1)))) {
        *why = "bad port";
        return false;
    }
    return true;
}

int yq_metrics_http_target(const char *url, struct yq_http_target *out, const char **why)
{
    const char *reason = NULL, *auth, *rest;
    size_t scheme = 0, n;

    out->path = url;
    out->authority[0] = '\0';
    if (url[0] == '/' || strcmp(url, "*") == 0) {
        return 0; /* origin form; asterisk form */
    }
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (RFC 3986 3.1) */
    while ((url[scheme] >= 'a' && url[scheme] <= 'z') ||
           (url[scheme] >= 'A' && url[scheme] <= 'Z') ||
           (scheme > 0 && ((url[scheme] >= '0' && url[scheme] <= '9') || url[scheme] == '+' ||
                           url[scheme] == '-' || url[scheme] == '.'))) {
        scheme++;
    }
    if (scheme == 0 || url[scheme] != ':') {
        reason = "not a request target";
    } else if (scheme != 4 || strncasecmp(url, "http", 4) != 0) {
        reason = "scheme is not http";
    } else if (strncmp(url + 4, "://", 3) != 0) {
        reason = "no authority";
    } else {
        auth = url + 7;
        n = strcspn(auth, "/?#");
        rest = auth + n;
        if (*rest == '?' || *rest == '#') {
            reason = "bad path"; /* libmicrohttpd cut the query off: a '?' here is not one */
        } else if (n > YQ_HTTP_AUTHORITY_MAX) {
            reason = "authority too long";
        } else if (target_authority_ok(auth, n, &reason)) {
            memcpy(out->authority, auth, n);
            out->authority[n] = '\0';
            out->path = *rest ? rest : "/";
            return 0;
        }
    }
    out->path = url;
    if (why) {
        *why = reason;
    }
    return ERR_PARSE;
}

size_t yq_metrics_http_bad_target_text(const char *why, char *buf, size_t len)
{
    int n = snprintf(buf, len, "bad request target: %s\n", why ? why : "not accepted");

    return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

const char *yq_metrics_http_request_host(struct MHD_Connection *c, const struct yq_http_target *t)
{
    if (t->authority[0]) {
        return t->authority;
    }
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    struct yq_metrics_http *h = cls;
    struct MHD_Response *r;
    enum MHD_Result ret;
    unsigned status = MHD_HTTP_OK;
    const char *type = "text/plain; charset=utf-8";
    struct doc out = {NULL, 0};
    struct yq_http_target t;
    const char *why = NULL;
    char refusal[96];
    bool ok = true;

    (void)upload;
    (void)con_cls;
    if (*upload_size > 0) {
        *upload_size = 0; /* no route takes a body: drop it */
        return MHD_YES;
    }
    if (!yq_metrics_http_host_ok(c, version)) {
        /* any Host is answered, but one there must be (HTTP/1.1) */
        status = MHD_HTTP_BAD_REQUEST;
        ok = copy_doc(YQ_HTTP_BAD_HOST_TEXT, sizeof(YQ_HTTP_BAD_HOST_TEXT) - 1, &out);
    } else if (yq_metrics_http_target(url, &t, &why) != 0) {
        /* a target of a form HTTP knows: the body names what is wrong with it */
        status = MHD_HTTP_BAD_REQUEST;
        ok =
            copy_doc(refusal, yq_metrics_http_bad_target_text(why, refusal, sizeof(refusal)), &out);
    } else if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
               strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        status = MHD_HTTP_METHOD_NOT_ALLOWED;
    } else if (strcmp(t.path, "/metrics") == 0) {
        type = "text/plain; version=0.0.4; charset=utf-8";
        pthread_mutex_lock(&h->lock);
        ok = copy_doc(h->metrics.text, h->metrics.len, &out);
        pthread_mutex_unlock(&h->lock);
    } else if (strcmp(t.path, "/healthz") == 0) {
        type = "application/json; charset=utf-8";
        pthread_mutex_lock(&h->lock);
        if (h->health_published) {
            ok = copy_doc(h->health.text, h->health.len, &out);
            status = h->health_status;
        } else {
            ok = copy_doc(starting, sizeof(starting) - 1, &out);
            status = MHD_HTTP_SERVICE_UNAVAILABLE;
        }
        pthread_mutex_unlock(&h->lock);
    } else {
        status = MHD_HTTP_NOT_FOUND;
    }
    if (!ok) {
        status = MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
    if (out.text) {
        r = MHD_create_response_from_buffer(out.len, out.text, MHD_RESPMEM_MUST_FREE);
    } else {
        static const char none[] = "";
        r = MHD_create_response_from_buffer(0, (void *)none, MHD_RESPMEM_PERSISTENT);
    }
    if (!r) {
        free(out.text);
        return MHD_NO;
    }
    if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
        MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") != MHD_YES) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

int yq_metrics_http_listen_addr(const char *address, int port, struct sockaddr_in *out)
{
    memset(out, 0, sizeof(*out));
    out->sin_family = AF_INET;
    if (!address || port < 0 || port > 65535 || inet_pton(AF_INET, address, &out->sin_addr) != 1) {
        return ERR_INVALID;
    }
    out->sin_port = htons((uint16_t)port);
    return 0;
}

int yq_metrics_http_bound_port(struct MHD_Daemon *daemon, int asked)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : asked;
}

/*
 * Why sa cannot be listened on, for the start-up error (libmicrohttpd says nothing): the
 * error of a bind of our own ("Address already in use"), or "" when that bind works.
 */
static const char *listen_error(const struct sockaddr_in *sa)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    const char *why = "";

    if (fd < 0) {
        return strerror(errno);
    }
    if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0) {
        why = strerror(errno);
    }
    close(fd);
    return why;
}

struct yq_metrics_http *yq_metrics_http_start(const char *address, int port, char *errbuf,
                                              size_t errlen)
{
    struct yq_metrics_http *h;
    struct sockaddr_in sa;

    if (yq_metrics_http_listen_addr(address, port, &sa) != 0) {
        snprintf(errbuf, errlen, "metrics: bad listen address '%s' port %d",
                 address ? address : "", port);
        return NULL;
    }
    h = calloc(1, sizeof(*h));
    if (!h) {
        snprintf(errbuf, errlen, "metrics: out of memory");
        return NULL;
    }
    pthread_mutex_init(&h->lock, NULL);
    h->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, answer, h,
                                 MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_CONNECTION_LIMIT, 16U,
                                 MHD_OPTION_PER_IP_CONNECTION_LIMIT, 8U,
                                 MHD_OPTION_CONNECTION_TIMEOUT, 10U,
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768, MHD_OPTION_END);
    if (!h->daemon) {
        const char *why = listen_error(&sa);
        snprintf(errbuf, errlen, "metrics: cannot listen on %s:%d%s%s", address, port,
                 why[0] ? ": " : "", why);
        pthread_mutex_destroy(&h->lock);
        free(h);
        return NULL;
    }
    h->port = yq_metrics_http_bound_port(h->daemon, port);
    return h;
}

int yq_metrics_http_port(const struct yq_metrics_http *h)
{
    return h->port;
}

int yq_metrics_http_publish_metrics(struct yq_metrics_http *h, const char *text, size_t len)
{
    struct doc copy, old;

    if (!copy_doc(text, len, &copy)) {
        return ERR_NOMEM;
    }
    pthread_mutex_lock(&h->lock);
    old = h->metrics;
    h->metrics = copy;
    pthread_mutex_unlock(&h->lock);
    free(old.text);
    return 0;
}

int yq_metrics_http_publish_health(struct yq_metrics_http *h, unsigned http_status,
                                   const char *json, size_t len)
{
    struct doc copy, old;

    if (!copy_doc(json, len, &copy)) {
        return ERR_NOMEM;
    }
    pthread_mutex_lock(&h->lock);
    old = h->health;
    h->health = copy;
    h->health_status = http_status;
    h->health_published = true;
    pthread_mutex_unlock(&h->lock);
    free(old.text);
    return 0;
}

void yq_metrics_http_stop(struct yq_metrics_http *h)
{
    if (!h) {
        return;
    }
    if (h->daemon) {
        MHD_stop_daemon(h->daemon);
    }
    pthread_mutex_destroy(&h->lock);
    free(h->metrics.text);
    free(h->health.text);
    free(h);
}

int yq_metrics_http_security_headers(struct MHD_Response *r, const char *csp)
{
    if (MHD_add_response_header(r, "Content-Security-Policy", csp) != MHD_YES ||
        MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") != MHD_YES ||
        MHD_add_response_header(r, "Referrer-Policy", "no-referrer") != MHD_YES ||
        MHD_add_response_header(r, "X-Frame-Options", "DENY") != MHD_YES ||
        MHD_add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin") != MHD_YES ||
        MHD_add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin") != MHD_YES) {
        return ERR_NOMEM;
    }
    return 0;
}

/* Append s with backslash and line feed escaped, and double quote too when quote is set. */
static int add_escaped(struct yq_buf *b, const char *s, bool quote)
{
    int err = 0;

    for (; *s && !err; s++) {
        if (*s == '\\' || (quote && *s == '"')) {
            char esc[2] = {'\\', *s};
            err = yq_buf_add(b, esc, sizeof(esc));
        } else if (*s == '\n') {
            err = yq_buf_add(b, "\\n", 2);
        } else {
            err = yq_buf_addc(b, *s);
        }
    }
    return err;
}

int yq_metrics_http_label_value(struct yq_buf *b, const char *value)
{
    return add_escaped(b, value, true);
}

int yq_metrics_http_family(struct yq_buf *b, const char *name, const char *type, const char *help)
{
    int err = yq_buf_addf(b, "# HELP %s ", name);

    if (!err) {
        err = add_escaped(b, help, false);
    }
    return err ? err : yq_buf_addf(b, "\n# TYPE %s %s\n", name, type);
}

int yq_metrics_http_sample(struct yq_buf *b, const char *name,
                           const struct yq_metrics_http_label *labels, size_t n_labels,
                           int64_t value)
{
    int err = yq_buf_adds(b, name);

    for (size_t i = 0; i < n_labels && !err; i++) {
        err = yq_buf_addf(b, "%s%s=\"", i == 0 ? "{" : ",", labels[i].name);
        if (!err) {
            err = yq_metrics_http_label_value(b, labels[i].value);
        }
        if (!err) {
            err = yq_buf_addc(b, '"');
        }
    }
    if (!err && n_labels > 0) {
        err = yq_buf_addc(b, '}');
    }
    return err ? err : yq_buf_addf(b, " %" PRId64 "\n", value);
}

int yq_metrics_http_scalar(struct yq_buf *b, const char *name, const char *type, const char *help,
                           int64_t value)
{
    int err = yq_metrics_http_family(b, name, type, help);

    return err ? err : yq_metrics_http_sample(b, name, NULL, 0, value);
}
