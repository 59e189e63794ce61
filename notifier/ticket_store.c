#include "ticket_store.h"
#include "ticket_store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_json.h"
#include "yq_array.h"
#include "yq_json.h"
#include "yq_err.h"
#include "yq_labels.h"
#include "yq_log.h"
#include "yq_db.h"
#include "yq_time.h"

#include "web_auth.h" /* migration 8: the web accounts share this file's track */
#include "yq_banned.h"

#define CFG_KEYS_OF ticket_store_cfg
const struct cfg_key ticket_store_cfg_keys[] = {
    CFG_STRING_KEY(
        path, "run/tickets.db",
        "SQLite ticket database (WAL, 0600; keep it on a local disk); created only by "
        "'yuqingctl store init', a missing one stops the notifier (exit 2). Not used when url is "
        "set"),
    CFG_STRING_KEY(
        url, "",
        "PostgreSQL 15 ticket store instead of the SQLite file: postgresql://user@host:port/db "
        "(libpq URI; the password from ~/.pgpass or PGPASSWORD, not here). Several notifiers may "
        "share it (docs/operations.md, \"Scaling\")"),
    YQ_DB_BUSY_TIMEOUT_KEY("how long a statement waits for a lock held by another connection"),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

/*
 * The columns every table of items (ticket_items, held_items, event_items) gives an item's
 * source and text, in this order.
 */
#define ITEM_SOURCE_COLUMNS                                                                        \
    "  source TEXT NOT NULL DEFAULT '',"                                                           \
    "  source_id TEXT NOT NULL DEFAULT '',"                                                        \
    "  channel TEXT NOT NULL DEFAULT '',"                                                          \
    "  url TEXT NOT NULL DEFAULT '',"                                                              \
    "  title TEXT NOT NULL DEFAULT '',"                                                            \
    "  excerpt TEXT NOT NULL DEFAULT '',"

/*
 * held_items' columns around reason, in either dialect (D: SQ or PG, see MIGRATION_<n>(D)):
 * migration 5 creates the table and migration 6 rebuilds it with a wider CHECK on reason; the
 * SQL they run is the same text as when they were written.
 */
#define HELD_ITEMS_ID_COLUMNS(D)                                                                   \
    D##_ID                                                                                         \
    "  item_id TEXT NOT NULL UNIQUE,"                                                              \
    "  event_key TEXT NOT NULL,"
#define HELD_ITEMS_ITEM_COLUMNS(D)                                                                 \
    ITEM_SOURCE_COLUMNS                                                                            \
    "  author TEXT NOT NULL DEFAULT '',"                                                           \
    "  published_at " D##_INT ","                                                                  \
    "  published_precision TEXT,"                                                                  \
    "  fetched_at " D##_INT " NOT NULL,"                                                           \
    "  detected_at " D##_INT " NOT NULL,"                                                          \
    "  level TEXT NOT NULL,"                                                                       \
    "  department TEXT NOT NULL DEFAULT '',"                                                       \
    "  source_department TEXT NOT NULL DEFAULT '',"                                                \
    "  rule_ids TEXT NOT NULL DEFAULT '[]',"                                                       \
    "  matches TEXT NOT NULL DEFAULT '[]',"                                                        \
    "  score " D##_REAL " NOT NULL DEFAULT 0,"                                                     \
    "  held_at " D##_INT " NOT NULL"                                                               \
    ");"

/*
 * Migrations in order; an applied migration is never edited, later issues append. Each runs
 * in its own transaction together with its schema_version row.
 */
/* The columns of tickets that ticket_clock_history keeps (migration 12), and their NEW values. */
#define CLOCK_HISTORY_COLUMNS                                                                      \
    "department, level, assigned_at, ack_deadline, response_deadline, press_deadline, "            \
    "close_deadline"
#define CLOCK_HISTORY_NEW                                                                          \
    "NEW.department, NEW.level, NEW.assigned_at, NEW.ack_deadline, NEW.response_deadline, "        \
    "NEW.press_deadline, NEW.close_deadline"

/*
 * The PostgreSQL text of each migration (issue #16; docs/architecture.md, "SQL on two
 * databases"): the same tables, columns, defaults, CHECKs, UNIQUEs, indexes and foreign keys as
 * the SQLite text beside it, with INTEGER -> BIGINT, REAL -> DOUBLE PRECISION, INTEGER PRIMARY
 * KEY -> an identity column, SQLite's table rebuild (migration 6) -> ALTER TABLE and the
 * RAISE(ABORT) triggers -> PL/pgSQL trigger functions raising SQLSTATE 23000
 * (integrity_constraint_violation, YQ_DB_CONSTRAINT as on SQLite). Written once, like the SQLite
 * text: an applied migration is never edited.
 */
#define PG_ID "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"

/*
 * An append-only table on PostgreSQL: every UPDATE, DELETE and TRUNCATE is refused with message
 * (SQLite has no TRUNCATE; its triggers refuse UPDATE and DELETE with the same message).
 */
#define PG_APPEND_ONLY(table, message)                                                             \
    "CREATE TRIGGER " table "_no_update BEFORE UPDATE ON " table                                   \
    "  FOR EACH ROW EXECUTE PROCEDURE yq_append_only('" message "');"                              \
    "CREATE TRIGGER " table "_no_delete BEFORE DELETE ON " table                                   \
    "  FOR EACH ROW EXECUTE PROCEDURE yq_append_only('" message "');"                              \
    "CREATE TRIGGER " table "_no_truncate BEFORE TRUNCATE ON " table                               \
    "  FOR EACH STATEMENT EXECUTE PROCEDURE yq_append_only('" message "');"

/*
 * A migration written once for both databases is a macro MIGRATION_<n>(D), its SQLite text
 * MIGRATION_<n>(SQ) and its PostgreSQL text MIGRATION_<n>(PG): one list of tables, columns,
 * CHECKs and indexes, so the two cannot drift apart. In it D##_ID is the id column, D##_INT and
 * D##_REAL the integer and real types, D##_WITHOUT_ROWID SQLite's clustered table,
 * D##_APPEND_ONLY(table, message) the guards of an append-only table and
 * D##_APPEND_ONLY_FUNCTION the PL/pgSQL function they call (created by migration 1). Each text
 * is byte for byte the one that was applied before it was written this way (issue #12). SQLite's
 * spellings are SQ_*; PostgreSQL's are PG_ID and PG_APPEND_ONLY above and PG_* below.
 */
#define SQ_ID "  id INTEGER PRIMARY KEY,"
#define SQ_INT "INTEGER"
#define SQ_REAL "REAL"
#define SQ_WITHOUT_ROWID " WITHOUT ROWID"
#define SQ_APPEND_ONLY_FUNCTION ""
#define SQ_APPEND_ONLY(table, message)                                                             \
    "CREATE TRIGGER " table "_no_update BEFORE UPDATE ON " table                                   \
    "  BEGIN SELECT RAISE(ABORT, '" message "'); END;"                                             \
    "CREATE TRIGGER " table "_no_delete BEFORE DELETE ON " table                                   \
    "  BEGIN SELECT RAISE(ABORT, '" message "'); END;"

#define PG_INT "BIGINT"
#define PG_REAL "DOUBLE PRECISION"
#define PG_WITHOUT_ROWID ""
/* the one guard of every append-only table; TG_ARGV[0] is the message */
#define PG_APPEND_ONLY_FUNCTION                                                                    \
    "CREATE FUNCTION yq_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"                \
    "  RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'integrity_constraint_violation';"          \
    "END $$;"

#define MIGRATION_1(D)                                                                             \
    "CREATE TABLE ticket_number_seq ("                                                             \
    "  month TEXT PRIMARY KEY,"                                                                    \
    "  last_seq " D##_INT " NOT NULL"                                                              \
    ");"                                                                                           \
    "CREATE TABLE tickets (" D##_ID                                                                \
    "  number TEXT NOT NULL UNIQUE,"                                                               \
    "  event_key TEXT NOT NULL UNIQUE,"                                                            \
    "  title TEXT NOT NULL,"                                                                       \
    "  level TEXT NOT NULL CHECK (level IN ('I','II','III','IV')),"                                \
    "  department TEXT NOT NULL DEFAULT '',"                                                       \
    "  state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','acknowledged',"                 \
    "    'responded','closed','returned','dismissed')),"                                           \
    "  first_post_at " D##_INT ","                                                                 \
    "  detected_at " D##_INT " NOT NULL,"                                                          \
    "  ack_deadline " D##_INT " NOT NULL,"                                                         \
    "  response_deadline " D##_INT " NOT NULL,"                                                    \
    "  item_count " D##_INT " NOT NULL DEFAULT 0,"                                                 \
    "  score " D##_REAL " NOT NULL DEFAULT 0,"                                                     \
    "  rules_version " D##_INT " NOT NULL DEFAULT 0,"                                              \
    "  url TEXT NOT NULL DEFAULT '',"                                                              \
    "  created_at " D##_INT " NOT NULL,"                                                           \
    "  updated_at " D##_INT " NOT NULL"                                                            \
    ");"                                                                                           \
    "CREATE INDEX tickets_state_deadline ON tickets (state, response_deadline);"                   \
    "CREATE TABLE ticket_items (" D##_ID                                                           \
    "  ticket_id " D##_INT " NOT NULL REFERENCES tickets (id),"                                    \
    "  item_id TEXT NOT NULL,"                                                                     \
    ITEM_SOURCE_COLUMNS                                                                            \
    "  published_at " D##_INT ","                                                                  \
    "  rule_ids TEXT NOT NULL DEFAULT '[]',"                                                       \
    "  matches TEXT NOT NULL DEFAULT '[]',"                                                        \
    "  added_at " D##_INT " NOT NULL,"                                                             \
    "  UNIQUE (ticket_id, item_id)"                                                                \
    ");"                                                                                           \
    "CREATE TABLE ticket_log (" D##_ID                                                             \
    "  ticket_id " D##_INT " NOT NULL REFERENCES tickets (id),"                                    \
    "  at " D##_INT " NOT NULL,"                                                                   \
    "  actor TEXT NOT NULL,"                                                                       \
    "  action TEXT NOT NULL,"                                                                      \
    "  note TEXT NOT NULL DEFAULT ''"                                                              \
    ");"                                                                                           \
    "CREATE INDEX ticket_log_ticket ON ticket_log (ticket_id, id);"                                \
    D##_APPEND_ONLY_FUNCTION                                                                       \
    D##_APPEND_ONLY("ticket_log", "ticket_log is append-only")

#define MIGRATION_2(D)                                                                             \
    "ALTER TABLE tickets ADD COLUMN co_departments TEXT NOT NULL DEFAULT '[]';"                    \
    "ALTER TABLE tickets ADD COLUMN heat " D##_INT " NOT NULL DEFAULT 0;"                          \
    "ALTER TABLE tickets ADD COLUMN assigned_at " D##_INT ";"                                      \
    "ALTER TABLE tickets ADD COLUMN acknowledged_at " D##_INT ";"                                  \
    "ALTER TABLE tickets ADD COLUMN responded_at " D##_INT ";"                                     \
    "ALTER TABLE tickets ADD COLUMN closed_at " D##_INT ";"                                        \
    "ALTER TABLE tickets ADD COLUMN returned_at " D##_INT ";"                                      \
    "ALTER TABLE tickets ADD COLUMN dismissed_at " D##_INT ";"                                     \
    "ALTER TABLE tickets ADD COLUMN dismiss_reason TEXT NOT NULL DEFAULT '';"                      \
    "ALTER TABLE tickets ADD COLUMN reopened_at " D##_INT ";"                                      \
    "ALTER TABLE tickets ADD COLUMN reopen_count " D##_INT " NOT NULL DEFAULT 0;"                  \
    "ALTER TABLE tickets ADD COLUMN press_deadline " D##_INT ";"                                   \
    "ALTER TABLE tickets ADD COLUMN press_held_at " D##_INT ";"                                    \
    "ALTER TABLE tickets ADD COLUMN close_deadline " D##_INT ";"                                   \
    "ALTER TABLE tickets ADD COLUMN ack_overdue " D##_INT " NOT NULL DEFAULT 0;"                   \
    "ALTER TABLE tickets ADD COLUMN response_overdue " D##_INT " NOT NULL DEFAULT 0;"              \
    "ALTER TABLE tickets ADD COLUMN press_overdue " D##_INT " NOT NULL DEFAULT 0;"                 \
    "ALTER TABLE tickets ADD COLUMN close_overdue " D##_INT " NOT NULL DEFAULT 0;"                 \
    "ALTER TABLE tickets ADD COLUMN version " D##_INT " NOT NULL DEFAULT 0;"                       \
    "UPDATE tickets SET assigned_at = detected_at, heat = item_count;"                             \
    "CREATE INDEX tickets_department ON tickets (department, state);"                              \
    "ALTER TABLE ticket_log ADD COLUMN actor_role TEXT NOT NULL DEFAULT 'system';"                 \
    "ALTER TABLE ticket_log ADD COLUMN from_state TEXT NOT NULL DEFAULT '';"                       \
    "ALTER TABLE ticket_log ADD COLUMN to_state TEXT NOT NULL DEFAULT '';"                         \
    "CREATE TABLE ticket_item_revisions (" D##_ID                                                  \
    "  ticket_id " D##_INT " NOT NULL REFERENCES tickets (id),"                                    \
    "  item_id TEXT NOT NULL,"                                                                     \
    "  content_hash TEXT NOT NULL,"                                                                \
    "  title TEXT NOT NULL DEFAULT '',"                                                            \
    "  added_at " D##_INT " NOT NULL,"                                                             \
    "  UNIQUE (ticket_id, item_id, content_hash)"                                                  \
    ");"                                                                                           \
    "CREATE TABLE ticket_responses (" D##_ID                                                       \
    "  ticket_id " D##_INT " NOT NULL REFERENCES tickets (id),"                                    \
    "  channel TEXT NOT NULL CHECK (channel IN ('权威发布','新闻发布会','吹风会','政务微博',"      \
    "    '政务微信','网站','答复')),"                                                              \
    "  url TEXT NOT NULL DEFAULT '',"                                                              \
    "  responded_at " D##_INT " NOT NULL,"                                                         \
    "  recorded_at " D##_INT " NOT NULL,"                                                          \
    "  recorded_by TEXT NOT NULL,"                                                                 \
    "  note TEXT NOT NULL DEFAULT '',"                                                             \
    "  log_id " D##_INT " NOT NULL REFERENCES ticket_log (id)"                                     \
    ");"                                                                                           \
    "CREATE INDEX ticket_responses_ticket ON ticket_responses (ticket_id, id);"                    \
    "CREATE TABLE ticket_escalations (" D##_ID                                                     \
    "  ticket_id " D##_INT " NOT NULL REFERENCES tickets (id),"                                    \
    "  clock TEXT NOT NULL CHECK (clock IN ('ack','response','press','close')),"                   \
    "  stage TEXT NOT NULL CHECK (stage IN ('remind','supervise')),"                               \
    "  deadline " D##_INT " NOT NULL,"                                                             \
    "  at " D##_INT " NOT NULL,"                                                                   \
    "  log_id " D##_INT " NOT NULL REFERENCES ticket_log (id),"                                    \
    "  UNIQUE (ticket_id, clock, stage, deadline)"                                                 \
    ");"                                                                                           \
    "CREATE TABLE outbox (" D##_ID                                                                 \
    "  idem_key TEXT NOT NULL UNIQUE,"                                                             \
    "  ticket_id " D##_INT " REFERENCES tickets (id),"                                             \
    "  log_id " D##_INT " REFERENCES ticket_log (id),"                                             \
    "  kind TEXT NOT NULL,"                                                                        \
    "  channel TEXT NOT NULL,"                                                                     \
    "  role TEXT NOT NULL,"                                                                        \
    "  urgent " D##_INT " NOT NULL DEFAULT 0,"                                                     \
    "  subject TEXT NOT NULL,"                                                                     \
    "  body TEXT NOT NULL,"                                                                        \
    "  link TEXT NOT NULL DEFAULT '',"                                                             \
    "  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','delivered','failed')),"   \
    "  attempts " D##_INT " NOT NULL DEFAULT 0,"                                                   \
    "  shrink " D##_INT " NOT NULL DEFAULT 0,"                                                     \
    "  next_attempt_at " D##_INT " NOT NULL,"                                                      \
    "  created_at " D##_INT " NOT NULL,"                                                           \
    "  delivered_at " D##_INT ","                                                                  \
    "  last_error TEXT NOT NULL DEFAULT ''"                                                        \
    ");"                                                                                           \
    "CREATE INDEX outbox_due ON outbox (state, next_attempt_at, id);"

#define MIGRATION_4(D)                                                                             \
    "ALTER TABLE tickets ADD COLUMN rules_unverified " D##_INT " NOT NULL DEFAULT 0;"              \
    "ALTER TABLE tickets ADD COLUMN rules_checked_at " D##_INT ";"

/* migration 6 widens the CHECK on reason in place: it is named here */
static const char pg_migration_5[] =
    "CREATE TABLE held_items (" HELD_ITEMS_ID_COLUMNS(PG)
    "  reason TEXT NOT NULL CONSTRAINT held_items_reason_check"
    "    CHECK (reason IN ('old','official')),"
    HELD_ITEMS_ITEM_COLUMNS(PG)
    "CREATE INDEX held_items_detected ON held_items (detected_at DESC, id DESC);";

static const char pg_migration_6[] =
    "ALTER TABLE held_items DROP CONSTRAINT held_items_reason_check;"
    "ALTER TABLE held_items ADD CONSTRAINT held_items_reason_check"
    "  CHECK (reason IN ('old','official','undated'));"
    "UPDATE held_items SET reason = 'undated' WHERE reason = 'old' AND published_at IS NULL;";

#define MIGRATION_9(D)                                                                             \
    "CREATE TABLE events (" D##_ID                                                                 \
    "  event_key TEXT NOT NULL UNIQUE,"                                                            \
    "  kind TEXT NOT NULL DEFAULT 'match' CHECK (kind IN ('match','spike')),"                      \
    "  state TEXT NOT NULL CHECK (state IN ('pending','watching','auto_assigned','assigned',"      \
    "    'merged','dismissed')),"                                                                  \
    "  title TEXT NOT NULL,"                                                                       \
    "  level TEXT NOT NULL CHECK (level IN ('I','II','III','IV')),"                                \
    "  department TEXT NOT NULL DEFAULT '',"                                                       \
    "  co_departments TEXT NOT NULL DEFAULT '[]',"                                                 \
    "  rule_ids TEXT NOT NULL DEFAULT '[]',"                                                       \
    "  rule_groups TEXT NOT NULL DEFAULT '[]',"                                                    \
    "  source_kinds TEXT NOT NULL DEFAULT '[]',"                                                   \
    "  region TEXT NOT NULL DEFAULT '',"                                                           \
    "  first_post_at " D##_INT ","                                                                 \
    "  detected_at " D##_INT " NOT NULL,"                                                          \
    "  last_item_at " D##_INT " NOT NULL,"                                                         \
    "  item_count " D##_INT " NOT NULL DEFAULT 0,"                                                 \
    "  heat " D##_INT " NOT NULL DEFAULT 0,"                                                       \
    "  negative_count " D##_INT " NOT NULL DEFAULT 0,"                                             \
    "  score " D##_REAL " NOT NULL DEFAULT 0,"                                                     \
    "  rules_version " D##_INT " NOT NULL DEFAULT 0,"                                              \
    "  ticket_id " D##_INT " REFERENCES tickets (id),"                                             \
    "  merged_into " D##_INT " REFERENCES events (id),"                                            \
    "  judge_deadline " D##_INT " NOT NULL,"                                                       \
    "  judge_reminded_at " D##_INT ","                                                             \
    "  judged_at " D##_INT ","                                                                     \
    "  judged_by TEXT NOT NULL DEFAULT '',"                                                        \
    "  outcome TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('','assigned','merged','watching',"     \
    "    'dismissed')),"                                                                           \
    "  opinion TEXT NOT NULL DEFAULT '',"                                                          \
    "  dismiss_reason TEXT NOT NULL DEFAULT '' CHECK (dismiss_reason IN ('','irrelevant',"         \
    "    'duplicate','false_alarm','out_of_scope','other')),"                                      \
    "  dismiss_note TEXT NOT NULL DEFAULT '',"                                                     \
    "  watch_items " D##_INT ","                                                                   \
    "  watch_heat " D##_INT ","                                                                    \
    "  watch_quiet_s " D##_INT ","                                                                 \
    "  resurfaced_at " D##_INT ","                                                                 \
    "  resurface_reason TEXT NOT NULL DEFAULT '',"                                                 \
    "  spike TEXT NOT NULL DEFAULT '',"                                                            \
    "  created_at " D##_INT " NOT NULL,"                                                           \
    "  updated_at " D##_INT " NOT NULL,"                                                           \
    "  version " D##_INT " NOT NULL DEFAULT 0"                                                     \
    ");"                                                                                           \
    "CREATE INDEX events_state ON events (state, level, detected_at);"                             \
    "CREATE INDEX events_ticket ON events (ticket_id);"                                            \
    "CREATE INDEX events_merged ON events (merged_into);"                                          \
    "CREATE INDEX events_judged ON events (judged_at);"                                            \
    "CREATE TABLE event_items (" D##_ID                                                            \
    "  event_id " D##_INT " NOT NULL REFERENCES events (id),"                                      \
    "  item_id TEXT NOT NULL,"                                                                     \
    ITEM_SOURCE_COLUMNS                                                                            \
    "  author TEXT NOT NULL DEFAULT '',"                                                           \
    "  region TEXT NOT NULL DEFAULT '',"                                                           \
    "  published_at " D##_INT ","                                                                  \
    "  matched_at " D##_INT " NOT NULL,"                                                           \
    "  reposts " D##_INT " NOT NULL DEFAULT 0,"                                                    \
    "  comments " D##_INT " NOT NULL DEFAULT 0,"                                                   \
    "  likes " D##_INT " NOT NULL DEFAULT 0,"                                                      \
    "  heat " D##_INT " NOT NULL DEFAULT 1,"                                                       \
    "  sentiment TEXT NOT NULL DEFAULT '' CHECK (sentiment IN ('','negative','neutral',"           \
    "    'positive')),"                                                                            \
    "  sentiment_score " D##_REAL " NOT NULL DEFAULT 0,"                                           \
    "  rule_ids TEXT NOT NULL DEFAULT '[]',"                                                       \
    "  rule_groups TEXT NOT NULL DEFAULT '[]',"                                                    \
    "  matches TEXT NOT NULL DEFAULT '[]',"                                                        \
    "  silence_id " D##_INT ","                                                                    \
    "  added_at " D##_INT " NOT NULL,"                                                             \
    "  UNIQUE (event_id, item_id)"                                                                 \
    ");"                                                                                           \
    "CREATE INDEX event_items_event ON event_items (event_id, matched_at);"                        \
    "CREATE INDEX event_items_item ON event_items (item_id);"                                      \
    "CREATE TABLE event_log (" D##_ID                                                              \
    "  event_id " D##_INT " NOT NULL REFERENCES events (id),"                                      \
    "  at " D##_INT " NOT NULL,"                                                                   \
    "  actor TEXT NOT NULL,"                                                                       \
    "  actor_role TEXT NOT NULL DEFAULT 'system',"                                                 \
    "  action TEXT NOT NULL,"                                                                      \
    "  from_state TEXT NOT NULL DEFAULT '',"                                                       \
    "  to_state TEXT NOT NULL DEFAULT '',"                                                         \
    "  note TEXT NOT NULL DEFAULT ''"                                                              \
    ");"                                                                                           \
    "CREATE INDEX event_log_event ON event_log (event_id, id);"                                    \
    D##_APPEND_ONLY("event_log", "event_log is append-only")                                       \
    "CREATE TABLE silences (" D##_ID                                                               \
    "  match_kind TEXT NOT NULL CHECK (match_kind IN ('rule','group','source','account',"          \
    "    'term')),"                                                                                \
    "  match_value TEXT NOT NULL CHECK (length(match_value) > 0),"                                 \
    "  reason TEXT NOT NULL CHECK (length(reason) > 0),"                                           \
    "  created_by TEXT NOT NULL,"                                                                  \
    "  created_at " D##_INT " NOT NULL,"                                                           \
    "  expires_at " D##_INT " NOT NULL,"                                                           \
    "  revoked_at " D##_INT ","                                                                    \
    "  revoked_by TEXT NOT NULL DEFAULT '',"                                                       \
    "  hit_count " D##_INT " NOT NULL DEFAULT 0,"                                                  \
    "  CHECK (expires_at > created_at)"                                                            \
    ");"                                                                                           \
    "CREATE INDEX silences_active ON silences (expires_at, match_kind);"                           \
    "CREATE TABLE silenced_alerts (" D##_ID                                                        \
    "  silence_id " D##_INT " NOT NULL REFERENCES silences (id),"                                  \
    "  event_key TEXT NOT NULL,"                                                                   \
    "  item_id TEXT NOT NULL,"                                                                     \
    "  level TEXT NOT NULL,"                                                                       \
    "  title TEXT NOT NULL DEFAULT '',"                                                            \
    "  source_id TEXT NOT NULL DEFAULT '',"                                                        \
    "  author TEXT NOT NULL DEFAULT '',"                                                           \
    "  rule_ids TEXT NOT NULL DEFAULT '[]',"                                                       \
    "  alert TEXT NOT NULL,"                                                                       \
    "  matched_at " D##_INT " NOT NULL,"                                                           \
    "  at " D##_INT " NOT NULL,"                                                                   \
    "  UNIQUE (event_key, item_id)"                                                                \
    ");"                                                                                           \
    "CREATE INDEX silenced_alerts_silence ON silenced_alerts (silence_id, id);"                    \
    "CREATE TABLE rate_counts ("                                                                   \
    "  scope TEXT NOT NULL CHECK (scope IN ('group','event')),"                                    \
    "  key TEXT NOT NULL,"                                                                         \
    "  hour " D##_INT " NOT NULL,"                                                                 \
    "  n " D##_INT " NOT NULL DEFAULT 0,"                                                          \
    "  PRIMARY KEY (scope, key, hour)"                                                             \
    ")" D##_WITHOUT_ROWID ";"                                                                      \
    "CREATE TABLE spikes (" D##_ID                                                                 \
    "  scope TEXT NOT NULL CHECK (scope IN ('group','event')),"                                    \
    "  key TEXT NOT NULL,"                                                                         \
    "  hour " D##_INT " NOT NULL,"                                                                 \
    "  count " D##_INT " NOT NULL,"                                                                \
    "  baseline " D##_REAL " NOT NULL,"                                                            \
    "  factor " D##_REAL " NOT NULL,"                                                              \
    "  min_count " D##_INT " NOT NULL,"                                                            \
    "  raised_at " D##_INT " NOT NULL,"                                                            \
    "  event_id " D##_INT " REFERENCES events (id),"                                               \
    "  UNIQUE (scope, key, hour)"                                                                  \
    ");"                                                                                           \
    TICKET_STORE_EVENT_OF_TICKET "t.created_at, t.updated_at FROM tickets t;"                      \
    "INSERT INTO event_items (event_id, item_id, source, source_id, channel, url, title, "         \
    "excerpt, author, published_at, matched_at, rule_ids, matches, added_at) "                     \
    "SELECT e.id, i.item_id, i.source, i.source_id, i.channel, i.url, i.title, i.excerpt, "        \
    "i.author, i.published_at, i.added_at, i.rule_ids, i.matches, i.added_at "                     \
    "FROM ticket_items i JOIN events e ON e.ticket_id = i.ticket_id;"

#define MIGRATION_10(D)                                                                            \
    "CREATE TABLE saved_searches (" D##_ID                                                         \
    "  user_id " D##_INT " NOT NULL REFERENCES web_users (id) ON DELETE CASCADE,"                  \
    "  name TEXT NOT NULL CHECK (length(name) > 0),"                                               \
    "  query TEXT NOT NULL CHECK (length(query) > 0),"                                             \
    "  filters TEXT NOT NULL DEFAULT '{}',"                                                        \
    "  created_at " D##_INT " NOT NULL,"                                                           \
    "  updated_at " D##_INT " NOT NULL,"                                                           \
    "  UNIQUE (user_id, name)"                                                                     \
    ");"                                                                                           \
    "CREATE TABLE reports (" D##_ID                                                                \
    "  kind TEXT NOT NULL CHECK (kind IN ('daily','event')),"                                      \
    "  period_start " D##_INT " NOT NULL,"                                                         \
    "  period_end " D##_INT " NOT NULL,"                                                           \
    "  event_id " D##_INT " REFERENCES events (id),"                                               \
    "  title TEXT NOT NULL,"                                                                       \
    "  html TEXT NOT NULL,"                                                                        \
    "  summary TEXT NOT NULL DEFAULT '',"                                                          \
    "  created_by TEXT NOT NULL,"                                                                  \
    "  created_at " D##_INT " NOT NULL,"                                                           \
    "  CHECK (period_end > period_start),"                                                         \
    "  CHECK ((kind = 'event') = (event_id IS NOT NULL))"                                          \
    ");"                                                                                           \
    "CREATE UNIQUE INDEX reports_daily ON reports (period_start) WHERE kind = 'daily';"            \
    "CREATE INDEX reports_event ON reports (event_id, created_at);"                                \
    "CREATE INDEX reports_created ON reports (kind, created_at);"

#define MIGRATION_11(D)                                                                            \
    "CREATE TABLE official_posts (" D##_ID                                                         \
    "  item_id TEXT NOT NULL UNIQUE,"                                                              \
    "  source_id TEXT NOT NULL,"                                                                   \
    "  department TEXT NOT NULL,"                                                                  \
    "  response_channel TEXT NOT NULL CHECK (response_channel IN ('权威发布','政务微博',"          \
    "    '政务微信','网站')),"                                                                     \
    "  channel TEXT NOT NULL DEFAULT '',"                                                          \
    "  url TEXT NOT NULL DEFAULT '',"                                                              \
    "  title TEXT NOT NULL DEFAULT '',"                                                            \
    "  text TEXT NOT NULL DEFAULT '',"                                                             \
    "  simhash TEXT NOT NULL DEFAULT '',"                                                          \
    "  published_at " D##_INT ","                                                                  \
    "  fetched_at " D##_INT " NOT NULL,"                                                           \
    "  received_at " D##_INT " NOT NULL"                                                           \
    ");"                                                                                           \
    "CREATE INDEX official_posts_department ON official_posts (department, received_at);"          \
    "CREATE INDEX official_posts_received ON official_posts (received_at);"                        \
    "CREATE TABLE response_proposals (" D##_ID                                                     \
    "  ticket_id " D##_INT " NOT NULL REFERENCES tickets (id),"                                    \
    "  post_id " D##_INT " NOT NULL REFERENCES official_posts (id),"                               \
    "  score " D##_REAL " NOT NULL,"                                                               \
    "  score_terms " D##_REAL " NOT NULL DEFAULT 0,"                                               \
    "  score_simhash " D##_REAL " NOT NULL DEFAULT 0,"                                             \
    "  score_title " D##_REAL " NOT NULL DEFAULT 0,"                                               \
    "  simhash_distance " D##_INT ","                                                              \
    "  terms TEXT NOT NULL DEFAULT '[]',"                                                          \
    "  state TEXT NOT NULL DEFAULT 'proposed' CHECK (state IN ('proposed','confirmed',"            \
    "    'rejected')),"                                                                            \
    "  proposed_at " D##_INT " NOT NULL,"                                                          \
    "  decided_at " D##_INT ","                                                                    \
    "  decided_by TEXT NOT NULL DEFAULT '',"                                                       \
    "  decided_note TEXT NOT NULL DEFAULT '',"                                                     \
    "  auto " D##_INT " NOT NULL DEFAULT 0,"                                                       \
    "  response_id " D##_INT " REFERENCES ticket_responses (id),"                                  \
    "  UNIQUE (ticket_id, post_id)"                                                                \
    ");"                                                                                           \
    "CREATE INDEX response_proposals_ticket ON response_proposals (ticket_id, state);"             \
    "ALTER TABLE event_items ADD COLUMN simhash TEXT NOT NULL DEFAULT '';"                         \
    "CREATE TABLE source_blind_windows (" D##_ID                                                   \
    "  source_id TEXT NOT NULL,"                                                                   \
    "  source_name TEXT NOT NULL DEFAULT '',"                                                      \
    "  source_kind TEXT NOT NULL DEFAULT '',"                                                      \
    "  department TEXT NOT NULL DEFAULT '',"                                                       \
    "  reason TEXT NOT NULL CHECK (reason IN ('failing','walled','stale','quiet',"                 \
    "    'unpolled')),"                                                                            \
    "  detail TEXT NOT NULL DEFAULT '',"                                                           \
    "  renew TEXT NOT NULL DEFAULT '',"                                                            \
    "  started_at " D##_INT " NOT NULL,"                                                           \
    "  ended_at " D##_INT ","                                                                      \
    "  opened_at " D##_INT " NOT NULL,"                                                            \
    "  closed_at " D##_INT ","                                                                     \
    "  CHECK (ended_at IS NULL OR ended_at >= started_at),"                                        \
    "  UNIQUE (source_id, reason, started_at)"                                                     \
    ");"                                                                                           \
    "CREATE INDEX source_blind_windows_time ON source_blind_windows (started_at, ended_at);"       \
    "CREATE INDEX source_blind_windows_open ON source_blind_windows (source_id, reason) "          \
    "  WHERE ended_at IS NULL;"

/* Migration 12's SQLite clock history triggers: one for a new ticket, one for a change. */
#define SQ_CLOCK_HISTORY_TRIGGERS                                                                  \
    "CREATE TRIGGER ticket_clock_history_insert AFTER INSERT ON tickets BEGIN"                     \
    "  INSERT INTO ticket_clock_history (ticket_id, at, " CLOCK_HISTORY_COLUMNS ")"                \
    "  VALUES (NEW.id, NEW.created_at, " CLOCK_HISTORY_NEW "); END;"                               \
    "CREATE TRIGGER ticket_clock_history_update AFTER UPDATE OF " CLOCK_HISTORY_COLUMNS            \
    "  ON tickets"                                                                                 \
    "  WHEN NEW.department IS NOT OLD.department OR NEW.level IS NOT OLD.level"                    \
    "    OR NEW.assigned_at IS NOT OLD.assigned_at OR NEW.ack_deadline IS NOT OLD.ack_deadline"    \
    "    OR NEW.response_deadline IS NOT OLD.response_deadline"                                    \
    "    OR NEW.press_deadline IS NOT OLD.press_deadline"                                          \
    "    OR NEW.close_deadline IS NOT OLD.close_deadline BEGIN"                                    \
    "  INSERT INTO ticket_clock_history (ticket_id, at, " CLOCK_HISTORY_COLUMNS ")"                \
    "  VALUES (NEW.id, NEW.updated_at, " CLOCK_HISTORY_NEW "); END;"

/*
 * Migration 12's clock history: one trigger function for both triggers, the row's time being
 * created_at on INSERT and updated_at on UPDATE as in SQLite's two trigger bodies.
 */
#define PG_CLOCK_HISTORY_TRIGGERS                                                                  \
    "CREATE FUNCTION ticket_clock_history_add() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"      \
    "  INSERT INTO ticket_clock_history (ticket_id, at, " CLOCK_HISTORY_COLUMNS ")"                \
    "  VALUES (NEW.id, CASE WHEN TG_OP = 'INSERT' THEN NEW.created_at ELSE NEW.updated_at END,"    \
    "    " CLOCK_HISTORY_NEW ");"                                                                  \
    "  RETURN NULL;"                                                                               \
    "END $$;"                                                                                      \
    "CREATE TRIGGER ticket_clock_history_insert AFTER INSERT ON tickets"                           \
    "  FOR EACH ROW EXECUTE PROCEDURE ticket_clock_history_add();"                                 \
    "CREATE TRIGGER ticket_clock_history_update AFTER UPDATE OF " CLOCK_HISTORY_COLUMNS            \
    "  ON tickets FOR EACH ROW"                                                                    \
    "  WHEN (NEW.department IS DISTINCT FROM OLD.department"                                       \
    "    OR NEW.level IS DISTINCT FROM OLD.level"                                                  \
    "    OR NEW.assigned_at IS DISTINCT FROM OLD.assigned_at"                                      \
    "    OR NEW.ack_deadline IS DISTINCT FROM OLD.ack_deadline"                                    \
    "    OR NEW.response_deadline IS DISTINCT FROM OLD.response_deadline"                          \
    "    OR NEW.press_deadline IS DISTINCT FROM OLD.press_deadline"                                \
    "    OR NEW.close_deadline IS DISTINCT FROM OLD.close_deadline)"                               \
    "  EXECUTE PROCEDURE ticket_clock_history_add();"

/* stats_publications.period is YYYY-MM (GLOB on SQLite, SIMILAR TO on PostgreSQL). */
#define SQ_PERIOD_CHECK                                                                            \
    "  period TEXT NOT NULL UNIQUE CHECK (period GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),"

#define PG_PERIOD_CHECK                                                                            \
    "  period TEXT NOT NULL UNIQUE"                                                                \
    "    CHECK (period SIMILAR TO '[0-9][0-9][0-9][0-9]-[0-1][0-9]'),"

#define MIGRATION_12(D)                                                                            \
    "CREATE TABLE ticket_clock_history (" D##_ID                                                   \
    "  ticket_id " D##_INT " NOT NULL REFERENCES tickets (id),"                                    \
    "  at " D##_INT " NOT NULL,"                                                                   \
    "  department TEXT NOT NULL DEFAULT '',"                                                       \
    "  level TEXT NOT NULL DEFAULT '',"                                                            \
    "  assigned_at " D##_INT ","                                                                   \
    "  ack_deadline " D##_INT ","                                                                  \
    "  response_deadline " D##_INT ","                                                             \
    "  press_deadline " D##_INT ","                                                                \
    "  close_deadline " D##_INT                                                                    \
    ");"                                                                                           \
    "CREATE INDEX ticket_clock_history_ticket ON ticket_clock_history (ticket_id, at, id);"        \
    "INSERT INTO ticket_clock_history (ticket_id, at, " CLOCK_HISTORY_COLUMNS ")"                  \
    "  SELECT id, created_at, " CLOCK_HISTORY_COLUMNS " FROM tickets ORDER BY id;"                 \
    D##_CLOCK_HISTORY_TRIGGERS                                                                     \
    D##_APPEND_ONLY("ticket_clock_history", "ticket_clock_history is append-only")                 \
    "CREATE TABLE stats_publications (" D##_ID                                                     \
    D##_PERIOD_CHECK                                                                               \
    "  window_start " D##_INT " NOT NULL,"                                                         \
    "  cutoff " D##_INT " NOT NULL,"                                                               \
    "  published_at " D##_INT " NOT NULL CHECK (published_at >= cutoff),"                          \
    "  published_by TEXT NOT NULL,"                                                                \
    "  role TEXT NOT NULL,"                                                                        \
    "  report_json TEXT NOT NULL,"                                                                 \
    "  report_text TEXT NOT NULL,"                                                                 \
    "  report_csv TEXT NOT NULL,"                                                                  \
    "  report_html TEXT NOT NULL,"                                                                 \
    "  tickets_json TEXT NOT NULL DEFAULT '{}'"                                                    \
    ");"                                                                                           \
    D##_APPEND_ONLY("stats_publications", "a published report does not change")

static const struct yq_db_migration migrations[] = {
    /* 1: tickets, their items and the append-only log (issue #2) */
    {1, "tickets, their items and the log", MIGRATION_1(SQ), NULL, MIGRATION_1(PG)},

    /* 2: lifecycle, clocks, revisions, responses, escalations and the outbox (issue #5) */
    {2, "lifecycle, clocks, revisions, responses, escalations, outbox",
     MIGRATION_2(SQ), NULL, MIGRATION_2(PG)},

    /* 3: the item's author (FC-033: the ticket page shows it as text); older rows get '' */
    {3, "item author",
    "ALTER TABLE ticket_items ADD COLUMN author TEXT NOT NULL DEFAULT '';", NULL, NULL},

    /*
     * 4: rules_unverified (issue #10): 1 once any alert recorded on the ticket was matched on a
     * rule set the matcher could not check against Redis; rules_checked_at is the oldest "last
     * successful check" among those alerts (NULL: none known). Older tickets get 0 / NULL.
     */
    {4, "rules_unverified", MIGRATION_4(SQ), NULL, MIGRATION_4(PG)},

    /*
     * 5: held_items (issue #11): matched items that open no ticket, recorded for the duty
     * officer (and the coming 研判 inbox of issue #13) without statutory clocks: reason 'old'
     * (published more than clocks.old_item_after_ms before it was fetched) or 'official' (from
     * a source marked official: the government's own posts). One row per item id.
     */
    {5, "held items",
    ("CREATE TABLE held_items (" HELD_ITEMS_ID_COLUMNS(SQ)
     "  reason TEXT NOT NULL CHECK (reason IN ('old','official')),"
     HELD_ITEMS_ITEM_COLUMNS(SQ)
     "CREATE INDEX held_items_detected ON held_items (detected_at DESC, id DESC);"), NULL,
     pg_migration_5},

    /*
     * 6: held_items.reason may be 'undated' (review of issue #11): an item without a
     * publication time from a source's first poll (its backlog). Rows that migration 5's CHECK
     * made store as 'old' without a publication time become 'undated' (an old item always has
     * one). SQLite cannot change a CHECK in place: the table is rebuilt.
     */
    {6, "held items: undated",
    ("CREATE TABLE held_items_v6 (" HELD_ITEMS_ID_COLUMNS(SQ)
     "  reason TEXT NOT NULL CHECK (reason IN ('old','official','undated')),"
     HELD_ITEMS_ITEM_COLUMNS(SQ)
     "INSERT INTO held_items_v6 (id, item_id, event_key, reason, source, source_id, channel, url, "
     "title, excerpt, author, published_at, published_precision, fetched_at, detected_at, level, "
     "department, source_department, rule_ids, matches, score, held_at) "
     "SELECT id, item_id, event_key, CASE WHEN reason = 'old' AND published_at IS NULL THEN "
     "'undated' ELSE reason END, source, source_id, channel, url, title, excerpt, author, "
     "published_at, published_precision, fetched_at, detected_at, level, department, "
     "source_department, rule_ids, matches, score, held_at FROM held_items;"
     "DROP TABLE held_items;"
     "ALTER TABLE held_items_v6 RENAME TO held_items;"
     "CREATE INDEX held_items_detected ON held_items (detected_at DESC, id DESC);"), NULL,
     pg_migration_6},

    /*
     * 7: the queue's filters in SQL (issue #12; ticket_store_list()): level, detection time,
     * and an item's source id, kind and display name (channel).
     */
    {7, "queue filter indexes",
    ("CREATE INDEX IF NOT EXISTS tickets_level ON tickets (level, state);"
     "CREATE INDEX IF NOT EXISTS tickets_detected ON tickets (detected_at);"
     "CREATE INDEX IF NOT EXISTS ticket_items_source_id ON ticket_items (source_id, ticket_id);"
     "CREATE INDEX IF NOT EXISTS ticket_items_source ON ticket_items (source, ticket_id);"
     "CREATE INDEX IF NOT EXISTS ticket_items_channel ON ticket_items (channel, ticket_id);"), NULL, NULL},

    /*
     * 8: the web UI's accounts (users, departments, sessions, API tokens, login throttle) join
     * this file's one schema-version track (issue #12). Before, web_auth kept them on a track of
     * their own (web_schema_version, versions 1-2) in the same file; web_auth_schema_apply()
     * creates the tables where missing, finishes a store left at web version 1 and drops the
     * old track. A store whose web tables are there already keeps them as they are.
     */
    {8, "web accounts", NULL, web_auth_schema_apply, NULL},

    /*
     * 9: the duty officer's desk (issue #13, design §5; docs/desk.md). An alert's event enters
     * the 研判 inbox (events, state 'pending') instead of opening a ticket at once; the
     * officer's decisions go to the append-only event_log. event_items keep every item of an
     * event with its metrics and sentiment (the event page); silences suppress new alerts
     * (silenced_alerts keeps each one, nothing is lost); rate_counts and spikes serve the
     * spike (突增) alerts. Every existing ticket gets its event (state 'assigned', judged by
     * 'system' at its creation) and its items are copied to event_items (metrics unknown: 0).
     */
    {9, "研判 inbox: events, event items and log, silences, spikes",
     MIGRATION_9(SQ), NULL, MIGRATION_9(PG)},
    /*
     * Issue #14. saved_searches: a user's saved archive searches (the query in the rule
     * language, the filters as the JSON object GET /api/search takes); removed with the user.
     * reports: the written daily briefings (舆情日报, kind 'daily', one per period: the
     * scheduler of any notifier writes a day once) and an event's special reports (专报, kind
     * 'event'), kept as the HTML that was shown and sent.
     */
    {10, "saved searches, briefings and special reports", MIGRATION_10(SQ), NULL, MIGRATION_10(PG)},
    /*
     * Issue #15 (docs/responses.md, docs/collectors.md 监测盲区). official_posts: every item
     * of an official source (the government's own 政务微博, 政务微信, website, 权威发布),
     * matched or not, kept for response detection (text bounded; simhash as 16 hex digits,
     * '' when the item had too few features). response_proposals: an official post scored as
     * being about a ticket's event (the three parts of the score kept), proposed as its 回应
     * until a liaison or the duty officer confirms it (response_id: the ticket_responses row
     * it became; a response is "detected" when a confirmed proposal names it) or rejects it;
     * one row per ticket and post. event_items.simhash: the
     * SimHash the matcher computed for each item (the alert's "simhash"). source_blind_windows:
     * the intervals a source was failing, walled, stale, quiet or unpolled
     * (yq_source_event.h), named by (source_id, reason, started_at); ended_at NULL while open.
     */
    {11, "official posts, proposed responses, source blind windows",
     MIGRATION_11(SQ), NULL, MIGRATION_11(PG)},
    /*
     * Issue #17 (docs/statistics.md). ticket_clock_history: the clocks each ticket was given,
     * from `at` on: one row when a ticket is created and one whenever its department, level,
     * assignment or a deadline changes (written by triggers, so every writer of tickets keeps
     * it: intake, the lifecycle, reopenings after closure, re-grading); the existing tickets
     * start with one row of their values now. The statistics judge every 签收 and 办结 clock a
     * ticket ever had by it, and give each clock's outcome to the department that held the
     * ticket when it settled. stats_publications: a month's 通报 as published (yuqingctl stats
     * publish, the web page's 发布通报): its figures in every format, each ticket's
     * contribution (to name the tickets behind later differences), who and when. Both are
     * append-only, as ticket_log.
     */
    {12, "ticket clock history, published statistics", MIGRATION_12(SQ), NULL, MIGRATION_12(PG)},

    /*
     * 13: several notifiers on one PostgreSQL store (issue #16, docs/operations.md "Scaling"):
     * an outbox row is claimed by one notifier until claimed_until (UTC seconds), so each is
     * sent by one of them (outbox_claim()); on PostgreSQL every statement that appends to
     * ticket_log or event_log also sends NOTIFY yuqing_changes '{"table":"<table>"}' at commit
     * (one per statement: identical payloads of a transaction fold into one), which wakes the
     * web UI's live streams of every notifier (notifier/change_feed.c). The columns stay NULL
     * on SQLite, where one notifier sends everything.
     */
    {13, "outbox claims, change notifications",
     "ALTER TABLE outbox ADD COLUMN claimed_by TEXT;"
     "ALTER TABLE outbox ADD COLUMN claimed_until INTEGER;",
     NULL,
     "ALTER TABLE outbox ADD COLUMN claimed_by TEXT;"
     "ALTER TABLE outbox ADD COLUMN claimed_until BIGINT;"
     "CREATE FUNCTION yq_notify_changes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
     "  PERFORM pg_notify('yuqing_changes', '{\"table\":\"' || TG_TABLE_NAME ||"
     "    '\",\"schema\":\"' || TG_TABLE_SCHEMA || '\"}');"
     "  RETURN NULL; END $$;"
     "CREATE TRIGGER ticket_log_notify AFTER INSERT ON ticket_log"
     "  FOR EACH STATEMENT EXECUTE PROCEDURE yq_notify_changes();"
     "CREATE TRIGGER event_log_notify AFTER INSERT ON event_log"
     "  FOR EACH STATEMENT EXECUTE PROCEDURE yq_notify_changes();"},

    /*
     * Issue #16 (docs/operations.md, "Latency"): each item's fetch (collector), match
     * (pipeline) and intake (notifier) times in milliseconds since the epoch, UTC, on the
     * ticket's and the event's item rows; NULL for items taken in before this migration. The
     * ticket JSON shows latency_ms = stored_at_ms - fetched_at_ms.
     */
    {14, "item fetch, match and intake times in milliseconds",
     "ALTER TABLE ticket_items ADD COLUMN fetched_at_ms INTEGER;"
     "ALTER TABLE ticket_items ADD COLUMN matched_at_ms INTEGER;"
     "ALTER TABLE ticket_items ADD COLUMN stored_at_ms INTEGER;"
     "ALTER TABLE event_items ADD COLUMN fetched_at_ms INTEGER;"
     "ALTER TABLE event_items ADD COLUMN matched_at_ms INTEGER;"
     "ALTER TABLE event_items ADD COLUMN stored_at_ms INTEGER;",
     NULL,
     "ALTER TABLE ticket_items ADD COLUMN fetched_at_ms BIGINT;"
     "ALTER TABLE ticket_items ADD COLUMN matched_at_ms BIGINT;"
     "ALTER TABLE ticket_items ADD COLUMN stored_at_ms BIGINT;"
     "ALTER TABLE event_items ADD COLUMN fetched_at_ms BIGINT;"
     "ALTER TABLE event_items ADD COLUMN matched_at_ms BIGINT;"
     "ALTER TABLE event_items ADD COLUMN stored_at_ms BIGINT;"},

    /*
     * 15: the SQL function yq_json_array() (common/yq_db.h), through which every filter reads a
     * stored JSON array column (co_departments, rule_groups, source_kinds; store_json.h): a
     * corrupt value reads as [] with one warning, as in C, instead of failing the statement.
     * SQLite has it on every connection (nothing to store); PostgreSQL keeps it in the schema.
     */
    {15, "stored JSON arrays read safely in SQL", NULL, NULL, YQ_DB_JSON_ARRAY_PG_DDL},

    /*
     * 16: the write probe's own row (ticket_store_write_probe(): one row, id 1, whose counter
     * each probe raises in a transaction of its own, so that the probe really writes and a
     * full disk refuses it). Written by nothing else; not copied by yuqingctl store migrate.
     */
    {16, "write probe",
     "CREATE TABLE store_probe (id INTEGER PRIMARY KEY CHECK (id = 1),"
     "  writes INTEGER NOT NULL DEFAULT 0);",
     NULL,
     "CREATE TABLE store_probe (id BIGINT PRIMARY KEY CHECK (id = 1),"
     "  writes BIGINT NOT NULL DEFAULT 0);"},
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(N_MIGRATIONS == TICKET_STORE_SCHEMA_VERSION,
               "TICKET_STORE_SCHEMA_VERSION must equal the number of migrations");

/* The ticket store file's schema: one track (schema_version) for all its tables. */
static const struct yq_db_schema store_schema = {
    .name = "ticket store",
    .steps = migrations,
    .n_steps = sizeof(migrations) / sizeof(migrations[0]),
};

#define TICKET_COLUMNS TICKET_STORE_COLUMNS

/*
 * The queue's order (issue #11): settled tickets (closed, dismissed) after the others; then the
 * nearest deadline, i.e. the earliest of the clocks still running (签收 while open and assigned,
 * 回应 until a response, 新闻发布会 until one is held, 办结); then level (I first; the level
 * column is 'I'..'IV', so its length alone would misplace IV: explicit CASE); then heat and score
 * (hotter first); then detection time (earlier first); the id keeps the order total. Settled
 * tickets are ordered by when they were settled, latest first.
 */
#define TICKET_QUEUE_ORDER                                                                         \
    "(state IN " TICKET_STATES_SETTLED_SQL "), "                                                          \
    "(CASE WHEN state IN " TICKET_STATES_SETTLED_SQL " THEN -coalesce(closed_at, dismissed_at, 0) "        \
    "ELSE min(CASE WHEN state = '" TICKET_STATE_NAME_OPEN "' AND department <> '' THEN ack_deadline "                    \
    "  ELSE 9223372036854775807 END, "                                                             \
    "CASE WHEN responded_at IS NULL THEN response_deadline ELSE 9223372036854775807 END, "         \
    "CASE WHEN press_deadline IS NOT NULL AND press_held_at IS NULL THEN press_deadline "          \
    "  ELSE 9223372036854775807 END, "                                                             \
    "coalesce(close_deadline, 9223372036854775807)) END), "                                        \
    "(CASE level WHEN 'I' THEN 1 WHEN 'II' THEN 2 WHEN 'III' THEN 3 ELSE 4 END), "                \
    "heat DESC, score DESC, detected_at, id"

/*
 * Keep the failing statement's SQLite reason for ticket_store_errmsg(): the caller, which
 * handles the error, logs it once.
 */
int ticket_store_fail(struct ticket_store *store, int rc, const char *what)
{
    return yq_db_fail(store->db, rc, what, store->last_error, sizeof(store->last_error));
}

const char *ticket_store_errmsg(const struct ticket_store *store)
{
    return store->last_error[0] ? store->last_error : "no error";
}

int ticket_store_exec(struct ticket_store *store, const char *sql, const char *what)
{
    return yq_db_exec(store->db, sql, what, store->last_error, sizeof(store->last_error));
}

int ticket_store_prepare(struct ticket_store *store, const char *sql, struct yq_stmt **out,
                         const char *what)
{
    return yq_db_prepare(store->db, sql, out, what, store->last_error,
                             sizeof(store->last_error));
}

int ticket_store_begin(struct ticket_store *store, const char *what)
{
    if (store->readonly) {
        snprintf(store->last_error, sizeof(store->last_error), "%s: read-only store", what);
        return ERR_IO;
    }
    int err = ticket_store_exec(store, "BEGIN IMMEDIATE", what);

    if (err) {
        /* PostgreSQL: BEGIN ran but the writers' lock timed out, leaving an aborted
           transaction open on the connection; end it so the next statement runs */
        ticket_store_rollback(store);
    }
    return err;
}

void ticket_store_rollback(struct ticket_store *store)
{
    yq_db_rollback(store->db);
}

int ticket_store_write_probe(struct ticket_store *store)
{
    int err = ticket_store_begin(store, "write probe");

    /* a new value each time: SQLite writes no page for a row updated to what it holds */
    if (!err) {
        err = ticket_store_exec(store,
                                "INSERT INTO store_probe (id, writes) VALUES (1, 1) ON CONFLICT "
                                "(id) DO UPDATE SET writes = store_probe.writes + 1",
                                "write probe");
    }
    if (!err) {
        err = ticket_store_exec(store, "COMMIT", "write probe commit");
    }
    if (err) {
        ticket_store_rollback(store);
    }
    return err == ERR_RETRY || err == 0 ? err : ERR_IO;
}

const char *ticket_store_nz(const char *s)
{
    return s ? s : "";
}

int ticket_store_step_done(struct ticket_store *store, struct yq_stmt *st, const char *what)
{
    return yq_db_run(store->db, st, what, store->last_error, sizeof(store->last_error));
}

int ticket_store_step_deferred(struct ticket_store *store, struct yq_stmt *st, const char *what)
{
    return yq_db_run_deferred(store->db, st, what, store->last_error, sizeof(store->last_error));
}

int ticket_store_step_id(struct ticket_store *store, struct yq_stmt *st, const char *what,
                         int64_t *id)
{
    return yq_db_run_id(store->db, st, id, what, store->last_error, sizeof(store->last_error));
}

/*
 * Append one row to a log table: sql inserts (owner id, at, actor, actor_role, action,
 * from_state, to_state, note) in that order, with RETURNING id when log_id is not NULL (the new
 * row's id goes there). role NULL is "system"; the states and note NULL are "". what names the
 * statement in messages. Returns 0 or the mapped error of the statement (ERR_RETRY, ERR_IO,
 * ERR_NOMEM, a constraint's code), its message in the store's last error.
 */
static int log_row_append(struct ticket_store *store, const char *sql, const char *what,
                          int64_t owner_id, int64_t at, const char *actor, const char *role,
                          const char *action, const char *from_state, const char *to_state,
                          const char *note, int64_t *log_id)
{
    struct yq_stmt *st = NULL;
    int err = ticket_store_prepare(store, sql, &st, what);

    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, owner_id);
    yq_stmt_bind_int64(st, 2, at);
    yq_stmt_bind_text(st, 3, actor);
    yq_stmt_bind_text(st, 4, role ? role : "system");
    yq_stmt_bind_text(st, 5, action);
    yq_stmt_bind_text(st, 6, ticket_store_nz(from_state));
    yq_stmt_bind_text(st, 7, ticket_store_nz(to_state));
    yq_stmt_bind_text(st, 8, ticket_store_nz(note));
    /* nothing read back when the id is not wanted: on PostgreSQL the row goes through the
       pipeline and an error shows at the next read or the COMMIT */
    return log_id ? ticket_store_step_id(store, st, what, log_id)
                  : ticket_store_step_deferred(store, st, what);
}

int ticket_store_log_append(struct ticket_store *store, int64_t ticket_id, int64_t at,
                            const char *actor, const char *role, const char *action,
                            const char *from_state, const char *to_state, const char *note,
                            int64_t *log_id)
{
#define TICKET_LOG_INSERT                                                                          \
    "INSERT INTO ticket_log (ticket_id, at, actor, actor_role, action, from_state, to_state, "    \
    "note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    return log_row_append(store, log_id ? TICKET_LOG_INSERT " RETURNING id" : TICKET_LOG_INSERT,
                          "log insert", ticket_id, at, actor, role, action, from_state,
                          to_state, note, log_id);
#undef TICKET_LOG_INSERT
}

