"""From an article's text to proposed figures and targets, each with its words' offsets, its guesses and its review.

sentences.py  the text as sentences with offsets
numbers.py    amounts: "2.49 million vehicles", "33.17 billion yuan ($4.58 billion)", "nearly 1 million"
periods.py    periods: "in May", "from January to May", "the first three quarters of this year"
growth.py     growth rates: "a month-on-month increase of 6.6%", "1.2 times", "more than doubled"
proposals.py  one sentence's amounts, periods and rates put together (conversions, differences, rates listed together)
matching.py   who a figure is about and which of our series it belongs to
targets.py    goals: "aims to sell over 1.2 million vehicles annually ... by 2030"
review.py     each proposal against the store's figures: new, the same, a conflict, a basis mix-up
rows.py       proposals as data/observations.csv and data/targets.csv rows, and as the API's JSON bodies
dates.py      a publication date read from an article's address, when the caller gives none
model.py      Article, Span, Sentence, Guess, Subject, Proposal, TargetProposal
extractor.py  the article read sentence by sentence
language.py   what a language provides; english.py holds every English word and pattern

Pure: no HTTP, no storage; the caller passes the series and the stored figures.
"""

from forecast.extract.extractor import LANGUAGES, Extraction, extract
from forecast.extract.model import Article, Guess, Proposal, Span, Subject, TargetProposal

__all__ = ["LANGUAGES", "Article", "Extraction", "Guess", "Proposal", "Span", "Subject", "TargetProposal", "extract"]
