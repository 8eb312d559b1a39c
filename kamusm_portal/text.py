"""Turkish-aware text helpers.

Python's ``str.upper()``/``lower()`` map ``i``/``I`` the English way (``"istanbul".upper()``
gives ``ISTANBUL``); these helpers map the dotted and dotless i as Turkish does.
"""

import importlib
import re
import sys
import unicodedata
from types import ModuleType
from typing import Any

from django.template import defaultfilters as default_filters_module
from django.template.defaultfilters import register as default_filters
from django.template.defaultfilters import stringfilter
from django.utils import text as django_text
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


#: Django's own ``capfirst`` functions (``str.upper``, so Turkish ``il`` becomes ``Il``): the
#: text helper and the template filter's (which ``django.contrib.admin.helpers`` imports by name),
#: kept to find the modules still holding one (``turkish_capitals_use``).
DJANGO_CAPFIRSTS = (django_text.capfirst, default_filters_module.capfirst)

# The modules known to capitalise a name's first letter with Django's ``capfirst``, each having
# imported it by name (``from django.utils.text import capfirst``): the admin's app list,
# breadcrumbs, columns, labels and delete summaries, the model forms' labels, the models'
# validation messages, simple_history's pages, the REST framework's serializer labels (its
# browsable API's forms) and django-filter's filter labels. Imported before the sweep so that a
# module nobody has imported yet does not keep Django's function when it is imported later by name
# from a module the sweep already passed. Found with ``grep -rl "import.*capfirst"`` over the
# installed packages; the sweep below also catches any module not listed here that is loaded.
CAPFIRST_USERS = (
    "django.utils.text",
    "django.template.defaultfilters",  # its filter function, imported by name by the admin's helpers
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
    "rest_framework.utils.field_mapping",
    "django_filters.utils",
)


def turkish_capitals_use() -> None:
    """Django's ``capfirst`` gives way to ``capfirst`` here, the active language's capitals
    (``İl`` in Turkish), wherever it is held: in ``django.utils.text`` (so a module imported later
    takes this one), in every loaded module that imported it by name (the ones above, imported
    first, and any other already loaded: ``sys.modules`` is swept for Django's functions
    themselves), and as the ``capfirst`` template filter. One function fixes every place Django
    and the packages built on it capitalise a name, in templates and in Python, where overriding
    each template and class would miss the next one. Must run before any template is compiled (a
    compiled template keeps the filter it was parsed with): see ``reports.apps.PortalAdminConfig``."""
    for name in CAPFIRST_USERS:
        importlib.import_module(name)
    for module in list(sys.modules.values()):
        # The module's own names only: a module-level ``__getattr__`` (a lazy or deprecated name)
        # is not asked for a name it does not hold.
        if isinstance(module, ModuleType) and any(vars(module).get("capfirst") is f for f in DJANGO_CAPFIRSTS):
            module.capfirst = capfirst  # type: ignore[attr-defined]
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
