"""What every part of the demo shares: the seed, the reference date, and reading the data files."""

import datetime
import functools
import tomllib
from pathlib import Path
from typing import Any

SEED = 20230309
# Ages, enrolment and status dates are counted from this day; it lies in the past so no date is in the future.
REFERENCE_DATE = datetime.date(2026, 1, 1)
REGION = "620102"  # 兰州市城关区
DATA = Path(__file__).resolve().parent / "data"


@functools.cache
def data(name: str) -> dict[str, Any]:
    """The data file `name` (such as "places" or "cases/service_orders") under data/, read once."""
    with (DATA / f"{name}.toml").open("rb") as file:
        return tomllib.load(file)


def birthday(birth: datetime.date, age: int) -> datetime.date:
    """The day someone born on `birth` turns `age` (1 March for those born on 29 February)."""
    try:
        return birth.replace(year=birth.year + age)
    except ValueError:
        return datetime.date(birth.year + age, 3, 1)
