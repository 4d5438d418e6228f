"""Rules: the ordered list, the editor, versions (diff, rollback), import and export.

When ``LEADROUTER_ROUTING_CONFIG`` names a file, that file manages the rules: these pages say
so, show its path, offer no edit, save, rollback or import form, and refuse any post (409).
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from connector.routing import store as routing_store
from connector.platform.db import get_db
from connector.platform.services import Invalid, NotFound, ServiceError
from connector.routing import rules as rules_service
from connector.routing import config_edit
from connector.web import defaults_form, rule_form

bp = Blueprint("web_rules", __name__, url_prefix="/settings/rules", template_folder="templates")


@bp.before_request
def _read_only_when_a_file_manages_the_rules():
    owner = rules_service.managed_file(get_db())
    if owner is None:
        return None
    if request.method == "POST" or request.endpoint in ("web_rules.new", "web_rules.import_"):
        return render_template("web/error.html", status=409, message=routing_store.refusal(owner).capitalize()
                               + "."), 409
    if request.endpoint == "web_rules.edit":
        return _read_only_rule(request.view_args["index"], owner)
    return None


@bp.context_processor
def _managed_by():
    """``managed_by``: the file that owns the rules, for every rules template (None: the database)."""
    return {"managed_by": rules_service.managed_file(get_db())}


def _read_only_rule(index: int, owner):
    number, data = rules_service.active(get_db())
    rules = data.get("rules") or []
    if not 0 <= index < len(rules):
        return render_template("web/error.html", status=404, message=f"There is no rule number {index + 1}."), 404
    return render_template("web/rule_view.html", rule=rules[index], text=rules_service.to_text(rules[index]),
                           version=number)


def _base_version() -> int | None:
    raw = request.form.get("base_version", "")
    return int(raw) if raw.isdigit() else None


@bp.get("/")
def index():
    number, data = rules_service.active(get_db())
    return render_template("web/rules.html", version=number, rules=data.get("rules") or [],
                           fallback=data.get("fallback"))


def _targets(data: dict) -> list[str]:
    return [f"team:{t.get('id')}" for t in data.get("teams") or []] + \
           [f"rep:{r.get('id')}" for r in data.get("reps") or []]


def _editor(index: int | None):
    db = get_db()
    number, data = rules_service.active(db)
    rules = data.get("rules") or []
    if index is not None and not 0 <= index < len(rules):
        return render_template("web/error.html", status=404, message=f"There is no rule number {index + 1}."), 404
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        rule, errors = rule_form.form_to_rule(request.form, rules[index] if index is not None else None)
        if not errors:
            try:
                saved = rules_service.save_rule(db, index, rule, actor=current_user.email,
                                                base_version=_base_version())
            except Invalid as exc:
                errors = rule_form.field_errors(exc.errors)
            except ServiceError as exc:
                errors = {"": [str(exc)]}
            else:
                if saved == number:
                    flash(f"Nothing changed: rule {rule['name']} is as it was (version {saved}).", "ok")
                else:
                    flash(f"Saved rule {rule['name']} as version {saved}; it routes new leads from now on.", "ok")
                return redirect(url_for("web_rules.index"))
        form = rule_form.rule_to_form(rule)
        if request.form.get("nested") is not None:
            form["nested"] = request.form.get("nested")
    else:
        form = rule_form.rule_to_form(rules[index] if index is not None else None)
    kept = rule_form.kept_keys(rules[index] if index is not None else None)
    return render_template("web/rule_edit.html", form=form, index=index, errors=errors, version=number,
                           vocab=rule_form.vocabulary(), targets=_targets(data),
                           kept=rules_service.to_text(kept) if kept else None), (422 if errors else 200)


@bp.route("/new", methods=["GET", "POST"])
def new():
    return _editor(None)


@bp.route("/<int:index>/edit", methods=["GET", "POST"])
def edit(index: int):
    return _editor(index)


def _run(action, success: str):
    try:
        number = action()
    except (Invalid, NotFound, ServiceError) as exc:
        details = exc.messages() if isinstance(exc, Invalid) else []
        flash(" ".join([str(exc).capitalize() + "."] + details), "error")
    else:
        flash(success.format(version=number), "ok")
    return redirect(url_for("web_rules.index"))


@bp.post("/<int:index>/move")
def move(index: int):
    direction = request.form.get("direction", "")
    return _run(lambda: rules_service.move_rule(get_db(), index, direction, actor=current_user.email),
                "Order saved as version {version}.")


@bp.post("/order")
def order():
    names = [n for n in request.form.getlist("name") if n]
    return _run(lambda: rules_service.reorder_rules(get_db(), names, actor=current_user.email),
                "Order saved as version {version}.")


@bp.post("/<int:index>/delete")
def delete(index: int):
    return _run(lambda: rules_service.delete_rule(get_db(), index, actor=current_user.email),
                "Rule deleted; saved as version {version}.")


@bp.route("/defaults", methods=["GET", "POST"])
def defaults():
    """The config's own sections: time zone, fallback, default notify and SLA, auto-pause,
    digest, quality."""
    db = get_db()
    number, data = rules_service.active(db)
    form, errors = defaults_form.to_form(data), {}
    if request.method == "POST":
        values = defaults_form.form_to_defaults(request.form, data)
        try:
            saved = config_edit.save_defaults(db, values, actor=current_user.email, base_version=_base_version())
        except Invalid as exc:
            errors = defaults_form.field_errors(exc.errors)
        except ServiceError as exc:
            errors = {"": [str(exc).capitalize() + "."]}
        else:
            flash("Nothing changed." if saved == number else f"Saved the defaults as version {saved}.", "ok")
            return redirect(url_for("web_rules.index"))
        form = defaults_form.to_form({**{k: v for k, v in data.items() if k not in values},
                                      **{k: v for k, v in values.items() if v is not None}})
    return render_template("web/defaults.html", form=form, errors=errors, version=number, vocab=rule_form.vocabulary(),
                           fallbacks=defaults_form.fallback_choices(data),
                           quality_actions=defaults_form.quality_actions(data)), (422 if errors else 200)


@bp.get("/versions")
def versions():
    return render_template("web/versions.html", versions=rules_service.list_versions(get_db()))


@bp.get("/versions/<int:number>")
def version(number: int):
    db = get_db()
    try:
        row = rules_service.get_version(db, number)
    except NotFound:
        return render_template("web/error.html", status=404, message=f"There is no version {number}."), 404
    return render_template("web/version.html", row=row, change=rules_service.diff(db, number))


@bp.post("/versions/<int:number>/rollback")
def rollback(number: int):
    return _run(lambda: rules_service.rollback(get_db(), number, actor=current_user.email),
                f"Rolled back: version {number}'s rules are active again, as version {{version}}.")


@bp.get("/export")
def export():
    db = get_db()
    number = request.args.get("version", type=int)
    try:
        row = rules_service.get_version(db, number) if number else None
    except NotFound:
        return render_template("web/error.html", status=404, message=f"There is no version {number}."), 404
    if row is None:
        from connector.routing import store as routing_store
        row = routing_store.get_version(db)
    if row is None:
        flash("Nothing to export yet: no routing config is stored.", "error")
        return redirect(url_for("web_rules.index"))
    return Response(row.body, mimetype="application/x-yaml", headers={
        "Content-Disposition": f'attachment; filename="routing-v{row.version}.{row.format}"'})


@bp.route("/import", methods=["GET", "POST"])
def import_():
    errors, text = {}, ""
    if request.method == "POST":
        upload = request.files.get("file")
        text = upload.read().decode("utf-8", "replace") if upload and upload.filename else request.form.get("text", "")
        try:
            number = rules_service.save_text(get_db(), text, actor=current_user.email,
                                             comment=(request.form.get("comment") or "imported")[:500])
        except Invalid as exc:
            errors = exc.errors
        else:
            flash(f"Imported as version {number} (active).", "ok")
            return redirect(url_for("web_rules.index"))
    return render_template("web/import.html", errors=errors, text=text), (422 if errors else 200)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
