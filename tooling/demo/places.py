"""The demo's streets, communities, grids, buildings and dwellings (data/places.toml)."""

from collections import Counter

from grids.models import Building, Community, Dwelling, Grid, Street

from .common import data

STREETS = data("places")["street"]
STREET_NAMES = tuple(street["name"] for street in STREETS)
GRIDS = tuple(grid for street in STREETS for community in street["community"] for grid in community["grid"])
GRID_CODES = tuple(grid["code"] for grid in GRIDS)
# The community of each grid, by grid code.
COMMUNITY_OF = {
    grid["code"]: community["name"]
    for street in STREETS
    for community in street["community"]
    for grid in community["grid"]
}


def dwellings_of(address: str, entrances: int, floors: int) -> list[tuple[str, str]]:
    """(unit, room) of every dwelling in a building: two doors a floor per entrance (101, 102, 201…)."""
    if entrances == 0:
        return [("", str(number)) for number in range(1, floors + 1)]
    return [
        (str(unit), f"{floor}0{door}")
        for unit in range(1, entrances + 1)
        for floor in range(1, floors + 1)
        for door in (1, 2)
    ]


def already_loaded() -> bool:
    """The demo is there once any of its streets or grids is: then nothing is loaded again."""
    return (
        Street.objects.filter(name__in=STREET_NAMES).exists()
        or Grid.objects.filter(code__in=GRID_CODES).exists()
    )


def load_places(counts: Counter) -> tuple[dict, dict, dict, dict]:
    """Streets, communities, grids, buildings and dwellings; returns each by name, code or address."""
    grids, communities, streets, dwellings = {}, {}, {}, {}
    for street_spec in STREETS:
        street = streets[street_spec["name"]] = Street.objects.create(name=street_spec["name"])
        counts["streets"] += 1
        for community_spec in street_spec["community"]:
            name = community_spec["name"]
            community = communities[name] = Community.objects.create(street=street, name=name)
            counts["communities"] += 1
            for grid_spec in community_spec["grid"]:
                code = grid_spec["code"]
                grid = grids[code] = Grid.objects.create(
                    community=community, code=code, name=grid_spec["name"]
                )
                counts["grids"] += 1
                for address, entrances, floors in grid_spec["buildings"]:
                    building = Building.objects.create(grid=grid, address=address)
                    counts["buildings"] += 1
                    for unit, room in dwellings_of(address, entrances, floors):
                        dwellings[address, unit, room] = Dwelling.objects.create(
                            building=building, unit=unit, room=room
                        )
                        counts["dwellings"] += 1
    return grids, communities, streets, dwellings
