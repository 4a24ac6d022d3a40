"""Pages for residents, without an account (mounted at /r/)."""

from django.urls import path

from wangge.cases import public

app_name = "public"
urlpatterns = [
    path("", public.report, name="report"),
    path("receipt/<slug:code>/", public.receipt, name="receipt"),
    path("track/", public.track_lookup, name="track_lookup"),
    path("track/<slug:code>/", public.track, name="track"),
    path("track/<slug:code>/rate/", public.rate, name="rate"),
    path("track/<slug:code>/cancel/", public.cancel, name="cancel"),
    path("grids.json", public.grid_map, name="grids"),
]
