"""Operations: health of the parts, metrics, the scheduler heartbeat."""
