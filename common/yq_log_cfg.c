#include "yq_log_cfg.h"

#include <stdio.h>

#include "yq_err.h"
#include "yq_log.h"
#include "yq_banned.h"

/* A group (CFG_GROUP_KEY): its one row fills the char * the including row's field names. */
const struct cfg_key yq_log_cfg_keys[] = {
    {"log_level", CFG_STRING, "info", 0, 0, 0, "err, warn, info or debug", NULL},
    CFG_KEYS_END,
};

int yq_log_cfg_check(const char *level, const char *where, const char *section, char *errbuf,
                     size_t errlen)
{
    int parsed;

    if (yq_log_level_parse(level, &parsed) != 0) {
        snprintf(errbuf, errlen, "%s: key '%s.log_level': bad value '%s'", where, section,
                 level ? level : "(null)");
        return ERR_INVALID;
    }
    return 0;
}
