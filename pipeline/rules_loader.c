#include "rules_loader.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_banned.h"

/*
 * State, under mu: IDLE (no thread), RUNNING (thread started, result not ready), DONE
 * (result in res, thread finished or finishing: joined by the taker).
 */
enum loader_state { LOADER_IDLE, LOADER_RUNNING, LOADER_DONE };

struct rules_loader {
    rules_load_fn load;
    void *ctx;
    pthread_mutex_t mu;
    pthread_cond_t done;
    enum loader_state state;
    pthread_t thread;
    struct rules_load_result res;
};

struct rules_loader *rules_loader_new(rules_load_fn load, void *ctx)
{
    struct rules_loader *l = calloc(1, sizeof(*l));

    if (!l) {
        return NULL;
    }
    l->load = load;
    l->ctx = ctx;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->done, NULL);
    return l;
}

static void *load_thread(void *arg)
{
    struct rules_loader *l = arg;
    struct rules_load_result r;

    memset(&r, 0, sizeof(r));
    pthread_mutex_lock(&l->mu);
    r.version = l->res.version;
    pthread_mutex_unlock(&l->mu);
    r.rc = l->load(l->ctx, r.version, &r.rs, r.err, sizeof(r.err));
    if (r.rc != 0 && r.rs) {
        rule_set_free(r.rs);
        r.rs = NULL;
    }
    pthread_mutex_lock(&l->mu);
    l->res = r;
    l->state = LOADER_DONE;
    pthread_cond_broadcast(&l->done);
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

int rules_loader_start(struct rules_loader *l, int64_t version)
{
    int rc = 0;

    if (version <= 0) {
        return ERR_INVALID;
    }
    pthread_mutex_lock(&l->mu);
    if (l->state != LOADER_IDLE) {
        rc = ERR_BAD_STATE;
    } else {
        memset(&l->res, 0, sizeof(l->res));
        l->res.version = version;
        l->state = LOADER_RUNNING;
        if (pthread_create(&l->thread, NULL, load_thread, l) != 0) {
            l->state = LOADER_IDLE;
            rc = ERR_NOMEM;
        }
    }
    pthread_mutex_unlock(&l->mu);
    return rc;
}

int64_t rules_loader_pending(struct rules_loader *l)
{
    int64_t v;

    pthread_mutex_lock(&l->mu);
    v = l->state == LOADER_IDLE ? 0 : l->res.version;
    pthread_mutex_unlock(&l->mu);
    return v;
}

bool rules_loader_take(struct rules_loader *l, struct rules_load_result *out)
{
    bool done;

    pthread_mutex_lock(&l->mu);
    done = l->state == LOADER_DONE;
    if (done) {
        *out = l->res;
        memset(&l->res, 0, sizeof(l->res));
    }
    pthread_mutex_unlock(&l->mu);
    if (!done) {
        return false;
    }
    pthread_join(l->thread, NULL); /* it has only the unlock and return left */
    pthread_mutex_lock(&l->mu);
    l->state = LOADER_IDLE;
    pthread_mutex_unlock(&l->mu);
    return true;
}

void rules_loader_wait(struct rules_loader *l)
{
    pthread_mutex_lock(&l->mu);
    while (l->state == LOADER_RUNNING) {
        pthread_cond_wait(&l->done, &l->mu);
    }
    pthread_mutex_unlock(&l->mu);
}

void rules_loader_free(struct rules_loader *l)
{
    struct rules_load_result r;

    if (!l) {
        return;
    }
    rules_loader_wait(l);
    if (rules_loader_take(l, &r)) {
        rule_set_free(r.rs);
    }
    pthread_cond_destroy(&l->done);
    pthread_mutex_destroy(&l->mu);
    free(l);
}
