/*
 * JSON arrays of strings in the ticket store's SQL, on both databases (issue #16).
 * Columns such as events.rule_ids, rule_groups, source_kinds and tickets.co_departments hold a
 * JSON array of strings as text. SQLite reads one as a table with json_each(); PostgreSQL with
 * json_array_elements_text(). Each macro below is the FROM item "x as a table named alias with
 * one text column value", so alias.value reads an element on either backend.
 *
 * A query that needs one is written once as a macro taking the FROM-item macro, and both texts
 * are compiled in; store_json_pick() chooses by the connection's backend:
 *   #define Q(JE) "SELECT 1 FROM " JE("e.rule_groups", "j") " WHERE j.value = ?"
 *   static const char *const q[2] = {Q(STORE_JSON_EACH_SQLITE), Q(STORE_JSON_EACH_PG)};
 *   ... q[store_json_pick(db)] ...
 * On PostgreSQL a value that is not JSON fails the statement (ERR_INVALID through the caller);
 * the store writes these columns only from jansson's output.
 */
#ifndef YQ_STORE_JSON_H
#define YQ_STORE_JSON_H

#include "yq_db.h"

#define STORE_JSON_EACH_SQLITE(x, alias) "json_each(" x ") " alias
#define STORE_JSON_EACH_PG(x, alias) "json_array_elements_text(CAST(" x " AS json)) " alias "(value)"

/* 0 for SQLite, 1 for PostgreSQL: the index of a {SQLITE, PG} pair of texts. */
static inline int store_json_pick(const struct yq_db *db)
{
    return yq_db_backend(db) == YQ_DB_PG ? 1 : 0;
}

#endif
