// placeholder: tests for destination
