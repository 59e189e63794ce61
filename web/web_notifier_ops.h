/*
 * struct web_ticket_ops over the notifier's ticket store (notifier/ticket_api.h and
 * ticket_flow.h, issue #5): the web layer's view of real tickets. Built as its own library
 * (yq_web_notifier: yq_web + yq_notifier) so that yq_web itself does not depend on the
 * notifier; the notifier's HTTP server fills a struct web_notifier_ctx with its store handles
 * and passes &web_notifier_ops and the ctx to web_new().
 */
#ifndef WEB_NOTIFIER_OPS_H
#define WEB_NOTIFIER_OPS_H

#include <pthread.h>

#include "ticket_store.h"
#include "web.h"

struct web_notifier_ctx {
    struct ticket_store *reader; /* read-only handle (borrowed) */
    struct ticket_store *writer; /* writable handle with the notifier's policy (borrowed) */
    pthread_mutex_t *lock;       /* guards both handles (borrowed; shared with the caller) */
    size_t max_items;            /* items per ticket in the detail view */
};

extern const struct web_ticket_ops web_notifier_ops;

#endif
