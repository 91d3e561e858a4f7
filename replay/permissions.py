"""Who may run what-if simulations, and whose they see: commissioners and administrators,
each their own (another user's simulation is a 404)."""

from accounts.models import Role

from .models import Simulation

SIMULATION_ROLES = (Role.ADMIN, Role.COMMISSIONER)


def simulations_for(user):
    """The simulations `user` may see: those they asked for."""
    return Simulation.objects.filter(requested_by=user)
