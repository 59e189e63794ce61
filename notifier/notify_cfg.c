#include "notify_cfg.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_fs.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

#define CFG_KEYS_OF notify_cfg
const struct cfg_key notify_cfg_keys[] = {
    CFG_STRING_KEY(link_base, "http://127.0.0.1:8080/ticket?number=",
                   "ticket links in messages are link_base + number"),
    CFG_STRING_KEY(quiet_hours, "",
                   "HH:MM-HH:MM (Asia/Shanghai) when notifications wait; clocks keep running"),
    CFG_BOOL_KEY(quiet_hours_urgent, "false",
                 "also hold back level I/II and 督办 notifications in quiet hours"),
    CFG_MS_KEY(poll_interval_ms, "1000", 10, 60000, "delivery loop period"),
    CFG_MS_KEY(escalation_interval_ms, "30s", 100, 3600000,
               "how often deadlines are checked for 催办/督办"),
    CFG_MS_KEY(retry_initial_ms, "30s", 10, 3600000,
               "first retry after a transient delivery failure; doubles each time"),
    CFG_MS_KEY(retry_max_ms, "30m", 100, 86400000,
               "retry delay ceiling (transient failures are retried until delivered)"),
    CFG_INT_KEY(batch, "20", 1, 1000, "notifications tried per delivery round"),
    CFG_SIZE_KEY(max_response_bytes, "64k", 1024, 1048576,
                 "robot and webhook answers are read up to this size"),
    CFG_MS_KEY(
        claim_lease_ms, "2m", 1000, 3600000,
        "PostgreSQL store: how long a notifier holds the rows it claimed (longer than a round)"),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

struct channel_keys {
    char *type;
    char *url;
    char *key_file;
    char *secret_file;
    char *username;
    char *password_file;
    char *from;
    char *to;
    int64_t rate_per_minute;
    int64_t max_bytes;
    int64_t timeout_ms;
};

#define CFG_KEYS_OF channel_keys
static const struct cfg_key channel_cfg_keys[] = {
    CFG_STRING_KEY(type, NULL, "wecom, dingtalk, feishu, email or webhook"),
    CFG_STRING_KEY(url, NULL, "endpoint (smtp:// or smtps:// for email)"),
    CFG_STRING_KEY(key_file, NULL,
                   "file with the URL secret (WeCom key, DingTalk access_token, Feishu hook id)"),
    CFG_STRING_KEY(secret_file, NULL, "file with the signing secret (DingTalk, Feishu, webhook)"),
    CFG_STRING_KEY(username, NULL, "SMTP login"),
    CFG_STRING_KEY(password_file, NULL, "file with the SMTP password"),
    CFG_STRING_KEY(from, NULL, "e-mail sender: a@b, or with a display name 名称 <a@b>"),
    CFG_STRING_KEY(to, NULL, "e-mail recipients, comma-separated: a@b or 名称 <a@b>"),
    CFG_INT_KEY(rate_per_minute, "0", 0, 6000, "0 = the robot's documented limit"),
    CFG_SIZE_KEY(max_bytes, "0", 0, 1048576,
                 "message size limit; 0 = the channel's documented limit"),
    CFG_MS_KEY(timeout_ms, "10s", 100, 300000, "per request"),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

#define FAIL(code, node, ...)                                                                      \
    do {                                                                                           \
        char msg_[256];                                                                            \
        snprintf(msg_, sizeof(msg_), __VA_ARGS__);                                                 \
        snprintf(errbuf, errlen, "%s:%zu: %s", doc->file ? doc->file : "<config>",                 \
                 (node) ? (node)->start_mark.line + 1 : 0, msg_);                                  \
        return (code);                                                                             \
    } while (0)

/*
 * Read a secret file into a new trimmed string; a world-readable file is refused
 * (ERR_INVALID with the reason in why, issue #10).
 */
static int read_secret(const char *base_dir, const char *path, char **out, char *why,
                       size_t whylen)
{
    char full[4096], *text = NULL;
    size_t len = 0, start = 0;
    int err;

    if (path[0] == '/' || !base_dir || !base_dir[0]) {
        snprintf(full, sizeof(full), "%s", path);
    } else {
        snprintf(full, sizeof(full), "%s/%s", base_dir, path);
    }
    err = yq_fs_read_secret(full, 64 * 1024, &text, &len, why, whylen);
    if (err) {
        return err;
    }
    while (len > 0 && isspace((unsigned char)text[len - 1])) {
        text[--len] = '\0';
    }
    while (start < len && isspace((unsigned char)text[start])) {
        start++;
    }
    memmove(text, text + start, len - start + 1);
    if (!text[0]) {
        free(text);
        return ERR_INVALID;
    }
    *out = text;
    return 0;
}

static int parse_channel(struct notify_channel *ch, struct cfg_doc *doc, yaml_node_t *kn,
                         yaml_node_t *vn, const char *base_dir, char *errbuf, size_t errlen)
{
    struct channel_keys k;
    char why[200] = "";
    const char *secret_files[3];
    char **secret_out[3];
    int err;

    memset(&k, 0, sizeof(k));
    ch->name = strdup(cfg_scalar(kn));
    if (!ch->name) {
        return ERR_NOMEM;
    }
    err = cfg_fill(channel_cfg_keys, &k, doc, vn, errbuf, errlen);
    /* ownership of the strings moves to ch whatever happens next */
    ch->url = k.url;
    ch->key_file = k.key_file;
    ch->secret_file = k.secret_file;
    ch->username = k.username;
    ch->password_file = k.password_file;
    ch->from = k.from;
    ch->to = k.to;
    ch->rate_per_minute = k.rate_per_minute;
    ch->max_bytes = k.max_bytes;
    ch->timeout_ms = k.timeout_ms;
    if (err) {
        free(k.type);
        return err;
    }
    err = channel_type_parse(k.type, &ch->type);
    free(k.type);
    if (err) {
        FAIL(ERR_INVALID, vn, "channel '%s': type must be %s", ch->name, channel_type_names());
    }
    if (!ch->url || !ch->url[0]) {
        FAIL(ERR_INVALID, vn, "channel '%s': url is required", ch->name);
    }
    if (channel_validate(ch, why, sizeof(why)) != 0) {
        FAIL(ERR_INVALID, vn, "channel '%s': %s", ch->name, why);
    }
    secret_files[0] = ch->key_file;
    secret_files[1] = ch->secret_file;
    secret_files[2] = ch->password_file;
    secret_out[0] = &ch->key;
    secret_out[1] = &ch->secret;
    secret_out[2] = &ch->password;
    for (int i = 0; i < 3; i++) {
        if (!secret_files[i]) {
            continue;
        }
        why[0] = '\0';
        err = read_secret(base_dir, secret_files[i], secret_out[i], why, sizeof(why));
        if (err == ERR_NOMEM) {
            return err;
        }
        if (err && why[0]) {
            FAIL(ERR_INVALID, vn, "channel '%s': %s", ch->name, why);
        }
        if (err) {
            /* the path is configuration, not a secret; the content never appears */
            FAIL(ERR_INVALID, vn, "channel '%s': cannot read secret file '%s' (%s)", ch->name,
                 secret_files[i], err == ERR_INVALID ? "empty" : yq_strerror(err));
        }
    }
    return 0;
}

/* A sequence of channel names (or one name) into a new array. */
static int parse_names(struct notify_routes *routes, struct cfg_doc *doc, yaml_node_t *node,
                       char ***out, size_t *n_out, char *errbuf, size_t errlen)
{
    yaml_node_item_t *start, *top, one;
    size_t n;

    *out = NULL;
    *n_out = 0;
    if (!node) {
        return 0;
    }
    if (node->type == YAML_SCALAR_NODE) {
        if (!cfg_scalar(node)[0]) {
            return 0;
        }
        one = (yaml_node_item_t)(node - doc->doc.nodes.start + 1);
        start = &one;
        top = &one + 1;
    } else if (node->type == YAML_SEQUENCE_NODE) {
        start = node->data.sequence.items.start;
        top = node->data.sequence.items.top;
    } else {
        FAIL(ERR_INVALID, node, "expected a list of channel names");
    }
    n = (size_t)(top - start);
    if (n == 0) {
        return 0;
    }
    *out = calloc(n, sizeof(char *));
    if (!*out) {
        return ERR_NOMEM;
    }
    for (yaml_node_item_t *it = start; it < top; it++) {
        yaml_node_t *v = cfg_doc_node(doc, *it);
        const char *name = cfg_scalar(v);
        if (!name || !notify_routes_channel(routes, name)) {
            FAIL(ERR_INVALID, v ? v : node, "unknown channel '%s'", name ? name : "?");
        }
        (*out)[*n_out] = strdup(name);
        if (!(*out)[*n_out]) {
            return ERR_NOMEM;
        }
        (*n_out)++;
    }
    return 0;
}

int notify_routes_parse(struct notify_routes *routes, struct cfg_doc *doc, const char *base_dir,
                        char *errbuf, size_t errlen)
{
    yaml_node_t *root = cfg_doc_root(doc), *chs, *deps, *duty;
    size_t n;
    int err;

    memset(routes, 0, sizeof(*routes));
    if (!root || root->type != YAML_MAPPING_NODE) {
        return 0;
    }
    chs = cfg_map_get(doc, root, "channels");
    if (chs && chs->type == YAML_MAPPING_NODE) {
        n = (size_t)(chs->data.mapping.pairs.top - chs->data.mapping.pairs.start);
        routes->channels = calloc(n ? n : 1, sizeof(*routes->channels));
        if (!routes->channels) {
            return ERR_NOMEM;
        }
        for (yaml_node_pair_t *p = chs->data.mapping.pairs.start; p < chs->data.mapping.pairs.top;
             p++) {
            yaml_node_t *kn = cfg_doc_node(doc, p->key), *vn = cfg_doc_node(doc, p->value);
            if (!cfg_scalar(kn) || !cfg_scalar(kn)[0]) {
                FAIL(ERR_INVALID, kn, "channel names must be non-empty scalars");
            }
            if (notify_routes_channel(routes, cfg_scalar(kn))) {
                FAIL(ERR_INVALID, kn, "channel '%s' is defined twice", cfg_scalar(kn));
            }
            err = parse_channel(&routes->channels[routes->n_channels++], doc, kn, vn, base_dir,
                                errbuf, errlen);
            if (err) {
                return err;
            }
        }
    } else if (chs && !(chs->type == YAML_SCALAR_NODE && !cfg_scalar(chs)[0])) {
        FAIL(ERR_INVALID, chs, "'channels' must be a mapping of channel names");
    }
    duty = cfg_map_get(doc, root, "duty_officer");
    err = parse_names(routes, doc, duty, &routes->duty, &routes->n_duty, errbuf, errlen);
    if (err) {
        return err;
    }
    err = parse_names(routes, doc, cfg_map_get(doc, root, "administrator"), &routes->administrator,
                      &routes->n_administrator, errbuf, errlen);
    if (err) {
        return err;
    }
    deps = cfg_map_get(doc, root, "departments");
    if (deps && deps->type == YAML_MAPPING_NODE) {
        n = (size_t)(deps->data.mapping.pairs.top - deps->data.mapping.pairs.start);
        routes->departments = calloc(n ? n : 1, sizeof(*routes->departments));
        if (!routes->departments) {
            return ERR_NOMEM;
        }
        for (yaml_node_pair_t *p = deps->data.mapping.pairs.start; p < deps->data.mapping.pairs.top;
             p++) {
            yaml_node_t *kn = cfg_doc_node(doc, p->key), *vn = cfg_doc_node(doc, p->value);
            struct notify_department *d = &routes->departments[routes->n_departments];
            if (!cfg_scalar(kn) || !cfg_scalar(kn)[0] || !vn || vn->type != YAML_MAPPING_NODE) {
                FAIL(ERR_INVALID, kn,
                     "each department maps a name to {liaison: [...], head: "
                     "[...]}");
            }
            for (yaml_node_pair_t *q = vn->data.mapping.pairs.start; q < vn->data.mapping.pairs.top;
                 q++) {
                const char *k = cfg_scalar(cfg_doc_node(doc, q->key));
                if (!k || (strcmp(k, "liaison") != 0 && strcmp(k, "head") != 0)) {
                    FAIL(ERR_INVALID, cfg_doc_node(doc, q->key),
                         "unknown key 'departments.%s.%s' (liaison, head)", cfg_scalar(kn),
                         k ? k : "?");
                }
            }
            d->name = strdup(cfg_scalar(kn));
            routes->n_departments++;
            if (!d->name) {
                return ERR_NOMEM;
            }
            err = parse_names(routes, doc, cfg_map_get(doc, vn, "liaison"), &d->liaison,
                              &d->n_liaison, errbuf, errlen);
            if (!err) {
                err = parse_names(routes, doc, cfg_map_get(doc, vn, "head"), &d->head, &d->n_head,
                                  errbuf, errlen);
            }
            if (err) {
                return err;
            }
        }
    } else if (deps && !(deps->type == YAML_SCALAR_NODE && !cfg_scalar(deps)[0])) {
        FAIL(ERR_INVALID, deps, "'departments' must be a mapping of department names");
    }
    return 0;
}

static void free_names(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i]);
    }
    free(v);
}

