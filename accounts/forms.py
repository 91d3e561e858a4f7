from django import forms
from django.contrib.auth.forms import AuthenticationForm

from core.forms import FieldNamedErrors

CODE_DIGITS = 6


class LoginForm(FieldNamedErrors, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
    }


class SecurityCodeForm(FieldNamedErrors, forms.Form):
    code = forms.CharField(
        label="Security code",
        max_length=10,
        help_text="The 6-digit code your authenticator app shows now.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )

    def clean_code(self):
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isascii() and code.isdigit() and len(code) == CODE_DIGITS):
            raise forms.ValidationError("Enter the security code as 6 digits, like 123456.")
        return code
