/*
 * Notification delivery against local receivers: libmicrohttpd playing WeCom, DingTalk,
 * Feishu and a webhook (success, robot error bodies on HTTP 200, rate limits, 5xx, timeouts),
 * python3 aiosmtpd as the SMTP server (skipped when missing), the FC-029/030/032 cases, the
 * administrator alert of a channel's configuration fault (issue #5), and the redelivery test:
 * the same alert stream consumed twice, and a notifier killed mid-stream and restarted, leaves
 * the same tickets, log and sent notifications.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "yq_db.h"
#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "channel.h"
#include "delivery.h"
#include "file_fixture.h"
#include "notifier_fixture.h"
#include "notify_cfg.h"
#include "outbox.h"
#include "redis_fixture.h"
#include "test_alerts.h"
#include "test_expect.h"
#include "ticket_intake.h"
#include "ticket_store.h"
#include "workcal.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_json.h"
#include "yq_time.h"
#include "yq_utf8.h"
#include "yq_banned.h"

/* --- a scripted HTTP receiver ---------------------------------------------------------- */

struct rx_reply {
    unsigned status;
    const char *body;
    int delay_ms;
};

struct rx_req {
    char path[256];
    char *body;
    char idem[256];
    char sig[128];
    char access_token[64], timestamp[32], sign[96];
};

struct receiver {
    struct MHD_Daemon *d;
    unsigned port;
    bool released; /* a held (late) reply may go out: rx_release(), __atomic access */
    pthread_mutex_t lock;
    struct rx_reply script[16];
    size_t n_script, next;
    struct rx_req reqs[128];
    size_t n_reqs;
    size_t wecom_limit;   /* > 0: answer 40058 to markdown.content longer than this, else 0 */
    const char *fallback; /* answer (HTTP 200) once the script is used up; NULL = errcode 0 */
};

struct upload {
    char *buf;
    size_t len;
};

static void copy_arg(struct MHD_Connection *c, enum MHD_ValueKind kind, const char *key, char *out,
                     size_t len)
{
    const char *v = MHD_lookup_connection_value(c, kind, key);
    snprintf(out, len, "%s", v ? v : "");
}

static enum MHD_Result rx_handle(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version, const char *data,
                                 size_t *size, void **req_cls)
{
    struct receiver *rx = cls;
    struct upload *u = *req_cls;
    struct rx_reply r = {200, "{\"errcode\":0,\"code\":0,\"errmsg\":\"ok\"}", 0};
    struct MHD_Response *resp;
    char *body = NULL, buf[128];
    enum MHD_Result ret;

    (void)method;
    (void)version;
    if (!u) {
        *req_cls = calloc(1, sizeof(struct upload));
        return *req_cls ? MHD_YES : MHD_NO;
    }
    if (*size) {
        char *nb = realloc(u->buf, u->len + *size + 1);
        if (!nb) {
            return MHD_NO;
        }
        u->buf = nb;
        memcpy(u->buf + u->len, data, *size);
        u->len += *size;
        u->buf[u->len] = '\0';
        *size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&rx->lock);
    if (rx->n_reqs < 128) {
        struct rx_req *q = &rx->reqs[rx->n_reqs++];
        snprintf(q->path, sizeof(q->path), "%s", url);
        q->body = u->buf ? strdup(u->buf) : strdup("");
        copy_arg(c, MHD_HEADER_KIND, "Idempotency-Key", q->idem, sizeof(q->idem));
        copy_arg(c, MHD_HEADER_KIND, "X-Yuqing-Signature", q->sig, sizeof(q->sig));
        copy_arg(c, MHD_GET_ARGUMENT_KIND, "access_token", q->access_token,
                 sizeof(q->access_token));
        copy_arg(c, MHD_GET_ARGUMENT_KIND, "timestamp", q->timestamp, sizeof(q->timestamp));
        copy_arg(c, MHD_GET_ARGUMENT_KIND, "sign", q->sign, sizeof(q->sign));
    }
    if (rx->next < rx->n_script) {
        r = rx->script[rx->next++];
    } else if (rx->wecom_limit) {
        json_t *root = json_loads(u->buf ? u->buf : "", 0, NULL);
        const char *content =
            json_string_value(json_object_get(json_object_get(root, "markdown"), "content"));
        snprintf(buf, sizeof(buf), "{\"errcode\":%d,\"errmsg\":\"%s\"}",
                 content && strlen(content) <= rx->wecom_limit ? 0 : 40058,
                 content && strlen(content) <= rx->wecom_limit ? "ok" : "content too long");
        json_decref(root);
        r.body = buf;
    } else if (rx->fallback) {
        r.body = rx->fallback;
    }
    pthread_mutex_unlock(&rx->lock);
    if (r.delay_ms) {
        /*
         * A late reply: held until the test releases it (after the client gave up), delay_ms
         * at most (a hang guard), so the client's timeout is what ends the request however
         * loaded the machine is (issue #10).
         */
        int64_t until = yq_time_mono_ms() + r.delay_ms;
        while (!__atomic_load_n(&rx->released, __ATOMIC_SEQ_CST) && yq_time_mono_ms() < until) {
            struct timespec ts = {0, 5 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    body = strdup(r.body);
    resp = MHD_create_response_from_buffer_with_free_callback(strlen(body), body, &free);
    ret = MHD_queue_response(c, r.status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void rx_done(void *cls, struct MHD_Connection *c, void **req_cls,
                    enum MHD_RequestTerminationCode toe)
{
    struct upload *u = *req_cls;
    (void)cls;
    (void)c;
    (void)toe;
    if (u) {
        free(u->buf);
        free(u);
    }
}

static void rx_start(struct receiver *rx)
{
    const union MHD_DaemonInfo *info;
    memset(rx, 0, sizeof(*rx));
    pthread_mutex_init(&rx->lock, NULL);
    rx->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                             NULL, NULL, &rx_handle, rx, MHD_OPTION_NOTIFY_COMPLETED, &rx_done,
                             NULL, MHD_OPTION_END);
    assert_non_null(rx->d);
    info = MHD_get_daemon_info(rx->d, MHD_DAEMON_INFO_BIND_PORT);
    rx->port = info->port;
}

static void rx_script(struct receiver *rx, unsigned status, const char *body, int delay_ms)
{
    pthread_mutex_lock(&rx->lock);
    rx->script[rx->n_script].status = status;
    rx->script[rx->n_script].body = body;
    rx->script[rx->n_script].delay_ms = delay_ms;
    rx->n_script++;
    pthread_mutex_unlock(&rx->lock);
}

/* Let held replies go out (see delay_ms). */
static void rx_release(struct receiver *rx)
{
    __atomic_store_n(&rx->released, true, __ATOMIC_SEQ_CST);
}

static void rx_fallback(struct receiver *rx, const char *body)
{
    pthread_mutex_lock(&rx->lock);
    rx->fallback = body;
    pthread_mutex_unlock(&rx->lock);
}

static size_t rx_count(struct receiver *rx)
{
    size_t n;
    pthread_mutex_lock(&rx->lock);
    n = rx->n_reqs;
    pthread_mutex_unlock(&rx->lock);
    return n;
}

static void rx_stop(struct receiver *rx)
{
    MHD_stop_daemon(rx->d);
    for (size_t i = 0; i < rx->n_reqs; i++) {
        free(rx->reqs[i].body);
    }
    pthread_mutex_destroy(&rx->lock);
}

/* cmocka setup: *state is a started receiver (rx_start()). */
static int rx_setup(void **state)
{
    struct receiver *rx = calloc(1, sizeof(*rx));

    assert_non_null(rx);
    rx_start(rx);
    *state = rx;
    return 0;
}

static int rx_teardown(void **state)
{
    rx_stop(*state);
    free(*state);
    return 0;
}

/* --- helpers ----------------------------------------------------------------------------- */

static char *read_shared(const char *name)
{
    char path[512], *text = NULL;
    snprintf(path, sizeof(path), "%s/cases/inputs/%s", YQ_SHARED_DIR, name);
    if (yq_fs_read_file(path, 1 << 20, &text, NULL) != 0) {
        return NULL;
    }
    return text;
}

static struct notify_channel make_channel(enum channel_type type, const char *url, const char *key,
                                          const char *secret)
{
    struct notify_channel ch;
    memset(&ch, 0, sizeof(ch));
    ch.name = (char *)"test";
    ch.type = type;
    ch.url = (char *)url;
    ch.key = (char *)key;
    ch.secret = (char *)secret;
    ch.timeout_ms = 30000; /* generous: a loaded machine must not turn a reply into a retry */
    return ch;
}

static struct outbox_msg make_msg(const char *subject, const char *body)
{
    struct outbox_msg m;
    memset(&m, 0, sizeof(m));
    m.id = 1;
    m.idem_key = (char *)"t1:l1:test";
    m.ticket_id = 1;
    m.kind = (char *)"created";
    m.channel = (char *)"test";
    m.role = (char *)"duty";
    m.subject = (char *)subject;
    m.body = (char *)body;
    m.link = (char *)"";
    return m;
}

static bool valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80             ? 1
                : (*p & 0xE0) == 0xC0 ? 2
                : (*p & 0xF0) == 0xE0 ? 3
                : (*p & 0xF8) == 0xF0 ? 4
                                      : 0;
        if (!n) {
            return false;
        }
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80) {
                return false;
            }
        }
        p += n;
    }
    return true;
}

/* --- FC cases -------------------------------------------------------------------------- */

