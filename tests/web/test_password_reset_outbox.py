"""The reset e-mail goes through the transactional outbox: the request only writes a row (for a real
account) and never talks to an SMTP server, so its time does not tell whether the address has an
account, and a hung SMTP server blocks no web worker. The link is made at delivery and stored nowhere."""

import re
import socket

import pytest
from django.core import mail
from django.urls import reverse

from core import outbox
from core.models import OutboxMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
RESET_URL = "/password-reset/"
HANDLER = "accounts.services.password_reset_mail"


def ask(client, email, remote="192.0.2.20"):
    return client.post(RESET_URL, {"email": email}, REMOTE_ADDR=remote)


@pytest.fixture
def silent_smtp(settings):
    """An SMTP server that accepts connections and never answers; the backend would wait for it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.setblocking(False)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.getsockname()[1], 2
    yield server
    server.close()


def smtp_was_called(server) -> bool:
    try:
        server.accept()[0].close()
    except BlockingIOError:
        return False
    return True


def test_the_request_writes_an_outbox_row_and_sends_nothing(client, pt):
    response = ask(client, pt.email.upper())
    assert response.status_code == 302 and response["Location"] == reverse("web:password_reset_done")
    assert mail.outbox == []
    assert list(OutboxMessage.objects.values_list("handler", "payload")) == [(HANDLER, {"user_id": pt.pk})]


def test_the_email_arrives_when_the_outbox_is_drained_with_a_working_link(client, settings, pt):
    ask(client, pt.email)
    assert outbox.drain().delivered == 1 and outbox.drain().delivered == 0
    [message] = mail.outbox
    assert message.to == [pt.email] and message.subject == "Reset your MoveRx password"
    assert message.extra_headers["Message-ID"].startswith("<password-reset-")
    link = re.search(r"https?://\S+/password-reset/\S+/\S+/", message.body).group(0)
    assert link.startswith(settings.SITE_URL + "/")
    assert client.get(link.removeprefix(settings.SITE_URL), follow=True).context["validlink"] is True


def test_an_unknown_or_inactive_address_writes_no_row_and_gets_the_same_answer(client, pt):
    inactive = UserFactory(clinic=pt.clinic, role="coach", email="gone@riverside.example", is_active=False)
    known = ask(client, pt.email, remote="192.0.2.21")
    OutboxMessage.objects.all().delete()
    for email in ("nobody@example.org", inactive.email):
        answer = ask(client, email, remote="192.0.2.22")
        assert (answer.status_code, answer["Location"]) == (known.status_code, known["Location"])
    assert not OutboxMessage.objects.exists()


def test_a_hung_smtp_server_does_not_hold_the_request(client, pt, silent_smtp):
    for email in (pt.email, "nobody@example.org"):
        assert ask(client, email).status_code == 302
    assert not smtp_was_called(silent_smtp)
    assert OutboxMessage.objects.filter(handler=HANDLER).count() == 1  # waits for a worker


def test_an_account_deactivated_before_delivery_gets_no_email(client, pt):
    ask(client, pt.email)
    pt.is_active = False
    pt.save()
    assert outbox.drain().delivered == 1  # handled: nothing to send
    assert mail.outbox == []
