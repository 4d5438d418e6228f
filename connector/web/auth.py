"""Sign in and out, the first-run admin, API tokens (each user's own) and users (admins)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user

from connector.platform.db import get_db
from connector.web.models import UserRole
from connector.platform.services import Invalid, NotFound
from connector.web import users as users_service
from connector.web.security import login_window, role_required
from connector.web.users import Principal

bp = Blueprint("web_auth", __name__, template_folder="templates")


class WebUser(UserMixin):
    """Flask-Login's view of a signed-in ``Principal``."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal
        self.id = str(principal.id)
        self.email = principal.email
        self.role = principal.role


def _safe_next(target: str | None) -> str:
    """Only a local path: an open redirect after login would make phishing easy."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc \
            and "\\" not in target:
        return target
    return url_for("web.dashboard")


def _client_ip() -> str:
    return request.remote_addr or "unknown"


@bp.route("/login", methods=["GET", "POST"])
def login():
    db = get_db()
    if users_service.count_users(db) == 0:
        return redirect(url_for("web_auth.setup"))
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    error, email = None, ""
    if request.method == "POST":
        email = request.form.get("email", "")[:320]
        if not login_window().allow(_client_ip()):
            return render_template("web/login.html", error="Too many sign-in attempts from your address: "
                                   "wait a few minutes.", email=email), 429
        try:
            principal = users_service.authenticate(db, email, request.form.get("password", ""))
        except users_service.LoginRefused as exc:
            error = str(exc).capitalize() + "."
        else:
            session.clear()  # a fresh session: no fixation across the login
            login_user(WebUser(principal))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("web/login.html", error=error, email=email), (401 if error else 200)


@bp.route("/setup", methods=["GET", "POST"])
def setup():
    """First run: create the first admin. Closed for good once any user exists."""
    db = get_db()
    if users_service.count_users(db):
        return redirect(url_for("web_auth.login"))
    errors, email = {}, ""
    if request.method == "POST":
        email = request.form.get("email", "")[:320]
        password = request.form.get("password", "")
        if password != request.form.get("confirm", ""):
            errors = {"confirm": ["the two passwords differ"]}
        else:
            try:
                principal = users_service.create_first_admin(db, email, password)
            except Invalid as exc:
                errors = exc.errors
            else:
                session.clear()
                login_user(WebUser(principal))
                flash("Welcome! You are the first admin. Next: connect a CRM, then write your rules.", "ok")
                return redirect(url_for("web.dashboard"))
    return render_template("web/setup.html", errors=errors, email=email), (422 if errors else 200)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    session.clear()
    return redirect(url_for("web_auth.login"))


@bp.route("/settings/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    db = get_db()
    principal = current_user.principal
    new_token, errors = None, {}
    if request.method == "POST":
        try:
            new_token = users_service.create_token(db, principal, request.form.get("name", ""))
        except Invalid as exc:
            errors = exc.errors
    return render_template("web/tokens.html", tokens=users_service.list_tokens(db, principal),
                           new_token=new_token, errors=errors), (422 if errors else 200)


@bp.post("/settings/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    try:
        users_service.revoke_token(get_db(), current_user.principal, token_id)
    except NotFound:
        flash("That token does not exist.", "error")
    else:
        flash("Token revoked: requests using it now get 401.", "ok")
    return redirect(url_for("web_auth.tokens"))


@bp.route("/settings/users", methods=["GET", "POST"])
@role_required("admin")
def users():
    db = get_db()
    errors, form = {}, {}
    if request.method == "POST":
        form = {"email": request.form.get("email", ""), "role": request.form.get("role", "")}
        try:
            created = users_service.create_user(db, form["email"], request.form.get("password", ""), form["role"],
                                                actor=current_user.email)
        except Invalid as exc:
            errors = exc.errors
        else:
            flash(f"{created.email} can now sign in as {created.role}.", "ok")
            return redirect(url_for("web_auth.users"))
    return render_template("web/users.html", users=users_service.list_users(db), errors=errors, form=form,
                           roles=[r.value for r in UserRole]), (422 if errors else 200)


@bp.post("/settings/users/<int:user_id>/<any(enable, disable):action>")
@role_required("admin")
def toggle_user(user_id: int, action: str):
    try:
        users_service.set_active(get_db(), user_id, action == "enable", actor=current_user.principal)
    except (Invalid, NotFound) as exc:
        flash(" ".join(exc.messages()) if isinstance(exc, Invalid) else str(exc), "error")
    else:
        flash("User switched " + ("on." if action == "enable" else "off: their sessions and tokens stop working."),
              "ok")
    return redirect(url_for("web_auth.users"))


def _load_user(user_id: str) -> WebUser | None:
    try:
        principal = users_service.load_principal(get_db(), int(user_id))
    except ValueError:
        return None
    return WebUser(principal) if principal else None


def init_app(app: Flask) -> None:
    login = LoginManager()
    login.login_view = "web_auth.login"
    login.login_message = "Please sign in to continue."
    login.session_protection = "strong"
    login.init_app(app)
    login.user_loader(_load_user)
    app.register_blueprint(bp)
