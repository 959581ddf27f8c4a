"""Changing a signed token (itsdangerous: payload.timestamp.signature) the way a forger would."""


def with_signature_changed(token: str) -> str:
    """The token with its signature's first character changed. Every bit of that character is
    signature; the last character of a base64 signature carries bits no decoder reads, so a
    token changed only there can still be genuine (about once in 1,500 runs for two characters)."""
    signed, signature = token.rsplit(".", 1)
    return f"{signed}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
