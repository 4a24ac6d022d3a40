"""What each action and required input is called, for messages and buttons."""

from django.utils.translation import gettext_lazy

ACTION_LABELS = {
    "report": gettext_lazy("report"),
    "accept": gettext_lazy("accept"),
    "resolve_on_site": gettext_lazy("settle on site"),
    "escalate": gettext_lazy("escalate"),
    "send_to_town": gettext_lazy("send to the town"),
    "dispatch": gettext_lazy("dispatch"),
    "claim": gettext_lazy("claim"),
    "return": gettext_lazy("return"),
    "request_extension": gettext_lazy("request an extension"),
    "approve_extension": gettext_lazy("approve the extension"),
    "refuse_extension": gettext_lazy("refuse the extension"),
    "suspend": gettext_lazy("suspend"),
    "resume": gettext_lazy("resume"),
    "urge": gettext_lazy("urge"),
    "summon": gettext_lazy("summon departments"),
    "check_in": gettext_lazy("check in on scene"),
    "resolve": gettext_lazy("resolve"),
    "verify": gettext_lazy("verify and close"),
    "rework": gettext_lazy("send back for rework"),
    "rate": gettext_lazy("rate"),
    "reject": gettext_lazy("reject"),
    "merge": gettext_lazy("merge"),
    "cancel": gettext_lazy("cancel"),
    "warn": gettext_lazy("warn"),
}

FIELD_LABELS = {
    "reason": gettext_lazy("A reason"),
    "result": gettext_lazy("The result"),
    "department": gettext_lazy("A department"),
    "departments": gettext_lazy("At least one department"),
    "minutes": gettext_lazy("The extension time"),
    "resume_at": gettext_lazy("The resume time"),
    "position": gettext_lazy("The GPS position"),
    "rating": gettext_lazy("A rating"),
    "original": gettext_lazy("The original case"),
}
