#!/usr/bin/env python3
"""Converts an X window dump (`xwd -root`) on stdin to a PNG file, and prints how many distinct
colours it holds (the e2e test refuses a blank screenshot) and how many pixels have the status
page's amber (#d97706: its buttons and logo, which tell it from the console) and error red
(#b91c1c: a failure message). Standard library only, so the e2e test needs no ImageMagick. Handles the ZPixmap TrueColor layouts Xvfb produces (24/32 bpp,
either byte order).

usage: xwd -root -display :N | xwd2png.py OUT.png   (prints: COLOURS AMBER_PIXELS RED_PIXELS)"""
import struct
import sys
import zlib

AMBER = bytes((0xD9, 0x77, 0x06))
RED = bytes((0xB9, 0x1C, 0x1C))


def shift_of(mask: int) -> int:
    return (mask & -mask).bit_length() - 1 if mask else 0


def main() -> int:
    data = sys.stdin.buffer.read()
    header_size = struct.unpack(">I", data[:4])[0]
    fields = struct.unpack(">25I", data[:100])
    (_, version, fmt, depth, width, height, _xoff, byte_order, _unit, _bit_order, _pad,
     bits_per_pixel, bytes_per_line, visual_class, red_mask, green_mask, blue_mask,
     _bits_rgb, _cmap_entries, ncolors, *_rest) = fields
    if version != 7 or fmt != 2 or visual_class not in (4, 5) or bits_per_pixel not in (24, 32):
        print(f"unsupported xwd: version={version} format={fmt} class={visual_class} "
              f"bpp={bits_per_pixel} depth={depth}", file=sys.stderr)
        return 2
    pixels = data[header_size + ncolors * 12:]
    step = bits_per_pixel // 8
    endian = "little" if byte_order == 0 else "big"
    shifts = [(m, shift_of(m)) for m in (red_mask, green_mask, blue_mask)]
    rows, colours, amber, red = [], set(), 0, 0
    for y in range(height):
        line = pixels[y * bytes_per_line: y * bytes_per_line + width * step]
        row = bytearray([0])
        for x in range(0, width * step, step):
            v = int.from_bytes(line[x:x + step], endian)
            rgb = bytes((v & m) >> s for m, s in shifts)
            row += rgb
            if rgb == AMBER:
                amber += 1
            elif rgb == RED:
                red += 1
            if len(colours) < 100_000:
                colours.add(rgb)
        rows.append(bytes(row))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"".join(rows), 6)) + chunk(b"IEND", b""))
    with open(sys.argv[1], "wb") as f:
        f.write(png)
    print(len(colours), amber, red)
    return 0


if __name__ == "__main__":
    sys.exit(main())
