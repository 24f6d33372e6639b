"""The demo's cases (诉求 / 工单): the stories of the reports and the service orders (data/cases/).

Every case is registered and moved on through cases.services, so its timeline is the one the portal
would have written. Times are counted back from the moment the demo is loaded, like the visits, so that the
clocks stand where the data files' comments say (临期, 超期) whenever it is loaded.

A story file is a list of steps run in order, each with these keys:

- `case`: the story's name for the case the step is about; `action`: a workflow action (cases.workflow
  `Action`), or "meeting" to record a consultation round; `by`: the username of who acts.
- when: `days_ago` and `time` (the day the demo is loaded being 0), or, for a case raised from a visit
  or a patrol finding, `minutes_after_origin`.
- a registration: `category`; `origin` (`{ visit_to = resident, kind = visit kind }` or
  `{ finding = key of patrols.toml }`), which gives the grid, channel, description and place; otherwise
  `grid`, `channel`, `description`, and `address` unless the requester's home is the place. The requester
  is a resident of the reports (`requester = name`), a caller from outside the registry
  (`caller = { name, phone }`) or nobody (`anonymous = true`).
- a move: `note`, and the action's parameters: `worker` (a username), `target` (another case of the
  story), `resolved`, `satisfaction`, `reason`.
- a meeting: `held_time` (the same day), `outcome`, `minutes`, `terms` (`{ party, action, due_days_ago }`);
  its place, chair, question and participants are the story's `[meeting]`.
"""

import datetime
from collections import Counter

from django.apps import apps as django_apps
from django.db.models import Exists, OuterRef
from django.utils import timezone

from cases import catalogue
from cases import services as case_services
from cases.models import Case, Category, Channel, Meeting, Participant, Satisfaction, UnresolvedReason
from cases.workflow import Action
from grids.models import Grid
from residents.models import CareEnrolment, Household, Resident
from visits import selectors as visit_selectors
from visits.models import PatrolFinding

from .common import birthday, data
from .planner import STORY_NAMES

STORIES = ("cases/zhao_heater", "cases/zhu_assistance", "cases/huanghe_shidu")
MEETING = "meeting"


class CaseWriter:
    """Registers the demo's requests and moves them on through cases.services, at times in the past."""

    def __init__(
        self, users: dict, people: dict[str, Resident], findings: dict[str, PatrolFinding], counts: Counter
    ) -> None:
        self.users = users
        self.people = people
        self.findings = findings
        self.counts = counts
        self.now = timezone.now()
        self.today = timezone.localdate()
        # The migration seeds the 事项清单 the stories use. A database flushed since it was migrated (as
        # transactional tests do) has lost it: seed what is missing the same way, leaving the rest alone.
        catalogue.seed(django_apps)
        self.categories = {category.name: category for category in Category.objects.all()}

    # When -------------------------------------------------------------------------------------------

    def hours_ago(self, hours: float) -> datetime.datetime:
        return self.now - datetime.timedelta(hours=hours)

    def date_ago(self, days: int) -> datetime.date:
        return self.today - datetime.timedelta(days=days)

    def day_at(self, days_ago: int, time: datetime.time) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.date_ago(days_ago), time))

    # What -------------------------------------------------------------------------------------------

    def intake(self, grid: Grid, category: str, **fields) -> case_services.Intake:
        category = self.categories[category]
        return case_services.Intake(grid=grid, category=category, urgency=category.default_urgency, **fields)

    def register(self, at: datetime.datetime, username: str, intake: case_services.Intake) -> Case:
        case = case_services.case_register(intake=intake, actor=self.users[username], now=at)
        self.counts["cases"] += 1
        return case

    def act(self, case: Case, at: datetime.datetime, action: str, username: str, note: str = "", **params):
        if "worker" in params:
            params["worker"] = self.users[params["worker"]]
        if "satisfaction" in params:
            params["satisfaction"] = Satisfaction(params["satisfaction"])
        if "reason" in params:
            params["reason"] = UnresolvedReason(params["reason"])
        return case_services.case_transition(
            case=case, action=Action(action), actor=self.users[username], note=note, now=at, **params
        )

    def meeting(
        self, case: Case, recorded_at: datetime.datetime, username: str, record: case_services.MeetingRecord
    ) -> Meeting:
        meeting = case_services.meeting_record(
            case=case, actor=self.users[username], record=record, now=recorded_at
        )
        self.counts["meetings"] += 1
        return meeting


def load_cases(
    grids: dict, users: dict, people: dict, findings: dict[str, PatrolFinding], counts: Counter
) -> None:
    """赵女士's mediated dispute, 朱先生's application, the 黄河食渡 clean-up and the service orders."""
    writer = CaseWriter(users, people, findings, counts)
    for story in STORIES:
        _play(writer, grids, data(story))
    _service_orders(writer, grids)


# Stories ---------------------------------------------------------------------------------------------


def _play(writer: CaseWriter, grids: dict, story: dict) -> None:
    """Run a story file's steps in order (see the module's docstring for their keys)."""
    cases: dict[str, Case] = {}
    for step in story["step"]:
        key, action, username = step["case"], step["action"], step["by"]
        if action == Action.REGISTER:
            at, intake = _story_intake(writer, grids, step)
            cases[key] = writer.register(at, username, intake)
        elif action == MEETING:
            at = writer.day_at(step["days_ago"], step["time"])
            writer.meeting(cases[key], at, username, _meeting_record(writer, story[MEETING], step))
        else:
            at = writer.day_at(step["days_ago"], step["time"])
            params = {
                name: step[name] for name in ("worker", "resolved", "satisfaction", "reason") if name in step
            }
            if "target" in step:
                params["target"] = cases[step["target"]]
            cases[key] = writer.act(cases[key], at, action, username, step.get("note", ""), **params)


