#ifndef YQ_HASH_H
#define YQ_HASH_H
/*
 * FNV-1a (Fowler/Noll/Vo, the 32- and 64-bit offset bases and primes of
 * http://www.isthe.com/chongo/tech/comp/fnv/) over a NUL-terminated string's bytes: the one
 * non-cryptographic string hash of the project (shard choice, cache slots, lock keys). Stable
 * across builds and machines: shard assignments and lock keys depend on its values.
 */

#include <stdint.h>

/* FNV-1a 32-bit of s (borrowed, not NULL). */
static inline uint32_t yq_fnv1a32(const char *s)
{
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h = (h ^ *p) * 16777619u;
    }
    return h;
}

/* FNV-1a 64-bit of s (borrowed, not NULL). */
static inline uint64_t yq_fnv1a64(const char *s)
{
    uint64_t h = 14695981039346656037ull; /* the FNV-1a 64 offset basis */
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        h = (h ^ *p) * 1099511628211ull;
    }
    return h;
}

#endif
