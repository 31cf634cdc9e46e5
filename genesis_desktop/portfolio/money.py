"""Exact money: integer minor units with an ISO 4217 currency, and dated conversions.

Amounts are never floats. A file or a form gives a decimal text in major units ("1500000.50");
`parse_amount` turns it into minor units of its currency and refuses anything that is not exact.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

# Active ISO 4217 codes and their minor-unit digits. Codes not listed here are refused, so a typo
# ("USDD", "YEN") is caught at import rather than stored.
_DIGITS_0 = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_DIGITS_3 = "BHD IQD JOD KWD LYD OMR TND"
_DIGITS_4 = "CLF UYW"
_DIGITS_2 = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN "
    "BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP "
    "GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP "
    "LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR "
    "NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN "
    "SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UZS VED VES WST XCD XCG YER ZAR ZMW ZWG"
)
CURRENCY_DIGITS: dict[str, int] = {
    **{c: 2 for c in _DIGITS_2.split()},
    **{c: 0 for c in _DIGITS_0.split()},
    **{c: 3 for c in _DIGITS_3.split()},
    **{c: 4 for c in _DIGITS_4.split()},
}


class MoneyError(ValueError):
    """A value that is not valid money; the message states the rule that was broken."""


def check_currency(code: object) -> str:
    if not isinstance(code, str) or code not in CURRENCY_DIGITS:
        raise MoneyError(f"currency must be an ISO 4217 code such as USD or JPY, got {code!r}")
    return code


def minor_digits(currency: str) -> int:
    return CURRENCY_DIGITS[check_currency(currency)]


def parse_amount(text: object, currency: str, *, allow_negative: bool = False) -> int:
    """Major-unit text (or int/Decimal) to integer minor units, exactly, or MoneyError."""
    digits = minor_digits(currency)
    if isinstance(text, bool) or text is None:
        raise MoneyError(f"amount must be a number, got {text!r}")
    if isinstance(text, float):
        # Spreadsheets hand over floats; accept them only when they are exact at the currency's
        # precision (1500000.5 is fine in USD, 0.1 + 0.2 is not).
        text = repr(text)
    raw = str(text).strip().replace(",", "").replace("_", "")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise MoneyError(f"amount must be a number, got {text!r}") from None
    if not value.is_finite():
        raise MoneyError(f"amount must be a finite number, got {text!r}")
    if value < 0 and not allow_negative:
        raise MoneyError(f"amount must not be negative, got {text!r}")
    scaled = value.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{currency} has {digits} decimal places; {text!r} has more")
    return int(scaled)


def to_major(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_digits(currency))


def format_amount(minor: int, currency: str) -> str:
    """Plain major-unit text that `parse_amount` reads back exactly ("1500000.50")."""
    digits = minor_digits(currency)
    return f"{to_major(minor, currency):.{digits}f}"


def format_grouped(minor: int, currency: str) -> str:
    """Text for people: thousands grouped, the currency's own decimals ("1,500,000.50")."""
    return f"{to_major(minor, currency):,.{minor_digits(currency)}f}"


@dataclass(frozen=True, order=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        check_currency(self.currency)
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise MoneyError(f"minor units must be an integer, got {self.minor!r}")

    @classmethod
    def parse(cls, text: object, currency: str) -> "Money":
        return cls(parse_amount(text, currency, allow_negative=True), currency)

    @property
    def major(self) -> Decimal:
        return to_major(self.minor, self.currency)

    def _same(self, other: "Money") -> None:
        if self.currency != other.currency:
            raise MoneyError(f"cannot combine {self.currency} with {other.currency} without a rate")

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def __neg__(self) -> "Money":
        return Money(-self.minor, self.currency)

    def convert(self, rate: Decimal, currency: str) -> "Money":
        """Convert at `rate` units of `currency` per one unit of this currency, rounding half-even."""
        major = (self.major * Decimal(rate)).quantize(
            Decimal(1).scaleb(-minor_digits(currency)), rounding=ROUND_HALF_EVEN
        )
        return Money(int(major.scaleb(minor_digits(currency))), currency)

    def __str__(self) -> str:
        return f"{format_grouped(self.minor, self.currency)} {self.currency}"


@dataclass(frozen=True)
class Rate:
    """A dated exchange rate: one `base` buys `value` of `quote`, as published on `on` by `source`."""

    base: str
    quote: str
    value: Decimal
    on: date
    source: str = ""


class RateBook:
    """Dated rates; `rate(base, quote, on)` uses the latest rate published on or before `on`.

    A missing direct rate is taken from the inverse when that is known. It never guesses beyond
    that: a conversion with no rate raises MoneyError naming the pair and date.
    """

    def __init__(self, rates: list[Rate] | tuple[Rate, ...] = ()) -> None:
        self._by_pair: dict[tuple[str, str], list[Rate]] = {}
        for r in rates:
            self.add(r)

    def add(self, r: Rate) -> None:
        series = self._by_pair.setdefault((r.base, r.quote), [])
        series.append(r)
        series.sort(key=lambda x: x.on)

    def _latest(self, base: str, quote: str, on: date) -> Rate | None:
        best = None
        for r in self._by_pair.get((base, quote), ()):
            if r.on <= on:
                best = r
        return best

    def rate(self, base: str, quote: str, on: date) -> Rate:
        check_currency(base)
        check_currency(quote)
        if base == quote:
            return Rate(base, quote, Decimal(1), on, "identity")
        direct = self._latest(base, quote, on)
        if direct is not None:
            return direct
        inverse = self._latest(quote, base, on)
        if inverse is not None:
            return Rate(base, quote, Decimal(1) / inverse.value, inverse.on, f"inverse of {inverse.source}".strip())
        raise MoneyError(f"no {base}/{quote} exchange rate on or before {on.isoformat()}")

    def convert(self, money: Money, quote: str, on: date) -> tuple[Money, Rate]:
        r = self.rate(money.currency, quote, on)
        return money.convert(r.value, quote), r
