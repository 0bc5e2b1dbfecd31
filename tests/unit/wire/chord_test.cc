// placeholder: tests for chord
