#include "feed_dump.h"

#include <jansson.h>

#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

static json_t *str_or_null(const char *s)
{
    json_t *v = s ? json_string(s) : json_null();
    return v ? v : json_null(); /* invalid UTF-8 cannot occur: feed_prep repairs it */
}

static json_t *time_or_null(bool has, int64_t t)
{
    char buf[32];
    return has ? json_string(yq_time_format_utc(t, buf, sizeof(buf))) : json_null();
}

static int emit(json_t *obj, FILE *out)
{
    int rc;
    if (!obj) {
        return ERR_NOMEM;
    }
    rc = json_dumpf(obj, out, JSON_COMPACT);
    json_decref(obj);
    if (rc != 0 || fputc('\n', out) == EOF) {
        return ERR_IO;
    }
    return 0;
}

int feed_dump_json(const struct feed *f, FILE *out)
{
    int err = emit(json_pack("{s:s,s:o,s:o,s:o,s:s,s:b}", "kind", "feed", "title",
                             str_or_null(f->title), "link", str_or_null(f->link), "encoding",
                             str_or_null(f->encoding), "format", f->format, "bozo", f->bozo),
                   out);

    for (size_t i = 0; i < f->n_entries && !err; i++) {
        const struct feed_entry *e = &f->entries[i];
        json_t *cats = json_array();
        for (size_t c = 0; cats && c < e->n_categories; c++) {
            json_array_append_new(cats, str_or_null(e->categories[c]));
        }
        if (!cats) {
            return ERR_NOMEM;
        }
        err = emit(json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "kind", "entry",
                             "title", str_or_null(e->title), "link", str_or_null(e->link), "id",
                             str_or_null(e->id), "author", str_or_null(e->author), "published",
                             time_or_null(e->has_published, e->published), "updated",
                             time_or_null(e->has_updated, e->updated), "summary",
                             str_or_null(e->summary), "content", str_or_null(e->content),
                             "categories", cats),
                   out);
    }
    return err;
}