int ticket_store_event_log_append(struct ticket_store *store, int64_t event_id, int64_t at,
                                  const char *actor, const char *role, const char *action,
                                  const char *from_state, const char *to_state, const char *note)
{
    return log_row_append(store,
                          "INSERT INTO event_log (event_id, at, actor, actor_role, "
                          "action, from_state, to_state, note) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                          "event log", event_id, at, ticket_store_nz(actor), role, action,
                          from_state, to_state, note, NULL);
}

static const struct ticket_policy default_policy = {NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};

void ticket_store_set_policy(struct ticket_store *store, const struct ticket_policy *policy)
{
    store->policy = policy;
}

const struct ticket_policy *ticket_store_policy_or_default(const struct ticket_store *store)
{
    return store->policy ? store->policy : &default_policy;
}

const char *ticket_store_location(const struct ticket_store_cfg *cfg)
{
    if (cfg->url && cfg->url[0]) {
        return cfg->url;
    }
    return cfg->path ? cfg->path : ":memory:";
}

/*
 * The file behind a store path: 0 with the file name in buf for a plain path or a "file:" URI
 * naming a file, 1 for an in-memory database (":memory:", "", "file:...mode=memory"), 2 for a
 * PostgreSQL database (no file), or ERR_INVALID when the name does not fit buf.
 */
