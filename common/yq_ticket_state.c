#include "yq_ticket_state.h"

#include <string.h>

#include "yq_err.h"
#include "yq_labels.h"
#include "yq_banned.h"

static const char *const state_names[TICKET_STATE_COUNT] = {
    [TICKET_STATE_OPEN] = TICKET_STATE_NAME_OPEN,
    [TICKET_STATE_ACKNOWLEDGED] = TICKET_STATE_NAME_ACKNOWLEDGED,
    [TICKET_STATE_RESPONDED] = TICKET_STATE_NAME_RESPONDED,
    [TICKET_STATE_CLOSED] = TICKET_STATE_NAME_CLOSED,
    [TICKET_STATE_RETURNED] = TICKET_STATE_NAME_RETURNED,
    [TICKET_STATE_DISMISSED] = TICKET_STATE_NAME_DISMISSED,
};

const char *ticket_state_name(enum ticket_state state)
{
    return (unsigned)state < TICKET_STATE_COUNT ? state_names[state] : "?";
}

int ticket_state_parse(const char *name, enum ticket_state *out)
{
    for (int i = 0; name && i < TICKET_STATE_COUNT; i++) {
        if (strcmp(name, state_names[i]) == 0) {
            *out = (enum ticket_state)i;
            return 0;
        }
    }
    return ERR_INVALID;
}

const char *ticket_state_label(enum ticket_state state)
{
    return yq_label(YQ_LABEL_STATE, ticket_state_name(state));
}

bool ticket_state_settled(enum ticket_state state)
{
    return state == TICKET_STATE_CLOSED || state == TICKET_STATE_DISMISSED;
}
