/*
 * Official posts and proposed responses in the ticket store (issue #15, docs/responses.md;
 * tables official_posts and response_proposals of migration 11). Every function runs inside
 * the caller's open transaction (intake's, or a ticket transition's): a post, its proposals,
 * their ticket_log rows and outbox notifications commit together or not at all.
 *
 * Which pairs are scored (response_detect.h gives the score):
 *  - tickets not yet answered or settled and held by a department: state open or
 *    acknowledged (a returned ticket is back with the duty officer);
 *  - posts with a link (a response on these channels needs one);
 *  - whose lead or co-handling department is the post's department, or any such ticket when
 *    the post's department is one of responses.office_departments;
 *  - the post published (else fetched) at or after the ticket's first post (else its
 *    detection) less responses.before_first_post_ms;
 *  - a ticket compared with the posts received within responses.lookback_ms before now;
 *  - one proposal per (ticket, post) at most, ever (UNIQUE (ticket_id, post_id)): a
 *    redelivered post or a second handover proposes nothing again.
 * A proposal: a response_proposals row (state 'proposed', the score and its three parts, the
 * matched terms found in the post), a ticket_log row (actor system, action
 * 'response_proposed', note "发现疑似回应：…") and one outbox notification (kind
 * 'response_proposed', 疑似回应) to the lead department's liaison and the duty officer.
 */
#ifndef NOTIFIER_RESPONSE_STORE_H
#define NOTIFIER_RESPONSE_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ticket_store.h"
#include "yq_alert.h"

/* Bounds of what one official post keeps (untrusted feed text, cut at a character). */
#define RESPONSE_POST_TEXT_MAX_BYTES 8192
#define RESPONSE_POST_TITLE_MAX_BYTES 600
#define RESPONSE_POST_URL_MAX_BYTES 2000
#define RESPONSE_POST_CHANNEL_MAX_BYTES 200 /* the account or site name */
/* At most this many candidates are scored per post or per ticket in one pass. */
#define RESPONSE_MAX_CANDIDATES 500

/*
 * Record alert's item (borrowed; item.official must be true) in official_posts once per item
 * id: source, department ("" when none), response channel (the item's when it is one of
 * 权威发布, 政务微博, 政务微信, 网站; else by the item's source: weibo 政务微博, wechat 政务微信,
 * others 网站), title, text and account name cleaned as a ticket's text must be (the
 * characters ticket_text_char_problem() refuses (ticket_text.h), invisible format characters
 * and invalid bytes removed; newlines and tabs kept in the text) and cut at a character to the
 * bounds above, the URL only when ticket_text_url_ok() accepts it (else ''), the alert's simhash
 * (16 hex digits, '' when none), published_at (NULL when unknown or a future timestamp),
 * fetched_at, received_at = now. post_id_out: the new row's id, 0 when the item was already
 * there (a redelivery). Returns 0, ERR_INVALID (not official, or no item id), ERR_RETRY,
 * ERR_IO or ERR_NOMEM.
 */
int response_store_add_post(struct ticket_store *store, const struct yq_alert *alert,
                            int64_t now, int64_t *post_id_out);

/* One proposal made by a pass. */
struct response_made {
    int64_t proposal_id;
    int64_t ticket_id;
    bool auto_confirm; /* its score reaches responses.auto_confirm_min_score_percent (> 0) */
};

struct response_made_list {
    size_t n;
    struct response_made *v; /* new array (response_made_list_release()) */
    size_t cap;              /* private bookkeeping: the capacity of v (response_store.c) */
};

/* Free list's array and zero it. NULL is a no-op. */
void response_made_list_release(struct response_made_list *list);

/*
 * Score official post post_id against every candidate ticket (above) and record each
 * proposal (row, log, notification) at now. out: caller storage, filled with what was made
 * (emptied first; may be NULL). Returns 0, ERR_NOT_FOUND (no such post), ERR_RETRY, ERR_IO,
 * ERR_TOO_BIG (a notification too long) or ERR_NOMEM.
 */
int response_store_propose_for_post(struct ticket_store *store, int64_t post_id, int64_t now,
                                    struct response_made_list *out);

/*
 * Score every candidate official post against ticket ticket_id (just created or handed over)
 * and record each proposal at now; out as above. A ticket in another state proposes nothing.
 * Returns 0, ERR_RETRY, ERR_IO, ERR_TOO_BIG or ERR_NOMEM.
 */
int response_store_propose_for_ticket(struct ticket_store *store, int64_t ticket_id,
                                      int64_t now, struct response_made_list *out);

/* A proposal with its post, as confirm/reject need it. Strings new (response_proposal_release()). */
struct response_proposal {
    int64_t id;
    int64_t ticket_id;
    char state[16];   /* proposed, confirmed, rejected */
    char *channel;    /* the post's response channel (ticket_responses.channel) */
    char *url;
    char *title;
    bool has_published;
    int64_t published_at;
    int64_t fetched_at;
    double score;
};

/* Free p's strings and zero it. NULL is a no-op. */
void response_proposal_release(struct response_proposal *p);

/*
 * Read proposal id into out (caller storage). Returns 0, ERR_NOT_FOUND, ERR_RETRY, ERR_IO or
 * ERR_NOMEM.
 */
int response_store_proposal_get(struct ticket_store *store, int64_t id,
                                 struct response_proposal *out);

/*
 * Decide proposal id: state "confirmed" (response_id: the ticket_responses row it became) or
 * "rejected" (response_id 0), by decided_by with note (may be NULL) at now; auto marks a
 * confirmation by 'system' (responses.auto_confirm_min_score_percent). Only a proposal still
 * 'proposed' changes. Returns 0, ERR_BAD_STATE (already decided), ERR_RETRY, ERR_IO.
 */
int response_store_proposal_decide(struct ticket_store *store, int64_t id, const char *state,
                                   const char *decided_by, const char *note, bool auto_,
                                   int64_t response_id, int64_t now);

/*
 * The proposals of ticket_id, oldest first (at most 100), as a new JSON array:
 * [{"id","state","state_label" (待确认, 已确认, 已驳回),"channel","url","title","account"
 *   (the post's account or site),"department","published_at" (RFC 3339 UTC or null),
 *   "published_at_display" (Beijing time or null),"score","parts":{"terms","simhash",
 *   "title"},"simhash_distance" (null when unknown),"terms":[matched terms in the post],
 *   "proposed_at","decided_at" (null while proposed),"decided_by","note","auto":bool}].
 * Returns 0, ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int response_store_ticket_json(struct ticket_store *store, int64_t ticket_id, json_t **out);

/*
 * For each of ticket_id's responses in ticket_store_list_responses() order (by id, at most
 * 1,000): whether a confirmed proposal names it (detected). *flags_out: new array of *n_out
 * entries (free()); NULL when there are none. Returns 0, ERR_RETRY, ERR_IO or ERR_NOMEM.
 */
int response_store_detected_flags(struct ticket_store *store, int64_t ticket_id,
                                  bool **flags_out, size_t *n_out);

#endif
