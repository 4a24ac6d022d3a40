from django.urls import path

from wangge.integrations import views

app_name = "integrations"
urlpatterns = [
    path("police-directive", views.police_directive, name="police_directive"),
    path("video-alarm", views.video_alarm, name="video_alarm"),
]
