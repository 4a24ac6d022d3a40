from django.urls import path

from wangge.community import views

app_name = "community"
urlpatterns = [
    path("cadres/", views.cadres, name="cadres"),
    path("cadres/<int:pk>/", views.cadre, name="cadre"),
    path("cadres/<int:pk>/assess/", views.assess, name="assess"),
    path("cadres/<int:pk>/stage/", views.move, name="move"),
    path("projects/", views.projects, name="projects"),
    path("projects/<int:pk>/", views.project, name="project"),
    path("targets/<int:pk>/progress/", views.report, name="report"),
]
