#include "db_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "yq_db.h"

/* The server's URL, from $YQ_TEST_PG or the file named by $YQ_TEST_PG_FILE; "" when none. */
static const char *server_url(void)
{
    static char url[512];
    static int loaded;
    const char *env, *file;

    if (loaded) {
        return url;
    }
    loaded = 1;
    env = getenv("YQ_TEST_PG");
    file = getenv("YQ_TEST_PG_FILE");
    if (env && env[0]) {
        snprintf(url, sizeof(url), "%s", env);
    } else if (file && file[0]) {
        FILE *f = fopen(file, "r");
        if (f) {
            if (fgets(url, sizeof(url), f)) {
                url[strcspn(url, "\r\n")] = '\0';
            }
            fclose(f);
        }
        if (!url[0]) {
            fprintf(stderr, "db_fixture: %s names no PostgreSQL URL\n", file);
            abort(); /* a -pg run without its server must not pass as SQLite */
        }
    }
    return url;
}

bool db_fixture_pg(void)
{
    return server_url()[0] != '\0';
}

const char *db_fixture_new(char *buf, size_t len, const char *sqlite_location)
{
    static unsigned counter;
    struct yq_db *db = NULL;
    char err[512] = "", schema[64], sql[128];

    if (!db_fixture_pg()) {
        snprintf(buf, len, "%s", sqlite_location);
        return buf;
    }
    if (yq_db_open(server_url(), 0, 5000, &db, err, sizeof(err)) != 0) {
        fail_msg("db_fixture: %s", err);
    }
    snprintf(schema, sizeof(schema), "t_%ld_%u_%ld", (long)getpid(), ++counter,
             (long)(time(NULL) % 100000));
    snprintf(sql, sizeof(sql), "CREATE SCHEMA %s", schema);
    if (yq_db_exec_raw(db, sql) != YQ_DB_OK) {
        fail_msg("db_fixture: %s: %s", sql, yq_db_errmsg(db));
    }
    yq_db_close(db);
    snprintf(buf, len, "%s%coptions=-csearch_path%%3D%s", server_url(),
             strchr(server_url(), '?') ? '&' : '?', schema);
    return buf;
}

void db_fixture_drop(const char *location)
{
    const char *p;
    struct yq_db *db = NULL;
    char sql[128];

    if (!location || yq_db_backend_of(location) != YQ_DB_PG ||
        !(p = strstr(location, "search_path%3D"))) {
        return;
    }
    if (yq_db_open(server_url(), 0, 5000, &db, NULL, 0) != 0) {
        return;
    }
    snprintf(sql, sizeof(sql), "DROP SCHEMA IF EXISTS %.60s CASCADE", p + 14);
    yq_db_exec_raw(db, sql);
    yq_db_close(db);
}
