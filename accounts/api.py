import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.lockout import LoginThrottle
from accounts.models import Clinic, User
from accounts.roles import Cap, Role
from accounts.selectors import audit_events_visible_to, clinics_visible_to, staff_visible_to
from accounts.services import two_factor
from core.api.fields import ClockTimeField, ScopedPrimaryKeyRelatedField
from core.api.filters import IdFilter
from core.api.pagination import NewestFirstCursorPagination
from core.api.viewsets import ScopedViewSet
from core.models import AuditEvent


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name", "role", "clinic", "is_active"]
        read_only_fields = fields


class TokenInputSerializer(serializers.Serializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    otp = serializers.CharField(max_length=16, required=False, allow_blank=True,
                                help_text="The 6-digit code of the user's authenticator app, if they turned "
                                          "two-factor authentication on.")


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField()
    user = UserSerializer()


class TokenView(APIView):
    """Exchange an email and password for an API token."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]
    throttle_scope = "login"

    @extend_schema(request=TokenInputSerializer, responses={200: TokenOutputSerializer})
    def post(self, request):
        data = TokenInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, user = services.token_issue(request=request._request, **data.validated_data)
        return Response(TokenOutputSerializer({"token": token, "user": user}).data)


class LogoutView(APIView):
    """Revoke the token this request was made with."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if request.auth is not None:
            services.token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeSerializer(UserSerializer):
    two_factor_enabled = serializers.SerializerMethodField()

    class Meta(UserSerializer.Meta):
        fields = [*UserSerializer.Meta.fields, "two_factor_enabled"]
        read_only_fields = fields

    def get_two_factor_enabled(self, user) -> bool:
        return two_factor.is_enabled(user)


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class ClinicSerializer(serializers.ModelSerializer):
    quiet_hours_start = ClockTimeField(required=False, help_text="No reminders from (patient's local time).")
    quiet_hours_end = ClockTimeField(required=False, help_text="No reminders until (patient's local time).")

    class Meta:
        model = Clinic
        fields = [
            "id", "name", "timezone", "reminder_after_days", "quiet_hours_start", "quiet_hours_end",
            "restrict_to_care_team", "created_at",
        ]
        read_only_fields = ["id", "created_at"]


class ClinicViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Admins create clinics and see all; staff read their own; managers update its settings."""

    serializer_class = ClinicSerializer
    action_permissions = {
        "list": Cap.READ_CLINIC,
        "retrieve": Cap.READ_CLINIC,
        "create": Cap.CREATE_CLINIC,
        "partial_update": Cap.MANAGE_CLINIC,
    }

    def selector(self, user):
        return clinics_visible_to(user)

    def create(self, request):
        clinic = services.clinic_create(**self.validated(ClinicSerializer))
        return Response(ClinicSerializer(clinic).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        clinic = self.get_object()
        serializer = ClinicSerializer(clinic, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        clinic = services.clinic_update(clinic=clinic, **serializer.validated_data)
        return Response(ClinicSerializer(clinic).data)


class StaffInputSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=256, write_only=True, trim_whitespace=False)
    first_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    last_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Role.choices)
    clinic = ScopedPrimaryKeyRelatedField(scope=clinics_visible_to, required=False)

    def validate(self, data):
        user = self.context["request"].user
        data.setdefault("clinic", user.clinic)
        if data["clinic"] is None:
            raise serializers.ValidationError({"clinic": ["This field is required."]})
        return data


class StaffRoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class StaffViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The clinic's staff. Managers add, deactivate, change the role of and send a password-reset link to
    staff of their own clinic; admins of any."""

    serializer_class = UserSerializer
    filterset_fields = ["role", "is_active"]
    ordering_fields = ["last_name", "email", "id"]
    action_permissions = {
        "list": Cap.READ_CLINIC,
        "retrieve": Cap.READ_CLINIC,
        "create": Cap.MANAGE_STAFF,
        "deactivate": Cap.MANAGE_STAFF,
        "role": Cap.MANAGE_STAFF,
        "password_reset": Cap.MANAGE_STAFF,
    }

    def selector(self, user):
        return staff_visible_to(user)

    @extend_schema(request=StaffInputSerializer, responses={201: UserSerializer})
    def create(self, request):
        user = services.staff_create(**self.validated(StaffInputSerializer))
        return Response(UserSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=UserSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request, pk=None):
        user = services.staff_deactivate(user=self.get_object())
        return Response(UserSerializer(user).data)

    @extend_schema(request=StaffRoleSerializer, responses=UserSerializer)
    @action(detail=True, methods=["post"])
    def role(self, request, pk=None):
        user = services.staff_role_change(actor=request.user, user=self.get_object(),
                                          **self.validated(StaffRoleSerializer))
        return Response(UserSerializer(user).data)

    @extend_schema(request=None, responses={202: None})
    @action(detail=True, methods=["post"], url_path="password-reset")
    def password_reset(self, request, pk=None):
        """E-mail the member the password-reset link (sent by the outbox worker)."""
        services.staff_password_reset(actor=request.user, user=self.get_object())
        return Response(status=status.HTTP_202_ACCEPTED)


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["id", "occurred_at", "actor_id", "actor_role", "clinic_id", "patient_id", "action",
                  "table_name", "object_id", "changes", "request_id"]
        read_only_fields = fields


class AuditEventFilter(django_filters.FilterSet):
    patient = IdFilter(field_name="patient_id")
    user = IdFilter(field_name="actor_id")
    action = django_filters.ChoiceFilter(choices=AuditEvent.Action.choices)
    table = django_filters.CharFilter(field_name="table_name", max_length=63)

    class Meta:
        model = AuditEvent
        fields = ["patient", "user", "action", "table"]


class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """The audit trail: who created, changed or viewed what, and when (newest first)."""

    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    pagination_class = NewestFirstCursorPagination
    filter_backends = [DjangoFilterBackend]
    action_permissions = {"list": Cap.READ_AUDIT, "retrieve": Cap.READ_AUDIT}

    def selector(self, user):
        return audit_events_visible_to(user)
