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

int yq_json_array_add_distinct(json_t *set, const json_t *from, bool strings_only)
{
    size_t i, j;
    json_t *v, *have;

    json_array_foreach(from, i, v)
    {
        bool seen = false;
        json_array_foreach(set, j, have)
        {
            seen = seen || json_equal(have, v);
        }
        if (!seen && (!strings_only || json_is_string(v)) && json_array_append(set, v) != 0) {
            return ERR_NOMEM;
        }
    }
    return 0;
}
