/*
 * The web's read-only archive handle (web_internal.h web_archive()), apart from web.c so that the
 * routes that read the archive (search, backtest) call no function of web.c, which calls the
 * routes (scripts/check-circles.py: no call circles between C files).
 */
#include <stdio.h>

#include "archive.h"
#include "web_internal.h"
#include "yq_err.h"
#include "yq_banned.h"

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
