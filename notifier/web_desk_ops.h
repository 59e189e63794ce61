/*
 * struct web_desk_ops over the notifier's store (issue #13): the 研判 inbox and the event page
 * (event_read.h), the officer's actions (event_flow.h) and silences (silence.h), for the web
 * layer's /api/inbox and /api/silences routes. ctx is the same struct web_notifier_ctx as the
 * ticket ops' (web_notifier_ctx.h): reads take its reader handle, actions its writer, both
 * under its lock. web_notifier_ops.desk points here.
 */
#ifndef WEB_DESK_OPS_H
#define WEB_DESK_OPS_H

#include "web_types.h"

extern const struct web_desk_ops web_desk_ops;

#endif
