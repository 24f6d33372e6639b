"""A Monday morning at the portal, for locust (`python -m tooling.load` runs it; see its docstring).

Four kinds of users in the proportions of a morning: grid workers (55%) open their workbench and due list,
log visits, take the cases waiting in their grid and resolve the ones they hold; desk staff (15%) watch
their desk, register requests (accepted and sent to a grid at once) and follow up and archive resolved
cases; leaders (5%) open the dashboard, the workload and the case list of their street; residents (25%)
open the tracking page of their request. Each signs in with a generated account of the district (the pool
file tooling.load.prepare writes: who, in which grid, community or street) and acts only within it.

Every page is followed by the bell's request (base.html loads it on each page). A form is read from the
page as a browser would submit it (tooling.load.htmlforms) and posted without following its redirect; the
page it redirects to is read for the message the user sees. Two workers of one grid pressing 接单 on the
same case, or two of the desk archiving the same one, is the product working: the loser is redirected to
the case page with a message naming who acted first. That counts as a success of the request and is
counted apart as a conflict (the outcomes file), as is anything unexpected.

What is measured: signing in costs a password hash (about a second of CPU each), and a morning's users are
mostly signed in already (a session lasts the working day), so a run of LOAD_USERS users measures the
LOAD_DURATION seconds that begin LOAD_SETTLE seconds after the last user has signed in: locust's statistics
are reset then, and the run ends after them (the sign-ins themselves are reported apart, over the whole run).
With LOAD_STEPS the same holds for each step: its pages are counted from LOAD_SETTLE seconds after the
step's users have all signed in to the end of the step.

The outcomes file (LOAD_OUTCOMES) also keeps, per second, the requests that succeeded and failed, the
failures themselves and, with LOAD_STEPS, each step's response times: what the driver reports. LOAD_MARK
is a file written with the time the measured part began (the driver times its fault from it).
"""

import collections
import json
import os
import random
import re
import time
from pathlib import Path

import gevent
from locust import HttpUser, LoadTestShape, between, events, task

from tooling.load.htmlforms import alerts, form_posting_to, link_ids

POOL = json.loads(Path(os.environ["LOAD_POOL"]).read_text(encoding="utf-8"))
PATHS = POOL["paths"]
WAIT = [float(s) for s in os.environ.get("LOAD_WAIT", "2,8").split(",")]
NOT_TIMED = {"login page", "login"}  # a step's p95 is of the pages, not of the password hashing
USERS = int(os.environ.get("LOAD_USERS", "0"))
DURATION = float(os.environ.get("LOAD_DURATION", "60"))
SETTLE = float(os.environ.get("LOAD_SETTLE", "5"))

# What the run saw beyond locust's own statistics, written to LOAD_OUTCOMES when locust quits.
outcomes: collections.Counter = collections.Counter()
per_second: dict[int, list[int]] = collections.defaultdict(lambda: [0, 0])
failures: list[dict] = []  # the first 2,000
failed = server_errors = 0
timings: list[tuple[float, float]] = []  # (time, ms) of the timed pages, for the steps
sign_ins: list[float] = []  # ms of each sign-in
users_started: list[float] = []  # when each user had started (signed in, for the staff)
started = time.time()
measuring_since: float | None = None
environment = None


@events.init.add_listener
def _init(environment, **_kwargs) -> None:
    globals()["environment"] = environment


@events.test_start.add_listener
def _started(**_kwargs) -> None:
    global started
    started = time.time()


def _user_started() -> None:
    users_started.append(time.time())
    if not STEPS and len(users_started) == USERS:
        gevent.spawn_later(SETTLE, _measure)


def _measure() -> None:
    """From now on the run is measured: locust's statistics start again, and the run ends DURATION later."""
    global measuring_since
    environment.runner.stats.reset_all()
    measuring_since = time.time()
    if mark := os.environ.get("LOAD_MARK"):
        Path(mark).write_text(str(measuring_since), encoding="utf-8")
    gevent.spawn_later(DURATION, environment.runner.quit)


@events.request.add_listener
def _record(request_type, name, response_time, response, exception, **_kwargs) -> None:
    global failed, server_errors
    now = time.time()
    status = getattr(response, "status_code", 0) or 0
    per_second[int(now)][1 if exception else 0] += 1
    if status >= 500:
        server_errors += 1
    if exception:
        failed += 1
        if len(failures) < 2000:
            failures.append(
                {
                    "t": now,
                    "request": f"{request_type} {name}",
                    "status": status,
                    "error": str(exception)[:200],
                }
            )
    elif name == "login":
        sign_ins.append(response_time)
    elif name not in NOT_TIMED:
        timings.append((now, response_time))


@events.quitting.add_listener
def _write(**_kwargs) -> None:
    target = os.environ.get("LOAD_OUTCOMES")
    if not target:
        return
    result = {
        "started": started,
        "measuring_since": measuring_since,
        "settle": SETTLE,
        "users_started": len(users_started),
        "sign_ins": sorted(sign_ins),
        "outcomes": {f"{action}: {outcome}": n for (action, outcome), n in sorted(outcomes.items())},
        "per_second": {str(second): counts for second, counts in sorted(per_second.items())},
        "failures": failures,
        "failed": failed,
        "server_errors": server_errors,
    }
    if STEPS:
        result["steps"] = _step_percentiles()
    Path(target).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


