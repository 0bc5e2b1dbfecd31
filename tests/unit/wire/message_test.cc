// placeholder: tests for message
