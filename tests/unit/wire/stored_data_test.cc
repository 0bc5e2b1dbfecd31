// placeholder: tests for stored_data
