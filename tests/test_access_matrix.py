"""The access matrix: every URL of the portal, as each kind of user, and the answer each must get.

Seven users, after healthchecks' owner / member / outsider (the columns of MATRIX, in this order):
    anon          not signed in
    worker_a      专职网格员 of grid A
    worker_b      专职网格员 of grid B, in the same community as A
    staff         社区工作人员 of A's community
    other_leader  社区党委书记 of another community (of the same street)
    street        街道领导 of A's street
    admin         a superuser
Every object a URL names lies in grid A. The answers:
    LOGIN         302 to the login page (LoginRequiredMiddleware); ALOGIN: to the admin's own
    404           the object lies outside the user's scope (its existence is not revealed)
    403           in scope, but the user's roles do not allow it
    200           the page, or a form drawn again with its errors (400 for a case action's form)
    302           a successful POST, or a page that sends the user on; never to a login page
    405           the URL does not take this method

The URL names are read from the URL conf: a URL added without a row fails `test_every_url_has_a_row`,
and so does a row for a URL that is gone. Every (state, action) of `cases.workflow.WORKFLOW` is posted as
the case page posts it, or `test_every_workflow_move_has_a_row` fails.

To add a URL: add its rows to MATRIX, under its app: GET(...) and, if its view takes POST, POST(...),
naming the object of grid A its URL takes (an attribute of `World`; build a new one in `_build` if none
fits) and the answer of each user. For a POST, put what its form posts in FORM_DATA under the URL name:
valid data, so that a permitted user's POST succeeds and a refusal can only be the access check. Find the
answers by reading the view and by running this module. Where an answer looks wrong for the domain,
write what the code does with a comment `# current behaviour: ...` and raise it.

Rows are keyed by URL name, not by view, so moving a view to another module changes nothing here. The
objects are built once for the module and each test runs in a savepoint, so what a POST changes is undone
before the next test.
"""

import datetime
import importlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from PIL import Image

from cases import services as case_services
from cases.models import AgreementTerm, Case, CaseAttachment, Category, Deliberation, Meeting, Status
from cases.workflow import WORKFLOW, Action, Hat
from grids.models import Building, Grid, Role
from hotline import services as hotline_services
from notifications.models import Notification, VisitAlert
from public import services as public_services
from residents.models import CareCategory, CareEnrolment, Household, Resident
from shops.models import Shop
from tests.factories import (
    BuildingFactory,
    CareEnrolmentFactory,
    CommunityFactory,
    GridFactory,
    HouseholdFactory,
    ResidentFactory,
    StreetFactory,
    UserFactory,
    assign,
    case_in,
    log_visit,
)
from tests.test_case_meetings import in_days, meeting_data, record
from tests.test_deliberations import gather, meet, walk
from tests.test_projects import PATH_TO as PROJECT_PATH_TO
from tests.test_projects import in_days as project_in_days
from tests.test_projects import need_in, project_in, resource_in, unit_in
from tests.test_shops import ShopFactory
from tests.test_visit_views import visit_data
from visits import services as visit_services
from visits.models import Patrol, PatrolFinding, RecordPhoto, Visit
from volunteers import services as volunteer_services
from volunteers.models import (
    Activity,
    ActivityPhoto,
    ActivitySignUp,
    PartnerUnit,
    ReportingMember,
    Volunteer,
    VolunteerTeam,
)

pytestmark = pytest.mark.django_db

USERS = ("anon", "worker_a", "worker_b", "staff", "other_leader", "street", "admin")
LOGIN = "LOGIN"
ALOGIN = "ALOGIN"


@dataclass(frozen=True)
class Call:
    """One request: the URL name, the method, the object of grid A whose pk the URL takes, and the rest."""

    name: str
    method: str
    obj: str = ""  # an attribute of World
    args: tuple = ()  # URL arguments after the object's pk, as they are
    q: str = ""  # a key of QUERIES: the query string
    action: str = ""  # cases:act only: the workflow action posted

    @property
    def id(self) -> str:
        if self.name == "projects:project_act":
            return f"{self.args[0]}@{self.obj.removeprefix('project_')}"
        if self.action:
            return f"{self.action}@{self.obj.removeprefix('case_')}"
        return f"{self.method}?{self.q}" if self.q else self.method


def GET(name, obj="", *, args=(), q=""):  # upper case: reads as the method in the table
    return Call(name, "GET", obj, args, q)


def POST(name, obj="", *, args=(), q=""):
    return Call(name, "POST", obj, args, q)


def PACT(action, state):
    """A project workflow action posted from the project page on grid A's community's project in `state`."""
    return Call("projects:project_act", "POST", f"project_{state}", (action,))


def ACT(action, state):
    """A workflow action posted from the case page (cases:act) on the case of grid A in `state`."""
    return Call("cases:act", "POST", f"case_{state}", (action,), "", action)


QUERIES: dict[str, Callable] = {
    "scope": lambda w: {"scope": f"community:{w.grid_a.community_id}"},  # the dashboard of A's community
    "co_figure": lambda w: {"scope": f"community:{w.grid_a.community_id}", "figure": "activities"},
    "grid": lambda w: {"grid": w.grid_a.pk},
    "household": lambda w: {"household": w.household.pk},
    "visit": lambda w: {"visit": w.visit.pk},
    "case": lambda w: {"case": w.case_in_progress.pk},
    "name": lambda w: {"q": w.resident.name},
    # worker A's cases in hand, from A's community's workload table
    "workload": lambda w: {
        "scope": f"community:{w.grid_a.community_id}",
        "worker": w.users["worker_a"].pk,
        "measure": "held",
    },
}

