#include "feed_xml_errors.h"

#include <libxml/xmlerror.h>
#include <stdio.h>
#include <string.h>

#include "yq_log.h"
#include "yq_banned.h"

static void on_xml_error(void *data, xmlErrorPtr e)
{
    struct feed_xml_errors *st = data;

    st->count++;
    if (st->count > 1 || !e) {
        return;
    }
    st->first_line = e->line;
    st->first_code = e->code;
    snprintf(st->first, sizeof(st->first), "%s", e->message ? e->message : "");
    /* one line: libxml2 messages end in a newline and may quote document bytes */
    for (char *c = st->first; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            *c = ' ';
        }
    }
    for (size_t n = strlen(st->first); n > 0 && st->first[n - 1] == ' '; n--) {
        st->first[n - 1] = '\0';
    }
}

void feed_xml_errors_begin(struct feed_xml_errors *st, const char *what, bool quiet)
{
    memset(st, 0, sizeof(*st));
    st->what = what ? what : "-";
    st->quiet = quiet;
    st->prev = xmlStructuredError;
    st->prev_ctx = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(st, on_xml_error);
}

void feed_xml_errors_end(struct feed_xml_errors *st)
{
    xmlSetStructuredErrorFunc(st->prev_ctx, st->prev);
    if (st->count > 0 && st->quiet) {
        LOG_DEBUG("libxml2 reported errors doc='%s' count=%zu first_line=%d first_code=%d "
                  "first='%s'",
                  st->what, st->count, st->first_line, st->first_code, st->first);
    } else if (st->count > 0) {
        LOG_INFO("libxml2 reported errors doc='%s' count=%zu first_line=%d first_code=%d "
                 "first='%s'",
                 st->what, st->count, st->first_line, st->first_code, st->first);
    }
}
