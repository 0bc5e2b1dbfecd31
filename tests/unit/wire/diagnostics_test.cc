// placeholder: tests for diagnostics
