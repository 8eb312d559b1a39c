"""What the certificate tests share."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509

from certificates import signing


def use_test_signing(settings, folder: Path, name: str) -> x509.Certificate:
    """A signing key and certificate of the tests' own (``name``) in ``folder``, and stored PDFs
    under ``folder/media``; answers the signing certificate. DEBUG is off in tests: no demo pair."""
    key_pem, cert_pem = signing.self_signed_pair(name)
    (folder / "key.pem").write_bytes(key_pem)
    (folder / "cert.pem").write_bytes(cert_pem)
    settings.CERTIFICATE_SIGNING_KEY = str(folder / "key.pem")
    settings.CERTIFICATE_SIGNING_CERT = str(folder / "cert.pem")
    settings.CERTIFICATE_SIGNING_KEY_PASSWORD = ""
    settings.MEDIA_ROOT = str(folder / "media")
    return x509.load_pem_x509_certificate(cert_pem)
