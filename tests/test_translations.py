"""The Chinese catalogue is complete, well-formed, and actually used.

Every catalogue — the project's (wangge/locale/zh_Hans/LC_MESSAGES/django.po)
and each app's own (wangge/<app>/locale/…) — must have no untranslated or fuzzy
entry and no placeholder mismatch; GNU gettext's own
format check must pass; and with the compiled .mo, key UI strings come out in
Chinese. `make test` compiles the .mo first (`make messages`).
"""

import ast
import os
import re
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import translation

import wangge

PACKAGE = Path(wangge.__file__).parent
PO = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
CATALOGUES = sorted(PACKAGE.glob("**/locale/zh_Hans/LC_MESSAGES/django.po"))
IDS = [po.relative_to(PACKAGE).parts[0].replace("locale", "wangge") for po in CATALOGUES]


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def label(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


def parse_po(path: Path) -> list[Entry]:
    """A small .po parser, enough for what `makemessages` writes: blank-line separated
    entries of comments, flags, msgctxt, msgid, msgid_plural and msgstr / msgstr[n]."""
    entries = []
    number = 0
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        entry = Entry(line=number + 1)
        target = None
        for offset, raw in enumerate(block.splitlines()):
            line = raw.strip()
            if not line or line.startswith("#~"):  # obsolete entries are not used
                continue
            if line.startswith("#,"):
                entry.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
                continue
            if line.startswith("#"):
                continue
            if line.startswith('"'):
                assert target, f"{path}:{number + offset + 1}: continuation without a keyword"
                text = line
            else:
                keyword, _, text = line.partition(" ")
                plural = re.fullmatch(r"msgstr\[(\d+)\]", keyword)
                if keyword in ("msgctxt", "msgid", "msgid_plural"):
                    target = (keyword, None)
                    setattr(entry, keyword, "")
                    if keyword == "msgid":
                        entry.line = number + offset + 1
                elif keyword == "msgstr" or plural:
                    target = ("msgstr", int(plural.group(1)) if plural else 0)
                    entry.msgstr[target[1]] = ""
                else:
                    raise AssertionError(f"{path}:{number + offset + 1}: cannot parse {raw!r}")
            value = ast.literal_eval(text)
            name, index = target
            if name == "msgstr":
                entry.msgstr[index] += value
            else:
                setattr(entry, name, getattr(entry, name) + value)
        if target:
            entries.append(entry)
        number += block.count("\n") + 2
    return entries


# %(name)s, %(seconds).1f, %s, %d …; {name} (str.format / brace placeholders).
PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")
NAMED_PERCENT = re.compile(r"%\([^)]*\)[#0\- +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa]")
BRACE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


def placeholders(text: str, python_format: bool) -> Counter:
    found = PERCENT.findall(text) if python_format else NAMED_PERCENT.findall(text)
    found = [p for p in found if p != "%%"]
    return Counter(found + BRACE.findall(text))


def _edges(text: str) -> tuple[str, str]:
    return re.match(r"\s*", text).group(), re.search(r"\s*$", text).group()


def test_the_project_catalogue_exists():
    assert PO in CATALOGUES, f"{PO} is missing"


@pytest.fixture(scope="module", params=CATALOGUES, ids=IDS)
def catalogue(request) -> list[Entry]:
    return parse_po(request.param)


def test_header(catalogue):
    header = next(e for e in catalogue if e.msgid == "" and e.msgctxt is None)
    text = header.msgstr.get(0, "")
    assert "Language: zh_Hans\n" in text
    assert "Content-Type: text/plain; charset=UTF-8\n" in text
    assert "Plural-Forms: nplurals=1; plural=0;\n" in text
    assert "fuzzy" not in header.flags, "the header is still marked fuzzy"


def test_every_entry_is_translated(catalogue):
    untranslated = [
        e.label
        for e in catalogue
        if e.msgid and (not e.msgstr or any(not s for s in e.msgstr.values()))
    ]
    assert not untranslated, f"{len(untranslated)} untranslated entries:\n" + "\n".join(
        untranslated
    )


def test_no_entry_is_fuzzy(catalogue):
    fuzzy = [e.label for e in catalogue if "fuzzy" in e.flags]
    assert not fuzzy, f"{len(fuzzy)} fuzzy entries:\n" + "\n".join(fuzzy)


def test_plural_entries_have_one_form(catalogue):
    wrong = [e.label for e in catalogue if e.msgid_plural is not None and set(e.msgstr) != {0}]
    assert not wrong, "Chinese has one plural form, msgstr[0] only:\n" + "\n".join(wrong)


def test_placeholders_match(catalogue):
    problems = []
    for e in catalogue:
        if not e.msgid:
            continue
        python_format = "python-format" in e.flags
        expected = placeholders(e.msgid, python_format)
        if e.msgid_plural is not None:
            # Chinese has one form; it stands for the plural msgid.
            expected = placeholders(e.msgid_plural, python_format)
        for index, text in e.msgstr.items():
            got = placeholders(text, python_format)
            if text and got != expected:
                problems.append(f"{e.label} msgstr[{index}]: {dict(got)} != {dict(expected)}")
    assert not problems, "placeholder mismatches:\n" + "\n".join(problems)


def test_leading_and_trailing_whitespace_kept(catalogue):
    problems = [
        f"{e.label}: {_edges(text)!r} != {_edges(e.msgid)!r}"
        for e in catalogue
        if e.msgid
        for text in e.msgstr.values()
        if text and _edges(text) != _edges(e.msgid)
    ]
    assert not problems, "leading/trailing whitespace differs:\n" + "\n".join(problems)


def _gettext_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"GNU gettext's {name} is needed (it is also what `make messages` uses)")
    return path


