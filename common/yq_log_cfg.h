/*
 * The log level as a configuration key, for every process that reads it from its file (the
 * matcher's matcher.log_level, the archiver's archive.log_level): the key's row written once,
 * and its check.
 */
#ifndef YQ_LOG_CFG_H
#define YQ_LOG_CFG_H

#include <stddef.h>

#include "yq_cfg.h"

/*
 * The key "log_level" (CFG_STRING, default "info": err, warn, info or debug) as a group of one
 * key over a char * field: a process includes it in its section with a row
 *   {"log", CFG_GROUP, NULL, 0, 0, offsetof(struct x, log_level), "the log level",
 *    yq_log_cfg_keys},
 * so the YAML key stays "log_level" beside the section's others. The value is checked by
 * yq_log_cfg_check() once the file and overrides are applied.
 */
extern const struct cfg_key yq_log_cfg_keys[];

/*
 * Check a loaded log_level value (NUL-terminated, borrowed; NULL is refused).
 * where:   the config file's name for the message ("<defaults>" without a file).
 * section: the key's section ("matcher"), named in the message as 'section.log_level'.
 * Returns 0, or ERR_INVALID with "WHERE: key 'SECTION.log_level': bad value 'X'" in errbuf.
 */
int yq_log_cfg_check(const char *level, const char *where, const char *section, char *errbuf,
                     size_t errlen);

#endif
