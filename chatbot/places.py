"""U.S. states named in a question: a question about a state the guide never names is one it
cannot answer for that state ("Can MAs start IVs in Florida?")."""

from __future__ import annotations

import re

US_STATES = (
    "Alabama",
    "Alaska",
    "Arizona",
    "Arkansas",
    "California",
    "Colorado",
    "Connecticut",
    "Delaware",
    "Florida",
    "Georgia",
    "Hawaii",
    "Idaho",
    "Illinois",
    "Indiana",
    "Iowa",
    "Kansas",
    "Kentucky",
    "Louisiana",
    "Maine",
    "Maryland",
    "Massachusetts",
    "Michigan",
    "Minnesota",
    "Mississippi",
    "Missouri",
    "Montana",
    "Nebraska",
    "Nevada",
    "New Hampshire",
    "New Jersey",
    "New Mexico",
    "New York",
    "North Carolina",
    "North Dakota",
    "Ohio",
    "Oklahoma",
    "Oregon",
    "Pennsylvania",
    "Rhode Island",
    "South Carolina",
    "South Dakota",
    "Tennessee",
    "Texas",
    "Utah",
    "Vermont",
    "Virginia",
    "Washington",
    "West Virginia",
    "Wisconsin",
    "Wyoming",
    "District of Columbia",
)
# longest first, so "West Virginia" is one state, not "Virginia"
_STATE = re.compile(r"\b(" + "|".join(sorted(map(re.escape, US_STATES), key=len, reverse=True)) + r")\b", re.I)


_SPELLING = {state.lower(): state for state in US_STATES}


def states_named(text: str) -> list[str]:
    """The U.S. states a text names, in their usual spelling, in order of first mention."""
    return list(dict.fromkeys(_SPELLING[m.lower()] for m in _STATE.findall(text)))
