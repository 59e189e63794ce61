#include "ticket_clock.h"

#include <stddef.h>
#include <string.h>

#include "yq_banned.h"

#define CFG_KEYS_OF ticket_clock_cfg
const struct cfg_key ticket_clock_cfg_keys[] = {
    CFG_STRING_KEY(calendar_dir, "calendar",
                   "holiday calendar files (*.yaml); relative paths are relative to this file"),
    CFG_MS_KEY(ack_ms, "1h", 60000, 604800000,
               "acknowledgement (签收) deadline after assignment (design §5)"),
    CFG_MS_KEY(response_i_ms, "5h", 60000, 604800000,
               "level I authoritative information (国办发〔2016〕80号: 5 h)"),
    CFG_MS_KEY(press_i_ms, "24h", 60000, 604800000,
               "level I press conference (国办发〔2016〕80号/61号: 24 h)"),
    CFG_MS_KEY(response_ii_ms, "5h", 60000, 604800000,
               "level II authoritative information (国办发〔2016〕80号: 5 h)"),
    CFG_MS_KEY(press_ii_ms, "24h", 60000, 604800000,
               "level II press conference (国办发〔2016〕80号/61号: 24 h)"),
    CFG_MS_KEY(response_iii_ms, "48h", 60000, 2592000000,
               "level III response (国办发〔2016〕61号: 48 h)"),
    CFG_INT_KEY(response_iv_working_days, "5", 1, 60,
                "level IV response, working days (local rules)"),
    CFG_INT_KEY(close_working_days, "15", 1, 120,
                "closure (办结) deadline, working days (local rules)"),
    CFG_INT_KEY(remind_percent, "80", 1, 99, "催办 reminder at this share of a clock's span"),
    CFG_MS_KEY(reopen_window_ms, "24h", 0, 2592000000,
               "a changed item this soon after closure reopens the ticket (once)"),
    CFG_MS_KEY(
        old_item_after_ms, "72h", 0, 31536000000,
        "an item published this long before it was fetched opens no ticket (no running clocks): "
        "it is recorded as old (held_items) for the duty officer; 0 = off (issue #11)"),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

/*
 * The defaults are the key table's own, filled once, so a default is written in one place
 * only. Strings are not filled: calendar_dir stays NULL (no holiday files).
 */
static struct ticket_clock_cfg defaults;
static struct cfg_defaults clock_defaults = {.keys = ticket_clock_cfg_keys, .base = &defaults};

const struct ticket_clock_cfg *ticket_clock_defaults(void)
{
    return cfg_defaults_get(&clock_defaults);
}

const char *ticket_clock_name(enum ticket_clock_kind kind)
{
    static const char *const names[] = {"ack", "response", "press", "close"};
    return (unsigned)kind < TICKET_CLOCK_COUNT ? names[kind] : "?";
}

const char *ticket_clock_label(enum ticket_clock_kind kind)
{
    static const char *const labels[] = {"签收", "首次回应", "新闻发布会", "办结"};
    return (unsigned)kind < TICKET_CLOCK_COUNT ? labels[kind] : "?";
}

void ticket_clock_deadlines(const struct ticket_clock_cfg *cfg, const struct workcal *cal,
                            enum yq_level level, int64_t detected_at, int64_t assigned_at,
                            struct ticket_deadline_set *out)
{
    if (!cfg) {
        cfg = ticket_clock_defaults();
    }
    out->ack = assigned_at + cfg->ack_ms / 1000;
    out->press = 0;
    switch (level) {
    case YQ_LEVEL_I:
        out->response = detected_at + cfg->response_i_ms / 1000;
        out->press = detected_at + cfg->press_i_ms / 1000;
        break;
    case YQ_LEVEL_II:
        out->response = detected_at + cfg->response_ii_ms / 1000;
        out->press = detected_at + cfg->press_ii_ms / 1000;
        break;
    case YQ_LEVEL_III:
        out->response = detected_at + cfg->response_iii_ms / 1000;
        break;
    case YQ_LEVEL_IV:
    default:
        out->response =
            workcal_add_working_days(cal, detected_at, (int)cfg->response_iv_working_days);
        break;
    }
    out->close = workcal_add_working_days(cal, detected_at, (int)cfg->close_working_days);
}

int ticket_clock_uncovered_year(const struct ticket_clock_cfg *cfg, const struct workcal *cal,
                                int64_t now)
{
    int64_t days;

    if (!cfg) {
        cfg = ticket_clock_defaults();
    }
    days = cfg->close_working_days > cfg->response_iv_working_days ? cfg->close_working_days
                                                                   : cfg->response_iv_working_days;
    return workcal_first_uncovered_year(cal, now, workcal_add_working_days(cal, now, (int)days));
}

int64_t ticket_clock_remind_at(int64_t start, int64_t deadline, int64_t percent)
{
    if (deadline <= start) {
        return start;
    }
    return start + (deadline - start) * percent / 100;
}

enum ticket_escalation_stage ticket_clock_stage(int64_t start, int64_t deadline, int64_t percent,
                                                int64_t now)
{
    if (deadline <= 0) {
        return TICKET_ESC_NONE;
    }
    if (now > deadline) {
        return TICKET_ESC_SUPERVISE; /* the deadline's own second is still on time */
    }
    if (now >= ticket_clock_remind_at(start, deadline, percent)) {
        return TICKET_ESC_REMIND;
    }
    return TICKET_ESC_NONE;
}
