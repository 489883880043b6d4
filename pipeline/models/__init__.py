"""The audited networks, one file per paper's model family."""
