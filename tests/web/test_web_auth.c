/*
 * web_auth: Argon2id hashing, password policy, sessions (absolute and idle expiry), login
 * throttling, API tokens, role and department checks. SQLite ":memory:" per test, or a fresh
 * PostgreSQL schema per test in the -pg run (db_fixture.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "yq_db.h"

#include "db_fixture.h"
#include "notifier_fixture.h"
#include "sqlite_fixture.h"
#include "ticket_store.h"
#include "web_auth.h"
#include "yq_err.h"

#define T0 1795000000LL /* 2026-11-19 */

/* The store of the running test: ":memory:" or a PostgreSQL schema's URL (teardown drops it). */
static char store_location[512];

static int setup(void **state)
{
    struct web_auth_cfg cfg = notifier_fixture_auth_cfg();
    struct web_auth *a = NULL;
    char err[256] = "";

    db_fixture_new(store_location, sizeof(store_location), ":memory:");
    if (web_auth_open(&cfg, store_location, &a, err, sizeof(err)) != 0) {
        fail_msg("web_auth_open: %s", err);
    }
    assert_int_equal(web_department_add(a, "市自然资源局", "王局长", T0), 0);
    assert_int_equal(web_department_add(a, "市生态环境局", NULL, T0), 0);
    assert_int_equal(web_user_add(a, "duty1", "值班员甲", WEB_ROLE_DUTY, NULL, "duty-password-1",
                                  false, T0, NULL, err, sizeof(err)),
                     0);
    assert_int_equal(web_user_add(a, "liaison-a", "联络员A", WEB_ROLE_LIAISON, "市自然资源局",
                                  "liaison-password-a", false, T0, NULL, err, sizeof(err)),
                     0);
    *state = a;
    return 0;
}

static int teardown(void **state)
{
    web_auth_free(*state);
    db_fixture_drop(store_location);
    return 0;
}

static void test_password_hash_is_argon2id_and_verifies(void **state)
{
    char hash[crypto_pwhash_STRBYTES];

    assert_int_equal(web_password_hash(*state, "correct horse battery", hash, sizeof(hash)), 0);
    assert_non_null(strstr(hash, "$argon2id$"));
    assert_null(strstr(hash, "correct horse"));
    assert_int_equal(web_password_verify(hash, "correct horse battery"), 0);
    assert_int_equal(web_password_verify(hash, "correct horse batterY"), ERR_INVALID);
    assert_int_equal(web_password_verify("not a hash", "x"), ERR_INVALID);
    assert_int_equal(web_password_hash(*state, "x", hash, 16), ERR_INVALID);
}

static void test_password_policy(void **state)
{
    static const struct {
        const char *pw, *user;
        int want;
    } cases[] = {
        {"short", NULL, ERR_INVALID},
        {"long enough password", NULL, 0},
        {"alice-alice", "alice-alice", ERR_INVALID},
        {"tab\tinside password", NULL, ERR_INVALID},
        {"\xff\xfe invalid utf8 bytes", NULL, ERR_INVALID},
        {"中文密码也可以用的", NULL, 0},
    };
    char why[128];
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        why[0] = '\0';
        assert_int_equal(web_password_check(cases[i].pw, cases[i].user, why, sizeof(why)),
                         cases[i].want);
        if (cases[i].want) {
            assert_true(why[0] != '\0');
        }
    }
}

static void test_user_add_validates(void **state)
{
    struct web_auth *a = *state;
    char why[256];
    struct web_user u;

    assert_int_equal(web_user_add(a, "duty1", NULL, WEB_ROLE_DUTY, NULL, "another-password", false,
                                  T0, NULL, why, sizeof(why)),
                     ERR_EXISTS);
    assert_int_equal(web_user_add(a, "bad name!", NULL, WEB_ROLE_DUTY, NULL, "another-password",
                                  false, T0, NULL, why, sizeof(why)),
                     ERR_INVALID);
    assert_int_equal(web_user_add(a, "l2", NULL, WEB_ROLE_LIAISON, NULL, "another-password", false,
                                  T0, NULL, why, sizeof(why)),
                     ERR_INVALID);
    assert_int_equal(web_user_add(a, "l2", NULL, WEB_ROLE_LIAISON, "不存在的局", "another-password",
                                  false, T0, NULL, why, sizeof(why)),
                     ERR_INVALID);
    assert_non_null(strstr(why, "不存在的局"));
    assert_int_equal(web_user_get(a, "liaison-a", &u), 0);
    assert_int_equal(u.role, WEB_ROLE_LIAISON);
    assert_string_equal(u.department, "市自然资源局");
    assert_int_equal(web_user_get(a, "nobody", &u), ERR_NOT_FOUND);
    /* a department still bound to a user cannot be removed */
    assert_int_equal(web_department_remove(a, "市自然资源局"), ERR_BAD_STATE);
    assert_int_equal(web_department_remove(a, "市生态环境局"), 0);
}

