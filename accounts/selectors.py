from django.db.models import F, Func, JSONField, QuerySet, TextField, Value
from django.db.models.functions import Cast

from accounts.models import Clinic, User
from accounts.roles import Role
from core.models import AuditEvent


def clinics_visible_to(user) -> QuerySet[Clinic]:
    if user.is_superuser:
        return Clinic.objects.all()
    return Clinic.objects.filter(pk=getattr(user, "clinic_id", None))


def staff_visible_to(user) -> QuerySet[User]:
    """Staff of the user's clinic (all staff for admins); admins themselves are not staff."""
    staff = User.objects.filter(is_superuser=False)
    if user.is_superuser:
        return staff
    return staff.filter(clinic_id=getattr(user, "clinic_id", None))


def clinicians_visible_to(user, role: Role) -> QuerySet[User]:
    """Active staff of one role that the user may put on a care team."""
    return staff_visible_to(user).filter(role=role, is_active=True)


def clinicians_of_clinic(clinic_id: int, roles) -> QuerySet[User]:
    """Active staff of `roles` in one clinic, for work no requesting user is behind (alert routing)."""
    return User.objects.filter(clinic_id=clinic_id, is_active=True, is_superuser=False, role__in=roles)


def audit_events_visible_to(user) -> QuerySet[AuditEvent]:
    """Managers see their clinic's trail; admins everything."""
    if user.is_superuser:
        return AuditEvent.objects.all()
    return AuditEvent.objects.filter(clinic_id=getattr(user, "clinic_id", None))


def users_by_id(ids) -> dict[int, User]:
    """Users (admins too) by id, to name who acted in an audit trail the caller already scoped."""
    return {user.pk: user for user in User.objects.filter(pk__in=ids)}


def without_sign_ins(events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
    """The trail without the `last_login` stamp of every sign-in (an update of the user whose only
    change is that column): noise next to who viewed or changed what."""
    other_changes = Func(F("changes"), Cast(Value("last_login"), TextField()), arg_joiner=" - ",
                         template="(%(expressions)s)", output_field=JSONField())  # jsonb minus a key
    return events.alias(other_changes=other_changes).exclude(
        table_name=User._meta.db_table, action=AuditEvent.Action.UPDATE, changes__has_key="last_login",
        other_changes={})