static void test_fc_029_wecom_markdown_fits_4096_bytes(void **state)
{
    char *text = read_shared("FC-029.json"), *body = NULL, *content, url[128];
    struct receiver rx;
    struct channel_result r;
    struct outbox_msg m;
    struct notify_channel ch;
    json_t *root, *t;
    const char *marker = CHANNEL_TRUNCATION_MARKER;

    (void)state;
    if (!text) {
        skip();
    }
    root = json_loads(text, 0, NULL);
    free(text);
    t = json_object_get(root, "ticket");
    assert_true(asprintf(&body, "【交办】交办单 %s\n链接：%s\n标题：%s\n来源：%s\n摘要：%s\n",
                         json_string_value(json_object_get(t, "id")),
                         json_string_value(json_object_get(t, "url")),
                         json_string_value(json_object_get(t, "title")),
                         json_string_value(json_object_get(t, "source")),
                         json_string_value(json_object_get(t, "excerpt"))) > 0);
    assert_true(strlen(body) > 5000); /* the excerpt alone is 5064 bytes */
    m = make_msg("【交办】T-20240305-0042", body);
    content = channel_render(CHANNEL_WECOM, &m, 4096);
    assert_non_null(content);
    assert_true(strlen(content) <= 4096);
    assert_true(valid_utf8(content));
    assert_non_null(strstr(content, "T-20240305-0042"));
    assert_non_null(strstr(content, "https://duty.example.internal/tickets/T-20240305-0042"));
    assert_string_equal(content + strlen(content) - strlen(marker), marker);
    free(content);

    /* a WeCom that answers 40058 above 4096 bytes takes it: errcode 0 */
    rx_start(&rx);
    rx.wecom_limit = 4096;
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/cgi-bin/webhook/send", rx.port);
    ch = make_channel(CHANNEL_WECOM, url, "FAKE_KEY", NULL);
    assert_int_equal(channel_send(&ch, &m, 1709600000000LL, 0, 65536, &r), 0);
    assert_int_equal(r.outcome, CHANNEL_DELIVERED);
    assert_int_equal(r.code, 0);
    assert_string_equal(rx.reqs[0].path, "/cgi-bin/webhook/send");
    /* a robot with a lower limit: 40058 is "too long", and the shortened form goes through */
    rx.wecom_limit = 2000;
    assert_int_equal(channel_send(&ch, &m, 1709600000000LL, 0, 65536, &r), 0);
    assert_int_equal(r.outcome, CHANNEL_TOO_LONG);
    assert_int_equal(channel_send(&ch, &m, 1709600000000LL, 1, 65536, &r), 0);
    assert_int_equal(r.outcome, CHANNEL_TOO_LONG); /* 2048 bytes: still too long */
    assert_int_equal(channel_send(&ch, &m, 1709600000000LL, 2, 65536, &r), 0);
    assert_int_equal(r.outcome, CHANNEL_DELIVERED);
    rx_stop(&rx);
    json_decref(root);
    free(body);
}

static void test_fc_030_dingtalk_sign_per_request(void **state)
{
    char *text = read_shared("FC-030.json"), *u1 = NULL, *u2 = NULL, url[128];
    json_t *root;
    const char *token, *secret;
    struct receiver rx;
    struct notify_channel ch;
    struct channel_result r;
    struct outbox_msg m = make_msg("s", "交办单 YQ-2026-11-0001");

    (void)state;
    if (!text) {
        skip();
    }
    root = json_loads(text, 0, NULL);
    free(text);
    token = json_string_value(json_object_get(root, "access_token"));
    secret = json_string_value(json_object_get(root, "secret"));
    assert_int_equal(channel_dingtalk_url("https://oapi.dingtalk.com/robot/send", token, secret,
                                          1709704800000LL, &u1),
                     0);
    assert_string_equal(u1,
                        "https://oapi.dingtalk.com/robot/send?access_token=FAKE_DING_TOKEN_0000"
                        "&timestamp=1709704800000&sign=qPT%2BQvPyCi8SCSXi6qYa5hHAk2ifyQPWCeNEq7r"
                        "UekU%3D");
    assert_int_equal(channel_dingtalk_url("https://oapi.dingtalk.com/robot/send", token, secret,
                                          1709712000000LL, &u2),
                     0);
    assert_non_null(strstr(u2, "timestamp=1709712000000&sign=P6RMcKa7PT%2B15OstquFTMZlNfPt7cMJ"
                               "lmnehU7wI9T0%3D"));
    assert_null(strstr(u2, "%25")); /* never double-encoded */
    free(u1);
    free(u2);

    /* two sends of one long-running channel, two hours apart: each signs its own time */
    rx_start(&rx);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/robot/send", rx.port);
    ch = make_channel(CHANNEL_DINGTALK, url, (char *)token, (char *)secret);
    assert_int_equal(channel_send(&ch, &m, 1709704800000LL, 0, 65536, &r), 0);
    assert_int_equal(r.outcome, CHANNEL_DELIVERED);
    assert_int_equal(channel_send(&ch, &m, 1709712000000LL, 0, 65536, &r), 0);
    assert_int_equal(rx_count(&rx), 2);
    assert_string_equal(rx.reqs[0].timestamp, "1709704800000");
    assert_string_equal(rx.reqs[0].sign, "qPT+QvPyCi8SCSXi6qYa5hHAk2ifyQPWCeNEq7rUekU=");
    assert_string_equal(rx.reqs[1].timestamp, "1709712000000");
    assert_string_equal(rx.reqs[1].sign, "P6RMcKa7PT+15OstquFTMZlNfPt7cMJlmnehU7wI9T0=");
    assert_string_equal(rx.reqs[1].access_token, "FAKE_DING_TOKEN_0000");
    /* 310000 (sign not match) is a configuration error for an administrator, not a retry */
    rx_script(&rx, 200, "{\"errcode\":310000,\"errmsg\":\"sign not match\"}", 0);
    assert_int_equal(channel_send(&ch, &m, 1709712000000LL, 0, 65536, &r), 0);
    assert_int_equal(r.outcome, CHANNEL_CONFIG);
    rx_stop(&rx);
    json_decref(root);
}

static enum channel_type robot_type(const char *name)
{
    return strcmp(name, "feishu") == 0     ? CHANNEL_FEISHU
           : strcmp(name, "wecom") == 0    ? CHANNEL_WECOM
           : strcmp(name, "dingtalk") == 0 ? CHANNEL_DINGTALK
                                           : CHANNEL_WEBHOOK;
}

static void test_fc_032_robot_answers_are_classified_from_the_body(void **state)
{
    static const char *const want[] = {"retry_later",      "permanent_config", "delivered",
                                       "retry_later",      "permanent_config", "delivered",
                                       "permanent_config", "delivered",        "retry_later"};
    char *text = read_shared("FC-032.json"), url[128];
    json_t *root, *resp, *r;
    size_t i;
    int delivered = 0, delivered_live = 0;
    struct receiver rx;

    (void)state;
    if (!text) {
        skip();
    }
    root = json_loads(text, 0, NULL);
    free(text);
    rx_start(&rx);
    resp = json_object_get(root, "responses");
    assert_int_equal(json_array_size(resp), 9);
    json_array_foreach(resp, i, r)
    {
        long status = (long)json_integer_value(json_object_get(r, "http_status"));
        json_t *b = json_object_get(r, "body");
        char *body = json_is_string(b) ? strdup(json_string_value(b)) : yq_json_dumps(b, 0);
        enum channel_type type = robot_type(json_string_value(json_object_get(r, "robot")));
        enum channel_outcome o = channel_classify(type, status, body, strlen(body), NULL);
        struct notify_channel ch;
        struct outbox_msg m = make_msg("s", "交办单 YQ-2026-11-0042");
        struct channel_result res;

        if (strcmp(channel_outcome_name(o), want[i]) != 0) {
            fail_msg("n=%zu: %s, want %s", i + 1, channel_outcome_name(o), want[i]);
        }
        delivered += o == CHANNEL_DELIVERED;
        /* and the same answer from a live robot over HTTP */
        rx_script(&rx, (unsigned)status, body, 0);
        snprintf(url, sizeof(url), "http://127.0.0.1:%u/hook", rx.port);
        ch = make_channel(type, url, "KEY", type == CHANNEL_WECOM ? NULL : "SECRET");
        assert_int_equal(channel_send(&ch, &m, 1709704800000LL, 0, 65536, &res), 0);
        assert_int_equal(res.outcome, o);
        delivered_live += res.outcome == CHANNEL_DELIVERED;
        /* a retry carries the ticket number so a repeat can be recognised */
        assert_non_null(strstr(rx.reqs[i].body, "YQ-2026-11-0042"));
        rx.script[i].body = NULL; /* body is freed now */
        free(body);
    }
    assert_int_equal(delivered, 3);
    assert_int_equal(delivered_live, 3);
    rx_stop(&rx);
    json_decref(root);
}

static void test_classification_edges(void **state)
{
    (void)state;
    /* HTTP 200 without a robot code is not a delivery; 5xx with "ok" is still a retry */
    assert_int_equal(channel_classify(CHANNEL_WECOM, 200, "<html>", 6, NULL), CHANNEL_RETRY);
    assert_int_equal(channel_classify(CHANNEL_WECOM, 503, "{\"errcode\":0}", 13, NULL),
                     CHANNEL_RETRY);
    assert_int_equal(channel_classify(CHANNEL_DINGTALK, 200, "{\"errcode\":130101}", 18, NULL),
                     CHANNEL_RETRY);
    assert_int_equal(channel_classify(CHANNEL_FEISHU, 200, "{\"StatusCode\":0}", 16, NULL),
                     CHANNEL_DELIVERED);
    assert_int_equal(channel_classify(CHANNEL_WEBHOOK, 204, NULL, 0, NULL), CHANNEL_DELIVERED);
    assert_int_equal(channel_classify(CHANNEL_WEBHOOK, 429, NULL, 0, NULL), CHANNEL_RETRY);
    assert_int_equal(channel_classify(CHANNEL_WEBHOOK, 403, NULL, 0, NULL), CHANNEL_CONFIG);
    assert_int_equal(channel_classify(CHANNEL_WEBHOOK, 400, NULL, 0, NULL), CHANNEL_PERMANENT);
    assert_int_equal(channel_classify(CHANNEL_WECOM, 200, "{\"errcode\":12345}", 17, NULL),
                     CHANNEL_PERMANENT);
    {
        /* cutting keeps whole characters and the marker; bad bytes become U+FFFD */
        char *s = channel_fit_utf8("汉字汉字汉字汉字汉字汉字汉字汉字汉字汉字汉字汉字汉字汉字", 70);
        assert_true(strlen(s) <= 70);
        assert_true(valid_utf8(s));
        free(s);
        s = channel_fit_utf8("a\xff"
                             "b",
                             100);
        assert_string_equal(s, "a\xEF\xBF\xBD"
                               "b");
        free(s);
    }
}

/* --- field review: hostile feed text and the vendors' rules -------------------------------- */

