"""U.S. states named in a question: a question about a state the guide never names is one it
cannot answer for that state ("Can MAs start IVs in Florida?")."""

from __future__ import annotations

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
_SPELLING = {tuple(state.lower().split()): state for state in US_STATES}
_LONGEST = max(len(words) for words in _SPELLING)


def states_named(text: str) -> list[str]:
    """The U.S. states a text names, in their usual spelling, in order of first mention (the longest
    name first, so "West Virginia" is one state, not "Virginia")."""
    words = [w.strip(".,;:!?()\"'") for w in text.lower().split()]
    found: list[str] = []
    i = 0
    while i < len(words):
        for n in range(_LONGEST, 0, -1):
            state = _SPELLING.get(tuple(words[i : i + n]))
            if state:
                found.append(state)
                i += n - 1
                break
        i += 1
    return list(dict.fromkeys(found))
