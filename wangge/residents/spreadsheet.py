"""Reading resident spreadsheets: .xlsx (openpyxl) or .csv (UTF-8 or GB18030), the
header mapped to fields, and cells parsed the way Chinese offices type them."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import openpyxl
from django.utils.translation import gettext as _

from wangge.residents.models import Relation

HEADER_SEARCH_ROWS = 10


@dataclass(frozen=True)
class Column:
    field: str
    label: str
    aliases: tuple[str, ...] = ()


COLUMNS = (
    Column("household_number", "户号", ("户编号", "household number")),
    Column("name", "姓名"),
    Column("id_number", "身份证号", ("身份证号码", "公民身份号码", "id number")),
    Column("relation", "与户主关系", ("关系", "relation to head")),
    Column("phone", "手机号", ("手机号码", "联系电话", "电话", "phone number")),
    Column("party_member", "党员", ("是否党员", "party member")),
    Column("tags", "人员标签", ("标签",)),
    Column("grid_code", "网格编码", ("网格编号", "grid code")),
    Column("longitude", "经度", ("lon", "lng")),
    Column("latitude", "纬度", ("lat",)),
    Column("address", "地址", ("住址", "家庭住址")),
    Column("hamlet", "自然村"),
    Column("group", "村民小组", ("villager group",)),
    Column("household_tags", "户标签", ("household tags",)),
    Column("is_party_central", "党员中心户", ("party central",)),
)
REQUIRED = ("household_number", "name", "id_number", "relation")

RELATIONS = {
    Relation.HEAD: ("户主", "本人", "head of household"),
    Relation.SPOUSE: ("配偶", "妻", "妻子", "夫", "丈夫"),
    Relation.CHILD: ("子", "女", "儿子", "女儿", "长子", "次子", "长女", "次女", "养子", "养女"),
    Relation.CHILD_IN_LAW: ("儿媳", "女婿", "child-in-law"),
    Relation.GRANDCHILD: ("孙子", "孙女", "外孙", "外孙子", "外孙女"),
    Relation.PARENT: ("父亲", "母亲", "父", "母"),
    Relation.SIBLING: ("兄弟姐妹", "兄", "弟", "姐", "妹", "哥哥", "弟弟", "姐姐", "妹妹"),
    Relation.OTHER: ("其他",),
}
_RELATION_BY_WORD = {
    word.lower(): relation
    for relation, words in RELATIONS.items()
    for word in (*words, relation.value)
}
_FLAGS = {
    **dict.fromkeys(("是", "yes", "y", "true", "1", "√"), True),
    **dict.fromkeys(("否", "no", "n", "false", "0", "×"), False),
}
_NUMERALS = dict(zip("〇零一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_GROUP = re.compile(r"第?([0-9]+|[〇零一二两三四五六七八九十]+)(?:村民小组|小组|组)?")
_TAG_SEPARATORS = re.compile(r"[、,，;；\s]+")
# An ID number that went through Excel as a number and came out as 4.10325E+17.
_SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+?\d+")


class ImportFileError(Exception):
    """The file cannot be imported at all: unreadable, or its header lacks columns."""


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self):
        return _("row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


class Progress(Protocol):
    def phase(self, description: str, total: int | None) -> None: ...

    def advance(self, count: int = 1) -> None: ...


# --- Reading -----------------------------------------------------------------


class Rows:
    """The data rows of a file: iterating gives (row number, {field: cell value})."""

    def __init__(self, columns: dict[str, str], body: Iterator[tuple[int, dict]], total):
        self.columns = columns  # field -> the header label used in this file
        self.total = total
        self._body = body

    def __iter__(self):
        return self._body


def _header_key(text: Any) -> str:
    text = re.sub(r"[（(].*?[)）]", "", str(text or ""))
    return re.sub(r"[\s_\-*＊\ufeff]+", " ", text).strip().lower()


_FIELD_BY_HEADER = {
    _header_key(name): column
    for column in COLUMNS
    for name in (column.label, column.field, *column.aliases)
}


def _map_header(cells) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for index, cell in enumerate(cells):
        column = _FIELD_BY_HEADER.get(_header_key(cell))
        if column is None:
            continue
        if column.field in found:
            raise ImportFileError(
                _("columns %(first)s and %(second)s both give %(label)s")
                % {"first": found[column.field][1], "second": cell, "label": column.label}
            )
        found[column.field] = (index, str(cell).strip())
    return found


def _check_header(found: dict) -> None:
    missing = [c.label for c in COLUMNS if c.field in REQUIRED and c.field not in found]
    has_lon, has_lat = "longitude" in found, "latitude" in found
    if has_lon != has_lat:
        missing.append("纬度" if has_lon else "经度")
    elif not has_lon and "grid_code" not in found:
        missing.append(
            _("%(code)s (or %(lon)s and %(lat)s)")
            % {"code": "网格编码", "lon": "经度", "lat": "纬度"}
        )
    if missing:
        raise ImportFileError(
            _("the header row lacks the column(s): %(columns)s") % {"columns": ", ".join(missing)}
        )


def _rows(raw: Iterator[tuple], total: int | None) -> Rows:
    """Find the header among the first rows (a title row may come first) and map the rest."""
    numbered = enumerate(raw, start=1)
    found: dict = {}
    for number, cells in numbered:
        found = _map_header(cells)
        if found or number >= HEADER_SEARCH_ROWS:
            break
    _check_header(found)

    def body():
        for number, cells in numbered:
            values = {f: cells[i] if i < len(cells) else None for f, (i, _label) in found.items()}
            if any(v is not None and str(v).strip() for v in values.values()):
                yield number, values

    return Rows({f: label for f, (_i, label) in found.items()}, body(), total)


def read_rows(path: str | Path, *, sheet: str | None = None) -> Rows:
    """Open an .xlsx or .csv file. Raises ImportFileError."""
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ImportFileError(_("no such file: %(path)s") % {"path": path})
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    if suffix == ".xls":
        raise ImportFileError(_("old .xls files cannot be read; save the sheet as .xlsx"))
    raise ImportFileError(_("the file must be .xlsx or .csv"))


def _read_csv(path: Path) -> Rows:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise ImportFileError(_("the CSV file is neither UTF-8 nor GBK/GB18030")) from None
    records = list(csv.reader(io.StringIO(text, newline="")))
    return _rows(iter(records), max(len(records) - 1, 0))


def _read_xlsx(path: Path, sheet: str | None) -> Rows:
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise ImportFileError(
            _("the Excel file cannot be read: %(error)s") % {"error": error}
        ) from None
    if sheet is None:
        worksheet = workbook.worksheets[0]
    elif sheet in workbook.sheetnames:
        worksheet = workbook[sheet]
    else:
        workbook.close()
        raise ImportFileError(
            _("no sheet named %(sheet)s; the sheets are: %(sheets)s")
            % {"sheet": sheet, "sheets": ", ".join(workbook.sheetnames)}
        )

    def cells():
        try:
            yield from worksheet.iter_rows(values_only=True)
        finally:
            workbook.close()

    total = worksheet.max_row - 1 if worksheet.max_row else None
    try:
        return _rows(cells(), total)
    except ImportFileError:
        workbook.close()
        raise


# --- Cell values ---------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(_text(value))
    except ValueError:
        return None


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    return _FLAGS.get(_text(value).lower())


def _small_number(text: str) -> int | None:
    """6, 六, 十六, 二十 → int (villager groups are numbered in words or digits)."""
    if text.isascii():
        return int(text) if text.isdigit() else None
    if "十" not in text:
        return _NUMERALS.get(text)
    tens, _sep, ones = text.partition("十")
    tens_value = _NUMERALS.get(tens) if tens else 1
    ones_value = _NUMERALS.get(ones) if ones else 0
    if tens_value is None or ones_value is None:
        return None
    return tens_value * 10 + ones_value


def _id_number_text(value: Any) -> tuple[str, bool]:
    """The ID number as text, and whether Excel stored it as a number."""
    if isinstance(value, float):
        return "", True
    if isinstance(value, int):
        return str(value), True
    text = _text(value).lstrip("'\t")
    return text, bool(_SCIENTIFIC.fullmatch(text))


# --- Validation ------------------------------------------------------------------
