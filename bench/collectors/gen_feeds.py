#!/usr/bin/env python3
"""Generate the parse benchmark inputs: a 2,000-entry Chinese RSS 2.0 feed and a 2,000-entry
Atom 1.0 feed (CDATA HTML descriptions, content:encoded, categories, RFC 822 / RFC 3339 dates,
entities). Deterministic (fixed seed). Usage: gen_feeds.py OUTDIR [N]"""
import os
import random
import sys

WORDS = ("安康 汉滨 紫阳 征地 拆迁 补偿款 生态 环保 突发 事件 市政府 通告 交通 管制 防汛 "
         "值班 医保 教育 学校 食堂 检查 结果 公布 居民 反映 小区 物业 维修 停电 供水 "
         "燃气 泄漏 排查 隐患 通知 政策 解读 发布会 回应 群众 关切 信访 投诉 道路 施工").split()


def sentence(rng, n):
    return "".join(rng.choice(WORDS) for _ in range(n)) + "。"


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    rng = random.Random(20260301)
    os.makedirs(out, exist_ok=True)
    rss = ['<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
           'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
           '<title>安康市人民政府 · 政务要闻</title>\n<link>http://www.ankang.example/</link>\n'
           '<description>基准测试用订阅源</description>\n']
    atom = ['<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
            'xml:base="http://blog.ankang.example/">\n<title>汉滨新闻网</title>\n'
            '<link rel="alternate" href="/"/>\n<id>tag:ankang.example,2026:feed</id>\n'
            '<updated>2026-03-01T08:00:00Z</updated>\n<author><name>编辑部</name></author>\n']
    for i in range(n):
        title = sentence(rng, 6)[:-1] + ("&amp;" if i % 7 == 0 else "")
        body = "".join("<p>%s</p>" % sentence(rng, 25) for _ in range(4))
        day = 1 + i % 28
        rss.append(
            "<item>\n<title>%s 第%d号</title>\n<link>http://www.ankang.example/news/%d.html</link>\n"
            "<guid isPermaLink=\"false\">ak-%06d</guid>\n<dc:creator>记者 张%d</dc:creator>\n"
            "<pubDate>Sun, %02d Mar 2026 %02d:%02d:00 +0800</pubDate>\n"
            "<category>政务</category><category>汉滨</category>\n"
            "<description><![CDATA[%s]]></description>\n"
            "<content:encoded><![CDATA[%s<p>（完）</p>]]></content:encoded>\n</item>\n"
            % (title, i, i, i, i % 50, day, i % 24, i % 60, body[:120], body))
        atom.append(
            "<entry>\n<title type=\"html\">%s 第%d号</title>\n"
            "<link rel=\"alternate\" type=\"text/html\" href=\"2026/03/%d.html\"/>\n"
            "<id>tag:ankang.example,2026:%d</id>\n<published>2026-03-%02dT%02d:%02d:00+08:00"
            "</published>\n<updated>2026-03-%02dT%02d:%02d:00Z</updated>\n"
            "<category term=\"民生\"/>\n<summary>%s</summary>\n"
            "<content type=\"html\"><![CDATA[%s]]></content>\n</entry>\n"
            % (title, i, i, i, day, i % 24, i % 60, day, i % 24, i % 60, sentence(rng, 12),
               body))
    rss.append("</channel>\n</rss>\n")
    atom.append("</feed>\n")
    with open(os.path.join(out, "rss_2000.xml"), "w", encoding="utf-8") as f:
        f.write("".join(rss))
    with open(os.path.join(out, "atom_2000.xml"), "w", encoding="utf-8") as f:
        f.write("".join(atom))


if __name__ == "__main__":
    main()
