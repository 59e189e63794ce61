/* Cookie sessions: random tokens and their hashes, login, lookup, logout and clean-up. */
#include "web_auth_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "yq_err.h"
#include "yq_log.h"
#include "yq_banned.h"

void web_session_csrf(const char *token, char *out)
{
    static const unsigned char key[] = "yuqing web session csrf v1";
    unsigned char h[32];
    crypto_generichash(h, sizeof(h), (const unsigned char *)token, strlen(token), key,
                       sizeof(key) - 1);
    sodium_bin2base64(out, WEB_TOKEN_LEN + 1, h, sizeof(h),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(h, sizeof(h));
}

/* Insert a session for user_id; token_out/csrf_out get the clear values. Lock held. */
static int session_create_locked(struct web_auth *a, int64_t user_id, int64_t now, char *token_out,
                                 char *csrf_out, int64_t *id_out)
{
    char hash[65];
    struct yq_stmt *st = NULL;
    int err;

    web_auth_token_new(token_out);
    web_session_csrf(token_out, csrf_out); /* derived: never stored */
    web_auth_token_hash(token_out, hash);
    err = web_auth_prepare(a,
                           "INSERT INTO web_sessions (token_hash, user_id, csrf_token, created_at, "
                           "expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                           &st, "session create");
    if (err) {
        return err;
    }
    web_auth_bind_text(st, 1, hash);
    yq_stmt_bind_int64(st, 2, user_id);
    web_auth_bind_text(st, 3, "");
    yq_stmt_bind_int64(st, 4, now);
    yq_stmt_bind_int64(st, 5, now + a->cfg.session_ttl_ms / 1000);
    yq_stmt_bind_int64(st, 6, now);
    return web_auth_run_id(a, st, "session create", id_out);
}

/*
 * The device cookie's MAC of (username, issued) under the user's password hash (a secret that
 * never leaves the server and changes with the password) into hex (65 bytes).
 */
static void device_mac(const char *pwhash, const char *username, int64_t issued, char *hex)
{
    static const char label[] = "yuqing web device v1";
    unsigned char key[crypto_generichash_KEYBYTES], mac[32];
    crypto_generichash_state st;
    char when[24];

    crypto_generichash(key, sizeof(key), (const unsigned char *)pwhash, strlen(pwhash), NULL, 0);
    snprintf(when, sizeof(when), "%lld", (long long)issued);
    crypto_generichash_init(&st, key, sizeof(key), sizeof(mac));
    crypto_generichash_update(&st, (const unsigned char *)label, sizeof(label));
    crypto_generichash_update(&st, (const unsigned char *)when, strlen(when) + 1);
    crypto_generichash_update(&st, (const unsigned char *)username, strlen(username));
    crypto_generichash_final(&st, mac, sizeof(mac));
    sodium_bin2hex(hex, 65, mac, sizeof(mac));
    sodium_memzero(key, sizeof(key));
}

/*
 * Whether device ("<issued>.<mac hex>") was issued to username under pwhash, at most
 * WEB_DEVICE_TTL_S seconds before now.
 */
static bool device_valid(const char *device, const char *pwhash, const char *username, int64_t now)
{
    char want[65], *end = NULL;
    long long issued;

    if (!device || strlen(device) >= WEB_DEVICE_COOKIE_MAX || device[0] < '0' || device[0] > '9') {
        return false;
    }
    issued = strtoll(device, &end, 10);
    if (*end != '.' || strlen(end + 1) != 64 || issued > now || now - issued > WEB_DEVICE_TTL_S) {
        return false;
    }
    /*
     * Only the form device_out is written in ("%lld", no leading zeros): the throttle is keyed
     * on the cookie's text, so "0<cookie>", "00<cookie>" ... must not be more cookies.
     */
    snprintf(want, sizeof(want), "%lld", issued);
    if (strlen(want) != (size_t)(end - device) || memcmp(want, device, strlen(want)) != 0) {
        return false;
    }
    device_mac(pwhash, username, issued, want);
    return sodium_memcmp(want, end + 1, 64) == 0;
}

int web_login(struct web_auth *a, const char *username, const char *password, const char *client,
              int64_t now, char *token_out, struct web_principal *p_out, int64_t *retry_after_s)
{
    return web_login_device(a, username, password, client, NULL, now, token_out, NULL, p_out,
                            retry_after_s);
}

int web_login_device(struct web_auth *a, const char *username, const char *password,
                     const char *client, const char *device, int64_t now, char *token_out,
                     char *device_out, struct web_principal *p_out, int64_t *retry_after_s)
{
    char ukey[WEB_AUTH_THROTTLE_KEY_LEN], ikey[96], hash[crypto_pwhash_STRBYTES];
    const char *ik = ikey; /* the address's counter; none for a known device */
    struct yq_stmt *st = NULL;
    bool found = false, ok, check;
    char sql[256];
    int err = 0, rc;

    memset(p_out, 0, sizeof(*p_out));
    *retry_after_s = 0;
    token_out[0] = '\0';
    if (device_out) {
        device_out[0] = '\0';
    }
    if (!username || !password) {
        return ERR_INVALID;
    }
    /* over-long names and passwords are attempts too: counted, but never hashed */
    check = strlen(username) < WEB_USERNAME_MAX && strlen(password) <= WEB_PASSWORD_MAX;
    web_auth_throttle_user_key(username, ukey);
    snprintf(ikey, sizeof(ikey), "ip:%s", client ? client : "?");

    web_auth_lock(a);
    if (check) {
        snprintf(sql, sizeof(sql), "SELECT %s, password_hash FROM web_users WHERE username = ?",
                 WEB_AUTH_USER_COLS);
        err = web_auth_prepare(a, sql, &st, "login lookup");
        if (!err) {
            web_auth_bind_text(st, 1, username);
            rc = yq_stmt_step(st);
            if (rc == YQ_DB_ROW) {
                web_auth_user_from_row(st, 0, &p_out->user);
                web_auth_col_copy(st, 7, hash, sizeof(hash));
                found = true;
            } else if (rc != YQ_DB_DONE) {
                err = web_auth_fail(a, rc, "login lookup");
            }
            yq_stmt_finalize(st);
        }
    }
    if (!err && found && device_valid(device, hash, username, now)) {
        /*
         * A browser this user logged in from before: its own counter instead of the name's
         * and the address's, so that guesses from elsewhere (every client behind a proxy has
         * one address) cannot lock the user out of it.
         */
        web_auth_throttle_device_key(device, ukey);
        ik = NULL;
    }
    if (!err) {
        err = web_auth_attempt_begin_locked(a, ukey, ik, check, now, retry_after_s);
    }
    if (!err && !check) {
        (void)web_auth_attempt_end_locked(a, ukey, ik, false, false);
        err = ERR_INVALID;
    }
    web_auth_unlock(a);
    if (err) {
        memset(p_out, 0, sizeof(*p_out));
        sodium_memzero(hash, sizeof(hash));
        return err;
    }

    /*
     * The Argon2id work runs outside the lock (at most login_max_concurrent at once) and also
     * for unknown names (same timing).
     */
    ok = web_password_verify(found ? hash : a->dummy_hash, password) == 0 && found &&
         !p_out->user.disabled;

    web_auth_lock(a);
    err = web_auth_attempt_end_locked(a, ukey, ik, true, ok);
    if (!ok) {
        err = err ? err : ERR_INVALID;
    } else {
        if (!err) {
            err = session_create_locked(a, p_out->user.id, now, token_out, p_out->csrf_token,
                                        &p_out->session_id);
        }
        if (!err && device_out) {
            char mac[65];
            device_mac(hash, username, now, mac);
            snprintf(device_out, WEB_DEVICE_COOKIE_MAX, "%lld.%s", (long long)now, mac);
        }
        if (!err && crypto_pwhash_str_needs_rehash(hash, (unsigned long long)a->cfg.pwhash_opslimit,
                                                   (size_t)a->cfg.pwhash_memlimit) != 0) {
            LOG_INFO("password hash parameters changed user=%s (rehash on next change)",
                     YQ_Q(username));
        }
    }
    web_auth_unlock(a);
    sodium_memzero(hash, sizeof(hash));
    if (err) {
        memset(p_out, 0, sizeof(*p_out));
        token_out[0] = '\0';
        if (device_out) {
            device_out[0] = '\0';
        }
    }
    return err;
}

int web_session_lookup(struct web_auth *a, const char *token, int64_t now,
                       struct web_principal *p_out)
{
    char hash[65];
    int err;

    memset(p_out, 0, sizeof(*p_out));
    if (!token || strlen(token) != WEB_TOKEN_LEN) {
        return ERR_NOT_FOUND;
    }
    web_auth_token_hash(token, hash);
    err = web_auth_principal_lookup(
        a,
        "SELECT s.id, s.last_seen_at, u.id, u.username, u.display_name, u.role, "
        "coalesce(u.department, ''), u.disabled, u.must_change_password FROM web_sessions s "
        "JOIN web_users u ON u.id = s.user_id WHERE s.token_hash = ?1 AND s.expires_at > ?2 "
        "AND s.last_seen_at > ?3 AND u.disabled = 0",
        "UPDATE web_sessions SET last_seen_at = ?2 WHERE id = ?1", hash, now,
        now - a->cfg.session_idle_ms / 1000, p_out, &p_out->session_id);
    if (err) {
        memset(p_out, 0, sizeof(*p_out));
        return err;
    }
    web_session_csrf(token, p_out->csrf_token);
    return 0;
}

int web_session_end(struct web_auth *a, const char *token)
{
    char hash[65];
    int err;

    if (!token || strlen(token) != WEB_TOKEN_LEN) {
        return 0;
    }
    web_auth_token_hash(token, hash);
    web_auth_lock(a);
    err = web_auth_run_by_key_locked(a, "DELETE FROM web_sessions WHERE token_hash = ?", hash, 0, 0,
                                     "session end", NULL);
    web_auth_unlock(a);
    return err;
}

int web_auth_gc(struct web_auth *a, int64_t now)
{
    char sql[256];
    int err;

    snprintf(sql, sizeof(sql),
             "DELETE FROM web_sessions WHERE expires_at <= %lld OR last_seen_at <= %lld; "
             "DELETE FROM web_login_throttle WHERE locked_until <= %lld AND first_at <= %lld;",
             (long long)now, (long long)(now - a->cfg.session_idle_ms / 1000), (long long)now,
             (long long)(now - a->cfg.login_window_ms / 1000));
    web_auth_lock(a);
    err = web_auth_exec(a, sql, "gc");
    web_auth_unlock(a);
    return err;
}
