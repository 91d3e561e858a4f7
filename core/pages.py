"""Helpers for server-rendered list pages: pagination and CSV export share one filtered queryset."""

from django.core.paginator import Paginator

PAGE_SIZE = 50


class CountedPaginator(Paginator):
    """A Paginator told how many rows there are (kept elsewhere), not counting them."""

    def __init__(self, object_list, per_page, *, count):
        super().__init__(object_list, per_page)
        self.count = count


def paginate(request, queryset, per_page=PAGE_SIZE, parameter="page", count=None):
    """The requested page of `queryset` and the query string for page links; a page with
    two paginated tables names the second's page parameter (`parameter`). `count`: how
    many rows there are, where a figure kept of them saves counting them."""
    if count is None:
        paginator = Paginator(queryset, per_page)
    else:
        paginator = CountedPaginator(queryset, per_page, count=count)
    page = paginator.get_page(request.GET.get(parameter))
    query = request.GET.copy()
    query.pop(parameter, None)
    return page, query.urlencode()


def wants_csv(request):
    return request.GET.get("format") == "csv"
