// placeholder: tests for method_bodies
