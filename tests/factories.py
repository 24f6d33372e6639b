"""factory-boy factories that respect the models' constraints (valid ID numbers, dated statuses)."""

import datetime
import random

import factory
from django.contrib.auth import get_user_model

from common.synthetic import make_id_number, make_mobile, make_name
from grids.models import Assignment, Building, Community, Dwelling, Grid, Role, Street
from residents.models import CareCategory, CareEnrolment, Household, Resident

_rng = random.Random(20261125)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.LazyFunction(lambda: make_name(_rng.random() < 0.5, _rng))
    password = factory.django.Password("pass-for-tests-only")


class StreetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Street

    name = factory.Sequence(lambda n: f"测试街道{n}")


class CommunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Community

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"测试社区{n}")


class GridFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Grid

    community = factory.SubFactory(CommunityFactory)
    code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"第{n}网格")


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Building

    grid = factory.SubFactory(GridFactory)
    address = factory.Sequence(lambda n: f"测试路{n + 1}号")


class DwellingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Dwelling

    building = factory.SubFactory(BuildingFactory)
    unit = "1"
    room = factory.Sequence(lambda n: f"{n + 101}")


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    dwelling = factory.SubFactory(DwellingFactory)
    grid = factory.LazyAttribute(lambda o: o.dwelling.building.grid)


class ResidentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Resident

    class Params:
        male = factory.LazyFunction(lambda: _rng.random() < 0.5)

    household = factory.SubFactory(HouseholdFactory)
    grid = factory.LazyAttribute(lambda o: o.household.grid)
    name = factory.LazyAttribute(lambda o: make_name(o.male, _rng))
    birth_date = factory.LazyFunction(
        lambda: datetime.date(1940, 1, 1) + datetime.timedelta(days=_rng.randrange(0, 30000))
    )
    sex = factory.LazyAttribute(lambda o: "male" if o.male else "female")
    id_number = factory.LazyAttribute(lambda o: make_id_number(o.birth_date, o.male, _rng))
    phone = factory.LazyFunction(lambda: make_mobile(_rng))


class CareEnrolmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareEnrolment

    household = factory.SubFactory(HouseholdFactory)
    category = CareCategory.ELDERLY_LIVING_ALONE
    since = datetime.date(2024, 1, 1)


def assign(user, role: Role, place) -> Assignment:
    """Give a user a role over a grid, community or street (the level the role belongs to)."""
    level = {Grid: "grid", Community: "community", Street: "street"}[type(place)]
    return Assignment.objects.create(user=user, role=role, **{level: place})


def log_visit(household, author, visited_at, **changes):
    """Log a visit through the service, as the portal does; `author` must serve the household's grid."""
    from visits import services

    details = {
        "visited_at": visited_at,
        "kind": "wellbeing",
        "condition": "normal",
        "notes": "",
        "needs_found": "",
        "residents_met": [],
        "visitors": [author],
        "team_members": [],
        "gifts": [],
    }
    details.update(changes)
    return services.visit_log(household=household, author=author, details=services.VisitDetails(**details))


def edit_visit(visit, editor, **changes):
    """Edit a visit through the service, as its author does within the day: what it holds, with `changes`."""
    import dataclasses

    from visits import services

    details = services.VisitDetails(
        visited_at=visit.visited_at,
        kind=visit.kind,
        outcome=visit.outcome,
        condition=visit.condition,
        notes=visit.notes,
        needs_found=visit.needs_found,
        residents_met=list(visit.residents_met.all()),
        visitors=list(visit.visitors.all()),
        team_members=list(visit.team_members.all()),
        gifts=[],
    )
    return services.visit_edit(visit=visit, editor=editor, details=dataclasses.replace(details, **changes))


def register_case(grid, actor, *, category="环境卫生", description="楼道堆放杂物，影响通行。", **changes):
    """Register a request through the service, as the intake form does (a named outsider by default)."""
    from cases import services
    from cases.models import Category

    category = Category.objects.get(name=category)
    fields = {
        "channel": "walk_in",
        "grid": grid,
        "category": category,
        "urgency": category.default_urgency,
        "description": description,
        "requester": services.Requester(name="李女士", phone="13800001234"),
    }
    fields.update(changes)
    return services.case_register(intake=services.Intake(**fields), actor=actor)


# The actions that bring a registered case to each state, and who takes them ("staff", "worker", "street").
PATH_TO = {
    "submitted": [],
    "dispatched": [("accept", "staff")],
    "in_progress": [("accept", "staff"), ("take", "worker")],
    "escalated": [("accept", "staff"), ("take", "worker"), ("escalate", "worker")],
    "in_consultation": [("accept", "staff"), ("take", "worker"), ("open_consultation", "worker")],
    "resolved": [("accept", "staff"), ("take", "worker"), ("resolve", "worker")],
    "closed": [("reject", "staff")],
}


def case_in(state: str, grid, *, staff, worker, now=None, **register):
    """A case brought to `state` through the transition service (notes filled where the table asks)."""
    from cases import services

    case = register_case(grid, staff, **register)
    for action, who in PATH_TO[state]:
        actor = {"staff": staff, "worker": worker}[who]
        case = services.case_transition(case=case, action=action, actor=actor, note="处理说明", now=now)
    return case
