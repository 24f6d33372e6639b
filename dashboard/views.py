"""The leaders' dashboard (数据看板), its drill-down to care-group households, Excel export and monthly
report. Scope outside the user's units is a 404 (dashboard.selectors.ScopeTree.parse)."""

import datetime
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from cases.measures import MEASURES, MIN_CASES_TO_RANK, RATE_KEYS
from cases.permissions import can_use_street_inbox
from common.pagination import paginate
from common.replica import reads_from_replica, replica_as_of
from common.xlsx import xlsx_response
from grids.permissions import can_read_audit, can_see_workload
from projects.measures import FIGURES
from residents import disclosure
from residents import services as resident_services
from residents.models import CareEnrolment, ExportRecord, Resident
from visits import selectors as visit_selectors
from visits.measures import COVERAGE

from . import exports
from . import selectors as dash
from .forms import RANK_CHOICES, DashboardForm, ReportForm

# The grid ranking shows this many lines a page: drawing a street's every grid was about a third of the
# street dashboard's work (at 50,000 households, 491,000 function calls a request against 336,000 with
# 50 lines), and a leader reads the top and the bottom of it (the whole table is in the Excel export and
# the monthly report).
GRID_RANKING_PAGE = 50


def _figures(tree: dash.ScopeTree, scope: dash.Scope, period: dash.Period, rank_by: str):
    now = timezone.now()
    today = timezone.localdate(now)
    return dash.dashboard(tree, scope, period, now, today, rank_by)


def _context(board: dash.Dashboard, tree: dash.ScopeTree) -> dict:
    """What the dashboard and the report both show, with the query strings of their links."""
    period = board.period
    satisfaction_split = [
        (value, label, board.totals.parts["satisfaction"][value])
        for value, (label, _condition) in MEASURES["satisfaction"].parts.items()
    ]
    drill_base = {
        **board.scope.filter_params(),
        "date_from": period.first.isoformat(),
        "date_to": period.last.isoformat(),
    }
    return {
        "board": board,
        "tree": tree,
        "measures": MEASURES,
        "drill_base": drill_base,
        "charts": _charts(board, satisfaction_split),
        "scope_units": tree.picker(board.scope),
        "satisfaction_split": satisfaction_split,
        # Each week's figures with the days they cover (the last week ends with the period).
        "trend_rows": [
            (week, min(week + datetime.timedelta(days=6), period.last), figures)
            for week, figures in board.trend
        ],
        "rate_rows": [(MEASURES[key], board.totals.rates[key]) for key in RATE_KEYS],
        "min_cases": MIN_CASES_TO_RANK,
        "coverage": COVERAGE,
        "rank_choices": RANK_CHOICES,
    }


def _record(user, kind: ExportRecord.Kind, board: dash.Dashboard) -> None:
    """The workbook and the printed report leave the portal like a ledger does: record who took which."""
    resident_services.export_record(
        user=user,
        kind=kind,
        filters={
            "scope": board.scope.param,
            "scope_label": str(board.scope.label),
            "date_from": board.period.first.isoformat(),
            "date_to": board.period.last.isoformat(),
        },
        row_count=len(board.grid_rows),
        unmasked=False,
    )


def _scope_and_form(request) -> tuple[dash.ScopeTree, dash.Scope, DashboardForm]:
    """The user's scope tree, the scope a dashboard request asks for (404 outside the user's units) and its
    period form."""
    tree = dash.scope_tree(request.user)
    scope = tree.parse(request.GET.get("scope", ""))
    return tree, scope, DashboardForm(request.GET or None, today=timezone.localdate())


def _requested(request) -> tuple:
    """The user's scope tree, the period form and the figures a dashboard request asks for."""
    tree, scope, form = _scope_and_form(request)
    return tree, form, _figures(tree, scope, form.chosen_period(), form.rank_by())


@require_GET
@reads_from_replica
def dashboard_index(request):
    tree, form, board = _requested(request)
    if form.is_bound and not form.is_valid():
        messages.warning(request, _("统计时段有误，请更正；下面先显示本月的数据。"))
    context = _context(board, tree) | {
        "form": form,
        "month": board.period.first.strftime("%Y-%m"),
        "may_read_audit": can_read_audit(request.user),
        "may_see_workload": can_see_workload(request.user),
        "may_use_street_inbox": can_use_street_inbox(request.user),
        "grid_page": paginate(request, board.grid_rows, per_page=GRID_RANKING_PAGE, exact=True),
        "co_query": _scope_and_days(board.scope, board.period),
        # Read from a lagging replica, the figures are this old (None when read from the primary).
        "as_of": replica_as_of(),
    }
    return render(request, "dashboard/index.html", context)


def _scope_and_days(scope: dash.Scope, period: dash.Period) -> str:
    """The query string of a scope and its days, as a link between the dashboard and a drill-down."""
    return urlencode(
        {
            "scope": scope.param,
            "period": "custom",
            "date_from": period.first.isoformat(),
            "date_to": period.last.isoformat(),
        }
    )


