// placeholder: tests for framing
