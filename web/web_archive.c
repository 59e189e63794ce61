/*
 * web_archive() (web_internal.h): the web's read-only archive handle, opened on first use. In
 * a file of its own so that the routes that read the archive (search, backtest) call a leaf,
 * not back into web.c, which dispatches to them (no call circle, issue #12).
 */
#include <pthread.h>
#include <stdio.h>

#include "archive.h"
#include "web_internal.h"
#include "yq_banned.h"
#include "yq_err.h"

int web_archive(struct web *w, struct archive **out, char *errbuf, size_t errlen)
{
    struct archive_open_opts opts = {.flags = ARCHIVE_READONLY};
    int err = 0;

    *out = NULL;
    if (!w->cfg.archive_dir || !w->cfg.archive_dir[0]) {
        snprintf(errbuf, errlen, "no archive configured (web.archive_dir)");
        return ERR_NOT_FOUND;
    }
    pthread_mutex_lock(&w->archive_lock);
    if (!w->archive) {
        err = archive_open(w->cfg.archive_dir, &opts, &w->archive, errbuf, errlen);
    }
    *out = w->archive;
    pthread_mutex_unlock(&w->archive_lock);
    return err;
}