static void test_login_and_session_expiry(void **state)
{
    struct web_auth *a = *state;
    char token[WEB_TOKEN_LEN + 1];
    struct web_principal p, q;
    int64_t retry = 0;

    assert_int_equal(web_login(a, "duty1", "duty-password-1", "127.0.0.1", T0, token, &p, &retry),
                     0);
    assert_int_equal(strlen(token), WEB_TOKEN_LEN);
    assert_int_equal(strlen(p.csrf_token), WEB_TOKEN_LEN);
    assert_string_not_equal(token, p.csrf_token);
    assert_int_equal(p.user.role, WEB_ROLE_DUTY);

    /* the token is stored hashed only */
    {
        struct yq_stmt *st;
        assert_int_equal(yq_stmt_prepare(web_auth_db(a), "SELECT count(*) FROM web_sessions WHERE token_hash "
                                            "= ?", &st),
                         YQ_DB_OK);
        yq_stmt_bind_text(st, 1, token);
        assert_int_equal(yq_stmt_step(st), YQ_DB_ROW);
        assert_int_equal(yq_stmt_column_int(st, 0), 0);
        yq_stmt_finalize(st);
    }

    assert_int_equal(web_session_lookup(a, token, T0 + 60, &q), 0);
    assert_string_equal(q.user.username, "duty1");
    assert_string_equal(q.csrf_token, p.csrf_token);
    /* used every hour: alive until the absolute limit (12 h) */
    for (int h = 1; h < 12; h++) {
        assert_int_equal(web_session_lookup(a, token, T0 + h * 3600, &q), 0);
    }
    assert_int_equal(web_session_lookup(a, token, T0 + 12 * 3600, &q), ERR_NOT_FOUND);

    /* idle for more than 2 h: gone */
    assert_int_equal(web_login(a, "duty1", "duty-password-1", "127.0.0.1", T0, token, &p, &retry),
                     0);
    assert_int_equal(web_session_lookup(a, token, T0 + 2 * 3600 + 1, &q), ERR_NOT_FOUND);

    /* logout */
    assert_int_equal(web_login(a, "duty1", "duty-password-1", "127.0.0.1", T0, token, &p, &retry),
                     0);
    assert_int_equal(web_session_end(a, token), 0);
    assert_int_equal(web_session_lookup(a, token, T0 + 1, &q), ERR_NOT_FOUND);
    assert_int_equal(web_session_lookup(a, "garbage", T0, &q), ERR_NOT_FOUND);
    assert_int_equal(web_auth_gc(a, T0 + 86400), 0);
}

static void test_login_wrong_password_and_disabled(void **state)
{
    struct web_auth *a = *state;
    struct web_user_change ch = {.role = WEB_ROLE_NONE, .disabled = 1};
    char token[WEB_TOKEN_LEN + 1], why[128];
    struct web_principal p;
    int64_t retry;

    assert_int_equal(web_login(a, "duty1", "wrong-password", "10.0.0.1", T0, token, &p, &retry),
                     ERR_INVALID);
    assert_int_equal(web_login(a, "ghost", "whatever-pass", "10.0.0.1", T0, token, &p, &retry),
                     ERR_INVALID);
    assert_int_equal(web_login(a, "liaison-a", "liaison-password-a", "10.0.0.1", T0, token, &p,
                               &retry),
                     0);
    /* disabling ends the session and refuses new logins */
    assert_int_equal(web_user_update(a, "liaison-a", &ch, T0, why, sizeof(why)), 0);
    assert_int_equal(web_session_lookup(a, token, T0 + 1, &p), ERR_NOT_FOUND);
    assert_int_equal(web_login(a, "liaison-a", "liaison-password-a", "10.0.0.1", T0, token, &p,
                               &retry),
                     ERR_INVALID);
}

static void test_login_rate_limited_per_user_and_address(void **state)
{
    struct web_auth *a = *state;
    char token[WEB_TOKEN_LEN + 1];
    struct web_principal p;
    int64_t retry = 0;

    for (int i = 0; i < 3; i++) {
        assert_int_equal(web_login(a, "duty1", "bad-password", "10.0.0.2", T0 + i, token, &p,
                                   &retry),
                         ERR_INVALID);
    }
    /* locked: even the right password is refused, with a wait */
    assert_int_equal(web_login(a, "duty1", "duty-password-1", "10.0.0.3", T0 + 10, token, &p,
                               &retry),
                     ERR_RETRY);
    assert_true(retry > 0 && retry <= 15 * 60);
    /* another user is not affected */
    assert_int_equal(web_login(a, "liaison-a", "liaison-password-a", "10.0.0.3", T0 + 10, token,
                               &p, &retry),
                     0);
    /* after the lockout the right password works again */
    assert_int_equal(web_login(a, "duty1", "duty-password-1", "10.0.0.3", T0 + 16 * 60, token, &p,
                               &retry),
                     0);
    /* one address guessing many names is locked after login_ip_max_failures */
    for (int i = 0; i < 10; i++) {
        char name[32];
        snprintf(name, sizeof(name), "guess%d", i);
        assert_int_equal(web_login(a, name, "bad-password", "10.9.9.9", T0 + 100, token, &p,
                                   &retry),
                         ERR_INVALID);
    }
    assert_int_equal(web_login(a, "liaison-a", "liaison-password-a", "10.9.9.9", T0 + 101, token,
                               &p, &retry),
                     ERR_RETRY);
}

/* Three failed logins of name from client at t (login_max_failures = 3: the name is locked). */
static void fail_three_logins(struct web_auth *a, const char *name, const char *client, int64_t t)
{
    char token[WEB_TOKEN_LEN + 1];
    struct web_principal p;
    int64_t retry = 0;

    for (int i = 0; i < 3; i++) {
        assert_int_equal(web_login(a, name, "bad-password", client, t + i, token, &p, &retry),
                         ERR_INVALID);
    }
}

/*
 * web_login_device() of duty1 with password and the device cookie device (may be NULL) from
 * behind the proxy (127.0.0.1) at t; a new device cookie into device_out (may be NULL).
 */
