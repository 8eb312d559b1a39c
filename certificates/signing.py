"""PAdES signatures on certificate PDFs (pyHanko), with a key and certificate from the settings.

Settings (paths from the environment): ``CERTIFICATE_SIGNING_KEY`` and ``CERTIFICATE_SIGNING_CERT``,
a private key and its X.509 certificate, PEM or DER (the certificate file may go on with the chain
up to the root); or ``CERTIFICATE_SIGNING_KEY`` alone naming a PKCS#12 file (``.p12``/``.pfx``).
``CERTIFICATE_SIGNING_KEY_PASSWORD`` unlocks an encrypted key.

Without them: with ``DEBUG`` on (``CERTIFICATE_SIGNING_DEMO``) a self-signed demo pair is made under
``var/signing/`` on first use, so a bare start signs too; with ``DEBUG`` off the system check
``certificates.E001`` says what is missing, and signing refuses.

A worker keeps its signer: the key parsed once (pyHanko's ``SimpleSigner`` re-parses the DER key
for every signature, twice counting the dry run that sizes it) and the signature's room reserved
up front, so no dry run. pyHanko is imported on first use only: importing this module (for the
system check) stays cheap.
"""

from __future__ import annotations

import datetime
import functools
import os
import shutil
import tempfile
from io import BytesIO
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

DEMO_COMMON_NAME = "Kamu SM Demo Sertifika İmzası"
DEMO_VALIDITY = datetime.timedelta(days=5 * 365 + 1)
SIGNATURE_FIELD = "Signature"
PKCS12_SUFFIXES = (".p12", ".pfx")
# Room for the CMS signature (hex digits in the PDF): the certificates it carries plus a generous
# margin for the signed attributes and the signature value itself (512 bytes for RSA-4096).
RESERVE_MARGIN = 4096
HINT = (
    "Set CERTIFICATE_SIGNING_KEY and CERTIFICATE_SIGNING_CERT to the paths of the signing key and "
    "its certificate (PEM or DER; or CERTIFICATE_SIGNING_KEY alone to a PKCS#12 .p12/.pfx file), and "
    "CERTIFICATE_SIGNING_KEY_PASSWORD if the key is encrypted. With DEBUG on a demo key is made instead."
)


# --- Where the key is --------------------------------------------------------------------------


def _configuration_problem() -> str:
    """What is missing from the signing settings, or ``""``. The demo pair counts as configured."""
    key, cert = settings.CERTIFICATE_SIGNING_KEY, settings.CERTIFICATE_SIGNING_CERT
    if key and (cert or key.lower().endswith(PKCS12_SUFFIXES)):
        return ""
    if not key and not cert and settings.CERTIFICATE_SIGNING_DEMO:
        return ""
    if not key:
        return "CERTIFICATE_SIGNING_KEY is not set: certificate PDFs cannot be signed."
    return "CERTIFICATE_SIGNING_CERT is not set: certificate PDFs cannot be signed."


def signing_files() -> tuple[Path, Path | None]:
    """The key file and certificate file to sign with (the certificate is ``None`` for PKCS#12).
    Makes the demo pair when that is what the settings call for."""
    problem = _configuration_problem()
    if problem:
        raise ImproperlyConfigured(problem + " " + HINT)
    key, cert = settings.CERTIFICATE_SIGNING_KEY, settings.CERTIFICATE_SIGNING_CERT
    if not key:
        return demo_pair(Path(settings.CERTIFICATE_SIGNING_DEMO_DIR))
    return Path(key), (Path(cert) if cert else None)


@checks.register(checks.Tags.security)
def signing_key_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Start-up (``runserver``, ``migrate``, ``check``, ``check --deploy``) says when there is no key
    to sign certificates with, or when the one configured cannot be used."""
    problem = _configuration_problem()
    if problem:
        return [checks.Error(problem, hint=HINT, id="certificates.E001")]
    if not settings.CERTIFICATE_SIGNING_KEY:
        return []  # the demo pair, made on first use
    try:
        key, cert = signing_files()
        _load_material(str(key), str(cert) if cert else "", _password(), _stamp(key, cert))
    except Exception as exc:  # whatever stops the files from loading, said at start-up
        return [checks.Error(f"The certificate signing key cannot be used: {exc}", hint=HINT, id="certificates.E002")]
    return []


def _password() -> bytes | None:
    password = settings.CERTIFICATE_SIGNING_KEY_PASSWORD
    return password.encode() if password else None


def _stamp(*paths: Path | None) -> tuple:
    """Changes when a file is replaced, so a worker picks up a renewed key without a restart."""
    return tuple((p.stat().st_mtime_ns, p.stat().st_size) for p in paths if p is not None)


# --- The demo pair -----------------------------------------------------------------------------


def demo_pair(folder: Path) -> tuple[Path, Path]:
    """A self-signed signing key and certificate under ``folder/demo/``, made on first use.

    Safe when several workers start at once: each makes a pair in a private temporary folder and
    renames it into place; ``rename`` of a folder onto a non-empty one fails, so the first pair wins
    whole (never one worker's key with another's certificate) and the others discard theirs."""
    final = folder / "demo"
    key, cert = final / "key.pem", final / "cert.pem"
    if key.is_file() and cert.is_file():
        return key, cert
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".demo-", dir=folder))  # mode 0700
    try:
        key_pem, cert_pem = self_signed_pair(DEMO_COMMON_NAME)
        _write_new(staging / "key.pem", key_pem, mode=0o600)
        _write_new(staging / "cert.pem", cert_pem, mode=0o644)
        try:
            staging.rename(final)
        except OSError:
            if not (key.is_file() and cert.is_file()):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already when the rename won
    return key, cert


def self_signed_pair(common_name: str, *, validity: datetime.timedelta = DEMO_VALIDITY) -> tuple[bytes, bytes]:
    """A new EC P-256 key and a self-signed certificate for signing documents, both PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kamu SM (demo)"),
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TR"),
        ]
    )
    now = datetime.datetime.now(tz=datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + validity)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private_key.public_key()), critical=False)
        .sign(private_key, hashes.SHA256())
    )
    key_pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM)


