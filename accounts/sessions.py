"""Signing a user out everywhere else: after a password change or reset, turning two-factor on, or
deactivation. Browser sessions are checked against the user's session hash on every request
(django.contrib.auth.get_user); raising `User.session_epoch` changes that hash, so every session
opened before ends at its next request, whichever session store holds it. API tokens are rows:
they are deleted."""

from django.contrib.auth import update_session_auth_hash
from django.db.models import F
from knox.models import AuthToken

from accounts.models import User


def sign_out_everywhere_else(user, *, request=None) -> None:
    """End every browser session and API token of `user`; the session of `request` (the user's own,
    when they made the change) stays signed in."""
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
    AuthToken.objects.filter(user=user).delete()
    if request is not None and request.user.pk == user.pk:
        update_session_auth_hash(request, user)
