"""PDFs made to cost a reader as much as possible for their size (for /verify's limits)."""

import struct
import zlib


def whitespace_bomb(streams: int = 24, size: int = 3 * 1024 * 1024) -> bytes:
    """A PDF of some 75 KB whose form fields live in object streams that each inflate to `size`
    bytes of spaces: a reader that looks for a signature field walks the whitespace, a byte at a
    time, before it finds nothing."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}

    def add(number: int, body: bytes) -> None:
        offsets[number] = len(out)
        out.extend(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")

    first_field = 3 + streams
    fields = " ".join(f"{first_field + i} 0 R" for i in range(streams))
    add(1, f"<< /Type /Catalog /Pages 2 0 R /AcroForm << /Fields [{fields}] >> >>".encode())
    add(2, b"<< /Type /Pages /Kids [] /Count 0 >>")
    spaces = zlib.compress(b" " * size, 9)
    for i in range(streams):
        header = f"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length {len(spaces)} >>\nstream\n"
        add(3 + i, header.encode() + spaces + b"\nendstream")
    xref_number = first_field + streams
    rows = [b"\x00" + struct.pack(">IH", 0, 65535)]
    for number in range(1, xref_number + 1):
        if number in offsets:
            rows.append(b"\x01" + struct.pack(">IH", offsets[number], 0))
        elif first_field <= number < first_field + streams:  # a field, inside its object stream
            rows.append(b"\x02" + struct.pack(">IH", 3 + number - first_field, 0))
        else:  # the cross-reference stream itself
            rows.append(b"\x01" + struct.pack(">IH", len(out), 0))
    table = b"".join(rows)
    at = len(out)
    out.extend(
        f"{xref_number} 0 obj\n<< /Type /XRef /Size {xref_number + 1} /W [1 4 2] /Root 1 0 R "
        f"/Length {len(table)} >>\nstream\n".encode()
        + table
        + b"\nendstream\nendobj\n"
    )
    out.extend(f"startxref\n{at}\n%%EOF\n".encode())
    return bytes(out)
