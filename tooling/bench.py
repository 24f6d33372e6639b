"""Time the main pages through a real server at two district sizes: `make bench` (N=50,000 by default).

Runs under scripts/with-postgres.sh, so DATABASE_URL points at an empty throwaway PostgreSQL. It migrates,
generates N/10 households, starts gunicorn, logs in as the benchmark users and reads each page's server
time and query count from the Server-Timing and X-Query-Count headers (portal.middleware); then grows
the district to N households and times the same pages again. A page whose time grows with the district,
or whose query count changes, has a query that scans instead of seeking.

    python -m tooling.bench --households 50000 --requests 20
"""

import argparse
import gc
import http.cookiejar
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import NamedTuple

BASE_DIR = Path(__file__).resolve().parent.parent
os.environ.update(
    DJANGO_SETTINGS_MODULE="portal.settings",
    PORTAL_TIMING_HEADERS="true",
    DJANGO_DEBUG="false",
    DJANGO_ALLOWED_HOSTS="127.0.0.1",
    DJANGO_STATICFILES_STORAGE="django.contrib.staticfiles.storage.StaticFilesStorage",
)
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-for-a-throwaway-database")
# ID numbers and phones are encrypted (common.crypto); made-up people in a throwaway database.
os.environ.setdefault("PORTAL_FIELD_KEYS", "YmVuY2gtb25seS1maWVsZC1rZXktdGhyb3dhd2F5ISE=")
os.environ.setdefault("PORTAL_BLIND_INDEX_KEY", "bench-only-blind-index-key-for-a-throwaway-database")

WARM_UP = 3
PASSWORD = "bench-pass"  # tooling.generator.places creates the bench users (BENCH_PASSWORD)
# The 12345 platform's key on the throwaway database, and how many work orders it has sent there.
BENCH_HOTLINE_KEY = "hlbench001.bench-only-key-for-a-throwaway-database"
BENCH_WORK_ORDERS = 200


class Page(NamedTuple):
    """One timed page: who looks at it, its URL name, and its URL arguments and query.

    `{...}` in the arguments and query is filled from sample_records(), found once in the smaller district.
    A user "" is no session: the 12345 platform's API, which its key opens (in the query).
    """

    label: str
    user: str
    url_name: str
    kwargs: dict[str, str] = {}
    query: dict[str, str] = {}


# The leaders' dashboard over last month's whole calendar month, over the widest street.
LAST_MONTH = {
    "scope": "street:{street}",
    "period": "custom",
    "date_from": "{month_first}",
    "date_to": "{month_last}",
}

PAGES = [
    Page("grid page", "bench_worker", "grids:detail", {"pk": "{grid}"}),
    Page("household list", "bench_worker", "residents:household_list", query={"grid": "{grid}"}),
    Page("search by name (district)", "bench_street", "residents:search", query={"q": "{name_fragment}"}),
    Page("search by phone tail", "bench_staff", "residents:search", query={"q": "{phone_tail}"}),
    Page("household file", "bench_worker", "household_file", {"pk": "{enrolled_household}"}),
    Page("due list (worker)", "bench_worker", "visits:due"),
    # The overdue page: the table of grids; ?grid= one grid's households; ?all=1 the whole scope's.
    Page("overdue overview (district)", "bench_street", "visits:overdue"),
    Page("overdue list (grid)", "bench_street", "visits:overdue", query={"grid": "{overdue_grid}"}),
    Page("overdue list (district)", "bench_street", "visits:overdue", query={"all": "1"}),
    Page("visits list (district)", "bench_street", "visits:list"),
    Page("case queue (worker)", "bench_worker", "cases:queue"),
    Page("case page", "bench_worker", "cases:detail", {"pk": "{case}"}),
    Page("case desk (community)", "bench_staff", "cases:desk"),
    # The worker's notifications: the generator writes no event rows, so this times the reminders derived at
    # read (cases due, overdue care households) and an empty page of rows.
    Page("notification list (worker)", "bench_worker", "notifications:list"),
    # Every page loads the bell's count by this request once it has arrived (base.html).
    Page("bell (worker)", "bench_worker", "notifications:bell"),
    Page("bell (staff)", "bench_staff", "notifications:bell"),
    Page("case list (district)", "bench_street", "cases:list"),
    Page("street inbox (street)", "bench_street", "cases:street_inbox"),
    Page("dashboard (street, month)", "bench_street", "dashboard:index", query=LAST_MONTH),
    Page(
        "dashboard (community, month)",
        "bench_staff",
        "dashboard:index",
        query={**LAST_MONTH, "scope": "community:{community}"},
    ),
    # The dashboard loads its co-governance section by this request once it has arrived.
    Page("co-governance (street, month)", "bench_street", "dashboard:cogovernance_panel", query=LAST_MONTH),
    Page("workload (street, month)", "bench_street", "dashboard:workload", query=LAST_MONTH),
    Page(
        "workload (community, month)",
        "bench_staff",
        "dashboard:workload",
        query={**LAST_MONTH, "scope": "community:{community}"},
    ),
    # Co-governance: the community's activities, one volunteer's record, and the three lists over a street.
    Page("activities list (community)", "bench_staff", "volunteers:activities"),
    Page("volunteer page", "bench_staff", "volunteers:volunteer_detail", {"pk": "{volunteer}"}),
    Page("needs list (street)", "bench_street", "projects:need_list"),
    Page("resources list (street)", "bench_street", "projects:resource_list"),
    Page("projects list (street)", "bench_street", "projects:project_list"),
    # The residents' tracking page (no sign-in): a request of bench_worker's grid waiting on its requester.
    Page("tracking page (resident)", "", "public:track", {"token": "{tracking_token}"}),
    # The 12345 platform reading its work orders (the bench's key, scoped to bench_worker's street).
    Page(
        "GET requests (12345 API, JSON)",
        "",
        "open311:requests",
        {"fmt": "json"},
        query={"api_key": BENCH_HOTLINE_KEY},
    ),
    Page(
        "monthly report (street)",
        "bench_street",
        "dashboard:report",
        query={"scope": "street:{street}", "month": "{month}"},
    ),
]


