// placeholder: filled in by the codec work on usage_values
