"""Image files of every kind dw-core's ImageDecoder reads, with what OpenCV 4.6 decodes from them.

The reference is Debian's OpenCV 4.6 (libjpeg-turbo 2.1, libpng 1.6, libtiff 4.5), called as mmcv's
LoadImageFromFile does: cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), turned from BGR to RGB.
Inputs come from Pillow 9.4, a small PNG writer below (bit depths, tRNS and eXIf chunks that Pillow cannot
write), hand-built BMP headers, and jpeg_encode.c (built here with gcc against the system libjpeg) for YCCK,
Adobe-RGB and 4:4:0 JPEGs, which Pillow cannot write.

Run from the repository root:  /usr/bin/python3 dw-core/src/test/python/make_image_fixtures.py
Writes dw-core/src/test/resources/images/opencv/: each input NAME and NAME.npy (height x width x 3, uint8, RGB);
EXIF cases also get NAME.ignore.npy (decoded with IMREAD_IGNORE_ORIENTATION). manifest.txt lists
"NAME KIND" with KIND exact (lossless: must match byte for byte), jpeg (lossy: compared within a bound) or
pillow (GIF, which OpenCV 4.6 cannot read: Pillow's decoding, to match byte for byte).
The files are committed; the tests never run Python.
"""
import io
import os
import shutil
import struct
import subprocess
import tempfile
import zlib

import cv2
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "resources", "images", "opencv")
rng = np.random.RandomState(20240613)
manifest = []


def content(h, w, c, dtype=np.uint8):
    """Smooth gradients plus noise: edges for chroma subsampling, flat parts for the DC path."""
    top = np.iinfo(dtype).max
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * 37 + y * 11 + k * 71) % 97 / 96.0 for k in range(c)], axis=-1)
    noise = rng.uniform(-0.25, 0.25, size=(h, w, c))
    return np.clip((base * 0.75 + noise + 0.1) * top, 0, top).astype(dtype)


def opencv(data, flags=cv2.IMREAD_COLOR):
    m = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if m is None:
        raise SystemExit("OpenCV cannot decode a fixture")
    assert m.dtype == np.uint8 and m.ndim == 3 and m.shape[2] == 3
    return np.ascontiguousarray(m[:, :, ::-1])


def emit(name, data, kind, exif=False):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    np.save(os.path.join(OUT, name + ".npy"), opencv(data))
    if exif:
        np.save(os.path.join(OUT, name + ".ignore.npy"),
                opencv(data, cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION))
    manifest.append(f"{name} {kind}")


def pil(img, fmt, **kw):
    b = io.BytesIO()
    img.save(b, fmt, **kw)
    return b.getvalue()


# ---- PNG ----------------------------------------------------------------------------------------------------------

def chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png(samples, bits, color_type, palette=None, trns=None, exif=None, exif_after_idat=False):
    """samples: (h, w, channels) integers; packs bit depths below 8 and writes 16-bit big-endian."""
    h, w = samples.shape[:2]
    rows = []
    for r in samples.reshape(h, -1):
        if bits < 8:
            vals = np.zeros((len(r) * bits + 7) // 8 * 8 // bits, dtype=np.uint8)
            vals[:len(r)] = r
            packed = np.zeros(len(vals) * bits // 8, dtype=np.uint8)
            per = 8 // bits
            for k in range(per):
                packed |= (vals[k::per] << (8 - bits * (k + 1))).astype(np.uint8)
            raw = packed.tobytes()
        elif bits == 16:
            raw = r.astype(">u2").tobytes()
        else:
            raw = r.astype(np.uint8).tobytes()
        rows.append(b"\0" + raw)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bits, color_type, 0, 0, 0))
    if palette is not None:
        out += chunk(b"PLTE", bytes(np.asarray(palette, np.uint8).ravel()))
    if trns is not None:
        out += chunk(b"tRNS", trns)
    if exif is not None and not exif_after_idat:
        out += chunk(b"eXIf", exif)
    out += chunk(b"IDAT", zlib.compress(b"".join(rows)))
    if exif is not None and exif_after_idat:
        out += chunk(b"eXIf", exif)
    return out + chunk(b"IEND", b"")


def tiff_orientation(o, order="II"):
    e = "<" if order == "II" else ">"
    return (order.encode() + struct.pack(e + "HI", 42, 8) + struct.pack(e + "H", 1)
            + struct.pack(e + "HHIHH", 0x0112, 3, 1, o, 0) + struct.pack(e + "I", 0))


