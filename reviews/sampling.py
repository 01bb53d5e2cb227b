"""The county's random sample for its re-diagnosis (回诊), reproducible by anyone from the rule and the seed.

The draw: sort the campaign's villages by code, group them by township (the first 9 digits), and walk the
townships in code order with one ``random.Random(seed)``, taking ``max(minimum, ceil(share × n))`` villages
(at most n) from each with ``rng.sample``. The same villages, share, minimum and seed always give the same
sample, on any machine running CPython 3.
"""

import math
import random
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal


def sample_sizes(codes: Iterable[str], *, share: Decimal, minimum: int) -> dict[str, int]:
    """How many villages each township gives: {township prefix: count}."""
    counts: dict[str, int] = defaultdict(int)
    for code in codes:
        counts[code[:9]] += 1
    return {t: min(n, max(minimum, math.ceil(share * n))) for t, n in sorted(counts.items())}


def draw_sample(codes: Iterable[str], *, share: Decimal, minimum: int, seed: int) -> list[str]:
    """The village codes drawn, sorted."""
    by_township: dict[str, list[str]] = defaultdict(list)
    for code in sorted(set(codes)):
        by_township[code[:9]].append(code)
    sizes = sample_sizes((c for v in by_township.values() for c in v), share=share, minimum=minimum)
    rng = random.Random(seed)  # noqa: S311 - a published, reproducible audit sample; secrecy is not the point
    drawn: list[str] = []
    for township in sorted(by_township):
        drawn += rng.sample(by_township[township], sizes[township])
    return sorted(drawn)