static int duty_login(struct web_auth *a, const char *password, const char *device, int64_t t,
                      char *device_out, int64_t *retry)
{
    char token[WEB_TOKEN_LEN + 1];
    struct web_principal p;
    int err = web_login_device(a, "duty1", password, "127.0.0.1", device, t, token, device_out, &p,
                               retry);

    assert_true(err != 0 || strcmp(p.user.username, "duty1") == 0);
    return err;
}

/*
 * Failures for a name from anywhere (every client behind one reverse proxy has its address)
 * once locked its user out everywhere: five requests kept the duty officer from logging in.
 * A login that brings the device cookie of an earlier login of that user has a counter of its
 * own instead; another user's or a forged cookie counts as none, guesses with a stolen one
 * lock that cookie only, and a password change ends every cookie.
 */
static void test_login_lockout_spares_a_known_device(void **state)
{
    struct web_auth *a = *state;
    char token[WEB_TOKEN_LEN + 1], dev[WEB_DEVICE_COOKIE_MAX], dev2[WEB_DEVICE_COOKIE_MAX],
        other[WEB_DEVICE_COOKIE_MAX], padded[WEB_DEVICE_COOKIE_MAX + 2], why[128];
    struct web_principal p;
    int64_t retry = 0, duty_id;

    assert_int_equal(duty_login(a, "duty-password-1", NULL, T0, dev, &retry), 0);
    assert_int_equal(strlen(dev), 10 + 1 + 64); /* "<issued>.<64 hex>" */
    assert_int_equal(web_login_device(a, "liaison-a", "liaison-password-a", "127.0.0.1", NULL, T0,
                                      token, other, &p, &retry),
                     0);
    fail_three_logins(a, "duty1", "127.0.0.1", T0 + 1);
    assert_int_equal(duty_login(a, "duty-password-1", NULL, T0 + 10, NULL, &retry), ERR_RETRY);
    /* another user's cookie or a forged one is no way round the lock */
    assert_int_equal(duty_login(a, "duty-password-1", other, T0 + 10, NULL, &retry), ERR_RETRY);
    snprintf(dev2, sizeof(dev2), "%s", dev);
    dev2[strlen(dev2) - 1] = dev2[strlen(dev2) - 1] == '0' ? '1' : '0';
    assert_int_equal(duty_login(a, "duty-password-1", dev2, T0 + 10, NULL, &retry), ERR_RETRY);
    /* the same cookie written with a leading zero is no other cookie (no counter of its own) */
    snprintf(padded, sizeof(padded), "0%s", dev);
    assert_int_equal(duty_login(a, "duty-password-1", padded, T0 + 10, NULL, &retry), ERR_RETRY);
    /* the officer's own browser gets in */
    assert_int_equal(duty_login(a, "duty-password-1", dev, T0 + 11, NULL, &retry), 0);
    /* guesses with a stolen cookie lock that cookie too */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(duty_login(a, "bad-password", dev, T0 + 20 + i, NULL, &retry),
                         ERR_INVALID);
    }
    assert_int_equal(duty_login(a, "duty-password-1", dev, T0 + 30, NULL, &retry), ERR_RETRY);
    assert_true(retry > 0 && retry <= 15 * 60);
    snprintf(padded, sizeof(padded), "00%s", dev); /* nor a fresh counter for more guesses */
    assert_int_equal(duty_login(a, "duty-password-1", padded, T0 + 31, NULL, &retry), ERR_RETRY);

    /* a password change ends the cookies issued before it */
    assert_int_equal(
        web_login(a, "duty1", "duty-password-1", "10.2.2.2", T0 + 3600, token, &p, &retry), 0);
    duty_id = p.user.id;
    assert_int_equal(web_user_change_password(a, duty_id, "duty-password-1", "duty-password-22", 0,
                                              T0 + 3600, &retry, why, sizeof(why)),
                     0);
    assert_int_equal(duty_login(a, "duty-password-22", NULL, T0 + 3601, dev2, &retry), 0);
    fail_three_logins(a, "duty1", "127.0.0.1", T0 + 3602);
    assert_int_equal(duty_login(a, "duty-password-22", dev, T0 + 3610, NULL, &retry), ERR_RETRY);
    assert_int_equal(duty_login(a, "duty-password-22", dev2, T0 + 3610, NULL, &retry), 0);
}

static void test_change_password_ends_other_sessions(void **state)
{
    struct web_auth *a = *state;
    char t1[WEB_TOKEN_LEN + 1], t2[WEB_TOKEN_LEN + 1], why[128];
    struct web_principal p1, p2, q;
    int64_t retry;

    assert_int_equal(web_login(a, "duty1", "duty-password-1", "1.1.1.1", T0, t1, &p1, &retry), 0);
    assert_int_equal(web_login(a, "duty1", "duty-password-1", "1.1.1.1", T0, t2, &p2, &retry), 0);
    assert_int_equal(web_user_change_password(a, p1.user.id, "wrong", "new-password-22",
                                              p1.session_id, T0, &retry, why, sizeof(why)),
                     ERR_INVALID);
    assert_int_equal(web_user_change_password(a, p1.user.id, "duty-password-1", "short",
                                              p1.session_id, T0, &retry, why, sizeof(why)),
                     ERR_INVALID);
    assert_int_equal(web_user_change_password(a, p1.user.id, "duty-password-1", "new-password-22",
                                              p1.session_id, T0, &retry, why, sizeof(why)),
                     0);
    assert_int_equal(web_session_lookup(a, t1, T0 + 1, &q), 0);
    assert_int_equal(web_session_lookup(a, t2, T0 + 1, &q), ERR_NOT_FOUND);
    assert_int_equal(web_login(a, "duty1", "new-password-22", "1.1.1.1", T0, t2, &p2, &retry), 0);
}

