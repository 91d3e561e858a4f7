"""Brokerage's reactions to what happens to packages (packages never imports brokerage)."""
