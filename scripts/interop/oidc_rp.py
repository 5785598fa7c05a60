"""A small OpenID Connect relying party, as an application would write it with PyPI Authlib's
Flask client: discovery, the code flow with PKCE (S256) and a nonce, the ID token validated by
Authlib against the JWK Set. Usage: oidc_rp.py PORT ISSUER CLIENT_ID CLIENT_SECRET.

/            the signed-in user's name (from the ID token), or a link to sign in
/login       to authd; /login?prompt=none asks without any page; /login?mode=form_post asks for
             the answer as a posted form (OAuth 2.0 Form Post Response Mode)
/callback    the code exchanged (from the query, or from a posted form); an error from authd is
             shown as `error: CODE`; / then says how the answer came (`via`)
/logout      RP-initiated logout: to authd's end_session_endpoint with the ID token as the hint,
             back to / (registered as a redirect URI too)
"""
import os
import sys
from urllib.parse import urlencode

from authlib.integrations.flask_client import OAuth
from flask import Flask, redirect, request, session, url_for

port, issuer, client_id, client_secret = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
app = Flask(__name__)
app.secret_key = os.urandom(32)
# Each relying party on 127.0.0.1 under its own port: its own session cookie name.
app.config["SESSION_COOKIE_NAME"] = f"rp{port}"
oauth = OAuth(app)
oauth.register(
    "authd",
    client_id=client_id,
    client_secret=client_secret,
    server_metadata_url=issuer + "/.well-known/openid-configuration",
    client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256"},
)


@app.route("/")
def index():
    user = session.get("user")
    if not user:
        return '<p id="who">nobody</p><a href="/login">sign in</a>'
    return (
        f'<p id="who">{user["preferred_username"]}</p>'
        f'<p id="sub">{user["sub"]}</p><p id="amr">{" ".join(user["amr"])}</p><p id="via">{session.get("via")}</p>'
    )


@app.route("/login")
def login():
    extra = {"prompt": request.args["prompt"]} if "prompt" in request.args else {}
    if "mode" in request.args:
        extra["response_mode"] = request.args["mode"]
    return oauth.authd.authorize_redirect(url_for("callback", _external=True), **extra)


@app.route("/callback", methods=["GET", "POST"])
def callback():
    answer = request.args if request.method == "GET" else request.form
    if "error" in answer:
        return f'<p id="error">error: {answer["error"]}</p>'
    token = oauth.authd.authorize_access_token()
    session["via"] = request.method
    session["user"] = dict(token["userinfo"])
    session["id_token"] = token["id_token"]
    return redirect("/")


@app.route("/logout")
def logout():
    metadata = oauth.authd.load_server_metadata()
    hint = session.pop("id_token", "")
    session.clear()
    return redirect(
        metadata["end_session_endpoint"]
        + "?"
        + urlencode({"id_token_hint": hint, "post_logout_redirect_uri": url_for("index", _external=True), "state": "out"})
    )


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(port))
