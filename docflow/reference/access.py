"""Who may administer reference data: users holding the ``admin`` role."""
from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def admin_required(view):
    """Sign-in first (redirect to the sign-in page), then 403 unless the user is an admin."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.has_role("admin"):
            abort(403)
        return view(*args, **kwargs)
    return wrapped
