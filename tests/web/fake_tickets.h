/*
 * An in-memory ticket store implementing struct web_ticket_ops for the web tests and the
 * browser-test server: tickets are JSON objects in the shape web.h documents, with the
 * design §5 states and transitions (open -> acknowledged -> responded -> closed; returned;
 * dismissed; reopen) and a log. Thread-safe (one mutex).
 */
#ifndef TEST_WEB_FAKE_TICKETS_H
#define TEST_WEB_FAKE_TICKETS_H

#include <jansson.h>
#include <stdint.h>

#include "web.h"

struct fake_tickets;

extern const struct web_ticket_ops fake_ticket_ops;

/* A new, empty store (fake_tickets_free()), or NULL. */
struct fake_tickets *fake_tickets_new(void);
void fake_tickets_free(struct fake_tickets *ft);

/*
 * Add a ticket from spec (borrowed): {"title","level","department","source","channel",
 * "url","excerpt","terms","detected_at" (seconds, default now), "items":[...]}; the number
 * is assigned ("YQ-2026-11-NNNN"), the state is open, the clocks follow design §5 (ack 1 h,
 * response 5 h for I/II and 48 h for III/IV, press 24 h for I/II, close 15 days).
 * number_out (may be NULL): at least 32 bytes. Returns 0 or ERR_NOMEM/ERR_INVALID.
 */
int fake_tickets_add(struct fake_tickets *ft, json_t *spec, char *number_out);

/* How many times ops->act() succeeded (tests check that refused calls changed nothing). */
int64_t fake_tickets_changes(struct fake_tickets *ft);

#endif
