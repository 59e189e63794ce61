/*
 * Silences (issue #13, docs/desk.md "Silences"): the duty officer suppresses NEW alerts that
 * match a rule, a rule group, a source, an account or a term until an expiry, with a creator
 * and a reason. A suppressed alert is kept whole in silenced_alerts and counted on its silence
 * (silences.hit_count); nothing is lost. Tables: migration 9 of notifier/ticket_store.c.
 *
 * Scope: a silence only ever decides whether an alert opens a NEW event. The caller (intake)
 * asks silence_check() only for an alert whose event does not exist yet; an item of an
 * existing event or ticket is always added to it, so a silence never hides volume of a known
 * event and never touches a ticket or its statutory clocks.
 *
 * Matching (silence_check()), one rule per kind:
 *   rule    covers the alert when EVERY match's rule_id is silenced (a silence on one rule does
 *           not hide an alert that another, unsilenced rule also raised);
 *   group   the same with the matches' rule groups; a match without a group is not covered by
 *           any group silence. Rule and group silences combine: the alert is covered when each
 *           match is covered by some rule silence or some group silence;
 *   source  item.source_id equals the value (byte for byte);
 *   account the value equals, after trimming and Unicode NFKC with case folding (utf8proc),
 *           the item's author, or for WeChat and news items (source "wechat", "rss") also the
 *           item's channel (the 公众号 or the site: their author is often a byline);
 *   term    the value, normalised as the matcher normalises (pipeline/norm.h: NFKC, case
 *           folding, full width, traditional -> simplified, invisible characters removed), is
 *           one of the alert's matched terms (normalised the same way) or occurs in the
 *           item's normalised title or text.
 * Active: created_at <= now < expires_at and not revoked (expiry is exclusive: at exactly
 * expires_at a silence no longer applies).
 *
 * Bounds (SILENCE_*): value and reason are trimmed, valid UTF-8, non-empty and at most
 * SILENCE_VALUE_MAX_BYTES / SILENCE_REASON_MAX_BYTES; at most SILENCE_ACTIVE_MAX active
 * silences; an expiry at most SILENCE_MAX_DURATION_S after now.
 *
 * Errors (all functions): 0, ERR_INVALID (a bad argument; store's last error names it),
 * ERR_NOT_FOUND, ERR_BAD_STATE, ERR_TOO_BIG, ERR_RETRY (database busy), ERR_IO, ERR_NOMEM.
 * The functions with their own transaction change nothing on failure. Not thread-safe for one
 * store handle (as the store).
 */
#ifndef NOTIFIER_SILENCE_H
#define NOTIFIER_SILENCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ticket_store.h"
#include "yq_alert.h"

/* A silence's value (rule id, group, source id, account or term), bytes after trimming. */
#define SILENCE_VALUE_MAX_BYTES 200
/* A term silence's shortest value after normalisation (review of issue #13): code points, and
   characters when the term is all ASCII; shorter terms are refused (ERR_INVALID). */
#define SILENCE_TERM_MIN_CP 2
#define SILENCE_TERM_MIN_ASCII 3
/* Its reason (why the officer silences it), bytes after trimming. */
#define SILENCE_REASON_MAX_BYTES 500
/* Who created or revoked it, bytes. */
#define SILENCE_BY_MAX_BYTES 100
/* Silences active at one time: each alert of a new event is checked against all of them. */
#define SILENCE_ACTIVE_MAX 1000
/* The longest silence: 90 days, so that a forgotten silence ends by itself within a quarter. */
#define SILENCE_MAX_DURATION_S (90 * 86400)
/* The most rows silence_list() returns (newest first). */
#define SILENCE_LIST_MAX_ROWS 1000
/* The most rows silence_alerts_list() returns, whatever max asks. */
#define SILENCE_ALERTS_LIST_MAX_ROWS 10000
/*
 * A term silence looks at most this many normalised bytes of the item's title and of its text
 * (NFKC may grow a text; an item is bounded by YQ_ALERT_MAX_BYTES, so this covers any item).
 */
#define SILENCE_TERM_SCAN_MAX_BYTES (4 * 1024 * 1024)

enum silence_kind { SILENCE_RULE = 1, SILENCE_GROUP, SILENCE_SOURCE, SILENCE_ACCOUNT, SILENCE_TERM };

/* "rule", "group", "source", "account", "term" for a valid kind; NULL otherwise. Static. */
const char *silence_kind_name(enum silence_kind k);

/* Parse a kind name (as silence_kind_name() writes it). 0 or ERR_INVALID. */
int silence_kind_parse(const char *s, enum silence_kind *out);