static int store_file(const char *path, char *buf, size_t len)
{
    const char *p = path;
    size_t n;

    if (yq_db_backend_of(path) == YQ_DB_PG) {
        return 2; /* a PostgreSQL database: no file */
    }
    if (strncmp(path, "sqlite:", 7) == 0) {
        path += 7;
        p = path;
    }
    if (path[0] == '\0' || strcmp(path, ":memory:") == 0) {
        return 1;
    }
    if (strncmp(path, "file:", 5) == 0) {
        if (strstr(path, "mode=memory") || strncmp(path, "file::memory:", 13) == 0) {
            return 1;
        }
        p = path + 5;
        if (strncmp(p, "//", 2) == 0) {
            p += 2; /* file://localhost/x or file:///x */
            p = strchr(p, '/') ? strchr(p, '/') : p;
        }
        n = strcspn(p, "?#");
    } else {
        n = strlen(p);
    }
    if (n == 0 || n >= len) {
        return ERR_INVALID;
    }
    memcpy(buf, p, n);
    buf[n] = '\0';
    return 0;
}

/*
 * What cfg's store is, for every opener (open, init, lock): store_file() of its location (the
 * file name in file, len bytes), after refusing a store.url that is not a PostgreSQL URL.
 * Returns 0, 1 or 2 as store_file(), or ERR_INVALID with one line in errbuf.
 */
