#include "users_cli.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web_auth.h"
#include "yq_cfg.h"
#include "yq_cli.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_json.h"
#include "yq_store_location.h"
#include "yq_text.h"
#include "yq_time.h"
#include "yq_banned.h"

#define PROG "yuqingctl users"

static const char usage[] =
    "usage: yuqingctl users COMMAND [OPTIONS]\n"
    "  add --username NAME --role admin|duty_officer|liaison|head [--department D] [--display-name N]\n"
    "      [--password-file FILE] [--must-change]\n"
    "  passwd --username NAME [--password-file FILE]\n"
    "  disable --username NAME | enable --username NAME\n"
    "  list\n"
    "  token --username NAME [--name LABEL] [--ttl-days N]\n"
    "  dept-add --department D [--head NAME]\n"
    "  dept-list [--json]   the registry as a table (部门 负责人 联络员); --json: the API's array\n"
    "options: --config FILE (default config/notifier.yaml), --db PATH|URL (a SQLite file or a\n"
    "  postgresql:// URL; overrides store.url and store.path)\n"
    "The password is read from --password-file or the first line of standard input.\n";

struct users_opts {
    const char *sub, *config, *db, *username, *role, *department, *display, *password_file;
    const char *name, *head;
    struct yq_cli_long ttl_days; /* token: days; 0 (default): no expiry */
    bool must_change, json;
};

/* Returns 0, YQ_CLI_HELP (usage printed to stdout) or 2 (usage error printed). */
static int parse_opts(int argc, char **argv, struct users_opts *o)
{
    static const struct yq_cli_opt opts[] = {
        YQ_CLI_VALUE("--config", struct users_opts, config),
        YQ_CLI_VALUE("--db", struct users_opts, db),
        YQ_CLI_VALUE("--username", struct users_opts, username),
        YQ_CLI_VALUE("--role", struct users_opts, role),
        YQ_CLI_VALUE("--department", struct users_opts, department),
        YQ_CLI_VALUE("--display-name", struct users_opts, display),
        YQ_CLI_VALUE("--password-file", struct users_opts, password_file),
        YQ_CLI_VALUE("--name", struct users_opts, name),
        YQ_CLI_VALUE("--head", struct users_opts, head),
        YQ_CLI_LONG("--ttl-days", struct users_opts, ttl_days, 0, WEB_TOKEN_TTL_MAX_DAYS),
        YQ_CLI_FLAG("--must-change", struct users_opts, must_change),
        YQ_CLI_FLAG("--json", struct users_opts, json),
    };
    int rc;

    memset(o, 0, sizeof(*o));
    o->config = "config/notifier.yaml";
    if (argc < 2) {
        return yq_cli_usage_error(PROG, usage, "缺少命令 (missing command)");
    }
    o->sub = argv[1];
    rc = yq_cli_parse_cmd(PROG, usage, argc, argv, 2, opts, sizeof(opts) / sizeof(opts[0]), o, NULL,
                          0);
    return rc == ERR_INVALID ? YQ_CLI_EXIT_USAGE : rc;
}

/* The store location (--db, store.url, store.path) and web.auth settings from the config file. */
static int load_cfg(const struct users_opts *o, struct web_auth_cfg *auth, char **db_out)
{
    struct cfg_doc doc;
    yaml_node_t *web, *sec;
    char err[512] = "";
    const char *path;
    int rc;

    memset(&doc, 0, sizeof(doc));
    memset(auth, 0, sizeof(*auth));
    *db_out = NULL;
    rc = cfg_doc_load(&doc, o->config, NULL, 0, err, sizeof(err));
    if (rc && !(rc == ERR_NOT_FOUND && o->db)) {
        fprintf(stderr, "yuqingctl users: %s\n", err);
        cfg_doc_release(&doc);
        return 1;
    }
    web = rc ? NULL : cfg_map_get(&doc, cfg_doc_root(&doc), "web");
    sec = web ? cfg_map_get(&doc, web, "auth") : NULL;
    if (cfg_fill(web_auth_cfg_keys, auth, sec ? &doc : NULL, sec, err, sizeof(err)) != 0) {
        fprintf(stderr, "yuqingctl users: %s\n", err);
        cfg_doc_release(&doc);
        return 1;
    }
    path = o->db; /* a file or a postgresql:// URL */
    if (!path && !rc) {
        path = yq_store_location_doc(&doc); /* store.url, else store.path */
    }
    *db_out = strdup(path ? path : "run/tickets.db");
    cfg_doc_release(&doc);
    return *db_out ? 0 : 1;
}

