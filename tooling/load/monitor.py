"""What the machine spends during a load run, sampled every few seconds: the database's connections (from
pg_stat_activity) and the CPU of the PostgreSQL cluster, the app servers, the balancer and locust (from
/proc, whole process trees: a worker's time stays counted after it exits, in its parent's `cutime`)."""

import os
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, int] | None:
    """(parent pid, CPU ticks of the process and its reaped children) of a live process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # after the command name, which may hold spaces
    # fields[1] is ppid; utime, stime, cutime, cstime are the 14th-17th fields of the line (11-14 here).
    return int(fields[1]), sum(int(f) for f in fields[11:15])


def tree_ticks(root: int) -> int | None:
    """CPU ticks of a process and all its descendants, or None when it is gone."""
    stats = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = stat
    if root not in stats:
        return None
    children: dict[int, list[int]] = {}
    for pid, (ppid, _ticks) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += stats[pid][1]
        todo += children.get(pid, [])
    return total


class Monitor:
    """Samples in a thread until stopped: `roots` names a process tree whose root pid is asked for at each
    sample (a restarted postmaster has a new one); `connections` counts the database's client backends."""

    def __init__(
        self, roots: dict[str, Callable[[], int | None]], connections: Callable[[], int | None], every=2.0
    ):
        self.roots, self.connections, self.every = roots, connections, every
        # (time, % of one core over the interval before it) per tree; (time, count) of connections.
        self.cpu: dict[str, list[tuple[float, float]]] = {name: [] for name in roots}
        self.connection_counts: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Monitor":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        last: dict[str, tuple[int, int, float]] = {}  # name -> (root pid, ticks, time)
        while not self._stop.wait(self.every):
            now = time.monotonic()
            for name, root in self.roots.items():
                pid = root()
                ticks = tree_ticks(pid) if pid else None
                if ticks is None:
                    last.pop(name, None)
                    continue
                before = last.get(name)
                if before and before[0] == pid:  # not across a restart: the counts start again
                    percent = 100 * (ticks - before[1]) / CLOCK_TICKS / (now - before[2])
                    self.cpu[name].append((time.time(), percent))
                last[name] = (pid, ticks, now)
            count = self.connections()
            if count is not None:
                self.connection_counts.append((time.time(), count))

    def mean(self, name: str, window: tuple[float, float]) -> float:
        """Mean CPU % of a tree over the samples taken in a window of time (0 if none)."""
        values = [value for at, value in self.cpu[name] if window[0] <= at <= window[1]]
        return statistics.mean(values) if values else 0.0

    def report(self) -> list[str]:
        lines = [f"{f'sampled every {self.every:g} s':<34} {'mean':>7} {'max':>7}"]
        if self.connection_counts:
            counts = [count for _at, count in self.connection_counts]
            lines.append(f"{'database connections':<34} {statistics.mean(counts):>7.1f} {max(counts):>7}")
        for name, samples in self.cpu.items():
            if samples:
                values = [value for _at, value in samples]
                label = f"CPU % of a core: {name}"
                lines.append(f"{label:<34} {statistics.mean(values):>7.0f} {max(values):>7.0f}")
        return lines


def postmaster_pid(data_dir: Path) -> int | None:
    """The running postmaster of a cluster, from its postmaster.pid (None while it restarts)."""
    try:
        return int((data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def connection_counter(conninfo: str) -> Callable[[], int | None]:
    """Counts the client connections to the database, reconnecting after a restart (None meanwhile)."""
    import psycopg

    state: dict[str, psycopg.Connection | None] = {"connection": None}

    def count() -> int | None:
        try:
            if state["connection"] is None or state["connection"].closed:
                state["connection"] = psycopg.connect(conninfo, autocommit=True, connect_timeout=2)
            row = (
                state["connection"]
                .execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                )
                .fetchone()
            )
            return int(row[0]) if row else None
        except psycopg.Error:
            state["connection"] = None
            return None

    return count
