"""Disclosure control for every published aggregate: the public dashboard and the open-data aggregate files.

One set of rules, applied by `Disclosure` to whatever figures a publication shows and to the sums that
tie them together (a total row; the same total split by region, by origin, by sector, by month; a
month's matches and those of them outside the main hubs; a slice and the rollup cells it adds up):

1. Primary suppression. A count of 1 or 2 could point at one founder or one investor: it is shown
   as "<3". Zero and counts of 3 or more are shown as they are.
2. Secondary suppression. Anyone can subtract the visible parts of a sum from its total, so every
   sum is checked the way a person with a calculator would: bounds are pushed through each sum until
   nothing changes (a shown figure is exact, "<3" is 1 or 2, "x" is at least 1, a figure that is not
   published at all is at least 0). Wherever a small count would come out exact, one more figure is
   hidden as "x": in a sum that gives it away, the smallest part shown, else the total (never one
   that another sum of shown figures gives away anyway); a "<3" total over two small parts is
   widened to "x"; where such a sum has nothing left, the search goes further out along the sums
   that reach it. This repeats until no small count can be worked out.
3. Money follows counts. A sum of money is hidden whenever its count is; a total sum is hidden
   whenever any sum it adds up is; and the same check then runs on the sums of money.

4. The exact check. Steps 2 and 3 follow sums one at a time, as subtraction does; then every group
   of figures tied by sums is handed to a solver (`exact`, integer linear programming) with every
   sum at once, the way a stranger with a solver would: a shown figure is exact, "<3" is 1 or 2,
   "x" at least 1 (0 for money), an unpublished figure at least 0. Each count of 1 or 2 must still
   be able to take another whole value (a "<3" both 1 and 2), and, reading the sums alone with every
   figure not shown at least 0 (the markers not read), 0 or a value of 3 or more; a hidden sum of
   money of a small count must be able to be 10% lower or higher. Where one is not, the smallest
   figure shown nearest to it is hidden too, and the check runs again, until none is exposed. Whole
   solutions that push all the small figures away from their values at once prove most of them safe;
   the few left are asked about one by one.

One release is one call of `protect()`: the files (every month) or the page for one period. Figures
of different releases (12 months, 3 months, a year, all time on the page; each month in the files)
are sums of the same months and are not checked against one another: the README and the page say
what that leaves open.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from enum import Enum

from dealflow.evidence import exact, subtraction

MIN_SHOWN = 3
SUPPRESSED = "<3"  # a count of 1 or 2
HIDDEN = "x"  # a figure hidden so that a small count cannot be worked out from the figures around it
MAX_ROUNDS = 200  # bounds settle in a few rounds; this only guards against a pathological loop
MAX_TRIALS = 12  # figures tried, nearest first, before simply hiding the nearest
CERTIFY_ROUNDS = 4  # rounds of whole solutions before the figures they leave unproven are asked about one by one
ASKED_ONE_BY_ONE = 8  # at most this many figures left unproven are asked about one by one, each round
TOLERANCE = 1e-6  # the solver's whole numbers are floats
MONEY_MARGIN = 0.1  # a hidden sum of money of a small count could be at least 10% lower or higher

Key = Hashable
Extent = tuple[float, float]
Shown = int | str


def is_suppressed(count: int) -> bool:
    """Whether the count is small enough to identify someone."""
    return 0 < count < MIN_SHOWN


def shown_count(count: int) -> int | str:
    """The count under the primary rule alone: the number itself, or "<3"."""
    return SUPPRESSED if is_suppressed(count) else count


def is_hidden(value: Shown) -> bool:
    """Whether a published value is a marker ("<3" or "x") rather than a figure."""
    return isinstance(value, str)


def shown_share(part: Shown, whole: Shown) -> int | None:
    """A whole-number percentage of two published counts, or None when either is hidden or the whole is 0.

    A share together with its total gives both of its parts away, so it is shown only where the
    part and the rest are shown too (callers pass the part and the whole as published).
    """
    if isinstance(part, str) or isinstance(whole, str) or whole == 0:
        return None
    return round(100 * part / whole)


def format_cents(cents: int) -> str:
    """A sum of money in dollars with cents, as the files write it."""
    return f"{cents // 100}.{cents % 100:02d}"


class _State(Enum):
    SHOWN = "shown"
    SMALL = "small"  # shown as "<3"
    HIDDEN = "hidden"  # shown as "x"
    UNPUBLISHED = "unpublished"  # not printed anywhere, but may be worked out from sums


class Disclosure:
    """The figures of one publication and the sums between them; `protect()` decides what each shows.

    `money=True` protects sums of money: there is no "<3", the caller hides the sums whose counts
    are hidden (`hide`) and names the sensitive ones (those of small counts), a total sum is hidden
    whenever one of its parts is, and a hidden figure is at least 0 rather than 1.
    """

    def __init__(self, *, money: bool = False) -> None:
        self.money = money
        self._values: dict[Key, int] = {}
        self._published: dict[Key, bool] = {}
        self._sensitive: set[Key] = set()
        self._forced: set[Key] = set()
        self._lines: list[tuple[Key, tuple[Key, ...]]] = []
        self._lines_of: dict[Key, list[int]] = {}

    def add(self, key: Key, value: int, *, published: bool = True, sensitive: bool | None = None) -> None:
        """A figure; counts of 1 or 2 are sensitive unless told otherwise (sums of money never are by default)."""
        self._values[key] = value
        self._published[key] = published
        if sensitive if sensitive is not None else (not self.money and is_suppressed(value)):
            self._sensitive.add(key)
        self._lines_of.setdefault(key, [])

    def line(self, total: Key, parts: Iterable[Key]) -> None:
        """A sum anyone can take: `total` is the sum of `parts` (every key added before)."""
        members = tuple(parts)
        index = len(self._lines)
        self._lines.append((total, members))
        for key in (total, *members):
            self._lines_of[key].append(index)

    def hide(self, key: Key) -> None:
        """Hide a published figure whatever its value (a sum of money whose count is hidden)."""
        self._forced.add(key)

    def protect(self) -> Published:
        state: dict[Key, _State] = {}
        for key, value in self._values.items():
            if not self._published[key]:
                state[key] = _State.UNPUBLISHED
            elif key in self._forced:
                state[key] = _State.HIDDEN
            elif not self.money and is_suppressed(value):
                state[key] = _State.SMALL
            else:
                state[key] = _State.SHOWN
        if self.money:
            self._hide_totals_of_hidden_parts(state)
        for keys, lines in self._components():
            _Component(self, keys, lines, state).protect()
        return Published({key: self._shown(key, state[key]) for key in self._values})

    def _shown(self, key: Key, state: _State) -> Shown:
        if state is _State.SHOWN:
            return self._values[key]
        return SUPPRESSED if state is _State.SMALL else HIDDEN

    def _hide_totals_of_hidden_parts(self, state: dict[Key, _State]) -> None:
        changed = True
        while changed:
            changed = False
            for total, parts in self._lines:
                if state[total] is _State.SHOWN and any(state[p] is _State.HIDDEN for p in parts):
                    state[total] = _State.HIDDEN
                    changed = True

    def _components(self) -> list[tuple[list[Key], list[int]]]:
        """Groups of figures tied by sums (one per month and kind in the files), those holding a small count."""
        seen: set[Key] = set()
        components = []
        for start in self._values:
            if start in seen or not self._lines_of[start]:
                continue
            keys, stack, lines_seen = [], [start], set()
            seen.add(start)
            while stack:
                key = stack.pop()
                keys.append(key)
                for index in self._lines_of[key]:
                    if index in lines_seen:
                        continue
                    lines_seen.add(index)
                    total, parts = self._lines[index]
                    for other in (total, *parts):
                        if other not in seen:
                            seen.add(other)
                            stack.append(other)
            if any(key in self._sensitive for key in keys):
                components.append((keys, sorted(lines_seen)))
        return components


class _Component:
    """One group of figures tied by sums, as numbered lists, protected until no small count can be worked out."""

    def __init__(self, owner: Disclosure, keys: list[Key], line_numbers: list[int], state: dict[Key, _State]) -> None:
        self.owner, self.keys, self.shared_state = owner, keys, state
        number = {key: n for n, key in enumerate(keys)}
        self.values = [owner._values[key] for key in keys]
        self.published = [owner._published[key] for key in keys]
        self.state = [state[key] for key in keys]
        self.sensitive = [n for n, key in enumerate(keys) if key in owner._sensitive]
        self.lines: list[tuple[int, tuple[int, ...]]] = []
        self.lines_of: list[list[int]] = [[] for _key in keys]
        for line_number in line_numbers:
            total, parts = owner._lines[line_number]
            line = (number[total], tuple(number[p] for p in parts))
            for member in (line[0], *line[1]):
                self.lines_of[member].append(len(self.lines))
            self.lines.append(line)
        self.floor = 0 if owner.money else 1
        # how many figures of each sum are not shown: a sum with none gives any of its figures away
        self.unshown = [sum(1 for m in (t, *ps) if self.state[m] is not _State.SHOWN) for t, ps in self.lines]

    def set_state(self, n: int, state: _State) -> None:
        before, self.state[n] = self.state[n], state
        change = (state is not _State.SHOWN) - (before is not _State.SHOWN)
        if change:
            for number in self.lines_of[n]:
                self.unshown[number] += change

    def protect(self) -> None:
        while True:
            low, high = self.bounds()
            pinned = [n for n in self.sensitive if low[n] >= high[n]]
            if not pinned:
                break
            if not self._hide_beside(pinned, low, high) and not self._hide_nearest(pinned[0]):
                break  # nothing left to hide: every nonzero figure of the component already is
        self._protect_exactly()
        for key, state in zip(self.keys, self.state, strict=True):
            self.shared_state[key] = state

    # -- the exact pass: every sum at once, as a stranger with a solver would --------------------

    def _protect_exactly(self) -> None:
        """Hide one more figure beside each exposed small count until the solver finds none exposed."""
        relations = exact.Relations(
            len(self.keys), self.lines, whole=not self.owner.money, cap=exact.cap_for(self.values)
        )
        # Hiding a figure only widens what the others can be, so a figure found safe stays safe.
        exposed = [n for n in self.sensitive if not (self.owner.money and self.values[n] == 0)]
        while True:
            exposed = self._uncertified(relations, exposed)
            if len(exposed) <= ASKED_ONE_BY_ONE:  # many left unproven: hide beside them all, ask again after
                exposed = [n for n in exposed if not self.safe(relations, n)]
            if not exposed or not self._hide_around(exposed):
                return

    def _uncertified(self, relations: exact.Relations, figures: list[int]) -> list[int]:
        """The figures that a few whole solutions, each pushing all of them away from their values, leave unproven.

        Any one solution that fits every sum and gives a figure another value proves it can be other, so a
        few solutions (with the markers read: away from each value; unread: all low, then all high; again
        for those still unproven) clear most figures at once, and only the rest are asked about one by one.
        """
        known = [self.prior(m) for m in range(len(self.keys))]
        unread = [(low, low) if low == high else (0.0, math.inf) for low, high in known]
        need_other = set(figures)
        need_wide = set() if self.owner.money else set(figures)
        for _round in range(CERTIFY_ROUNDS):
            before = len(need_other) + len(need_wide)
            if need_other:
                need_other -= self._moved_away(relations, known, need_other)
            if need_wide:
                need_wide -= self._spread(relations, unread, need_wide)
            if len(need_other) + len(need_wide) in (0, before):
                break
        return [n for n in figures if n in need_other or n in need_wide]

    def _step(self, n: int) -> float:
        return max(1.0, MONEY_MARGIN * self.values[n]) if self.owner.money else 1.0

    def _moved_away(self, relations: exact.Relations, known: list[Extent], figures: set[int]) -> set[int]:
        """The figures a solution pushed away from their values moves by at least their step (money: down, then up)."""
        away = [0.0] * len(self.keys)
        for n in figures:
            away[n] = 1.0 if self.owner.money or self.values[n] > 1 else -1.0
        objectives = [away, [-v for v in away]] if self.owner.money else [away]
        moved: set[int] = set()
        for objective in objectives:
            found = relations.solution(known, objective)
            if found is not None:
                moved |= {n for n in figures if abs(found[n] - self.values[n]) >= self._step(n) - TOLERANCE}
        return moved

    def _spread(self, relations: exact.Relations, unread: list[Extent], figures: set[int]) -> set[int]:
        """The counts that solutions of the sums alone put at 0 (all pushed low) or at 3 or more (all pushed high)."""
        ones = [1.0 if n in figures else 0.0 for n in range(len(self.keys))]
        wide: set[int] = set()
        for objective in (ones, [-v for v in ones]):
            found = relations.solution(unread, objective)
            if found is not None:
                wide |= {n for n in figures if found[n] < 0.5 or found[n] > MIN_SHOWN - 0.5}
        return wide

    def safe(self, relations: exact.Relations, n: int) -> bool:
        """Whether the rule holds for one sensitive figure (module docstring, rule 4)."""
        value = self.values[n]
        known = [self.prior(m) for m in range(len(self.keys))]
        if self.owner.money and value == 0:
            return True  # a kind that carries no money: its sums are 0 everywhere, known to all
        if self.state[n] is _State.SHOWN:
            return False
        if self.owner.money:
            return exact.can_be_other_than(relations, known, n, value, max(1.0, MONEY_MARGIN * value))
        if not exact.can_be_other_than(relations, known, n, value, 1):
            return False
        unread = [(low, low) if low == high else (0.0, math.inf) for low, high in known]
        return relations.feasible(unread, n, 0, 0) or relations.feasible(unread, n, MIN_SHOWN, math.inf)

    def _hide_around(self, exposed: list[int]) -> bool:
        """For each exposed figure, hide the smallest shown figure nearest to it (a "<3" widened to "x" if none)."""
        eased: set[int] = set()
        hid = False
        for target in exposed:
            if any(number in eased for number in self.lines_of[target]):
                continue  # a figure beside it was just hidden: the next round sees whether that was enough
            chosen = self._complement(target)
            if chosen is not None:
                self.set_state(chosen, _State.HIDDEN)
                eased.update(self.lines_of[chosen])
                hid = True
        return hid

    def _complement(self, target: int) -> int | None:
        """The smallest figure shown in the nearest sums around the target; else a "<3" there (or itself) to widen."""
        rings = self._rings(target)
        for wanted in (_State.SHOWN, _State.SMALL):
            for ring in rings:
                found = [n for number in ring for n in self._shown_in(self.lines[number], wanted) if n != target]
                if found:
                    return min(found, key=lambda n: self.values[n])
        return target if self._can_hide(target, _State.SMALL) else None

    def prior(self, n: int) -> tuple[float, float]:
        """What anyone knows of a figure from its own cell: its number, 1 to 2, at least 1 (0 for money), or nothing."""
        state = self.state[n]
        if state is _State.SHOWN:
            return self.values[n], self.values[n]
        if state is _State.SMALL:
            return 1, MIN_SHOWN - 1
        return (self.floor if state is _State.HIDDEN else 0), math.inf

    def bounds(self) -> tuple[list[float], list[float]]:
        """The narrowest [low, high] of every figure that the sums allow, pushed through them until nothing changes."""
        priors = [self.prior(n) for n in range(len(self.keys))]
        low, high = [p[0] for p in priors], [p[1] for p in priors]
        for _round in range(MAX_ROUNDS):
            changed = False
            for total, parts in self.lines:
                changed = subtraction.narrow_sum(total, parts, low, high) or changed
            if not changed:
                break
        return low, high

    def _pins(self, line: tuple[int, tuple[int, ...]], target: int, low: list[float], high: list[float]) -> bool:
        """Whether this sum alone, with what is known of its other figures, gives the target exactly."""
        total, parts = line
        own_low, own_high = self.prior(target)
        if target == total:
            found = (sum(low[p] for p in parts), sum(high[p] for p in parts))
        else:
            others = [p for p in parts if p != target]
            found = (low[total] - sum(high[p] for p in others), high[total] - sum(low[p] for p in others))
        return max(own_low, found[0]) >= min(own_high, found[1])

    def _shown_in(self, line: tuple[int, tuple[int, ...]], wanted: _State = _State.SHOWN) -> list[int]:
        """The line's published nonzero figures in a state: its parts smallest first, then its total."""
        total, parts = line
        found = sorted((self.values[p], p) for p in parts if self._can_hide(p, wanted))
        return [p for _value, p in found] + ([total] if self._can_hide(total, wanted) else [])

    def _can_hide(self, n: int, wanted: _State) -> bool:
        return self.state[n] is wanted and self.published[n] and self.values[n] != 0

    def _hide_beside(self, pinned: list[int], low: list[float], high: list[float]) -> bool:
        """For each small count given away, hide the smallest figure shown beside it in a sum that gives it away.

        One figure per small count and round, none in a sum already eased this round, and none that
        another sum of shown figures gives away anyway (hiding it would change nothing). Where the
        sum has nothing shown but its total is "<3", that total is widened to "x"; where it has
        nothing at all, the hidden figures in it that still come out exact are followed outwards.
        """
        eased: set[int] = set()
        hid = False
        for target in pinned:
            if any(number in eased for number in self.lines_of[target]):
                continue  # a figure beside it was just hidden: see next round whether that was enough
            queue, visited = [target], {target}
            while queue:
                chosen = self._beside(queue.pop(0), low, high, visited, queue)
                if chosen is not None:
                    self.set_state(chosen, _State.HIDDEN)
                    eased.update(self.lines_of[chosen])
                    hid = True
                    break
        return hid

    def _beside(
        self, current: int, low: list[float], high: list[float], visited: set[int], queue: list[int]
    ) -> int | None:
        """A figure to hide in a sum that gives `current` away, or None (queueing the exact figures in those sums)."""
        for number in self.lines_of[current]:
            line = self.lines[number]
            if not self._pins(line, current, low, high):
                continue
            total, parts = line
            candidates = [n for n in self._shown_in(line) if n != current and not self._given_away(n, number)]
            over_small_parts = sum(1 for n in parts if self.values[n]) > 1
            if not candidates and total != current and over_small_parts and self._can_hide(total, _State.SMALL):
                candidates = [total]  # a "<3" total over two small parts gives them away: it becomes "x"
            if candidates:
                return candidates[0]
            for n in (total, *parts):
                if n not in visited and self.state[n] is not _State.SHOWN and low[n] >= high[n]:
                    visited.add(n)
                    queue.append(n)
        return None

    def _given_away(self, n: int, besides: int) -> bool:
        """Whether another sum gives this figure exactly from figures that are shown."""
        own = self.state[n] is not _State.SHOWN
        return any(number != besides and self.unshown[number] == own for number in self.lines_of[n])

    def _hide_nearest(self, target: int) -> bool:
        """Where the sums around it have nothing shown left, reach further out; widen a "<3" to "x" if need be.

        Tries the figures nearest first and keeps the first that stops the target coming out
        exact; if none does alone, hides the nearest and lets the next round go on from there.
        """
        rings = self._rings(target)
        for wanted in (_State.SHOWN, _State.SMALL):
            found = [n for ring in rings for number in ring for n in self._shown_in(self.lines[number], wanted)]
            candidates = [n for n in dict.fromkeys(found) if n != target]
            if target in found:
                candidates.append(target)  # widening the small count itself comes last
            for n in candidates[:MAX_TRIALS]:
                self.set_state(n, _State.HIDDEN)
                low, high = self.bounds()
                if low[target] < high[target]:
                    return True
                self.set_state(n, wanted)
            if candidates:
                self.set_state(candidates[0], _State.HIDDEN)
                return True
        return False

    def _rings(self, target: int) -> list[list[int]]:
        """The sums around a figure, nearest first: those it is in, then those reached through figures not shown."""
        rings: list[list[int]] = []
        seen_lines: set[int] = set()
        frontier, seen = [target], {target}
        while frontier:
            ring = list(dict.fromkeys(n for key in frontier for n in self.lines_of[key] if n not in seen_lines))
            if not ring:
                break
            seen_lines.update(ring)
            rings.append(ring)
            frontier = []
            for number in ring:
                total, parts = self.lines[number]
                for n in (*parts, total):
                    if n not in seen and self.state[n] is not _State.SHOWN:
                        seen.add(n)
                        frontier.append(n)
        return rings


@dataclass(frozen=True)
class Published:
    """What each figure shows: the number, "<3" or "x"."""

    values: dict[Key, Shown]

    def __getitem__(self, key: Key) -> Shown:
        return self.values[key]

    def get(self, key: Key, default: Shown = 0) -> Shown:
        return self.values.get(key, default)
