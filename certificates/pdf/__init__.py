"""The certificate of origin as a PDF, laid out like the official paper forms.

Each agreement's form is data (reference/certificate_forms.py); this package draws it:

- data.py: what a certificate says (CertificateData and its parts);
- layout.py: the page's geometry, fonts and styles, and each form's Layout made from its
  definition (which boxes sit where, what each column of the goods table prints);
- render.py: the renderer (render_certificate): page 1's boxes and title block, the goods
  table split over pages, the declaration and certification, the footer;
- frame.py: the printed parts of each layout (page 1's form, the declaration's, the
  continuation sheet's, Form AI's notes overleaf), drawn as form XObjects, once per process
  and layout, and replayed into each document (a fast path);
- cells.py: the goods table's cells drawn as plain text where they can be (a fast path), and
  the paragraphs laid out once per process;
- fast_fonts.py: the certificate's font objects made once per process (a fast path, used by
  the certificate's own document alone: no process-wide patch of reportlab);
- stamp.py: the font of the signature's visible stamp.

The fast paths rest on private internals of reportlab: tests/certificates/test_pdf_frame.py
checks they print the same bytes as reportlab's own code, and tests/core/test_text.py pins
the version they were checked against. bench/README.md gives what each one saves.

Everything printed comes from exporters and is treated as hostile: it is cleaned of invisible
and direction-changing characters and escaped before reportlab's paragraph markup sees it.
"""

from certificates.pdf.data import (
    CertificateData,
    CertificateItem,
    Consignee,
    Declaration,
    Exporter,
    Transport,
)
from certificates.pdf.layout import (
    IST,
    PAGE_H,
    QR_BORDER,
    QR_SIZE,
    SIGNATURE_RECT,
    Layout,
    certification_page,
    layout_for,
    markup,
    qr_code,
    qr_matrix,
)
from certificates.pdf.render import render_certificate
from certificates.pdf.stamp import STAMP_CHARACTERS, stamp_font_file

__all__ = [
    "IST",
    "PAGE_H",
    "QR_BORDER",
    "QR_SIZE",
    "SIGNATURE_RECT",
    "STAMP_CHARACTERS",
    "CertificateData",
    "CertificateItem",
    "Consignee",
    "Declaration",
    "Exporter",
    "Layout",
    "Transport",
    "certification_page",
    "layout_for",
    "markup",
    "qr_code",
    "qr_matrix",
    "render_certificate",
    "stamp_font_file",
]
