"""`field__any=ids`: the rows whose value is one of a list of ids, the list sent as one parameter.

Django's `__in` sends a list as one parameter per value: a street leader's or a district's thousands of
grid ids cost psycopg several milliseconds a query to bind and Django more to prepare, on every list and
dashboard query of their scope (measured at 2,000 ids: 6.5 ms to bind the values, 1.7 ms the one array).
On PostgreSQL this is `= ANY(%s::bigint[])` with the ids as one array in its text form; PostgreSQL plans
it as it plans `IN`.
Elsewhere (SQLite, the demo) it is `IN` with a parameter per value.

`field__any=queryset.values("id")` takes the ids from a subquery instead. On PostgreSQL that is
`= ANY(ARRAY(subquery))`: the subquery runs once, first, and its ids are looked up through the field's
index. The planner may otherwise join the subquery to every row the other conditions leave (a street's
112,000 cases to find its month's 228 reopened ones: 65 ms, against 10 this way).
"""

from django.core.exceptions import EmptyResultSet
from django.db.models import Field, ForeignObject, Lookup
from django.db.models.sql import Query


class AnyOf(Lookup):
    lookup_name = "any"
    prepare_rhs = False

    def get_prep_lookup(self) -> list[int] | Query:
        if isinstance(self.rhs, Query):  # a queryset's values, resolved by the ORM
            return self.rhs
        return sorted({int(value) for value in self.rhs})

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if isinstance(self.rhs, Query):
            subquery, params = compiler.compile(self.rhs)  # "(SELECT ...)"
            return f"{lhs} IN {subquery}", (*lhs_params, *params)
        if not self.rhs:
            raise EmptyResultSet
        placeholders = ", ".join(["%s"] * len(self.rhs))
        return f"{lhs} IN ({placeholders})", (*lhs_params, *self.rhs)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if isinstance(self.rhs, Query):
            subquery, params = compiler.compile(self.rhs)
            return f"{lhs} = ANY(ARRAY{subquery})", (*lhs_params, *params)
        if not self.rhs:
            raise EmptyResultSet
        # The array as PostgreSQL's text form, cast: psycopg adapts a list of ints element by element
        # (0.9 ms for a street's 500 grid ids, a dozen times on a dashboard), the text form at once.
        return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, "{" + ",".join(map(str, self.rhs)) + "}")


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # related fields keep lookups of their own
