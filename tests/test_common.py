import datetime
import zoneinfo

import pytest

from common import dates

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_day_bounds_are_local_midnights_around_the_days():
    start, end = dates.day_bounds(datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
    assert start == datetime.datetime(2026, 3, 1, tzinfo=SHANGHAI)
    assert end == datetime.datetime(2026, 4, 1, tzinfo=SHANGHAI)
    assert start.astimezone(datetime.UTC) == datetime.datetime(2026, 2, 28, 16, tzinfo=datetime.UTC)


def test_day_bounds_leave_a_missing_end_open():
    assert dates.day_bounds(None, None) == (None, None)
    assert dates.day_bounds(None, datetime.date(2026, 12, 31)) == (
        None,
        datetime.datetime(2027, 1, 1, tzinfo=SHANGHAI),
    )


def test_local_now_to_the_minute_drops_seconds(monkeypatch):
    now = datetime.datetime(2026, 5, 4, 23, 59, 59, 999, tzinfo=datetime.UTC)
    monkeypatch.setattr(dates.timezone, "now", lambda: now)
    assert dates.local_now_to_the_minute() == datetime.datetime(2026, 5, 5, 7, 59, tzinfo=SHANGHAI)


@pytest.mark.parametrize("day", [datetime.date(2026, 1, 1), datetime.date(2026, 6, 30)])
def test_day_end_is_the_next_day_start(day):
    assert dates.day_end(day) == dates.day_start(day + datetime.timedelta(days=1))
