"""Every certificate PDF carries a PAdES signature made with the key and certificate of the settings
(pyHanko); with DEBUG on and no key a demo pair is made under var/, with DEBUG off start-up says
what is missing. The tests make their own key (an RSA-2048 one, unlike the demo's EC P-256)."""

from __future__ import annotations

import datetime
import hashlib
import stat
import threading
from io import BytesIO

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from certificates import signing
from certificates.models import Certificate
from certificates.rendering import certificate_pdf

KEY_PASSWORD = "test-anahtar-parolası"


def _certificate(**fields) -> Certificate:
    """An unsaved certificate: enough to render a PDF, no database needed."""
    values = {
        "serial": "KSM-2012-000042",
        "code": "7KQM4XZ29DHF3BRT",
        "language": "tr",
        "participant_name": "Işıl İnci Güneş",
        "institution_name": "Kırşehir Valiliği",
        "course_title": "E-İmza Kullanımı",
        "hours": 8,
        "starts_on": datetime.date(2026, 3, 4),
        "ends_on": datetime.date(2026, 3, 4),
        "place": "Ankara",
    }
    return Certificate(**{**values, **fields})


def _self_signed(private_key, common_name: str) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(tz=datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(private_key, hashes.SHA256())
    )


@pytest.fixture
def test_key(tmp_path, settings):
    """An RSA-2048 signing key (encrypted with a password) and its self-signed certificate, in
    tmp_path and in the settings. Answers the certificate, the trust root of the validation."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = _self_signed(private_key, "Kamu SM test signer")
    key_path, cert_path = tmp_path / "signer.key", tmp_path / "signer.pem"
    key_path.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(KEY_PASSWORD.encode()),
        )
    )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    settings.CERTIFICATE_SIGNING_KEY = str(key_path)
    settings.CERTIFICATE_SIGNING_CERT = str(cert_path)
    settings.CERTIFICATE_SIGNING_KEY_PASSWORD = KEY_PASSWORD
    return certificate


def _validate(pdf: bytes, trusted: x509.Certificate):
    reader = PdfFileReader(BytesIO(pdf))
    (embedded,) = reader.embedded_signatures
    root = asn1_x509.Certificate.load(trusted.public_bytes(serialization.Encoding.DER))
    return embedded, validate_pdf_signature(embedded, ValidationContext(trust_roots=[root]))


def test_the_signature_validates_with_pyhanko_against_the_test_signing_certificate(test_key):
    signed = signing.pdf_sign(certificate_pdf(_certificate()))

    embedded, status = _validate(signed, test_key)
    assert (status.intact, status.valid, status.trusted) == (True, True, True)
    assert status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert embedded.field_name == "Signature"
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    assert status.signing_cert.subject.native["common_name"] == "Kamu SM test signer"


def test_the_signature_is_pades_b_b_naming_the_signing_certificate_and_no_signing_time(test_key):
    embedded, _status = _validate(signing.pdf_sign(certificate_pdf(_certificate())), test_key)

    attributes = {a["type"].native: a["values"] for a in embedded.signer_info["signed_attrs"]}
    assert "signing_time" not in attributes  # PAdES keeps the time in the signature dictionary
    (value,) = attributes["signing_certificate_v2"]
    cert_der = test_key.public_bytes(serialization.Encoding.DER)
    assert value["certs"][0]["cert_hash"].native == hashlib.sha256(cert_der).digest()


def test_a_tampered_pdf_no_longer_validates(test_key):
    signed = bytearray(signing.pdf_sign(certificate_pdf(_certificate())))
    at = signed.index(b"\n%") + 2  # the binary comment under the header: covered, and harmless to the parser
    signed[at] ^= 0x01

    _embedded, status = _validate(bytes(signed), test_key)
    assert not status.intact
    assert not status.bottom_line


def test_a_pkcs12_file_alone_signs_too(tmp_path, settings):
    private_key = ec.generate_private_key(ec.SECP256R1())
    certificate = _self_signed(private_key, "Kamu SM PKCS#12 signer")
    bundle = tmp_path / "signer.p12"
    bundle.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"signer", private_key, certificate, None, serialization.BestAvailableEncryption(b"p12-secret")
        )
    )
    settings.CERTIFICATE_SIGNING_KEY = str(bundle)
    settings.CERTIFICATE_SIGNING_CERT = ""
    settings.CERTIFICATE_SIGNING_KEY_PASSWORD = "p12-secret"

    _embedded, status = _validate(signing.pdf_sign(certificate_pdf(_certificate())), certificate)
    assert status.bottom_line


@pytest.fixture
def no_key(settings, tmp_path):
    settings.CERTIFICATE_SIGNING_KEY = ""
    settings.CERTIFICATE_SIGNING_CERT = ""
    settings.CERTIFICATE_SIGNING_KEY_PASSWORD = ""
    settings.CERTIFICATE_SIGNING_DEMO_DIR = tmp_path / "var" / "signing"
    return settings.CERTIFICATE_SIGNING_DEMO_DIR


def test_with_debug_on_and_no_key_a_self_signed_demo_pair_is_made_under_var_on_first_use(settings, no_key):
    settings.DEBUG = True
    settings.CERTIFICATE_SIGNING_DEMO = True
    assert not no_key.exists()

    signed = signing.pdf_sign(certificate_pdf(_certificate()))

    key, cert = no_key / "demo" / "key.pem", no_key / "demo" / "cert.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    demo = x509.load_pem_x509_certificate(cert.read_bytes())
    assert demo.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Kamu SM Demo Sertifika İmzası"
    lifetime = demo.not_valid_after_utc - demo.not_valid_before_utc
    assert datetime.timedelta(days=5 * 365) < lifetime < datetime.timedelta(days=5 * 365 + 3)
    _embedded, status = _validate(signed, demo)
    assert status.bottom_line

    made = key.read_bytes()
    signing.pdf_sign(certificate_pdf(_certificate()))  # second use: the same pair
    assert key.read_bytes() == made
    assert signing.signing_key_check() == []


def test_workers_making_the_demo_pair_at_the_same_moment_end_with_one_whole_pair(no_key):
    barrier = threading.Barrier(8)
    answers, errors = [], []

    def make():
        barrier.wait()
        try:
            answers.append(signing.demo_pair(no_key))
        except Exception as exc:  # pragma: no cover - what the test is looking for
            errors.append(exc)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(set(answers)) == 1
    key_path, cert_path = answers[0]
    key = serialization.load_pem_private_key(key_path.read_bytes(), None)
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    spki = serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    assert key.public_key().public_bytes(*spki) == cert.public_key().public_bytes(*spki)
    assert sorted(p.name for p in no_key.iterdir()) == ["demo"]  # the losers' pairs are gone


def test_with_debug_off_and_no_key_start_up_says_what_is_missing(settings, no_key):
    settings.DEBUG = False
    settings.CERTIFICATE_SIGNING_DEMO = False

    (error,) = signing.signing_key_check()
    assert error.id == "certificates.E001"
    assert "CERTIFICATE_SIGNING_KEY" in error.msg
    assert "CERTIFICATE_SIGNING_CERT" in error.hint
    with pytest.raises(SystemCheckError, match=r"certificates\.E001"):
        call_command("check", "--deploy")
    with pytest.raises(ImproperlyConfigured, match="CERTIFICATE_SIGNING_KEY"):
        signing.pdf_sign(b"%PDF-1.7")
    assert not no_key.exists()  # no demo key without DEBUG


def test_a_key_without_its_certificate_or_not_matching_it_is_reported(settings, test_key, tmp_path):
    settings.CERTIFICATE_SIGNING_CERT = ""
    (error,) = signing.signing_key_check()
    assert (error.id, "CERTIFICATE_SIGNING_CERT" in error.msg) == ("certificates.E001", True)

    other = tmp_path / "other.pem"
    other.write_bytes(
        _self_signed(ec.generate_private_key(ec.SECP256R1()), "other").public_bytes(serialization.Encoding.PEM)
    )
    settings.CERTIFICATE_SIGNING_CERT = str(other)
    (error,) = signing.signing_key_check()
    assert error.id == "certificates.E002"
    assert "does not belong" in error.msg

    settings.CERTIFICATE_SIGNING_CERT = str(tmp_path / "missing.pem")
    (error,) = signing.signing_key_check()
    assert error.id == "certificates.E002"


def test_a_configured_key_passes_the_check(test_key):
    assert signing.signing_key_check() == []
