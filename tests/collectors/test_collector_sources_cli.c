/*
 * `yuqingctl sources check` (sources_cli_main) against a local libmicrohttpd server serving
 * an RSS feed (gzip-encoded when asked, with an ETag the check must not send back), an HTML
 * page and a 404: one line per source with its state, exit status 0 only when all are ok, and
 * --source selecting one source. No Kafka and no Redis are configured to exist.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector_fixture.h"
#include "sources_cli.h"
#include "yq_banned.h"

static const char feed_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>测试站</title>"
    "<link>http://site.example/</link>"
    "<item><title>安康征地补偿</title><guid>g1</guid>"
    "<pubDate>Mon, 06 Apr 2020 08:28:46 +0800</pubDate></item>"
    "<item><title>紫阳拆迁</title><guid>g2</guid>"
    "<pubDate>Tue, 07 Apr 2020 10:00:00 +0800</pubDate></item>"
    "<item><title>旬阳 &amp; 平利</title><guid>g3</guid></item></channel></rss>";

/* The desktop hot-search list (issue #15): the pinned entry, two ranked, an ad. */
static const char hot_json[] =
    "{\"ok\":1,\"data\":{\"hotgov\":{\"word\":\"学习贯彻全会精神\"},\"realtime\":["
    "{\"word\":\"汉江安康段水位回落\",\"num\":2345678,\"realpos\":1,\"onboard_time\":1796383800},"
    "{\"word\":\"某品牌新品\",\"is_ad\":1},"
    "{\"word\":\"紫阳富硒茶\",\"num\":765432,\"realpos\":2,\"onboard_time\":1796380200}]}}";

static const char html_page[] = "<!DOCTYPE html><html><body>系统维护中</body></html>";

static int conditional_requests; /* requests carrying If-None-Match (must stay 0) */

/* What the server answers: the path, its body and Content-Type (each 200); else a 404. */
static const struct {
    const char *url, *body, *ctype;
} pages[] = {
    {"/feed.xml", feed_xml, "application/rss+xml; charset=utf-8"},
    {"/hot.json", hot_json, "application/json; charset=utf-8"},
    {"/hotwall.json", "{\"ok\":-100,\"url\":\"https://passport.weibo.com/sso/signin\"}",
     "application/json; charset=utf-8"},
    {"/page.html", html_page, "text/html; charset=utf-8"},
};

static enum MHD_Result handler(struct MHD_Connection *c, const char *url, void *arg)
{
    const char *body = "not found", *ctype = "text/plain";
    unsigned status = 404;

    (void)arg;
    if (MHD_lookup_connection_value(c, MHD_HEADER_KIND, "If-None-Match")) {
        conditional_requests++;
    }
    for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        if (strcmp(url, pages[i].url) == 0) {
            body = pages[i].body;
            ctype = pages[i].ctype;
            status = 200;
        }
    }
    return cfx_reply(c, status, body, strlen(body), ctype, "\"v1\"");
}

struct fixture {
    struct cfx_http http;
    char config[64];
    char out[64];
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    int port;
    FILE *f;
    int fd;

    assert_non_null(fx);
    assert_int_equal(cfx_http_start(&fx->http, handler, NULL, 0), 0);
    port = fx->http.port;
    snprintf(fx->config, sizeof(fx->config), "/tmp/yq-sources-cli-XXXXXX");
    fd = mkstemp(fx->config);
    assert_true(fd >= 0);
    f = fdopen(fd, "w");
    assert_non_null(f);
    /* Kafka and Redis point at closed ports: the check must not need them */
    fprintf(f,
            "kafka:\n  bootstrap_servers: 127.0.0.1:1\n"
            "redis:\n  port: 1\n"
            "collector:\n  timeout_ms: 5s\n"
            "sources:\n"
            "  - id: feed\n    url: http://127.0.0.1:%d/feed.xml\n"
            "  - id: html\n    url: http://127.0.0.1:%d/page.html\n"
            "  - id: gone\n    url: http://127.0.0.1:%d/gone.xml\n"
            "  - id: off\n    url: http://127.0.0.1:%d/gone.xml\n    enabled: false\n"
            "  - id: hot\n    kind: weibo_hot\n    url: http://127.0.0.1:%d/hot.json\n"
            "  - id: hotwall\n    kind: weibo_hot\n    url: http://127.0.0.1:%d/hotwall.json\n",
            port, port, port, port, port, port);
    assert_int_equal(fclose(f), 0);
    snprintf(fx->out, sizeof(fx->out), "/tmp/yq-sources-out-XXXXXX");
    fd = mkstemp(fx->out);
    assert_true(fd >= 0);
    close(fd);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    cfx_http_stop(&fx->http);
    unlink(fx->config);
    unlink(fx->out);
    free(fx);
    return 0;
}

