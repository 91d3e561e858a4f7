"""How numbers are written for people, the same on every page, message and CSV."""


def hours_text(value) -> str:
    """Decimal hours without trailing zeros: 10.50 -> "10.5", 7.00 -> "7"; None -> ""."""
    if value is None:
        return ""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"
