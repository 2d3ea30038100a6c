from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse

from patients.models import Alert


@shared_task(autoretry_for=(OSError,), retry_backoff=30, retry_backoff_max=600, max_retries=5)
def notify_alert(alert_id: int) -> int:
    """E-mail the patient's PT and coach that an alert is open. The message names no patient and
    no clinical detail: they read it in MoveRx. Returns how many people were told."""
    alert = Alert.objects.select_related("patient__primary_pt", "patient__coach").filter(pk=alert_id).first()
    if alert is None or alert.acknowledged_at is not None:
        return 0
    staff = {user for user in (alert.patient.primary_pt, alert.patient.coach) if user and user.is_active}
    if not staff:
        return 0
    urgency = "EMERGENCY" if alert.severity == Alert.Severity.EMERGENCY else "Urgent"
    link = f"{settings.SITE_URL}{reverse('web:patient', args=[alert.patient_id])}#alerts"
    send_mail(
        subject=f"[MoveRx] {urgency}: a patient alert needs you",
        message=f"A {alert.get_kind_display().lower()} alert is open for one of your patients.\n"
                f"Open MoveRx to review it: {link}\n",
        from_email=None,
        recipient_list=sorted(user.email for user in staff),
    )
    return len(staff)
