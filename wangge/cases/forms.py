"""Forms for the staff pages: one per kind of action, each knowing how to call
its lifecycle function. No rule lives here: the lifecycle decides."""

from __future__ import annotations

import uuid
from datetime import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.cases import lifecycle as lc
from wangge.cases.choices import Channel, Rating
from wangge.cases.models import Case, Category
from wangge.staff.models import Department


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Zero or more photos; what a photo is, the attachments module decides (by content)."""

    widget = MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"})

    def __init__(self, *args, max_photos: int = 9, **kwargs):
        self.max_photos = max_photos
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        items = data if isinstance(data, list | tuple) else [data]
        if len(items) > self.max_photos:
            raise forms.ValidationError(
                _("At most %(n)s photos, please.") % {"n": self.max_photos}, code="too_many"
            )
        return [super(PhotosField, self).clean(item, initial) for item in items]


class ActionForm(forms.Form):
    """Base: `version` is the case version the person saw (a stale one is a conflict)."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, case: Case, **kwargs):
        self.case = case
        super().__init__(*args, **kwargs)

    def run(self, user):
        raise NotImplementedError


class NoteForm(ActionForm):
    note = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    CALLS = {
        "accept": lc.accept,
        "claim": lc.claim,
        "verify": lc.verify,
        "approve_extension": lc.approve_extension,
        "resume": lc.resume,
        "urge": lc.urge,
    }

    def run(self, user, action):
        return self.CALLS[action](self.case, user, note=self.cleaned_data["note"])


class ReasonForm(ActionForm):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))
    CALLS = {
        "escalate": lc.escalate,
        "send_to_town": lc.send_to_town,
        "return": lc.return_case,
        "refuse_extension": lc.refuse_extension,
        "rework": lc.rework,
        "reject": lc.reject,
    }

    def run(self, user, action):
        return self.CALLS[action](self.case, user, reason=self.cleaned_data["reason"])


class ResultForm(ActionForm):
    result = forms.CharField(label=_("result"), widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField(label=_("photos"), required=False)
    CALLS = {"resolve": lc.resolve, "resolve_on_site": lc.resolve_on_site}

    def run(self, user, action):
        return self.CALLS[action](
            self.case, user, result=self.cleaned_data["result"], photos=self.cleaned_data["photos"]
        )


def _departments(case: Case):
    return Department.objects.filter(town_id=case.town_id).order_by("code")


class DispatchForm(ActionForm):
    lead = forms.ModelChoiceField(label=_("lead department"), queryset=Department.objects.none())
    co = forms.ModelMultipleChoiceField(
        label=_("co-handling departments"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("note"), required=False)

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self.fields["lead"].queryset = _departments(case)
        self.fields["co"].queryset = _departments(case)
        default = (
            Category.objects.filter(pk=case.category_id)
            .values_list("default_department_code", flat=True)
            .first()
        )
        self.fields["lead"].initial = _departments(case).filter(code=default).first()

    def run(self, user, action):
        data = self.cleaned_data
        return lc.dispatch(self.case, user, lead=data["lead"], co=data["co"], note=data["note"])


class SummonForm(ActionForm):
    departments = forms.ModelMultipleChoiceField(
        label=_("departments"),
        queryset=Department.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(label=_("note"), required=False)

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        self.fields["departments"].queryset = _departments(case)

    def run(self, user, action):
        return lc.summon(
            self.case,
            user,
            departments=self.cleaned_data["departments"],
            note=self.cleaned_data["note"],
        )


class ExtensionForm(ActionForm):
    hours = forms.IntegerField(label=_("extra working hours"), min_value=1, max_value=400)
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def run(self, user, action):
        return lc.request_extension(
            self.case,
            user,
            minutes=self.cleaned_data["hours"] * 60,
            reason=self.cleaned_data["reason"],
        )


class SuspendForm(ActionForm):
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}))
    resume_at = forms.DateTimeField(
        label=_("resume at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )

    def run(self, user, action):
        resume_at: datetime = self.cleaned_data["resume_at"]
        return lc.suspend(self.case, user, reason=self.cleaned_data["reason"], resume_at=resume_at)


class CheckInForm(ActionForm):
    latitude = forms.FloatField(widget=forms.HiddenInput, required=False)
    longitude = forms.FloatField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(label=_("note"), required=False)

    def run(self, user, action):
        data = self.cleaned_data
        return lc.check_in(
            self.case,
            user,
            latitude=data["latitude"],
            longitude=data["longitude"],
            note=data["note"],
        )


class RateForm(ActionForm):
    rating = forms.ChoiceField(label=_("rating"), choices=Rating.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("comment"), required=False)

    def run(self, user, action):
        return lc.rate(
            self.case,
            user,
            rating=self.cleaned_data["rating"],
            comment=self.cleaned_data["comment"],
        )


class MergeForm(ActionForm):
    original = forms.CharField(label=_("original case number"))
    note = forms.CharField(label=_("note"), required=False)

    def run(self, user, action):
        number = self.cleaned_data["original"].strip()
        original = Case.objects.visible_to(user).filter(number=number).first()
        return lc.merge(self.case, user, original=original, note=self.cleaned_data["note"])


FORMS: dict[str, type[ActionForm]] = {
    **dict.fromkeys(NoteForm.CALLS, NoteForm),
    **dict.fromkeys(ReasonForm.CALLS, ReasonForm),
    **dict.fromkeys(ResultForm.CALLS, ResultForm),
    "dispatch": DispatchForm,
    "summon": SummonForm,
    "request_extension": ExtensionForm,
    "suspend": SuspendForm,
    "check_in": CheckInForm,
    "rate": RateForm,
    "merge": MergeForm,
}


STAFF_CHANNELS = [
    (c.value, c.label)
    for c in (Channel.PATROL, Channel.VISIT, Channel.HOTLINE, Channel.INSPECTION, Channel.WEB)
]


class ReportForm(forms.Form):
    """A case reported by staff, from the field (GPS, camera) or the hotline."""

    category = forms.ModelChoiceField(
        label=_("category"),
        queryset=Category.objects.filter(active=True, parent__isnull=False).select_related(
            "parent"
        ),
    )
    title = forms.CharField(label=_("title"), max_length=120)
    description = forms.CharField(
        label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    channel = forms.ChoiceField(label=_("channel"), choices=STAFF_CHANNELS)
    address = forms.CharField(label=_("address"), required=False)
    latitude = forms.FloatField(widget=forms.HiddenInput, required=False)
    longitude = forms.FloatField(widget=forms.HiddenInput, required=False)
    reporter_name = forms.CharField(label=_("reporter name"), required=False)
    reporter_phone = forms.CharField(label=_("reporter phone"), required=False)
    photos = PhotosField(label=_("photos"), required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)