/*
 * Add a silence in its own transaction. value, reason: trimmed of white space, then non-empty,
 * valid UTF-8 and within SILENCE_VALUE_MAX_BYTES / SILENCE_REASON_MAX_BYTES (a term must also
 * be non-empty after normalisation); created_by: non-empty, at most SILENCE_BY_MAX_BYTES.
 * expires_at: seconds since the epoch UTC, now < expires_at <= now + SILENCE_MAX_DURATION_S.
 * now: the creation time (created_at). id_out (may be NULL): the new silence's id.
 * Returns 0; ERR_INVALID for a bad argument (store's last error says which); ERR_TOO_BIG when
 * SILENCE_ACTIVE_MAX silences are active at now; ERR_RETRY, ERR_IO, ERR_NOMEM.
 */
int silence_add(struct ticket_store *store, enum silence_kind kind, const char *value,
                const char *reason, const char *created_by, int64_t expires_at, int64_t now,
                int64_t *id_out);

/*
 * Revoke silence id at now in its own transaction; by: who (non-empty, bounded as created_by).
 * Returns 0, ERR_NOT_FOUND (no such silence), ERR_BAD_STATE (already revoked, or expired at
 * now), ERR_INVALID (by empty or too long), ERR_RETRY, ERR_IO.
 */
int silence_revoke(struct ticket_store *store, int64_t id, const char *by, int64_t now);

/*
 * The silences as a JSON array, newest (highest id) first, at most SILENCE_LIST_MAX_ROWS;
 * include_inactive false = only those active at now. Each object:
 *   {"id":3, "kind":"term", "value":"招聘", "reason":"...", "created_by":"王值班",
 *    "created_at":"2026-12-05T09:00:00+08:00", "expires_at":"2026-12-06T09:00:00+08:00",
 *    "revoked_at":null, "revoked_by":"", "hit_count":2, "active":true}
 * Times are ISO 8601 in Asia/Shanghai with "+08:00"; revoked_at null and revoked_by "" until
 * revoked. out: a new reference (json_decref()). Returns 0, ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int silence_list(struct ticket_store *store, bool include_inactive, int64_t now, json_t **out);

/*
 * Inside the caller's open transaction (reads only): the id of the first active silence at now
 * covering alert (borrowed), or 0 in *silence_id_out when none. "First" is the oldest (lowest
 * id) silence that covers it alone or, for rule and group silences, that covers one of its
 * matches when together they cover all. Call it only for an alert that would open a new event.
 * When the matcher's normalisation tables cannot be built (OpenCC's data missing), term
 * silences cover nothing (logged once as a warning): the alert goes to the inbox instead of
 * intake failing on every alert. Returns 0, ERR_RETRY, ERR_IO, ERR_NOMEM.
 */
int silence_check(struct ticket_store *store, const struct yq_alert *alert, int64_t now,
                  int64_t *silence_id_out);

/*
 * Inside the caller's open transaction (reads only): *any true when some silence is active at
 * now, i.e. silence_check() at now may cover an alert; false: it covers none. A batch of intake
 * (which holds the writers' lock, so no silence starts or ends under it but by time) asks this
 * once instead of silence_check() per new event. Returns 0, ERR_RETRY, ERR_IO, ERR_NOMEM.
 */
int silence_any_active(struct ticket_store *store, int64_t now, bool *any);

/*
 * Inside the caller's open transaction: keep alert (borrowed) whole in silenced_alerts under
 * silence_id, at now, and count it on the silence (hit_count + 1). Idempotent per
 * (event_key, item_id): an alert already kept (a redelivery) is neither stored nor counted
 * again, whichever silence it was kept under. Returns 0, ERR_NOT_FOUND (no such silence),
 * ERR_RETRY, ERR_IO, ERR_NOMEM.
 */
int silence_record(struct ticket_store *store, int64_t silence_id, const struct yq_alert *alert,
                   int64_t now);

/*
 * The silenced alerts as a JSON array, newest (highest id) first, at most max (capped at
 * SILENCE_ALERTS_LIST_MAX_ROWS); silence_id 0 = of all silences. Each object:
 *   {"id":1, "silence_id":3, "event_key":"ev:...", "item_id":"weibo:1", "level":"III",
 *    "title":"...", "source_id":"weibo-ankang", "author":"...", "rule_ids":["jobs-01"],
 *    "matched_at":"2026-12-05T09:10:00+08:00", "at":"2026-12-05T09:10:02+08:00"}
 * out: a new reference. Returns 0, ERR_NOT_FOUND (silence_id > 0 names no silence),
 * ERR_INVALID (max 0), ERR_RETRY, ERR_IO, ERR_NOMEM.
 */
int silence_alerts_list(struct ticket_store *store, int64_t silence_id, size_t max, json_t **out);

/*
 * The stored alert JSON (as yq_alert_encode() wrote it) of silenced alert id, for whoever
 * lets one through after all. out: new string (free()). Returns 0, ERR_NOT_FOUND, ERR_RETRY,
 * ERR_IO, ERR_NOMEM.
 */
int silence_alert_json(struct ticket_store *store, int64_t id, char **out);

#endif