static void test_api_tokens(void **state)
{
    struct web_auth *a = *state;
    char tok[64];
    struct web_principal p;
    int64_t id = 0;
    json_t *list = NULL;

    assert_int_equal(web_token_create(a, "duty1", "监测脚本", 86400, T0, tok, sizeof(tok), &id), 0);
    assert_int_equal(strncmp(tok, "yqt_", 4), 0);
    assert_int_equal(web_token_lookup(a, tok, T0 + 10, &p), 0);
    assert_true(p.via_token);
    assert_string_equal(p.user.username, "duty1");
    assert_string_equal(p.csrf_token, "");
    assert_int_equal(web_token_lookup(a, tok, T0 + 86401, &p), ERR_NOT_FOUND);
    assert_int_equal(web_token_list(a, "duty1", &list), 0);
    assert_int_equal(json_array_size(list), 1);
    json_decref(list);
    assert_int_equal(web_token_revoke(a, id), 0);
    assert_int_equal(web_token_lookup(a, tok, T0 + 10, &p), ERR_NOT_FOUND);
    assert_int_equal(web_token_create(a, "ghost", NULL, 0, T0, tok, sizeof(tok), NULL),
                     ERR_NOT_FOUND);
}

/* ------------------------------------------------------------- issue #10 */

struct guess_ctx {
    struct web_auth *a;
    const char *client;
    int n_invalid, n_retry, n_ok;
    pthread_mutex_t lock;
};

/* One guess; a "busy" answer (all check slots taken) is tried again, as a client would. */
static void *guess_thread(void *arg)
{
    struct guess_ctx *g = arg;
    char token[WEB_TOKEN_LEN + 1];
    struct web_principal p;
    int64_t retry;
    int err;

    do {
        err = web_login(g->a, "duty1", "wrong-guess-1", g->client, T0, token, &p, &retry);
        if (err == ERR_TOO_BIG) {
            usleep(1000);
        }
    } while (err == ERR_TOO_BIG);
    pthread_mutex_lock(&g->lock);
    g->n_invalid += err == ERR_INVALID;
    g->n_retry += err == ERR_RETRY;
    g->n_ok += err == 0;
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

static void test_issue_10_parallel_guesses_get_at_most_the_limit(void **state)
{
    struct web_auth *a = *state;
    struct guess_ctx g = {.a = a, .client = "10.10.10.10"};
    pthread_t th[50];
    char token[WEB_TOKEN_LEN + 1];
    struct web_principal p;
    int64_t retry = 0;
    uint64_t before = web_auth_password_checks(a);

    pthread_mutex_init(&g.lock, NULL);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, guess_thread, &g), 0);
    }
    for (int i = 0; i < 50; i++) {
        pthread_join(th[i], NULL);
    }
    pthread_mutex_destroy(&g.lock);
    /* login_max_failures = 3: three real checks, the other 47 refused before any hashing */
    assert_int_equal(web_auth_password_checks(a) - before, 3);
    assert_int_equal(g.n_invalid, 3);
    assert_int_equal(g.n_retry, 47);
    /* the right password after the limit is refused too, from any address */
    assert_int_equal(web_login(a, "duty1", "duty-password-1", "10.20.20.20", T0 + 1, token, &p,
                               &retry),
                     ERR_RETRY);
    assert_true(retry > 0);
    assert_int_equal(web_auth_password_checks(a) - before, 3);
}

struct spread_ctx {
    struct web_auth *a;
    int index;
    int *busy; /* answers "busy" (ERR_TOO_BIG), shared */
    pthread_mutex_t *lock;
};

/* One guess of a distinct name from a distinct address: no throttle applies, only the cap. */
static void *spread_thread(void *arg)
{
    struct spread_ctx *s = arg;
    char token[WEB_TOKEN_LEN + 1], name[32], client[32];
    struct web_principal p;
    int64_t retry;
    int err;

    snprintf(name, sizeof(name), "nobody%d", s->index);
    snprintf(client, sizeof(client), "10.77.0.%d", s->index);
    do {
        err = web_login(s->a, name, "wrong-guess-1", client, T0, token, &p, &retry);
        if (err == ERR_TOO_BIG) {
            pthread_mutex_lock(s->lock);
            (*s->busy)++;
            pthread_mutex_unlock(s->lock);
            usleep(1000);
        }
    } while (err == ERR_TOO_BIG);
    assert_int_equal(err, ERR_INVALID);
    return NULL;
}

static void test_issue_10_concurrent_checks_are_bounded(void **state)
{
    struct web_auth *a = *state;
    struct spread_ctx ctx[50];
    pthread_t th[50];
    pthread_mutex_t lock;
    int busy = 0;

    pthread_mutex_init(&lock, NULL);
    for (int i = 0; i < 50; i++) {
        ctx[i] = (struct spread_ctx){.a = a, .index = i, .busy = &busy, .lock = &lock};
        assert_int_equal(pthread_create(&th[i], NULL, spread_thread, &ctx[i]), 0);
    }
    for (int i = 0; i < 50; i++) {
        pthread_join(th[i], NULL);
    }
    pthread_mutex_destroy(&lock);
    /* every guess was checked once, never more than login_max_concurrent (2) at a time */
    assert_int_equal(web_auth_password_checks(a), 50);
    assert_true(web_auth_password_checks_peak(a) >= 1);
    assert_true(web_auth_password_checks_peak(a) <= 2);
}

