#include "yq_departments.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_array.h"
#include "yq_err.h"
#include "yq_db.h"
#include "yq_banned.h"

int yq_departments_read(struct yq_db *db, struct yq_departments *out, char *errbuf, size_t errlen)
{
    struct yq_stmt *st = NULL;
    bool has = false;
    size_t cap = 0;
    int rc = YQ_DB_DONE, err;

    memset(out, 0, sizeof(*out));
    err = yq_db_has_table(db, "web_departments", &has, errbuf, errlen);
    if (err || !has) {
        return err; /* no table: the office keeps no registry in this store */
    }
    err = yq_db_prepare(db, "SELECT name FROM web_departments ORDER BY created_at, name", &st,
                            "department registry", errbuf, errlen);
    if (err) {
        return err; /* a busy, corrupt or unreadable store is not "no registry" */
    }
    while (!err && (rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        const char *name = yq_stmt_column_text(st, 0);

        if (!name) {
            continue;
        }
        err = yq_array_reserve(&out->names, &cap, out->n + 1, sizeof(*out->names));
        if (err) {
            break;
        }
        if (!(out->names[out->n] = strdup(name))) {
            err = ERR_NOMEM;
            break;
        }
        out->n++;
    }
    if (!err && rc != YQ_DB_DONE) {
        err = yq_db_fail(db, rc, "department registry", errbuf, errlen);
    }
    yq_stmt_finalize(st);
    if (err) {
        yq_departments_release(out);
    }
    return err;
}

bool yq_departments_has(const struct yq_departments *d, const char *name)
{
    for (size_t i = 0; i < d->n; i++) {
        if (strcmp(d->names[i], name) == 0) {
            return true;
        }
    }
    return false;
}

const char *yq_departments_join(const struct yq_departments *d, char *buf, size_t len)
{
    size_t o = 0;

    if (len > 0) {
        buf[0] = '\0';
    }
    for (size_t i = 0; i < d->n && o < len; i++) {
        o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "", d->names[i]);
    }
    return buf;
}

void yq_departments_release(struct yq_departments *d)
{
    if (!d) {
        return;
    }
    for (size_t i = 0; i < d->n; i++) {
        free(d->names[i]);
    }
    free(d->names);
    memset(d, 0, sizeof(*d));
}

int yq_departments_check(struct yq_db *db, const char *department, bool *registry_out, char *errbuf,
                         size_t errlen)
{
    struct yq_departments reg;
    char known[2048];
    int err = yq_departments_read(db, &reg, errbuf, errlen);

    *registry_out = false;
    if (err) {
        return err;
    }
    *registry_out = reg.n > 0;
    if (reg.n > 0 && !yq_departments_has(&reg, department)) {
        snprintf(errbuf, errlen,
                 "未登记的部门 '%s'（部门以 yuqingctl users dept-add 登记）; unknown "
                 "department '%s'; known (已登记): %s",
                 department, department, yq_departments_join(&reg, known, sizeof(known)));
        err = ERR_NOT_FOUND;
    } else if (errlen > 0) {
        errbuf[0] = '\0';
    }
    yq_departments_release(&reg);
    return err;
}
