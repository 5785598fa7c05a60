"""Authlib's OAuth2Session against authd's token, introspection and revocation endpoints
(scripts/interop/authlib.sh registers the clients): what a Python service written with the
most used OAuth library sees."""
import os

from authlib.integrations.requests_client import OAuth2Session
from checks import check, finish

base = os.environ["AUTHD_URL"]
suffix = os.environ["SUFFIX"]
token_url, introspect_url, revoke_url = (f"{base}/oauth2/{path}" for path in ("token", "introspect", "revoke"))
reports = (f"reports{suffix}", os.environ["REPORTS_SECRET"])
other = (f"other{suffix}", os.environ["OTHER_SECRET"])
refresher = (f"refresher{suffix}", os.environ["REFRESHER_SECRET"])


def session(client, method="client_secret_basic", **kwargs):
    return OAuth2Session(client[0], client[1], token_endpoint_auth_method=method, **kwargs)


def error_of(call):
    """The RFC 6749 error code Authlib parsed from a refusal, or None when the call succeeded."""
    try:
        call()
    except Exception as error:  # Authlib raises its OAuthError with .error set from the body
        return getattr(error, "error", repr(error))
    return None


metadata = OAuth2Session().get(f"{base}/.well-known/oauth-authorization-server", withhold_token=True).json()
check(metadata["token_endpoint"].endswith("/oauth2/token"), "the metadata names the token endpoint")

for method in ("client_secret_basic", "client_secret_post"):
    client = session(reports, method, scope="reports:read")
    token = client.fetch_token(token_url, grant_type="client_credentials")
    check(token["token_type"] == "Bearer" and token["scope"] == "reports:read" and token["expires_in"] > 0
          and "refresh_token" not in token, f"{method}: a Bearer token with the scope asked for")

basic = session(reports)
token = basic.fetch_token(token_url, grant_type="client_credentials")
check(token["scope"] == "reports:read reports:write", "without scope: every scope the client may have")
access = token["access_token"]

introspected = basic.introspect_token(introspect_url, token=access).json()
check(introspected.get("active") is True and introspected.get("client_id") == reports[0]
      and introspected.get("scope") == "reports:read reports:write" and introspected.get("token_type") == "Bearer",
      "introspection: active, the client and its scopes")
by_other = session(other).introspect_token(introspect_url, token=access).json()
check(by_other.get("active") is True, "a resource server (a client allowed introspection) may introspect it too")
by_refresher = session(refresher).introspect_token(introspect_url, token=access).json()
check(by_refresher == {"active": False}, "a client not allowed introspection hears active false about another's token")

response = session(other).revoke_token(revoke_url, token=access)
check(response.status_code == 200 and basic.introspect_token(introspect_url, token=access).json()["active"] is True,
      "another client's revocation is a 200 that does nothing")
response = basic.revoke_token(revoke_url, token=access, token_type_hint="access_token")
check(response.status_code == 200, "its own client's revocation: 200")
check(basic.introspect_token(introspect_url, token=access).json() == {"active": False},
      "after revocation: active false and nothing else")
check(basic.introspect_token(introspect_url, token="not-a-token").json() == {"active": False},
      "a malformed token: active false")

errors = {
    "invalid_client": lambda: session((reports[0], "wrong" + reports[1])).fetch_token(
        token_url, grant_type="client_credentials"),
    "invalid_client (unknown client)": lambda: session(("nobody" + suffix, reports[1])).fetch_token(
        token_url, grant_type="client_credentials"),
    "invalid_scope": lambda: session(reports, scope="admin").fetch_token(token_url, grant_type="client_credentials"),
    "unsupported_grant_type": lambda: basic.fetch_token(
        token_url, grant_type="urn:ietf:params:oauth:grant-type:saml2-bearer"),
    "unauthorized_client": lambda: session(refresher).fetch_token(token_url, grant_type="client_credentials"),
    "invalid_grant": lambda: session(refresher).fetch_token(
        token_url, grant_type="refresh_token", refresh_token="a" * 43),
    # An empty parameter counts as absent (RFC 6749 §3.1). Authlib cannot send one twice.
    "invalid_request": lambda: basic.fetch_token(token_url, grant_type=""),
}
for expected, call in errors.items():
    got = error_of(call)
    check(got == expected.split(" ")[0], f"Authlib parses {expected}", f"got {got!r}")

finish()
