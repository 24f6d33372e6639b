"""Load the portal as a Monday morning does, on loopback, and report what it held: `make load`.

Runs under scripts/with-postgres.sh (DATABASE_URL, and PORTAL_PG_DATA for the restart). It migrates,
generates the district up to N households with the bench's generator (a database kept with PORTAL_PG_DIR
that already has them is reused), picks the accounts and places of the simulated users
(tooling.load.prepare), serves the portal with gunicorn as the bench does, and runs locust headless with
tooling/load/locustfile.py while sampling the database's connections and the CPU of PostgreSQL, gunicorn
and locust. Then it prints each page's p50/p95/p99, the requests per second, the failures (5xx apart) and
the conflicts the product answers with a message, and runs `manage.py check_invariants`.

Modes:
  steady   USERS users for DURATION seconds
  step     50, 100, 200 ... users for STEP_SECONDS each; the largest count whose p95 stays under 300 ms
  restart  steady, with `pg_ctl restart -m fast` of the cluster half-way through
  kill     steady against two gunicorn servers behind a loopback balancer (tooling.load.balancer), one
           of them killed (SIGKILL, master and workers) half-way through

    python -m tooling.load --households 20000 --users 20 --duration 60 --mode restart
"""

import argparse
import csv
import datetime
import glob
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from tooling import bench  # sets the bench's environment for this process and the servers it starts

from . import monitor

BASE_DIR = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
P95_LIMIT_MS = 300


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class AppServer:
    """One gunicorn serving the portal on a loopback port, in a process group of its own (so it can be
    killed whole, master and workers, as a machine dying would)."""

    def __init__(self, workers: int, threads: int):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        url = os.environ["DATABASE_URL"]
        env = {
            **os.environ,
            # Persistent connections, as README's production section sets them and the bench serves.
            "DATABASE_URL": url + ("&" if "?" in url else "?") + "CONN_MAX_AGE=600",
            "PYTHONWARNINGS": "ignore:No directory at",  # whitenoise: no collectstatic, served from static/
            # The simulated staff sign in with the password alone (the second factor is another issue's).
            "PORTAL_OTP_REQUIRED": "false",
        }
        command = [str(BIN / "gunicorn"), "portal.wsgi", "-b", f"127.0.0.1:{self.port}", "-w", str(workers)]
        if threads > 1:
            command += ["--worker-class", "gthread", "--threads", str(threads)]
        self.process = subprocess.Popen(
            [*command, "--log-level", "warning"], cwd=BASE_DIR, env=env, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if bench.request(bench.client(), self.base + "/accounts/login/")[0] == 200:
                    return
            except OSError:
                time.sleep(0.3)  # not listening yet
        self.stop()
        sys.exit("gunicorn did not answer within 60 seconds.")

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def prepare_database(households: int) -> tuple[int, dict]:
    """Migrate, generate what is missing of the district, and the simulated users' pool."""
    import django
    from django.core.management import call_command

    django.setup()
    from residents.models import Household

    from . import prepare

    call_command("migrate", verbosity=0)
    existing = Household.objects.count()
    if existing < households:
        print(
            f"Generating {households - existing:,} households ({existing:,} in the database) ...", flush=True
        )
        bench.generate(households - existing)
    else:
        print(f"Reusing the {existing:,} households in the database.", flush=True)
    pool = prepare.pool()
    count = Household.objects.count()
    from django.db import connections

    connections.close_all()  # the servers, not this process, serve the run
    return count, pool


def restart_postgres() -> None:
    data = os.environ.get("PORTAL_PG_DATA")
    if not data:
        sys.exit("--mode restart needs PORTAL_PG_DATA (run through scripts/with-postgres.sh).")
    pg_bin = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: [int(x) for x in p.split("/")[-2].split(".")]
    )
    command = [
        f"{pg_bin[-1]}/pg_ctl",
        "-D",
        data,
        "-m",
        "fast",
        "-w",
        "-l",
        str(Path(data).parent / "pg.log"),
        "restart",
    ]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, cwd="/", check=True, stdout=subprocess.DEVNULL)