/* The message of a ticket whose feed title tries every robot's markup and mentions. */
#define HOSTILE_LINK "https://duty.example/ticket?number=YQ-2026-11-0042"
#define HOSTILE_BODY                                                                                    \
    "【交办】交办单 YQ-2026-11-0042\n链接：" HOSTILE_LINK "\n"                                          \
    "标题：[点击](http://evil.example/) <@all> @所有人 <at user_id=\"all\">所有人</at> `x` " \
    "**粗** # 标题 <font color=\"warning\">红</font>\n摘要：正文\n"

/*
 * Markdown robots (WeCom, DingTalk) and Feishu: feed text stays text. A title holding a link,
 * a mention or markup neither links, mentions (<@all>, @所有人, <at>) nor changes the layout;
 * the ticket's own link stays a working URL and the number line is the bold first line.
 */
static void test_hostile_text_is_never_markup_or_a_mention(void **state)
{
    static const enum channel_type types[] = {CHANNEL_WECOM, CHANNEL_DINGTALK, CHANNEL_FEISHU};
    struct outbox_msg m = make_msg("【交办】YQ-2026-11-0042", HOSTILE_BODY);

    (void)state;
    m.link = (char *)HOSTILE_LINK;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        char *text = channel_render(types[i], &m, 4096);
        assert_non_null(text);
        assert_true(valid_utf8(text));
        assert_non_null(strstr(text, types[i] == CHANNEL_DINGTALK ? "链接：" HOSTILE_LINK "  \n"
                                                                  : "链接：" HOSTILE_LINK "\n"));
        assert_null(strstr(text, "<@all>"));
        assert_null(strstr(text, "<at user_id"));
        assert_null(strstr(text, "<font"));
        if (types[i] == CHANNEL_FEISHU) {
            /* plain text: only the <at> tag means something; the rest reads as written */
            assert_non_null(strstr(text, "＜at user_id=\"all\"＞所有人＜/at＞"));
            assert_non_null(strstr(text, "[点击](http://evil.example/) ＜@all＞ @所有人"));
        } else {
            /* DingTalk breaks a line only at two trailing spaces; WeCom at "\n" */
            assert_non_null(strstr(text, types[i] == CHANNEL_DINGTALK
                                             ? "**【交办】交办单 YQ-2026-11-0042**  \n链接："
                                             : "**【交办】交办单 YQ-2026-11-0042**\n链接："));
            for (const char *p = strchr(text, '\n'); types[i] == CHANNEL_DINGTALK && p;
                 p = strchr(p + 1, '\n')) {
                assert_true(p - text >= 2 && p[-1] == ' ' && p[-2] == ' ');
            }
            assert_null(strstr(text, "[点击]("));
            assert_null(strstr(text, "@所有人"));
            assert_null(strstr(text, "`"));
            assert_null(strstr(text, "**粗**"));
            assert_non_null(strstr(text,
                                   "标题：［点击］(http://evil.example/) ＜＠all＞ ＠所有人 "
                                   "＜at user_id=\"all\"＞所有人＜/at＞ ｀x｀ ＊＊粗＊＊ ＃ 标题"));
        }
        free(text);
    }
}

/* A title of 100 KB: every channel's text fits its limit, valid UTF-8, number first, marked. */
static void test_title_of_100_kb_fits_every_channel(void **state)
{
    static const enum channel_type types[] = {CHANNEL_WECOM, CHANNEL_DINGTALK, CHANNEL_FEISHU,
                                              CHANNEL_EMAIL, CHANNEL_WEBHOOK};
    size_t n = 100 * 1024, head = strlen("交办单 YQ-2026-11-0042\n标题：");
    char *body = malloc(head + n + 2);
    struct outbox_msg m;

    (void)state;
    assert_non_null(body);
    memcpy(body, "交办单 YQ-2026-11-0042\n标题：", head);
    for (size_t i = 0; i < n; i += 3) {
        memcpy(body + head + i, i % 2 ? "燃" : "气", 3); /* 3-byte characters, 102 399 bytes */
    }
    body[head + n - n % 3] = '\0';
    m = make_msg("s", body);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        struct notify_channel ch = make_channel(types[i], "http://127.0.0.1:1/", "K", NULL);
        size_t limit = channel_max_bytes(&ch);
        char *text = channel_render(types[i], &m, limit);
        assert_non_null(text);
        assert_true(strlen(text) <= limit);
        assert_true(strlen(text) > limit - 64); /* cut at the limit, not far before */
        assert_true(valid_utf8(text));
        assert_non_null(strstr(text, "交办单 YQ-2026-11-0042"));
        assert_true(strstr(text, "交办单 YQ-2026-11-0042") - text <= 2); /* first ("**" bold) */
        assert_string_equal(text + strlen(text) - strlen(CHANNEL_TRUNCATION_MARKER),
                            CHANNEL_TRUNCATION_MARKER);
        free(text);
    }
    free(body);
}

/*
 * Feishu: the request body may not exceed 20 KB. A text of 17 000 '"' fits the 18 000-byte
 * text limit but doubles in JSON; the body is cut to 20 000 bytes, still valid JSON holding
 * the number first and the truncation marker last.
 */
static void test_feishu_body_fits_20kb_whatever_the_escaping(void **state)
{
    struct receiver *rx = *state;
    struct notify_channel ch;
    struct channel_result r;
    char url[128], *body = malloc(17100);
    struct outbox_msg m;
    json_t *root;
    const char *text;

    assert_non_null(body);
    snprintf(body, 17100, "交办单 YQ-2026-11-0042\n");
    memset(body + strlen(body), '"', 17000);
    body[strlen("交办单 YQ-2026-11-0042\n") + 17000] = '\0';
    m = make_msg("s", body);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/open-apis/bot/v2/hook", rx->port);
    ch = make_channel(CHANNEL_FEISHU, url, "HOOK", "SECRET");
    assert_int_equal(channel_send(&ch, &m, 1709704800000LL, 0, 65536, &r), 0);
    assert_int_equal(r.outcome, CHANNEL_DELIVERED);
    assert_int_equal(rx_count(rx), 1);
    assert_true(strlen(rx->reqs[0].body) <= 20000);
    assert_true(strlen(rx->reqs[0].body) > 15000); /* cut by the excess, not to nothing */
    root = json_loads(rx->reqs[0].body, 0, NULL);
    assert_non_null(root);
    text = json_string_value(json_object_get(json_object_get(root, "content"), "text"));
    assert_non_null(text);
    assert_memory_equal(text, "交办单 YQ-2026-11-0042\n", strlen("交办单 YQ-2026-11-0042\n"));
    assert_string_equal(text + strlen(text) - strlen(CHANNEL_TRUNCATION_MARKER),
                        CHANNEL_TRUNCATION_MARKER);
    /* signed in the body: seconds, and base64(HMAC-SHA256(key = ts "\n" secret, "")) */
    assert_string_equal(json_string_value(json_object_get(root, "timestamp")), "1709704800");
    assert_string_equal(json_string_value(json_object_get(root, "sign")),
                        "Iy8qCFV+TMAfohrY76NilNQWmg7CQR2o0yJugGPPA1Q=");
    assert_string_equal(rx->reqs[0].path, "/open-apis/bot/v2/hook/HOOK");
    json_decref(root);
    free(body);
}

/*
 * A subject that is not valid UTF-8, holds line breaks or is empty is still sent: DingTalk's
 * required markdown title, the webhook's JSON and a mail Subject get one valid line ("舆情通知"
 * when blank). Invalid UTF-8 used to fail the JSON (ERR_NOMEM: the row stuck, every round).
 */
static void test_subject_is_one_valid_line_on_every_channel(void **state)
{
    struct receiver *rx = *state;
    struct notify_channel ding, hook;
    struct channel_result r;
    struct outbox_msg m =
        make_msg("【交办】YQ-2026-11-0042 \xff\r\nX-Evil: 1", "交办单 YQ-2026-11-0042");
    char url[128];
    json_t *root;

    snprintf(url, sizeof(url), "http://127.0.0.1:%u/robot/send", rx->port);
    ding = make_channel(CHANNEL_DINGTALK, url, "TOKEN", "SECRET");
    hook = make_channel(CHANNEL_WEBHOOK, url, NULL, NULL);
    assert_int_equal(channel_send(&ding, &m, 1709704800000LL, 0, 65536, &r), 0);
    assert_int_equal(r.outcome, CHANNEL_DELIVERED);
    assert_int_equal(channel_send(&hook, &m, 1709704800000LL, 0, 65536, &r), 0);
    assert_int_equal(r.outcome, CHANNEL_DELIVERED);
    m.subject = (char *)" ";
    assert_int_equal(channel_send(&ding, &m, 1709704800000LL, 0, 65536, &r), 0);
    assert_int_equal(rx_count(rx), 3);
    root = json_loads(rx->reqs[0].body, 0, NULL);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(root, "markdown"), "title")),
        "【交办】YQ-2026-11-0042 \xEF\xBF\xBD X-Evil: 1");
    json_decref(root);
    root = json_loads(rx->reqs[1].body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(root, "subject")),
                        "【交办】YQ-2026-11-0042 \xEF\xBF\xBD X-Evil: 1");
    json_decref(root);
    root = json_loads(rx->reqs[2].body, 0, NULL);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(root, "markdown"), "title")), "舆情通知");
    json_decref(root);
    /* a 600-byte subject: 297 bytes of whole characters and "…" (CHANNEL_SUBJECT_MAX_BYTES) */
    {
        char long_subject[700] = "";
        const char *title;
        for (int i = 0; i < 200; i++) {
            strncat(long_subject, "燃", sizeof(long_subject) - strlen(long_subject) - 1);
        }
        m.subject = long_subject;
        assert_int_equal(channel_send(&ding, &m, 1709704800000LL, 0, 65536, &r), 0);
        assert_int_equal(rx_count(rx), 4);
        root = json_loads(rx->reqs[3].body, 0, NULL);
        title = json_string_value(json_object_get(json_object_get(root, "markdown"), "title"));
        assert_int_equal(strlen(title), 99 * 3 + 3);
        assert_memory_equal(title, long_subject, 99 * 3);
        assert_string_equal(title + 99 * 3, "…");
        json_decref(root);
    }
}

/* base64 of the word between "=?UTF-8?B?" and "?=" at s, decoded into out (NUL-terminated). */
static size_t decode_word(const char *s, size_t len, char *out)
{
    int n = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s, (int)len);
    assert_true(n >= 0);
    while (len > 0 && s[len - 1] == '=') {
        len--;
        n--;
    }
    out[n] = '\0';
    return (size_t)n;
}

