"""What an oversized image costs a worker: a 7,000 × 7,000 PNG (49 megapixels, ~160 KB on disk)
through the upload cleaning shared by documents and message attachments. Prints the outcome,
the time taken and the process's peak memory before and after.

    .venv/bin/python bench/image_bomb.py [--side 7000]
"""

import argparse
import io
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ribambelle.config.settings")

import django  # noqa: E402

django.setup()

from PIL import Image  # noqa: E402

from ribambelle.core.exceptions import DomainError  # noqa: E402
from ribambelle.documents.files import clean_file  # noqa: E402


def peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--side", type=int, default=7000)
    side = parser.parse_args().side
    out = io.BytesIO()
    Image.new("RGB", (side, side), "white").save(out, format="PNG")
    data = out.getvalue()
    before = peak_mb()
    started = time.perf_counter()
    try:
        clean_file(data)
        outcome = "accepted (decoded and re-encoded)"
    except DomainError as error:
        outcome = f"refused: {error.message}"
    elapsed = time.perf_counter() - started
    print(f"PNG {side} × {side} ({side * side / 1e6:.0f} MP, {len(data) // 1024} KB): {outcome}")
    print(f"time {elapsed:.2f} s, peak memory {before} MB -> {peak_mb()} MB")


if __name__ == "__main__":
    main()
