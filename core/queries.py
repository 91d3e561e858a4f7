"""Query expressions shared by the apps' selectors."""

from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def related_count(model, related_name: str):
    """For each row of `model`, how many rows point at it through `related_name` (a reverse
    foreign key): a subquery per row shown, where a join grouped by every row would count
    them all before a page is taken. A page's count then reads the table alone."""
    relation = model._meta.get_field(related_name)
    pointing = relation.field.name
    counted = (
        relation.related_model.objects.filter(**{pointing: OuterRef("pk")})
        .order_by()
        .values(pointing)
        .annotate(count=Count("*"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def plain_rows(queryset) -> list[tuple]:
    """The rows of a `values_list` queryset as PostgreSQL's driver gives them (numeric as
    Decimal already), without Django's converter on each value: for sums read by the
    thousand (spend's 1,500 zones a period), where converting each Decimal again costs
    more than the query. Elsewhere (SQLite gives numbers as floats) Django converts."""
    if connection.vendor != "postgresql":
        return list(queryset)
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
