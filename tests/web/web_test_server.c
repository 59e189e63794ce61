/*
 * The server the browser tests drive: the web layer over the in-memory ticket store, with
 * seeded departments and users and one fixture route (POST /test/tickets adds a ticket, as a
 * new alert would). Prints "port N" on stdout when ready; stops on SIGTERM/SIGINT.
 * With --stats-fixture the same database also gets a real ticket store with the history of
 * stats_fixture.h in the previous Beijing-time month, for the statistics page (/stats), and
 * --calendar DIR loads the working-day calendar (config/calendar) the statistics use.
 * usage: web_test_server --db PATH [--port N] [--stats-fixture] [--calendar DIR]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ticket_fixture.h"
#include "stats.h"
#include "stats_fixture.h"
#include "test_server.h"
#include "web.h"
#include "workcal.h"
#include "yq_log.h"
#include "yq_time.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
                                                             MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;
    MHD_add_response_header(r, "Content-Type", "application/json");
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result fixture(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *body, size_t len)
{
    struct ticket_fixture *ft = cls;
    char number[32], out[64];
    json_t *spec;

    if (strcmp(url, "/test/tickets") != 0 || strcmp(method, "POST") != 0) {
        return reply(c, 404, "{\"error\":\"not_found\"}");
    }
    spec = body ? json_loadb(body, len, 0, NULL) : NULL;
    if (!json_is_object(spec) || ticket_fixture_add(ft, spec, number) != 0) {
        json_decref(spec);
        return reply(c, 400, "{\"error\":\"invalid\"}");
    }
    json_decref(spec);
    snprintf(out, sizeof(out), "{\"number\":\"%s\"}", number);
    return reply(c, 201, out);
}

static bool is_working_day(const void *ctx, int64_t day)
{
    return workcal_is_working_day(ctx, day);
}

int main(int argc, char **argv)
{
    const char *db = NULL, *calendar_dir = NULL;
    bool stats_fixture = false;
    struct workcal *cal = NULL;
    struct stats_calendar stats_cal = {is_working_day, NULL};
    unsigned port = 0;
    struct web_cfg cfg;
    struct ticket_fixture *ft;
    struct test_server *srv;
    struct web_auth *a;
    struct web *w;
    char err[256] = "";
    static const struct {
        const char *name, *display, *dept, *pass;
        enum web_role role;
    } users[] = {
        {"admin", "管理员", NULL, "admin-password-1", WEB_ROLE_ADMIN},
        {"duty1", "值班员甲", NULL, "duty-password-1", WEB_ROLE_DUTY},
        {"liaison-a", "自然资源局联络员", "市自然资源局", "liaison-password-a", WEB_ROLE_LIAISON},
        {"liaison-b", "生态环境局联络员", "市生态环境局", "liaison-password-b", WEB_ROLE_LIAISON},
    };

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            db = argv[++i];
        } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--calendar") == 0 && i + 1 < argc) {
            calendar_dir = argv[++i];
        } else if (strcmp(argv[i], "--stats-fixture") == 0) {
            stats_fixture = true;
        } else {
            fprintf(stderr, "usage: web_test_server --db PATH [--port N] [--stats-fixture] "
                            "[--calendar DIR]\n");
            return 2;
        }
    }
    if (!db) {
        fprintf(stderr, "web_test_server: --db is required\n");
        return 2;
    }
    yq_log_init("web_test_server", YQ_LOG_INFO);
    cal = workcal_new();
    if (!cal || (calendar_dir && workcal_load_dir(cal, calendar_dir, err, sizeof(err)) != 0)) {
        fprintf(stderr, "web_test_server: calendar: %s\n", err);
        workcal_free(cal);
        return 1;
    }
    stats_cal.ctx = cal;
    if (stats_fixture) {
        int y, m;
        stats_previous_month(yq_time_now(), &y, &m);
        if (stats_fixture_build(db, cal, y, m, err, sizeof(err)) != 0) {
            fprintf(stderr, "web_test_server: %s\n", err);
            workcal_free(cal);
            return 1;
        }
    }
    memset(&cfg, 0, sizeof(cfg));
    if (cfg_fill(web_cfg_keys, &cfg, NULL, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "web_test_server: %s\n", err);
        return 1;
    }
    cfg.sources_enabled = false;
    cfg.rules_enabled = false;
    cfg.sse_poll_ms = 200;
    cfg.auth.pwhash_opslimit = 1;
    cfg.auth.pwhash_memlimit = 8192;
    cfg.auth.login_max_failures = 5;
    cfg.calendar = &stats_cal;
    ft = ticket_fixture_new();
    w = web_new(&cfg, db, ticket_fixture_ops, ticket_fixture_ctx(ft), err, sizeof(err));
    if (!w) {
        fprintf(stderr, "web_test_server: %s\n", err);
        return 1;
    }
    a = web_get_auth(w);
    web_department_add(a, "市自然资源局", "张局长", yq_time_now());
    web_department_add(a, "市生态环境局", "李局长", yq_time_now());
    web_department_add(a, "市水务局", "", yq_time_now());
    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
        web_user_add(a, users[i].name, users[i].display, users[i].role, users[i].dept,
                     users[i].pass, false, yq_time_now(), NULL, err, sizeof(err));
    }
    srv = test_server_start(w, port, fixture, ft);
    if (!srv) {
        fprintf(stderr, "web_test_server: cannot listen\n");
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    printf("port %u\n", test_server_port(srv));
    fflush(stdout);
    while (!stop) {
        usleep(100 * 1000);
    }
    test_server_stop(srv);
    web_free(w);
    ticket_fixture_free(ft);
    cfg_release(web_cfg_keys, &cfg);
    workcal_free(cal);
    return 0;
}