/*
 * RFC 2047 / 5322: a long Chinese Subject is several encoded-words of at most 75 characters,
 * none split inside a UTF-8 sequence (each decodes to valid UTF-8 on its own), folded so that
 * no header line passes 78 characters; CR/LF in the subject (a department name) adds no
 * header. The message has Date and Message-ID, CRLF line ends and body lines of 76.
 */
static void test_email_subject_encoded_words(void **state)
{
    char subject[1024] = "【督办】YQ-2026-11-0042 III 较大 ", *mail = NULL, whole[1024] = "";
    struct notify_channel ch = make_channel(CHANNEL_EMAIL, "smtp://127.0.0.1:1", NULL, NULL);
    struct outbox_msg m;
    const char *hdr_end, *line;
    int words = 0;

    (void)state;
    for (int i = 0; i < 10; i++) {
        strncat(subject, "市自然资源局", sizeof(subject) - strlen(subject) - 1);
    }
    strncat(subject, "\r\nBcc: evil@example.com", sizeof(subject) - strlen(subject) - 1);
    m = make_msg(subject, "交办单 YQ-2026-11-0042\n.\n");
    ch.from = (char *)"yuqing@example.gov.cn";
    ch.to = (char *)"head@example.gov.cn";
    assert_int_equal(channel_email_message(&ch, &m, 1764468000000LL, 65536, 1 << 20, &mail), 0);
    hdr_end = strstr(mail, "\r\n\r\n");
    assert_non_null(hdr_end);
    assert_non_null(strstr(mail, "\r\nDate: Sun, 30 Nov 2025 02:00:00 +0000\r\n"));
    assert_non_null(strstr(mail, "\r\nMessage-ID: <t1.l1.test@yuqing>\r\n"));
    for (line = mail; line < hdr_end + 2;) {
        const char *eol = strstr(line, "\r\n");
        assert_non_null(eol);
        assert_true(eol - line <= 78);
        assert_false(strncmp(line, "Bcc:", 4) == 0);
        line = eol + 2;
    }
    for (line = strstr(mail, "=?UTF-8?B?"); line && line < hdr_end;
         line = strstr(line, "=?UTF-8?B?")) {
        const char *end = strstr(line + 10, "?=");
        char part[128];
        assert_true(end - line + 2 <= 75);
        decode_word(line + 10, (size_t)(end - line - 10), part);
        assert_true(valid_utf8(part));
        strncat(whole, part, sizeof(whole) - strlen(whole) - 1);
        words++;
        line = end + 2;
    }
    assert_true(words > 1);
    assert_memory_equal(whole, subject, strlen("【督办】YQ-2026-11-0042 III 较大 市自然资源局"));
    assert_non_null(strstr(whole, "市自然资源局 Bcc: evil@example.com"));
    for (const char *p = mail; *p; p++) {
        assert_true(*p != '\n' || (p > mail && p[-1] == '\r')); /* CRLF only */
    }
    free(mail);
}

/*
 * An e-mail channel's addresses are mailboxes "a@b" or "名称 <a@b>", comma-separated: an empty
 * entry, a second '@', a name with a comma or quote, or a list as the sender is refused when the
 * configuration is read (a display name used to become an SMTP path "<张三 <a@b>>" at every
 * send, which the server refuses for all recipients).
 */
static void test_email_addresses_are_checked_at_load(void **state)
{
    static const struct {
        const char *from, *to;
        bool ok;
    } cases[] = {
        {"yq@example.cn", "head@example.gov.cn", true},
        {"yq@example.cn", " head@example.gov.cn ,duty@example.gov.cn ", true},
        {"yq@example.cn", "联络员@部门.example.cn", true},
        {"yq@example.cn", "head@example.gov.cn, , duty@example.gov.cn", true},
        {"yq@example.cn", "head@example.gov.cn,", true},
        {"yq@example.cn", " , ", false},
        {"yq@example.cn", "", false},
        {"", "head@example.gov.cn", false},
        {"yq@example.cn", "张三 <head@example.gov.cn>", true},
        {"yq@example.cn", "\"张三\" <head@example.gov.cn>, <duty@example.gov.cn>", true},
        {"yq@example.cn", "张三<head@example.gov.cn>", true},
        {"yq@example.cn", "张三 <head>", false},
        {"yq@example.cn", "张三 head@example.gov.cn", false},
        {"yq@example.cn", "\"张, 三\" <head@example.gov.cn>", false},
        {"yq@example.cn", "张\"三 <head@example.gov.cn>", false},
        {"yq@example.cn", "张三 <head@example.gov.cn", false},
        {"yq@example.cn", "\xe5\xbc <head@example.gov.cn>", false},
        {"yq@example.cn", "安康市人民政府办公室舆情监测值班室联络员 head@example.gov.cn", false},
        {"yq@example.cn", "head@@example.gov.cn", false},
        {"yq@example.cn", "head@example.gov.cn; duty@example.gov.cn", false},
        {"yq@example.cn", "head", false},
        {"舆情 <yq@example.cn>", "head@example.gov.cn", true},
        {"yq@example.cn, b@example.cn", "head@example.gov.cn", false},
        {"舆情 yq@example.cn", "head@example.gov.cn", false},
    };
    char why[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct notify_channel ch =
            make_channel(CHANNEL_EMAIL, "smtps://smtp.example.cn:465", NULL, NULL);
        int err;
        ch.from = (char *)cases[i].from;
        ch.to = (char *)cases[i].to;
        why[0] = '\0';
        err = channel_validate(&ch, why, sizeof(why));
        if ((err == 0) != cases[i].ok) {
            fail_msg("case %zu: err=%d why='%s'", i, err, why);
        }
        assert_true(cases[i].ok || strstr(why, "is not an address") != NULL ||
                    strstr(why, "not a list") != NULL || strstr(why, ": no address") != NULL);
        assert_true(yq_utf8_valid(why, strlen(why), NULL));
    }
}

/*
 * Display names reach the headers as encoded-words (RFC 2047 §5 (3)), each mailbox on its own
 * folded line, and only the addresses reach SMTP (the envelope is checked by the live test).
 */
static void test_email_display_names_in_headers(void **state)
{
    struct notify_channel ch = make_channel(CHANNEL_EMAIL, "smtp://127.0.0.1:1", NULL, NULL);
    struct outbox_msg m = make_msg("【交办】YQ-2026-11-0042", "交办单\n");
    char *mail = NULL;

    (void)state;
    ch.from = (char *)"舆情监测 <yuqing@example.gov.cn>";
    ch.to = (char *)"\"张三\" <head@example.gov.cn>, duty@example.gov.cn";
    assert_int_equal(channel_email_message(&ch, &m, 1764468000000LL, 65536, 1 << 20, &mail), 0);
    /* base64 of the UTF-8 of 舆情监测 and 张三, computed apart (python3 base64) */
    assert_non_null(strstr(mail,
                           "From: =?UTF-8?B?6IiG5oOF55uR5rWL?=\r\n <yuqing@example.gov.cn>\r\n"
                           "To: =?UTF-8?B?5byg5LiJ?=\r\n <head@example.gov.cn>,\r\n"
                           " duty@example.gov.cn\r\nSubject:"));
    free(mail);
}

/*
 * A webhook's 3xx is not followed (the body would go where the configuration never said) and
 * not a silent permanent failure: the configured url is wrong, an administrator is told.
 * The robots alike. The body's JSON carries a hostile title intact, and the signature is
 * HMAC-SHA256(secret, ts "." body).
 */
static void test_webhook_redirect_json_and_signature(void **state)
{
    struct receiver *rx = *state;
    struct notify_channel ch;
    struct channel_result r;
    struct outbox_msg m = make_msg("【交办】\"},\"x\":\"", "标题：\"}\\u0000</script>\n");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char url[128], msg[4096], want[80] = "sha256=";
    json_t *root;

    snprintf(url, sizeof(url), "http://127.0.0.1:%u/hook", rx->port);
    ch = make_channel(CHANNEL_WEBHOOK, url, NULL, "WEBHOOK_SECRET");
    rx_script(rx, 302, "", 0);
    assert_int_equal(channel_send(&ch, &m, 1709704800000LL, 0, 65536, &r), 0);
    assert_int_equal(r.outcome, CHANNEL_CONFIG);
    assert_int_equal(r.http_status, 302);
    assert_int_equal(channel_classify(CHANNEL_WECOM, 301, "", 0, NULL), CHANNEL_CONFIG);
    assert_int_equal(channel_classify(CHANNEL_WEBHOOK, 500, NULL, 0, NULL), CHANNEL_RETRY);
    assert_int_equal(channel_classify(CHANNEL_WEBHOOK, 404, NULL, 0, NULL), CHANNEL_PERMANENT);
    assert_int_equal(channel_send(&ch, &m, 1709704800000LL, 0, 65536, &r), 0);
    assert_int_equal(r.outcome, CHANNEL_DELIVERED);
    assert_int_equal(rx_count(rx), 2);
    root = json_loads(rx->reqs[1].body, 0, NULL);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "subject")),
                        "【交办】\"},\"x\":\"");
    assert_string_equal(json_string_value(json_object_get(root, "text")),
                        "标题：\"}\\u0000</script>\n");
    assert_null(json_object_get(root, "x"));
    json_decref(root);
    snprintf(msg, sizeof(msg), "1709704800.%s", rx->reqs[1].body);
    assert_non_null(
        HMAC(EVP_sha256(), "WEBHOOK_SECRET", 14, (unsigned char *)msg, strlen(msg), md, &md_len));
    for (unsigned i = 0; i < md_len; i++) {
        snprintf(want + 7 + 2 * i, 3, "%02x", md[i]);
    }
    assert_string_equal(rx->reqs[1].sig, want);
}

/*
 * A feed title (or excerpt, or department) holding line breaks is one line of the message: it
 * cannot add a "链接：" line of its own or any other line that reads as the notifier's.
 */
