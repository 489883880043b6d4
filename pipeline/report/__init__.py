"""The audit report: collect (results from the score and figure stages, reference numbers),
claims (verdict rules), render (the HTML page), provenance (how the numbers were made),
browser (headless-Chromium screenshot and load check), build (the report stage's work)."""
