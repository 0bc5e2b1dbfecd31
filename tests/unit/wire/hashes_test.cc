// placeholder: tests for hashes
