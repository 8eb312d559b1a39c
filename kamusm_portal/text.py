"""Turkish-aware text helpers.

Python's ``str.upper()``/``lower()`` map ``i``/``I`` the English way (``"istanbul".upper()``
gives ``ISTANBUL``); these helpers map the dotted and dotless i as Turkish does.
"""

import importlib
import re
import unicodedata
from typing import Any

from django.template.defaultfilters import register as default_filters
from django.template.defaultfilters import stringfilter
from django.utils.functional import keep_lazy_text
from django.utils.translation import get_language

_UPPER = str.maketrans({"i": "İ", "ı": "I"})
_LOWER = str.maketrans({"I": "ı", "İ": "i"})
_FOLD = str.maketrans({"ç": "c", "ğ": "g", "ı": "i", "ö": "o", "ş": "s", "ü": "u", "â": "a", "î": "i", "û": "u"})


def tr_upper(text: str) -> str:
    """``Işık`` → ``IŞIK``, ``İnci`` → ``İNCİ``."""
    return text.translate(_UPPER).upper()


def tr_lower(text: str) -> str:
    """``IŞIK`` → ``ışık``, ``İNCİ`` → ``inci``."""
    return text.translate(_LOWER).lower()


@keep_lazy_text
def capfirst(text: Any) -> Any:
    """``text`` with its first letter a capital, as the active language writes it: in Turkish
    ``il`` → ``İl`` and ``ılık`` → ``Ilık``, where Django's own ``capfirst`` (``str.upper``) gives
    ``Il``. A lazy translation stays lazy. Django's admin, its forms and the ``capfirst`` template
    filter use this one (``turkish_capitals_use``)."""
    if not text:
        return text
    text = str(text)
    turkic = (get_language() or "").split("-")[0] in ("tr", "az")
    return (tr_upper(text[0]) if turkic else text[0].upper()) + text[1:]


# The modules that capitalise a name's first letter with Django's ``capfirst`` (``str.upper``, so
# Turkish ``il`` became ``Il``): the admin's app list, breadcrumbs, columns, labels and delete
# summaries, the model forms' labels, the models' validation messages, simple_history's pages.
CAPFIRST_USERS = (
    "django.utils.text",
    "django.template.defaultfilters",
    "django.contrib.admin.sites",
    "django.contrib.admin.options",
    "django.contrib.admin.utils",
    "django.contrib.admin.helpers",
    "django.contrib.admin.templatetags.admin_list",
    "django.contrib.auth.forms",
    "django.contrib.auth.management.commands.createsuperuser",
    "django.db.models.base",
    "django.db.models.fields",
    "django.forms.models",
    "simple_history.admin",
    "simple_history.template_utils",
)


def turkish_capitals_use() -> None:
    """Django's ``capfirst``, in every module above and as the ``capfirst`` template filter, gives
    way to ``capfirst`` here: the active language's capitals, ``İl`` in Turkish. One function fixes
    every place Django capitalises a name, its templates' and its Python's, where overriding each
    template and class would miss the next one. Called by the admin's app config before the admin
    loads (a template compiled earlier would keep Django's filter)."""
    for name in CAPFIRST_USERS:
        importlib.import_module(name).capfirst = capfirst  # type: ignore[attr-defined]
    default_filters.filter("capfirst", stringfilter(capfirst), is_safe=True)


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
