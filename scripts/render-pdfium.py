#!/usr/bin/env python3
"""Renders every page of a PDF to PNG with PDFium (as Chrome and Edge render it).

    python3 scripts/render-pdfium.py FILE.pdf OUT_PREFIX [SCALE]

Exits non-zero if PDFium cannot open or render the file. Prints the page count.
"""
import sys

import pypdfium2 as pdfium

path, prefix = sys.argv[1], sys.argv[2]
scale = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
pdf = pdfium.PdfDocument(path)
for i in range(len(pdf)):
    page = pdf[i]
    image = page.render(scale=scale).to_pil()
    image.save(f"{prefix}-{i + 1}.png")
print(len(pdf))
