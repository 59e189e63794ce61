/*
 * Where the ticket store is, for every program that opens it from a config file or --db
 * (issue #16): the store section's url (a postgresql:// URL) when set, else its path (a SQLite
 * file). A SQLite store is a file 'yuqingctl store init' made, so a missing one is an error
 * before anything opens it; a PostgreSQL store has no file to check (the connection says
 * whether it is there). Messages never carry a URL's password (yq_db_redact()).
 */
#ifndef YQ_STORE_LOCATION_H
#define YQ_STORE_LOCATION_H

#include <stddef.h>

#include "yq_cfg.h"

/*
 * The store location of a loaded config document: store.url when it is a non-empty string, else
 * store.path; NULL when the document has neither (or no store section). Borrowed from doc.
 */
const char *yq_store_location_doc(struct cfg_doc *doc);

/*
 * Whether location can name an existing store: 0 for a PostgreSQL URL, an in-memory SQLite
 * database or a SQLite "file:" URI (opening them tells); for a SQLite path, 0 when the file
 * exists, else ERR_NOT_FOUND with "ticket store 'PATH' does not exist" in errbuf (may be NULL).
 */
int yq_store_location_check(const char *location, char *errbuf, size_t errlen);

#endif
