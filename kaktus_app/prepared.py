"""Statements built and compiled once, run straight on the database driver: for the hottest reads.

A list page or a global search sends a few indexed reads that cost the database 5 to 300 µs each.
Through the ORM each statement also costs about 100 µs of Python (building the expression, its cache
key, the execution context, the result objects), several times the read itself. A :class:`Prepared`
statement pays that once per database dialect and *shape*, then runs on the driver's cursor with
only its parameter values.

    PAGE = Prepared(lambda shape: select(Customer.id, Customer.name).where(...).limit(bindparam("size")))
    rows = PAGE.rows(session, shape, {"size": 25, ...})

``build(shape)`` must depend on ``shape`` alone (any hashable: which filters are set, the sort, how
many ids an IN list holds...). Every value that differs between calls is a named ``bindparam`` and
is passed in ``params``; a value written into the statement itself would be reused for every call
of that shape. The cache holds one compiled statement per shape and dialect, so a shape never holds
values either (a count of owners, not the owners).

Rows come back as named tuples with SQLAlchemy's own conversion of each column (dates from SQLite
text, Decimal amounts, enums), and parameters go through each bound type's conversion, so a
prepared read gives what ``session.exec`` of the same statement gives. The session's pending
changes are flushed first, as its autoflush would.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam
from sqlalchemy.sql import Select
from sqlmodel import Session, select
from sqlmodel.sql.sqltypes import UTCDateTime


class _Compiled:
    __slots__ = ("sql", "names", "ordered", "defaults", "binders", "plain", "types", "dialect", "results", "row")

    def __init__(self, statement: Select, dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        positional = getattr(compiled, "positiontup", None)
        self.names = tuple(positional) if dialect.positional else None  # qmark order (SQLite); named otherwise
        if self.names is not None:  # the values in that order, as a tuple
            getter = itemgetter(*self.names) if self.names else (lambda values: ())
            self.ordered = getter if len(self.names) != 1 else (lambda values: (getter(values),))
        # the values written into the statement (constants of the shape: a literal " ", LIMIT's OFFSET 0)
        self.defaults = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
        self.binders = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.binders[name] = processor
        # SQLite, no constants and no conversions (most reads): the values straight into their order
        self.plain = self.names is not None and not self.defaults and not self.binders
        self.types = [column.type.dialect_impl(dialect) for column in statement.selected_columns]
        self.dialect = dialect
        self.results = None  # the columns to convert: known at the first read (PostgreSQL's depend on the column's type code)
        self.row = namedtuple("Row", [column.key or f"c{i}" for i, column in enumerate(statement.selected_columns)], rename=True)

    def converters(self, description) -> tuple:
        if self.results is None:
            processors = [_processor(kind, self.dialect, column[1]) for kind, column in zip(self.types, description, strict=True)]
            self.results = tuple((i, p) for i, p in enumerate(processors) if p is not None)
        return self.results

    def arguments(self, params: dict[str, Any]):
        if self.plain:
            return self.ordered(params)
        values = {**self.defaults, **params}
        for name, processor in self.binders.items():
            if name in values:
                values[name] = processor(values[name])
        return values if self.names is None else self.ordered(values)


_iso = datetime.fromisoformat


def _processor(kind, dialect, type_code):
    """The column's conversion of a read value. SQLModel's ``UTCDateTime`` (every timestamp) is done
    in one step: the driver's text parsed by the inner type, then marked or converted to UTC, as its
    ``process_result_value`` does (through the TypeDecorator's own layers it cost 1.5 µs a value,
    two per list row)."""
    processor = kind.result_processor(dialect, type_code)
    if not isinstance(kind, UTCDateTime) or processor is None:
        return processor
    inner = kind.impl_instance.dialect_impl(dialect).result_processor(dialect, type_code)

    def utc(value):
        if value is None:
            return None
        if value.__class__ is str:  # SQLite's text, naive UTC: parsed as UTC in one step (``replace(tzinfo=)`` alone costs 1 µs)
            try:
                parsed = _iso(value + "+00:00")
                if parsed.tzinfo is not None:
                    return parsed
            except ValueError:
                pass  # a text with an offset of its own, or a date alone: as the column type reads it
        if inner is not None:
            value = inner(value)
        return value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)

    return utc


def _driver(session: Session):
    """The dialect and the driver's connection of the session's transaction.

    ``session.connection()`` costs about 4 µs (as much as an indexed read on SQLite), so its answer is
    kept in ``session.info`` for as long as the same transaction is active: a commit, a rollback or a
    close starts a new one, and that asks again (and begins it, as the ORM would).
    """
    transaction = session.get_transaction()
    known = session.info.get("prepared_driver")
    if known is not None and known[0] is transaction and transaction.is_active:
        return known[1], known[2]
    connection = session.connection()
    known = session.info["prepared_driver"] = (session.get_transaction(), connection.dialect, connection.connection.driver_connection)
    return known[1], known[2]


_trace: list | None = None  # (sql, arguments) of every prepared read while tracing (the benchmarks replay them raw)


@contextmanager
def tracing() -> Iterator[list]:
    """Collect the SQL and arguments of the prepared reads run inside (for ``bench/``)."""
    global _trace
    _trace = []
    try:
        yield _trace
    finally:
        _trace = None


class Prepared:
    """A SELECT compiled once per dialect and shape, run on the driver's cursor (see the module)."""

    def __init__(self, build: Callable[[Hashable], Select]) -> None:
        self._build = build
        self._compiled: dict[tuple[str, Hashable], _Compiled] = {}

    def statement(self, shape: Hashable) -> Select:
        """The statement of ``shape`` (for the ORM path of the same query, e.g. a streamed export)."""
        return self._build(shape)

    def rows(self, session: Session, shape: Hashable, params: dict[str, Any] | None = None) -> list:
        if session.autoflush and (session._new or session._deleted or session.identity_map._modified):
            session.flush()  # as Session._is_clean() tells it, without its two calls (a read runs per keystroke)
        dialect, driver = _driver(session)
        key = (dialect.name, shape)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _Compiled(self._build(shape), dialect)
        arguments = compiled.arguments(params or {})
        if _trace is not None:
            _trace.append((compiled.sql, arguments))
        cursor = driver.cursor()
        try:
            cursor.execute(compiled.sql, arguments)
            fetched = cursor.fetchall()
            results = compiled.results if compiled.results is not None else compiled.converters(cursor.description)
        finally:
            cursor.close()
        make = compiled.row._make
        if not results:
            return [make(r) for r in fetched]
        rows = []
        for fetched_row in fetched:
            values = list(fetched_row)
            for i, processor in results:
                values[i] = processor(values[i])
            rows.append(make(values))
        return rows

    def scalar(self, session: Session, shape: Hashable, params: dict[str, Any] | None = None):
        """The first column of the first row (a count), or None."""
        found = self.rows(session, shape, params)
        return found[0][0] if found else None


class NamesById(Prepared):
    """{id: name} of the rows whose ids a page shows (owners, customers): one statement per number of ids."""

    def __init__(self, id_column, name_column) -> None:
        super().__init__(lambda count: select(id_column, name_column).where(id_column.in_([bindparam(f"id_{i}") for i in range(count)])))

    def of(self, session: Session, ids) -> dict:
        """Unknown ids and None are left out."""
        ids = sorted({i for i in ids if i})
        return dict(self.rows(session, len(ids), {f"id_{i}": value for i, value in enumerate(ids)})) if ids else {}
