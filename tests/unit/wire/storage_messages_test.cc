// placeholder: tests for storage_messages
