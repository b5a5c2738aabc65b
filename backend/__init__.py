"""信用淮安区 service backend.

The app factory is :func:`backend.app.create_app`; importing a domain module (``backend.evaluation.engine``)
does not load Flask. Layers: ``platform/`` (no HTTP), ``http/`` (the request pipeline), one package per context.
"""
