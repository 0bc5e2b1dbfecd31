// placeholder: tests for security_block
