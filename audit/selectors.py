"""Reads of the audit store: one time-ordered list of record history and application events, in the
leader's scope, with each row's before and after.

The history tables are one per tracked model (pghistory's design); the list is a UNION ALL of the same
few columns from each, ordered by time, so the pager reads only one page's rows. Each page then loads
its rows' snapshots and, for updates, the version before, with two queries per kind of record on it.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, models
from django.db.models import IntegerField, Q, QuerySet, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from common.dates import day_bounds
from grids.models import Community, Grid
from residents.models import RevealRecord, SensitiveField

from . import models as audit_models
from .models import AuditEvent


@dataclass(frozen=True)
class Source:
    """One kind of record whose history is kept: its history model and how its rows reach a grid."""

    key: str  # "app_label.model" of the tracked model
    history: Any  # a pghistory event model (made by create_event_model, so typed as Any)
    grid_path: str  # from a history row to its grid id, e.g. "household__grid" ("": a community's record)
    # Values the audit page never prints (the history keeps them): a full ID number or phone, or what
    # restores one (the birth date gives the ID's eight middle digits), health and allowance details.
    hidden: frozenset[str] = frozenset()
    # From a history row to a community id, for records that belong to a whole community (a community's
    # assignment, a deliberation and its meetings and terms): in scope when that community is.
    community_path: str = ""

    @property
    def label(self) -> Promise:
        return self.history.pgh_tracked_model._meta.verbose_name


SOURCES = {
    source.key: source
    for source in (
        Source("residents.household", audit_models.HouseholdHistory, "grid"),
        Source(
            "residents.resident",
            audit_models.ResidentHistory,
            "grid",
            frozenset({"id_number", "phone", "birth_date"}),
        ),
        Source(
            "residents.careenrolment",
            audit_models.CareEnrolmentHistory,
            "household__grid",
            frozenset(
                {"disability_type", "disability_grade", "allowance_monthly_amount", "allowance_certificate"}
            ),
        ),
        Source("residents.liaisonlink", audit_models.LiaisonLinkHistory, "household__grid"),
        Source("visits.visitplan", audit_models.VisitPlanHistory, "household__grid"),
        Source("visits.visit", audit_models.VisitHistory, "household__grid"),
        Source("visits.patrol", audit_models.PatrolHistory, "grid"),
        Source("visits.patrolfinding", audit_models.PatrolFindingHistory, "patrol__grid"),
        Source("cases.case", audit_models.CaseHistory, "grid", frozenset({"requester_phone"})),
        # A meeting of a case lies in the case's grid; one of a deliberation in its community.
        Source(
            "cases.meeting",
            audit_models.MeetingHistory,
            "case__grid",
            community_path="deliberation__community",
        ),
        Source(
            "cases.agreementterm",
            audit_models.AgreementTermHistory,
            "meeting__case__grid",
            community_path="meeting__deliberation__community",
        ),
        Source("cases.deliberation", audit_models.DeliberationHistory, "grid", community_path="community"),
        Source("grids.assignment", audit_models.AssignmentHistory, "grid", community_path="community"),
        Source("shops.shop", audit_models.ShopHistory, "grid", frozenset({"contact_phone"})),
        Source("shops.shoppledge", audit_models.ShopPledgeHistory, "shop__grid"),
        Source(
            "volunteers.reportingmember", audit_models.ReportingMemberHistory, "grid", frozenset({"phone"})
        ),
        # Volunteers and their sign-ups belong to a community; needs and projects to a community and
        # (a need, when it has one) a grid.
        Source(
            "volunteers.volunteer",
            audit_models.VolunteerHistory,
            "",
            frozenset({"phone"}),
            community_path="community",
        ),
        Source(
            "volunteers.activitysignup",
            audit_models.ActivitySignUpHistory,
            "",
            community_path="activity__community",
        ),
        Source("projects.need", audit_models.NeedHistory, "grid", community_path="community"),
        Source("projects.project", audit_models.ProjectHistory, "", community_path="community"),
    )
}

RECORD_KINDS = {
    "insert": _("新增"),
    "update": _("修改"),
    "delete": _("删除"),
}
KIND_CHOICES = [*RECORD_KINDS.items(), *AuditEvent.Kind.choices]
APP_KINDS = frozenset(AuditEvent.Kind.values)
EVENTS = "audit.auditevent"


def history_available() -> bool:
    """Record history is written by PostgreSQL triggers; SQLite (the demo) has none."""
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class AuditFilters:
    user: Any = None  # a User, or None for everyone
    username: str = ""  # what was typed (a failed login may name no account)
    record_model: str = ""  # a key of SOURCES
    record_id: int | None = None
    kind: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None

    def as_dict(self) -> dict:
        return {
            "username": self.username,
            "record_model": self.record_model,
            "record_id": self.record_id,
            "kind": self.kind,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }


@dataclass(frozen=True)
class Scope:
    everything: bool
    grid_ids: list[int] = field(default_factory=list)
    community_ids: list[int] = field(default_factory=list)


def scope_of(user) -> Scope:
    """The grids (and whole communities) whose audit the user reads: their dashboard's scope."""
    if user.is_superuser:
        return Scope(everything=True)
    return Scope(
        everything=False,
        grid_ids=list(Grid.objects.visible_to(user).values_list("pk", flat=True)),
        community_ids=list(Community.objects.visible_to(user).values_list("pk", flat=True)),
    )


