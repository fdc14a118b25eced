"""TLS for every HTTP client of the load: one ``ssl.SSLContext`` from the target's ``tls_verify``.

``tls_verify`` comes from ``recqual.target_config`` (``True``, ``False`` or the absolute path of a CA
bundle). ``True`` verifies against the system's CAs, a path against that bundle only; both check the host
name. ``False`` verifies nothing (a lab with a self-signed certificate, by the operator's choice).

Called at connection time, so inside a Locust process the context is gevent's (``ssl`` is patched).
"""

from __future__ import annotations

import ssl


def context(verify: bool | str, **_ignored: object) -> ssl.SSLContext:
    """The client context for ``verify``; extra keyword arguments (a library's ``cafile=``) are ignored."""
    if verify is False:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if verify is True:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=str(verify))
