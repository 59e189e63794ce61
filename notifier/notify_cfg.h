/*
 * Who gets told what, and through which channel (notifier.yaml sections "notify",
 * "channels", "duty_officer", "administrator", "departments"):
 *
 *   notify:
 *     link_base: http://127.0.0.1:8080/ticket?number=   # links in messages: link_base + number
 *     quiet_hours: "22:00-07:00"                   # Asia/Shanghai; "" = none
 *   channels:                                      # one robot, mailbox or webhook each
 *     zrzy-wecom: {type: wecom, url: https://qyapi.weixin.qq.com/cgi-bin/webhook/send,
 *                  key_file: /etc/yuqing/secrets/zrzy-wecom.key}
 *     duty-ding:  {type: dingtalk, url: https://oapi.dingtalk.com/robot/send,
 *                  key_file: ..., secret_file: ...}
 *     duty-mail:  {type: email, url: smtps://smtp.example.cn:465, from: yuqing@example.cn,
 *                  to: "a@example.cn, b@example.cn", username: yuqing, password_file: ...}
 *   duty_officer: [duty-ding, duty-mail]           # 值班室
 *   administrator: [ops-mail]                      # told once when a channel's key, secret
 *                                                  # or signature is refused; [] = log only
 *   departments:
 *     市自然资源局: {liaison: [zrzy-wecom], head: [zrzy-mail]}
 *
 * Secrets (robot keys/tokens, signing secrets, SMTP passwords) are read from files at load
 * time (relative paths are relative to the config file's directory), trimmed of surrounding
 * white space, and never printed or logged. A department without an entry has no liaison or
 * head: its notifications go to the duty officer only.
 */
#ifndef NOTIFIER_NOTIFY_CFG_H
#define NOTIFIER_NOTIFY_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "yq_cfg.h"

struct notify_cfg {
    char *link_base;                /* prefix of ticket links in messages */
    char *quiet_hours;              /* "HH:MM-HH:MM" Asia/Shanghai, "" or NULL = none */
    bool quiet_hours_urgent;        /* true: levels I/II and 督办 also wait out quiet hours */
    int64_t poll_interval_ms;       /* delivery loop period */
    int64_t escalation_interval_ms; /* escalation scan period */
    int64_t retry_initial_ms;       /* first retry delay; doubles per attempt */
    int64_t retry_max_ms;           /* retry delay ceiling (transient errors retry forever) */
    int64_t batch;                  /* notifications claimed per delivery round */
    int64_t max_response_bytes;     /* robot/webhook answers are read up to this size */
    /*
     * Several notifiers on one PostgreSQL store (issue #16): how long the rows a delivery round
     * claimed stay its own (outbox_claim()); must exceed a round (batch rows, each bounded by
     * its channel's timeout); a dead notifier's rows go out again after it. 0: 120 s.
     */
    int64_t claim_lease_ms;
};

/* Keys of the "notify:" section. */
extern const struct cfg_key notify_cfg_keys[];

/* The kinds of channel; each has its ops in channel.h's registry. */
enum channel_type {
    CHANNEL_WECOM = 1,    /* 企业微信群机器人 */
    CHANNEL_DINGTALK = 2, /* 钉钉自定义机器人 */
    CHANNEL_FEISHU = 3,   /* 飞书自定义机器人 */
    CHANNEL_EMAIL = 4,    /* SMTP via libcurl */
    CHANNEL_WEBHOOK = 5,  /* generic JSON webhook */
};

/*
 * What configuration and the outbox need of the kinds of channel. The channel registry
 * (channel.c, one struct channel_ops per kind) implements these, so that neither this module
 * nor the outbox branches on a kind of channel.
 */

/* "wecom", "dingtalk", "feishu", "email", "webhook"; "?" otherwise. Static. */
const char *channel_type_name(enum channel_type type);

/* The kinds' names for messages: "wecom, dingtalk, feishu, email or webhook". Static. */
const char *channel_type_names(void);

/* The kind named name (may be NULL) into out. Returns 0 or ERR_NOT_FOUND. */
int channel_type_parse(const char *name, enum channel_type *out);

struct notify_channel;
struct yq_buf;

