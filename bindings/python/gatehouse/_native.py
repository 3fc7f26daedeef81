"""The shared library and what every object of the binding shares: loading,
function declarations, errors and units. Internal: use the package."""
import ctypes
import ctypes.util
import glob
import os
import time

_SONAME_MAJOR = 0


def _candidates():
    """Where the library is looked for, in order, as (path, why) pairs."""
    explicit = os.environ.get("GATEHOUSE_LIB")
    if explicit:  # what the caller named, or an error: never a different library
        if os.path.isdir(explicit):
            found = sorted(glob.glob(os.path.join(explicit, "libgatehouse.so*")), key=len)
            return [(found[0] if found else os.path.join(explicit, "libgatehouse.so"), "GATEHOUSE_LIB (a folder)")]
        return [(explicit, "GATEHOUSE_LIB")]
    here = os.path.dirname(os.path.abspath(__file__))
    out = [(os.path.join(here, "libgatehouse.so"), "next to the package")]
    if os.path.exists(os.path.join(here, "..", "build_backend.py")):  # run from the source tree
        out.append((os.path.join(here, "..", "..", "..", "build", "libgatehouse.so"), "the source tree's build"))
    system = ctypes.util.find_library("gatehouse")
    out.append((system or "libgatehouse.so.%d" % _SONAME_MAJOR, "the system loader"))
    return out


def _load():
    tried = []
    candidates = _candidates()
    for path, why in candidates:
        if os.path.dirname(path) and not os.path.exists(path) and len(candidates) > 1:
            tried.append("%s (%s): absent" % (path, why))
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (%s): %s" % (path, why, e))
    raise ImportError("libgatehouse not found; tried " + "; ".join(tried) +
                      ". Set GATEHOUSE_LIB to the library or its folder, run `make` in the source tree, "
                      "or `make install` (then `ldconfig`)")


_lib = _load()
_p = ctypes.c_void_p
_c = ctypes.c_char_p
_sz = ctypes.c_size_t
_i64 = ctypes.c_int64


def _fn(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype, f.argtypes = restype, list(argtypes)
    return f


_strerror = _fn("gh_strerror", _c, ctypes.c_int)
_err_name = _fn("gh_err_name", _c, ctypes.c_int)
_free = _fn("gh_free", None, _p)


def _mirrors(*pairs):
    """Each ctypes mirror has the size the library says its struct has."""
    for mirror, c_name in pairs:
        size = _fn(c_name + "_size", _sz)()
        if ctypes.sizeof(mirror) != size:
            raise ImportError("gatehouse: %s is %d bytes in this library, %d in the binding: rebuild or update the "
                              "binding" % (c_name, size, ctypes.sizeof(mirror)))


_EMISUSE = -3
_ETOOBIG = -4
_EPARSE = -5
_EDENIED = -12


class Error(Exception):
    """A library error (no decision was made): .code is the GH_E* name, .reason what the library said (may be "")."""

    def __init__(self, rc, detail=""):
        self.code = _err_name(rc).decode()
        self.reason = detail
        super().__init__("%s: %s%s" % (self.code, _strerror(rc).decode(), ": " + detail if detail else ""))


class TokenRejected(Exception):
    """The token was verified and rejected: .reason is the GH_JWT_* name."""

    def __init__(self, reason, message):
        self.reason = reason
        super().__init__(message)


def _check(rc, msg=None):
    if rc != 0:
        raise Error(rc, msg.value.decode(errors="replace") if msg is not None else "")


def _bytes(s):
    return s.encode() if isinstance(s, str) else bytes(s)


def _now_ms(now_ms):
    """Times cross every interface as Unix milliseconds (docs/embedding.md, Units); None: now."""
    return int(time.time() * 1000) if now_ms is None else int(now_ms)