_taken: collections.Counter = collections.Counter()


def _take(role: str) -> dict:
    """The next account of a role: users of a kind take the pool's accounts in turn."""
    accounts = POOL[role]
    account = accounts[_taken[role] % len(accounts)]
    _taken[role] += 1
    return account


class PortalUser(HttpUser):
    abstract = True
    wait_time = between(*WAIT)
    role = ""

    def on_start(self) -> None:
        self.client.headers["Accept-Language"] = "zh-hans"
        if self.role:
            self.account = _take(self.role)
            self.log_in()
        _user_started()

    def log_in(self) -> None:
        self.client.get(PATHS["login"], name="login page")
        form = {
            "username": self.account["username"],
            "password": POOL["password"],
            "csrfmiddlewaretoken": self.client.cookies.get("csrftoken", ""),
        }
        with self.client.post(
            PATHS["login"], form, name="login", allow_redirects=False, catch_response=True
        ) as r:
            if r.status_code != 302 or "/accounts/" in r.headers.get("Location", ""):
                r.failure(f"{self.account['username']} could not sign in ({r.status_code})")

    def page(self, path: str, name: str, *, bell: bool = True) -> str:
        """GET a page as a signed-in user sees it (and the bell it loads); its HTML, or "" if it failed."""
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as r:
            if r.status_code == 302 and "/accounts/login" in r.headers.get("Location", ""):
                r.failure("sent to the login page")
                self.log_in()
                return ""
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
                return ""
            html = r.text
        if bell and self.role:
            self.client.get(PATHS["bell"], name="bell")
        return html

    def post(self, path: str, data, name: str) -> str:
        """POST a form; the page it redirects to (read for its message), or "" if it did not redirect."""
        with self.client.post(path, data, name=name, allow_redirects=False, catch_response=True) as r:
            location = r.headers.get("Location", "")
            if r.status_code != 302:
                r.failure(f"{r.status_code} instead of a redirect")
                return ""
            if "/accounts/login" in location:
                r.failure("sent to the login page")
                return ""
        return self.page(location, f"{name} → next page")

    def act_on_case(self, case_id: int, action: str, name: str, done: str, **fields) -> None:
        """One action of the case workflow from the case page, as cases.views.case_act takes it."""
        html = self.page(PATHS["case"].format(id=case_id), "case page")
        form = form_posting_to(html, PATHS["case_act"].format(id=case_id, action=action))
        if form is None:
            outcomes[(name, "not offered (moved on before the page was read)")] += 1
            return
        answer = self.post(form.action, form.data(**{f"{action}-{k}": v for k, v in fields.items()}), name)
        messages = alerts(answer)
        if any(level == "success" and done in text for level, text in messages):
            outcomes[(name, "done")] += 1
        elif any(
            level == "danger" and ("无需再接" in text or "请查看后再操作" in text) for level, text in messages
        ):
            outcomes[(name, "conflict: another user acted first (message shown)")] += 1
        else:
            outcomes[(name, f"unexpected: {messages!r}"[:120])] += 1


class GridWorker(PortalUser):
    """专职 or 兼职网格员 of one grid (two share each grid, so both may press 接单 on one case)."""

    weight = 11
    role = "workers"

    @task(4)
    def workbench(self) -> None:
        self.page(PATHS["home"], "workbench")

    @task(2)
    def due_list(self) -> None:
        self.page(PATHS["due"], "due list")

    @task(3)
    def log_visit(self) -> None:
        households = link_ids(self.page(PATHS["due"], "due list"), PATHS["visit_new_link"])
        if not households:
            outcomes[("log visit", "nobody due")] += 1
            return
        path = PATHS["visit_new"].format(household=random.choice(households[:20]))
        form = form_posting_to(self.page(path, "visit form"), "")
        if form is None:
            outcomes[("log visit", "unexpected: no form")] += 1
            return
        answer = self.post(path, form.data(notes="老人身体尚好，按时服药。"), "log visit")
        outcomes[("log visit", "done" if answer else "failed")] += 1

    @task(2)
    def take_case(self) -> None:
        queue = self.page(PATHS["queue"], "case queue")
        waiting = link_ids(queue.split('id="mine-title"')[0], PATHS["case_link"])
        if not waiting:
            outcomes[("take", "nothing waiting")] += 1
            return
        self.act_on_case(random.choice(waiting[:5]), "take", "take", "已接单")

    @task(1)
    def resolve_case(self) -> None:
        queue = self.page(PATHS["queue"], "case queue")
        mine = link_ids(queue.split('id="mine-title"')[-1], PATHS["case_link"])
        if not mine:
            outcomes[("resolve", "nothing in hand")] += 1
            return
        self.act_on_case(random.choice(mine), "resolve", "resolve", "已办结", note="已上门处理，居民确认。")

    @task(1)
    def notifications(self) -> None:
        self.page(PATHS["notifications"], "notification list")


