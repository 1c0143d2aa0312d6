"""Numbers in Indonesian words ("terbilang"), as printed under an invoice total."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_UNITS = [
    "nol",
    "satu",
    "dua",
    "tiga",
    "empat",
    "lima",
    "enam",
    "tujuh",
    "delapan",
    "sembilan",
    "sepuluh",
    "sebelas",
]
_SCALES = [(10**12, "triliun"), (10**9, "miliar"), (10**6, "juta"), (10**3, "ribu")]
LIMIT = 10**15


def _below_thousand(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds == 1:
        words.append("seratus")
    elif hundreds > 1:
        words += [_UNITS[hundreds], "ratus"]
    if rest == 0:
        return words
    if rest < 12:
        words.append(_UNITS[rest])
    elif rest < 20:
        words += [_UNITS[rest - 10], "belas"]
    else:
        tens, ones = divmod(rest, 10)
        words += [_UNITS[tens], "puluh"]
        if ones:
            words.append(_UNITS[ones])
    return words


def terbilang(n: int) -> str:
    """0 -> "nol", 1_500_000 -> "satu juta lima ratus ribu", 1000 -> "seribu" (up to 999 triliun)."""
    if isinstance(n, bool) or int(n) != n:
        raise ValueError(f"terbilang takes a whole number, not {n!r}")
    n = int(n)
    if n < 0 or n >= LIMIT:
        raise ValueError(f"terbilang takes 0 to {LIMIT - 1}, not {n}")
    if n == 0:
        return "nol"
    words: list[str] = []
    for size, name in _SCALES:
        count, n = divmod(n, size)
        if count:
            words += ["seribu"] if count == 1 and size == 1000 else [*_below_thousand(count), name]
    words += _below_thousand(n)
    return " ".join(words)


def rupiah_in_words(amount: Decimal | int) -> str:
    """Decimal("1500000") -> "Satu juta lima ratus ribu rupiah" (rounded to whole rupiah, half up)."""
    rupiah = int(Decimal(amount).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    text = f"{terbilang(abs(rupiah))} rupiah"
    if rupiah < 0:
        text = f"minus {text}"
    return text[0].upper() + text[1:]
