"""/log/certificates: every certificate the portal has signed documents with, so that anyone can
check a copy's signature against it without asking the portal. A rotated certificate stays on
the list: the documents it signed keep verifying."""

from flask import jsonify

from portal.documents import services
from portal.pages import bp

# The list changes only when the key is rotated: caches may keep it a few minutes.
CACHE_SECONDS = 300


@bp.get("/log/certificates")
def signing_certificates():
    current = services.current_certificate_sha256()
    certificates = [
        {
            "sha256": certificate.sha256,
            "subject": certificate.subject,
            "not_before": certificate.not_before.isoformat(),
            "not_after": certificate.not_after.isoformat(),
            "added_at": certificate.added_at.isoformat(),
            "current": certificate.sha256 == current,
            "pem": certificate.pem,
        }
        for certificate in services.signing_certificates()
    ]
    response = jsonify({"certificates": certificates})
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response