@pytest.mark.parametrize("po", CATALOGUES, ids=IDS)
def test_msgfmt_check_format(po):
    result = subprocess.run(
        [_gettext_tool("msgfmt"), "--check-format", "--check-header", "-o", os.devnull, str(po)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("po", CATALOGUES, ids=IDS)
@pytest.mark.parametrize("option", ["--untranslated", "--only-fuzzy"])
def test_msgattrib_finds_nothing_left(option, po):
    result = subprocess.run(
        [_gettext_tool("msgattrib"), option, "--no-wrap", str(po)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    left = [line for line in result.stdout.splitlines() if line.startswith("msgid ")]
    # Only the header entry (msgid "") may be printed.
    assert left in ([], ['msgid ""']), f"msgattrib {option}:\n{result.stdout}"


@pytest.fixture
def compiled():
    for po in CATALOGUES:
        mo = po.with_suffix(".mo")
        if not mo.exists():
            pytest.fail(f"{mo} is missing: run make messages")
        if mo.stat().st_mtime < po.stat().st_mtime:
            pytest.fail(f"{mo} is older than {po}: run make messages")


@pytest.mark.parametrize(
    ("english", "chinese"),
    [
        ("grid worker", "网格员"),
        ("grid leader", "网格长"),
        ("dispatch", "派单"),
        ("claim", "接单"),
        ("verify and close", "核查结案"),
        ("urge", "督办"),
        ("deadline policy", "时限规则"),
    ],
)
def test_key_strings_render_in_chinese(compiled, english, chinese):
    with translation.override("zh-hans"):
        assert translation.gettext(english) == chinese


def test_labels_and_formatted_messages_render_in_chinese(compiled):
    from wangge.cases.choices import State
    from wangge.staff.models import Role

    with translation.override("zh-hans"):
        assert str(Role.GRID_WORKER.label) == "网格员"
        assert str(State.CLAIMED.label) == "已接单"
        message = translation.gettext("Case %(n)s needs rework: %(r)s") % {
            "n": "WG001",
            "r": "照片不清晰",
        }
        assert message == "工单 WG001 需返工：照片不清晰"
        assert translation.ngettext(
            "%(count)d problem; nothing was imported:",
            "%(count)d problems; nothing was imported:",
            2,
        ) % {"count": 2} == ("发现 2 个问题，未导入任何数据：")
    with translation.override("en"):
        assert translation.gettext("grid worker") == "grid worker"


def test_a_text_reads_the_same_in_every_catalogue():
    """gettext keeps one translation per text for the whole process (the project
    catalogue first, then the apps in INSTALLED_APPS order), so a text translated
    differently in two catalogues shows one of them everywhere. Texts that mean
    different things in different places need a context (pgettext)."""
    seen: dict[tuple, dict[str, str]] = {}
    for po, name in zip(CATALOGUES, IDS, strict=True):
        for e in parse_po(po):
            if e.msgid and e.msgid_plural is None:
                seen.setdefault((e.msgctxt, e.msgid), {})[name] = e.msgstr.get(0, "")
    differing = [
        f"{msgid!r} ({context}): {where}" if context else f"{msgid!r}: {where}"
        for (context, msgid), where in seen.items()
        if len(set(where.values())) > 1
    ]
    assert not differing, "translated differently:\n" + "\n".join(differing)