static int store_kind(const struct ticket_store_cfg *cfg, char *file, size_t len, char *errbuf,
                      size_t errlen)
{
    const char *path = ticket_store_location(cfg);
    int kind = store_file(path, file, len);

    if (cfg->url && cfg->url[0] && yq_db_backend_of(cfg->url) != YQ_DB_PG) {
        /* a typo (postgresq://) or a libpq key=value string must not become a SQLite file
           named after it (with its password), splitting the notifiers' tickets */
        snprintf(errbuf, errlen,
                 "store.url must be a postgresql:// or postgres:// URL (for a SQLite file use "
                 "store.path)");
        return ERR_INVALID;
    }
    if (kind < 0) {
        snprintf(errbuf, errlen, "ticket store path not usable: '%s'", path);
    }
    return kind;
}

/* Create every missing directory above the file path (mode 0750), like mkdir -p. */
static int make_parent_dirs(const char *path, char *errbuf, size_t errlen)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t len;

    if (!slash || slash == path) {
        return 0;
    }
    len = (size_t)(slash - path);
    if (len >= sizeof(dir)) {
        snprintf(errbuf, errlen, "ticket store path too long: '%s'", path);
        return ERR_INVALID;
    }
    memcpy(dir, path, len);
    dir[len] = '\0';
    for (char *p = dir + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
                snprintf(errbuf, errlen, "cannot create directory '%s': %s", dir,
                         strerror(errno));
                return ERR_IO;
            }
            *p = c;
            if (c == '\0') {
                break;
            }
        }
    }
    return 0;
}

