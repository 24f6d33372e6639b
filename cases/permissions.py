"""Who may do what with cases. Cases outside a user's grids are 404 (visible_to), not here.

Which move each hat may make is the workflow table (cases/workflow.py); this module says which hats a user
wears for a case and, from the table, what they may do with it now.
"""

from grids.models import Grid
from grids.permissions import roles_over_grid, user_roles
from grids.roles import Role

from .models import Action, AgreementTerm, Case, Status
from .workflow import HAT_ROLES, USER_ACTIONS, Hat, move_for


def hats(user, case: Case) -> set[Hat]:
    """The parts this user may play on this case (HAT_ROLES, plus who it was sent to and who took it)."""
    if not user.is_authenticated:
        return set()
    roles = set(Role) if user.is_superuser else roles_over_grid(user, case.grid)
    worn = {hat for hat in (Hat.STAFF, Hat.LEADER, Hat.STREET) if roles & HAT_ROLES[hat]}
    if roles & HAT_ROLES[Hat.WORKER] and case.assigned_worker_id in (None, user.pk):
        worn.add(Hat.WORKER)
    if case.handler_id is not None and case.handler_id == user.pk:
        worn.add(Hat.HANDLER)
    return worn


def may(user, case: Case, action: str, worn: set[Hat] | None = None) -> bool:
    """Whether the table lets this user take this action on the case as it is now."""
    move = move_for(case, action)
    if move is None:
        return False
    worn = hats(user, case) if worn is None else worn
    return bool(worn & move.who) and (move.guard is None or move.guard.holds(case))


def allowed_actions(user, case: Case) -> list[str]:
    worn = hats(user, case)
    return [action for action in USER_ACTIONS if may(user, case, action, worn)]


def is_desk(user, grid: Grid | None = None) -> bool:
    """Whether the user works the desk (accepts and dispatches) for this grid, or for any grid."""
    if user.is_superuser:
        return True
    roles = roles_over_grid(user, grid) if grid is not None else user_roles(user)
    return bool(roles & HAT_ROLES[Hat.STAFF])


def can_register_case(user, grid: Grid) -> bool:
    """首接负责: anyone serving the grid records the requests they receive."""
    return user.is_superuser or bool(roles_over_grid(user, grid))


def can_add_photos(user, case: Case) -> bool:
    return case.status != Status.CLOSED and can_register_case(user, case.grid)


def bulk_actions(user) -> list[str]:
    """The actions offered on several cases at once: the desk dispatches and archives, leaders urge.

    Only an offer: each case's move is still checked by the workflow table (cases.services).
    """
    if not user.is_authenticated:
        return []
    roles = set(Role) if user.is_superuser else user_roles(user)
    offered = {
        Action.DISPATCH: bool(roles & HAT_ROLES[Hat.STAFF]),
        Action.URGE: bool(roles & HAT_ROLES[Hat.LEADER]),
        Action.CLOSE: bool(roles & HAT_ROLES[Hat.STAFF]),
    }
    return [action for action, allowed in offered.items() if allowed]


def can_mark_terms_done(user, case: Case) -> bool:
    """Whether the user confirms that a case's agreed terms were done: the desk, or the case's handler."""
    return is_desk(user, case.grid) or (case.handler_id is not None and case.handler_id == user.pk)


def can_mark_term_done(user, term: AgreementTerm) -> bool:
    # A term belongs to its meeting; a meeting belongs to a case (later also to a deliberation).
    return can_mark_terms_done(user, term.meeting.case)
