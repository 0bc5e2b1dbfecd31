// placeholder: tests for byte_reader
