/*
 * The search tests' fixture archive (issue #14): a fresh archive (embedded in a temporary
 * directory, or a fresh PostgreSQL schema in a -pg run) holding eight sample items stored with archive_put(), matched and unmatched, so
 * that the engine (test_archive_query) and the API (tests/web/test_web_search) search the same
 * data. Times are relative to SEARCH_FIXTURE_BASE (2026-11-20T00:00:00Z):
 *
 *   id          source  channel     hours  heat  matched (rule / dept / event)       content
 *   weibo:1001  weibo   汉滨区网友     -1   290  land-01 / 市自然资源局 / ev:E1      征地补偿 (text)
 *   rss:a2      rss     安康新闻网     -2     0  -                                   拆迁 补偿 征地补偿
 *   wx:b:1:1    wechat  旬陽生活       -3    30  -                                   徵地補償 (traditional)
 *   rss:a4      rss     安康新闻网     -4     0  -                                   征地 ... 补偿, 15 apart
 *   weibo:1005  weibo   招聘小助手     -5     1  -                                   招聘 征地补偿
 *   rss:a6      rss     安康新闻网     -6     0  -                                   =HYPERLINK title, CSV text
 *   weibo:1007  weibo   汉滨区网友     -7     0  prop-01 / 市住建局 / ev:E7          ＷｉＦｉ
 *   rss:a8      rss     安康新闻网   -960     0  -                                   征地补偿 (40 days old)
 */
#ifndef TEST_ARCHIVE_SEARCH_FIXTURE_H
#define TEST_ARCHIVE_SEARCH_FIXTURE_H

#include <stdint.h>

#include "archive_fixture.h"

#define SEARCH_FIXTURE_BASE INT64_C(1795132800) /* 2026-11-20T00:00:00Z */
#define SEARCH_FIXTURE_ITEMS 8

/*
 * Make the archive (archive_fixture_open()) and fill it (fails the test on error). f: caller
 * storage; archive_fixture_close() removes it.
 */
void search_fixture_open(struct archive_fixture *f);

#endif