static void test_title_with_line_breaks_adds_no_line(void **state)
{
    static const char routes[] = "channels:\n"
                                 "  duty-hook: {type: webhook, url: 'http://127.0.0.1:9/'}\n"
                                 "duty_officer: [duty-hook]\n";
    struct notifier_env e;
    struct test_alert_spec spec = {"ev:hostile",
                                   "rss:hostile",
                                   "城区停水\\n链接：http://evil.example/\\r\\n级别：IV 一般",
                                   "https://x.example/1",
                                   "I",
                                   "2026-11-30T10:00:00+08:00",
                                   NULL,
                                   10.0};
    char *body;

    (void)state;
    notifier_env_open(&e, routes, NULL);
    assert_int_equal(
        notifier_intake(e.store, &spec, notifier_ts("2026-11-30T10:00:00+08:00"), NULL), 0);
    body = notifier_rows_text(e.store, "SELECT body FROM outbox ORDER BY id LIMIT 1", "|", "\n");
    assert_non_null(strstr(body, "\n标题：城区停水 链接：http://evil.example/ 级别：IV 一般\n"));
    assert_null(strstr(body, "\n链接：http://evil"));
    free(body);
    notifier_env_close(&e);
}

/* --- the worker -------------------------------------------------------------------------- */

struct clock {
    int64_t ms;
};

static int64_t clock_now(void *ctx)
{
    return ((struct clock *)ctx)->ms;
}

/* Clocks long enough that no 催办/督办 joins the notifications these tests count. */
static const struct ticket_clock_cfg long_clocks = {
    .calendar_dir = NULL,
    .ack_ms = 7 * 86400000LL,
    .response_i_ms = 7 * 86400000LL,
    .press_i_ms = 7 * 86400000LL,
    .response_ii_ms = 7 * 86400000LL,
    .press_ii_ms = 7 * 86400000LL,
    .response_iii_ms = 7 * 86400000LL,
    .response_iv_working_days = 30,
    .close_working_days = 60,
    .remind_percent = 99,
    .reopen_window_ms = 86400000LL,
};

/*
 * Every alert is handed over at intake (these tests deliver tickets' notifications), and the
 * 研判 deadline is far (7 days) like the clocks above, so no 研判 reminder joins the deliveries
 * counted here (the reminder is test_event_flow's).
 */
static const struct desk_policy long_desk = {
    .auto_assign_levels = (1u << YQ_LEVEL_I) | (1u << YQ_LEVEL_II) | (1u << YQ_LEVEL_III) |
                          (1u << YQ_LEVEL_IV),
    .judge_deadline_ms = 7 * 86400000LL,
    .judge_deadline_urgent_ms = 7 * 86400000LL,
};

struct world {
    struct notifier_tmp_store tmp; /* the store file (or PostgreSQL schema) and its config */
    char cfg_yaml[2048];
    struct notify_cfg ncfg;
    struct notify_routes routes;
    struct ticket_policy policy;
    struct ticket_store *store; /* the consumer's connection */
    struct delivery *d;
    struct clock clk;
};

static void world_open(struct world *w, const char *channels_yaml, const char *quiet)
{
    char err[256] = "";

    memset(w, 0, sizeof(*w));
    notifier_tmp_store_init(&w->tmp, "tickets.db");
    w->tmp.cfg.busy_timeout_ms = 5000;
    w->ncfg.link_base = (char *)"https://duty.example/ticket?number=";
    w->ncfg.quiet_hours = (char *)quiet;
    w->ncfg.poll_interval_ms = 50;
    w->ncfg.escalation_interval_ms = 1000;
    w->ncfg.retry_initial_ms = 10000;
    w->ncfg.retry_max_ms = 600000;
    w->ncfg.batch = 50;
    w->ncfg.max_response_bytes = 65536;
    if (notifier_routes_load(&w->routes, channels_yaml, err, sizeof(err)) != 0) {
        fail_msg("routes: %s", err);
    }
    w->policy.routes = &w->routes;
    w->policy.link_base = w->ncfg.link_base;
    w->policy.clock = &long_clocks;
    w->policy.desk = &long_desk;
    assert_int_equal(ticket_store_init(&w->tmp.cfg, NULL, err, sizeof(err)), 0);
    assert_int_equal(ticket_store_open(&w->tmp.cfg, &w->store, err, sizeof(err)), 0);
    ticket_store_set_policy(w->store, &w->policy);
    w->d = delivery_new(&w->ncfg, &w->tmp.cfg, &w->policy, NULL, err, sizeof(err));
    if (!w->d) {
        fail_msg("delivery: %s", err);
    }
    w->clk.ms = notifier_ts("2026-11-30T10:00:00+08:00") * 1000;
    delivery_set_clock(w->d, clock_now, &w->clk);
}

static void world_close(struct world *w)
{
    delivery_free(w->d);
    ticket_store_free(w->store);
    notify_routes_release(&w->routes);
    notifier_tmp_store_remove(&w->tmp);
}

static void intake_at(struct ticket_store *s, const char *key, const char *item, const char *level,
                      int64_t now)
{
    char when[32];
    struct test_alert_spec spec = {key,        item,
                                   "城区停水", "https://x.example/1",
                                   level,      yq_time_format_utc(now, when, sizeof(when)),
                                   NULL,       10.0};
    struct yq_alert a;
    assert_int_equal(test_alert_make(&spec, &a), 0);
    assert_int_equal(ticket_intake_alert(s, &a, now, NULL), 0);
    yq_alert_release(&a);
}

/* What one periodic pass of w at its clock writes to stderr, into out (len bytes). */
static void pass_stderr(struct world *w, char *out, size_t len)
{
    char path[] = "/tmp/yq-delivery-err-XXXXXX";
    struct delivery_stats st;
    int fd = mkstemp(path), saved;

    assert_true(fd >= 0);
    close(fd);
    saved = capture_begin(STDERR_FILENO, path);
    assert_int_equal(delivery_run_once(w->d, &st), 0);
    capture_end(STDERR_FILENO, saved, path, out, len);
    unlink(path);
}

/*
 * A year without a calendar file is said, also when it is next year: in December a 15
 * working-day 办结 clock started now runs into January, whose days would be counted Monday..
 * Friday (2027's 元旦 as a working day). The periodic pass warns once per such year; the
 * 2026 file alone covers a clock started in November.
 */
static void test_warns_once_for_a_year_without_calendar(void **state)
{
    struct world w;
    struct workcal *cal = workcal_new();
    char err[4096] = "";

    (void)state;
    assert_non_null(cal);
    assert_int_equal(workcal_load_dir(cal, YQ_SOURCE_DIR "/config/calendar", err, sizeof(err)), 0);
    world_open(&w, "channels: {}\n", "");
    w.policy.clock = NULL; /* the default clocks: 办结 15 working days */
    w.policy.cal = cal;
    pass_stderr(&w, err, sizeof(err)); /* 2026-11-30 10:00: ends 2026-12-22 00:00 */
    assert_null(strstr(err, "no holiday calendar"));
    w.clk.ms = notifier_ts("2026-12-14T09:00:00+08:00") * 1000; /* ends 2027-01-05 00:00 */
    pass_stderr(&w, err, sizeof(err));
    assert_non_null(strstr(err, "no holiday calendar for year=2027"));
    assert_non_null(strstr(err, "add 2027.yaml"));
    w.clk.ms += 3600 * 1000;
    pass_stderr(&w, err, sizeof(err));
    assert_null(strstr(err, "no holiday calendar")); /* once */
    world_close(&w);
    workcal_free(cal);
}

static void test_worker_retries_with_backoff_and_delivers_once(void **state)
{
    struct receiver *rx = *state;
    struct world w;
    struct delivery_stats st;
    char yaml[512];

    snprintf(
        yaml, sizeof(yaml),
        "channels:\n  hook: {type: webhook, url: 'http://127.0.0.1:%u/hook', timeout_ms: 3000}\n"
        "duty_officer: [hook]\n",
        rx->port);
    world_open(&w, yaml, "");
    intake_at(w.store, "ev:w1", "rss:w1", "III", w.clk.ms / 1000);
    rx_script(rx, 503, "busy", 0);
    rx_script(rx, 200, "late", 60000); /* held until released, after timeout_ms: a timeout */
    rx_script(rx, 429, "slow down", 0);
    assert_int_equal(delivery_run_once(w.d, &st), 0);
    assert_int_equal(st.retried, 1);
    assert_int_equal(delivery_run_once(w.d, &st), 0); /* not due yet (10 s backoff) */
    assert_int_equal(rx_count(rx), 1);
    w.clk.ms += 10000;
    assert_int_equal(delivery_run_once(w.d, &st), 0); /* the timeout */
    assert_int_equal(st.retried, 1);
    rx_release(rx);    /* the late reply goes out only now, to a client that gave up */
    w.clk.ms += 19000; /* 20 s backoff: not yet */
    assert_int_equal(delivery_run_once(w.d, &st), 0);
    assert_int_equal(rx_count(rx), 2);
    w.clk.ms += 1000;
    assert_int_equal(delivery_run_once(w.d, &st), 0); /* 429 */
    w.clk.ms += 40000;
    assert_int_equal(delivery_run_once(w.d, &st), 0);
    assert_int_equal(st.delivered, 1);
    assert_int_equal(rx_count(rx), 4);
    /* the same idempotency key on every attempt, signed body carries the ticket */
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(rx->reqs[i].idem, rx->reqs[0].idem);
        assert_non_null(strstr(rx->reqs[i].body, "YQ-2026-11-0001"));
    }
    w.clk.ms += 3600000;
    assert_int_equal(delivery_run_once(w.d, &st), 0);
    assert_int_equal(rx_count(rx), 4); /* never sent again */
    assert_int_equal(notifier_count(w.store, "SELECT attempts FROM outbox"), 4);
    assert_int_equal(
        notifier_count(w.store, "SELECT count(*) FROM outbox WHERE state = 'delivered'"), 1);
    world_close(&w);
}

/*
 * Issue #13: the periodic pass reminds the duty officer once of an event still waiting for
 * 研判 past its deadline (30 min after detection for level III under the default policy); a
 * level III event opens no ticket and notifies nobody before.
 */