static void test_issue_10_long_names_are_throttled(void **state)
{
    struct web_auth *a = *state;
    char token[WEB_TOKEN_LEN + 1], name[200];
    struct web_principal p;
    int64_t retry = 0;

    memset(name, 'x', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    for (int i = 0; i < 3; i++) {
        assert_int_equal(web_login(a, name, "bad-password", "10.3.3.3", T0, token, &p, &retry),
                         ERR_INVALID);
    }
    assert_int_equal(web_login(a, name, "bad-password", "10.3.3.4", T0, token, &p, &retry),
                     ERR_RETRY);
    /* and they count against the address: 10 distinct long names lock it */
    for (int i = 0; i < 10; i++) {
        name[0] = (char)('a' + i);
        assert_int_equal(web_login(a, name, "bad-password", "10.4.4.4", T0, token, &p, &retry),
                         ERR_INVALID);
    }
    assert_int_equal(web_login(a, "duty1", "duty-password-1", "10.4.4.4", T0, token, &p, &retry),
                     ERR_RETRY);
    /* none of them cost an Argon2id check */
    assert_int_equal(web_auth_password_checks(a), 0);
}

/*
 * Issue #10: guesses of the old password are throttled. The outside review: they counted on
 * the name's (and the address's) login counters, so a session holder's wrong guesses locked
 * the name out of logins, and failed logins by anyone made the change refuse. The change has
 * a counter of its own now (login_max_failures = 3 per user): each direction leaves the other
 * alone.
 */
static void test_issue_10_password_change_is_throttled(void **state)
{
    struct web_auth *a = *state;
    char t1[WEB_TOKEN_LEN + 1], t2[WEB_TOKEN_LEN + 1], why[128];
    struct web_principal p1, p2;
    int64_t retry = 0;

    assert_int_equal(web_login(a, "duty1", "duty-password-1", "1.2.3.4", T0, t1, &p1, &retry), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(web_user_change_password(a, p1.user.id, "guess-old-pw", "new-password-22",
                                                  p1.session_id, T0, &retry, why, sizeof(why)),
                         ERR_INVALID);
    }
    /* the fourth guess, even the right one, is refused without a check */
    assert_int_equal(web_user_change_password(a, p1.user.id, "duty-password-1", "new-password-22",
                                              p1.session_id, T0 + 1, &retry, why, sizeof(why)),
                     ERR_RETRY);
    assert_true(retry > 0);
    /* the name's logins are not locked by it, from that address or another */
    assert_int_equal(web_login(a, "duty1", "duty-password-1", "1.2.3.4", T0 + 1, t2, &p2, &retry),
                     0);
    assert_int_equal(web_login(a, "duty1", "duty-password-1", "1.2.3.5", T0 + 1, t2, &p2, &retry),
                     0);

    /* failed logins lock a name from every address ... */
    assert_int_equal(
        web_login(a, "liaison-a", "liaison-password-a", "1.2.3.4", T0, t1, &p1, &retry), 0);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(
            web_login(a, "liaison-a", "wrong-password", "6.6.6.6", T0, t2, &p2, &retry),
            ERR_INVALID);
    }
    assert_int_equal(
        web_login(a, "liaison-a", "liaison-password-a", "1.2.3.4", T0 + 1, t2, &p2, &retry),
        ERR_RETRY);
    /* ... but not the user's own change from a session */
    assert_int_equal(web_user_change_password(a, p1.user.id, "liaison-password-a",
                                              "new-password-44", p1.session_id, T0 + 1, &retry, why,
                                              sizeof(why)),
                     0);
}

static void test_issue_10_token_ttl_range(void **state)
{
    struct web_auth *a = *state;
    char tok[64];
    static const int64_t bad[] = {-86400, -1, 3651LL * 86400, 4611686018427387904LL,
                                  INT64_MAX};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(web_token_create(a, "duty1", NULL, bad[i], T0, tok, sizeof(tok), NULL),
                         ERR_INVALID);
    }
    assert_int_equal(web_token_create(a, "duty1", NULL, 3650LL * 86400, T0, tok, sizeof(tok), NULL),
                     0);
}

static void test_issue_10_reset_or_move_ends_tokens_and_sessions(void **state)
{
    struct web_auth *a = *state;
    char tok[64], t1[WEB_TOKEN_LEN + 1], t2[WEB_TOKEN_LEN + 1], why[128];
    struct web_principal p, p1, p2;
    int64_t retry;
    struct web_user_change reset = {.role = WEB_ROLE_NONE, .disabled = -1,
                                    .password = "reset-password-9"};
    struct web_user_change move = {.role = WEB_ROLE_NONE, .disabled = -1,
                                   .department = "市生态环境局"};

    /* a password reset by an admin */
    assert_int_equal(web_token_create(a, "liaison-a", NULL, 86400, T0, tok, sizeof(tok), NULL), 0);
    assert_int_equal(web_user_update(a, "liaison-a", &reset, T0, why, sizeof(why)), 0);
    assert_int_equal(web_token_lookup(a, tok, T0 + 1, &p), ERR_NOT_FOUND);
    /* a move to another department */
    assert_int_equal(web_token_create(a, "liaison-a", NULL, 86400, T0, tok, sizeof(tok), NULL), 0);
    assert_int_equal(web_login(a, "liaison-a", "reset-password-9", "1.1.1.1", T0, t1, &p1, &retry),
                     0);
    assert_int_equal(web_user_update(a, "liaison-a", &move, T0, why, sizeof(why)), 0);
    assert_int_equal(web_token_lookup(a, tok, T0 + 1, &p), ERR_NOT_FOUND);
    assert_int_equal(web_session_lookup(a, t1, T0 + 1, &p), ERR_NOT_FOUND);
    /* a display-name change ends nothing */
    {
        struct web_user_change rename = {.role = WEB_ROLE_NONE, .disabled = -1,
                                         .display_name = "联络员甲"};
        assert_int_equal(web_token_create(a, "liaison-a", NULL, 86400, T0, tok, sizeof(tok), NULL),
                         0);
        assert_int_equal(web_user_update(a, "liaison-a", &rename, T0, why, sizeof(why)), 0);
        assert_int_equal(web_token_lookup(a, tok, T0 + 1, &p), 0);
    }
    /* an admin resetting their own password keeps the session they did it from */
    assert_int_equal(web_login(a, "duty1", "duty-password-1", "1.1.1.1", T0, t1, &p1, &retry), 0);
    assert_int_equal(web_login(a, "duty1", "duty-password-1", "1.1.1.1", T0, t2, &p2, &retry), 0);
    reset.keep_session_id = p1.session_id;
    assert_int_equal(web_user_update(a, "duty1", &reset, T0, why, sizeof(why)), 0);
    assert_int_equal(web_session_lookup(a, t1, T0 + 1, &p), 0);
    assert_int_equal(web_session_lookup(a, t2, T0 + 1, &p), ERR_NOT_FOUND);
}