class DeskStaff(PortalUser):
    """社区工作人员 of one community: registers requests in its grids and follows up resolved cases."""

    weight = 3
    role = "desk"

    @task(4)
    def desk(self) -> None:
        self.page(PATHS["desk"], "case desk")

    @task(2)
    def register(self) -> None:
        form = form_posting_to(self.page(PATHS["case_new"], "intake form"), "")
        if form is None:
            outcomes[("register", "unexpected: no form")] += 1
            return
        data = form.data(
            channel="phone",
            requester_mode="named",
            requester_name="王先生",
            requester_phone="13900001111",
            grid=str(random.choice(self.account["grids"])),
            category="环境卫生",
            description=f"楼道堆放杂物，影响通行。（{random.randrange(10**6)}）",
            accept_now="on",
        )
        with self.client.post(
            PATHS["case_new"], data, name="register", allow_redirects=False, catch_response=True
        ) as r:
            if r.status_code == 200 and 'id="duplicates"' in r.text:
                # Similar open requests: the page asks whether this is one of them; it is a new one.
                outcomes[("register", "asked about duplicates")] += 1
                r.success()
                redirected = self.client.post(
                    PATHS["case_new"],
                    [*data, ("duplicate_choice", "new")],
                    name="register (not a duplicate)",
                    allow_redirects=False,
                )
                location = redirected.headers.get("Location", "")
            elif r.status_code == 302:
                location = r.headers["Location"]
            else:
                r.failure(f"{r.status_code} instead of a redirect (the form refused?)")
                return
        if re.fullmatch(PATHS["case_location"], location):
            outcomes[("register", "done")] += 1
            self.page(location, "register → next page")
        else:
            outcomes[("register", f"unexpected: {location}")] += 1

    @task(2)
    def follow_up(self) -> None:
        resolved = link_ids(self.page(PATHS["desk_resolved"], "case desk (resolved)"), PATHS["case_link"])
        if not resolved:
            outcomes[("follow up", "nothing resolved")] += 1
            return
        case_id = random.choice(resolved[:10])
        self.act_on_case(
            case_id,
            "follow_up",
            "follow up",
            "已回访",
            resolved="yes",
            satisfaction="satisfied",
            note="居民满意。",
        )
        self.act_on_case(case_id, "close", "archive", "已归档", note="回访满意，归档。")

    @task(1)
    def case_list(self) -> None:
        self.page(PATHS["case_list"], "case list")


class Leader(PortalUser):
    """街道领导 of one street: the dashboard, the workload and the lists of the street."""

    weight = 1
    role = "leaders"

    @task(3)
    def dashboard_month(self) -> None:
        self.page(PATHS["dashboard_month"].format(street=self.account["street"]), "dashboard (street, month)")

    @task(2)
    def dashboard(self) -> None:
        self.page(PATHS["dashboard"], "dashboard")

    @task(1)
    def workload(self) -> None:
        self.page(PATHS["workload_month"].format(street=self.account["street"]), "workload (street, month)")

    @task(1)
    def case_list(self) -> None:
        self.page(PATHS["case_list"], "case list")

    @task(1)
    def street_inbox(self) -> None:
        self.page(PATHS["street_inbox"], "street inbox")

    @task(1)
    def overdue(self) -> None:
        self.page(PATHS["overdue"], "overdue overview")


class Resident(PortalUser):
    """A resident reading the tracking page of the request they raised (no account)."""

    weight = 5

    @task
    def tracking_page(self) -> None:
        self.page(random.choice(POOL["tracking"]), "tracking page")


# --- stepping users up (LOAD_STEPS="50,100,200", LOAD_STEP_SECONDS=60) ---------------------------------

STEPS = [int(n) for n in os.environ.get("LOAD_STEPS", "").split(",") if n]
STEP_SECONDS = float(os.environ.get("LOAD_STEP_SECONDS", "60"))


def _step_percentiles() -> list[dict]:
    """Each step's pages from SETTLE seconds after its users had all signed in to its end."""
    rows = []
    for k, users in enumerate(STEPS):
        end = started + (k + 1) * STEP_SECONDS
        signed_in = users_started[users - 1] if len(users_started) >= users else None
        row: dict = {"users": users, "signed_in_after": None if signed_in is None else signed_in - started}
        rows.append(row)
        if signed_in is None or signed_in + SETTLE >= end:
            continue  # the step ended before its users had all signed in: nothing measured
        begin = max(signed_in + SETTLE, started + k * STEP_SECONDS)
        times = sorted(ms for at, ms in timings if begin <= at < end)
        if times:
            row.update(
                seconds=end - begin,
                requests=len(times),
                rps=len(times) / (end - begin),
                p50=times[len(times) // 2],
                p95=times[min(len(times) - 1, int(0.95 * len(times)))],
                begin=begin,
                end=end,
            )
    return rows


if STEPS:

    class Steps(LoadTestShape):
        """50, 100, 200 ... users, STEP_SECONDS each, then stop."""

        def tick(self):
            step = int(self.get_run_time() // STEP_SECONDS)
            if step >= len(STEPS):
                return None
            return STEPS[step], float(os.environ.get("LOAD_SPAWN_RATE", "10"))
