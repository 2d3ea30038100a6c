from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self):
        from django.contrib.auth.signals import user_login_failed

        from accounts.lockout import log_login_failure

        user_login_failed.connect(log_login_failure, dispatch_uid="accounts.log_login_failure")
