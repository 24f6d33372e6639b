"""The dashboard's measures, stored: per grid and day, what every measure counts of what is settled once
written (CaseDayTally), and per grid and week, what the weekly trend counts (CaseWeekTally); both kept by
database triggers on the case table."""

from django.db import models

from grids.models import Grid

# The stored counts, in the order the triggers write them (migration 0023_caseweektally).
TALLY_COLUMNS = [
    "received",
    "taken",
    "taken_on_time",
    "lapsed_closed",
    "followed_up",
    "follow_up_resolved",
    "rated",
    "satisfied",
]


class CaseWeekTally(models.Model):
    """The weekly trend's counts (cases.measures.TREND) of one grid's cases in one week (Monday, local
    time), each case counted in the week of the date its measure goes by: registered (`created_at`),
    response (`accepted_at`), resolution and satisfaction (`followed_up_at`). A district's trend then adds
    up a row per grid and week instead of every case of eight weeks three times over.

    The columns are the measures' conditions (cases.measures) on what is settled once written:
    - received: registered (RECEIVED);
    - taken, taken_on_time: accepted and since taken, and taken by its first response deadline
      (RESPONSE's base and hit);
    - lapsed_closed: accepted, never taken, archived after its time to be taken ran out (RESPONSE's base).
      The open cases never taken whose time has run out depend on the hour of asking, so
      `cases.measures.weekly` counts them from the cases themselves (the case_grid_untaken index);
    - followed_up, follow_up_resolved, rated, satisfied: followed up, confirmed resolved, rated, rated
      satisfied or basically satisfied (RESOLUTION's and SATISFACTION's base and hit).

    Kept by the database itself, in the same transaction as the write: triggers on the case table add a
    case's counts as it is written and take its old ones away (migration 0023_caseweektally). Nothing in
    Python writes it; tests/test_case_tally.py checks every week against the measures' own drill-downs.
    """

    # No database constraint and nothing done on delete: a deleted case takes its counts away itself.
    grid = models.ForeignKey(Grid, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    week = models.DateField()
    received = models.IntegerField(default=0)
    taken = models.IntegerField(default=0)
    taken_on_time = models.IntegerField(default=0)
    lapsed_closed = models.IntegerField(default=0)
    followed_up = models.IntegerField(default=0)
    follow_up_resolved = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grid", "week"], name="case_week_tally_grid_week")]
        # A district's trend reads its weeks' rows from here alone (every column carried), filtering the
        # grids on the way: 16,000 of the table's 200,000 rows in 5 ms at 500,000 households, where
        # looking up each of 2,000 grids' weeks scanned the table (35 ms).
        indexes = [
            models.Index(
                fields=["week", "grid"],
                include=TALLY_COLUMNS,
                name="case_week_tally_week",
            ),
            # A street's trend, its 200 grids' weeks, from their own rows: 1,800 at 500,000 households in
            # 1.1-1.9 ms, where the week index above read all 18,000 of those weeks to keep them (3.0).
            models.Index(
                fields=["grid", "week"],
                include=TALLY_COLUMNS,
                name="case_week_tally_grid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.week}"


# The stored counts per day, in the order the triggers write them (migration 0026_casedaytally), grouped by
# the date that places a case in a period: the same date each measure of cases.measures goes by.
DAY_TALLY_COLUMNS = {
    "created_at": ["received"],
    "accepted_at": ["taken", "taken_on_time", "lapsed_closed"],
    "followed_up_at": ["followed_up", "follow_up_resolved", "satisfied", "basically", "unsatisfied"],
    "resolved_at": ["resolved_due", "resolved_on_time", "resolved_accepted", "resolve_us"],
    "closed_at": ["closed_handled", "closed_escalated"],
    "first_taken_at": ["first_taken_accepted", "take_us"],
}
DAY_COLUMNS = [name for names in DAY_TALLY_COLUMNS.values() for name in names]


class CaseDayTally(models.Model):
    """Every dashboard measure of one grid's cases on one day (local time), each case counted on the day of
    the date its measure goes by (cases.measures), as far as the measure's conditions are settled once the
    case is written. A street's month is then its 200 grids' 30 days of rows, not six reads of some 6,000
    cases each (cases.measures.figures_by_grid).

    - received: registered (`created_at`: RECEIVED);
    - taken, taken_on_time, lapsed_closed (`accepted_at`): as CaseWeekTally's (RESPONSE's base and hit);
    - followed_up, follow_up_resolved, satisfied, basically, unsatisfied (`followed_up_at`): followed up,
      confirmed resolved, and each rating (RESOLUTION, and SATISFACTION with its parts);
    - resolved_due, resolved_on_time, resolved_accepted, resolve_us (`resolved_at`): resolved with a
      resolution deadline, by it (ON_TIME), and accepted before, with the microseconds from acceptance to
      resolution added up (RESOLVE_TIME);
    - closed_handled, closed_escalated (`closed_at`): archived resolved or unresolved, and of those once
      escalated to the street (LOCAL's base and its miss, STREET's base);
    - first_taken_accepted, take_us (`first_taken_at`): taken for the first time after acceptance, with the
      microseconds from acceptance added up (TAKE_TIME).

    Not stored, counted from the cases by figures_by_grid: what depends on the hour of asking (the open
    cases never taken whose time ran out, the cases overdue now), what the street resolved (STREET's hit
    reads the timeline), and the reopens (timeline lines).

    Kept by the database in the same transaction as the write, like CaseWeekTally (migration
    0026_casedaytally); tests/test_case_tally.py holds every day to counting the cases themselves.
    """

    grid = models.ForeignKey(Grid, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False)
    day = models.DateField()
    received = models.IntegerField(default=0)
    taken = models.IntegerField(default=0)
    taken_on_time = models.IntegerField(default=0)
    lapsed_closed = models.IntegerField(default=0)
    followed_up = models.IntegerField(default=0)
    follow_up_resolved = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    basically = models.IntegerField(default=0)
    unsatisfied = models.IntegerField(default=0)
    resolved_due = models.IntegerField(default=0)
    resolved_on_time = models.IntegerField(default=0)
    resolved_accepted = models.IntegerField(default=0)
    resolve_us = models.BigIntegerField(default=0)
    closed_handled = models.IntegerField(default=0)
    closed_escalated = models.IntegerField(default=0)
    first_taken_accepted = models.IntegerField(default=0)
    take_us = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["grid", "day"], name="case_day_tally_grid_day")]
        # A scope's period read from the index alone, every column carried.
        indexes = [models.Index(fields=["grid", "day"], include=DAY_COLUMNS, name="case_day_tally_grid")]

    def __str__(self) -> str:
        return f"{self.grid_id} {self.day}"
