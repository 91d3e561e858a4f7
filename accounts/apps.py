from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self):
        from . import schema, signals  # noqa: F401  (registers the extensions, connects the receivers)