def png_fixtures():
    g8 = content(9, 13, 1)
    emit("gray8.png", png(g8, 8, 0), "exact")
    g16 = content(11, 17, 1, np.uint16)
    g16.ravel()[:8] = [0, 255, 256, 32767, 32768, 65279, 65280, 65535]   # where >>8 and rounding differ
    emit("gray16.png", png(g16, 16, 0), "exact")
    for bits in (1, 2, 4):
        emit(f"gray{bits}.png", png(rng.randint(0, 1 << bits, (9, 13, 1)), bits, 0), "exact")
    emit("gray8_trns.png", png(g8, 8, 0, trns=struct.pack(">H", int(g8[0, 0, 0]))), "exact")
    emit("gray16_trns.png", png(g16, 16, 0, trns=struct.pack(">H", int(g16[1, 1, 0]))), "exact")
    emit("rgb8.png", png(content(9, 13, 3), 8, 2), "exact")
    rgb8 = content(9, 13, 3)
    emit("rgb8_trns.png", png(rgb8, 8, 2, trns=struct.pack(">HHH", *map(int, rgb8[0, 0]))), "exact")
    emit("rgb16.png", png(content(11, 17, 3, np.uint16), 16, 2), "exact")
    ga = content(9, 13, 2)
    ga[0, :, 1] = 0                                                        # fully transparent pixels keep colour
    emit("graya8.png", png(ga, 8, 4), "exact")
    emit("graya16.png", png(content(11, 17, 2, np.uint16), 16, 4), "exact")
    rgba = content(9, 13, 4)
    rgba[0, :, 3] = 0
    emit("rgba8.png", png(rgba, 8, 6), "exact")
    emit("rgba16.png", png(content(11, 17, 4, np.uint16), 16, 6), "exact")
    pal = rng.randint(0, 256, (256, 3))
    idx8 = rng.randint(0, 256, (9, 13, 1))
    emit("palette8.png", png(idx8, 8, 3, palette=pal), "exact")
    emit("palette8_trns.png", png(idx8, 8, 3, palette=pal, trns=bytes(rng.randint(0, 256, 200).astype(np.uint8))),
         "exact")
    emit("palette4.png", png(rng.randint(0, 16, (11, 17, 1)), 4, 3, palette=pal[:16]), "exact")
    emit("palette1_trns.png", png(rng.randint(0, 2, (11, 17, 1)), 1, 3, palette=pal[:2], trns=b"\0"), "exact")
    # Pillow's own writer too (zlib settings, filters), and eXIf, which OpenCV 4.6 applies to PNGs as well.
    emit("rgb8_pillow.png", pil(Image.fromarray(content(11, 17, 3)), "PNG", optimize=True), "exact")
    emit("exif6.png", png(content(9, 13, 3), 8, 2, exif=tiff_orientation(6)), "exact", exif=True)
    emit("exif8_after_idat.png", png(content(9, 13, 3), 8, 2, exif=tiff_orientation(8, "MM"), exif_after_idat=True),
         "exact", exif=True)


# ---- BMP ----------------------------------------------------------------------------------------------------------

def bmp16(rgb, masks, top_down=False):
    """A 16-bit BI_BITFIELDS BMP (Pillow cannot write one); masks (r, g, b)."""
    h, w = rgb.shape[:2]
    shifts = [int(m).bit_length() - bin(m).count("1") for m in masks]
    widths = [bin(m).count("1") for m in masks]
    words = sum((rgb[:, :, c].astype(np.uint32) >> (8 - widths[c])) << shifts[c] for c in range(3)).astype("<u2")
    stride = (w * 2 + 3) // 4 * 4
    rows = [words[y].tobytes().ljust(stride, b"\0") for y in (range(h) if top_down else range(h - 1, -1, -1))]
    pixels = b"".join(rows)
    info = struct.pack("<IiiHHIIiiII", 40, w, -h if top_down else h, 1, 16, 3, len(pixels), 2835, 2835, 0, 0)
    info += struct.pack("<III", *masks)
    off = 14 + len(info)
    return b"BM" + struct.pack("<IHHI", off + len(pixels), 0, 0, off) + info + pixels


