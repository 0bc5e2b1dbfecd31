// placeholder: filled in by the codec work on storage_messages
