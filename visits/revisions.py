"""A visit's revisions: the snapshot kept before each change, and the history that compares them.

visits.services keeps a snapshot of the visit before each edit or correction (VisitRevision.before); the
visit page shows, for each edit, the fields it changed with their values before and after.
"""

import datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext as _

from grids.models import WorkTeamMember
from residents.models import Resident

from .models import Visit, VisitRevision

_CHANGE_FIELDS = (
    "visited_at",
    "kind",
    "outcome",
    "condition",
    "visitors",
    "team_members",
    "residents_met",
    "gifts",
    "notes",
    "needs_found",
)


def snapshot(visit: Visit) -> dict:
    """The visit as it stands: what a revision keeps as `before` (from prefetched rows where there are)."""
    return {
        "visited_at": visit.visited_at.isoformat(),
        "kind": visit.kind,
        "outcome": visit.outcome,
        "condition": visit.condition,
        "notes": visit.notes,
        "needs_found": visit.needs_found,
        "residents_met": sorted(r.pk for r in visit.residents_met.all()),
        "visitors": sorted(u.pk for u in visit.visitors.all()),
        "team_members": sorted(m.pk for m in visit.team_members.all()),
        "gifts": [
            {"item": g.item, "quantity": g.quantity, "value": str(g.value)}
            for g in sorted(visit.gifts.all(), key=lambda g: g.pk)
        ],
    }


class _Names:
    """Names of the people a set of revisions mentions, fetched in one query per kind of person."""

    def __init__(self, states: list[dict]):
        def ids(key):
            return {pk for state in states for pk in state.get(key, [])}

        self.by_key = {
            "residents_met": dict(
                Resident.objects.filter(pk__in=ids("residents_met")).values_list("pk", "name")
            ),
            "visitors": {
                pk: first or username
                for pk, first, username in get_user_model()
                .objects.filter(pk__in=ids("visitors"))
                .values_list("pk", "first_name", "username")
            },
            "team_members": dict(
                WorkTeamMember.objects.filter(pk__in=ids("team_members")).values_list("pk", "name")
            ),
        }

    def show(self, key: str, value) -> str:
        if key == "outcome":
            # Snapshots kept before the outcome existed are of visits where someone answered (migration).
            value = value or Visit.Outcome.MET
            return Visit.Outcome(value).label if value in Visit.Outcome.values else value
        if value in (None, "", []):
            return "—"
        if key == "visited_at":
            moment = timezone.localtime(datetime.datetime.fromisoformat(value))
            return moment.strftime("%Y-%m-%d %H:%M")
        if key == "kind":
            return Visit.Kind(value).label if value in Visit.Kind.values else value
        if key == "condition":
            return Visit.Condition(value).label if value in Visit.Condition.values else value
        if key in self.by_key:
            return _("、").join(self.by_key[key].get(pk, f"#{pk}") for pk in value)
        if key == "gifts":
            return _("；").join(
                _("%(item)s × %(quantity)s（%(value)s 元）")
                % {"item": g["item"], "quantity": g["quantity"], "value": Decimal(g["value"])}
                for g in value
            )
        return str(value)


def history(visit: Visit) -> list[dict]:
    """Edits and corrections, latest first; each edit with the fields it changed, before and after.

    An edit's `after` is the `before` of the next-later revision, or the visit as it stands now.
    """
    revisions = sorted(visit.revisions.all(), key=lambda r: (r.at, r.pk), reverse=True)
    if not revisions:
        return []
    current = snapshot(visit)
    names = _Names([current, *(r.before for r in revisions)])
    labels = {name: Visit._meta.get_field(name).verbose_name for name in _CHANGE_FIELDS if name != "gifts"}
    labels["gifts"] = _("慰问品")
    rows = []
    after = current
    for revision in revisions:
        before = revision.before
        changes = []
        if revision.kind == VisitRevision.Kind.EDIT:
            for key in _CHANGE_FIELDS:
                shown = (names.show(key, before.get(key)), names.show(key, after.get(key)))
                if shown[0] != shown[1]:
                    changes.append({"label": labels[key], "before": shown[0], "after": shown[1]})
        rows.append({"revision": revision, "changes": changes})
        after = before
    return rows
