"""What a user may see of a resident's identity and of a care enrolment: the one place that pages, htmx
fragments and exports ask, so that no page shows what another hides.

- The ID number and the birth date go together: the birth date is eight of the ID number's digits, so a
  masked ID number (620102********1234) beside a birth date is the full number again. The birth date is
  shown only beside the full ID number; wherever the ID number is masked, the age in years stands in.
- The phone is masked (138****9511) unless revealed; each reveal is recorded (services.resident_reveal).
- A care enrolment's category, person and dates are shown to everyone who sees the household; its details
  (disability type and grade, allowance amount and certificate, the note) only to the roles serving the
  household in person or at the desk (permissions.can_see_care_details).
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from . import permissions
from .models import CareEnrolment, Household, Resident


@dataclass(frozen=True)
class Identity:
    """A resident's ID number, phone, birth date and age, as one page or export may show them."""

    id_number: str
    phone: str
    birth_date: datetime.date | None  # only beside the full ID number
    age: int


def identity(resident: Resident, *, full: bool) -> Identity:
    """The full values only where the caller was allowed them (a recorded reveal or an unmasked export)."""
    if full:
        return Identity(resident.id_number, resident.phone, resident.birth_date, resident.age)
    return Identity(resident.masked_id_number, resident.masked_phone, None, resident.age)


@dataclass(frozen=True)
class EnrolmentShown:
    """One care enrolment as a user may see it: the details are empty unless `details_shown`."""

    pk: int
    category: str
    category_label: str
    resident_name: str  # empty: the whole household
    since: datetime.date
    until: datetime.date | None
    details_shown: bool
    disability: str = ""  # "肢体残疾 · 二级"
    allowance_monthly_amount: Decimal | None = None
    allowance_certificate: str = ""
    note: str = ""


def enrolment_shown(enrolment: CareEnrolment, *, details: bool) -> EnrolmentShown:
    shown = EnrolmentShown(
        pk=enrolment.pk,
        category=enrolment.category,
        category_label=str(enrolment.get_category_display()),
        resident_name=enrolment.resident.name if enrolment.resident_id else "",
        since=enrolment.since,
        until=enrolment.until,
        details_shown=details,
    )
    if not details:
        return shown
    disability = ""
    if enrolment.disability_type:
        grade = enrolment.get_disability_grade_display() if enrolment.disability_grade else ""
        disability = " · ".join(
            str(part) for part in (enrolment.get_disability_type_display(), grade) if part
        )
    return replace(
        shown,
        disability=disability,
        allowance_monthly_amount=enrolment.allowance_monthly_amount,
        allowance_certificate=enrolment.allowance_certificate,
        note=enrolment.note,
    )


def enrolments_for(user, household: Household, enrolments: Iterable[CareEnrolment]) -> list[EnrolmentShown]:
    """A household's enrolments (their residents selected) as this user may see them."""
    details = permissions.can_see_care_details(user, household)
    return [enrolment_shown(enrolment, details=details) for enrolment in enrolments]


def care_labels(enrolments: Iterable[CareEnrolment]) -> list[str]:
    """The care categories of a household's enrolments, each once: all that lists of many households show,
    whoever reads them."""
    return list(dict.fromkeys(str(enrolment.get_category_display()) for enrolment in enrolments))
