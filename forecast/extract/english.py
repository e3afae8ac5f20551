"""English rules: every word and pattern the extractor reads English with, in one place.

Another language gets a module like this one building a `Language` (forecast.extract.language);
the modules that read sentences, numbers, periods and growth rates take the `Language` and hold no words.
"""

from __future__ import annotations

import re

import pytz

from forecast.extract.language import Language

_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_QUALIFIER = (
    r"nearly|almost|about|approximately|around|roughly|some|close to|over|more than|exceeding|exceeded|exceeds|exceed|surpassing|surpassed"
    r"|surpasses|topping|topped|tops|above|at least|less than|under|below|up to"
)
_MONTH = (
    r"January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec"
)
# a month alone in any case ("in february", from lower-cased pages) but "may" only as a name: it is a verb too
_MONTH_ANY_CASE = rf"(?i:(?!may\b)(?:{_MONTH}))|May"
_COUNTS = {word: n for n, word in enumerate(("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"), start=1)}
# a number in words before a scale word: "two million vehicles", "half a million"
_AMOUNT_WORDS = rf"\b(?:half an?|an?|{'|'.join(_COUNTS)})(?=\s+(?:thousand|million|billion)\b)"
_COUNT = r"\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
_YEAR = r"(?:19|20)\d\d"
_MAY_HAPPEN = r"might|could|would|(?-i:may)"  # what may be, not what was: a forecast, not a figure ("may": not May)
_YEAR_SUFFIX = rf"(?:,?\s+(?:of\s+)?(?P<year>{_YEAR}|this year|last year|the year))?"
_UNIT_MODIFIERS = (
    r"(?:(?:new|energy|new-energy|passenger|commercial|electric|fuel|motor|NEV|complete|Chinese|domestic|made-in-[\w-]+"
    r"|plug-in|hybrid|pure|battery|and)\s+){0,4}"
)
_UP = (
    r"up|grew|grown|rose|risen|increased|increasing|surged|soared|soaring|jumped|climbed|climbing|jumping|growing|rising|gained"
    r"|expanded|surging|grow|rise|skyrocketed|skyrocketing|rocketed|leapt|leaped"
)
_DOWN = r"down|fell|fallen|dropped|declined|decreased|slumped|plunged|falling|declining|dropping|shrank|slid|decrease|fall"
_UP_NOUN = r"increase|rise|growth|gain|jump|surge"
_DOWN_NOUN = r"decrease|decline|drop|fall|contraction"
_KIND_WORDS = (
    r"year-on-year|year on year|year-over-year|y-o-y|yoy|month-on-month|month on month|month-over-month|month over month|mom|sequentially"
)
# "percent" but not "percentage points": a change of a rate is no rate of the figure
_PCT = r"(?:\s*%|[\s-]percent(?!age)|\s+per cent(?!age)|\s+pct)"

# Regions and blocs a figure can be sold to; countries come from ISO 3166 (the tz database's country names).
_REGIONS = (
    "Europe|European Union|EU|Eastern Europe|Western Europe|Asia|Southeast Asia|South-East Asia|Central Asia|Middle East|Gulf"
    "|Africa|North Africa|Latin America|South America|North America|Central America|the Americas|Oceania|ASEAN|CIS"
)


def _markets() -> str:
    """Country names as written in English ("Britain (UK)" also as "UK", "Korea (South)" as "South Korea"), China aside:
    a figure sold there is the domestic market, which other words keep out."""
    names = {"US", "USA", "UK", "United Kingdom", "UAE", "South Korea", "North Korea", "Philippines", "Netherlands", "Burma"}
    for name in pytz.country_names.values():
        base, _, inside = name.partition(" (")
        names.add(base.replace(" & ", " and "))
        inside = inside.rstrip(")")
        if inside in ("South", "North"):
            names.add(f"{inside} {base}")
        elif inside.isupper():
            names.add(inside)
    names.discard("China")
    return "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True)) + "|" + _REGIONS


_MARKET = rf"(?:to|in|into)\s+(?:the\s+)?(?:{_markets()})\b(?!\s*(?:dollars?|Association|Passenger|Automobile|Motor)\b)"

