/*
 * struct web_ticket_ops over the notifier's ticket store (notifier/ticket_api.h and
 * ticket_flow.h, issue #5): the web layer's view of real tickets. Part of the notifier's
 * library (yq_notifier links yq_web, never the other way round); the notifier's HTTP server
 * fills a struct web_notifier_ctx with its store handles and passes &web_notifier_ops and the
 * ctx to web_new(). The list is one page read in two SQL statements (issue #12); the ticket's
 * JSON is ticket_api.h's, the action/role table ticket_flow.h's (ticket_action_role_may()).
 */
#ifndef WEB_NOTIFIER_OPS_H
#define WEB_NOTIFIER_OPS_H

#include "web.h"
#include "web_notifier_ctx.h"

extern const struct web_ticket_ops web_notifier_ops;

#endif
