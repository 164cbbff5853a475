"""Webhook subscriptions' pages (/webhooks): each subscription's delivery log, with "send again"."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..accounts.forms import EmptyForm
from ..core.extensions import db
from ..core.transaction import unit_of_work
from . import subscriptions as subscription_service
from .models import WebhookDelivery, WebhookSubscription

bp = Blueprint("webhooks", __name__, template_folder="templates")


def _subscription(subscription_id: int) -> WebhookSubscription:
    subscription = db.session.get(WebhookSubscription, subscription_id)
    if subscription is None or not subscription_service.may_manage(current_user, subscription):
        abort(404)
    return subscription


@bp.get("/webhooks")
@login_required
def index():
    return render_template("webhooks/index.html", subscriptions=subscription_service.subscriptions_for(current_user),
                           may_subscribe=subscription_service.may_subscribe(current_user))


@bp.get("/webhooks/<int:subscription_id>")
@login_required
def subscription(subscription_id: int):
    found = _subscription(subscription_id)
    return render_template("webhooks/subscription.html", subscription=found,
                           deliveries=subscription_service.deliveries_of(found), form=EmptyForm(formdata=None))


@bp.post("/webhooks/<int:subscription_id>/deliveries/<int:delivery_id>/again")
@login_required
def send_again(subscription_id: int, delivery_id: int):
    found = _subscription(subscription_id)
    if not EmptyForm().validate_on_submit():
        abort(400, description="Your form expired; reload the page and try again.")
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.subscription_id != found.id:
        abort(404)
    with unit_of_work():
        subscription_service.send_again(found, delivery)
    flash(f"The {delivery.event.event_type} event will be sent again in a moment.", "saved")
    return redirect(url_for("webhooks.subscription", subscription_id=found.id, _anchor="saved"), code=303)


@bp.post("/webhooks/<int:subscription_id>/delete")
@login_required
def delete(subscription_id: int):
    found = _subscription(subscription_id)
    if not EmptyForm().validate_on_submit():
        abort(400, description="Your form expired; reload the page and try again.")
    with unit_of_work():
        subscription_service.remove(found)
    flash("The webhook is removed: nothing more is sent to it.", "saved")
    return redirect(url_for("webhooks.index"), code=303)
