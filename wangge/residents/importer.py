"""Import households and residents from Excel (.xlsx) or CSV (docs/import-formats.md).

`read_rows` opens a file and maps its header to fields; `validate` checks every
row against the file and the database and plans the writes without making any;
`apply` writes a plan in one transaction. `import_residents` holds the rule for
when to write: never if a row is bad, unless bad rows are to be skipped.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from wangge.grids import locator as grid_locator
from wangge.grids.models import Grid, Hamlet, VillagerGroup
from wangge.residents.models import Household, Relation, Resident, Tag
from wangge.residents.spreadsheet import (
    _GROUP,
    _RELATION_BY_WORD,
    _TAG_SEPARATORS,
    ImportFileError,
    Progress,
    RowError,
    Rows,
    _flag,
    _id_number_text,
    _number,
    _small_number,
    _text,
    read_rows,
)

BATCH = 500
# Well below SQLite's limit on query parameters.
CHUNK = 900


@dataclass(frozen=True)
class _GridRef:
    id: int
    code: str
    town_id: int
    village_id: int


@dataclass
class _Row:
    number: int
    household_number: str = ""
    grid: _GridRef | None = None
    resident: Resident | None = None  # unsaved: name, relation, ID and phone set
    party_member: bool | None = None  # None: the column is absent
    tag_ids: frozenset[int] | None = None
    # Household fields this row gives (blank cells are not given).
    household: dict[str, Any] = field(default_factory=dict)
    ok: bool = True
    spoils_household: bool = False


@dataclass
class Plan:
    """What an import would write, and every error found on the way."""

    columns: dict[str, str]
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)
    new_households: list[Household] = field(default_factory=list)
    changed_households: list[Household] = field(default_factory=list)
    unchanged_households: int = 0
    household_tags: list[tuple[Household, frozenset[int]]] = field(default_factory=list)
    new_residents: list[Resident] = field(default_factory=list)
    changed_residents: list[Resident] = field(default_factory=list)
    unchanged_residents: int = 0
    moved_residents: int = 0
    resident_tags: list[tuple[Resident, frozenset[int]]] = field(default_factory=list)
    written: bool = False

    @property
    def good_rows(self) -> int:
        return self.rows - len(self.bad_rows)

    def writable(self, *, skip_bad_rows: bool = False) -> bool:
        """Whether the plan may be written: no bad rows, or bad rows are to be skipped."""
        return self.good_rows > 0 and (skip_bad_rows or not self.bad_rows)


class _Checker:
    """Per-row checks, with the lookups they need loaded once."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.columns = plan.columns
        self.grids = {
            code: _GridRef(pk, code, town_id, village_id)
            for pk, code, town_id, village_id in Grid.objects.values_list(
                "id", "code", "town_id", "village_id"
            )
        }
        self.grids_by_id = {g.id: g for g in self.grids.values()}
        self.tags: dict[str, int] = {}
        for pk, code, name in Tag.objects.values_list("id", "code", "name"):
            self.tags[code.lower()] = pk
            self.tags[name.lower()] = pk
        self.places: dict[int, dict[str, dict]] = {}
        self.points: dict[tuple[float, float], grid_locator.Location] = {}
        self.locator = grid_locator.get_locator() if "longitude" in self.columns else None

    def error(self, row: _Row, field_name: str | None, message: str) -> None:
        column = self.columns.get(field_name, "") if field_name else ""
        self.plan.errors.append(RowError(row.number, column, message))
        row.ok = False

    def required(self, row: _Row, values: dict, field_name: str) -> str:
        text = _text(values.get(field_name))
        if not text:
            self.empty(row, field_name)
        return text

    def empty(self, row: _Row, field_name: str) -> None:
        self.error(row, field_name, _("%(column)s is empty") % {"column": self.columns[field_name]})

    def row(self, number: int, values: dict) -> _Row:
        row = _Row(number)
        row.household_number = self.required(row, values, "household_number")
        if len(row.household_number) > 30:
            self.error(row, "household_number", _("household number is longer than 30 characters"))
        self.resident(row, values)
        self.location(row, values)
        if row.grid is not None:
            self.household_fields(row, values)
        return row

    def resident(self, row: _Row, values: dict) -> None:
        resident = Resident()
        resident.name = self.required(row, values, "name")
        if len(resident.name) > 50:
            self.error(row, "name", _("name is longer than 50 characters"))
        relation_text = self.required(row, values, "relation")
        if relation_text:
            resident.relation = _RELATION_BY_WORD.get(relation_text.lower())
            if resident.relation is None:
                self.error(
                    row,
                    "relation",
                    _("unknown relation to the head of household: %(value)s")
                    % {"value": relation_text},
                )
        self.id_number(row, resident, values.get("id_number"))
        if "phone" in values:
            try:
                resident.set_phone(_text(values["phone"]))
            except ValidationError as error:
                self.error(row, "phone", error.messages[0])
        if "party_member" in values:
            row.party_member = self.flag(row, values, "party_member", blank=False)
        if "tags" in values:
            row.tag_ids = self.tag_ids(row, values, "tags")
        row.resident = resident

    def id_number(self, row: _Row, resident: Resident, value: Any) -> None:
        text, numeric = _id_number_text(value)
        if not text and not numeric:
            self.empty(row, "id_number")
            return
        try:
            resident.set_id_number(text)
        except ValidationError as error:
            if numeric:
                message = _(
                    "ID number was stored as a number by Excel and lost digits; "
                    "format the column as text"
                )
            else:
                message = error.messages[0]
            self.error(row, "id_number", message)

    def flag(self, row: _Row, values: dict, field_name: str, *, blank: bool | None) -> bool | None:
        if not _text(values.get(field_name)):
            return blank
        flag = _flag(values[field_name])
        if flag is None:
            self.error(
                row,
                field_name,
                _("%(column)s must be 是 or 否, not %(value)s")
                % {"column": self.columns[field_name], "value": _text(values[field_name])},
            )
        return flag

    def tag_ids(self, row: _Row, values: dict, field_name: str) -> frozenset[int]:
        ids = set()
        for word in _TAG_SEPARATORS.split(_text(values.get(field_name))):
            if not word:
                continue
            if word.lower() in self.tags:
                ids.add(self.tags[word.lower()])
            else:
                self.error(row, field_name, _("unknown tag %(tag)s") % {"tag": word})
        return frozenset(ids)

    def location(self, row: _Row, values: dict) -> None:
        """The row's grid, from its grid code or its point; the micro-grid from the point."""
        code = _text(values.get("grid_code"))
        lon_text, lat_text = _text(values.get("longitude")), _text(values.get("latitude"))
        grid = None
        if code:
            grid = self.grids.get(code)
            if grid is None:
                self.error(row, "grid_code", _("unknown grid code %(code)s") % {"code": code})
                return
        if not (lon_text or lat_text):
            if grid is None:
                self.empty(row, "grid_code" if "grid_code" in values else "longitude")
            row.grid = grid
            return
        lon, lat = _number(values.get("longitude")), _number(values.get("latitude"))
        if lon is None or lat is None:
            self.error(row, "longitude", _("longitude and latitude must both be given, in degrees"))
            return
        found = self.locate(lon, lat)
        if found.grid_id is None:
            if self.locate(lat, lon).grid_id is not None:
                message = _(
                    "point (%(lon)s, %(lat)s) lies outside every grid; "
                    "are longitude and latitude swapped?"
                )
            else:
                message = _("point (%(lon)s, %(lat)s) lies outside every grid")
            self.error(row, "longitude", message % {"lon": lon, "lat": lat})
            return
        if grid is not None and found.grid_id != grid.id:
            self.error(
                row,
                "longitude",
                _("point (%(lon)s, %(lat)s) lies in grid %(found)s, not in grid %(code)s")
                % {
                    "lon": lon,
                    "lat": lat,
                    "found": self.grids_by_id[found.grid_id].code,
                    "code": code,
                },
            )
            return
        row.grid = self.grids_by_id[found.grid_id]
        row.household["point"] = (lon, lat, found.micro_grid_id)

    def locate(self, lon: float, lat: float) -> grid_locator.Location:
        if (lon, lat) not in self.points:
            self.points[lon, lat] = self.locator.locate(lon, lat)
        return self.points[lon, lat]

    def household_fields(self, row: _Row, values: dict) -> None:
        """Household fields given on this row; an error here spoils the whole household."""
        errors_before = len(self.plan.errors)
        household = row.household
        household["grid"] = row.grid.id
        address = _text(values.get("address"))
        if len(address) > 200:
            self.error(row, "address", _("address is longer than 200 characters"))
        elif address:
            household["address"] = address
        places = self.village_places(row.grid.village_id)
        hamlet = _text(values.get("hamlet"))
        if hamlet:
            if hamlet in places["hamlets"]:
                household["hamlet"] = places["hamlets"][hamlet]
            else:
                self.error(
                    row,
                    "hamlet",
                    _("unknown hamlet %(name)s in the grid's village") % {"name": hamlet},
                )
        group = _text(values.get("group"))
        if group:
            household["group"] = self.group_id(places, group)
            if household["group"] is None:
                self.error(
                    row,
                    "group",
                    _("unknown villager group %(name)s in the grid's village") % {"name": group},
                )
        if _text(values.get("household_tags")):
            household["tags"] = self.tag_ids(row, values, "household_tags")
        central = self.flag(row, values, "is_party_central", blank=None)
        if central is not None:
            household["is_party_central"] = central
        row.spoils_household = len(self.plan.errors) > errors_before

    def village_places(self, village_id: int) -> dict[str, dict]:
        if village_id not in self.places:
            groups = list(
                VillagerGroup.objects.filter(village_id=village_id).values_list(
                    "id", "number", "name"
                )
            )
            self.places[village_id] = {
                "hamlets": dict(
                    Hamlet.objects.filter(village_id=village_id).values_list("name", "id")
                ),
                "groups_by_name": {name: pk for pk, _n, name in groups},
                "groups_by_number": {number: pk for pk, number, _name in groups},
            }
        return self.places[village_id]

    @staticmethod
    def group_id(places: dict, text: str) -> int | None:
        if text in places["groups_by_name"]:
            return places["groups_by_name"][text]
        match = _GROUP.fullmatch(text)
        number = _small_number(match.group(1)) if match else None
        return places["groups_by_number"].get(number)


