"""Helpers for server-rendered list pages: pagination and CSV export share one filtered queryset."""

from django.core.paginator import Paginator

PAGE_SIZE = 50


def paginate(request, queryset, per_page=PAGE_SIZE):
    """The requested page of `queryset` and the query string for page links."""
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def wants_csv(request):
    return request.GET.get("format") == "csv"
