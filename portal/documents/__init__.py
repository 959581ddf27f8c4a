"""Documents: the archived PDFs (rendered, signed, stored once by SHA-256) and the
hash-chained publication log. Shared by decisions, charter versions, minutes and outcomes;
it has no pages of its own."""
