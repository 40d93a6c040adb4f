"""Reading a QR code from the SVG the console renders, with a real decoder (zxing-cpp)."""

from __future__ import annotations

import re

import numpy as np


def qr_svg_decode(page: str) -> str:
    """The text of the first QR code (a segno inline SVG: one path of horizontal runs) in `page`."""
    svg = re.search(r'<svg[^>]*class="segno".*?</svg>', page, re.S)
    assert svg, "no QR code on the page"
    scale = float(re.search(r'transform="scale\(([\d.]+)\)"', svg.group(0)).group(1))
    size = round(float(re.search(r'width="([\d.]+)"', svg.group(0)).group(1)) / scale)
    modules = np.full((size, size), 255, dtype=np.uint8)
    x = y = 0.0
    for op, first, second in re.findall(
        r"([Mmh])\s*(-?[\d.]+)(?:[\s,]+(-?[\d.]+))?", re.search(r' d="([^"]+)"', svg.group(0)).group(1)
    ):
        if op == "M":
            x, y = float(first), float(second)
        elif op == "m":
            x, y = x + float(first), y + float(second)
        else:  # a dark run on row y (drawn as a line through the modules' middle)
            modules[int(y), int(x) : int(x + float(first))] = 0
            x += float(first)
    import zxingcpp

    image = np.kron(modules, np.ones((4, 4), dtype=np.uint8))  # a few pixels per module, as a camera sees it
    results = zxingcpp.read_barcodes(image)
    assert results, "the QR code could not be decoded"
    return results[0].text