def bmp_fixtures():
    emit("rgb24.bmp", pil(Image.fromarray(content(9, 13, 3)), "BMP"), "exact")
    emit("rgba32.bmp", pil(Image.fromarray(content(9, 13, 4), "RGBA"), "BMP"), "exact")
    p = Image.fromarray(rng.randint(0, 256, (11, 17)).astype(np.uint8), "P")
    p.putpalette(list(rng.randint(0, 256, 768)))
    emit("palette8.bmp", pil(p, "BMP"), "exact")
    emit("gray1.bmp", pil(Image.fromarray(rng.randint(0, 2, (9, 13)).astype(bool)), "BMP"), "exact")
    emit("rgb565.bmp", bmp16(content(9, 13, 3), (0xF800, 0x07E0, 0x001F)), "exact")
    emit("rgb555_topdown.bmp", bmp16(content(11, 17, 3), (0x7C00, 0x03E0, 0x001F), top_down=True), "exact")


# ---- TIFF ---------------------------------------------------------------------------------------------------------

def tiff(samples, photometric, extra=None):
    """An uncompressed one-strip little-endian TIFF of 8- or 16-bit samples (h, w, spp); extra: ExtraSamples value."""
    h, w, spp = samples.shape
    bits = 16 if samples.dtype == np.uint16 else 8
    pixels = samples.astype("<u2" if bits == 16 else np.uint8).tobytes()
    tags = [(256, 3, 1, w), (257, 3, 1, h), (258, 3, spp, None), (259, 3, 1, 1), (262, 3, 1, photometric),
            (273, 4, 1, None), (277, 3, 1, spp), (278, 3, 1, h), (279, 4, 1, len(pixels)), (284, 3, 1, 1)]
    if extra is not None:
        tags.append((338, 3, 1, extra))
    ifd_size = 2 + 12 * len(tags) + 4
    bps_at = 8 + ifd_size
    data_at = bps_at + 2 * spp
    ifd = struct.pack("<H", len(tags))
    for tag, typ, count, value in tags:
        if tag == 258:
            value = bits if spp <= 2 else bps_at
        if tag == 273:
            value = data_at
        ifd += struct.pack("<HHI", tag, typ, count) + (struct.pack("<HH", value, 0) if typ == 3 and count <= 2
                                                       else struct.pack("<I", value))
    return b"II*\0" + struct.pack("<I", 8) + ifd + struct.pack("<I", 0) + struct.pack("<" + "H" * spp,
                                                                                        *[bits] * spp) + pixels


def tiff_fixtures():
    emit("rgb16.tif", tiff(content(11, 17, 3, np.uint16), 2), "exact")
    rgba = content(9, 13, 4)
    rgba[0, :, 3] = 0
    emit("rgba8_assoc.tif", tiff(rgba, 2, extra=1), "exact")
    emit("rgba8_unspecified.tif", tiff(rgba, 2, extra=0), "exact")
    # 16-bit RGB(A) goes through libtiff's RGBA path (rounding (v + 128) / 257), 16-bit gray is shifted (v >> 8).
    rgba16 = content(11, 17, 4, np.uint16)
    rgba16[0, :, 3] = 0
    emit("rgba16_unassoc.tif", tiff(rgba16, 2, extra=2), "exact")
    emit("rgba16_assoc.tif", tiff(rgba16, 2, extra=1), "exact")
    emit("gray8.tif", pil(Image.fromarray(content(9, 13, 1)[:, :, 0]), "TIFF"), "exact")
    emit("rgb8.tif", pil(Image.fromarray(content(9, 13, 3)), "TIFF"), "exact")
    emit("rgb8_lzw.tif", pil(Image.fromarray(content(11, 17, 3)), "TIFF", compression="tiff_lzw"), "exact")
    rgba = content(9, 13, 4)
    rgba[0, :, 3] = 0
    rgba[1, :, 3] = 255
    emit("rgba8.tif", pil(Image.fromarray(rgba, "RGBA"), "TIFF"), "exact")
    g16 = content(11, 17, 1, np.uint16)[:, :, 0]
    g16.ravel()[:8] = [0, 255, 256, 32767, 32768, 65279, 65280, 65535]
    emit("gray16.tif", pil(Image.fromarray(g16, "I;16"), "TIFF"), "exact")
    p = Image.fromarray(rng.randint(0, 256, (9, 13)).astype(np.uint8), "P")
    p.putpalette(list(rng.randint(0, 256, 768)))
    emit("palette8.tif", pil(p, "TIFF"), "exact")


