/*
 * The step the configuration fuzz targets share (fuzz_cfg, fuzz_notify_cfg; header-only,
 * include after fuzz_common.h): the input as a YAML document, then a key table filled from its
 * root, each result checked against its documented codes. A broken invariant is abort().
 */
#ifndef FUZZ_CFG_COMMON_H
#define FUZZ_CFG_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_common.h"
#include "yq_cfg.h"
#include "yq_err.h"

/*
 * Load data (size bytes) into doc (caller storage, zeroed here; release with cfg_doc_release()
 * whatever the result) as the file "fuzz.yaml"; when it loads, fill keys into out (caller
 * storage, zeroed by the caller; release with cfg_release(keys, out) whatever the result).
 * abort() unless the load returns 0, ERR_PARSE, ERR_NOMEM or ERR_IO and the fill 0,
 * ERR_INVALID or ERR_NOMEM with a reason in err (errlen bytes). Returns the load's code when it
 * failed, else the fill's.
 */
static inline int fuzz_cfg_load_fill(const uint8_t *data, size_t size, const struct cfg_key *keys,
                                     void *out, struct cfg_doc *doc, char *err, size_t errlen)
{
    static const int load_codes[] = {0, ERR_PARSE, ERR_NOMEM, ERR_IO};
    int rc;

    memset(doc, 0, sizeof(*doc));
    rc = cfg_doc_load(doc, "fuzz.yaml", (const char *)data, size, err, errlen);
    fuzz_expect_code(rc, load_codes, sizeof(load_codes) / sizeof(load_codes[0]));
    if (rc != 0) {
        return rc;
    }
    rc = cfg_fill(keys, out, doc, cfg_doc_root(doc), err, errlen);
    fuzz_expect_cfg_result(rc, err);
    return rc;
}

#endif
