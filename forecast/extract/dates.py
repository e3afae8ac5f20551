"""A publication date from an article's address, when the caller gives none: '/2023/07/16/', '/202209/07/',
'2024-06-14'. A year alone ('...-january-october-2025-1419100.htm') stands for the last day of that year, which
is enough to place "this year" and "in May"; the proposals then say the date was read from the address."""

from __future__ import annotations

import re
from datetime import date

_DAY = re.compile(r"(?<!\d)(20\d\d)[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?!\d)")
_MONTH = re.compile(r"/(20\d\d)/?(0[1-9]|1[0-2])/")
_YEAR = re.compile(r"[-_/](20\d\d)[-_/.]")


def date_in_address(url: str) -> date | None:
    if not url:
        return None
    for pattern in (_DAY, _MONTH):
        match = pattern.search(url)
        if match:
            year, month = int(match.group(1)), int(match.group(2))
            day = int(match.group(3)) if pattern is _DAY else 28
            try:
                return date(year, month, day)
            except ValueError:
                continue
    match = _YEAR.search(url)
    return date(int(match.group(1)), 12, 31) if match else None
