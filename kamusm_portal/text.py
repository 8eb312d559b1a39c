"""Turkish-aware text helpers.

Python's ``str.upper()``/``lower()`` map ``i``/``I`` the English way (``"istanbul".upper()``
gives ``ISTANBUL``); these helpers map the dotted and dotless i as Turkish does.
"""

import re
import unicodedata

_UPPER = str.maketrans({"i": "İ", "ı": "I"})
_LOWER = str.maketrans({"I": "ı", "İ": "i"})
_FOLD = str.maketrans({"ç": "c", "ğ": "g", "ı": "i", "ö": "o", "ş": "s", "ü": "u", "â": "a", "î": "i", "û": "u"})


def tr_upper(text: str) -> str:
    """``Işık`` → ``IŞIK``, ``İnci`` → ``İNCİ``."""
    return text.translate(_UPPER).upper()


def tr_lower(text: str) -> str:
    """``IŞIK`` → ``ışık``, ``İNCİ`` → ``inci``."""
    return text.translate(_LOWER).lower()


def tr_fold(text: str) -> str:
    """A search key: Turkish lower case, then the Turkish letters on their Latin base letters.

    ``Çankaya``, ``ÇANKAYA`` and ``cankaya`` all fold to ``cankaya``, so a search typed on any
    keyboard finds the name.
    """
    return " ".join(tr_lower(text).translate(_FOLD).split())


def ascii_words(text: str) -> str:
    """A name in lower-case ASCII words joined by dots, as the part of an e-mail address before
    ``@`` takes it (docs/domain.md, "What any input must respect"): the Turkish letters on their
    Latin base letters (``tr_fold``), other accents dropped, anything else a separator.
    ``İsmail Ağaoğlu`` → ``ismail.agaoglu``, ``Çağrı O'Neil`` → ``cagri.o.neil``."""
    folded = unicodedata.normalize("NFKD", tr_fold(text))
    return ".".join(re.findall(r"[a-z0-9]+", "".join(ch for ch in folded if ch.isascii())))


_ALPHABET = "abcçdefgğhıijklmnoöprsştuüvwxyz"
_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}


def tr_sort_key(text: str) -> tuple[tuple[int, str], ...]:
    """A Python sort key in Turkish alphabetical order (c < ç < d, ı < i, s < ş < t)."""
    lowered = tr_lower(text)
    return tuple((_RANK.get(ch, 100 + ord(ch)), ch) for ch in lowered)