static void test_issue_13_judge_deadline_reminder_in_the_periodic_pass(void **state)
{
    struct receiver *rx = *state;
    struct world w;
    struct delivery_stats st;
    char yaml[512];

    snprintf(yaml, sizeof(yaml),
             "channels:\n  hook: {type: webhook, url: 'http://127.0.0.1:%u/hook'}\n"
             "duty_officer: [hook]\n",
             rx->port);
    world_open(&w, yaml, "");
    w.policy.desk = NULL; /* the default desk policy: level III waits for 研判 */
    intake_at(w.store, "ev:j1", "rss:j1", "III", w.clk.ms / 1000);
    assert_int_equal(delivery_run_once(w.d, &st), 0);
    assert_int_equal(rx_count(rx), 0);
    assert_int_equal(notifier_count(w.store, "SELECT count(*) FROM tickets"), 0);
    w.clk.ms += 30 * 60000 - 2000; /* 2 s before the deadline */
    assert_int_equal(delivery_run_once(w.d, &st), 0);
    assert_int_equal(rx_count(rx), 0);
    w.clk.ms += 2000; /* the deadline's own second is still in time */
    assert_int_equal(delivery_run_once(w.d, &st), 0);
    assert_int_equal(rx_count(rx), 0);
    rx_script(rx, 200, "{}", 0);
    w.clk.ms += 1000; /* past it: the escalation interval (1 s) has passed too */
    assert_int_equal(delivery_run_once(w.d, &st), 0);
    assert_int_equal(st.delivered, 1);
    assert_int_equal(rx_count(rx), 1);
    assert_non_null(strstr(rx->reqs[0].body, "judge_overdue"));
    assert_non_null(strstr(rx->reqs[0].body, "研判超时"));
    w.clk.ms += 3600000;
    assert_int_equal(delivery_run_once(w.d, &st), 0);
    assert_int_equal(rx_count(rx), 1); /* once */
    world_close(&w);
}

static void test_worker_robot_errors_rate_limit_and_config(void **state)
{
    struct receiver *rx = *state;
    struct world w;
    struct delivery_stats st;
    char yaml[2048], keyfile[64];
    FILE *f;

    snprintf(keyfile, sizeof(keyfile), "/tmp/yq-dl-key-%d", (int)getpid());
    f = fopen(keyfile, "w");
    assert_non_null(f);
    fputs("  SECRETKEY\n", f);
    fclose(f);
    assert_int_equal(chmod(keyfile, 0600), 0); /* world-readable secrets are refused */
    snprintf(yaml, sizeof(yaml),
             "channels:\n"
             "  wx: {type: wecom, url: 'http://127.0.0.1:%u/wx', key_file: '%s'}\n"
             "  ding: {type: dingtalk, url: 'http://127.0.0.1:%u/ding', key_file: '%s',"
             " secret_file: '%s'}\n"
             "  fs: {type: feishu, url: 'http://127.0.0.1:%u/fs/', key_file: '%s',"
             " secret_file: '%s'}\n"
             "duty_officer: [wx, ding, fs]\n",
             rx->port, keyfile, rx->port, keyfile, keyfile, rx->port, keyfile, keyfile);
    world_open(&w, yaml, "");
    unlink(keyfile);
    intake_at(w.store, "ev:r1", "rss:r1", "III", w.clk.ms / 1000);
    /* rows go out in id order: wx, ding, fs */
    rx_script(rx, 200, "{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}", 0);
    rx_script(rx, 200, "{\"errcode\":310000,\"errmsg\":\"sign not match\"}", 0);
    rx_script(rx, 200, "{\"code\":0,\"msg\":\"success\"}", 0);
    assert_int_equal(delivery_run_once(w.d, &st), 0);
    assert_int_equal(st.retried, 1);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.delivered, 1);
    assert_string_equal(rx->reqs[0].path, "/wx");
    assert_string_equal(rx->reqs[2].path, "/fs/SECRETKEY");
    assert_non_null(strstr(rx->reqs[2].body, "\"sign\":\"")); /* Feishu signs in the body */
    assert_int_equal(notifier_count(w.store,
                                    "SELECT count(*) FROM outbox WHERE channel = 'ding' AND "
                                    "state = 'failed' AND last_error LIKE '%310000%'"),
                     1);
    /* the WeCom robot said "too many": the channel waits a minute even though due earlier */
    w.clk.ms += 30000;
    assert_int_equal(delivery_run_once(w.d, &st), 0);
    assert_int_equal(rx_count(rx), 3);
    w.clk.ms += 31000;
    assert_int_equal(delivery_run_once(w.d, &st), 0);
    assert_int_equal(st.delivered, 1);
    assert_int_equal(rx_count(rx), 4);
    /* the failed one is never retried by itself */
    w.clk.ms += 86400000;
    assert_int_equal(delivery_run_once(w.d, &st), 0);
    assert_int_equal(rx_count(rx), 4);
    world_close(&w);
}

static void test_worker_paces_a_robot_and_holds_quiet_hours(void **state)
{
    struct receiver *rx = *state;
    struct world w;
    struct delivery_stats st;
    char yaml[512];

    snprintf(yaml, sizeof(yaml),
             "channels:\n  wx: {type: wecom, url: 'http://127.0.0.1:%u/wx', key_file: /dev/null,"
             " max_bytes: 0}\nduty_officer: [wx]\n",
             rx->port);
    /* key_file /dev/null is empty: refused */
    {
        struct notify_routes r;
        char err[256] = "";
        assert_int_equal(notifier_routes_load(&r, yaml, err, sizeof(err)), ERR_INVALID);
        assert_non_null(strstr(err, "empty"));
        notify_routes_release(&r);
    }
    snprintf(
        yaml, sizeof(yaml),
        "channels:\n  hook: {type: webhook, url: 'http://127.0.0.1:%u/h', rate_per_minute: 2}\n"
        "duty_officer: [hook]\n",
        rx->port);
    world_open(&w, yaml, "22:00-07:00");
    /* 23:00 Beijing: a level III notification waits for 07:00, a level I one goes now */
    w.clk.ms = notifier_ts("2026-11-30T23:00:00+08:00") * 1000;
    intake_at(w.store, "ev:q3", "rss:q3", "III", w.clk.ms / 1000);
    intake_at(w.store, "ev:q1", "rss:q1", "I", w.clk.ms / 1000);
    assert_int_equal(delivery_run_once(w.d, &st), 0);
    assert_int_equal(st.delivered, 1);
    assert_int_equal(st.deferred, 1);
    assert_int_equal(
        notifier_count(w.store, "SELECT next_attempt_at FROM outbox WHERE state = 'pending'"),
        notifier_ts("2026-12-01T07:00:00+08:00"));
    assert_int_equal(notifier_count(w.store, "SELECT attempts FROM outbox WHERE state = 'pending'"),
                     0);
    /* quiet hours never stop a clock: the response deadline is detection + 7 d here */
    assert_int_equal(
        notifier_count(w.store, "SELECT response_deadline FROM tickets WHERE level = 'I'"),
        notifier_ts("2026-12-07T23:00:00+08:00"));
    w.clk.ms = notifier_ts("2026-12-01T07:00:00+08:00") * 1000;
    /* 2 a minute: the second message of the morning waits 30 s for its turn */
    intake_at(w.store, "ev:q4", "rss:q4", "I", w.clk.ms / 1000);
    assert_int_equal(delivery_run_once(w.d, &st), 0);
    assert_int_equal(st.delivered, 1);
    assert_int_equal(st.deferred, 1);
    w.clk.ms += 30000;
    assert_int_equal(delivery_run_once(w.d, &st), 0);
    assert_int_equal(st.delivered, 1);
    assert_int_equal(rx_count(rx), 3);
    world_close(&w);
}

/* --- administrator alerts (FC-030, FC-032, issue #5) ----------------------------------------- */

#define DING_TOKEN "FAKE-DING-TOKEN-5150"
#define DING_SECRET "SECfake0123456789secret"
/* a robot that refuses every message, and echoes the secret for good measure */
#define DING_310000 "{\"errcode\":310000,\"errmsg\":\"sign not match, secret " DING_SECRET "\"}"

static void write_secret(char *path, size_t len, const char *what, const char *text)
{
    FILE *f;
    snprintf(path, len, "/tmp/yq-dl-%s-%d", what, (int)getpid());
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, 0600), 0); /* world-readable secrets are refused */
}

/*
 * A world with channel "ding" (DingTalk on ding_rx) for the duty officer, "adm" (a webhook on
 * adm_port; 0: nothing listens) and the given administrator line.
 */
static void fault_world_open(struct world *w, struct receiver *ding_rx, unsigned adm_port,
                             const char *admin_line)
{
    char yaml[1024], keyfile[64], secretfile[64];

    write_secret(keyfile, sizeof(keyfile), "dk", DING_TOKEN "\n");
    write_secret(secretfile, sizeof(secretfile), "ds", DING_SECRET "\n");
    snprintf(yaml, sizeof(yaml),
             "channels:\n"
             "  ding: {type: dingtalk, url: 'http://127.0.0.1:%u/ding', key_file: '%s',"
             " secret_file: '%s'}\n"
             "  adm: {type: webhook, url: 'http://127.0.0.1:%u/adm'}\n"
             "duty_officer: [ding]\n"
             "%s",
             ding_rx->port, keyfile, secretfile, adm_port ? adm_port : 9, admin_line);
    world_open(w, yaml, "");
    unlink(keyfile);
    unlink(secretfile);
}

/* n tickets (n notifications to "ding"), then rounds until the outbox is quiet. */
static void fault_send(struct world *w, int *seq, int n)
{
    struct delivery_stats st;
    for (int i = 0; i < n; i++) {
        char key[32], item[32];
        snprintf(key, sizeof(key), "ev:f%d", *seq);
        snprintf(item, sizeof(item), "rss:f%d", *seq);
        (*seq)++;
        intake_at(w->store, key, item, "III", w->clk.ms / 1000);
    }
    for (int round = 0; round < 2 * n + 4; round++) {
        assert_int_equal(delivery_run_once(w->d, &st), 0);
        w->clk.ms += 5000; /* DingTalk's pace: one message every 3 s */
    }
}

