"""Races the row lock must win: simultaneous decisions and simultaneous uses of one approval."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from apps.approvals.models import ApprovalRequest, ApprovalStatus
from apps.approvals.services import approval_consume, approval_request_decide
from tests.approvals.conftest import quorum_of_two, request_for
from tests.approvals.test_events import Listener

pytestmark = pytest.mark.django_db(transaction=True)


def at_once(*functions):
    """Run the functions in threads released together; return what each returned or raised."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as error:
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, function)) for index, function in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results


def test_two_approvals_at_once_reach_the_quorum_exactly_once(alice, bob, charlie):
    from apps.approvals.services import approval_request_group

    request, _ = quorum_of_two(alice, bob, charlie)
    listener = Listener(approval_request_group(request.id))
    results = at_once(lambda: approval_request_decide(request=request, approver=bob, approve=True),
                      lambda: approval_request_decide(request=request, approver=charlie, approve=True))  # fmt: skip
    assert not any(isinstance(result, Exception) for result in results), results
    assert ApprovalRequest.objects.get(pk=request.pk).status == ApprovalStatus.APPROVED
    assert request.decisions.count() == 2
    assert listener.receive()["status"] == "approved"
    with pytest.raises(TimeoutError):
        listener.receive(timeout=0.3)  # one end, one message


def test_one_approval_used_by_two_calls_at_once_runs_one_of_them(alice):
    request, _ = request_for(alice)
    approval_request_decide(request=request, approver=alice, approve=True)

    def consume():
        return approval_consume(user=alice, tool_source=request.tool_source,
                                tool_name_at_source=request.tool_name_at_source,
                                arguments_digest=request.arguments_digest)  # fmt: skip

    results = at_once(*[consume] * 4)
    assert sum(result is not None for result in results) == 1, results
