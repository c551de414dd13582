"""Producing evidence: planning and running collectors in child processes (``collect``,
``runner``, ``_worker``, ``shard``, ``progress``), reusing still-fresh results (``cache``,
``freshness``), describing the run (``runinfo``) and the on-disk evidence directory with its hashed
manifest (``directory``). Freshness lives here rather than in ``assess`` because the cache decides
reuse by it; scoring reads it from here. May import the public faces (``plugin``, ``models``,
``errors``, ``config``) and ``safety``; never ``assess``, ``trust``, ``reports``, ``api`` or ``cli``.
"""
