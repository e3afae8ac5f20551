"""Who published a figure, counted once however the name is spelled.

Resolution rule 3 counts independent publishers, so "Just Auto" and "just-auto",
"ECG" and "ECG (Association of European Vehicle Logistics)", or a seed article
and the web page it was taken from must count once. The aliases come from the
data, not from a list in code:

- a name is compared without case, punctuation, accents, a leading "the" or
  its parenthetical remarks ("RedPlanX (Hindi)" is RedPlanX, "China Daily (seed
  article)" is China Daily); a name written "A / B" is both A and B;
- two spellings whose addresses are on the same site (registrable domain:
  covid-19.chinadaily.com.cn and chinadaily.com.cn are one site) are one publisher;
- both links are followed transitively, so every spelling ends in one group.

A parenthetical credit is dropped, never used to link: "UrduPoint (Xinhua)" is
UrduPoint, not Xinhua.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlparse

from forecast.domain import Observation

_PARENTHETICAL = re.compile(r"\([^)]*\)")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_SECOND_LEVEL = {"ac", "co", "com", "edu", "gov", "net", "org"}  # com.cn, co.uk, org.cn, ...


def name_aliases(publisher: str) -> list[str]:
    """The names a publisher spelling stands for: 'Shangyou News / iChongqing (seed article)' -> two."""
    plain = unicodedata.normalize("NFKD", _PARENTHETICAL.sub(" ", publisher)).encode("ascii", "ignore").decode()
    aliases = []
    for part in plain.split(" / "):
        words = part.lower().strip()
        words = words[4:] if words.startswith("the ") else words
        alias = _NOT_WORD.sub("", words)
        if alias:
            aliases.append(alias)
    return aliases or [_NOT_WORD.sub("", publisher.lower())]


def site(url: str) -> str:
    """The registrable domain of an address: 'http://covid-19.chinadaily.com.cn/x' -> 'chinadaily.com.cn'."""
    host = (urlparse(url).hostname or "").lower()
    labels = [label for label in host.split(".") if label]
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def publisher_identities(figures: Iterable[Observation]) -> dict[str, str]:
    """Each `source_publisher` spelling -> one label shared by all spellings of the same publisher.

    The label is the alphabetically first spelling in the group, so it reads as a name.
    """
    parent: dict[str, str] = {}

    def root(node: str) -> str:
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def join(a: str, b: str) -> None:
        parent[root(a)] = root(b)

    spellings = set()
    for figure in figures:
        spelling = figure.source.publisher
        spellings.add(spelling)
        nodes = [f"spelling:{spelling}", *(f"name:{alias}" for alias in name_aliases(spelling))]
        if figure.source.url and site(figure.source.url):
            nodes.append(f"site:{site(figure.source.url)}")
        for node in nodes[1:]:
            join(nodes[0], node)
    label: dict[str, str] = {}
    for spelling in sorted(spellings):
        label.setdefault(root(f"spelling:{spelling}"), spelling)
    return {spelling: label[root(f"spelling:{spelling}")] for spelling in spellings}