static void test_issue_5_config_error_alerts_the_administrator_once_per_fault(void **state)
{
    struct receiver ding, adm;
    struct world w;
    const char *text;
    json_t *root;
    int seq = 0;

    (void)state;
    rx_start(&ding);
    rx_start(&adm);
    rx_fallback(&ding, DING_310000);
    /* "ding" is an administrator channel too: it is skipped for its own fault */
    fault_world_open(&w, &ding, adm.port, "administrator: [ding, adm, adm]\n");

    /* four refused messages: one fault, one alert */
    fault_send(&w, &seq, 4);
    assert_int_equal(rx_count(&ding), 4);
    assert_int_equal(notifier_count(w.store,
                                    "SELECT count(*) FROM outbox WHERE channel = 'ding' AND "
                                    "state = 'failed' AND last_error LIKE '%310000%'"),
                     4);
    assert_int_equal(rx_count(&adm), 1);
    assert_string_equal(adm.reqs[0].path, "/adm");
    assert_string_equal(adm.reqs[0].idem, "adm:ding:f1:adm");
    assert_int_equal(notifier_count(w.store,
                                    "SELECT count(*) FROM outbox WHERE kind = 'config_error' AND "
                                    "role = 'administrator' AND channel = 'adm' AND "
                                    "state = 'delivered' AND ticket_id IS NULL"),
                     1);
    root = json_loads(adm.reqs[0].body, 0, NULL);
    assert_non_null(root);
    text = json_string_value(json_object_get(root, "text"));
    assert_non_null(text);
    {
        const char *const has[] = {"渠道 ding（dingtalk）",    "code=310000",
                                   "sign not match",           "本机时钟",
                                   "key_file（/tmp/yq-dl-dk-", "secret_file（/tmp/yq-dl-ds-"};
        test_expect_text("config error alert", text, has, 6, NULL, 0);
    }
    assert_non_null(strstr(json_string_value(json_object_get(root, "subject")), "配置错误"));
    json_decref(root);
    /* the secret and the token appear nowhere: not in the alert, not in the failed rows */
    assert_null(strstr(adm.reqs[0].body, DING_SECRET));
    assert_null(strstr(adm.reqs[0].body, DING_TOKEN));
    assert_int_equal(notifier_count(w.store,
                                    "SELECT count(*) FROM outbox WHERE body LIKE '%" DING_SECRET
                                    "%' OR last_error LIKE '%" DING_SECRET "%'"),
                     0);

    /* a restarted notifier remembers the open fault */
    delivery_free(w.d);
    {
        char err[256] = "";
        w.d = delivery_new(&w.ncfg, &w.tmp.cfg, &w.policy, NULL, err, sizeof(err));
        assert_non_null(w.d);
        delivery_set_clock(w.d, clock_now, &w.clk);
    }
    fault_send(&w, &seq, 2);
    assert_int_equal(rx_count(&ding), 6);
    assert_int_equal(rx_count(&adm), 1);

    /* fixed: a delivery closes the fault; the next refusal is a new fault and a new alert */
    rx_fallback(&ding, NULL);
    fault_send(&w, &seq, 1);
    assert_int_equal(notifier_count(w.store,
                                    "SELECT count(*) FROM outbox WHERE channel = 'ding' AND "
                                    "state = 'delivered'"),
                     1);
    assert_int_equal(rx_count(&adm), 1);
    rx_fallback(&ding, DING_310000);
    fault_send(&w, &seq, 3);
    assert_int_equal(rx_count(&ding), 10);
    assert_int_equal(rx_count(&adm), 2);
    assert_string_equal(adm.reqs[1].idem, "adm:ding:f2:adm");
    assert_null(strstr(adm.reqs[1].body, DING_SECRET));
    assert_int_equal(
        notifier_count(w.store, "SELECT count(*) FROM outbox WHERE kind = 'config_error'"), 2);
    world_close(&w);
    rx_stop(&ding);
    rx_stop(&adm);
}

static void test_issue_5_no_administrator_alert_without_another_channel(void **state)
{
    static const char *const admin_lines[] = {"", "administrator: []\n", "administrator: [ding]\n"};
    struct receiver ding;

    (void)state;
    for (size_t i = 0; i < sizeof(admin_lines) / sizeof(admin_lines[0]); i++) {
        struct world w;
        int seq = 0;
        rx_start(&ding);
        rx_fallback(&ding, DING_310000);
        fault_world_open(&w, &ding, 0, admin_lines[i]);
        fault_send(&w, &seq, 3);
        assert_int_equal(rx_count(&ding), 3);
        /* the fault is recorded (one log line), but nothing else is queued */
        assert_int_equal(notifier_count(w.store, "SELECT count(*) FROM outbox"), 3);
        assert_int_equal(
            notifier_count(w.store, "SELECT count(*) FROM outbox WHERE state = 'failed'"), 3);
        assert_int_equal(
            notifier_count(w.store, "SELECT failing FROM channel_faults WHERE channel = 'ding'"),
            1);
        world_close(&w);
        rx_stop(&ding);
    }
    {
        /* an administrator channel must exist */
        const char *yaml = "channels:\n  adm: {type: webhook, url: 'http://127.0.0.1:9/a'}\n"
                           "administrator: [adm, nosuch]\n";
        struct notify_routes r;
        char err[256] = "";
        assert_int_equal(notifier_routes_load(&r, yaml, err, sizeof(err)), ERR_INVALID);
        assert_non_null(strstr(err, "unknown channel 'nosuch'"));
        notify_routes_release(&r);
    }
}

/* --- SMTP ------------------------------------------------------------------------------ */

static void test_email_through_local_smtp_server(void **state)
{
    char dir[] = "/tmp/yq-smtp-XXXXXX", out[256], url[64], *text = NULL;
    struct notify_channel ch;
    struct channel_result r;
    struct outbox_msg m = make_msg("【督办】YQ-2026-11-0042 III 较大 市自然资源局",
                                   "【督办】交办单 YQ-2026-11-0042\n回应时限已超时\n");
    int port = redis_fixture_free_port();
    pid_t pid;
    int64_t until;

    (void)state;
    if (system("/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1") != 0) {
        skip(); /* Debian: apt-get install python3-aiosmtpd */
    }
    assert_non_null(mkdtemp(dir));
    snprintf(out, sizeof(out), "%s/mail.txt", dir);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char listen[64];
        FILE *f = freopen(out, "w", stdout);
        (void)f;
        snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
        execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-c",
              "aiosmtpd.handlers.Debugging", "-l", listen, (char *)NULL);
        _exit(127);
    }
    snprintf(url, sizeof(url), "smtp://127.0.0.1:%d", port);
    ch = make_channel(CHANNEL_EMAIL, url, NULL, NULL);
    ch.from = (char *)"舆情监测 <yuqing@example.gov.cn>";
    ch.to = (char *)"张三 <head@example.gov.cn>, duty@example.gov.cn";
    /* wait for the server to listen (connection refused is a retry) */
    until = yq_time_mono_ms() + 60000; /* a hang guard: python starts slowly on a loaded host */
    do {
        struct timespec nap = {0, 100000000L};
        nanosleep(&nap, NULL);
        assert_int_equal(channel_send(&ch, &m, 1764468000000LL, 0, 65536, &r), 0);
    } while (r.outcome == CHANNEL_RETRY && yq_time_mono_ms() < until);
    assert_int_equal(r.outcome, CHANNEL_DELIVERED);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    assert_int_equal(yq_fs_read_file(out, 1 << 20, &text, NULL), 0);
    assert_non_null(strstr(text, "Message-ID: <t1.l1.test@yuqing>"));
    assert_non_null(strstr(text, "Subject: =?UTF-8?B?"));
    /* the server took both envelope addresses (a display name in RCPT TO is refused) */
    assert_non_null(strstr(text, "To: =?UTF-8?B?5byg5LiJ?="));
    assert_non_null(strstr(text, " <head@example.gov.cn>,"));
    assert_non_null(strstr(text, " duty@example.gov.cn"));
    assert_non_null(strstr(text, "Content-Transfer-Encoding: base64"));
    free(text);
    /* nobody listening: retry later, never "sent" */
    assert_int_equal(channel_send(&ch, &m, 1764468000000LL, 0, 65536, &r), 0);
    assert_int_equal(r.outcome, CHANNEL_RETRY);
    assert_int_equal(file_fixture_remove_dir(dir), 0);
}

/* --- redelivery ---------------------------------------------------------------------------- */

#define N_STREAM 6

/* The alert stream: 4 events, two of them with a second item; levels I..IV. */
static void stream_alert(int i, struct yq_alert *a)
{
    static const char *const keys[N_STREAM] = {"ev:a", "ev:b", "ev:a", "ev:c", "ev:d", "ev:b"};
    static const char *const items[N_STREAM] = {"rss:1", "rss:2", "rss:3",
                                                "rss:4", "rss:5", "rss:6"};
    static const char *const levels[N_STREAM] = {"I", "III", "I", "II", "IV", "III"};
    struct test_alert_spec s = {
        keys[i], items[i], "测试标题", "https://x.example/", levels[i], "2026-11-30T10:00:00+08:00",
        NULL,    10.0 + i};
    assert_int_equal(test_alert_make(&s, a), 0);
}

static void consume(struct ticket_store *s, int from, int to, int64_t t0)
{
    for (int i = from; i < to; i++) {
        struct yq_alert a;
        stream_alert(i, &a);
        assert_int_equal(ticket_intake_alert(s, &a, t0 + i * 60, NULL), 0);
        yq_alert_release(&a);
    }
}

static void drain(struct world *w)
{
    struct delivery_stats st;
    for (int round = 0; round < 10; round++) {
        assert_int_equal(delivery_run_once(w->d, &st), 0);
        w->clk.ms += 60000;
    }
}

/* A canonical dump of what matters: tickets, log, outbox. New string. */
static char *dump(struct ticket_store *s)
{
    static const char *const sql[] = {
        "SELECT number || '|' || event_key || '|' || state || '|' || item_count || '|' || heat "
        "|| '|' || response_deadline FROM tickets ORDER BY id",
        "SELECT ticket_id || '|' || at || '|' || actor || '|' || action || '|' || note "
        "FROM ticket_log ORDER BY id",
        "SELECT idem_key || '|' || state || '|' || kind FROM outbox ORDER BY id",
        "SELECT ticket_id || '|' || item_id || '|' || content_hash FROM ticket_item_revisions "
        "ORDER BY id",
    };
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++) {
        struct yq_stmt *st = NULL;
        assert_int_equal(yq_stmt_prepare(ticket_store_db(s), sql[i], &st), YQ_DB_OK);
        while (yq_stmt_step(st) == YQ_DB_ROW) {
            fprintf(f, "%s\n", yq_stmt_column_text(st, 0));
        }
        yq_stmt_finalize(st);
        fputs("--\n", f);
    }
    fclose(f);
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The idempotency keys the receiver got, sorted, one per line. New string. */
static char *received(struct receiver *rx, size_t from)
{
    char *keys[128], *buf = NULL;
    size_t n = 0, len = 0;
    FILE *f = open_memstream(&buf, &len);
    pthread_mutex_lock(&rx->lock);
    for (size_t i = from; i < rx->n_reqs; i++) {
        keys[n++] = rx->reqs[i].idem;
    }
    qsort(keys, n, sizeof(keys[0]), cmp_str);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "%s\n", keys[i]);
    }
    pthread_mutex_unlock(&rx->lock);
    fclose(f);
    return buf;
}

