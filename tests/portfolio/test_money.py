from datetime import date
from decimal import Decimal

import pytest

from genesis_desktop.portfolio.money import (
    Money, MoneyError, Rate, RateBook, check_currency, format_amount, parse_amount,
)


@pytest.mark.parametrize("text, currency, minor", [
    ("1500000.50", "USD", 150000050),
    ("1,500,000", "USD", 150000000),
    ("150000000", "JPY", 150000000),
    ("0", "USD", 0),
    (750000, "USD", 75000000),
    (1500000.5, "USD", 150000050),
    (Decimal("12.345"), "KWD", 12345),
])
def test_parse_amount_is_exact(text, currency, minor):
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize("text, currency, rule", [
    ("12.345", "USD", "USD has 2 decimal places"),
    ("100.5", "JPY", "JPY has 0 decimal places"),
    ("-5", "USD", "must not be negative"),
    ("ten", "USD", "must be a number"),
    ("", "USD", "must be a number"),
    ("nan", "USD", "finite"),
    ("inf", "USD", "finite"),
    (None, "USD", "must be a number"),
    (True, "USD", "must be a number"),
    (0.1 + 0.2, "USD", "USD has 2 decimal places"),
    ("5", "USDD", "ISO 4217"),
    ("5", "yen", "ISO 4217"),
])
def test_parse_amount_refuses_with_the_rule(text, currency, rule):
    with pytest.raises(MoneyError, match=rule):
        parse_amount(text, currency)


def test_negative_allowed_only_when_asked():
    assert parse_amount("-2.50", "USD", allow_negative=True) == -250


@pytest.mark.parametrize("minor, currency, text", [
    (150000050, "USD", "1500000.50"), (150000000, "JPY", "150000000"), (5, "USD", "0.05"), (12345, "KWD", "12.345"),
])
def test_format_round_trips(minor, currency, text):
    assert format_amount(minor, currency) == text
    assert parse_amount(text, currency) == minor


def test_money_arithmetic_keeps_currency():
    a, b = Money(1000, "USD"), Money(250, "USD")
    assert a + b == Money(1250, "USD")
    assert a - b == Money(750, "USD")
    assert -a == Money(-1000, "USD")
    with pytest.raises(MoneyError, match="without a rate"):
        a + Money(1, "JPY")
    assert str(Money(150000050, "USD")) == "1,500,000.50 USD"


def test_money_refuses_non_integer_minor_units_and_unknown_currency():
    with pytest.raises(MoneyError):
        Money(1.5, "USD")
    with pytest.raises(MoneyError):
        Money(1, "XXX1")
    assert check_currency("JPY") == "JPY"


def test_conversion_rounds_half_even_to_the_target_precision():
    # JPY has no minor unit: halves go to the even yen.
    assert Money(10050, "USD").convert(Decimal("15"), "JPY") == Money(1508, "JPY")  # 100.50*15 = 1507.5 -> 1508
    assert Money(10150, "USD").convert(Decimal("15"), "JPY") == Money(1522, "JPY")  # 101.50*15 = 1522.5 -> 1522
    assert Money(150000000, "JPY").convert(Decimal(1) / Decimal(150), "USD") == Money(100000000, "USD")


def test_ratebook_uses_the_latest_rate_on_or_before_the_date():
    book = RateBook([
        Rate("USD", "JPY", Decimal("150"), date(2026, 1, 1), "a"),
        Rate("USD", "JPY", Decimal("155"), date(2026, 6, 1), "b"),
    ])
    assert book.rate("USD", "JPY", date(2026, 5, 31)).value == Decimal("150")
    assert book.rate("USD", "JPY", date(2026, 6, 1)).value == Decimal("155")
    converted, rate = book.convert(Money(1_000_000_000, "JPY"), "USD", date(2026, 6, 4))
    assert rate.on == date(2026, 6, 1) and "inverse" in rate.source
    assert converted == Money(645161290, "USD")  # 1,000,000,000 JPY / 155 = 6,451,612.903 -> 6,451,612.90 USD
    assert book.rate("USD", "USD", date(2020, 1, 1)).value == 1


def test_ratebook_refuses_to_guess():
    book = RateBook([Rate("USD", "JPY", Decimal("150"), date(2026, 1, 1))])
    with pytest.raises(MoneyError, match="no USD/JPY exchange rate on or before 2025-12-31"):
        book.rate("USD", "JPY", date(2025, 12, 31))
    with pytest.raises(MoneyError, match="no USD/EUR"):
        book.rate("USD", "EUR", date(2026, 2, 1))


@pytest.mark.parametrize("minor, currency, text", [
    (29376000000, "USD", "293,760,000.00"), (73250000000, "JPY", "73,250,000,000"), (5, "USD", "0.05"),
])
def test_format_grouped_is_for_people(minor, currency, text):
    from genesis_desktop.portfolio.money import format_grouped

    assert format_grouped(minor, currency) == text
