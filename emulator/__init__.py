"""A stateful emulated Imagicle UCX Call Recording server.

It is the default target the recqual suite qualifies, so it must be faithful on its own: it imports
nothing from ``strategies``, ``contract``, ``load`` or ``recqual`` (only ``specs``, which gives paths).
Start it with ``python -m emulator``, or build the ASGI app in-process with
``emulator.app.create_app()``.
"""
