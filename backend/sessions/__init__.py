"""登录会话 (login sessions): every mini-program and staff login is a row that can be ended.

``models.py`` the table, ``services.py`` start / end / list, ``cache.py`` the per-request read
(the session and the account state in one indexed lookup, with a Redis read-through).
"""
