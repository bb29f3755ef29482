"""The audit log: who changed what, through which door."""
