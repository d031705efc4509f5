"""Django's ORM on the libsql backend: types, errors, transactions, unsupported features."""

from __future__ import annotations

import datetime
import decimal
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, NotSupportedError, connection, transaction
from django.db.models import Count
from django.db.models.functions import MD5, ExtractWeekDay, Random, TruncDay, TruncMonth
from django.utils import timezone

from tests.db.models import ProbeChild, TypeProbe

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("probe_tables")]


def test_int64_round_trips_exactly() -> None:
    for value in (2**62 + 1, 2**63 - 1, -(2**63), 2**31):
        probe = TypeProbe.objects.create(big=value)
        probe.refresh_from_db()
        assert probe.big == value
        assert TypeProbe.objects.filter(big=value).count() == 1
    TypeProbe.objects.filter(big=2**62 + 1).update(big=2**62 + 3)
    assert TypeProbe.objects.get(big=2**62 + 3).big == 2**62 + 3


def test_bulk_create_with_wide_integers() -> None:
    TypeProbe.objects.bulk_create([TypeProbe(big=2**40 + i) for i in range(5)])
    assert sorted(TypeProbe.objects.values_list("big", flat=True)) == [2**40 + i for i in range(5)]


def test_types_round_trip_exactly() -> None:
    when = datetime.datetime(2025, 3, 30, 1, 30, 5, 123456, tzinfo=ZoneInfo("Europe/Paris"))
    doc = {"nested": {"list": [1, 2.5, None, True], "text": "ünïcode ✓"}, "n": 2**53}
    token = uuid.uuid4()
    probe = TypeProbe.objects.create(
        when=when,
        day=datetime.date(2024, 2, 29),
        clock=datetime.time(23, 59, 59, 999999),
        amount=decimal.Decimal("12345678.1234"),
        blob=memoryview(b"\x00\xffbytes"),
        flag=False,
        doc=doc,
        token=token,
        ratio=0.1,
    )
    got = TypeProbe.objects.get(pk=probe.pk)
    assert got.when == when and got.when.tzinfo is not None
    assert got.day == datetime.date(2024, 2, 29)
    assert got.clock == datetime.time(23, 59, 59, 999999)
    assert got.amount == decimal.Decimal("12345678.1234")
    assert got.blob is not None and bytes(got.blob) == b"\x00\xffbytes"
    assert got.flag is False
    assert got.doc == doc
    assert got.token == token
    assert got.ratio == 0.1
    empty = TypeProbe.objects.create()
    empty.refresh_from_db()
    assert (empty.when, empty.flag, empty.doc, empty.blob, empty.big) == (None,) * 5


def test_json_lookups_use_the_engine_json_functions() -> None:
    TypeProbe.objects.create(doc={"kind": "a", "n": 1, "tags": ["x"]})
    TypeProbe.objects.create(doc={"kind": "b", "n": 2})
    assert TypeProbe.objects.filter(doc__kind="a").count() == 1
    assert TypeProbe.objects.filter(doc__n__gte=2).count() == 1
    assert TypeProbe.objects.filter(doc__has_key="tags").count() == 1


def test_integrity_errors_reach_django_as_integrity_error() -> None:
    TypeProbe.objects.create(label="same")
    with pytest.raises(IntegrityError, match="UNIQUE"), transaction.atomic():
        TypeProbe.objects.create(label="same")


def test_failed_atomic_leaves_no_row_behind() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        TypeProbe.objects.create(label="ghost")
        ProbeChild.objects.create(parent=TypeProbe.objects.get(label="ghost"), name="c")
        raise RuntimeError("boom")
    assert not TypeProbe.objects.filter(label="ghost").exists()
    assert not ProbeChild.objects.exists()


def test_nested_atomic_rolls_back_only_the_savepoint() -> None:
    with transaction.atomic():
        TypeProbe.objects.create(label="outer")
        with pytest.raises(IntegrityError), transaction.atomic():
            TypeProbe.objects.create(label="inner")
            TypeProbe.objects.create(label="outer")  # duplicate: savepoint rolls back
        TypeProbe.objects.create(label="after")
    assert set(TypeProbe.objects.values_list("label", flat=True)) == {"outer", "after"}


