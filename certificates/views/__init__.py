"""Pages of attendance and certificates, one module per subject:

- ``attendance``: the attendance sheet (programme staff and the session's trainer; recording it
  issues the certificates);
- ``certificates``: the officials' list with their PDFs and ZIP archives, and the delivery shared
  with the API (``certificates.api``): a certificate's PDF as a file answer and the streamed ZIP
  archive;
- ``verify``: the public verification page (no login: the code is the key), and the per-address
  rate limit of verification, which the API shares.

An official reaches their own institution's certificates only (another institution's is a 404,
never a 403); programme staff reach all of them. Verification shows only what the certificate
says (``selectors.certificate_public_facts``): never a kimlik no or an e-mail.
"""