/* sources_cli_main(argv) with stdout captured into *text (new). Returns its exit status. */
static int run_cli(struct fixture *fx, int argc, char **argv, char **text)
{
    int saved, fd, rc;
    FILE *f;
    long len;

    fflush(stdout);
    saved = dup(STDOUT_FILENO);
    fd = open(fx->out, O_WRONLY | O_TRUNC);
    assert_true(saved >= 0 && fd >= 0);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    rc = sources_cli_main(argc, argv);
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    f = fopen(fx->out, "r");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    *text = calloc(1, (size_t)len + 1);
    assert_non_null(*text);
    assert_int_equal(fread(*text, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    return rc;
}

static const char *line_of(const char *text, const char *id)
{
    char prefix[64];
    const char *p = text;

    snprintf(prefix, sizeof(prefix), "%s ", id);
    while (p && *p) {
        if (strncmp(p, prefix, strlen(prefix)) == 0) {
            return p;
        }
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return NULL;
}

static void assert_line(const char *text, const char *id, const char *want)
{
    const char *l = line_of(text, id);
    size_t n;

    if (!l) {
        fail_msg("no line for '%s' in:\n%s", id, text);
    }
    n = strcspn(l, "\n");
    if (strlen(want) != n || strncmp(l, want, n) != 0) {
        fail_msg("line for '%s':\n  got  %.*s\n  want %s", id, (int)n, l, want);
    }
}

static void test_check_every_enabled_source(void **state)
{
    struct fixture *fx = *state;
    char *argv[] = {"sources", "check", "--config", fx->config};
    char *text = NULL;

    conditional_requests = 0;
    assert_int_equal(run_cli(fx, 4, argv, &text), 1);
    assert_line(text, "feed",
                "feed kind=rss http=200 format=rss20 encoding=utf-8 well_formed=yes entries=3 "
                "newest=2020-04-07T02:00:00Z state=ok");
    assert_line(text, "html",
                "html kind=rss http=200 format=- encoding=- well_formed=- entries=- newest=- "
                "state=not_a_feed error='not_a_feed: HTML page served instead of a feed'");
    assert_line(text, "gone",
                "gone kind=rss http=404 format=- encoding=- well_formed=- entries=- newest=- "
                "state=http_error error='http status 404'");
    assert_null(line_of(text, "off")); /* disabled */
    assert_line(text, "hot", "hot kind=weibo_hot http=200 format=weibo_hot encoding=- "
                             "well_formed=yes entries=3 newest=2026-12-04T11:30:00Z state=ok");
    assert_line(text, "hotwall",
                "hotwall kind=weibo_hot http=200 format=- encoding=- well_formed=- entries=- "
                "newest=- state=auth_required error='ok:-100: login or cookie required'");
    assert_int_equal(conditional_requests, 0);
    free(text);
}

static void test_check_one_source(void **state)
{
    struct fixture *fx = *state;
    char *ok[] = {"sources", "check", "--config", fx->config, "--source", "feed"};
    char *bad[] = {"sources", "check", "--config", fx->config, "--source", "gone"};
    char *missing[] = {"sources", "check", "--config", fx->config, "--source", "nope"};
    char *usage[] = {"sources", "list"};
    char *no_value[] = {"sources", "check", "--config", fx->config, "--source"}; /* issue #12 */
    char *text = NULL;

    assert_int_equal(run_cli(fx, 6, ok, &text), 0);
    assert_non_null(line_of(text, "feed"));
    assert_null(line_of(text, "html"));
    free(text);
    assert_int_equal(run_cli(fx, 6, bad, &text), 1);
    assert_non_null(strstr(text, "state=http_error"));
    free(text);
    assert_int_equal(run_cli(fx, 6, missing, &text), 2);
    free(text);
    assert_int_equal(run_cli(fx, 2, usage, &text), 2);
    free(text);
    assert_int_equal(run_cli(fx, 5, no_value, &text), 2);
    assert_string_equal(text, ""); /* nothing was checked */
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_check_every_enabled_source, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_one_source, setup, teardown),
    };

    if (cfx_curl_init() != 0) {
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
