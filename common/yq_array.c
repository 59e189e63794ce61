#include "yq_array.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_banned.h"

int yq_array_reserve(void *vp, size_t *cap, size_t need, size_t elem_size)
{
    size_t ncap;
    void *old;
    void *grown;

    assert(elem_size > 0);
    if (need <= *cap) {
        return 0;
    }
    if (need > SIZE_MAX / elem_size || *cap > SIZE_MAX / 2 / elem_size) {
        return ERR_TOO_BIG; /* need, or the doubled capacity, in bytes would wrap */
    }
    ncap = *cap * 2;
    if (ncap < YQ_ARRAY_FIRST_CAP) {
        ncap = YQ_ARRAY_FIRST_CAP;
    }
    if (ncap < need) {
        ncap = need;
    }
    /* vp points at a T *, which has the representation of a void * on every target we build */
    memcpy(&old, vp, sizeof(old));
    grown = realloc(old, ncap * elem_size);
    if (!grown) {
        return ERR_NOMEM;
    }
    memcpy(vp, &grown, sizeof(grown));
    *cap = ncap;
    return 0;
}