/*
 * Issue #10: a user changing their own password (/api/password) also ends their API tokens,
 * as an admin's reset does; the session they changed it from stays, other users' tokens too.
 */
static void test_issue_10_own_password_change_ends_tokens(void **state)
{
    struct web_auth *a = *state;
    char tok[64], other[64], t1[WEB_TOKEN_LEN + 1], t2[WEB_TOKEN_LEN + 1], why[128];
    struct web_principal p, p1, p2;
    int64_t retry;

    assert_int_equal(web_token_create(a, "duty1", "脚本", 86400, T0, tok, sizeof(tok), NULL), 0);
    assert_int_equal(web_token_create(a, "liaison-a", NULL, 86400, T0, other, sizeof(other), NULL),
                     0);
    assert_int_equal(web_login(a, "duty1", "duty-password-1", "1.1.1.1", T0, t1, &p1, &retry), 0);
    assert_int_equal(web_login(a, "duty1", "duty-password-1", "1.1.1.1", T0, t2, &p2, &retry), 0);
    assert_int_equal(web_token_lookup(a, tok, T0 + 1, &p), 0);
    assert_int_equal(web_user_change_password(a, p1.user.id, "duty-password-1", "new-password-33",
                                              p1.session_id, T0, &retry, why, sizeof(why)),
                     0);
    assert_int_equal(web_token_lookup(a, tok, T0 + 1, &p), ERR_NOT_FOUND);
    assert_int_equal(web_session_lookup(a, t1, T0 + 1, &p), 0);
    assert_int_equal(web_session_lookup(a, t2, T0 + 1, &p), ERR_NOT_FOUND);
    assert_int_equal(web_token_lookup(a, other, T0 + 1, &p), 0);
    assert_string_equal(p.user.username, "liaison-a");
}

/* Whether any text column of web_sessions holds needle. */
static bool sessions_hold(struct web_auth *a, const char *needle)
{
    struct yq_stmt *st = NULL;
    bool found = false;
    assert_int_equal(yq_stmt_prepare(web_auth_db(a), "SELECT token_hash || ' ' || csrf_token FROM web_sessions", &st),
                     YQ_DB_OK);
    while (yq_stmt_step(st) == YQ_DB_ROW) {
        found = found || strstr(yq_stmt_column_text(st, 0), needle) != NULL;
    }
    yq_stmt_finalize(st);
    return found;
}

static void test_issue_10_csrf_token_is_not_stored(void **state)
{
    struct web_auth *a = *state;
    char t1[WEB_TOKEN_LEN + 1];
    struct web_principal p1, q;
    int64_t retry;

    assert_int_equal(web_login(a, "duty1", "duty-password-1", "1.1.1.1", T0, t1, &p1, &retry), 0);
    assert_int_equal(strlen(p1.csrf_token), WEB_TOKEN_LEN);
    assert_false(sessions_hold(a, p1.csrf_token));
    assert_false(sessions_hold(a, t1));
    /* the session gives the same CSRF token back */
    assert_int_equal(web_session_lookup(a, t1, T0 + 1, &q), 0);
    assert_string_equal(q.csrf_token, p1.csrf_token);
}

