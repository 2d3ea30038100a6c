from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import path, re_path
from django.views.generic import TemplateView

from web.views import auth, coaching, home, manager, patients

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", login_required(TemplateView.as_view(template_name="web/password_done.html")),
         name="password_done"),
    path("password-reset/", auth.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(template_name="web/password_reset_done.html"),
         name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", auth.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(
        template_name="web/password_reset_complete.html"), name="password_reset_complete"),
    path("two-factor/", auth.two_factor_page, name="two_factor"),
    path("two-factor/setup/", auth.two_factor_setup, name="two_factor_setup"),
    path("two-factor/confirm/", auth.two_factor_confirm, name="two_factor_confirm"),
    path("two-factor/disable/", auth.two_factor_disable, name="two_factor_disable"),
    # PT (and everyone's patient page)
    path("patients/", patients.patient_index, name="patients"),
    path("patients/new/", patients.patient_new, name="patient_new"),
    path("patients/<int:patient_id>/", patients.patient_detail, name="patient"),
    path("patients/<int:patient_id>/intake/", patients.patient_intake, name="patient_intake"),
    path("patients/<int:patient_id>/red-flags/", patients.review_red_flags, name="review_red_flags"),
    path("patients/<int:patient_id>/red-flags/screen/", patients.screen_red_flags, name="screen_red_flags"),
    path("patients/<int:patient_id>/alerts/<int:alert_id>/acknowledge/", patients.acknowledge_alert,
         name="acknowledge_alert"),
    path("patients/<int:patient_id>/plans/", patients.create_plan, name="create_plan"),
    path("patients/<int:patient_id>/measures/", patients.record_measure, name="record_measure"),
    re_path(r"^plans/(?P<plan_id>[0-9]+)/(?P<step>activate|pause|resume|discharge)/$", patients.transition_plan,
            name="transition_plan"),
    path("plans/<int:plan_id>/edit/", patients.edit_plan, name="edit_plan"),
    path("plans/<int:plan_id>/visits/", patients.record_visit, name="record_visit"),
    path("plans/<int:plan_id>/prescriptions/", patients.prescribe, name="prescribe"),
    path("plans/<int:plan_id>/template/", patients.apply_template, name="apply_template"),
    path("prescriptions/<int:prescription_id>/modify/", patients.modify_prescription, name="modify_prescription"),
    re_path(r"^prescriptions/(?P<prescription_id>[0-9]+)/step/(?P<direction>progression|regression)/$",
            patients.step_prescription, name="step_prescription"),
    path("prescriptions/<int:prescription_id>/discontinue/", patients.discontinue_prescription,
         name="discontinue_prescription"),
    # Coach
    path("coach/", coaching.coach_home, name="coach"),
    path("outreach/<int:item_id>/resolve/", coaching.resolve_outreach, name="resolve_outreach"),
    path("patients/<int:patient_id>/check-ins/", coaching.log_check_in, name="log_check_in"),
    path("patients/<int:patient_id>/notes/", coaching.add_note, name="add_note"),
    path("patients/<int:patient_id>/habit-goals/", coaching.add_habit_goal, name="add_habit_goal"),
    path("habit-goals/<int:goal_id>/log/", coaching.log_habit, name="log_habit"),
    path("habit-goals/<int:goal_id>/status/", coaching.set_habit_status, name="set_habit_status"),
    # Manager
    path("dashboard/", manager.dashboard, name="dashboard"),
    path("dashboard/reports/", manager.request_report, name="request_report"),
    path("staff/", manager.staff, name="staff"),
    path("staff/<int:user_id>/deactivate/", manager.deactivate_staff, name="deactivate_staff"),
    path("staff/<int:user_id>/reset-two-factor/", manager.reset_two_factor, name="reset_two_factor"),
    path("staff/<int:user_id>/role/", manager.change_role, name="change_role"),
    path("staff/<int:user_id>/password-reset/", manager.send_password_reset, name="send_password_reset"),
    path("settings/", manager.clinic_settings, name="settings"),
    path("audit/", manager.audit_trail, name="audit"),
]
