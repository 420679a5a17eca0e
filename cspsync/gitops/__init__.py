"""Git-facing workflows: scope of a pull request, shards, drift, import, history."""
