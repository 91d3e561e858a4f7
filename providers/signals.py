"""Signals providers sends so that brokering can react without providers importing it.

Sent from inside the service's transaction; receivers that enqueue work do so
once it commits.
"""

from django.dispatch import Signal

# A provider may have become able to take work in these zones (a contract added, a
# provider made active or rated Good again, capacity declared): sender=Provider class,
# zone_ids=list[int]. Brokering re-tries the escalated packages there at once.
market_opened = Signal()
