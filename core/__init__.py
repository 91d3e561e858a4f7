"""Small pieces every app shares: domain errors, role checks, API conventions, CSV export."""