/* The password from --password-file or stdin's first line into a new string. */
static int read_password(const struct users_opts *o, char **out)
{
    char line[WEB_PASSWORD_MAX + 2];
    size_t n;

    *out = NULL;
    if (o->password_file) {
        size_t len = 0;
        if (yq_fs_read_file(o->password_file, WEB_PASSWORD_MAX + 2, out, &len) != 0) {
            fprintf(stderr, "yuqingctl users: 无法读取密码文件 '%s' (cannot read)\n",
                    o->password_file);
            return 1;
        }
        while (len > 0 && ((*out)[len - 1] == '\n' || (*out)[len - 1] == '\r')) {
            (*out)[--len] = '\0';
        }
        return 0;
    }
    if (!fgets(line, sizeof(line), stdin)) {
        fprintf(stderr, "yuqingctl users: 标准输入没有密码，请用管道输入或给出 --password-file "
                        "(no password on standard input)\n");
        return 1;
    }
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
        line[--n] = '\0';
    }
    *out = strdup(line);
    sodium_memzero(line, sizeof(line));
    return *out ? 0 : 1;
}

static void free_password(char *p)
{
    if (p) {
        sodium_memzero(p, strlen(p));
        free(p);
    }
}

static int cmd_add(const struct users_opts *o, struct web_auth *a)
{
    enum web_role role;
    char why[256] = "", *pw = NULL;
    int err;

    if (!o->username || !o->role) {
        return yq_cli_usage_error(
            PROG, usage, "add 须给出 --username 和 --role (add needs --username and --role)");
    }
    if (web_role_parse(o->role, &role) != 0) {
        return yq_cli_usage_error(
            PROG, usage, "未知角色 '%s'，须为 admin、duty_officer、liaison 或 head (unknown role)",
            o->role);
    }
    if (read_password(o, &pw)) {
        return 1;
    }
    err = web_user_add(a, o->username, o->display, role, o->department, pw, o->must_change != 0,
                       yq_time_now(), NULL, why, sizeof(why));
    free_password(pw);
    if (err) {
        fprintf(stderr, "yuqingctl users: %s\n", why[0] ? why : yq_strerror(err));
        return 1;
    }
    printf("added %s (%s)\n", o->username, web_role_name(role));
    return 0;
}

static int cmd_change(const struct users_opts *o, struct web_auth *a, int disabled, bool passwd)
{
    struct web_user_change ch = {.role = WEB_ROLE_NONE, .disabled = disabled};
    char why[256] = "", *pw = NULL;
    int err;

    if (!o->username) {
        return yq_cli_usage_error(PROG, usage, "%s 须给出 --username (%s needs --username)", o->sub,
                                  o->sub);
    }
    if (passwd && read_password(o, &pw)) {
        return 1;
    }
    ch.password = pw;
    err = web_user_update(a, o->username, &ch, yq_time_now(), why, sizeof(why));
    free_password(pw);
    if (err) {
        fprintf(stderr, "yuqingctl users: %s\n", why[0] ? why : yq_strerror(err));
        return 1;
    }
    printf("updated %s\n", o->username);
    return 0;
}

static int print_json(json_t *v)
{
    char *s = yq_json_dumps(v, JSON_INDENT(2));
    json_decref(v);
    if (!s) {
        return 1;
    }
    puts(s);
    free(s);
    return 0;
}

/*
 * The department registry v (web_department_list()'s [{name, head, liaisons:[...]}], taken)
 * as a table padded by display width: 部门 负责人 联络员 ("-" when none; liaisons joined with
 * 、) (issue #11: it printed JSON with English keys). Returns 0 or 1.
 */
