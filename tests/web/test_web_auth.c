/*
 * web_auth: Argon2id hashing, password policy, sessions (absolute and idle expiry), login
 * throttling, API tokens, role and department checks. SQLite ":memory:" per test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_auth.h"
#include "yq_err.h"

#define T0 1795000000LL /* 2026-11-19 */

static struct web_auth_cfg test_cfg(void)
{
    struct web_auth_cfg c = {
        .session_ttl_ms = 12 * 3600 * 1000LL,
        .session_idle_ms = 2 * 3600 * 1000LL,
        .login_max_failures = 3,
        .login_ip_max_failures = 10,
        .login_window_ms = 15 * 60 * 1000LL,
        .login_lockout_ms = 15 * 60 * 1000LL,
        .pwhash_opslimit = 1,
        .pwhash_memlimit = 8192, /* crypto_pwhash_MEMLIMIT_MIN: fast tests */
        .busy_timeout_ms = 1000,
    };
    return c;
}

static int setup(void **state)
{
    struct web_auth_cfg cfg = test_cfg();
    struct web_auth *a = NULL;
    char err[256] = "";

    assert_int_equal(web_auth_open(&cfg, ":memory:", &a, err, sizeof(err)), 0);
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
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(web_auth_db(a),
                                            "SELECT count(*) FROM web_sessions WHERE token_hash "
                                            "= ?",
                                            -1, &st, NULL),
                         SQLITE_OK);
        sqlite3_bind_text(st, 1, token, -1, SQLITE_STATIC);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        assert_int_equal(sqlite3_column_int(st, 0), 0);
        sqlite3_finalize(st);
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

static void test_change_password_ends_other_sessions(void **state)
{
    struct web_auth *a = *state;
    char t1[WEB_TOKEN_LEN + 1], t2[WEB_TOKEN_LEN + 1], why[128];
    struct web_principal p1, p2, q;
    int64_t retry;

    assert_int_equal(web_login(a, "duty1", "duty-password-1", "1.1.1.1", T0, t1, &p1, &retry), 0);
    assert_int_equal(web_login(a, "duty1", "duty-password-1", "1.1.1.1", T0, t2, &p2, &retry), 0);
    assert_int_equal(web_user_change_password(a, p1.user.id, "wrong", "new-password-22",
                                              p1.session_id, T0, why, sizeof(why)),
                     ERR_INVALID);
    assert_int_equal(web_user_change_password(a, p1.user.id, "duty-password-1", "short",
                                              p1.session_id, T0, why, sizeof(why)),
                     ERR_INVALID);
    assert_int_equal(web_user_change_password(a, p1.user.id, "duty-password-1", "new-password-22",
                                              p1.session_id, T0, why, sizeof(why)),
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_password_hash_is_argon2id_and_verifies, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_password_policy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_add_validates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_and_session_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_wrong_password_and_disabled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_rate_limited_per_user_and_address, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_change_password_ends_other_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_api_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_roles_and_departments, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
