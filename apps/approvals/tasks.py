import logging

import dramatiq

log = logging.getLogger(__name__)


@dramatiq.actor(max_retries=0, time_limit=5 * 60 * 1000)
def approval_requests_sweep() -> None:
    """Expire pending requests past their timeout and escalate overdue ones (the scheduler sends this often)."""
    from apps.approvals.services import approval_requests_escalate, approval_requests_expire

    expired = approval_requests_expire()
    escalated = approval_requests_escalate()
    if expired or escalated:
        log.info("approval sweep: %d expired, %d escalated", expired, escalated)
