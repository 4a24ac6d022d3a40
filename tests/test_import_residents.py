"""`wangge import-residents`: households and residents from Excel or CSV, all or nothing."""

import csv
import datetime
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation
from stdnum.cn import ric

from wangge.grids.models import Hamlet, VillagerGroup
from wangge.residents import importer, pii
from wangge.residents.models import Household, Relation, Resident, Tag

HEADER = [
    "户号",
    "姓名",
    "身份证号",
    "与户主关系",
    "手机号",
    "党员",
    "人员标签",
    "网格编码",
    "经度",
    "纬度",
    "地址",
    "自然村",
    "村民小组",
    "户标签",
    "党员中心户",
]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def id_number(n: int, birth: str = "19900101") -> str:
    """A valid, fictional ID number from 嵩县 (410325); n tells people apart."""
    first = f"410325{birth}{n:03d}"
    return first + ric.calc_check_digit(first)


def person(household, name, n, relation="户主", **cells):
    """One row: a resident of household `household` in grid A2 unless told otherwise."""
    row = {
        "户号": household,
        "姓名": name,
        "身份证号": id_number(n),
        "与户主关系": relation,
        "网格编码": "410325106201002",
        "地址": f"杨村{household}号",
    }
    row.update(cells)
    return row


def write_xlsx(path, rows, header=HEADER, title=None, sheet=None):
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    if sheet:
        workbook.create_sheet("说明", 0).append(["填表说明"])
        worksheet.title = sheet
    if title:
        worksheet.append([title])
    worksheet.append(header)
    for row in rows:
        worksheet.append([row.get(column) for column in header])
    workbook.save(path)
    return path


def write_csv(path, rows, encoding="utf-8-sig", header=HEADER):
    with open(path, "w", encoding=encoding, newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in header])
    return path


