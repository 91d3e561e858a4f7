"""Signals brokering sends, for the apps above it (the replay follows the offers it sends).

Each is sent from inside the service's transaction.
"""

from django.dispatch import Signal

# sender=Offer, offers=[Offer, ...]: the offers of one package just sent together (saved, with
# their provider).
offers_sent = Signal()
