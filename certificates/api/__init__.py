"""The REST API of attendance and certificates (docs/api.md), one module per subject:

- ``attendance``: a session's attendance sheet and its recording (which issues the certificates);
- ``certificates``: the certificates' list, each PDF, the streamed ZIP archive of a session or a
  program, revocation, and the public verification of a code.

Views check the shape of what comes in and call services and selectors; rules live there.
"""
