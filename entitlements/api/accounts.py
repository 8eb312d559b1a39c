"""Accounts in the API: token login, open to anyone (a wrong username or password is a 400
``invalid``), and the serializers of a new account, an official's or a trainer's."""

from __future__ import annotations

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import APIView

from kamusm_portal.api import EmailField, error_responses
from kamusm_portal.validators import validate_person_name

# --- Authentication -------------------------------------------------------------------------


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class TokenObtainView(APIView):
    """Exchange a username and password for the API token (``Authorization: Token <token>``).

    No authentication is tried, so a stale token header does not stand in the way of logging in;
    a wrong username or password is a 400 ``invalid``.
    """

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        auth=[],
        request=AuthTokenSerializer,
        responses={200: TokenSerializer, **error_responses(400)},
    )
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key}, status=status.HTTP_200_OK)


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
