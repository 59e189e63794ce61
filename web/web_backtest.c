/* PLACEHOLDER while issue #14 is built in parallel: answers 404; replaced by its helper. */
#include "web_backtest.h"

#include "web_reply.h"

enum MHD_Result web_route_rules_backtest(struct web_call *call)
{

    return web_reply_not_found(call);
}
