/* Password rules and Argon2id hashing (libsodium crypto_pwhash_str). */
#include "web_auth_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_log.h"
#include "yq_banned.h"

int web_password_check(const char *password, const char *username, char *errbuf, size_t errlen)
{
    size_t len = password ? strlen(password) : 0;

    if (len < WEB_PASSWORD_MIN) {
        snprintf(errbuf, errlen, "密码至少 %d 个字符", WEB_PASSWORD_MIN);
        return ERR_INVALID;
    }
    if (len > WEB_PASSWORD_MAX) {
        snprintf(errbuf, errlen, "密码不能超过 %d 字节", WEB_PASSWORD_MAX);
        return ERR_INVALID;
    }
    if (!web_auth_text_ok(password)) {
        snprintf(errbuf, errlen, "密码含有无效字符");
        return ERR_INVALID;
    }
    if (username && strcmp(password, username) == 0) {
        snprintf(errbuf, errlen, "密码不能与用户名相同");
        return ERR_INVALID;
    }
    return 0;
}

int web_password_hash(const struct web_auth *a, const char *password, char *out, size_t len)
{
    if (len < crypto_pwhash_STRBYTES) {
        return ERR_INVALID;
    }
    if (crypto_pwhash_str(out, password, strlen(password),
                          (unsigned long long)a->cfg.pwhash_opslimit,
                          (size_t)a->cfg.pwhash_memlimit) != 0) {
        return ERR_NOMEM;
    }
    return 0;
}

int web_password_verify(const char *hash, const char *password)
{
    if (!hash || !password) {
        return ERR_INVALID;
    }
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0 ? 0 : ERR_INVALID;
}
