"""Data files shipped inside the package (with their licences), and readers for them.

`convabuse/`: ConvAbuse (Cercas Curry, Abercrombie & Rieser, EMNLP 2021; CC BY 4.0), the demo project's data;
the tests and benchmarks read it from here too.
"""

from __future__ import annotations

import csv
import gzip
import io
from importlib import resources

CONVABUSE = "convabuse/ConvAbuseEMNLPfull.csv.gz"


def convabuse_csv() -> bytes:
    """The authors' `ConvAbuseEMNLPfull.csv`, byte for byte (shipped gzip-compressed)."""
    return gzip.decompress(resources.files(__name__).joinpath(CONVABUSE).read_bytes())


def convabuse_rows() -> list[dict[str, str]]:
    """Every row of `ConvAbuseEMNLPfull.csv` (one annotator's answer on one user turn), as strings."""
    return list(csv.DictReader(io.StringIO(convabuse_csv().decode("utf-8"), newline="")))
