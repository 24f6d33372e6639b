"""Who may do what with cases. Cases outside a user's grids are 404 (visible_to), not here.

Which move each hat may make is the workflow table (cases/workflow.py); this module says which hats a user
wears for a case and, from the table, what they may do with it now.
"""

from grids.models import Community, Grid
from grids.permissions import roles_over_community, roles_over_grid, user_roles
from grids.roles import STREET_ROLES, Role
from residents.permissions import can_reveal_in_grid

from . import deliberation_workflow
from .models import Action, AgreementTerm, Case, Deliberation, DeliberationAction, Status
from .workflow import HAT_ROLES, REQUESTER_ACTOR, USER_ACTIONS, WORKFLOW, Hat, move_for


def is_requester_actor(user) -> bool:
    """The residents' channel account (cases.services.outside_actor): it cannot sign in, so only the
    service that checked a case's tracking link acts as it."""
    return user.username == REQUESTER_ACTOR and not user.is_active and not user.has_usable_password()


def hats(user, case: Case) -> set[Hat]:
    """The parts this user may play on this case (HAT_ROLES, plus who it was sent to and who took it)."""
    if not user.is_authenticated:
        return set()
    if is_requester_actor(user):
        return {Hat.REQUESTER}
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
    return bool(worn & move.who) and (move.guard is None or move.guard.holds(case, user))


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


def can_merge_at_intake(user, grid: Grid) -> bool:
    """Whether the workflow table lets this user merge a request just registered in the grid (the desk)."""
    return may(user, Case(grid=grid, status=Status.SUBMITTED), Action.MERGE)


def can_reveal_requester_phone(user, case: Case) -> bool:
    """The requester's full phone, to call them back: the roles that may reveal over the case's grid."""
    return bool(case.requester_phone_full) and can_reveal_in_grid(user, case.grid)


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
    # A term belongs to its meeting; a meeting belongs to a case or to a deliberation.
    if term.meeting.deliberation_id is not None:
        return can_mark_deliberation_terms_done(user, term.meeting.deliberation)
    return can_mark_terms_done(user, term.meeting.case)


# --- community deliberations (居民议事): the table is cases/deliberation_workflow.py ---------------------

# The hats a deliberation is worked with (worn over its community, not one grid).
DELIBERATION_HATS = (Hat.STAFF, Hat.WORKER)


def community_hats(user, community: Community) -> set[Hat]:
    """The hats this user wears over a whole community (HAT_ROLES, from the roles held in it)."""
    if not user.is_authenticated:
        return set()
    roles = set(Role) if user.is_superuser else roles_over_community(user, community)
    return {hat for hat in DELIBERATION_HATS if roles & HAT_ROLES[hat]}


def may_deliberate(user, deliberation: Deliberation, action: str, worn: set[Hat] | None = None) -> bool:
    """Whether the deliberation table lets this user take this action on the deliberation as it is now."""
    move = deliberation_workflow.move_for(deliberation.status, action)
    if move is None:
        return False
    worn = community_hats(user, deliberation.community) if worn is None else worn
    return bool(worn & move.who) and (move.guard is None or move.guard.holds(deliberation, user))


def deliberation_actions(user, deliberation: Deliberation) -> list[str]:
    """What the user may do with the deliberation now, in the table's order (its page shows these)."""
    worn = community_hats(user, deliberation.community)
    return [
        action
        for action in deliberation_workflow.USER_ACTIONS
        if may_deliberate(user, deliberation, action, worn)
    ]


def can_gather_in(user, community: Community) -> bool:
    """Whether the user may propose (征集) a topic in the community: the table's move from nothing."""
    move = deliberation_workflow.move_for(None, DeliberationAction.GATHER)
    return move is not None and bool(community_hats(user, community) & move.who)


def can_mark_deliberation_terms_done(user, deliberation: Deliberation) -> bool:
    """The terms of a deliberation's agreement are confirmed by the community's desk (who carries it out)."""
    return Hat.STAFF in community_hats(user, deliberation.community)


# The hats a street role gives over the grids of its street (HAT_ROLES): what the street inbox offers.
STREET_HATS = frozenset(hat for hat in (Hat.STAFF, Hat.LEADER, Hat.STREET) if HAT_ROLES[hat] & STREET_ROLES)
# The actions the table lets those hats take on an escalated case, in the table's order.
STREET_ACTIONS = [
    action
    for action in USER_ACTIONS
    if (move := WORKFLOW.get((Status.ESCALATED, action))) is not None and move.who & STREET_HATS
]


def can_use_street_inbox(user) -> bool:
    """The street's inbox of escalated cases: street leaders (their streets) and superusers."""
    return user.is_superuser or bool(user_roles(user) & STREET_ROLES)


def street_actions(case: Case) -> list[str]:
    """What a street leader over the case's grid may do with it now, from the table (no query: the inbox
    lists only cases of the user's streets, where a street role gives STREET_HATS)."""
    return [action for action in STREET_ACTIONS if may(None, case, action, worn=set(STREET_HATS))]
