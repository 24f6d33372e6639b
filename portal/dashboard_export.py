"""The dashboard as an Excel workbook: the figures with what they rest on and their definitions, the
ranking tables, categories and the weekly trend. Headings stay in Chinese (the file is shared)."""

import io

import openpyxl
from django.utils import translation

from cases.measures import MEASURES, Rate
from visits.selectors import COVERAGE_DEFINITION, COVERAGE_LABEL

from .dashboard import Dashboard, UnitRow

RATE_KEYS = ["response", "resolution", "satisfaction", "on_time", "local"]


def _percent(rate: Rate) -> float | None:
    """A fraction Excel formats as a percentage; empty when the rate rests on nothing."""
    return None if rate.n == 0 else rate.hit / rate.n


def _sheet(workbook, title: str, columns: list[str], widths: list[int]):
    sheet = workbook.create_sheet(title)
    sheet.append(columns)
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[openpyxl.utils.get_column_letter(index)].width = width
    return sheet


def _format_percent(sheet, columns: list[int]) -> None:
    for row in sheet.iter_rows(min_row=2):
        for index in columns:
            row[index].number_format = "0.0%"


def _unit_rows(workbook, title: str, rows: list[UnitRow]) -> None:
    columns = ["排名", "名称", "登记"]
    for key in RATE_KEYS:
        columns += [str(MEASURES[key].label), "依据件数"]
    columns += [str(COVERAGE_LABEL), "关爱户数", "当前超期"]
    sheet = _sheet(workbook, title, columns, [6, 24, 8] + [12, 9] * 6 + [9, 9])
    for row in rows:
        line = [row.rank if row.rank else "样本不足", row.unit.name, row.figures.counts["received"]]
        for key in RATE_KEYS:
            rate = row.figures.rates[key]
            line += [_percent(rate), rate.n]
        line += [_percent(row.coverage), row.coverage.n, row.figures.counts["overdue_now"]]
        sheet.append(line)
    _format_percent(sheet, [3 + 2 * i for i in range(6)])


def workbook(board: Dashboard) -> bytes:
    with translation.override("zh-hans"):
        book = openpyxl.Workbook()
        book.remove(book.active)
        period = f"{board.period.first:%Y-%m-%d} 至 {board.period.last:%Y-%m-%d}"
        sheet = _sheet(
            book, "指标", ["指标", "数值", "分子", "分母（依据）", "单位", "口径"], [16, 10, 8, 12, 6, 80]
        )
        sheet.append(["统计范围", board.scope.label])
        sheet.append(["统计时段", period])
        totals = board.totals
        for key in RATE_KEYS:
            rate, measure = totals.rates[key], MEASURES[key]
            sheet.append(
                [str(measure.label), _percent(rate), rate.hit, rate.n, "件", str(measure.definition)]
            )
            sheet.cell(sheet.max_row, 2).number_format = "0.0%"
        for value, (label, _condition) in MEASURES["satisfaction"].parts.items():
            sheet.append([f"其中：{label}", totals.parts["satisfaction"][value], None, None, "件", ""])
        sheet.append(
            [
                str(COVERAGE_LABEL),
                _percent(board.coverage),
                board.coverage.hit,
                board.coverage.n,
                "户",
                str(COVERAGE_DEFINITION),
            ]
        )
        sheet.cell(sheet.max_row, 2).number_format = "0.0%"
        for key in ("overdue_now", "received", "reopened"):
            measure = MEASURES[key]
            sheet.append([str(measure.label), totals.counts[key], None, None, "件", str(measure.definition)])
        for key in ("take_time", "resolve_time"):
            measure, average = MEASURES[key], totals.averages[key]
            hours = None if average.hours is None else round(average.hours, 1)
            sheet.append([str(measure.label), hours, None, average.n, "小时", str(measure.definition)])

        if board.community_rows:
            _unit_rows(book, "社区排名", board.community_rows)
        _unit_rows(book, "网格排名", board.grid_rows)

        categories = _sheet(book, "事项类别", ["事项类别", "本期登记"], [20, 10])
        for category, n in board.categories:
            categories.append([category.name, n])
        states = _sheet(book, "当前状态", ["状态", "本期登记"], [16, 10])
        for _value, label, n in board.states:
            states.append([str(label), n])

        trend = _sheet(
            book,
            "每周趋势",
            ["周（起）", "登记", "响应率", "依据", "解决率", "依据", "满意率", "依据"],
            [12, 8, 10, 8, 10, 8, 10, 8],
        )
        for week, figures in board.trend:
            line = [week, figures.counts["received"]]
            for key in ("response", "resolution", "satisfaction"):
                line += [_percent(figures.rates[key]), figures.rates[key].n]
            trend.append(line)
            trend.cell(trend.max_row, 1).number_format = "yyyy-mm-dd"
        _format_percent(trend, [2, 4, 6])

        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()