# fmt: off
MATRIX = [
    # request (columns: USERS)                             anon  w_a  w_b  stf  oth  str  adm
    # --- portal: home, dashboard -------------------------------------------------------------------------
    # The home page sends leaders, staff and superusers on to their page; grid roles get their workbench.
    (GET("home"),                                         "LOGIN 200  200  302  302  302  302"),
    # The load balancer's and monitoring's probes: no login, the same one-word answer for everyone.
    (GET("health"),                                       "200   200  200  200  200  200  200"),
    (POST("health"),                                      "405   405  405  405  405  405  405"),
    (GET("health_worker"),                                "200   200  200  200  200  200  200"),
    # A grid worker's dashboard covers their grid; the units on offer are the user's (a worker may not
    # choose A's community as a whole: 404).
    (GET("dashboard:index"),                              "LOGIN 200  200  200  200  200  200"),
    (GET("dashboard:index", q="scope"),                   "LOGIN 404  404  200  404  200  200"),
    (GET("dashboard:export"),                             "LOGIN 200  200  200  200  200  200"),
    (GET("dashboard:report"),                             "LOGIN 200  200  200  200  200  200"),
    (GET("dashboard:households"),                         "LOGIN 200  200  200  200  200  200"),
    # The records behind a co-governance figure: the user's own scope; a figure must be named.
    (GET("dashboard:cogovernance"),                       "LOGIN 404  404  404  404  404  404"),
    (GET("dashboard:cogovernance", q="co_figure"),        "LOGIN 404  404  200  404  200  200"),
    # The dashboard's co-governance section: the dashboard's own scope rules.
    (GET("dashboard:cogovernance_panel"),                 "LOGIN 200  200  200  200  200  200"),
    (GET("dashboard:cogovernance_panel", q="scope"),      "LOGIN 404  404  200  404  200  200"),
    # Each grid worker's workload: their leaders (grid leader, community staff and leader, street leader).
    (GET("dashboard:workload"),                           "LOGIN 403  403  200  200  200  200"),
    (GET("dashboard:workload", q="scope"),                "LOGIN 403  403  200  404  200  200"),
    (GET("dashboard:workload_cases", q="workload"),       "LOGIN 403  403  200  404  200  200"),
    # --- audit: leaders read their scope's audit, superusers all of it; nobody else ---------------------
    (GET("audit:list"),                                   "LOGIN 403  403  403  200  200  200"),
    (GET("audit:export"),                                 "LOGIN 403  403  403  200  200  200"),
    # --- accounts: signing in, the second factor, the language menu ----------------------------------------
    # Everyone here but the street leader must use a second factor (accounts.permissions); the matrix's
    # sessions have passed it (tests/conftest.py). The street leader has no device and needs none.
    (GET("login"),                                        "200   200  200  200  200  200  200"),
    (POST("login"),                                       "200   200  200  200  200  200  200"),
    (GET("logout"),                                       "LOGIN 405  405  405  405  405  405"),
    (POST("logout"),                                      "LOGIN 302  302  302  302  302  302"),
    (GET("password_change"),                              "LOGIN 200  200  200  200  200  200"),
    (POST("password_change"),                             "LOGIN 200  200  200  200  200  200"),
    (GET("password_change_done"),                         "LOGIN 200  200  200  200  200  200"),
    (GET("accounts:security"),                            "LOGIN 200  200  200  200  200  200"),
    # Enrolled users are sent to their account page; the street leader gets the form (a wrong code: 200).
    (GET("accounts:enrol"),                               "LOGIN 302  302  302  302  200  302"),
    (POST("accounts:enrol"),                              "LOGIN 302  302  302  302  200  302"),
    # Verified users go on to `next`; the street leader, with no device, to the enrolment.
    (GET("accounts:verify"),                              "LOGIN 302  302  302  302  302  302"),
    (POST("accounts:verify"),                             "LOGIN 302  302  302  302  302  302"),
    # Backup codes are shown once (none left to show: 200); new ones need an authenticator (else: enrol).
    (GET("accounts:backup_codes"),                        "LOGIN 200  200  200  200  200  200"),
    (POST("accounts:backup_codes"),                       "LOGIN 302  302  302  302  302  302"),
    # The language menu is on the login page too: open to everyone.
    (GET("set_language"),                                 "302   302  302  302  302  302  302"),
    (POST("set_language"),                                "302   302  302  302  302  302  302"),
    # --- Django's admin: a few rows stand for its ~140 URLs (see test_every_url_has_a_row) ----------------
    (GET("admin:index"),                                  "ALOGIN ALOGIN ALOGIN ALOGIN ALOGIN ALOGIN 200"),
    (GET("admin:login"),                                  "200   200  200  200  200  200  302"),
    # current behaviour: anonymous users reach a model's admin page through the portal's login, not the
    # admin's (LoginRequiredMiddleware stops them before admin_view does); the admin index uses the admin's.
    (GET("admin:cases_case_changelist"),                  "LOGIN ALOGIN ALOGIN ALOGIN ALOGIN ALOGIN 200"),
    # The audit is read only in the admin, for superusers too: no add form (403), no delete.
    (GET("admin:audit_auditevent_changelist"),            "LOGIN ALOGIN ALOGIN ALOGIN ALOGIN ALOGIN 200"),
    (GET("admin:audit_auditevent_add"),                   "LOGIN ALOGIN ALOGIN ALOGIN ALOGIN ALOGIN 403"),
    (GET("admin:audit_residenthistory_changelist"),       "LOGIN ALOGIN ALOGIN ALOGIN ALOGIN ALOGIN 200"),
    # --- grids ----------------------------------------------------------------------------------------------
    (GET("grids:list"),                                   "LOGIN 200  200  200  200  200  200"),
    (GET("grids:detail", "grid_a"),                       "LOGIN 200  404  200  404  200  200"),
    # Buildings are registered by 网格长, community staff and leaders (grids.permissions.BUILDING_EDIT_ROLES).
    (GET("grids:building_new", "grid_a"),                 "LOGIN 403  404  200  404  403  200"),
    (POST("grids:building_new", "grid_a"),                "LOGIN 403  404  302  404  403  302"),
    # --- shops (实有单位) and their 门前三包 pledges: read by everyone serving the grid, kept by the
    # registry's keepers (grids.permissions.can_edit_registry); the street leader reads them only.
    (GET("shops:list"),                                   "LOGIN 200  200  200  200  200  200"),
    (GET("shops:detail", "shop"),                         "LOGIN 200  404  200  404  200  200"),
    (GET("shops:new", "grid_a"),                          "LOGIN 200  404  200  404  403  200"),
    (POST("shops:new", "grid_a"),                         "LOGIN 302  404  302  404  403  302"),
    (GET("shops:edit", "shop"),                           "LOGIN 200  404  200  404  403  200"),
    (POST("shops:edit", "shop"),                          "LOGIN 302  404  302  404  403  302"),
    (GET("shops:pledge_new", "shop"),                     "LOGIN 200  404  200  404  403  200"),
    (POST("shops:pledge_new", "shop"),                    "LOGIN 302  404  302  404  403  302"),
    # --- residents: the registry. Street leaders read it but do not keep it (REGISTRY_EDIT_ROLES) -----------
    (GET("household_file", "household"),                  "LOGIN 200  404  200  404  200  200"),
    (GET("residents:search"),                             "LOGIN 200  200  200  200  200  200"),
    # The search form posts (a full number must not travel in a URL), then goes on to its GET page.
    (POST("residents:search"),                            "LOGIN 302  302  302  302  302  302"),
    (GET("residents:household_list"),                     "LOGIN 200  200  200  200  200  200"),
    (GET("residents:household_list", q="grid"),           "LOGIN 200  404  200  404  200  200"),
    # A new household needs a building the user keeps; worker B's and the other leader's grids have none.
    (GET("residents:household_create"),                   "LOGIN 200  403  200  403  403  200"),
    (POST("residents:household_create"),                  "LOGIN 302  403  302  403  403  302"),
    (GET("residents:household_edit", "household"),        "LOGIN 200  404  200  404  403  200"),
    (POST("residents:household_edit", "household"),       "LOGIN 302  404  302  404  403  302"),
    (GET("residents:household_move_out", "household"),    "LOGIN 200  404  200  404  403  200"),
    (POST("residents:household_move_out", "household"),   "LOGIN 302  404  302  404  403  302"),
    (GET("residents:resident_create", "household"),       "LOGIN 200  404  200  404  403  200"),
    (POST("residents:resident_create", "household"),      "LOGIN 302  404  302  404  403  302"),
    (GET("residents:enrolment_create", "household"),      "LOGIN 200  404  200  404  403  200"),
    (POST("residents:enrolment_create", "household"),     "LOGIN 302  404  302  404  403  302"),
    (GET("residents:liaison_set", "household"),           "LOGIN 200  404  200  404  403  200"),
    (POST("residents:liaison_set", "household"),          "LOGIN 302  404  302  404  403  302"),
    (GET("residents:resident_edit", "resident"),          "LOGIN 200  404  200  404  403  200"),
    (POST("residents:resident_edit", "resident"),         "LOGIN 302  404  302  404  403  302"),
    (GET("residents:resident_status", "resident"),        "LOGIN 200  404  200  404  403  200"),
    (POST("residents:resident_status", "resident"),       "LOGIN 302  404  302  404  403  302"),
    # A full ID number or phone: only the roles whose work needs it (grids.models.REVEAL_ROLES).
    (GET("residents:resident_reveal", "resident"),        "LOGIN 405  405  405  405  405  405"),
    (POST("residents:resident_reveal", "resident"),       "LOGIN 200  404  200  404  403  200"),
    (GET("residents:enrolment_edit", "enrolment"),        "LOGIN 200  404  200  404  403  200"),
    (POST("residents:enrolment_edit", "enrolment"),       "LOGIN 302  404  302  404  403  302"),
    (GET("residents:ledger_template"),                    "LOGIN 200  200  200  200  200  200"),
    # Community staff and leaders import into their own communities (the other leader: into theirs).
    # The POST sends no file: the page says so (200) once access is granted.
    (GET("residents:ledger_import"),                      "LOGIN 403  403  200  200  403  200"),
    (POST("residents:ledger_import"),                     "LOGIN 403  403  200  200  403  200"),
    (GET("residents:ledger_export"),                      "LOGIN 200  200  200  200  200  200"),
    # --- visits and patrols -------------------------------------------------------------------------------
    (GET("visits:due"),                                   "LOGIN 200  200  200  200  200  200"),
    # Anyone serving the grid, street leaders included, knocks on its doors (visits.permissions).
    (GET("visits:new", q="household"),                    "LOGIN 200  404  200  404  200  200"),
    (POST("visits:new", q="household"),                   "LOGIN 302  404  302  404  302  302"),
    (GET("visits:detail", "visit"),                       "LOGIN 200  404  200  404  200  200"),
    # Only the author (worker A) changes a visit, within 24 hours; everyone else, superusers included, 403.
    (GET("visits:edit", "visit"),                         "LOGIN 200  404  403  404  403  403"),
    (POST("visits:edit", "visit"),                        "LOGIN 302  404  403  404  403  403"),
    (GET("visits:correct", "visit"),                      "LOGIN 405  405  405  405  405  405"),
    (POST("visits:correct", "visit"),                     "LOGIN 302  404  302  404  302  302"),
    (GET("visits:plan", "household"),                     "LOGIN 200  404  200  404  403  200"),
    (POST("visits:plan", "household"),                    "LOGIN 302  404  302  404  403  302"),
    (GET("visits:list"),                                  "LOGIN 200  200  200  200  200  200"),
    (GET("visits:export"),                                "LOGIN 200  200  200  200  200  200"),
    (GET("visits:overdue"),                               "LOGIN 200  200  200  200  200  200"),
    (GET("visits:overdue", q="grid"),                     "LOGIN 200  404  200  404  200  200"),
    (GET("visits:patrols"),                               "LOGIN 200  200  200  200  200  200"),
    # Patrols are walked by grid roles (visits.permissions.PATROL_ROLES). Worker B patrols grid B: the
    # form does not offer grid A and is drawn again with that error (200); a create form reveals nothing.
    (GET("visits:patrol_new"),                            "LOGIN 200  200  403  403  403  200"),
    (POST("visits:patrol_new"),                           "LOGIN 302  200  403  403  403  302"),
    (GET("visits:patrol_detail", "patrol"),               "LOGIN 200  404  200  404  200  200"),
    # Photos of a visit or a finding: added by anyone serving the grid, served to anyone who sees the record.
    (GET("visits:photo_add", "visit"),                    "LOGIN 405  405  405  405  405  405"),
    (POST("visits:photo_add", "visit"),                   "LOGIN 302  404  302  404  302  302"),
    (GET("visits:finding_photo_add", "finding"),          "LOGIN 405  405  405  405  405  405"),
    (POST("visits:finding_photo_add", "finding"),         "LOGIN 302  404  302  404  302  302"),
    (GET("visits:photo", "record_photo"),                 "LOGIN 200  404  200  404  200  200"),
    # --- volunteers: partner units, reporting members, volunteers, teams, activities ---------------------
    # Everyone who sees A's community reads them; its staff and leader (and superusers) keep them
    # (volunteers.permissions): the others get 403 on writes, the other community's leader 404. The
    # other leader keeps their own community: the create forms open, and do not offer A's (200).
    (GET("volunteers:units"),                             "LOGIN 200  200  200  200  200  200"),
    (GET("volunteers:unit_new"),                          "LOGIN 403  403  200  200  403  200"),
    (POST("volunteers:unit_new"),                         "LOGIN 403  403  302  200  403  302"),
    (GET("volunteers:unit_detail", "unit"),               "LOGIN 200  200  200  404  200  200"),
    (GET("volunteers:unit_edit", "unit"),                 "LOGIN 403  403  200  404  403  200"),
    (POST("volunteers:unit_edit", "unit"),                "LOGIN 403  403  302  404  403  302"),
    (GET("volunteers:members"),                           "LOGIN 200  200  200  200  200  200"),
    (GET("volunteers:member_new"),                        "LOGIN 403  403  200  200  403  200"),
    (POST("volunteers:member_new"),                       "LOGIN 403  403  302  200  403  302"),
    (GET("volunteers:member_detail", "member"),           "LOGIN 200  200  200  404  200  200"),
    (GET("volunteers:volunteers"),                        "LOGIN 200  200  200  200  200  200"),
    (GET("volunteers:volunteer_new"),                     "LOGIN 403  403  200  200  403  200"),
    (POST("volunteers:volunteer_new"),                    "LOGIN 403  403  302  200  403  302"),
    (GET("volunteers:volunteer_detail", "volunteer"),     "LOGIN 200  200  200  404  200  200"),
    (GET("volunteers:volunteer_edit", "volunteer"),       "LOGIN 403  403  200  404  403  200"),
    (POST("volunteers:volunteer_edit", "volunteer"),      "LOGIN 403  403  302  404  403  302"),
    (GET("volunteers:certificate", "volunteer", args=(2026,)),
                                                          "LOGIN 200  200  200  404  200  200"),
    (GET("volunteers:teams"),                             "LOGIN 200  200  200  200  200  200"),
    (GET("volunteers:team_new"),                          "LOGIN 403  403  200  200  403  200"),
    (POST("volunteers:team_new"),                         "LOGIN 403  403  302  200  403  302"),
    (GET("volunteers:team_detail", "team"),               "LOGIN 200  200  200  404  200  200"),
    (GET("volunteers:team_edit", "team"),                 "LOGIN 403  403  200  404  403  200"),
    (POST("volunteers:team_edit", "team"),                "LOGIN 403  403  302  404  403  302"),
    (GET("volunteers:activities"),                        "LOGIN 200  200  200  200  200  200"),
    (GET("volunteers:activity_new"),                      "LOGIN 403  403  200  200  403  200"),
    (POST("volunteers:activity_new"),                     "LOGIN 403  403  302  200  403  302"),
    (GET("volunteers:activity_detail", "activity"),       "LOGIN 200  200  200  404  200  200"),
    (GET("volunteers:activity_edit", "activity"),         "LOGIN 403  403  200  404  403  200"),
    (POST("volunteers:activity_edit", "activity"),        "LOGIN 403  403  302  404  403  302"),
    (GET("volunteers:sign_up", "activity"),               "LOGIN 405  405  405  405  405  405"),
    (POST("volunteers:sign_up", "activity"),              "LOGIN 403  403  302  404  403  302"),
    (GET("volunteers:sign_up_cancel", "sign_up"),         "LOGIN 405  405  405  405  405  405"),
    (POST("volunteers:sign_up_cancel", "sign_up"),        "LOGIN 403  403  302  404  403  302"),
    (GET("volunteers:attendance", "activity"),            "LOGIN 403  403  200  404  403  200"),
    (POST("volunteers:attendance", "activity"),           "LOGIN 403  403  302  404  403  302"),
    (GET("volunteers:report", "activity"),                "LOGIN 405  405  405  405  405  405"),
    (POST("volunteers:report", "activity"),               "LOGIN 403  403  302  404  403  302"),
    (GET("volunteers:photo_add", "activity"),             "LOGIN 405  405  405  405  405  405"),
    (POST("volunteers:photo_add", "activity"),            "LOGIN 403  403  302  404  403  302"),
    (GET("volunteers:photo", "activity_photo"),           "LOGIN 200  200  200  404  200  200"),
    # --- cases ----------------------------------------------------------------------------------------------
    # Anyone serving a grid registers requests in it (首接负责). Grid A is not among worker B's or the
    # other leader's choices: the form is drawn again with that error (200).
    (GET("cases:new"),                                    "LOGIN 200  200  200  200  200  200"),
    (POST("cases:new"),                                   "LOGIN 302  200  302  200  302  302"),
    # The intake's htmx pickers answer everyone with what lies in their own grids (nothing of A for B).
    # POST, so that a full number never travels in a URL (issue 14, finding 10).
    (GET("cases:requester_search", q="name"),             "LOGIN 405  405  405  405  405  405"),
    (POST("cases:requester_search"),                      "LOGIN 200  200  200  200  200  200"),
    (GET("cases:building_options", q="grid"),             "LOGIN 200  200  200  200  200  200"),
    (GET("cases:queue"),                                  "LOGIN 200  200  200  200  200  200"),
    (GET("cases:desk"),                                   "LOGIN 200  200  200  200  200  200"),
    # The street's inbox of escalated cases and its actions: street leaders and superusers only.
    (GET("cases:street_inbox"),                           "LOGIN 403  403  403  403  200  200"),
    (GET("cases:street_act", "case_escalated", args=("resolve",)), "LOGIN 403  403  403  403  200  200"),
    (POST("cases:street_act", "case_escalated", args=("resolve",)), "LOGIN 403  403  403  403  302  302"),
    (GET("cases:list"),                                   "LOGIN 200  200  200  200  200  200"),
    # Bulk dispatch is the desk's (workers and the street leader: 403); a case outside the scope is 404.
    (GET("cases:bulk"),                                   "LOGIN 405  405  405  405  405  405"),
    (POST("cases:bulk"),                                  "LOGIN 403  403  302  404  403  302"),
    (GET("cases:export"),                                 "LOGIN 200  200  200  200  200  200"),
    (GET("cases:detail", "case_dispatched"),              "LOGIN 200  404  200  404  200  200"),
    (GET("cases:attachment", "attachment"),               "LOGIN 200  404  200  404  200  200"),
    (GET("cases:attachment_add", "case_dispatched"),      "LOGIN 405  405  405  405  405  405"),
    (POST("cases:attachment_add", "case_dispatched"),     "LOGIN 302  404  302  404  302  302"),
    # The requester's phone, to call back: the roles that may reveal (REVEAL_ROLES over the case's grid).
    (GET("cases:requester_phone", "case_resolved"),       "LOGIN 405  405  405  405  405  405"),
    (POST("cases:requester_phone", "case_resolved"),      "LOGIN 200  404  200  404  403  200"),
    # A consultation round is recorded by the handler (worker A) or the desk: the move record_meeting.
    (GET("cases:meeting_new", "case_in_consultation"),    "LOGIN 200  404  200  404  403  200"),
    (POST("cases:meeting_new", "case_in_consultation"),   "LOGIN 302  404  302  404  403  302"),
    (GET("cases:agreement", "meeting"),                   "LOGIN 200  404  200  404  200  200"),
    # An agreed term is confirmed done by the desk or the case's handler (worker A); not the street leader.
    (GET("cases:term_done", "term"),                      "LOGIN 405  405  405  405  405  405"),
    (POST("cases:term_done", "term"),                     "LOGIN 302  404  302  404  403  302"),
    # --- cases: community deliberations (居民议事). Everyone serving the community reads them (both grid
    # workers of A's community); grid workers and the desk propose topics; the desk (staff, community
    # leaders) moves them; street leaders read; another community's leader gets 404.
    (GET("cases:deliberation_list"),                      "LOGIN 200  200  200  200  200  200"),
    (GET("cases:deliberation_new"),                       "LOGIN 200  200  200  200  403  200"),
    # The other leader proposes in their own community only: A's is not a choice of theirs (form errors).
    (POST("cases:deliberation_new"),                      "LOGIN 302  302  302  200  403  302"),
    (GET("cases:deliberation_detail", "deliberation"),    "LOGIN 200  200  200  404  200  200"),
    (GET("cases:deliberation_act", "deliberation", args=("fix",)),  "LOGIN 405  405  405  405  405  405"),
    (POST("cases:deliberation_act", "deliberation", args=("fix",)), "LOGIN 403  403  302  404  403  302"),
    (GET("cases:deliberation_meeting_new", "deliberation_fixed"),   "LOGIN 403  403  200  404  403  200"),
    (POST("cases:deliberation_meeting_new", "deliberation_fixed"),  "LOGIN 403  403  302  404  403  302"),
    # The agreement page and the terms are the case meeting's, for a deliberation's meeting too.
    (GET("cases:agreement", "deliberation_meeting"),      "LOGIN 200  200  200  404  200  200"),
    (POST("cases:term_done", "deliberation_term"),        "LOGIN 403  403  302  404  403  302"),
    # --- notifications: each user's own (another's is not found, a superuser's too) -----------------------
    (GET("notifications:list"),                           "LOGIN 200  200  200  200  200  200"),
    (GET("notifications:bell"),                           "LOGIN 200  200  200  200  200  200"),
    (GET("notifications:read", "notification"),           "LOGIN 405  405  405  405  405  405"),
    (POST("notifications:read", "notification"),          "LOGIN 302  404  404  404  404  404"),
    (GET("notifications:read_all"),                       "LOGIN 405  405  405  405  405  405"),
    (POST("notifications:read_all"),                      "LOGIN 302  302  302  302  302  302"),
    # The desk's 紧急 visits: everyone gets the block (empty outside their desk); the desk acknowledges.
    (GET("notifications:visit_alerts"),                   "LOGIN 200  200  200  200  200  200"),
    (GET("notifications:visit_alert_acknowledge", "visit_alert"), "LOGIN 405 405 405  405  405  405"),
    (POST("notifications:visit_alert_acknowledge", "visit_alert"), "LOGIN 403 404 302 404  403  302"),
    # --- the residents' own pages (no account: the poster's code and the private tracking token are the
    # keys); the posters are printed by those serving the grid --------------------------------------------
    (GET("public:raise", "poster"),                       "200   200  200  200  200  200  200"),
    (POST("public:raise", "poster"),                      "200   200  200  200  200  200  200"),
    (GET("public:track", "tracked"),                      "200   200  200  200  200  200  200"),
    (GET("public:track_act", "tracked", args=("withdraw",)), "405 405  405  405  405  405  405"),
    (POST("public:track_act", "tracked", args=("withdraw",)), "302 302  302  302  302  302  302"),
    (GET("public:poster_grid", "grid_a"),                 "LOGIN 200  404  200  404  200  200"),
    (GET("public:poster_building", "building"),           "LOGIN 200  404  200  404  200  200"),
    # --- hotline: the 12345 platform's keys (superusers, street leaders), the updates owed (the desk) -----
    (GET("hotline:clients"),                              "LOGIN 403  403  403  403  200  200"),
    (GET("hotline:client_new"),                           "LOGIN 403  403  403  403  200  200"),
    # The new key is shown on the answer (200), once.
    (POST("hotline:client_new"),                          "LOGIN 403  403  403  403  200  200"),
    (GET("hotline:client_revoke", "hotline_key"),         "LOGIN 403  403  403  403  200  200"),
    (POST("hotline:client_revoke", "hotline_key"),        "LOGIN 403  403  403  403  302  302"),
    # Every desk role has the page (another community's leader sees none of A's updates on it).
    (GET("hotline:updates"),                              "LOGIN 403  403  200  200  200  200"),
    (GET("hotline:update_retry", "hotline_update"),       "LOGIN 405  405  405  405  405  405"),
    (POST("hotline:update_retry", "hotline_update"),      "LOGIN 403  403  302  404  302  302"),
    # The case page's 12345 block: the case's scope.
    (GET("hotline:case_updates", "hotline_case"),         "LOGIN 200  404  200  404  200  200"),
    # --- open311: the platform's API answers its key, never a session (none here: 401 for everyone) -------
    (GET("open311:services", args=("json",)),             "401   401  401  401  401  401  401"),
    (GET("open311:service_definition", args=("1", "xml")), "401  401  401  401  401  401  401"),
    (GET("open311:requests", args=("json",)),             "401   401  401  401  401  401  401"),
    (POST("open311:requests", args=("json",)),            "401   401  401  401  401  401  401"),
    (GET("open311:request", args=("20260101000001", "json")), "401 401 401 401  401  401  401"),
    # The API's description holds no data: open to all.
    (GET("open311:openapi-json"),                         "200   200  200  200  200  200  200"),
    (GET("open311:openapi-view"),                         "200   200  200  200  200  200  200"),
    (GET("open311:api-root"),                             "404   404  404  404  404  404  404"),
    # --- the case page's actions (cases/workflow.py WORKFLOW; the hats in its docstring) --------------------
    # Worker A took the case in progress (its handler); superusers wear every hat but the handler's.
    (GET("cases:act", "case_dispatched", args=("take",)), "LOGIN 405  405  405  405  405  405"),
    (ACT("accept", "submitted"),                          "LOGIN 403  404  302  404  403  302"),
    (ACT("reject", "submitted"),                          "LOGIN 403  404  302  404  403  302"),
    (ACT("merge", "submitted"),                           "LOGIN 403  404  302  404  403  302"),
    (ACT("take", "dispatched"),                           "LOGIN 302  404  403  404  403  302"),
    (ACT("dispatch", "dispatched"),                       "LOGIN 403  404  302  404  403  302"),
    (ACT("merge", "dispatched"),                          "LOGIN 403  404  302  404  403  302"),
    (ACT("close", "dispatched"),                          "LOGIN 403  404  302  404  403  302"),
    (ACT("return", "in_progress"),                        "LOGIN 302  404  403  404  403  403"),
    (ACT("escalate", "in_progress"),                      "LOGIN 302  404  302  404  403  302"),
    (ACT("open_consultation", "in_progress"),             "LOGIN 302  404  302  404  403  302"),
    (ACT("pause", "in_progress"),                         "LOGIN 302  404  302  404  403  302"),
    (ACT("resume", "in_progress_paused"),                 "LOGIN 302  404  302  404  403  302"),
    (ACT("resolve", "in_progress"),                       "LOGIN 302  404  302  404  403  302"),
    (ACT("close", "in_progress"),                         "LOGIN 403  404  302  404  403  302"),
    (ACT("hand_back", "escalated"),                       "LOGIN 403  404  403  404  302  302"),
    (ACT("resolve", "escalated"),                         "LOGIN 403  404  403  404  302  302"),
    (ACT("close", "escalated"),                           "LOGIN 403  404  403  404  302  302"),
    (ACT("escalate", "in_consultation"),                  "LOGIN 302  404  302  404  403  302"),
    (ACT("pause", "in_consultation"),                     "LOGIN 302  404  302  404  403  302"),
    (ACT("resume", "in_consultation_paused"),             "LOGIN 302  404  302  404  403  302"),
    (ACT("resolve", "in_consultation"),                   "LOGIN 302  404  302  404  403  302"),
    (ACT("close", "in_consultation"),                     "LOGIN 403  404  302  404  403  302"),
    (ACT("follow_up", "resolved"),                        "LOGIN 403  404  302  404  403  302"),
    (ACT("reopen", "resolved_followed_up"),               "LOGIN 403  404  302  404  403  302"),
    (ACT("close", "resolved_followed_up"),                "LOGIN 403  404  302  404  403  302"),
    (ACT("urge", "submitted"),                            "LOGIN 403  404  403  404  302  302"),
    (ACT("urge", "dispatched"),                           "LOGIN 403  404  403  404  302  302"),
    (ACT("urge", "in_progress"),                          "LOGIN 403  404  403  404  302  302"),
    (ACT("urge", "escalated"),                            "LOGIN 403  404  403  404  302  302"),
    (ACT("urge", "in_consultation"),                      "LOGIN 403  404  403  404  302  302"),
    (ACT("urge", "resolved"),                             "LOGIN 403  404  403  404  302  302"),
    # No action is allowed on a closed case: 403 for everyone who sees it.
    (ACT("urge", "closed"),                               "LOGIN 403  404  403  404  403  403"),
    # record_meeting has its own page (cases:meeting_new above); the action URL does not know it.
    (ACT("record_meeting", "in_consultation"),            "LOGIN 404  404  404  404  404  404"),
    # --- 三项清单: needs, resources, projects (projects/permissions.py, projects/workflow.py) ---------------
    # Anyone serving a community sees its lists and puts needs on them; the other community's leader does
    # not see A's community (404), and A's community is not among its choices (the form again: 400).
    (GET("projects:need_list"),                           "LOGIN 200  200  200  200  200  200"),
    (GET("projects:need_new"),                            "LOGIN 200  200  200  200  200  200"),
    (POST("projects:need_new"),                           "LOGIN 302  302  302  400  302  302"),
    # From a visit: the visit's grid scope (worker B does not see grid A's visits).
    (GET("projects:need_new", q="visit"),                 "LOGIN 200  404  200  404  200  200"),
    (POST("projects:need_new", q="visit"),                "LOGIN 302  404  302  404  302  302"),
    (GET("projects:need_new", q="case"),                  "LOGIN 200  404  200  404  200  200"),
    (GET("projects:need_detail", "need"),                 "LOGIN 200  200  200  404  200  200"),
    # The need was registered by staff: the desk (or its author) edits it while open.
    (GET("projects:need_edit", "need"),                   "LOGIN 403  403  200  404  403  200"),
    (POST("projects:need_edit", "need"),                  "LOGIN 403  403  302  404  403  302"),
    (GET("projects:need_close", "need"),                  "LOGIN 405  405  405  405  405  405"),
    (POST("projects:need_close", "need"),                 "LOGIN 403  403  302  404  403  302"),
    (GET("projects:project_new", "need"),                 "LOGIN 403  403  200  404  403  200"),
    (POST("projects:project_new", "need"),                "LOGIN 403  403  302  404  403  302"),
    # Resources are kept by the desk of a community (the other leader has a desk of its own: 200, 400).
    (GET("projects:resource_list"),                       "LOGIN 200  200  200  200  200  200"),
    (GET("projects:resource_new"),                        "LOGIN 403  403  200  200  403  200"),
    (POST("projects:resource_new"),                       "LOGIN 403  403  302  400  403  302"),
    (GET("projects:resource_detail", "resource"),         "LOGIN 200  200  200  404  200  200"),
    (GET("projects:resource_edit", "resource"),           "LOGIN 403  403  200  404  403  200"),
    (POST("projects:resource_edit", "resource"),          "LOGIN 403  403  302  404  403  302"),
    (GET("projects:project_list"),                        "LOGIN 200  200  200  200  200  200"),
    (GET("projects:project_detail", "project_proposed"),  "LOGIN 200  200  200  404  200  200"),
    (GET("projects:project_act", "project_proposed", args=("claim",)), "LOGIN 405 405 405 405 405 405"),
    # The project page's actions: the desk moves projects; the community's grid workers note progress.
    (PACT("claim", "proposed"),                           "LOGIN 403  403  302  404  403  302"),
    (PACT("cancel", "proposed"),                          "LOGIN 403  403  302  404  403  302"),
    (PACT("start", "claimed"),                            "LOGIN 403  403  302  404  403  302"),
    (PACT("progress", "claimed"),                         "LOGIN 302  302  302  404  403  302"),
    (PACT("cancel", "claimed"),                           "LOGIN 403  403  302  404  403  302"),
    (PACT("progress", "in_progress"),                     "LOGIN 302  302  302  404  403  302"),
    (PACT("submit", "in_progress"),                       "LOGIN 403  403  302  404  403  302"),
    (PACT("cancel", "in_progress"),                       "LOGIN 403  403  302  404  403  302"),
    (PACT("confirm", "awaiting_confirmation"),            "LOGIN 403  403  302  404  403  302"),
    (PACT("return", "awaiting_confirmation"),             "LOGIN 403  403  302  404  403  302"),
    (PACT("cancel", "awaiting_confirmation"),             "LOGIN 403  403  302  404  403  302"),
    # A finished project takes no action: 403 for everyone who sees it.
    (PACT("cancel", "confirmed"),                         "LOGIN 403  403  403  404  403  403"),
    (PACT("cancel", "cancelled"),                         "LOGIN 403  403  403  404  403  403"),
]
# fmt: on


