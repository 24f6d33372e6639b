"""What one run of the generator shares between its tables."""

import dataclasses
import datetime
import random

from .loader import Loader


@dataclasses.dataclass
class District:
    """One run: its writer, its random stream and today, and what later tables need of earlier ones.

    Every table draws from the one random stream in the order the run writes them, so a seed gives the
    same district every time.
    """

    loader: Loader
    rng: random.Random
    today: datetime.date
    # A community's street, a grid's code and community, a building's address, a generated user's name.
    street_of: dict[int, int] = dataclasses.field(default_factory=dict)
    grid_place: dict[int, tuple[str, int]] = dataclasses.field(default_factory=dict)
    address_of: dict[int, str] = dataclasses.field(default_factory=dict)
    username_of: dict[int, str] = dataclasses.field(default_factory=dict)
    # The needs found on visits, which may become cases: (visit id, household id, POSIX time, needs).
    needs_visits: list[tuple[int, int, float, str]] = dataclasses.field(default_factory=list)
    first_visit_id: int = 0
