"""Keep stored visit schedules true when what they are computed from changes outside visits.services."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import Signal, receiver

from residents.models import CareEnrolment, Household

from . import services
from .models import VisitInterval

# Sent with `visit=` by visits.services.visit_log inside the transaction that saves the visit, after the
# visit and its people are saved, so a receiver's writes (e.g. an alert for a 紧急 visit) commit or roll
# back with it. Apps above visits listen; visits itself calls none of them.
visit_recorded = Signal()


@receiver([post_save, post_delete], sender=CareEnrolment)
def enrolment_changed(sender, instance: CareEnrolment, **kwargs) -> None:
    # residents cannot call visits (the dependency runs the other way), so the schedule listens.
    services.schedule_refresh(households=Household.objects.filter(pk=instance.household_id))


@receiver([post_save, post_delete], sender=VisitInterval)
def interval_changed(sender, **kwargs) -> None:
    # A care group's interval changed in admin: every enrolled household may be due on another day.
    services.schedule_refresh(households=Household.objects.filter(enrolments__isnull=False))
