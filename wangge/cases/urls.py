from django.urls import path

from wangge.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.new, name="new"),
    path("bulk-dispatch/", views.bulk_dispatch, name="bulk_dispatch"),
    path("notices/", views.notices, name="notices"),
    path("notices/read/", views.notices_read, name="notices_read"),
    path("notices/count/", views.notices_count, name="notices_count"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/act/<str:action>/", views.act, name="act"),
    path("<str:number>/photo/<int:pk>/", views.photo, name="photo"),
    path("<str:number>/photo/<int:pk>/thumb/", views.photo, {"size": "thumb"}, name="thumb"),
]
