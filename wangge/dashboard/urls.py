from django.urls import path

from wangge.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.screen, name="screen"),
    path("data/", views.data, name="data"),
    path("grids/", views.grid_map, name="grids"),
    path("feed/", views.feed, name="feed"),
    path("reports/", views.start_report, name="report_start"),
    path("reports/<str:job>/", views.report_status, name="report_status"),
    path("reports/<str:job>/download/", views.report_download, name="report_download"),
]
