"""People and organisations for the organisation tests."""

from __future__ import annotations

from issues_tracker.core.extensions import db


def org_admin(make_user, org="Northern Supply Co", name="Olga Orgadmin"):
    user = make_user("participant", org=org, name=name)
    user.organisation_admin = True
    db.session.commit()
    return user
