"""Demo data for `manage.py seed_demo`: the market now, and later issues' history."""
