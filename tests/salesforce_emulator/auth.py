"""Logins the emulator answers: SOAP ``login`` and the OAuth 2.0 token endpoint.

The bodies follow Salesforce's: SOAP faults carry ``sf:exceptionCode``; OAuth errors are
``{"error", "error_description"}`` with status 400.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import jwt


@dataclass
class OrgUser:
    id: str
    username: str
    password: str
    security_token: str


@dataclass
class ConnectedApp:
    consumer_key: str
    consumer_secret: str
    public_key_pem: bytes | None = None


class LoginError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def new_session_id(org_id: str) -> str:
    return f"{org_id}!{secrets.token_urlsafe(48)}"


def _xml_value(body: str, tag: str) -> str | None:
    match = re.search(rf"<(?:\w+:)?{tag}>(.*?)</(?:\w+:)?{tag}>", body, re.DOTALL)
    if match is None:
        return None
    text = match.group(1)
    for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'")):
        text = text.replace(entity, char)
    return text.replace("&amp;", "&")


def soap_credentials(body: str) -> tuple[str, str]:
    """``(username, password+token)`` from a partner ``login`` envelope."""
    if "login" not in body:
        raise LoginError("INVALID_LOGIN", "not a login request")
    username = _xml_value(body, "username")
    password = _xml_value(body, "password")
    if username is None or password is None:
        raise LoginError("INVALID_LOGIN", "username and password are required")
    return username, password


def check_password(users: dict[str, OrgUser], username: str, secret: str) -> OrgUser:
    user = users.get(username.lower())
    if user is None or secret not in (
        user.password + user.security_token,
        user.password,  # trusted IP ranges: no token needed (Salesforce does the same)
    ):
        raise LoginError(
            "INVALID_LOGIN", "Invalid username, password, security token; or user locked out."
        )
    return user


def soap_login_response(session_id: str, server_url: str, user: OrgUser) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns="urn:partner.soap.sforce.com">'
        "<soapenv:Body><loginResponse><result>"
        f"<passwordExpired>false</passwordExpired><sandbox>false</sandbox>"
        f"<serverUrl>{escape(server_url)}</serverUrl>"
        f"<sessionId>{escape(session_id)}</sessionId>"
        f"<userId>{escape(user.id)}</userId>"
        "</result></loginResponse></soapenv:Body></soapenv:Envelope>"
    )


def soap_fault(code: str, message: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:sf="urn:fault.partner.soap.sforce.com" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<soapenv:Body><soapenv:Fault>"
        f"<faultcode>{escape(code)}</faultcode>"
        f"<faultstring>{escape(code)}: {escape(message)}</faultstring>"
        '<detail><sf:LoginFault xsi:type="sf:LoginFault">'
        f"<sf:exceptionCode>{escape(code)}</sf:exceptionCode>"
        f"<sf:exceptionMessage>{escape(message)}</sf:exceptionMessage>"
        "</sf:LoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )


def oauth_user(
    form: dict[str, str],
    *,
    users: dict[str, OrgUser],
    apps: dict[str, ConnectedApp],
    audiences: set[str],
) -> OrgUser:
    """The user a token request authenticates, or ``LoginError(error, description)``."""
    grant = form.get("grant_type", "")
    if grant == "password":
        app = apps.get(form.get("client_id", ""))
        if app is None:
            raise LoginError("invalid_client_id", "client identifier invalid")
        if form.get("client_secret") != app.consumer_secret:
            raise LoginError("invalid_client", "invalid client credentials")
        try:
            return check_password(users, form.get("username", ""), form.get("password", ""))
        except LoginError:
            raise LoginError("invalid_grant", "authentication failure") from None
    if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
        return _jwt_user(form.get("assertion", ""), users=users, apps=apps, audiences=audiences)
    raise LoginError("unsupported_grant_type", "grant type not supported")


def _jwt_user(
    assertion: str,
    *,
    users: dict[str, OrgUser],
    apps: dict[str, ConnectedApp],
    audiences: set[str],
) -> OrgUser:
    try:
        claims: dict[str, Any] = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise LoginError("invalid_grant", "invalid assertion") from None
    app = apps.get(str(claims.get("iss", "")))
    if app is None or app.public_key_pem is None:
        raise LoginError("invalid_client_id", "client identifier invalid")
    try:
        jwt.decode(
            assertion,
            app.public_key_pem,
            algorithms=["RS256"],
            audience=sorted(audiences),
            options={"require": ["exp", "sub", "aud", "iss"]},
            leeway=5,
        )
    except jwt.ExpiredSignatureError:
        raise LoginError("invalid_grant", "expired authorization code") from None
    except jwt.InvalidAudienceError:
        raise LoginError("invalid_grant", "audience is invalid") from None
    except jwt.PyJWTError:
        raise LoginError("invalid_grant", "invalid assertion") from None
    user = users.get(str(claims.get("sub", "")).lower())
    if user is None:
        raise LoginError("invalid_grant", "user hasn't approved this consumer")
    return user


def token_response(
    session_id: str, instance_url: str, user: OrgUser, org_id: str
) -> dict[str, Any]:
    return {
        "access_token": session_id,
        "instance_url": instance_url,
        "id": f"{instance_url}/id/{org_id}/{user.id}",
        "token_type": "Bearer",
        "issued_at": str(int(time.time() * 1000)),
        "signature": secrets.token_urlsafe(32),
    }