COLUMNS = ("source", "event_id", "at", "label", "obj_id", "actor_id")


def _history_rows(source: Source, scope: Scope, filters: AuditFilters) -> QuerySet | None:
    rows = source.history.objects.all()
    if filters.record_model and filters.record_model != source.key:
        return None
    if filters.kind and filters.kind not in RECORD_KINDS:
        return None
    if not scope.everything:
        in_scope = Q(**{f"{source.grid_path}__in": scope.grid_ids}) if source.grid_path else Q(pk__in=[])
        if source.community_path:
            in_scope |= Q(**{f"{source.community_path}__in": scope.community_ids})
        rows = rows.filter(in_scope)
    if filters.record_id is not None:
        rows = rows.filter(pgh_obj_id=filters.record_id)
    if filters.kind:
        rows = rows.filter(pgh_label=filters.kind)
    if filters.username:
        user_id = filters.user.pk if filters.user is not None else None
        if user_id is None:
            return None
        rows = rows.filter(pgh_context__metadata__user=user_id)
    first, last = day_bounds(filters.date_from, filters.date_to)
    if first is not None:
        rows = rows.filter(pgh_created_at__gte=first)
    if last is not None:
        rows = rows.filter(pgh_created_at__lt=last)
    return rows.annotate(
        source=Value(source.key),
        event_id=models.F("pgh_id"),
        at=models.F("pgh_created_at"),
        label=models.F("pgh_label"),
        obj_id=Cast("pgh_obj_id", models.BigIntegerField()),
        actor_id=Cast(KeyTextTransform("user", "pgh_context__metadata"), IntegerField()),
    ).values_list(*COLUMNS)


def _event_rows(scope: Scope, filters: AuditFilters) -> QuerySet | None:
    rows = AuditEvent.objects.all()
    if filters.kind and filters.kind not in APP_KINDS:
        return None
    if filters.record_model:
        # Reveals are the only events about a record: of a resident, or of a case's outside requester.
        if filters.record_model not in ("residents.resident", "cases.case"):
            return None
        rows = rows.filter(record_model=filters.record_model)
    if not scope.everything:
        rows = rows.filter(Q(grid__any=scope.grid_ids) | Q(community__any=scope.community_ids))
    if filters.record_id is not None:
        rows = rows.filter(record_id=filters.record_id)
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.username:
        by_name = Q(username__iexact=filters.username)
        rows = rows.filter(by_name | Q(user=filters.user) if filters.user is not None else by_name)
    first, last = day_bounds(filters.date_from, filters.date_to)
    if first is not None:
        rows = rows.filter(at__gte=first)
    if last is not None:
        rows = rows.filter(at__lt=last)
    return rows.annotate(
        source=Value(EVENTS),
        event_id=Cast("id", models.BigIntegerField()),
        label=models.F("kind"),
        obj_id=models.F("record_id"),
        actor_id=Cast("user_id", IntegerField()),
    ).values_list(*COLUMNS)


def audit_rows(user, filters: AuditFilters) -> QuerySet:
    """Every audit row the user may read that the filters keep, newest first, as COLUMNS tuples."""
    scope = scope_of(user)
    parts = [_event_rows(scope, filters)]
    if history_available():
        parts += [_history_rows(source, scope, filters) for source in SOURCES.values()]
    queries = [part for part in parts if part is not None]
    if not queries:
        return AuditEvent.objects.none().values_list("id")
    first, *rest = queries
    combined = first.union(*rest, all=True) if rest else first
    return combined.order_by("-at", "-event_id")


# ------------------------------------------------------------------------------------------ one page


@dataclass
class Change:
    field: str
    label: str
    before: str | None  # None: not known (no earlier version kept)
    after: str | None


@dataclass
class AuditRow:
    source: str
    event_id: int
    at: datetime.datetime
    kind: str
    kind_label: str
    record_label: str
    obj_id: int | None
    actor: Any  # a User or None
    actor_name: str
    url: str = ""
    command: str = ""
    address: str = ""
    changes: list[Change] = field(default_factory=list)
    note: str = ""


def _display(model_field: models.Field, value: Any, hidden: bool) -> str:
    if value is None or value == "":
        return ""
    if hidden:
        return str(_("（不显示）"))
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(model_field, models.ForeignKey):
        return f"#{value}"
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return str(_("是") if value else _("否"))
    return str(value)


# Bookkeeping columns every version repeats; they say nothing about what changed.
SKIPPED = frozenset({"id", "created_at", "updated_at"})


