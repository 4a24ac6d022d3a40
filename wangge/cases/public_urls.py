"""Pages for residents, without an account (filled in by the public pages)."""

app_name = "public"
urlpatterns: list = []
