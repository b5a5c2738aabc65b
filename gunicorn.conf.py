"""gunicorn settings for production: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every value can be overridden from the environment, so the same file serves every node.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then (bounded memory over weeks of uptime), but rarely: a new worker imports
# the app (about a second of CPU) and, without Redis, starts with an empty in-process store (account
# state, rendered cards); recycling also bounds that store, which drops an expired entry only when
# it is read (with Redis it holds nothing).
# GUNICORN_MAX_REQUESTS=0 turns recycling off (the card benchmark does, to measure serving only).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 100_000))
max_requests_jitter = max_requests // 10
accesslog = "-"
# %(U)s is the path WITHOUT the query string: a staff search may carry a resident ID number in its
# query (?subject_code=…), and personal data never goes to a log.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
# Request line and header limits just above the app's own (backend/http/request_guard.py:
# MAX_REQUEST_TARGET, MAX_HEADER_FIELD = 8000), so the app answers an over-long request in the JSON
# error shape (414 / 431) instead of gunicorn's HTML page. 8190 is gunicorn's largest finite
# request line; lines longer still get gunicorn's HTML 414: the reverse proxy must refuse them first
# (see notes: nginx large_client_header_buffers and a JSON error_page).
limit_request_line = 8190
limit_request_field_size = 8190 + 100
limit_request_fields = 100
# Only the load balancer may set X-Forwarded-*; the app trusts TRUSTED_PROXIES hops of them.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
