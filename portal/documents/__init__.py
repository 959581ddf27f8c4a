"""Documents: the archived PDFs (rendered, signed, stored once by SHA-256) and the hash-chained
publication log, shared by decisions, charter versions, minutes and outcomes. A shared room with
no pages of its own: /verify, which gathers every kind of record, is in portal/pages/."""
