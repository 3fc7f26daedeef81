"""The PEP 517 build backend of the gatehouse Python binding, standard library
only: `pip install ./bindings/python` needs no network and no setuptools.

It builds one wheel of the `gatehouse` package. With GATEHOUSE_LIB naming the
shared library (or its folder) at install time, the library is copied next to
the package, where the binding looks first after GATEHOUSE_LIB, and the wheel
is tagged for this platform; without it the wheel is pure Python and the
library is found at import through GATEHOUSE_LIB or the system's loader
(`make install`, then `ldconfig`).
"""
import base64
import glob
import hashlib
import io
import os
import re
import sysconfig
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
NAME = "gatehouse"
SUMMARY = "API gateway, IAM and API-management primitives (binding of the gatehouse C library)"


def _version():
    header = os.path.join(HERE, "..", "..", "include", "gatehouse", "version.h")
    if not os.path.exists(header):  # an sdist carries its version
        with open(os.path.join(HERE, "PKG-INFO")) as f:
            return re.search(r"^Version: (.+)$", f.read(), re.M).group(1).strip()
    with open(header) as f:
        text = f.read()
    return ".".join(re.search(r"GH_VERSION_%s (\d+)" % part, text).group(1) for part in ("MAJOR", "MINOR", "PATCH"))


def _library():
    """The library GATEHOUSE_LIB names, or None."""
    lib = os.environ.get("GATEHOUSE_LIB")
    if not lib:
        return None
    if os.path.isdir(lib):
        found = sorted(glob.glob(os.path.join(lib, "libgatehouse.so*")), key=len)
        if not found:
            raise RuntimeError("GATEHOUSE_LIB=%s: no libgatehouse.so in that folder (build it first: make)" % lib)
        lib = found[0]
    if not os.path.isfile(lib):
        raise RuntimeError("GATEHOUSE_LIB=%s: no such file (build the library first: make)" % lib)
    return os.path.realpath(lib)


def _metadata(version):
    return ("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: %s\nLicense: see the gatehouse repository\n"
            "Requires-Python: >=3.8\n" % (NAME, version, SUMMARY))


def _package_files():
    pkg = os.path.join(HERE, NAME)
    return sorted(os.path.join(NAME, f) for f in os.listdir(pkg) if f.endswith(".py") or f == "py.typed")


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    version = _version()
    lib = _library()
    tag = "py3-none-" + (sysconfig.get_platform().replace("-", "_").replace(".", "_") if lib else "any")
    dist_info = "%s-%s.dist-info" % (NAME, version)
    wheel_name = "%s-%s-%s.whl" % (NAME, version, tag)
    records = []

    def add(zf, arcname, data):
        zf.writestr(zipfile.ZipInfo(arcname, date_time=(2020, 1, 1, 0, 0, 0)), data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        records.append("%s,sha256=%s,%d" % (arcname, digest, len(data)))

    with zipfile.ZipFile(os.path.join(wheel_directory, wheel_name), "w", zipfile.ZIP_DEFLATED) as zf:
        for rel in _package_files():
            with open(os.path.join(HERE, rel), "rb") as f:
                add(zf, rel, f.read())
        if lib:
            with open(lib, "rb") as f:
                add(zf, NAME + "/libgatehouse.so", f.read())
        add(zf, dist_info + "/METADATA", _metadata(version).encode())
        add(zf, dist_info + "/WHEEL", ("Wheel-Version: 1.0\nGenerator: gatehouse build_backend\nRoot-Is-Purelib: %s\n"
                                       "Tag: %s\n" % ("false" if lib else "true", tag)).encode())
        add(zf, dist_info + "/top_level.txt", (NAME + "\n").encode())
        records.append(dist_info + "/RECORD,,")
        zf.writestr(zipfile.ZipInfo(dist_info + "/RECORD", date_time=(2020, 1, 1, 0, 0, 0)), "\n".join(records) + "\n")
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    version = _version()
    base = "%s-%s" % (NAME, version)
    name = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as tf:
        for rel in _package_files() + ["pyproject.toml", "build_backend.py"]:
            tf.add(os.path.join(HERE, rel), base + "/" + rel)
        info = _metadata(version).encode()
        ti = tarfile.TarInfo(base + "/PKG-INFO")
        ti.size = len(info)
        tf.addfile(ti, io.BytesIO(info))
    return name
