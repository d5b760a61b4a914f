"""Personal details taken out of a question before it is stored (the answer is computed from the
text as typed; only the stored copy is scrubbed).

What is replaced, in this order, by careful regular expressions (no library: the formats are few
and a table of tests says exactly what is caught):

- e-mail addresses (`name@example.org`, `first.last+tag@mail.example.co.uk`) → `[email]`;
- phone numbers: 10 to 15 digits written as a phone number is (an optional `+` and country code,
  groups split by spaces, dots, dashes or brackets: `(555) 123-4567`, `555.123.4567`,
  `+44 20 7946 0958`, `+1-555-123-4567`), and 7-digit local numbers written `555-1234` → `[phone]`;
- social security numbers written `123-45-6789`, card numbers in groups of four
  (`4111 1111 1111 1111`), and any run of 7 or more digits (an account,
  card, ID or unformatted phone number, `123456789`) → `[number]`.

Left as they are: years, ages, pay (`$38,270`, `2024`, `20 hours`), readings such as `173/91`,
short codes and ZIP codes (5 digits), which the guide's questions need and which name no one.
"""

from __future__ import annotations

import re

MARGIN = 320  # characters kept past a limit before scrubbing, so a cut never splits an address left unscrubbed
EMAIL = "[email]"
PHONE = "[phone]"
NUMBER = "[number]"

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_SEP = r"[ .\-]?"
_PHONE = re.compile(
    r"(?<![\w+])"
    r"(?:\+\d{1,3}" + _SEP + r")?"  # country code
    r"(?:\(\d{2,5}\)" + _SEP + r"|\d{2,5}" + _SEP + r")"  # area code, bracketed or not
    r"\d{3,4}" + _SEP + r"\d{3,4}"
    r"(?!\w)"
)
_LOCAL_PHONE = re.compile(r"(?<![\w-])\d{3}-\d{4}(?![\w-])")
_SSN = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])")
_CARD = re.compile(r"(?<![\w-])\d{4}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,4})?(?![\w-])")
_DIGITS = re.compile(r"\d{7,}")


def scrub(text: str) -> str:
    """`text` with e-mail addresses, phone numbers and long digit runs replaced by placeholders."""
    text = _EMAIL.sub(EMAIL, text)
    text = _SSN.sub(NUMBER, text)
    text = _CARD.sub(NUMBER, text)
    text = _PHONE.sub(_phone, text)
    text = _LOCAL_PHONE.sub(PHONE, text)
    return _DIGITS.sub(NUMBER, text)


def scrubbed(text: str, limit: int | None = None) -> str:
    """`scrub(text)` cut to `limit` characters (scrubbed before the cut, from a prefix `MARGIN` longer)."""
    if limit is None:
        return scrub(text)
    return scrub(text[: limit + MARGIN])[:limit]


def _phone(match: re.Match) -> str:
    """A phone number when it has 10 to 15 digits (fewer: a date, a range or a figure, left alone)."""
    digits = sum(c.isdigit() for c in match.group())
    return PHONE if 10 <= digits <= 15 else match.group()