# --- what each form posts ----------------------------------------------------------------------------


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, format="PNG")
    return SimpleUploadedFile("photo.png", buffer.getvalue(), content_type="image/png")


def _minute(moment: datetime.datetime) -> str:
    """As a datetime-local input sends it."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _an_hour_ago() -> datetime.datetime:
    return (timezone.now() - datetime.timedelta(hours=1)).replace(second=0, microsecond=0)


def _today() -> str:
    return timezone.localdate().isoformat()


def _resident_fields(resident: Resident) -> dict:
    return {
        "name": resident.name,
        "id_number": resident.id_number,
        "sex": resident.sex,
        "birth_date": resident.birth_date.isoformat(),
        "phone": resident.phone,
        "relation_to_head": resident.relation_to_head,
        "political_status": resident.political_status,
        "residence_type": resident.residence_type,
    }


# What each form posts, by URL name: (world, the posting user or None) -> data.
FORM_DATA: dict[str, Callable] = {
    "public:raise": lambda w, me: {
        "category": Category.objects.get(name="环境卫生").pk,
        "description": "楼道灯不亮。",
        "name": "王女士",
        "phone": "13912345678",
        "consent": "on",
    },
    "public:track_act": lambda w, me: {"note": ""},
    "health": lambda w, me: {},
    "login": lambda w, me: {"username": "nobody", "password": "wrong"},
    "logout": lambda w, me: {},
    "password_change": lambda w, me: {},  # the form, drawn again with its errors, shows access was granted
    "accounts:enrol": lambda w, me: {"code": "000000"},
    "accounts:verify": lambda w, me: {"code": "000000"},
    "accounts:backup_codes": lambda w, me: {},
    "set_language": lambda w, me: {"language": "en", "next": "/"},
    "cases:street_act": lambda w, me: {
        f"c{w.case_escalated.pk}-resolve-expected_status": "escalated",
        f"c{w.case_escalated.pk}-resolve-note": "街道协调办结",
    },
    "grids:building_new": lambda w, me: {"address": "测试路999号"},
    "residents:household_create": lambda w, me: {"building": w.building.pk, "unit": "9", "room": "901"},
    "residents:household_edit": lambda w, me: {"building": w.building.pk, "unit": "9", "room": "902"},
    "residents:household_move_out": lambda w, me: {"moved_out_on": _today()},
    "residents:resident_create": lambda w, me: {**_resident_fields(w.newcomer), "relation_to_head": "other"},
    "residents:resident_edit": lambda w, me: {**_resident_fields(w.resident), "phone": "13912345678"},
    "residents:resident_status": lambda w, me: {"status": "moved_out", "status_date": _today()},
    "residents:resident_reveal": lambda w, me: {"field": "phone", "reason": "contact"},
    "residents:search": lambda w, me: {"q": w.resident.name},
    "cases:requester_search": lambda w, me: {"q": w.resident.name},
    "residents:enrolment_create": lambda w, me: {"category": CareCategory.VERY_OLD, "since": _today()},
    "residents:enrolment_edit": lambda w, me: {
        "category": w.enrolment.category,
        "since": w.enrolment.since.isoformat(),
        "note": "改",
    },
    "residents:liaison_set": lambda w, me: {"party_member": w.resident.pk, "since": _today()},
    "residents:ledger_import": lambda w, me: {},
    "shops:new": lambda w, me: {"name": "黄河食渡·牛肉面", "kind": "catering", "address": "滨河路1号"},
    "shops:edit": lambda w, me: {"name": "黄河食渡·茶社", "kind": "catering", "building": w.building.pk},
    "shops:pledge_new": lambda w, me: {
        "signed_on": _today(),
        "frontage": "门前至人行道边缘",
        "cleanliness": "on",
        "signed_by": "马师傅",
    },
    "visits:new": lambda w, me: visit_data(visitors=[me] if me else [], residents_met=[w.resident]),
    "visits:edit": lambda w, me: visit_data(
        visitors=[me] if me else [], residents_met=[w.resident], notes="改"
    ),
    "visits:correct": lambda w, me: {"note": "实际见到的是老人的女儿"},
    "visits:plan": lambda w, me: {"interval_override_days": "2", "override_reason": "每周三次送物资"},
    "visits:patrol_new": lambda w, me: {
        "grid": w.grid_a.pk,
        "started_at": _minute(_an_hour_ago()),
        "ended_at": "",
        "route": "测试路1号—3号",
        "notes": "",
        "findings-TOTAL_FORMS": "0",
        "findings-INITIAL_FORMS": "0",
        "findings-MIN_NUM_FORMS": "0",
        "findings-MAX_NUM_FORMS": "30",
    },
    "cases:new": lambda w, me: {
        "channel": "walk_in",
        "requester_mode": "named",
        "requester_name": "赵女士",
        "requester_phone": "13800001111",
        "grid": w.grid_a.pk,
        "category": "环境卫生",
        "description": "楼道堆放杂物，影响通行。",
        "duplicate_choice": "new",
    },
    "cases:attachment_add": lambda w, me: {"files": [_png()]},
    "visits:photo_add": lambda w, me: {"files": [_png()]},
    "visits:finding_photo_add": lambda w, me: {"files": [_png()]},
    "cases:term_done": lambda w, me: {"note": "已修复"},
    "cases:bulk": lambda w, me: {
        "cases": [w.case_dispatched.pk],
        "action": "dispatch",
        "grid": "",
        "worker": "",
    },
    "cases:requester_phone": lambda w, me: {},
    "notifications:read": lambda w, me: {},
    "notifications:read_all": lambda w, me: {},
    "notifications:visit_alert_acknowledge": lambda w, me: {},
    "hotline:client_new": lambda w, me: {"name": "市12345", "scope": f"community:{w.grid_a.community_id}"},
    "hotline:client_revoke": lambda w, me: {},
    "hotline:update_retry": lambda w, me: {},
    "open311:requests": lambda w, me: {},
    "volunteers:unit_new": lambda w, me: {"community": w.grid_a.community_id, "name": "兰州市南北两山指挥部"},
    "volunteers:unit_edit": lambda w, me: {"name": "省水利厅", "offers": "场地"},
    "volunteers:member_new": lambda w, me: {
        "name": "赵在职",
        "grid": w.grid_a.pk,
        "unit": w.unit.pk,
        "reported_on": _today(),
    },
    "volunteers:volunteer_new": lambda w, me: {
        "community": w.grid_a.community_id,
        "name": "孙志愿",
        "phone": "13900001111",
        "skills": ["repair"],
    },
    "volunteers:volunteer_edit": lambda w, me: {
        "name": "王志愿",
        "phone": "139****5678",
        "skills": ["legal"],
        "active": "on",
    },
    "volunteers:team_new": lambda w, me: {"community": w.grid_a.community_id, "name": "女职工志愿服务队"},
    "volunteers:team_edit": lambda w, me: {"name": "石榴花开邻里互助队", "description": "互助"},
    "volunteers:activity_new": lambda w, me: {
        "community": w.grid_a.community_id,
        "title": "陪诊暖心服务",
        "kind": "volunteer_service",
        "starts_at": _minute(timezone.now() + datetime.timedelta(days=2)),
        "ends_at": _minute(timezone.now() + datetime.timedelta(days=2, hours=2)),
        "place": "社区卫生服务站",
    },
    "volunteers:activity_edit": lambda w, me: {
        "title": "学雷锋清洁",
        "kind": "volunteer_service",
        "starts_at": _minute(w.activity.starts_at),
        "ends_at": _minute(w.activity.ends_at),
        "place": "黄河风情线",
    },
    "volunteers:sign_up": lambda w, me: {"volunteer": w.volunteer2.pk},
    "volunteers:sign_up_cancel": lambda w, me: {},
    "volunteers:attendance": lambda w, me: {f"attended-{w.sign_up.pk}": "on", f"hours-{w.sign_up.pk}": "2"},
    "volunteers:report": lambda w, me: {"report": "清理垃圾二十袋"},
    "volunteers:photo_add": lambda w, me: {"files": [_png()]},
    "projects:need_new": lambda w, me: {
        "community": w.grid_a.community_id,
        "kind": "elderly_care",
        "title": "陪诊",
        "description": "独居老人需要陪诊",
    },
    "projects:need_edit": lambda w, me: {"community": w.grid_a.community_id, "kind": "other", "title": "改"},
    "projects:need_close": lambda w, me: {"reason": "居民已自行解决"},
    "projects:project_new": lambda w, me: {"resource": w.resource.pk},
    "projects:resource_new": lambda w, me: {
        "community": w.grid_a.community_id,
        "provider": f"unit:{w.unit.pk}",
        "kind": "venue",
        "title": "活动室",
        "available": "on",
    },
    "projects:resource_edit": lambda w, me: {
        "community": w.grid_a.community_id,
        "provider": f"unit:{w.unit.pk}",
        "kind": "venue",
        "title": "活动室（改）",
    },
    "cases:meeting_new": lambda w, me: meeting_data(terms=[("施工方", "维修热水器", in_days(7).isoformat())]),
    "cases:deliberation_new": lambda w, me: {
        "community": w.grid_a.community_id,
        "title": "小区花园",
        "description": "空地改成花园",
    },
    "cases:deliberation_act": lambda w, me: {"fix-note": "", "fix-expected_status": "gathered"},
    "cases:deliberation_meeting_new": lambda w, me: meeting_data(
        expected_status="fixed", terms=[("社区", "铺设小巷路面", in_days(7).isoformat())]
    ),
}

# What a workflow action's form posts besides its note and expected state (templates/cases/detail.html
# prefixes each field with the action's name).
ACTION_DATA: dict[str, Callable] = {
    Action.MERGE: lambda w: {"target": w.case_merge_target.pk},
    Action.FOLLOW_UP: lambda w: {"resolved": "no", "satisfaction": "unsatisfied"},
    Action.CLOSE: lambda w: {"reason": "withdrawn"},
}


def _action_data(w: "World", call: Call) -> dict:
    case = getattr(w, call.obj)
    extra = ACTION_DATA[call.action](w) if call.action in ACTION_DATA else {}
    fields = {"expected_status": case.status, "note": "处理说明", **extra}
    return {f"{call.action}-{name}": value for name, value in fields.items()}


def _project_action_data(w: "World", call: Call) -> dict:
    project, action = getattr(w, call.obj), call.args[0]
    fields = {"expected_status": project.status, "note": "进展说明"}
    if action == "claim":
        fields |= {"claimant": f"unit:{w.unit.pk}", "owner_name": "王主任", "deadline": project_in_days(7)}
    return {f"{action}-{name}": value for name, value in fields.items()}


# --- the world: grid A and its objects, built once for the module -----------------------------------


@dataclass
class World:
    grid_a: Grid
    users: dict = field(default_factory=dict)
    sessions: dict = field(default_factory=dict)  # user -> session key, signed in once
    building: Building | None = None
    household: Household | None = None
    resident: Resident | None = None  # the head of the household, a Party member
    newcomer: Resident | None = None  # not saved: what the new-resident form posts
    enrolment: CareEnrolment | None = None
    visit: Visit | None = None  # worker A's, an hour ago
    patrol: Patrol | None = None
    finding: PatrolFinding | None = None  # the patrol's one finding
    shop: Shop | None = None  # in the household's building, without a pledge yet
    record_photo: RecordPhoto | None = None  # a photo of worker A's visit
    attachment: CaseAttachment | None = None
    meeting: Meeting | None = None  # an agreement
    term: AgreementTerm | None = None  # the agreement's one term
    deliberation: Deliberation | None = None  # of A's community, just gathered
    deliberation_fixed: Deliberation | None = None  # its topic fixed, ready for a meeting
    deliberation_meeting: Meeting | None = None  # a deliberation's meeting that agreed
    deliberation_term: AgreementTerm | None = None  # its one term
    cases: dict = field(default_factory=dict)  # "case_<key>" reads cases[key]
    notification: Notification | None = None  # worker A's: a case sent to grid A
    visit_alert: VisitAlert | None = None  # worker A's 紧急 visit, an hour ago
    hotline_key: object = None  # a 12345 platform's key scoped to A's community
    hotline_case: Case | None = None  # its work order's case in grid A, taken by worker A
    hotline_update: object = None  # the update that taking owes the platform
    unit: PartnerUnit | None = None  # of A's community
    member: ReportingMember | None = None  # serving grid A
    volunteer: Volunteer | None = None  # of A's community, signed up for the activity
    volunteer2: Volunteer | None = None  # of A's community, not signed up
    team: VolunteerTeam | None = None
    activity: Activity | None = None  # in A's community, started an hour ago, ends in two hours
    sign_up: ActivitySignUp | None = None
    activity_photo: ActivityPhoto | None = None
    need: object = None  # an open need of A's community, registered by staff
    resource: object = None  # the unit's available resource
    projects: dict = field(default_factory=dict)  # "project_<state>" reads projects[state]
    poster: object = None  # grid A's building's poster link (Key: its code)
    tracked: object = None  # a resident's request raised through it, 待受理 (Key: its tracking token)

    def __getattr__(self, name):
        if name.startswith("project_"):
            return self.projects[name.removeprefix("project_")]
        if name.startswith("case_"):
            return self.cases[name.removeprefix("case_")]
        raise AttributeError(name)


@dataclass(frozen=True)
class Key:
    """What a residents' URL takes instead of a pk (a poster's code, a tracking token)."""

    pk: str


def _build() -> World:
    street = StreetFactory()
    community_a = CommunityFactory(street=street)
    w = World(grid_a=GridFactory(community=community_a))
    grid_b = GridFactory(community=community_a)
    other_community = CommunityFactory(street=street)
    GridFactory(community=other_community)

    def user(name, role=None, place=None, **extra):
        w.users[name] = UserFactory(username=f"matrix-{name}", **extra)
        if role is not None:
            assign(w.users[name], role, place)
        client = Client()
        client.force_login(w.users[name])
        w.sessions[name] = client.cookies[settings.SESSION_COOKIE_NAME].value
        return w.users[name]

    worker_a = user("worker_a", Role.GRID_WORKER, w.grid_a)
    user("worker_b", Role.GRID_WORKER, grid_b)
    staff = user("staff", Role.COMMUNITY_STAFF, community_a)
    user("other_leader", Role.COMMUNITY_LEADER, other_community)
    user("street", Role.STREET_LEADER, street)
    user("admin", is_superuser=True, is_staff=True)

    w.building = BuildingFactory(grid=w.grid_a)
    w.household = HouseholdFactory(dwelling__building=w.building)
    w.resident = ResidentFactory(
        household=w.household,
        relation_to_head=Resident.Relation.HEAD,
        political_status=Resident.PoliticalStatus.PARTY_MEMBER,
    )
    w.newcomer = ResidentFactory.build(household=w.household)
    w.shop = ShopFactory(grid=w.grid_a, building=w.building)
    w.enrolment = CareEnrolmentFactory(
        household=w.household, since=timezone.localdate() - datetime.timedelta(60)
    )
    w.visit = log_visit(w.household, worker_a, _an_hour_ago(), residents_met=[w.resident])
    w.patrol = visit_services.patrol_log(
        grid=w.grid_a,
        worker=worker_a,
        started_at=_an_hour_ago(),
        ended_at=None,
        route="测试路",
        notes="",
        findings=[visit_services.Finding(location="1号楼", description="垃圾堆放")],
    )

    def case(state, **register) -> Case:
        return case_in(state, w.grid_a, staff=staff, worker=worker_a, **register)

    def act(c, action, actor, **params) -> Case:
        return case_services.case_transition(case=c, action=action, actor=actor, note="处理说明", **params)

    w.cases = {state: case(state) for state in Status.values}
    w.cases["in_progress_paused"] = act(case("in_progress"), "pause", worker_a)
    w.cases["in_consultation_paused"] = act(case("in_consultation"), "pause", worker_a)
    w.cases["resolved_followed_up"] = act(
        case("resolved"), "follow_up", staff, resolved=False, satisfaction="unsatisfied"
    )
    w.finding = w.patrol.findings.get()
    [w.record_photo] = visit_services.record_photos_add(actor=worker_a, files=[_png()], visit=w.visit)
    [w.attachment] = case_services.attachments_add(case=w.case_dispatched, actor=staff, files=[_png()])
    w.meeting = record(w.case_in_consultation, staff)
    w.term = w.meeting.terms.get()
    w.deliberation = gather(w.grid_a.community, worker_a)
    w.deliberation_fixed = walk("fixed", w.grid_a.community, staff)
    w.deliberation_meeting = meet(walk("fixed", w.grid_a.community, staff), staff)
    w.deliberation_term = w.deliberation_meeting.terms.get()
    # An open duplicate of the cases merged (same category and grid; the newest, so among the five the
    # merge form offers).
    w.cases["merge_target"] = case("submitted")
    w.notification = Notification.objects.filter(recipient=worker_a).first()
    urgent = log_visit(w.household, worker_a, _an_hour_ago(), residents_met=[w.resident], condition="urgent")
    w.visit_alert = VisitAlert.objects.get(visit=urgent)
    w.hotline_key, _key = hotline_services.client_create(name="市12345", community=community_a)
    order = hotline_services.OrderRequest(
        order_id="GD-1",
        service_code=str(Category.objects.get(name="环境卫生").pk),
        address_id=w.grid_a.code,
        description="垃圾未清运",
    )
    w.hotline_case = hotline_services.work_order_receive(client=w.hotline_key, order=order)[0].case
    w.hotline_case = act(act(w.hotline_case, "accept", staff), "take", worker_a)
    w.hotline_update = w.hotline_case.work_order.updates.get()
    w.unit = PartnerUnit.objects.create(community=community_a, name="省水利厅", offers="志愿者")
    w.member = ReportingMember.objects.create(
        name="刘在职", grid=w.grid_a, unit=w.unit, reported_on=timezone.localdate()
    )
    w.volunteer = Volunteer.objects.create(community=community_a, name="王志愿", phone="13912345678")
    w.volunteer2 = Volunteer.objects.create(community=community_a, name="李志愿")
    w.team = VolunteerTeam.objects.create(community=community_a, name="石榴花开邻里互助队")
    w.activity = Activity.objects.create(
        community=community_a,
        title="学雷锋清洁",
        starts_at=_an_hour_ago(),
        ends_at=_an_hour_ago() + datetime.timedelta(hours=3),
        place="黄河边",
        created_by=staff,
    )
    w.sign_up = ActivitySignUp.objects.create(activity=w.activity, volunteer=w.volunteer)
    [w.activity_photo] = volunteer_services.activity_photos_add(
        activity=w.activity, actor=staff, files=[_png()]
    )
    community_a = w.grid_a.community
    w.need = need_in(community_a, staff, title="楼道扶手")
    w.unit = unit_in(community_a)
    w.resource = resource_in(community_a, staff)
    w.projects = {
        state: project_in(state, community_a, staff, title=f"项目{state}") for state in PROJECT_PATH_TO
    }
    link = public_services.place_link_for(grid=w.grid_a, building=w.building)
    w.poster = Key(link.code)
    raised = public_services.request_raise(
        place=link,
        intake=public_services.ResidentIntake(
            category=Category.objects.get(name="环境卫生"),
            description="路灯不亮。",
            name="赵先生",
            phone="13700001111",
        ),
        remote_address="192.0.2.1",
    )
    w.tracked = Key(raised.token)
    return w


def _seed_categories():
    """The 事项清单, as conftest seeds it: a transactional test before this module may have emptied it."""
    if not Category.objects.exists():
        importlib.import_module("cases.migrations.0002_category_catalogue").seed(apps, None)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Grid A and its objects, in a transaction the module's tests run inside (each in a savepoint)."""
    module_settings = override_settings(
        MEDIA_ROOT=tmp_path_factory.mktemp("media"),  # the photo built here stays for every test
    )
    with django_db_blocker.unblock(), module_settings, transaction.atomic():
        _seed_categories()
        yield _build()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _media_in_tmp():
    """Replaces conftest's per-test media directory: the photo `world` built must stay where it is."""


