"""The demo's households, residents, care enrolments and liaison links, written through residents.services.

The households of the reports come from data/households.toml; everyone else is drawn by the planner.
"""

import random
from collections import Counter

from common import synthetic
from residents import services
from residents.models import CareEnrolment, Household, Resident

from .common import SEED, birthday, data
from .places import STREETS, dwellings_of
from .planner import Enrolment, HouseholdPlan, Person, Planner


def story_households(planner: Planner) -> list[HouseholdPlan]:
    """苏奶奶, her liaison Party member, 朱先生, 赵女士 and 杜先生, as the reports tell of them."""
    plans, people = [], {}
    for spec in data("households")["story"]:
        members = [_story_person(planner, member) for member in spec["members"]]
        people.update((person.name, person) for person in members)
        plans.append(
            HouseholdPlan(
                spec["grid"],
                tuple(spec["dwelling"]),
                members,
                kind="story",
                note=spec.get("note", ""),
                enrolments=[_story_enrolment(people, enrolment) for enrolment in spec.get("enrolments", [])],
            )
        )
    # A liaison may live in a household listed after the one they serve.
    for plan, spec in zip(plans, data("households")["story"], strict=True):
        if "liaison" in spec:
            plan.liaison = people[spec["liaison"]]
            plan.liaison_since = spec["liaison_since"]
    return plans


def _story_person(planner: Planner, spec: dict) -> Person:
    fields = {key: spec[key] for key in ("political", "status", "status_date") if key in spec}
    phone = spec.get("phone", "")
    if phone == "drawn":
        phone = synthetic.make_mobile(planner.rng)
    return Person(spec["name"], spec["male"], spec["birth"], spec["relation"], phone=phone, **fields)


def _story_enrolment(people: dict[str, Person], spec: dict) -> Enrolment:
    person = people[spec["person"]] if "person" in spec else None
    since = birthday(person.birth, spec["since_age"]) if "since_age" in spec else spec["since"]
    fields = {key: spec[key] for key in ("until", "disability_type", "disability_grade") if key in spec}
    return Enrolment(spec["category"], since, person, **fields)


def plan_households() -> list[HouseholdPlan]:
    """Every household of the demo, with members, enrolments and liaisons, drawn from SEED."""
    planner = Planner(random.Random(SEED))
    stories = story_households(planner)
    taken = {h.dwelling for h in stories}
    dwellings = {
        grid["code"]: [
            (address, unit, room)
            for address, entrances, floors in grid["buildings"]
            for unit, room in dwellings_of(address, entrances, floors)
            if (address, unit, room) not in taken
        ]
        for street in STREETS
        for community in street["community"]
        for grid in community["grid"]
    }
    plans = planner.synthetic_households(dwellings)
    planner.enrol(plans)
    everyone = stories + plans
    planner.id_numbers_for(everyone)
    planner.link_party_members(everyone)
    return everyone


def load_households(dwellings: dict, counts: Counter) -> dict[str, Resident]:
    """Households, residents, enrolments and liaison links; returns the reports' people by name."""
    plans = plan_households()
    residents: dict[int, Resident] = {}
    households: dict[int, Household] = {}
    spare = random.Random(SEED + 1)
    for plan in plans:
        household = services.household_create(dwelling=dwellings[plan.dwelling], note=plan.note)
        households[id(plan)] = household
        counts["households"] += 1
        for p in plan.members:
            residents[id(p)] = _save_resident(household, p, spare)
            counts["residents"] += 1
        for e in plan.enrolments:
            services.enrolment_save(
                enrolment=CareEnrolment(
                    household=household,
                    resident=residents[id(e.person)] if e.person else None,
                    category=e.category,
                    since=e.since,
                    until=e.until,
                    disability_type=e.disability_type,
                    disability_grade=e.disability_grade,
                    allowance_monthly_amount=e.amount,
                    allowance_certificate=e.certificate,
                    note=e.note,
                )
            )
            counts["enrolments"] += 1
    # Links and moves come last: a liaison may live in a household created after the one they serve.
    for plan in plans:
        if plan.liaison:
            services.liaison_link(
                party_member=residents[id(plan.liaison)],
                household=households[id(plan)],
                since=plan.liaison_since,
            )
            counts["liaison_links"] += 1
        if plan.moved_out_on:
            services.household_move_out(household=households[id(plan)], on=plan.moved_out_on)
            counts["moved_out_households"] += 1
    return {p.name: residents[id(p)] for plan in plans if plan.kind == "story" for p in plan.members}


def _save_resident(household: Household, p: Person, spare: random.Random) -> Resident:
    # A number someone already entered by hand is left to them; this one takes another.
    while Resident.objects.with_id_number(p.id_number).exists():
        p.id_number = synthetic.make_id_number(p.birth, p.male, spare, p.region)
    resident = Resident(
        household=household,
        name=p.name,
        id_number=p.id_number,
        sex=Resident.Sex.MALE if p.male else Resident.Sex.FEMALE,
        birth_date=p.birth,
        phone=p.phone,
        relation_to_head=p.relation,
        political_status=p.political,
        residence_type=p.residence,
        status=p.status,
        status_date=p.status_date,
    )
    return services.resident_save(resident=resident)
