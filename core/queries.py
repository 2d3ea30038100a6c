from django.db.models import IntegerField, QuerySet, Subquery


class SubqueryCount(Subquery):
    """COUNT(*) of a correlated queryset, as a column: counts without GROUP BY on the outer query
    (which would also drop the model's default ordering)."""

    template = "(SELECT count(*) FROM (%(subquery)s) _count)"
    output_field = IntegerField()

    def __init__(self, queryset: QuerySet, **extra):
        super().__init__(queryset.values("pk").order_by(), **extra)


