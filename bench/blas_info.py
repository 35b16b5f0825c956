"""Which OpenBLAS kernel a Python reference runs (imported by train_torch.py and search_faiss.py)."""
import ctypes
import ctypes.util
import glob


def blas_info():
    """The OpenBLAS core name and build config as this process loaded them, or why not."""
    # The BLAS this process actually mapped (Debian's libblas.so.3 alternative may be OpenBLAS).
    loaded = [line.split()[-1] for line in open("/proc/self/maps") if "blas" in line and ".so" in line]
    candidates = sorted(set(loaded)) or glob.glob("/usr/lib/*/libopenblas*.so.0") or [ctypes.util.find_library("openblas") or ""]
    for path in candidates:
        try:
            lib = ctypes.CDLL(path)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            return {"library": path, "core": lib.openblas_get_corename().decode(), "config": lib.openblas_get_config().decode(), "threads": lib.openblas_get_num_threads()}
        except (OSError, AttributeError):
            continue
    return {"library": None, "core": "unknown (no OpenBLAS loaded)"}