# ---- GIF: OpenCV 4.6 has no GIF reader; the expected output is Pillow's palette lookup (kind "pillow") ----------

def gif_fixtures():
    for n, (h, w) in ((4, (9, 13)), (256, (11, 17))):
        p = Image.fromarray(rng.randint(0, n, (h, w)).astype(np.uint8), "P")
        p.putpalette(list(rng.randint(0, 256, 3 * n)))
        name = f"palette{n}.gif"
        data = pil(p, "GIF", transparency=1)                 # the transparent index keeps its palette colour
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        np.save(os.path.join(OUT, name + ".npy"), np.array(Image.open(io.BytesIO(data)).convert("RGB")))
        manifest.append(f"{name} pillow")


# ---- JPEG ---------------------------------------------------------------------------------------------------------

def encoder():
    exe = os.path.join(tempfile.mkdtemp(), "jpeg_encode")
    subprocess.run(["gcc", "-O2", "-o", exe, os.path.join(HERE, "jpeg_encode.c"), "-ljpeg"], check=True)
    return exe


def libjpeg(exe, samples, in_cs, jpeg_cs, h0, v0, quality=90):
    d = tempfile.mkdtemp()
    src, dst = os.path.join(d, "in.raw"), os.path.join(d, "out.jpg")
    samples.tofile(src)
    h, w = samples.shape[:2]
    subprocess.run([exe, src, str(w), str(h), in_cs, jpeg_cs, str(h0), str(v0), str(quality), dst], check=True)
    with open(dst, "rb") as f:
        data = f.read()
    shutil.rmtree(d)
    return data


def segment(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def with_segments(jpeg, *segments):
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def jpeg_fixtures(exe):
    emit("gray.jpg", pil(Image.fromarray(content(9, 13, 1)[:, :, 0]), "JPEG", quality=90), "jpeg")
    emit("rgb420.jpg", pil(Image.fromarray(content(9, 13, 3)), "JPEG", quality=90), "jpeg")
    emit("rgb420_17x11.jpg", pil(Image.fromarray(content(11, 17, 3)), "JPEG", quality=75), "jpeg")
    emit("rgb422.jpg", pil(Image.fromarray(content(11, 17, 3)), "JPEG", quality=90, subsampling=1), "jpeg")
    emit("rgb444.jpg", pil(Image.fromarray(content(9, 13, 3)), "JPEG", quality=90, subsampling=0), "jpeg")
    emit("rgb440.jpg", libjpeg(exe, content(11, 17, 3), "rgb", "ycbcr", 1, 2), "jpeg")
    emit("progressive.jpg", pil(Image.fromarray(content(11, 17, 3)), "JPEG", quality=90, progressive=True), "jpeg")
    emit("large420.jpg", pil(Image.fromarray(content(67, 91, 3)), "JPEG", quality=95), "jpeg")
    emit("cmyk.jpg", pil(Image.fromarray(content(9, 13, 4), "CMYK"), "JPEG", quality=90), "jpeg")
    emit("ycck.jpg", libjpeg(exe, content(11, 17, 4), "cmyk", "ycck", 2, 2), "jpeg")
    emit("adobe_rgb.jpg", libjpeg(exe, content(9, 13, 3), "rgb", "rgb", 1, 1), "jpeg")
    base = pil(Image.fromarray(content(11, 17, 3)), "JPEG", quality=90)
    for o in range(1, 9):
        emit(f"exif{o}.jpg", with_segments(base, segment(0xE1, b"Exif\0\0" + tiff_orientation(o))), "jpeg", exif=True)
    # OpenCV reads the first APP1 only, whatever it holds, and accepts big-endian EXIF.
    xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"
    emit("xmp_then_exif6.jpg", with_segments(base, segment(0xE1, xmp),
                                             segment(0xE1, b"Exif\0\0" + tiff_orientation(6))), "jpeg", exif=True)
    emit("exif5_big_endian.jpg", with_segments(base, segment(0xE1, b"Exif\0\0" + tiff_orientation(5, "MM"))),
         "jpeg", exif=True)


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    png_fixtures()
    bmp_fixtures()
    tiff_fixtures()
    gif_fixtures()
    jpeg_fixtures(encoder())
    with open(os.path.join(OUT, "manifest.txt"), "w") as f:
        f.write("\n".join(manifest) + "\n")
    print(len(manifest), "fixtures in", os.path.normpath(OUT))


if __name__ == "__main__":
    main()