def _story_intake(
    writer: CaseWriter, grids: dict, step: dict
) -> tuple[datetime.datetime, case_services.Intake]:
    """When a story's case came in, and what the desk (or the worker) wrote down."""
    if "requester" in step:
        requester = case_services.Requester(resident=writer.people[step["requester"]])
    elif "caller" in step:
        requester = case_services.Requester(name=step["caller"]["name"], phone=step["caller"]["phone"])
    else:
        requester = case_services.Requester(anonymous=step["anonymous"])
    origin = step.get("origin", {})
    if "visit_to" in origin:
        visit = writer.people[origin["visit_to"]].household.visits.get(kind=origin["kind"])
        draft = visit_selectors.request_draft_from_visit(visit)
        at = visit.visited_at
        place = {
            "household": draft.household,
            "building": draft.household.dwelling.building,
            "address": draft.location,
            "origin_visit": draft.origin_visit,
        }
    elif "finding" in origin:
        finding = writer.findings[origin["finding"]]
        draft = visit_selectors.request_draft_from_finding(finding)
        at = finding.patrol.ended_at
        place = {"address": draft.location, "origin_finding": finding}
    else:
        draft = None
        at = writer.day_at(step["days_ago"], step["time"])
        place = _home(requester.resident.household) if requester.resident else {"address": step["address"]}
    if draft is not None:
        at += datetime.timedelta(minutes=step["minutes_after_origin"])
        grid, channel, description = draft.grid, draft.channel, draft.description
    else:
        grid, channel, description = grids[step["grid"]], Channel(step["channel"]), step["description"]
    intake = writer.intake(
        grid, step["category"], channel=channel, description=description, requester=requester, **place
    )
    return at, intake


def _home(household: Household | None) -> dict:
    """The place of a request made by a resident about their home."""
    if household is None:
        return {"household": None, "building": None, "address": ""}
    return {
        "household": household,
        "building": household.dwelling.building,
        "address": str(household.dwelling),
    }


def _meeting_record(writer: CaseWriter, meeting: dict, step: dict) -> case_services.MeetingRecord:
    """A consultation round: the story's place, chair, question and participants, and the step's round."""
    participants = []
    for spec in meeting["participants"]:
        resident = writer.people[spec["resident"]] if "resident" in spec else None
        if resident:
            name = resident.name
        elif "user" in spec:
            name = writer.users[spec["user"]].first_name
        else:
            name = spec["name"]
        participants.append(
            case_services.ParticipantEntry(
                Participant.Role(spec["role"]), name, spec.get("organisation", ""), resident=resident
            )
        )
    terms = [
        case_services.TermEntry(term["party"], term["action"], writer.date_ago(term["due_days_ago"]))
        for term in step.get("terms", [])
    ]
    return case_services.MeetingRecord(
        held_at=writer.day_at(step["days_ago"], step["held_time"]),
        place=meeting["place"],
        chair=meeting["chair"],
        question=meeting["question"],
        minutes=step["minutes"],
        outcome=Meeting.Outcome(step["outcome"]),
        participants=participants,
        terms=terms,
    )


# Service orders --------------------------------------------------------------------------------------


def _requesters(grids: dict) -> dict[str, list[Resident]]:
    """Who asks for the service orders of each grid: one adult per household, households in care first."""
    today = timezone.localdate()
    adult = birthday(today, -18)
    in_care = CareEnrolment.objects.active_on(today).filter(household=OuterRef("household"))
    pools = {}
    for code, grid in grids.items():
        residents = (
            Resident.objects.current()
            .filter(household__grid=grid, household__status=Household.Status.ACTIVE, birth_date__lte=adult)
            .exclude(name__in=STORY_NAMES)
            .annotate(in_care=Exists(in_care))
            .select_related("household__dwelling__building")
            .order_by("-in_care", "household_id", "id")
        )
        seen, pool = set(), []
        for resident in residents:
            if resident.household_id not in seen:
                seen.add(resident.household_id)
                pool.append(resident)
        pools[code] = pool
    return pools


def _service_orders(writer: CaseWriter, grids: dict) -> None:
    """下水疏通, 陪同就医, 送餐送药 and 上门认证 in every state of the workflow.

    The orders are data/cases/service_orders.toml.
    """
    requesters = {code: iter(pool) for code, pool in _requesters(grids).items()}
    for order in data("cases/service_orders")["order"]:
        (hours, _register, registrar, *_rest), *steps = order["steps"]
        if "outsider" in order:
            requester = case_services.Requester(name=order["outsider"], phone=order["phone"])
            household = None
        else:
            resident = next(requesters[order["grid"]])
            requester, household = case_services.Requester(resident=resident), resident.household
        case = writer.register(
            writer.hours_ago(hours),
            registrar,
            writer.intake(
                grids[order["grid"]],
                order["category"],
                channel=Channel(order["channel"]),
                description=order["description"],
                requester=requester,
                **_home(household),
            ),
        )
        for hours, action, username, *rest in steps:
            note = rest[0] if rest else ""
            params = rest[1] if len(rest) > 1 else {}
            case = writer.act(case, writer.hours_ago(hours), action, username, note, **params)
