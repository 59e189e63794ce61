/*
 * Generic JSON webhook: POST url with the JSON {"idempotency_key","kind","role","subject",
 * "text","link","ticket_id"} and the header Idempotency-Key; with a secret also
 * X-Yuqing-Timestamp: S and X-Yuqing-Signature: sha256=hex(HMAC-SHA256(secret, S "." body)).
 * Text at most 65536 bytes, no rate limit; judged by the HTTP status.
 */
#include "channel_base.h"
#include "channel.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_banned.h"

/* "sha256=" and the hex HMAC of ts "." body; new string or NULL. */
static char *webhook_signature(const char *secret, const char *ts, const char *body)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char *msg = NULL, *hex;
    if (asprintf(&msg, "%s.%s", ts, body) < 0) {
        return NULL;
    }
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)msg, strlen(msg), md,
              &md_len)) {
        free(msg);
        return NULL;
    }
    free(msg);
    hex = malloc(8 + 2 * md_len + 1);
    if (hex) {
        memcpy(hex, "sha256=", 8);
        for (unsigned i = 0; i < md_len; i++) {
            snprintf(hex + 7 + 2 * i, 3, "%02x", md[i]);
        }
    }
    return hex;
}

static int webhook_build(const struct notify_channel *ch, const struct outbox_msg *msg,
                         const char *text, int64_t now_ms, struct channel_request *req)
{
    char ts[32], *sig;
    int err;

    req->url = strdup(ch->url);
    if (!req->url) {
        return ERR_NOMEM;
    }
    err = channel_request_json(req, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "idempotency_key",
                                              msg->idem_key, "kind", msg->kind, "role", msg->role,
                                              "subject", msg->subject, "text", text, "link",
                                              msg->link, "ticket_id", (json_int_t)msg->ticket_id));
    if (!err) {
        err = channel_request_header(req, "Idempotency-Key", msg->idem_key);
    }
    if (err || !ch->secret || !ch->secret[0]) {
        return err;
    }
    snprintf(ts, sizeof(ts), "%lld", (long long)(now_ms / 1000));
    sig = webhook_signature(ch->secret, ts, req->body);
    err = sig ? channel_request_header(req, "X-Yuqing-Timestamp", ts) : ERR_NOMEM;
    if (!err) {
        err = channel_request_header(req, "X-Yuqing-Signature", sig);
    }
    free(sig);
    return err;
}

static int webhook_checks(const struct notify_channel *ch, struct yq_buf *out)
{
    int err = yq_buf_addf(out, "- secret_file（%s）中的签名密钥是否与接收方一致\n",
                          ch->secret_file ? ch->secret_file : "未配置");
    if (!err) {
        err = yq_buf_adds(out, "- 本机时钟是否准确（接收方可能校验 X-Yuqing-Timestamp）\n");
    }
    return err ? err
               : yq_buf_adds(out, "- 接收方的鉴权设置（HTTP 401/403）与 url 是否正确（HTTP "
                                  "3xx：地址已迁移，不跟随跳转）\n");
}

const struct channel_ops channel_webhook_ops = {
    .name = "webhook",
    .type = CHANNEL_WEBHOOK,
    .max_bytes = CHANNEL_GENERIC_MAX_BYTES,
    .build = webhook_build,
    .checks = webhook_checks,
};
