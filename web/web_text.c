#include "web_text.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "yq_err.h"
#include "yq_html.h"
#include "yq_json.h"
#include "yq_banned.h"

char *web_json_dumps(const json_t *v)
{
    char *raw = yq_json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    size_t n = 0, len;
    char *out, *o;

    if (!raw) {
        return NULL;
    }
    len = strlen(raw);
    for (size_t i = 0; i < len; i++) {
        n += (raw[i] == '<' || raw[i] == '>' || raw[i] == '&') ? 6 : 1;
    }
    out = malloc(n + 1);
    if (!out) {
        free(raw);
        return NULL;
    }
    o = out;
    /* Outside strings JSON has none of these characters, so escaping every one is safe. */
    for (size_t i = 0; i < len; i++) {
        const char *esc = raw[i] == '<' ? "\\u003c" : raw[i] == '>' ? "\\u003e"
                                                  : raw[i] == '&'   ? "\\u0026"
                                                                    : NULL;
        if (esc) {
            memcpy(o, esc, 6);
            o += 6;
        } else {
            *o++ = raw[i];
        }
    }
    *o = '\0';
    free(raw);
    return out;
}

int web_html_escape(const char *s, char *out, size_t len)
{
    size_t o = 0;

    if (len == 0) {
        return ERR_TOO_BIG;
    }
    for (; s && *s; s++) {
        char one[2] = {*s, '\0'};
        const char *rep = yq_html_entity(*s);
        size_t n;
        if (!rep) {
            rep = one;
        }
        n = strlen(rep);
        if (o + n >= len) {
            out[o] = '\0';
            return ERR_TOO_BIG;
        }
        memcpy(out + o, rep, n);
        o += n;
    }
    out[o] = '\0';
    return 0;
}

bool web_url_linkable(const char *url)
{
    if (!url) {
        return false;
    }
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
        return false;
    }
    for (const char *p = url; *p; p++) {
        if ((unsigned char)*p <= 0x20 || *p == '"' || *p == '\'' || *p == '<' || *p == '>' ||
            *p == '`' || *p == '\\') {
            return false;
        }
    }
    return true;
}

/* Whether p is "" or ":" and 1..5 digits (the port part of a Host header). */
static bool host_port_ok(const char *p)
{
    size_t digits = 0;

    if (!*p) {
        return true;
    }
    if (*p++ != ':') {
        return false;
    }
    for (; *p >= '0' && *p <= '9'; p++) {
        digits++;
    }
    return !*p && digits >= 1 && digits <= 5;
}

bool web_host_allowed(const char *host, const char *public_host)
{
    char name[WEB_HOST_MAX_BYTES + 2], addr[sizeof(struct in6_addr)];
    const char *colon, *end;
    size_t n;

    if (!host) {
        return true;
    }
    if (host[0] == '[') {
        /* [IPv6]:port: an address, never a name an attacker controls */
        end = strchr(host, ']');
        n = end ? (size_t)(end - host - 1) : 0;
        if (!end || n == 0 || n >= sizeof(name) || !host_port_ok(end + 1)) {
            return false;
        }
        memcpy(name, host + 1, n);
        name[n] = '\0';
        return inet_pton(AF_INET6, name, addr) == 1;
    }
    colon = strchr(host, ':');
    n = colon ? (size_t)(colon - host) : strlen(host);
    if (n == 0 || n >= sizeof(name) || (colon && !host_port_ok(colon))) {
        return false;
    }
    memcpy(name, host, n);
    name[n] = '\0';
    if (name[n - 1] == '.') {
        name[--n] = '\0'; /* "localhost." is "localhost" */
    }
    if (n == 0) {
        return false;
    }
    if (inet_pton(AF_INET, name, addr) == 1 || strcasecmp(name, "localhost") == 0) {
        return true;
    }
    if (!public_host || strcmp(public_host, "*") == 0) {
        return public_host != NULL;
    }
    for (const char *p = public_host; *p;) {
        size_t len = strcspn(p, ",");
        size_t cmp = len > 0 && p[len - 1] == '.' ? len - 1 : len; /* "yq.example." too */
        if (cmp == n && strncasecmp(p, name, n) == 0) {
            return true;
        }
        p += len + (p[len] == ',');
    }
    return false;
}

int web_parse_id(const char *s, size_t n, size_t max_digits, int64_t *out)
{
    int64_t v = 0;

    if (n == 0 || n > max_digits || max_digits > 18) {
        return ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return ERR_INVALID;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (v <= 0) {
        return ERR_INVALID;
    }
    *out = v;
    return 0;
}
