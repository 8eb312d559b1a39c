"""User accounts of the people the portal knows (an official, a trainer), and making a new user
an official of an institution."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from entitlements.models import Institution, Official
from kamusm_portal.errors import Code, RuleViolation
from kamusm_portal.services import service
from kamusm_portal.validators import Validator, input_errors, refuse, validate_email_address, validate_person_name

if TYPE_CHECKING:
    from django.contrib.auth.models import User
else:
    User = get_user_model()


_ACCOUNT_VALIDATORS: dict[str, tuple[Validator, ...]] = {
    "email": (validate_email_address,),
    "first_name": (validate_person_name,),
    "last_name": (validate_person_name,),
}


def account_errors(**values: str) -> dict[str, list[str]]:
    """What the rules of any input refuse in an account's ``email``, ``first_name`` and
    ``last_name`` (Django's user model carries no validators of ours), by field."""
    return input_errors({name: (value, _ACCOUNT_VALIDATORS[name]) for name, value in values.items()})


def account_create(
    *, username: str, email: str, first_name: str = "", last_name: str = "", password: str | None = None, **flags: Any
) -> User:
    """A new user account for a person the portal knows (an official, a trainer).

    The names must be people's names and the e-mail an address as every side takes it
    (``kamusm_portal.validators``); the username must be free; a given password must pass the
    validators. Without one the account gets an unusable password and a set-password link is
    e-mailed after commit.
    """
    from entitlements.tasks import send_set_password_email

    refuse(account_errors(email=email, first_name=first_name, last_name=last_name))
    if User.objects.filter(username=username).exists():
        raise RuleViolation(
            Code.USERNAME_TAKEN,
            _("The username %(username)s is taken.") % {"username": username},
            fields={"username": [_("This username is taken.")]},
        )
    user = User(username=username, email=email, first_name=first_name, last_name=last_name, **flags)
    if password:
        from django.contrib.auth.password_validation import validate_password
        from django.core.exceptions import ValidationError

        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise RuleViolation(Code.INVALID, " ".join(exc.messages), fields={"password": exc.messages}) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    if not password:
        send_set_password_email.delay_on_commit(user.pk)
    return user


@service
def official_create(
    *,
    institution: Institution,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    by: User | None = None,
) -> User:
    """Make a new user an official of ``institution`` (``account_create``: without a password,
    a set-password link is e-mailed after commit)."""
    user = account_create(username=username, email=email, first_name=first_name, last_name=last_name, password=password)
    Official.objects.create(user=user, institution=institution)
    return user