static int print_departments(json_t *v)
{
    static const char *const heads[3] = {"部门", "负责人", "联络员"};
    size_t w[2] = {yq_text_width(heads[0]), yq_text_width(heads[1])};
    size_t i, k, n = json_array_size(v);
    json_t *d, *l;
    char (*liaisons)[512] = calloc(n + 1, sizeof(*liaisons));
    char pad[512];

    if (!liaisons) {
        json_decref(v);
        return 1;
    }
    json_array_foreach(v, i, d)
    {
        const char *name = json_string_value(json_object_get(d, "name"));
        const char *head = json_string_value(json_object_get(d, "head"));
        size_t o = 0;
        json_array_foreach(json_object_get(d, "liaisons"), k, l)
        {
            if (json_is_string(l) && o < sizeof(liaisons[i])) {
                o += (size_t)snprintf(liaisons[i] + o, sizeof(liaisons[i]) - o, "%s%s",
                                      o ? "、" : "", json_string_value(l));
            }
        }
        w[0] = yq_text_width(name) > w[0] ? yq_text_width(name) : w[0];
        w[1] = head && head[0] && yq_text_width(head) > w[1] ? yq_text_width(head) : w[1];
    }
    printf("%s ", yq_text_pad(heads[0], w[0], pad, sizeof(pad)));
    printf("%s %s\n", yq_text_pad(heads[1], w[1], pad, sizeof(pad)), heads[2]);
    json_array_foreach(v, i, d)
    {
        const char *name = json_string_value(json_object_get(d, "name"));
        const char *head = json_string_value(json_object_get(d, "head"));
        printf("%s ", yq_text_pad(name, w[0], pad, sizeof(pad)));
        printf("%s %s\n", yq_text_pad(head && head[0] ? head : "-", w[1], pad, sizeof(pad)),
               liaisons[i][0] ? liaisons[i] : "-");
    }
    if (n == 0) {
        printf("（没有登记部门：yuqingctl users dept-add --department 名称）\n");
    }
    free(liaisons);
    json_decref(v);
    return 0;
}

static int cmd_token(const struct users_opts *o, struct web_auth *a)
{
    char token[64];
    int err;

    if (!o->username) {
        return yq_cli_usage_error(PROG, usage, "token 须给出 --username (token needs --username)");
    }
    err = web_token_create(a, o->username, o->name, (int64_t)o->ttl_days.v * 86400, yq_time_now(),
                           token, sizeof(token), NULL);
    if (err) {
        fprintf(stderr, "yuqingctl users: 无法生成令牌 (cannot create token): %s\n",
                yq_strerror(err));
        return 1;
    }
    puts(token);
    sodium_memzero(token, sizeof(token));
    return 0;
}

int users_cli_main(int argc, char **argv)
{
    struct users_opts o;
    struct web_auth_cfg cfg;
    struct web_auth *a = NULL;
    char err[512] = "", *db = NULL;
    json_t *v = NULL;
    int rc;

    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(usage, stdout);
        return 0;
    }
    rc = parse_opts(argc, argv, &o);
    if (rc) {
        return rc == YQ_CLI_HELP ? 0 : rc;
    }
    if (load_cfg(&o, &cfg, &db)) {
        return 1;
    }
    if (web_auth_open(&cfg, db, &a, err, sizeof(err)) != 0) {
        fprintf(stderr, "yuqingctl users: %s\n", err);
        free(db);
        return 1;
    }
    if (strcmp(o.sub, "add") == 0) {
        rc = cmd_add(&o, a);
    } else if (strcmp(o.sub, "passwd") == 0) {
        rc = cmd_change(&o, a, -1, true);
    } else if (strcmp(o.sub, "disable") == 0 || strcmp(o.sub, "enable") == 0) {
        rc = cmd_change(&o, a, strcmp(o.sub, "disable") == 0 ? 1 : 0, false);
    } else if (strcmp(o.sub, "list") == 0) {
        rc = web_user_list(a, &v) ? 1 : print_json(v);
    } else if (strcmp(o.sub, "token") == 0) {
        rc = cmd_token(&o, a);
    } else if (strcmp(o.sub, "dept-add") == 0) {
        if (!o.department) {
            rc = yq_cli_usage_error(PROG, usage,
                                    "dept-add 须给出 --department (dept-add needs --department)");
        } else {
            int e = web_department_add(a, o.department, o.head, yq_time_now());
            if (e && e != ERR_EXISTS) {
                fprintf(stderr, "yuqingctl users: 无法登记部门 (cannot add department): %s\n",
                        yq_strerror(e));
            }
            rc = (e && e != ERR_EXISTS) ? 1 : 0;
        }
    } else if (strcmp(o.sub, "dept-list") == 0) {
        rc = web_department_list(a, &v) ? 1 : o.json ? print_json(v) : print_departments(v);
    } else {
        rc = yq_cli_unknown_command(PROG, usage, o.sub);
    }
    web_auth_free(a);
    free(db);
    return rc;
}
