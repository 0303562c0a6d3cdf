"""core.counters: the one locked counter behind application references and certificate
numbers."""

from __future__ import annotations

import pytest
from django.db import transaction

from applications.models import ReferenceCounter
from applications.services import _reference_next
from core.counters import counter_next
from tests import concurrency


@pytest.mark.django_db
def test_a_counter_starts_at_one_and_counts_up_per_key():
    with transaction.atomic():
        assert [counter_next(ReferenceCounter, year=2030) for _ in range(3)] == [1, 2, 3]
        assert counter_next(ReferenceCounter, year=2031) == 1
    assert ReferenceCounter.objects.get(year=2030).last == 3


@pytest.mark.django_db
def test_a_rolled_back_value_is_given_back():
    def fail_after_counting() -> None:
        with transaction.atomic():
            counter_next(ReferenceCounter, year=2030)
            raise RuntimeError("the caller failed")

    with pytest.raises(RuntimeError, match="the caller failed"):
        fail_after_counting()
    with transaction.atomic():
        assert counter_next(ReferenceCounter, year=2030) == 1


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_it_refuses_instead_of_leaking_the_lock():
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        counter_next(ReferenceCounter, year=2030)
    assert not ReferenceCounter.objects.exists()


@pytest.mark.postgres
@concurrency.needs_row_locks
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_references_are_consecutive():
    def take() -> str:
        with transaction.atomic():
            return _reference_next()

    outcomes = concurrency.run_together(20, take)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    assert errors == []
    assert sorted(int(ref.rsplit("-", 1)[1]) for ref in outcomes) == list(range(1, 21))
