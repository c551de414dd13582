"""Onboarding: quick-start profiles, the attestation workflow (what is left, answering it) and
the OWASP AIMA toolkit workbook in both directions.

Everything here serves a person setting aima-ci up or answering its questions; nothing here is
on the gate path, so heavy imports (openpyxl) stay inside the functions that need them.
"""