def run_locust(
    args, host: str, out: Path, pool_file: Path, facts: dict, fault=None
) -> tuple[list[dict], dict]:
    """Run locust headless; returns locust's per-page rows and the locustfile's outcomes. `facts` gets the
    users, the duration, locust's pid while it runs (the monitor reads it) and the fault's times."""
    env = {
        **os.environ,
        "LOAD_POOL": str(pool_file),
        "LOAD_OUTCOMES": str(out / "outcomes.json"),
        "LOAD_WAIT": args.wait,
        "LOAD_SETTLE": str(args.settle),
        "LOAD_MARK": str(out / "measuring-since"),
    }
    if args.mode == "step":
        steps = [int(n) for n in args.steps.split(",")]
        env.update(
            LOAD_STEPS=args.steps, LOAD_STEP_SECONDS=str(args.step_seconds), LOAD_SPAWN_RATE=str(args.rate)
        )
        users, duration = max(steps), int(len(steps) * args.step_seconds)
    else:
        users, duration = args.users, args.duration
        env.update(LOAD_USERS=str(users), LOAD_DURATION=str(duration))
    command = [str(BIN / "locust"), "-f", str(BASE_DIR / "tooling/load/locustfile.py"), "--headless"]
    command += ["--only-summary", "--host", host, "--csv", str(out / "locust"), "--loglevel", "WARNING"]
    if args.mode != "step":  # the steps are the locustfile's shape, which sets users and time itself
        # The locustfile ends the run DURATION seconds into its measured part; this only bounds a run
        # whose users never all sign in.
        limit = int(users / args.rate + args.settle + duration + args.sign_in_limit)
        command += ["-u", str(users), "-r", str(args.rate), "-t", f"{limit}s"]
    facts.update(users=users, duration=duration)
    log = (out / "locust.log").open("w")
    locust = subprocess.Popen(command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    facts["locust_pid"] = locust.pid
    started = time.time()
    striker = None
    if fault is not None:
        striker = threading.Thread(
            target=_strike, args=(fault, out / "measuring-since", duration, locust, facts)
        )
        striker.start()
    locust.wait()
    facts["locust_pid"] = None
    if striker is not None:
        striker.join()
    facts["elapsed"] = time.time() - started
    rows = list(csv.DictReader((out / "locust_stats.csv").open(encoding="utf-8")))
    outcomes = json.loads((out / "outcomes.json").read_text(encoding="utf-8"))
    return rows, outcomes


def _strike(fault, mark: Path, duration: float, locust: subprocess.Popen, facts: dict) -> None:
    """The fault, half-way through the measured part (not while users sign in); none if locust ends first."""
    while not mark.exists():
        if locust.poll() is not None:
            return
        time.sleep(0.5)
    due = float(mark.read_text(encoding="utf-8")) + duration / 2
    while time.time() < due:
        if locust.poll() is not None:
            return
        time.sleep(0.1)
    facts["fault_at"] = time.time()
    try:
        fault()
    finally:
        facts["fault_done"] = time.time()


def print_pages(rows: list[dict]) -> None:
    width = max(len(row["Name"]) + len(row["Type"]) + 1 for row in rows)
    print(
        f"\n{'request':<{width}} | {'count':>6} | {'fails':>5} | {'req/s':>6} | "
        f"{'p50 ms':>6} | {'p95 ms':>6} | {'p99 ms':>6}"
    )
    for row in rows:
        name = row["Name"] if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
        print(
            f"{name:<{width}} | {int(row['Request Count']):>6} | {int(row['Failure Count']):>5} | "
            f"{float(row['Requests/s']):>6.1f} | {row['50%']:>6} | {row['95%']:>6} | {row['99%']:>6}"
        )


def print_sign_ins(outcomes: dict, facts: dict, settle: float) -> None:
    since = outcomes.get("measuring_since")
    if facts.get("mode") != "step":
        if since:
            print(
                f"Measured: the {facts['duration']} s from {settle:g} s after the last of the "
                f"{facts['users']} users had signed in ({since - outcomes['started']:.0f} s into the run)."
            )
        else:
            print(
                f"Only {outcomes['users_started']} of {facts['users']} users had signed in when the run "
                "ended: the numbers below are of the whole run, sign-in storm included."
            )
    times = outcomes["sign_ins"]
    if times:
        print(
            f"Sign-ins (POST login, whole run, not in the table): {len(times)}, "
            f"p50 {times[len(times) // 2]:.0f} ms, p95 {times[int(0.95 * (len(times) - 1))]:.0f} ms, "
            f"max {times[-1]:.0f} ms."
        )


def print_outcomes(outcomes: dict, facts: dict) -> int:
    print("\nWhat the users' actions came to (a conflict is the product's answer, counted as a success):")
    for label, n in outcomes["outcomes"].items():
        print(f"  {label:<70} {n:>6}")
    failures = outcomes["failures"]
    print(
        f"\nFailed requests: {outcomes['failed']}, of which server errors (5xx): {outcomes['server_errors']}"
    )
    kinds: dict[str, int] = {}
    for failure in failures:
        key = f"{failure['request']}: {failure['status'] or failure['error'][:80]}"
        kinds[key] = kinds.get(key, 0) + 1
    for key, n in sorted(kinds.items(), key=lambda item: -item[1])[:15]:
        print(f"  {n:>5}  {key}")
    if "fault_at" in facts:
        fault = facts["fault_at"]
        after = [f["t"] for f in failures if f["t"] >= fault - 1]
        print(
            f"\nFault at {fault - outcomes['started']:.1f} s into the run "
            f"({facts.get('fault_done', fault) - fault:.1f} s to do it)."
        )
        if after:
            print(
                f"  {len(after)} failed requests from the fault on; the first {after[0] - fault:+.1f} s, "
                f"the last {max(after) - fault:+.1f} s after it: requests succeed again "
                f"{max(after) - fault:.1f} s after the fault."
            )
        else:
            print("  No request failed after the fault.")
        seconds = sorted(int(s) for s in outcomes["per_second"])
        around = [s for s in seconds if fault - 3 <= s <= fault + 8]
        print("  second  ok  failed")
        for s in around:
            ok, failed = outcomes["per_second"][str(s)]
            print(f"  {s - int(fault):>+6} {ok:>4} {failed:>6}")
    return outcomes["server_errors"]


def print_steps(outcomes: dict, samples: monitor.Monitor) -> None:
    print(
        f"\nStepping users up (each step counted from {outcomes.get('settle', 5):g} s after its users had all"
    )
    print("signed in to its end; CPU as % of one core, mean over the same window):")
    print(
        f"{'users':>6} | {'signed in':>9} | {'req/s':>6} | {'p50 ms':>7} | {'p95 ms':>7} | "
        "postgres | gunicorn | locust"
    )
    held = 0
    for step in outcomes.get("steps", []):
        signed_in = "never" if step["signed_in_after"] is None else f"{step['signed_in_after']:.0f} s"
        if "p95" not in step:
            print(f"{step['users']:>6} | {signed_in:>9} | not measured: the step ended first")
            continue
        window = (step["begin"], step["end"])
        cpu = " | ".join(f"{samples.mean(name, window):>8.0f}" for name in ("postgres", "gunicorn", "locust"))
        print(
            f"{step['users']:>6} | {signed_in:>9} | {step['rps']:>6.1f} | {step['p50']:>7.0f} | "
            f"{step['p95']:>7.0f} | {cpu}"
        )
        if step["p95"] < P95_LIMIT_MS:
            held = step["users"]
    print(f"Largest user count with p95 under {P95_LIMIT_MS} ms: {held or 'none'}")


def check_invariants() -> int:
    print("\nmanage.py check_invariants:", flush=True)
    return subprocess.run([sys.executable, "manage.py", "check_invariants"], cwd=BASE_DIR).returncode


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=500_000, help="district size (default 500000)")
    parser.add_argument("--users", type=int, default=200, help="simulated users (default 200)")
    parser.add_argument("--rate", type=float, default=10, help="users started per second (default 10)")
    parser.add_argument("--duration", type=int, default=300, help="seconds (default 300)")
    parser.add_argument("--mode", choices=["steady", "step", "restart", "kill"], default="steady")
    parser.add_argument("--steps", default="50,100,200,300,400", help="users per step (step mode)")
    parser.add_argument("--step-seconds", type=int, default=60)
    cores = os.cpu_count() or 1
    parser.add_argument(
        "--workers",
        type=int,
        help=f"gunicorn workers per server (default 2 x cores + 1 = {2 * cores + 1}; "
        "kill mode: cores + 1 each)",
    )
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (>1: gthread workers)")
    parser.add_argument(
        "--settle",
        type=float,
        default=5,
        help="seconds after the last sign-in before the measured part begins (default 5)",
    )
    parser.add_argument(
        "--sign-in-limit",
        type=float,
        default=300,
        help="seconds the users may take to sign in before the run gives up waiting (default 300)",
    )
    parser.add_argument(
        "--wait", default="2,8", help="think time between a user's actions, seconds (default 2,8)"
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Run through scripts/with-postgres.sh (or `make load`): DATABASE_URL is not set.")
    workers = args.workers or (cores + 1 if args.mode == "kill" else 2 * cores + 1)

    out = BASE_DIR / "test-artifacts" / "load" / f"{args.mode}-{datetime.datetime.now():%Y%m%d-%H%M%S}"
    out.mkdir(parents=True)
    households, pool = prepare_database(args.households)
    pool_file = out / "pool.json"
    pool_file.write_text(json.dumps(pool, ensure_ascii=False, indent=1), encoding="utf-8")
    print(
        f"{len(pool['workers'])} worker, {len(pool['desk'])} desk and {len(pool['leaders'])} leader "
        "accounts, "
        f"{len(pool['tracking'])} tracking pages.",
        flush=True,
    )

    servers = [AppServer(workers, args.threads) for _ in range(2 if args.mode == "kill" else 1)]
    balancer = None
    host = servers[0].base
    if args.mode == "kill":
        port = free_port()
        backends = [f"127.0.0.1:{server.port}" for server in servers]
        balancer = subprocess.Popen(
            [sys.executable, "-m", "tooling.load.balancer", str(port), *backends], cwd=BASE_DIR
        )
        host = f"http://127.0.0.1:{port}"
        time.sleep(1)
    fault = {"restart": restart_postgres, "kill": servers[0].kill}.get(args.mode)

    data_dir = Path(os.environ["PORTAL_PG_DATA"]) if os.environ.get("PORTAL_PG_DATA") else None
    facts: dict = {}
    roots = {
        "postgres": (lambda: monitor.postmaster_pid(data_dir)) if data_dir else (lambda: None),
        "gunicorn": lambda: servers[-1].process.pid,
        "locust": lambda: facts.get("locust_pid"),
    }
    if len(servers) == 2:
        roots["gunicorn (killed)"] = lambda: (
            servers[0].process.pid if servers[0].process.poll() is None else None
        )
        roots["balancer"] = lambda: balancer.pid if balancer else None
    conninfo = urllib.parse.urlsplit(os.environ["DATABASE_URL"])._replace(query="").geturl()
    print(
        f"Mode {args.mode}: {households:,} households, {len(servers)} gunicorn x {workers} workers"
        f"{f' x {args.threads} threads' if args.threads > 1 else ''}, think time {args.wait} s.",
        flush=True,
    )
    try:
        with monitor.Monitor(roots, monitor.connection_counter(conninfo)) as samples:
            rows, outcomes = run_locust(args, host, out, pool_file, facts, fault)
    finally:
        for server in servers:
            server.stop()
        if balancer is not None:
            balancer.terminate()
            balancer.wait()

    print(
        f"\n{facts['users']} users for {facts['duration']} s ({args.mode}); "
        f"locust's files in {out.relative_to(BASE_DIR)}"
    )
    facts["mode"] = args.mode
    print_sign_ins(outcomes, facts, args.settle)
    print_pages(rows)
    server_errors = print_outcomes(outcomes, facts)
    if args.mode == "step":
        print_steps(outcomes, samples)
    print()
    print("\n".join(samples.report()))
    broken = check_invariants()
    if broken or (server_errors and args.mode in ("steady", "step")):
        sys.exit(1)


if __name__ == "__main__":
    main()
