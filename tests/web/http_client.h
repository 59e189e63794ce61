/*
 * A small libcurl client for the web API tests: one request per call, the session cookie and
 * CSRF token of a logged-in client, and the response headers the tests look at.
 */
#ifndef TEST_WEB_HTTP_CLIENT_H
#define TEST_WEB_HTTP_CLIENT_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "test_expect.h"

struct resp {
    long status;
    char *body;
    size_t len;
    char cookie[256];      /* yq_session value from Set-Cookie */
    char set_cookie[512];  /* the whole Set-Cookie header of yq_session */
    char set_device[512];  /* the whole Set-Cookie header of yq_device (a login's) */
    char csp[512];
    char retry_after[32];
    char content_type[128];
    char content_disposition[512];
};

static inline size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    struct resp *r = ud;
    size_t len = size * n;
    r->body = realloc(r->body, r->len + len + 1);
    memcpy(r->body + r->len, p, len);
    r->len += len;
    r->body[r->len] = '\0';
    return len;
}

static inline void header_value(const char *line, size_t len, const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name);
    if (len > n && strncasecmp(line, name, n) == 0) {
        size_t v = len - n;
        while (v > 0 && (line[n + v - 1] == '\r' || line[n + v - 1] == '\n')) {
            v--;
        }
        snprintf(out, outlen, "%.*s", (int)v, line + n);
    }
}

static inline size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct resp *r = ud;
    size_t len = size * n;
    char cookie[512] = "";
    header_value(p, len, "Set-Cookie: ", cookie, sizeof(cookie));
    if (strncmp(cookie, "yq_device=", 10) == 0) {
        snprintf(r->set_device, sizeof(r->set_device), "%s", cookie);
    } else if (cookie[0]) {
        snprintf(r->set_cookie, sizeof(r->set_cookie), "%s", cookie);
    }
    header_value(p, len, "Content-Security-Policy: ", r->csp, sizeof(r->csp));
    header_value(p, len, "Retry-After: ", r->retry_after, sizeof(r->retry_after));
    header_value(p, len, "Content-Type: ", r->content_type, sizeof(r->content_type));
    header_value(p, len, "Content-Disposition: ", r->content_disposition,
                 sizeof(r->content_disposition));
    if (strncmp(r->set_cookie, "yq_session=", 11) == 0) {
        const char *v = r->set_cookie + 11;
        size_t k = strcspn(v, ";");
        snprintf(r->cookie, sizeof(r->cookie), "%.*s", (int)k, v);
    }
    return len;
}

/* A session as a test client sees it. */
struct client {
    char cookie[256];
    char csrf[64];
    char bearer[80];
};

static inline void http_request(unsigned port, const struct client *cl, const char *method, const char *path,
                    const char *body, const char *extra_header, struct resp *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char url[512], line[384];

    memset(r, 0, sizeof(*r));
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path[0] == '/' ? path : "/");
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (path[0] != '/') {
        curl_easy_setopt(c, CURLOPT_REQUEST_TARGET, path); /* another form, sent as it is */
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        if (!extra_header || strncasecmp(extra_header, "Content-Type:", 13) != 0) {
            h = curl_slist_append(h, "Content-Type: application/json");
        }
    }
    if (cl && cl->cookie[0]) {
        snprintf(line, sizeof(line), "Cookie: yq_session=%s", cl->cookie);
        h = curl_slist_append(h, line);
    }
    if (cl && cl->csrf[0]) {
        snprintf(line, sizeof(line), "X-CSRF-Token: %s", cl->csrf);
        h = curl_slist_append(h, line);
    }
    if (cl && cl->bearer[0]) {
        snprintf(line, sizeof(line), "Authorization: Bearer %s", cl->bearer);
        h = curl_slist_append(h, line);
    }
    if (extra_header) {
        h = curl_slist_append(h, extra_header);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}

static inline void resp_release(struct resp *r)
{
    free(r->body);
    r->body = NULL;
}

/*
 * method path (body may be NULL) as cl (may be NULL) and expect status want and an answer
 * body that holds each needle of present and none of absent (NULL-terminated lists; either
 * may be NULL). r (may be NULL) gets the answer for more checks (resp_release()); with NULL it
 * is released here. A failure names the request and what was wrong, and prints the body.
 */
static inline void http_expect_body(unsigned port, const struct client *cl, const char *method,
                                    const char *path, const char *body, long want,
                                    const char *const *present, const char *const *absent,
                                    struct resp *r)
{
    struct resp own, *got = r ? r : &own;
    size_t n_present = 0, n_absent = 0;
    char what[320];

