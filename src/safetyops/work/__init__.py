"""The labeling queue: next task, leases, submit, gold injection."""