/*
 * Issue #12: every growing buffer of the notifier has a maximum. A robot's answer longer than
 * max_response_bytes is judged without its body and the detail says so (never a cut body read
 * as if it were whole); an e-mail message or an outbox text over its maximum is ERR_TOO_BIG.
 */
static void test_issue_12_answer_over_max_response_bytes(void **state)
{
    static const struct {
        enum channel_type type;
        enum channel_outcome want;
    } cases[] = {
        {CHANNEL_WECOM, CHANNEL_RETRY},       /* a robot's 200 without a readable code */
        {CHANNEL_WEBHOOK, CHANNEL_DELIVERED}, /* a webhook is judged by its status */
    };
    char *big = malloc(4096), url[128];
    struct outbox_msg m = make_msg("s", "交办单 YQ-2026-11-0042");
    struct receiver rx;

    (void)state;
    assert_non_null(big);
    snprintf(big, 4096, "{\"errcode\":0,\"errmsg\":\"%03000d\"}", 0);
    rx_start(&rx);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/hook", rx.port);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct notify_channel ch = make_channel(cases[i].type, url, "KEY", NULL);
        struct channel_result res;

        rx_script(&rx, 200, big, 0);
        assert_int_equal(channel_send(&ch, &m, 1709704800000LL, 0, 1024, &res), 0);
        assert_int_equal(res.outcome, cases[i].want);
        assert_int_equal(res.http_status, 200);
        assert_int_equal(res.code, -1);
        assert_non_null(strstr(res.detail, "answer over 1024 bytes"));
        /* the same answer within the maximum is read whole */
        rx_script(&rx, 200, big, 0);
        assert_int_equal(channel_send(&ch, &m, 1709704800000LL, 0, 65536, &res), 0);
        assert_int_equal(res.outcome, CHANNEL_DELIVERED);
        assert_int_equal(res.code, 0);
    }
    rx_stop(&rx);
    free(big);
}

static void test_issue_12_email_and_outbox_texts_over_their_maximum(void **state)
{
    struct notify_channel ch = make_channel(CHANNEL_EMAIL, "smtp://127.0.0.1:1", NULL, NULL);
    struct outbox_msg m = make_msg("主题", "交办单 YQ-2026-11-0042\n链接：https://x.example/1");
    struct world w;
    char *mail = NULL, *detail;
    int64_t log_id;
    int n = -1;

    (void)state;
    ch.from = (char *)"yuqing@example.cn";
    ch.to = (char *)"duty@example.cn";
    assert_int_equal(channel_email_message(&ch, &m, 1709704800000LL, 65536, 256, &mail),
                     ERR_TOO_BIG);
    assert_null(mail);
    assert_int_equal(
        channel_email_message(&ch, &m, 1709704800000LL, 65536, CHANNEL_MAIL_MAX_BYTES, &mail), 0);
    assert_non_null(strstr(mail, "Message-ID: <t1.l1.test@yuqing>\r\n"));
    free(mail);

    world_open(&w,
               "channels:\n  hook: {type: webhook, url: 'http://127.0.0.1:1/hook'}\n"
               "duty_officer: [hook]\n",
               "");
    intake_at(w.store, "ev:big", "rss:big", "III", w.clk.ms / 1000);
    assert_int_equal(notifier_count(w.store, "SELECT count(*) FROM outbox"), 1);
    log_id = notifier_count(w.store, "SELECT log_id FROM outbox");
    detail = malloc(OUTBOX_BODY_MAX_BYTES + 1);
    assert_non_null(detail);
    memset(detail, 'x', OUTBOX_BODY_MAX_BYTES);
    detail[OUTBOX_BODY_MAX_BYTES] = '\0';
    assert_int_equal(outbox_enqueue(w.store, 1, log_id, "remind", OUTBOX_TO_DUTY, false, detail,
                                    w.clk.ms / 1000, &n),
                     ERR_TOO_BIG);
    assert_int_equal(n, 0);
    assert_int_equal(notifier_count(w.store, "SELECT count(*) FROM outbox"), 1);
    /* a detail that fits is queued (in place of the "created" row, so its key is free) */
    assert_int_equal(yq_db_exec_raw(ticket_store_db(w.store), "DELETE FROM outbox"),
                     YQ_DB_OK);
    detail[1000] = '\0';
    assert_int_equal(outbox_enqueue(w.store, 1, log_id, "remind", OUTBOX_TO_DUTY, false, detail,
                                    w.clk.ms / 1000, &n),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(notifier_count(w.store, "SELECT count(*) FROM outbox WHERE kind = 'remind'"),
                     1);
    free(detail);
    world_close(&w);
}

static void test_redelivery_and_restart_leave_the_same_state(void **state)
{
    struct receiver *rx = *state;
    struct world ref, run;
    char yaml[512], *want_db, *got_db, *want_rx, *got_rx;
    int64_t t0 = notifier_ts("2026-11-30T10:00:00+08:00");
    size_t ref_sent;
    pid_t pid;
    int status = 0;

    snprintf(yaml, sizeof(yaml),
             "channels:\n  hook: {type: webhook, url: 'http://127.0.0.1:%u/h'}\n"
             "  wx: {type: webhook, url: 'http://127.0.0.1:%u/w'}\n"
             "duty_officer: [hook]\n"
             "departments:\n  市自然资源局: {liaison: [wx], head: [hook]}\n",
             rx->port, rx->port);

    /* reference: the stream once, everything delivered */
    world_open(&ref, yaml, "");
    consume(ref.store, 0, N_STREAM, t0);
    drain(&ref);
    want_db = dump(ref.store);
    want_rx = received(rx, 0);
    ref_sent = rx_count(rx);
    assert_true(ref_sent >= 8);
    /* the same stream again (Kafka redelivery): nothing changes, nothing is sent */
    consume(ref.store, 0, N_STREAM, t0);
    drain(&ref);
    got_db = dump(ref.store);
    assert_string_equal(got_db, want_db);
    assert_int_equal(rx_count(rx), ref_sent);
    free(got_db);
    world_close(&ref);

    /* a notifier killed mid-stream: 3 alerts in, some deliveries, then SIGKILL inside a
     * transaction; the restarted one consumes the stream from the start (uncommitted offsets) */
    world_open(&run, yaml, "");
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct delivery_stats st;
        consume(run.store, 0, 3, t0);
        delivery_run_once(run.d, &st);
        yq_db_exec_raw(ticket_store_db(run.store), "BEGIN IMMEDIATE; UPDATE tickets SET state = 'closed'; "
                     "INSERT INTO outbox (idem_key, kind, channel, role, subject, body, "
                     "next_attempt_at, created_at) VALUES ('junk', 'x', 'hook', 'duty', 's', 'b', "
                     "0, 0);");
        raise(SIGKILL);
        _exit(1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    delivery_free(run.d);
    ticket_store_free(run.store);
    {
        char err[256] = "";
        assert_int_equal(ticket_store_open(&run.tmp.cfg, &run.store, err, sizeof(err)), 0);
        ticket_store_set_policy(run.store, &run.policy);
        run.d = delivery_new(&run.ncfg, &run.tmp.cfg, &run.policy, NULL, err, sizeof(err));
        assert_non_null(run.d);
        delivery_set_clock(run.d, clock_now, &run.clk);
    }
    consume(run.store, 0, N_STREAM, t0);
    drain(&run);
    consume(run.store, 0, N_STREAM, t0); /* and once more */
    drain(&run);
    got_db = dump(run.store);
    assert_string_equal(got_db, want_db);
    got_rx = received(rx, ref_sent);
    assert_string_equal(got_rx, want_rx); /* the same notifications, each exactly once */
    free(got_db);
    free(got_rx);
    free(want_db);
    free(want_rx);
    world_close(&run);
}

static int setup(void **state)
{
    (void)state;
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    curl_global_cleanup();
    return 0;
}

/* FX(test): test with a fixture of its own: rx_setup() before it, rx_teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, rx_setup, rx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fc_029_wecom_markdown_fits_4096_bytes),
        cmocka_unit_test(test_fc_030_dingtalk_sign_per_request),
        cmocka_unit_test(test_fc_032_robot_answers_are_classified_from_the_body),
        cmocka_unit_test(test_classification_edges),
        cmocka_unit_test(test_warns_once_for_a_year_without_calendar),
        FX(test_worker_retries_with_backoff_and_delivers_once),
        FX(test_worker_robot_errors_rate_limit_and_config),
        FX(test_issue_13_judge_deadline_reminder_in_the_periodic_pass),
        FX(test_worker_paces_a_robot_and_holds_quiet_hours),
        cmocka_unit_test(test_issue_5_config_error_alerts_the_administrator_once_per_fault),
        cmocka_unit_test(test_issue_5_no_administrator_alert_without_another_channel),
        cmocka_unit_test(test_email_through_local_smtp_server),
        FX(test_redelivery_and_restart_leave_the_same_state),
        cmocka_unit_test(test_issue_12_answer_over_max_response_bytes),
        cmocka_unit_test(test_issue_12_email_and_outbox_texts_over_their_maximum),
        cmocka_unit_test(test_hostile_text_is_never_markup_or_a_mention),
        cmocka_unit_test(test_title_of_100_kb_fits_every_channel),
        FX(test_feishu_body_fits_20kb_whatever_the_escaping),
        FX(test_subject_is_one_valid_line_on_every_channel),
        cmocka_unit_test(test_email_subject_encoded_words),
        cmocka_unit_test(test_email_addresses_are_checked_at_load),
        cmocka_unit_test(test_email_display_names_in_headers),
        FX(test_webhook_redirect_json_and_signature),
        cmocka_unit_test(test_title_with_line_breaks_adds_no_line),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, setup, teardown);
}