@pytest.mark.django_db(transaction=True)
def test_commit_is_durable_and_rollback_is_real() -> None:
    with transaction.atomic():
        TypeProbe.objects.create(label="kept")
    try:
        with transaction.atomic():
            TypeProbe.objects.create(label="dropped")
            raise ValueError
    except ValueError:
        pass
    # Foreign keys are deferred: the violation surfaces at COMMIT, and undoes it.
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), transaction.atomic():
        ProbeChild.objects.create(parent_id=987654, name="orphan")
    connection.close()  # a new connection sees only committed data
    assert list(TypeProbe.objects.values_list("label", flat=True)) == ["kept"]
    assert not ProbeChild.objects.exists()
    TypeProbe.objects.all().delete()


def test_date_functions_are_computed_in_sql() -> None:
    base = datetime.datetime(2024, 1, 31, 22, 15, tzinfo=datetime.UTC)
    for days in (0, 1, 1, 40):
        TypeProbe.objects.create(when=base + datetime.timedelta(days=days), day=base.date())
    per_day = (
        TypeProbe.objects.annotate(d=TruncDay("when"))
        .values("d")
        .annotate(n=Count("id"))
        .order_by("d")
    )
    assert [(row["d"].date().isoformat(), row["n"]) for row in per_day] == [
        ("2024-01-31", 1),
        ("2024-02-01", 2),
        ("2024-03-11", 1),
    ]
    assert TypeProbe.objects.filter(when__year=2024, when__month=2).count() == 2
    assert TypeProbe.objects.filter(when__date=datetime.date(2024, 2, 1)).count() == 2
    assert TypeProbe.objects.filter(day__month=1).count() == 4
    months = TypeProbe.objects.annotate(m=TruncMonth("when")).values_list("m", flat=True)
    assert {m.isoformat() for m in months} == {
        "2024-01-01T00:00:00+00:00",
        "2024-02-01T00:00:00+00:00",
        "2024-03-01T00:00:00+00:00",
    }
    # 2024-01-31 was a Wednesday: Django's week_day is Sunday=1, so 4.
    first = TypeProbe.objects.annotate(w=ExtractWeekDay("when")).order_by("when").first()
    assert first is not None and first.w == 4


def test_regex_works_and_unsupported_features_say_so() -> None:
    TypeProbe.objects.create(label="abc123")
    assert TypeProbe.objects.filter(label__regex=r"^abc\d+$").count() == 1
    with pytest.raises(NotSupportedError, match="__iregex"):
        list(TypeProbe.objects.filter(label__iregex="ABC"))
    with pytest.raises(NotSupportedError, match=r"order_by\('\?'\)"):
        list(TypeProbe.objects.order_by(Random()))
    with pytest.raises(NotSupportedError, match="MD5"):
        list(TypeProbe.objects.annotate(h=MD5("label")))


def test_non_utc_time_zone_date_functions_refuse_instead_of_lying() -> None:
    TypeProbe.objects.create(when=timezone.now())
    with (
        timezone.override(ZoneInfo("America/New_York")),
        pytest.raises(NotSupportedError, match="America/New_York"),
    ):
        list(TypeProbe.objects.filter(when__date=datetime.date(2024, 1, 1)))


def test_connection_pragmas_fit_a_server() -> None:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 5000


def test_raw_cursor_through_django_supports_both_param_styles() -> None:
    TypeProbe.objects.create(label="p1", big=1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT label FROM test_type_probe WHERE big = %s", [1])
        assert [r for r in cursor] == [("p1",)]
        cursor.execute("SELECT label FROM test_type_probe WHERE label = %(l)s", {"l": "p1"})
        assert cursor.fetchall() == [("p1",)]


def test_debug_query_log_quotes_parameters(settings) -> None:
    """DEBUG=1 logs every query with its parameters quoted by the engine."""
    from django.db import reset_queries

    settings.DEBUG = True
    reset_queries()
    TypeProbe.objects.create(label="it's", big=2**40, blob=b"\x01")
    assert TypeProbe.objects.filter(label="it's").count() == 1
    logged = " ".join(q["sql"] for q in connection.queries)
    assert "'it''s'" in logged and str(2**40) in logged and "X'01'" in logged
