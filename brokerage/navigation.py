"""The service navigation: each role sees only what it may use."""

from accounts.models import Role

A, B, C, F, P = Role.ADMIN, Role.BROKER, Role.COMMISSIONER, Role.FINANCE, Role.PROVIDER

NAVIGATION = [
    ("Worklist", "packages:worklist", {A, B}),
    ("Packages", "packages:list", {A, B, C, F}),
    ("Offers", "brokering:portal_offers", {P}),
    ("Our packages", "packages:provider_list", {P}),
    ("Visits", "invoicing:visits", {P}),
    ("Invoices", "invoicing:list", {A, F, P}),
    ("Payment board", "invoicing:board", {A, F}),
    ("Capacity", "providers:capacity", {P}),
    ("Dashboard", "dashboard:index", {A, C, B, F}),
    ("What if", "replay:whatif", {A, C}),
    ("Zones", "zones:list", {A, C, B}),
    ("Providers", "providers:list", {A, C, B, F}),
    ("Rates", "providers:rates", {A, C}),
    ("Notifications", "notifications:list", {A, B, C, P, F}),
    ("API tokens", "accounts:tokens", {A, B, C, P, F}),
]

# Where signing in lands, where it is not the first item: the page each role starts its day on.
LANDING = {F: "invoicing:board", C: "dashboard:index"}