def _write_new(path: Path, data: bytes, *, mode: int) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


# --- Signing -----------------------------------------------------------------------------------


def pdf_sign(pdf: bytes) -> bytes:
    """``pdf`` with a PAdES signature (B-B) in the field ``Signature``."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    key, cert = signing_files()
    signer, reserve = _pdf_signer(str(key), str(cert) if cert else "", _password(), _stamp(key, cert))
    writer = IncrementalPdfFileWriter(BytesIO(pdf))
    return signer.sign_pdf(writer, bytes_reserved=reserve).getvalue()


@functools.lru_cache(maxsize=2)  # the current key, and the previous one while a renewal rolls out
def _pdf_signer(key_path: str, cert_path: str, password: bytes | None, stamp: tuple):
    from pyhanko.sign import fields, signers

    private_key, certificate, chain = _load_material(key_path, cert_path, password, stamp)
    signer = _signer_class()(private_key=private_key, certificate=certificate, chain=chain)
    metadata = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD, subfilter=fields.SigSeedSubFilter.PADES, md_algorithm="sha256"
    )
    carried = len(certificate.dump()) + sum(len(c.dump()) for c in chain)
    return signers.PdfSigner(metadata, signer=signer), 2 * (carried + RESERVE_MARGIN)


@functools.lru_cache(maxsize=2)
def _load_material(key_path: str, cert_path: str, password: bytes | None, stamp: tuple):
    """(private key as a ``cryptography`` object, certificate, other certificates) as asn1crypto
    objects. Raises ``ImproperlyConfigured`` when the files do not make a usable pair."""
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    key_data = Path(key_path).read_bytes()
    if not cert_path:
        private_key, cert, others = pkcs12.load_key_and_certificates(key_data, password)
        if private_key is None or cert is None:
            raise ImproperlyConfigured(f"{key_path} holds no private key with its certificate.")
        certs = [cert, *others]
    else:
        if b"-----BEGIN" in key_data:
            private_key = serialization.load_pem_private_key(key_data, password)
        else:
            private_key = serialization.load_der_private_key(key_data, password)
        cert_data = Path(cert_path).read_bytes()
        if b"-----BEGIN" in cert_data:
            certs = x509.load_pem_x509_certificates(cert_data)
        else:
            certs = [x509.load_der_x509_certificate(cert_data)]
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    if private_key.public_key().public_bytes(*spki) != certs[0].public_key().public_bytes(*spki):
        raise ImproperlyConfigured(f"The signing key {key_path} does not belong to the certificate {cert_path}.")
    as_asn1 = [asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in certs]
    return private_key, as_asn1[0], as_asn1[1:]


@functools.cache
def _signer_class():
    """pyHanko's ``SimpleSigner``, made cheap to call many times with one key:

    - the private key stays parsed (``SimpleSigner.sign_raw`` loads it from DER on every call);
    - the signing-certificate-v2 attribute (the signer certificate's hash, required by PAdES) is
      built once and kept in its encoded form: built afresh, asn1crypto re-encodes it over and over
      while the signature is assembled, about 90 % of the signing time."""
    from asn1crypto import keys, tsp
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from pyhanko.sign import attributes, signers
    from pyhanko.sign.general import as_signing_certificate_v2
    from pyhanko.sign.signers.pdf_cms import CAdESSignedAttributeProviderSpec, PdfCMSSignedAttributes
    from pyhanko_certvalidator.registry import SimpleCertificateStore
    from pyhanko_certvalidator.util import get_pyca_cryptography_hash

    class EncodedSigningCertificate(attributes.SigningCertificateV2Provider):
        def __init__(self, signing_cert):
            super().__init__(signing_cert=signing_cert)
            self.value = tsp.SigningCertificateV2.load(as_signing_certificate_v2(signing_cert).dump())

        async def build_attr_value(self, dry_run=False):
            return self.value

    class PadesAttributes(CAdESSignedAttributeProviderSpec):
        """PAdES B-B signed attributes (what pyHanko gives a PAdES signature without CAdES extras:
        the signing certificate, no signing time), the certificate's attribute encoded once."""

        def __init__(self, signing_cert):
            super().__init__(
                attr_settings=PdfCMSSignedAttributes(), signing_cert=signing_cert, is_pades=True, timestamper=None
            )
            self.provider = EncodedSigningCertificate(signing_cert)

        def signed_attr_providers(self, data_digest, digest_algorithm):
            yield self.provider

    class LoadedKeySigner(signers.SimpleSigner):
        def __init__(self, *, private_key, certificate, chain):
            der = private_key.private_bytes(
                serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            super().__init__(
                signing_cert=certificate,
                signing_key=keys.PrivateKeyInfo.load(der),
                cert_registry=SimpleCertificateStore.from_certs([certificate, *chain]),
            )
            self._private_key = private_key
            self.signed_attr_prov_spec = PadesAttributes(certificate)

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            key = self._private_key
            if mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
                return key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
            if mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
                return key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
            return super().sign_raw(data, digest_algorithm)  # PSS and the rest: pyHanko's own way

    return LoadedKeySigner
