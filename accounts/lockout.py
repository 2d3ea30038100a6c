from django.http import JsonResponse

from accounts.services import LoginLocked


def lockout_response(request, *args, **kwargs):
    """django-axes' answer to a locked-out login: the API's error shape, nothing about the account."""
    return JsonResponse({"detail": LoginLocked.default_detail}, status=LoginLocked.status_code)
