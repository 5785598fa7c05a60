"""The seed Flask auth app (../shared/seed/flask_auth_system.md) as its README describes it: the
User model, /register hashing with werkzeug's generate_password_hash, /login answering an
access_token, /protected. Only the test runs it: scripts/interop/legacy-import.sh registers users
through it and imports its users.db into authd. SEED_HASH_METHOD picks werkzeug's method (its
default when unset); SEED_DIR is where users.db goes; the port is the first argument."""
import os
import sys

from flask import Flask, jsonify, request
from flask_jwt_extended import JWTManager, create_access_token, jwt_required
from flask_sqlalchemy import SQLAlchemy
from werkzeug.security import check_password_hash, generate_password_hash

app = Flask(__name__, instance_path=os.environ["SEED_DIR"])
app.config.update(
    SECRET_KEY="supersecretkey",
    SQLALCHEMY_DATABASE_URI="sqlite:///users.db",
    SQLALCHEMY_TRACK_MODIFICATIONS=False,
    JWT_SECRET_KEY="jwt_secret_key_that_is_long_enough_for_hs256",
)
db = SQLAlchemy(app)
JWTManager(app)


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    username = db.Column(db.String(100), unique=True, nullable=False)
    email = db.Column(db.String(100), unique=True, nullable=False)
    password = db.Column(db.String(100), nullable=False)
    role = db.Column(db.String(50), default="user")
    mfa_enabled = db.Column(db.Boolean, default=False)


@app.post("/register")
def register():
    data = request.get_json()
    method = os.environ.get("SEED_HASH_METHOD")
    hashed = generate_password_hash(data["password"], method=method) if method else generate_password_hash(data["password"])
    db.session.add(User(username=data["username"], email=data["email"], password=hashed))
    db.session.commit()
    return jsonify({"message": "User registered successfully"}), 201


@app.post("/login")
def login():
    data = request.get_json()
    user = User.query.filter_by(username=data["username"]).first()
    if user is None or not check_password_hash(user.password, data["password"]):
        return jsonify({"message": "Invalid credentials"}), 401
    return jsonify({"access_token": create_access_token(identity=str(user.id))})


@app.get("/protected")
@jwt_required()
def protected():
    return jsonify({"message": "Access granted"})


if __name__ == "__main__":
    with app.app_context():
        db.create_all()
    app.run(host="127.0.0.1", port=int(sys.argv[1]))
