"""Pages of the reception domain (URL table: docflow/reception/routes below)."""
from flask import Blueprint

bp = Blueprint("reception", __name__)
