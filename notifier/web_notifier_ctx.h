/*
 * The notifier's store handles as the web layer's ops see them: the ctx of both
 * web_notifier_ops (tickets, web_notifier_ops.h) and web_desk_ops (the desk, web_desk_ops.h).
 * A header of its own so that neither ops file includes the other's.
 */
#ifndef WEB_NOTIFIER_CTX_H
#define WEB_NOTIFIER_CTX_H

#include <pthread.h>
#include <stddef.h>

#include "notifier_metrics.h"
#include "ticket_store.h"

struct web_notifier_ctx {
    struct ticket_store *reader; /* read-only handle (borrowed) */
    struct ticket_store *writer; /* writable handle with the notifier's policy (borrowed) */
    pthread_mutex_t *lock;       /* guards both handles (borrowed; shared with the caller) */
    size_t max_items;            /* items per ticket in the detail view */
    /*
     * The notifier's dependency flags (borrowed; NULL: none, e.g. tests without a consumer):
     * the intake banner's source (web_ticket_ops.intake, notifier_health_deps()).
     */
    struct notifier_metrics *metrics;
};

#endif
