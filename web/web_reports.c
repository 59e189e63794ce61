/* PLACEHOLDER while issue #14 is built in parallel: answers 404; replaced by its helper. */
#include "web_reports.h"

#include "web_reply.h"

enum MHD_Result web_route_reports(struct web_call *call, const char *rest)
{
    (void)rest;
    return web_reply_not_found(call);
}
