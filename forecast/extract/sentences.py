"""An article as sentences, each with its character offsets in the text."""

from __future__ import annotations

from forecast.extract.language import Language
from forecast.extract.model import Sentence, Span


def sentences(text: str, language: Language) -> list[Sentence]:
    """The sentences of `text` in order; a line break always ends one (headlines, captions)."""
    found: list[Sentence] = []
    start = 0
    for boundary in [*language.sentence_break.finditer(text), None]:
        end = boundary.start() if boundary else len(text)
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            offset = start + piece.index(stripped)
            found.append(Sentence(Span(offset, offset + len(stripped)), stripped))
        start = boundary.end() if boundary else len(text)
    return found
