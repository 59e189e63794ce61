/*
 * libFuzzer target: the Weibo JSON reader (weibo_classify, weibo_parse_page,
 * weibo_apply_long_text), the hot-search list reader (weibo_hot_parse, weibo_hot_watched,
 * weibo_hot_item; issue #15) and the created_at / count parsers on arbitrary bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "weibo.h"
#include "weibo_hot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct weibo_ctx ctx = {.source_id = "fuzz", .fetched_at = 1709605800,
                                  .max_text_bytes = 1 << 16};
    struct weibo_page page;
    char err[256], *s;
    const char *body = (const char *)data;

    if (!fuzz_begin(size, 1 << 20)) {
        return 0;
    }
    weibo_classify(200, "application/json", NULL, body, size, err, sizeof(err));
    if (weibo_parse_page(body, size, &ctx, &page, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < page.n_posts; i++) {
            weibo_apply_long_text(&page.posts[i], body, size, 1 << 16);
        }
        weibo_page_release(&page);
    }
    {
        static char *const watch[] = {"安康", "ankang"};
        struct weibo_hot_list hot;
        if (weibo_hot_parse(body, size, &hot, err, sizeof(err)) == 0) {
            for (size_t i = 0; i < hot.n; i++) {
                struct weibo_hot_ctx hctx = {.source_id = "fuzz", .fetched_at = 1709605800,
                                             .entered_at = 1709605800,
                                             .trigger = YQ_HOT_ROSE, .rise_rank = 10};
                struct yq_item item;
                json_t *w = weibo_hot_watched(&hot.entries[i], watch, 2);
                hctx.watched = w;
                if (weibo_hot_item(&hot.entries[i], &hctx, &item) == 0) {
                    yq_item_release(&item);
                }
                json_decref(w);
            }
            weibo_hot_list_release(&hot);
        }
    }
    /* the string parsers on the same bytes as a C string */
    s = malloc(size + 1);
    if (s) {
        int64_t t, v;
        const char *prec;
        bool capped;
        char mid[WEIBO_MID_MAX];
        memcpy(s, data, size);
        s[size] = '\0';
        weibo_parse_created_at(s, 1709605800, &t, &prec);
        weibo_parse_count(s, &v, &capped);
        weibo_bid_to_mid(s, mid, sizeof(mid));
        free(s);
    }
    return 0;
}
