from django.contrib.auth.forms import AuthenticationForm

from core.forms import FieldNamedErrors


class LoginForm(FieldNamedErrors, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
    }
