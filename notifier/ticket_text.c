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

/* Whether cp is white space (Unicode White_Space) or an invisible zero-width space. */
static bool space_cp(int32_t cp)
{
    return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

bool ticket_text_blank(const char *s)
{
    size_t n = 0, len = s ? strlen(s) : 0;

    while (n < len) {
        int32_t cp;
        size_t k = yq_utf8_next(s + n, len - n, &cp);
        if (!space_cp(cp)) { /* an invalid byte reads as U+FFFD: not blank */
            return false;
        }
        n += k;
    }
    return true;
}
