"""The transparency log's format, with no storage in it: Merkle arithmetic and tile layout.

A leaf package: it imports nothing else of the ledger but its errors, so the store that writes
the tree (``ledger.store.tree``) and the audit that serves and checks it (``ledger.audit``)
share the format without importing each other.
"""
