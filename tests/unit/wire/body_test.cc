// placeholder: tests for body