def _changes(source: Source, event, previous) -> list[Change]:
    tracked = source.history.pgh_tracked_model
    changes = []
    for model_field in tracked._meta.concrete_fields:
        if model_field.name in SKIPPED:
            continue
        hidden = model_field.name in source.hidden
        now = getattr(event, model_field.attname)
        label = str(model_field.verbose_name)
        if event.pgh_label == "delete":
            if now not in (None, ""):
                changes.append(Change(model_field.name, label, _display(model_field, now, hidden), ""))
        elif event.pgh_label == "insert" or previous is None:
            if now not in (None, ""):
                before = "" if event.pgh_label == "insert" else None
                changes.append(Change(model_field.name, label, before, _display(model_field, now, hidden)))
        else:
            then = getattr(previous, model_field.attname)
            if then != now:
                if hidden:
                    shown_before, shown_after = str(_("（已更改）")), str(_("（已更改）"))
                else:
                    shown_before, shown_after = (
                        _display(model_field, then, False),
                        _display(model_field, now, False),
                    )
                changes.append(Change(model_field.name, label, shown_before, shown_after))
    return changes


def _event_kind_label(kind: str) -> str:
    return str(dict(KIND_CHOICES).get(kind, kind))


def page_rows(rows: Iterable[tuple]) -> list[AuditRow]:
    """The page's rows with who, where from, and what changed (a fixed number of queries per source)."""
    rows = list(rows)
    by_source: dict[str, list[int]] = {}
    for source_key, event_id, *_rest in rows:
        by_source.setdefault(source_key, []).append(event_id)
    details: dict[tuple[str, int], AuditRow] = {}
    actor_ids = {row[5] for row in rows if row[5] is not None}
    users = get_user_model().objects.in_bulk(actor_ids)
    for source_key, ids in by_source.items():
        if source_key == EVENTS:
            for event in AuditEvent.objects.filter(pk__in=ids):
                details[(source_key, event.pk)] = AuditRow(
                    source=source_key,
                    event_id=event.pk,
                    at=event.at,
                    kind=event.kind,
                    kind_label=event.get_kind_display(),
                    record_label=_event_record_label(event),
                    obj_id=event.record_id,
                    actor=users.get(event.user_id),
                    actor_name=event.username,
                    url=event.path,
                    address=event.address or "",
                    note=_event_note(event),
                )
            continue
        source = SOURCES[source_key]
        history = source.history
        events = list(
            history.objects.filter(pk__in=ids)
            .select_related("pgh_context")
            .annotate(
                previous_id=models.Subquery(
                    history.objects.filter(
                        pgh_obj_id=models.OuterRef("pgh_obj_id"), pgh_id__lt=models.OuterRef("pgh_id")
                    )
                    .order_by("-pgh_id")
                    .values("pgh_id")[:1]
                )
            )
        )
        previous = history.objects.in_bulk([e.previous_id for e in events if e.previous_id])
        for event in events:
            metadata = event.pgh_context.metadata if event.pgh_context_id else {}
            actor = users.get(metadata.get("user"))
            details[(source_key, event.pk)] = AuditRow(
                source=source_key,
                event_id=event.pk,
                at=event.pgh_created_at,
                kind=event.pgh_label,
                kind_label=_event_kind_label(event.pgh_label),
                record_label=f"{source.label} #{event.pgh_obj_id}",
                obj_id=event.pgh_obj_id,
                actor=actor,
                actor_name=actor.get_username() if actor else "",
                url=metadata.get("url", ""),
                command=metadata.get("command", ""),
                changes=_changes(source, event, previous.get(event.previous_id)),
            )
    return [details[(row[0], row[1])] for row in rows if (row[0], row[1]) in details]


def _event_record_label(event: AuditEvent) -> str:
    if event.record_model in SOURCES and event.record_id is not None:
        return f"{SOURCES[event.record_model].label} #{event.record_id}"
    return ""


EXPORT_LABELS = {
    "residents": _("居民台账"),
    "visits": _("走访记录"),
    "cases": _("诉求工单"),
    "dashboard": _("数据看板"),
    "monthly_report": _("月度报告"),
    "audit": _("审计日志"),
}


def _event_note(event: AuditEvent) -> str:
    details = event.details or {}
    if event.kind == AuditEvent.Kind.REVEAL:
        what = dict(SensitiveField.choices).get(str(details.get("field", "")), "")
        # The record's own choices: the reveal reasons and the full-number search.
        why = dict(RevealRecord._meta.get_field("reason").flatchoices).get(str(details.get("reason", "")), "")
        return f"{what} · {why}"
    if event.kind == AuditEvent.Kind.EXPORT:
        label = EXPORT_LABELS.get(details.get("export", ""), details.get("export", ""))
        full = _("完整") if details.get("unmasked") else _("脱敏")
        rows = _("%(count)s 行") % {"count": details.get("row_count", 0)}
        return f"{label} · {rows} · {full}"
    if event.kind == AuditEvent.Kind.REFUSED:
        return str(event.status or "")
    return ""