/*
 * Check ch's configuration beyond its url for its kind (an e-mail needs from and to, a robot
 * its key_file). Returns 0 or ERR_INVALID with one reason in why (no secret). Thread-safe.
 */
int channel_validate(const struct notify_channel *ch, char *why, size_t whylen);

/*
 * Append what an administrator should check when ch's configuration is refused (zh-CN lines
 * starting "- ") to out. Returns 0, ERR_TOO_BIG or ERR_NOMEM.
 */
int channel_checks(const struct notify_channel *ch, struct yq_buf *out);

/* One configured channel. Strings new, owned by the routes. */
struct notify_channel {
    char *name;
    enum channel_type type;
    char *url;      /* robot/webhook endpoint, or smtp(s)://host:port for email */
    char *key_file; /* path of the URL secret: WeCom key, DingTalk access_token, Feishu hook id */
    char *secret_file; /* path of the signing secret (DingTalk, Feishu, webhook HMAC) */
    char *username;    /* SMTP login */
    char *password_file;
    char *from;              /* e-mail sender, a plain address (a@b) */
    char *to;                /* e-mail recipients, comma-separated plain addresses (a@b) */
    int64_t rate_per_minute; /* 0 = the robot's documented limit */
    int64_t max_bytes;       /* 0 = the channel's documented limit */
    int64_t timeout_ms;
    char *key; /* secret values (never logged); NULL when not configured */
    char *secret;
    char *password;
};

struct notify_department {
    char *name;
    char **liaison; /* channel names */
    size_t n_liaison;
    char **head;
    size_t n_head;
};

struct notify_routes {
    struct notify_channel *channels;
    size_t n_channels;
    struct notify_department *departments;
    size_t n_departments;
    char **duty; /* the duty officer's channel names */
    size_t n_duty;
    char **administrator; /* who hears of a channel's configuration failure; may be empty */
    size_t n_administrator;
};

/*
 * Parse the "channels", "duty_officer", "administrator" and "departments" keys of the root
 * mapping of doc (borrowed) into routes (caller storage, zeroed first). base_dir: directory for
 * relative secret paths (borrowed; NULL = current directory). Secrets are read now.
 * Returns 0, ERR_INVALID (unknown key or type, missing url, a route naming an unknown channel,
 * an unreadable secret file) or ERR_NOMEM with "FILE:LINE: reason" in errbuf. Release routes
 * with notify_routes_release() whatever the result.
 */
int notify_routes_parse(struct notify_routes *routes, struct cfg_doc *doc, const char *base_dir,
                        char *errbuf, size_t errlen);

/* Free what routes owns and zero it. NULL is a no-op. */
void notify_routes_release(struct notify_routes *routes);

/* The channel called name, or NULL. Borrowed from routes. */
const struct notify_channel *notify_routes_channel(const struct notify_routes *routes,
                                                   const char *name);

/* The department called name, or NULL. Borrowed from routes. */
const struct notify_department *notify_routes_department(const struct notify_routes *routes,
                                                         const char *name);

/*
 * (Defined with the channels' shared steps, channel_base.c, which read robots' answers.)
 * Replace in text (NUL-terminated, modified in place) each occurrence of ch's secret values
 * (key, secret, password) by "***" (by as many '*' as the secret has bytes when shorter), so
 * an answer that echoes a token can be logged or forwarded. Both borrowed; thread-safe.
 */
void notify_channel_redact(const struct notify_channel *ch, char *text);

/* Print routes as YAML (no secret values; "key_file" paths are shown). */
void notify_routes_print(FILE *out, const struct notify_routes *routes);

/*
 * Parse quiet hours "HH:MM-HH:MM" (may wrap midnight) into minutes of the day.
 * NULL or "" gives start == end == 0 (no quiet hours). Returns 0 or ERR_INVALID.
 */
int notify_quiet_parse(const char *s, int *start_min, int *end_min);

/*
 * The end of the quiet period that contains t (seconds, UTC), or t itself when t is outside
 * quiet hours (or none are set). Times are Asia/Shanghai wall clock.
 */
int64_t notify_quiet_until(int start_min, int end_min, int64_t t);

#endif
