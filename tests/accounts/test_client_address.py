"""The log-in throttle and lock-out key on the client's address; X-Forwarded-For counts only behind
TRUSTED_PROXY_COUNT proxies, and then only the entry the trusted proxy wrote (the right-most)."""

import pytest
from django.test import RequestFactory

from accounts.lockout import client_address
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"
PROXY, ATTACKER, COLLEAGUE = "10.0.0.1", "203.0.113.66", "198.51.100.7"


def login(client, email, password, *, remote, forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(TOKEN_URL, {"email": email, "password": password}, content_type="application/json",
                       **headers)


def fail_until_locked(client, settings, email, *, remote, forwarded):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        response = login(client, email, "guess", remote=remote, forwarded=forwarded(attempt))
    assert response.status_code == 429


def test_without_trusted_proxies_a_forged_header_does_not_lift_the_lockout(client, settings, pt):
    settings.TRUSTED_PROXY_COUNT = 0
    fail_until_locked(client, settings, pt.email, remote=ATTACKER, forwarded=lambda n: f"192.0.2.{n}")
    fresh = login(client, pt.email, PASSWORD, remote=ATTACKER, forwarded="192.0.2.200")
    assert fresh.status_code == 429


def test_without_trusted_proxies_a_forged_header_does_not_lock_a_colleague_out(client, settings, pt):
    settings.TRUSTED_PROXY_COUNT = 0
    fail_until_locked(client, settings, pt.email, remote=ATTACKER, forwarded=lambda n: COLLEAGUE)
    assert login(client, pt.email, PASSWORD, remote=COLLEAGUE).status_code == 200


def test_without_trusted_proxies_a_forged_header_does_not_lift_the_rate_limit(client, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    answers = [login(client, f"nobody{n}@example.org", "guess", remote=ATTACKER, forwarded=f"192.0.2.{n}").status_code
               for n in range(21)]  # LOGIN_THROTTLE_RATE is 20/min
    assert answers[:20] == [400] * 20 and answers[20] == 429, answers


def test_behind_one_proxy_the_right_most_address_counts(client, settings, pt):
    settings.TRUSTED_PROXY_COUNT = 1
    # The attacker writes the colleague's address; the proxy appends the attacker's real one.
    fail_until_locked(client, settings, pt.email, remote=PROXY, forwarded=lambda n: f"{COLLEAGUE}, {ATTACKER}")
    assert login(client, pt.email, PASSWORD, remote=PROXY, forwarded=f"192.0.2.9, {ATTACKER}").status_code == 429
    assert login(client, pt.email, PASSWORD, remote=PROXY, forwarded=COLLEAGUE).status_code == 200


def test_behind_one_proxy_each_client_has_its_own_rate_limit(client, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    answers = [login(client, f"nobody{n}@example.org", "guess", remote=PROXY, forwarded=f"{n}.1.1.1, {ATTACKER}")
               .status_code for n in range(21)]
    assert answers[20] == 429
    assert login(client, "nobody@example.org", "guess", remote=PROXY, forwarded=COLLEAGUE).status_code == 400


@pytest.mark.parametrize(("count", "forwarded", "expected"), [
    (0, "192.0.2.1", ATTACKER),
    (1, None, ATTACKER),
    (1, f"192.0.2.1, {COLLEAGUE}", COLLEAGUE),
    (2, f"192.0.2.1, {COLLEAGUE}, {PROXY}", COLLEAGUE),
    (3, COLLEAGUE, COLLEAGUE),  # fewer hops than proxies: the left-most there is
    (1, "not-an-address", ATTACKER),  # garbage never reaches the lock-out table
])
def test_client_address(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    headers = {"REMOTE_ADDR": ATTACKER} | ({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {})
    assert client_address(RequestFactory().post("/", **headers)) == expected
