"""Apply: run a plan's ready actions in dependency order, one handler per action kind, with a record."""