static void free_secret(char *s)
{
    if (s) {
        /* keep secrets out of freed heap memory (core dumps) */
        volatile char *p = s;
        while (*p) {
            *p++ = 0;
        }
        free(s);
    }
}

void notify_routes_release(struct notify_routes *routes)
{
    if (!routes) {
        return;
    }
    for (size_t i = 0; i < routes->n_channels; i++) {
        struct notify_channel *c = &routes->channels[i];
        free(c->name);
        free(c->url);
        free(c->key_file);
        free(c->secret_file);
        free(c->username);
        free(c->password_file);
        free(c->from);
        free(c->to);
        free_secret(c->key);
        free_secret(c->secret);
        free_secret(c->password);
    }
    free(routes->channels);
    for (size_t i = 0; i < routes->n_departments; i++) {
        free(routes->departments[i].name);
        free_names(routes->departments[i].liaison, routes->departments[i].n_liaison);
        free_names(routes->departments[i].head, routes->departments[i].n_head);
    }
    free(routes->departments);
    free_names(routes->duty, routes->n_duty);
    free_names(routes->administrator, routes->n_administrator);
    memset(routes, 0, sizeof(*routes));
}

const struct notify_channel *notify_routes_channel(const struct notify_routes *routes,
                                                   const char *name)
{
    for (size_t i = 0; routes && name && i < routes->n_channels; i++) {
        if (routes->channels[i].name && strcmp(routes->channels[i].name, name) == 0) {
            return &routes->channels[i];
        }
    }
    return NULL;
}

