"""Every write to the audit store (append only: nothing here updates or deletes a row)."""

import contextlib
from collections.abc import Iterator

import pghistory
import pgtrigger
from django.db import connection

from cases.models import RequesterReveal
from grids.models import Community, Grid
from residents.models import ExportRecord, RevealReason, RevealRecord, SensitiveField

from .models import HISTORY_MODELS, AuditEvent


def refused_access_record(*, user, path: str, status: int, address: str | None, view: str) -> AuditEvent:
    """Record that a logged-in user was refused a page (403) or a record outside their scope (404)."""
    return AuditEvent.objects.create(
        kind=AuditEvent.Kind.REFUSED,
        user=user,
        username=user.get_username(),
        path=path[:500],
        status=status,
        address=address or None,
        details={"view": view} if view else {},
    )


def login_record(*, user, address: str | None) -> AuditEvent:
    """Record a successful login."""
    return AuditEvent.objects.create(
        kind=AuditEvent.Kind.LOGIN, user=user, username=user.get_username(), address=address or None
    )


def logout_record(*, user, address: str | None) -> AuditEvent:
    """Record a logout (by the user; an expired session ends without one)."""
    return AuditEvent.objects.create(
        kind=AuditEvent.Kind.LOGOUT, user=user, username=user.get_username(), address=address or None
    )


def login_failed_record(*, username: str, address: str | None) -> AuditEvent:
    """Record a failed login: the username typed (never the password) and where it came from."""
    return AuditEvent.objects.create(
        kind=AuditEvent.Kind.LOGIN_FAILED, username=username[:150], address=address or None
    )


def reveal_mirror(*, reveal: RevealRecord) -> AuditEvent:
    """Copy a reveal (kept by residents as RevealRecord) into the audit store, in the resident's grid.

    A full-number search that found nobody has no resident: it is kept without a record or a grid, so
    superusers read it (a guess that missed is still a reveal-level act).
    """
    resident = reveal.resident if reveal.resident_id is not None else None
    return AuditEvent.objects.create(
        kind=AuditEvent.Kind.REVEAL,
        at=reveal.at,
        user_id=reveal.user_id,
        username=reveal.user.get_username(),
        record_model="residents.resident" if resident else "",
        record_id=reveal.resident_id,
        grid_id=resident.grid_id if resident else None,
        details={"field": reveal.field, "reason": reveal.reason, "reveal_record": reveal.pk},
    )


def requester_reveal_mirror(*, reveal: RequesterReveal) -> AuditEvent:
    """Copy the reveal of an outside requester's phone (kept by cases as RequesterReveal) into the audit
    store, about the case and in its grid, as a reveal of a phone to contact the requester."""
    return AuditEvent.objects.create(
        kind=AuditEvent.Kind.REVEAL,
        at=reveal.at,
        user_id=reveal.user_id,
        username=reveal.user.get_username(),
        record_model="cases.case",
        record_id=reveal.case_id,
        grid_id=reveal.case.grid_id,
        details={
            "field": SensitiveField.PHONE,
            "reason": RevealReason.CONTACT,
            "case": reveal.case.number,
            "requester_reveal": reveal.pk,
        },
    )


def _export_place(filters: dict) -> tuple[int | None, int | None]:
    """The grid or community an export was limited to (for the leaders' scope), else neither."""
    level, _sep, pk = str(filters.get("scope", "")).partition(":")
    if level in ("grid", "community") and pk.isdigit():
        return (int(pk), None) if level == "grid" else (None, int(pk))
    if filters.get("grid"):
        grid = Grid.objects.filter(code=filters["grid"]).values_list("pk", flat=True).first()
        if grid is not None:
            return grid, None
    if filters.get("community"):
        communities = Community.objects.filter(name=filters["community"])
        if filters.get("street"):
            communities = communities.filter(street__name=filters["street"])
        ids = list(communities.values_list("pk", flat=True)[:2])
        if len(ids) == 1:
            return None, ids[0]
    return None, None


def export_mirror(*, export: ExportRecord) -> AuditEvent:
    """Copy an export (kept by residents as ExportRecord) into the audit store."""
    grid_id, community_id = _export_place(export.filters or {})
    return AuditEvent.objects.create(
        kind=AuditEvent.Kind.EXPORT,
        at=export.at,
        user_id=export.user_id,
        username=export.user.get_username(),
        grid_id=grid_id,
        community_id=community_id,
        details={
            "export": export.kind,
            "row_count": export.row_count,
            "unmasked": export.unmasked,
            "filters": export.filters,
            "export_record": export.pk,
        },
    )


@contextlib.contextmanager
def command_context(label: str, **metadata) -> Iterator[None]:
    """Name a management command as the author of the writes it makes (there is no request user).

    On SQLite there are no history triggers and pghistory's context cannot be set: nothing to do.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with pghistory.context(command=label, **metadata):
        yield


def audit_export_record(*, user, filters: dict, row_count: int) -> AuditEvent:
    """Record an export of the audit itself (kept only here: it is not a ledger)."""
    return AuditEvent.objects.create(
        kind=AuditEvent.Kind.EXPORT,
        user=user,
        username=user.get_username(),
        details={"export": "audit", "row_count": row_count, "unmasked": False, "filters": filters},
    )


@contextlib.contextmanager
def history_off() -> Iterator[None]:
    """Write without history rows, for synthetic data only (the district generator), inside a transaction.

    pgtrigger's ignore() sets its flag on each statement that goes through Django's execute; COPY does
    not, so one statement is run here first to set the flag for the rest of the transaction.
    """
    if connection.vendor != "postgresql":
        yield
        return
    tracked = {history.pgh_tracked_model for history in HISTORY_MODELS}
    uris = [trigger.get_uri(model) for model, trigger in pgtrigger.registered() if model in tracked]
    with pgtrigger.ignore(*uris), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        yield
