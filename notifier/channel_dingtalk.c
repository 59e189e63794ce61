/*
 * 钉钉自定义机器人: POST url?access_token=KEY&timestamp=MS&sign=SIG
 * {"msgtype":"markdown","markdown":{"title","text"}}, SIG = urlencode(base64(HMAC-SHA256(
 * secret, MS "\n" secret))) per request; text at most 20000 bytes, 20 messages a minute.
 */
#include "channel_base.h"
#include "channel.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_banned.h"

int channel_dingtalk_url(const char *base, const char *token, const char *secret, int64_t ts_ms,
                         char **out)
{
    char ts[32], sig[96], *to_sign = NULL, *esc_sig = NULL, *esc_tok = NULL, *param = NULL;
    int err = ERR_NOMEM;

    *out = NULL;
    snprintf(ts, sizeof(ts), "%lld", (long long)ts_ms);
    if (secret && secret[0]) {
        if (asprintf(&to_sign, "%s\n%s", ts, secret) < 0) {
            return ERR_NOMEM;
        }
        if (channel_hmac_b64(secret, strlen(secret), to_sign, strlen(to_sign), sig, sizeof(sig))) {
            goto done;
        }
        esc_sig = curl_easy_escape(NULL, sig, 0); /* once: '+' -> %2B, '/' -> %2F, '=' -> %3D */
        if (!esc_sig) {
            goto done;
        }
    }
    esc_tok = curl_easy_escape(NULL, token ? token : "", 0);
    if (!esc_tok) {
        goto done;
    }
    if ((esc_sig &&
         asprintf(&param, "access_token=%s&timestamp=%s&sign=%s", esc_tok, ts, esc_sig) < 0) ||
        (!esc_sig && asprintf(&param, "access_token=%s", esc_tok) < 0)) {
        param = NULL;
        goto done;
    }
    *out = channel_url_with_param(base, param);
    err = *out ? 0 : ERR_NOMEM;
done:
    free(to_sign);
    free(param);
    curl_free(esc_sig);
    curl_free(esc_tok);
    return err;
}

static int dingtalk_build(const struct notify_channel *ch, const struct outbox_msg *msg,
                          const char *text, int64_t now_ms, struct channel_request *req)
{
    if (channel_dingtalk_url(ch->url, ch->key, ch->secret, now_ms, &req->url)) {
        return ERR_NOMEM;
    }
    return channel_request_json(req, json_pack("{s:s,s:{s:s,s:s}}", "msgtype", "markdown",
                                               "markdown", "title", msg->subject, "text", text));
}

/* 0 ok; 130101 too fast, -1 busy: retry; 460101 too long; 310000 sign, keyword or IP,
 * 300001/300005/400101/400102 token or robot: config. */
static enum channel_outcome dingtalk_answer(long http_status, const char *body, size_t len,
                                            long *code_out)
{
    static const char *const keys[] = {"errcode", NULL};
    static const long retry[] = {130101, -1, 0};
    static const long config[] = {310000, 300001, 300005, 400101, 400102, 0};
    static const struct channel_robot_codes codes = {keys, retry, config, 460101};

    return channel_robot_answer(&codes, http_status, body, len, code_out);
}

static int dingtalk_checks(const struct notify_channel *ch, struct yq_buf *out)
{
    int err = yq_buf_adds(
        out, "- 本机时钟是否准确：加签时间戳与钉钉服务器相差超过 1 小时即被拒绝（310000）\n");
    if (!err) {
        err = yq_buf_addf(out, "- key_file（%s）中的 access_token 是否正确，机器人是否仍存在\n",
                          ch->key_file ? ch->key_file : "未配置");
    }
    if (!err) {
        err = yq_buf_addf(out, "- secret_file（%s）中的加签密钥是否与机器人安全设置一致\n",
                          ch->secret_file ? ch->secret_file : "未配置");
    }
    return err ? err
               : yq_buf_adds(out,
                             "- 机器人安全设置中的自定义关键词、IP 地址段是否拦截了本机或消息\n");
}

const struct channel_ops channel_dingtalk_ops = {
    .name = "dingtalk",
    .type = CHANNEL_DINGTALK,
    .max_bytes = 20000,
    .rate_per_minute = 20,
    .needs_key_file = true,
    .format = channel_format_markdown_breaks,
    .build = dingtalk_build,
    .read_answer = dingtalk_answer,
    .checks = dingtalk_checks,
};
