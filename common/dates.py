"""Local days (Asia/Shanghai, the settings' TIME_ZONE) as aware datetimes.

Filters and periods are chosen in local days, both ends included; the database compares aware times, so
a day range becomes the half-open [midnight of the first day, midnight after the last), which lets the
index on the time column serve.
"""

import datetime

from django.utils import timezone


def day_start(day: datetime.date) -> datetime.datetime:
    """Midnight at the start of a local day, as an aware time."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def day_end(day: datetime.date) -> datetime.datetime:
    """Midnight after a local day: the exclusive end of a range that includes the day."""
    return day_start(day + datetime.timedelta(days=1))


def day_bounds(
    first: datetime.date | None, last: datetime.date | None
) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    """The half-open aware bounds of the local days `first` to `last`; a missing day leaves its end open."""
    return (
        day_start(first) if first is not None else None,
        day_end(last) if last is not None else None,
    )


def local_now_to_the_minute() -> datetime.datetime:
    """The local time now without seconds: what a date-and-time picker starts from and may not pass."""
    return timezone.localtime().replace(second=0, microsecond=0)