static void test_issue_10_migration_2_ends_sessions_with_clear_csrf(void **state)
{
    struct web_auth_cfg cfg = notifier_fixture_auth_cfg();
    struct web_auth *a = NULL;
    char path[] = "/tmp/yq-web-auth-XXXXXX", err[256], t1[WEB_TOKEN_LEN + 1], wal[64];
    struct web_principal p1, q;
    int64_t retry;
    int fd;

    DB_FIXTURE_SQLITE_ONLY(); /* the former web track of a SQLite file */
    fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(web_auth_open(&cfg, path, &a, err, sizeof(err)), 0);
    assert_int_equal(web_user_add(a, "duty1", NULL, WEB_ROLE_DUTY, NULL, "duty-password-1", false,
                                  T0, NULL, err, sizeof(err)),
                     0);
    assert_int_equal(web_login(a, "duty1", "duty-password-1", "1.1.1.1", T0, t1, &p1, &retry), 0);
    /*
     * as a version-1 store had it: the CSRF token in clear, the web tables' former track of
     * their own at 1 (issue #12 folds it into the file's one track)
     */
    assert_int_equal(yq_db_exec_raw(web_auth_db(a), "UPDATE web_sessions SET csrf_token = 'clear-csrf';"
                                  "CREATE TABLE web_schema_version (version INTEGER PRIMARY KEY,"
                                  " applied_at INTEGER NOT NULL);"
                                  "INSERT INTO web_schema_version VALUES (1, 0)"),
                     YQ_DB_OK);
    web_auth_free(a);
    a = NULL;
    assert_int_equal(web_auth_open(&cfg, path, &a, err, sizeof(err)), 0);
    assert_false(sessions_hold(a, "clear-csrf"));
    assert_int_equal(web_session_lookup(a, t1, T0 + 1, &q), ERR_NOT_FOUND);
    assert_int_equal(yq_db_exec_raw(web_auth_db(a), "SELECT 1 FROM web_schema_version"),
                     YQ_DB_ERROR); /* the old track is gone */
    /* the user stays; a store at web version 2 keeps its sessions */
    assert_int_equal(web_login(a, "duty1", "duty-password-1", "1.1.1.1", T0, t1, &p1, &retry), 0);
    assert_int_equal(yq_db_exec_raw(web_auth_db(a), "CREATE TABLE web_schema_version (version INTEGER PRIMARY KEY,"
                                  " applied_at INTEGER NOT NULL);"
                                  "INSERT INTO web_schema_version VALUES (1, 0), (2, 0)"),
                     YQ_DB_OK);
    web_auth_free(a);
    a = NULL;
    assert_int_equal(web_auth_open(&cfg, path, &a, err, sizeof(err)), 0);
    assert_int_equal(web_session_lookup(a, t1, T0 + 1, &q), 0);
    web_auth_free(a);
    unlink(path);
    snprintf(wal, sizeof(wal), "%s-wal", path);
    unlink(wal);
    snprintf(wal, sizeof(wal), "%s-shm", path);
    unlink(wal);
}

static void test_roles_and_departments(void **state)
{
    struct web_principal admin = {.user = {.role = WEB_ROLE_ADMIN}};
    struct web_principal duty = {.user = {.role = WEB_ROLE_DUTY}};
    struct web_principal la = {.user = {.role = WEB_ROLE_LIAISON, .department = "市自然资源局"}};
    struct web_principal head = {.user = {.role = WEB_ROLE_HEAD, .department = "市生态环境局"}};
    struct web_principal off = {.user = {.role = WEB_ROLE_DUTY, .disabled = true}};
    const char *co[] = {"市生态环境局"};
    enum web_role r;

    (void)state;
    assert_true(web_auth_allows(&admin, WEB_PERM_ADMIN));
    assert_false(web_auth_allows(&duty, WEB_PERM_ADMIN));
    assert_true(web_auth_allows(&duty, WEB_PERM_DUTY_ACTION));
    assert_true(web_auth_allows(&duty, WEB_PERM_LIAISON_ACTION));
    assert_false(web_auth_allows(&la, WEB_PERM_DUTY_ACTION));
    assert_false(web_auth_allows(&la, WEB_PERM_VIEW_SYSTEM));
    assert_true(web_auth_allows(&la, WEB_PERM_LIAISON_ACTION));
    assert_false(web_auth_allows(NULL, WEB_PERM_VIEW_QUEUE));
    assert_false(web_auth_allows(&off, WEB_PERM_VIEW_QUEUE));

    assert_true(web_auth_allows_department(&duty, "市生态环境局", NULL, 0));
    assert_true(web_auth_allows_department(&la, "市自然资源局", NULL, 0));
    assert_false(web_auth_allows_department(&la, "市生态环境局", NULL, 0));
    assert_false(web_auth_allows_department(&la, "", NULL, 0));
    assert_true(web_auth_allows_department(&head, "市自然资源局", co, 1));
    assert_false(web_auth_allows_department(&head, "市自然资源局", NULL, 0));

    assert_int_equal(web_role_parse("值班员", &r), 0);
    assert_int_equal(r, WEB_ROLE_DUTY);
    assert_string_equal(web_role_name(r), "duty_officer");
    assert_int_equal(web_role_parse("root", &r), ERR_INVALID);
}

/*
 * What the previous binary kept beside the web tables: their own track at web version 1, and
 * a user with a session whose CSRF token was stored in clear. The tables themselves are as
 * web migration 1 made them (their SQL has not changed since; migration 2 only deleted rows).
 */
static const char old_web_v1_sql[] =
    "CREATE TABLE web_schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL);"
    "INSERT INTO web_schema_version VALUES (1, 1);"
    "INSERT INTO web_departments VALUES ('市自然资源局', '', 1);"
    "INSERT INTO web_users (id, username, role, department, password_hash, created_at, "
    "  updated_at) VALUES (7, 'liaison1', 'liaison', '市自然资源局', 'x', 1, 1);"
    "INSERT INTO web_sessions VALUES (1, 'h1', 7, 'clear-csrf', 1, 9999999999, 9999999999);";

/*
 * Issue #12: a run/tickets.db of the previous version (ticket schema 6 on schema_version, the web
 * tables at web version 0 (never opened), 1 or 2 on web_schema_version) opens with this binary:
 * the notifier's open applies migrations 7 and 8; 8 keeps the web rows, ends version-1
 * sessions and leaves one track; `yuqingctl users` (web_auth_open) may come first. A reader does not
 * migrate and waits for the writer.
 */
