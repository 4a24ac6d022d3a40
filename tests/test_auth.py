"""Log-in, brute-force lockout, idle timeout, language."""

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone


def login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_login_and_logout(client, town):
    response = login(client, "dispatcher", "pw-dispatcher")
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_is_refused(client, town):
    response = login(client, "dispatcher", "nope")
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_repeated_failures_lock_the_account(client, town, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "dispatcher", "wrong")
    response = login(client, "dispatcher", "pw-dispatcher")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another account from the same address is not locked by these failures.
    assert login(client, "leader", "pw-leader").status_code == 302


def test_session_ends_after_idle_time(client, town, settings):
    login(client, "dispatcher", "pw-dispatcher")
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_activity_extends_the_session(client, town):
    login(client, "dispatcher", "pw-dispatcher")
    before = Session.objects.get().expire_date
    Session.objects.update(expire_date=before - timedelta(minutes=10))
    client.get(reverse("home"))
    assert Session.objects.get().expire_date > before - timedelta(minutes=1)


def test_pages_are_chinese_by_default_and_english_on_request(client, town):
    page = client.get(reverse("login")).content.decode()
    assert "登录" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("login")).content.decode()
    assert "Log in" in page and "登录" not in page


def test_an_english_browser_still_gets_chinese_until_the_switch(client, town):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "登录" in page
