"""Reads one PDF in a process of its own, under limits, for ``ledger.sources.extract_pdf``.

A PDF is a container of compressed streams: a few hundred kilobytes can inflate to gigabytes
(a decompression bomb), and pdfminer has no limit of its own. So the parent runs this module
as a child process, sends the PDF on standard input, and reads one JSON object back: the
extraction, or ``{"refused": message}``. The child caps its own address space and CPU time
before it reads anything; the parent also kills it after a wall-clock deadline.

Usage: ``python -m ledger.pdf_worker MEMORY_BYTES CPU_SECONDS < file.pdf``.
"""

from __future__ import annotations

import dataclasses
import json
import resource
import sys


def limit(memory_bytes: int, cpu_seconds: int) -> None:
    """This process may use no more address space or CPU time than given."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds))


def answer(content: bytes) -> dict[str, object]:
    """The extraction as JSON, or why the PDF is refused."""
    from ledger.errors import InvalidEvent
    from ledger.sources import read_pdf

    try:
        extraction = read_pdf(content)
    except InvalidEvent as refused:
        return {"refused": refused.message}
    except MemoryError:
        return {"refused": "the PDF needs more memory to read than the ledger allows"}
    found = dataclasses.asdict(extraction)
    found["extractor"] = extraction.extractor.model_dump()
    return found


def main() -> None:
    memory_bytes, cpu_seconds = int(sys.argv[1]), int(sys.argv[2])
    limit(memory_bytes, cpu_seconds)
    sys.stdout.write(json.dumps(answer(sys.stdin.buffer.read())))


if __name__ == "__main__":
    main()