/* chmod 0600 the file at path when it exists (the -wal/-shm of an older store). */
static int tighten_mode(const char *path, char *errbuf, size_t errlen)
{
    if (chmod(path, 0600) != 0 && errno != ENOENT) {
        snprintf(errbuf, errlen, "cannot chmod 0600 '%s': %s", path, strerror(errno));
        return ERR_IO;
    }
    return 0;
}

int ticket_store_schema_version(struct ticket_store *store, int *out)
{
    return yq_db_schema_version(store->db, out, store->last_error, sizeof(store->last_error));
}

/*
 * The schema version of the opened store into *version. name: the store in a read failure's
 * message. no_schema_file: when not NULL, version 0 (no schema: an empty file, another
 * program's database) is refused as not a ticket store, naming this file (also the hint's
 * --db). Returns 0, ERR_NOT_FOUND (no schema) or the read's error, with one line in errbuf.
 */
static int read_schema(struct ticket_store *store, const char *name, const char *no_schema_file,
                       int *version, char *errbuf, size_t errlen)
{
    int err = ticket_store_schema_version(store, version);

    if (err) {
        snprintf(errbuf, errlen, "cannot read schema of '%s': %s", name,
                 ticket_store_errmsg(store));
        return err;
    }
    if (no_schema_file && *version == 0) {
        snprintf(errbuf, errlen,
                 "'%s' 不是已初始化的交办单库（没有表结构），请运行一次 'yuqingctl store init "
                 "--db %s' 或修正 store.path ('%s' is not an initialised ticket store (no "
                 "schema): run 'yuqingctl store init --db %s' once, or fix store.path)",
                 no_schema_file, no_schema_file, no_schema_file, no_schema_file);
        return ERR_NOT_FOUND;
    }
    return 0;
}

