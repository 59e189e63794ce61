/*
 * The one rule for ticket text (ticket_text.h).
 */
#include "ticket_text.h"

#include <string.h>
#include <strings.h>

#include "yq_text.h"
#include "yq_utf8.h"
#include "yq_banned.h"

const char *ticket_text_char_problem(int32_t cp, bool multiline)
{
    if (yq_text_is_control(cp)) {
        return multiline && (cp == '\n' || cp == '\t') ? NULL : "含有控制字符";
    }
    if (yq_text_is_bidi_control(cp)) {
        return "含有双向文字控制字符";
    }
    return NULL;
}

const char *ticket_text_problem(const char *s, size_t max_bytes, bool multiline)
{
    size_t n = 0, len = strlen(s);

    while (n < len) {
        const char *why;
        int32_t cp;
        size_t k;
        if (n >= max_bytes) {
            return "过长";
        }
        k = yq_utf8_next(s + n, len - n, &cp);
        if (cp == 0xFFFD && k == 1) {
            return "不是有效的 UTF-8 文字";
        }
        why = ticket_text_char_problem(cp, multiline);
        if (why) {
            return why;
        }
        n += k;
    }
    return n <= max_bytes ? NULL : "过长";
}

bool ticket_text_url_ok(const char *u)
{
    return u && (strncasecmp(u, "http://", 7) == 0 || strncasecmp(u, "https://", 8) == 0) &&
           strlen(u) > 8 && !ticket_text_problem(u, TICKET_TEXT_URL_MAX_BYTES, false) &&
           !strpbrk(u, " \"<>\\");
}
