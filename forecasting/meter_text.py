"""The bytes of a user's CSV file as text: special and binary files refused, encodings detected.

Detection order: an explicit encoding; a byte-order mark (UTF-8, UTF-16, UTF-32, as Windows
Notepad's "Unicode" writes); UTF-16 without a mark (every other byte zero); UTF-8; Thai
Windows cp874 / TIS-620 (what Thai Excel writes for "CSV"). Anything else is refused with the
fix. Messages never quote more of a file than :func:`excerpt` allows.
"""

from __future__ import annotations

import codecs
import stat
from pathlib import Path

from munigrid.models.errors import InputError

MAX_BYTES = 256 * 1024 * 1024
SPECIAL_ROOTS = ("/proc", "/sys", "/dev")
EXCERPT_CHARS = 24
BINARY_MAGIC = {
    b"PK\x03\x04": "an Excel workbook or ZIP archive; save the sheet as CSV (UTF-8)",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls); save the sheet as CSV (UTF-8)",
    b"%PDF": "a PDF document; export the readings as CSV",
    b"\x89HDF": "a netCDF4/HDF5 file; export the readings as CSV",
    b"CDF\x01": "a netCDF file; export the readings as CSV",
    b"\x1f\x8b": "a gzip archive; unpack it first",
}
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
ENCODING_FIX = "save it as 'CSV UTF-8' (Excel: Save As > CSV UTF-8) or name its encoding (--encoding, e.g. cp874)"


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """A short, escaped quotation of a cell or name for messages: at most ``limit`` characters."""
    text = str(value)
    short = repr(text[:limit])
    return short + ("…" if len(text) > limit else "")


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def _checked_bytes(path: Path, where: str) -> bytes:
    resolved = path.resolve()
    if any(resolved == Path(root) or Path(root) in resolved.parents for root in SPECIAL_ROOTS):
        raise InputError(f"{resolved.parts[1]}/ holds system files, not meter data; give the path of a CSV file", where)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"file not found: {excerpt(str(path), 120)}; check the path", where) from None
    except OSError as err:
        raise InputError(f"cannot open the file ({err.strerror}); check the path and its permissions", where) from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError("not a regular file (a folder, device or pipe); give the path of a CSV file", where)
    if info.st_size > MAX_BYTES:
        raise InputError(f"file is {info.st_size / 2**20:,.0f} MB, more than the {MAX_BYTES / 2**20:.0f} MB a meter "
                         "CSV may have; split it by year", where)
    if info.st_size == 0:
        raise InputError("the file is empty (0 bytes); export the meter readings again", where)
    return path.read_bytes()


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:4096]
    even, odd = sample[0::2], sample[1::2]
    if odd and odd.count(0) > 0.9 * len(odd):
        return "utf-16-le"
    if even and even.count(0) > 0.9 * len(even):
        return "utf-16-be"
    return None


def _decode(data: bytes, encoding: str, where: str, declared: bool) -> str:
    try:
        return data.decode(encoding)
    except LookupError:
        raise InputError(f"unknown encoding {excerpt(encoding)}; use a Python codec name such as utf-8, cp874, "
                         "utf-16", "--encoding") from None
    except UnicodeDecodeError as err:
        what = "the encoding given" if declared else "its byte-order mark"
        raise InputError(f"not valid {encoding} (as {what} says): byte 0x{data[err.start]:02x} at line "
                         f"{_line_of(data, err.start)}; {ENCODING_FIX}", where) from None


def read_text(path: str | Path, where: str, encoding: str | None = None) -> tuple[str, str]:
    """Read a text file a user gave, detecting its encoding.

    Parameters
    ----------
    path : str or Path
        The file.
    where : str
        Name used in messages (the file name).
    encoding : str, optional
        Python codec name; detected when omitted.

    Returns
    -------
    text : str
        The content, without a byte-order mark.
    encoding : str
        The encoding used.

    Raises
    ------
    InputError
        Special, missing, empty, binary or undecodable files, naming the fix.
    """
    data = _checked_bytes(Path(path), where)
    if encoding is not None:
        return _decode(data, encoding, where, declared=True).lstrip("\ufeff"), encoding
    for bom, name in BOMS:
        if data.startswith(bom):
            return _decode(data, name, where, declared=False).lstrip("\ufeff"), name
    for magic, what in BINARY_MAGIC.items():
        if data.startswith(magic):
            raise InputError(f"this is {what}", where)
    if b"\x00" in data[:4096]:
        utf16 = _utf16_without_bom(data)
        if utf16 is None:
            raise InputError("this is a binary file, not CSV text (it contains zero bytes); export the meter "
                             "readings as CSV", where)
        return _decode(data, utf16, where, declared=False), utf16
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as err:
        utf8_error = err
    try:
        return data.decode("cp874"), "cp874"
    except UnicodeDecodeError:
        pass
    raise InputError(f"not UTF-8 (byte 0x{data[utf8_error.start]:02x} at line {_line_of(data, utf8_error.start)}) "
                     f"nor Thai Windows cp874/TIS-620; {ENCODING_FIX}", where)
