// placeholder: tests for forwarding_header
