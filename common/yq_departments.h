/*
 * The office's department registry as the command-line checks read it: the table
 * web_departments of the ticket store (kept by the web UI, yuqingctl users dept-add), in
 * registration order. One reader for every process that checks a department name against it
 * without the web layer (yuqingctl rules validate/push, yuqingctl stats, the statistics page).
 */
#ifndef YQ_DEPARTMENTS_H
#define YQ_DEPARTMENTS_H

#include <stdbool.h>
#include <stddef.h>

struct yq_db;

/* The registered names (NUL-terminated UTF-8), oldest first; n = 0: no registry. */
struct yq_departments {
    char **names;
    size_t n;
};

/*
 * Read the registry of db (borrowed, open; read-only is enough) into out (owned by the
 * caller, yq_departments_release(); zeroed first). A store without the table keeps no
 * registry: 0 with out->n = 0. errbuf: the SQLite reason on an error (may be NULL).
 * Returns 0, ERR_NOMEM, or the mapped SQLite code (ERR_RETRY, ERR_IO, ERR_PARSE).
 */
int yq_departments_read(struct yq_db *db, struct yq_departments *out, char *errbuf,
                        size_t errlen);

/* Whether name (NUL-terminated, borrowed) is registered in d. */
bool yq_departments_has(const struct yq_departments *d, const char *name);

/*
 * The names of d joined by ", " into buf (len bytes; NUL-terminated when len > 0; cut where
 * buf ends). Returns buf.
 */
const char *yq_departments_join(const struct yq_departments *d, char *buf, size_t len);

/*
 * Whether department (NUL-terminated UTF-8, borrowed) is in the office's department
 * registry: the table web_departments of the ticket store (yuqingctl users dept-add).
 * db: borrowed. registry_out: set to false when the store keeps no registry (no table, or
 * an empty one): every name is then accepted and the caller should say so.
 * errbuf: for ERR_NOT_FOUND one line in Chinese and English naming the department and the
 * registered ones ("未登记的部门 '市不存在局' ... unknown department ...; known: 市自然资源局,
 * ..."); for other errors the SQLite reason.
 * The one check of a department name for yuqingctl stats, yuqingctl tickets and the
 * statistics API.
 * Returns 0 (registered, or no registry), ERR_NOT_FOUND (not registered), ERR_RETRY or ERR_IO.
 */
int yq_departments_check(struct yq_db *db, const char *department, bool *registry_out, char *errbuf,
                         size_t errlen);

/* Free what d owns and zero it. NULL is a no-op. */
void yq_departments_release(struct yq_departments *d);

#endif