/*
 * Open path. Only ticket_store_init() passes create; every other opener needs an existing file
 * (issue #10: a store on a moved or unmounted disk must not be replaced by a new empty one) or,
 * on PostgreSQL, a database (schema) that has the store's tables. fresh (may be NULL): set when
 * create found no schema and made it.
 */
static int store_open(const struct ticket_store_cfg *cfg, bool readonly, bool create,
                      struct ticket_store **out, bool *fresh, char *errbuf, size_t errlen)
{
    struct ticket_store *store = NULL;
    const char *path = ticket_store_location(cfg);
    char file[4096] = "";
    int kind, err;

    *out = NULL;
    kind = store_kind(cfg, file, sizeof(file), errbuf, errlen);
    if (kind < 0) {
        return kind;
    }
    if (kind == 0 && !(create && !readonly)) {
        struct stat sb;
        if (stat(file, &sb) != 0) {
            if (errno == ENOENT || errno == ENOTDIR) {
                snprintf(errbuf, errlen,
                         "交办单库 '%s' 不存在，请运行一次 'yuqingctl store init --db %s' 创建"
                         "（或修正 store.path、挂载其磁盘） (ticket store '%s' does not exist: "
                         "run 'yuqingctl store init --db %s' once to create it (or fix "
                         "store.path / mount its disk))",
                         file, file, file, file);
                return ERR_NOT_FOUND;
            }
            snprintf(errbuf, errlen, "无法访问交办单库 '%s' (ticket store '%s': %s)", file, file,
                     strerror(errno));
            return ERR_IO;
        }
        if (!S_ISREG(sb.st_mode)) {
            snprintf(errbuf, errlen,
                     "交办单库 '%s' 不是普通文件，--db 须为交办单库文件（如 .demo/tickets.db） "
                     "(ticket store '%s' is not a regular file)",
                     file, file);
            return ERR_INVALID;
        }
        if (!readonly && (sb.st_mode & 077)) {
            LOG_WARN("ticket store is readable by others path='%s' mode=%04o (it holds password "
                     "hashes: run 'yuqingctl store init --db %s' to set 0600)",
                     file, (unsigned)(sb.st_mode & 07777), file);
        }
    }
    store = calloc(1, sizeof(*store));
    if (!store) {
        return ERR_NOMEM;
    }
    store->readonly = readonly;
    /* the journal pragmas wait for the schema check below: nothing is written before it */
    err = yq_db_open(path,
                         (readonly ? YQ_DB_READONLY_OPEN : 0) |
                             (create && !readonly ? YQ_DB_CREATE : 0),
                         cfg->busy_timeout_ms, &store->db, errbuf, errlen);
    if (err) {
        goto fail;
    }
    if (kind == 2) {
        /* messages name the database by its location without the password */
        snprintf(file, sizeof(file), "%s", yq_db_location(store->db));
    }
    if (!readonly) {
        if (fresh && kind == 2) {
            int version = 0;
            err = read_schema(store, file, NULL, &version, errbuf, errlen);
            if (err) {
                goto fail;
            }
            *fresh = version == 0;
        }
        if ((kind == 0 || kind == 2) && !create) {
            /*
             * A file without the schema (an empty file, another program's database) is not a
             * ticket store: switching it to WAL and migrating it would create a store
             * implicitly (issue #10). Checked before anything is written to it.
             */
            int version = 0;
            err = read_schema(store, file, file, &version, errbuf, errlen);
            if (err) {
                goto fail;
            }
        }
        err = yq_db_use_wal(store->db, cfg->busy_timeout_ms, errbuf, errlen);
        if (!err) {
            err = yq_db_migrate(store->db, &store_schema, cfg->busy_timeout_ms, errbuf,
                                    errlen);
        }
        if (err) {
            goto fail;
        }
    } else {
        int version = 0;
        /* an in-memory store has no schema to find: the version check below refuses it */
        err = read_schema(store, kind == 2 ? file : path, kind == 1 ? NULL : file, &version, errbuf,
                          errlen);
        if (!err && version != TICKET_STORE_SCHEMA_VERSION) {
            snprintf(errbuf, errlen, "ticket store '%s' has schema %d, want %d",
                     kind == 2 ? file : path, version, TICKET_STORE_SCHEMA_VERSION);
            err = ERR_BAD_STATE;
        }
        if (err) {
            goto fail;
        }
    }
    *out = store;
    return 0;
fail:
    ticket_store_free(store);
    return err;
}

int ticket_store_open(const struct ticket_store_cfg *cfg, struct ticket_store **out, char *errbuf,
                      size_t errlen)
{
    return store_open(cfg, false, false, out, NULL, errbuf, errlen);
}

int ticket_store_open_readonly(const struct ticket_store_cfg *cfg, struct ticket_store **out,
                               char *errbuf, size_t errlen)
{
    return store_open(cfg, true, false, out, NULL, errbuf, errlen);
}

int ticket_store_init(const struct ticket_store_cfg *cfg, bool *created, char *errbuf,
                      size_t errlen)
{
    struct ticket_store *store = NULL;
    char file[4096], side[4120];
    int kind, fd, err;

    if (created) {
        *created = false;
    }
    kind = store_kind(cfg, file, sizeof(file), errbuf, errlen);
    if (kind < 0) {
        return kind;
    }
    if (kind == 0) {
        err = make_parent_dirs(file, errbuf, errlen);
        if (err) {
            return err;
        }
        /*
         * Create the file 0600 before SQLite opens it: SQLite gives -wal and -shm the mode of
         * the database file, and the store holds password hashes and session tokens.
         */
        fd = open(file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0) {
            if (created) {
                *created = true;
            }
        } else if (errno == EEXIST) {
            fd = open(file, O_RDWR | O_CLOEXEC);
        }
        if (fd < 0) {
            snprintf(errbuf, errlen, "cannot create ticket store '%s': %s", file, strerror(errno));
            return ERR_IO;
        }
        if (fchmod(fd, 0600) != 0) {
            snprintf(errbuf, errlen, "cannot chmod 0600 '%s': %s", file, strerror(errno));
            close(fd);
            return ERR_IO;
        }
        close(fd);
        for (int i = 0; i < 2; i++) {
            snprintf(side, sizeof(side), "%s%s", file, i == 0 ? "-wal" : "-shm");
            err = tighten_mode(side, errbuf, errlen);
            if (err) {
                return err;
            }
        }
    }
    err = store_open(cfg, false, true, &store, kind == 2 ? created : NULL, errbuf, errlen);
    ticket_store_free(store);
    return err;
}

struct ticket_store_lock {
    int fd;    /* "<db>.lock": holds the pid for the message a second notifier prints */
    int db_fd; /* the database file itself: the same inode whatever path reaches it */
};

int ticket_store_lock_acquire(const struct ticket_store_cfg *cfg, struct ticket_store_lock **out,
                              char *errbuf, size_t errlen)
{
    struct ticket_store_lock *lock;
    char file[4096], lock_path[4120], pid[32];
    int kind, n;

    *out = NULL;
    kind = store_kind(cfg, file, sizeof(file), errbuf, errlen);
    if (kind < 0) {
        return kind;
    }
    lock = calloc(1, sizeof(*lock));
    if (!lock) {
        snprintf(errbuf, errlen, "out of memory");
        return ERR_NOMEM;
    }
    lock->fd = -1;
    lock->db_fd = -1;
    if (kind == 1 || kind == 2) {
        /* an in-memory store belongs to its process anyway; a PostgreSQL store serves several
           notifiers (docs/operations.md, "Scaling") */
        *out = lock;
        return 0;
    }
    snprintf(lock_path, sizeof(lock_path), "%s.lock", file);
    lock->fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock->fd < 0) {
        snprintf(errbuf, errlen, "cannot open lock file '%s': %s", lock_path, strerror(errno));
        free(lock);
        return errno == ENOENT || errno == ENOTDIR ? ERR_NOT_FOUND : ERR_IO;
    }
    if (flock(lock->fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK) {
            ssize_t got = pread(lock->fd, pid, sizeof(pid) - 1, 0);
            pid[got > 0 ? got : 0] = '\0';
            pid[strcspn(pid, "\n")] = '\0';
            snprintf(errbuf, errlen,
                     "ticket store '%s' is in use by another notifier (pid %s holds '%s'); a "
                     "SQLite store serves one notifier",
                     file, pid[0] ? pid : "unknown", lock_path);
        } else {
            snprintf(errbuf, errlen, "cannot lock '%s': %s", lock_path, strerror(e));
        }
        ticket_store_lock_release(lock);
        return e == EWOULDBLOCK ? ERR_BAD_STATE : ERR_IO;
    }
    /*
     * The lock file is found by path, so a symlink, a hard link or another directory's view of
     * the same database would miss it: also flock the database file itself, which is one inode
     * however it is reached. flock(2) locks are apart from SQLite's fcntl(2) locks on Linux's
     * local file systems (not on NFS, where a SQLite store does not belong anyway).
     */
    lock->db_fd = open(file, O_RDONLY | O_CLOEXEC);
    if (lock->db_fd < 0) {
        int e = errno;
        snprintf(errbuf, errlen, "cannot open ticket store '%s' to lock it: %s", file,
                 strerror(e));
        ticket_store_lock_release(lock);
        return e == ENOENT || e == ENOTDIR ? ERR_NOT_FOUND : ERR_IO;
    }
    if (flock(lock->db_fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK) {
            snprintf(errbuf, errlen,
                     "ticket store '%s' is in use by another notifier (through another path to "
                     "the same file); a SQLite store serves one notifier",
                     file);
        } else {
            snprintf(errbuf, errlen, "cannot lock '%s': %s", file, strerror(e));
        }
        ticket_store_lock_release(lock);
        return e == EWOULDBLOCK ? ERR_BAD_STATE : ERR_IO;
    }
    /* the holder's pid, for the message a second notifier prints */
    n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (ftruncate(lock->fd, 0) != 0 || pwrite(lock->fd, pid, (size_t)n, 0) != n) {
        LOG_WARN("cannot write pid to lock file path='%s' err='%s'", lock_path, strerror(errno));
    }
    *out = lock;
    return 0;
}