# --- the matrix --------------------------------------------------------------------------------------


def _expected(cells: str) -> list[int | str]:
    values = [cell if cell in (LOGIN, ALOGIN) else int(cell) for cell in cells.split()]
    assert len(values) == len(USERS), cells
    return values


def _cells():
    for call, cells in MATRIX:
        for user, expected in zip(USERS, _expected(cells), strict=True):
            yield pytest.param(call, user, expected, id=f"{call.name}-{call.id}-{user}")


def _outcome(response) -> int | str:
    """The status code, or LOGIN / ALOGIN for a redirect to a login page."""
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("login") + "?"):
            return LOGIN
        if location.startswith(reverse("admin:login") + "?"):
            return ALOGIN
    return response.status_code


@pytest.fixture(scope="module")
def module_client():
    """One client for the module: its handler loads the middleware (and whitenoise's file list) once."""
    return Client()


@pytest.mark.parametrize(("call", "user", "expected"), _cells())
def test_access(world, module_client, call, user, expected):
    client = module_client
    client.cookies = SimpleCookie()  # no session, language or messages left by the test before
    me = None
    if user != "anon":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[user]
        me = world.users[user]
    pk = [getattr(world, call.obj).pk] if call.obj else []
    url = reverse(call.name, args=[*pk, *call.args])
    query = QUERIES[call.q](world) if call.q else {}
    if call.method == "GET":
        response = client.get(url, query)
    else:
        if call.name == "projects:project_act":
            data = _project_action_data(world, call)
        else:
            data = _action_data(world, call) if call.action else FORM_DATA[call.name](world, me)
        response = client.post(url, data, query_params=query)
    if response.streaming:
        b"".join(response.streaming_content)  # read to the end, so the test client closes the photo's file
    assert _outcome(response) == expected


