/* API tokens ("yqt_..."): create, look up, list and revoke. */
#include "web_auth_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "yq_err.h"
#include "yq_log.h"
#include "yq_banned.h"

int web_token_create(struct web_auth *a, const char *username, const char *name, int64_t ttl_s,
                     int64_t now, char *token_out, size_t len, int64_t *id_out)
{
    char raw[WEB_TOKEN_LEN + 1], hash[65];
    struct web_user u;
    struct yq_stmt *st = NULL;
    int err;

    if (len < sizeof(WEB_API_TOKEN_PREFIX) + WEB_TOKEN_LEN) {
        return ERR_INVALID;
    }
    if (name && (strlen(name) >= WEB_DISPLAY_MAX || !web_auth_text_ok(name))) {
        return ERR_INVALID;
    }
    if (ttl_s < 0 || ttl_s > (int64_t)WEB_TOKEN_TTL_MAX_DAYS * 86400) {
        return ERR_INVALID; /* negative or huge lifetimes never expire or wrap */
    }
    web_auth_token_new(raw);
    snprintf(token_out, len, "%s%s", WEB_API_TOKEN_PREFIX, raw);
    sodium_memzero(raw, sizeof(raw));
    web_auth_token_hash(token_out, hash);
    web_auth_lock(a);
    err = web_auth_user_get_locked(a, username, &u);
    if (!err) {
        err = web_auth_prepare(a,
                               "INSERT INTO web_api_tokens (token_hash, user_id, name, created_at, "
                               "expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                               &st, "token create");
    }
    if (!err) {
        web_auth_bind_text(st, 1, hash);
        yq_stmt_bind_int64(st, 2, u.id);
        web_auth_bind_text(st, 3, name ? name : "");
        yq_stmt_bind_int64(st, 4, now);
        yq_stmt_bind_int64(st, 5, ttl_s > 0 ? now + ttl_s : 0);
        err = web_auth_run_id(a, st, "token create", id_out);
    }
    web_auth_unlock(a);
    if (err) {
        sodium_memzero(token_out, len);
    }
    return err;
}

int web_token_lookup(struct web_auth *a, const char *token, int64_t now,
                     struct web_principal *p_out)
{
    char hash[65];
    int64_t id = 0;
    int err;

    memset(p_out, 0, sizeof(*p_out));
    if (!token || strlen(token) != sizeof(WEB_API_TOKEN_PREFIX) - 1 + WEB_TOKEN_LEN ||
        strncmp(token, WEB_API_TOKEN_PREFIX, sizeof(WEB_API_TOKEN_PREFIX) - 1) != 0) {
        return ERR_NOT_FOUND;
    }
    web_auth_token_hash(token, hash);
    err = web_auth_principal_lookup(
        a,
        "SELECT t.id, t.last_used_at, u.id, u.username, u.display_name, u.role, "
        "coalesce(u.department, ''), u.disabled, u.must_change_password FROM web_api_tokens t "
        "JOIN web_users u ON u.id = t.user_id WHERE t.token_hash = ?1 AND (t.expires_at = 0 OR "
        "t.expires_at > ?2) AND u.disabled = 0",
        "UPDATE web_api_tokens SET last_used_at = ?2 WHERE id = ?1", hash, now, 0, p_out, &id);
    if (err) {
        memset(p_out, 0, sizeof(*p_out));
        return err;
    }
    p_out->via_token = true;
    p_out->user.must_change_password = false; /* tokens have no password to change */
    return 0;
}

static json_t *token_row_json(struct yq_stmt *st)
{
    return json_pack("{s:I, s:s, s:I, s:I, s:I}", "id", (json_int_t)yq_stmt_column_int64(st, 0),
                     "name", yq_stmt_column_text(st, 1), "created_at",
                     (json_int_t)yq_stmt_column_int64(st, 2), "expires_at",
                     (json_int_t)yq_stmt_column_int64(st, 3), "last_used_at",
                     (json_int_t)yq_stmt_column_int64(st, 4));
}

int web_token_list(struct web_auth *a, const char *username, json_t **out)
{
    return web_auth_list_json(a,
                              "SELECT t.id, t.name, t.created_at, t.expires_at, t.last_used_at "
                              "FROM web_api_tokens t JOIN web_users u ON u.id = t.user_id WHERE "
                              "u.username = ? ORDER BY t.id",
                              username, token_row_json, "token list", out);
}

int web_token_revoke(struct web_auth *a, int64_t id)
{
    int changes = 0, err;

    web_auth_lock(a);
    err = web_auth_run_by_key_locked(a, "DELETE FROM web_api_tokens WHERE id = ?", NULL, id, 0,
                                     "token revoke", &changes);
    web_auth_unlock(a);
    return !err && changes == 0 ? ERR_NOT_FOUND : err;
}
