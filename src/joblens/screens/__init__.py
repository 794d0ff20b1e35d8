"""The app's screens: the job view and its modal dialogs."""
