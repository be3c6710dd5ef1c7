"""Is a guest's VGA text screen visible in a window? Decided on a screenshot of the window.

The VGA text console is mostly pure black (0,0,0) with light-grey text (0xaa,0xaa,0xaa);
a console window that has not drawn a frame yet shows the toolkit's light background and
dark text, and at most a plain black area (a view that has not painted the guest).

`capture(window)` takes a screenshot with xwd and keeps every STEP-th pixel of every
STEP-th row; `facts(image)` finds the guest frame: the rows and columns in which at least a
quarter of the samples are pure black bound it, and a frame is shown when that box covers at least
15 % of the window, is at least half pure black, and holds light-grey text pixels (all
three channels within 0x50..0xe0: the text, also when an app scales the frame and
filtering blends grey into black) making up at least 0.2 % of the box. The window's own
chrome (header bars, labels) is never inside the box, so its grey anti-aliasing does not
count.
"""
import struct
import subprocess
from dataclasses import dataclass

BLACK_LINE = 0.25   # share of pure black that makes a row/column part of the frame
MIN_BOX = 0.15      # share of the window the frame's box must cover
MIN_BLACK = 0.5     # share of the box that must be pure black
MIN_TEXT = 0.002    # share of the box that must be light-grey text
STEP = 2            # every 2nd pixel of every 2nd row is looked at (4x less work)

_IS_ZERO = bytes([1] + [0] * 255)
_IS_TEXT = bytes(1 if 0x50 <= v <= 0xE0 else 0 for v in range(256))


@dataclass
class Image:
    """A screenshot sampled every STEP pixels across and down, one plane per channel."""
    width: int   # of the window, full resolution
    height: int
    r: bytes     # (width // STEP) * (height // STEP) samples each, row by row
    g: bytes
    b: bytes


@dataclass
class Facts:
    shown: bool
    box: tuple  # (x, y, width, height) of the frame's box, or None
    black_share: float  # of the box
    text_pixels: int  # inside the box (estimated from the samples)


def capture(window):
    """Screenshot of X window `window` (an id from xdotool), by xwd (15 ms here, against
    55 ms for ImageMagick's import, which mostly starts up), as an Image."""
    out = subprocess.run(["xwd", "-silent", "-id", str(window)], capture_output=True,
                         check=True).stdout
    return parse_xwd(out)


def parse_xwd(data):
    """XWD file (X11 window dump, ZPixmap, 24/32 bits per pixel, TrueColor) -> Image."""
    (header_size, version, fmt, _depth, w, h, _xoff, byte_order, _unit, _bit_order, _pad,
     bpp, bpl, _class, red, green, blue, _bits, _entries, ncolors) = struct.unpack(">20I",
                                                                                 data[:80])
    if version != 7 or fmt != 2 or bpp not in (24, 32):
        raise ValueError(f"unsupported xwd dump (version {version}, format {fmt}, {bpp} bpp)")
    pixels = data[header_size + 12 * ncolors:]
    if len(pixels) < bpl * h:
        raise ValueError("truncated xwd dump")
    size = bpp // 8

    def offset(mask):  # byte of a pixel holding this channel
        shift = (mask & -mask).bit_length() - 1
        return shift // 8 if byte_order == 0 else size - 1 - shift // 8

    planes = []
    for o in (offset(red), offset(green), offset(blue)):
        planes.append(b"".join(pixels[y * bpl + o:y * bpl + w * size:size * STEP]
                               for y in range(0, h - h % STEP, STEP)))
    return Image(w, h, *planes)


def _mask(img, table):
    """One byte per sample: 1 where all three channels map to 1 through `table`."""
    r, g, b = (int.from_bytes(p.translate(table), "little") for p in (img.r, img.g, img.b))
    return (r & g & b).to_bytes(len(img.r), "little")


def facts(img):
    """Where the frame is (in window pixels) and whether it is shown."""
    w, h = img.width // STEP, img.height // STEP
    black = _mask(img, _IS_ZERO)
    rows = [y for y in range(h) if black[y * w:(y + 1) * w].count(1) >= BLACK_LINE * w]
    if not rows:
        return Facts(False, None, 0.0, 0)
    y0, y1 = rows[0], rows[-1] + 1
    band = black[y0 * w:y1 * w]
    cols = [x for x in range(w) if band[x::w].count(1) >= BLACK_LINE * (y1 - y0)]
    if not cols:
        return Facts(False, None, 0.0, 0)
    x0, x1 = cols[0], cols[-1] + 1
    text = _mask(img, _IS_TEXT)
    area = (x1 - x0) * (y1 - y0)
    n_black = sum(black[y * w + x0:y * w + x1].count(1) for y in range(y0, y1))
    n_text = sum(text[y * w + x0:y * w + x1].count(1) for y in range(y0, y1))
    shown = (area >= MIN_BOX * w * h and n_black >= MIN_BLACK * area
             and n_text >= MIN_TEXT * area)
    box = (x0 * STEP, y0 * STEP, (x1 - x0) * STEP, (y1 - y0) * STEP)
    return Facts(shown, box, n_black / area, n_text * STEP * STEP)
