#!/usr/bin/env python3
"""Copy sample feeds, moving every date in them forward by whole hours (issue #11).

The sample feeds (deploy/demo/feeds, tests/integration/fixtures/feeds) carry fixed dates. The
notifier opens no ticket for an item published more than clocks.old_item_after_ms (72 h)
before it was fetched, so served as they are they would only ever give "old" records. This
moves the dates of <pubDate>, <published>, <updated>, <dc:date> and <lastBuildDate> by one
whole number of hours, so that the newest lies one to two hours before now and every item
keeps its time zone and its distance to the others (an item three days older than the
newest is still old, as it would be in a real feed).

    shift_feed_dates.py SRC_DIR DST_DIR        # prints the shift in hours
"""
import datetime
import os
import re
import shutil
import sys

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
TAGS = r"(?:pubDate|published|updated|dc:date|lastBuildDate)"
RFC822 = re.compile(r"(<" + TAGS + r">\s*)(?:[A-Z][a-z]{2},\s*)?(\d{1,2}) ([A-Z][a-z]{2}) "
                    r"(\d{4}) (\d{2}):(\d{2})(?::(\d{2}))?(\s*)([A-Za-z]+|[+-]\d{4})?")
ISO = re.compile(r"(<" + TAGS + r">\s*)(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})"
                 r"(Z|[+-]\d{2}:?\d{2})?")
ZONES = {"CST": 8 * 60, "GMT": 0, "UT": 0, "UTC": 0, "Z": 0}  # CST: China, as the collector


def _offset_min(zone):
    if not zone:
        return 8 * 60  # feeds without a zone are Beijing time (the collector's rule)
    if zone in ZONES:
        return ZONES[zone]
    z = zone.replace(":", "")
    if re.fullmatch(r"[+-]\d{4}", z):
        sign = -1 if z[0] == "-" else 1
        return sign * (int(z[1:3]) * 60 + int(z[3:5]))
    return 0


def _rfc_local(m):
    return datetime.datetime(int(m.group(4)), MONTHS.index(m.group(3)) + 1, int(m.group(2)),
                             int(m.group(5)), int(m.group(6)), int(m.group(7) or 0))


def _iso_local(m):
    return datetime.datetime(*(int(m.group(i)) for i in range(2, 8)))


def instants(text):
    """Every date of a dated element of text, as a UTC naive datetime."""
    out = []
    for m in RFC822.finditer(text):
        out.append(_rfc_local(m) - datetime.timedelta(minutes=_offset_min(m.group(9))))
    for m in ISO.finditer(text):
        out.append(_iso_local(m) - datetime.timedelta(minutes=_offset_min(m.group(8))))
    return out


def shift_text(text, hours):
    """text with every dated element moved by hours (an int); zones are kept as written."""
    delta = datetime.timedelta(hours=hours)

    def rfc(m):
        d = _rfc_local(m) + delta
        return (f"{m.group(1)}{DAYS[d.weekday()]}, {d.day:02d} {MONTHS[d.month - 1]} {d.year} "
                f"{d.hour:02d}:{d.minute:02d}:{d.second:02d}{m.group(8)}{m.group(9) or ''}")

    def iso(m):
        d = _iso_local(m) + delta
        return f"{m.group(1)}{d.strftime('%Y-%m-%dT%H:%M:%S')}{m.group(8) or ''}"

    return ISO.sub(iso, RFC822.sub(rfc, text))


def shift_hours(texts, now=None):
    """Whole hours that bring the newest date of texts to one to two hours before now."""
    now = now or datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    all_dates = [d for t in texts for d in instants(t)]
    if not all_dates:
        return 0
    return max(0, int((now - max(all_dates)).total_seconds() // 3600) - 1)


def copy_shifted(src, dst, now=None):
    """Copy the files of src into dst (created) with their dates shifted; returns the hours."""
    os.makedirs(dst, exist_ok=True)
    names = sorted(n for n in os.listdir(src) if os.path.isfile(os.path.join(src, n)))
    texts = {}
    for n in names:
        with open(os.path.join(src, n), encoding="utf-8") as f:
            texts[n] = f.read()
    hours = shift_hours(texts.values(), now)
    for n in names:
        with open(os.path.join(dst, n), "w", encoding="utf-8") as f:
            f.write(shift_text(texts[n], hours))
        shutil.copymode(os.path.join(src, n), os.path.join(dst, n))
    return hours


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    print(copy_shifted(sys.argv[1], sys.argv[2]))
