"""Log-in landing: a home page per role, showing what the user is responsible for."""

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from wangge.core.home import home_context


@login_required
def home(request):
    return render(request, "core/home.html", home_context(request.user))


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"ok": True})
