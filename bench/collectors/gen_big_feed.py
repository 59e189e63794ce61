#!/usr/bin/env python3
"""Generate one large feed body for the parser memory measurement (issue #10), streamed to disk
so the generator itself stays small. Shapes:
  huge-text   one entry whose <description> is a single text node of SIZE bytes, then a normal
              entry
  huge-html   one entry whose <description> is CDATA HTML (<p>..</p> blocks) of SIZE bytes
  many-small  entries of about 2 KB (CDATA HTML description, Chinese text) up to SIZE bytes
  gb18030     many-small, encoded in GB18030 (the charset conversion path)
Usage: gen_big_feed.py SHAPE SIZE_MB OUTFILE"""
import sys

WORDS = "安康汉滨紫阳征地拆迁补偿款生态环保突发事件市政府通告交通管制防汛值班医保教育学校"


def head(enc):
    return ('<?xml version="1.0" encoding="%s"?>\n<rss version="2.0"><channel>'
            '<title>内存测试</title><link>http://mem.example/</link>\n' % enc)


def item(i, desc):
    return ("<item><title>第%d条 征地补偿</title><link>http://mem.example/%d.html</link>"
            "<guid>mem-%d</guid><pubDate>Sun, 01 Mar 2026 08:00:00 +0800</pubDate>"
            "<description>%s</description></item>\n" % (i, i, i, desc))


def main():
    shape, size_mb, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    size = size_mb * 1024 * 1024
    enc = "GB18030" if shape == "gb18030" else "UTF-8"
    with open(path, "wb") as out:
        def w(s):
            out.write(s.encode(enc))
        w(head(enc))
        if shape == "huge-text":
            w("<item><title>大</title><link>http://mem.example/big</link><guid>big</guid>"
              "<description>")
            chunk = ("x" * 1023 + "\n") * 1024
            for _ in range(size // len(chunk)):
                w(chunk)
            w("</description></item>\n")
            w(item(1, "正常"))
        elif shape == "huge-html":
            w("<item><title>大</title><link>http://mem.example/big</link><guid>big</guid>"
              "<description><![CDATA[")
            para = "<p>" + WORDS * 8 + "</p>\n"
            chunk = para * (1024 * 1024 // len(para.encode()))
            n = len(chunk.encode())
            for _ in range(size // n):
                w(chunk)
            w("]]></description></item>\n")
            w(item(1, "正常"))
        else:
            desc = "<![CDATA[" + ("<p>" + WORDS * 4 + "</p>") * 5 + "]]>"
            i = 0
            while out.tell() < size:
                w(item(i, desc))
                i += 1
        w("</channel></rss>\n")


if __name__ == "__main__":
    main()
