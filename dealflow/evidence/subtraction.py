"""What subtraction finds: bounds on the figures of one sum, pushed from the total to its parts and back.

The fast first pass of disclosure control (`privacy`); `exact` then asks about all the sums at once.
"""

from __future__ import annotations

import math


def narrow_sum(total: int, parts: tuple[int, ...], low: list[float], high: list[float]) -> bool:
    """One pass over one sum: the total from its parts, then each part from the total and the other parts.

    Narrows low and high in place and says whether anything changed.
    """
    changed = False
    low_sum, finite_high, open_ended = 0.0, 0.0, 0
    for p in parts:
        low_sum += low[p]
        if high[p] == math.inf:
            open_ended += 1
        else:
            finite_high += high[p]
    high_sum = math.inf if open_ended else finite_high
    if low_sum > low[total]:
        low[total], changed = low_sum, True
    if high_sum < high[total]:
        high[total], changed = high_sum, True
    t_low, t_high = low[total], high[total]
    for p in parts:
        p_low, p_high = low[p], high[p]
        if p_high == math.inf:
            others_high = math.inf if open_ended > 1 else finite_high
        else:
            others_high = math.inf if open_ended else finite_high - p_high
        new_low, new_high = t_low - others_high, t_high - (low_sum - p_low)
        if new_low > p_low:
            low[p], low_sum, changed = new_low, low_sum + new_low - p_low, True
        if new_high < p_high:
            high[p], changed = new_high, True
            if p_high == math.inf:
                open_ended -= 1
                finite_high += new_high
            else:
                finite_high += new_high - p_high
    return changed
