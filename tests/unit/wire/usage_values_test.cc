// placeholder: tests for usage_values
