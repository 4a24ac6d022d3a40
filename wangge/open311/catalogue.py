"""The catalogue as GeoReport services: every active leaf category (小类) and service
item is a service, its 大类 the group; every service has a definition (metadata)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wangge.cases.catalogue import D as WORKING_DAY_MINUTES
from wangge.cases.choices import CategoryKind, Priority
from wangge.cases.models import Category

CONTACT_CHOICES = ("phone", "sms", "none")


def leaves():
    children = Category.objects.filter(parent=OuterRef("pk"), active=True)
    return (
        Category.objects.filter(active=True)
        .filter(~Exists(children))
        .select_related("parent")
        .order_by("sort", "code")
    )


def service(code: str) -> Category | None:
    """The active leaf category with this service code, or None."""
    return leaves().filter(code=code).first()


def promised_text(minutes: int) -> str:
    if minutes % WORKING_DAY_MINUTES == 0:
        days = minutes // WORKING_DAY_MINUTES
        return ngettext("%(n)d working day", "%(n)d working days", days) % {"n": days}
    hours = round(minutes / 60, 1)
    return _("%(n)s working hours") % {"n": f"{hours:g}"}


def service_notice(category: Category) -> str:
    """What the town promises for this kind of request, in one sentence."""
    if category.kind == CategoryKind.SERVICE and category.promised_minutes:
        return _("Service item: done within %(time)s of acceptance.") % {
            "time": promised_text(category.promised_minutes)
        }
    if category.default_priority == Priority.EMERGENCY:
        return _("Emergency: the grid worker and the community police respond within 15 minutes.")
    return ""


def service_list() -> list[dict]:
    rows = []
    for category in leaves():
        group = category.parent.name if category.parent_id else category.name
        kind = _("service item") if category.kind == CategoryKind.SERVICE else _("problem")
        rows.append(
            {
                "service_code": category.code,
                "service_name": category.name,
                "description": category.description or f"{group} · {category.name}",
                "metadata": True,
                "type": "realtime",
                "keywords": ", ".join(dict.fromkeys([category.name, group, kind])),
                "group": group,
            }
        )
    return rows


def _attribute(order, code, datatype, description, *, variable=True, values=()):
    return {
        "variable": variable,
        "code": code,
        "datatype": datatype,
        "required": False,
        "datatype_description": "",
        "order": order,
        "description": description,
        "values": [{"key": key, "name": name} for key, name in values],
    }


def attributes(category: Category) -> list[dict]:
    """The service definition's attributes; none is required."""
    rows = []
    if category.kind == CategoryKind.SERVICE and category.promised_minutes:
        rows.append(
            _attribute(
                len(rows) + 1,
                "promised_time",
                "string",
                _("Promised time: %(time)s after acceptance.")
                % {"time": promised_text(category.promised_minutes)},
                variable=False,
            )
        )
    rows.append(
        _attribute(
            len(rows) + 1,
            "title",
            "string",
            _("Short title (the first line of the description if left out)"),
        )
    )
    rows.append(
        _attribute(
            len(rows) + 1,
            "hamlet",
            "string",
            _("Natural village or landmark near the place"),
        )
    )
    rows.append(
        _attribute(
            len(rows) + 1,
            "contact_preference",
            "singlevaluelist",
            _("How the reporter would like to be contacted"),
            values=contact_choices(),
        )
    )
    return rows


def contact_choices() -> list[tuple[str, str]]:
    labels = {
        "phone": _("Phone call"),
        "sms": _("Text message"),
        "none": _("No contact needed"),
    }
    return [(key, labels[key]) for key in CONTACT_CHOICES]


def definition(category: Category) -> dict:
    return {"service_code": category.code, "attributes": attributes(category)}
