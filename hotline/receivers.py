"""The outbox written from cases' signal inside each move's transaction (cases cannot call hotline: the
dependency runs the other way)."""

from django.dispatch import receiver

from cases.models import Case, CaseEvent
from cases.signals import case_transitioned

from . import services


@receiver(case_transitioned)
def case_moved(sender, *, case: Case, event: CaseEvent, actor, **kwargs) -> None:
    services.update_record(case=case, event=event)
