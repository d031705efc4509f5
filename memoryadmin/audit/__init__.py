"""The audit log: who triggered syncs, retried or dismissed items, created or
revoked keys, deleted episodes. Services record; the console lists."""
