"""Contacts, mailing lists, import/export, de-duplication, suppression and segments."""
