from django.urls import path

from wangge.residents import views

app_name = "residents"
urlpatterns = [
    path("households/", views.household_list, name="households"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("residents/<int:pk>/unmask/<str:field>/", views.unmask_view, name="unmask"),
]
