#include "feed_sha1.h"

#include <openssl/evp.h>

#include "yq_banned.h"

bool feed_sha1_hex(const void *data, size_t len, char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    if (!EVP_Digest(data, len, md, &md_len, EVP_sha1(), NULL) || md_len != 20) {
        return false;
    }
    for (unsigned i = 0; i < md_len; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[2 * md_len] = '\0';
    return true;
}
