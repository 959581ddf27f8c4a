"""Authorities and schools. The school records issue adds this feature's pages and blueprint."""
