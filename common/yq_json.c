#include "yq_json.h"

#include <string.h>

#include "yq_err.h"
#include "yq_banned.h"

int yq_json_dump(json_t *obj, size_t flags, char **out, size_t *out_len)
{
    char *text = obj ? json_dumps(obj, flags) : NULL;

    json_decref(obj);
    *out = text;
    if (!text) {
        return ERR_NOMEM;
    }
    if (out_len) {
        *out_len = strlen(text);
    }
    return 0;
}
