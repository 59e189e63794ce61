/*
 * 企业微信群机器人: POST url?key=KEY {"msgtype":"markdown","markdown":{"content":...}};
 * content at most 4096 UTF-8 bytes (FC-029), 20 messages a minute per robot.
 */
#include "channel_base.h"
#include "channel.h"

#include <curl/curl.h>
#include <stdlib.h>

#include "yq_err.h"
#include "yq_banned.h"

static int wecom_build(const struct notify_channel *ch, const struct outbox_msg *msg,
                       const char *text, int64_t now_ms, struct channel_request *req)
{
    char *esc = curl_easy_escape(NULL, ch->key ? ch->key : "", 0);
    char *param = NULL;

    (void)msg;
    (void)now_ms;
    if (esc && asprintf(&param, "key=%s", esc) < 0) {
        param = NULL;
    }
    curl_free(esc);
    req->url = param ? channel_url_with_param(ch->url, param) : NULL;
    free(param);
    if (!req->url) {
        return ERR_NOMEM;
    }
    return channel_request_json(
        req, json_pack("{s:s,s:{s:s}}", "msgtype", "markdown", "markdown", "content", text));
}

/* 0 ok; 45009 rate limit and -1 busy: retry; 40058 too long; 93000 invalid webhook URL,
 * 40001/40014/93004/93017 bad key or robot: config. */
static enum channel_outcome wecom_answer(long http_status, const char *body, size_t len,
                                         long *code_out)
{
    static const char *const keys[] = {"errcode", NULL};
    static const long retry[] = {45009, -1, 0};
    static const long config[] = {93000, 40001, 40014, 93004, 93017, 0};
    static const struct channel_robot_codes codes = {keys, retry, config, 40058};

    return channel_robot_answer(&codes, http_status, body, len, code_out);
}

static int wecom_checks(const struct notify_channel *ch, struct yq_buf *out)
{
    int err = yq_buf_addf(
        out, "- key_file（%s）中的 webhook key 是否正确，机器人是否已被移出群聊或删除\n",
        ch->key_file ? ch->key_file : "未配置");
    return err ? err
               : yq_buf_adds(out,
                             "- url 是否为企业微信群机器人的 webhook 地址（93000 表示地址无效）\n");
}

const struct channel_ops channel_wecom_ops = {
    .name = "wecom",
    .type = CHANNEL_WECOM,
    .max_bytes = 4096, /* markdown.content, UTF-8 bytes (FC-029) */
    .rate_per_minute = 20,
    .needs_key_file = true,
    .format = channel_format_markdown,
    .build = wecom_build,
    .read_answer = wecom_answer,
    .checks = wecom_checks,
};