def sample_records() -> dict[str, str]:
    """Records of the benchmark users' places that the pages look up."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count

    from cases.models import Case
    from grids.models import Assignment, Role, Street
    from residents.models import CareEnrolment, Resident
    from visits.selectors import overdue_by_grid
    from volunteers.models import Volunteer

    assignments = Assignment.objects.all()
    grid = assignments.get(user__username="bench_worker", role=Role.GRID_WORKER).grid_id
    community = assignments.get(user__username="bench_staff", role=Role.COMMUNITY_STAFF).community_id
    street = (
        assignments.filter(user__username="bench_street", role=Role.STREET_LEADER).order_by("street").first()
    ).street_id
    # A two-character given name, from a three-character name such as 王建国.
    name = (
        Resident.objects.filter(household__grid__community__street=street, name__regex=r"^...$")
        .order_by("id")
        .values_list("name", flat=True)
        .first()
    )
    phone = (
        Resident.objects.filter(household__grid__community=community)
        .exclude(phone_last4="")
        .order_by("id")
        .values_list("phone", flat=True)
        .first()
    )
    enrolled = CareEnrolment.objects.filter(household__grid=grid).order_by("id").values("household").first()
    # The grid of the district with the most overdue households (the first row of the overview).
    overdue = [
        row
        for row in overdue_by_grid(get_user_model().objects.get(username="bench_street"))
        if row["overdue"]
    ]
    # The case of the worker's grid with the longest timeline (the generator gives most cases six lines).
    case = (
        Case.objects.filter(grid=grid)
        .annotate(events_count=Count("events"))
        .filter(events_count__gte=4)
        .order_by("-events_count", "id")
        .values_list("pk", flat=True)
        .first()
    )
    # The volunteer of bench_staff's community with the most sign-ups (the longest service record).
    volunteer = (
        Volunteer.objects.filter(community=community)
        .annotate(sign_ups_count=Count("sign_ups"))
        .order_by("-sign_ups_count", "id")
        .values_list("pk", flat=True)
        .first()
    )
    _bench_work_orders(grid)
    _bench_escalations(grid)
    if not (name and phone and enrolled and overdue and case and volunteer):
        sys.exit(
            "The generated district lacks a resident name, a phone, an enrolment, an overdue visit, "
            "a case with a timeline in bench_worker's grid or a volunteer in bench_staff's community."
        )
    from django.utils import timezone

    from dashboard.selectors import last_month

    month = last_month(timezone.localdate())
    # The dashboard is timed over the street with the most grids (the generator's later streets have 500).
    widest_street = (
        Street.objects.annotate(grids=Count("communities__grids"))
        .order_by("-grids", "id")
        .values_list("pk", flat=True)
    ).first()
    return {
        "tracking_token": _resident_request(grid),
        "street": str(widest_street),
        "community": str(community),
        "month": month.first.strftime("%Y-%m"),
        "month_first": month.first.isoformat(),
        "month_last": month.last.isoformat(),
        "grid": str(grid),
        "name_fragment": name[1:],
        "phone_tail": phone[-4:],
        "enrolled_household": str(enrolled["household"]),
        "overdue_grid": str(overdue[0]["grid"].pk),
        "case": str(case),
        "volunteer": str(volunteer),
    }


BENCH_TRACKING_TOKEN = "bench-tracking-token-not-secret-0123456789"


def _resident_request(grid_id: int) -> str:
    """The tracking page's request: raised through the grid's poster, accepted, taken and paused for the
    requester (a timeline of five lines), made through the services once; its token is the bench's own."""
    from cases import services as case_services
    from cases.models import Category
    from grids.models import Grid
    from public import services

    if services.case_for_token(BENCH_TRACKING_TOKEN) is None:
        from django.contrib.auth import get_user_model

        users = get_user_model().objects
        case = services.request_raise(
            place=services.place_link_for(grid=Grid.objects.get(pk=grid_id)),
            intake=services.ResidentIntake(
                category=Category.objects.get(name="房屋设施"),
                description="楼道声控灯坏了。",
                name="王女士",
                phone="13912345678",
            ),
            remote_address="192.0.2.1",
            token=BENCH_TRACKING_TOKEN,
        ).case
        for action, username, note in [
            ("accept", "bench_staff", ""),
            ("take", "bench_worker", ""),
            ("pause", "bench_worker", "请补充灯的位置。"),
        ]:
            case = case_services.case_transition(
                case=case, action=action, actor=users.get(username=username), note=note
            )
    return BENCH_TRACKING_TOKEN


