"""A password validator Django lacks: no password that holds the username.

Django's similarity check compares the whole password with the username, so
the username typed twice (`pat.bramblepat.bramble`) is only two-thirds alike
and passes; anyone who knows the username would guess it.
"""

from django.core.exceptions import ValidationError

# Shorter usernames ("al") occur in words by chance.
SHORTEST_CHECKED = 3


class ContainsUsernameValidator:
    def validate(self, password, user=None):
        username = str(getattr(user, "username", "") or "").casefold()
        if len(username) >= SHORTEST_CHECKED and username in password.casefold():
            raise ValidationError(
                "The password cannot contain the username.", code="password_has_username"
            )

    def get_help_text(self):
        return "Your password cannot contain your username."
