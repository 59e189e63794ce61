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

static json_t *strings(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        if (json_array_append_new(a, str_or_null(v[i])) != 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

int feed_dump_json(const struct feed *f, FILE *out)
{
    int err = emit(json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:b,s:o}", "kind", "feed",
                             "title", str_or_null(f->title), "link", str_or_null(f->link),
                             "subtitle", str_or_null(f->subtitle), "author",
                             str_or_null(f->author), "updated",
                             time_or_null(f->has_updated, f->updated), "encoding",
                             str_or_null(f->encoding), "encoding_source",
                             str_or_null(f->encoding_source), "format", f->format, "bozo",
                             f->bozo, "bozo_message", str_or_null(f->bozo_message)),
                   out);

    for (size_t i = 0; i < f->n_entries && !err; i++) {
        const struct feed_entry *e = &f->entries[i];
        json_t *cats = strings(e->categories, e->n_categories);
        json_t *encl = strings(e->enclosures, e->n_enclosures);
        if (!cats || !encl) {
            json_decref(cats);
            json_decref(encl);
            return ERR_NOMEM;
        }
        err = emit(json_pack("{s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "kind",
                             "entry", "title", str_or_null(e->title), "link",
                             str_or_null(e->link), "id", str_or_null(e->id), "author",
                             str_or_null(e->author), "published",
                             time_or_null(e->has_published, e->published),
                             "published_precision",
                             str_or_null(e->has_published ? e->published_precision : NULL),
                             "updated", time_or_null(e->has_updated, e->updated), "summary",
                             str_or_null(e->summary), "content", str_or_null(e->content),
                             "categories", cats, "enclosures", encl),
                   out);
    }
    return err;
}
