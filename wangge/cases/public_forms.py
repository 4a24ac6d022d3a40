"""Forms for the residents' pages (no account): report, track by code, rate, cancel.

They only parse and check the shape of the input; intake and the lifecycle
decide everything else (the phone number, the photos, the category, the state).
"""

from __future__ import annotations

import re
import uuid

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wangge.cases.choices import CategoryKind, Priority, Rating
from wangge.cases.forms import PhotosField
from wangge.cases.models import Category
from wangge.grids.models import Town

MAX_PHOTOS = 5
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9-]{16,64}$")


def category_groups() -> list[dict]:
    """The active categories a resident can choose, under their 大类: problems first,
    then the service items. A 大类 without active children is itself a choice."""
    categories = list(
        Category.objects.filter(active=True)
        .filter(Q(parent__isnull=True) | Q(parent__active=True))
        .order_by("sort", "code")
    )
    children: dict[int, list[Category]] = {}
    for category in categories:
        if category.parent_id:
            children.setdefault(category.parent_id, []).append(category)
    groups = []
    for category in categories:
        if category.parent_id:
            continue
        groups.append({"parent": category, "items": children.get(category.pk) or [category]})
    groups.sort(key=lambda g: g["parent"].kind != CategoryKind.PROBLEM)
    return groups


class CategorySelect(forms.Select):
    """A grouped select whose options carry their kind, 大类 and emergency flag,
    so report.js can turn it into a two-step picker (the plain select works without JS)."""

    def __init__(self, attrs=None, choices=()):
        super().__init__(attrs, choices)
        self.option_attrs: dict[str, dict] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        option["attrs"].update(self.option_attrs.get(str(value), {}))
        return option


class PublicForm(forms.Form):
    required_css_class = "required"
    error_css_class = "error"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ReportForm(PublicForm):
    """群众点单: what, where, and a phone number for the call back."""

    category = forms.ChoiceField(label=_("What is it about?"), widget=CategorySelect)
    title = forms.CharField(
        label=_("Title"),
        required=False,
        max_length=120,
        help_text=_("Optional: a few words. If left empty, the category is used."),
    )
    description = forms.CharField(
        label=_("Describe the problem or what you need"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    photos = PhotosField(label=_("Photos"), required=False, max_photos=MAX_PHOTOS)
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput)
    address = forms.CharField(
        label=_("Address or landmark"),
        required=False,
        max_length=200,
        help_text=_("e.g. village, group, house number, or a landmark nearby."),
    )
    town = forms.ModelChoiceField(
        label=_("Town"), queryset=Town.objects.none(), required=False, empty_label="—"
    )
    reporter_name = forms.CharField(
        label=_("Your name"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    reporter_phone = forms.CharField(
        label=_("Your phone number"),
        max_length=30,
        help_text=_("So that your grid worker can call you back. It is never shown publicly."),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    # A new key for every form shown: a double submit or a retry returns the same case.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._names: dict[str, str] = {}
        choices: list = [("", _("Please choose"))]
        option_attrs: dict[str, dict] = {}
        for group in category_groups():
            parent = group["parent"]
            service = parent.kind == CategoryKind.SERVICE
            options = []
            for item in group["items"]:
                emergency = item.default_priority == Priority.EMERGENCY
                label = _("%(name)s (emergency)") % {"name": item.name} if emergency else item.name
                options.append((item.code, label))
                self._names[item.code] = item.name
                option_attrs[item.code] = {
                    "data-kind": parent.kind,
                    "data-group": parent.code,
                    "data-group-name": parent.name,
                    **({"data-emergency": "1"} if emergency else {}),
                }
            group_label = (
                _("Service · %(group)s") % {"group": parent.name} if service else parent.name
            )
            choices.append((group_label, options))
        self.fields["category"].choices = choices
        self.fields["category"].widget.option_attrs = option_attrs
        self.fields["photos"].help_text = _("Optional, at most %(n)s photos.") % {"n": MAX_PHOTOS}

        towns = list(Town.objects.order_by("code")[:2])
        # With one town an address is enough; with several, the resident names theirs.
        self.single_town = towns[0] if len(towns) == 1 else None
        if len(towns) > 1:
            self.fields["town"].queryset = Town.objects.order_by("code")
        else:
            del self.fields["town"]
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)

    def clean_idempotency_key(self):
        key = self.cleaned_data["idempotency_key"].strip()
        if not IDEMPOTENCY_KEY.match(key):
            raise forms.ValidationError(_("The form is damaged; please reload the page."))
        return key

    def clean(self):
        data = super().clean()
        has_point = data.get("latitude") is not None and data.get("longitude") is not None
        if not has_point and not (data.get("address") or "").strip():
            raise forms.ValidationError(
                _("Say where it is: use your location, tap the map, or type an address."),
                code="no_place",
            )
        if "town" in self.fields and not has_point and not data.get("town"):
            self.add_error("town", _("Choose your town, or use your location."))
        if not (data.get("title") or "").strip() and data.get("category") in self._names:
            data["title"] = self._names[data["category"]]
        return data

    def renew_key(self) -> None:
        """Give a bound form a fresh key (its old one belongs to another report)."""
        self.data = self.data.copy()
        self.data[self.add_prefix("idempotency_key")] = uuid.uuid4().hex

    def report_kwargs(self) -> dict:
        """The arguments for `intake.report`, from the cleaned data."""
        data = self.cleaned_data
        return {
            "category": data["category"],
            "title": data["title"],
            "description": data["description"],
            "photos": data["photos"],
            "latitude": data["latitude"],
            "longitude": data["longitude"],
            "address": data["address"].strip(),
            "town": data.get("town") or self.single_town,
            "reporter_name": data["reporter_name"].strip(),
            "reporter_phone": data["reporter_phone"],
            "idempotency_key": data["idempotency_key"],
        }


class TrackForm(PublicForm):
    code = forms.CharField(
        label=_("Receipt code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "off",
                "autocorrect": "off",
                "spellcheck": "false",
            }
        ),
    )

    def clean_code(self):
        # People copy codes with spaces around them.
        return re.sub(r"\s+", "", self.cleaned_data["code"])


class CaseActionForm(PublicForm):
    """Base: `version` is the case as the resident saw it; a stale one is a conflict."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RateForm(CaseActionForm):
    rating = forms.ChoiceField(
        label=_("How satisfied are you with the result?"),
        choices=Rating.choices,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CancelForm(CaseActionForm):
    reason = forms.CharField(
        label=_("Why? (optional)"),
        required=False,
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
