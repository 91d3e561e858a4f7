"""Helpers for server-rendered list pages: pagination and CSV export share one filtered queryset."""

from django.core.paginator import Paginator

PAGE_SIZE = 50


def paginate(request, queryset, per_page=PAGE_SIZE, parameter="page"):
    """The requested page of `queryset` and the query string for page links; a page with
    two paginated tables names the second's page parameter (`parameter`)."""
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get(parameter))
    query = request.GET.copy()
    query.pop(parameter, None)
    return page, query.urlencode()


def wants_csv(request):
    return request.GET.get("format") == "csv"
