// placeholder: filled in by the codec work on stored_data
