#include "yq_store_location.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "yq_db.h"
#include "yq_err.h"

const char *yq_store_location_doc(struct cfg_doc *doc)
{
    yaml_node_t *store = cfg_map_get(doc, cfg_doc_root(doc), "store");
    const char *url, *path;

    if (!store) {
        return NULL;
    }
    url = cfg_scalar(cfg_map_get(doc, store, "url"));
    if (url && url[0]) {
        return url;
    }
    path = cfg_scalar(cfg_map_get(doc, store, "path"));
    return path && path[0] ? path : NULL;
}

int yq_store_location_check(const char *location, char *errbuf, size_t errlen)
{
    const char *path = yq_db_sqlite_path(location ? location : "");

    if (!path || yq_db_is_memory(location) || strncmp(path, "file:", 5) == 0 ||
        access(path, F_OK) == 0) {
        return 0;
    }
    if (errbuf && errlen > 0) {
        snprintf(errbuf, errlen, "ticket store '%s' does not exist", path);
    }
    return ERR_NOT_FOUND;
}
