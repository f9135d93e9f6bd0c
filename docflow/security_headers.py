"""Security headers on every response, and no debugger in production.

A small ``after_request`` hook rather than Flask-Talisman: docflow needs five fixed headers and
one policy string. Talisman's other features are either unwanted here (its HTTPS redirect would
break the embedded mode on http://127.0.0.1, TLS ends at the reverse proxy in production) or
already done by configuration (cookie flags in config.py), and a hook keeps the exact header
values readable in one place and testable without another dependency.

The Content-Security-Policy allows scripts and styles from docflow's own origin only: no inline
``<script>``, no ``on…=`` attributes, no ``style=`` attributes in the templates (the script in
tests/security checks them), so injected markup could not run even if escaping ever failed.
"""
import os

from flask import Flask

PERMISSIONS_POLICY = ("camera=(), microphone=(), geolocation=(), payment=(), usb=(), "
                      "interest-cohort=()")
HSTS = "max-age=31536000; includeSubDomains"


def production(app: Flask) -> bool:
    return app.config.get("DOCFLOW_ENV") == "production"


def init_app(app: Flask) -> None:
    if production(app):
        if os.environ.get("FLASK_DEBUG", "").lower() in ("1", "true", "yes", "on"):
            raise SystemExit("docflow: FLASK_DEBUG is not allowed with DOCFLOW_ENV=production "
                             "(the debugger runs code sent by the browser). Refusing to start.")
        app.config["DEBUG"] = False
        app.config["PROPAGATE_EXCEPTIONS"] = False
        app.debug = False

    proxies = int(app.config.get("TRUSTED_PROXIES") or 0)
    if proxies:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    csp = app.config.get("CONTENT_SECURITY_POLICY")
    hsts = production(app)

    fixed = [("Content-Security-Policy", csp)] if csp else []
    fixed += [("X-Content-Type-Options", "nosniff"),
              ("Referrer-Policy", "strict-origin-when-cross-origin"),
              ("Permissions-Policy", PERMISSIONS_POLICY), ("X-Frame-Options", "DENY"),
              ("Cross-Origin-Opener-Policy", "same-origin")]
    if hsts:
        fixed.append(("Strict-Transport-Security", HSTS))
    fixed_names = [(name.lower(), (name, value)) for name, value in fixed]

    @app.after_request
    def _headers(response):
        """Each header unless the response set it already (a view may set its own CSP): one
        pass over the response's headers instead of one lookup per header."""
        headers = response.headers
        present = {name.lower() for name, _value in headers.items()}
        headers.extend([pair for name, pair in fixed_names if name not in present])
        return response
