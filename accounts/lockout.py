from django.http import JsonResponse
from django.shortcuts import render

from accounts.services import LoginLocked


def lockout_response(request, *args, **kwargs):
    """django-axes' answer to a locked-out login: the API's error shape for API clients, a page for
    people; nothing about the account either way."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": LoginLocked.default_detail}, status=LoginLocked.status_code)
    return render(request, "web/locked.html", {"detail": LoginLocked.default_detail}, status=LoginLocked.status_code)


def login_username(request, credentials) -> str | None:
    """The email whichever way it came: `email` (API) or `username` (the sign-in page)."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username") or request.POST.get("username", "")
    return value.strip().lower() or None
