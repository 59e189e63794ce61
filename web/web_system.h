/*
 * The system pages' API (design §6 admin): source health read from Redis hashes
 * yuqing:source:<id> (written by the collector), the current rule set from Redis
 * (yuqing:rules:current, yuqing:rules:<N>) and a box to test a text against it.
 * Internal to the web layer; the handlers expect a principal allowed WEB_PERM_VIEW_SYSTEM.
 */
#ifndef WEB_SYSTEM_H
#define WEB_SYSTEM_H

#include <microhttpd.h>

struct web_call;

/* GET /api/sources: {"enabled":bool,"redis_up":bool,"sources":[{"id","last_success",
 * "last_error","consecutive_failures","items_last_seen","items_24h","last_status"}]}, one per
 * health hash yuqing:source:<id> (side keys yuqing:source:<id>:<suffix> are skipped); a field
 * the collector has not written is absent. */
enum MHD_Result web_route_sources(struct web_call *call);

/*
 * GET /api/sources/blind?since=&until=&source_id=&limit= (issue #15, docs/api.md): the
 * sources' blind windows overlapping [since, until) (RFC 3339; until defaults to now, since to
 * until - 30 days), newest first, at most limit (1..1000, default 500):
 * {"available":bool,"windows":[...],"truncated":bool,"since","until","now"}
 * (web_types.h struct web_source_ops). Each source of GET /api/sources also gets
 * "blind_now": its windows open now. Bad parameters: 400.
 */
enum MHD_Result web_route_sources_blind(struct web_call *call);

/* GET /api/rules: {"version","pushed_at","pushed_by","source","groups","exclude","rules"} */
enum MHD_Result web_route_rules(struct web_call *call);

/* POST /api/rules/test {"title","text","source"}: which rules fire and why. */
enum MHD_Result web_route_rules_test(struct web_call *call);

#endif