@require_GET
@reads_from_replica
def cogovernance_panel(request):
    """The dashboard's co-governance section, which the page asks for as it loads (htmx): its figures
    are counted over other tables than the cases', and the leader reads the case measures above it
    first. The scope and the period come as the dashboard's own query string (`_scope_and_days`)."""
    tree, scope, form = _scope_and_form(request)
    period = form.chosen_period()
    context = {
        "scope": scope,
        "period": period,
        "co": dash.cogovernance(tree, scope, period, timezone.now()),
        "co_figures": FIGURES,
        "co_query": _scope_and_days(scope, period),
    }
    return render(request, "dashboard/_cogovernance.html", context)


@require_GET
@reads_from_replica
def cogovernance_records(request):
    """The records behind one co-governance figure of the dashboard, for its scope and period: exactly
    what the figure counts (projects.measures.drill)."""
    tree, scope, form = _scope_and_form(request)
    period = form.chosen_period()
    figure = FIGURES.get(request.GET.get("figure", ""))
    if figure is None:
        raise Http404
    rows = dash.cogovernance_records(tree, scope, period, figure, timezone.now())
    page = paginate(request, rows, exact=True)
    context = {"scope": scope, "period": period, "figure": figure, "page": page}
    return render(
        request,
        "dashboard/cogovernance_records.html",
        context | {"back": _scope_and_days(scope, period)},
    )


@require_GET
@reads_from_replica
def dashboard_export_view(request):
    tree, _form, board = _requested(request)
    content = exports.workbook(board, dash.cogovernance(tree, board.scope, board.period, board.now))
    _record(request.user, ExportRecord.Kind.DASHBOARD, board)
    period = f"{board.period.first:%Y%m%d}-{board.period.last:%Y%m%d}"
    return xlsx_response(content, f"数据看板-{board.scope.label}-{period}.xlsx", f"dashboard-{period}.xlsx")


@require_GET
@reads_from_replica
def monthly_report(request):
    today = timezone.localdate()
    tree = dash.scope_tree(request.user)
    scope = tree.parse(request.GET.get("scope", ""))
    form = ReportForm(request.GET or {}, today=today)
    period = form.cleaned_data["month"] if form.is_valid() else dash.last_month(today)
    board = _figures(tree, scope, period, "resolution")
    _record(request.user, ExportRecord.Kind.MONTHLY_REPORT, board)
    context = _context(board, tree) | {
        "form": form,
        "printed_at": timezone.localtime(),
        "co": dash.cogovernance(tree, board.scope, board.period, board.now),
    }
    return render(request, "dashboard/report.html", context)


HOUSEHOLD_PARTS = {"all": gettext_lazy("关爱对象户"), "hit": COVERAGE.hit_label, "miss": COVERAGE.miss_label}


@require_GET
@reads_from_replica
def coverage_households(request):
    """The care-group households behind the coverage figure: all, covered, or overdue."""
    today = timezone.localdate()
    tree = dash.scope_tree(request.user)
    scope = tree.parse(request.GET.get("scope", ""))
    part = request.GET.get("part", "all")
    if part not in HOUSEHOLD_PARTS:
        part = "all"
    households = (
        visit_selectors.coverage_households(scope.grid_ids, part, today)
        .select_related("dwelling__building", "grid")
        .prefetch_related(
            Prefetch(
                "members", queryset=Resident.objects.current().order_by("id"), to_attr="current_members"
            ),
            Prefetch(
                "enrolments",
                queryset=CareEnrolment.objects.active_on(today).order_by("category", "id"),
                to_attr="active_enrolments",
            ),
        )
        .order_by("next_due", "id")
    )
    page = paginate(request, households, exact=True)
    for row in page.object_list:
        row.care_labels = disclosure.care_labels(row.active_enrolments)  # the categories, never details
        row.overdue = row.next_due < today
    tabs = [
        (key, label, f"{reverse('dashboard:households')}?{urlencode({'scope': scope.param, 'part': key})}")
        for key, label in HOUSEHOLD_PARTS.items()
    ]
    return render(
        request,
        "dashboard/households.html",
        {
            "scope": scope,
            "part": part,
            "tabs": tabs,
            "page": page,
            "coverage": COVERAGE,
        },
    )


def _percent(rate) -> float | None:
    return None if rate.value is None else round(rate.value, 1)


def _charts(board: dash.Dashboard, satisfaction_split: list[tuple[str, str, int]]) -> dict:
    """The data each ECharts chart draws (the page's tables show the same numbers)."""
    return {
        "trend": {
            "weeks": [week.strftime("%m-%d") for week, _f in board.trend],
            "received": [f.counts["received"] for _w, f in board.trend],
            "rates": {
                str(MEASURES[key].label): [_percent(f.rates[key]) for _w, f in board.trend]
                for key in ("response", "resolution", "satisfaction")
            },
            "received_label": str(MEASURES["received"].label),
        },
        "categories": {
            "names": [c.name for c, _n in board.categories],
            "counts": [n for _c, n in board.categories],
        },
        "states": {
            "names": [str(label) for _v, label, _n in board.states],
            "counts": [n for *_x, n in board.states],
        },
        "satisfaction": [{"name": str(label), "value": n} for _value, label, n in satisfaction_split],
    }
