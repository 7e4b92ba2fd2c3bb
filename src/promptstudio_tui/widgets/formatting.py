"""Short human renderings of times and counts, shared by the panes.

Every function takes `now` explicitly so a frozen clock makes snapshots stable.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text


def local(iso: str) -> datetime:
    return datetime.fromisoformat(iso).astimezone()


def relative_date(iso: str, now: datetime) -> str:
    """'now', '5m', '3h', 'yesterday', 'Mon', '12 Mar', '12 Mar 2024' — like mail clients."""
    when = local(iso)
    now = now.astimezone()
    seconds = (now - when).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    days = (now.date() - when.date()).days
    if days == 0:
        return f"{int(seconds // 3600)}h"
    if days == 1:
        return "yesterday"
    if days < 7:
        return when.strftime("%a")
    if when.year == now.year:
        return f"{when.day} {when.strftime('%b')}"
    return f"{when.day} {when.strftime('%b %Y')}"


def ago(iso: str, now: datetime) -> str:
    """'just now', '2 min ago', '3 h ago', then as `relative_date` ('yesterday', '12 Mar')."""
    seconds = (now.astimezone() - local(iso)).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400 and local(iso).date() == now.astimezone().date():
        return f"{int(seconds // 3600)} h ago"
    return relative_date(iso, now)


def clock_time(iso: str, now: datetime) -> str:
    """'14:03' today, '12 Mar 14:03' on other days."""
    when = local(iso)
    if when.date() == now.astimezone().date():
        return when.strftime("%H:%M")
    return f"{when.day} {when.strftime('%b %H:%M')}"


def compact(number: int) -> str:
    """1234 -> '1.2k', 2_500_000 -> '2.5M' (meters are narrow)."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if number >= size:
            text = f"{number / size:.1f}".removesuffix(".0")
            return f"{text}{suffix}"
    return str(number)


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def spread(left: Text, right: Text, width: int) -> Text:
    """One line `width` cells wide: `left` cut with an ellipsis, `right` flush right.

    Rows of long lists are built this way rather than as tables: a table costs
    several times more to measure, and a list measures every row it holds.
    """
    left = left.copy()
    left.truncate(max(1, width - right.cell_len - 1), overflow="ellipsis", pad=True)
    return Text.assemble(left, " ", right, no_wrap=True)