const struct notify_department *notify_routes_department(const struct notify_routes *routes,
                                                         const char *name)
{
    for (size_t i = 0; routes && name && i < routes->n_departments; i++) {
        if (strcmp(routes->departments[i].name, name) == 0) {
            return &routes->departments[i];
        }
    }
    return NULL;
}

static void print_names(FILE *out, const char *key, char **v, size_t n)
{
    fprintf(out, "%s: [", key);
    for (size_t i = 0; i < n; i++) {
        fprintf(out, "%s\"%s\"", i ? ", " : "", v[i]);
    }
    fputs("]", out);
}

void notify_routes_print(FILE *out, const struct notify_routes *routes)
{
    fputs("channels:", out);
    fputs(routes->n_channels ? "\n" : " {}\n", out);
    for (size_t i = 0; i < routes->n_channels; i++) {
        const struct notify_channel *c = &routes->channels[i];
        char url[2048];
        yq_redact_url_secrets(c->url, url, sizeof(url)); /* a ?key= or ?access_token= (#10) */
        fprintf(out, "  \"%s\": {type: %s, url: \"%s\"%s%s%s%s%s%s}\n", c->name,
                channel_type_name(c->type), url, c->key_file ? ", key_file: \"" : "",
                c->key_file ? c->key_file : "", c->key_file ? "\"" : "",
                c->secret_file ? ", secret_file: \"" : "", c->secret_file ? c->secret_file : "",
                c->secret_file ? "\"" : "");
    }
    print_names(out, "duty_officer", routes->duty, routes->n_duty);
    fputc('\n', out);
    print_names(out, "administrator", routes->administrator, routes->n_administrator);
    fputs("\ndepartments:", out);
    fputs(routes->n_departments ? "\n" : " {}\n", out);
    for (size_t i = 0; i < routes->n_departments; i++) {
        const struct notify_department *d = &routes->departments[i];
        fprintf(out, "  \"%s\": {", d->name);
        print_names(out, "liaison", d->liaison, d->n_liaison);
        fputs(", ", out);
        print_names(out, "head", d->head, d->n_head);
        fputs("}\n", out);
    }
}

