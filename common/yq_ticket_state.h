#ifndef YQ_TICKET_STATE_H
#define YQ_TICKET_STATE_H

#include <stdbool.h>

/*
 * A ticket's state (design §5; notifier/ticket_flow.h has the transitions), shared by the
 * notifier, the web layer and the statistics (issue #12: one enum, one label table). Stored by
 * name in tickets.state; the names and their labels (yq_labels' YQ_LABEL_STATE) come from here
 * only.
 */
enum ticket_state {
    TICKET_STATE_OPEN = 0,     /* "open": 待签收 */
    TICKET_STATE_ACKNOWLEDGED, /* "acknowledged": 已签收 */
    TICKET_STATE_RESPONDED,    /* "responded": 已回应 */
    TICKET_STATE_CLOSED,       /* "closed": 已办结 */
    TICKET_STATE_RETURNED,     /* "returned": 退回 */
    TICKET_STATE_DISMISSED,    /* "dismissed": 不予处置 */
};
#define TICKET_STATE_COUNT 6

/*
 * The stored names, for SQL text built at compile time ("... state = '" TICKET_STATE_NAME_OPEN
 * "'"), so a state's name is written once; ticket_state_name() returns the same strings.
 */
#define TICKET_STATE_NAME_OPEN "open"
#define TICKET_STATE_NAME_ACKNOWLEDGED "acknowledged"
#define TICKET_STATE_NAME_RESPONDED "responded"
#define TICKET_STATE_NAME_CLOSED "closed"
#define TICKET_STATE_NAME_RETURNED "returned"
#define TICKET_STATE_NAME_DISMISSED "dismissed"

/* The settled states (ticket_state_settled()) as an SQL list: "('closed','dismissed')". */
#define TICKET_STATES_SETTLED_SQL                                                                  \
    "('" TICKET_STATE_NAME_CLOSED "','" TICKET_STATE_NAME_DISMISSED "')"

/* "open", "acknowledged", ... ("?" for a value out of range). Static; thread-safe. */
const char *ticket_state_name(enum ticket_state state);

/* The state named name (NUL-terminated; may be NULL). Returns 0 or ERR_INVALID. */
int ticket_state_parse(const char *name, enum ticket_state *out);

/* The label a person reads (待签收, ...; yq_label(YQ_LABEL_STATE)). Static; thread-safe. */
const char *ticket_state_label(enum ticket_state state);

/* True for the settled states, closed and dismissed: no clock runs. */
bool ticket_state_settled(enum ticket_state state);

#endif
