from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from wangge.core import views as core_views
from wangge.core.forms import LoginForm

admin.site.site_header = "网格 wangge"
admin.site.site_title = "wangge"

urlpatterns = [
    path("", core_views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            authentication_form=LoginForm, redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("residents/", include("wangge.residents.urls")),
    path("cases/", include("wangge.cases.urls")),
    path("r/", include("wangge.cases.public_urls")),
    path("dashboard/", include("wangge.dashboard.urls")),
    path("fieldwork/", include("wangge.fieldwork.urls")),
    path("points/", include("wangge.points.urls")),
    path("community/", include("wangge.community.urls")),
    path("api/v1/", include("wangge.api.urls")),
    path("account/tokens/", include("wangge.api.token_urls")),
    path("open311/v2/", include("wangge.open311.urls")),
    path("hooks/", include("wangge.integrations.urls")),
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