@dataclass
class _Draft:
    """One household as the file gives it: its rows and their agreed household fields."""

    town_id: int
    number: str
    rows: list[_Row] = field(default_factory=list)
    fields: dict[str, tuple[Any, int]] = field(default_factory=dict)  # value, row giving it
    existing: Household | None = None
    ok: bool = True


# Which column a household field comes from, for error messages.
_HOUSEHOLD_COLUMNS = {
    "address": "address",
    "point": "longitude",
    "hamlet": "hamlet",
    "group": "group",
    "tags": "household_tags",
    "is_party_central": "is_party_central",
}
HOUSEHOLD_UPDATE_FIELDS = [
    "village",
    "grid",
    "micro_grid",
    "hamlet",
    "group",
    "address",
    "longitude",
    "latitude",
    "is_party_central",
    "updated_at",
]
RESIDENT_UPDATE_FIELDS = [
    "town",
    "household",
    "name",
    "relation",
    "party_member",
    "phone_encrypted",
    "phone_hash",
    "phone_masked",
    "updated_at",
]


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def validate(rows: Rows, *, move_residents: bool = False, progress: Progress | None = None) -> Plan:
    """Check every row and plan the writes; the database is only read.

    Raises ImportFileError when there are no data rows.
    """
    plan = Plan(columns=rows.columns)
    checker = _Checker(plan)
    if progress:
        progress.phase(_("checking rows"), rows.total)
    parsed = []
    for number, values in rows:
        parsed.append(checker.row(number, values))
        if progress:
            progress.advance()
    if not parsed:
        raise ImportFileError(_("there are no data rows below the header"))
    plan.rows = len(parsed)
    if progress:
        progress.phase(_("comparing with the database"), None)
    _Planner(plan, checker, parsed, move_residents).run()
    plan.errors.sort(key=lambda e: e.row)
    return plan


