"""Queries on the path of every request, compiled to SQL once per process.

Building a query through the ORM (filters, joins, the column list of four models) costs more
Python than the database takes to answer it: about 1.3 ms of the 1.9 ms of loading a login with
its organisation and family. On the opening morning that is the cost of every save
(bench/opening_rush.py). A `CompiledQuery` is an ordinary queryset, written as usual, built and
compiled once with marker values; each call runs the same SQL with the real values and builds the
objects as the ORM would (select_related included). Only for queries of a fixed shape: the
values may change, not the filters.

`insert_rows` is the same idea for `bulk_create` on a hot path: one INSERT … RETURNING whose
column list is worked out once per process.
"""

from collections.abc import Callable

from django.db import connections
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django_scopes import scopes_disabled

# Marker values put in the queryset where the real values go: numbers no id ever takes (so a
# value may be an id or a text, not a date: compare dates in Python).
_MARKER_BASE = -(10**15)


class CompiledQuery:
    """`build(**markers)` returns the queryset; `query(**values)` returns its objects.

    The queryset is built outside any tenant scope (once, at the first call): it must filter on
    the organisation itself whenever it reads a tenant's rows."""

    def __init__(self, build: Callable[..., QuerySet], *names: str):
        self._build = build
        self._names = names
        self._compiled = {}  # database alias -> (sql, params, how to build the rows)

    def _compile(self, alias: str):
        markers = {name: _MARKER_BASE - i for i, name in enumerate(self._names)}
        with scopes_disabled():
            queryset = self._build(**markers)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        shape = {
            "model": klass_info["model"],
            "start": start,
            "end": end,
            "init_list": [column[0].target.attname for column in select[start:end]],
            "populators": get_related_populators(klass_info, select, alias),
            "annotations": [(name, index) for name, index in compiler.annotation_col_map.items()],
            "converters": compiler.get_converters([column[0] for column in select]),
        }
        # A text column receives the marker as text.
        by_marker = {form: name for name, marker in markers.items() for form in (marker, str(marker))}
        return sql, [(by_marker[p], None) if p in by_marker else (None, p) for p in params], compiler, shape

    def __call__(self, using: str = "default", **values) -> list[Model]:
        if using not in self._compiled:
            self._compiled[using] = self._compile(using)
        sql, params, compiler, shape = self._compiled[using]
        with connections[using].cursor() as cursor:
            cursor.execute(sql, [values[name] if name else value for name, value in params])
            rows = cursor.fetchall()
        if shape["converters"]:
            rows = compiler.apply_converters(rows, shape["converters"])
        objects = []
        for row in rows:
            obj = shape["model"].from_db(using, shape["init_list"], row[shape["start"] : shape["end"]])
            for populator in shape["populators"]:
                populator.populate(row, obj)
            for name, index in shape["annotations"]:
                setattr(obj, name, row[index])
            objects.append(obj)
        return objects

    def first(self, using: str = "default", **values) -> Model | None:
        objects = self(using, **values)
        return objects[0] if objects else None


def _marks(count: int) -> str:
    return ", ".join(["%s"] * count)


def insert_rows(objs: list[Model], *more: list[Model], using: str = "default") -> list[Model]:
    """What `bulk_create` does for new rows of one model, as one INSERT … RETURNING id; the objects
    get their ids. Defaults and `auto_now` fields are filled as the ORM fills them.

    `more`: other lists, each of one model, inserted after it — on PostgreSQL in the same round
    trip (psycopg binds the values on the client side, so one query string may hold several
    statements). Returns `objs`."""
    groups = [group for group in (objs, *more) if group]
    if not groups:
        return objs
    connection = connections[using]
    statements = [_insert_statement(group, connection) for group in groups]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("; ".join(sql for sql, _ in statements), [p for _, params in statements for p in params])
            results = [cursor.fetchall()]
            while len(results) < len(groups) and cursor.nextset():
                results.append(cursor.fetchall())
        else:  # SQLite runs one statement per execute
            results = []
            for sql, params in statements:
                cursor.execute(sql, params)
                results.append(cursor.fetchall())
    for group, rows in zip(groups, results, strict=True):
        for obj, (pk,) in zip(group, rows, strict=True):
            obj.pk = pk
            obj._state.adding = False
            obj._state.db = using
    return objs


def insert_unless_exists(obj: Model, *unique: str, using: str = "default") -> bool:
    """INSERT this row unless one with the same values of the `unique` fields (a unique
    constraint's) exists: one statement, where `get_or_create` takes four (read, savepoint,
    insert, release) and a replay check two transactions. True, with the pk set, when inserted."""
    connection = connections[using]
    sql, params = _insert_statement([obj], connection)
    columns = ", ".join(connection.ops.quote_name(obj._meta.get_field(name).column) for name in unique)
    sql = sql.replace(" RETURNING ", f" ON CONFLICT ({columns}) DO NOTHING RETURNING ", 1)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk, obj._state.adding, obj._state.db = row[0], False, using
    return True


def _insert_statement(objs: list[Model], connection) -> tuple[str, list]:
    model = type(objs[0])
    # The id is the database's to give, unless the model gives its own (a UUID).
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.db_returning)]
    rows = [[f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields] for obj in objs]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    values = ", ".join([f"({_marks(len(fields))})"] * len(rows))
    table, pk = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(model._meta.pk.column)
    return f"INSERT INTO {table} ({columns}) VALUES {values} RETURNING {pk}", [v for row in rows for v in row]
