"""Demo data (演示数据) for development and the scale loader for benchmarks.

``flask demo seed`` fills a small, realistic 淮安区 through the domain services (idempotent);
``flask demo seed --scale N`` bulk-loads N persons, N/8 firms and about four records per subject
(PostgreSQL: COPY). Both are refused when the app runs with production settings.
"""
