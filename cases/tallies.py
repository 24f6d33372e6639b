"""The dashboard's weekly trend, stored: per grid and week, what the trend's measures count (CaseWeekTally),
kept by database triggers on the case table."""

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
