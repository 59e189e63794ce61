/* The department registry (web_departments): add, remove, list and the existence check. */
#include "web_auth_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "yq_err.h"
#include "yq_json.h"
#include "yq_log.h"
#include "yq_banned.h"

/* 0 when name exists in web_departments, ERR_INVALID when not (caller holds the lock). */
int web_auth_department_exists_locked(struct web_auth *a, const char *name)
{
    struct yq_stmt *st = NULL;
    int err, rc;

    err =
        web_auth_prepare(a, "SELECT 1 FROM web_departments WHERE name = ?", &st, "department get");
    if (err) {
        return err;
    }
    web_auth_bind_text(st, 1, name);
    rc = yq_stmt_step(st);
    err = rc == YQ_DB_ROW    ? 0
          : rc == YQ_DB_DONE ? ERR_INVALID
                              : web_auth_fail(a, rc, "department");
    yq_stmt_finalize(st);
    return err;
}

int web_department_check(struct web_auth *a, const char *name)
{
    int err;
    pthread_mutex_lock(&a->lock);
    err = web_auth_department_exists_locked(a, name);
    pthread_mutex_unlock(&a->lock);
    return err == ERR_INVALID ? ERR_NOT_FOUND : err;
}

int web_department_add(struct web_auth *a, const char *name, const char *head, int64_t now)
{
    struct yq_stmt *st = NULL;
    int err, rc;

    if (!name || !name[0] || strlen(name) >= WEB_DEPARTMENT_MAX || !web_auth_text_ok(name) ||
        (head && (strlen(head) >= WEB_DISPLAY_MAX || !web_auth_text_ok(head)))) {
        return ERR_INVALID;
    }
    web_auth_lock(a);
    err =
        web_auth_prepare(a, "INSERT INTO web_departments (name, head, created_at) VALUES (?, ?, ?)",
                         &st, "department add");
    if (!err) {
        web_auth_bind_text(st, 1, name);
        web_auth_bind_text(st, 2, head ? head : "");
        yq_stmt_bind_int64(st, 3, now);
        rc = yq_stmt_step(st);
        if (rc != YQ_DB_DONE) {
            /* name is the primary key; head has no constraint a caller can break */
            err = (rc & 0xff) == YQ_DB_CONSTRAINT
                      ? ERR_EXISTS
                      : web_auth_fail(a, rc, "department add");
        }
        yq_stmt_finalize(st);
    }
    web_auth_unlock(a);
    return err;
}

int web_department_remove(struct web_auth *a, const char *name)
{
    struct yq_stmt *st = NULL;
    int changes = 0, err, rc;

    web_auth_lock(a);
    err = web_auth_prepare(a, "SELECT count(*) FROM web_users WHERE department = ?", &st,
                           "department users");
    if (!err) {
        web_auth_bind_text(st, 1, name);
        rc = yq_stmt_step(st);
        if (rc != YQ_DB_ROW) {
            err = web_auth_fail(a, rc, "department users");
        } else if (yq_stmt_column_int64(st, 0) > 0) {
            err = ERR_BAD_STATE;
        }
        yq_stmt_finalize(st);
    }
    if (!err) {
        err = web_auth_run_by_key_locked(a, "DELETE FROM web_departments WHERE name = ?", name, 0,
                                         0, "department remove", &changes);
    }
    web_auth_unlock(a);
    return !err && changes == 0 ? ERR_NOT_FOUND : err;
}

static json_t *department_row_json(struct yq_stmt *st)
{
    const char *liaisons = yq_stmt_column_text(st, 2);
    json_t *l = yq_json_column_array(liaisons, "liaisons");

    return json_pack("{s:s, s:s, s:o}", "name", yq_stmt_column_text(st, 0), "head",
                     yq_stmt_column_text(st, 1), "liaisons", l);
}

int web_department_list(struct web_auth *a, json_t **out)
{
    /* the liaisons as a JSON array of names: json_group_array on SQLite, json_agg on
       PostgreSQL (NULL over no rows there, read as []); ordered by name on both */
    static const char sql_sqlite[] =
        "SELECT d.name, d.head, (SELECT json_group_array(username) FROM (SELECT u.username FROM "
        "web_users u WHERE u.department = d.name AND u.role = 'liaison' AND u.disabled = 0 "
        "ORDER BY u.username) AS l) FROM web_departments d ORDER BY d.name";
    static const char sql_pg[] =
        "SELECT d.name, d.head, (SELECT json_agg(u.username ORDER BY u.username)::text FROM "
        "web_users u WHERE u.department = d.name AND u.role = 'liaison' AND u.disabled = 0) "
        "FROM web_departments d ORDER BY d.name";

    return web_auth_list_json(a, yq_db_backend(web_auth_db(a)) == YQ_DB_PG ? sql_pg : sql_sqlite,
                              NULL, department_row_json, "department list", out);
}
