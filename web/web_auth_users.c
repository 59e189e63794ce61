/* User accounts: add, read, list, change, and a user's own password change. */
#include "web_auth_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "yq_err.h"
#include "yq_log.h"
#include "yq_banned.h"

static bool username_ok(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 0 || len >= WEB_USERNAME_MAX) {
        return false;
    }
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '@')) {
            return false;
        }
    }
    return true;
}

json_t *web_user_json(const struct web_user *u)
{
    return json_pack("{s:s, s:s, s:s, s:s?, s:b, s:b}", "username", u->username, "display_name",
                     u->display_name, "role", web_role_name(u->role), "department",
                     u->department[0] ? u->department : NULL, "disabled", u->disabled,
                     "must_change_password", u->must_change_password);
}

int web_user_add(struct web_auth *a, const char *username, const char *display_name,
                 enum web_role role, const char *department, const char *password, bool must_change,
                 int64_t now, int64_t *id_out, char *errbuf, size_t errlen)
{
    char hash[crypto_pwhash_STRBYTES];
    struct yq_stmt *st = NULL;
    int err, rc;

    if (!username_ok(username)) {
        snprintf(errbuf, errlen, "用户名须为 1-63 个字母、数字或 . _ - @");
        return ERR_INVALID;
    }
    if (role != WEB_ROLE_ADMIN && role != WEB_ROLE_DUTY && role != WEB_ROLE_LIAISON &&
        role != WEB_ROLE_HEAD) {
        snprintf(errbuf, errlen, "角色无效");
        return ERR_INVALID;
    }
    if (display_name &&
        (strlen(display_name) >= WEB_DISPLAY_MAX || !web_auth_text_ok(display_name))) {
        snprintf(errbuf, errlen, "姓名过长或含有无效字符");
        return ERR_INVALID;
    }
    if (WEB_ROLE_BOUND(role) && (!department || !department[0])) {
        snprintf(errbuf, errlen, "联络员和部门负责人必须属于一个部门");
        return ERR_INVALID;
    }
    err = web_password_check(password, username, errbuf, errlen);
    if (err) {
        return err;
    }
    err = web_password_hash(a, password, hash, sizeof(hash));
    if (err) {
        snprintf(errbuf, errlen, "cannot hash password: out of memory");
        return err;
    }
    web_auth_lock(a);
    if (WEB_ROLE_BOUND(role)) {
        err = web_auth_department_exists_locked(a, department);
        if (err == ERR_INVALID) {
            snprintf(errbuf, errlen, "部门不存在：%s", department);
        }
    }
    if (!err) {
        err = web_auth_prepare(a,
                               "INSERT INTO web_users (username, display_name, role, department, "
                               "password_hash, must_change_password, created_at, updated_at) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                               &st, "user add");
    }
    if (!err) {
        web_auth_bind_text(st, 1, username);
        web_auth_bind_text(st, 2, display_name ? display_name : "");
        web_auth_bind_text(st, 3, web_role_name(role));
        web_auth_bind_text(st, 4, WEB_ROLE_BOUND(role) ? department : NULL);
        web_auth_bind_text(st, 5, hash);
        yq_stmt_bind_int(st, 6, must_change ? 1 : 0);
        yq_stmt_bind_int64(st, 7, now);
        yq_stmt_bind_int64(st, 8, now);
        rc = yq_stmt_step(st);
        if (rc == YQ_DB_ROW || rc == YQ_DB_DONE) {
            if (id_out) {
                *id_out = rc == YQ_DB_ROW ? yq_stmt_column_int64(st, 0) : 0;
            }
            rc = YQ_DB_DONE;
        } else if ((rc & 0xff) == YQ_DB_CONSTRAINT) { /* username is the one unique key */
            snprintf(errbuf, errlen, "用户名已存在：%s", username);
            err = ERR_EXISTS;
        } else {
            err = web_auth_fail(a, rc, "user add");
            snprintf(errbuf, errlen, "cannot add user: %s", yq_strerror(err));
        }
        yq_stmt_finalize(st);
    }
    web_auth_unlock(a);
    sodium_memzero(hash, sizeof(hash));
    return err;
}

int web_user_get(struct web_auth *a, const char *username, struct web_user *out)
{
    int err;
    web_auth_lock(a);
    err = web_auth_user_get_locked(a, username, out);
    web_auth_unlock(a);
    return err;
}

static json_t *user_row_json(struct yq_stmt *st)
{
    struct web_user u;
    web_auth_user_from_row(st, 0, &u);
    return web_user_json(&u);
}

int web_user_list(struct web_auth *a, json_t **out)
{
    return web_auth_list_json(a, "SELECT " WEB_AUTH_USER_COLS " FROM web_users ORDER BY username",
                              NULL, user_row_json, "user list", out);
}

int web_user_update(struct web_auth *a, const char *username, const struct web_user_change *ch,
                    int64_t now, char *errbuf, size_t errlen)
{
    char hash[crypto_pwhash_STRBYTES] = "";
    struct web_user u;
    struct yq_stmt *st = NULL;
    bool end_sessions = false, in_tx = false;
    int err;

    if (ch->password) {
        err = web_password_check(ch->password, username, errbuf, errlen);
        if (!err) {
            err = web_password_hash(a, ch->password, hash, sizeof(hash));
        }
        if (err) {
            return err;
        }
    }
    if (ch->display_name &&
        (strlen(ch->display_name) >= WEB_DISPLAY_MAX || !web_auth_text_ok(ch->display_name))) {
        snprintf(errbuf, errlen, "姓名过长或含有无效字符");
        return ERR_INVALID;
    }
    web_auth_lock(a);
    err = web_auth_user_get_locked(a, username, &u);
    if (err == ERR_NOT_FOUND) {
        snprintf(errbuf, errlen, "用户不存在：%s", username);
    }
    if (!err) {
        enum web_role role = ch->role != WEB_ROLE_NONE ? ch->role : u.role;
        const char *dept = ch->department ? ch->department : u.department;
        if (WEB_ROLE_BOUND(role)) {
            if (!dept[0]) {
                snprintf(errbuf, errlen, "联络员和部门负责人必须属于一个部门");
                err = ERR_INVALID;
            } else if ((err = web_auth_department_exists_locked(a, dept)) == ERR_INVALID) {
                snprintf(errbuf, errlen, "部门不存在：%s", dept);
            }
        }
        end_sessions = role != u.role || ch->password || ch->disabled == 1 ||
                       (WEB_ROLE_BOUND(role) && strcmp(dept, u.department) != 0);
        if (!err) {
            /* the change and the end of the old credentials commit together */
            err = web_auth_exec(a, "BEGIN IMMEDIATE", "user update begin");
            in_tx = err == 0;
        }
        if (!err) {
            err =
                web_auth_prepare(a,
                                 "UPDATE web_users SET display_name = ?, role = ?, department = ?, "
                                 "disabled = ?, password_hash = coalesce(?, password_hash), "
                                 "must_change_password = CASE WHEN ? IS NULL THEN "
                                 "must_change_password ELSE 1 END, updated_at = ? WHERE id = ?",
                                 &st, "user update");
        }
        if (!err) {
            web_auth_bind_text(st, 1, ch->display_name ? ch->display_name : u.display_name);
            web_auth_bind_text(st, 2, web_role_name(role));
            web_auth_bind_text(st, 3, WEB_ROLE_BOUND(role) ? dept : NULL);
            yq_stmt_bind_int(st, 4, ch->disabled >= 0 ? ch->disabled : (u.disabled ? 1 : 0));
            web_auth_bind_text(st, 5, ch->password ? hash : NULL);
            web_auth_bind_text(st, 6, ch->password ? "1" : NULL);
            yq_stmt_bind_int64(st, 7, now);
            yq_stmt_bind_int64(st, 8, u.id);
            err = web_auth_run(a, st, "user update");
        }
        if (!err && end_sessions) {
            err = web_auth_end_sessions_locked(a, u.id, ch->keep_session_id);
        }
        if (!err && end_sessions) {
            /* a token must not outlive a reset or a move */
            err = web_auth_end_tokens_locked(a, u.id);
        }
        if (in_tx) {
            err = web_auth_tx_end(a, err, "user update commit");
        }
    }
    web_auth_unlock(a);
    sodium_memzero(hash, sizeof(hash));
    return err;
}

int web_user_change_password(struct web_auth *a, int64_t user_id, const char *old_password,
                             const char *new_password, int64_t keep_session_id, int64_t now,
                             int64_t *retry_after_s, char *errbuf, size_t errlen)
{
    char hash[crypto_pwhash_STRBYTES], old_hash[crypto_pwhash_STRBYTES], name[WEB_USERNAME_MAX];
    char ukey[WEB_AUTH_THROTTLE_KEY_LEN];
    struct yq_stmt *st = NULL;
    bool ok, in_tx = false;
    int err, rc;

    *retry_after_s = 0;
    if (!old_password || !new_password) {
        snprintf(errbuf, errlen, "请输入原密码和新密码");
        return ERR_INVALID;
    }
    web_auth_lock(a);
    err = web_auth_prepare(a, "SELECT password_hash, username FROM web_users WHERE id = ?", &st,
                           "password get");
    if (!err) {
        yq_stmt_bind_int64(st, 1, user_id);
        rc = yq_stmt_step(st);
        if (rc == YQ_DB_ROW) {
            web_auth_col_copy(st, 0, old_hash, sizeof(old_hash));
            web_auth_col_copy(st, 1, name, sizeof(name));
        } else {
            err = rc == YQ_DB_DONE ? ERR_NOT_FOUND : web_auth_fail(a, rc, "password get");
        }
        yq_stmt_finalize(st);
    }
    if (!err) {
        /*
         * a counter of its own (the outside review): on the name's and the address's login
         * counters, a session holder's wrong guesses locked the name out of logins and others'
         * failed logins refused the change; the Argon2id slots are still the logins'
         */
        web_auth_throttle_password_key(name, ukey);
        err = web_auth_attempt_begin_locked(a, ukey, NULL, true, now, retry_after_s);
    }
    web_auth_unlock(a);
    if (err) {
        if (err == ERR_RETRY || err == ERR_TOO_BIG) {
            snprintf(errbuf, errlen, "尝试次数过多，请稍后再试");
        }
        return err;
    }
    ok = strlen(old_password) <= WEB_PASSWORD_MAX &&
         web_password_verify(old_hash, old_password) == 0;
    web_auth_lock(a);
    err = web_auth_attempt_end_locked(a, ukey, NULL, true, ok);
    web_auth_unlock(a);
    sodium_memzero(old_hash, sizeof(old_hash));
    if (err) {
        return err;
    }
    if (!ok) {
        snprintf(errbuf, errlen, "原密码不正确");
        return ERR_INVALID;
    }
    if (strcmp(old_password, new_password) == 0) {
        snprintf(errbuf, errlen, "新密码不能与原密码相同");
        return ERR_INVALID;
    }
    err = web_password_check(new_password, name, errbuf, errlen);
    if (!err) {
        err = web_password_hash(a, new_password, hash, sizeof(hash));
    }
    if (err) {
        return err;
    }
    web_auth_lock(a);
    /* the new password and the end of the old credentials commit together */
    err = web_auth_exec(a, "BEGIN IMMEDIATE", "password set begin");
    in_tx = err == 0;
    if (!err) {
        err = web_auth_prepare(a,
                               "UPDATE web_users SET password_hash = ?, must_change_password = 0, "
                               "updated_at = ? WHERE id = ?",
                               &st, "password set");
    }
    if (!err) {
        web_auth_bind_text(st, 1, hash);
        yq_stmt_bind_int64(st, 2, now);
        yq_stmt_bind_int64(st, 3, user_id);
        err = web_auth_run(a, st, "password set");
    }
    if (!err) {
        err = web_auth_end_sessions_locked(a, user_id, keep_session_id);
    }
    if (!err) {
        /* a token taken with the old password must not outlive it (issue #10) */
        err = web_auth_end_tokens_locked(a, user_id);
    }
    if (in_tx) {
        err = web_auth_tx_end(a, err, "password set commit");
    }
    web_auth_unlock(a);
    sodium_memzero(hash, sizeof(hash));
    return err;
}
