/*
 * libFuzzer target: feed_parse() (encoding choice and repair, RSS/RDF/Atom/JSON Feed) and the
 * entry → item mapping on arbitrary bytes. The first byte picks a Content-Type so that the
 * HTTP charset path is fuzzed too (and its top bit a Content-Location: the document base). Must never crash, leak or read out of bounds.
 */
#include <libxml/parser.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "feed_item.h"
#include "feed_parse.h"
#include "fuzz_common.h"
#include "wechat.h"
#include "yq_item.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    xmlInitParser();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const types[] = {NULL, "application/rss+xml; charset=gbk",
                                        "text/xml; charset=utf-8", "application/feed+json",
                                        "text/html", "application/atom+xml; charset=\"GB2312\"",
                                        "text/xml; charset=utf-16", "text/xml; charset=koi8-r",
                                        "text/xml; charset=x-no-such"};
    struct feed_input in = {0};
    struct feed *f = NULL;
    char err[256];

    if (!fuzz_begin(size, 1 << 20) || size < 1) {
        return 0;
    }
    in.content_type = types[data[0] % (sizeof(types) / sizeof(types[0]))];
    in.body = (const char *)data + 1;
    in.len = size - 1;
    in.base_url = "http://fuzz.example/feed/";
    /* issue #15: a relative Content-Location as the document base, on some inputs */
    in.content_location = (data[0] >> 7) ? "../zh/news/feed.xml" : NULL;
    if (feed_parse(&in, &f, err, sizeof(err)) == 0) {
        for (size_t i = 0; i < f->n_entries; i++) {
            struct yq_item item;
            char *json = NULL;
            if (feed_item_from_entry(f, &f->entries[i], "fuzz", NULL, 0, 1 << 16, &item) == 0) {
                yq_item_encode(&item, &json, NULL);
                free(json);
                yq_item_release(&item);
            }
            if (wechat_item_from_entry(f, &f->entries[i], "fuzz", NULL, 0, 1 << 16, &item,
                                       NULL) == 0) {
                yq_item_release(&item);
            }
        }
        feed_free(f);
    }
    return 0;
}
