/*
 * PLACEHOLDER while issue #14 is built in parallel: the archive front (archive.h). Every call
 * fails with ERR_INVALID "archive not built yet". Replaced by the archive helper's front; must
 * not land on main at the end of #14.
 */
#include "archive.h"

#include <stdio.h>

#include "yq_err.h"

static int not_built(char *errbuf, size_t errlen)
{
    if (errbuf && errlen) {
        snprintf(errbuf, errlen, "archive: not built yet");
    }
    return ERR_INVALID;
}

int archive_init(const char *location, char *errbuf, size_t errlen)
{
    (void)location;
    return not_built(errbuf, errlen);
}

int archive_open(const char *location, const struct archive_open_opts *opts, struct archive **out,
                 char *errbuf, size_t errlen)
{
    (void)location;
    (void)opts;
    *out = NULL;
    return not_built(errbuf, errlen);
}

void archive_close(struct archive *a)
{
    (void)a;
}
