"""The dashboard as an Excel workbook: the figures with what they rest on and their definitions, the
ranking tables, categories and the weekly trend. Headings stay in Chinese (the file is shared)."""

from django.utils import translation

from cases.measures import MEASURES, RATE_KEYS, Rate
from common.xlsx import ExportSheet
from visits.measures import COVERAGE

from .selectors import CoGovernance, Dashboard, UnitRow

PERCENT = "0.0%"


def _percent(sheet: ExportSheet, rate: Rate):
    """A fraction Excel shows as a percentage; empty when the rate rests on nothing."""
    return sheet.formatted(None if rate.n == 0 else rate.hit / rate.n, PERCENT)


def _unit_rows(first: ExportSheet, title: str, rows: list[UnitRow]) -> None:
    columns = ["排名", "名称", "登记"]
    for key in RATE_KEYS:
        columns += [str(MEASURES[key].label), "依据件数"]
    columns += [str(COVERAGE.label), "关爱户数", "当前超期"]
    sheet = ExportSheet(title, tuple(columns), (6, 24, 8) + (12, 9) * 6 + (9, 9), first.workbook)
    for row in rows:
        line = [row.rank if row.rank else "样本不足", row.unit.name, row.figures.counts["received"]]
        for key in RATE_KEYS:
            line += [_percent(sheet, row.figures.rates[key]), row.figures.rates[key].n]
        line += [_percent(sheet, row.coverage), row.coverage.n, row.figures.counts["overdue_now"]]
        sheet.append(tuple(line))


def workbook(board: Dashboard, co: CoGovernance) -> bytes:
    with translation.override("zh-hans"):
        sheet = ExportSheet(
            "指标", ("指标", "数值", "分子", "分母（依据）", "单位", "口径"), (16, 10, 8, 12, 6, 80)
        )
        sheet.append(("统计范围", board.scope.label))
        sheet.append(("统计时段", f"{board.period.first:%Y-%m-%d} 至 {board.period.last:%Y-%m-%d}"))
        totals = board.totals
        for key in RATE_KEYS:
            rate, measure = totals.rates[key], MEASURES[key]
            sheet.append(
                (str(measure.label), _percent(sheet, rate), rate.hit, rate.n, "件", str(measure.definition))
            )
        for value, (label, _condition) in MEASURES["satisfaction"].parts.items():
            sheet.append((f"其中：{label}", totals.parts["satisfaction"][value], None, None, "件", ""))
        coverage = board.coverage
        sheet.append(
            (
                str(COVERAGE.label),
                _percent(sheet, coverage),
                coverage.hit,
                coverage.n,
                "户",
                str(COVERAGE.definition),
            )
        )
        for key in ("overdue_now", "received", "reopened"):
            measure = MEASURES[key]
            sheet.append((str(measure.label), totals.counts[key], None, None, "件", str(measure.definition)))
        for key in ("take_time", "resolve_time"):
            measure, average = MEASURES[key], totals.averages[key]
            hours = None if average.hours is None else round(average.hours, 1)
            sheet.append((str(measure.label), hours, None, average.n, "小时", str(measure.definition)))

        if board.community_rows:
            _unit_rows(sheet, "社区排名", board.community_rows)
        _unit_rows(sheet, "网格排名", board.grid_rows)

        columns = ("指标", "数值", "单位", "口径")
        cogovernance = ExportSheet("共建共治", columns, (20, 10, 6, 60), sheet.workbook)
        for figure, value in co.cards:
            cogovernance.append((str(figure.label), value, str(figure.unit), str(figure.definition)))

        categories = ExportSheet("事项类别", ("事项类别", "本期登记"), (20, 10), sheet.workbook)
        for category, n in board.categories:
            categories.append((category.name, n))
        states = ExportSheet("当前状态", ("状态", "本期登记"), (16, 10), sheet.workbook)
        for _value, label, n in board.states:
            states.append((str(label), n))

        trend = ExportSheet(
            "每周趋势",
            ("周（起）", "登记", "响应率", "依据", "解决率", "依据", "满意率", "依据"),
            (12, 8, 10, 8, 10, 8, 10, 8),
            sheet.workbook,
        )
        for week, figures in board.trend:
            line = [trend.formatted(week, "yyyy-mm-dd"), figures.counts["received"]]
            for key in ("response", "resolution", "satisfaction"):
                line += [_percent(trend, figures.rates[key]), figures.rates[key].n]
            trend.append(tuple(line))
        return sheet.content()
