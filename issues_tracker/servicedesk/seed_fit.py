"""Fitting generated service-desk times to published monthly means, exactly to the second.

Used by the seed's extract (seed_extract.py) and the generated recent history
(seed_recent.py): the records' opening times and months are drawn first; these
functions then place responses and resolutions so that a month's mean comes out as
the figure the forum pack prints, while each time stays plausible (mostly in working
hours, never before the record was opened, inside the month it belongs to).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from .clock import LONDON

WORK_START, WORK_END = time(8, 30), time(18, 0)


def month_bounds(month: int) -> tuple[datetime, datetime]:
    year, m = divmod(month, 100)
    start = datetime(year, m, 1, tzinfo=LONDON)
    end = datetime(year + (m == 12), 1 if m == 12 else m + 1, 1, tzinfo=LONDON)
    return start.astimezone(UTC), end.astimezone(UTC)


def local_month(moment: datetime) -> int:
    local = moment.astimezone(LONDON)
    return local.year * 100 + local.month


def working_time(rng: random.Random, moment: datetime, earliest: datetime, latest: datetime) -> datetime:
    """The same moment if it falls in working hours, else the next working morning (or, failing
    that, the previous working afternoon) within the bounds."""
    local = moment.astimezone(LONDON)
    if local.weekday() < 5 and WORK_START <= local.time() <= WORK_END:
        return moment
    day = local.date() + timedelta(days=1 if local.time() > WORK_END else 0)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    forward = datetime.combine(day, time(9, rng.randint(0, 59)), tzinfo=LONDON).astimezone(UTC)
    if earliest <= forward <= latest:
        return forward
    day = local.date() - timedelta(days=1 if local.time() < WORK_START else 0)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    backward = datetime.combine(day, time(16, rng.randint(0, 59)), tzinfo=LONDON).astimezone(UTC)
    return backward if earliest <= backward <= latest else moment


def _seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def fit_resolution_mean(rng: random.Random, free: list, fixed_seconds: int, count: int, mean_hours: float,
                        bounds: dict[int, tuple[datetime, datetime]]) -> None:
    """Move the free records' `resolved` times, each inside its bounds, so that the month's
    mean resolution (over `count` records, the fixed ones adding `fixed_seconds`) is `mean_hours`.

    The times are scaled toward their earliest or latest bound, moved into working hours,
    and the last seconds are taken up within the working day of a few records.
    """
    target = round(mean_hours * 3600 * count) - fixed_seconds

    def total() -> int:
        return sum(int((r.resolved - r.opened).total_seconds()) for r in free)

    low = sum(int((bounds[id(r)][0] - r.opened).total_seconds()) for r in free)
    high = sum(int((bounds[id(r)][1] - r.opened).total_seconds()) for r in free)
    if not low <= target <= high:
        raise ValueError(f"cannot fit a mean resolution of {mean_hours:.2f} h: between "
                         f"{(low + fixed_seconds) / count / 3600:.1f} and {(high + fixed_seconds) / count / 3600:.1f} h")
    for _ in range(8):
        current = total()
        if current == target:
            break
        if current > target:
            spare = sum((r.resolved - bounds[id(r)][0]).total_seconds() for r in free)
            share = (current - target) / spare if spare else 0
            for r in free:
                lo = bounds[id(r)][0]
                r.resolved = _seconds(r.resolved - (r.resolved - lo) * share)
        else:
            spare = sum((bounds[id(r)][1] - r.resolved).total_seconds() for r in free)
            share = (target - current) / spare if spare else 0
            for r in free:
                hi = bounds[id(r)][1]
                r.resolved = _seconds(r.resolved + (hi - r.resolved) * share)
        for r in free:
            lo, hi = bounds[id(r)]
            r.resolved = _seconds(working_time(rng, r.resolved, lo, hi))
    gap = target - total()
    order = list(free)
    rng.shuffle(order)
    for r in order:
        if not gap:
            break
        lo, hi = bounds[id(r)]
        local = r.resolved.astimezone(LONDON)
        day_lo = datetime.combine(local.date(), WORK_START, tzinfo=LONDON).astimezone(UTC)
        day_hi = datetime.combine(local.date(), WORK_END, tzinfo=LONDON).astimezone(UTC)
        earliest, latest = max(lo, min(day_lo, r.resolved)), min(hi, max(day_hi, r.resolved))
        step = max(int((earliest - r.resolved).total_seconds()), min(gap, int((latest - r.resolved).total_seconds())))
        r.resolved += timedelta(seconds=step)
        gap -= step
    for r in order:  # still short: anywhere inside the bounds
        if not gap:
            break
        lo, hi = bounds[id(r)]
        step = max(int((lo - r.resolved).total_seconds()), min(gap, int((hi - r.resolved).total_seconds())))
        r.resolved += timedelta(seconds=step)
        gap -= step
    if gap:
        raise ValueError("could not fit the resolution times to the month's mean")


def fit_response_means(rng: random.Random, members: list, mean_minutes: float) -> None:
    """Responses of a month's records: mostly minutes, a few long ones, summing to the month's mean exactly."""
    target = round(mean_minutes * 60 * len(members))
    base = {id(r): rng.randint(60, 15 * 60) for r in members}
    room = {id(r): ((r.resolved - r.opened).total_seconds() - 60) if r.resolved else 30 * 86400 for r in members}
    for r in members:
        base[id(r)] = int(min(base[id(r)], room[id(r)]))
    excess = target - sum(base.values())
    if excess < 0:
        scale = target / sum(base.values())
        for r in members:
            base[id(r)] = max(30, int(base[id(r)] * scale))
    else:
        candidates = sorted(members, key=lambda r: -room[id(r)])[: max(1, round(len(members) * 0.08))]
        rng.shuffle(candidates)
        weights = [rng.uniform(0.5, 2.0) for _ in candidates]
        for r, weight in zip(candidates, weights, strict=True):
            extra = int(excess * weight / sum(weights))
            base[id(r)] += min(extra, int(room[id(r)] - base[id(r)]))
    # The last seconds go to whichever record has room, so the sum is exact.
    gap = target - sum(base.values())
    for r in sorted(members, key=lambda r: -room[id(r)]):
        if not gap:
            break
        step = max(-base[id(r)] + 30, min(gap, int(room[id(r)] - base[id(r)])))
        base[id(r)] += step
        gap -= step
    if gap:
        raise ValueError("could not fit the response times to the month's mean")
    for r in members:
        r.responded = r.opened + timedelta(seconds=base[id(r)])


def late_opening(rng: random.Random, month: int, days: int) -> datetime:
    """A time in the last `days` days of the month, mostly in working hours: the month-end
    rush whose records are still open when the month closes."""
    start, end = month_bounds(month)
    last = end.astimezone(LONDON).date() - timedelta(days=1)
    while True:
        day = last - timedelta(days=rng.randrange(days))
        if day.weekday() >= 5 and rng.random() < 0.8:
            continue
        minute = rng.randint(8 * 60 + 30, 17 * 60 + 30) if rng.random() < 0.85 else rng.randint(6 * 60, 22 * 60)
        return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=LONDON).astimezone(UTC)
