// placeholder: filled in by the codec work on method_bodies
