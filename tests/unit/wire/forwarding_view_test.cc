// placeholder: tests for forwarding_view
