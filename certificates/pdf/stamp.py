"""The font of the signature's visible stamp: Noto Sans cut to what a stamp prints."""

from __future__ import annotations

import functools
import io
import os
import tempfile
from pathlib import Path

from core.fonts import FONT_FILES

# What the signature stamp can print: Latin, Latin-1, Latin Extended-A and -B, and the
# punctuation of general use. pyHanko re-reads and subsets the stamp's font at every signature:
# the whole of Noto Sans cost about 0.4 s a signature, this cut of it a few milliseconds.
STAMP_CHARACTERS = frozenset([*range(0x20, 0x7F), *range(0xA0, 0x250), *range(0x2010, 0x2050)])


@functools.cache
def _stamp_font_bytes() -> bytes:
    """Noto Sans cut to STAMP_CHARACTERS, made once per process."""
    from fontTools import subset

    options = subset.Options()
    options.layout_features = ["kern"]
    font = subset.load_font(str(FONT_FILES["latin"][0]), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=STAMP_CHARACTERS)
    subsetter.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    return out.getvalue()


def stamp_font_file() -> str:
    """A file holding the stamp's font (pyHanko reads it by name at every signature): one per
    process, written again if something (a temporary-files cleaner) removed it."""
    path = Path(tempfile.gettempdir()) / f"coo-stamp-{os.getpid()}.ttf"
    if not path.exists():
        # Written under a name of its own, then renamed: threads that race here each rename a
        # whole file over the same path, and no reader ever sees half of one.
        fd, partial = tempfile.mkstemp(prefix=path.stem, suffix=".part", dir=path.parent)
        with os.fdopen(fd, "wb") as out:
            out.write(_stamp_font_bytes())
        os.replace(partial, path)
    return str(path)
