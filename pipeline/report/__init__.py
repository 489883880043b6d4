"""The audit report, in the order the report stage (build) uses it:
    collect       results from the score and figure stages, the papers' reported numbers
                  (gathers only); evidence: per-frame scores and memory usage on demand
    catalogue     every claim of the audited papers, declared as data (claims: its kinds)
    judging       each claim judged: comparisons (two rows' scores -> a part),
                  reproduction (reported numbers and the papers' own differences),
                  verdicts (outcomes, how parts combine into a claim's verdict)
    released      released weights vs retrained vs reported
    view, render  the page's content as tables and figures, rendered by the Jinja2 templates
                  (templates/) with every value escaped; formatting: numbers and row names
    provenance    how the numbers were made; browser: headless-Chromium screenshot and load check
"""