void ticket_store_lock_release(struct ticket_store_lock *lock)
{
    if (!lock) {
        return;
    }
    if (lock->db_fd >= 0) {
        close(lock->db_fd); /* drops its flock; SQLite's own descriptors are unaffected */
    }
    if (lock->fd >= 0) {
        close(lock->fd); /* drops the flock; the file stays (unlinking it would race) */
    }
    free(lock);
}

void ticket_store_free(struct ticket_store *store)
{
    if (!store) {
        return;
    }
    (void)yq_db_close(store->db); /* logs an unfinalised statement: a bug */
    free(store);
}

struct yq_db *ticket_store_db(struct ticket_store *store)
{
    return store->db;
}

/* --- numbers ------------------------------------------------------------- */

void ticket_number_prefix(int64_t t, char *buf, size_t len, char *month, size_t month_len)
{
    struct tm tm;
    time_t tt = (time_t)(t + YQ_SHANGHAI_OFFSET_S);

    gmtime_r(&tt, &tm);
    snprintf(buf, len, "YQ-%04d-%02d-", tm.tm_year + 1900, tm.tm_mon + 1);
    if (month) {
        snprintf(month, month_len, "%04d-%02d", tm.tm_year + 1900, tm.tm_mon + 1);
    }
}

/* --- reads ----------------------------------------------------------------------------- */

int ticket_store_read_cols(struct yq_stmt *st, const struct ticket_store_col *cols, size_t n_cols,
                           void *obj)
{
    for (size_t i = 0; i < n_cols; i++) {
        const struct ticket_store_col *c = &cols[i];
        void *field = (char *)obj + c->offset;
        const char *text = yq_stmt_column_text(st, c->index);
        bool null = yq_stmt_column_type(st, c->index) == YQ_DB_NULL;

        switch (c->type) {
        case TICKET_COL_TEXT:
        case TICKET_COL_TEXT_OR_NULL:
            if (c->type == TICKET_COL_TEXT || !null) {
                *(char **)field = strdup(text ? text : "");
                if (!*(char **)field) {
                    ticket_store_free_cols(cols, i, obj);
                    return ERR_NOMEM;
                }
            }
            break;
        case TICKET_COL_INT: /* NULL reads as 0: "not yet" for times */
            *(int64_t *)field = yq_stmt_column_int64(st, c->index);
            break;
        case TICKET_COL_REAL:
            *(double *)field = yq_stmt_column_double(st, c->index);
            break;
        case TICKET_COL_FLAG:
            *(bool *)field = yq_stmt_column_int(st, c->index) != 0;
            break;
        case TICKET_COL_PRESENT:
            *(bool *)field = !null;
            break;
        case TICKET_COL_LEVEL:
            if (yq_level_parse(text, (enum yq_level *)field)) {
                *(enum yq_level *)field = YQ_LEVEL_IV; /* the CHECK constraint prevents it */
            }
            break;
        case TICKET_COL_STATE:
            if (ticket_state_parse(text, (enum ticket_state *)field)) {
                *(enum ticket_state *)field = TICKET_STATE_OPEN; /* as above */
            }
            break;
        }
    }
    return 0;
}

int ticket_store_read_elem(struct yq_stmt *st, const struct ticket_store_row_type *rt, void *elem)
{
    memset(elem, 0, rt->elem_size);
    return ticket_store_read_cols(st, rt->cols, rt->n_cols, elem);
}

void ticket_store_free_cols(const struct ticket_store_col *cols, size_t n_cols, void *obj)
{
    for (size_t i = 0; i < n_cols; i++) {
        if (cols[i].type == TICKET_COL_TEXT || cols[i].type == TICKET_COL_TEXT_OR_NULL) {
            char **field = (char **)((char *)obj + cols[i].offset);
            free(*field);
            *field = NULL;
        }
    }
}

void ticket_store_free_rows(const struct ticket_store_col *cols, size_t n_cols, void *v, size_t n,
                            size_t elem_size)
{
    for (size_t i = 0; i < n; i++) {
        ticket_store_free_cols(cols, n_cols, (char *)v + i * elem_size);
    }
    free(v);
}

#define TCOL(i, type, field) TICKET_STORE_COL(struct ticket, i, type, field)

/* The columns of TICKET_STORE_COLUMNS, in order, and where each goes in struct ticket. */
static const struct ticket_store_col ticket_cols[] = {
    TCOL(0, INT, id),
    TCOL(1, TEXT, number),
    TCOL(2, TEXT, event_key),
    TCOL(3, TEXT, title),
    TCOL(4, LEVEL, level),
    TCOL(5, TEXT, department),
    TCOL(6, STATE, state),
    TCOL(7, PRESENT, has_first_post),
    TCOL(7, INT, first_post_at),
    TCOL(8, INT, detected_at),
    TCOL(9, INT, ack_deadline),
    TCOL(10, INT, response_deadline),
    TCOL(11, INT, item_count),
    TCOL(12, REAL, score),
    TCOL(13, INT, rules_version),
    TCOL(14, TEXT, url),
    TCOL(15, INT, created_at),
    TCOL(16, INT, updated_at),
    TCOL(17, TEXT, co_departments),
    TCOL(18, INT, heat),
    TCOL(19, INT, assigned_at),
    TCOL(20, INT, acknowledged_at),
    TCOL(21, INT, responded_at),
    TCOL(22, INT, closed_at),
    TCOL(23, INT, returned_at),
    TCOL(24, INT, dismissed_at),
    TCOL(25, TEXT, dismiss_reason),
    TCOL(26, INT, reopened_at),
    TCOL(27, INT, reopen_count),
    TCOL(28, INT, press_deadline),
    TCOL(29, INT, press_held_at),
    TCOL(30, INT, close_deadline),
    TCOL(31, FLAG, ack_overdue),
    TCOL(32, FLAG, response_overdue),
    TCOL(33, FLAG, press_overdue),
    TCOL(34, FLAG, close_overdue),
    TCOL(35, INT, version),
    TCOL(36, FLAG, rules_unverified),
    TCOL(37, INT, rules_checked_at),
};
TICKET_STORE_ROWS_AND_RELEASE(ticket_rows, struct ticket, ticket_cols, ticket_release,
                              struct ticket_list, ticket_list_release);

int ticket_store_collect_rows(struct ticket_store *store, struct yq_stmt *st, const char *what,
                              size_t max, const struct ticket_store_row_type *rt, void **v,
                              size_t *n)
{
    size_t elem_size = rt->elem_size;
    size_t cap = 0;
    int rc, err = 0;

    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        if (*n >= max) {
            err = ERR_TOO_BIG;
            break;
        }
        err = yq_array_reserve(v, &cap, *n + 1, elem_size);
        if (err) {
            break;
        }
        err = ticket_store_read_elem(st, rt, (char *)*v + *n * elem_size);
        if (err) {
            break;
        }
        (*n)++;
    }
    if (!err && rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, what);
    }
    yq_stmt_finalize(st);
    return err;
}

/*
 * The rows of sql (its parameters ?1.. bound to the n_binds values of binds; at most max rows
 * by its LIMIT) read as row type rt into the vector *v / *n (empty on failure: the texts of
 * the rows read released). Returns 0, ERR_RETRY, ERR_IO, ERR_TOO_BIG or ERR_NOMEM.
 */
static int list_rows(struct ticket_store *store, const char *sql, const char *what,
                     const int64_t *binds, int n_binds, size_t max,
                     const struct ticket_store_row_type *rt, void **v, size_t *n)
{
    struct yq_stmt *st = NULL;
    int err = ticket_store_prepare(store, sql, &st, what);

    if (!err) {
        for (int i = 0; i < n_binds; i++) {
            yq_stmt_bind_int64(st, i + 1, binds[i]);
        }
        err = ticket_store_collect_rows(store, st, what, max, rt, v, n);
    }
    if (err) {
        ticket_store_free_rows(rt->cols, rt->n_cols, *v, *n, rt->elem_size);
        *v = NULL;
        *n = 0;
    }
    return err;
}

/* The SQL of rows_of_ticket() from "SELECT <columns> FROM <table>" (a string literal). */
#define ROWS_OF_TICKET_SQL(select) select " WHERE ticket_id = ?1 ORDER BY id LIMIT ?2"

/*
 * The rows of ticket_id in a table of rows of one ticket (its log, responses, items: columns
 * ticket_id and id), in id order, at most max: sql is ROWS_OF_TICKET_SQL() of that table's
 * SELECT, rt its row type. *v and *n are set empty first; max 0 reads nothing. Returns as
 * list_rows().
 */
static int rows_of_ticket(struct ticket_store *store, const char *sql, const char *what,
                          int64_t ticket_id, size_t max, const struct ticket_store_row_type *rt,
                          void **v, size_t *n)
{
    int64_t binds[2] = {ticket_id, (int64_t)(max < INT64_MAX ? max : INT64_MAX)};

    *v = NULL;
    *n = 0;
    if (max == 0) {
        return 0;
    }
    return list_rows(store, sql, what, binds, 2, max, rt, v, n);
}

int ticket_store_list_open(struct ticket_store *store, size_t max_tickets, struct ticket_list *out)
{
    int64_t limit = (int64_t)max_tickets;

    memset(out, 0, sizeof(*out));
    if (max_tickets == 0) {
        return 0;
    }
    return list_rows(store,
                     "SELECT " TICKET_COLUMNS " FROM tickets "
                     "WHERE state NOT IN " TICKET_STATES_SETTLED_SQL " "
                     "ORDER BY response_deadline, id LIMIT ?",
                     "list open", &limit, 1, max_tickets, &ticket_rows, (void **)&out->v, &out->n);
}

static int count_query(struct ticket_store *store, const char *sql, int64_t bind, bool has_bind,
                       int64_t *out)
{
    struct yq_stmt *st = NULL;
    int rc, err;

    *out = 0;
    err = ticket_store_prepare(store, sql, &st, "count");
    if (err) {
        return err;
    }
    if (has_bind) {
        yq_stmt_bind_int64(st, 1, bind);
    }
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        *out = yq_stmt_column_int64(st, 0);
    } else {
        err = ticket_store_fail(store, rc, "count");
    }
    yq_stmt_finalize(st);
    return err;
}

int ticket_store_count_open(struct ticket_store *store, int64_t *out)
{
    return count_query(store,
                       "SELECT count(*) FROM tickets WHERE state NOT IN " TICKET_STATES_SETTLED_SQL, 0,
                       false, out);
}

int ticket_store_last_log_id(struct ticket_store *store, int64_t *out)
{
    return count_query(store, "SELECT coalesce(max(id), 0) FROM ticket_log", 0, false, out);
}

int ticket_store_count_log(struct ticket_store *store, int64_t ticket_id, int64_t *out)
{
    return count_query(store, "SELECT count(*) FROM ticket_log WHERE ticket_id = ?", ticket_id,
                       true, out);
}

/* The one ticket st (bound; finalized here) selects. 0, ERR_NOT_FOUND, RETRY, IO, NOMEM. */
static int get_one(struct ticket_store *store, struct yq_stmt *st, struct ticket *out)
{
    int rc = yq_stmt_step(st), err;

    if (rc == YQ_DB_ROW) {
        err = ticket_store_read_elem(st, &ticket_rows, out);
    } else if (rc == YQ_DB_DONE) {
        err = ERR_NOT_FOUND;
    } else {
        err = ticket_store_fail(store, rc, "get ticket");
    }
    yq_stmt_finalize(st);
    return err;
}

int ticket_store_get_by_number(struct ticket_store *store, const char *number, struct ticket *out)
{
    struct yq_stmt *st = NULL;
    int err;

    memset(out, 0, sizeof(*out));
    err = ticket_store_prepare(store, "SELECT " TICKET_COLUMNS " FROM tickets WHERE number = ?",
                               &st, "get ticket");
    if (err) {
        return err;
    }
    yq_stmt_bind_text(st, 1, number);
    return get_one(store, st, out);
}

int ticket_store_get_by_id(struct ticket_store *store, int64_t id, struct ticket *out)
{
    struct yq_stmt *st = NULL;
    int err;

    memset(out, 0, sizeof(*out));
    err = ticket_store_prepare(store, "SELECT " TICKET_COLUMNS " FROM tickets WHERE id = ?", &st,
                               "get ticket");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, id);
    return get_one(store, st, out);
}

/*
 * The source kinds whose label is text ("网站" -> ["rss","atom","json"]) as a JSON array text
 * into buf; "[]" when text is no kind's label.
 */
