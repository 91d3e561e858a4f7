"""Query expressions shared by the apps' selectors."""

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
