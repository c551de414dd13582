"""Making evidence checkable by someone else: signing an assessment as a DSSE/in-toto envelope
(``sign``), re-deriving a verdict from a bundle (``verify``), merging sharded bundles (``merge``),
the data-provenance manifest (``provenance``, also read by the provenance collector) and the
history store of past assessments (``history``). May import the public faces, ``safety``,
``evidence`` and ``assess``; never ``reports``, ``api`` or ``cli``.
"""
