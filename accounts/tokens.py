"""API tokens bound to the credentials they were issued with. A token is good only while the
user's password hash and session epoch are what they were when the password was checked, so every
way of changing them ends the token: `password_set`, `set_password` anywhere (the admin,
`manage.py changepassword`, a shell), turning two-factor on, `sign_out_everywhere_else`. The state
is read at authentication, before the token exists, so a change that commits while a log-in is
under way (between the Argon2 check and the token's insert) ends that token too: no lock needed.

The fingerprint is a plain sha256, not an HMAC, so the migration that bound the tokens existing
then could compute it in SQL; it reveals nothing the password hash beside it does not."""

import hashlib

from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework import exceptions

from accounts.models import ApiTokenBinding


def credentials_fingerprint(user) -> str:
    return hashlib.sha256(f"{user.password}:{user.session_epoch}".encode()).hexdigest()


def token_create(*, user) -> str:
    """A new API token for `user` as loaded when their password was checked; returns its secret."""
    auth_token, token = AuthToken.objects.create(user=user)
    ApiTokenBinding.objects.create(token=auth_token, credentials=credentials_fingerprint(user))
    return token


class BoundTokenAuthentication(TokenAuthentication):
    """Knox's token check, then the binding: a token without one, or issued with other credentials
    than the user's current ones, is refused (for good: the credentials never go back)."""

    def validate_user(self, auth_token):
        user, auth_token = super().validate_user(auth_token)
        current = ApiTokenBinding.objects.filter(token=auth_token, credentials=credentials_fingerprint(user))
        if not current.exists():
            raise exceptions.AuthenticationFailed("Invalid token.")
        return user, auth_token


class BoundTokenScheme(KnoxTokenScheme):
    """The OpenAPI schema describes the subclass as knox's token scheme."""

    target_class = "accounts.tokens.BoundTokenAuthentication"