# --- the matrix covers the URL conf and the workflow -------------------------------------------------

# Django's admin has about 140 URLs of its own, every one behind `AdminSite.admin_view` (is_staff): the
# admin rows above stand for them, and the rest are not listed.
ADMIN = "admin"


def _url_names(patterns, namespace=""):
    """'namespace:name' of every named URL pattern; unnamed ones outside the admin are reported too."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace or "") if part)
            yield from _url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            if pattern.name:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name
            elif namespace != ADMIN:
                yield f"(unnamed: {pattern.pattern}; name it and give it a row)"


def _is_admin(name: str) -> bool:
    return name.startswith(f"{ADMIN}:")


def test_every_url_has_a_row():
    derived = {name for name in _url_names(get_resolver().url_patterns) if not _is_admin(name)}
    rows = {call.name for call, _cells in MATRIX if not _is_admin(call.name)}
    mismatch = {"URLs without a row": sorted(derived - rows), "rows without a URL": sorted(rows - derived)}
    assert mismatch == {"URLs without a row": [], "rows without a URL": []}


def test_the_admin_rows_name_admin_urls():
    admin_rows = {call.name for call, _cells in MATRIX if _is_admin(call.name)}
    assert admin_rows
    assert admin_rows <= set(_url_names(get_resolver().url_patterns))


def test_every_workflow_move_has_a_row(world):
    """Each (state, action) of the workflow table is posted, on a case in that state; record_meeting
    through its own page. The requester's own moves (withdraw, supplement) are no staff URL's: the
    residents' tracking page takes them (tests/test_public_requests.py)."""
    moves = {
        (str(state), str(action)) for (state, action), move in WORKFLOW.items() if move.who != {Hat.REQUESTER}
    }
    posted = {(getattr(world, call.obj).status, call.action) for call, _cells in MATRIX if call.action}
    posted |= {
        (getattr(world, call.obj).status, Action.RECORD_MEETING.value)
        for call, _cells in MATRIX
        if call.name == "cases:meeting_new" and call.method == "POST"
    }
    assert sorted(moves - posted) == [], "workflow moves without a row in MATRIX"


def test_every_project_workflow_move_has_a_row(world):
    """Each (state, action) of `projects.workflow.WORKFLOW` is posted, on a project in that state."""
    from projects.workflow import WORKFLOW as PROJECT_WORKFLOW

    moves = {(str(state), str(action)) for state, action in PROJECT_WORKFLOW}
    posted = {
        (getattr(world, call.obj).status, call.args[0])
        for call, _cells in MATRIX
        if call.name == "projects:project_act" and call.method == "POST"
    }
    assert sorted(moves - posted) == [], "project workflow moves without a row in MATRIX"
