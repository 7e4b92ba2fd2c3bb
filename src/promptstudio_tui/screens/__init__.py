"""Screens: the main studio screen plus settings, usage, help and small modals."""
