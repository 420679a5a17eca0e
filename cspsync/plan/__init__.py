"""The plan: typed, frozen data built in one pass from declarations, observation and prices."""
