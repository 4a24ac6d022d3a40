"""Reports: the Excel workbook's figures are those of `metrics.figures`; the CSV
never shows a phone or ID number or a full name; exports run in the
background, report their progress, and belong to the person who asked."""

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from django.urls import reverse

from wangge.dashboard import metrics, reports

SH = ZoneInfo("Asia/Shanghai")
NOVEMBER = "2026-11"


def town_scope(town):
    return metrics.scope_for(town.dispatcher, f"town:{town.town.pk}")


def reopen(workbook):
    """Save and open the file the way a person's spreadsheet program would."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return openpyxl.load_workbook(buffer, read_only=True)


def rows(sheet):
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def summary_values(sheet) -> dict:
    return {r[0]: r[1] for r in rows(sheet) if r and r[0] is not None and len(r) > 1}


def test_workbook_opens_and_its_summary_equals_the_figures(town, november):
    scope = town_scope(town)
    period = metrics.Period.parse(NOVEMBER, now=november.now)
    done = []
    book = reopen(
        reports.build_workbook(
            scope, period, now=november.now, progress=lambda d, t: done.append((d, t))
        )
    )
    assert len(book.sheetnames) == 6
    figures = metrics.figures(scope, period, now=november.now)
    summary = summary_values(book.worksheets[0])
    for key, label in reports.FIGURE_LABELS.items():
        assert summary[str(label)] == figures[key], key
    for key, label in reports.SETTLEMENT_LABELS.items():
        assert summary[str(label)] == figures["settlement"][key], key
    for key, label in reports.EMERGENCY_LABELS.items():
        assert summary[str(label)] == figures["emergency"][key], key
    assert figures["reported"] == 8  # the fixture's cases reported in November
    assert done[-1][0] == done[-1][1] and len(done) == done[-1][1]


def test_sheets_by_village_and_category_add_up_to_the_totals(town, november):
    scope = town_scope(town)
    period = metrics.Period.parse(NOVEMBER, now=november.now)
    figures = metrics.figures(scope, period, now=november.now)
    book = reopen(reports.build_workbook(scope, period, now=november.now))
    villages = rows(book.worksheets[1])[1:]
    assert [r[0] for r in villages] == ["杨村", "庄科村"]
    reported = reports.ROW_FIGURES.index("reported") + 1
    closed = reports.ROW_FIGURES.index("closed") + 1
    assert sum(r[reported] for r in villages) == figures["reported"]
    # Each village's row is that village's figures (from one grouped league).
    for village, row in zip((town.va, town.vb), villages, strict=True):
        own = metrics.figures(metrics.make_scope("village", village.pk), period, now=november.now)
        assert row[1:] == [own[k] for k in reports.ROW_FIGURES], village.name
    assert sum(r[closed] for r in villages) == figures["closed"]
    categories = rows(book.worksheets[3])[1:]
    assert sum(r[1] for r in categories) == figures["reported"]
    departments = rows(book.worksheets[2])[1:]
    assert [r[0] for r in departments][:1] == ["德亭派出所"] or "德亭派出所" in [
        r[0] for r in departments
    ]
    workers = rows(book.worksheets[4])[1:]
    assert {r[0] for r in workers} >= {"worker_a1", "worker_b1"}
    assert all(r[2] in {"A", "B", "C", "D", "E", None} for r in workers)


def test_overdue_sheet_lists_the_overdue_cases_of_the_figures(town, november):
    scope = town_scope(town)
    period = metrics.Period.parse(NOVEMBER, now=november.now)
    figures = metrics.figures(scope, period, now=november.now)
    book = reopen(reports.build_workbook(scope, period, now=november.now))
    overdue = rows(book.worksheets[5])[1:]
    assert len(overdue) == figures["overdue_now"] >= 1
    assert november.e5.number in {r[0] for r in overdue}


def test_village_workbook_has_that_village_only(town, november):
    scope = metrics.scope_for(town.grid_leader, f"village:{town.va.pk}")
    period = metrics.Period.parse(NOVEMBER, now=november.now)
    book = reopen(reports.build_workbook(scope, period, now=november.now))
    assert [r[0] for r in rows(book.worksheets[1])[1:]] == ["杨村"]
    assert (
        summary_values(book.worksheets[0])[str(reports.FIGURE_LABELS["reported"])]
        == (metrics.figures(scope, period, now=november.now)["reported"])
    )


@pytest.fixture
def reported_with_phone(town, make_case):
    return make_case(
        title="家门口积水 电话13837900001",
        reporter_name="王秀英",
        reporter_phone="13837900001",
        address="杨村3组 身份证410325196503120017",
    )


def test_csv_masks_personal_data(town, reported_with_phone):
    scope = town_scope(town)
    period = metrics.Period.parse(NOVEMBER)
    out = io.StringIO()
    assert reports.write_cases_csv(scope, period, out) == 1
    text = out.getvalue()
    assert text.startswith("\ufeff")
    assert "13837900001" not in text
    assert "410325196503120017" not in text
    assert "王秀英" not in text
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header, row = table
    record = dict(zip(header, row, strict=True))
    assert record[str(reports.CSV_COLUMNS[0][1])] == reported_with_phone.number
    assert "138****0001" in text
    assert "王**" in text
    assert "4103**********0017" in text


def test_csv_of_a_grid_has_only_that_grid(town, make_case):
    make_case(title="杨村一格的事")
    make_case(title="庄科村的事", actor=town.grid_worker_b1, lon=112.005, lat=34.095)
    scope = metrics.scope_for(town.grid_worker_b1, None)
    out = io.StringIO()
    reports.write_cases_csv(scope, metrics.Period.parse(NOVEMBER), out)
    assert "庄科村的事" in out.getvalue()
    assert "杨村一格的事" not in out.getvalue()


@pytest.mark.parametrize(
    "text",
    ["13837900001", "电话:13837900001。", "0379-66001234", "身份证41032519650312001X号"],
)
def test_mask_text_hides_numbers_in_free_text(text):
    masked = reports.mask_text(text)
    assert not any(digits in masked for digits in ("37900001", "66001234", "196503120"))


@pytest.fixture
def inline_exports(monkeypatch, settings, tmp_path):
    """Run exports on the request's thread: the test database is not shared with threads."""
    settings.VAR_DIR = tmp_path
    monkeypatch.setattr(reports, "run_in_background", lambda work: work())