def _bench_work_orders(grid_id: int) -> None:
    """The bench's 12345 key, scoped to the street of bench_worker's grid, and its work orders there,
    received through the API's service."""
    from cases.models import Category
    from grids.models import Grid
    from hotline import services as hotline_services

    grid = Grid.objects.select_related("community__street").get(pk=grid_id)
    client, _key = hotline_services.client_create(
        name="bench 12345", street=grid.community.street, key=BENCH_HOTLINE_KEY
    )
    code = str(Category.objects.filter(active=True).values_list("pk", flat=True).first())
    for i in range(BENCH_WORK_ORDERS):
        order = hotline_services.OrderRequest(
            order_id=f"BENCH-{i:05d}", service_code=code, address_id=grid.code, description="楼道堆放杂物"
        )
        hotline_services.work_order_receive(client=client, order=order)


def _bench_escalations(worker_grid_id: int) -> None:
    """A full first page in the street leader's inbox at both sizes: the generator's escalated cases fill
    five rows at N/10 and a page at N, and the inbox's growth would measure its page filling, not the
    district's size. The handlers of open cases of the leader's streets send them up through the
    transition service (none of bench_worker's grid, whose cases other pages time)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from cases import services as case_services
    from cases.models import Case, Status
    from cases.selectors import in_led_streets, led_street_ids, street_inbox
    from common.pagination import PAGE_SIZE

    streets = led_street_ids(get_user_model().objects.get(username="bench_street"))
    missing = PAGE_SIZE - street_inbox(streets, timezone.now()).count()
    handled = in_led_streets(
        Case.objects.filter(status=Status.IN_PROGRESS, handler__isnull=False), streets
    ).exclude(grid_id=worker_grid_id)
    for case in handled.select_related("handler").order_by("id")[: max(missing, 0)]:
        case_services.case_transition(
            case=case, action="escalate", actor=case.handler, note="社区协调未果，上报街道。"
        )


def page_paths(records: dict[str, str]) -> list[str]:
    from django.urls import NoReverseMatch, reverse

    paths = []
    for page in PAGES:
        kwargs = {key: value.format(**records) for key, value in page.kwargs.items()}
        query = {key: value.format(**records) for key, value in page.query.items()}
        try:
            path = reverse(page.url_name, kwargs=kwargs)
        except NoReverseMatch:
            sys.exit(f"{page.label}: URL name {page.url_name!r} with {kwargs} does not resolve.")
        paths.append(path + ("?" + urllib.parse.urlencode(query) if query else ""))
    return paths


class Server:
    """gunicorn serving the portal on a free loopback port, for the duration of a `with` block."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Server":
        url = os.environ["DATABASE_URL"]
        env = {
            **os.environ,
            "DATABASE_URL": url + ("&" if "?" in url else "?") + "CONN_MAX_AGE=600",
            "PYTHONWARNINGS": "ignore:No directory at",  # whitenoise: no collectstatic, served from static/
            "HOTLINE_CALLS_PER_MINUTE": "100000",  # the API's page is timed, not throttled
        }
        gunicorn = Path(sys.executable).parent / "gunicorn"
        command = [str(gunicorn), "portal.wsgi", "-b", f"127.0.0.1:{self.port}", "-w", "2"]
        self.process = subprocess.Popen([*command, "--log-level", "warning"], cwd=BASE_DIR, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if request(client(), self.base + "/accounts/login/")[0] == 200:
                    return self
            except OSError:
                pass  # not listening yet
            time.sleep(0.2)
        self.__exit__()
        sys.exit("gunicorn did not answer within 30 seconds.")

    def __exit__(self, *exc_info):
        self.process.terminate()
        self.process.wait(timeout=30)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to report (e.g. to the login page), not to follow


def client() -> urllib.request.OpenerDirector:
    jar = urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect(), jar)


