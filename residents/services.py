"""Every write to households, residents, enrolments and links, and the records of reveals and exports."""

import datetime
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.submissions import create_once
from grids.models import Dwelling

from . import permissions
from .models import (
    CareEnrolment,
    ExportRecord,
    Household,
    LiaisonLink,
    Resident,
    RevealReason,
    RevealRecord,
    SensitiveField,
)


def household_create(
    *, dwelling: Dwelling, note: str = "", submission_token: uuid.UUID | None = None
) -> Household:
    """Open a household file at a dwelling; its grid is the dwelling's building's grid. A form sent twice
    opens one file (AlreadySubmitted names it)."""
    household = Household(
        dwelling=dwelling, grid_id=dwelling.building.grid_id, note=note, submission_token=submission_token
    )
    return create_once(Household, submission_token, lambda: _checked_save(household))


@transaction.atomic
def _checked_save(record: Household | Resident):
    # The token's uniqueness is create_once's to answer (with the record saved first), not a form error.
    record.full_clean(exclude=["submission_token"])
    record.save()
    return record


@transaction.atomic
def household_update(*, household: Household, dwelling: Dwelling, note: str) -> Household:
    """Correct a household's dwelling or note; the grid follows the dwelling, and the members the grid."""
    household.dwelling = dwelling
    household.grid_id = dwelling.building.grid_id
    household.note = note
    household.full_clean()
    household.save()
    household.members.exclude(grid_id=household.grid_id).update(grid_id=household.grid_id)
    return household


@transaction.atomic
def household_move_out(*, household: Household, on: datetime.date) -> Household:
    """The whole household left: it and its current members are kept, dated as moved out."""
    if on > timezone.localdate():
        raise ValidationError({"moved_out_on": _("日期不能晚于今天。")})
    household.status = Household.Status.MOVED_OUT
    household.moved_out_on = on
    household.save(update_fields=["status", "moved_out_on", "updated_at"])
    household.members.filter(status=Resident.Status.ACTIVE).update(
        status=Resident.Status.MOVED_OUT, status_date=on
    )
    return household


def resident_save(*, resident: Resident, submission_token: uuid.UUID | None = None) -> Resident:
    """Create or update a resident after the checks of Resident.clean (ID, birth date, sex, phone).

    A new resident's form sent twice registers one person (AlreadySubmitted names them).
    """
    if resident.pk is not None or submission_token is None:
        return _checked_save(resident)
    resident.submission_token = submission_token
    return create_once(Resident, submission_token, lambda: _checked_save(resident))


@transaction.atomic
def enrolment_save(*, enrolment: CareEnrolment) -> CareEnrolment:
    """Create or update a care enrolment after its category's rules are checked."""
    enrolment.full_clean()
    enrolment.save()
    return enrolment


@transaction.atomic
def liaison_link(*, party_member: Resident, household: Household, since: datetime.date) -> LiaisonLink:
    """Link a Party member to a household (联户), ending the household's previous link."""
    if party_member.political_status not in (
        Resident.PoliticalStatus.PARTY_MEMBER,
        Resident.PoliticalStatus.PROBATIONARY,
    ):
        raise ValidationError({"party_member": _("联户党员须是中共党员或预备党员。")})
    if party_member.status != Resident.Status.ACTIVE:
        raise ValidationError({"party_member": _("该党员已迁出或去世。")})
    current = LiaisonLink.objects.select_for_update().filter(household=household, until__isnull=True)
    for link in current:
        if link.party_member_id == party_member.pk:
            return link
        link.until = max(since, link.since)
        link.save(update_fields=["until"])
    link = LiaisonLink(party_member=party_member, household=household, since=since)
    link.full_clean()
    link.save()
    return link


def resident_reveal(*, user, resident: Resident, field: SensitiveField, reason: RevealReason) -> str:
    """Return a resident's full ID number or phone to a user allowed to see it, and record that."""
    if not permissions.can_reveal_resident(user, resident):
        raise PermissionDenied
    RevealRecord.objects.create(user=user, resident=resident, field=field, reason=reason)
    return getattr(resident, field)


def export_record(
    *, user, kind: ExportRecord.Kind, filters: dict, row_count: int, unmasked: bool
) -> ExportRecord:
    """Record that a ledger was exported, so every copy that left the portal is accounted for."""
    return ExportRecord.objects.create(
        user=user, kind=kind, filters=filters, row_count=row_count, unmasked=unmasked
    )
