"""The msgids the portal's catalog (``locale/tr/LC_MESSAGES/django.po``) translates for the
packages it uses, not for its own code: the names, fieldset titles and help texts their admins
show (django-axes, django-otp, the REST framework's tokens), simple_history's pages, and Django's
own where its Turkish reads wrong ("Parola değiştime"). The portal's catalog wins over the
packages' (``LOCALE_PATHS``), so these read Turkish in the admin.

Nothing here runs: the module only lists the msgids, marked with ``gettext_noop``, because
``manage.py makemessages`` keeps only the msgids it finds in the project's own sources and would
mark every other entry obsolete, silently dropping its Turkish. ``tests/test_admin_turkish.py``
checks each one has its Turkish in the compiled catalog. A msgid that the portal's code already
passes to a translation function (``kamusm_portal.admin``'s names of the django-otp devices) is
not repeated here.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

MSGIDS = (
    # django-axes: its models' names and fields, its admins' columns, fieldsets and action.
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("Access lock out"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Attempt Time"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("Path"),
    gettext_noop("POST Data"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("User Agent"),
    # django-otp: its devices' admins' fieldset titles and its fields' help texts.
    gettext_noop("Identity"),
    gettext_noop("Timestamps"),
    gettext_noop("Configuration"),
    gettext_noop("State"),
    gettext_noop("Throttling"),
    gettext_noop("A hex-encoded secret key of up to 40 bytes."),
    gettext_noop("A timestamp of the last failed verification attempt. Null if last attempt succeeded."),
    gettext_noop("Is this device ready for use?"),
    gettext_noop("Number of successive failed attempts."),
    gettext_noop("The Unix time at which to begin counting steps."),
    gettext_noop("The date and time when this device was initially created in the system."),
    gettext_noop("The human-readable name of this device."),
    gettext_noop("The most recent date and time this device was used."),
    gettext_noop("The number of digits to expect in a token."),
    gettext_noop("The number of time steps in the past or future to allow."),
    gettext_noop("The number of time steps the prover is known to deviate from our clock."),
    gettext_noop("The t value of the latest verified token. The next token must be at a higher time step."),
    gettext_noop("The time step in seconds."),
    gettext_noop("The user that this device belongs to."),
    # The REST framework's tokens.
    gettext_noop("Auth Token"),
    gettext_noop("Token"),
    gettext_noop("Tokens"),
    # simple_history's history pages.
    gettext_noop("Change reason"),
    gettext_noop("Changed by"),
    gettext_noop("Changes"),
    gettext_noop("Choose a date from the list below to revert to a previous version of this object."),
    gettext_noop("Comment"),
    gettext_noop("Object"),
    gettext_noop("Revert"),
    gettext_noop("Revert %(verbose_name)s"),
    gettext_noop("This object doesn't have a change history."),
    gettext_noop("View %(verbose_name)s"),
    gettext_noop("View history: %s"),
    # Django's admin, where its own Turkish reads "Parola değiştime".
    gettext_noop("Password change"),
)

#: The plural msgids (their singular, as a lazy translation of one).
PLURAL_MSGIDS = (
    # The count of records on Django's and simple_history's history pages.
    ngettext_lazy("entry", "entries", 1),
)
