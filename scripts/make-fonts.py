#!/usr/bin/env python3
"""Makes the bundled fonts in assets/fonts/ from Debian's fonts-noto-cjk (Noto Serif CJK, SIL OFL 1.1).

The app prints names of real people, so the body face keeps every character of GBK (which
includes all of GB2312 and the rare name characters in it), CJK Extension A (e.g. 䶮) and the
199 characters of the 通用规范汉字表 (2013) outside both (assets/fonts/tgh2013-outside-gbk.tsv,
e.g. 𬌗 𬱖 𫖯, used in household registers); the bold face, used for titles and headings, keeps
GB2312 plus those 199 (a name in a heading); whatever the bold face lacks is drawn from the body
face by the layout layer. Run once; the outputs are committed:

    pip install fonttools && python3 scripts/make-fonts.py
"""
from fontTools import subset
from fontTools.ttLib import TTCollection

SRC = "/usr/share/fonts/opentype/noto/NotoSerifCJK-{}.ttc"
SC_FACE = 2  # Simplified Chinese face of Debian's collection


def chars(encoding, extra=()):
    out = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    out |= set(range(0x2000, 0x2070)) | set(range(0x2100, 0x2200)) | set(range(0x2460, 0x2500))
    out |= set(range(0x2500, 0x2600)) | set(range(0x3000, 0x3040)) | set(range(0xFF00, 0xFFF0))
    for cp in range(0x80, 0x30000):
        try:
            chr(cp).encode(encoding)
        except (UnicodeEncodeError, ValueError):
            continue
        out.add(cp)
    for lo, hi in extra:
        out |= set(range(lo, hi + 1))
    out |= set(standard_outside_gbk())
    return out


def standard_outside_gbk():
    """The 199 characters of the 通用规范汉字表 outside GBK and Extension A, as code points."""
    with open("assets/fonts/tgh2013-outside-gbk.tsv", encoding="utf-8") as f:
        return [int(line.split("\t")[0][2:], 16) for line in f if line.strip()]


def make(weight, encoding, extra, out):
    font = TTCollection(SRC.format(weight)).fonts[SC_FACE]
    cmap = font.getBestCmap()
    wanted = sorted(cp for cp in chars(encoding, extra) if cp in cmap)
    opts = subset.Options()
    opts.layout_features = ["*"]
    opts.name_IDs = ["*"]
    opts.name_languages = ["*"]
    opts.notdef_outline = True
    opts.glyph_names = False
    s = subset.Subsetter(opts)
    s.populate(unicodes=wanted)
    s.subset(font)
    font.save(out)
    print(out, len(wanted), "characters")


make("Regular", "gbk", [(0x3400, 0x4DBF)], "assets/fonts/NotoSerifSC-Regular-GBK-ExtA.otf")
make("Bold", "gb2312", [], "assets/fonts/NotoSerifSC-Bold-GB2312.otf")
