"""Every write to places."""

from django.db import transaction

from .models import Building, Grid


@transaction.atomic
def building_create(*, grid: Grid, address: str) -> Building:
    """Register a building in a grid; its address must be new in that grid."""
    building = Building(grid=grid, address=address.strip())
    building.full_clean()
    building.save()
    return building
