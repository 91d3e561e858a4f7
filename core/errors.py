"""Domain errors shared by every app.

`Conflict` is an action that the object's current state forbids (an offer
already taken, an invoice already paid): pages show it as a message, the API
answers 409.
"""


class Conflict(Exception):
    pass