class _Planner:
    """The checks across rows and against the database, then the plan of writes."""

    def __init__(self, plan: Plan, checker: _Checker, rows: list[_Row], move_residents: bool):
        self.plan = plan
        self.checker = checker
        self.rows = rows
        self.move_residents = move_residents
        self.drafts: dict[tuple[int, str], _Draft] = {}
        self.residents: dict[str, Resident] = {}  # stored residents by ID-number hash
        self.resident_tags: dict[int, frozenset[int]] = {}
        self.household_tags: dict[int, frozenset[int]] = {}
        self.now = timezone.now()

    def run(self) -> None:
        self.duplicate_id_numbers()
        self.group_households()
        self.load_stored()
        self.new_households_need_address()
        self.moves()
        self.heads()
        written = set()
        for draft in self.drafts.values():
            good = [row for row in draft.rows if row.ok]
            if draft.ok and good:
                household = self.household(draft)
                for row in good:
                    self.resident(row, household)
                written.update(row.number for row in good)
        self.plan.bad_rows = {row.number for row in self.rows} - written

    def error(self, row: _Row, field_name: str | None, message: str) -> None:
        self.checker.error(row, field_name, message)

    def duplicate_id_numbers(self) -> None:
        by_hash = defaultdict(list)
        for row in self.rows:
            if row.resident.id_number_hash:
                by_hash[row.resident.id_number_hash].append(row)
        for same in by_hash.values():
            if len(same) > 1:
                numbers = ", ".join(str(row.number) for row in same)
                for row in same:
                    self.error(
                        row,
                        "id_number",
                        _("the same ID number is on rows %(rows)s") % {"rows": numbers},
                    )

    def group_households(self) -> None:
        for row in self.rows:
            if row.grid is None or not row.household_number:
                continue
            key = (row.grid.town_id, row.household_number)
            draft = self.drafts.setdefault(key, _Draft(*key))
            draft.rows.append(row)
            draft.ok = draft.ok and not row.spoils_household
            for name, value in row.household.items():
                if name not in draft.fields:
                    draft.fields[name] = (value, row.number)
                elif draft.fields[name][0] != value:
                    column = _HOUSEHOLD_COLUMNS.get(name) or (
                        "grid_code" if "grid_code" in self.plan.columns else "longitude"
                    )
                    self.error(
                        row,
                        column,
                        _("household %(number)s: %(column)s differs from row %(other)s")
                        % {
                            "number": draft.number,
                            "column": self.plan.columns.get(column, column),
                            "other": draft.fields[name][1],
                        },
                    )
                    draft.ok = False
        for draft in self.drafts.values():
            heads = [row for row in draft.rows if row.resident.relation == Relation.HEAD]
            if len(heads) > 1:
                self.error(
                    heads[1],
                    "relation",
                    _("household %(number)s has more than one head of household: rows %(rows)s")
                    % {"number": draft.number, "rows": ", ".join(str(r.number) for r in heads)},
                )
                draft.ok = False

    def load_stored(self) -> None:
        """Stored residents with the file's ID numbers, and stored households with its numbers."""
        hashes = [row.resident.id_number_hash for row in self.rows if row.resident.id_number_hash]
        for chunk in _chunks(hashes, CHUNK):
            for resident in Resident.objects.filter(id_number_hash__in=chunk).only(
                "id_number_hash", "household", *RESIDENT_UPDATE_FIELDS
            ):
                self.residents[resident.id_number_hash] = resident
        self.resident_tags = _tag_sets(
            Resident.tags.through, "resident_id", [r.pk for r in self.residents.values()]
        )
        numbers_by_town = defaultdict(list)
        for town_id, number in self.drafts:
            numbers_by_town[town_id].append(number)
        for town_id, numbers in numbers_by_town.items():
            for chunk in _chunks(numbers, CHUNK):
                for household in Household.objects.filter(town_id=town_id, number__in=chunk).only(
                    "town", "number", *HOUSEHOLD_UPDATE_FIELDS
                ):
                    self.drafts[town_id, household.number].existing = household
        stored = [d.existing.pk for d in self.drafts.values() if d.existing]
        self.household_tags = _tag_sets(Household.tags.through, "household_id", stored)

    def new_households_need_address(self) -> None:
        for draft in self.drafts.values():
            if draft.existing is None and "address" not in draft.fields:
                self.error(
                    draft.rows[0],
                    "address",
                    _("household %(number)s is new and needs an address")
                    % {"number": draft.number},
                )
                draft.ok = False

    def moves(self) -> None:
        if self.move_residents:
            return
        moves = []
        for draft in self.drafts.values():
            for row in draft.rows:
                stored = self.residents.get(row.resident.id_number_hash)
                if stored and (draft.existing is None or stored.household_id != draft.existing.pk):
                    moves.append((row, stored.household_id))
        numbers = {}
        for chunk in _chunks(sorted({pk for _row, pk in moves}), CHUNK):
            numbers.update(Household.objects.filter(pk__in=chunk).values_list("pk", "number"))
        for row, household_id in moves:
            self.error(
                row,
                "id_number",
                _(
                    "this ID number belongs to a resident of household %(number)s; "
                    "use --move-residents to move people between households"
                )
                % {"number": numbers[household_id]},
            )

    def heads(self) -> None:
        """A household keeps one head: a stored head missing from the file stays head."""
        households = {d.existing.pk: d for d in self.drafts.values() if d.existing}
        in_file = {row.resident.id_number_hash for row in self.rows} - {""}
        stored_heads = Resident.objects.filter(relation=Relation.HEAD)
        for chunk in _chunks(list(households), CHUNK):
            for household_id, id_hash, name in stored_heads.filter(
                household_id__in=chunk
            ).values_list("household_id", "id_number_hash", "name"):
                draft = households[household_id]
                new_heads = [
                    row for row in draft.rows if row.ok and row.resident.relation == Relation.HEAD
                ]
                if id_hash not in in_file and new_heads:
                    self.error(
                        new_heads[0],
                        "relation",
                        _(
                            "household %(number)s already has a head of household, %(name)s, "
                            "who is not in this file"
                        )
                        % {"number": draft.number, "name": name},
                    )
                    draft.ok = False

    def household(self, draft: _Draft) -> Household:
        values = {name: value for name, (value, _row) in draft.fields.items()}
        columns = self.plan.columns
        grid = self.checker.grids_by_id[values["grid"]]
        household = draft.existing or Household(town_id=draft.town_id, number=draft.number)
        before = _household_state(household, self.household_tags.get(household.pk, frozenset()))
        village_changed = household.village_id != grid.village_id
        grid_changed = household.grid_id != grid.id
        household.grid_id, household.village_id = grid.id, grid.village_id
        if "address" in values:
            household.address = values["address"]
        if "point" in values:
            household.longitude, household.latitude, household.micro_grid_id = values["point"]
        elif grid_changed:
            household.longitude = household.latitude = household.micro_grid_id = None
        if "hamlet" in columns or village_changed:
            household.hamlet_id = values.get("hamlet")
        if "group" in columns or village_changed:
            household.group_id = values.get("group")
        if "is_party_central" in columns:
            household.is_party_central = values.get("is_party_central", False)
        tags = before[-1]
        if "household_tags" in columns:
            tags = values.get("tags", frozenset())
        after = _household_state(household, tags)
        if tags != before[-1]:
            self.plan.household_tags.append((household, tags))
        if draft.existing is None:
            self.plan.new_households.append(household)
        elif after != before:
            household.updated_at = self.now
            self.plan.changed_households.append(household)
        else:
            self.plan.unchanged_households += 1
        return household

    def resident(self, row: _Row, household: Household) -> None:
        fresh = row.resident
        stored = self.residents.get(fresh.id_number_hash)
        if stored is None:
            fresh.household, fresh.town_id = household, household.town_id
            fresh.party_member = bool(row.party_member)
            self.plan.new_residents.append(fresh)
            if row.tag_ids:
                self.plan.resident_tags.append((fresh, row.tag_ids))
            return
        moved = household.pk is None or stored.household_id != household.pk
        before = _resident_state(stored)
        stored.household, stored.town_id = household, household.town_id
        stored.name, stored.relation = fresh.name, fresh.relation
        if row.party_member is not None:
            stored.party_member = row.party_member
        if "phone" in self.plan.columns and stored.phone_hash != fresh.phone_hash:
            stored.phone_encrypted = fresh.phone_encrypted
            stored.phone_hash = fresh.phone_hash
            stored.phone_masked = fresh.phone_masked
        tags_changed = row.tag_ids is not None and row.tag_ids != self.resident_tags.get(
            stored.pk, frozenset()
        )
        if tags_changed:
            self.plan.resident_tags.append((stored, row.tag_ids))
        if moved or tags_changed or _resident_state(stored) != before:
            stored.updated_at = self.now
            self.plan.changed_residents.append(stored)
            self.plan.moved_residents += moved
        else:
            self.plan.unchanged_residents += 1


