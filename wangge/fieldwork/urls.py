from django.urls import path

from wangge.fieldwork import views

app_name = "fieldwork"
urlpatterns = [
    path("", views.today, name="today"),
    path("households/<int:pk>/", views.household, name="household"),
    path("inspections/", views.inspections, name="inspections"),
    path("places/<int:pk>/", views.place, name="place"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("team/", views.team, name="team"),
    path("stations/", views.stations, name="stations"),
    path("stations/map.json", views.stations_map, name="stations_map"),
    path("coverage/", views.coverage, name="coverage"),
]
