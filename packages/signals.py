"""Signals packages sends so that brokering can react without packages importing it.

Each is sent from inside the service's transaction; receivers that enqueue
work must do so with transaction.on_commit.
"""

from django.dispatch import Signal

# sender=Package class, package_id=int
package_submitted = Signal()
package_handed_back = Signal()
package_cancelled = Signal()
# An open package changed: a new brokering round has begun with its new details.
package_edited = Signal()
# sender=Package class, package_id=int, escalated=bool: brokering marked it as needing a broker
# (or no longer), at clock.now().
package_escalated = Signal()