static void test_issue_12_previous_store_upgrades_to_one_track(void **state)
{
    static const struct {
        int web_version; /* 0: no web tables yet */
        bool web_first;  /* web_auth_open before the ticket store's writer */
    } cases[] = {{0, false}, {1, false}, {2, false}, {2, true}, {1, true}, {0, true}};
    struct web_auth_cfg wcfg = notifier_fixture_auth_cfg();

    (void)state;
    DB_FIXTURE_SQLITE_ONLY(); /* SQLite files an older binary left */
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char dir[] = "/tmp/yq-web-upgrade-XXXXXX", path[128], side[160], err[512] = "";
        struct ticket_store_cfg cfg = {.path = path, .busy_timeout_ms = 1000};
        struct ticket_store *store = NULL;
        struct web_auth *a = NULL;
        struct web_user u;
        struct yq_db *db = NULL;
        int version = 0;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/tickets.db", dir);
        assert_int_equal(ticket_store_init(&cfg, NULL, err, sizeof(err)), 0);
        /* back to the previous version's file: ticket schema 6, web tables of their own */
        assert_int_equal(yq_db_open(path, YQ_DB_CREATE, 5000, &db, NULL, 0), YQ_DB_OK);
        assert_int_equal(yq_db_exec_raw(db, SQLITE_FIXTURE_DROP_TICKET_MIGRATION_9
                                      "DELETE FROM schema_version WHERE version > 6"),
                         YQ_DB_OK);
        assert_int_equal(yq_db_exec_raw(db, cases[i].web_version > 0
                                          ? old_web_v1_sql
                                          : "DROP TABLE web_api_tokens; DROP TABLE web_sessions;"
                                            "DROP TABLE web_users; DROP TABLE web_departments;"
                                            "DROP TABLE web_login_throttle;"),
                         YQ_DB_OK);
        if (cases[i].web_version > 1) {
            assert_int_equal(yq_db_exec_raw(db, "INSERT INTO web_schema_version VALUES (2, 2);"
                                          "UPDATE web_sessions SET csrf_token = ''"),
                             YQ_DB_OK);
        }
        yq_db_close(db);

        assert_int_equal(ticket_store_open_readonly(&cfg, &store, err, sizeof(err)),
                         ERR_BAD_STATE);
        assert_non_null(strstr(err, "has schema 6, want"));
        if (cases[i].web_first) {
            assert_int_equal(web_auth_open(&wcfg, path, &a, err, sizeof(err)), 0);
            web_auth_free(a);
            a = NULL;
        }
        assert_int_equal(ticket_store_open(&cfg, &store, err, sizeof(err)), 0);
        assert_int_equal(ticket_store_schema_version(store, &version), 0);
        assert_int_equal(version, TICKET_STORE_SCHEMA_VERSION);
        db = ticket_store_db(store);
        assert_int_equal(sqlite_fixture_scalar(db, "SELECT count(*) FROM schema_version"),
                         TICKET_STORE_SCHEMA_VERSION);
        assert_int_equal(sqlite_fixture_scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = "
                                       "'web_schema_version'"),
                         0);
        assert_int_equal(sqlite_fixture_scalar(db, "SELECT count(*) FROM web_users"),
                         cases[i].web_version > 0 ? 1 : 0);
        /* version-1 sessions held their CSRF token in clear: they end; version 2 keeps them */
        assert_int_equal(sqlite_fixture_scalar(db, "SELECT count(*) FROM web_sessions"),
                         cases[i].web_version == 2 ? 1 : 0);
        ticket_store_free(store);
        store = NULL;

        assert_int_equal(ticket_store_open_readonly(&cfg, &store, err, sizeof(err)), 0);
        ticket_store_free(store);
        assert_int_equal(web_auth_open(&wcfg, path, &a, err, sizeof(err)), 0);
        assert_int_equal(web_user_get(a, "liaison1", &u),
                         cases[i].web_version > 0 ? 0 : ERR_NOT_FOUND);
        assert_int_equal(web_department_check(a, "市自然资源局"),
                         cases[i].web_version > 0 ? 0 : ERR_NOT_FOUND);
        web_auth_free(a);

        for (int k = 0; k < 4; k++) {
            snprintf(side, sizeof(side), "%s%s", path,
                     k == 0 ? "" : k == 1 ? "-wal" : k == 2 ? "-shm" : ".lock");
            unlink(side);
        }
        rmdir(dir);
    }
}

/* a test on its own :memory: store, or PostgreSQL schema (setup/teardown) */
#define WITH_STORE(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        WITH_STORE(test_password_hash_is_argon2id_and_verifies),
        WITH_STORE(test_password_policy),
        WITH_STORE(test_user_add_validates),
        WITH_STORE(test_login_and_session_expiry),
        WITH_STORE(test_login_wrong_password_and_disabled),
        WITH_STORE(test_login_rate_limited_per_user_and_address),
        WITH_STORE(test_login_lockout_spares_a_known_device),
        WITH_STORE(test_change_password_ends_other_sessions),
        WITH_STORE(test_api_tokens),
        WITH_STORE(test_roles_and_departments),
        WITH_STORE(test_issue_10_parallel_guesses_get_at_most_the_limit),
        WITH_STORE(test_issue_10_long_names_are_throttled),
        WITH_STORE(test_issue_10_concurrent_checks_are_bounded),
        WITH_STORE(test_issue_10_password_change_is_throttled),
        WITH_STORE(test_issue_10_token_ttl_range),
        WITH_STORE(test_issue_10_own_password_change_ends_tokens),
        WITH_STORE(test_issue_10_reset_or_move_ends_tokens_and_sessions),
        WITH_STORE(test_issue_10_csrf_token_is_not_stored),
        cmocka_unit_test(test_issue_10_migration_2_ends_sessions_with_clear_csrf),
        cmocka_unit_test(test_issue_12_previous_store_upgrades_to_one_track),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
