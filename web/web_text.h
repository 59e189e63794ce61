/*
 * Text safety of the web layer (web_text.c): JSON without markup characters, HTML escaping,
 * which URLs the UI may link and which Host headers it answers. Pure functions of their
 * arguments; thread-safe.
 */
#ifndef WEB_TEXT_H
#define WEB_TEXT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Compact JSON of v with "<", ">" and "&" written as \u003c, \u003e, \u0026 (so feed text
 * never appears as markup in a response). Returns a new string (free()) or NULL (ERR_NOMEM).
 */
char *web_json_dumps(const json_t *v);

/*
 * Write s escaped for HTML text and double- or single-quoted attribute values into out
 * (len bytes, always NUL-terminated when len > 0). Returns 0 or ERR_TOO_BIG (truncated).
 */
int web_html_escape(const char *s, char *out, size_t len);

/* True when url is an absolute http: or https: URL (the only links the UI makes). */
bool web_url_linkable(const char *url);

/* Bytes of a host name web_host_allowed() compares (RFC 1035: 253 characters); longer: refused. */
#define WEB_HOST_MAX_BYTES 253

/*
 * Whether the web UI answers a request whose Host header is host (NULL: none sent, which only
 * an HTTP/1.0 client may: web_handle() answers an HTTP/1.1 request without one, or any with
 * two, 400 before asking). The defence against DNS rebinding: a page on an attacker's name that
 * is made to resolve to this server sends that name in Host, and the browser treats it as
 * the attacker's own origin (so Origin and CSRF checks pass). Allowed: no Host; an IPv4 or a
 * bracketed IPv6 address; "localhost"; a name of public_host (web.public_host: names
 * separated by commas, compared without case and without one trailing dot; ""/NULL = none;
 * "*" = any name); each with an optional ":port" and one trailing dot on the name. Anything
 * else, or a malformed value, is refused.
 */
bool web_host_allowed(const char *host, const char *public_host);

/*
 * Parse a positive decimal id written as the n bytes at s (no sign, no NUL needed) into *out.
 * At most max_digits digits (15 or 18 in the routes: both fit an int64_t). Returns 0, or
 * ERR_INVALID for an empty, over-long, non-digit or zero id (*out is then unchanged).
 */
int web_parse_id(const char *s, size_t n, size_t max_digits, int64_t *out);

#endif
