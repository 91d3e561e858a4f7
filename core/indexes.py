"""Indexes that need more than Django says for every database."""

from django.db import models
from django.db.models.functions import Upper


class PrefixSearchIndex(models.Index):
    """An index of a text column's upper case that serves a case-insensitive search from
    its start (`istartswith`: `UPPER(col) LIKE 'SM%'`).

    PostgreSQL serves LIKE from a btree only with a pattern operator class (unless the
    database's collation is C); SQLite, for a laptop, takes the plain expression.
    """

    def __init__(self, *, field_name: str, name: str):
        self.field_name = field_name
        super().__init__(Upper(field_name), name=name)

    def deconstruct(self):
        path, _, _ = super().deconstruct()
        return path, (), {"field_name": self.field_name, "name": self.name}

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        quote = schema_editor.quote_name
        column = model._meta.get_field(self.field_name).column
        return (
            f"CREATE INDEX {quote(self.name)} ON {quote(model._meta.db_table)} "
            f"((UPPER({quote(column)})) text_pattern_ops)"
        )
