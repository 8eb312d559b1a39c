"""The REST API of the entitlements app (docs/api.md): token login, programs and their calculator,
institutions with their units and officials, one module per subject (an institution's
entitlements, which need its usage, are served by ``sessions.api.usage``):

- ``accounts``: token login, and the serializers of a new account (an official's, a trainer's);
- ``programs``: programs with their category tables, and the calculator;
- ``institutions``: institutions with their units, and their officials.

Views check the shape of what comes in and call services and selectors; rules live there.
Who may do what: anyone reads programs and the calculator; programme staff create and edit
institutions and officials and see every institution; an official reads only their own
institution (another one is 404 for every method, their own is 403 where their role may not act).

``AccountCreateSerializer`` is importable from here too: the sessions API builds on it.
"""

from entitlements.api.accounts import AccountCreateSerializer

__all__ = ["AccountCreateSerializer"]
