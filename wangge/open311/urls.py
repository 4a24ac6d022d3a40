from django.urls import re_path

from wangge.open311 import views

app_name = "open311"

# Every path ends in the format: services.xml, requests/DT2026000123.json …
FMT = r"\.(?P<fmt>[A-Za-z]+)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.service_list, name="services"),
    re_path(r"^services/(?P<code>[\w-]{1,20})" + FMT, views.service_definition, name="service"),
    re_path(r"^requests" + FMT, views.requests, name="requests"),
    re_path(r"^requests/(?P<number>[\w-]{1,24})" + FMT, views.request_detail, name="request"),
    re_path(r"^servicerequestupdates" + FMT, views.service_request_updates, name="updates"),
    re_path(r"^tokens/(?P<token>[\w-]{1,40})" + FMT, views.token, name="token"),
]
