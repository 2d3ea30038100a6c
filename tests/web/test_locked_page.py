"""django-axes' lock-out answer (web.views.auth.lockout_response): a page for people at the sign-in
form, the API's error shape for API clients."""

from accounts.services import LoginLocked
from tests.factories import PASSWORD


def test_repeated_failures_at_the_sign_in_page_show_the_locked_page(client, pt, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post("/login/", {"username": pt.email, "password": "guess"}).status_code == 200
    assert client.post("/login/", {"username": pt.email, "password": "guess"}).status_code == 429
    locked = client.post("/login/", {"username": pt.email, "password": PASSWORD})  # until cool-off
    assert locked.status_code == LoginLocked.status_code == 429
    assert locked["Content-Type"].startswith("text/html")
    assert "Too many attempts" in locked.content.decode() and LoginLocked.default_detail in locked.content.decode()
