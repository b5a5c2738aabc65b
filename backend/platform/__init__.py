"""What every context stands on, without HTTP: config, database and after-commit hooks, the key-value
store, jobs and the periodic-job table, domain errors. Nothing here imports Flask request state."""
