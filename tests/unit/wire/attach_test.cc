// placeholder: tests for attach
