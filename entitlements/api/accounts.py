"""Accounts in the API: token login, open to anyone (a wrong username or password is a 400
``invalid``, a locked-out (address, username) pair a 429 ``locked_out``, a staff user without their
second factor where it is required a 400 ``otp_required``), and the serializers of a new account,
an official's or a trainer's."""

from __future__ import annotations

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from kamusm_portal import second_factor
from kamusm_portal.api import EmailField, ErrorSerializer, error_responses
from kamusm_portal.errors import Code, RuleViolation
from kamusm_portal.sign_in import LockedOut, lockout_seconds
from kamusm_portal.validators import validate_person_name

# --- Authentication -------------------------------------------------------------------------


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


@extend_schema_serializer(component_name="AuthToken")  # the component's name before `otp` came
class TokenRequestSerializer(AuthTokenSerializer):
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        write_only=True,
        help_text=gettext_lazy(
            "Staff only, where staff sign in with a second factor: the 6-digit code of their authenticator "
            "(or one of their backup codes, used up)."
        ),
    )


class TokenObtainView(APIView):
    """Exchange a username and password for the API token (``Authorization: Token <token>``).

    No authentication is tried, so a stale token header does not stand in the way of logging in;
    a wrong username or password is a 400 ``invalid``. Failed logins lock the (address, username)
    pair (django-axes, ``kamusm_portal.sign_in``): then **429** ``locked_out`` with ``Retry-After``,
    even with the right password. Where staff sign in with a second factor
    (``STAFF_OTP_REQUIRED``), a staff user's ``otp`` must be a code of their confirmed device, else
    **400** ``otp_required``.
    """

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        auth=[],
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            **error_responses(400),
            429: OpenApiResponse(
                ErrorSerializer,
                description=gettext_lazy(
                    "`locked_out`: too many failed logins for this username from this address; "
                    "`Retry-After` says in how many seconds the lock-out ends."
                ),
            ),
        },
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            if getattr(request, "axes_locked_out", False):  # django-axes marks the request it refused
                raise LockedOut(lockout_seconds(request, getattr(request, "axes_credentials", None)))
            serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        if second_factor.required_for(user):
            self._check_second_factor(user, serializer.validated_data.get("otp", ""))
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key}, status=status.HTTP_200_OK)

    @staticmethod
    def _check_second_factor(user, code: str) -> None:
        if not second_factor.has_authenticator(user):
            message = _("Set up your second factor first: sign in to the portal in a browser, which leads you to it.")
        elif not code:
            message = _("Staff sign in with a second factor: send the 6-digit code of your authenticator as otp.")
        elif second_factor.code_device(user, code) is None:
            message = str(second_factor.WRONG_CODE)
        else:
            return
        raise RuleViolation(Code.OTP_REQUIRED, message, fields={"otp": [message]})


# --- New accounts ---------------------------------------------------------------------------


class AccountCreateSerializer(serializers.Serializer):
    """A new account (an official's, a trainer's): ``entitlements.services.account_create``."""

    username = serializers.CharField(max_length=150, validators=[UnicodeUsernameValidator()])
    email = EmailField()
    first_name = serializers.CharField(max_length=150, validators=[validate_person_name])
    last_name = serializers.CharField(max_length=150, validators=[validate_person_name])
    password = serializers.CharField(
        write_only=True,
        required=False,
        allow_null=True,
        allow_blank=True,
        style={"input_type": "password"},
        help_text=gettext_lazy("Optional; without it a link to set the password is e-mailed."),
    )


class OfficialCreateSerializer(AccountCreateSerializer):
    pass


class OfficialCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text=gettext_lazy("The user id."))
    username = serializers.CharField()