def run(path, *args):
    """Run the command expecting success; return (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_residents", str(path), *args, stdout=out, stderr=err)
    except CommandError as failure:
        raise AssertionError(f"{failure}\n{err.getvalue()}") from failure
    return out.getvalue(), err.getvalue()


def fails(path, *args):
    """Run the command expecting failure; return (stderr, the CommandError's message)."""
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_residents", str(path), *args, stdout=out, stderr=err)
    return err.getvalue(), str(failure.value)


def counts():
    return Household.objects.count(), Resident.objects.count()


@pytest.fixture
def places(town):
    """Tags, a hamlet and villager groups in 杨村 (village A)."""
    town.poor = Tag.objects.create(code="poverty", name="脱贫户", vulnerable=True)
    town.alone = Tag.objects.create(code="elderly_alone", name="独居老人", vulnerable=True)
    town.hamlet = Hamlet.objects.create(town=town.town, village=town.va, name="杨家沟")
    town.group6 = VillagerGroup.objects.create(
        town=town.town, village=town.va, number=6, name="六组"
    )
    town.group1 = VillagerGroup.objects.create(
        town=town.town, village=town.va, number=1, name="一组"
    )
    return town


def family():
    """Two households: 101 by grid code in A2; 102 by a point in A1's east micro-grid."""
    return [
        person(
            "101",
            "赵大山",
            1,
            手机号="13837901234",
            党员="是",
            人员标签="脱贫户",
            自然村="杨家沟",
            村民小组="六组",
            户标签="poverty",
            党员中心户="是",
        ),
        person("101", "钱秀兰", 2, "配偶", 人员标签="脱贫户、独居老人", 党员="否"),
        person(
            "102",
            "孙小红",
            3,
            **{"网格编码": None, "经度": 112.007, "纬度": 34.105, "地址": "杨村东头"},
        ),
        person(
            "102",
            "孙明",
            4,
            "儿子",
            **{"网格编码": None, "经度": 112.007, "纬度": 34.105, "地址": None},
        ),
    ]


# --- Good files ---------------------------------------------------------------------


def test_good_xlsx_creates_households_and_residents(places, tmp_path):
    households, residents = counts()
    out, _err = run(write_xlsx(tmp_path / "居民.xlsx", family()))

    assert counts() == (households + 2, residents + 4)
    assert "households: 2 new, 0 updated, 0 unchanged" in out
    assert "residents: 4 new, 0 updated (0 moved), 0 unchanged" in out

    h101 = Household.objects.get(town=places.town, number="101")
    assert (h101.grid, h101.village, h101.micro_grid) == (places.a2, places.va, None)
    assert (h101.hamlet, h101.group, h101.is_party_central) == (places.hamlet, places.group6, True)
    assert set(h101.tags.all()) == {places.poor}

    head = Resident.objects.with_id_number(id_number(1)).get()
    assert head.household == h101 and head.relation == Relation.HEAD
    assert head.gender == "male"
    assert head.birth_date == datetime.date(1990, 1, 1)
    assert head.party_member is True
    assert head.id_number_masked == "4103**********" + id_number(1)[-4:]
    assert head.phone_masked == "138****1234"
    assert pii.decrypt(head.id_number_encrypted) == id_number(1)
    assert pii.decrypt(head.phone_encrypted) == "13837901234"
    assert set(head.tags.all()) == {places.poor}

    spouse = Resident.objects.with_id_number(id_number(2)).get()
    assert spouse.gender == "female" and spouse.relation == Relation.SPOUSE
    assert spouse.party_member is False and spouse.phone_masked == ""
    assert set(spouse.tags.all()) == {places.poor, places.alone}

    h102 = Household.objects.get(town=places.town, number="102")
    assert (h102.grid, h102.micro_grid) == (places.a1, places.a1e)
    assert (h102.longitude, h102.latitude, h102.address) == (112.007, 34.105, "杨村东头")
    son = Resident.objects.with_id_number(id_number(4)).get()
    assert son.relation == Relation.CHILD and son.household == h102


def test_id_numbers_and_phones_are_stored_encrypted(places, tmp_path):
    run(write_xlsx(tmp_path / "居民.xlsx", family()))

    table = Resident._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    for secret in (id_number(1), id_number(2), id_number(1)[6:14], "13837901234"):
        assert secret not in stored


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk", "gb18030"])
def test_csv_in_utf8_and_gbk(places, tmp_path, encoding):
    out, _err = run(write_csv(tmp_path / "居民.csv", family(), encoding=encoding))

    assert "residents: 4 new" in out
    assert Resident.objects.with_id_number(id_number(2)).get().name == "钱秀兰"
    assert Household.objects.get(number="101").hamlet == places.hamlet


def test_reimport_updates_rather_than_duplicates(places, tmp_path):
    run(write_xlsx(tmp_path / "first.xlsx", family()))
    before = counts()

    rows = family()
    rows[0].update({"姓名": "赵山", "手机号": "13900001111", "人员标签": "独居老人"})
    rows[2].update({"经度": 112.003, "纬度": 34.104})
    rows[3].update({"经度": 112.003, "纬度": 34.104})
    out, _err = run(write_xlsx(tmp_path / "second.xlsx", rows))

    assert counts() == before
    assert "households: 0 new, 1 updated, 1 unchanged" in out
    assert "residents: 0 new, 1 updated (0 moved), 3 unchanged" in out
    head = Resident.objects.with_id_number(id_number(1)).get()
    assert head.name == "赵山" and head.phone_masked == "139****1111"
    assert set(head.tags.all()) == {places.alone}
    assert Household.objects.get(number="102").micro_grid == places.a1w

    out, _err = run(write_xlsx(tmp_path / "third.xlsx", rows))
    assert "households: 0 new, 0 updated, 2 unchanged" in out
    assert "residents: 0 new, 0 updated (0 moved), 4 unchanged" in out


def test_existing_household_keeps_what_the_file_leaves_out(town, tmp_path):
    header = ["户号", "姓名", "身份证号", "与户主关系", "网格编码"]
    rows = [person("A1-001", "王秀英", 0, 身份证号="410325196503120017", 网格编码=town.a1.code)]
    out, _err = run(write_xlsx(tmp_path / "居民.xlsx", rows, header=header))

    assert "households: 0 new, 0 updated, 1 unchanged" in out
    household = Household.objects.get(pk=town.h_a1w.pk)
    assert household.address == town.h_a1w.address
    assert household.micro_grid == town.a1w
    resident = Resident.objects.get(pk=town.r_a1w.pk)
    assert resident.relation == Relation.HEAD
    assert resident.phone_masked == "138****0001"


def test_english_headers_a_title_row_and_a_chosen_sheet(places, tmp_path):
    header = ["Household number", "Name", "ID number", "Relation", "grid_code", "Address"]
    rows = [
        {
            "Household number": 7,
            "Name": "Li",
            "ID number": id_number(5),
            "Relation": "head",
            "grid_code": 410325106201002,
            "Address": "杨村7号",
        }
    ]
    path = write_xlsx(tmp_path / "en.xlsx", rows, header=header, title="居民信息表", sheet="居民")
    out, _err = run(path, "--sheet", "居民")

    assert "residents: 1 new" in out
    assert Household.objects.get(number="7").grid == places.a2


def test_villager_group_by_number_or_name(places, tmp_path):
    rows = [
        person("201", "甲", 11, 村民小组=6),
        person("202", "乙", 12, 村民小组="第六组"),
        person("203", "丙", 13, 村民小组="1组"),
    ]
    run(write_xlsx(tmp_path / "g.xlsx", rows))

    groups = dict(Household.objects.filter(number__startswith="20").values_list("number", "group"))
    assert groups == {"201": places.group6.pk, "202": places.group6.pk, "203": places.group1.pk}


def test_moving_a_resident_needs_the_flag(town, tmp_path):
    rows = [person("A2-001", "王秀英", 0, "其他", 身份证号="410325196503120017")]
    path = write_xlsx(tmp_path / "move.xlsx", rows)

    err, message = fails(path)
    assert "row 2: this ID number belongs to a resident of household A1-001" in err
    assert "--move-residents" in err
    assert Resident.objects.get(pk=town.r_a1w.pk).household == town.h_a1w

    out, _err = run(path, "--move-residents")
    assert "residents: 0 new, 1 updated (1 moved), 0 unchanged" in out
    moved = Resident.objects.get(pk=town.r_a1w.pk)
    assert moved.household == town.h_a2 and moved.relation == Relation.OTHER


def test_moving_a_resident_into_a_new_household(town, tmp_path):
    rows = [person("A2-009", "王秀英", 0, 身份证号="410325196503120017")]
    out, _err = run(write_xlsx(tmp_path / "move.xlsx", rows), "--move-residents")

    assert "households: 1 new" in out
    moved = Resident.objects.get(pk=town.r_a1w.pk)
    assert moved.household.number == "A2-009" and moved.household.grid == town.a2
    assert town.h_a1w.members.count() == 0


def test_a_blank_cell_clears_and_a_missing_column_keeps(town, tmp_path):
    header = ["户号", "姓名", "身份证号", "与户主关系", "网格编码", "手机号"]
    rows = [person("A1-002", "李建国", 0, 身份证号="410325197001010026", 网格编码=town.a1.code)]
    run(write_xlsx(tmp_path / "blank.xlsx", rows, header=header))
    assert Resident.objects.get(pk=town.r_a1e.pk).phone_masked == ""

    town.r_a1w.party_member = True
    town.r_a1w.save()
    rows = [person("A1-001", "王秀英", 0, 身份证号="410325196503120017", 网格编码=town.a1.code)]
    run(write_xlsx(tmp_path / "keep.xlsx", rows, header=header[:5]))
    kept = Resident.objects.get(pk=town.r_a1w.pk)
    assert kept.party_member is True and kept.phone_masked == "138****0001"


# --- Bad rows: each is reported with its row number, and nothing is written ------------


def bad(rows_changes):
    """family() with changes: {row index: {column: value}}."""
    rows = family()
    for index, changes in rows_changes.items():
        rows[index].update(changes)
    return rows


BAD_FILES = {
    "missing name": (
        bad({1: {"姓名": ""}}),
        "row 3: 姓名 is empty",
    ),
    "missing ID number": (
        bad({1: {"身份证号": None}}),
        "row 3: 身份证号 is empty",
    ),
    "ID number wrong format": (
        bad({0: {"身份证号": "41032519900101001"}}),
        "row 2: ID number must be 17 digits followed by a digit or X",
    ),
    "ID number impossible date": (
        bad({0: {"身份证号": "41032519900230001" + ric.calc_check_digit("41032519900230001")}}),
        "row 2: ID number contains an impossible birth date",
    ),
    "ID number unknown region": (
        bad({0: {"身份证号": "99032519900101001" + ric.calc_check_digit("99032519900101001")}}),
        "row 2: ID number has an unknown region code",
    ),
    "ID number wrong check digit": (
        bad({0: {"身份证号": id_number(1)[:17] + ("1" if id_number(1)[17] != "1" else "2")}}),
        "row 2: ID number check digit wrong",
    ),
    "duplicate ID number": (
        bad({3: {"身份证号": id_number(2)}}),
        "row 3: the same ID number is on rows 3, 5",
    ),
    "unknown relation": (
        bad({1: {"与户主关系": "邻居"}}),
        "row 3: unknown relation to the head of household: 邻居",
    ),
    "unknown grid code": (
        bad({0: {"网格编码": "410325106201999"}}),
        "row 2: unknown grid code 410325106201999",
    ),
    "no grid at all": (
        bad({1: {"网格编码": None}}),
        "row 3: 网格编码 is empty",
    ),
    "point outside every grid": (
        bad({2: {"经度": 113.5, "纬度": 34.105}}),
        "row 4: point (113.5, 34.105) lies outside every grid",
    ),
    "point swapped": (
        bad({2: {"经度": 34.105, "纬度": 112.007}}),
        "are longitude and latitude swapped?",
    ),
    "point in another grid than its code": (
        bad({2: {"网格编码": "410325106201002"}}),
        "row 4: point (112.007, 34.105) lies in grid 410325106201001, not in grid 410325106201002",
    ),
    "only one coordinate": (
        bad({2: {"纬度": None}}),
        "row 4: longitude and latitude must both be given, in degrees",
    ),
    "unknown hamlet": (
        bad({0: {"自然村": "王家沟"}}),
        "row 2: unknown hamlet 王家沟 in the grid's village",
    ),
    "unknown group": (
        bad({0: {"村民小组": "九组"}}),
        "row 2: unknown villager group 九组 in the grid's village",
    ),
    "unknown resident tag": (
        bad({1: {"人员标签": "脱贫户；低保户"}}),
        "row 3: unknown tag 低保户",
    ),
    "unknown household tag": (
        bad({0: {"户标签": "五保户"}}),
        "row 2: unknown tag 五保户",
    ),
    "bad phone": (
        bad({1: {"手机号": "1383790"}}),
        "row 3: Phone number must be an 11-digit mobile or a landline with area code",
    ),
    "bad party flag": (
        bad({1: {"党员": "预备"}}),
        "row 3: 党员 must be 是 or 否, not 预备",
    ),
    "same household, different addresses": (
        bad({1: {"地址": "杨村西头"}}),
        "row 3: household 101: 地址 differs from row 2",
    ),
    "same household, different grids": (
        bad({1: {"网格编码": "410325106201001"}}),
        "row 3: household 101: 网格编码 differs from row 2",
    ),
    "two heads": (
        bad({1: {"与户主关系": "户主"}}),
        "row 3: household 101 has more than one head of household: rows 2, 3",
    ),
    "new household without address": (
        bad({2: {"地址": None}}),
        "row 4: household 102 is new and needs an address",
    ),
}


@pytest.mark.parametrize("rows, message", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_row_is_reported_and_nothing_is_written(places, tmp_path, rows, message):
    before = counts()
    err, failure = fails(write_xlsx(tmp_path / "bad.xlsx", rows))

    assert message in err
    assert "nothing was written" in failure
    assert counts() == before
    assert not Household.objects.filter(number="101").exists()


def test_a_household_keeps_its_stored_head(places, tmp_path):
    places.r_a1e.relation = Relation.HEAD
    places.r_a1e.save()
    rows = bad({2: {"户号": "A1-002", "地址": None}, 3: {"户号": "A1-002"}})
    err, _failure = fails(write_xlsx(tmp_path / "heads.xlsx", rows))

    assert (
        "row 4: household A1-002 already has a head of household, 李建国, who is not in this file"
    ) in err

    rows.append(person("A1-002", "李建国", 0, "父亲", 身份证号="410325197001010026"))
    rows[-1].update({"网格编码": None, "经度": 112.007, "纬度": 34.105})
    run(write_xlsx(tmp_path / "heads.xlsx", rows))

    assert Resident.objects.get(pk=places.r_a1e.pk).relation == Relation.PARENT
    assert places.h_a1e.members.count() == 3


def test_missing_columns_are_named_and_nothing_else_is_checked(town, tmp_path):
    header = ["户号", "姓名", "地址"]
    rows = [{"户号": "1", "姓名": "", "地址": "x"}]
    err, failure = fails(write_xlsx(tmp_path / "cols.xlsx", rows, header=header))

    assert failure == (
        "the header row lacks the column(s): 身份证号, 与户主关系, 网格编码 (or 经度 and 纬度)"
    )
    assert "row" not in err


def test_id_number_turned_into_a_float_by_excel(places, tmp_path):
    rows = family()
    rows[1]["身份证号"] = float(id_number(2))
    err, _failure = fails(write_xlsx(tmp_path / "float.xlsx", rows))

    assert (
        "row 3: ID number was stored as a number by Excel and lost digits; "
        "format the column as text"
    ) in err


def test_id_number_as_scientific_notation_in_csv(places, tmp_path):
    rows = family()
    rows[1]["身份证号"] = "4.10325E+17"
    err, _failure = fails(write_csv(tmp_path / "sci.csv", rows))

    assert "row 3: ID number was stored as a number by Excel and lost digits" in err


def test_id_number_given_as_an_exact_whole_number_is_accepted(places):
    """Excel keeps 15 digits, but a program may write all 18 as an integer."""
    columns = {"household_number": "户号", "name": "姓名", "id_number": "身份证号"}
    columns |= {"relation": "与户主关系", "grid_code": "网格编码", "address": "地址"}
    values = {"household_number": "9", "name": "甲", "id_number": int(id_number(9))}
    values |= {"relation": "户主", "grid_code": places.a2.code, "address": "杨村9号"}
    plan = importer.validate(importer.Rows(columns, iter([(2, values)]), 1))

    assert plan.errors == []
    assert plan.new_residents[0].id_number_hash == pii.lookup_hash(id_number(9))


def test_lower_case_x_and_spaces_in_id_number_are_normalised(places, tmp_path):
    first17 = next(
        f"41032519900101{n:03d}"
        for n in range(1000)
        if ric.calc_check_digit(f"41032519900101{n:03d}") == "X"
    )
    number = first17 + "X"
    rows = [person("301", "周", 0, 身份证号=f" {number[:6]} {number[6:].lower()}")]
    run(write_xlsx(tmp_path / "x.xlsx", rows))

    resident = Resident.objects.with_id_number(number).get()
    assert pii.decrypt(resident.id_number_encrypted) == number


# --- Options ------------------------------------------------------------------------


def test_skip_bad_rows_writes_the_good_rows(places, tmp_path):
    rows = family() + [person("103", "吴", 20, 身份证号="410325199001010011")]
    rows[1]["人员标签"] = "低保户"  # household 101 still imports, without 钱秀兰
    # Household 102's grids disagree: all of 102 is skipped.
    rows[3].update({"网格编码": "410325106201002", "经度": None, "纬度": None})
    before = counts()
    out, err = run(write_xlsx(tmp_path / "mixed.xlsx", rows), "--skip-bad-rows")

    assert "row 3: unknown tag 低保户" in err
    assert "row 5: household 102: 网格编码 differs from row 4" in err
    assert "row 6: ID number check digit wrong" in err
    assert "residents: 1 new" in out
    assert "4 of 5 rows skipped because of errors" in out
    assert counts() == (before[0] + 1, before[1] + 1)
    assert Resident.objects.with_id_number(id_number(1)).exists()
    assert not Household.objects.filter(number__in=["102", "103"]).exists()


def test_skip_bad_rows_fails_when_no_row_is_good(places, tmp_path):
    rows = [person("101", "赵", 1, 网格编码="410325106201999")]
    _err, failure = fails(write_xlsx(tmp_path / "all-bad.xlsx", rows), "--skip-bad-rows")

    assert failure == "no row can be imported; nothing was written"


def test_dry_run_checks_and_writes_nothing(places, tmp_path):
    before = counts()
    out, _err = run(write_xlsx(tmp_path / "ok.xlsx", family()), "--dry-run")

    assert "Dry run: nothing was written" in out
    assert "residents: 4 new" in out
    assert counts() == before


def test_dry_run_of_a_bad_file_fails(places, tmp_path):
    err, failure = fails(write_xlsx(tmp_path / "bad.xlsx", bad({1: {"姓名": ""}})), "--dry-run")

    assert "row 3: 姓名 is empty" in err
    assert failure == "1 rows have errors; nothing was written"


def test_errors_out_writes_row_column_and_message(places, tmp_path):
    errors = tmp_path / "errors.csv"
    rows = bad({1: {"姓名": ""}, 2: {"自然村": "王家沟"}})
    fails(write_xlsx(tmp_path / "bad.xlsx", rows), "--errors-out", str(errors))

    with open(errors, encoding="utf-8-sig", newline="") as f:
        lines = list(csv.reader(f))
    assert lines[0] == ["row", "column", "message"]
    assert lines[1] == ["3", "姓名", "姓名 is empty"]
    assert lines[2][:2] == ["4", "自然村"]


def test_unreadable_files_are_refused(town, tmp_path):
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (tmp_path / "notes.txt").write_text("x")

    assert "save the sheet as .xlsx" in fails(tmp_path / "old.xls")[1]
    assert "must be .xlsx or .csv" in fails(tmp_path / "notes.txt")[1]
    assert "no such file" in fails(tmp_path / "missing.csv")[1]
    sheet_failure = fails(write_xlsx(tmp_path / "a.xlsx", []), "--sheet", "Nope")[1]
    assert "no sheet named Nope" in sheet_failure


def test_an_empty_file_is_refused(town, tmp_path):
    assert "no data rows" in fails(write_csv(tmp_path / "empty.csv", []))[1]


def test_queries_do_not_grow_with_rows(places, tmp_path, django_assert_max_num_queries):
    rows = [
        person(f"H{n // 4}", f"人{n}", n, "户主" if n % 4 == 0 else "女", 人员标签="脱贫户")
        for n in range(400)
    ]
    path = write_xlsx(tmp_path / "many.xlsx", rows)
    with django_assert_max_num_queries(25):
        importer.import_residents(path)

    assert Resident.objects.filter(household__number__startswith="H").count() == 400
