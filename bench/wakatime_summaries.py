"""Micro-benchmark of the WakaTime read models, in process: 30 days of one heartbeat every 30 s
on 3 projects (86,400 slices) summarised into 30 SummariesData plus totals, and into stats.

Run: ``.venv/bin/python -m bench.wakatime_summaries`` (prints the best of several runs).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from aw_server.wakatime.summaries import (
    US,
    Slice,
    day_totals,
    midnight_us,
    stats_response,
    summaries_response,
)

DAYS = 30
STEP_US = 30 * US
PROJECTS = ("alpha", "beta", "gamma")


def make_slices(start: date, tz: ZoneInfo) -> list[Slice]:
    """One heartbeat per 30 s from ``start``'s midnight; the project changes every hour, the
    file every heartbeat among seven per project, and a fifth of the time is Markdown."""
    first = midnight_us(start, tz)
    result = []
    for i in range(DAYS * 24 * 3600 * US // STEP_US):
        project = PROJECTS[(i // 120) % len(PROJECTS)]
        result.append(
            Slice(
                start_us=first + i * STEP_US,
                duration_us=STEP_US,
                machine="devbox",
                entity=f"/home/ann/{project}/file{i % 7}.py",
                project=project,
                language="Markdown" if i % 5 == 0 else "Python",
                editor="vim",
                os="Linux",
                category="coding",
                branch="main",
                dependencies=("flask", "requests"),
            )
        )
    return result


def best_ms(run: Callable[[], object], repeat: int = 7) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - began)
    return best * 1000


def main() -> None:
    tz = ZoneInfo("Europe/Berlin")
    start = date(2024, 5, 1)
    end = start + timedelta(days=DAYS - 1)
    slices = make_slices(start, tz)

    def summaries() -> object:
        return summaries_response(day_totals(slices, start, end, tz), tz)

    def stats() -> object:
        days = day_totals(slices, start, end, tz)
        return stats_response(
            days, tz, range_name="last_30_days", today=end, now_us=0, timeout_s=600
        )

    print(f"{len(slices)} slices, {DAYS} days")
    print(f"day_totals:              {best_ms(lambda: day_totals(slices, start, end, tz)):6.1f} ms")
    print(f"summaries (30 days+sum): {best_ms(summaries):6.1f} ms")
    print(f"stats:                   {best_ms(stats):6.1f} ms")


if __name__ == "__main__":
    main()
