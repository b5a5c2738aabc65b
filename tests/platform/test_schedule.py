"""The periodic-job table: every row names a real job, and each is claimed once per period."""

from backend.platform.schedule import PERIODIC_JOBS, due_jobs, resolve
from backend.platform.store import MemoryStore


def test_every_periodic_job_resolves_to_a_registered_job():
    assert PERIODIC_JOBS, "the nightly jobs (expiry, recompute, purge) must be scheduled"
    for job in PERIODIC_JOBS:
        fn = resolve(job.target)
        assert getattr(fn, "job_name", None), f"{job.target} is not decorated with backend.platform.jobs.job"


def test_a_job_is_claimed_once_per_period_even_with_several_schedulers():
    store = MemoryStore()  # stands for the one Redis every scheduler node shares
    first = due_jobs(store)
    second = due_jobs(store)
    assert {j.name for j in first} == {j.name for j in PERIODIC_JOBS}
    assert second == []


def test_run_due_runs_the_jobs_inline(app):
    result = app.test_cli_runner().invoke(args=["jobs", "run-due"])
    assert result.exit_code == 0, result.output
    for job in PERIODIC_JOBS:
        assert f"ran {job.name}" in result.output
