#include "web_source_ops.h"

#include <pthread.h>
#include <string.h>

#include "source_blind.h"
#include "web_notifier_ctx.h"
#include "yq_err.h"
#include "yq_banned.h"

/* The windows of [since, until) on the reader handle; *list filled (released by the caller). */
static int read_windows(struct web_notifier_ctx *x, const char *source_id, int64_t since,
                        int64_t until, size_t max, struct source_blind_list *list)
{
    int err;

    pthread_mutex_lock(x->lock);
    err = source_blind_list(x->reader, source_id, since, until, max, list);
    pthread_mutex_unlock(x->lock);
    return err;
}

static int ops_blind(void *ctx, int64_t since, int64_t until, const char *source_id, size_t max,
                     int64_t now, json_t **out)
{
    struct source_blind_list list;
    json_t *arr;
    size_t cap = max < SOURCE_BLIND_LIST_MAX ? max : SOURCE_BLIND_LIST_MAX;
    int err;

    *out = NULL;
    /* one more than asked: whether the list was cut */
    err = read_windows(ctx, source_id, since, until, cap + 1, &list);
    if (err) {
        return err;
    }
    arr = json_array();
    for (size_t i = 0; arr && i < list.n && i < cap; i++) {
        if (json_array_append_new(arr, source_blind_row_json(&list.v[i], now)) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    if (arr) {
        *out = json_pack("{s:o, s:b}", "windows", arr, "truncated", list.n > cap);
    }
    source_blind_list_release(&list);
    return *out ? 0 : ERR_NOMEM;
}

static int ops_blind_now(void *ctx, int64_t now, json_t **out)
{
    struct source_blind_list list;
    json_t *by = NULL;
    int err;

    *out = NULL;
    err = read_windows(ctx, NULL, now, now, SOURCE_BLIND_LIST_MAX, &list);
    if (err) {
        return err;
    }
    by = json_object();
    for (size_t i = 0; by && i < list.n; i++) {
        json_t *arr = json_object_get(by, list.v[i].source_id);
        if (!arr && json_object_set_new(by, list.v[i].source_id, arr = json_array()) != 0) {
            arr = NULL;
        }
        if (!arr || json_array_append_new(arr, source_blind_row_json(&list.v[i], now)) != 0) {
            json_decref(by);
            by = NULL;
        }
    }
    source_blind_list_release(&list);
    *out = by;
    return by ? 0 : ERR_NOMEM;
}

const struct web_source_ops web_source_ops = {
    .blind = ops_blind,
    .blind_now = ops_blind_now,
};