def request(opener, url: str, form: dict | None = None) -> tuple[int, dict[str, str]]:
    """(status, headers) of one request; the body is read so the server finishes its work."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        with opener.open(url, data=data, timeout=120) as response:
            response.read()
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        error.read()
        return error.code, dict(error.headers)


def log_in(base: str, username: str) -> urllib.request.OpenerDirector:
    """Sign in as a user would: the password, then the authenticator's code where the role needs one."""
    opener = client()
    request(opener, base + "/accounts/login/")
    form = {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": _csrf(opener)}
    status, headers = request(opener, base + "/accounts/login/", form)
    if status != 302:
        sys.exit(f"Logging in as {username} answered {status} instead of a redirect.")
    if needs_second_factor(username):
        verify = base + "/accounts/two-factor/verify/"
        request(opener, verify)  # the password step rotated the CSRF token
        form = {"code": authenticator_code(username), "csrfmiddlewaretoken": _csrf(opener)}
        status, headers = request(opener, verify, form)
        if status != 302 or "/two-factor/" in headers.get("Location", ""):
            sys.exit(f"The second factor of {username} answered {status} instead of letting them in.")
    return opener


def _csrf(opener: urllib.request.OpenerDirector) -> str:
    jar = next(h.cookiejar for h in opener.handlers if isinstance(h, urllib.request.HTTPCookieProcessor))
    return next((c.value for c in jar if c.name == "csrftoken"), "")


def needs_second_factor(username: str) -> bool:
    from django.contrib.auth import get_user_model

    from accounts.permissions import second_factor_required

    return second_factor_required(get_user_model().objects.get(username=username))


def authenticator_code(username: str) -> str:
    """The current code of the user's authenticator, enrolled here as a phone app would be."""
    from django.contrib.auth import get_user_model
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=get_user_model().objects.get(username=username), name="bench", confirmed=True
        )
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def reference_work() -> float:
    """ms this process takes for a fixed piece of Python work, the kind a page does (dicts, strings, a
    sort) and no data size touches: how fast the machine is running at the moment, beside the pages.

    Without the garbage collector, whose passes would walk whatever this process still holds after
    generating the district (with three million objects held, the same work took 17.7 ms, not 14.3)."""
    gc.disable()
    try:
        started = time.perf_counter()
        rows = [{"grid": i % 200, "n": i, "label": f"第{i}网格"} for i in range(20_000)]
        totals: dict[int, int] = {}
        for row in rows:
            totals[row["grid"]] = totals.get(row["grid"], 0) + row["n"]
        "".join(sorted(row["label"] for row in rows))
        return (time.perf_counter() - started) * 1000
    finally:
        gc.enable()


def time_pages(base: str, paths: list[str], repeat: int) -> tuple[list[tuple[float, float, str]], float]:
    """(median ms, p95 ms, query counts) of each page, from the server's own headers, and the median ms of
    the reference work done once a round (`reference_work`).

    The pages take turns, a request each per round, so that a pause of the machine's (the kernel writing
    out the load, a neighbour's work) spreads over every page's samples instead of setting the figures of
    the few pages timed while it lasted. A change of the machine's speed that lasts a whole size's timing
    shows in the reference work, which no data size touches."""
    # "" : a resident, not signed in.
    openers = {user: log_in(base, user) if user else client() for user in {page.user for page in PAGES}}
    durations: list[list[float]] = [[] for _ in PAGES]
    queries: list[set[int]] = [set() for _ in PAGES]
    reference: list[float] = []
    for round_ in range(WARM_UP + repeat):
        if round_ >= WARM_UP:
            reference.append(reference_work())
        for i, (page, path) in enumerate(zip(PAGES, paths, strict=True)):
            status, headers = request(openers[page.user], base + path)
            if status != 200:
                sys.exit(f"{page.label}: GET {path} as {page.user} answered {status}, not 200.")
            if round_ >= WARM_UP:
                durations[i].append(float(headers["Server-Timing"].split("dur=")[1]))
                queries[i].add(int(headers["X-Query-Count"]))
    results = []
    for times, counts in zip(durations, queries, strict=True):
        p95 = statistics.quantiles(times, n=20, method="inclusive")[-1]
        # more than one number: it varies
        results.append((statistics.median(times), p95, "/".join(str(n) for n in sorted(counts))))
    return results, statistics.median(reference)


