// placeholder: filled in by the codec work on forwarding_header