ENGLISH = Language(
    code="en",
    # also a full stop with no space after it between a word and a capitalised one ("year-on-year.In March")
    sentence_break=re.compile(r"(?<=[.!?])[\"”’]?\s+(?=[\"“‘(\[【A-Z0-9])|\n+|(?<=[a-zA-Z)][.!?])(?=[A-Z][a-z])"),
    clause_break=re.compile(r";|\b(?:while|whereas)\b"),
    aside_open=re.compile(r",\s*(?:which|who|whose)\b", re.IGNORECASE),
    words_end=re.compile(r"[,;]|\b(?:and|while|whereas)\b"),
    quantity=re.compile(
        rf"(?:(?P<qual>{_QUALIFIER})\s+)?(?:a total of\s+)?(?P<cur>US\$|\$|USD\s?|RMB\s?|CNY\s?)?(?P<num>{_NUM}|{_AMOUNT_WORDS})"
        rf"(?:\s*(?P<scale>thousand|million|billion|trillion|bn|mn|mln|M|k)\b)?"
        rf"(?:\s+{_UNIT_MODIFIERS}(?P<noun>vehicles|vehicle|units|unit|cars|car|automobiles|autos|NEVs|EVs|yuan|dollars)\b)?",
        re.IGNORECASE,
    ),
    scales={"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9, "m": 1e6, "mn": 1e6, "mln": 1e6, "k": 1e3},
    amount_words={"half a": 0.5, "half an": 0.5, "a": 1.0, "an": 1.0} | {word: float(n) for word, n in _COUNTS.items()},
    nouns={
        "vehicles": "vehicles",
        "vehicle": "vehicles",
        "units": "vehicles",
        "unit": "vehicles",
        "cars": "vehicles",
        "car": "vehicles",
        "automobiles": "vehicles",
        "autos": "vehicles",
        "nevs": "vehicles",
        "evs": "vehicles",
        "yuan": "cny",
        "dollars": "usd",
    },
    currencies={"$": "usd", "us$": "usd", "usd": "usd", "rmb": "cny", "cny": "cny"},
    qualifiers={
        "nearly": "approx",
        "almost": "approx",
        "about": "approx",
        "approximately": "approx",
        "around": "approx",
        "roughly": "approx",
        "some": "approx",
        "close to": "approx",
        "over": "lower_bound",
        "more than": "lower_bound",
        "exceeding": "lower_bound",
        "exceeded": "lower_bound",
        "exceeds": "lower_bound",
        "exceed": "lower_bound",
        "surpassing": "lower_bound",
        "surpassed": "lower_bound",
        "surpasses": "lower_bound",
        "topping": "lower_bound",
        "topped": "lower_bound",
        "tops": "lower_bound",
        "above": "lower_bound",
        "at least": "lower_bound",
        "less than": "upper_bound",
        "under": "upper_bound",
        "below": "upper_bound",
        "up to": "upper_bound",
    },
    not_a_figure=re.compile(r"^\s*(?:per\s+(?:unit|vehicle|car)|each|kilometers|km|countries|days|percent|%|times)", re.IGNORECASE),
    months={
        name: number
        for number, names in enumerate(
            (
                ("january", "jan"),
                ("february", "feb"),
                ("march", "mar"),
                ("april", "apr"),
                ("may",),
                ("june", "jun"),
                ("july", "jul"),
                ("august", "aug"),
                ("september", "sep", "sept"),
                ("october", "oct"),
                ("november", "nov"),
                ("december", "dec"),
            ),
            start=1,
        )
        for name in names
    },
    counts={
        word: number
        for number, word in enumerate(
            ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"), start=1
        )
    },
    ordinals={"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4},
    this_year=("this year", "the year"),
    last_year=("last year",),
    # Each pattern names its groups: start/end months, months (count of first months), quarters, quarter, half, year.
    periods=(
        re.compile(
            rf"\b(?:from\s+|between\s+)?(?P<start>{_MONTH})\.?(?:-to-|\s*(?:to|through|till|until|and|-|–)\s*)(?:the end of\s+)?(?P<end>{_MONTH})\b\.?{_YEAR_SUFFIX}",
            re.IGNORECASE,
        ),
        re.compile(rf"\b(?:the\s+)?first\s+(?P<months>{_COUNT})\s+months{_YEAR_SUFFIX}", re.IGNORECASE),
        re.compile(rf"\b(?:the\s+)?first\s+(?P<quarters>{_COUNT})\s+quarters{_YEAR_SUFFIX}", re.IGNORECASE),
        re.compile(rf"\b(?:the\s+)?(?P<quarter>first|second|third|fourth|1st|2nd|3rd|4th)\s+quarter{_YEAR_SUFFIX}", re.IGNORECASE),
        re.compile(rf"\bQ(?P<quarter>[1-4])(?:\s+(?P<year>{_YEAR}))?\b"),
        re.compile(rf"\b(?:the\s+)?(?P<half>first|second)\s+half{_YEAR_SUFFIX}", re.IGNORECASE),
        re.compile(rf"\bH(?P<half>[12])(?:\s+(?P<year>{_YEAR}))?\b"),
        re.compile(rf"\b(?P<month>{_MONTH_ANY_CASE})\b\.?(?!\s*\d{{1,2}}\b)(?:,?\s+(?:of\s+)?(?P<year>{_YEAR}|this year|last year))?"),
        re.compile(r"\b(?P<lastmonth>last month)\b", re.IGNORECASE),
        re.compile(r"\b(?P<fullyear>full[- ]year|(?:for|in|over) the (?:full|whole|entire) year)\b", re.IGNORECASE),
        re.compile(
            r"(?<!period )(?<!than )(?<!from )(?<!over )(?<!with )(?<!to )(?<!time )(?<!month )(?<!quarter )\b(?P<lastyear>last year)\b",
            re.IGNORECASE,
        ),
        re.compile(rf"\b(?P<year>{_YEAR})\b"),
    ),
    # Years that are not the figure's period: a comparison base, a deadline, a start, a stock at a date.
    # Months too: "a 2.1% increase from September", "compared with October 2024", "over the number registered in
    # September" name the base of a rate ("from January to May" is a span: the month after it excludes it).
    not_a_period=re.compile(
        rf"(?:same (?:period|time|months?) (?:in|of|last)|compared (?:to|with)|than(?: in)?|by(?: the end of)?|since|before|after|end of|until|from|over|against|versus)\s+(?:{_YEAR})\b"
        rf"|\b(?:from|over|than(?: in)?|compared (?:to|with)|against|versus)\s+(?:(?:that|those) (?:of|in)\s+|the (?:number|figure|level|volume)s?"
        rf"(?: registered| recorded| reported)? in\s+)?(?:{_MONTH})(?:\.?,?\s+{_YEAR}\b|\b\.?(?!\s*(?:to|through|till|until|-|–|\d)|\s+and\s+(?:{_MONTH})))",
        re.IGNORECASE,
    ),
    growth=(
        # "a year-on-year increase of 14.5%", "an increase of 38.6%", "a decrease of 3 percent"
        re.compile(
            rf"(?:(?:a|an)\s+(?:significant\s+|sharp\s+)?)?(?:(?P<kind>{_KIND_WORDS})\s+)?(?:(?P<up>{_UP_NOUN})|(?P<down>{_DOWN_NOUN}))\s+of\s+"
            rf"(?:(?P<qual>{_QUALIFIER})\s+)?(?P<num>{_NUM})(?:{_PCT}|(?P<times>\s+times|\s*-fold))",
            re.IGNORECASE,
        ),
        # "up 40 percent year on year", "grew 34 percent to", "soaring 131.9 percent", "increased by 17.8 times"
        re.compile(
            rf"\b(?:(?P<up>{_UP})|(?P<down>{_DOWN}))\s+(?:by\s+)?(?:(?P<qual>{_QUALIFIER})\s+)?(?P<num>{_NUM})(?:{_PCT}|(?P<times>\s+times|x\b|\s*-fold))",
            re.IGNORECASE,
        ),
        # "a 34 percent increase year-on-year", "a 3% decline"
        re.compile(
            rf"\b(?:a|an|the)\s+(?:(?:significant|substantial|sharp|notable|remarkable|strong|robust|slight|modest)\s+)?(?:(?P<qual>{_QUALIFIER})\s+)?"
            rf"(?P<num>{_NUM}){_PCT}\s+(?:(?P<kind>{_KIND_WORDS})\s+)?(?:(?P<up>{_UP_NOUN})|(?P<down>{_DOWN_NOUN}))",
            re.IGNORECASE,
        ),
        # "export growth slowed to just 2% year-over-year", "growth accelerated to 12 percent": the rate itself
        re.compile(
            rf"\b(?P<up>growth)\s+(?:slowed|eased|accelerated|picked up|quickened|rose|fell|dropped|was|stood at|reached|hit)\s+(?:to\s+)?"
            rf"(?:just\s+|only\s+|a mere\s+)?(?:(?P<qual>{_QUALIFIER})\s+)?(?P<num>{_NUM}){_PCT}",
            re.IGNORECASE,
        ),
        # "25.5 per cent more than a year earlier", "57.4 percent higher than the year before"
        re.compile(
            rf"\b(?:(?P<qual>{_QUALIFIER})\s+)?(?P<num>{_NUM}){_PCT}\s+(?:(?P<up>more|higher|greater|above)|(?P<down>less|lower|fewer|below))\s+than",
            re.IGNORECASE,
        ),
        # "more than doubled": the number is the word
        re.compile(r"(?:(?P<qual>more than|nearly|almost|over)\s+)?(?P<word>doubled|tripled|quadrupled)", re.IGNORECASE),
        # "hitting 100,000 NEVs in April, which is 8.4 times that of the same month in 2022": a multiple of the base
        re.compile(rf"(?P<up>)(?P<num>{_NUM})(?P<times>\s+times)\s+(?:that|those|the (?:level|number|figure|volume)) of\b", re.IGNORECASE),
        # "(+3.78% YoY)", "(-5.5% MoM)" in brackets after an amount
        re.compile(rf"\(\s*(?:(?P<up>\+)|(?P<down>[-−–]))?(?P<num>{_NUM})\s*%\s*(?P<kind>{_KIND_WORDS})\s*\)", re.IGNORECASE),
        # "and 39.6 times" after a first multiple: a list of rates given respectively
        re.compile(rf"(?<=times and )(?P<num>{_NUM})(?P<times>\s+times)", re.IGNORECASE),
        re.compile(rf"(?:(?<=% and )|(?<=percent and ))(?P<also>{_NUM}){_PCT}", re.IGNORECASE),
        # "up 23.8 percent year on year and 14.2 percent month on month": the second rate names its base after it
        re.compile(rf"(?:(?<=year and )|(?<=month and ))(?P<also>{_NUM}){_PCT}(?=\s+(?:of\s+)?(?:{_KIND_WORDS}))", re.IGNORECASE),
    ),
    growth_words={"doubled": 100.0, "tripled": 200.0, "quadrupled": 300.0},
    direction=re.compile(rf"\b(?:(?P<up>{_UP}|{_UP_NOUN})|(?P<down>{_DOWN}|{_DOWN_NOUN}))\b", re.IGNORECASE),
    month_on_month=re.compile(
        r"month-on-month|month on month|month-over-month|month over month|\bmom\b|sequentially|(?:than|from|over|on)(?: that of)? (?:the )?(?:last|previous|prior|a) month"
        r"|(?:compared (?:to|with)|than|from) (?:a|one) month (?:earlier|before|ago)|on a monthly basis"
        rf"|over the (?:number|figure|level|volume)s?(?: registered| recorded| reported)? in (?:{_MONTH})\b"
        rf"|(?:from|than|over|compared (?:to|with)) (?:{_MONTH})\b(?!\.?\s*(?:to|through|till|until|and|-|–|\d))",
        re.IGNORECASE,
    ),
    year_on_year=re.compile(
        r"year-on-year|year on year|year-over-year|y-o-y|\byoy\b|(?:compared (?:to|with)|over|from|than) (?:the )?(?:same period|previous year|a year (?:earlier|ago)|last year|year before)",
        re.IGNORECASE,
    ),
    prior_year=re.compile(r"previous year|last year|same period|a year (?:earlier|ago)|prior year", re.IGNORECASE),
    rate_of_year_before=re.compile(
        r"^\s*(?:(?:seen|recorded|posted|registered|reported)\s+(?:during|in)|during)\s+the same (?:period|quarter|month) "
        r"(?:of |in )?(?:last year|a year (?:earlier|ago)|the previous year)",
        re.IGNORECASE,
    ),
    # the words between a rate and the amount it grew to: "rose 8.3 percent year on year to", "grew by 96.6% ..., totaling"
    rate_then_amount=re.compile(
        r"^(?:\s+(?:year[- ]on[- ]year|year[- ]over[- ]year|from (?:a year (?:earlier|ago)|the same period (?:of )?last year)))?"
        r"(?:\s+(?:in|during|for|over)\s+[^,.;%]{3,45}?)?\s+to(?: reach| hit| top)?\s+$|^[^.;]{0,60},\s*(?:totaling|totalling|reaching|hitting)\s+$",
        re.IGNORECASE,
    ),
    # "As seen by type, the passenger cars reached ...", "And the commercial vehicles were ...": the exports before
    breakdown=re.compile(r"^\s*(?:As seen by type|To be specific|By type|In breakdown|By segment|And)\b", re.IGNORECASE),
    sales_as_exports=re.compile(
        r"^\s*(?:Their |Its |These )?[Ss]ales (?:grew|rose|increased|jumped|surged|climbed|fell|dropped|declined)\b"
    ),
    other_measures=re.compile(r"\b(?:sales|sold|production|produced|output|deliveries|delivered|registrations)\b", re.IGNORECASE),
    difference=re.compile(r"(?:\bby|(?:increase|rise|growth|more|up) of)\s+$", re.IGNORECASE),
    difference_down=re.compile(r"(?:decrease|decline|drop|fall|down|less) of\s+$|(?:fell|dropped|declined)\s+by\s+$", re.IGNORECASE),
    conversion=re.compile(r"^\s*\(\s*$"),
    target=re.compile(
        r"\b(?:aims?|aiming|plans?|planning|targets?|targeting|goal|strives?|seeks?|expects?)\b.*?\bby\s+(?:the end of\s+)?(?P<year>(?:19|20)\d\d)\b",
        re.IGNORECASE,
    ),
    target_annual=re.compile(r"\bannual(?:ly)?\b|\ba year\b|\bper year\b|\beach year\b", re.IGNORECASE),
    not_names=frozenset({"great", "new", "first", "central", "the"}),
    company_reference=re.compile(r"\bthe (?:company|firm|group|automaker|carmaker|manufacturer)\b", re.IGNORECASE),
    not_an_entity_after=re.compile(r"(?:(?:south|north)?(?:east|west)ern|southern|northern|central)\s*$", re.IGNORECASE),
    not_a_figure_after=re.compile(r"\bper\s+$|\bNo\.\s*$|#\s*$|\b(?:target|goal|capacity) of\s+$", re.IGNORECASE),
    same_period=re.compile(
        r"\b(?:during|in|over|for) (?:the|this|that|the same) period\b|\bthese (?:exports|vehicles|shipments)\b|^(?:the|this) figure\b"
        r"|\bsame period (?:of )?(?:last year|a year (?:earlier|ago))",
        re.IGNORECASE,
    ),
    expectation=re.compile(
        r"\b(?:expects?|expected|expecting|forecasts?|forecasted|predicts?|predicted|projects?|projected|anticipates?|will|is set to|are set to"
        rf"|{_MAY_HAPPEN}|estimates?|estimated to|projecting|outlook)\b",
        re.IGNORECASE,
    ),
    figure_reference=re.compile(r"^\s*(?:the|this) figure\b", re.IGNORECASE),
    no_period=re.compile(
        r"\b(?:cumulative(?:ly)?|accumulated|to date|so far|in (?:its|their) history|all[- ]time|capacity|milestone|consecutive|straight"
        r"|since|by the end of|as of"
        rf"|expects?|expected|forecasts?|will|{_MAY_HAPPEN})\b",
        re.IGNORECASE,
    ),
    per_period=re.compile(r"^\s*(?:(?:per|a|each)\s+(?:month|year|day|week)\b|annually|monthly)", re.IGNORECASE),
    base_amount_before=re.compile(r"(?:compared (?:with|to)|against|versus|vs\.?|up from|down from)\s+(?:the\s+)?$", re.IGNORECASE),
    base_period_after=re.compile(
        rf"^\s*(?:[\w-]+\s+){{0,2}}?(?:(?:in|during|over|for) the same (?:period|time|months?|quarter)\s+(?:(?:in|of)\s+(?P<year>{_YEAR})|last year"
        rf"|a year (?:earlier|ago)|of (?:the )?previous year)|a year (?:earlier|ago)|in the previous year)",
        re.IGNORECASE,
    ),
    running_total_before=re.compile(
        r"\b(?:bringing|raising|taking|pushing|lifting)\s+(?:the|its|their)\s+(?:[\w-]+\s+){0,3}?(?:total|tally)\b(?:\s+[\w-]+){0,4}?\s+to\s+$",
        re.IGNORECASE,
    ),
    # "the same period in 2022", "up 59% compared to the first nine months of 2024": the base, a year before
    compared_year=re.compile(
        rf"(?:same (?:period|time|months?)|(?P<base>compared (?:to|with) (?:the )?(?:first |last )?(?:[\w-]+ )?(?:months?|quarters?|half))) "
        rf"(?:in|of) (?P<year>{_YEAR})\b",
        re.IGNORECASE,
    ),
    export_words=re.compile(r"export|overseas|abroad|shipped|shipping|shipments?\b|foreign market", re.IGNORECASE),
    # "the Q2 quarter saw volume of 1.6 million" in a sentence about exports: a count of vehicles too
    vehicle_words=re.compile(r"\b(?:auto(?:mobile)?s?|cars?|vehicles?|NEVs?|EVs?|volumes? of)\b", re.IGNORECASE),
    bare_count_end=re.compile(
        r"^\s*(?:[,.;:)]|$|(?:in|during|for|over|from|to|and|while|last|this|as|a|compared|against|according|year-on-year|"
        r"year on year|up|down|with|between|through|were|was)\b)",
        re.IGNORECASE,
    ),
    not_a_count_before=re.compile(
        r"\b(?:worth|valued?|revenues?|profits?|prices?|income|investments?|costs?|sales revenue"
        r"|ahead of|behind|than|surpassing|overtaking|exceeding|outpacing)\b(?:\s+\S+){0,3}\s*$",
        re.IGNORECASE,
    ),
    imports=re.compile(r"\bimport(?:s|ed)?\b(?P<both>\s+and\s+exports?\b)?", re.IGNORECASE),
    attributions=(  # in order: "customs data sorted out by CAAM" is a customs count
        (re.compile(r"\bcustoms (?:data|statistics|figures)\b", re.IGNORECASE), "customs"),
        (re.compile(r"China Association of Automobile Manufacturers|\bCAAM\b", re.IGNORECASE), "caam"),
        (re.compile(r"General Administration of Customs|\bGAC\b|China'?s customs|national customs", re.IGNORECASE), "customs"),
        (re.compile(r"\b(?:Chongqing|Khorgos|Horgos|Xinjiang|Urumqi|Shanghai|Tianjin)\s+Customs\b", re.IGNORECASE), "local_customs"),
    ),
    # "730,000 vehicles to Russia", "4,545 cars in Russia", "sales to ASEAN member nations soared 270 percent to 54,000
    # units": a figure for one destination market, not the exporter's total
    market_after=re.compile(rf"^\s*\)?\s*(?:(?:were|was|exported|shipped|sold|delivered)\s+){{0,2}}{_MARKET}"),
    # "exports to Russia, its top market, reached", "the UAE took second place, with 367,796 vehicles shipped"
    market_before=re.compile(
        rf"\b(?i:exports?|sales|shipments|exported|shipped|sold|deliveries)\s+(?:of\s+\S+\s+)?{_MARKET}(?:(?!\b(?i:while|whereas|total|overall)\b)[^;])*$"
        rf"|^\s*In\s+(?:the\s+)?(?:{_markets()}),[^;]*$"
        rf"|\b(?:{_markets()})\s+(?:was|is|became|remained|ranked|took|taking|came|led|received|imported|importing|bought|accounted)\b[^;]*$"
        rf"|\b(?:with|was|were)\s+(?:the\s+)?(?:{_markets()})\b[^;]*$"
    ),
    market_name=re.compile(rf"\b(?:{_markets()})\b"),
    # another exporter: "surpassing Japan's 4.42 million vehicles", "while Japan exported 954,185 vehicles"
    other_exporter_before=re.compile(
        rf"\b(?:{_markets()})(?:'s|’s)\s+(?:[\w-]+\s+){{0,3}}$"
        rf"|\b(?:{_markets()})\s+(?:exported|exports|shipped|sold|with|at)\b[^;]*$"
        rf"|\b(?i:ahead of|surpassing|overtaking|outpacing|behind|than|versus|vs\.?)\s+(?:the\s+)?(?:{_markets()})\b[^;]*$"
    ),
    segment_reference=re.compile(r"\b(?:these|such) (?:vehicles|cars|models)\b", re.IGNORECASE),
    # "new energy cars, including battery-electric cars and plug-in hybrids," "NEVs - comprising electric vehicles, plug-in
    # hybrids, and hydrogen vehicles -": the kinds a segment is made of, listed, are no segment of their own
    segment_aside=re.compile(
        r"\b(?:including|comprising|which include[sd]?|such as)\s+(?:(?:and\s+)?(?:pure(?:ly)?[- ]|battery[- ])?"
        r"(?:electric|plug[- ]?in hybrid|hybrid|hydrogen|fuel[- ]cell|BEV|PHEV)\w*(?:\s+(?:electric\s+)?(?:vehicles?|cars?|models?))?\s*,?\s*)+",
        re.IGNORECASE,
    ),
    segments=(
        (
            re.compile(r"electric and plug[- ]?in hybrid|plug[- ]?in hybrids? and (?:pure |battery[- ])?electric", re.IGNORECASE),
            "new energy vehicles",
        ),
        # kinds of new energy vehicle no series keeps apart: "battery electric vehicles (BEV) accounting for 1.13 million units"
        (
            re.compile(r"battery[- ]electric|pure(?:ly)?[- ]electric|\bBEVs?\b|plug[- ]?in hybrid|\bPHEVs?\b", re.IGNORECASE),
            "battery electric or plug-in hybrid vehicles",
        ),
        (re.compile(r"new[ -]energy|\bNEVs?\b|electric vehicles?\b", re.IGNORECASE), "new energy vehicles"),
        (re.compile(r"passenger (?:car|vehicle)s?", re.IGNORECASE), "passenger vehicles"),
        # parts of the total no series of ours keeps: proposed with no series (parts and components: left out)
        (re.compile(r"commercial vehicles?|\b(?:trucks and buses|buses and trucks)\b", re.IGNORECASE), "commercial vehicles"),
        (
            re.compile(
                r"(?:traditional|conventional) (?:fuel )?(?:vehicles?|cars?)|internal[- ]combustion|\bICE\b|fuel[- ]powered|gasoline|petrol",
                re.IGNORECASE,
            ),
            "conventional vehicles",
        ),
        (re.compile(r"\b(?:auto |car |vehicle )?parts\b|\bcomponents\b", re.IGNORECASE), "parts and components"),
    ),
    vehicle_segments=("battery electric or plug-in hybrid vehicles", "commercial vehicles", "conventional vehicles"),
)
