from django import forms
from django.utils.translation import gettext_lazy as _

from wangge.api.models import ApiToken


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("name"),
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text=_("Which device or system uses it, e.g. “my phone” or “FixMyStreet”."),
    )
