/*
 * JSON arrays of strings in the ticket store's SQL, on both databases (issue #16).
 * Columns such as events.rule_ids, rule_groups, source_kinds and tickets.co_departments hold a
 * JSON array of strings as text. SQLite reads one as a table with json_each(); PostgreSQL with
 * json_array_elements_text(). Each macro below is the FROM item "x as a table named alias with
 * one text column value", so alias.value reads an element on either backend.
 *
 * A query that needs one is written once as a macro taking the FROM-item macro, and both texts
 * are compiled in; store_json_pick() chooses by the connection's backend:
 *   #define Q(JE) "SELECT 1 FROM " JE(STORE_JSON_COLUMN("e.rule_groups", "rule_groups"), "j") \
 *                 " WHERE j.value = ?"
 *   static const char *const q[2] = {Q(STORE_JSON_EACH_SQLITE), Q(STORE_JSON_EACH_PG)};
 *   ... q[store_json_pick(db)] ...
 * A stored column is read through STORE_JSON_COLUMN(), never bare: a corrupt value (a hand
 * edit, a bad restore) would fail the whole statement on PostgreSQL and, on SQLite, fail it
 * too (not JSON) or give an object's or a scalar's values as elements. Through it, both read
 * a corrupt value as [] with one warning, as yq_json_column_array() does in C. A parameter
 * the caller builds with jansson is passed bare.
 */
#ifndef YQ_STORE_JSON_H
#define YQ_STORE_JSON_H

#include "yq_db.h"

#define STORE_JSON_EACH_SQLITE(x, alias) "json_each(" x ") " alias
#define STORE_JSON_EACH_PG(x, alias)                                                               \
    "json_array_elements_text(CAST(" x " AS json)) " alias "(value)"

/*
 * The stored JSON array column col (its SQL reference, "t.co_departments") as yq_json_array()
 * (yq_db.h) makes it: itself when it is an array, else '[]' with one warning naming name (the
 * column's name, "co_departments"). Both are string literals.
 */
#define STORE_JSON_COLUMN(col, name) "yq_json_array(" col ", '" name "')"

/* 0 for SQLite, 1 for PostgreSQL: the index of a {SQLITE, PG} pair of texts. */
static inline int store_json_pick(const struct yq_db *db)
{
    return yq_db_backend(db) == YQ_DB_PG ? 1 : 0;
}

#endif
