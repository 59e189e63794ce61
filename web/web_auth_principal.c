/*
 * The principal behind a request, the pieces sessions, API tokens and user accounts share:
 * random tokens and their hashes, a user row, the lookup of a session or token hash, and
 * ending a user's sessions and tokens. Below web_auth_sessions.c, web_auth_tokens.c and
 * web_auth_users.c, which call into this file and not into each other.
 */
#include "web_auth_int.h"

#include <stdio.h>
#include <string.h>
#include "yq_db.h"

#include "yq_err.h"
#include "yq_banned.h"

/* A new random token: base64url (no padding) of 32 bytes into out (WEB_TOKEN_LEN + 1). */
void web_auth_token_new(char *out)
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(out, WEB_TOKEN_LEN + 1, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
}

/* BLAKE2b-256 of token as 64 hex characters + NUL into out. Only hashes are stored. */
void web_auth_token_hash(const char *token, char *out)
{
    unsigned char h[32];
    crypto_generichash(h, sizeof(h), (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(out, 65, h, sizeof(h));
}

/* End every session of user_id except keep (0 = none); caller holds the lock. */
int web_auth_end_sessions_locked(struct web_auth *a, int64_t user_id, int64_t keep)
{
    return web_auth_run_by_key_locked(a, "DELETE FROM web_sessions WHERE user_id = ?1 AND id <> ?2",
                                      NULL, user_id, keep, "sessions end", NULL);
}

/* Revoke every API token of user_id; caller holds the lock. */
int web_auth_end_tokens_locked(struct web_auth *a, int64_t user_id)
{
    return web_auth_run_by_key_locked(a, "DELETE FROM web_api_tokens WHERE user_id = ?", NULL,
                                      user_id, 0, "tokens end", NULL);
}

void web_auth_user_from_row(struct yq_stmt *st, int first, struct web_user *u)
{
    char role[16];

    memset(u, 0, sizeof(*u));
    u->id = yq_stmt_column_int64(st, first);
    web_auth_col_copy(st, first + 1, u->username, sizeof(u->username));
    web_auth_col_copy(st, first + 2, u->display_name, sizeof(u->display_name));
    web_auth_col_copy(st, first + 3, role, sizeof(role));
    if (web_role_parse(role, &u->role) != 0) {
        u->role = WEB_ROLE_NONE;
    }
    web_auth_col_copy(st, first + 4, u->department, sizeof(u->department));
    u->disabled = yq_stmt_column_int(st, first + 5) != 0;
    u->must_change_password = yq_stmt_column_int(st, first + 6) != 0;
}

/* Caller holds the lock. */
int web_auth_user_get_locked(struct web_auth *a, const char *username, struct web_user *out)
{
    char sql[256];
    struct yq_stmt *st = NULL;
    int err, rc;

    snprintf(sql, sizeof(sql), "SELECT %s FROM web_users WHERE username = ?", WEB_AUTH_USER_COLS);
    err = web_auth_prepare(a, sql, &st, "user get");
    if (err) {
        return err;
    }
    web_auth_bind_text(st, 1, username);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        web_auth_user_from_row(st, 0, out);
    } else {
        err = rc == YQ_DB_DONE ? ERR_NOT_FOUND : web_auth_fail(a, rc, "user get");
    }
    yq_stmt_finalize(st);
    return err;
}

int web_auth_principal_lookup(struct web_auth *a, const char *select_sql, const char *touch_sql,
                              const char *hash, int64_t now, int64_t idle_before,
                              struct web_principal *p_out, int64_t *id_out)
{
    struct yq_stmt *st = NULL;
    int64_t last = 0;
    int err, rc;

    *id_out = 0;
    web_auth_lock(a);
    err = web_auth_prepare(a, select_sql, &st, "principal lookup");
    if (!err) {
        web_auth_bind_text(st, 1, hash);
        yq_stmt_bind_int64(st, 2, now);
        if (yq_stmt_bind_parameter_count(st) >= 3) {
            yq_stmt_bind_int64(st, 3, idle_before);
        }
        rc = yq_stmt_step(st);
        if (rc == YQ_DB_ROW) {
            *id_out = yq_stmt_column_int64(st, 0);
            last = yq_stmt_column_int64(st, 1);
            web_auth_user_from_row(st, 2, &p_out->user);
        } else {
            err = rc == YQ_DB_DONE ? ERR_NOT_FOUND : web_auth_fail(a, rc, "principal lookup");
        }
        yq_stmt_finalize(st);
    }
    if (!err && now - last >= 60) {
        (void)web_auth_run_by_key_locked(a, touch_sql, NULL, *id_out, now, "touch", NULL);
    }
    web_auth_unlock(a);
    return err;
}
