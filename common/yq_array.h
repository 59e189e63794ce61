/*
 * The one way to grow an array of fixed-size elements (issue #12): callers keep a pointer, a
 * count and a capacity and ask for room before they append. Byte buffers use yq_buf.h.
 */
#ifndef YQ_ARRAY_H
#define YQ_ARRAY_H

#include <stddef.h>

/* The capacity, in elements, of an array's first allocation (unless need is larger). */
#define YQ_ARRAY_FIRST_CAP 16

/*
 * Make room for at least need elements of elem_size bytes each in a realloc()ed array.
 * vp:        the address of the caller's array pointer (in effect a void **, e.g. &s->v for
 *            struct x *v); the array may be NULL with *cap 0. It is owned by the caller and
 *            replaced by realloc() when it grows; free it with free().
 * cap:       the capacity in elements; on success *cap >= need. When *cap < need it becomes the
 *            largest of need, 2 * *cap and YQ_ARRAY_FIRST_CAP (elements past the old capacity
 *            are uninitialised). When *cap >= need nothing changes.
 * elem_size: bytes per element (sizeof(*v)), > 0.
 * Returns 0, ERR_NOMEM (realloc() failed) or ERR_TOO_BIG (need * elem_size or 2 * *cap *
 * elem_size does not fit in a size_t). On failure the array and *cap are unchanged. Not
 * thread-safe for one array; distinct arrays are independent.
 */
int yq_array_reserve(void *vp, size_t *cap, size_t need, size_t elem_size);

#endif
