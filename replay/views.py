"""The what-if pages: ask (a period, zones, settings), watch the job, read the answer."""

from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from core.pages import wants_csv
from core.permissions import RoleRequiredMixin
from core.tables import cells, headers, table_csv

from . import selectors, services, tables
from .forms import WhatIfForm
from .permissions import SIMULATION_ROLES, simulations_for


class WhatIfPage(RoleRequiredMixin, View):
    allowed_roles = SIMULATION_ROLES

    def get(self, request):
        return self._render(request, WhatIfForm())

    def post(self, request):
        form = WhatIfForm(request.POST)
        if not form.is_valid():
            return self._render(request, form)
        data = form.cleaned_data
        simulation = services.request_simulation(
            by=request.user,
            period_start=data["period_start"],
            period_end=data["period_end"],
            zones=data["zones"],
            settings=data["settings"],
            seed=data["seed"],
            runs=data["runs"],
        )
        return redirect("replay:simulation", simulation.pk)

    def _render(self, request, form):
        context = {"form": form, "simulations": selectors.recent_simulations(request.user)}
        return render(request, "replay/whatif_form.html", context)


class SimulationPage(RoleRequiredMixin, View):
    allowed_roles = SIMULATION_ROLES

    def get(self, request, pk):
        simulation = get_object_or_404(simulations_for(request.user), pk=pk)
        if request.htmx:
            return _progress(request, simulation)
        context = {
            "simulation": simulation,
            "settings_tried": selectors.settings_described(simulation.settings),
        }
        if simulation.results is not None:
            rows = tables.comparison_rows(simulation.results)
            columns = tables.comparison_columns(simulation.results)
            if wants_csv(request):
                return table_csv(f"what-if-{simulation.pk}", columns, rows)
            context.update(
                header=headers(columns),
                rows=[cells(columns, row) for row in rows],
                chart=selectors.comparison_chart(simulation.results),
                calibration=selectors.calibration(simulation.results),
            )
        return render(request, "replay/simulation_detail.html", context)


def _progress(request, simulation):
    """The progress bar htmx asks for; once the job has finished, the whole page again."""
    response = render(request, "replay/includes/progress.html", {"simulation": simulation})
    if simulation.finished:
        response["HX-Refresh"] = "true"
    return response
