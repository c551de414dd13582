"""PII detectors for single cell values, each with the validation that keeps false positives down.

A regular expression alone flags every 16-digit order number as a card and every version string
as an address, so each detector confirms its candidate: cards by the Luhn checksum and a known
issuer prefix, IBANs by their country length and mod-97 checksum, IP addresses by ``ipaddress``,
SSNs and NINOs by the ranges their issuers never use. Values are only ever counted and masked;
nothing here returns a raw match to its caller except through ``mask``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator

EMAIL = re.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b"
)
# International (+country) numbers, or national formats with separators; bare digit runs are not phones.
PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}"
    r"|\(\d{3}\)\s?\d{3}[\s.-]\d{4}"
    r"|\b\d{3}[.-]\d{3}[.-]\d{4}"
    r"|\b0\d{2,4}\s\d{3,4}\s\d{3,4})(?![\w])"
)
CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
SSN = re.compile(r"(?<!\d)(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?!\d)")
NINO = re.compile(
    r"(?<![A-Za-z0-9])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]"
    r"\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D](?![A-Za-z0-9])"
)
IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:\s?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
IPV6 = re.compile(r"(?<![0-9A-Fa-f:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])")

# ISO 13616 lengths for the countries most often seen; others need 15-34 characters.
IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28,
    "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31,
    "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
}  # fmt: skip


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _card_prefix_ok(digits: str) -> bool:
    """Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro issuer ranges."""
    n = len(digits)
    two, four = int(digits[:2]), int(digits[:4])
    return (
        (digits[0] == "4" and n in (13, 16, 19))
        or (51 <= two <= 55 and n == 16)
        or (2221 <= four <= 2720 and n == 16)
        or (two in (34, 37) and n == 15)
        or ((digits.startswith("6011") or two == 65) and n in (16, 19))
        or (3528 <= four <= 3589 and n in (16, 19))
        or (two in (36, 38, 39) and n == 14)
        or (two == 62 and 16 <= n <= 19)
        or (two in (50, 56, 57, 58, 63, 67) and 12 <= n <= 19)
    )


def card_ok(candidate: str) -> bool:
    digits = re.sub(r"[ -]", "", candidate)
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    return _card_prefix_ok(digits) and luhn_ok(digits)


def iban_ok(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    country = compact[:2]
    expected = IBAN_LENGTHS.get(country)
    if expected is not None and len(compact) != expected:
        return False
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def ipv4_ok(candidate: str) -> bool:
    try:
        ipaddress.IPv4Address(candidate)
    except ValueError:
        return False
    return True


def ipv6_ok(candidate: str) -> bool:
    if candidate.count(":") < 2 or not any(c.isalnum() for c in candidate):
        return False
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False
    return True


def phone_ok(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    return 7 <= len(digits) <= 15


Validator = Callable[[str], bool]
DETECTORS: dict[str, tuple[re.Pattern[str], Validator | None]] = {
    "email": (EMAIL, None),
    "card_number": (CARD, card_ok),
    "iban": (IBAN, iban_ok),
    "us_ssn": (SSN, None),
    "uk_nino": (NINO, None),
    "ipv4": (IPV4, ipv4_ok),
    "ipv6": (IPV6, ipv6_ok),
    "phone": (PHONE, phone_ok),
}
PII_TYPES = tuple(DETECTORS)
MAX_CELL = 10_000  # characters of a cell that are inspected


def find(value: str, types: tuple[str, ...] = PII_TYPES) -> Iterator[tuple[str, str]]:
    """(type, matched text) for every validated PII match; a span claimed once is not re-counted.

    Order matters: cards and IBANs are claimed before phone numbers, which their digit runs
    would otherwise also match.
    """
    text = value[:MAX_CELL]
    taken: list[tuple[int, int]] = []
    for kind in types:
        pattern, validate = DETECTORS[kind]
        for m in pattern.finditer(text):
            start, end = m.span()
            if any(s < end and start < e for s, e in taken):
                continue
            candidate = m.group(0).strip()
            if validate is not None and not validate(candidate):
                continue
            taken.append((start, end))
            yield kind, candidate


def mask(kind: str, value: str) -> str:
    """A shape-preserving mask that no longer identifies anyone."""
    if kind == "email":
        local, _, domain = value.partition("@")
        tld = domain.rsplit(".", 1)[-1]
        return f"{local[:1]}***@***.{tld}"
    if kind == "ipv4":
        return value.split(".", 1)[0] + ".*.*.*"
    if kind == "ipv6":
        return value.split(":", 1)[0] + ":****:…"
    keep_tail = 2 if kind in ("card_number", "iban") else 0
    keep_head = 2 if kind == "iban" else 0
    chars = list(value)
    alnum = [i for i, c in enumerate(chars) if c.isalnum()]
    hidden = alnum[keep_head : len(alnum) - keep_tail if keep_tail else None]
    for i in hidden:
        chars[i] = "*"
    return "".join(chars)
