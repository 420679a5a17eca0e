"""The reseller-relationship invitation: ledger, templates, sending, reminders."""
