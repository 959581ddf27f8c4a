"""The transparency log (RFC 9162 Merkle tree, C2SP signed checkpoints, witnesses): every
publication and every later change of status is a leaf, written in the publication's own
transaction by listening to the features' events (no feature imports this package). Its public
endpoints live under /log; the evidence bundle of a record under the record's own address."""

from flask import Blueprint

bp = Blueprint("transparency", __name__)

VIEW_MODULES = ("listeners", "archive_checks", "views")
