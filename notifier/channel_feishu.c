/*
 * 飞书自定义机器人: POST url/KEY {"timestamp":"S","sign":SIG,"msg_type":"text",
 * "content":{"text":...}}, SIG = base64(HMAC-SHA256(key = S "\n" secret, message = ""));
 * text at most 18000 bytes (the request body may not exceed 20 KB), 100 messages a minute.
 */
#include "channel_base.h"
#include "channel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_banned.h"

int channel_feishu_sign(const char *secret, int64_t ts_s, char *out, size_t len)
{
    char *key = NULL;
    int err;

    if (asprintf(&key, "%lld\n%s", (long long)ts_s, secret ? secret : "") < 0) {
        return ERR_NOMEM;
    }
    err = channel_hmac_b64(key, strlen(key), "", 0, out, len);
    free(key);
    return err;
}

/* Feishu's text: the message as it is, but for <at user_id="..."> tags feed text could form. */
static char *feishu_format(const struct outbox_msg *msg, size_t max_bytes)
{
    char *text = channel_defuse(msg->body, "<>", msg->link), *out;

    if (!text) {
        return NULL;
    }
    out = channel_fit_utf8(text, max_bytes);
    free(text);
    return out;
}

static int feishu_build(const struct notify_channel *ch, const struct outbox_msg *msg,
                        const char *text, int64_t now_ms, struct channel_request *req)
{
    char sig[96] = "", ts[32];
    size_t ul = strlen(ch->url);
    json_t *root;

    (void)msg;
    snprintf(ts, sizeof(ts), "%lld", (long long)(now_ms / 1000));
    if (asprintf(&req->url, "%s%s%s", ch->url, ul && ch->url[ul - 1] == '/' ? "" : "/",
                 ch->key ? ch->key : "") < 0) {
        req->url = NULL;
        return ERR_NOMEM;
    }
    root = json_pack("{s:s,s:{s:s}}", "msg_type", "text", "content", "text", text);
    if (root && ch->secret && ch->secret[0]) {
        if (channel_feishu_sign(ch->secret, now_ms / 1000, sig, sizeof(sig)) ||
            json_object_set_new(root, "timestamp", json_string(ts)) ||
            json_object_set_new(root, "sign", json_string(sig))) {
            json_decref(root);
            root = NULL;
        }
    }
    return channel_request_json(req, root);
}

/* 0 ok; 9499 rate limit, 11232 frequency: retry; 19021 sign or timestamp, 19022 IP, 19024
 * keyword, 19001/19002 bad hook: config. The code is "code" (or "StatusCode", older hooks). */
static enum channel_outcome feishu_answer(long http_status, const char *body, size_t len,
                                          long *code_out)
{
    static const char *const keys[] = {"code", "StatusCode", NULL};
    static const long retry[] = {9499, 11232, 0};
    static const long config[] = {19021, 19022, 19024, 19001, 19002, 0};
    static const struct channel_robot_codes codes = {keys, retry, config, 0};

    return channel_robot_answer(&codes, http_status, body, len, code_out);
}

static int feishu_checks(const struct notify_channel *ch, struct yq_buf *out)
{
    int err = yq_buf_adds(
        out, "- 本机时钟是否准确：签名时间戳与飞书服务器相差超过 1 小时即被拒绝（19021）\n");
    if (!err) {
        err = yq_buf_addf(out, "- key_file（%s）中的 webhook 标识是否正确，机器人是否仍存在\n",
                          ch->key_file ? ch->key_file : "未配置");
    }
    if (!err) {
        err = yq_buf_addf(out, "- secret_file（%s）中的签名校验密钥是否与机器人安全设置一致\n",
                          ch->secret_file ? ch->secret_file : "未配置");
    }
    return err ? err
               : yq_buf_adds(out,
                             "- 机器人安全设置中的自定义关键词、IP 白名单是否拦截了本机或消息\n");
}

const struct channel_ops channel_feishu_ops = {
    .name = "feishu",
    .type = CHANNEL_FEISHU,
    .max_bytes = 18000,      /* text, UTF-8 bytes */
    .max_body_bytes = 20000, /* the request body may not exceed 20 KB */
    .rate_per_minute = 100,
    .needs_key_file = true,
    .format = feishu_format,
    .build = feishu_build,
    .read_answer = feishu_answer,
    .checks = feishu_checks,
};