    snprintf(what, sizeof(what), "%s %s", method, path);
    http_request(port, cl, method, path, body, NULL, got);
    if (got->status != want) {
        fail_msg("%s gave %ld, want %ld: %s", what, got->status, want, got->body ? got->body : "");
    }
    while (present && present[n_present]) {
        n_present++;
    }
    while (absent && absent[n_absent]) {
        n_absent++;
    }
    test_expect_text(what, got->body ? got->body : "", present, n_present, absent, n_absent);
    if (!r) {
        resp_release(&own);
    }
}

/*
 * method path (body may be NULL) as cl (may be NULL) and expect status want; the answer is
 * released here. A failure names the request and both statuses.
 */
static inline void http_expect_status(unsigned port, const struct client *cl, const char *method,
                                      const char *path, const char *body, long want)
{
    http_expect_body(port, cl, method, path, body, want, NULL, NULL, NULL);
}

/*
 * GET path as cl and expect 400 in the house error shape: "error":"invalid", the machine code
 * code and a message (the bad-query tables of the list routes). A failure names the path and
 * prints the answer.
 */
static inline void http_expect_invalid(unsigned port, const struct client *cl, const char *path,
                                       const char *code)
{
    struct resp r;
    char want[80];

    snprintf(want, sizeof(want), "\"code\":\"%s\"", code);
    http_request(port, cl, "GET", path, NULL, NULL, &r);
    if (r.status != 400 || !r.body || !strstr(r.body, "\"error\":\"invalid\"") ||
        !strstr(r.body, want) || !strstr(r.body, "\"message\":\"")) {
        fail_msg("GET %s: %ld %s, want 400 %s", path, r.status, r.body ? r.body : "", want);
    }
    resp_release(&r);
}

/*
 * POST body to /api/tickets/<number>/<action> as cl and expect status want. r (may be NULL)
 * gets the answer for more checks (resp_release()); with NULL it is released here.
 */
static inline void http_ticket_action(unsigned port, const struct client *cl, const char *number,
                                      const char *action, const char *body, long want,
                                      struct resp *r)
{
    struct resp own;
    char path[160];

    snprintf(path, sizeof(path), "/api/tickets/%s/%s", number, action);
    http_request(port, cl, "POST", path, body, NULL, r ? r : &own);
    if ((r ? r : &own)->status != want) {
        fail_msg("%s on %s gave %ld, want %ld", action, number, (r ? r : &own)->status, want);
    }
    if (!r) {
        resp_release(&own);
    }
}

/* GET path as cl (may be NULL): expects 200 with a JSON object, returned (new reference). */
static inline json_t *http_get_json(unsigned port, const struct client *cl, const char *path)
{
    struct resp r;
    json_t *v;

    http_request(port, cl, "GET", path, NULL, NULL, &r);
    if (r.status != 200) {
        fail_msg("GET %s gave %ld: %s", path, r.status, r.body ? r.body : "");
    }
    assert_non_null(strstr(r.content_type, "application/json"));
    v = json_loads(r.body, 0, NULL);
    assert_true(json_is_object(v));
    resp_release(&r);
    return v;
}

/* GET /api/tickets/<number> as cl: expects 200; the answer's JSON object (new reference). */
static inline json_t *http_get_ticket(unsigned port, const struct client *cl, const char *number)
{
    char path[160];

    snprintf(path, sizeof(path), "/api/tickets/%s", number);
    return http_get_json(port, cl, path);
}

/*
 * POST body to path (a .../tokens endpoint) as cl, expecting 201: machine (caller storage) is
 * then a client with the new API token as its bearer and nothing else.
 */
static inline void http_new_token(unsigned port, const struct client *cl, const char *path,
                                  const char *body, struct client *machine)
{
    struct resp r;
    json_t *v;

    http_request(port, cl, "POST", path, body, NULL, &r);
    assert_int_equal(r.status, 201);
    v = json_loads(r.body, 0, NULL);
    assert_non_null(v);
    memset(machine, 0, sizeof(*machine));
    snprintf(machine->bearer, sizeof(machine->bearer), "%s",
             json_string_value(json_object_get(v, "token")));
    json_decref(v);
    resp_release(&r);
}

/*
 * Log user in with pass on the server at port (expects 200): cl (caller storage) gets the
 * session cookie and CSRF token, nothing else.
 */
static inline void http_login(unsigned port, const char *user, const char *pass,
                              struct client *cl)
{
    struct resp r;
    char body[256];
    json_t *me;

    memset(cl, 0, sizeof(*cl));
    snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"%s\"}", user, pass);
    http_request(port, NULL, "POST", "/api/login", body, NULL, &r);
    assert_int_equal(r.status, 200);
    me = json_loads(r.body, 0, NULL);
    assert_non_null(me);
    snprintf(cl->cookie, sizeof(cl->cookie), "%s", r.cookie);
    snprintf(cl->csrf, sizeof(cl->csrf), "%s",
             json_string_value(json_object_get(me, "csrf_token")));
    json_decref(me);
    resp_release(&r);
}

#endif