def checkpoint() -> None:
    """CHECKPOINT, which only a superuser may ask for: as `postgres` over the socket of the cluster that
    scripts/with-postgres.sh started (local connections trusted there); skipped on another server."""
    socket_dir = os.environ.get("PGDATA_DIR")
    if not socket_dir:
        return
    import psycopg

    port = urllib.parse.urlsplit(os.environ["DATABASE_URL"]).port or 5432
    superuser = {"host": socket_dir, "port": port, "user": "postgres", "dbname": "postgres"}
    with psycopg.connect(**superuser, autocommit=True) as db:
        db.execute("CHECKPOINT")


def generate(households: int) -> None:
    from django.core.management import call_command
    from django.db import connections

    call_command("generate_district", households=households)
    # Vacuumed as a district in service would be: otherwise autovacuum works through the freshly loaded
    # millions of rows during the first minute of timing (at 500,000 households: name search 33 ms, not 14).
    started = time.perf_counter()
    with connections["default"].cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    print(f"Vacuumed in {time.perf_counter() - started:.1f} s.")
    # And written out: the load leaves gigabytes of dirty pages that PostgreSQL's checkpointer and then the
    # kernel write in the background, for minutes, on the cores the timing runs on.
    started = time.perf_counter()
    checkpoint()
    os.sync()
    print(f"Written out in {time.perf_counter() - started:.1f} s.")
    connections.close_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=50_000, help="district size (default 50000)")
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page (default 20)")
    args = parser.parse_args()
    if args.households < 10 or args.requests < 2:
        parser.error("use at least 10 households (timed at N/10 and N) and 2 requests per page")
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Run through scripts/with-postgres.sh (or `make bench`): DATABASE_URL is not set.")

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    sizes = [max(1, args.households // 10), args.households]
    results, reference, generated, paths = {}, {}, 0, []
    for size in sizes:
        generate(size - generated)  # the first run makes N/10 households, the second the rest
        generated = size
        # The same records at both sizes, found in the smaller district.
        paths = paths or page_paths(sample_records())
        with Server() as server:
            results[size], reference[size] = time_pages(server.base, paths, args.requests)

    width = max(len(page.label) for page in PAGES)
    print(f"\n{'page':<{width}} | {'households':>10} | {'median ms':>9} | {'p95 ms':>8} | queries")
    for page_index, page in enumerate(PAGES):
        for size in sizes:
            median, p95, queries = results[size][page_index]
            print(f"{page.label:<{width}} | {size:>10,} | {median:>9.1f} | {p95:>8.1f} | {queries}")
    small, large = sizes
    print(f"\n{'page':<{width}} | {f'growth x{large // small}':>10} | same queries")
    for page_index, page in enumerate(PAGES):
        median_small, _p95, queries_small = results[small][page_index]
        median_large, _p95, queries_large = results[large][page_index]
        # A signed-in session is written once a minute (accounts.middleware: the time last seen), a few
        # queries more on whichever request falls on it; the page's own are the fewest it made.
        fewest = [min(int(n) for n in counts.split("/")) for counts in (queries_small, queries_large)]
        same = "yes" if fewest[0] == fewest[1] else f"no ({queries_small} -> {queries_large})"
        print(f"{page.label:<{width}} | {median_large / median_small:>10.2f} | {same}")
    # The machine's own speed at each size's timing: growth the pages share with this is the machine's.
    ratio = reference[large] / reference[small]
    print(
        f"\nReference work (no page, no data), median of a round each: {reference[small]:.1f} ms at"
        f" {small:,} households, {reference[large]:.1f} ms at {large:,} ({ratio:.2f}x)."
    )


if __name__ == "__main__":
    main()