static const char *kinds_labelled(const char *text, char *buf, size_t len)
{
    size_t n_kinds = 0, used;
    const struct yq_label *kinds = yq_label_table(YQ_LABEL_SOURCE_KIND, &n_kinds);

    used = (size_t)snprintf(buf, len, "[");
    for (size_t i = 0; i < n_kinds && used + 40 < len; i++) {
        if (strcmp(kinds[i].label, text) == 0) { /* codes are plain ASCII words */
            used += (size_t)snprintf(buf + used, len - used, "%s\"%s\"", used > 1 ? "," : "",
                                     kinds[i].code);
        }
    }
    snprintf(buf + used, len - used, "]");
    return buf;
}

/*
 * The queue's statement (ticket_store_list()). JE: a STORE_JSON_EACH_* macro (store_json.h).
 * A ticket co-handled by department ?2 matches it; a corrupt co_departments is none.
 */
#define TICKET_LIST_SQL(JE)                                                                        \
    "SELECT " TICKET_COLUMNS " FROM tickets WHERE "                                                \
    "(CAST(?1 AS TEXT) IS NULL OR (?1 = 'active' AND state NOT IN " TICKET_STATES_SETTLED_SQL      \
    ") OR state = ?1) "                                                                            \
    "AND (CAST(?2 AS TEXT) IS NULL OR department = ?2 OR EXISTS (SELECT 1 FROM "                   \
    JE(STORE_JSON_COLUMN("co_departments", "co_departments"), "cd")                                \
    "  WHERE cd.value = ?2)) "                                                                     \
    "AND (CAST(?3 AS TEXT) IS NULL OR department = ?3) "                                           \
    "AND (CAST(?4 AS TEXT) IS NULL OR level = ?4) "                                                \
    "AND (CAST(?5 AS TEXT) IS NULL OR id IN (SELECT ticket_id FROM ticket_items "                  \
    "  WHERE source_id = ?5 "                                                                      \
    "  UNION SELECT ticket_id FROM ticket_items WHERE channel = ?5 "                                \
    "  UNION SELECT ticket_id FROM ticket_items WHERE source = ?5 "                                \
    "  OR source IN (SELECT k.value FROM " JE("?6", "k") "))) "                                    \
    "AND (CAST(?7 AS BIGINT) IS NULL OR detected_at >= ?7) "                                       \
    "AND (CAST(?8 AS BIGINT) IS NULL OR detected_at < ?8) "                                        \
    "AND (?9 = 0 OR ack_overdue + response_overdue + press_overdue + close_overdue > 0) "          \
    "ORDER BY " TICKET_QUEUE_ORDER " LIMIT ?10 OFFSET ?11"

int ticket_store_list(struct ticket_store *store, const struct ticket_filter *filter, size_t max,
                      struct ticket_list *out)
{
    static const char *const sql[2] = {
        TICKET_LIST_SQL(STORE_JSON_EACH_SQLITE),
        TICKET_LIST_SQL(STORE_JSON_EACH_PG),
    };
    static const struct ticket_filter any = {0};
    const struct ticket_filter *f = filter ? filter : &any;
    enum yq_level level = YQ_LEVEL_IV;
    char kinds[256];
    struct yq_stmt *st = NULL;
    int err;

    memset(out, 0, sizeof(*out));
    if (max == 0) {
        return 0;
    }
    if (f->level && yq_level_parse(f->level, &level) != 0) {
        return ERR_INVALID;
    }
    /*
     * Every condition is "parameter IS NULL OR ...", so one statement serves every filter.
     * The price: SQLite's planner cannot pick a tickets index for such a condition, so the
     * page is one scan of tickets plus a sort by the queue order (EXPLAIN QUERY PLAN: SCAN
     * tickets, TEMP B-TREE FOR ORDER BY); the source filter's subqueries do use ticket_items'
     * source, source_id and channel indexes. Measured in bench/notifier/bench_ticket_list
     * (docs/tickets.md); choosing fixed WHERE fragments by the filters set would let it use
     * migration 7's tickets indexes.
     */
    err = ticket_store_prepare(store, sql[store_json_pick(store->db)], &st, "list tickets");
    if (err) {
        return err;
    }
    if (f->state) {
        yq_stmt_bind_text(st, 1, f->state);
    }
    if (f->department) {
        yq_stmt_bind_text(st, 2, f->department);
    }
    if (f->lead_department) {
        yq_stmt_bind_text(st, 3, f->lead_department);
    }
    if (f->level) {
        yq_stmt_bind_text(st, 4, yq_level_name(level));
    }
    if (f->source) {
        yq_stmt_bind_text(st, 5, f->source);
    }
    yq_stmt_bind_text(st, 6, f->source ? kinds_labelled(f->source, kinds, sizeof(kinds)) : "[]");
    if (f->detected_from) {
        yq_stmt_bind_int64(st, 7, f->detected_from);
    }
    if (f->detected_until) {
        yq_stmt_bind_int64(st, 8, f->detected_until);
    }
    yq_stmt_bind_int(st, 9, f->overdue_only ? 1 : 0);
    yq_stmt_bind_int64(st, 10, (int64_t)(max < INT64_MAX ? max : INT64_MAX));
    yq_stmt_bind_int64(st, 11, (int64_t)(f->offset < INT64_MAX ? f->offset : INT64_MAX));
    err = ticket_store_collect_rows(store, st, "list tickets", max, &ticket_rows, (void **)&out->v,
                                    &out->n);
    if (err) {
        ticket_list_release(out);
    }
    return err;
}

#define LCOL(i, type, field) TICKET_STORE_COL(struct ticket_log_entry, i, type, field)

static const struct ticket_store_col log_cols[] = {
    LCOL(0, INT, id),      LCOL(1, INT, at),          LCOL(2, TEXT, actor),    LCOL(3, TEXT, role),
    LCOL(4, TEXT, action), LCOL(5, TEXT, from_state), LCOL(6, TEXT, to_state), LCOL(7, TEXT, note),
};
TICKET_STORE_ROWS(log_rows, struct ticket_log_entry, log_cols, struct ticket_log_list,
                  ticket_log_list_release);

int ticket_store_list_log(struct ticket_store *store, int64_t ticket_id,
                          struct ticket_log_list *out)
{
    return rows_of_ticket(
        store,
        ROWS_OF_TICKET_SQL("SELECT id, at, actor, actor_role, action, from_state, "
                           "to_state, note FROM ticket_log"),
        "list log", ticket_id, 10000, &log_rows, (void **)&out->v, &out->n);
}

#define RCOL(i, type, field) TICKET_STORE_COL(struct ticket_response, i, type, field)

static const struct ticket_store_col response_cols[] = {
    RCOL(0, TEXT, channel),    RCOL(1, TEXT, url),         RCOL(2, INT, responded_at),
    RCOL(3, INT, recorded_at), RCOL(4, TEXT, recorded_by), RCOL(5, TEXT, note),
};
TICKET_STORE_ROWS(response_rows, struct ticket_response, response_cols, struct ticket_response_list,
                  ticket_response_list_release);

int ticket_store_list_responses(struct ticket_store *store, int64_t ticket_id,
                                struct ticket_response_list *out)
{
    return rows_of_ticket(store,
                          ROWS_OF_TICKET_SQL("SELECT channel, url, responded_at, recorded_at, "
                                             "recorded_by, note FROM ticket_responses"),
                          "list responses", ticket_id, 1000, &response_rows, (void **)&out->v,
                          &out->n);
}

#define ITEM_COLUMNS                                                                               \
    "ticket_id, item_id, source, source_id, channel, url, title, excerpt, published_at, "          \
    "rule_ids, matches, added_at, author, fetched_at_ms, matched_at_ms, stored_at_ms"

#define ICOL(i, type, field) TICKET_STORE_COL(struct ticket_item, i, type, field)

/* The columns of ITEM_COLUMNS, in order, and where each goes in struct ticket_item. */
static const struct ticket_store_col item_cols[] = {
    ICOL(0, INT, ticket_id),    ICOL(1, TEXT, item_id),  ICOL(2, TEXT, source),
    ICOL(3, TEXT, source_id),   ICOL(4, TEXT, channel),  ICOL(5, TEXT, url),
    ICOL(6, TEXT, title),       ICOL(7, TEXT, excerpt),  ICOL(8, PRESENT, has_published),
    ICOL(8, INT, published_at), ICOL(9, TEXT, rule_ids), ICOL(10, TEXT, matches),
    ICOL(11, INT, added_at),    ICOL(12, TEXT, author),  ICOL(13, INT, fetched_at_ms),
    ICOL(14, INT, matched_at_ms), ICOL(15, INT, stored_at_ms),
};
TICKET_STORE_ROWS_AND_RELEASE(item_rows, struct ticket_item, item_cols, ticket_item_release,
                              struct ticket_item_list, ticket_item_list_release);

int ticket_store_list_items(struct ticket_store *store, int64_t ticket_id, size_t max_items,
                            struct ticket_item_list *out)
{
    return rows_of_ticket(store, ROWS_OF_TICKET_SQL("SELECT " ITEM_COLUMNS " FROM ticket_items"),
                          "list items", ticket_id, max_items, &item_rows, (void **)&out->v,
                          &out->n);
}

/*
 * The items of a page of tickets (ticket_store_list_items_of()). PAGE: the FROM item of the
 * JSON array ?1 of ticket ids as rows page(value, key), key its position.
 */
#define ITEMS_OF_PAGE_SQL(PAGE)                                                                    \
    "SELECT " ITEM_COLUMNS " FROM (SELECT ticket_items.*, page.key AS page_pos, "                 \
    "  row_number() OVER (PARTITION BY ticket_items.ticket_id ORDER BY ticket_items.id) "         \
    "  AS nth FROM " PAGE " JOIN ticket_items "                                                    \
    "  ON ticket_items.ticket_id = CAST(page.value AS BIGINT)) AS paged "                         \
    "WHERE nth <= ?2 ORDER BY page_pos, id"

int ticket_store_list_items_of(struct ticket_store *store, const struct ticket_list *tickets,
                               size_t max_per_ticket, struct ticket_item_list *out)
{
    static const char *const sql[2] = {
        ITEMS_OF_PAGE_SQL("json_each(?1) AS page"),
        ITEMS_OF_PAGE_SQL("json_array_elements_text(CAST(?1 AS json)) WITH ORDINALITY "
                          "AS page(value, key)"),
    };
    struct yq_stmt *st = NULL;
    json_t *ids = NULL;
    char *ids_text = NULL;
    int err;

    memset(out, 0, sizeof(*out));
    if (max_per_ticket == 0 || tickets->n == 0) {
        return 0;
    }
    ids = json_array();
    for (size_t i = 0; ids && i < tickets->n; i++) {
        if (json_array_append_new(ids, json_integer(tickets->v[i].id)) != 0) {
            json_decref(ids);
            ids = NULL;
        }
    }
    ids_text = ids ? yq_json_dumps(ids, JSON_COMPACT) : NULL;
    json_decref(ids);
    if (!ids_text) {
        return ERR_NOMEM;
    }
    /*
     * The page's ids as one JSON array parameter (no SQL built from data), in page order (the
     * array index); the first max_per_ticket items of each by row_number().
     */
    err = ticket_store_prepare(store, sql[store_json_pick(store->db)], &st, "list items of page");
    if (!err) {
        yq_stmt_bind_text(st, 1, ids_text);
        yq_stmt_bind_int64(st, 2, (int64_t)max_per_ticket);
        size_t max =
            max_per_ticket <= SIZE_MAX / tickets->n ? tickets->n * max_per_ticket : SIZE_MAX;
        err = ticket_store_collect_rows(store, st, "list items of page", max, &item_rows,
                                        (void **)&out->v, &out->n);
    }
    free(ids_text);
    if (err) {
        ticket_item_list_release(out);
    }
    return err;
}

const struct ticket_item *ticket_item_run(const struct ticket_item_list *items, int64_t ticket_id,
                                          size_t *pos, size_t *n)
{
    size_t start = *pos;

    *n = 0;
    while (start < items->n && items->v[start].ticket_id != ticket_id) {
        start++; /* only when the caller skipped a ticket */
    }
    if (start == items->n) {
        return NULL; /* *pos stays: the next ticket's run may start there */
    }
    while (start + *n < items->n && items->v[start + *n].ticket_id == ticket_id) {
        (*n)++;
    }
    *pos = start + *n;
    return &items->v[start];
}

