"""User accounts in the admin: Django's own screens, with the rules of any input on the names and
the e-mail (``entitlements.services.account_errors``, from ``kamusm_portal.validators``), since
Django's user model carries no validators of ours. An official's or a trainer's account is made
through its own add form (``institutions.AccountAddForm``); this is where their names change."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm

from entitlements import services

User = get_user_model()


class AccountChangeForm(UserChangeForm):
    """Django's user change form; the names and the e-mail are refused next to their fields as the
    services refuse them."""

    def clean(self):
        data = super().clean()
        values = {name: data.get(name) or "" for name in ("email", "first_name", "last_name") if name in self.fields}
        for name, messages in services.account_errors(**values).items():
            if name not in self.errors:
                for message in messages:
                    self.add_error(name, message)
        return data


class AccountAdmin(UserAdmin):
    form = AccountChangeForm


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, AccountAdmin)
