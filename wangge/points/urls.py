from django.urls import path

from wangge.points import views

app_name = "points"
urlpatterns = [
    path("", views.index, name="index"),
    path("households/<int:pk>/", views.household, name="household"),
    path("households/<int:pk>/record/", views.record, name="record"),
    path("entries/<int:pk>/photo/", views.entry_evidence, name="entry_photo"),
    path("approvals/<int:pk>/photo/", views.proposal_evidence, name="proposal_photo"),
    path("shop/", views.shop, name="shop"),
    path("shop/redeem/", views.redeem, name="redeem"),
    path("shop/goods/<int:pk>/restock/", views.restock, name="restock"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:pk>/decide/", views.decide, name="decide"),
    path("ratings/", views.ratings, name="ratings"),
    path("ratings/rate/", views.rate, name="rate"),
    path("ratings/nominate/", views.nominate, name="nominate"),
    path("ratings/nominations/<int:pk>/select/", views.select, name="select"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
]
