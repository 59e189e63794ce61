#include "ingest.h"

#include <stdlib.h>
#include <string.h>

#include "feed_item.h"
#include "yq_err.h"
#include "yq_item.h"
#include "yq_log.h"
#include "yq_banned.h"

int ingest_feed(const struct feed *f, const struct source_cfg *src, int64_t fetched_at,
                size_t max_text_bytes, struct store *store, struct item_producer *producer,
                struct delivery_tally *tally, struct ingest_result *out)
{
    bool redis_down = false, kafka_full = false;

    memset(out, 0, sizeof(*out));
    out->entries = f->n_entries;
    for (size_t i = 0; i < f->n_entries; i++) {
        const struct feed_entry *e = &f->entries[i];
        char id[FEED_ITEM_ID_LEN];
        struct yq_item item;
        char *json = NULL;
        size_t json_len = 0;
        bool seen = false;
        int err;

        err = feed_item_id(e, id, sizeof(id));
        if (err == ERR_INVALID) {
            out->invalid++;
            continue;
        }
        if (err) {
            return err;
        }
        if (item_producer_in_flight(producer, id)) {
            out->in_flight++;
            continue;
        }
        if (redis_down || kafka_full || store_seen(store, id, &seen) != 0) {
            redis_down = !kafka_full;
            out->deferred++;
            continue;
        }
        if (seen) {
            out->seen++;
            continue;
        }
        err = feed_item_from_entry(f, e, src->id, src->name, fetched_at, max_text_bytes, &item);
        if (err == ERR_INVALID) {
            out->invalid++;
            continue;
        }
        if (err) {
            return err;
        }
        err = yq_item_encode(&item, &json, &json_len);
        yq_item_release(&item);
        if (err) {
            return err;
        }
        err = item_producer_send(producer, id, json, json_len, tally);
        free(json);
        if (err == 0) {
            out->produced++;
        } else if (err == ERR_EXISTS) {
            out->in_flight++;
        } else if (err == ERR_RETRY) {
            kafka_full = true;
            out->deferred++;
        } else {
            return err;
        }
    }
    if (out->deferred) {
        LOG_WARN("items deferred to the next poll source_id=%s deferred=%zu reason=%s", src->id,
                 out->deferred, redis_down ? "redis down" : "kafka queue full");
    }
    return out->deferred ? ERR_RETRY : 0;
}
