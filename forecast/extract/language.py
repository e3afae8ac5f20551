"""What a language gives the extractor: its words and patterns. English is in forecast.extract.english.

Every pattern's named groups are the contract with the readers (numbers, periods, growth): a new language's
module fills the same fields with its own words and the readers stay as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str
    sentence_break: re.Pattern[str]
    aside_open: re.Pattern[str]  # the opening of a relative clause (", which"): a period in it dates that clause only
    words_end: re.Pattern[str]  # where the words about an amount end after it: a comma, "and", a clause break
    clause_break: re.Pattern[str]  # between an amount and a period: the period belongs to another clause ("; ", "while")
    quantity: re.Pattern[str]  # groups: qual, cur, num, scale, noun
    scales: Mapping[str, float]
    amount_words: Mapping[str, float]  # numbers written in words before a scale ("two million", "half a million")
    nouns: Mapping[str, str]  # unit word -> our unit
    currencies: Mapping[str, str]  # currency sign -> our unit
    qualifiers: Mapping[str, str]  # qualifier words -> Qualifier value
    not_a_figure: re.Pattern[str]  # what after a number says it is not a counted total (a price, a distance)
    months: Mapping[str, int]
    counts: Mapping[str, int]
    ordinals: Mapping[str, int]
    this_year: tuple[str, ...]
    last_year: tuple[str, ...]
    periods: tuple[re.Pattern[str], ...]  # groups: start, end, months, quarters, quarter, half, month, lastmonth, fullyear, lastyear, year
    not_a_period: re.Pattern[str]
    same_period: re.Pattern[str]  # "during the period": the period of the sentence before
    expectation: re.Pattern[str]  # before an amount in its sentence: a forecast ("expects ... to exceed 80,000 units")
    figure_reference: re.Pattern[str]  # "The figure also represented ...": a sentence about the figure before it
    no_period: re.Pattern[str]  # a total of no period ("cumulative", "to date"): a sentence without one takes none before
    per_period: re.Pattern[str]  # after an amount: a rate ("80,000 units per month"), not a total of a period
    base_amount_before: re.Pattern[str]  # before an amount: it is a base compared with ("compared with 620,000 ...")
    base_period_after: re.Pattern[str]  # after such an amount: its year (group year) or a year earlier ("in the same period in 2020")
    running_total_before: re.Pattern[str]  # before an amount: the year's total so far ("bringing the total for the year to")
    compared_year: re.Pattern[str]  # "the same period in 2022": the figure's own period is a year later
    growth: tuple[re.Pattern[str], ...]  # groups: kind, up, down, qual, num (also: a rate listed after another), times, word
    growth_words: Mapping[str, float]
    direction: re.Pattern[str]  # groups up, down: the direction a rate listed after another takes ("and 14.2 percent")
    month_on_month: re.Pattern[str]
    year_on_year: re.Pattern[str]
    rate_of_year_before: re.Pattern[str]  # after a rate: it is the rate of the same period a year earlier
    rate_then_amount: re.Pattern[str]  # the words between a rate and the amount it grew to
    sales_as_exports: re.Pattern[str]  # a sentence opening so right after one about exports counts those exports
    breakdown: re.Pattern[str]  # likewise, a sentence opening so breaks those exports down ("As seen by type, ...")
    other_measures: re.Pattern[str]  # what a sentence counts when it is not exports (sales, output): kept out unless it says export
    prior_year: re.Pattern[str]  # the words that put the base of a difference one year back
    difference: re.Pattern[str]  # the words just before a number that make it a difference ("by", "an increase of")
    difference_down: re.Pattern[str]
    conversion: re.Pattern[str]  # the words just before a number that make it a conversion of the previous one ("(")
    target: re.Pattern[str]  # a goal with its deadline year
    target_annual: re.Pattern[str]
    not_names: frozenset[str]  # first words of entity names that are ordinary words ("Great" of Great Wall Motor)
    company_reference: re.Pattern[str]  # "the company": the figure is about the last company named
    not_an_entity_after: re.Pattern[str]  # words that make the next name an adjective ("southwestern China")
    not_a_figure_after: re.Pattern[str]  # words before a number that make it no amount ("per 100 vehicles")
    export_words: re.Pattern[str]
    vehicle_words: re.Pattern[str]  # before a number without a unit, they make it a count of vehicles
    bare_count_end: re.Pattern[str]  # what may follow such a number (not a noun of its own: "1.4 billion people")
    not_a_count_before: re.Pattern[str]  # what before such a number makes it money or something else ("worth")
    imports: re.Pattern[str]  # words that make the next amount an import (group both: "import and export", a sum of the two)
    attributions: tuple[tuple[re.Pattern[str], str], ...]  # who counts -> Basis value
    market_after: re.Pattern[str]  # after an amount: it is what one destination market bought
    market_before: re.Pattern[str]  # before an amount or rate, in its clause: likewise ("exports to Russia ... to")
    market_name: re.Pattern[str]  # a destination market's name, in the words market_after or market_before matched
    other_exporter_before: re.Pattern[str]  # before an amount, in its clause: another country's exports ("Japan's")
    segment_reference: re.Pattern[str]  # "these vehicles": the segment named in a sentence before
    segment_aside: re.Pattern[str]  # words that list what a segment includes ("including plug-in hybrids"): no segment of their own
    segments: tuple[tuple[re.Pattern[str], str], ...]  # in order of precedence
    # segments of vehicles (not parts) no series of ours keeps: their figures are proposed with no series
    vehicle_segments: tuple[str, ...] = ()

    def count(self, word: str) -> int:
        """'nine' or '9' -> 9; an ordinal ('third') -> 3."""
        lowered = word.lower()
        if lowered.isdigit():
            return int(lowered)
        return self.counts.get(lowered) or self.ordinals[lowered]
