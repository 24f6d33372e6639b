"""Notifications written from the signals cases and visits send inside their actions' transactions
(they cannot call notifications: the dependency runs the other way)."""

from django.dispatch import receiver

from cases.models import Case, CaseEvent
from cases.signals import case_transitioned
from visits.models import Visit
from visits.signals import visit_recorded

from . import services


@receiver(case_transitioned)
def case_moved(sender, *, case: Case, event: CaseEvent, actor, **kwargs) -> None:
    services.case_event_notify(case=case, event=event, actor=actor)


@receiver(visit_recorded)
def visit_logged(sender, *, visit: Visit, **kwargs) -> None:
    services.visit_alert_raise(visit=visit)
