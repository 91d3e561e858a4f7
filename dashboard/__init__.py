"""The commissioner's dashboard: unfilled packages, time to fill, providers and spend."""
