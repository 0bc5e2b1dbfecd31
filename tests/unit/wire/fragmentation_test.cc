// placeholder: tests for fragmentation