def _household_state(household: Household, tags: frozenset[int]) -> tuple:
    return (
        household.village_id,
        household.grid_id,
        household.micro_grid_id,
        household.hamlet_id,
        household.group_id,
        household.address,
        household.longitude,
        household.latitude,
        household.is_party_central,
        tags,
    )


def _resident_state(resident: Resident) -> tuple:
    return (
        resident.household_id,
        resident.town_id,
        resident.name,
        resident.relation,
        resident.party_member,
        resident.phone_hash,
    )


def _tag_sets(through, owner: str, ids: list[int]) -> dict[int, frozenset[int]]:
    sets = defaultdict(set)
    for chunk in _chunks(ids, CHUNK):
        for owner_id, tag_id in through.objects.filter(**{f"{owner}__in": chunk}).values_list(
            owner, "tag_id"
        ):
            sets[owner_id].add(tag_id)
    return {owner_id: frozenset(tags) for owner_id, tags in sets.items()}


def apply(plan: Plan, *, progress: Progress | None = None) -> None:
    """Write a plan in one transaction.

    Raises IntegrityError when the database changed since the plan was made
    (another import of the same people, for instance); nothing is written then.
    """

    def advance(count):
        if progress:
            progress.advance(count)

    if progress:
        progress.phase(
            _("writing"),
            len(plan.new_households)
            + len(plan.changed_households)
            + len(plan.new_residents)
            + len(plan.changed_residents),
        )
    with transaction.atomic():
        _clear_tags(Household.tags.through, "household_id", plan.household_tags)
        _clear_tags(Resident.tags.through, "resident_id", plan.resident_tags)
        for chunk in _chunks(plan.new_households, BATCH):
            Household.objects.bulk_create(chunk)
            advance(len(chunk))
        for chunk in _chunks(plan.changed_households, BATCH):
            Household.objects.bulk_update(chunk, HOUSEHOLD_UPDATE_FIELDS)
            advance(len(chunk))
        for chunk in _chunks(plan.new_residents, BATCH):
            Resident.objects.bulk_create(chunk)
            advance(len(chunk))
        for chunk in _chunks(plan.changed_residents, BATCH):
            Resident.objects.bulk_update(chunk, RESIDENT_UPDATE_FIELDS)
            advance(len(chunk))
        _add_tags(Household.tags.through, "household_id", plan.household_tags)
        _add_tags(Resident.tags.through, "resident_id", plan.resident_tags)
    plan.written = True


def _clear_tags(through, owner: str, tag_sets: list[tuple[Any, frozenset[int]]]) -> None:
    stored = [obj.pk for obj, _tags in tag_sets if obj.pk is not None]
    for chunk in _chunks(stored, CHUNK):
        through.objects.filter(**{f"{owner}__in": chunk}).delete()


def _add_tags(through, owner: str, tag_sets: list[tuple[Any, frozenset[int]]]) -> None:
    links = [through(**{owner: obj.pk, "tag_id": tag}) for obj, tags in tag_sets for tag in tags]
    through.objects.bulk_create(links, batch_size=BATCH)


def import_residents(
    path: str | Path,
    *,
    sheet: str | None = None,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    move_residents: bool = False,
    progress: Progress | None = None,
) -> Plan:
    """Read and check a file, then write it unless it is a dry run or a row is bad.

    With skip_bad_rows the good rows are written even when others are bad.
    Raises ImportFileError when the file cannot be read or its header lacks columns.
    """
    plan = validate(read_rows(path, sheet=sheet), move_residents=move_residents, progress=progress)
    if not dry_run and plan.writable(skip_bad_rows=skip_bad_rows):
        apply(plan, progress=progress)
    return plan