int notify_quiet_parse(const char *s, int *start_min, int *end_min)
{
    unsigned h1, m1, h2, m2;
    char tail;

    *start_min = *end_min = 0;
    if (!s || !s[0]) {
        return 0;
    }
    if (sscanf(s, "%2u:%2u-%2u:%2u%c", &h1, &m1, &h2, &m2, &tail) != 4 || h1 > 23 || h2 > 23 ||
        m1 > 59 || m2 > 59) {
        return ERR_INVALID;
    }
    *start_min = (int)(h1 * 60 + m1);
    *end_min = (int)(h2 * 60 + m2);
    return 0;
}

int64_t notify_quiet_until(int start_min, int end_min, int64_t t)
{
    int64_t local = t + YQ_SHANGHAI_OFFSET_S;
    int64_t day_start = local - ((local % 86400) + 86400) % 86400;
    int64_t min = (local - day_start) / 60;

    if (start_min == end_min) {
        return t;
    }
    if (start_min < end_min) { /* e.g. 12:00-14:00 */
        if (min >= start_min && min < end_min) {
            return day_start + end_min * 60 - YQ_SHANGHAI_OFFSET_S;
        }
        return t;
    }
    /* wraps midnight, e.g. 22:00-07:00 */
    if (min >= start_min) {
        return day_start + 86400 + end_min * 60 - YQ_SHANGHAI_OFFSET_S;
    }
    if (min < end_min) {
        return day_start + end_min * 60 - YQ_SHANGHAI_OFFSET_S;
    }
    return t;
}
