"""Which language an article is written in, so that rules written for one language are not run on another.

Uses `langdetect` (a port of Google's language-detection: character n-gram profiles of 55 languages shipped in
the package, no network, no model download). Its sampling is made repeatable with a fixed seed. A text too short
to judge (a sentence or two) is not judged: the caller's language stands.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

from langdetect.lang_detect_exception import LangDetectException

_LOCK = threading.Lock()
_FACTORY: list[Any] = []  # the loaded profiles, once: loading them takes about a second
_WORD = re.compile(r"[^\W\d_]{2,}")
MIN_WORDS = 25  # below this the n-gram profile of a text is too thin to overrule the caller
MIN_SHARE = 0.2  # the share of the text the detector gives the expected language, below which it is another's


@dataclass(frozen=True)
class Detected:
    code: str  # ISO 639-1, as langdetect names it ("id", "pt", "es", "zh-cn")
    share: float  # the probability langdetect gives that language
    shares: dict[str, float]


def detect_language(text: str) -> Detected | None:
    """The most likely language of `text`, or None when it has too few words to tell."""
    if len(_WORD.findall(text)) < MIN_WORDS:
        return None
    with _LOCK:
        if not _FACTORY:
            from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

            factory = DetectorFactory()
            factory.load_profile(PROFILES_DIRECTORY)
            factory.set_seed(0)
            _FACTORY.append(factory)
        detector = _FACTORY[0].create()
    detector.append(text)
    try:
        shares = {item.lang: round(float(item.prob), 3) for item in detector.get_probabilities()}
    except LangDetectException:  # no character n-gram it knows (a script none of its profiles has)
        return None
    if not shares:
        return None
    code = max(shares, key=lambda name: shares[name])
    return Detected(code, shares[code], shares)


def reads_as(text: str, code: str) -> Detected | None:
    """None when `text` can be read as language `code` (or is too short to tell); else what it reads as."""
    found = detect_language(text)
    if found is None or found.shares.get(code, 0.0) >= MIN_SHARE:
        return None
    return found