def test_excel_export_runs_reports_progress_and_downloads(client, town, november, inline_exports):
    client.force_login(town.dispatcher)
    response = client.post(
        reverse("dashboard:report_start"),
        {"scope": f"town:{town.town.pk}", "period": NOVEMBER, "format": "xlsx"},
    )
    assert response.status_code == 202
    status = client.get(response.json()["status_url"]).json()
    assert status["state"] == "done" and status["percent"] == 100
    download = client.get(status["download_url"])
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    figures = metrics.figures(town_scope(town), metrics.Period.parse(NOVEMBER))
    summary = summary_values(book.worksheets[0])
    assert summary[str(reports.FIGURE_LABELS["reported"])] == figures["reported"]
    assert summary[str(reports.FIGURE_LABELS["closed"])] == figures["closed"]


def test_csv_export_downloads_masked(client, town, reported_with_phone, inline_exports):
    client.force_login(town.grid_worker)
    response = client.post(reverse("dashboard:report_start"), {"format": "csv"})
    assert response.status_code == 202
    status = client.get(response.json()["status_url"]).json()
    content = b"".join(client.get(status["download_url"]).streaming_content).decode("utf-8-sig")
    assert reported_with_phone.number in content
    assert "13837900001" not in content


def test_an_export_belongs_to_the_person_who_asked(client, town, november, inline_exports):
    client.force_login(town.dispatcher)
    job = client.post(reverse("dashboard:report_start"), {"format": "xlsx"}).json()
    client.force_login(town.leader)
    assert client.get(job["status_url"]).status_code == 404
    assert client.get(reverse("dashboard:report_download", args=[job["job"]])).status_code == 404


def test_exports_are_refused_for_another_grid_and_bad_input(client, town, inline_exports):
    client.force_login(town.grid_worker)
    other = client.post(
        reverse("dashboard:report_start"), {"scope": f"grid:{town.b1.pk}", "format": "xlsx"}
    )
    assert other.status_code == 404  # outside the scope: not found, as everywhere
    bad_format = client.post(reverse("dashboard:report_start"), {"format": "pdf"})
    assert bad_format.status_code == 400
    assert "pdf" in bad_format.json()["error"]
    bad_period = client.post(reverse("dashboard:report_start"), {"period": "2026-99"})
    assert bad_period.status_code == 400
    assert not any((reports.export_dir()).glob("*")) if reports.export_dir().exists() else True


def test_an_unfinished_export_has_no_download(client, town, settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path
    waiting = []
    monkeypatch.setattr(reports, "run_in_background", waiting.append)
    client.force_login(town.dispatcher)
    job = client.post(reverse("dashboard:report_start"), {"format": "csv"}).json()
    status = client.get(job["status_url"]).json()
    assert status["state"] == "running" and "download_url" not in status
    assert client.get(reverse("dashboard:report_download", args=[job["job"]])).status_code == 404
    assert len(waiting) == 1


def test_period_dates_in_the_summary_are_local(town, november):
    scope = town_scope(town)
    period = metrics.Period.parse(NOVEMBER, now=november.now)
    book = reopen(reports.build_workbook(scope, period, now=november.now))
    values = summary_values(book.worksheets[0])
    assert "2026-11-01 00:00" in values.values()
    assert "2026-12-01 00:00" in values.values()
    assert datetime(2026, 11, 1, tzinfo=SH) == period.start
