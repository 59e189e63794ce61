/*
 * struct web_source_ops over the notifier's store (issue #15): the sources' blind windows of
 * source_blind.h for the web layer's GET /api/sources/blind and the "blind_now" of each source
 * in GET /api/sources. ctx is the struct web_notifier_ctx of the ticket ops
 * (web_notifier_ctx.h): reads take its reader handle under its lock. web_notifier_ops.sources
 * points here.
 */
#ifndef WEB_SOURCE_OPS_H
#define WEB_SOURCE_OPS_H

#include "web_types.h"

extern const struct web_source_ops web_source_ops;

#endif
