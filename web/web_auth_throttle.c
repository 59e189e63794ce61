/*
 * The login throttle (web_login_throttle): failures per user name, per client address, per
 * device cookie and per user's own password change, lockouts, and the bounded number of
 * Argon2id checks running at once.
 */
#include "web_auth_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "yq_err.h"
#include "yq_log.h"
#include "yq_banned.h"

/* Seconds key must still wait (0 = not locked); caller holds the lock. */
static int throttle_wait_locked(struct web_auth *a, const char *key, int64_t now, int64_t *out)
{
    struct yq_stmt *st = NULL;
    int err, rc;

    *out = 0;
    err = web_auth_prepare(a, "SELECT locked_until FROM web_login_throttle WHERE key = ?", &st,
                           "throttle get");
    if (err) {
        return err;
    }
    web_auth_bind_text(st, 1, key);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        int64_t until = yq_stmt_column_int64(st, 0);
        *out = until > now ? until - now : 0;
    } else if (rc != YQ_DB_DONE) {
        err = web_auth_fail(a, rc, "throttle get");
    }
    yq_stmt_finalize(st);
    return err;
}

/* Count one failure against key; lock it when max is reached. Caller holds the lock. */
static int throttle_fail_locked(struct web_auth *a, const char *key, int64_t max, int64_t now)
{
    struct yq_stmt *st = NULL;
    int64_t window = a->cfg.login_window_ms / 1000, lockout = a->cfg.login_lockout_ms / 1000;
    int err;

    err = web_auth_prepare(a,
                           "INSERT INTO web_login_throttle AS t (key, failures, first_at, "
                           "locked_until) VALUES (?1, 1, ?2, CASE WHEN ?3 <= 1 THEN ?2 + ?4 "
                           "ELSE 0 END) ON CONFLICT(key) DO UPDATE SET "
                           /* the stored row's columns qualified (t.): PostgreSQL finds a bare
                              name ambiguous with the excluded row's */
                           "failures = CASE WHEN t.first_at + ?5 <= ?2 THEN 1 "
                           "ELSE t.failures + 1 END, "
                           "first_at = CASE WHEN t.first_at + ?5 <= ?2 THEN ?2 ELSE t.first_at "
                           "END, "
                           "locked_until = CASE WHEN (CASE WHEN t.first_at + ?5 <= ?2 THEN 1 "
                           "ELSE t.failures + 1 END) >= ?3 THEN ?2 + ?4 ELSE t.locked_until END",
                           &st, "throttle fail");
    if (err) {
        return err;
    }
    web_auth_bind_text(st, 1, key);
    yq_stmt_bind_int64(st, 2, now);
    yq_stmt_bind_int64(st, 3, max);
    yq_stmt_bind_int64(st, 4, lockout);
    yq_stmt_bind_int64(st, 5, window);
    return web_auth_run(a, st, "throttle fail");
}

static int throttle_clear_locked(struct web_auth *a, const char *key)
{
    return web_auth_run_by_key_locked(a, "DELETE FROM web_login_throttle WHERE key = ?", key, 0, 0,
                                      "throttle clear", NULL);
}

/* The throttle key prefix + hex BLAKE2b-128 of text (at most 38 bytes + NUL). */
static void throttle_key(const char *prefix, const char *text, char *out)
{
    unsigned char h[16];
    char hex[33];
    crypto_generichash(h, sizeof(h), (const unsigned char *)text, strlen(text), NULL, 0);
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    snprintf(out, WEB_AUTH_THROTTLE_KEY_LEN, "%s%s", prefix, hex);
}

void web_auth_throttle_user_key(const char *username, char *out)
{
    throttle_key("user:", username, out);
}

void web_auth_throttle_device_key(const char *device, char *out)
{
    throttle_key("dev:", device, out);
}

void web_auth_throttle_password_key(const char *username, char *out)
{
    throttle_key("pw:", username, out);
}

/* Take one failure back from key (a success after a reservation). Caller holds the lock. */
static int throttle_refund_locked(struct web_auth *a, const char *key, int64_t max)
{
    struct yq_stmt *st = NULL;
    int err =
        web_auth_prepare(a,
                         "UPDATE web_login_throttle SET failures = failures - 1, locked_until = "
                         "CASE WHEN failures - 1 >= ?2 THEN locked_until ELSE 0 END "
                         "WHERE key = ?1 AND failures > 0",
                         &st, "throttle refund");
    if (err) {
        return err;
    }
    web_auth_bind_text(st, 1, key);
    yq_stmt_bind_int64(st, 2, max);
    return web_auth_run(a, st, "throttle refund");
}

/*
 * Decide whether a password attempt may run, before it runs: refused (ERR_RETRY, *retry_s)
 * when ukey or ikey is locked; ERR_TOO_BIG when check is set and login_max_concurrent checks
 * are running; else the attempt is counted as a failure against both keys now (so parallel
 * attempts see each other) and, when check is set, takes a check slot. Caller holds the lock;
 * every 0 return is followed by web_auth_attempt_end_locked().
 */
int web_auth_attempt_begin_locked(struct web_auth *a, const char *ukey, const char *ikey,
                                  bool check, int64_t now, int64_t *retry_s)
{
    int64_t wait_u = 0, wait_i = 0;
    int err;

    *retry_s = 0;
    err = throttle_wait_locked(a, ukey, now, &wait_u);
    if (!err && ikey) {
        err = throttle_wait_locked(a, ikey, now, &wait_i);
    }
    if (!err && (wait_u > 0 || wait_i > 0)) {
        *retry_s = wait_u > wait_i ? wait_u : wait_i;
        return ERR_RETRY;
    }
    if (!err && check && a->checks_running >= a->cfg.login_max_concurrent) {
        *retry_s = 1;
        return ERR_TOO_BIG;
    }
    if (!err) {
        err = throttle_fail_locked(a, ukey, a->cfg.login_max_failures, now);
    }
    if (!err && ikey) {
        err = throttle_fail_locked(a, ikey, a->cfg.login_ip_max_failures, now);
    }
    if (!err && check) {
        a->checks_running++;
        if (a->checks_running > a->checks_peak) {
            a->checks_peak = a->checks_running;
        }
    }
    return err;
}

/*
 * End an attempt begun by web_auth_attempt_begin_locked(): release the check slot (check), and on
 * success clear the name's failures and take the address's reserved one back.
 */
int web_auth_attempt_end_locked(struct web_auth *a, const char *ukey, const char *ikey, bool check,
                                bool ok)
{
    int err = 0;
    if (check) {
        a->checks_running--;
        a->checks_done++;
    }
    if (ok) {
        err = throttle_clear_locked(a, ukey);
        if (!err && ikey) {
            err = throttle_refund_locked(a, ikey, a->cfg.login_ip_max_failures);
        }
    }
    return err;
}

/* The check counters, read under the lock. */
static void checks_read(struct web_auth *a, uint64_t *done, int64_t *peak)
{
    web_auth_lock(a);
    *done = a->checks_done;
    *peak = a->checks_peak;
    web_auth_unlock(a);
}

uint64_t web_auth_password_checks(struct web_auth *a)
{
    uint64_t done;
    int64_t peak;
    checks_read(a, &done, &peak);
    return done;
}

int64_t web_auth_password_checks_peak(struct web_auth *a)
{
    uint64_t done;
    int64_t peak;
    checks_read(a, &done, &peak);
    return peak;
}
