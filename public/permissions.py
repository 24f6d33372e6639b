"""Who may print the residents' posters: anyone serving the grid (who may register its requests)."""

from cases.permissions import can_register_case


def can_print_posters(user, grid) -> bool:
    return can_register_case(user, grid)
