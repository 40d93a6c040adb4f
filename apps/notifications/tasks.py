import dramatiq


# No Dramatiq retries: each channel retries what is transient itself (a bounded loop with backoff, see
# channels/outbound.py), so one message is one delivery row with its attempts and last answer.
@dramatiq.actor(queue_name="notifications", max_retries=0, time_limit=5 * 60 * 1000)
def notification_deliver(delivery_id: str) -> None:
    """Send one queued notification delivery and record the outcome."""
    from apps.notifications.delivery import notification_delivery_run

    notification_delivery_run(delivery_id=delivery_id)


@dramatiq.actor(max_retries=0)
def notification_deliveries_sweep() -> None:
    """Re-enqueue deliveries left queued (the broker was down at commit time, a worker died mid-way)."""
    from apps.notifications.delivery import notification_deliveries_stale

    for delivery_id in notification_deliveries_stale():
        notification_deliver.send(delivery_id)
