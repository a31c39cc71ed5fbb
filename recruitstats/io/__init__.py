"""Reading, checking and storing the files conscription offices send.

Public API: :func:`load_panel`, :func:`load_recruits`, :func:`read_table` (problems
without raising), :func:`validate_panel`, :func:`ingest` (the raw/processed store)
and :func:`write_template` (the Excel form offices fill in).
"""

from recruitstats.io.readers import ReadResult, load_panel, load_recruits, read_table
from recruitstats.io.store import IngestReport, ingest, read_manifest
from recruitstats.io.template import write_template
from recruitstats.io.validate import validate_panel, validate_recruits

__all__ = [
    "ReadResult",
    "read_table",
    "load_panel",
    "load_recruits",
    "validate_panel",
    "validate_recruits",
    "ingest",
    "IngestReport",
    "read_manifest",
    "write_template",
]
