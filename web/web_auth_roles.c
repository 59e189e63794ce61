/*
 * Roles and what they allow (web_auth.h): names, parsing (English and Chinese) and the
 * permission and department checks.
 */
#include "web_auth_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_log.h"
#include "yq_banned.h"

const char *web_role_name(enum web_role role)
{
    switch (role) {
    case WEB_ROLE_ADMIN:
        return "admin";
    case WEB_ROLE_DUTY:
        return "duty_officer";
    case WEB_ROLE_LIAISON:
        return "liaison";
    case WEB_ROLE_HEAD:
        return "head";
    default:
        return "none";
    }
}

int web_role_parse(const char *s, enum web_role *out)
{
    static const struct {
        const char *name;
        enum web_role role;
    } names[] = {
        {"admin", WEB_ROLE_ADMIN},    {"管理员", WEB_ROLE_ADMIN}, {"duty_officer", WEB_ROLE_DUTY},
        {"duty", WEB_ROLE_DUTY},      {"值班员", WEB_ROLE_DUTY},  {"liaison", WEB_ROLE_LIAISON},
        {"联络员", WEB_ROLE_LIAISON}, {"head", WEB_ROLE_HEAD},    {"部门负责人", WEB_ROLE_HEAD},
    };
    for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].role;
            return 0;
        }
    }
    return ERR_INVALID;
}

bool web_auth_allows(const struct web_principal *p, enum web_perm perm)
{
    if (!p || p->user.disabled) {
        return false;
    }
    switch (p->user.role) {
    case WEB_ROLE_ADMIN:
        return true;
    case WEB_ROLE_DUTY:
        return perm != WEB_PERM_ADMIN;
    case WEB_ROLE_LIAISON:
    case WEB_ROLE_HEAD:
        return perm == WEB_PERM_VIEW_QUEUE || perm == WEB_PERM_LIAISON_ACTION;
    default:
        return false;
    }
}

bool web_auth_allows_department(const struct web_principal *p, const char *department,
                                const char *const *co, size_t n_co)
{
    if (!p || p->user.disabled) {
        return false;
    }
    if (p->user.role == WEB_ROLE_ADMIN || p->user.role == WEB_ROLE_DUTY) {
        return true;
    }
    if ((p->user.role != WEB_ROLE_LIAISON && p->user.role != WEB_ROLE_HEAD) ||
        p->user.department[0] == '\0') {
        return false;
    }
    if (department && strcmp(department, p->user.department) == 0) {
        return true;
    }
    for (size_t i = 0; i < n_co; i++) {
        if (co[i] && strcmp(co[i], p->user.department) == 0) {
            return true;
        }
    }
    return false;
}
